"""CloudFormation: ``AWS::LakeFormation::DataLakeSettings``, which moto 5.2.5 cannot create.

lakewarden's templates make each function's role a data lake administrator with this resource
and ``MutationType: APPEND``. AWS documents the property (CloudFormation Template Reference,
AWS::LakeFormation::DataLakeSettings, aws-resource-lakeformation-datalakesettings.html):
"Specifies whether the data lake settings are updated by adding new values to the current
settings (APPEND) or by replacing the current settings with new settings (REPLACE)"; with
REPLACE "your current data lake settings will be replaced with the new values in your template".

Emulated on the account's Lake Formation settings (lf_settings.py's document):
- ``APPEND``: every list in the template (``Admins``, ``ReadOnlyAdmins``, the default
  permission lists, ``TrustedResourceOwners``, ``ExternalDataFilteringAllowList``,
  ``AuthorizedSessionTagValueList``) gains the values it lacks, ``Parameters`` are merged, booleans
  given are set; nothing already there is removed;
- ``REPLACE`` (and, since the default is [not found], an omitted ``MutationType``): the settings
  become exactly the template's (omitted lists empty), as PutDataLakeSettings does;
- the result is validated as PutDataLakeSettings validates it (lf_settings.problem: the
  default-permission lists, ``Parameters`` keys and versions), failing the stack;
- deleting the resource leaves the settings as they are (what AWS does on delete is
  [not found]; an administrator is never removed by the emulation).
"""
import copy

LISTS = {
    "Admins": "DataLakeAdmins",
    "ReadOnlyAdmins": "ReadOnlyAdmins",
    "CreateDatabaseDefaultPermissions": "CreateDatabaseDefaultPermissions",
    "CreateTableDefaultPermissions": "CreateTableDefaultPermissions",
    "TrustedResourceOwners": "TrustedResourceOwners",
    "ExternalDataFilteringAllowList": "ExternalDataFilteringAllowList",
    "AuthorizedSessionTagValueList": "AuthorizedSessionTagValueList",
}
BOOLS = ("AllowExternalDataFiltering", "AllowFullTableExternalDataAccess")
MUTATION_TYPES = ("APPEND", "REPLACE")


def _bool(v):
    return v if isinstance(v, bool) else str(v).lower() == "true"


def settings_after(current, props):
    """The settings document after a stack applies ``props`` to ``current``."""
    mutation = props.get("MutationType", "REPLACE")
    if mutation not in MUTATION_TYPES:
        raise ValueError(f"MutationType {mutation!r} must be one of {', '.join(MUTATION_TYPES)}")
    if mutation == "REPLACE":
        new = {api: copy.deepcopy(props.get(cfn, [])) for cfn, api in LISTS.items()}
        if "Parameters" in props:
            new["Parameters"] = {k: str(v) for k, v in props["Parameters"].items()}
    else:
        new = copy.deepcopy(current)
        for cfn, api in LISTS.items():
            merged = list(new.get(api) or [])
            for v in props.get(cfn, []):
                if v not in merged:
                    merged.append(copy.deepcopy(v))
            new[api] = merged
        if "Parameters" in props:
            params = dict(new.get("Parameters") or {})
            params.update({k: str(v) for k, v in props["Parameters"].items()})
            new["Parameters"] = params
    for b in BOOLS:
        if b in props:
            new[b] = _bool(props[b])
    return new


def install():
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel
    from moto.lakeformation.models import lakeformation_backends

    from .lf_settings import problem

    def _error(message):
        from moto.cloudformation.exceptions import ValidationError

        return ValidationError(message=message)

    class CfnDataLakeSettings(CloudFormationModel):
        def __init__(self, account_id):
            self.account_id = account_id

        @property
        def physical_resource_id(self):
            return f"{self.account_id}-data-lake-settings"

        @staticmethod
        def cloudformation_name_type():
            return ""

        @staticmethod
        def cloudformation_type():
            return "AWS::LakeFormation::DataLakeSettings"

        @classmethod
        def has_cfn_attr(cls, attr):
            return False

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name, **kwargs):
            props = cloudformation_json.get("Properties") or {}
            backend = lakeformation_backends[account_id][region_name]
            current = backend.get_data_lake_settings(account_id)
            try:
                new = settings_after(current, props)
            except ValueError as e:
                raise _error(f"AWS::LakeFormation::DataLakeSettings {kwargs.get('LogicalId')}: {e}")
            message = problem(new)
            if message:
                raise _error(f"AWS::LakeFormation::DataLakeSettings {kwargs.get('LogicalId')}: {message}")
            backend.put_data_lake_settings(account_id, new)
            return cls(account_id)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                            cloudformation_json, account_id, region_name):
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                       account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name):
            pass

        def is_created(self):
            return True

    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()
    assert "AWS::LakeFormation::DataLakeSettings" in parsing.get_model_map()
