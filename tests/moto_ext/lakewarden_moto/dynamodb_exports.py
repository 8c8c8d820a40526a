"""DynamoDB exports: a test-only way to make an export FAILED.

POST /lakewarden-test/dynamodb/exports/fail {"export_arn": ..., "code": "S3AccessDenied",
"message": "..."} waits for moto's export thread, then sets the export FAILED with that
FailureCode / FailureMessage, as DynamoDB reports an export S3 refused.
"""


def _fail(environ, body):
    from moto.dynamodb.models import dynamodb_backends

    arn = body.get("export_arn")
    for account in list(dynamodb_backends.keys()):
        for region, backend in dynamodb_backends[account].items():
            export = getattr(backend, "table_exports", {}).get(arn)
            if export is None:
                continue
            if export.is_alive():
                export.join(timeout=10)
            export.status = "FAILED"
            export.failure_code = body.get("code", "S3AccessDenied")
            export.failure_message = body.get("message", "Access Denied")
            return 200, {"export_arn": arn, "status": "FAILED"}
    return 404, {"error": f"no export {arn}"}


def install():
    pass


def test_routes():
    return {("POST", "/lakewarden-test/dynamodb/exports/fail"): _fail}
