"""What a consumer sees of a producer's catalog (glue_shared.py)."""
import botocore.exceptions
import pytest

from test_ram_invitations import lf_grant_db


def setup(server, producer, consumer):
    glue = server.client("glue", producer)
    lf_grant_db(server, producer, consumer)
    glue.create_table(DatabaseName="cur_org", TableInput={
        "Name": "legacy_all", "StorageDescriptor": {"Location": "s3://cur-data/cur/legacy_all/"}})


def test_shared_database_is_visible_only_after_acceptance(server, account):
    producer, consumer = account, f"{int(account) + 700:012d}"
    setup(server, producer, consumer)
    glue = server.client("glue", consumer)
    assert glue.get_databases(ResourceShareType="FOREIGN")["DatabaseList"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        glue.get_tables(CatalogId=producer, DatabaseName="cur_org")
    assert e.value.response["Error"]["Code"] == "EntityNotFoundException"
    ram = server.client("ram", consumer)
    inv = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    dbs = glue.get_databases(ResourceShareType="FOREIGN")["DatabaseList"]
    assert [(d["CatalogId"], d["Name"]) for d in dbs] == [(producer, "cur_org")]
    glue.create_database(DatabaseInput={"Name": "own_db"})
    names = {(d.get("CatalogId"), d["Name"]) for d in glue.get_databases(ResourceShareType="ALL")["DatabaseList"]}
    assert names == {(producer, "cur_org"), (consumer, "own_db")}
    # Without ResourceShareType only the account's own databases.
    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["own_db"]
    tables = glue.get_tables(CatalogId=producer, DatabaseName="cur_org")["TableList"]
    assert [(t["Name"], t["StorageDescriptor"]["Location"]) for t in tables] == [
        ("legacy_all", "s3://cur-data/cur/legacy_all/")]
    assert glue.get_database(CatalogId=producer, Name="cur_org")["Database"]["CatalogId"] == producer


def test_resource_link_resolves_to_its_target(server, account):
    producer, consumer = account, f"{int(account) + 800:012d}"
    setup(server, producer, consumer)
    ram = server.client("ram", consumer)
    inv = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    glue = server.client("glue", consumer)
    glue.create_database(DatabaseInput={"Name": "cur_org_linked",
                                        "TargetDatabase": {"CatalogId": producer, "DatabaseName": "cur_org"}})
    link = glue.get_database(Name="cur_org_linked")["Database"]
    assert link["TargetDatabase"] == {"CatalogId": producer, "DatabaseName": "cur_org"}
    assert [t["Name"] for t in glue.get_tables(DatabaseName="cur_org_linked")["TableList"]] == ["legacy_all"]
    assert glue.get_table(DatabaseName="cur_org_linked", Name="legacy_all")["Table"]["Name"] == "legacy_all"


def test_revoked_share_disappears(server, account):
    producer, consumer = account, f"{int(account) + 900:012d}"
    setup(server, producer, consumer)
    ram = server.client("ram", consumer)
    inv = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    server.client("lakeformation", producer).revoke_permissions(
        CatalogId=producer, Principal={"DataLakePrincipalIdentifier": consumer},
        Resource={"Database": {"CatalogId": producer, "Name": "cur_org"}},
        Permissions=["DESCRIBE"], PermissionsWithGrantOption=["DESCRIBE"])
    assert server.client("glue", consumer).get_databases(ResourceShareType="FOREIGN")["DatabaseList"] == []
