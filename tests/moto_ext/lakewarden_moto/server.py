"""Launcher: moto's WSGI app with lakewarden's extensions and test-only endpoints.

    python -m lakewarden_moto --host 127.0.0.1 --port 0 [--pidfile F] [--exit-on-stdin-eof]
                              [--managed-policies] [--fault-rate 0.2 [--fault-seed 7]]

Prints exactly one line ``LAKEWARDEN_MOTO_READY http://HOST:PORT`` on stdout once it accepts
connections (port 0 picks a free port), then serves until killed.
"""
import argparse
import importlib
import json
import logging
import os
import sys
import threading


def _installers():
    from . import EXTENSIONS

    # LAKEWARDEN_MOTO_SKIP=lf_fixes,ram_ext leaves those out: to check against plain moto whether
    # a fix is still needed (e.g. after a moto upgrade). Never set by the tests or the Makefile.
    skip = {s.strip() for s in os.environ.get("LAKEWARDEN_MOTO_SKIP", "").split(",") if s.strip()}
    return [importlib.import_module(f"{__package__}.{name}") for name in EXTENSIONS if name not in skip]


class TestEndpoints:
    """WSGI middleware: `/lakewarden-test/...` for tests, everything else to moto."""

    def __init__(self, app, routes, intercepts=()):
        self.app = app
        self.routes = routes
        # Modules serving a whole service moto lacks: intercept(environ) -> responder or None.
        self.intercepts = list(intercepts)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/lakewarden-test/"):
            method = environ.get("REQUEST_METHOD", "GET")
            handler = self.routes.get((method, path))
            if handler is None:
                return self._reply(start_response, 404, {"error": f"no test endpoint {method} {path}"})
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            raw = environ["wsgi.input"].read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError as e:
                return self._reply(start_response, 400, {"error": f"body is not JSON: {e}"})
            try:
                status, value = handler(environ, body)
            except Exception as e:  # a test endpoint's bug must not kill the server
                logging.exception("test endpoint failed")
                status, value = 500, {"error": repr(e)}
            return self._reply(start_response, status, value)
        from . import faults

        injected = faults.match(environ)
        if injected is not None:
            return injected(start_response)
        for intercept in self.intercepts:
            responder = intercept(environ)
            if responder is not None:
                return responder(start_response)
        return self.app(environ, start_response)

    @staticmethod
    def _reply(start_response, status, value):
        data = json.dumps(value).encode()
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def build_app():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    routes = {("GET", "/lakewarden-test/health"): lambda environ, body: (200, "ok")}
    intercepts = []
    for module in _installers():
        module.install()
        if hasattr(module, "test_routes"):
            routes.update(module.test_routes())
        if hasattr(module, "intercept"):
            intercepts.append(module.intercept)
    app = DomainDispatcherApplication(create_backend_app)
    return TestEndpoints(app, routes, intercepts)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m lakewarden_moto")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pidfile")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="exit when standard input closes (the parent test process ended)")
    ap.add_argument("--managed-policies", action="store_true",
                    help="serve AWS managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES=true)")
    ap.add_argument("--fault-rate", type=float,
                    help="answer this fraction of AWS requests with the service's throttling or 5xx error (faults.py)")
    ap.add_argument("--fault-seed", type=int, help="seed of --fault-rate's random choices")
    args = ap.parse_args(argv)
    if args.fault_rate is not None:
        os.environ["LAKEWARDEN_MOTO_FAULT_RATE"] = str(args.fault_rate)
        if args.fault_seed is not None:
            os.environ["LAKEWARDEN_MOTO_FAULT_SEED"] = str(args.fault_seed)

    if args.managed_policies:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import make_server
    from moto.server import MotoRequestHandler

    app = build_app()
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    os.environ.setdefault("MOTO_PORT", str(port))
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write(str(os.getpid()))
    print(f"LAKEWARDEN_MOTO_READY http://{args.host}:{port}", flush=True)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
