"""Lake Formation re-grants (lf_regrant.py): a consumer grants only what it holds with the grant option.

AWS pages followed:
- Lake Formation Developer Guide, "Granting permissions on Data Catalog resources"
  https://docs.aws.amazon.com/lake-formation/latest/dg/granting-catalog-permissions.html
  (grants to external accounts carry the grant option; the external account's data lake
  administrator then grants the shared objects to principals of that account);
- "Granting permissions on a data location shared with your account"
  https://docs.aws.amazon.com/lake-formation/latest/dg/regranting-locations.html
  ("your account must have been granted the DATA_LOCATION_ACCESS permission on the location
  with the grant option");
- API reference, BatchGrantPermissions (per-entry `Failures`, each with RequestEntry and Error).
Each test fails on plain moto 5.2.5, which accepts every grant.
"""
import itertools
import os

import pytest
from botocore.exceptions import ClientError

_n = itertools.count(1)


def other_account():
    return f"{600000000000 + os.getpid() % 1000 * 1000 + next(_n):012d}"


def p(ident):
    return {"DataLakePrincipalIdentifier": ident}


def db(catalog, name="cur_org"):
    return {"Database": {"CatalogId": catalog, "Name": name}}


def table(catalog, name, database="cur_org"):
    return {"Table": {"CatalogId": catalog, "DatabaseName": database, "Name": name}}


def wildcard(catalog, database="cur_org"):
    return {"Table": {"CatalogId": catalog, "DatabaseName": database, "TableWildcard": {}}}


@pytest.fixture
def pair(server, account):
    """(producer LF client, consumer LF client, producer id, consumer id, consumer role)."""
    consumer = other_account()
    return (server.client("lakeformation", account), server.client("lakeformation", consumer), account, consumer,
            f"arn:aws:iam::{consumer}:role/glue-job")


def denied(call):
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    return e.value


def test_regrant_without_grant_option_is_refused(pair):
    # granting-catalog-permissions.html: a grant to an external account without the grant option
    # cannot be passed on by that account.
    prod, cons, producer, consumer, role = pair
    prod.grant_permissions(Principal=p(consumer), Resource=db(producer), Permissions=["DESCRIBE"])
    prod.grant_permissions(Principal=p(consumer), Resource=table(producer, "t1"), Permissions=["SELECT", "DESCRIBE"])
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=db(producer), Permissions=["DESCRIBE"]))
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"), Permissions=["SELECT"]))
    assert cons.list_permissions()["PrincipalResourcePermissions"] == []


def test_regrant_of_what_is_held_with_grant_option_succeeds(pair):
    prod, cons, producer, consumer, role = pair
    prod.grant_permissions(Principal=p(consumer), Resource=db(producer), Permissions=["DESCRIBE"],
                           PermissionsWithGrantOption=["DESCRIBE"])
    prod.grant_permissions(Principal=p(consumer), Resource=table(producer, "t1"), Permissions=["SELECT", "DESCRIBE"],
                           PermissionsWithGrantOption=["SELECT", "DESCRIBE"])
    cons.grant_permissions(Principal=p(role), Resource=db(producer), Permissions=["DESCRIBE"])
    cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"), Permissions=["SELECT", "DESCRIBE"])
    # Only what is held: ALTER was never granted, and t2 was not shared at all.
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"), Permissions=["ALTER"]))
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "t2"), Permissions=["SELECT"]))
    # Passing on the grant option needs it too (it is held here).
    cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"), Permissions=["SELECT"],
                           PermissionsWithGrantOption=["SELECT"])
    got = cons.list_permissions()["PrincipalResourcePermissions"]
    assert len(got) == 2


def test_grant_option_on_some_permissions_only(pair):
    prod, cons, producer, consumer, role = pair
    prod.grant_permissions(Principal=p(consumer), Resource=table(producer, "t1"), Permissions=["SELECT", "DESCRIBE"],
                           PermissionsWithGrantOption=["DESCRIBE"])
    cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"), Permissions=["DESCRIBE"])
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"),
                                          Permissions=["SELECT", "DESCRIBE"]))


def test_table_wildcard_needs_a_wildcard_grant_and_covers_named_tables(pair):
    prod, cons, producer, consumer, role = pair
    # Every table held by name is not the wildcard: a TableWildcard re-grant is refused.
    for t in ("t1", "t2"):
        prod.grant_permissions(Principal=p(consumer), Resource=table(producer, t), Permissions=["SELECT"],
                               PermissionsWithGrantOption=["SELECT"])
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=wildcard(producer), Permissions=["SELECT"]))
    # Once the wildcard is held with the grant option, both the wildcard and any table of it may be re-granted.
    prod.grant_permissions(Principal=p(consumer), Resource=wildcard(producer), Permissions=["SELECT", "DESCRIBE"],
                           PermissionsWithGrantOption=["SELECT", "DESCRIBE"])
    cons.grant_permissions(Principal=p(role), Resource=wildcard(producer), Permissions=["SELECT", "DESCRIBE"])
    cons.grant_permissions(Principal=p(role), Resource=table(producer, "created_later"), Permissions=["SELECT"])
    # ... but not a table of another database.
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "x", "other_db"),
                                          Permissions=["SELECT"]))


def test_all_with_grant_option_covers_every_permission(pair):
    prod, cons, producer, consumer, role = pair
    prod.grant_permissions(Principal=p(consumer), Resource=wildcard(producer), Permissions=["ALL"],
                           PermissionsWithGrantOption=["ALL"])
    cons.grant_permissions(Principal=p(role), Resource=wildcard(producer), Permissions=["SELECT", "ALTER"])
    # ... on that resource only: the database itself was not granted.
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=db(producer), Permissions=["DESCRIBE"]))


def test_same_account_grants_are_unaffected_but_a_foreign_one_is_checked(server, pair):
    prod, cons, producer, consumer, role = pair
    own_role = f"arn:aws:iam::{producer}:role/analyst"
    prod.grant_permissions(Principal=p(own_role), Resource=wildcard(producer), Permissions=["SELECT"])
    out = prod.batch_grant_permissions(Entries=[
        {"Id": "a", "Principal": p(own_role), "Resource": {"Database": {"Name": "cur_org"}}, "Permissions": ["DESCRIBE"]},
        {"Id": "b", "Principal": p(consumer), "Resource": table(producer, "t"), "Permissions": ["SELECT"],
         "PermissionsWithGrantOption": ["SELECT"]}])
    assert out["Failures"] == []
    assert len(prod.list_permissions()["PrincipalResourcePermissions"]) == 3
    # The consumer's own catalog is its own: granting there needs nothing from the producer ...
    cons.grant_permissions(Principal=p(role), Resource={"Database": {"Name": "cur_org_linked"}}, Permissions=["DESCRIBE"])
    # ... but the producer's table is held for SELECT only, not DESCRIBE.
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "t"), Permissions=["DESCRIBE"]))


def test_batch_grant_reports_refused_entries_in_failures_and_applies_the_others(pair):
    prod, cons, producer, consumer, role = pair
    prod.grant_permissions(Principal=p(consumer), Resource=db(producer), Permissions=["DESCRIBE"],
                           PermissionsWithGrantOption=["DESCRIBE"])
    entries = [
        {"Id": "0", "Principal": p(role), "Resource": db(producer), "Permissions": ["DESCRIBE"],
         "PermissionsWithGrantOption": []},
        {"Id": "1", "Principal": p(role), "Resource": wildcard(producer), "Permissions": ["SELECT", "DESCRIBE"],
         "PermissionsWithGrantOption": []},
    ]
    out = cons.batch_grant_permissions(CatalogId=consumer, Entries=entries)
    assert [f["RequestEntry"]["Id"] for f in out["Failures"]] == ["1"]
    assert out["Failures"][0]["Error"]["ErrorCode"] == "AccessDeniedException"
    assert out["Failures"][0]["RequestEntry"]["Resource"] == wildcard(producer)
    got = cons.list_permissions(CatalogId=consumer)["PrincipalResourcePermissions"]
    assert [list(g["Resource"]) for g in got] == [["Database"]]


def test_received_through_an_organization_grant(server, pair):
    prod, cons, producer, consumer, role = pair
    orgs = server.client("organizations", producer)
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    # The consumer must be a member of the producer's organization (moto creates the member account).
    member = orgs.create_account(Email=f"m{consumer}@example.com", AccountName="member")["CreateAccountStatus"]
    member_id = member["AccountId"]
    mem = server.client("lakeformation", member_id)
    prod.grant_permissions(Principal=p(org["Arn"]), Resource=table(producer, "t1"), Permissions=["SELECT"],
                           PermissionsWithGrantOption=["SELECT"])
    mem.grant_permissions(Principal=p(f"arn:aws:iam::{member_id}:role/r"), Resource=table(producer, "t1"),
                          Permissions=["SELECT"])
    # An account outside the organization holds nothing.
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=table(producer, "t1"), Permissions=["SELECT"]))


def test_data_location_regrant_needs_the_grant_option(pair):
    prod, cons, producer, consumer, role = pair
    loc = {"DataLocation": {"CatalogId": producer, "ResourceArn": "arn:aws:s3:::cur-data/cur"}}
    prod.grant_permissions(Principal=p(consumer), Resource=loc, Permissions=["DATA_LOCATION_ACCESS"])
    denied(lambda: cons.grant_permissions(Principal=p(role), Resource=loc, Permissions=["DATA_LOCATION_ACCESS"]))
    prod.grant_permissions(Principal=p(consumer), Resource=loc, Permissions=["DATA_LOCATION_ACCESS"],
                           PermissionsWithGrantOption=["DATA_LOCATION_ACCESS"])
    cons.grant_permissions(Principal=p(role), Resource=loc, Permissions=["DATA_LOCATION_ACCESS"])
