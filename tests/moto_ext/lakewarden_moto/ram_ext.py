"""RAM additions and fixes.

- ``AssociateResourceShare`` / ``DisassociateResourceShare`` (moto has neither): resources and
  principals are added to / removed from the share, validated like ``CreateResourceShare`` does
  (same ARN / principal rules), and ``GetResourceShareAssociations`` reflects them at once. The
  responses carry the affected associations with status ``ASSOCIATING`` / ``DISASSOCIATING`` as
  AWS's do; a share that is not ``ACTIVE`` gives ``InvalidStateTransitionException``.
- ``GetResourceShares`` honours the ``name``, ``resourceShareArns`` and ``resourceShareStatus``
  filters (moto ignored them).
- ``GetResourceShareAssociations`` honoured ``associationStatus`` by *relabelling* every
  association with the status asked for (ask for DISASSOCIATED, get every live association marked
  DISASSOCIATED). It now filters; associations of a DELETED share are reported DISASSOCIATED.
  Disassociated entries are dropped rather than kept for a while as AWS does.
- The Glue Data Catalog ARN ``arn:aws:glue:REGION:ACCOUNT:catalog`` (shareable in AWS, and listed
  as shareable by moto) was rejected as malformed by moto's ARN pattern, which wants a ``/`` or
  ``:`` after the resource type; it is now accepted.
- ``UpdateResourceShare`` without ``name`` wiped the name and without ``allowExternalPrincipals``
  reset it to true; omitted fields are now left as they are.
"""
import json
import re

_GLUE_CATALOG = re.compile(r"^arn:aws:glue:[a-z0-9-]+:\d{12}:catalog$")


def _find(backend, arn):
    from moto.ram.exceptions import UnknownResourceException

    for share in backend.resource_shares:
        if share.arn == arn:
            return share
    raise UnknownResourceException(f"ResourceShare {arn} could not be found.")


def _associations(share, resources, principals, status):
    from moto.core.utils import unix_time

    now = unix_time(share.last_updated_time)
    out = []
    for kind, entities in (("RESOURCE", resources), ("PRINCIPAL", principals)):
        for e in entities:
            out.append({"resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": e,
                        "associationType": kind, "status": status, "creationTime": now,
                        "lastUpdatedTime": now, "external": False})
    return out


def _active(share):
    from moto.core.exceptions import JsonRESTError

    if share.status != "ACTIVE":
        raise JsonRESTError("InvalidStateTransitionException",
                            f"The resource share {share.arn} is in state {share.status} and cannot be changed.")


def _add(share, resources, principals):
    """Validate and add both lists, or change nothing."""
    from moto.core.utils import utcnow

    kept = (list(share.resource_arns), list(share.principals))
    try:
        share.add_resources(resources)
        share.add_principals(principals)
    except Exception:
        share.resource_arns, share.principals = kept
        raise
    if resources or principals:
        share.last_updated_time = utcnow()


def install():
    from moto.ram import urls
    from moto.ram.responses import ResourceAccessManagerResponse

    from moto.ram.models import ResourceShare

    for path in ("associateresourceshare", "disassociateresourceshare"):
        urls.url_paths["{0}/" + path + "$"] = ResourceAccessManagerResponse.dispatch

    original_add_resources = ResourceShare.add_resources

    def add_resources(self, resource_arns):
        resource_arns = list(resource_arns or [])
        original_add_resources(self, [r for r in resource_arns if not _GLUE_CATALOG.match(r)])
        # Keep the order given: re-append the validated ones in place with the catalog ARNs.
        added = len([r for r in resource_arns if not _GLUE_CATALOG.match(r)])
        if added:
            del self.resource_arns[-added:]
        self.resource_arns.extend(resource_arns)

    ResourceShare.add_resources = add_resources

    def associate_resource_share(self):
        params = self.request_params
        share = _find(self.ram_backend, params.get("resourceShareArn"))
        _active(share)
        resources = list(dict.fromkeys(r for r in params.get("resourceArns") or [] if r not in share.resource_arns))
        principals = list(dict.fromkeys(p for p in params.get("principals") or [] if p not in share.principals))
        _add(share, resources, principals)
        return json.dumps({"resourceShareAssociations": _associations(share, resources, principals, "ASSOCIATING"),
                           "clientToken": params.get("clientToken")})

    def disassociate_resource_share(self):
        params = self.request_params
        share = _find(self.ram_backend, params.get("resourceShareArn"))
        _active(share)
        resources = [r for r in dict.fromkeys(params.get("resourceArns") or []) if r in share.resource_arns]
        principals = [p for p in dict.fromkeys(params.get("principals") or []) if p in share.principals]
        share.resource_arns = [r for r in share.resource_arns if r not in resources]
        share.principals = [p for p in share.principals if p not in principals]
        if resources or principals:
            from moto.core.utils import utcnow

            share.last_updated_time = utcnow()
        return json.dumps({"resourceShareAssociations": _associations(share, resources, principals, "DISASSOCIATING"),
                           "clientToken": params.get("clientToken")})

    original_get = ResourceAccessManagerResponse.get_resource_shares

    def get_resource_shares(self):
        out = json.loads(original_get(self))
        name = self._get_param("name")
        arns = self._get_param("resourceShareArns")
        status = self._get_param("resourceShareStatus")
        shares = out.get("resourceShares", [])
        if name:
            shares = [s for s in shares if s.get("name") == name]
        if arns:
            shares = [s for s in shares if s.get("resourceShareArn") in arns]
        if status:
            shares = [s for s in shares if s.get("status") == status]
        out["resourceShares"] = shares
        return json.dumps(out)

    def get_resource_share_associations(self):
        status = self._get_param("associationStatus")
        out = self.ram_backend.get_resource_share_associations(
            self._get_param("associationType"), status, self._get_param("resourceShareArns", []),
            self._get_param("resourceArn"), self._get_param("principal"))
        deleted = {s.arn for s in self.ram_backend.resource_shares if s.status == "DELETED"}
        assocs = []
        for a in out["resourceShareAssociations"]:
            a["status"] = "DISASSOCIATED" if a["resourceShareArn"] in deleted else "ASSOCIATED"
            if status is None or a["status"] == status:
                assocs.append(a)
        return json.dumps({"resourceShareAssociations": assocs})

    def update_resource_share(self):
        share = _find(self.ram_backend, self._get_param("resourceShareArn"))
        name = self._get_param("name")
        allow = self._get_param("allowExternalPrincipals")
        out = self.ram_backend.update_resource_share(
            share.arn, share.allow_external_principals if allow is None else allow,
            share.name if name is None else name)
        out["clientToken"] = self._get_param("clientToken")
        return json.dumps(out)

    ResourceAccessManagerResponse.associate_resource_share = associate_resource_share
    ResourceAccessManagerResponse.disassociate_resource_share = disassociate_resource_share
    ResourceAccessManagerResponse.get_resource_shares = get_resource_shares
    ResourceAccessManagerResponse.get_resource_share_associations = get_resource_share_associations
    ResourceAccessManagerResponse.update_resource_share = update_resource_share
