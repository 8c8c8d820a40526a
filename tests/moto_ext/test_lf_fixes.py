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
