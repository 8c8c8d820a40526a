"""A deterministic lost update on one policy document, for concurrency tests.

S3 bucket policies and IAM inline policies have no conditional write: two writers that read the
same document and each write back their merge lose one update, whichever lands last wins. On real
AWS that happens by timing; here a test arms a *race* and the server makes it happen every time:

POST   /lakewarden-test/races {"operation": "PutBucketPolicy" | "PutRolePolicy",
                               "account": "123456789012", "resource": "BUCKET" | "ROLE NAME",
                               "policy_name": "optional, PutRolePolicy only", "timeout": 30}
       -> {"id": N}
GET    /lakewarden-test/races -> every race: state, writes seen, the documents the paired writes
       stored (in the order they landed) and the document right after both ("after_pair")
DELETE /lakewarden-test/races {"id": N} (or {} for all)

The first matching write is held until a second one arrives; then the first is stored, then the
second (computed from a read made while the first was held, so it lacks the first writer's
change), and only then are both answered — so each writer's read-back, if it makes one, sees the
document after both writes. Later writes pass straight through (``writes`` counts them all). If
no second writer comes within ``timeout`` seconds the first is stored alone and the race is
``unpaired``: a test asserting ``paired`` then fails instead of passing by luck. Nothing is
changed in what moto stores: the writes are moto's own, only their timing is forced.
"""
import threading

_races = {}
_cond = threading.Condition()
_next = [1]


def _add(environ, body):
    op = body.get("operation")
    if op not in ("PutBucketPolicy", "PutRolePolicy"):
        return 400, {"error": "operation: PutBucketPolicy or PutRolePolicy"}
    if not body.get("account") or not body.get("resource"):
        return 400, {"error": "account and resource are required"}
    with _cond:
        rid = _next[0]
        _next[0] += 1
        _races[rid] = {"id": rid, "operation": op, "account": body["account"],
                       "resource": body["resource"], "policy_name": body.get("policy_name"),
                       "timeout": float(body.get("timeout", 30)), "state": "armed",
                       "arrived": 0, "applied": 0, "writes": 0, "documents": [], "after_pair": None}
    return 200, {"id": rid}


def _public(r):
    return {k: v for k, v in r.items() if k not in ("timeout",)}


def _list(environ, body):
    with _cond:
        return 200, {"races": [_public(r) for r in _races.values()]}


def _clear(environ, body):
    with _cond:
        if body.get("id") is not None:
            return (200, {"removed": 1}) if _races.pop(int(body["id"]), None) else (404, {"error": "no such race"})
        n = len(_races)
        _races.clear()
        _cond.notify_all()
    return 200, {"removed": n}


def test_routes():
    return {("POST", "/lakewarden-test/races"): _add, ("GET", "/lakewarden-test/races"): _list,
            ("DELETE", "/lakewarden-test/races"): _clear}


def _text(doc):
    if doc is None:
        return None
    return doc.decode("utf-8", "replace") if isinstance(doc, bytes) else str(doc)


def _gate(operation, account, resource, policy_name, write, read):
    """Run `write` (storing `document`) under the race armed for this write, if any."""
    with _cond:
        race = next((r for r in _races.values()
                     if r["operation"] == operation and r["account"] == account
                     and r["resource"] == resource
                     and (r["policy_name"] is None or r["policy_name"] == policy_name)), None)
        if race is not None:
            race["writes"] += 1
        if race is not None and race["state"] == "armed":
            return _paired(race, write, read)
    return write()


def _paired(race, write, read):
    """Called with _cond held."""
    ticket = race["arrived"]
    race["arrived"] += 1
    if race["arrived"] >= 2:
        race["state"] = "pairing"  # a third writer passes straight through
    _cond.notify_all()
    timeout = race["timeout"]
    if not _cond.wait_for(lambda: race["arrived"] >= 2, timeout):
        race["state"] = "unpaired"
        return write()
    _cond.wait_for(lambda: race["applied"] == ticket, timeout)
    result, error = None, None
    try:
        result = write()
    except Exception as e:  # an AWS error of the write: answered after the pair, as raised
        error = e
    race["documents"].append(_text(read()))
    race["applied"] += 1
    if race["applied"] >= 2:
        race["after_pair"] = _text(read())
        race["state"] = "paired"
    _cond.notify_all()
    _cond.wait_for(lambda: race["applied"] >= 2, timeout)
    if error is not None:
        raise error
    return result


def install():
    from moto.s3.models import S3Backend
    from moto.iam.models import IAMBackend

    previous_put_bucket_policy = S3Backend.put_bucket_policy

    def put_bucket_policy(self, bucket_name, policy):
        def read():
            try:
                return self.get_bucket(bucket_name).policy
            except Exception:
                return None

        return _gate("PutBucketPolicy", self.account_id, bucket_name, None,
                     lambda: previous_put_bucket_policy(self, bucket_name, policy), read)

    S3Backend.put_bucket_policy = put_bucket_policy

    previous_put_role_policy = IAMBackend.put_role_policy

    def put_role_policy(self, role_name, policy_name, policy_json):
        def read():
            try:
                return self.get_role(role_name).policies.get(policy_name)
            except Exception:
                return None

        return _gate("PutRolePolicy", self.account_id, role_name, policy_name,
                     lambda: previous_put_role_policy(self, role_name, policy_name, policy_json), read)

    IAMBackend.put_role_policy = put_role_policy
