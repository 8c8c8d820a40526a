"""check_iam.py (`make test-iam`) on small made-up templates and reports: it fails on a called
operation the role does not allow, on an allowed action nothing calls, and on a stale exception;
it reads both branches of Fn::If and the actions of attached AWS managed policies."""
import json

import check_iam
import pytest


def role_template(statements, managed=()):
    return {"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "f", "Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "ManagedPolicyArns": [{"Fn::Sub": f"arn:${{AWS::Partition}}:iam::aws:policy/{m}"} for m in managed],
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}},
    }}


def allow(*actions):
    return {"Effect": "Allow", "Action": list(actions), "Resource": "*"}


SPEC = {
    "service_prefixes": {"eventbridge": "events"},
    "operations": {"s3.HeadBucket": {"actions": ["s3:ListBucket"]}},
    "no_permission": {"sts.GetCallerIdentity": "no permission"},
    "managed_policies": {"Manager": {"actions": ["ram:Get*", "glue:PutResourcePolicy"]}},
    "unused": {"every function": {"logs:PutLogEvents": "Lambda"}, "f": {}},
}


def run(statements, called, managed=(), unused=None):
    spec = json.loads(json.dumps(SPEC))
    if unused is not None:
        spec["unused"]["f"] = unused
    return check_iam.check({"f": called}, {"t": role_template(statements, managed)}, spec)


def test_a_role_that_allows_exactly_the_calls_passes():
    assert run([allow("glue:GetTables", "events:PutEvents", "s3:ListBucket", "logs:PutLogEvents")],
               {"glue.GetTables": 3, "eventbridge.PutEvents": 1, "s3.HeadBucket": 1, "sts.GetCallerIdentity": 1}) == []


def test_a_called_operation_the_role_lacks_fails():
    problems = run([allow("glue:GetTables")], {"glue.GetTables": 1, "glue.GetTable": 1})
    assert len(problems) == 1 and "glue.GetTable" in problems[0] and "does not allow glue:GetTable" in problems[0]


def test_an_allowed_action_nothing_calls_fails_unless_explained():
    problems = run([allow("glue:GetTables", "lakeformation:GetDataAccess")], {"glue.GetTables": 1})
    assert len(problems) == 1 and "lakeformation:GetDataAccess" in problems[0]
    assert run([allow("glue:GetTables", "lakeformation:GetDataAccess")], {"glue.GetTables": 1},
               unused={"lakeformation:GetDataAccess": "explain only"}) == []


def test_an_exception_for_an_action_no_longer_allowed_fails_and_one_now_called_is_noted():
    assert "no longer allows" in run([allow("glue:GetTables")], {"glue.GetTables": 1},
                                     unused={"glue:DeleteTable": "x"})[0]
    spec = json.loads(json.dumps(SPEC))
    spec["unused"]["f"] = {"glue:GetTables": "x"}
    notes = []
    assert check_iam.check({"f": {"glue.GetTables": 1}}, {"t": role_template([allow("glue:GetTables")])},
                           spec, notes) == []
    assert len(notes) == 1 and "glue:GetTables" in notes[0]


def test_both_branches_of_an_if_count():
    optional = {"Fn::If": ["Cond", allow("s3:PutBucketPolicy"), {"Ref": "AWS::NoValue"}]}
    assert run([allow("glue:GetTables"), optional], {"glue.GetTables": 1, "s3.PutBucketPolicy": 1}) == []
    assert "s3:PutBucketPolicy" in run([allow("glue:GetTables"), optional], {"glue.GetTables": 1})[0]


def test_managed_policy_actions_allow_calls_and_are_not_held_against_the_reports():
    assert run([allow("glue:GetTables")], {"glue.GetTables": 1, "ram.GetResourceShares": 2,
                                           "glue.PutResourcePolicy": 1}, managed=["Manager"]) == []
    problems = run([allow("glue:GetTables")], {"glue.GetTables": 1}, managed=["Unknown"])
    assert "Unknown" in problems[0]


def test_wildcard_inline_actions_are_refused():
    assert "wildcard" in run([allow("glue:Get*")], {"glue.GetTables": 1})[0]


def test_the_repository_spec_maps_every_special_operation_to_actions_and_names_a_source():
    spec = check_iam.load_spec()
    for op, entry in spec["operations"].items():
        assert entry["actions"] and entry.get("source"), op
    for name, entry in spec["managed_policies"].items():
        assert entry["actions"] and entry.get("source"), name
    for fn, entries in spec["unused"].items():
        for action, reason in entries.items():
            assert isinstance(reason, str) and len(reason) > 20, (fn, action)


def test_no_records_is_an_error_not_a_pass(tmp_path):
    assert check_iam.main(["--records", str(tmp_path)]) == 2


@pytest.mark.parametrize("op,expected", [
    ("glue.GetTables", ["glue:GetTables"]),
    ("eventbridge.PutEvents", ["events:PutEvents"]),
    ("s3.HeadBucket", ["s3:ListBucket"]),
])
def test_operation_to_action(op, expected):
    assert check_iam.actions_for(op, SPEC) == expected
