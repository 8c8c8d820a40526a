"""Shared pieces of the demo: moto, accounts, `cargo lambda watch`/`invoke`, printing."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config as BotoConfig

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
PRODUCER = "111111111111"
CONSUMER = "222222222222"
DEMO = ROOT / "tests/demo"


def config_of(account_id):
    """The embedded default configuration of a demo account."""
    return DEMO / f"account-{account_id}.yaml"
EVENTS = ROOT / "tests/events"


def say(title):
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "tests/moto_ext"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lakewarden_moto", "--host", "127.0.0.1", "--port", "0",
             "--exit-on-stdin-eof", "--managed-policies"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        for line in self.proc.stdout:
            if line.startswith("LAKEWARDEN_MOTO_READY "):
                self.endpoint = line.split()[1]
                break
        else:
            raise SystemExit("moto did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Account:
    """boto3 clients acting in one moto account (STS AssumeRole)."""

    def __init__(self, moto, account_id):
        self.id = account_id
        self.endpoint = moto.endpoint
        sts = boto3.client("sts", endpoint_url=moto.endpoint, region_name=REGION,
                           aws_access_key_id="test", aws_secret_access_key="test")
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/lakewarden",
                            RoleSessionName="demo")["Credentials"]
        self.creds = {"aws_access_key_id": c["AccessKeyId"],
                      "aws_secret_access_key": c["SecretAccessKey"],
                      "aws_session_token": c["SessionToken"]}

    def client(self, name):
        return boto3.client(name, endpoint_url=self.endpoint, region_name=REGION,
                            config=BotoConfig(retries={"max_attempts": 1}), **self.creds)

    def env(self):
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": self.creds["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": self.creds["aws_secret_access_key"],
                "AWS_SESSION_TOKEN": self.creds["aws_session_token"]}


class Lambdas:
    """`cargo lambda watch` for one account: every function of the workspace, on one port."""

    def __init__(self, account, config_path, port=None):
        self.port = port or free_port()
        env = dict(os.environ, **account.env(), LAKEWARDEN_CONFIG=str(config_path),
                   RUST_LOG="warn", AWS_MAX_ATTEMPTS="2")
        self.log = open(ROOT / f"target/demo-watch-{account.id}.log", "w")
        self.proc = subprocess.Popen(
            ["cargo", "lambda", "watch", "-P", str(self.port), "-A", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.3)
        raise SystemExit(f"cargo lambda watch did not start; see {self.log.name}")

    def invoke(self, function, event_file):
        out = subprocess.run(
            ["cargo", "lambda", "invoke", function, "-P", str(self.port), "--invoke-address", "127.0.0.1",
             "--data-file", str(event_file), "--output-format", "json"],
            cwd=ROOT, capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            return None, (out.stderr or out.stdout).strip()
        return json.loads(out.stdout), None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def print_report(report, err=None):
    if err:
        print(f"invocation returned an error:\n  {err[:2000]}")
        return
    counts = {}
    for a in report["actions"]:
        counts[a["outcome"]] = counts.get(a["outcome"], 0) + 1
    print(f"function={report['function']} dry_run={report['dry_run']} writes={report['writes']} "
          f"outcomes={counts} api_calls={report['api_calls']}")
    width = max([len(a["action"]) for a in report["actions"]] + [6])
    for a in report["actions"]:
        line = f"  {a['outcome']:<8} {a['action']:<{width}} {a['target']}"
        if a.get("error"):
            line += f"\n           error: {a['error']}"
        print(line)
    for n in report.get("notes", []):
        print(f"  note: {json.dumps(n)}")


def deploy_data_lake_admin(account, role_name="lakewarden"):
    """What each template's `DataLakeAdmin` resource does (infra/*.yaml): an
    AWS::LakeFormation::DataLakeSettings stack with MutationType APPEND making the function's role a
    data lake administrator, keeping the other administrators and settings."""
    cfn = account.client("cloudformation")
    name = "lakewarden-data-lake-admin"
    if any(s["StackName"] == name for s in cfn.list_stacks()["StackSummaries"]
           if s["StackStatus"] != "DELETE_COMPLETE"):
        return
    cfn.create_stack(StackName=name, TemplateBody=json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"DataLakeAdmin": {"Type": "AWS::LakeFormation::DataLakeSettings", "Properties": {
            "MutationType": "APPEND",
            "Admins": [{"DataLakePrincipalIdentifier": f"arn:aws:iam::{account.id}:role/{role_name}"}]}}}}))


def prepare_lake_formation(account):
    """An account whose platform team already switched Lake Formation on: no IAM_ALLOWED_PRINCIPALS
    default permissions, cross-account version 4 (read-modify-write: the administrators stay)."""
    lf = account.client("lakeformation")
    s = lf.get_data_lake_settings()["DataLakeSettings"]
    s["CreateDatabaseDefaultPermissions"] = []
    s["CreateTableDefaultPermissions"] = []
    s["Parameters"] = dict(s.get("Parameters") or {}, CROSS_ACCOUNT_VERSION="4")
    lf.put_data_lake_settings(DataLakeSettings=s)
    deploy_data_lake_admin(account)


def print_lf_settings(account):
    s = account.client("lakeformation").get_data_lake_settings()["DataLakeSettings"]
    admins = [a["DataLakePrincipalIdentifier"] for a in s.get("DataLakeAdmins", [])]
    defaults = [p["Principal"]["DataLakePrincipalIdentifier"]
                for p in s.get("CreateDatabaseDefaultPermissions", []) + s.get("CreateTableDefaultPermissions", [])]
    print(f"  DataLakeAdmins:            {admins}")
    print(f"  default permissions to:    {defaults or 'nobody (Lake Formation permissions in effect)'}")
    print(f"  Parameters:                {s.get('Parameters')}")


def ensure_state_table(account):
    """lakewarden's state table (infra/state-table.yaml): catalog-sharer and share-linker keep their
    ledger there, table-exporter and the integration functions their last states."""
    ddb = account.client("dynamodb")
    if "lakewarden-state" not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName="lakewarden-state", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
