"""RAM: associate/disassociate and the name filter (ram_ext.py)."""


def arns(account, *tables):
    base = f"arn:aws:glue:us-east-1:{account}"
    return [f"{base}:database/cur_org"] + [f"{base}:table/cur_org/{t}" for t in tables]


def entities(ram, share_arn, kind):
    got = ram.get_resource_share_associations(associationType=kind, resourceShareArns=[share_arn])
    return sorted(a["associatedEntity"] for a in got["resourceShareAssociations"])


def test_glue_arns_share_and_associations_follow_changes(server, account):
    ram = server.client("ram", account)
    share = ram.create_resource_share(name=f"lakewarden-{account}", resourceArns=arns(account, "a"),
                                      principals=["222222222222"])["resourceShare"]["resourceShareArn"]
    out = ram.associate_resource_share(resourceShareArn=share, resourceArns=arns(account, "b")[1:],
                                       principals=["333333333333"])
    assert {a["associatedEntity"] for a in out["resourceShareAssociations"]} == {
        arns(account, "b")[1], "333333333333"}
    assert entities(ram, share, "RESOURCE") == sorted(arns(account, "a", "b"))
    assert entities(ram, share, "PRINCIPAL") == ["222222222222", "333333333333"]
    ram.disassociate_resource_share(resourceShareArn=share, resourceArns=[arns(account, "a")[1]],
                                    principals=["222222222222"])
    assert entities(ram, share, "RESOURCE") == sorted(arns(account, "b"))
    assert entities(ram, share, "PRINCIPAL") == ["333333333333"]
    # Associating what is already there adds nothing twice.
    ram.associate_resource_share(resourceShareArn=share, resourceArns=arns(account, "b"))
    assert entities(ram, share, "RESOURCE") == sorted(arns(account, "b"))


def test_get_resource_shares_filters_by_name(server, account):
    ram = server.client("ram", account)
    for n in ("one", "two"):
        ram.create_resource_share(name=f"{n}-{account}", resourceArns=arns(account), principals=["222222222222"])
    got = ram.get_resource_shares(resourceOwner="SELF", name=f"two-{account}")["resourceShares"]
    assert [s["name"] for s in got] == [f"two-{account}"]
