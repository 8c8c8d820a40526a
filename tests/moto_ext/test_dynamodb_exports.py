"""DynamoDB exports to another account's bucket, and the test-only failure (dynamodb_exports.py)."""
import datetime
import json
import re
import time
import urllib.request


def table(server, account, name="t"):
    ddb = server.client("dynamodb", account)
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.put_item(TableName=name, Item={"id": {"S": "1"}})
    return ddb, ddb.describe_table(TableName=name)["Table"]["TableArn"]


def wait(ddb, arn):
    for _ in range(50):
        d = ddb.describe_export(ExportArn=arn)["ExportDescription"]
        if d["ExportStatus"] != "IN_PROGRESS":
            return d
        time.sleep(0.1)
    return d


def test_bucket_owner_decides_where_the_export_lands(server, account):
    src, dst = account, f"{int(account) + 1:012d}"
    bucket = f"export-dst-{dst}"
    server.client("s3", dst).create_bucket(Bucket=bucket)
    ddb, arn = table(server, src)
    # Without S3BucketOwner the export looks for the bucket in its own account, and fails.
    bad = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="p")["ExportDescription"]
    assert wait(ddb, bad["ExportArn"])["ExportStatus"] == "FAILED"
    ok = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="p",
                                           S3BucketOwner=dst)["ExportDescription"]
    assert wait(ddb, ok["ExportArn"])["ExportStatus"] == "COMPLETED"
    keys = [o["Key"] for o in server.client("s3", dst).list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("p/AWSDynamoDB/")


def test_an_export_can_be_made_to_fail(server, account):
    dst = f"{int(account) + 2:012d}"
    bucket = f"export-fail-{dst}"
    server.client("s3", dst).create_bucket(Bucket=bucket)
    ddb, arn = table(server, account)
    e = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="p", S3BucketOwner=dst)
    export_arn = e["ExportDescription"]["ExportArn"]
    req = urllib.request.Request(server.endpoint + "/lakewarden-test/dynamodb/exports/fail", method="POST",
                                 data=json.dumps({"export_arn": export_arn, "code": "S3AccessDenied",
                                                  "message": "Access Denied"}).encode())
    assert urllib.request.urlopen(req).status == 200
    d = ddb.describe_export(ExportArn=export_arn)["ExportDescription"]
    assert (d["ExportStatus"], d["FailureCode"], d["FailureMessage"]) == ("FAILED", "S3AccessDenied", "Access Denied")


def test_a_client_token_starts_one_export_within_its_window(server, account):
    dst = f"{int(account) + 3:012d}"
    bucket = f"export-token-{dst}"
    server.client("s3", dst).create_bucket(Bucket=bucket)
    ddb, arn = table(server, account)
    args = dict(TableArn=arn, S3Bucket=bucket, S3Prefix="p", S3BucketOwner=dst,
                ExportFormat="DYNAMODB_JSON", ClientToken="tok-1")
    first = ddb.export_table_to_point_in_time(**args)["ExportDescription"]
    again = ddb.export_table_to_point_in_time(**args)["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    assert first["ClientToken"] == "tok-1"
    assert len(ddb.list_exports(TableArn=arn)["ExportSummaries"]) == 1
    # The same token with other parameters is a conflict, not a second export.
    try:
        ddb.export_table_to_point_in_time(**dict(args, S3Prefix="other"))
        raise AssertionError("expected ExportConflictException")
    except ddb.exceptions.ExportConflictException:
        pass
    # Another token is another export.
    ddb.export_table_to_point_in_time(**dict(args, ClientToken="tok-2"))
    assert len(ddb.list_exports(TableArn=arn)["ExportSummaries"]) == 2


def test_the_export_arn_is_under_the_table_and_incremental_exports_keep_their_window(server, account):
    dst = f"{int(account) + 4:012d}"
    bucket = f"export-incr-{dst}"
    server.client("s3", dst).create_bucket(Bucket=bucket)
    ddb, arn = table(server, account)
    frm = datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.timezone.utc)
    to = datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.timezone.utc)
    e = ddb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3Prefix="p", S3BucketOwner=dst, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": frm, "ExportToTime": to,
                                        "ExportViewType": "NEW_AND_OLD_IMAGES"})["ExportDescription"]
    assert re.fullmatch(re.escape(arn) + r"/export/\d{14}-[0-9a-f]{8}", e["ExportArn"]), e["ExportArn"]
    d = wait(ddb, e["ExportArn"])
    assert d["ExportType"] == "INCREMENTAL_EXPORT"
    spec = d["IncrementalExportSpecification"]
    assert (spec["ExportFromTime"], spec["ExportToTime"]) == (frm, to)
    assert d["S3BucketOwner"] == dst


def test_an_unknown_export_is_not_found(server, account):
    ddb = server.client("dynamodb", account)
    arn = f"arn:aws:dynamodb:us-east-1:{account}:table/t/export/01795543231367-d3e2209f"
    try:
        ddb.describe_export(ExportArn=arn)
        raise AssertionError("expected ExportNotFoundException")
    except ddb.exceptions.ExportNotFoundException:
        pass
