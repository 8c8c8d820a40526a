"""Glue zero-ETL integration APIs (moto has none).

CreateIntegration, DescribeIntegrations, DescribeInboundIntegrations, DeleteIntegration and
Create/Get/UpdateIntegrationResourceProperty on Glue's JSON protocol. An integration lives in the
account that created it (the source side); the account named in its TargetArn sees it through
DescribeInboundIntegrations. New integrations are CREATING; AWS moves them on by itself, a test
does it with POST /lakewarden-test/integrations/status
{"integration_arn": ..., "status": "FAILED", "errors": [{"ErrorCode": ..., "ErrorMessage": ...}]}.
State lives on the per-account Glue backends (cleared by /moto-api/reset).
"""
import re
import uuid

from moto.core.utils import utcnow


def _integrations(backend):
    if not hasattr(backend, "lakewarden_integrations"):
        backend.lakewarden_integrations = {}
    return backend.lakewarden_integrations


def _properties(backend):
    if not hasattr(backend, "lakewarden_resource_properties"):
        backend.lakewarden_resource_properties = {}
    return backend.lakewarden_resource_properties


def _all_integrations():
    from moto.glue.models import glue_backends

    for account in [a for a in list(glue_backends.keys()) if re.fullmatch(r"\d{12}", a)]:
        for region, backend in glue_backends[account].items():
            for arn, integ in _integrations(backend).items():
                yield account, region, integ


def _account_of(arn):
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else None


def _set_status(environ, body):
    arn = body.get("integration_arn")
    for _account, _region, integ in _all_integrations():
        if integ["IntegrationArn"] == arn:
            integ["Status"] = body.get("status", "ACTIVE")
            integ["Errors"] = body.get("errors", [])
            return 200, {"integration_arn": arn, "status": integ["Status"]}
    return 404, {"error": f"no integration {arn}"}


def test_routes():
    return {("POST", "/lakewarden-test/integrations/status"): _set_status}


def install():
    from moto.core.responses import ActionResult
    from moto.glue.exceptions import EntityNotFoundException, InvalidInputException
    from moto.glue.responses import GlueResponse

    def create_integration(self):
        p = self.parameters
        for k in ("IntegrationName", "SourceArn", "TargetArn"):
            if not p.get(k):
                raise InvalidInputException("CreateIntegration", f"{k} is required")
        integ = {
            "IntegrationName": p["IntegrationName"],
            "SourceArn": p["SourceArn"],
            "TargetArn": p["TargetArn"],
            "Description": p.get("Description"),
            "IntegrationArn": f"arn:aws:glue:{self.region}:{self.current_account}:integration:{uuid.uuid4()}",
            "Status": "CREATING",
            "CreateTime": utcnow(),
            "Errors": [],
            "Tags": p.get("Tags", []),
        }
        if p.get("DataFilter"):
            integ["DataFilter"] = p["DataFilter"]
        _integrations(self.glue_backend)[integ["IntegrationArn"]] = integ
        return ActionResult(dict(integ))

    def describe_integrations(self):
        ident = self.parameters.get("IntegrationIdentifier")
        out = [dict(i) for i in _integrations(self.glue_backend).values()
               if not ident or ident in (i["IntegrationArn"], i["IntegrationName"])]
        if ident and not out:
            raise EntityNotFoundException(f"Integration {ident} not found")
        return ActionResult({"Integrations": out})

    def describe_inbound_integrations(self):
        arn = self.parameters.get("IntegrationArn")
        target = self.parameters.get("TargetArn")
        out = []
        for _account, region, integ in _all_integrations():
            if region != self.region or _account_of(integ["TargetArn"]) != self.current_account:
                continue
            if arn and integ["IntegrationArn"] != arn:
                continue
            if target and integ["TargetArn"] != target:
                continue
            out.append({k: integ[k] for k in ("SourceArn", "TargetArn", "IntegrationArn", "Status", "CreateTime", "Errors")})
        return ActionResult({"InboundIntegrations": out})

    def delete_integration(self):
        ident = self.parameters.get("IntegrationIdentifier")
        store = _integrations(self.glue_backend)
        for arn, integ in list(store.items()):
            if ident in (arn, integ["IntegrationName"]):
                del store[arn]
                out = dict(integ)
                out["Status"] = "DELETING"
                return ActionResult(out)
        raise EntityNotFoundException(f"Integration {ident} not found")

    def _property(self, create):
        p = self.parameters
        arn = p.get("ResourceArn")
        store = _properties(self.glue_backend)
        if create and arn in store:
            raise InvalidInputException("CreateIntegrationResourceProperty", f"Resource property for {arn} already exists")
        if not create and arn not in store:
            raise EntityNotFoundException(f"Resource property for {arn} not found")
        prop = store.get(arn, {"ResourceArn": arn,
                               "ResourcePropertyArn": f"{arn}/resource-property/{uuid.uuid4().hex[:12]}"})
        for k in ("SourceProcessingProperties", "TargetProcessingProperties"):
            if p.get(k) is not None:
                prop[k] = p[k]
        store[arn] = prop
        return ActionResult(dict(prop))

    def get_integration_resource_property(self):
        arn = self.parameters.get("ResourceArn")
        prop = _properties(self.glue_backend).get(arn)
        if prop is None:
            raise EntityNotFoundException(f"Resource property for {arn} not found")
        return ActionResult(dict(prop))

    GlueResponse.create_integration = create_integration
    GlueResponse.describe_integrations = describe_integrations
    GlueResponse.describe_inbound_integrations = describe_inbound_integrations
    GlueResponse.delete_integration = delete_integration
    GlueResponse.create_integration_resource_property = lambda self: _property(self, True)
    GlueResponse.update_integration_resource_property = lambda self: _property(self, False)
    GlueResponse.get_integration_resource_property = get_integration_resource_property
