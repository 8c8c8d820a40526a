"""A withdrawn RAM share as the consumer sees it, and ListResources (ram_shared_view.py).

AWS pages followed: AWS RAM API Reference *GetResourceShares* (``resourceShareStatus`` takes
``DELETED``: a deleted share stays listed with that status) and *ListResources*
(``resourceOwner=OTHER-ACCOUNTS``: the resources shared with the caller, each with the
``resourceShareArn`` carrying it); AWS RAM User Guide *Viewing resource shares shared with you*.
Both tests fail on plain moto (and on moto with ram_invitations.py alone): the deleted share
vanished from the consumer's listing and ListResources was not routed.
"""


def _share(server, producer, consumer, db="sales"):
    arn = f"arn:aws:glue:us-east-1:{producer}:database/{db}"
    share = server.client("ram", producer).create_resource_share(
        name=f"lakewarden-{db}", resourceArns=[arn], principals=[consumer])["resourceShare"]
    ram = server.client("ram", consumer)
    inv = [i for i in ram.get_resource_share_invitations()["resourceShareInvitations"]
           if i["resourceShareArn"] == share["resourceShareArn"]][0]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    return share["resourceShareArn"], arn


def test_a_deleted_share_stays_listed_deleted_to_the_consumer(server, account):
    producer, consumer = account, f"{int(account) + 800:012d}"
    share_arn, _ = _share(server, producer, consumer)
    ram = server.client("ram", consumer)
    shares = ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [(s["resourceShareArn"], s["status"]) for s in shares] == [(share_arn, "ACTIVE")]
    server.client("ram", producer).delete_resource_share(resourceShareArn=share_arn)
    shares = ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [(s["resourceShareArn"], s["status"]) for s in shares] == [(share_arn, "DELETED")]
    # The status filter finds it; ACTIVE does not.
    assert len(ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS", resourceShareStatus="DELETED")["resourceShares"]) == 1
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS", resourceShareStatus="ACTIVE")["resourceShares"] == []
    # Withdrawn means invisible: the database is no longer listed to the consumer.
    assert server.client("glue", consumer).get_databases(ResourceShareType="FOREIGN")["DatabaseList"] == []


def test_a_deleted_share_never_reached_is_not_listed(server, account):
    producer, consumer, other = account, f"{int(account) + 810:012d}", f"{int(account) + 820:012d}"
    share = server.client("ram", producer).create_resource_share(
        name="pending", resourceArns=[f"arn:aws:glue:us-east-1:{producer}:database/x"], principals=[consumer])["resourceShare"]
    # The invitation was never accepted: the share never reached the consumer.
    server.client("ram", producer).delete_resource_share(resourceShareArn=share["resourceShareArn"])
    assert server.client("ram", consumer).get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert server.client("ram", other).get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []


def test_list_resources_names_the_share_that_carries_each_resource(server, account):
    producer, consumer = account, f"{int(account) + 830:012d}"
    share_arn, db_arn = _share(server, producer, consumer)
    ram = server.client("ram", consumer)
    out = ram.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceType="glue:Database")["resources"]
    assert [(r["arn"], r["resourceShareArn"], r["type"]) for r in out] == [(db_arn, share_arn, "glue:Database")]
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceShareArns=["arn:aws:ram:us-east-1:1:resource-share/x"])["resources"] == []
    own = server.client("ram", producer).list_resources(resourceOwner="SELF")["resources"]
    assert [r["arn"] for r in own] == [db_arn]
    server.client("ram", producer).delete_resource_share(resourceShareArn=share_arn)
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
