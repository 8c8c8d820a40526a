"""Lake Formation: a recipient account lists what it received (lf_received.py).

AWS page followed: Lake Formation Developer Guide, "Viewing database and table permissions in
Lake Formation", https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-permissions.html
(a principal holding a permission on a resource with the grant option may view the permissions
on it). That the recipient's ListPermissions under the owner's catalog id returns the owner's
grants to the recipient account is an assumption ([not found]; docs/aws-semantics.md §1).
Each test fails on plain moto 5.2.5, where the consumer's listing under the producer's catalog
id is empty.
"""
import itertools
import os

_n = itertools.count(1)


def other_account():
    return f"{700000000000 + os.getpid() % 1000 * 1000 + next(_n):012d}"


def p(ident):
    return {"DataLakePrincipalIdentifier": ident}


def table(catalog, name, database="cur_org"):
    return {"Table": {"CatalogId": catalog, "DatabaseName": database, "Name": name}}


def wildcard(catalog, database="cur_org"):
    return {"Table": {"CatalogId": catalog, "DatabaseName": database, "TableWildcard": {}}}


def listed(client, **kw):
    return client.list_permissions(**kw)["PrincipalResourcePermissions"]


def test_a_consumer_sees_the_grants_it_received_with_their_grant_options(server, account):
    consumer, stranger = other_account(), other_account()
    prod = server.client("lakeformation", account)
    cons = server.client("lakeformation", consumer)
    prod.grant_permissions(Principal=p(consumer), Resource=table(account, "t1"), Permissions=["SELECT", "DESCRIBE"],
                           PermissionsWithGrantOption=["SELECT", "DESCRIBE"])
    prod.grant_permissions(Principal=p(f"arn:aws:iam::{account}:role/analyst"), Resource=wildcard(account),
                           Permissions=["SELECT"])
    prod.grant_permissions(Principal=p(stranger), Resource=wildcard(account), Permissions=["SELECT"],
                           PermissionsWithGrantOption=["SELECT"])
    got = listed(cons, CatalogId=account)
    assert len(got) == 1, got
    assert got[0]["Principal"] == p(consumer)
    assert got[0]["Resource"] == table(account, "t1")
    assert sorted(got[0]["PermissionsWithGrantOption"]) == ["DESCRIBE", "SELECT"]
    # Its own catalog is unchanged by what it received.
    assert listed(cons) == []
    # The usual filters apply: no wildcard was received.
    assert listed(cons, CatalogId=account, Resource=wildcard(account)) == []
    assert len(listed(cons, CatalogId=account, Resource=table(account, "t1"))) == 1


def test_a_grant_ram_blocked_is_not_received(server, account):
    # lf_catalog_policy.py: with a catalog policy lacking glue:ShareResource for RAM, the grant
    # succeeds in the producer but never reaches the consumer.
    import json

    consumer = other_account()
    glue = server.client("glue", account)
    glue.put_resource_policy(PolicyInJson=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "glue:GetDatabase",
        "Resource": f"arn:aws:glue:us-east-1:{account}:catalog"}]}))
    prod = server.client("lakeformation", account)
    cons = server.client("lakeformation", consumer)
    prod.grant_permissions(Principal=p(consumer), Resource=wildcard(account), Permissions=["SELECT"],
                           PermissionsWithGrantOption=["SELECT"])
    assert len(listed(prod)) == 1
    assert listed(cons, CatalogId=account) == []
