"""Lake Formation named-resource grants and the Data Catalog resource policy.

AWS, Lake Formation Developer Guide, "Managing cross-account permissions using both AWS Glue
and Lake Formation" (hybrid-cross-account.html), section "When granting cross-account
permissions using the Lake Formation named resources method": when the producer account has a
Data Catalog resource policy, it must contain a statement allowing ``glue:ShareResource`` to
the service principal ``ram.amazonaws.com`` on ``arn:aws:glue:REGION:ACCOUNT:table/*/*``,
``database/*`` and ``catalog``. "Without this additional statement, the Lake Formation grant
succeeds, but becomes blocked in AWS RAM, and the recipient account can't access the granted
resource."

So, as AWS documents it, the grant call does *not* fail (no error code exists for it): here it
is stored as in moto, but it reaches no consumer: no RAM invitation, no shared database in the
consumer's catalog (ram_invitations.py / glue_shared.py), and the consumer holds nothing it
could re-grant (lf_regrant.py). This applies to every named-resource grant to another account,
organization or external principal, including the All-tables wildcard (``TableWildcard`` is a
named-resource grant, not LF-TBAC). Without a catalog policy, nothing changes.

The policy is evaluated when the grant is made (that is when Lake Formation associates the
resource with its RAM share): a grant made before the policy existed stays shared; a blocked
grant stays blocked after the statement is added, until it is granted again (the AWS page does
not say that a blocked association heals by itself, so the strict reading is used).

Second rule of the same page (section "When granting cross-account permissions using the AWS
Glue Data Catalog resource policy"): once the account has made cross-account grants that involve
RAM resource shares, saving a catalog resource policy needs ``EnableHybrid = 'TRUE'``; the Glue
API reference (PutResourcePolicy, EnableHybrid) says "otherwise the call fails". Here the call
then fails with ``InvalidInputException`` (one of PutResourcePolicy's documented errors; the
exact code AWS uses is not documented) and the policy is left as it was. "Grants that involve
RAM" = a named-resource Lake Formation grant of this account's catalog to another account,
organization or external principal, or a RAM share of this account holding Glue resources.

Evaluation: an explicit ``Deny`` of ``glue:ShareResource`` to RAM on the resource blocks; else
an ``Allow`` whose ``Action`` matches ``glue:ShareResource`` (wildcards allowed), whose
``Principal`` is ``*`` or names the service ``ram.amazonaws.com``, and whose ``Resource``
matches the granted resource's ARN (database ``database/DB``, table ``table/DB/T``, all tables
``table/DB/*``). Conditions are not evaluated.
"""
import fnmatch
import json

SERVICE = "ram.amazonaws.com"
ACTION = "glue:shareresource"


def _list(v):
    return v if isinstance(v, list) else [v] if v is not None else []


def _principal_is_ram(principal):
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return SERVICE in _list(principal.get("Service")) or "*" in _list(principal.get("AWS"))
    return False


def resource_arn(region, producer, resource):
    if "Database" in resource:
        return f"arn:aws:glue:{region}:{producer}:database/{resource['Database'].get('Name')}"
    t = resource.get("Table") or resource.get("TableWithColumns")
    if t is not None:
        name = "*" if "TableWildcard" in t else t.get("Name")
        return f"arn:aws:glue:{region}:{producer}:table/{t.get('DatabaseName')}/{name}"
    return None


def catalog_policy(producer, region):
    from moto.glue.models import glue_backends

    if producer not in glue_backends:
        return None
    backend = glue_backends[producer][region]
    entry = backend.resource_policies.get(f"arn:aws:glue:{region}:{producer}:catalog")
    if not entry or not entry.get("PolicyInJson"):
        return None
    try:
        return json.loads(entry["PolicyInJson"])
    except ValueError:
        return None


def allows_ram_share(policy, arn):
    allowed = False
    for st in _list(policy.get("Statement")):
        if not isinstance(st, dict) or not _principal_is_ram(st.get("Principal")):
            continue
        if not any(fnmatch.fnmatchcase(ACTION, a.lower()) for a in _list(st.get("Action"))):
            continue
        if not any(fnmatch.fnmatchcase(arn, r) for r in _list(st.get("Resource"))):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


def blocked(producer, region, resource):
    """Whether RAM would block sharing this resource of producer's catalog now."""
    policy = catalog_policy(producer, region)
    if policy is None:
        return False
    arn = resource_arn(region, producer, resource or {})
    if arn is None:  # data locations, catalog: not shared through a Glue resource share
        return False
    return not allows_ram_share(policy, arn)


def _external(principal, producer):
    if not principal or principal in ("IAM_ALLOWED_PRINCIPALS", "EVERYONE", producer):
        return False
    return not principal.startswith(f"arn:aws:iam::{producer}:")


def shared(producer, region, perm):
    """ram_invitations filter: False when RAM blocked this cross-account grant."""
    return not getattr(perm, "lakewarden_ram_blocked", False)


def ram_grants_exist(account, region):
    """Whether this account has made cross-account grants that involve RAM resource shares."""
    from moto.lakeformation.models import lakeformation_backends
    from moto.ram.models import ram_backends

    if account in lakeformation_backends:
        for catalog in list(lakeformation_backends[account][region].grants.values()):
            for perm in list(catalog.permissions):
                r = perm.resource or {}
                if resource_arn(region, account, r) is None:
                    continue
                owner = next((r[k].get("CatalogId") for k in ("Database", "Table", "TableWithColumns")
                              if isinstance(r.get(k), dict)), None) or account
                if owner == account and _external((perm.principal or {}).get("DataLakePrincipalIdentifier"), account):
                    return True
    if account in ram_backends:
        for share in ram_backends[account][region].resource_shares:
            if share.status == "ACTIVE" and any(":glue:" in a for a in share.resource_arns):
                return True
    return False


def install():
    from moto.glue.exceptions import GlueClientError
    from moto.glue.models import GlueBackend
    from moto.lakeformation.models import LakeFormationBackend

    class InvalidInput(GlueClientError):
        def __init__(self, message):
            super().__init__("InvalidInputException", message)

    previous_put = GlueBackend.put_resource_policy

    def put_resource_policy(self, policy_in_json, resource_arn=None, policy_hash_condition=None,
                            policy_exists_condition=None, enable_hybrid=None):
        if enable_hybrid != "TRUE" and ram_grants_exist(self.account_id, self.region_name):
            raise InvalidInput("This account has made cross-account grants that use AWS RAM resource shares: "
                               "save the Data Catalog resource policy with EnableHybrid='TRUE'.")
        return previous_put(self, policy_in_json, resource_arn=resource_arn,
                            policy_hash_condition=policy_hash_condition,
                            policy_exists_condition=policy_exists_condition, enable_hybrid=enable_hybrid)

    GlueBackend.put_resource_policy = put_resource_policy

    from . import ram_invitations

    if shared not in ram_invitations.LF_GRANT_FILTERS:
        ram_invitations.LF_GRANT_FILTERS.append(shared)
    previous_grant = LakeFormationBackend.grant_permissions

    def grant_permissions(self, catalog_id, principal, resource, permissions, permissions_with_grant_options):
        out = previous_grant(self, catalog_id, principal, resource, permissions, permissions_with_grant_options)
        producer = self.account_id
        who = (principal or {}).get("DataLakePrincipalIdentifier")
        if not isinstance(resource, dict) or not _external(who, producer):
            return out
        owner = next((resource[k].get("CatalogId") for k in ("Database", "Table", "TableWithColumns")
                      if isinstance(resource.get(k), dict)), None) or catalog_id or producer
        if owner != producer:
            return out
        is_blocked = blocked(producer, self.region_name, resource)
        for catalog in list(self.grants.values()):
            for perm in list(catalog.permissions):
                if perm.principal == principal and _same(perm.resource, resource, producer):
                    perm.lakewarden_ram_blocked = is_blocked
        return out

    LakeFormationBackend.grant_permissions = grant_permissions


def _same(stored, asked, producer):
    def norm(r):
        out = {}
        for k, v in (r or {}).items():
            out[k] = dict(v, CatalogId=v.get("CatalogId") or producer) if isinstance(v, dict) and k != "Catalog" else v
        return json.dumps(out, sort_keys=True)

    return norm(stored) == norm(asked)
