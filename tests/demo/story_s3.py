"""S3: a DynamoDB table exported to a bucket in another account (table-exporter on both sides)."""
import json
import time

from demo_lib import CONSUMER, EVENTS, PRODUCER, Account, Lambdas, config_of, print_report, say

TABLE = "cm-kasama-test-transactions"
BUCKET = f"dynamodb-export-bucket-{CONSUMER}"


def ensure_table(src):
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


def run(moto):
    say("S3: table cm-kasama-test-transactions (111111111111) exported to a bucket of 222222222222")
    src, dst = Account(moto, PRODUCER), Account(moto, CONSUMER)
    ensure_table(src)
    dst.client("s3").create_bucket(Bucket=BUCKET)
    lam_dst = Lambdas(dst, config_of(CONSUMER))
    try:
        say("table-exporter in 222222222222 ← schedule: the bucket policy for the source account")
        print_report(*lam_dst.invoke("table-exporter", EVENTS / "scheduled.json"))
    finally:
        lam_dst.stop()
    print(json.dumps(json.loads(dst.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"]), indent=2))
    lam_src = Lambdas(src, config_of(PRODUCER))
    try:
        say("table-exporter in 111111111111 ← schedule: PITR checked (fix_pitr), export started with S3BucketOwner")
        print_report(*lam_src.invoke("table-exporter", EVENTS / "scheduled.json"))
        say("the same schedule delivered again: no second export")
        print_report(*lam_src.invoke("table-exporter", EVENTS / "scheduled.json"))
    finally:
        lam_src.stop()
    for _ in range(50):
        objs = dst.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
        if objs:
            break
        time.sleep(0.2)
    say(f"Objects in s3://{BUCKET} (account 222222222222)")
    for o in objs:
        print(f"  {o['Key']}  ({o['Size']} bytes)")
