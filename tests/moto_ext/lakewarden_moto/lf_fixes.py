"""Lake Formation fixes.

a. ``ListPermissions`` filtered by a Table resource crashed (KeyError) once a TableWildcard grant
   existed: the filter indexed ``["Name"]`` / ``["TableWildcard"]`` unconditionally. Filtering now
   compares with ``.get``: a named table matches grants on that table, ``TableWildcard`` matches
   wildcard grants, as in AWS.
b. Revoking after a merged grant (grant SELECT, grant DESCRIBE, revoke SELECT) crashed and left
   the grant: ``Permission.__hash__`` covered the permission lists that ``merge`` mutates while
   the object sits in a set. The hash now covers principal + resource only (the identity of a
   grant in Lake Formation).
c. ``BatchGrantPermissions`` / ``BatchRevokePermissions`` read the grant options from
   ``PermissionsWithGrantOptions`` (a key AWS does not have), so batch grants silently lost
   their grant option. They now read ``PermissionsWithGrantOption``.
d. A resource without ``CatalogId`` was stored as given, and grants/revokes matched resources by
   exact dict equality, so a revoke that omitted ``CatalogId`` silently missed a grant made with it
   (and vice versa). Like AWS, a missing ``CatalogId`` now means the catalog of the call
   (``CatalogId`` parameter, else the caller's account) and is filled in before storing/matching;
   ``ListPermissions`` therefore always returns it.
e. Merging and revoking rebuilt the permission lists through ``set``s, so their order changed from
   run to run; they now keep the order of the grants (new permissions appended).
"""
import copy
import json

_CATALOG_SCOPED = ("Database", "Table", "TableWithColumns", "DataLocation")


def _permission_hash(self):
    return hash((json.dumps(self.principal, sort_keys=True), json.dumps(self.resource, sort_keys=True)))


def _with_catalog(resource, catalog_id):
    """The resource with ``CatalogId`` filled in where AWS would default it."""
    if not isinstance(resource, dict) or not catalog_id:
        return resource
    out = copy.deepcopy(resource)
    for key in _CATALOG_SCOPED:
        if isinstance(out.get(key), dict) and not out[key].get("CatalogId"):
            out[key] = {"CatalogId": catalog_id, **out[key]}
    return out


def _union(kept, added):
    return list(kept or []) + [p for p in added or [] if p not in (kept or [])]


def _merge(self, other):
    self.permissions = _union(self.permissions, other.permissions)
    self.permissions_with_grant_options = _union(self.permissions_with_grant_options,
                                                 other.permissions_with_grant_options)


def _diff(self, other):
    if self.permissions is not None:
        self.permissions = [p for p in self.permissions if p not in (other.permissions or [])]
    if self.permissions_with_grant_options is not None:
        self.permissions_with_grant_options = [
            p for p in self.permissions_with_grant_options if p not in (other.permissions_with_grant_options or [])]


def _table_matches(flt, res):
    if flt.database_name != res.get("DatabaseName"):
        return False
    if flt.catalog_id is not None and flt.catalog_id != res.get("CatalogId"):
        return False
    if flt.table_wildcard is not None and flt.name is None:
        return "TableWildcard" in res
    if flt.name is not None:
        return res.get("Name") == flt.name
    return True


def _resource_matches(resource, permission_resource):
    if resource.catalog is not None and "Catalog" in permission_resource:
        return resource.catalog == permission_resource["Catalog"]
    db = resource.database
    if db is not None and "Database" in permission_resource:
        pr = permission_resource["Database"]
        return db.name == pr.get("Name") and (db.catalog_id is None or db.catalog_id == pr.get("CatalogId"))
    table = resource.table
    if table is not None:
        if "Table" in permission_resource:
            return _table_matches(table, permission_resource["Table"])
        if "TableWithColumns" in permission_resource and table.name is not None:
            return _table_matches(table, permission_resource["TableWithColumns"])
    loc = resource.data_location
    if loc is not None and "DataLocation" in permission_resource:
        pr = permission_resource["DataLocation"]
        return loc.resource_arn == pr.get("ResourceArn") and (
            loc.catalog_id is None or loc.catalog_id == pr.get("CatalogId"))
    return False


def install():
    from moto.lakeformation import models
    from moto.lakeformation.models import LakeFormationBackend, Permission, RessourceType

    Permission.__hash__ = _permission_hash
    Permission.merge = _merge
    Permission.diff = _diff

    original_grant = LakeFormationBackend.grant_permissions
    original_revoke = LakeFormationBackend.revoke_permissions

    def grant_permissions(self, catalog_id, principal, resource, permissions, permissions_with_grant_options):
        original_grant(self, catalog_id, principal, _with_catalog(resource, catalog_id), permissions,
                       permissions_with_grant_options)

    def revoke_permissions(self, catalog_id, principal, resource, permissions_to_revoke,
                           permissions_with_grant_options_to_revoke):
        original_revoke(self, catalog_id, principal, _with_catalog(resource, catalog_id), permissions_to_revoke,
                        permissions_with_grant_options_to_revoke)

    def list_permissions(self, catalog_id, principal=None, resource=None, resource_type=None):
        if catalog_id not in self.grants:
            return []
        out = []
        for p in list(self.grants[catalog_id].permissions):
            if principal is not None and p.principal != principal:
                continue
            if resource_type is not None:
                r = p.resource
                kind = {
                    RessourceType.catalog: "Catalog" in r,
                    RessourceType.database: "Database" in r,
                    RessourceType.data_location: "DataLocation" in r,
                    RessourceType.table: "Table" in r or "TableWithColumns" in r,
                }.get(resource_type, False)
                if not kind:
                    continue
            if resource is not None and not _resource_matches(resource, p.resource):
                continue
            out.append(p.to_external_form())
        return out

    def batch_grant_permissions(self, catalog_id, entries):
        for e in entries:
            self.grant_permissions(
                catalog_id=catalog_id, principal=e.get("Principal"), resource=e.get("Resource"),
                permissions=e.get("Permissions"),
                permissions_with_grant_options=e.get("PermissionsWithGrantOption"))

    def batch_revoke_permissions(self, catalog_id, entries):
        for e in entries:
            self.revoke_permissions(
                catalog_id=catalog_id, principal=e.get("Principal"), resource=e.get("Resource"),
                permissions_to_revoke=e.get("Permissions"),
                permissions_with_grant_options_to_revoke=e.get("PermissionsWithGrantOption"))

    LakeFormationBackend.grant_permissions = grant_permissions
    LakeFormationBackend.revoke_permissions = revoke_permissions
    LakeFormationBackend.list_permissions = list_permissions
    LakeFormationBackend.batch_grant_permissions = batch_grant_permissions
    LakeFormationBackend.batch_revoke_permissions = batch_revoke_permissions
    models._lakewarden_patched = True
