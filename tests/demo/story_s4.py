"""S4: a DataZone environment and a subscription over an existing S3 bucket (datazone-subscriber)."""
import json
import urllib.request

from demo_lib import EVENTS, Account, Lambdas, config_of, print_report, say
from story_s1 import alerts

DZ_ACCOUNT = "333333333333"
BUCKET = f"sales-raw-{DZ_ACCOUNT}"
BOUNDARY = "arn:aws:iam::aws:policy/AmazonDataZoneEnvironmentRolePermissionsBoundary"


def dz_put(moto, kind, item):
    req = urllib.request.Request(moto.endpoint + "/lakewarden-test/datazone/put", method="POST",
                                 data=json.dumps({"kind": kind, "item": item}).encode())
    urllib.request.urlopen(req)


def run(moto):
    say("S4: DataZone domain dzd_abc123, environment env_consumer in 333333333333, bucket sales-raw (order/)")
    a = Account(moto, DZ_ACCOUNT)
    a.client("sns").create_topic(Name="lakewarden-alerts")
    a.client("s3").create_bucket(Bucket=BUCKET)
    glue = a.client("glue")
    glue.create_database(DatabaseInput={"Name": "cm_kasama_sales"})
    glue.create_database(DatabaseInput={"Name": "env_consumer_sub_db"})
    glue.create_table(DatabaseName="cm_kasama_sales", TableInput={"Name": "orders", "StorageDescriptor": {
        "Location": f"s3://{BUCKET}/order/orders/", "Columns": [{"Name": "order_id", "Type": "string"}]}})
    role = f"arn:aws:iam::{DZ_ACCOUNT}:role/datazone_usr_env_consumer"
    a.client("iam").create_role(RoleName="datazone_usr_env_consumer", PermissionsBoundary=BOUNDARY,
                                AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                    {"Effect": "Allow", "Action": "sts:AssumeRole",
                                     "Principal": {"Service": "datazone.amazonaws.com"}}]}))
    d = "dzd_abc123"
    dz_put(moto, "domain", {"id": d, "awsAccountId": DZ_ACCOUNT})
    dz_put(moto, "environment", {"id": "env_consumer", "domainId": d, "projectId": "prj_consumer",
                                 "awsAccountId": DZ_ACCOUNT, "userRoleArn": role, "subDatabase": "env_consumer_sub_db"})
    dz_put(moto, "subscription-target", {"id": "tgt_glue_consumer", "domainId": d, "environmentId": "env_consumer",
                                         "databaseName": "env_consumer_sub_db"})
    dz_put(moto, "listing", {"id": "lst_orders", "domainId": d, "assetId": "ast_orders", "databaseName": "cm_kasama_sales",
                             "tableName": "orders", "catalogId": DZ_ACCOUNT})
    dz_put(moto, "subscription-grant", {"id": "grt_orders", "domainId": d, "listingId": "lst_orders",
                                        "subscriptionTargetId": "tgt_glue_consumer", "environmentId": "env_consumer",
                                        "assetId": "ast_orders"})
    print(f"  user role {role} with boundary {BOUNDARY}")
    lam = Lambdas(a, config_of(DZ_ACCOUNT))
    try:
        say("datazone-subscriber ← Environment Deployment Completed")
        print_report(*lam.invoke("datazone-subscriber", EVENTS / "datazone-environment-deployment-completed.json"))
        say("datazone-subscriber ← Subscription Grant Requested")
        print_report(*lam.invoke("datazone-subscriber", EVENTS / "datazone-subscription-grant-requested.json"))
        dz = a.client("datazone")
        g = dz.get_subscription_grant(domainIdentifier=d, identifier="grt_orders")["assets"][0]
        print(f"  DataZone now says: grant grt_orders asset {g['assetId']}: {g['status']}")
        say("datazone-subscriber ← Subscription Grant Revoke Requested")
        print_report(*lam.invoke("datazone-subscriber", EVENTS / "datazone-subscription-grant-revoke-requested.json"))
        g = dz.get_subscription_grant(domainIdentifier=d, identifier="grt_orders")["assets"][0]
        print(f"  DataZone now says: grant grt_orders asset {g['assetId']}: {g['status']}")
    finally:
        lam.stop()
    say("The alert about the boundary copy (the AWS managed boundary is too large to copy)")
    for subject, message in alerts(moto, DZ_ACCOUNT)[:1]:
        print(f"  Subject: {subject}\n" + "\n".join("  " + line for line in message.splitlines()))
    say("Role boundary (never removed)")
    print("  " + a.client("iam").get_role(RoleName="datazone_usr_env_consumer")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"])
