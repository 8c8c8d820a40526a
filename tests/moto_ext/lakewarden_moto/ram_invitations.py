"""RAM invitations between accounts, as AWS shows them to a consumer.

A producer shares with a consumer account either through a RAM share naming it (or one of its
roles) as principal, or through a cross-account Lake Formation grant (LF v3+ creates the RAM share
itself). When the consumer is outside the producer's organization, the share reaches it as a
PENDING invitation that it must accept before anything is visible. This module derives those
invitations from the producers' RAM shares and LF grants (lazily, whenever the consumer asks), and
serves GetResourceShareInvitations, AcceptResourceShareInvitation and
RejectResourceShareInvitation. `GetResourceShares(resourceOwner=OTHER-ACCOUNTS)` (not implemented
by moto) lists the shares others made with this account: ACTIVE when accepted or from the same
organization, PENDING while the invitation waits, left out once rejected. Invitation state lives on
the consumer's RAM backend.
`sources(consumer, region)` is what glue_shared.py uses to decide visibility.
"""
import hashlib
import json
import re
import time

LF_SHARE = "LakeFormation-V3-{producer}-{consumer}"
# Other modules add f(producer, region, permission) -> bool here: a cross-account Lake Formation
# grant for which one returns False reaches no consumer (e.g. lf_catalog_policy.py: RAM blocks it).
LF_GRANT_FILTERS = []


def lf_grant_shared(producer, region, perm):
    return all(f(producer, region, perm) for f in LF_GRANT_FILTERS)


def _accounts(backend_dict):
    return [a for a in list(backend_dict.keys()) if re.fullmatch(r"\d{12}", a)]


def same_org(producer, consumer):
    from moto.organizations.models import organizations_backends

    try:
        backend = organizations_backends[producer]["aws"]
    except Exception:
        return False
    if backend.org is None:
        return False
    return consumer in [a.id for a in backend.accounts] or consumer == producer


def _principal_is(consumer, principal, producer):
    if principal == consumer or re.fullmatch(rf"arn:aws:iam::{consumer}:.+", principal or ""):
        return True
    if principal and principal.startswith("arn:aws:organizations::"):
        return same_org(producer, consumer)
    return False


def _db_of_glue_arn(arn):
    m = re.match(r"arn:aws:glue:[^:]*:(\d{12}):(database|table)/([^/]+)", arn)
    return m.group(3) if m else None


def sources(consumer, region):
    """{(producer, share_key, share_name, share_arn): set(database names)} shared with consumer."""
    from moto.lakeformation.models import lakeformation_backends
    from moto.ram.models import ram_backends

    out = {}
    for producer in _accounts(ram_backends):
        if producer == consumer:
            continue
        for share in ram_backends[producer][region].resource_shares:
            if share.status != "ACTIVE":
                continue
            if not any(_principal_is(consumer, p, producer) for p in share.principals):
                continue
            dbs = {d for d in (_db_of_glue_arn(a) for a in share.resource_arns) if d}
            if dbs:
                out.setdefault((producer, share.arn, share.name, share.arn), set()).update(dbs)
    for producer in _accounts(lakeformation_backends):
        if producer == consumer:
            continue
        catalog = lakeformation_backends[producer][region].grants.get(producer)
        if catalog is None:
            continue
        dbs = set()
        for perm in list(catalog.permissions):
            if not _principal_is(consumer, perm.principal.get("DataLakePrincipalIdentifier"), producer):
                continue
            if not lf_grant_shared(producer, region, perm):
                continue
            r = perm.resource
            if "Database" in r and r["Database"].get("CatalogId", producer) == producer:
                dbs.add(r["Database"]["Name"])
            if "Table" in r and r["Table"].get("CatalogId", producer) == producer:
                dbs.add(r["Table"]["DatabaseName"])
        if dbs:
            name = LF_SHARE.format(producer=producer, consumer=consumer)
            arn = f"arn:aws:ram:{region}:{producer}:resource-share/{_uuid(name)}"
            out.setdefault((producer, arn, name, arn), set()).update(dbs)
    return out


def _uuid(seed):
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _store(consumer, region):
    from moto.ram.models import ram_backends

    backend = ram_backends[consumer][region]
    if not hasattr(backend, "lakewarden_invitations"):
        backend.lakewarden_invitations = {}
    return backend.lakewarden_invitations


def sync(consumer, region):
    """Create PENDING invitations for shares from outside the consumer's organization."""
    store = _store(consumer, region)
    for (producer, key, name, arn) in sources(consumer, region):
        if same_org(producer, consumer) or key in store:
            continue
        store[key] = {
            "resourceShareInvitationArn": f"arn:aws:ram:{region}:{producer}:resource-share-invitation/{_uuid(key + consumer)}",
            "resourceShareName": name,
            "resourceShareArn": arn,
            "senderAccountId": producer,
            "receiverAccountId": consumer,
            "invitationTimestamp": time.time(),
            "status": "PENDING",
        }
    return store


def accepted(consumer, region, producer, key):
    """Whether the consumer may see what this share holds."""
    if same_org(producer, consumer):
        return True
    inv = sync(consumer, region).get(key)
    return bool(inv and inv["status"] == "ACCEPTED")


def _set_status(self, status):
    from moto.ram.exceptions import UnknownResourceException

    arn = self._get_param("resourceShareInvitationArn")
    for inv in sync(self.current_account, self.region).values():
        if inv["resourceShareInvitationArn"] == arn:
            if inv["status"] == "PENDING":
                inv["status"] = status
            return json.dumps({"resourceShareInvitation": inv, "clientToken": self._get_param("clientToken")})
    raise UnknownResourceException(f"ResourceShareInvitation {arn} could not be found.")


def shared_with(consumer, region):
    """The `resourceShares` entries of GetResourceShares(resourceOwner=OTHER-ACCOUNTS)."""
    from moto.core.utils import unix_time
    from moto.ram.models import ram_backends

    out = []
    invitations = sync(consumer, region)
    for (producer, key, name, arn) in sorted(sources(consumer, region)):
        if same_org(producer, consumer):
            status = "ACTIVE"
        else:
            inv = invitations.get(key) or {}
            status = {"PENDING": "PENDING", "ACCEPTED": "ACTIVE"}.get(inv.get("status"))
            if status is None:
                continue
        share = next((s for s in ram_backends[producer][region].resource_shares if s.arn == arn), None)
        if share is not None:
            d = share.describe()
        else:
            now = unix_time()
            d = {"allowExternalPrincipals": True, "creationTime": now, "featureSet": "STANDARD",
                 "lastUpdatedTime": now, "name": name, "owningAccountId": producer,
                 "resourceShareArn": arn}
        d["status"] = status
        out.append(d)
    return out


def install():
    from moto.ram import urls
    from moto.ram.models import ResourceAccessManagerBackend
    from moto.ram.responses import ResourceAccessManagerResponse

    for path in ("getresourceshareinvitations", "acceptresourceshareinvitation", "rejectresourceshareinvitation"):
        urls.url_paths["{0}/" + path + "$"] = ResourceAccessManagerResponse.dispatch

    def get_resource_share_invitations(self):
        invs = list(sync(self.current_account, self.region).values())
        arns = self._get_param("resourceShareInvitationArns")
        if arns:
            invs = [i for i in invs if i["resourceShareInvitationArn"] in arns]
        return json.dumps({"resourceShareInvitations": invs})

    original_get_shares = ResourceAccessManagerBackend.get_resource_shares

    def get_resource_shares(self, resource_owner):
        if resource_owner == "OTHER-ACCOUNTS":
            return {"resourceShares": shared_with(self.account_id, self.region_name)}
        return original_get_shares(self, resource_owner)

    ResourceAccessManagerBackend.get_resource_shares = get_resource_shares
    ResourceAccessManagerResponse.get_resource_share_invitations = get_resource_share_invitations
    ResourceAccessManagerResponse.accept_resource_share_invitation = lambda self: _set_status(self, "ACCEPTED")
    ResourceAccessManagerResponse.reject_resource_share_invitation = lambda self: _set_status(self, "REJECTED")
