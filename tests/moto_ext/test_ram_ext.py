"""RAM: associate/disassociate and the name filter (ram_ext.py)."""
import pytest
from botocore.exceptions import ClientError



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


def test_association_status_filter_filters_instead_of_relabelling(server, account):
    ram = server.client("ram", account)
    share = ram.create_resource_share(name=f"st-{account}", resourceArns=arns(account),
                                      principals=["222222222222"])["resourceShare"]["resourceShareArn"]
    got = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share],
                                              associationStatus="DISASSOCIATED")
    assert got["resourceShareAssociations"] == []
    got = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share],
                                              associationStatus="ASSOCIATED")
    assert [a["associatedEntity"] for a in got["resourceShareAssociations"]] == ["222222222222"]
    ram.delete_resource_share(resourceShareArn=share)
    got = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share])
    assert [a["status"] for a in got["resourceShareAssociations"]] == ["DISASSOCIATED"]
    assert ram.get_resource_shares(resourceOwner="SELF", name=f"st-{account}",
                                   resourceShareStatus="ACTIVE")["resourceShares"] == []
    with pytest.raises(ClientError) as e:
        ram.associate_resource_share(resourceShareArn=share, principals=["333333333333"])
    assert e.value.response["Error"]["Code"] == "InvalidStateTransitionException"


def test_associate_is_all_or_nothing_and_reports_associating(server, account):
    ram = server.client("ram", account)
    share = ram.create_resource_share(name=f"aon-{account}", resourceArns=arns(account),
                                      principals=["222222222222"])["resourceShare"]["resourceShareArn"]
    with pytest.raises(ClientError) as e:
        ram.associate_resource_share(resourceShareArn=share, resourceArns=arns(account, "x")[1:],
                                     principals=["not-a-principal"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"  # moto: "Principal ID … is malformed"
    assert entities(ram, share, "RESOURCE") == arns(account)
    out = ram.associate_resource_share(resourceShareArn=share, principals=["333333333333"])
    assert [(a["associatedEntity"], a["status"]) for a in out["resourceShareAssociations"]] == [
        ("333333333333", "ASSOCIATING")]
    out = ram.disassociate_resource_share(resourceShareArn=share, principals=["333333333333"])
    assert [a["status"] for a in out["resourceShareAssociations"]] == ["DISASSOCIATING"]
    with pytest.raises(ClientError) as e:
        ram.associate_resource_share(resourceShareArn=share.replace("-", "0"), principals=["333333333333"])
    assert e.value.response["Error"]["Code"] == "UnknownResourceException"


def test_glue_catalog_arn_is_shareable(server, account):
    ram = server.client("ram", account)
    catalog = f"arn:aws:glue:us-east-1:{account}:catalog"
    share = ram.create_resource_share(name=f"cat-{account}", resourceArns=[catalog] + arns(account, "a"),
                                      principals=["222222222222"])["resourceShare"]["resourceShareArn"]
    assert entities(ram, share, "RESOURCE") == sorted([catalog] + arns(account, "a"))


def test_update_keeps_what_is_not_given(server, account):
    ram = server.client("ram", account)
    share = ram.create_resource_share(name=f"up-{account}", resourceArns=arns(account), principals=["222222222222"],
                                      allowExternalPrincipals=False)["resourceShare"]["resourceShareArn"]
    out = ram.update_resource_share(resourceShareArn=share, allowExternalPrincipals=False)["resourceShare"]
    assert out["name"] == f"up-{account}"
    out = ram.update_resource_share(resourceShareArn=share, name=f"up2-{account}")["resourceShare"]
    assert (out["name"], out["allowExternalPrincipals"]) == (f"up2-{account}", False)
