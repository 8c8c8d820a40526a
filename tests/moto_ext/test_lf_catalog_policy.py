"""Named-resource cross-account grants and the producer's Data Catalog resource policy (lf_catalog_policy.py).

AWS page followed: Lake Formation Developer Guide, "Managing cross-account permissions using
both AWS Glue and Lake Formation", section "When granting cross-account permissions using the
Lake Formation named resources method"
https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-cross-account.html
— with a catalog policy lacking the glue:ShareResource statement for ram.amazonaws.com, "the
Lake Formation grant succeeds, but becomes blocked in AWS RAM, and the recipient account can't
access the granted resource". On plain moto 5.2.5 (with this project's RAM/Glue views) the
recipient sees the share whatever the policy says.
"""
import json

import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"


def share_statement(producer):
    return {"Sid": "AllowRamShare", "Effect": "Allow", "Action": ["glue:ShareResource"],
            "Principal": {"Service": ["ram.amazonaws.com"]},
            "Resource": [f"arn:aws:glue:{REGION}:{producer}:table/*/*", f"arn:aws:glue:{REGION}:{producer}:database/*",
                         f"arn:aws:glue:{REGION}:{producer}:catalog"]}


def zero_etl_statement(producer, source="111111111111"):
    # The kind of policy a zero-ETL target account has (scenario S1): no ShareResource statement.
    return {"Sid": "Inbound", "Effect": "Allow", "Action": "glue:CreateInboundIntegration",
            "Principal": {"AWS": f"arn:aws:iam::{source}:root"},
            "Resource": [f"arn:aws:glue:{REGION}:{producer}:catalog", f"arn:aws:glue:{REGION}:{producer}:database/db"]}


def put_policy(glue, statements, hash_=None, hybrid="TRUE"):
    kw = {"PolicyInJson": json.dumps({"Version": "2012-10-17", "Statement": statements})}
    if hybrid:
        kw["EnableHybrid"] = hybrid
    if hash_:
        kw["PolicyHashCondition"] = hash_
    return glue.put_resource_policy(**kw)["PolicyHash"]


def grant(lf, consumer, resource, perms=("SELECT", "DESCRIBE")):
    lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": consumer}, Resource=resource,
                         Permissions=list(perms), PermissionsWithGrantOption=list(perms))


def consumer_view(server, consumer):
    ram = server.client("ram", consumer)
    invs = ram.get_resource_share_invitations()["resourceShareInvitations"]
    for inv in invs:
        if inv["status"] == "PENDING":
            ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    dbs = server.client("glue", consumer).get_databases(ResourceShareType="FOREIGN")["DatabaseList"]
    return len(invs), sorted(d["Name"] for d in dbs)


@pytest.fixture
def setup(server, account):
    producer, consumer = account, f"{int(account) + 900:012d}"
    glue = server.client("glue", producer)
    for db in ("cur_org", "zetl"):
        glue.create_database(DatabaseInput={"Name": db})
    return producer, consumer, glue, server.client("lakeformation", producer)


def test_a_policy_without_the_share_statement_blocks_named_and_wildcard_grants(server, setup):
    producer, consumer, glue, lf = setup
    h = put_policy(glue, [zero_etl_statement(producer)])
    # The grant calls succeed (as AWS documents) ...
    grant(lf, consumer, {"Database": {"Name": "cur_org"}}, ["DESCRIBE"])
    grant(lf, consumer, {"Table": {"DatabaseName": "cur_org", "TableWildcard": {}}})
    grant(lf, consumer, {"Table": {"DatabaseName": "zetl", "Name": "orders"}})
    assert len(lf.list_permissions()["PrincipalResourcePermissions"]) == 3
    # ... but nothing reaches the consumer: no invitation, no shared database,
    assert consumer_view(server, consumer) == (0, [])
    # and it holds nothing it could re-grant.
    with pytest.raises(ClientError) as e:
        server.client("lakeformation", consumer).grant_permissions(
            Principal={"DataLakePrincipalIdentifier": f"arn:aws:iam::{consumer}:role/r"},
            Resource={"Table": {"CatalogId": producer, "DatabaseName": "cur_org", "TableWildcard": {}}},
            Permissions=["SELECT"])
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    # With the documented statement added, the grants made again go through.
    put_policy(glue, [zero_etl_statement(producer), share_statement(producer)], h)
    assert consumer_view(server, consumer) == (0, [])
    grant(lf, consumer, {"Database": {"Name": "cur_org"}}, ["DESCRIBE"])
    grant(lf, consumer, {"Table": {"DatabaseName": "cur_org", "TableWildcard": {}}})
    grant(lf, consumer, {"Table": {"DatabaseName": "zetl", "Name": "orders"}})
    assert consumer_view(server, consumer) == (1, ["cur_org", "zetl"])
    server.client("lakeformation", consumer).grant_permissions(
        Principal={"DataLakePrincipalIdentifier": f"arn:aws:iam::{consumer}:role/r"},
        Resource={"Table": {"CatalogId": producer, "DatabaseName": "cur_org", "TableWildcard": {}}},
        Permissions=["SELECT"])


def test_the_statement_must_cover_the_resource_and_name_ram(server, setup):
    producer, consumer, glue, lf = setup
    narrow = dict(share_statement(producer), Resource=[f"arn:aws:glue:{REGION}:{producer}:database/zetl",
                                                       f"arn:aws:glue:{REGION}:{producer}:table/zetl/*"])
    wrong_principal = dict(share_statement(producer), Sid="Other", Principal={"Service": "glue.amazonaws.com"})
    put_policy(glue, [narrow, wrong_principal])
    grant(lf, consumer, {"Database": {"Name": "cur_org"}}, ["DESCRIBE"])
    assert consumer_view(server, consumer) == (0, [])
    grant(lf, consumer, {"Database": {"Name": "zetl"}}, ["DESCRIBE"])
    assert consumer_view(server, consumer) == (1, ["zetl"])


def test_a_grant_made_before_the_policy_existed_stays_shared(server, setup):
    producer, consumer, glue, lf = setup
    grant(lf, consumer, {"Database": {"Name": "cur_org"}}, ["DESCRIBE"])
    put_policy(glue, [zero_etl_statement(producer)])
    grant(lf, consumer, {"Database": {"Name": "zetl"}}, ["DESCRIBE"])
    assert consumer_view(server, consumer) == (1, ["cur_org"])


def test_an_explicit_deny_blocks_even_with_the_allow(server, setup):
    producer, consumer, glue, lf = setup
    deny = dict(share_statement(producer), Sid="NoShare", Effect="Deny",
                Resource=[f"arn:aws:glue:{REGION}:{producer}:database/cur_org"])
    put_policy(glue, [share_statement(producer), deny])
    grant(lf, consumer, {"Database": {"Name": "cur_org"}}, ["DESCRIBE"])
    assert consumer_view(server, consumer) == (0, [])


def test_after_ram_grants_a_policy_is_saved_only_with_enable_hybrid(server, setup):
    """Same page, section "When granting cross-account permissions using the AWS Glue Data Catalog
    resource policy"; Glue API reference, PutResourcePolicy EnableHybrid: "otherwise the call fails"."""
    producer, consumer, glue, lf = setup
    # No cross-account grant yet: saved without EnableHybrid.
    h = put_policy(glue, [zero_etl_statement(producer)], hybrid=None)
    # A same-account grant does not involve RAM.
    lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": f"arn:aws:iam::{producer}:role/r"},
                         Resource={"Database": {"Name": "cur_org"}}, Permissions=["DESCRIBE"])
    h = put_policy(glue, [zero_etl_statement(producer), share_statement(producer)], h, hybrid="FALSE")
    grant(lf, consumer, {"Database": {"Name": "cur_org"}}, ["DESCRIBE"])
    for hybrid in (None, "FALSE"):
        with pytest.raises(ClientError) as e:
            put_policy(glue, [share_statement(producer)], h, hybrid=hybrid)
        assert e.value.response["Error"]["Code"] == "InvalidInputException"
    # Unchanged, and saved once EnableHybrid is TRUE.
    stored = json.loads(glue.get_resource_policy()["PolicyInJson"])
    assert [s["Sid"] for s in stored["Statement"]] == ["Inbound", "AllowRamShare"]
    put_policy(glue, [share_statement(producer)], h, hybrid="TRUE")
    assert [s["Sid"] for s in json.loads(glue.get_resource_policy()["PolicyInJson"])["Statement"]] == ["AllowRamShare"]
