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


# --- shapes and filters AWS documents (docs/aws-semantics.md cites each source) -----------------

def test_listing_forms_are_what_a_glue_data_source_publishes(server, account):
    """API reference AssetListing: `forms` is one string; parsed once it is keyed by form name.

    A Glue table imported by a data source has no `databaseName` in its GlueTableForm (DataZone
    User Guide sample content; a captured listing in guyon-it-consulting/aws-datazone-view-custom-
    subscription sample/dispatched-accepted.json); the database is in `tableArn` (read that way by
    aws-solutions-library-samples/guidance-for-connecting-data-products-with-amazon-datazone
    get_subscription_details.py). The CreateAsset example (GlueTableFormType revision 13) has it.
    """
    d = f"dzd_f{account}"
    put(server, "domain", {"id": d}, account=account)
    put(server, "listing", {"id": "lst1", "domainId": d, "assetId": "ast1", "databaseName": "cm_kasama_sales",
                            "tableName": "orders", "catalogId": account, "sourceLocation": "s3://sales-raw/order/"})
    put(server, "listing", {"id": "lst2", "domainId": d, "assetId": "ast2", "databaseName": "cm_kasama_sales",
                            "tableName": "orders", "catalogId": account, "formStyle": "create-asset"})
    put(server, "listing", {"id": "lst3", "domainId": d, "assetId": "ast3", "databaseName": "db", "tableName": "v",
                            "catalogId": account, "assetType": "GlueViewAssetType"})
    dz = server.client("datazone", account)
    listing = dz.get_listing(domainIdentifier=d, identifier="lst1")
    raw = listing["item"]["assetListing"]["forms"]
    assert isinstance(raw, str)
    forms = json.loads(raw)
    assert set(forms) == {"GlueTableForm", "DataSourceReferenceForm"}
    gt = forms["GlueTableForm"]
    assert "databaseName" not in gt
    assert gt["tableArn"] == f"arn:aws:glue:us-east-1:{account}:table/cm_kasama_sales/orders"
    assert gt["tableArn"].split("/")[1] == "cm_kasama_sales"
    assert (gt["tableName"], gt["catalogId"], gt["region"], gt["sourceLocation"]) == (
        "orders", account, "us-east-1", "s3://sales-raw/order/")
    assert listing["item"]["assetListing"]["assetType"] == "GlueTableAssetType"
    created = json.loads(dz.get_listing(domainIdentifier=d, identifier="lst2")["item"]["assetListing"]["forms"])
    assert created["GlueTableForm"]["databaseName"] == "cm_kasama_sales"
    view = dz.get_listing(domainIdentifier=d, identifier="lst3")["item"]["assetListing"]
    assert view["assetType"] == "GlueViewAssetType" and "GlueViewForm" in json.loads(view["forms"])


def test_subscriptions_and_grants_by_subscription(server, account):
    """ListSubscriptionGrants filters (API reference): subscriptionId, owningProjectId, ...

    One grant can serve several subscriptions (botocore model, GetSubscriptionGrantOutput
    subscriptionId: "Multiple subscriptions can exist for a single grant").
    """
    d = f"dzd_s{account}"
    s4_domain(server, account, d)
    put(server, "subscription", {"id": "sub1", "domainId": d, "listingId": "lst1", "projectId": "prj1"})
    put(server, "subscription", {"id": "sub2", "domainId": d, "listingId": "lst1", "projectId": "prj1",
                                 "status": "REVOKED"})
    put(server, "subscription-grant", {"id": "grt2", "domainId": d, "listingId": "lst1", "subscriptionTargetId": "tgt1",
                                       "environmentId": "env1", "assetId": "ast1", "subscriptionIds": ["sub1", "sub2"]})
    put(server, "subscription-grant", {"id": "grt3", "domainId": d, "listingId": "lst1", "subscriptionTargetId": "tgt1",
                                       "environmentId": "env1", "assetId": "ast1", "subscriptionId": "sub1",
                                       "owningProjectId": "prj9"})
    dz = server.client("datazone", account)

    def ids(**kw):
        return sorted(g["id"] for g in dz.list_subscription_grants(domainIdentifier=d, **kw)["items"])

    assert ids(subscriptionId="sub2") == ["grt2"]
    assert ids(subscriptionId="sub1") == ["grt2", "grt3"]
    assert ids(subscriptionId="nope") == []
    assert ids(owningProjectId="prj1") == ["grt1", "grt2"]
    assert ids(subscribedListingId="lst1", environmentId="env1", subscriptionTargetId="tgt1") == ["grt1", "grt2", "grt3"]
    assert dz.get_subscription_grant(domainIdentifier=d, identifier="grt2")["subscriptionId"] == "sub1"
    sub = dz.get_subscription(domainIdentifier=d, identifier="sub2")
    assert sub["status"] == "REVOKED"
    assert sub["subscribedPrincipal"] == {"project": {"id": "prj1", "name": "prj1"}}
    assert sub["subscribedListing"]["id"] == "lst1"
    assert sub["subscribedListing"]["item"]["assetListing"]["entityId"] == "ast1"
    assert [s["id"] for s in dz.list_subscriptions(domainIdentifier=d, status="APPROVED")["items"]] == ["sub1"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dz.get_subscription(domainIdentifier=d, identifier="sub9")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_in_progress_statuses_are_recorded_in_order_and_a_listing_id_is_not_an_asset_id(server, account):
    """UpdateSubscriptionGrantStatus (API reference): status is one of GRANT_PENDING | REVOKE_PENDING |
    GRANT_IN_PROGRESS | REVOKE_IN_PROGRESS | GRANTED | REVOKED | GRANT_FAILED | REVOKE_FAILED, set per
    asset (assetIdentifier = the asset id, as AWS's own sample passes assetListing.assetId:
    awslabs/data-solutions-framework-on-aws datazone-msk-authorizer-metadata-collector)."""
    d = f"dzd_p{account}"
    s4_domain(server, account, d)
    dz = server.client("datazone", account)
    out = dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1",
                                              status="GRANT_IN_PROGRESS")
    assert out["status"] == "IN_PROGRESS"
    dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1", status="GRANTED")
    dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1",
                                        status="REVOKE_IN_PROGRESS")
    dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="ast1", status="REVOKED")
    # The listing id is not the asset id: refused, and nothing is recorded.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dz.update_subscription_grant_status(domainIdentifier=d, identifier="grt1", assetIdentifier="lst1",
                                            status="GRANTED")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    status, g = post(server, "/lakewarden-test/datazone/get", {"kind": "subscription-grant", "domainId": d, "id": "grt1"})
    assert g["history"] == ["GRANT_IN_PROGRESS", "GRANTED", "REVOKE_IN_PROGRESS", "REVOKED"]
    assert g["status"] == "COMPLETED"
