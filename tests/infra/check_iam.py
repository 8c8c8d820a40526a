"""`make test-iam`: hold each template's execution role against the AWS operations its function
really called across the integration tests.

`cargo test` (tests/src/lib.rs) appends every invocation report's `function` and
`api_operations` ("service.Operation" -> count) to target/api-operations/<pid>.jsonl. This script
reads them after the run and, per function:

1. maps each called operation to the IAM action(s) it needs (iam-check.yaml `operations`: most
   are `<prefix>:<Operation>`; the exceptions are listed there with the AWS page that says so),
   and fails when the template's role does not allow one of them (inline statements, both
   branches of every Fn::If, and the AWS managed policies the role attaches);
2. fails when the role allows an action (inline statements) that no report shows the function
   calling, unless iam-check.yaml `unused` names the action with a reason, or the action comes
   from an attached AWS managed policy (iam-check.yaml `managed_policies`);
3. fails when an `unused` entry names an action the role no longer allows, and notes (without
   failing: whether a test reaches a rare path, e.g. deleting a bucket policy's last statement,
   may depend on the order of parallel tests) an entry whose action the reports now show called.

Resources and conditions are not compared here: tests/infra/test_templates.py checks the
statements' resources, and each Condition is written next to its statement.

Usage: python tests/infra/check_iam.py [--records DIR] [--infra DIR]
"""
import argparse
import fnmatch
import json
import sys
from pathlib import Path

import yaml
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).with_name("iam-check.yaml")


def load_spec(path=SPEC):
    return yaml.safe_load(path.read_text())


def flatten_if(node):
    """The values of a template node with every Fn::If expanded into both of its branches
    (AWS::NoValue dropped): a role allows what either branch allows."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        _, yes, no = node["Fn::If"]
        return flatten_if(yes) + flatten_if(no)
    if isinstance(node, dict) and node == {"Ref": "AWS::NoValue"}:
        return []
    return [node]


def as_list(v):
    return v if isinstance(v, list) else [v]


def managed_policy_name(arn):
    """`AWSLakeFormationCrossAccountManager` of !Sub arn:${AWS::Partition}:iam::aws:policy/…"""
    if isinstance(arn, dict) and "Fn::Sub" in arn:
        arn = arn["Fn::Sub"]
    if not isinstance(arn, str) or ":iam::aws:policy/" not in arn:
        raise ValueError(f"not an AWS managed policy ARN: {arn!r}")
    return arn.rsplit("/", 1)[1]


def role_of(template, function_name):
    """(role logical id, role resource) of the Lambda function named `function_name`."""
    for r in template["Resources"].values():
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["FunctionName"] == function_name:
            role = r["Properties"]["Role"]
            lid = role["Fn::GetAtt"][0] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"].split(".")[0]
            return lid, template["Resources"][lid]
    return None, None


def templates(infra):
    return {p.stem: cfn_yaml.load(str(p)) for p in sorted(infra.glob("*.yaml"))}


def functions_in(tmpls):
    """{function name: template name}."""
    out = {}
    for name, t in tmpls.items():
        for r in t["Resources"].values():
            if r["Type"] == "AWS::Lambda::Function":
                out[r["Properties"]["FunctionName"]] = name
    return out


def role_permissions(role):
    """(inline Allow actions, attached AWS managed policy names) of a role resource."""
    inline = set()
    for policy in as_list(role["Properties"].get("Policies", [])):
        for p in flatten_if(policy):
            for s in as_list(p["PolicyDocument"]["Statement"]):
                for stmt in flatten_if(s):
                    if stmt.get("Effect") != "Allow":
                        continue
                    for a in as_list(stmt.get("Action", [])):
                        inline.update(x for x in flatten_if(a) if isinstance(x, str))
    managed = set()
    for arn in as_list(role["Properties"].get("ManagedPolicyArns", [])):
        for a in flatten_if(arn):
            managed.add(managed_policy_name(a))
    return inline, managed


def actions_for(operation, spec):
    """IAM actions an SDK operation ("service.Operation") needs: iam-check.yaml `operations`,
    else `<prefix>:<Operation>` with the service's IAM prefix (`service_prefixes`)."""
    special = spec.get("operations", {})
    if operation in special:
        return list(special[operation]["actions"])
    service, op = operation.split(".", 1)
    prefix = spec.get("service_prefixes", {}).get(service, service)
    return [f"{prefix}:{op}"]


def allowed(action, patterns):
    """Whether an IAM action matches one of the Allow patterns (IAM: case-insensitive, * and ?)."""
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def read_records(records_dir):
    """{function: {operation: calls}} summed over every record file."""
    out = {}
    files = sorted(Path(records_dir).glob("*.jsonl"))
    for f in files:
        for line in f.read_text().splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            ops = out.setdefault(r["function"], {})
            for op, n in r["api_operations"].items():
                ops[op] = ops.get(op, 0) + n
    return out, files


def check(called, tmpls, spec, notes=None):
    """Problems (strings) of every function's role against what it called; empty when clean.
    Entries of `unused` whose action was called after all go to `notes` (a list) if given."""
    problems = []
    notes = [] if notes is None else notes
    where = functions_in(tmpls)
    unused_spec = spec.get("unused", {})
    common = unused_spec.get("every function", {})
    for fn in sorted(set(where) | set(called)):
        if fn not in where:
            problems.append(f"{fn}: called AWS in the tests but no template deploys it")
            continue
        lid, role = role_of(tmpls[where[fn]], fn)
        inline, managed = role_permissions(role)
        managed_actions = set()
        for m in managed:
            if m not in spec.get("managed_policies", {}):
                problems.append(f"{fn}: role {lid} attaches {m}, whose actions iam-check.yaml does not list")
                continue
            managed_actions.update(spec["managed_policies"][m]["actions"])
        patterns = inline | managed_actions
        needed = {}
        for op in called.get(fn, {}):
            if op in spec.get("no_permission", {}):
                continue
            for a in actions_for(op, spec):
                needed.setdefault(a, set()).add(op)
        for a, ops in sorted(needed.items()):
            if not allowed(a, patterns):
                problems.append(f"{fn}: calls {', '.join(sorted(ops))} but {where[fn]}.yaml ({lid}) does not allow {a}")
        exceptions = {**common, **unused_spec.get(fn, {})}
        for a in sorted(inline):
            if "*" in a:
                problems.append(f"{fn}: {where[fn]}.yaml ({lid}) allows the wildcard action {a}")
                continue
            if a in needed or any(allowed(n, [a]) for n in needed):
                continue
            if a in exceptions:
                continue
            problems.append(
                f"{fn}: {where[fn]}.yaml ({lid}) allows {a}, which no integration test saw it call; "
                f"remove it, or name why it stays in tests/infra/iam-check.yaml `unused`")
        for a in sorted(unused_spec.get(fn, {})):
            if a not in inline:
                problems.append(f"{fn}: iam-check.yaml `unused` names {a}, which {where[fn]}.yaml no longer allows")
            elif a in needed:
                notes.append(f"{fn}: iam-check.yaml `unused` names {a}, which the tests saw it call: the entry may go")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", default=str(ROOT / "target/api-operations"))
    ap.add_argument("--infra", default=str(ROOT / "infra"))
    args = ap.parse_args(argv)
    called, files = read_records(args.records)
    if not files:
        print(f"no records in {args.records}: run `make test-rust` (cargo test) first", file=sys.stderr)
        return 2
    spec = load_spec()
    tmpls = templates(Path(args.infra))
    notes = []
    problems = check(called, tmpls, spec, notes)
    where = functions_in(tmpls)
    print(f"{len(files)} record file(s); operations called per function:")
    for fn in sorted(where):
        print(f"  {fn:22} {len(called.get(fn, {})):3} operations  ({where[fn]}.yaml)")
    for n in notes:
        print("NOTE", n)
    for p in problems:
        print("FAIL", p)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("every role allows exactly what its function calls, plus the documented exceptions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
