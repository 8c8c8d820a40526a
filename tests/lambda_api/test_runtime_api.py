"""The local Lambda Runtime API, driven by a Python runtime client (python_bootstrap.py)."""
import json
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from runtime_api import LambdaProcess  # noqa: E402


def python_fn(handler, env=None, timeout_s=30, extra_init=None):
    cmd = [sys.executable, "-S", str(HERE / "python_bootstrap.py")]
    if extra_init:
        cmd = [sys.executable, "-S", "-c", extra_init + f"\nexec(open({str(HERE / 'python_bootstrap.py')!r}).read())"]
    return LambdaProcess(cmd, "fixture", env=env, handler=f"fixture_handlers.{handler}",
                         cwd=str(HERE), timeout_s=timeout_s)


def test_lambda_environment_init_time_response_and_logs():
    with python_fn("echo", env={"LAKEWARDEN_CONFIG": "/var/task/x.yaml"}) as fn:
        init_ms = fn.wait_ready()
        assert 0 < init_ms < 30_000
        first = fn.invoke({"n": 1})
        second = fn.invoke({"n": 2})
    assert first.ok and second.ok
    assert first.payload["event"] == {"n": 1} and second.payload["event"] == {"n": 2}
    assert first.payload["function"] == "fixture" and first.payload["remaining_ms_positive"]
    assert first.payload["env"] == {"AWS_REGION": "us-east-1", "_HANDLER": "fixture_handlers.echo",
                                    "LAKEWARDEN_CONFIG": "/var/task/x.yaml"}
    # Each invocation's log holds the lines written while it ran, and only those.
    assert [r["fields"]["request"] for r in first.log_records()] == [first.request_id]
    assert [r["fields"]["request"] for r in second.log_records()] == [second.request_id]
    assert first.duration_ms > 0
    assert fn.peak_rss_kib > 1024


def test_error_response_keeps_the_logged_report():
    with python_fn("fail") as fn:
        fn.wait_ready()
        inv = fn.invoke({})
    assert inv.ok is False
    assert inv.error["errorType"] == "RuntimeError"
    assert inv.report()["actions"][0]["outcome"] == "failed"


def test_peak_rss_is_the_high_water_mark_before_stopping():
    with python_fn("grow") as fn:
        fn.wait_ready()
        before = fn.rss_kib()
        assert fn.invoke({"mib": 64}).ok
    assert fn.peak_rss_kib - before >= 60 * 1024


def test_init_error_and_a_crash_are_reported():
    with python_fn("nope") as fn:  # no such handler: the runtime posts /init/error
        with pytest.raises(RuntimeError, match="did not start"):
            fn.wait_ready(timeout=30)
    assert "nope" in fn.init_error
    with python_fn("echo", extra_init="import os; os._exit(3)") as fn:
        with pytest.raises(RuntimeError, match="exit 3"):
            fn.wait_ready(timeout=30)


def test_timeout_is_reported_like_lambda():
    with python_fn("slow") as fn:
        fn.wait_ready()
        t = time.perf_counter()
        inv = fn.invoke({"seconds": 5}, timeout=0.5)
        assert time.perf_counter() - t < 3
    assert inv.ok is False and inv.error["errorType"] == "Sandbox.Timedout"


def test_command_line_prints_a_summary(tmp_path, capsys):
    from runtime_api import main

    ev = tmp_path / "ev.json"
    ev.write_text(json.dumps({"k": "v"}))
    rc = main(["--name", "fixture", "--event", str(ev), "--env", f"_HANDLER=fixture_handlers.echo",
               "--env", f"LAMBDA_TASK_ROOT={HERE}", "--", sys.executable, "-S", str(HERE / "python_bootstrap.py")])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["invocations"][0]["payload"]["event"] == {"k": "v"}
    assert out["init_ms"] > 0 and out["peak_rss_kib"] > 0
