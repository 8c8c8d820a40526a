"""A minimal Python Lambda runtime client (stdlib only), as the managed Python runtime behaves:
import the `_HANDLER` module (`module.function`, from LAMBDA_TASK_ROOT) during Init, then loop on
GET /invocation/next -> handler(event, context) -> POST .../response or .../error.

    python tests/lambda_api/python_bootstrap.py      (started by runtime_api.LambdaProcess)
"""
import importlib
import json
import os
import sys
import time
import traceback
import urllib.request


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def main():
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    try:
        module, function = os.environ["_HANDLER"].rsplit(".", 1)
        handler = getattr(importlib.import_module(module), function)
    except Exception as e:
        _post(api + "/init/error", {"errorMessage": str(e), "errorType": type(e).__name__})
        sys.exit(1)
    while True:
        with urllib.request.urlopen(api + "/invocation/next") as r:
            headers = {k: v for k, v in r.headers.items()}
            event = json.loads(r.read() or b"null")
        ctx = Context(headers)
        try:
            result = handler(event, ctx)
        except Exception as e:
            traceback.print_exc()
            _post(f"{api}/invocation/{ctx.aws_request_id}/error",
                  {"errorMessage": str(e), "errorType": type(e).__name__})
            continue
        _post(f"{api}/invocation/{ctx.aws_request_id}/response", result)


if __name__ == "__main__":
    main()
