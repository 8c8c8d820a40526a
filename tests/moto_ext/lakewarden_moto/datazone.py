"""Amazon DataZone as a moto service (moto 5.2.5 has no DataZone at all).

Registered the way moto registers its own services: this module also answers to the name
``moto.datazone`` (``sys.modules``) with a ``datazone_backends`` BackendDict, ``url_bases`` /
``url_paths`` for ``datazone.REGION.amazonaws.com`` (added to ``moto.backend_index``) and a
``BaseResponse`` subclass, so moto's router picks the operation from botocore's DataZone model
(REST-JSON, real paths) and moto's serializer shapes the answers from that same model.

Operations served (the ones datazone-subscriber calls): GetEnvironment, GetSubscriptionTarget,
GetListing, GetSubscriptionGrant, UpdateSubscriptionGrantStatus, GetSubscription, and for the
scheduled reconcile ListProjects, ListEnvironments, ListSubscriptionGrants (filters
``environmentId``, ``subscriptionTargetId``, ``subscribedListingId``, ``subscriptionId``,
``owningProjectId``, as in the API reference), ListSubscriptions (``status``,
``subscribedListingId``, ``owningProjectId``, ``subscriptionRequestIdentifier``).

GetListing answers a Glue table listing the way AWS produces it (see docs/aws-semantics.md):
``item.assetListing.forms`` is one JSON *string*; parsed once it is an object keyed by form name
whose values are objects. By default it is what a Glue data source run publishes:
``GlueTableForm`` with ``catalogId``, ``region``, ``tableArn``, ``tableName``,
``tableDescription``, ``sourceClassification``, ``sourceLocation``, ``columns``,
``lakeFormationDetails`` and **no ``databaseName``** (the database is only in ``tableArn``), next
to a ``DataSourceReferenceForm``; a listing put with ``"formStyle": "create-asset"`` carries
``databaseName`` too (the shape of the API reference's CreateAsset example for
``amazon.datazone.GlueTableFormType`` revision 13). ``"assetType": "GlueViewAssetType"`` gives a
``GlueViewForm`` instead.

State lives on ``datazone_backends[account][region]`` (the domain's account), so
``POST /moto-api/reset`` clears it. A domain is found from any account (accounts associated
with a domain call the domain's API), by its id. Tests create state with

    POST /lakewarden-test/datazone/put {"kind": KIND, "item": {...}, "account": ID, "region": R}

``account`` (the domain's owner; or ``item.awsAccountId``) is needed for ``domain`` only; every
other kind names its ``domainId``. KIND is one of
- ``domain``: id, name
- ``project``: id, domainId, name (environments create their project too)
- ``environment``: id, domainId, projectId, name, awsAccountId, region, userRoleArn, subDatabase
- ``subscription-target``: id, domainId, environmentId, projectId, name, type, databaseName
- ``listing``: id, domainId, revision, assetId, databaseName, tableName, catalogId, region,
  sourceLocation, ownerProjectId, assetType (GlueTableAssetType), formStyle (data-source |
  create-asset)
- ``subscription``: id, domainId, listingId, listingRevision, projectId (the subscribed
  project), status (APPROVED | REVOKED | CANCELLED; APPROVED by default), subscriptionRequestId
- ``subscription-grant``: id, domainId, listingId, listingRevision, subscriptionTargetId,
  environmentId, assetId, status (of the asset; GRANT_PENDING by default), subscriptionIds (the
  subscriptions this grant serves: "Multiple subscriptions can exist for a single grant"),
  owningProjectId (default: the subscription target's project)

and read it back with ``POST /lakewarden-test/datazone/get {"kind", "domainId", "id"}`` (a grant
comes with ``history``: every status UpdateSubscriptionGrantStatus set, in order).
"""
import copy
import json
import re
import sys
import threading
from datetime import datetime, timezone

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

SERVICE = "datazone"
KINDS = ("domain", "project", "environment", "subscription-target", "listing", "subscription", "subscription-grant")
SUBSCRIPTION_STATUSES = ("APPROVED", "REVOKED", "CANCELLED")
ASSET_STATUSES = ("GRANT_PENDING", "REVOKE_PENDING", "GRANT_IN_PROGRESS", "REVOKE_IN_PROGRESS",
                  "GRANTED", "REVOKED", "GRANT_FAILED", "REVOKE_FAILED")
_lock = threading.RLock()


class ResourceNotFound(ServiceException):
    code = "ResourceNotFoundException"


class ValidationError(ServiceException):
    code = "ValidationException"


def _now():
    return datetime.now(timezone.utc)


class DataZoneBackend(BaseBackend):
    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        # domain id -> {"domain": item, KIND: {id: item}}
        self.domains = {}

    @property
    def _url_module(self):
        # BaseBackend derives "<module>.urls" from the class's module; this module is both.
        return sys.modules[__name__]


datazone_backends = BackendDict(DataZoneBackend, SERVICE)


def find_domain(domain_id, region):
    """The state of a domain, from whichever account owns it."""
    for account in list(datazone_backends.keys()):
        backend = datazone_backends[account][region]
        if domain_id in backend.domains:
            return backend.domains[domain_id]
    raise ResourceNotFound(f"Domain {domain_id} not found")


def _get(domain, kind, ident, what):
    item = domain.get(kind, {}).get(ident)
    if item is None:
        raise ResourceNotFound(f"{what} {ident} not found in domain {domain['domain']['id']}")
    return item


# --- how the stored items look through the API ------------------------------------------------

def _environment(e, summary=False):
    out = {"id": e["id"], "domainId": e["domainId"], "projectId": e["projectId"], "name": e.get("name", e["id"]),
           "createdBy": "lakewarden-test", "provider": "Amazon DataZone", "status": "ACTIVE",
           "awsAccountId": e.get("awsAccountId"), "awsAccountRegion": e.get("region", "us-east-1"),
           "createdAt": e["createdAt"], "updatedAt": e["createdAt"]}
    if not summary:
        resources = [{"name": "userRoleArn", "type": "IAM_ROLE", "value": e["userRoleArn"], "provider": "IAM"}]
        if e.get("subDatabase"):
            resources.append({"name": "glueConsumerDBName", "type": "GLUE_DATABASE", "value": e["subDatabase"],
                              "provider": "GLUE"})
        out["provisionedResources"] = resources
    return out


def _target(t):
    return {"id": t["id"], "domainId": t["domainId"], "projectId": t["projectId"],
            "environmentId": t["environmentId"], "name": t.get("name", t["id"]),
            "type": t.get("type", "GlueSubscriptionTargetType"), "createdBy": "lakewarden-test",
            "createdAt": t["createdAt"], "authorizedPrincipals": t.get("authorizedPrincipals", []),
            "applicableAssetTypes": ["GlueTableAssetType"], "provider": "Amazon DataZone",
            "subscriptionTargetConfig": [{"formName": "GlueSubscriptionTargetConfigForm",
                                          "content": json.dumps({"databaseName": t.get("databaseName")})}]}


def _listing(li):
    region = li.get("region", "us-east-1")
    catalog, db, table = li.get("catalogId"), li.get("databaseName"), li.get("tableName")
    view = li.get("assetType") == "GlueViewAssetType"
    form = {"catalogId": catalog, "region": region,
            "tableArn": f"arn:aws:glue:{region}:{catalog}:table/{db}/{table}", "tableName": table,
            "tableDescription": "EMPTY", "sourceClassification": li.get("sourceClassification", "parquet"),
            "sourceLocation": li.get("sourceLocation", "EMPTY"),
            "columns": [{"columnName": c, "dataType": "string", "columnDescription": "EMPTY"}
                        for c in li.get("columns", ["id"])],
            "lakeFormationDetails": {"lakeFormationManagedTable": True}}
    if li.get("formStyle") == "create-asset":
        form["databaseName"] = db
    forms = {"GlueViewForm" if view else "GlueTableForm": form,
             "DataSourceReferenceForm": {"filterableDataSourceId": li.get("dataSourceId", "ds_lakewarden_test")}}
    return {"id": li["id"], "domainId": li["domainId"], "listingRevision": str(li.get("revision", "1")),
            "name": table, "status": "ACTIVE", "createdAt": li["createdAt"],
            "createdBy": "lakewarden-test",
            "item": {"assetListing": {"assetId": li.get("assetId", li["id"]), "assetRevision": "1",
                                      "assetType": li.get("assetType", "GlueTableAssetType"),
                                      "owningProjectId": li.get("ownerProjectId", "prj_producer"),
                                      "forms": json.dumps({k: v for k, v in forms.items()}, indent=2)}}}


def _subscription(d, sub):
    li = d.get("listing", {}).get(sub["listingId"], {})
    return {"id": sub["id"], "domainId": sub["domainId"], "createdBy": "lakewarden-test", "status": sub["status"],
            "createdAt": sub["createdAt"], "updatedAt": sub.get("updatedAt", sub["createdAt"]),
            "subscribedPrincipal": {"project": {"id": sub["projectId"], "name": sub["projectId"]}},
            "subscribedListing": {
                "id": sub["listingId"], "revision": str(sub.get("listingRevision", li.get("revision", "1"))),
                "name": li.get("tableName", sub["listingId"]), "description": "",
                "ownerProjectId": li.get("ownerProjectId", "prj_producer"),
                "item": {"assetListing": {"entityId": li.get("assetId", sub["listingId"]), "entityRevision": "1",
                                          "entityType": li.get("assetType", "GlueTableAssetType")}}},
            "subscriptionRequestId": sub.get("subscriptionRequestId", f"req_{sub['id']}")}


def _overall(assets):
    statuses = {a["status"] for a in assets}
    if statuses & {"GRANT_PENDING", "REVOKE_PENDING"}:
        return "PENDING"
    if statuses & {"GRANT_IN_PROGRESS", "REVOKE_IN_PROGRESS"}:
        return "IN_PROGRESS"
    if {"GRANT_FAILED", "REVOKE_FAILED"} <= statuses:
        return "GRANT_AND_REVOKE_FAILED"
    for s in ("GRANT_FAILED", "REVOKE_FAILED"):
        if s in statuses:
            return s
    return "COMPLETED"


def _grant(g):
    return {"id": g["id"], "domainId": g["domainId"], "createdBy": "lakewarden-test", "createdAt": g["createdAt"],
            "updatedAt": g["updatedAt"], "environmentId": g.get("environmentId"),
            "subscriptionTargetId": g["subscriptionTargetId"],
            "grantedEntity": {"listing": {"id": g["listingId"], "revision": str(g.get("listingRevision", "1"))}},
            "status": _overall(g["assets"]), "assets": copy.deepcopy(g["assets"]),
            **({"subscriptionId": g["subscriptionIds"][0]} if g.get("subscriptionIds") else {})}


# --- the API ---------------------------------------------------------------------------------

class DataZoneResponse(BaseResponse):
    def __init__(self):
        super().__init__(service_name=SERVICE)
        self.automated_parameter_parsing = True

    def _domain(self):
        return find_domain(self._get_param("domainIdentifier"), self.region)

    def get_environment(self):
        d = self._domain()
        return ActionResult(_environment(_get(d, "environment", self._get_param("identifier"), "Environment")))

    def get_subscription_target(self):
        d = self._domain()
        t = _get(d, "subscription-target", self._get_param("identifier"), "Subscription target")
        if t["environmentId"] != self._get_param("environmentIdentifier"):
            raise ResourceNotFound(f"Subscription target {t['id']} not found in environment "
                                   f"{self._get_param('environmentIdentifier')}")
        return ActionResult(_target(t))

    def get_listing(self):
        d = self._domain()
        li = _get(d, "listing", self._get_param("identifier"), "Listing")
        revision = self._get_param("listingRevision")
        if revision and str(revision) != str(li.get("revision", "1")):
            raise ResourceNotFound(f"Listing {li['id']} has no revision {revision}")
        return ActionResult(_listing(li))

    def get_subscription_grant(self):
        d = self._domain()
        return ActionResult(_grant(_get(d, "subscription-grant", self._get_param("identifier"), "Subscription grant")))

    def update_subscription_grant_status(self):
        d = self._domain()
        g = _get(d, "subscription-grant", self._get_param("identifier"), "Subscription grant")
        asset_id = self._get_param("assetIdentifier")
        status = self._get_param("status")
        if status not in ASSET_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(ASSET_STATUSES)}")
        with _lock:
            asset = next((a for a in g["assets"] if a["assetId"] == asset_id), None)
            if asset is None:
                raise ResourceNotFound(f"Asset {asset_id} is not part of subscription grant {g['id']}")
            asset["status"] = status
            for key in ("failureCause", "targetName"):
                value = self._get_param(key)
                if value is not None:
                    asset[key] = value
                elif key == "failureCause":
                    asset.pop(key, None)
            if status == "GRANTED":
                asset["grantedTimestamp"] = _now()
            elif status.endswith("FAILED"):
                asset["failureTimestamp"] = _now()
            g["updatedAt"] = _now()
            g.setdefault("history", []).append(status)
            return ActionResult(_grant(g))

    def list_projects(self):
        d = self._domain()
        return ActionResult({"items": [
            {"id": p["id"], "name": p.get("name", p["id"]), "domainId": p["domainId"], "createdBy": "lakewarden-test",
             "createdAt": p["createdAt"], "updatedAt": p["createdAt"]}
            for p in d.get("project", {}).values()]})

    def list_environments(self):
        d = self._domain()
        project = self._get_param("projectIdentifier")
        return ActionResult({"items": [_environment(e, summary=True) for e in d.get("environment", {}).values()
                                       if e["projectId"] == project]})

    def list_subscription_grants(self):
        d = self._domain()
        filters = {"subscriptionTargetId": self._get_param("subscriptionTargetId"),
                   "environmentId": self._get_param("environmentId"),
                   "listingId": self._get_param("subscribedListingId"),
                   "owningProjectId": self._get_param("owningProjectId")}
        subscription = self._get_param("subscriptionId")
        grants = [g for g in d.get("subscription-grant", {}).values()
                  if all(v is None or g.get(k) == v for k, v in filters.items())
                  and (subscription is None or subscription in g.get("subscriptionIds", []))]
        return ActionResult({"items": [_grant(g) for g in grants]})

    def get_subscription(self):
        d = self._domain()
        return ActionResult(_subscription(d, _get(d, "subscription", self._get_param("identifier"), "Subscription")))

    def list_subscriptions(self):
        d = self._domain()
        filters = {"status": self._get_param("status"), "listingId": self._get_param("subscribedListingId"),
                   "projectId": self._get_param("owningProjectId"),
                   "subscriptionRequestId": self._get_param("subscriptionRequestIdentifier")}
        subs = [x for x in d.get("subscription", {}).values()
                if all(v is None or x.get(k) == v for k, v in filters.items())]
        return ActionResult({"items": [_subscription(d, x) for x in subs]})


_D = r"(?P<domainIdentifier>[^/]+)"
url_bases = [r"https?://datazone\.(.+)\.amazonaws\.com"]
url_paths = {
    "{0}/v2/domains/" + _D + "/projects$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/environments$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/environments/(?P<identifier>[^/]+)$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/environments/(?P<environmentIdentifier>[^/]+)/subscription-targets/(?P<identifier>[^/]+)$":
        DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/listings/(?P<identifier>[^/]+)$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/subscription-grants$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/subscriptions$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/subscriptions/(?P<identifier>[^/]+)$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/subscription-grants/(?P<identifier>[^/]+)$": DataZoneResponse.dispatch,
    "{0}/v2/domains/" + _D + "/subscription-grants/(?P<identifier>[^/]+)/status/(?P<assetIdentifier>[^/]+)$":
        DataZoneResponse.dispatch,
}


def install():
    from moto import backend_index

    sys.modules.setdefault("moto.datazone", sys.modules[__name__])
    if not any(name == SERVICE for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append((SERVICE, re.compile(url_bases[0])))


# --- test-only endpoints ---------------------------------------------------------------------

def _put(environ, body):
    kind, item = body.get("kind"), dict(body.get("item") or {})
    if kind not in KINDS or not item.get("id"):
        return 400, {"error": f"kind must be one of {KINDS} and item needs an id"}
    region = body.get("region") or item.get("region") or "us-east-1"
    now = _now()
    item.setdefault("createdAt", now)
    with _lock:
        if kind == "domain":
            account = body.get("account") or item.get("awsAccountId")
            if not account:
                return 400, {"error": "a domain needs its owner: body.account (or item.awsAccountId)"}
            domains = datazone_backends[account][region].domains
            domains.setdefault(item["id"], {})["domain"] = item
            return 200, {"kind": kind, "id": item["id"], "account": account}
        try:
            domain = find_domain(item.get("domainId"), region)
        except ResourceNotFound as e:
            return 404, {"error": str(e)}
        if kind == "environment":
            missing = [k for k in ("projectId", "userRoleArn") if not item.get(k)]
            if missing:
                return 400, {"error": f"an environment needs {missing}"}
            domain.setdefault("project", {}).setdefault(
                item["projectId"], {"id": item["projectId"], "domainId": item["domainId"], "createdAt": now})
        if kind == "subscription-target":
            env = domain.get("environment", {}).get(item.get("environmentId"))
            if env is None:
                return 404, {"error": f"environment {item.get('environmentId')} not found"}
            item.setdefault("projectId", env["projectId"])
        if kind == "subscription":
            missing = [k for k in ("listingId", "projectId") if not item.get(k)]
            if missing:
                return 400, {"error": f"a subscription needs {missing}"}
            item.setdefault("status", "APPROVED")
            if item["status"] not in SUBSCRIPTION_STATUSES:
                return 400, {"error": f"status must be one of {SUBSCRIPTION_STATUSES}"}
            item["updatedAt"] = now
        if kind == "subscription-grant":
            missing = [k for k in ("listingId", "subscriptionTargetId") if not item.get(k)]
            if missing:
                return 400, {"error": f"a subscription grant needs {missing}"}
            if item.get("subscriptionId") and not item.get("subscriptionIds"):
                item["subscriptionIds"] = [item.pop("subscriptionId")]
            target = domain.get("subscription-target", {}).get(item["subscriptionTargetId"]) or {}
            if "owningProjectId" not in item and target.get("projectId"):
                item["owningProjectId"] = target["projectId"]
            status = item.pop("status", "GRANT_PENDING")
            if status not in ASSET_STATUSES:
                return 400, {"error": f"status must be one of {ASSET_STATUSES}"}
            item["assets"] = [{"assetId": item.get("assetId", "asset"), "assetRevision": "1", "status": status}]
            item["updatedAt"] = now
        domain.setdefault(kind, {})[item["id"]] = item
    return 200, {"kind": kind, "id": item["id"]}


def _json_safe(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _read(environ, body):
    kind, domain_id, ident = body.get("kind"), body.get("domainId"), body.get("id")
    try:
        domain = find_domain(domain_id, body.get("region") or "us-east-1")
    except ResourceNotFound as e:
        return 404, {"error": str(e)}
    with _lock:
        item = domain.get("domain") if kind == "domain" else domain.get(kind, {}).get(ident)
        if item is None:
            return 404, {"error": f"{kind} {ident} not found in domain {domain_id}"}
        out = _json_safe(copy.deepcopy(item))
    if kind == "subscription-grant":
        out["status"] = _overall(item["assets"])
        out.setdefault("history", [])
    return 200, out


def test_routes():
    return {("POST", "/lakewarden-test/datazone/put"): _put,
            ("POST", "/lakewarden-test/datazone/get"): _read}
