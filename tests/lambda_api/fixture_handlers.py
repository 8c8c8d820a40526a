"""Handlers for test_runtime_api.py (started through python_bootstrap.py)."""
import json
import os
import time

BALLAST = None


def echo(event, context):
    print(json.dumps({"level": "INFO", "fields": {"message": "got", "request": context.aws_request_id}}),
          flush=True)
    return {"event": event, "function": context.function_name,
            "remaining_ms_positive": context.get_remaining_time_in_millis() > 0,
            "env": {k: os.environ.get(k) for k in ("AWS_REGION", "_HANDLER", "LAKEWARDEN_CONFIG")}}


def fail(event, context):
    report = {"function": "fixture", "actions": [{"action": "x", "outcome": "failed"}], "writes": 0}
    print(json.dumps({"level": "INFO", "fields": {"message": "report", "report": json.dumps(report)}}),
          flush=True)
    raise RuntimeError("1 action(s) failed")


def grow(event, context):
    global BALLAST
    BALLAST = bytearray(event["mib"] * 1024 * 1024)
    for i in range(0, len(BALLAST), 4096):
        BALLAST[i] = 1
    return {"ok": True}


def slow(event, context):
    time.sleep(event["seconds"])
    return {"slept": event["seconds"]}
