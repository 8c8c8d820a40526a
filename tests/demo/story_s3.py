"""S3: the seed's DynamoDB table exported to a bucket in another account (table-exporter on both
sides): the destination keeps the bucket statement for the source account, the source checks PITR
and exports naming S3BucketOwner, once per schedule time, and records the completion."""
import gzip
import json
import time

from demo_lib import CONSUMER, EVENTS, PRODUCER, ROOT, Account, Lambdas, config_of, print_report, say

TABLE = "cm-kasama-test-transactions"
BUCKET = "dynamodb-export-bucket"  # the seed's bucket, owned by 222222222222


def ensure_table(src):
    """The seed's table (and the state table) in 111111111111; reused when another story made them."""
    ddb = src.client("dynamodb")
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "transaction_id", "AttributeType": "S"},
                                               {"AttributeName": "timestamp", "AttributeType": "N"}],
                         KeySchema=[{"AttributeName": "transaction_id", "KeyType": "HASH"},
                                    {"AttributeName": "timestamp", "KeyType": "RANGE"}])
        for i, (amount, kind) in enumerate([("1200", "purchase"), ("560", "refund"), ("89", "purchase")], 1):
            ddb.put_item(TableName=TABLE, Item={"transaction_id": {"S": f"t-00{i}"},
                                                "timestamp": {"N": str(1732400000 + i)},
                                                "amount": {"N": amount}, "type": {"S": kind}})
    if "lakewarden-state" not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName="lakewarden-state", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


def ensure_bucket(dst):
    s3 = dst.client("s3")
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)


def next_day_event():
    """The schedule's next delivery (a day later): a new schedule time, so a new export."""
    event = json.loads((EVENTS / "scheduled.json").read_text())
    event["id"] = "4c7d3f0e-2b61-4f39-9d0a-7f2e8e5d1c42"
    event["time"] = "2026-11-25T10:00:00Z"
    path = ROOT / "target/demo-scheduled-next-day.json"
    path.write_text(json.dumps(event, indent=2))
    return path


def wait_for_objects(s3, count):
    objs = []
    for _ in range(50):
        objs = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        if len(objs) >= count:
            break
        time.sleep(0.2)
    return objs


def show_exports(src):
    ddb = src.client("dynamodb")
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    for e in ddb.list_exports(TableArn=arn)["ExportSummaries"]:
        d = ddb.describe_export(ExportArn=e["ExportArn"])["ExportDescription"]
        print(f"  {d['ExportArn']}\n    {d['ExportStatus']} s3://{d['S3Bucket']}/{d['S3Prefix']} "
              f"S3BucketOwner={d.get('S3BucketOwner')} ClientToken={d.get('ClientToken')}")


def run(moto):
    say(f"S3: table {TABLE} (111111111111) exported to s3://{BUCKET} of 222222222222")
    src, dst = Account(moto, PRODUCER), Account(moto, CONSUMER)
    ensure_table(src)
    src.client("sns").create_topic(Name="lakewarden-alerts")
    dst.client("sns").create_topic(Name="lakewarden-alerts")
    ensure_bucket(dst)
    lam_dst = Lambdas(dst, config_of(CONSUMER))
    try:
        say("table-exporter in 222222222222 ← schedule: the bucket statement for the source account")
        print_report(*lam_dst.invoke("table-exporter", EVENTS / "scheduled.json"))
    finally:
        lam_dst.stop()
    print(json.dumps(json.loads(dst.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"]), indent=2))
    lam_src = Lambdas(src, config_of(PRODUCER))
    try:
        say("table-exporter in 111111111111 ← schedule: PITR checked (fix_pitr), export started with S3BucketOwner")
        print_report(*lam_src.invoke("table-exporter", EVENTS / "scheduled.json"))
        say("the same schedule delivered again: no second export (a completion is recorded)")
        print_report(*lam_src.invoke("table-exporter", EVENTS / "scheduled.json"))
        wait_for_objects(dst.client("s3"), 1)
        say("the next day's schedule: a new schedule time, a new export")
        print_report(*lam_src.invoke("table-exporter", next_day_event()))
    finally:
        lam_src.stop()
    say("exports of the table (DescribeExport)")
    show_exports(src)
    objs = wait_for_objects(dst.client("s3"), 2)
    say(f"objects in s3://{BUCKET} (account 222222222222)")
    for o in objs:
        print(f"  {o['Key']}  ({o['Size']} bytes)")
    if objs:
        body = dst.client("s3").get_object(Bucket=BUCKET, Key=objs[0]["Key"])["Body"].read()
        say(f"{objs[0]['Key'].split('/AWSDynamoDB/')[0]}/…: the items, as DynamoDB JSON")
        for line in gzip.decompress(body).decode().splitlines():
            print(f"  {line}")
