"""A local AWS Lambda Runtime API (stdlib only): start a function's bootstrap as Lambda does and
invoke it, measuring what Lambda would bill and report.

    from runtime_api import LambdaProcess
    with LambdaProcess(["target/release/catalog-sharer"], "catalog-sharer",
                       env={"AWS_ENDPOINT_URL": moto, "LAKEWARDEN_CONFIG": "cfg.yaml", ...}) as fn:
        init_ms = fn.wait_ready()              # process start -> first GET .../invocation/next
        inv = fn.invoke({"source": "aws.events", ...})
        inv.ok, inv.payload, inv.error, inv.duration_ms, inv.logs, inv.report()
    fn.peak_rss_kib                            # VmHWM read right before the process was stopped

Served (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, API version 2018-06-01):
  GET  /2018-06-01/runtime/invocation/next             -> the next event, with the headers
       Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
  POST /2018-06-01/runtime/invocation/{id}/response    -> 202
  POST /2018-06-01/runtime/invocation/{id}/error       -> 202 (body: errorMessage, errorType)
  POST /2018-06-01/runtime/init/error                  -> 202; the process is then stopped

The process gets the environment Lambda sets (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME,
_HANDLER, AWS_REGION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION, log group and
stream, LAMBDA_TASK_ROOT) plus `env` (AWS_ENDPOINT_URL and credentials for moto,
LAKEWARDEN_CONFIG, ...). stdout and stderr are captured line by line (the function's JSON log)
and attributed to the invocation running when they were written.

Command line (one invocation, prints a JSON summary):
    python tests/lambda_api/runtime_api.py --name catalog-sharer --event ev.json \\
        [--env K=V ...] -- target/release/catalog-sharer
"""
import argparse
import array
import fcntl
import json
import os
import queue
import signal
import subprocess
import sys
import termios
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a runtime killed while waiting on /next: nothing to report


class Invocation:
    def __init__(self, request_id, event, deadline_ms):
        self.request_id = request_id
        self.event = event
        self.deadline_ms = deadline_ms
        self.dispatched = None  # perf_counter when the runtime received the event
        self.finished = None
        self.ok = None  # True: /response, False: /error (or the process died / timed out)
        self.payload = None  # parsed /response body (raw text when it is not JSON)
        self.error = None  # parsed /error body, or {"errorType": "Runtime.ExitError"|"Timeout"}
        self.logs = []  # lines written while it ran
        self._done = threading.Event()

    @property
    def duration_ms(self):
        if self.dispatched is None or self.finished is None:
            return None
        return (self.finished - self.dispatched) * 1e3

    def log_records(self):
        """The log lines that are JSON objects."""
        out = []
        for line in self.logs:
            try:
                v = json.loads(line)
            except ValueError:
                continue
            if isinstance(v, dict):
                out.append(v)
        return out

    def report(self):
        """lakewarden's report: the response payload, or (failed invocation) the logged `report`."""
        if self.ok and isinstance(self.payload, dict) and "actions" in self.payload:
            return self.payload
        for rec in reversed(self.log_records()):
            fields = rec.get("fields", rec)
            r = fields.get("report")
            if isinstance(r, str):
                try:
                    r = json.loads(r)
                except ValueError:
                    continue
            if isinstance(r, dict):
                return r
        return None


class LambdaProcess:
    def __init__(self, command, function_name, env=None, handler="bootstrap", region="us-east-1",
                 memory_mb=128, timeout_s=900, cwd=None, account="123456789012", inherit_env=False):
        self.command = list(command)
        self.function_name = function_name
        self.extra_env = dict(env or {})
        self.handler = handler
        self.region = region
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.cwd = cwd
        self.account = account
        self.inherit_env = inherit_env
        self.proc = None
        self.started = None
        self.ready_at = None
        self.init_error = None
        self.peak_rss_kib = None
        self.lines = []  # (perf_counter, stream, line) for the whole life of the process
        self._pending = queue.Queue()
        self._by_id = {}
        self._current = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._server = None
        self._readers = []

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        api = f"127.0.0.1:{self._server.server_address[1]}"
        env = dict(os.environ) if self.inherit_env else {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                         "LANG": "C.UTF-8"}
        env.update({
            "AWS_LAMBDA_RUNTIME_API": api,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": self.handler,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "LAMBDA_TASK_ROOT": self.cwd or os.getcwd(),
            "TZ": ":UTC",
        })
        env.update(self.extra_env)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.command, env=env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for stream in ("stdout", "stderr"):
            t = threading.Thread(target=self._read, args=(getattr(self.proc, stream), stream), daemon=True)
            t.start()
            self._readers.append(t)
        return self

    def wait_ready(self, timeout=60):
        """Milliseconds from process start to its first GET .../invocation/next (Lambda's Init)."""
        deadline = time.time() + timeout
        while not self._ready.wait(0.01):
            if self.init_error is not None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.function_name} did not start: "
                                   f"{self.init_error or f'exit {self.proc.returncode}'}\n{self.log_text()}")
            if time.time() > deadline:
                raise TimeoutError(f"{self.function_name}: no /invocation/next within {timeout}s")
        return self.init_ms

    @property
    def init_ms(self):
        return None if self.ready_at is None else (self.ready_at - self.started) * 1e3

    def invoke(self, event, timeout=None):
        """Send one event and wait for its result (an Invocation; never raises on function errors)."""
        timeout = self.timeout_s if timeout is None else timeout
        inv = Invocation(str(uuid.uuid4()), event, int((time.time() + timeout) * 1000))
        with self._lock:
            self._by_id[inv.request_id] = inv
        self._pending.put(inv)
        end = time.time() + timeout
        while not inv._done.wait(0.05):
            if self.proc.poll() is not None:
                self._finish(inv, False, None, {"errorType": "Runtime.ExitError",
                                                 "errorMessage": f"exit status {self.proc.returncode}"})
            elif time.time() > end:
                self._finish(inv, False, None, {"errorType": "Sandbox.Timedout",
                                                 "errorMessage": f"Task timed out after {timeout:.2f} seconds"})
        self._drain(inv)
        return inv

    def rss_kib(self, field="VmHWM"):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.peak_rss_kib = self.rss_kib("VmHWM")
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self._readers:
            t.join(timeout=2)
        self._pending.put(None)  # release a waiting /next
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_text(self):
        return "\n".join(line for _, _, line in self.lines)

    # -- internals ---------------------------------------------------------------------------
    def _read(self, pipe, stream):
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            now = time.perf_counter()
            with self._lock:
                self.lines.append((now, stream, line))
                if self._current is not None:
                    self._current.logs.append(line)
        pipe.close()

    def _pending_bytes(self):
        n = 0
        for pipe in (self.proc.stdout, self.proc.stderr):
            try:
                buf = array.array("i", [0])
                fcntl.ioctl(pipe.fileno(), termios.FIONREAD, buf)
                n += buf[0]
            except (OSError, ValueError):
                pass
        return n

    def _drain(self, inv, max_s=1.0):
        # What the function wrote before /response is in the pipes by now: wait until the readers
        # have taken all of it (nothing left in the pipes, twice a few ms apart), bounded.
        end = time.perf_counter() + max_s
        calm = 0
        while time.perf_counter() < end and calm < 2:
            calm = calm + 1 if self._pending_bytes() == 0 else 0
            time.sleep(0.005)
        with self._lock:
            if self._current is inv:
                self._current = None

    def _finish(self, inv, ok, payload, error):
        with self._lock:
            if inv._done.is_set():
                return
            inv.finished = time.perf_counter()
            inv.ok, inv.payload, inv.error = ok, payload, error
            inv._done.set()

    def _handler_class(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                if not n and self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    raw = self._chunked()
                return raw

            def _chunked(self):
                out = b""
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()

            def _reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404, b'{"errorType":"NotFound"}')
                if owner.ready_at is None:
                    owner.ready_at = time.perf_counter()
                    owner._ready.set()
                inv = owner._pending.get()
                if inv is None:  # stopping
                    owner._pending.put(None)
                    return self._reply(500, b'{"errorType":"Runtime.Stopped"}')
                body = json.dumps(inv.event).encode()
                arn = f"arn:aws:lambda:{owner.region}:{owner.account}:function:{owner.function_name}"
                with owner._lock:
                    owner._current = inv
                    inv.dispatched = time.perf_counter()
                self._reply(200, body, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms)),
                    ("Lambda-Runtime-Invoked-Function-Arn", arn),
                    ("Lambda-Runtime-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"),
                ])

            def do_POST(self):
                raw = self._body()
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    owner.init_error = raw.decode("utf-8", "replace")
                    return self._reply(202, b'{"status":"OK"}')
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with owner._lock:
                        inv = owner._by_id.get(parts[1])
                    if inv is None:
                        return self._reply(400, b'{"errorType":"InvalidRequestID"}')
                    text = raw.decode("utf-8", "replace")
                    try:
                        value = json.loads(text) if text else None
                    except ValueError:
                        value = text
                    if parts[2] == "response":
                        owner._finish(inv, True, value, None)
                    else:
                        owner._finish(inv, False, None, value)
                    return self._reply(202, b'{"status":"OK"}')
                return self._reply(404, b'{"errorType":"NotFound"}')

        return Handler


def main(argv=None):
    ap = argparse.ArgumentParser(description="run a Lambda bootstrap against a local Runtime API")
    ap.add_argument("--name", required=True, help="AWS_LAMBDA_FUNCTION_NAME")
    ap.add_argument("--event", action="append", default=[], help="event JSON file (repeatable)")
    ap.add_argument("--env", action="append", default=[], help="K=V for the function's environment")
    ap.add_argument("--inherit-env", action="store_true", help="pass this process's environment on")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args(argv)
    env = dict(kv.split("=", 1) for kv in args.env)
    fn = LambdaProcess(args.command, args.name, env=env, timeout_s=args.timeout, inherit_env=args.inherit_env)
    out = {"function": args.name, "invocations": []}
    with fn:
        out["init_ms"] = round(fn.wait_ready(), 2)
        for path in args.event:
            with open(path) as f:
                inv = fn.invoke(json.load(f))
            out["invocations"].append({"event": path, "ok": inv.ok, "duration_ms": round(inv.duration_ms, 2),
                                       "payload": inv.payload, "error": inv.error, "logs": inv.logs})
    out["peak_rss_kib"] = fn.peak_rss_kib
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0 if all(i["ok"] for i in out["invocations"]) else 1


if __name__ == "__main__":
    sys.exit(main())
