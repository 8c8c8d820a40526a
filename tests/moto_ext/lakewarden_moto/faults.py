"""Fault injection: make chosen AWS requests fail with a chosen AWS error, or a random fraction
of all requests fail with each service's own throttling / internal error (see below).

POST /lakewarden-test/faults  {"method": "PUT", "path": "/bucket", "query": "policy",
                               "target": "AWSGlue.GetTables", "body": "substring",
                               "status": 403, "code": "AccessDenied", "message": "...",
                               "protocol": "xml" | "json", "times": 1}
Every given matcher must match (path: exact or prefix ending in '*'; query/body: substring;
target: X-Amz-Target substring). ``times`` limits how often it fires (default: always).
DELETE /lakewarden-test/faults removes all rules. Rules are global to the server; tests keep
them specific (their own bucket names, account ids) so that parallel tests are not affected.
"""
import io
import json
import os
import random
import re
import threading
import uuid

_rules = []
_lock = threading.Lock()


def install():
    _env_scope()


def _add(environ, body):
    for k in ("status", "code"):
        if k not in body:
            return 400, {"error": f"missing {k}"}
    with _lock:
        _rules.append(dict(body))
    return 200, {"rules": len(_rules)}


def _clear(environ, body):
    with _lock:
        _rules.clear()
    return 200, {"rules": 0}


def test_routes():
    return {("POST", "/lakewarden-test/faults"): _add, ("DELETE", "/lakewarden-test/faults"): _clear,
            ("POST", "/lakewarden-test/faults/random"): _random_add,
            ("GET", "/lakewarden-test/faults/random"): _random_stats,
            ("DELETE", "/lakewarden-test/faults/random"): _random_clear}


def _peek_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw.decode("utf-8", "replace")


def _matches(rule, environ, body_text):
    if "method" in rule and rule["method"] != environ.get("REQUEST_METHOD"):
        return False
    path = environ.get("PATH_INFO", "")
    if "path" in rule:
        p = rule["path"]
        if p.endswith("*"):
            if not path.startswith(p[:-1]):
                return False
        elif path != p and path.rstrip("/") != p.rstrip("/"):
            return False
    if "query" in rule and rule["query"] not in environ.get("QUERY_STRING", ""):
        return False
    if "target" in rule and rule["target"] not in environ.get("HTTP_X_AMZ_TARGET", ""):
        return False
    if "body" in rule and rule["body"] not in body_text:
        return False
    return True


def match(environ):
    """A WSGI responder for the first rule matching this request (then a random fault), or None."""
    if not _rules:
        return _random_match(environ)
    body_text = _peek_body(environ)
    with _lock:
        for rule in _rules:
            if _matches(rule, environ, body_text):
                if "times" in rule:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                return _responder(dict(rule))
    return _random_match(environ)


def _responder(rule):
    status, code = int(rule["status"]), rule["code"]
    message = rule.get("message", code)
    rid = str(uuid.uuid4())

    def respond(start_response):
        if rule.get("protocol", "json") == "xml":
            data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                    f"<Message>{message}</Message><RequestId>{rid}</RequestId></Error>").encode()
            headers = [("Content-Type", "application/xml")]
        else:
            data = json.dumps({"__type": code, "message": message, "Message": message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        headers += [("x-amzn-RequestId", rid), ("Content-Length", str(len(data)))]
        start_response(f"{status} Injected", headers)
        return [data]

    return respond


# --- Random faults: a fraction of all requests fail as each service fails under load ----------
#
# POST   /lakewarden-test/faults/random {"rate": 0.2, "seed": 7,
#                                      "accounts": ["111111111111"],   # optional scope
#                                      "services": ["glue", "s3"],     # optional scope
#                                      "kinds": ["throttle", "server"]} # default both
#        -> {"id": N}; several scopes may be active (parallel tests, each on its own accounts)
# GET    /lakewarden-test/faults/random -> per scope: requests seen, faults injected (by code)
# DELETE /lakewarden-test/faults/random {"id": N} -> that scope off ({} or no body: all off)
# `python -m lakewarden_moto --fault-rate 0.2 [--fault-seed 7]` (or LAKEWARDEN_MOTO_FAULT_RATE /
# LAKEWARDEN_MOTO_FAULT_SEED) starts with one unscoped scope.
#
# The service is read from the SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/…`),
# the account from the access key (moto's own mapping), so a scope never touches another test's
# accounts. Never faulted: `/moto-api/*` and `/lakewarden-test/*` (the harness, not AWS),
# unsigned requests, and STS AssumeRole: the harness gets each account's credentials with it
# (without retries); a Lambda function receives its credentials from the runtime and never calls
# it. Each injected error is rejected before moto sees the request (nothing happens, as with a
# real throttle), in the service's protocol, with the code and status the service's API
# reference / SDK model gives it:
_XML, _QUERY, _JSON, _RESTJSON = "rest-xml", "query", "json", "rest-json"
SERVICE_FAULTS = {
    # service: (protocol, throttle (status, code, message), server error (status, code, message))
    # S3 error codes: SlowDown 503 "Please reduce your request rate.", InternalError 500.
    "s3": (_XML, (503, "SlowDown", "Please reduce your request rate."),
           (500, "InternalError", "We encountered an internal error. Please try again.")),
    # IAM / STS common errors: "Throttling: Rate exceeded, status code: 400"; IAM ServiceFailure 500.
    "iam": (_QUERY, (400, "Throttling", "Rate exceeded"),
            (500, "ServiceFailure", "The request processing has failed because of an unknown error.")),
    "sts": (_QUERY, (400, "Throttling", "Rate exceeded"),
            (500, "InternalFailure", "The request processing has failed because of an unknown error.")),
    # SNS: the common ThrottlingException (400, "Rate exceeded") that Publish returns; SNS's
    # modeled ThrottledException ("Throttled", 429) only appears on SMS operations.
    "sns": (_QUERY, (400, "ThrottlingException", "Rate exceeded"),
            (500, "InternalError", "Internal error")),
    # awsJson services: modeled ThrottlingException (400) and internal errors (500).
    "glue": (_JSON, (400, "ThrottlingException", "Rate exceeded"),
             (500, "InternalServiceException", "Internal service error")),
    "events": (_JSON, (400, "ThrottlingException", "Rate exceeded"),
               (500, "InternalException", "Internal error")),
    "ssm": (_JSON, (400, "ThrottlingException", "Rate exceeded"),
            (500, "InternalServerError", "Internal server error")),
    "sqs": (_JSON, (400, "RequestThrottled", "Request throttled"),
            (500, "InternalError", "Internal error")),
    # DynamoDB: control plane ThrottlingException, data plane (below) ProvisionedThroughputExceeded.
    "dynamodb": (_JSON, (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
                 (500, "InternalServerError", "Internal server error")),
    # restJson services: Lake Formation ThrottledException 429 (retryable in the model), RAM
    # ThrottlingException 429 / ServerInternalException 500, DataZone ThrottlingException 429.
    "lakeformation": (_RESTJSON, (429, "ThrottledException", "Rate exceeded"),
                      (500, "InternalServiceException", "Internal service exception")),
    "ram": (_RESTJSON, (429, "ThrottlingException", "Rate exceeded"),
            (500, "ServerInternalException", "The service could not respond to the request due to an internal problem.")),
    "datazone": (_RESTJSON, (429, "ThrottlingException", "Rate exceeded"),
                 (500, "InternalServerException", "Internal server error")),
}
_DDB_DATA_PLANE = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
                   "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems")
_QUERY_NS = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
             "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
             "sns": "http://sns.amazonaws.com/doc/2010-03-31/"}
_JSON_CT = {"dynamodb": "application/x-amz-json-1.0", "sqs": "application/x-amz-json-1.0"}

_scopes = {}  # id -> scope dict
_next_id = [1]
_CRED = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def _random_add(environ, body):
    try:
        rate = float(body.get("rate", 0.2))
    except (TypeError, ValueError):
        return 400, {"error": "rate must be a number"}
    if not 0.0 <= rate <= 1.0:
        return 400, {"error": "rate must be within 0..1"}
    kinds = body.get("kinds", ["throttle", "server"])
    if not kinds or any(k not in ("throttle", "server") for k in kinds):
        return 400, {"error": "kinds: a non-empty list of 'throttle', 'server'"}
    services = body.get("services")
    if services is not None and any(s not in SERVICE_FAULTS for s in services):
        return 400, {"error": f"services: known are {sorted(SERVICE_FAULTS)}"}
    with _lock:
        sid = _next_id[0]
        _next_id[0] += 1
        _scopes[sid] = {
            "id": sid, "rate": rate, "seed": body.get("seed"), "kinds": list(kinds),
            "accounts": set(body["accounts"]) if body.get("accounts") else None,
            "services": set(services) if services else None,
            "rng": random.Random(body.get("seed")), "requests": 0, "injected": {},
        }
    return 200, {"id": sid}


def _random_stats(environ, body):
    with _lock:
        return 200, {"scopes": [
            {"id": s["id"], "rate": s["rate"], "seed": s["seed"], "requests": s["requests"],
             "injected": dict(s["injected"]), "injected_total": sum(s["injected"].values()),
             "accounts": sorted(s["accounts"]) if s["accounts"] else None}
            for s in _scopes.values()]}


def _random_clear(environ, body):
    with _lock:
        if body.get("id") is not None:
            gone = _scopes.pop(int(body["id"]), None)
            return (200, {"removed": 1}) if gone else (404, {"error": "no such scope"})
        n = len(_scopes)
        _scopes.clear()
    return 200, {"removed": n}


def _env_scope():
    rate = os.environ.get("LAKEWARDEN_MOTO_FAULT_RATE")
    if rate:
        seed = os.environ.get("LAKEWARDEN_MOTO_FAULT_SEED")
        status, value = _random_add({}, {"rate": float(rate), "seed": int(seed) if seed else None})
        if status != 200:
            raise SystemExit(f"LAKEWARDEN_MOTO_FAULT_RATE: {value['error']}")


def _request_identity(environ):
    """(service, account, access key) of a SigV4-signed request, or None."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _CRED.search(auth)
    if not m:
        return None
    access_key, service = m.group(1), m.group(3)
    return service, access_key


def _account_of(access_key):
    try:
        from moto.iam.models import get_account_id_from
        return get_account_id_from(access_key)
    except Exception:  # moto internals moved: no account scoping possible
        return None


def _random_match(environ):
    if not _scopes:
        return None
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api/"):
        return None
    ident = _request_identity(environ)
    if ident is None:
        return None
    service, access_key = ident
    if service not in SERVICE_FAULTS:
        return None
    operation = _operation(environ, service)
    if service == "sts" and operation == "AssumeRole":
        return None
    account = None
    with _lock:
        scopes = list(_scopes.values())
    for scope in scopes:
        if scope["services"] is not None and service not in scope["services"]:
            continue
        if scope["accounts"] is not None:
            if account is None:
                account = _account_of(access_key)
            if account not in scope["accounts"]:
                continue
        with _lock:
            scope["requests"] += 1
            hit = scope["rng"].random() < scope["rate"]
            kind = scope["rng"].choice(scope["kinds"]) if hit else None
        if not hit:
            return None
        protocol, throttle, server = SERVICE_FAULTS[service]
        status, code, message = throttle if kind == "throttle" else server
        if service == "dynamodb" and kind == "throttle" and operation in _DDB_DATA_PLANE:
            code = "ProvisionedThroughputExceededException"
            message = "The level of configured provisioned throughput for the table was exceeded."
        with _lock:
            key = f"{service}.{code}"
            scope["injected"][key] = scope["injected"].get(key, 0) + 1
        return _service_responder(service, protocol, status, code, message)
    return None


def _operation(environ, service):
    """The operation name where it is cheap to know (JSON target, query Action)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if service in _QUERY_NS and environ.get("REQUEST_METHOD") == "POST":
        body = _peek_body(environ)
        for part in body.split("&"):
            if part.startswith("Action="):
                return part[len("Action="):]
    return None


def _service_responder(service, protocol, status, code, message):
    rid = str(uuid.uuid4())
    reason = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error",
              503: "Service Unavailable"}.get(status, "Error")

    def respond(start_response):
        if protocol == _XML:
            data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                    f"<Message>{message}</Message><RequestId>{rid}</RequestId>"
                    f"<HostId>{rid}</HostId></Error>").encode()
            headers = [("Content-Type", "application/xml"), ("x-amz-request-id", rid)]
        elif protocol == _QUERY:
            fault = "Sender" if status < 500 else "Receiver"
            data = (f'<ErrorResponse xmlns="{_QUERY_NS[service]}"><Error><Type>{fault}</Type>'
                    f"<Code>{code}</Code><Message>{message}</Message></Error>"
                    f"<RequestId>{rid}</RequestId></ErrorResponse>").encode()
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
        elif protocol == _JSON:
            data = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": message}).encode()
            headers = [("Content-Type", _JSON_CT.get(service, "application/x-amz-json-1.1")),
                       ("x-amzn-RequestId", rid)]
        else:
            data = json.dumps({"message": message, "Message": message}).encode()
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                       ("x-amzn-RequestId", rid)]
        headers.append(("Content-Length", str(len(data))))
        start_response(f"{status} {reason}", headers)
        return [data]

    return respond
