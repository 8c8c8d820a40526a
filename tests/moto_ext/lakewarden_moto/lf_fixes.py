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
"""
import json


def _permission_hash(self):
    return hash((json.dumps(self.principal, sort_keys=True), json.dumps(self.resource, sort_keys=True)))


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

    LakeFormationBackend.list_permissions = list_permissions
    LakeFormationBackend.batch_grant_permissions = batch_grant_permissions
    LakeFormationBackend.batch_revoke_permissions = batch_revoke_permissions
    models._lakewarden_patched = True
