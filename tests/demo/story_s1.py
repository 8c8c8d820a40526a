"""S1: DynamoDB → Glue zero-ETL across accounts: integration-monitor publishes the integration's
state changes, integration-doctor finds and fixes the missing prerequisites on each side."""
import json
import urllib.request

from demo_lib import (CONSUMER, EVENTS, PRODUCER, ROOT, Account, Lambdas, config_of, prepare_lake_formation,
                      print_report, say)
from story_s3 import TABLE, ensure_table

DB = "cm_kasama_zero_etl_db"
BUCKET = f"zetl-bucket-{CONSUMER}"


def state_table(acct):
    ddb = acct.client("dynamodb")
    if "lakewarden-state" not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName="lakewarden-state", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


def capture_events(acct):
    """An SQS queue that an EventBridge rule fills with lakewarden's own events (as an operator's
    alarm would subscribe); returns a function that drains it."""
    sqs, events = acct.client("sqs"), acct.client("events")
    url = sqs.create_queue(QueueName="lakewarden-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="lakewarden-zero-etl", EventPattern=json.dumps(
        {"source": ["lakewarden"], "detail-type": ["Zero-ETL Integration State Change"]}))
    events.put_targets(Rule="lakewarden-zero-etl", Targets=[{"Id": "q", "Arn": arn}])

    def drain():
        out = []
        while True:
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return drain


def show_events(events, save_as=None):
    for e in events:
        d = e["detail"]
        print(f"  event {e['detail-type']} from {e['source']}: {d['side']} side, "
              f"{d['previousStatus']} -> {d['status']}, errors={[x['code'] for x in d['errors']]}")
    if save_as and events:
        save_as.write_text(json.dumps(events[-1], indent=2))
        print(f"  (saved as {save_as.relative_to(ROOT)})")


def set_status(moto, arn, status, errors=()):
    body = {"integration_arn": arn, "status": status, "errors": list(errors)}
    urllib.request.urlopen(urllib.request.Request(moto.endpoint + "/lakewarden-test/integrations/status",
                                                  method="POST", data=json.dumps(body).encode()))


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
    prepare_lake_formation(tgt)
    ensure_table(src)
    items = src.client("dynamodb").scan(TableName=TABLE)["Items"]
    print(f"  {TABLE}: {len(items)} items ({', '.join(sorted(i['transaction_id']['S'] for i in items))})")
    for a in (src, tgt):
        state_table(a)
        a.client("sns").create_topic(Name="lakewarden-alerts")
    tgt.client("s3").create_bucket(Bucket=BUCKET)
    tgt.client("glue").create_database(DatabaseInput={"Name": DB})
    tgt.client("iam").create_role(RoleName="zetl-target", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    print("  prerequisites missing: PITR off, no table policy, no catalog policy, no resource property,")
    print("  target role trusted by Lambda only and without permissions, database without LocationUri")
    drain = capture_events(tgt)
    source_arn = f"arn:aws:dynamodb:us-east-1:{PRODUCER}:table/{TABLE}"
    target_arn = f"arn:aws:glue:us-east-1:{CONSUMER}:database/{DB}"
    integ = src.client("glue").create_integration(
        IntegrationName="cm-kasama-cross-account-dynamodb-glue", SourceArn=source_arn,
        TargetArn=target_arn)["IntegrationArn"]
    print(f"  integration {integ}: CREATING")
    lam_src, lam_tgt = Lambdas(src, config_of(PRODUCER)), Lambdas(tgt, config_of(CONSUMER))
    event_file = ROOT / "target/demo-s1-state-change.json"
    try:
        say("integration-monitor in 111111111111 ← schedule: first sight")
        print_report(*lam_src.invoke("integration-monitor", EVENTS / "scheduled.json"))
        set_status(moto, integ, "FAILED", [
            {"ErrorCode": "AccessDeniedException",
             "ErrorMessage": "Glue is not authorized to perform glue:AuthorizeInboundIntegration"}])
        say("(AWS moves the integration to FAILED)  integration-monitor in 222222222222 ← schedule")
        print_report(*lam_tgt.invoke("integration-monitor", EVENTS / "scheduled.json"))
        show_events(drain(), event_file)
        say("integration-monitor in 222222222222 ← schedule again: no change, no event")
        print_report(*lam_tgt.invoke("integration-monitor", EVENTS / "scheduled.json"))
        show_events(drain())
        say("integration-doctor in 222222222222 ← that Zero-ETL Integration State Change (FAILED)")
        print_report(*lam_tgt.invoke("integration-doctor", event_file))
        say("integration-doctor in 111111111111 ← schedule: the source side")
        print_report(*lam_src.invoke("integration-doctor", EVENTS / "scheduled.json"))
        say("integration-doctor in 222222222222 ← schedule again: everything in place")
        print_report(*lam_tgt.invoke("integration-doctor", EVENTS / "scheduled.json"))
        say("The alert integration-doctor sent in 222222222222")
        for subject, message in alerts(moto, CONSUMER)[-1:]:
            print(f"  Subject: {subject}\n" + "\n".join("  " + line for line in message.splitlines()))

        say("A person follows the alert: delete the FAILED integration and create it again; it becomes ACTIVE")
        glue = src.client("glue")
        glue.delete_integration(IntegrationIdentifier=integ)
        integ = glue.create_integration(IntegrationName="cm-kasama-cross-account-dynamodb-glue",
                                        SourceArn=source_arn, TargetArn=target_arn)["IntegrationArn"]
        set_status(moto, integ, "ACTIVE")
        print(f"  integration {integ}: ACTIVE")
        say("integration-monitor in 222222222222 ← schedule")
        print_report(*lam_tgt.invoke("integration-monitor", EVENTS / "scheduled.json"))
        show_events(drain(), event_file)
        say("integration-doctor in 222222222222 ← that event (ACTIVE): nothing to fix, no alert")
        print_report(*lam_tgt.invoke("integration-doctor", event_file))
    finally:
        lam_src.stop()
        lam_tgt.stop()
    say("Glue catalog policy of 222222222222")
    print(json.dumps(json.loads(tgt.client("glue").get_resource_policy()["PolicyInJson"]), indent=2))
    say("DynamoDB table policy of cm-kasama-test-transactions (111111111111)")
    arn = src.client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableArn"]
    print(json.dumps(json.loads(src.client("dynamodb").get_resource_policy(ResourceArn=arn)["Policy"]), indent=2))
