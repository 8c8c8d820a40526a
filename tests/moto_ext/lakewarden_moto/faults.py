"""Fault injection: make chosen AWS requests fail with a chosen AWS error.

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
import threading
import uuid

_rules = []
_lock = threading.Lock()


def install():
    pass


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
    return {("POST", "/lakewarden-test/faults"): _add, ("DELETE", "/lakewarden-test/faults"): _clear}


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
    """A WSGI responder for the first rule matching this request, or None."""
    if not _rules:
        return None
    body_text = _peek_body(environ)
    with _lock:
        for rule in _rules:
            if _matches(rule, environ, body_text):
                if "times" in rule:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                return _responder(dict(rule))
    return None


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
