"""write_races.py: two writers of one bucket policy / one role's inline policy lose an update
deterministically (S3 and IAM offer no conditional write for these documents: S3 API Reference,
PutBucketPolicy, has no version condition — its only precondition header,
x-amz-confirm-remove-self-bucket-access, is not one; IAM API Reference, PutRolePolicy, has none).
Without the hook the interleaving depends on timing and a test of it could pass by luck."""
import json
import threading
import urllib.request

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def _call(server, method, path, body=None):
    req = urllib.request.Request(server.endpoint + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _race(server, rid):
    return next(r for r in _call(server, "GET", "/lakewarden-test/races")[1]["races"] if r["id"] == rid)


def _doc(*sids):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": s, "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b/{s}/*"} for s in sids]}


def _read_modify_write(read, write, sid, barrier):
    """A writer as people write it: read, add its statement, write."""
    doc = read()
    barrier.wait()  # both have read before either writes
    doc["Statement"].append(_doc(sid)["Statement"][0])
    write(doc)


def test_two_role_policy_writers_lose_one_update_every_time(server, account):
    iam = server.client("iam", account)
    iam.create_role(RoleName="env", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="env", PolicyName="p", PolicyDocument=json.dumps(_doc("Base")))
    status, v = _call(server, "POST", "/lakewarden-test/races",
                      {"operation": "PutRolePolicy", "account": account, "resource": "env", "policy_name": "p"})
    assert status == 200, v
    rid = v["id"]
    read = lambda: iam.get_role_policy(RoleName="env", PolicyName="p")["PolicyDocument"]  # noqa: E731
    write = lambda d: iam.put_role_policy(RoleName="env", PolicyName="p", PolicyDocument=json.dumps(d))  # noqa: E731
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_read_modify_write, args=(read, write, s, barrier)) for s in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    r = _race(server, rid)
    assert r["state"] == "paired", r
    assert r["writes"] == 2
    sids = {s["Sid"] for s in read()["Statement"]}
    # Exactly one of the two additions survived: the one written last.
    assert sids in ({"Base", "A"}, {"Base", "B"}), sids
    assert json.loads(r["after_pair"]) == json.loads(r["documents"][1]) == read()
    # Later writes pass straight through and are counted.
    write(_doc("Base", "A", "B"))
    assert _race(server, rid)["writes"] == 3
    assert {s["Sid"] for s in read()["Statement"]} == {"Base", "A", "B"}
    assert _call(server, "DELETE", "/lakewarden-test/races", {"id": rid})[0] == 200


def test_bucket_policy_writers_and_an_unpaired_race(server, account):
    s3 = server.client("s3", account)
    bucket = f"race-{account}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(_doc("Base")))
    rid = _call(server, "POST", "/lakewarden-test/races",
                {"operation": "PutBucketPolicy", "account": account, "resource": bucket})[1]["id"]
    read = lambda: json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])  # noqa: E731
    write = lambda d: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(d))  # noqa: E731
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_read_modify_write, args=(read, write, s, barrier)) for s in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    r = _race(server, rid)
    assert r["state"] == "paired", r
    assert len({s["Sid"] for s in read()["Statement"]}) == 2
    # A writer alone is not held past the timeout, and the race says it never paired.
    rid2 = _call(server, "POST", "/lakewarden-test/races",
                 {"operation": "PutBucketPolicy", "account": account, "resource": bucket, "timeout": 0.2})[1]["id"]
    _call(server, "DELETE", "/lakewarden-test/races", {"id": rid})
    write(_doc("Solo"))
    assert _race(server, rid2)["state"] == "unpaired"
    assert {s["Sid"] for s in read()["Statement"]} == {"Solo"}
    # Another account's writes are not gated.
    assert _race(server, rid2)["writes"] == 1
