"""Lake Formation: each fix in lf_fixes.py, shown with the call sequence that broke."""


def db(account, name="cur_org"):
    return {"Database": {"CatalogId": account, "Name": name}}


def table(account, name, database="cur_org"):
    return {"Table": {"CatalogId": account, "DatabaseName": database, "Name": name}}


def wildcard(account, database="cur_org"):
    return {"Table": {"CatalogId": account, "DatabaseName": database, "TableWildcard": {}}}


def principal(p):
    return {"DataLakePrincipalIdentifier": p}


def test_list_permissions_by_table_with_a_wildcard_grant_present(server, account):
    lf = server.client("lakeformation", account)
    role = f"arn:aws:iam::{account}:role/analyst"
    lf.grant_permissions(CatalogId=account, Principal=principal(role), Resource=wildcard(account),
                         Permissions=["SELECT"])
    lf.grant_permissions(CatalogId=account, Principal=principal(role), Resource=table(account, "t1"),
                         Permissions=["DESCRIBE"])
    got = lf.list_permissions(CatalogId=account, Resource=table(account, "t1"))["PrincipalResourcePermissions"]
    assert [g["Permissions"] for g in got] == [["DESCRIBE"]]
    got = lf.list_permissions(CatalogId=account, Resource=wildcard(account))["PrincipalResourcePermissions"]
    assert [g["Permissions"] for g in got] == [["SELECT"]]


def test_revoke_after_merged_grant(server, account):
    lf = server.client("lakeformation", account)
    p = principal("222222222222")
    lf.grant_permissions(CatalogId=account, Principal=p, Resource=table(account, "t"), Permissions=["SELECT"])
    lf.grant_permissions(CatalogId=account, Principal=p, Resource=table(account, "t"), Permissions=["DESCRIBE"])
    lf.revoke_permissions(CatalogId=account, Principal=p, Resource=table(account, "t"), Permissions=["SELECT"])
    got = lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"]
    assert [g["Permissions"] for g in got] == [["DESCRIBE"]]
    lf.revoke_permissions(CatalogId=account, Principal=p, Resource=table(account, "t"), Permissions=["DESCRIBE"])
    assert lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"] == []


def test_batch_grant_and_revoke_keep_grant_options_for_every_principal_kind(server, account):
    lf = server.client("lakeformation", account)
    principals = ["222222222222", "arn:aws:organizations::111111111111:organization/o-abc123",
                  "arn:aws:iam::333333333333:role/analyst"]
    entries = []
    for i in range(20):
        p = principals[i % 3]
        grantable = [] if p.startswith("arn:aws:iam") else ["SELECT", "DESCRIBE"]
        entries.append({"Id": str(i), "Principal": principal(p), "Resource": table(account, f"t{i}"),
                        "Permissions": ["SELECT", "DESCRIBE"], "PermissionsWithGrantOption": grantable})
    assert lf.batch_grant_permissions(CatalogId=account, Entries=entries)["Failures"] == []
    got = lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"]
    assert len(got) == 20
    by_table = {g["Resource"]["Table"]["Name"]: g for g in got}
    assert sorted(by_table["t0"]["PermissionsWithGrantOption"]) == ["DESCRIBE", "SELECT"]
    assert by_table["t0"]["Principal"]["DataLakePrincipalIdentifier"] == "222222222222"
    assert by_table["t1"]["Principal"]["DataLakePrincipalIdentifier"].endswith("o-abc123")
    assert by_table["t2"]["PermissionsWithGrantOption"] == []
    assert by_table["t0"]["Resource"]["Table"]["CatalogId"] == account
    # Revoke only the grant option of one entry, then everything of the others.
    lf.batch_revoke_permissions(CatalogId=account, Entries=[
        {"Id": "0", "Principal": principal("222222222222"), "Resource": table(account, "t0"),
         "Permissions": [], "PermissionsWithGrantOption": ["SELECT"]}])
    got = {g["Resource"]["Table"]["Name"]: g for g in lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"]}
    assert got["t0"]["PermissionsWithGrantOption"] == ["DESCRIBE"]
    assert sorted(got["t0"]["Permissions"]) == ["DESCRIBE", "SELECT"]
    lf.batch_revoke_permissions(CatalogId=account, Entries=[
        {**e, "Permissions": ["SELECT", "DESCRIBE"]} for e in entries[1:]])
    left = lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"]
    assert [g["Resource"]["Table"]["Name"] for g in left] == ["t0"]


def test_batch_revoke_after_merged_grant_and_list_by_table_without_catalog_id(server, account):
    lf = server.client("lakeformation", account)
    p = principal("arn:aws:organizations::111111111111:organization/o-abc123")
    for perms in (["SELECT"], ["DESCRIBE"], ["ALTER"]):
        lf.grant_permissions(CatalogId=account, Principal=p, Resource=table(account, "t"), Permissions=perms,
                             PermissionsWithGrantOption=perms)
    out = lf.batch_revoke_permissions(CatalogId=account, Entries=[
        {"Id": "1", "Principal": p, "Resource": table(account, "t"), "Permissions": ["SELECT"],
         "PermissionsWithGrantOption": ["SELECT"]}])
    assert out["Failures"] == []
    # Permissions keep the order in which they were granted.
    got = lf.list_permissions(CatalogId=account, Resource={"Table": {"DatabaseName": "cur_org", "Name": "t"}})
    [g] = got["PrincipalResourcePermissions"]
    assert g["Permissions"] == ["DESCRIBE", "ALTER"]
    assert g["PermissionsWithGrantOption"] == ["DESCRIBE", "ALTER"]


def test_missing_catalog_id_means_the_callers_catalog(server, account):
    lf = server.client("lakeformation", account)
    p = principal("222222222222")
    lf.grant_permissions(Principal=p, Resource={"Database": {"Name": "cur_org"}}, Permissions=["DESCRIBE"])
    lf.grant_permissions(CatalogId=account, Principal=p, Resource={"Table": {"DatabaseName": "cur_org", "Name": "t"}},
                         Permissions=["SELECT"])
    got = lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"]
    assert sorted(json_key(g["Resource"]) for g in got) == sorted(
        [json_key(db(account)), json_key(table(account, "t"))])
    # A revoke naming the catalog matches a grant that did not, and the other way round.
    lf.revoke_permissions(CatalogId=account, Principal=p, Resource=db(account), Permissions=["DESCRIBE"])
    lf.revoke_permissions(Principal=p, Resource={"Table": {"DatabaseName": "cur_org", "Name": "t"}},
                          Permissions=["SELECT"])
    assert lf.list_permissions(CatalogId=account)["PrincipalResourcePermissions"] == []


def test_principal_is_returned_and_filtered_exactly_as_granted(server, account):
    """An account id stays an account id; it does not match its root ARN (nor the reverse)."""
    lf = server.client("lakeformation", account)
    lf.grant_permissions(CatalogId=account, Principal=principal("222222222222"), Resource=table(account, "t"),
                         Permissions=["SELECT"])

    def by(p):
        return lf.list_permissions(CatalogId=account, Principal=principal(p),
                                   Resource=table(account, "t"))["PrincipalResourcePermissions"]

    assert [g["Principal"] for g in by("222222222222")] == [principal("222222222222")]
    assert by("arn:aws:iam::222222222222:root") == []


def json_key(v):
    import json

    return json.dumps(v, sort_keys=True)
