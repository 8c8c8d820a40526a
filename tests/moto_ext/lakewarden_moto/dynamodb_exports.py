"""DynamoDB ExportTableToPointInTime as AWS does it, and a test-only way to make an export FAILED.

moto 5.2.5 ignores ``ClientToken`` (every call starts another export), builds a malformed export
ARN (``…:BUCKET_OWNER:table/arn:aws:dynamodb:…:table/T/import/ID``) and drops the
``IncrementalExportSpecification``. With this module installed:

- the export ARN is ``TABLE_ARN/export/<14-digit millis>-<8 hex>`` (the table's account);
- a ``ClientToken`` seen in the last 8 hours with the same parameters returns the export it
  started (no second export); with other parameters → ``ExportConflictException`` (the error the
  API model lists for this operation);
- ``DescribeExport`` / ``ListExports`` return ``ClientToken``, ``StartTime``, ``ExportType``,
  ``ExportFormat`` and ``IncrementalExportSpecification`` as given;
- ``DescribeExport`` of an unknown ARN → ``ExportNotFoundException`` (moto: 500).

``POST /lakewarden-test/dynamodb/exports/fail {"export_arn": ..., "code": "S3AccessDenied",
"message": "..."}`` waits for moto's export thread, then sets the export FAILED with that
FailureCode / FailureMessage, as DynamoDB reports an export S3 refused.

State (tokens, extra fields) lives on moto's per-account/per-region DynamoDB backend objects and
on the export objects they hold, so ``/moto-api/reset`` clears it.
"""
import datetime
import json
import time
import uuid

TOKEN_WINDOW_SECONDS = 8 * 3600


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


def _epoch(value):
    """A timestamp as the JSON protocol carries it (epoch seconds); moto may hand us either."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def _tokens(backend):
    if not hasattr(backend, "lakewarden_export_tokens"):
        backend.lakewarden_export_tokens = {}
    return backend.lakewarden_export_tokens


def install():
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX
    from moto.dynamodb.models.table_export import TableExport
    from moto.dynamodb.responses import DynamoHandler

    class ExportConflict(JsonRESTError):
        def __init__(self, message):
            super().__init__(ERROR_TYPE_PREFIX + "ExportConflictException", message)

    original_response = TableExport.response

    def response(self):
        out = original_response(self)
        out.update(getattr(self, "lakewarden_extra", {}))
        return out

    def export_table_to_point_in_time(self):
        body = self.body
        backend = self.dynamodb_backend
        spec = body.get("IncrementalExportSpecification") or None
        if spec:
            spec = {k: (_epoch(v) if k in ("ExportFromTime", "ExportToTime") else v) for k, v in spec.items()}
        params = {
            "TableArn": body["TableArn"],
            "S3Bucket": body["S3Bucket"],
            "S3BucketOwner": body.get("S3BucketOwner"),
            "S3Prefix": body.get("S3Prefix"),
            "ExportFormat": body.get("ExportFormat", "DYNAMODB_JSON"),
            "ExportType": body.get("ExportType", "FULL_EXPORT"),
            "ExportTime": _epoch(body.get("ExportTime")),
            "IncrementalExportSpecification": spec,
        }
        fingerprint = json.dumps(params, sort_keys=True)
        token = body.get("ClientToken")
        now = time.time()
        tokens = _tokens(backend)
        if token and token in tokens and now - tokens[token][2] < TOKEN_WINDOW_SECONDS:
            seen, arn, _ = tokens[token]
            if seen != fingerprint:
                raise ExportConflict(
                    f"ClientToken {token} was used in the last 8 hours with other parameters")
            return ActionResult({"ExportDescription": backend.table_exports[arn].response()})
        export = backend.export_table(
            s3_bucket=params["S3Bucket"],
            s3_prefix=params["S3Prefix"],
            table_arn=params["TableArn"],
            export_type=params["ExportType"],
            export_format=params["ExportFormat"],
            s3_bucket_owner=params["S3BucketOwner"],
        )
        backend.table_exports.pop(export.arn, None)
        export.arn = f"{params['TableArn']}/export/{int(now * 1000):014d}-{uuid.uuid4().hex[:8]}"
        backend.table_exports[export.arn] = export
        extra = {"StartTime": now, "ExportFormat": params["ExportFormat"], "ExportType": params["ExportType"]}
        if token:
            extra["ClientToken"] = token
            tokens[token] = (fingerprint, export.arn, now)
        if spec:
            extra["IncrementalExportSpecification"] = spec
        if params["ExportTime"] is not None:
            extra["ExportTime"] = params["ExportTime"]
        export.lakewarden_extra = extra
        return ActionResult({"ExportDescription": export.response()})

    class ExportNotFound(JsonRESTError):
        def __init__(self, arn):
            super().__init__(ERROR_TYPE_PREFIX + "ExportNotFoundException", f"Export not found: {arn}")

    def describe_export(self):
        arn = self.body.get("ExportArn")
        export = self.dynamodb_backend.table_exports.get(arn)
        if export is None:
            raise ExportNotFound(arn)
        return ActionResult({"ExportDescription": export.response()})

    TableExport.response = response
    DynamoHandler.export_table_to_point_in_time = export_table_to_point_in_time
    DynamoHandler.describe_export = describe_export


def test_routes():
    return {("POST", "/lakewarden-test/dynamodb/exports/fail"): _fail}
