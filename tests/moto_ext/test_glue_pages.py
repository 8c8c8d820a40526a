"""Glue GetTables / GetDatabases page like AWS (glue_pages.py).

AWS Glue Web API Reference, GetTables (https://docs.aws.amazon.com/glue/latest/webapi/API_GetTables.html)
and GetDatabases (https://docs.aws.amazon.com/glue/latest/webapi/API_GetDatabases.html):
`MaxResults` 1-100, `NextToken` "a continuation token, if this is a continuation call". Plain moto
5.2.5 returns every table in one response and no NextToken (test_a_database_of_250_tables_... fails
there: LAKEWARDEN_MOTO_SKIP=glue_pages).
"""
import botocore.exceptions
import pytest

from test_ram_invitations import lf_grant_db


def _tables(glue, db, n, prefix="t"):
    for i in range(n):
        glue.create_table(DatabaseName=db, TableInput={
            "Name": f"{prefix}{i:04d}", "StorageDescriptor": {"Location": f"s3://b/{db}/{prefix}{i:04d}/"}})


def test_a_database_of_250_tables_comes_in_pages_of_at_most_100(server, account):
    glue = server.client("glue", account)
    glue.create_database(DatabaseInput={"Name": "big"})
    _tables(glue, "big", 250)
    first = glue.get_tables(DatabaseName="big")
    assert len(first["TableList"]) == 100
    assert first.get("NextToken")
    names = [t["Name"] for t in first["TableList"]]
    token, pages = first["NextToken"], 1
    while token:
        page = glue.get_tables(DatabaseName="big", NextToken=token)
        assert len(page["TableList"]) <= 100
        names += [t["Name"] for t in page["TableList"]]
        token, pages = page.get("NextToken"), pages + 1
    assert pages == 3
    assert sorted(names) == [f"t{i:04d}" for i in range(250)]
    # boto3's paginator (what a caller should use) sees every table once.
    paged = [t["Name"] for p in glue.get_paginator("get_tables").paginate(DatabaseName="big") for t in p["TableList"]]
    assert sorted(paged) == sorted(names) and len(paged) == 250


def test_max_results_is_honoured_and_bounded(server, account):
    glue = server.client("glue", account)
    glue.create_database(DatabaseInput={"Name": "small"})
    _tables(glue, "small", 7)
    page = glue.get_tables(DatabaseName="small", MaxResults=3)
    assert len(page["TableList"]) == 3 and page["NextToken"]
    rest = glue.get_tables(DatabaseName="small", MaxResults=5, NextToken=page["NextToken"])
    assert len(rest["TableList"]) == 4 and "NextToken" not in rest
    # Exactly one full page: no token.
    assert "NextToken" not in glue.get_tables(DatabaseName="small", MaxResults=7)
    for bad in (101, 1000):  # Valid Range: 1-100 (CatalogGetterPageSize)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            glue.get_tables(DatabaseName="small", MaxResults=bad)
        assert e.value.response["Error"]["Code"] == "InvalidInputException"


def test_a_token_is_only_good_for_the_request_that_issued_it(server, account):
    glue = server.client("glue", account)
    for db in ("one", "two"):
        glue.create_database(DatabaseInput={"Name": db})
        _tables(glue, db, 3)
    token = glue.get_tables(DatabaseName="one", MaxResults=1)["NextToken"]
    for kwargs in ({"DatabaseName": "two", "NextToken": token}, {"DatabaseName": "one", "NextToken": "garbage"}):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            glue.get_tables(**kwargs)
        assert e.value.response["Error"]["Code"] == "InvalidInputException"


def test_get_databases_pages_too(server, account):
    glue = server.client("glue", account)
    for i in range(105):
        glue.create_database(DatabaseInput={"Name": f"db{i:03d}"})
    first = glue.get_databases()
    assert len(first["DatabaseList"]) == 100 and first["NextToken"]
    second = glue.get_databases(NextToken=first["NextToken"])
    assert len(second["DatabaseList"]) == 5 and "NextToken" not in second
    names = [d["Name"] for d in first["DatabaseList"] + second["DatabaseList"]]
    assert sorted(names) == [f"db{i:03d}" for i in range(105)]


def test_a_shared_catalog_pages_for_the_consumer(server, account):
    producer, consumer = account, f"{int(account) + 900:012d}"
    lf_grant_db(server, producer, consumer)  # producer's cur_org, shared with the consumer
    _tables(server.client("glue", producer), "cur_org", 120)
    ram = server.client("ram", consumer)
    for inv in ram.get_resource_share_invitations()["resourceShareInvitations"]:
        ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    glue = server.client("glue", consumer)
    first = glue.get_tables(CatalogId=producer, DatabaseName="cur_org")
    assert len(first["TableList"]) == 100 and first["NextToken"]
    second = glue.get_tables(CatalogId=producer, DatabaseName="cur_org", NextToken=first["NextToken"])
    assert len(second["TableList"]) == 20 and "NextToken" not in second
