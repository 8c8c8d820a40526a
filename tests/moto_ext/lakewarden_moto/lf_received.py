"""Lake Formation: a recipient account reads the grants it received on another account's catalog.

moto 5.2.5 keeps each account's grants on that account's backend only: a consumer account C
calling ``ListPermissions(CatalogId=P)`` for a producer P sees nothing of what P granted it, so
it cannot tell what it may re-grant (only what it holds with the grant option: lf_regrant.py).

In AWS, a principal that holds a Lake Formation permission on a resource *with the grant
option* may view the permissions on that resource (Lake Formation Developer Guide, "Viewing
database and table permissions in Lake Formation", viewing-permissions.html: "If you're not a
database administrator or resource owner, you can view permissions that other principals have
on the resource only if you have a Lake Formation permission on the resource with the grant
option"). Whether the recipient's listing under the owner's catalog id returns the owner's
grants to the recipient account itself is [not found] on an AWS page; this module assumes it
does, as lakewarden's ``explain`` and ``share-linker`` read them.

Rule: ``ListPermissions`` in account C with ``CatalogId`` = P (P != C) returns, besides C's own
grants recorded under P, every grant of P's catalog whose principal is C (its id or
``arn:aws:iam::C:root``) or an organization / OU of P's organization containing C, that RAM did
not block (lf_catalog_policy.py) — with its grant options, so C can tell what it may re-grant.
The usual filters (principal, resource, resource type) apply.
"""


def install():
    from moto.lakeformation.models import LakeFormationBackend, lakeformation_backends

    from .lf_regrant import _held_by, _shared

    previous = LakeFormationBackend.list_permissions

    def list_permissions(self, catalog_id, principal=None, resource=None, resource_type=None):
        out = previous(self, catalog_id, principal, resource, resource_type)
        me = self.account_id
        if not catalog_id or catalog_id == me or catalog_id not in lakeformation_backends:
            return out
        owner = lakeformation_backends[catalog_id][self.region_name]
        received = {id(p) for p in list(getattr(owner.grants.get(catalog_id), "permissions", []) or [])
                    if _held_by((p.principal or {}).get("DataLakePrincipalIdentifier"), catalog_id, me)
                    and _shared(catalog_id, self.region_name, p)}
        if not received:
            return out
        # The owner's listing with the same filters, kept to what this account received.
        keep = []
        for p in list(owner.grants[catalog_id].permissions):
            if id(p) in received:
                keep.append(p.to_external_form())
        listed = previous(owner, catalog_id, principal, resource, resource_type)
        return out + [x for x in listed if x in keep]

    LakeFormationBackend.list_permissions = list_permissions
