"""events_test_pattern.py: EventBridge TestEventPattern (moto 5.2.5 answers an empty 200).

AWS: API Reference "TestEventPattern" - Event must hold id, account, source, time, region,
resources and detail-type; EventPattern at most 4,096 characters; the answer is {"Result": bool}.
"""
import json

import pytest
from botocore.exceptions import ClientError

EVENT = {
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Glue Data Catalog Database State Change", "source": "aws.glue",
    "account": "111111111111", "time": "2026-11-24T10:00:00Z", "region": "us-east-1",
    "resources": ["arn:aws:glue:us-east-1:111111111111:table/cur_org/legacy_all"],
    "detail": {"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["legacy_all"]},
}


def result(ev, pattern, event=EVENT):
    return ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"]


def test_matches_and_rejects(server, account):
    ev = server.client("events", account)
    assert result(ev, {"source": ["aws.glue"], "detail-type": ["Glue Data Catalog Database State Change"]}) is True
    assert result(ev, {"source": ["aws.glue"], "account": ["111111111111"],
                       "detail": {"typeOfChange": ["CreateTable", "DeleteTable"]}}) is True
    assert result(ev, {"source": ["aws.ram"]}) is False
    assert result(ev, {"account": ["222222222222"]}) is False
    assert result(ev, {"detail": {"typeOfChange": ["UpdateTable"]}}) is False
    # $or, prefix and anything-but as EventBridge documents them.
    assert result(ev, {"$or": [{"source": ["aws.ram"]}, {"detail": {"databaseName": [{"prefix": "cur_"}]}}]}) is True
    assert result(ev, {"detail": {"typeOfChange": [{"anything-but": ["CreateTable"]}]}}) is False


def test_event_needs_the_mandatory_fields(server, account):
    ev = server.client("events", account)
    for field in ("id", "account", "source", "time", "region", "resources", "detail-type"):
        broken = {k: v for k, v in EVENT.items() if k != field}
        with pytest.raises(ClientError) as e:
            result(ev, {"source": ["aws.glue"]}, broken)
        assert e.value.response["Error"]["Code"] == "ValidationException", field
    with pytest.raises(ClientError) as e:
        ev.test_event_pattern(EventPattern=json.dumps({"source": ["aws.glue"]}), Event="not json")
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_invalid_patterns_are_refused(server, account):
    ev = server.client("events", account)
    for pattern in ({"source": "aws.glue"}, {"source": []}):
        with pytest.raises(ClientError) as e:
            result(ev, pattern)
        assert e.value.response["Error"]["Code"] == "InvalidEventPatternException", pattern
    with pytest.raises(ClientError) as e:
        result(ev, {"source": ["aws.glue"], "detail": {"databaseName": ["x" * 4100]}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
