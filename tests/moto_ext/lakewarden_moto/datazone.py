"""Amazon DataZone (moto has no DataZone at all).

Serves, on DataZone's REST-JSON protocol (requests signed for the `datazone` service), the
operations lakewarden calls: GetEnvironment, GetSubscriptionTarget, GetListing,
GetSubscriptionGrant, UpdateSubscriptionGrantStatus, and for the scheduled reconcile
ListProjects (the projects of the environments), ListEnvironments and ListSubscriptionGrants. A test creates the state they read with
`POST /lakewarden-test/datazone/put {"kind": KIND, "item": {...}}` where KIND is one of
`domain`, `environment` (id, domainId, projectId, name, awsAccountId, userRoleArn, subDatabase),
`subscription-target` (id, domainId, environmentId, projectId, name, type, databaseName),
`listing` (id, domainId, revision, assetId, databaseName, tableName, catalogId, region) and
`subscription-grant` (id, domainId, listingId, listingRevision, subscriptionTargetId,
environmentId, assetId); the grant's status is read back with GetSubscriptionGrant.
`POST /moto-api/reset` clears it with the rest of moto.
"""
import json
import re
import threading
import time

_state = {}
_lock = threading.Lock()
KINDS = ("domain", "environment", "subscription-target", "listing", "subscription-grant")


def install():
    pass


def _get(kind, domain, ident):
    return _state.get((kind, domain, ident))


def _put(environ, body):
    kind, item = body.get("kind"), body.get("item") or {}
    if kind not in KINDS or "id" not in item:
        return 400, {"error": f"kind must be one of {KINDS} and item needs an id"}
    domain = item["id"] if kind == "domain" else item.get("domainId")
    with _lock:
        _state[(kind, domain, item["id"])] = dict(item, createdAt=time.time())
    return 200, {"kind": kind, "id": item["id"]}


def test_routes():
    return {("POST", "/lakewarden-test/datazone/put"): _put}


def _iso(t):
    """GetEnvironment's timestamps travel as ISO 8601 date-time strings (the others as epoch seconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _reply(status, value, error=None):
    data = json.dumps(value).encode()

    def respond(start_response):
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        if error:
            headers.append(("x-amzn-ErrorType", error))
        start_response(f"{status} X", headers)
        return [data]

    return respond


def _not_found(what):
    return _reply(404, {"message": f"{what} not found"}, "ResourceNotFoundException")


def _environment(e):
    resources = [{"name": "userRoleArn", "type": "IAM_ROLE", "value": e["userRoleArn"], "provider": "IAM"}]
    if e.get("subDatabase"):
        resources.append({"name": "glueConsumerDBName", "type": "GLUE_DATABASE", "value": e["subDatabase"], "provider": "GLUE"})
    return {"id": e["id"], "domainId": e["domainId"], "projectId": e.get("projectId", "prj"),
            "name": e.get("name", e["id"]), "createdBy": "lakewarden-test", "provider": "Amazon DataZone",
            "awsAccountId": e.get("awsAccountId"), "awsAccountRegion": e.get("region", "us-east-1"),
            "status": "ACTIVE", "provisionedResources": resources, "createdAt": _iso(e["createdAt"])}


def _target(t):
    return {"id": t["id"], "domainId": t["domainId"], "projectId": t.get("projectId", "prj"),
            "environmentId": t["environmentId"], "name": t.get("name", t["id"]),
            "type": t.get("type", "GlueSubscriptionTargetType"), "createdBy": "lakewarden-test",
            "createdAt": t["createdAt"], "authorizedPrincipals": [], "applicableAssetTypes": ["GlueTableAssetType"],
            "provider": "Amazon DataZone",
            "subscriptionTargetConfig": [{"formName": "GlueSubscriptionTargetConfigForm",
                                          "content": json.dumps({"databaseName": t.get("databaseName")})}]}


def _listing(li):
    forms = {"GlueTableForm": {"catalogId": li.get("catalogId"), "region": li.get("region", "us-east-1"),
                               "databaseName": li.get("databaseName"), "tableName": li.get("tableName"),
                               "tableArn": f"arn:aws:glue:{li.get('region', 'us-east-1')}:{li.get('catalogId')}:table/{li.get('databaseName')}/{li.get('tableName')}"}}
    return {"id": li["id"], "domainId": li["domainId"], "listingRevision": str(li.get("revision", "1")),
            "name": li.get("tableName"), "status": "ACTIVE", "createdAt": li["createdAt"],
            "item": {"assetListing": {"assetId": li.get("assetId", li["id"]), "assetRevision": "1",
                                      "assetType": "GlueTableAssetType", "forms": json.dumps(forms)}}}


def _grant(g):
    asset = {"assetId": g.get("assetId", "asset"), "assetRevision": "1", "status": g.get("status", "GRANT_PENDING")}
    if g.get("failureCause"):
        asset["failureCause"] = g["failureCause"]
    if g.get("targetName"):
        asset["targetName"] = g["targetName"]
    return {"id": g["id"], "domainId": g["domainId"], "createdBy": "lakewarden-test", "createdAt": g["createdAt"],
            "updatedAt": g.get("updatedAt", g["createdAt"]), "environmentId": g.get("environmentId"),
            "subscriptionTargetId": g["subscriptionTargetId"],
            "grantedEntity": {"listing": {"id": g["listingId"], "revision": str(g.get("listingRevision", "1"))}},
            "status": g.get("status", "PENDING"), "assets": [asset]}


def _items(kind, domain):
    return [v for (k, d, _), v in list(_state.items()) if k == kind and d == domain]


def _query(environ, name):
    from urllib.parse import parse_qs

    return (parse_qs(environ.get("QUERY_STRING", "")).get(name) or [None])[0]


def _list(kind, domain, environ):
    if kind == "projects":
        ids = sorted({e.get("projectId", "prj") for e in _items("environment", domain)})
        return {"items": [{"id": p, "name": p, "domainId": domain, "createdBy": "lakewarden-test",
                           "createdAt": _iso(time.time())} for p in ids]}
    if kind == "environments":
        project = _query(environ, "projectIdentifier")
        envs = [e for e in _items("environment", domain) if not project or e.get("projectId", "prj") == project]
        return {"items": [{k: v for k, v in _environment(e).items() if k != "provisionedResources"} for e in envs]}
    target = _query(environ, "subscriptionTargetId")
    grants = [g for g in _items("subscription-grant", domain) if not target or g["subscriptionTargetId"] == target]
    return {"items": [_grant(g) for g in grants]}


_ROUTES = [
    ("GET", re.compile(r"^/v2/domains/([^/]+)/(projects|environments|subscription-grants)$"), "list"),
    ("GET", re.compile(r"^/v2/domains/([^/]+)/environments/([^/]+)/subscription-targets/([^/]+)$"), "target"),
    ("GET", re.compile(r"^/v2/domains/([^/]+)/environments/([^/]+)$"), "environment"),
    ("GET", re.compile(r"^/v2/domains/([^/]+)/listings/([^/]+)$"), "listing"),
    ("GET", re.compile(r"^/v2/domains/([^/]+)/subscription-grants/([^/]+)$"), "grant"),
    ("PATCH", re.compile(r"^/v2/domains/([^/]+)/subscription-grants/([^/]+)/status/([^/]+)$"), "grant_status"),
]


def _is_datazone(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    return "/datazone/aws4_request" in auth


def intercept(environ):
    path = environ.get("PATH_INFO", "")
    if path == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
        with _lock:
            _state.clear()
        return None
    if not _is_datazone(environ):
        return None
    method = environ.get("REQUEST_METHOD")
    for m, rx, kind in _ROUTES:
        match = rx.match(path)
        if m != method or not match:
            continue
        g = match.groups()
        domain = g[0]
        if _get("domain", domain, domain) is None:
            return _not_found(f"Domain {domain}")
        if kind == "list":
            return _reply(200, _list(g[1], domain, environ))
        if kind == "environment":
            e = _get("environment", domain, g[1])
            return _reply(200, _environment(e)) if e else _not_found(f"Environment {g[1]}")
        if kind == "target":
            t = _get("subscription-target", domain, g[2])
            if not t or t["environmentId"] != g[1]:
                return _not_found(f"Subscription target {g[2]}")
            return _reply(200, _target(t))
        if kind == "listing":
            li = _get("listing", domain, g[1])
            return _reply(200, _listing(li)) if li else _not_found(f"Listing {g[1]}")
        if kind == "grant":
            gr = _get("subscription-grant", domain, g[1])
            return _reply(200, _grant(gr)) if gr else _not_found(f"Subscription grant {g[1]}")
        if kind == "grant_status":
            gr = _get("subscription-grant", domain, g[1])
            if not gr:
                return _not_found(f"Subscription grant {g[1]}")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            if g[2] != gr.get("assetId", "asset"):
                return _not_found(f"Asset {g[2]} in grant {g[1]}")
            with _lock:
                gr["status"] = body.get("status")
                gr["failureCause"] = body.get("failureCause")
                gr["targetName"] = body.get("targetName")
                gr["updatedAt"] = time.time()
                history = gr.setdefault("history", [])
                history.append(body.get("status"))
            return _reply(200, _grant(gr))
    return _reply(400, {"message": f"lakewarden's DataZone emulation does not serve {method} {path}"}, "ValidationException")
