"""faults.py random mode: a fraction of requests fail with each service's own throttling or
internal error, in that service's protocol, scoped to accounts; the harness is never faulted."""
import json
import urllib.request

import botocore.exceptions
import pytest

from conftest import Server


def _call(endpoint, method, path, body=None):
    req = urllib.request.Request(endpoint + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _scope(server, **body):
    status, value = _call(server.endpoint, "POST", "/lakewarden-test/faults/random", body)
    assert status == 200, value
    return value["id"]


def _client(server, service, account, **retries):
    """A boto3 client acting in `account`; without retries unless given (conftest's client retries
    once: botocore's legacy `max_attempts` counts retries)."""
    import boto3
    from botocore.config import Config

    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/t", RoleSessionName="faults")["Credentials"]
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                        aws_session_token=c["SessionToken"],
                        config=Config(retries=retries or {"mode": "standard", "total_max_attempts": 1}))


def _off(server, sid):
    assert _call(server.endpoint, "DELETE", "/lakewarden-test/faults/random", {"id": sid})[0] == 200


def _error(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


# (service, call, kwargs, expected throttle (status, code), expected server error (status, code))
CASES = [
    ("s3", "list_buckets", {}, (503, "SlowDown"), (500, "InternalError")),
    ("iam", "list_roles", {}, (400, "Throttling"), (500, "ServiceFailure")),
    ("sts", "get_caller_identity", {}, (400, "Throttling"), (500, "InternalFailure")),
    ("sns", "list_topics", {}, (400, "ThrottlingException"), (500, "InternalError")),
    ("glue", "get_databases", {}, (400, "ThrottlingException"), (500, "InternalServiceException")),
    ("lakeformation", "list_permissions", {}, (429, "ThrottledException"), (500, "InternalServiceException")),
    ("ram", "get_resource_shares", {"resourceOwner": "SELF"}, (429, "ThrottlingException"),
     (500, "ServerInternalException")),
    ("dynamodb", "list_tables", {}, (400, "ThrottlingException"), (500, "InternalServerError")),
    ("events", "list_rules", {}, (400, "ThrottlingException"), (500, "InternalException")),
    ("ssm", "describe_parameters", {}, (400, "ThrottlingException"), (500, "InternalServerError")),
    ("datazone", "list_projects", {"domainIdentifier": "dzd_abc123"}, (429, "ThrottlingException"),
     (500, "InternalServerException")),
]


@pytest.mark.parametrize("kind", ["throttle", "server"])
def test_every_service_fails_with_its_own_error_in_its_protocol(server, account, kind):
    clients = {svc: _client(server, svc, account) for svc, *_ in CASES}
    sid = _scope(server, rate=1.0, seed=1, accounts=[account], kinds=[kind])
    try:
        for svc, call, kw, throttle, internal in CASES:
            expected = throttle if kind == "throttle" else internal
            assert _error(getattr(clients[svc], call), **kw) == expected, svc
    finally:
        _off(server, sid)
    # Off again: the same calls go through to moto.
    clients["glue"].get_databases()
    clients["s3"].list_buckets()


def test_dynamodb_data_plane_throttles_with_provisioned_throughput_exceeded(server, account):
    ddb = _client(server, "dynamodb", account)
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    sid = _scope(server, rate=1.0, accounts=[account], kinds=["throttle"])
    try:
        assert _error(ddb.get_item, TableName="t", Key={"pk": {"S": "x"}}) == (
            400, "ProvisionedThroughputExceededException")
        assert _error(ddb.describe_table, TableName="t") == (400, "ThrottlingException")
    finally:
        _off(server, sid)


def test_a_scope_touches_only_its_accounts_and_services(server, account):
    other = f"{int(account) + 500:012d}"
    glue, s3 = _client(server, "glue", account), _client(server, "s3", account)
    glue_other = _client(server, "glue", other)
    sid = _scope(server, rate=1.0, accounts=[account], services=["glue"])
    try:
        _error(glue.get_databases)
        glue_other.get_databases()      # another account: untouched
        s3.list_buckets()               # another service: untouched
    finally:
        _off(server, sid)


def test_the_rate_is_a_fraction_and_a_seed_repeats_the_same_faults(server, account):
    glue = _client(server, "glue", account)

    def pattern(seed):
        sid = _scope(server, rate=0.2, seed=seed, accounts=[account])
        out = []
        try:
            for _ in range(200):
                try:
                    glue.get_databases()
                    out.append(None)
                except botocore.exceptions.ClientError as e:
                    out.append(e.response["Error"]["Code"])
            status, stats = _call(server.endpoint, "GET", "/lakewarden-test/faults/random")
            mine = [s for s in stats["scopes"] if s["id"] == sid][0]
            assert mine["requests"] == 200
            assert mine["injected_total"] == sum(1 for c in out if c)
        finally:
            _off(server, sid)
        return out

    first = pattern(42)
    failed = [c for c in first if c]
    # 200 draws at p = 0.2: mean 40, standard deviation 5.7 (a fixed seed: always the same count).
    assert 20 <= len(failed) <= 60, len(failed)
    assert set(failed) == {"ThrottlingException", "InternalServiceException"}
    assert pattern(42) == first
    assert pattern(43) != first


def test_botocore_standard_retries_ride_through_20_percent_faults(server, account):
    """What the Rust SDK's standard mode does too: throttling and 5xx are retried."""
    glue = _client(server, "glue", account, mode="standard", total_max_attempts=5)
    sid = _scope(server, rate=0.2, seed=3, accounts=[account], kinds=["server"])
    try:
        for i in range(40):
            glue.create_database(DatabaseInput={"Name": f"db{i}"})
    finally:
        _off(server, sid)
    assert len(glue.get_databases()["DatabaseList"]) == 40


def test_bad_scopes_are_refused(server):
    for body in ({"rate": 2}, {"rate": "x"}, {"kinds": ["nope"]}, {"services": ["lambda"]}, {"kinds": []}):
        assert _call(server.endpoint, "POST", "/lakewarden-test/faults/random", body)[0] == 400, body
    assert _call(server.endpoint, "DELETE", "/lakewarden-test/faults/random", {"id": 99999})[0] == 404


def test_fault_rate_flag_faults_everything_but_the_harness():
    s = Server("--fault-rate", "1.0", "--fault-seed", "5")
    try:
        # AssumeRole (how the harness gets each account's credentials) and the control endpoints
        # are never faulted; everything else is.
        glue = _client(s, "glue", "520000000001")
        assert _error(glue.get_databases)[1] in ("ThrottlingException", "InternalServiceException")
        assert _call(s.endpoint, "POST", "/moto-api/reset")[0] == 200
        status, stats = _call(s.endpoint, "GET", "/lakewarden-test/faults/random")
        assert status == 200 and stats["scopes"][0]["rate"] == 1.0 and stats["scopes"][0]["accounts"] is None
    finally:
        s.stop()
