"""S1: DynamoDB → Glue zero-ETL across accounts: integration-monitor publishes the integration's
state changes, integration-doctor finds and fixes the missing prerequisites on each side."""
import json
import urllib.request

from demo_lib import CONSUMER, EVENTS, PRODUCER, Account, Lambdas, config_of, print_report, say
from story_s3 import TABLE, ensure_table

DB = "cm_kasama_zero_etl_db"
BUCKET = f"zetl-bucket-{CONSUMER}"


def state_table(acct):
    ddb = acct.client("dynamodb")
    if "lakewarden-state" not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName="lakewarden-state", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


def alerts(moto, account):
    with urllib.request.urlopen(moto.endpoint + "/moto-api/data.json") as r:
        data = json.load(r)
    out = []
    for t in data.get("sns", {}).get("Topic", []):
        if f":{account}:" in t["arn"]:
            out += [(n[2], n[1]) for n in t.get("sent_notifications", [])]
    return out


def run(moto):
    say("S1: zero-ETL from cm-kasama-test-transactions (111111111111) to cm_kasama_zero_etl_db (222222222222)")
    src, tgt = Account(moto, PRODUCER), Account(moto, CONSUMER)
    ensure_table(src)
    state_table(src)
    state_table(tgt)
    tgt.client("s3").create_bucket(Bucket=BUCKET)
    tgt.client("glue").create_database(DatabaseInput={"Name": DB})
    tgt.client("iam").create_role(RoleName="zetl-target", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    print("  prerequisites missing: PITR off, no table policy, no catalog policy, no resource property,")
    print("  target role trusted by Lambda only and without permissions, database without LocationUri")
    integ = src.client("glue").create_integration(
        IntegrationName="cm-kasama-cross-account-dynamodb-glue",
        SourceArn=f"arn:aws:dynamodb:us-east-1:{PRODUCER}:table/{TABLE}",
        TargetArn=f"arn:aws:glue:us-east-1:{CONSUMER}:database/{DB}")["IntegrationArn"]
    print(f"  integration {integ}: CREATING")
    lam_src, lam_tgt = Lambdas(src, config_of(PRODUCER)), Lambdas(tgt, config_of(CONSUMER))
    try:
        say("integration-monitor in 111111111111 ← schedule: first sight")
        print_report(*lam_src.invoke("integration-monitor", EVENTS / "scheduled.json"))
        body = {"integration_arn": integ, "status": "FAILED", "errors": [
            {"ErrorCode": "AccessDeniedException",
             "ErrorMessage": "Glue is not authorized to perform glue:AuthorizeInboundIntegration"}]}
        urllib.request.urlopen(urllib.request.Request(moto.endpoint + "/lakewarden-test/integrations/status",
                                                      method="POST", data=json.dumps(body).encode()))
        say("(AWS moves the integration to FAILED)  integration-monitor in 222222222222 ← schedule")
        print_report(*lam_tgt.invoke("integration-monitor", EVENTS / "scheduled.json"))
        say("integration-doctor in 222222222222 ← Zero-ETL Integration State Change FAILED (tests/events/zero-etl-state-change.json)")
        print_report(*lam_tgt.invoke("integration-doctor", EVENTS / "zero-etl-state-change.json"))
        say("integration-doctor in 111111111111 ← schedule: the source side")
        print_report(*lam_src.invoke("integration-doctor", EVENTS / "scheduled.json"))
        say("integration-doctor in 222222222222 ← schedule again: everything in place")
        print_report(*lam_tgt.invoke("integration-doctor", EVENTS / "scheduled.json"))
    finally:
        lam_src.stop()
        lam_tgt.stop()
    say("The alert integration-doctor sent in 222222222222")
    for subject, message in alerts(moto, CONSUMER)[-1:]:
        print(f"  Subject: {subject}\n" + "\n".join("  " + l for l in message.splitlines()))
    say("Glue catalog policy of 222222222222")
    print(json.dumps(json.loads(tgt.client("glue").get_resource_policy()["PolicyInJson"]), indent=2))
    say("DynamoDB table policy of cm-kasama-test-transactions (111111111111)")
    arn = src.client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableArn"]
    print(json.dumps(json.loads(src.client("dynamodb").get_resource_policy(ResourceArn=arn)["Policy"]), indent=2))
