"""RAM as a consumer sees a share that was withdrawn, and which share carries what.

AWS RAM keeps a deleted resource share listed, with status ``DELETED``, to the accounts it was
shared with (``GetResourceShares`` takes ``resourceShareStatus=DELETED``: AWS RAM API Reference,
*GetResourceShares*; the console's *Shared with me : Resource shares* page lists a share's status,
*Viewing resource shares shared with you*). That is positive evidence that a share is gone, which
an empty listing is not. moto (and ``ram_invitations.py``) dropped a deleted share from the
consumer's ``GetResourceShares(resourceOwner=OTHER-ACCOUNTS)`` at once, so nothing could tell
"withdrawn" from "cannot see": here a share its owner deleted stays listed to each consumer it
had reached (accepted invitation, or same organization), with ``status: DELETED``.

``ListResources`` (missing in moto): AWS RAM API Reference, *ListResources* — with
``resourceOwner=OTHER-ACCOUNTS`` the resources shared with the caller, each with the
``resourceShareArn`` of the share that carries it (``resourceType`` e.g. ``glue:Database``,
``resourceShareArns`` and ``resourceArns`` filters); with ``SELF`` the caller's own shared
resources. Only shares that reach the caller (ACTIVE, accepted) are listed; a deleted share's
resources are not.
"""
import json
import re


def _glue_type(arn):
    m = re.match(r"arn:aws:glue:[^:]*:\d{12}:(database|table|catalog)", arn)
    if not m:
        return None
    return {"database": "glue:Database", "table": "glue:Table", "catalog": "glue:Catalog"}[m.group(1)]


def deleted_shared_with(consumer, region):
    """`resourceShares` entries for shares their owners DELETED that had reached `consumer`."""
    from moto.ram.models import ram_backends

    from . import ram_invitations as inv

    out = []
    store = inv._store(consumer, region)
    for producer in inv._accounts(ram_backends):
        if producer == consumer:
            continue
        for share in ram_backends[producer][region].resource_shares:
            if share.status != "DELETED":
                continue
            if not any(inv._principal_is(consumer, p, producer) for p in share.principals):
                continue
            reached = inv.same_org(producer, consumer) or (store.get(share.arn) or {}).get("status") == "ACCEPTED"
            if reached:
                d = share.describe()
                d["status"] = "DELETED"
                out.append(d)
    return out


def _resources_shared_with(consumer, region):
    from moto.ram.models import ram_backends

    from . import ram_invitations as inv

    out = []
    for (producer, key, _name, arn), dbs in sorted(inv.sources(consumer, region).items()):
        if not inv.accepted(consumer, region, producer, key):
            continue
        share = next((s for s in ram_backends[producer][region].resource_shares if s.arn == arn), None)
        if share is not None:
            arns = list(share.resource_arns)
        else:  # a share Lake Formation made for cross-account grants
            arns = [f"arn:aws:glue:{region}:{producer}:database/{d}" for d in sorted(dbs)]
        for a in arns:
            out.append({"arn": a, "type": _glue_type(a) or "unknown", "resourceShareArn": arn,
                        "status": "AVAILABLE", "resourceRegionScope": "REGIONAL"})
    return out


def _own_resources(backend):
    out = []
    for share in backend.resource_shares:
        if share.status != "ACTIVE":
            continue
        for a in share.resource_arns:
            out.append({"arn": a, "type": _glue_type(a) or "unknown", "resourceShareArn": share.arn,
                        "status": "AVAILABLE", "resourceRegionScope": "REGIONAL"})
    return out


def install():
    from moto.core.exceptions import JsonRESTError
    from moto.ram import urls
    from moto.ram.responses import ResourceAccessManagerResponse

    from . import ram_invitations as inv

    original_shared_with = inv.shared_with

    def shared_with(consumer, region):
        return original_shared_with(consumer, region) + deleted_shared_with(consumer, region)

    inv.shared_with = shared_with

    urls.url_paths["{0}/listresources$"] = ResourceAccessManagerResponse.dispatch

    def list_resources(self):
        owner = self._get_param("resourceOwner")
        if owner not in ("SELF", "OTHER-ACCOUNTS"):
            raise JsonRESTError("InvalidParameterException", "resourceOwner must be SELF or OTHER-ACCOUNTS")
        if owner == "OTHER-ACCOUNTS":
            items = _resources_shared_with(self.current_account, self.region)
        else:
            items = _own_resources(self.ram_backend)
        kind = self._get_param("resourceType")
        shares = self._get_param("resourceShareArns")
        arns = self._get_param("resourceArns")
        if kind:
            items = [i for i in items if i["type"].lower() == kind.lower()]
        if shares:
            items = [i for i in items if i["resourceShareArn"] in shares]
        if arns:
            items = [i for i in items if i["arn"] in arns]
        return json.dumps({"resources": items})

    ResourceAccessManagerResponse.list_resources = list_resources
