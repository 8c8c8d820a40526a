"""`make demo`: lakewarden's scenarios end to end on moto, through `cargo lambda`.

Starts the project's moto (tests/moto_ext), creates the demo accounts and their resources with
boto3, runs each function with `cargo lambda watch` (credentials of the account it is deployed
in, AWS_ENDPOINT_URL pointing at moto) and `cargo lambda invoke` with the fixtures in
tests/events/, and prints what changed. `--invoke FUNCTION --event FILE` does the setup and sends
one event, for trying fixtures by hand.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config as BotoConfig

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
PRODUCER = "111111111111"
CONSUMER = "222222222222"
CONFIG = ROOT / "tests/demo/lakewarden.yaml"
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
            ["cargo", "lambda", "watch", "--only-lambda-apis", "-P", str(self.port), "-a", "127.0.0.1"],
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
            ["cargo", "lambda", "invoke", function, "-P", str(self.port), "-A", "127.0.0.1",
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


# ---------------------------------------------------------------------------------------------
# S2, producer side: catalog-sharer


def setup_producer(p):
    s3, glue, sns = p.client("s3"), p.client("glue"), p.client("sns")
    bucket = f"cur-data-{p.id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    sns.create_topic(Name="lakewarden-alerts")
    glue.create_database(DatabaseInput={"Name": "cur_org", "LocationUri": f"s3://{bucket}/cur/"})
    for t in ["legacy_all", "daily", "monthly"]:
        s3.put_object(Bucket=bucket, Key=f"cur/{t}/part-0000.parquet", Body=b"PAR1demoPAR1")
        glue.create_table(DatabaseName="cur_org", TableInput={
            "Name": t, "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Location": f"s3://{bucket}/cur/{t}/",
                "Columns": [{"Name": "line_item_id", "Type": "string"},
                            {"Name": "cost", "Type": "double"}],
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary":
                              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
    return bucket


def print_grants(p, database):
    lf = p.client("lakeformation")
    perms = lf.list_permissions(CatalogId=p.id)["PrincipalResourcePermissions"]
    rows = []
    for x in perms:
        r = x["Resource"]
        if "Database" in r:
            res = f"database {r['Database']['Name']}"
        elif "Table" in r:
            res = f"table {r['Table']['DatabaseName']}.{r['Table'].get('Name', '*')}"
        else:
            res = json.dumps(r)
        if database not in res:
            continue
        rows.append((x["Principal"]["DataLakePrincipalIdentifier"], res,
                     ",".join(sorted(x.get("Permissions", []))),
                     ",".join(sorted(x.get("PermissionsWithGrantOption", [])))))
    rows.sort()
    print(f"  {'principal':<62} {'resource':<28} {'permissions':<16} grantable")
    for r in rows:
        print(f"  {r[0]:<62} {r[1]:<28} {r[2]:<16} {r[3]}")


def story_s2_producer(moto):
    say("S2 producer: account 111111111111 owns cur_org (3 Parquet tables on S3)")
    p = Account(moto, PRODUCER)
    bucket = setup_producer(p)
    lam = Lambdas(p, CONFIG)
    try:
        say("catalog-sharer ← Glue 'CreateTable' event (tests/events/glue-create-table.json)")
        print_report(*lam.invoke("catalog-sharer", EVENTS / "glue-create-table.json"))
        say("catalog-sharer ← scheduled reconcile (tests/events/scheduled.json)")
        print_report(*lam.invoke("catalog-sharer", EVENTS / "scheduled.json"))
        say("catalog-sharer ← the same CreateTable event again: nothing to write")
        print_report(*lam.invoke("catalog-sharer", EVENTS / "glue-create-table.json"))
    finally:
        lam.stop()
    say("Lake Formation grants in the producer catalog")
    print_grants(p, "cur_org")
    say(f"Bucket policy of {bucket} (the DenyInsecureTransport statement was there before)")
    print(json.dumps(json.loads(p.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]), indent=2))
    say("Registered data locations")
    for r in p.client("lakeformation").list_resources()["ResourceInfoList"]:
        print(f"  {r['ResourceArn']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--invoke", help="function to invoke once (after the demo setup)")
    ap.add_argument("--event", help="event file for --invoke")
    ap.add_argument("--port", type=int, default=None)
    args = ap.parse_args()
    os.makedirs(ROOT / "target", exist_ok=True)
    moto = Moto()
    print(f"moto (with lakewarden's extensions) at {moto.endpoint}")
    try:
        if args.invoke:
            p = Account(moto, PRODUCER)
            setup_producer(p)
            lam = Lambdas(p, CONFIG, args.port)
            try:
                print(f"cargo lambda watch on port {lam.port}; invoking {args.invoke} with {args.event}")
                print_report(*lam.invoke(args.invoke, ROOT / args.event))
            finally:
                lam.stop()
            return
        story_s2_producer(moto)
        say("done")
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
