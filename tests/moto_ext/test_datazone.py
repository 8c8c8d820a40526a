"""The DataZone service (datazone.py), called through boto3's real DataZone client."""
import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest


def post(server, path, body):
    req = urllib.request.Request(server.endpoint + path, method="POST", data=json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def put(server, kind, item, **extra):
    status, body = post(server, "/lakewarden-test/datazone/put", dict(extra, kind=kind, item=item))
    assert status == 200, body


def s4_domain(server, account, d):
    put(server, "domain", {"id": d}, account=account)
    put(server, "environment", {"id": "env1", "domainId": d, "projectId": "prj1", "awsAccountId": account,
                                "userRoleArn": f"arn:aws:iam::{account}:role/datazone_usr_env1", "subDatabase": "env1_sub_db"})
    put(server, "subscription-target", {"id": "tgt1", "domainId": d, "environmentId": "env1", "databaseName": "env1_sub_db"})
    put(server, "listing", {"id": "lst1", "domainId": d, "assetId": "ast1", "databaseName": "cm_kasama_sales",
                            "tableName": "orders", "catalogId": account})
    put(server, "subscription-grant", {"id": "grt1", "domainId": d, "listingId": "lst1", "subscriptionTargetId": "tgt1",
                                       "environmentId": "env1", "assetId": "ast1"})


def test_environment_target_listing_and_grant_status(server, account):
    d = f"dzd_{account}"
    s4_domain(server, account, d)
    dz = server.client("datazone", account)
    env = dz.get_environment(domainIdentifier=d, identifier="env1")
    assert {r["name"]: r["value"] for r in env["provisionedResources"]}["userRoleArn"].endswith("datazone_usr_env1")
    assert env["projectId"] == "prj1" and env["awsAccountId"] == account
    tgt = dz.get_subscription_target(domainIdentifier=d, environmentIdentifier="env1", identifier="tgt1")
    assert json.loads(tgt["subscriptionTargetConfig"][0]["content"])["databaseName"] == "env1_sub_db"
    assert tgt["type"] == "GlueSubscriptionTargetType" and tgt["projectId"] == "prj1"
    listing = dz.get_listing(domainIdentifier=d, identifier="lst1", listingRevision="1")
    forms = json.loads(listing["item"]["assetListing"]["forms"])
    assert forms["GlueTableForm"]["tableName"] == "orders"
    assert forms["GlueTableForm"]["catalogId"] == account
    before = dz.get_subscription_grant(domainIdentifier=d, identifier="grt1")
    assert (before["status"], before["assets"][0]["status"]) == ("PENDING", "GRANT_PENDING")
    out = dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1",
                                              status="GRANT_FAILED", failureCause={"message": "table missing"})
    assert out["assets"][0]["status"] == "GRANT_FAILED" and out["status"] == "GRANT_FAILED"
    grant = dz.get_subscription_grant(domainIdentifier=d, identifier="grt1")
    assert grant["assets"][0]["failureCause"]["message"] == "table missing"
    assert grant["grantedEntity"]["listing"] == {"id": "lst1", "revision": "1"}
    dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1",
                                        status="GRANTED", targetName="orders")
    grant = dz.get_subscription_grant(domainIdentifier=d, identifier="grt1")
    assert grant["status"] == "COMPLETED" and "failureCause" not in grant["assets"][0]
    assert grant["assets"][0]["targetName"] == "orders"
    # Read back through the test endpoint: the statuses in the order they were set.
    status, g = post(server, "/lakewarden-test/datazone/get", {"kind": "subscription-grant", "domainId": d, "id": "grt1"})
    assert status == 200 and g["history"] == ["GRANT_FAILED", "GRANTED"]


def test_errors_are_datazone_errors(server, account):
    d = f"dzd_e{account}"
    s4_domain(server, account, d)
    dz = server.client("datazone", account)
    for call, code in [
        (lambda: dz.get_environment(domainIdentifier=d, identifier="nope"), "ResourceNotFoundException"),
        (lambda: dz.get_environment(domainIdentifier="dzd_none", identifier="env1"), "ResourceNotFoundException"),
        (lambda: dz.get_subscription_target(domainIdentifier=d, environmentIdentifier="other", identifier="tgt1"),
         "ResourceNotFoundException"),
        (lambda: dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="other",
                                                     status="GRANTED"), "ResourceNotFoundException"),
        (lambda: dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1",
                                                     status="DONE"), "ValidationException"),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == code


def test_a_domain_is_reachable_from_an_associated_account_and_kept_per_account(server, account):
    d = f"dzd_x{account}"
    s4_domain(server, account, d)
    other = str(int(account) + 7).zfill(12)
    assert server.client("datazone", other).get_environment(domainIdentifier=d, identifier="env1")["id"] == "env1"
    status, body = post(server, "/lakewarden-test/datazone/put", {"kind": "domain", "item": {"id": "dzd_noowner"}})
    assert status == 400 and "owner" in body["error"]


def test_listings_for_the_scheduled_reconcile(server, account):
    d = f"dzd_l{account}"
    put(server, "domain", {"id": d}, account=account)
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


def test_reset_clears_datazone(account):
    from conftest import Server

    s = Server()
    try:
        d = f"dzd_r{account}"
        s4_domain(s, account, d)
        urllib.request.urlopen(urllib.request.Request(s.endpoint + "/moto-api/reset", method="POST"))
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s.client("datazone", account).get_environment(domainIdentifier=d, identifier="env1")
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        s.stop()
