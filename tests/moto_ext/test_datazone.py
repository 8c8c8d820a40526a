"""The DataZone emulation (datazone.py), called through boto3's real DataZone client."""
import json
import urllib.request

import botocore.exceptions
import pytest


def put(server, kind, item):
    req = urllib.request.Request(server.endpoint + "/lakewarden-test/datazone/put", method="POST",
                                 data=json.dumps({"kind": kind, "item": item}).encode())
    assert urllib.request.urlopen(req).status == 200


def test_environment_target_listing_and_grant_status(server, account):
    d = f"dzd_{account}"
    put(server, "domain", {"id": d})
    put(server, "environment", {"id": "env1", "domainId": d, "projectId": "prj1", "awsAccountId": account,
                                "userRoleArn": f"arn:aws:iam::{account}:role/datazone_usr_env1", "subDatabase": "env1_sub_db"})
    put(server, "subscription-target", {"id": "tgt1", "domainId": d, "environmentId": "env1", "databaseName": "env1_sub_db"})
    put(server, "listing", {"id": "lst1", "domainId": d, "assetId": "ast1", "databaseName": "cm_kasama_sales",
                            "tableName": "orders", "catalogId": account})
    put(server, "subscription-grant", {"id": "grt1", "domainId": d, "listingId": "lst1", "subscriptionTargetId": "tgt1",
                                       "environmentId": "env1", "assetId": "ast1"})
    dz = server.client("datazone", account)
    env = dz.get_environment(domainIdentifier=d, identifier="env1")
    assert {r["name"]: r["value"] for r in env["provisionedResources"]}["userRoleArn"].endswith("datazone_usr_env1")
    tgt = dz.get_subscription_target(domainIdentifier=d, environmentIdentifier="env1", identifier="tgt1")
    assert json.loads(tgt["subscriptionTargetConfig"][0]["content"])["databaseName"] == "env1_sub_db"
    listing = dz.get_listing(domainIdentifier=d, identifier="lst1")
    forms = json.loads(listing["item"]["assetListing"]["forms"])
    assert forms["GlueTableForm"]["tableName"] == "orders"
    out = dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1",
                                              status="GRANT_FAILED", failureCause={"message": "table missing"})
    assert out["assets"][0]["status"] == "GRANT_FAILED"
    grant = dz.get_subscription_grant(domainIdentifier=d, identifier="grt1")
    assert grant["assets"][0]["failureCause"]["message"] == "table missing"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dz.get_environment(domainIdentifier=d, identifier="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_listings_for_the_scheduled_reconcile(server, account):
    d = f"dzd_l{account}"
    put(server, "domain", {"id": d})
    for env, project in [("e1", "p1"), ("e2", "p1"), ("e3", "p2")]:
        put(server, "environment", {"id": env, "domainId": d, "projectId": project, "awsAccountId": account,
                                    "userRoleArn": f"arn:aws:iam::{account}:role/datazone_usr_{env}"})
    put(server, "subscription-grant", {"id": "g1", "domainId": d, "listingId": "l1", "subscriptionTargetId": "t1",
                                       "environmentId": "e1", "assetId": "a1"})
    dz = server.client("datazone", account)
    assert sorted(p["id"] for p in dz.list_projects(domainIdentifier=d)["items"]) == ["p1", "p2"]
    assert sorted(e["id"] for e in dz.list_environments(domainIdentifier=d, projectIdentifier="p1")["items"]) == ["e1", "e2"]
    grants = dz.list_subscription_grants(domainIdentifier=d)["items"]
    assert [(g["id"], g["assets"][0]["status"]) for g in grants] == [("g1", "GRANT_PENDING")]
    assert dz.list_subscription_grants(domainIdentifier=d, subscriptionTargetId="other")["items"] == []
