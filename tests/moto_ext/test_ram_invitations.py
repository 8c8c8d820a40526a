"""RAM invitations derived from producers' RAM shares and LF grants (ram_invitations.py)."""
import botocore.exceptions
import pytest


def lf_grant_db(server, producer, consumer, db="cur_org"):
    server.client("glue", producer).create_database(DatabaseInput={"Name": db})
    server.client("lakeformation", producer).grant_permissions(
        CatalogId=producer, Principal={"DataLakePrincipalIdentifier": consumer},
        Resource={"Database": {"CatalogId": producer, "Name": db}},
        Permissions=["DESCRIBE"], PermissionsWithGrantOption=["DESCRIBE"])


def test_lf_grant_to_an_outside_account_reaches_it_as_a_pending_invitation(server, account):
    producer, consumer = account, f"{int(account) + 500:012d}"
    ram = server.client("ram", consumer)
    assert ram.get_resource_share_invitations()["resourceShareInvitations"] == []
    lf_grant_db(server, producer, consumer)
    invs = ram.get_resource_share_invitations()["resourceShareInvitations"]
    assert len(invs) == 1
    inv = invs[0]
    assert inv["senderAccountId"] == producer and inv["receiverAccountId"] == consumer
    assert inv["status"] == "PENDING"
    out = ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert out["resourceShareInvitation"]["status"] == "ACCEPTED"
    assert ram.get_resource_share_invitations()["resourceShareInvitations"][0]["status"] == "ACCEPTED"


def test_ram_share_naming_the_consumer_creates_an_invitation_and_can_be_rejected(server, account):
    producer, consumer = account, f"{int(account) + 600:012d}"
    server.client("ram", producer).create_resource_share(
        name="direct", resourceArns=[f"arn:aws:glue:us-east-1:{producer}:database/sales"], principals=[consumer])
    ram = server.client("ram", consumer)
    inv = ram.get_resource_share_invitations()["resourceShareInvitations"][0]
    assert inv["resourceShareName"] == "direct"
    ram.reject_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert ram.get_resource_share_invitations()["resourceShareInvitations"][0]["status"] == "REJECTED"
    with pytest.raises(botocore.exceptions.ClientError):
        ram.accept_resource_share_invitation(resourceShareInvitationArn="arn:aws:ram:us-east-1:1:resource-share-invitation/x")


def test_same_organization_needs_no_invitation(server, account):
    producer = account
    org = server.client("organizations", producer)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="member", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
    lf_grant_db(server, producer, member)
    assert server.client("ram", member).get_resource_share_invitations()["resourceShareInvitations"] == []
    dbs = server.client("glue", member).get_databases(ResourceShareType="FOREIGN")["DatabaseList"]
    assert [(d["CatalogId"], d["Name"]) for d in dbs] == [(producer, "cur_org")]


def test_other_accounts_lists_shares_made_with_this_account(server, account):
    producer, consumer = account, f"{int(account) + 700:012d}"
    ram = server.client("ram", consumer)
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    lf_grant_db(server, producer, consumer)
    server.client("ram", producer).create_resource_share(
        name="direct", resourceArns=[f"arn:aws:glue:us-east-1:{producer}:database/sales"], principals=[consumer])
    shares = ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert sorted((s["name"], s["owningAccountId"], s["status"]) for s in shares) == [
        (f"LakeFormation-V3-{producer}-{consumer}", producer, "PENDING"), ("direct", producer, "PENDING")]
    invs = {i["resourceShareName"]: i for i in ram.get_resource_share_invitations()["resourceShareInvitations"]}
    ram.accept_resource_share_invitation(resourceShareInvitationArn=invs["direct"]["resourceShareInvitationArn"])
    ram.reject_resource_share_invitation(
        resourceShareInvitationArn=invs[f"LakeFormation-V3-{producer}-{consumer}"]["resourceShareInvitationArn"])
    shares = ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [(s["name"], s["status"], s["resourceShareArn"]) for s in shares] == [
        ("direct", "ACTIVE", invs["direct"]["resourceShareArn"])]
    # The filters of GetResourceShares apply (ram_ext.py), and SELF still lists only own shares.
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS", name="other")["resourceShares"] == []
    assert ram.get_resource_shares(resourceOwner="SELF")["resourceShares"] == []
    # In the same organization: listed ACTIVE without any invitation.
    org = server.client("organizations", producer)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="m2", Email="m2@example.com")["CreateAccountStatus"]["AccountId"]
    lf_grant_db(server, producer, member, db="hr")
    shares = server.client("ram", member).get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [(s["owningAccountId"], s["status"]) for s in shares] == [(producer, "ACTIVE")]
