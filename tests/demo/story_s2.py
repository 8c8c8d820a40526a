"""S2: a Glue catalog shared across accounts with Lake Formation: catalog-sharer in the producer
(111111111111), then share-linker in the consumer (222222222222)."""
import json

from demo_lib import (CONSUMER, EVENTS, PRODUCER, REGION, Account, Lambdas, config_of, deploy_data_lake_admin,
                      ensure_state_table, prepare_lake_formation, print_lf_settings, print_report, say)



def setup_lake_formation(p):
    """The producer's Lake Formation as a new AWS account has it (no data lake administrator but the
    platform team's, "Use only IAM access control" for new resources, cross-account version 1),
    then the template's DataLakeAdmin (MutationType APPEND) adds the function's role."""
    lf = p.client("lakeformation")
    s = lf.get_data_lake_settings()["DataLakeSettings"]
    s["DataLakeAdmins"] = [{"DataLakePrincipalIdentifier": f"arn:aws:iam::{p.id}:role/DataPlatformAdmin"}]
    lf.put_data_lake_settings(DataLakeSettings=s)
    deploy_data_lake_admin(p)


def setup_producer(p):
    setup_lake_formation(p)
    ensure_state_table(p)
    s3, glue, sns = p.client("s3"), p.client("glue"), p.client("sns")
    bucket = f"cur-data-{p.id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "BackupRoleRead", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{p.id}:role/backup"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
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


def run(moto):
    say("S2 producer: account 111111111111 owns cur_org (3 Parquet tables on S3)")
    p = Account(moto, PRODUCER)
    bucket = setup_producer(p)
    say("Lake Formation data lake settings of 111111111111: a new account's, plus the template's DataLakeAdmin (APPEND)")
    print_lf_settings(p)
    lam = Lambdas(p, config_of(PRODUCER))
    try:
        say("catalog-sharer ← Glue 'CreateTable' event (tests/events/glue-create-table.json); "
            "fix_lf_settings: true repairs the check.lf.* prerequisites")
        print_report(*lam.invoke("catalog-sharer", EVENTS / "glue-create-table.json"))
        say("catalog-sharer ← scheduled reconcile (tests/events/scheduled.json)")
        print_report(*lam.invoke("catalog-sharer", EVENTS / "scheduled.json"))
        say("catalog-sharer ← the same CreateTable event again: nothing to write")
        print_report(*lam.invoke("catalog-sharer", EVENTS / "glue-create-table.json"))
    finally:
        lam.stop()
    say("Lake Formation data lake settings after the first run (the other administrator kept)")
    print_lf_settings(p)
    say("Lake Formation grants in the producer catalog")
    print_grants(p, "cur_org")
    say(f"Bucket policy of {bucket} (the BackupRoleRead statement was there before)")
    print(json.dumps(json.loads(p.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]), indent=2))
    say("Registered data locations")
    for r in p.client("lakeformation").list_resources()["ResourceInfoList"]:
        print(f"  {r['ResourceArn']}")
    run_consumer(moto)


def run_consumer(moto):
    say("S2 consumer: account 222222222222 has a Glue job role and a pending RAM invitation")
    c = Account(moto, CONSUMER)
    prepare_lake_formation(c)
    ensure_state_table(c)
    c.client("iam").create_role(RoleName="glue-job", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "glue.amazonaws.com"}}]}))
    c.client("sns").create_topic(Name="lakewarden-alerts")
    for i in c.client("ram").get_resource_share_invitations()["resourceShareInvitations"]:
        print(f"  invitation {i['resourceShareName']} from {i['senderAccountId']}: {i['status']}")
    lam = Lambdas(c, config_of(CONSUMER))
    try:
        say("share-linker ← RAM 'Resource Sharing State Change' (tests/events/ram-resource-share-state-change.json)")
        print_report(*lam.invoke("share-linker", EVENTS / "ram-resource-share-state-change.json"))
        say("share-linker ← scheduled reconcile: nothing to write")
        print_report(*lam.invoke("share-linker", EVENTS / "scheduled.json"))
        say("Someone deletes the resource link; share-linker ← Glue 'DeleteDatabase' (tests/events/glue-consumer-delete-link.json)")
        c.client("glue").delete_database(Name="cur_org_linked")
        print_report(*lam.invoke("share-linker", EVENTS / "glue-consumer-delete-link.json"))
    finally:
        lam.stop()
    say("Resource link in the consumer catalog")
    link = c.client("glue").get_database(Name="cur_org_linked")["Database"]
    print(f"  cur_org_linked -> {link['TargetDatabase']['CatalogId']}:{link['TargetDatabase']['DatabaseName']}")
    say("Lake Formation grants of the consumer account")
    for x in c.client("lakeformation").list_permissions(CatalogId=CONSUMER)["PrincipalResourcePermissions"]:
        print(f"  {x['Principal']['DataLakePrincipalIdentifier']}  {json.dumps(x['Resource'])}  {sorted(x['Permissions'])}")
    say("Inline policy lakewarden-share-linker of role glue-job")
    doc = c.client("iam").get_role_policy(RoleName="glue-job", PolicyName="lakewarden-share-linker")["PolicyDocument"]
    print(json.dumps(doc, indent=2))
    say("As role glue-job in 222222222222: the tables of cur_org, listed through the link")
    sts = c.client("sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{CONSUMER}:role/glue-job", RoleSessionName="glue-job")["Credentials"]
    import boto3
    glue = boto3.client("glue", endpoint_url=c.endpoint, region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])
    for t in glue.get_tables(DatabaseName="cur_org_linked")["TableList"]:
        print(f"  cur_org_linked.{t['Name']:<12} {t['StorageDescriptor']['Location']}")
