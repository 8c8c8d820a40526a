"""S4: a DataZone environment and a subscription over an existing S3 bucket (datazone-subscriber)."""
import json
import urllib.request

from demo_lib import (EVENTS, ROOT, Account, Lambdas, config_of, ensure_state_table, prepare_lake_formation,
                      print_report, say)
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
    prepare_lake_formation(a)
    ensure_state_table(a)
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
    # A second environment whose role has a team's small boundary (ListBucket only under datazone/).
    iam = a.client("iam")
    small = iam.create_policy(PolicyName="team-datazone-boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Analytics", "Effect": "Allow", "Action": ["glue:Get*", "athena:*", "s3:GetObject"], "Resource": "*"},
            {"Sid": "ListDataZoneS3Bucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
             "Condition": {"StringLike": {"s3:prefix": ["datazone/*"]}}}]}))["Policy"]["Arn"]
    iam.create_role(RoleName="datazone_usr_env_team", PermissionsBoundary=small,
                    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole",
                         "Principal": {"Service": "datazone.amazonaws.com"}}]}))
    dz_put(moto, "environment", {"id": "env_team", "domainId": d, "projectId": "prj_consumer", "awsAccountId": DZ_ACCOUNT,
                                 "userRoleArn": f"arn:aws:iam::{DZ_ACCOUNT}:role/datazone_usr_env_team"})
    team_event = ROOT / "target/demo-datazone-env-team.json"
    ev = json.loads((EVENTS / "datazone-environment-deployment-completed.json").read_text())
    ev["account"] = DZ_ACCOUNT
    ev["detail"]["metadata"]["id"] = ev["detail"]["data"]["environmentId"] = "env_team"
    team_event.write_text(json.dumps(ev))
    lam = Lambdas(a, config_of(DZ_ACCOUNT))
    try:
        say("datazone-subscriber ← Environment Deployment Completed")
        print_report(*lam.invoke("datazone-subscriber", EVENTS / "datazone-environment-deployment-completed.json"))
        say("datazone-subscriber ← Environment Deployment Completed (env_team, a small team boundary)")
        print_report(*lam.invoke("datazone-subscriber", team_event))
        copy_arn = iam.get_role(RoleName="datazone_usr_env_team")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        pol = iam.get_policy(PolicyArn=copy_arn)["Policy"]
        doc = iam.get_policy_version(PolicyArn=copy_arn, VersionId=pol["DefaultVersionId"])["PolicyVersion"]["Document"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        listing = next(st for st in doc["Statement"] if st.get("Sid") == "ListDataZoneS3Bucket")
        print(f"  boundary of datazone_usr_env_team is now {copy_arn}\n  ({pol['Description']})")
        print(f"  its ListBucket condition: {json.dumps(listing['Condition'])}")
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
    print("  " + iam.get_role(RoleName="datazone_usr_env_consumer")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"])
