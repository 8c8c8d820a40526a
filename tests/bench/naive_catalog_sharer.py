"""catalog-sharer's job written the way people write it by hand (Python + boto3), for the paired
benchmark in `make bench`: every run grants every consumer DESCRIBE on the database and
SELECT + DESCRIBE on every table, one GrantPermissions per table and consumer, registers every
table location, and rewrites one bucket-policy statement. No reading of what already exists.

Environment (besides the Lambda ones): SHARE_DATABASE, SHARE_CONSUMERS (JSON list of account ids,
organization ARNs and IAM role ARNs), SHARE_BUCKET (the bucket whose policy gets the statement).
Handler: naive_catalog_sharer.handler. Returns (and prints) api_calls / api_operations / writes,
counted from botocore's events (every HTTP attempt, retries included), like lakewarden's report.
"""
import json
import os
from collections import Counter

import boto3

DATABASE = os.environ.get("SHARE_DATABASE", "cur_org")
CONSUMERS = json.loads(os.environ.get("SHARE_CONSUMERS", "[]"))
BUCKET = os.environ.get("SHARE_BUCKET", "")
READS = ("Get", "List", "Describe")

calls = Counter()


def _count(request, event_name, **kwargs):
    # before-send.<service>.<Operation>: once per HTTP attempt (retries included).
    _, service, operation = event_name.split(".", 2)
    calls[f"{service}.{operation}"] += 1


glue = boto3.client("glue")
lakeformation = boto3.client("lakeformation")
s3 = boto3.client("s3")
for _client in (glue, lakeformation, s3):
    _client.meta.events.register("before-send", _count)


def _grant_option(consumer, permissions):
    # Grant option for accounts and organizations, not for IAM roles (as lakewarden's default).
    return [] if ":role/" in consumer or ":user/" in consumer else permissions


def handler(event, context):
    calls.clear()
    tables = []
    for page in glue.get_paginator("get_tables").paginate(DatabaseName=DATABASE):
        tables.extend(page["TableList"])
    for consumer in CONSUMERS:
        lakeformation.grant_permissions(
            Principal={"DataLakePrincipalIdentifier": consumer},
            Resource={"Database": {"Name": DATABASE}},
            Permissions=["DESCRIBE"],
            PermissionsWithGrantOption=_grant_option(consumer, ["DESCRIBE"]))
    prefixes = []
    for table in tables:
        location = table.get("StorageDescriptor", {}).get("Location", "")
        if location.startswith("s3://"):
            path = location[len("s3://"):].rstrip("/")
            prefixes.append(path)
            try:
                lakeformation.register_resource(ResourceArn=f"arn:aws:s3:::{path}", UseServiceLinkedRole=True)
            except lakeformation.exceptions.AlreadyExistsException:
                pass
        for consumer in CONSUMERS:
            lakeformation.grant_permissions(
                Principal={"DataLakePrincipalIdentifier": consumer},
                Resource={"Table": {"DatabaseName": DATABASE, "Name": table["Name"]}},
                Permissions=["SELECT", "DESCRIBE"],
                PermissionsWithGrantOption=_grant_option(consumer, ["SELECT", "DESCRIBE"]))
    if BUCKET and prefixes:
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
        except s3.exceptions.ClientError:
            policy = {"Version": "2012-10-17", "Statement": []}
        principals = [f"arn:aws:iam::{c}:root" if c.isdigit() else c for c in CONSUMERS
                      if not c.startswith("arn:aws:organizations")]
        statement = {"Sid": "NaiveShareRead", "Effect": "Allow", "Principal": {"AWS": principals},
                     "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{p}/*" for p in prefixes]}
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "NaiveShareRead"] + [statement]
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    report = {"function": "naive-catalog-sharer", "tables": len(tables),
              "api_calls": dict(Counter(k.split(".")[0] for k in calls.elements())),
              "api_operations": dict(calls),
              "writes": sum(n for k, n in calls.items() if not k.split(".", 1)[1].startswith(READS))}
    print(json.dumps({"level": "INFO", "fields": {"message": "report", "report": json.dumps(report)}}), flush=True)
    return report
