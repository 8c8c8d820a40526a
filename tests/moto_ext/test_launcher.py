import json
import os
import subprocess
import sys
import time
import urllib.request

from conftest import HERE, Server


def _get(endpoint, path, method="GET", body=None):
    req = urllib.request.Request(endpoint + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_ready_line_pidfile_and_health(tmp_path):
    pidfile = tmp_path / "moto.pid"
    env = dict(os.environ, PYTHONPATH=str(HERE))
    proc = subprocess.Popen([sys.executable, "-m", "lakewarden_moto", "--port", "0", "--pidfile", str(pidfile)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("LAKEWARDEN_MOTO_READY http://127.0.0.1:")
        endpoint = line.split()[1]
        assert int(pidfile.read_text()) == proc.pid
        assert _get(endpoint, "/lakewarden-test/health") == (200, '"ok"')
        assert _get(endpoint, "/lakewarden-test/nope")[0] == 404
        assert _get(endpoint, "/moto-api/reset", method="POST")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # The ready line is the only thing ever written to stdout (no per-request log lines).
    assert proc.stdout.read() == ""


def test_managed_policies_flag_serves_aws_managed_policies():
    boundary = "arn:aws:iam::aws:policy/AmazonDataZoneEnvironmentRolePermissionsBoundary"
    for flags, served in (((), False), (("--managed-policies",), True)):
        s = Server(*flags)
        try:
            iam = s.client("iam", "510000000001")
            try:
                iam.get_policy(PolicyArn=boundary)
                found = True
            except iam.exceptions.NoSuchEntityException:
                found = False
            assert found == served, flags
        finally:
            s.stop()


def test_exits_when_stdin_closes():
    s = Server()
    s.proc.stdin.close()
    deadline = time.time() + 10
    while s.proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert s.proc.poll() == 0


def test_reset_clears_state_and_assumed_keys_must_be_renewed(server, account):
    s3 = server.client("s3", account)
    s3.create_bucket(Bucket=f"reset-{account}")
    assert _get(server.endpoint, "/moto-api/reset", method="POST")[0] == 200
    s3 = server.client("s3", account)
    assert f"reset-{account}" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_fault_injection_makes_a_matching_request_fail_with_the_given_error(server, account):
    import botocore.exceptions
    import pytest

    s3 = server.client("s3", account)
    bucket = f"faulty-{account}"
    s3.create_bucket(Bucket=bucket)
    status, _ = _get(server.endpoint, "/lakewarden-test/faults", "POST",
                     {"method": "PUT", "path": f"/{bucket}", "query": "policy", "status": 403,
                      "code": "AccessDenied", "message": "nope", "protocol": "xml", "times": 1})
    assert status == 200
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy="{}")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # `times: 1` — the next call goes through to moto.
    s3.put_bucket_policy(Bucket=bucket, Policy='{"Version": "2012-10-17", "Statement": []}')
    # JSON protocol services get a JSON error.
    _get(server.endpoint, "/lakewarden-test/faults", "POST",
         {"target": "AWSGlue.GetDatabases", "body": account, "status": 400,
          "code": "AccessDeniedException", "message": "denied", "times": 1})
    glue = server.client("glue", account)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        glue.get_databases(CatalogId=account)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    glue.get_databases(CatalogId=account)
