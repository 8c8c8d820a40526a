"""RAM additions.

- ``AssociateResourceShare`` / ``DisassociateResourceShare`` (moto has neither): resources and
  principals are added to / removed from the share, validated like ``CreateResourceShare`` does,
  and ``GetResourceShareAssociations`` reflects them.
- ``GetResourceShares`` honours the ``name`` and ``resourceShareArns`` filters (moto ignored them).
"""
import json


def _find(backend, arn):
    from moto.ram.exceptions import UnknownResourceException

    for share in backend.resource_shares:
        if share.arn == arn:
            return share
    raise UnknownResourceException(f"ResourceShare {arn} could not be found.")


def _associations(share, resources, principals, status):
    out = []
    for r in resources:
        out.append({"resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": r,
                    "associationType": "RESOURCE", "status": status, "external": False})
    for p in principals:
        out.append({"resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": p,
                    "associationType": "PRINCIPAL", "status": status, "external": False})
    return out


def install():
    from moto.ram import urls
    from moto.ram.responses import ResourceAccessManagerResponse

    for path in ("associateresourceshare", "disassociateresourceshare"):
        urls.url_paths["{0}/" + path + "$"] = ResourceAccessManagerResponse.dispatch

    def associate_resource_share(self):
        params = self.request_params
        share = _find(self.ram_backend, params.get("resourceShareArn"))
        resources = [r for r in params.get("resourceArns") or [] if r not in share.resource_arns]
        principals = [p for p in params.get("principals") or [] if p not in share.principals]
        share.add_resources(resources)
        share.add_principals(principals)
        return json.dumps({"resourceShareAssociations": _associations(share, resources, principals, "ASSOCIATED"),
                           "clientToken": params.get("clientToken")})

    def disassociate_resource_share(self):
        params = self.request_params
        share = _find(self.ram_backend, params.get("resourceShareArn"))
        resources = [r for r in params.get("resourceArns") or [] if r in share.resource_arns]
        principals = [p for p in params.get("principals") or [] if p in share.principals]
        share.resource_arns = [r for r in share.resource_arns if r not in resources]
        share.principals = [p for p in share.principals if p not in principals]
        return json.dumps({"resourceShareAssociations": _associations(share, resources, principals, "DISASSOCIATED"),
                           "clientToken": params.get("clientToken")})

    original_get = ResourceAccessManagerResponse.get_resource_shares

    def get_resource_shares(self):
        out = json.loads(original_get(self))
        name = self._get_param("name")
        arns = self._get_param("resourceShareArns")
        shares = out.get("resourceShares", [])
        if name:
            shares = [s for s in shares if s.get("name") == name]
        if arns:
            shares = [s for s in shares if s.get("resourceShareArn") in arns]
        out["resourceShares"] = shares
        return json.dumps(out)

    ResourceAccessManagerResponse.associate_resource_share = associate_resource_share
    ResourceAccessManagerResponse.disassociate_resource_share = disassociate_resource_share
    ResourceAccessManagerResponse.get_resource_shares = get_resource_shares
