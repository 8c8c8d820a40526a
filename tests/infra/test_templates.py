"""Every template in infra/ deployed into the local AWS's CloudFormation (moto with
tests/moto_ext/lakewarden_moto, where a resource moto cannot create fails the stack instead of
being skipped), then read back through the AWS APIs: functions, roles, rules (every fixture of
tests/events/ against every rule with EventBridge's TestEventPattern), schedules, queues, topics,
alarms and dashboards. The last tests deploy consumer.yaml and integrations.yaml to an
organizational unit with the service-managed StackSet commands `make stackset-commands` prints.

Accounts are the fixtures' own: 111111111111 (producer, export source, zero-ETL source, DataZone
environments) and 222222222222 (consumer, export destination, zero-ETL target); the server is this
module's alone.
"""
import io
import json
import re
import shlex
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
EVENTS = ROOT / "tests/events"
REGION = "us-east-1"
SRC, DST = "111111111111", "222222222222"
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").exists())


def client(server, service, account, region=REGION):
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name=region,
                       aws_access_key_id="test", aws_secret_access_key="test")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="templates")["Credentials"]
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                        aws_session_token=c["SessionToken"], config=Config(retries={"max_attempts": 1}))


def demo_config(account):
    return (ROOT / f"tests/demo/account-{account}.yaml").read_text()


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    return buf.getvalue()


# (account, template, parameters): realistic parameters, the demo configuration of the account.
DEPLOYMENTS = [
    (SRC, "state-table", {}),
    (SRC, "producer", {"ConfigYaml": demo_config(SRC), "AlertEmail": "data-platform@example.com",
                       "SharedBucketNames": "cur-data,cur-legacy"}),
    (SRC, "table-exporter", {
        "ConfigYaml": demo_config(SRC),
        "ExportedTableArns": f"arn:aws:dynamodb:{REGION}:{SRC}:table/cm-kasama-test-transactions",
        "ExportBucketArns": "arn:aws:s3:::dynamodb-export-bucket"}),
    (SRC, "datazone", {"ConfigYaml": demo_config(SRC), "DomainIds": "dzd_abc123",
                       "AlertEmail": "data-platform@example.com"}),
    (SRC, "integrations", {"ConfigYaml": demo_config(SRC), "SourceTableNames": "cm-kasama-test-transactions",
                           "ScheduleExpression": "rate(10 minutes)"}),
    (DST, "state-table", {}),
    (DST, "consumer", {"ConfigYaml": demo_config(DST), "ConsumerRoleArns": f"arn:aws:iam::{DST}:role/glue-job",
                       "AlertEmail": "data-platform@example.com"}),
    (DST, "table-exporter", {"ConfigYaml": demo_config(DST),
                             "DestinationBucketArns": "arn:aws:s3:::dynamodb-export-bucket"}),
    (DST, "integrations", {"ConfigYaml": demo_config(DST), "TargetRoleNames": "zetl-target"}),
]


def template(name):
    return cfn_yaml.load(str(INFRA / f"{name}.yaml"))


def stack_name(name):
    return f"lakewarden-{name}"


@pytest.fixture(scope="module")
def deployed(server):
    """{(account, template): {logical id: physical id}} after deploying every template."""
    out = {}
    for account in (SRC, DST):
        s3 = client(server, "s3", account)
        s3.create_bucket(Bucket=f"artifacts-{account}")
        for fn in FUNCTIONS:
            s3.put_object(Bucket=f"artifacts-{account}", Key=f"lakewarden/{fn}.zip", Body=zip_bytes())
    for account, name, params in DEPLOYMENTS:
        cfn = client(server, "cloudformation", account)
        if name != "state-table":
            params = {"CodeBucket": f"artifacts-{account}", **params}
        cfn.create_stack(StackName=stack_name(name), TemplateBody=(INFRA / f"{name}.yaml").read_text(),
                         Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        stack = cfn.describe_stacks(StackName=stack_name(name))["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", (account, name, stack)
        resources = cfn.list_stack_resources(StackName=stack_name(name))["StackResourceSummaries"]
        out[(account, name)] = {r["LogicalResourceId"]: r for r in resources}
    return out


def functions_of(name):
    """{logical id: function name} of a template."""
    t = template(name)
    return {lid: r["Properties"]["FunctionName"] for lid, r in t["Resources"].items()
            if r["Type"] == "AWS::Lambda::Function"}


def test_every_template_is_deployed():
    assert {p.stem for p in INFRA.glob("*.yaml")} == {name for _, name, _ in DEPLOYMENTS}
    deployed_functions = {fn for _, name, _ in DEPLOYMENTS for fn in functions_of(name).values()}
    assert deployed_functions == set(FUNCTIONS)


def test_every_resource_was_created(deployed):
    for (account, name), resources in deployed.items():
        t = template(name)
        params = dict(next(p for a, n, p in DEPLOYMENTS if (a, n) == (account, name)))
        for lid, r in t["Resources"].items():
            condition = r.get("Condition")
            if condition == "HasAlertEmail" and not params.get("AlertEmail"):
                assert lid not in resources, (name, lid)
                continue
            assert lid in resources, (account, name, lid, "not created")
            assert resources[lid]["ResourceType"] == r["Type"]
            assert resources[lid]["ResourceStatus"] == "CREATE_COMPLETE"
            if r["Type"] != "AWS::Lambda::Permission":  # moto leaves a permission's id empty
                assert resources[lid].get("PhysicalResourceId"), (name, lid)


def test_functions(server, deployed):
    for account, name, params in DEPLOYMENTS:
        res = deployed[(account, name)]
        lam = client(server, "lambda", account)
        ssm = client(server, "ssm", account)
        logs = client(server, "logs", account)
        for lid, fn in functions_of(name).items():
            cfg = lam.get_function(FunctionName=fn)["Configuration"]
            assert cfg["Runtime"] == "provided.al2023"
            assert cfg["Architectures"] == ["arm64"]
            assert cfg["Handler"] == "bootstrap"
            assert cfg["Timeout"] <= 900 and cfg["MemorySize"] >= 128
            env = cfg["Environment"]["Variables"]
            # catalog-sharer's scheduled fan-out also names its queue (issue 12 §7).
            extra = {"LAKEWARDEN_FANOUT_QUEUE_URL"} if fn == "catalog-sharer" else set()
            assert {"LAKEWARDEN_CONFIG", "LAKEWARDEN_ALERT_TOPIC_ARN", "RUST_LOG"} <= set(env), env
            assert set(env) - {"LAKEWARDEN_CONFIG", "LAKEWARDEN_ALERT_TOPIC_ARN", "RUST_LOG"} <= extra, env
            # The configuration is the SSM parameter the stack made, holding ConfigYaml.
            assert env["LAKEWARDEN_CONFIG"].startswith("ssm:/lakewarden/")
            parameter = ssm.get_parameter(Name=env["LAKEWARDEN_CONFIG"][4:])["Parameter"]
            assert parameter["Value"] == params["ConfigYaml"]
            assert env["LAKEWARDEN_ALERT_TOPIC_ARN"] == res["AlertTopic"]["PhysicalResourceId"]
            assert env["RUST_LOG"] == "info"
            assert cfg["Role"].startswith(f"arn:aws:iam::{account}:role/")
            dlq_arn = f"arn:aws:sqs:{REGION}:{account}:" + res["DeadLetterQueue"]["PhysicalResourceId"].rsplit("/", 1)[1]
            assert cfg["DeadLetterConfig"] == {"TargetArn": dlq_arn}
            assert cfg["LoggingConfig"]["LogFormat"] == "JSON"
            group = cfg["LoggingConfig"]["LogGroup"]
            assert group == f"/aws/lambda/{fn}"
            described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
            assert [g["retentionInDays"] for g in described if g["logGroupName"] == group] == [90]
            if lid != "Monitor":  # the monitor is only ever invoked by its schedule
                invoke = lam.get_function_event_invoke_config(FunctionName=fn)
                assert invoke["MaximumRetryAttempts"] == 2
                assert invoke["MaximumEventAgeInSeconds"] == 3600


# Functions whose role attaches AWS's managed policy for cross-account Lake Formation grantors
# (issue 10 §5); every other role has inline policies only.
CROSS_ACCOUNT_GRANTORS = {"catalog-sharer", "integration-doctor"}


def attached_policies(server, account, role_arn):
    iam = client(server, "iam", account)
    return [p["PolicyArn"] for p in
            iam.list_attached_role_policies(RoleName=role_arn.rsplit("/", 1)[1])["AttachedPolicies"]]


def role_statements(server, account, role_arn):
    iam = client(server, "iam", account)
    role = role_arn.rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    out = []
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        if isinstance(doc, str):
            doc = json.loads(doc)
        out += doc["Statement"]
    return trust, out


def as_list(v):
    return v if isinstance(v, list) else [v]


# Actions that have no resource-level permissions in IAM (Service Authorization Reference), so
# their statements must say Resource "*".
STAR_ACTIONS = {
    "lakeformation:ListPermissions", "lakeformation:BatchGrantPermissions", "lakeformation:BatchRevokePermissions",
    "lakeformation:GrantPermissions", "lakeformation:RevokePermissions", "lakeformation:RegisterResource",
    "lakeformation:DeregisterResource", "lakeformation:ListResources", "lakeformation:DescribeResource",
    "lakeformation:GetDataAccess", "lakeformation:GetDataLakeSettings",
    "ram:GetResourceShareInvitations", "ram:AcceptResourceShareInvitation", "ram:GetResourceShares",
    "ram:GetResourceShareAssociations", "ram:CreateResourceShare", "organizations:DescribeOrganization",
    "datazone:ListEnvironments", "datazone:ListProjects",
    "lakeformation:PutDataLakeSettings", "ram:ListResources",
}


def test_roles(server, deployed):
    seen = {}
    for account, name, _ in DEPLOYMENTS:
        res = deployed[(account, name)]
        lam = client(server, "lambda", account)
        for lid, fn in functions_of(name).items():
            role_arn = lam.get_function(FunctionName=fn)["Configuration"]["Role"]
            trust, statements = role_statements(server, account, role_arn)
            assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
            assert attached_policies(server, account, role_arn) == (
                ["arn:aws:iam::aws:policy/AWSLakeFormationCrossAccountManager"] if fn in CROSS_ACCOUNT_GRANTORS else [])
            actions = {}
            for s in statements:
                assert s["Effect"] == "Allow"
                for a in as_list(s["Action"]):
                    assert "*" not in a, (fn, a)
                    actions.setdefault(a, []).extend(as_list(s["Resource"]))
            for a, resources in actions.items():
                for r in resources:
                    if r == "*":
                        assert a in STAR_ACTIONS or "Condition" in json.dumps(statements), (fn, a)
                        continue
                    # Only this account's resources, AWS managed policies, or (reading shared
                    # catalogs, describing organization accounts) any account's.
                    acct = r.split(":")[4]
                    assert acct in (account, "aws", "") or (acct == "*" and a.startswith(("glue:Get", "organizations:"))), (fn, a, r)
            topic = res["AlertTopic"]["PhysicalResourceId"]
            log_group = f"arn:aws:logs:{REGION}:{account}:log-group:/aws/lambda/{fn}"
            assert topic in actions["sns:Publish"]
            assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(actions)
            assert actions["logs:PutLogEvents"] and all(r.startswith(log_group) for r in actions["logs:PutLogEvents"])
            config = lam.get_function(FunctionName=fn)["Configuration"]["Environment"]["Variables"]["LAKEWARDEN_CONFIG"][4:]
            assert actions["ssm:GetParameter"] == [f"arn:aws:ssm:{REGION}:{account}:parameter{config}"]
            # The dead-letter queue, and (catalog-sharer's fan-out) the stack's own other queues.
            dlq = f"arn:aws:sqs:{REGION}:{account}:" + res["DeadLetterQueue"]["PhysicalResourceId"].rsplit("/", 1)[1]
            own_queues = {f"arn:aws:sqs:{REGION}:{account}:" + r["PhysicalResourceId"].rsplit("/", 1)[1]
                          for r in res.values() if r["ResourceType"] == "AWS::SQS::Queue"}
            assert dlq in actions["sqs:SendMessage"] and set(actions["sqs:SendMessage"]) <= own_queues
            seen.setdefault(fn, set()).update(actions)
    # What each function may do beyond its plumbing (logs, config, alerts, dead letters).
    plumbing = {"logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameter", "sns:Publish", "sqs:SendMessage",
                "kms:Decrypt", "kms:GenerateDataKey"}
    expected_services = {
        # dynamodb: the ledger in the state table (issue 11 §5); sqs: the scheduled fan-out.
        "catalog-sharer": {"glue", "lakeformation", "s3", "ram", "iam", "dynamodb", "sqs"},
        "share-linker": {"glue", "lakeformation", "ram", "iam", "dynamodb"},
        "table-exporter": {"dynamodb", "s3"},
        "datazone-subscriber": {"glue", "lakeformation", "iam", "datazone", "s3"},
        "integration-monitor": {"glue", "dynamodb", "events"},
        "integration-doctor": {"glue", "dynamodb", "iam", "lakeformation", "ram", "s3", "organizations"},
    }
    for fn, actions in seen.items():
        assert plumbing <= actions, fn
        services = {a.split(":")[0] for a in actions - plumbing}
        assert services <= expected_services[fn], (fn, services - expected_services[fn])
    assert {"ram:AcceptResourceShareInvitation", "lakeformation:BatchGrantPermissions", "glue:CreateDatabase",
            "iam:PutRolePolicy"} <= seen["share-linker"]
    assert {"lakeformation:BatchGrantPermissions", "s3:PutBucketPolicy", "lakeformation:RegisterResource"} <= seen["catalog-sharer"]
    assert {"dynamodb:ExportTableToPointInTime", "s3:PutBucketPolicy"} <= seen["table-exporter"]
    assert {"events:PutEvents", "glue:DescribeIntegrations"} <= seen["integration-monitor"]
    assert {"glue:PutResourcePolicy", "dynamodb:UpdateContinuousBackups", "iam:UpdateAssumeRolePolicy"} <= seen["integration-doctor"]
    assert {"datazone:UpdateSubscriptionGrantStatus", "lakeformation:BatchGrantPermissions", "lakeformation:RegisterResource"} <= seen["datazone-subscriber"]


def fixture_owners():
    """{fixture file: function} from the table of tests/events/README.md (scheduled: '*')."""
    owners = {}
    for line in (EVENTS / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4 or not cells[1].startswith("`"):
            continue
        fn = cells[2]
        for f in re.findall(r"`([^`]+\.json)`", cells[1]):
            owners[f] = "*" if fn == "every function" else fn
    return owners


def rules_of(server, deployed):
    """[(account, rule name, description, target function)] of every deployed stack."""
    out = []
    for (account, name), res in deployed.items():
        ev = client(server, "events", account)
        for lid, r in template(name)["Resources"].items():
            if r["Type"] != "AWS::Events::Rule":
                continue
            bus = next(p for a, n, p in DEPLOYMENTS if (a, n) == (account, name)).get(
                "EventBusName", "default") if "EventBusName" in r["Properties"] else "default"
            rule = ev.describe_rule(Name=res[lid]["PhysicalResourceId"], EventBusName=bus)
            targets = ev.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
            assert len(targets) == 1, (name, lid, targets)
            fn = targets[0]["Arn"].rsplit(":", 1)[1]
            assert targets[0]["Arn"] == f"arn:aws:lambda:{REGION}:{account}:function:{fn}"
            assert rule["State"] == "ENABLED"
            out.append((account, rule, fn))
    return out


def test_every_fixture_matches_exactly_its_functions_rule(server, deployed):
    owners = fixture_owners()
    fixtures = sorted(p.name for p in EVENTS.glob("*.json"))
    assert set(fixtures) == set(owners), "every fixture is in the README table"
    rules = [(a, r, fn) for a, r, fn in rules_of(server, deployed) if r.get("EventPattern")]
    ev = client(server, "events", SRC)
    for f in fixtures:
        event = (EVENTS / f).read_text()
        if "Records" in json.loads(event):
            # An SQS batch (catalog-sharer's fan-out) is no EventBridge event (TestEventPattern
            # refuses it, as AWS does): an event source mapping delivers it, which
            # test_fanout_queue_and_event_source_mapping checks.
            assert owners[f] == "catalog-sharer", f
            continue
        matched = []
        for account, rule, fn in rules:
            result = ev.test_event_pattern(EventPattern=rule["EventPattern"], Event=event)["Result"]
            if result:
                matched.append((account, rule["Name"], fn))
        if owners[f] == "*":
            assert matched == [], (f, matched)  # a schedule's event goes only to schedule rules
            continue
        account = json.loads(event)["account"]
        assert [(a, fn) for a, _, fn in matched] == [(account, owners[f])], (f, matched)


def test_fanout_queue_and_event_source_mapping(server, deployed):
    """catalog-sharer's scheduled fan-out (issue 12 §7): the queue the function enqueues on (its
    environment names it), encrypted, with a visibility timeout of at least 6 x the function's
    timeout (Lambda developer guide, SQS event sources) and a redrive to the dead-letter queue;
    the event source mapping that feeds the SQS fixture's shape back with partial batch failures."""
    res = deployed[(SRC, "producer")]
    sqs = client(server, "sqs", SRC)
    lam = client(server, "lambda", SRC)
    url = res["FanoutQueue"]["PhysicalResourceId"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    fn = lam.get_function_configuration(FunctionName="catalog-sharer")
    assert fn["Environment"]["Variables"]["LAKEWARDEN_FANOUT_QUEUE_URL"] == url
    assert int(attrs["VisibilityTimeout"]) >= 6 * fn["Timeout"], (attrs["VisibilityTimeout"], fn["Timeout"])
    assert attrs["SqsManagedSseEnabled"] == "true"
    dlq = sqs.get_queue_attributes(QueueUrl=res["DeadLetterQueue"]["PhysicalResourceId"],
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq and int(redrive["maxReceiveCount"]) >= 5, redrive
    # Messages outlive their retries.
    assert int(attrs["MessageRetentionPeriod"]) > int(redrive["maxReceiveCount"]) * int(attrs["VisibilityTimeout"])
    mappings = lam.list_event_source_mappings(FunctionName="catalog-sharer")["EventSourceMappings"]
    assert [m["EventSourceArn"] for m in mappings] == [attrs["QueueArn"]], mappings
    m = mappings[0]
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= m["BatchSize"] <= 10
    fixture = json.loads((EVENTS / "sqs-catalog-sharer-fanout.json").read_text())
    assert {r["eventSourceARN"] for r in fixture["Records"]} == {attrs["QueueArn"]}
    role = client(server, "iam", SRC).get_role_policy(
        RoleName=res["FunctionRole"]["PhysicalResourceId"], PolicyName="catalog-sharer")["PolicyDocument"]
    if isinstance(role, str):
        role = json.loads(role)
    allowed = {(a, s_["Resource"]) for s_ in role["Statement"]
               for a in (s_["Action"] if isinstance(s_["Action"], list) else [s_["Action"]])
               if isinstance(s_.get("Resource"), str)}
    for action in ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert (action, attrs["QueueArn"]) in allowed, action


def test_documented_events_match_the_datazone_rule(server, deployed):
    """tests/events/documented/: DataZone events in the shapes AWS documents (see its README)."""
    rules = [(a, r, fn) for a, r, fn in rules_of(server, deployed) if r.get("EventPattern")]
    ev = client(server, "events", SRC)
    documented = sorted((EVENTS / "documented").glob("*.json"))
    assert documented
    for path in documented:
        event = path.read_text()
        matched = [(a, fn) for a, r, fn in rules
                   if ev.test_event_pattern(EventPattern=r["EventPattern"], Event=event)["Result"]]
        assert matched == [(json.loads(event)["account"], "datazone-subscriber")], (path.name, matched)


def test_rules_reject_what_is_not_theirs(server, deployed):
    """The patterns are not catch-alls: a partition change, another account's or another domain's
    event matches no rule (the same fixtures, one field changed)."""
    rules = [r for _, r, _ in rules_of(server, deployed) if r.get("EventPattern")]
    ev = client(server, "events", SRC)
    variants = []
    e = json.loads((EVENTS / "glue-update-table.json").read_text())
    e["detail"]["typeOfChange"] = "BatchCreatePartition"
    variants.append(e)
    e = json.loads((EVENTS / "glue-create-table.json").read_text())
    e["account"] = "999999999999"
    variants.append(e)
    e = json.loads((EVENTS / "datazone-subscription-grant-requested.json").read_text())
    e["detail"]["metadata"]["domain"] = "dzd_other"
    variants.append(e)
    for e in variants:
        for rule in rules:
            assert not ev.test_event_pattern(EventPattern=rule["EventPattern"], Event=json.dumps(e))["Result"], (
                rule["Name"], e["detail-type"])


def test_schedules_and_permissions(server, deployed):
    rules = rules_of(server, deployed)
    for account, name, params in DEPLOYMENTS:
        lam = client(server, "lambda", account)
        for fn in functions_of(name).values():
            mine = [r for a, r, f in rules if a == account and f == fn]
            schedules = [r["ScheduleExpression"] for r in mine if r.get("ScheduleExpression")]
            assert len(schedules) == 1, (fn, schedules)
            if fn == "integration-monitor" and "ScheduleExpression" in params:
                assert schedules == [params["ScheduleExpression"]]
            assert re.fullmatch(r"rate\(\d+ (minute|minutes|hour|hours|day|days)\)", schedules[0])
            policy = json.loads(lam.get_policy(FunctionName=fn)["Policy"])
            allowed = {s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]
                       if s["Principal"] == {"Service": "events.amazonaws.com"} and s["Action"] == "lambda:InvokeFunction"}
            assert allowed == {r["Arn"] for r in mine}, fn


def test_queues_and_topics(server, deployed):
    for account, name, params in DEPLOYMENTS:
        if name == "state-table":
            continue
        res = deployed[(account, name)]
        sqs = client(server, "sqs", account)
        attrs = sqs.get_queue_attributes(QueueUrl=res["DeadLetterQueue"]["PhysicalResourceId"],
                                         AttributeNames=["All"])["Attributes"]
        assert attrs["MessageRetentionPeriod"] == "1209600"
        assert attrs["SqsManagedSseEnabled"] == "true"
        sns = client(server, "sns", account)
        topic = res["AlertTopic"]["PhysicalResourceId"]
        topic_attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        key = res["AlertKey"]["PhysicalResourceId"]
        assert topic_attrs["KmsMasterKeyId"] == key
        kms = client(server, "kms", account)
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]
        key_policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        cloudwatch = [s for s in key_policy["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
        assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if params.get("AlertEmail"):
            assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", params["AlertEmail"])]
        else:
            assert subs == []


def metrics_contract():
    """Namespace, dimension and metric names of crates/lakewarden/src/metrics.rs."""
    src = (ROOT / "crates/lakewarden/src/metrics.rs").read_text()
    namespace = re.search(r'pub const NAMESPACE: &str = "([^"]+)"', src).group(1)
    dimension = re.search(r'pub const DIMENSION: &str = "([^"]+)"', src).group(1)
    block = re.search(r"pub const METRICS: \[\(&str, &str\); \d+\] = \[(.*?)\];", src, re.S).group(1)
    metrics = re.findall(r'\("(\w+)", "(\w+)"\)', block)
    return namespace, dimension, dict(metrics)


def test_alarms(server, deployed):
    namespace, dimension, metrics = metrics_contract()
    assert "ActionsFailed" in metrics
    for account, name, _ in DEPLOYMENTS:
        if name == "state-table":
            continue
        res = deployed[(account, name)]
        cw = client(server, "cloudwatch", account)
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
        topic = res["AlertTopic"]["PhysicalResourceId"]
        queue = res["DeadLetterQueue"]["PhysicalResourceId"].rsplit("/", 1)[1]
        mine = [a for lid, r in res.items() if r["ResourceType"] == "AWS::CloudWatch::Alarm"
                for a in [alarms[r["PhysicalResourceId"]]]]
        for a in mine:
            assert a["AlarmActions"] == [topic] and a["OKActions"] == [topic], a["AlarmName"]
            assert a["ActionsEnabled"] and a["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert a["Threshold"] == 1 and a["TreatMissingData"] == "notBreaching"
        keys = {(a["Namespace"], a["MetricName"], tuple((d["Name"], d["Value"]) for d in a["Dimensions"])) for a in mine}
        expected = {("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", queue),))}
        for fn in functions_of(name).values():
            expected.add(("AWS/Lambda", "Errors", (("FunctionName", fn),)))
            expected.add((namespace, "ActionsFailed", ((dimension, fn),)))
        assert keys == expected, (name, keys ^ expected)


def test_dashboards(server, deployed):
    namespace, dimension, metrics = metrics_contract()
    for account, name, _ in DEPLOYMENTS:
        res = deployed[(account, name)]
        cw = client(server, "cloudwatch", account)
        dashboard = res["Dashboard"]["PhysicalResourceId"]
        assert dashboard.endswith(f"-{REGION}")  # dashboards are global: one per region
        body = json.loads(cw.get_dashboard(DashboardName=dashboard)["DashboardBody"])
        widgets = body["widgets"]
        for w in widgets:
            assert {"type", "x", "y", "width", "height", "properties"} <= set(w)
            assert w["x"] + w["width"] <= 24
            if w["type"] in ("metric", "log"):
                assert w["properties"]["region"] == REGION
        shown = set()
        for w in widgets:
            last = None
            for m in w["properties"].get("metrics", []):
                m = [x for x in m if not isinstance(x, dict)]
                m = [p if p != "." else q for p, q in zip(m, last or m)]
                last = m
                shown.add(tuple(m))
        if name == "state-table":
            assert any(m[0] == "AWS/DynamoDB" for m in shown)
            continue
        for fn in functions_of(name).values():
            for metric in metrics:
                assert (namespace, metric, dimension, fn) in shown, (name, fn, metric)
            assert ("AWS/Lambda", "Errors", "FunctionName", fn) in shown
        alarm_widgets = [w for w in widgets if w["type"] == "alarm"]
        existing = {a["AlarmArn"] for a in cw.describe_alarms()["MetricAlarms"]}
        listed = set(alarm_widgets[0]["properties"]["alarms"])
        assert listed and listed <= existing
        assert len(listed) == sum(1 for r in res.values() if r["ResourceType"] == "AWS::CloudWatch::Alarm")


def strings(node, key=None):
    """Every string value of a template, with the key it is under (descriptions excluded)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in ("Description", "AlarmDescription", "AssertDescription", "comment"):
                yield from strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v, key)
    elif isinstance(node, str):
        yield key, node


def test_templates_name_no_account_and_no_partition():
    """StackSet-ready: ARNs are built from AWS::Partition and AWS::AccountId, never literals."""
    for path in INFRA.glob("*.yaml"):
        for key, value in strings(cfn_yaml.load(str(path))):
            assert not re.search(r"(?<![\w-])\d{12}(?![\w-])", value), (path.name, key, value)
            for arn in re.findall(r"arn:(?:\$\{[^}]+\}|[^:\s\"']*):", value):
                assert arn == "arn:${AWS::Partition}:", (path.name, key, value)


# ---- StackSet: the printed commands, run against an organization in moto -----------------------

MANAGEMENT = "100000000001"


def cli_to_boto(argv):
    """(operation, kwargs) of an `aws cloudformation …` command as `make stackset-commands` prints it."""
    assert argv[:2] == ["aws", "cloudformation"], argv
    op = argv[2].replace("-", "_")
    kw, i = {}, 3
    while i < len(argv):
        opt = argv[i][2:]
        values = []
        i += 1
        while i < len(argv) and not argv[i].startswith("--"):
            values.append(argv[i])
            i += 1
        if opt == "template-body":
            kw["TemplateBody"] = (ROOT / values[0].removeprefix("file://")).read_text()
        elif opt == "parameters":
            params = []
            for v in values:
                key, value = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", v).groups()
                params.append({"ParameterKey": key, "ParameterValue": value.replace("\\,", ",")})
            kw["Parameters"] = params
        elif opt == "auto-deployment":
            d = dict(p.split("=") for p in values[0].split(","))
            kw["AutoDeployment"] = {k: v == "true" for k, v in d.items()}
        elif opt == "deployment-targets":
            k, v = values[0].split("=")
            kw["DeploymentTargets"] = {k: v.split(",")}
        elif opt == "operation-preferences":
            d = dict(p.split("=") for p in values[0].split(","))
            kw["OperationPreferences"] = {k: (int(v) if v.isdigit() else v) for k, v in d.items()}
        elif opt in ("regions", "capabilities"):
            kw[opt.capitalize()] = values
        else:
            name = "".join(p.capitalize() for p in opt.split("-"))
            kw[name] = values[0]
    return op, kw


def test_stackset_commands_deploy_to_every_account_of_the_ou(server):
    regions = ["us-east-1", "eu-west-1"]
    org = client(server, "organizations", MANAGEMENT)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="data")["OrganizationalUnit"]["Id"]
    members = []
    for i in range(2):
        acct = org.create_account(Email=f"data{i}@example.com", AccountName=f"data{i}")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
        members.append(acct)
    # The artifacts, one bucket per region, in the management account.
    s3 = client(server, "s3", MANAGEMENT)
    for region in regions:
        s3.create_bucket(Bucket=f"lw-artifacts-{region}", **({} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}))
        for fn in FUNCTIONS:
            s3.put_object(Bucket=f"lw-artifacts-{region}", Key=f"lakewarden/{fn}.zip", Body=zip_bytes())
    # Each account's own configuration, as its baseline would write it.
    for acct in members:
        for region in regions:
            client(server, "ssm", acct, region).put_parameter(
                Name="/lakewarden/config", Type="String",
                Value=f"consumer:\n  trusted_producers: [\"{SRC}\"]\n  links:\n    - producer: \"{SRC}\"\n"
                      f"      database: cur_org\n      roles: [\"arn:aws:iam::{acct}:role/glue-job\"]\n")
    out = subprocess.run(["make", "-s", "--no-print-directory", "stackset-commands", f"OU={ou}",
                          f"REGIONS={' '.join(regions)}", "CODE_BUCKET=lw-artifacts", "ALERT_EMAIL=ops@example.com",
                          "CONSUMER_ROLE_NAMES=glue-job,analyst-*", "TARGET_ROLES=zetl-target,zetl-backfill"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    commands = [shlex.split(line) for line in out.splitlines() if line.strip()]
    assert [c[2] for c in commands] == ["create-stack-set", "create-stack-instances"] * 2
    cfn = client(server, "cloudformation", MANAGEMENT)
    for argv in commands:
        op, kw = cli_to_boto(argv)
        if op == "create_stack_set":
            assert kw["PermissionModel"] == "SERVICE_MANAGED"
            assert kw["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
        kw.pop("CallAs")  # SELF: the management account itself
        getattr(cfn, op)(**kw)
    for name in ("consumer", "integrations"):
        instances = cfn.list_stack_instances(StackSetName=f"lakewarden-{name}")["Summaries"]
        assert sorted((i["Account"], i["Region"]) for i in instances) == sorted(
            (a, r) for a in members for r in regions)
    for acct in members:
        for region in regions:
            lam = client(server, "lambda", acct, region)
            for fn in ("share-linker", "integration-monitor", "integration-doctor"):
                cfg = lam.get_function(FunctionName=fn)["Configuration"]
                assert cfg["Environment"]["Variables"]["LAKEWARDEN_CONFIG"] == "ssm:/lakewarden/config"
                assert cfg["Architectures"] == ["arm64"]
                assert cfg["FunctionArn"].startswith(f"arn:aws:lambda:{region}:{acct}:")
                _, statements = role_statements(server, acct, cfg["Role"])
                by_action = {}
                for s in statements:
                    for a in as_list(s["Action"]):
                        by_action.setdefault(a, set()).update(as_list(s["Resource"]))
                assert by_action["ssm:GetParameter"] == {f"arn:aws:ssm:{region}:{acct}:parameter/lakewarden/config"}
                if fn == "share-linker":
                    assert by_action["iam:PutRolePolicy"] == {f"arn:aws:iam::{acct}:role/glue-job",
                                                              f"arn:aws:iam::{acct}:role/analyst-*"}
                if fn == "integration-doctor":
                    # Every name of the list (the template used to prefix only the first one).
                    assert {f"arn:aws:iam::{acct}:role/zetl-target", f"arn:aws:iam::{acct}:role/zetl-backfill"} <= by_action["iam:PutRolePolicy"]
                    assert all(r.startswith(f"arn:aws:iam::{acct}:role/") for r in by_action["iam:PutRolePolicy"])
            # No configuration parameter of the stack's own: the account's is used.
            with pytest.raises(Exception):
                client(server, "ssm", acct, region).get_parameter(Name="/lakewarden/share-linker/config")
            cw = client(server, "cloudwatch", acct, region)
            names = {a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]}
            assert {"lakewarden-share-linker-errors", "lakewarden-integration-doctor-actions-failed"} <= names
            assert cw.get_dashboard(DashboardName=f"lakewarden-share-linker-{region}")


# ---- least privilege (issue 11 §6) -------------------------------------------------------------

def statements_by_sid(server, deployed, account, name, fn):
    lam = client(server, "lambda", account)
    _, statements = role_statements(server, account, lam.get_function(FunctionName=fn)["Configuration"]["Role"])
    return {s.get("Sid"): s for s in statements}


def test_catalog_sharer_writes_only_the_configured_buckets_policies(server, deployed):
    params = dict(next(p for a, n, p in DEPLOYMENTS if (a, n) == (SRC, "producer")))
    wanted = {f"arn:aws:s3:::{b}" for b in params["SharedBucketNames"].split(",")}
    by_sid = statements_by_sid(server, deployed, SRC, "producer", "catalog-sharer")
    s = by_sid["BucketPolicies"]
    assert set(as_list(s["Action"])) == {"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}
    assert set(as_list(s["Resource"])) == wanted  # the list padded with its first name
    assert s["Condition"] == {"StringEquals": {"s3:ResourceAccount": SRC}}
    # No other statement of the role touches a bucket policy.
    others = [x for sid, x in by_sid.items() if sid != "BucketPolicies"
              and any(a.startswith("s3:") for a in as_list(x["Action"]))]
    assert others == []


def test_catalog_sharer_without_buckets_may_write_no_bucket_policy():
    t = template("producer")
    statements = t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    conditional = {s["Fn::If"][0]: s["Fn::If"] for s in statements if isinstance(s, dict) and "Fn::If" in s}
    assert conditional["HasSharedBuckets"][1]["Sid"] == "BucketPolicies"
    assert conditional["HasSharedBuckets"][2] == {"Ref": "AWS::NoValue"}
    assert t["Parameters"]["SharedBucketNames"]["Default"] == ""
    # Every other statement that touches S3 would be unconditional: there is none.
    assert not [s for s in statements if isinstance(s, dict) and "Action" in s
                and any(a.startswith("s3:") for a in as_list(s["Action"]))]


def test_lf_settings_repair_is_granted_only_when_asked_for():
    """lakeformation:PutDataLakeSettings can make anyone a data lake administrator: only with the
    parameter AllowLfSettingsRepair=true (for fix_lf_settings: true), in every template that has it."""
    for name in ("producer", "consumer", "datazone", "integrations"):
        t = template(name)
        assert t["Parameters"]["AllowLfSettingsRepair"]["Default"] == "false", name
        for r in t["Resources"].values():
            if r["Type"] != "AWS::IAM::Role":
                continue
            for s in r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
                if isinstance(s, dict) and "Fn::If" in s:
                    cond, yes, no = s["Fn::If"]
                    if "lakeformation:PutDataLakeSettings" in as_list(yes.get("Action", [])):
                        assert cond == "RepairLfSettings" and no == {"Ref": "AWS::NoValue"}, name
                elif "lakeformation:PutDataLakeSettings" in as_list(s.get("Action", [])):
                    raise AssertionError(f"{name}: PutDataLakeSettings granted unconditionally")


def test_datazone_subscriber_sets_only_lakewardens_boundary_copies(server, deployed):
    by_sid = statements_by_sid(server, deployed, SRC, "datazone", "datazone-subscriber")
    boundary = [s for s in by_sid.values() if "iam:PutRolePermissionsBoundary" in as_list(s["Action"])]
    assert len(boundary) == 1 and as_list(boundary[0]["Action"]) == ["iam:PutRolePermissionsBoundary"]
    assert boundary[0]["Condition"] == {
        "ArnLike": {"iam:PermissionsBoundary": f"arn:aws:iam::{SRC}:policy/lakewarden-boundary-*"}}
    # The copies themselves are lakewarden's by name.
    copies = by_sid["BoundaryCopies"]
    assert as_list(copies["Resource"]) == [f"arn:aws:iam::{SRC}:policy/lakewarden-boundary-*"]
    # No role may be created, and no boundary deleted.
    actions = {a for s in by_sid.values() for a in as_list(s["Action"])}
    assert not actions & {"iam:CreateRole", "iam:DeleteRolePermissionsBoundary", "iam:PassRole"}


# ---- Lambda timeouts and the deadline margin (issue 12 §3) -------------------------------------

def timeout_contract():
    """(deadline margin cap, SDK connect, attempt and operation timeouts) in seconds, read from
    the code (crates/lakewarden/src/runtime.rs and aws/mod.rs), so the rule follows it."""
    runtime = (ROOT / "crates/lakewarden/src/runtime.rs").read_text()
    margin = int(re.search(r"DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs\((\d+)\)", runtime).group(1))
    assert "DEADLINE_MARGIN.min(budget / 5)" in runtime  # margin = min(cap, budget / 5)
    aws = (ROOT / "crates/lakewarden/src/aws/mod.rs").read_text()
    t = {k: int(re.search(rf"\.{k}\(Duration::from_secs\((\d+)\)\)", aws).group(1))
         for k in ("connect_timeout", "operation_attempt_timeout", "operation_timeout")}
    return margin, t["connect_timeout"], t["operation_attempt_timeout"], t["operation_timeout"]


def test_every_lambda_timeout_fits_the_deadline_margin_and_the_sdk_timeouts():
    """The rule (README, "Deadlines and timeouts"): with Timeout T, the run stops starting writes
    when min(20 s, T/5) is left. T must be at least 5 × 20 s = 100 s, so that the margin is its
    full 20 s, which is at least one SDK attempt (20 s): a write started just before the margin
    ends, or times out, before Lambda's deadline. One whole SDK operation (60 s, all retries) must
    also fit in what is left before the margin (T − 20 s ≥ 60 s), so a single slow read cannot eat
    the run. And T ≤ 900 s, Lambda's maximum. A queue feeding a function hides each message
    for at least T (Lambda refuses an event source mapping otherwise)."""
    margin_cap, connect, attempt, operation = timeout_contract()
    assert connect <= attempt <= operation
    floor = max(5 * margin_cap, margin_cap + operation)
    assert margin_cap >= attempt, "the margin must cover one SDK attempt"
    seen = 0
    for path in INFRA.glob("*.yaml"):
        t = cfn_yaml.load(str(path))
        resources = t["Resources"]
        for lid, r in resources.items():
            if r["Type"] != "AWS::Lambda::Function":
                continue
            seen += 1
            timeout = r["Properties"]["Timeout"]
            assert isinstance(timeout, int), (path.name, lid, "Timeout must be a literal")
            assert floor <= timeout <= 900, (path.name, lid, timeout, floor)
            margin = min(margin_cap, timeout / 5)
            assert margin >= attempt and timeout - margin >= operation, (path.name, lid, timeout)
        for lid, r in resources.items():
            if r["Type"] != "AWS::Lambda::EventSourceMapping":
                continue
            fn = r["Properties"]["FunctionName"]
            fn_id = fn.get("Ref") or fn.get("Fn::GetAtt", [None])[0]
            source = r["Properties"]["EventSourceArn"]
            queue_id = source["Fn::GetAtt"][0] if isinstance(source, dict) and "Fn::GetAtt" in source else None
            if queue_id and resources[queue_id]["Type"] == "AWS::SQS::Queue":
                visibility = resources[queue_id]["Properties"].get("VisibilityTimeout", 30)
                assert visibility >= resources[fn_id]["Properties"]["Timeout"], (path.name, queue_id, visibility)
    assert seen == len(FUNCTIONS)


# ---- concurrency (issue 12 §2) ------------------------------------------------------------------

def test_only_datazone_subscriber_is_serialised(server, deployed):
    """README "Concurrency": datazone-subscriber reserves a concurrency of 1 (IAM inline policies
    have no conditional write, and DataZone events are few); every other function runs
    unreserved (conditional writes, read-backs and the scheduled reconcile cover its races)."""
    for account, name, _ in DEPLOYMENTS:
        lam = client(server, "lambda", account)
        for fn in functions_of(name).values():
            reserved = lam.get_function_concurrency(FunctionName=fn).get("ReservedConcurrentExecutions")
            assert reserved == (1 if fn == "datazone-subscriber" else None), (fn, reserved)
