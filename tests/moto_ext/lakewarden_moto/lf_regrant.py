"""Lake Formation: a grant on another account's resource needs the grant option on it.

moto 5.2.5 accepts any grant. In AWS, a resource another account shared with you (a database,
a table, all tables of a database, a data location) can be granted on by your account only to
the extent your account received it *with the grant option*; otherwise the grant is refused
with ``AccessDeniedException``. AWS documents this in the Lake Formation Developer Guide:
"Granting permissions on Data Catalog resources" (granting-catalog-permissions.html: grants to
external accounts must include the grant option, and until the external account's data lake
administrator re-grants, only that administrator can access the shared objects) and "Granting
permissions on a data location shared with your account" (regranting-locations.html: "your
account must have been granted the DATA_LOCATION_ACCESS permission on the location with the
grant option").

Rule implemented here, for a grant made by account C on a resource whose ``CatalogId`` (after
the default: the call's ``CatalogId``, else C) is another account P:

- what C holds is read from P's grants: grants whose principal is C (its id or
  ``arn:aws:iam::C:root``) or an organization / OU of P's organization that C belongs to;
- every permission in ``Permissions`` and ``PermissionsWithGrantOption`` must be held by C
  *with the grant option* (``ALL`` with the grant option covers every permission):
  - a named table is covered by a grant on that table or on ``TableWildcard`` of its database;
  - ``TableWildcard`` is covered only by a ``TableWildcard`` grant (holding every table by name
    is not the same resource: tables created later would not be covered);
  - a database by a grant on that database; a data location by a grant on that location;
- otherwise ``GrantPermissions`` fails with ``AccessDeniedException`` and
  ``BatchGrantPermissions`` reports the entry in ``Failures`` (HTTP 200, other entries applied),
  with the message AWS uses for it: "Resource does not exist or requester is not authorized to
  access requested permissions."

Grants on the caller's own catalog are unchanged (moto does not model data lake administrators).
"""
import re

DENIED = "Resource does not exist or requester is not authorized to access requested permissions."
SCOPED = ("Database", "Table", "TableWithColumns", "DataLocation")


def _catalog_of(resource, default):
    for key in SCOPED:
        if isinstance(resource.get(key), dict):
            return resource[key].get("CatalogId") or default
    return None


def _org_member(principal, producer, grantor):
    """Whether an organization / OU ARN granted by ``producer`` includes ``grantor``."""
    m = re.match(r"arn:aws:organizations::\d{12}:(organization|ou)/(o-[a-z0-9]+)", principal or "")
    if not m:
        return False
    from moto.organizations.models import organizations_backends

    try:
        org = organizations_backends[producer]["aws"].org
        accounts = organizations_backends[producer]["aws"].accounts
    except Exception:
        return False
    if org is None or org.id != m.group(2):
        return False
    return grantor == producer or grantor in [a.id for a in accounts]


def _held_by(principal, producer, grantor):
    return principal in (grantor, f"arn:aws:iam::{grantor}:root") or _org_member(principal, producer, grantor)


def _covers(held, wanted):
    """Whether a grant on ``held`` (a stored resource) counts for a grant on ``wanted``."""
    if "Database" in wanted:
        return "Database" in held and held["Database"].get("Name") == wanted["Database"].get("Name")
    if "DataLocation" in wanted:
        return "DataLocation" in held and (
            held["DataLocation"].get("ResourceArn") == wanted["DataLocation"].get("ResourceArn"))
    key = "Table" if "Table" in wanted else "TableWithColumns"
    w = wanted[key]
    h = held.get("Table")
    if h is None or h.get("DatabaseName") != w.get("DatabaseName"):
        return False
    if key == "Table" and "TableWildcard" in w:
        return "TableWildcard" in h
    return "TableWildcard" in h or h.get("Name") == w.get("Name")


def _shared(producer, region, perm):
    """A grant RAM blocked (see lf_catalog_policy.py) never reached the grantor."""
    try:
        from . import ram_invitations
    except ImportError:
        return True
    return ram_invitations.lf_grant_shared(producer, region, perm)


def grantable_held(region, grantor, producer, resource):
    """The permissions ``grantor`` may grant on ``resource`` of ``producer``'s catalog."""
    from moto.lakeformation.models import lakeformation_backends

    if producer not in lakeformation_backends:
        return set()
    backend = lakeformation_backends[producer][region]
    out = set()
    for catalog in list(backend.grants.values()):
        for perm in list(catalog.permissions):
            r = perm.resource or {}
            if _catalog_of(r, producer) != producer:
                continue
            if not _held_by((perm.principal or {}).get("DataLakePrincipalIdentifier"), producer, grantor):
                continue
            if not _shared(producer, region, perm):
                continue
            if _covers(r, resource):
                out.update(perm.permissions_with_grant_options or [])
    return out


def denial(backend, call_catalog_id, resource, permissions, grantable):
    """None when the grant may proceed, else the AccessDenied message."""
    grantor = backend.account_id
    if not isinstance(resource, dict):
        return None
    producer = _catalog_of(resource, call_catalog_id or grantor)
    if producer is None or producer == grantor:
        return None
    wanted = set(permissions or []) | set(grantable or [])
    held = grantable_held(backend.region_name, grantor, producer, resource)
    if "ALL" in held or wanted <= held:
        return None
    return DENIED


def install():
    from moto.core.exceptions import JsonRESTError as Base
    from moto.lakeformation.models import LakeFormationBackend
    from moto.lakeformation.responses import LakeFormationResponse

    class AccessDenied(Base):
        def __init__(self, message):
            super().__init__("AccessDeniedException", message)

    previous_grant = LakeFormationBackend.grant_permissions

    def grant_permissions(self, catalog_id, principal, resource, permissions, permissions_with_grant_options):
        message = denial(self, catalog_id, resource, permissions, permissions_with_grant_options)
        if message:
            raise AccessDenied(message)
        return previous_grant(self, catalog_id, principal, resource, permissions, permissions_with_grant_options)

    def batch_grant_permissions(self):
        import json

        catalog_id = self._get_param("CatalogId") or self.current_account
        failures = []
        for entry in self._get_param("Entries") or []:
            try:
                self.lakeformation_backend.grant_permissions(
                    catalog_id=catalog_id, principal=entry.get("Principal"), resource=entry.get("Resource"),
                    permissions=entry.get("Permissions"),
                    permissions_with_grant_options=entry.get("PermissionsWithGrantOption"))
            except Base as e:
                failures.append({"RequestEntry": entry,
                                 "Error": {"ErrorCode": e.error_type, "ErrorMessage": e.message}})
        return json.dumps({"Failures": failures})

    LakeFormationBackend.grant_permissions = grant_permissions
    LakeFormationResponse.batch_grant_permissions = batch_grant_permissions
