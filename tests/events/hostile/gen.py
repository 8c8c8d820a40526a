#!/usr/bin/env python3
"""Generate the hostile event corpus (tests/events/hostile/*.json and index.json).

Run from anywhere: `python3 tests/events/hostile/gen.py`. The output is committed; rerunning the
script rewrites it byte for byte (no randomness).

Conventions (as in tests/events/README.md): 111111111111 is the producer/source account,
222222222222 the consumer/target account; the integration test swaps in the accounts of its own
setup. 333333333333 and 999999999999 are accounts nobody configured. Names are those of the
fixtures (cur_org, dzd_abc123, env_consumer, grt_orders, cm_kasama_zero_etl_db, ...).

index.json lists every file with what makes it hostile (`why`), the event kind it is shaped after
(`kind`), where the function that takes that kind must reject it, words its error must
contain (`error_mentions`, any one of them), and the functions whose documented answer is an
alert (`alert_expected_from`: integration-doctor alerts on every FAILED / NEEDS_ATTENTION
state change; it cannot tell a forged one yet, see SECURITY.md). Any other alert fails the test. Files whose name starts with `unparseable-` are not
valid input for the Lambda runtime (serde_json's recursion limit of 128): the test checks that
they are a clean parse error.
"""

import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BIG = 262_144  # 256 KB, EventBridge's maximum event size
DEEP = 10_000

P = "111111111111"  # producer / source
C = "222222222222"  # consumer / target
X = "333333333333"  # nobody configured it
Z = "999999999999"

CORPUS = {}
INDEX = {}


def env(detail_type, source, detail, account=P, resources=None, region="us-east-1",
        time="2026-11-24T10:00:00Z", id_="hostile"):
    return {"version": "0", "id": id_, "detail-type": detail_type, "source": source,
            "account": account, "time": time, "region": region,
            "resources": resources if resources is not None else [], "detail": detail}


def add(name, event, kind, why, mentions=None, raw=None, alerts=None):
    assert name not in CORPUS, name
    CORPUS[name] = raw if raw is not None else json.dumps(event, indent=1, ensure_ascii=False)
    INDEX[name] = {"kind": kind, "why": why}
    if mentions:
        INDEX[name]["error_mentions"] = mentions
    if alerts:
        INDEX[name]["alert_expected_from"] = alerts


def glue_db(detail=None, **kw):
    d = {"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["legacy_all"]}
    if detail is not None:
        d = detail
    return env("Glue Data Catalog Database State Change", "aws.glue", d,
               resources=kw.pop("resources", [f"arn:aws:glue:us-east-1:{P}:table/cur_org/legacy_all"]), **kw)


def glue_table(detail=None, **kw):
    d = {"databaseName": "cur_org", "tableName": "legacy_all", "typeOfChange": "UpdateTable",
         "changedPartitions": []}
    if detail is not None:
        d = detail
    return env("Glue Data Catalog Table State Change", "aws.glue", d, **kw)


def sched(**kw):
    detail = kw.pop("detail", {})
    return env("Scheduled Event", "aws.events", detail,
               resources=kw.pop("resources", [f"arn:aws:events:us-east-1:{P}:rule/lakewarden-reconcile"]), **kw)


def ram(detail=None, **kw):
    d = {"event": "Resource Share Invitation", "status": "pending",
         "resourceShareArn": f"arn:aws:ram:us-east-1:{P}:resource-share/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
         "senderAccountId": P, "receiverAccountId": C}
    if detail is not None:
        d = detail
    return env("Resource Sharing State Change", "aws.ram", d, account=kw.pop("account", C),
               resources=kw.pop("resources", [f"arn:aws:ram:us-east-1:{P}:resource-share-invitation/2f0c8a40-0f6b-4d4e-9d5b-7a1b3c4d5e6f"]), **kw)


def dz(detail_type, meta=None, data=None, detail=None, **kw):
    m = {"domain": "dzd_abc123", "owningProjectId": "prj_consumer", "clientToken": "c1",
         "id": "grt_orders", "typeName": "SubscriptionGrantEntityType"}
    if meta is not None:
        m = meta
    d = {"asset": {"listingId": "lst_orders", "listingVersion": "1", "typeName": "GlueTableAssetType"},
         "subscriptionTarget": {"id": "tgt_glue_consumer", "environmentId": "env_consumer",
                                "typeName": "GlueSubscriptionTargetType"},
         "requester": "usr_analyst", "status": "GRANT_PENDING"}
    if data is not None:
        d = data
    full = {"version": "1", "metadata": m, "data": d} if detail is None else detail
    return env(detail_type, "aws.datazone", full, **kw)


def zetl(**over):
    d = {"integrationArn": f"arn:aws:glue:us-east-1:{P}:integration:6b9d6a1c-2f1e-4c5b-9f3a-0d1e2f3a4b5c",
         "integrationName": "cm-kasama-cross-account-dynamodb-glue",
         "sourceArn": f"arn:aws:dynamodb:us-east-1:{P}:table/cm-kasama-test-transactions",
         "targetArn": f"arn:aws:glue:us-east-1:{C}:database/cm_kasama_zero_etl_db",
         "side": "target", "previousStatus": "CREATING", "status": "ACTIVE", "errors": []}
    for k, v in over.items():
        if v is ...:
            d.pop(k, None)
        else:
            d[k] = v
    return env("Zero-ETL Integration State Change", "lakewarden", d, account=C,
               resources=[d.get("integrationArn", "")] if isinstance(d.get("integrationArn"), str) else [])


def cloudtrail(event_name="CreateIntegration", detail=None, **kw):
    d = {"eventVersion": "1.09", "eventSource": "glue.amazonaws.com", "eventName": event_name,
         "awsRegion": "us-east-1", "userIdentity": {"type": "AssumedRole", "accountId": P,
                                                     "arn": f"arn:aws:sts::{P}:assumed-role/Admin/admin"},
         "requestParameters": {"integrationName": "cm-kasama-cross-account-dynamodb-glue",
                               "sourceArn": f"arn:aws:dynamodb:us-east-1:{P}:table/cm-kasama-test-transactions",
                               "targetArn": f"arn:aws:glue:us-east-1:{C}:database/cm_kasama_zero_etl_db"},
         "recipientAccountId": P}
    if detail is not None:
        d = detail
    return env("AWS API Call via CloudTrail", "aws.glue", d, **kw)


def nested(depth, leaf):
    """`depth` levels of {"a": ...} around leaf, built iteratively."""
    v = leaf
    for _ in range(depth):
        v = {"a": v}
    return v


def deep_text(depth, prefix, suffix):
    """JSON text with `depth` nested arrays between prefix and suffix (json.dumps would recurse)."""
    return prefix + "[" * depth + "1" + "]" * depth + suffix


HOSTILE_NAMES = ["*", "cur_*", "../payroll", "cur_org/../payroll", "cur_org\"}],\"x\":{\"", "..",
                 "cur_orgé日本語", "cur_org\u0000\n\r\t\u001b[31m", "", " cur_org", "CUR_ORG"]

# ---------------------------------------------------------------- the envelope, any function
add("envelope-not-an-object-string.json", "hello", "any", "a JSON string, not an object")
add("envelope-not-an-object-array.json", [sched()], "any", "an array holding a valid event")
add("envelope-not-an-object-null.json", None, "any", "JSON null")
add("envelope-not-an-object-number.json", 42, "any", "a number")
add("envelope-non-ascii-string.json", "é" * 100, "any",
    "a long non-ASCII string: the error message quotes it (a byte slice at 80 must not split a character)")
add("envelope-empty-object.json", {}, "any", "no field at all", ["detail-type", "source"])
e = sched(); e["source"] = 7
add("envelope-source-number.json", e, "any", "source is a number", ["source", "string"])
e = glue_db(); e["detail-type"] = ["Glue Data Catalog Database State Change"]
add("envelope-detail-type-array.json", e, "any", "detail-type is an array", ["detail-type", "string", "sequence"])
e = glue_db(); del e["detail"]
add("envelope-missing-detail.json", e, "glue", "Glue event without detail", ["detail", "databaseName"])
e = glue_db(); del e["source"]
add("envelope-missing-source.json", e, "any", "no source", ["source"])
e = sched(); del e["detail-type"]
add("envelope-missing-detail-type.json", e, "any", "no detail-type", ["detail-type", "detail_type"])
add("envelope-time-not-a-date.json", sched(time="yesterday"), "scheduled", "time is not a timestamp", ["time", "date", "input"])
e = sched(); e["time"] = 1764000000
add("envelope-time-number.json", e, "scheduled", "time is a number", ["time", "string", "integer"])
e = sched(); e["resources"] = f"arn:aws:events:us-east-1:{P}:rule/lakewarden-reconcile"
add("envelope-resources-not-a-list.json", e, "scheduled", "resources is a string", ["resources", "sequence", "string"])
e = glue_db(); e["resources"] = None
add("envelope-resources-null.json", e, "glue", "resources is null (a Glue event for cur_org otherwise)")
e = sched(); e["account"] = "12ab"; e["region"] = "mars-1"
add("envelope-account-and-region-malformed.json", e, "scheduled", "account and region are not an account id / region")
e = sched(); e["source"] = "AWS.EVENTS"
add("envelope-source-upper-case.json", e, "scheduled", "source in the wrong case is another source")
e = glue_db(); e["source"] = " aws.glue"
add("envelope-source-leading-space.json", e, "glue", "source with a leading space is another source")
e = sched(); e["detail-type"] = "Scheduled Event "
add("envelope-detail-type-trailing-space.json", e, "scheduled", "detail-type with a trailing space is another kind")
e = sched(); e["replay-name"] = "x"; e["dry_run"] = False; e["config"] = {"producer": {"shares": [{"database": "*", "consumers": [Z]}]}}
e["detail"] = {"database": "payroll", "consumers": [Z], "location": "s3://payroll/"}
add("envelope-extra-fields-config-injection.json", e, "scheduled",
    "extra fields that look like configuration (consumers, locations): data, never configuration")
# duplicate keys: serde_json keeps the last one, so this is an aws.glue event for an unknown db
raw = ('{"version": "0", "id": "dup", "detail-type": "Scheduled Event", "source": "aws.events", '
       '"source": "aws.glue", "account": "%s", "time": "2026-11-24T10:00:00Z", "region": "us-east-1", '
       '"resources": [], "detail": {}, "detail": {"databaseName": "payroll", "typeOfChange": "CreateTable"}}' % P)
add("envelope-duplicate-keys.json", None, "any", "duplicate keys (the parser keeps the last)", raw=raw)

# ---------------------------------------------------------------- Glue catalog events
add("glue-detail-null.json", glue_db(detail=None) | {"detail": None}, "glue", "detail is null", ["detail", "null", "databaseName"])
add("glue-detail-array.json", glue_db() | {"detail": [{"databaseName": "cur_org"}]}, "glue", "detail is an array", ["detail", "sequence", "map"])
add("glue-detail-string.json", glue_db() | {"detail": "databaseName=cur_org"}, "glue", "detail is a string", ["detail", "string"])
add("glue-database-name-number.json", glue_db({"databaseName": 42, "typeOfChange": "CreateTable"}), "glue", "databaseName is a number", ["databaseName", "integer"])
add("glue-database-name-null.json", glue_db({"databaseName": None, "typeOfChange": "CreateTable"}), "glue", "databaseName is null", ["databaseName", "null"])
add("glue-database-name-empty.json", glue_db({"databaseName": "", "typeOfChange": "CreateTable"}), "glue", "databaseName is empty", ["databaseName", "empty"])
add("glue-database-name-missing.json", glue_db({"typeOfChange": "CreateTable", "changedTables": ["legacy_all"]}), "glue", "no databaseName", ["databaseName"])
for i, (tag, name) in enumerate([("star", "cur_*"), ("bare-star", "*"), ("slash-dotdot", "cur_org/../payroll"),
                                 ("dotdot", ".."), ("quote", "cur_org\"}],\"x\":{\""),
                                 ("non-ascii", "cur_orgé日本語"), ("control", "cur_org\u0000\n\r\t\u001b[31m"),
                                 ("upper-case", "CUR_ORG"), ("leading-space", " cur_org")]):
    add(f"glue-database-name-{tag}.json",
        glue_db({"databaseName": name, "typeOfChange": "CreateTable", "changedTables": ["legacy_all"]}),
        "glue", f"databaseName {json.dumps(name, ensure_ascii=True)}: a name no configured share may turn into another database")
add("glue-database-name-256k.json",
    glue_db({"databaseName": "cur_" + "a" * (BIG - 4), "typeOfChange": "CreateTable", "changedTables": []}),
    "glue", "a 256 KB database name that matches the glob cur_*")
add("glue-changed-tables-not-a-list.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": "legacy_all"}),
    "glue", "changedTables is a string", ["changedTables", "sequence", "string"])
add("glue-changed-tables-numbers.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": [1, 2, None]}),
    "glue", "changedTables holds numbers and null", ["changedTables", "integer", "string"])
add("glue-changed-tables-hostile-names.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": HOSTILE_NAMES}),
    "glue", "table names with *, /, \", .., non-ASCII and control characters (the event is a hint: the state decides)")
add("glue-changed-tables-10000.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "BatchDeleteTable",
             "changedTables": [f"t{i:05d}" for i in range(10_000)]}),
    "glue", "10,000 table names (Glue sends at most 100)")
add("glue-type-of-change-unknown.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "DropEverything; rm -rf /", "changedTables": []}),
    "glue", "a typeOfChange Glue never sends")
add("glue-type-of-change-missing.json", glue_db({"databaseName": "cur_org", "changedTables": []}),
    "glue", "no typeOfChange", ["typeOfChange"])
add("glue-type-of-change-object.json", glue_db({"databaseName": "cur_org", "typeOfChange": {"op": "CreateTable"}}),
    "glue", "typeOfChange is an object", ["typeOfChange", "map", "string"])
add("glue-table-change-missing-table-name.json",
    glue_table({"databaseName": "cur_org", "typeOfChange": "UpdateTable"}),
    "glue", "Table State Change without tableName", ["tableName"])
add("glue-table-change-table-name-object.json",
    glue_table({"databaseName": "cur_org", "tableName": {"name": "legacy_all"}, "typeOfChange": "UpdateTable"}),
    "glue", "tableName is an object", ["tableName", "map", "string"])
add("glue-table-change-partitions-only.json",
    glue_table({"databaseName": "cur_org", "tableName": "legacy_all", "typeOfChange": "BatchCreatePartition",
                "changedPartitions": ["[2026, 11, 24]"] * 50}),
    "glue", "a partition-only change: documented no-op")
add("glue-unconfigured-database.json",
    glue_db({"databaseName": "payroll", "typeOfChange": "CreateTable", "changedTables": ["salaries"]}),
    "glue", "a database in no share: documented no-op")
add("glue-other-account.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "DeleteDatabase", "changedTables": []}, account=X,
            resources=[f"arn:aws:glue:us-east-1:{X}:database/cur_org"]),
    "glue", "an event from another account's catalog (same database name): lakewarden reads its own state")
add("glue-other-region.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "DeleteTable", "changedTables": ["legacy_all"]},
            region="eu-west-1", resources=[f"arn:aws:glue:eu-west-1:{P}:table/cur_org/legacy_all"]),
    "glue", "an event from another region")
add("glue-other-partition.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["legacy_all"]},
            region="cn-north-1", resources=[f"arn:aws-cn:glue:cn-north-1:{Z}:table/cur_org/legacy_all"]),
    "glue", "an event of another partition and account")
add("glue-detail-extra-fields.json",
    glue_db({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["legacy_all"],
             "location": "s3://payroll/", "consumers": [Z], "principal": "*", "grantable": True,
             "tableLocation": "s3://*/"}),
    "glue", "extra detail fields naming locations and principals: never used")
add("glue-cloudtrail-delete-table.json", cloudtrail("DeleteTable"), "cloudtrail",
    "a CloudTrail DeleteTable event from aws.glue", ["DeleteTable", "CloudTrail", "not handle"])
leaf = {"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["legacy_all"]}
add("glue-deep-extra-field-100.json",
    glue_db(leaf | {"nested": nested(100, "x")}), "glue", "100 levels of nesting in an extra field (parses)")
add("glue-database-name-deep-100.json",
    glue_db({"databaseName": nested(100, "cur_org"), "typeOfChange": "CreateTable"}), "glue",
    "databaseName is 100 levels of objects", ["databaseName", "map", "string"])
add("unparseable-glue-deep-10000.json", None, "glue", "10,000 nested arrays in detail: serde_json's recursion limit",
    raw=deep_text(DEEP, '{"version": "0", "id": "deep", "detail-type": "Glue Data Catalog Database State Change", '
                  '"source": "aws.glue", "account": "%s", "time": "2026-11-24T10:00:00Z", "region": "us-east-1", '
                  '"resources": [], "detail": {"databaseName": "cur_org", "typeOfChange": "CreateTable", "x": ' % P, "}}"))

# ---------------------------------------------------------------- RAM
add("ram-detail-null.json", ram() | {"detail": None}, "ram", "RAM event with null detail")
add("ram-resources-wildcards.json",
    ram(resources=["*", "../", f"arn:aws:ram:us-east-1:*:resource-share-invitation/*", "arn:aws:ram:*"]),
    "ram", "resources with wildcards and paths instead of an invitation ARN")
add("ram-untrusted-sender.json",
    ram({"event": "Resource Share Invitation", "status": "pending", "senderAccountId": Z, "receiverAccountId": C,
         "resourceShareArn": f"arn:aws:ram:us-east-1:{Z}:resource-share/00000000-0000-0000-0000-000000000000"},
        resources=[f"arn:aws:ram:us-east-1:{Z}:resource-share-invitation/00000000-0000-0000-0000-000000000000"]),
    "ram", "an invitation from an account that is not trusted (and that RAM does not hold)")
add("ram-spoofed-sender.json",
    ram({"event": "Resource Share Invitation", "status": "pending", "senderAccountId": P, "receiverAccountId": C,
         "resourceShareArn": f"arn:aws:ram:us-east-1:{Z}:resource-share/11111111-0000-0000-0000-000000000000"},
        resources=[f"arn:aws:ram:us-east-1:{Z}:resource-share-invitation/11111111-0000-0000-0000-000000000000"]),
    "ram", "senderAccountId claims the trusted producer, the ARNs are another account's")
add("ram-status-wrong-types.json",
    ram({"event": ["Resource Share Invitation"], "status": 1, "senderAccountId": 111111111111, "receiverAccountId": None}),
    "ram", "detail fields of the wrong types")
add("ram-resource-arn-256k.json",
    ram(resources=[f"arn:aws:ram:us-east-1:{P}:resource-share-invitation/" + "a" * BIG]),
    "ram", "a 256 KB invitation ARN")
add("ram-other-region-partition.json",
    ram(resources=[f"arn:aws-cn:ram:cn-north-1:{P}:resource-share-invitation/2f0c8a40-0f6b-4d4e-9d5b-7a1b3c4d5e6f"],
        region="cn-north-1"),
    "ram", "an invitation ARN of another partition and region")
add("ram-deep-detail-100.json", ram(nested(100, {"resourceShareArn": "arn:aws:ram:us-east-1:%s:resource-share/x" % Z})),
    "ram", "100 levels of nesting in detail, an untrusted ARN at the bottom")
add("ram-resources-non-ascii-control.json",
    ram(resources=["arn:aws:ram:us-east-1:%s:resource-share-invitation/é\u0000\u001b[2J\n" % P]),
    "ram", "non-ASCII and control characters in the invitation ARN")
add("unparseable-ram-deep-10000.json", None, "ram", "10,000 nested arrays in resources",
    raw=deep_text(DEEP, '{"version": "0", "id": "deep", "detail-type": "Resource Sharing State Change", '
                  '"source": "aws.ram", "account": "%s", "time": "2026-11-24T10:00:00Z", "region": "us-east-1", '
                  '"detail": {}, "resources": ' % C, "}"))

# ---------------------------------------------------------------- DataZone
add("datazone-detail-null.json", dz("Subscription Grant Requested", detail=None) | {"detail": None},
    "datazone", "Subscription Grant Requested with null detail", ["metadata", "domain"])
add("datazone-metadata-missing.json", dz("Subscription Grant Requested", detail={"version": "1", "data": {}}),
    "datazone", "no metadata", ["metadata", "domain"])
add("datazone-metadata-id-number.json",
    dz("Subscription Grant Requested", meta={"domain": "dzd_abc123", "id": 12345}),
    "datazone", "metadata.id is a number", ["metadata", "id"])
add("datazone-metadata-domain-null.json",
    dz("Environment Deployment Completed", meta={"domain": None, "id": "env_consumer"}),
    "datazone", "metadata.domain is null", ["metadata", "domain"])
add("datazone-unknown-domain.json",
    dz("Environment Deployment Completed", meta={"domain": "dzd_someone_else", "id": "env_consumer"}),
    "datazone", "a domain not in datazone.domains: documented no-op")
add("datazone-unknown-detail-type.json", dz("Subscription Request Created"),
    "datazone", "a DataZone event lakewarden needs nothing from: documented no-op")
add("datazone-grant-missing-target.json",
    dz("Subscription Grant Requested", data={"asset": {"listingId": "lst_orders"}}),
    "datazone", "a grant request without subscriptionTarget", ["subscriptionTarget", "listingId"])
add("datazone-grant-listing-wrong-type.json",
    dz("Subscription Grant Requested", data={"asset": {"listingId": ["lst_orders"]},
                                             "subscriptionTarget": {"id": "tgt_glue_consumer", "environmentId": "env_consumer"}}),
    "datazone", "listingId is an array", ["listingId"])
for tag, gid in [("star", "*"), ("dotdot", "../grt_orders"), ("quote", "grt_orders\"}"),
                 ("non-ascii-control", "grt_ordersé\u0000\n")]:
    add(f"datazone-grant-id-{tag}.json",
        dz("Subscription Grant Requested", meta={"domain": "dzd_abc123", "id": gid,
                                                 "typeName": "SubscriptionGrantEntityType"}),
        "datazone", f"grant id {json.dumps(gid, ensure_ascii=True)}: no such grant")
add("datazone-revoke-id-star-listing-star.json",
    dz("Subscription Grant Revoke Requested", meta={"domain": "dzd_abc123", "id": "*"},
       data={"asset": {"listingId": "*"}, "subscriptionTarget": {"id": "*", "environmentId": "*"}}),
    "datazone", "a revoke of grant *, listing *, target *")
add("datazone-subscription-revoked-unknown.json",
    dz("Subscription Revoked", meta={"domain": "dzd_abc123", "id": "sub_../../grt_orders"},
       data={"asset": {"listingId": "lst_orders"}, "subscriptionTarget": {"id": "tgt_other", "environmentId": "env_other"}}),
    "datazone", "a Subscription Revoked whose id is neither a grant nor a subscription, to another target")
add("datazone-grant-other-account-environment.json",
    dz("Subscription Grant Requested", meta={"domain": "dzd_abc123", "id": "grt_forged"},
       data={"asset": {"listingId": "lst_orders"},
             "subscriptionTarget": {"id": "tgt_glue_consumer", "environmentId": f"arn:aws:iam::{Z}:role/x"}}),
    "datazone", "a grant naming an environment id that is another account's role ARN")
add("datazone-environment-id-256k.json",
    dz("Environment Deployment Completed", meta={"domain": "dzd_abc123", "id": "env_" + "x" * (BIG - 4)}),
    "datazone", "a 256 KB environment id")
add("datazone-deep-data-100.json",
    dz("Environment Deployment Completed", meta={"domain": "dzd_someone_else", "id": "env_consumer"},
       data=nested(100, {"environmentId": "env_consumer"})),
    "datazone", "100 levels of nesting in data (domain not configured)")
add("unparseable-datazone-deep-10000.json", None, "datazone", "10,000 nested arrays in metadata",
    raw=deep_text(DEEP, '{"version": "0", "id": "deep", "detail-type": "Subscription Grant Requested", '
                  '"source": "aws.datazone", "account": "%s", "time": "2026-11-24T10:00:00Z", "region": "us-east-1", '
                  '"resources": [], "detail": {"metadata": ' % P, "}}"))

# ---------------------------------------------------------------- zero-ETL state change (lakewarden's own)
add("zetl-missing-integration-arn.json", zetl(integrationArn=...), "zetl", "no integrationArn", ["integrationArn"])
add("zetl-status-number.json", zetl(status=3), "zetl", "status is a number", ["status", "integer", "string"])
add("zetl-errors-not-a-list.json", zetl(status="FAILED", errors="boom"), "zetl", "errors is a string", ["errors", "sequence", "string"])
add("zetl-detail-null.json", zetl() | {"detail": None}, "zetl", "null detail", ["detail", "null", "map", "integrationArn"])
add("zetl-active-other-account-target.json",
    zetl(targetArn=f"arn:aws:glue:us-east-1:{Z}:database/cm_kasama_zero_etl_db"),
    "zetl", "ACTIVE for a target database in another account: nothing to share here")
add("zetl-active-target-database-star.json",
    zetl(targetArn=f"arn:aws:glue:us-east-1:{C}:database/*"),
    "zetl", "ACTIVE for target database *")
add("zetl-active-target-database-dotdot.json",
    zetl(targetArn=f"arn:aws:glue:us-east-1:{C}:database/../payroll"),
    "zetl", "ACTIVE for target database ../payroll")
add("zetl-active-other-region.json",
    zetl(targetArn=f"arn:aws:glue:eu-west-1:{C}:database/cm_kasama_zero_etl_db"),
    "zetl", "ACTIVE for a target database in another region")
add("zetl-failed-256k-error.json",
    zetl(status="FAILED", errors=[{"code": "AccessDeniedException", "message": "x" * BIG}]),
    "zetl", "FAILED with a 256 KB error message (the alert must stay within SNS limits)",
    alerts=["integration-doctor"])
add("zetl-name-control-characters.json",
    zetl(status="NEEDS_ATTENTION", integrationName="zetl\r\nSubject: forged\u0000\u001b[31mé日本"),
    "zetl", "integration name with CR/LF, NUL, ANSI escapes and non-ASCII (it names the alert)",
    alerts=["integration-doctor"])
add("zetl-forged-aws-source.json", zetl() | {"source": "aws.glue"}, "zetl",
    "lakewarden's detail-type under source aws.glue", ["Zero-ETL", "not handle", "aws.glue"])
add("zetl-extra-fields.json", zetl(fix=True, allowed_source_accounts=[Z], targetRoleArn=f"arn:aws:iam::{Z}:role/evil"),
    "zetl", "extra detail fields that look like configuration")

# ---------------------------------------------------------------- CloudTrail
add("cloudtrail-event-name-other.json", cloudtrail("DeleteIntegration"), "cloudtrail",
    "CloudTrail DeleteIntegration", ["DeleteIntegration", "CreateIntegration"])
add("cloudtrail-event-name-number.json", cloudtrail(detail={"eventName": 7}), "cloudtrail",
    "eventName is a number", ["CreateIntegration", "eventName"])
add("cloudtrail-detail-null.json", cloudtrail() | {"detail": None}, "cloudtrail", "null detail", ["CreateIntegration", "eventName"])
add("cloudtrail-other-account-parameters.json",
    cloudtrail(detail={"eventName": "CreateIntegration", "recipientAccountId": Z,
                       "requestParameters": {"sourceArn": f"arn:aws:dynamodb:eu-west-1:{Z}:table/*",
                                             "targetArn": f"arn:aws:glue:eu-west-1:{X}:database/../payroll"}}),
    "cloudtrail", "CreateIntegration naming other accounts, regions and wildcard resources: parameters are never used")
add("cloudtrail-parameters-256k.json",
    cloudtrail(detail={"eventName": "CreateIntegrationResourceProperty",
                       "requestParameters": {"resourceArn": "arn:aws:glue:us-east-1:%s:database/%s" % (C, "d" * BIG)}}),
    "cloudtrail", "a 256 KB resource ARN in the request parameters")
add("unparseable-cloudtrail-deep-10000.json", None, "cloudtrail", "10,000 nested arrays in requestParameters",
    raw=deep_text(DEEP, '{"version": "0", "id": "deep", "detail-type": "AWS API Call via CloudTrail", '
                  '"source": "aws.glue", "account": "%s", "time": "2026-11-24T10:00:00Z", "region": "us-east-1", '
                  '"resources": [], "detail": {"eventName": "CreateIntegration", "requestParameters": ' % P, "}}"))

# ---------------------------------------------------------------- scheduled
add("scheduled-detail-null.json", sched() | {"detail": None}, "scheduled", "a scheduled event with null detail")
add("scheduled-time-missing.json", {k: v for k, v in sched().items() if k != "time"}, "scheduled",
    "a scheduled event without time (table-exporter needs it)", ["time"])
add("scheduled-time-offset.json", sched(time="2026-11-24T19:00:00+09:00"), "scheduled",
    "the same instant as the reconcile, written with a +09:00 offset: the same schedule time")
add("scheduled-time-epoch.json", sched(time="1970-01-01T00:00:00Z"), "scheduled",
    "a schedule time in 1970 (nobody's schedule fires then)")
add("scheduled-time-far-future.json", sched(time="9999-12-31T23:59:59Z"), "scheduled",
    "a schedule time in 9999")
add("scheduled-other-account-rule.json", sched(account=Z, resources=[f"arn:aws:events:eu-west-1:{Z}:rule/evil"]),
    "scheduled", "another account's and region's rule")
add("scheduled-id-256k.json", sched(id_="i" * BIG), "scheduled", "a 256 KB event id")
add("scheduled-deep-detail-120.json", sched(detail=nested(120, "x")), "scheduled", "120 levels of nesting in detail (parses)")
add("unparseable-scheduled-deep-10000.json", None, "scheduled", "10,000 nested arrays in detail",
    raw=deep_text(DEEP, '{"version": "0", "id": "deep", "detail-type": "Scheduled Event", "source": "aws.events", '
                  '"account": "%s", "time": "2026-11-24T10:00:00Z", "region": "us-east-1", "resources": [], '
                  '"detail": ' % P, "}"))
add("unparseable-truncated.json", None, "any", "a truncated document",
    raw=json.dumps(sched())[:60])


def main():
    for f in os.listdir(HERE):
        if f.endswith(".json"):
            os.remove(os.path.join(HERE, f))
    total = 0
    for name, text in CORPUS.items():
        data = text.encode("utf-8")
        total += len(data)
        with open(os.path.join(HERE, name), "wb") as fh:
            fh.write(data + b"\n")
    with open(os.path.join(HERE, "index.json"), "w", encoding="utf-8") as fh:
        json.dump(INDEX, fh, indent=1, sort_keys=True, ensure_ascii=True)
        fh.write("\n")
    print(f"{len(CORPUS)} events, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
