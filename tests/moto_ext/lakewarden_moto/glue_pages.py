"""Glue `GetTables` / `GetDatabases` answer in pages, as AWS does.

AWS Glue Web API Reference, *GetTables* and *GetDatabases*
(https://docs.aws.amazon.com/glue/latest/webapi/API_GetTables.html,
https://docs.aws.amazon.com/glue/latest/webapi/API_GetDatabases.html): `MaxResults` is "the
maximum number of tables [databases] to return in a single response", valid range 1-100
(`CatalogGetterPageSize` in the service model), and a response carries `NextToken` when there
is more; the caller repeats the request with it. moto 5.2.5 ignores both and returns the whole
catalog in one response: a caller that reads only the first page passes locally and misses
tables in AWS, and at 10,000 tables one moto response takes longer than an SDK attempt timeout.

Here every response holds at most `MaxResults` items (100 when not given, the largest page AWS
allows), with an opaque `NextToken` for the rest. A `NextToken` this server did not issue for
the same request (other database, catalog, expression or share type) and a `MaxResults`
outside 1-100 are `InvalidInputException`. Applies to the account's own catalog and to the
consumer's view of shared catalogs (glue_shared.py): this module wraps whatever answers the
operation, so it must be installed after glue_shared.
"""
import base64
import hashlib
import json

PAGE_MAX = 100


def _query_key(params, operation):
    keys = ("CatalogId", "DatabaseName", "Expression", "ResourceShareType")
    q = {k: params.get(k) for k in keys if params.get(k) is not None}
    return hashlib.sha256(json.dumps([operation, q], sort_keys=True).encode()).hexdigest()[:16]


def _encode(offset, key):
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "k": key}).encode()).decode()


def _decode(token, key):
    from moto.glue.exceptions import InvalidInputException

    try:
        v = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(v["o"])
        if v["k"] != key or offset < 0:
            raise ValueError("token of another request")
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidInputException("Get", f"Invalid NextToken: {e}")
    return offset


def _page_size(params):
    from moto.glue.exceptions import InvalidInputException

    raw = params.get("MaxResults")
    if raw is None:
        return PAGE_MAX
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise InvalidInputException("Get", f"MaxResults must be an integer, got {raw!r}")
    if not 1 <= n <= PAGE_MAX:
        raise InvalidInputException(
            "Get", f"1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {PAGE_MAX} and greater than or equal to 1")
    return n


def paged(original, list_key, operation):
    from moto.core.responses import ActionResult

    def handler(self):
        size = _page_size(self.parameters)
        key = _query_key(self.parameters, operation)
        token = self.parameters.get("NextToken")
        offset = _decode(token, key) if token else 0
        result = original(self)
        if not isinstance(result, ActionResult) or not isinstance(result.result, dict):
            return result
        body = dict(result.result)
        items = list(body.get(list_key) or [])
        body[list_key] = items[offset:offset + size]
        if offset + size < len(items):
            body["NextToken"] = _encode(offset + size, key)
        else:
            body.pop("NextToken", None)
        return ActionResult(body)

    handler.__name__ = original.__name__
    return handler


def install():
    from moto.glue.responses import GlueResponse

    GlueResponse.get_tables = paged(GlueResponse.get_tables, "TableList", "GetTables")
    GlueResponse.get_databases = paged(GlueResponse.get_databases, "DatabaseList", "GetDatabases")
