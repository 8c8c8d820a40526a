"""Lake Formation data lake settings as a new AWS account has them, replaced whole by a put.

moto 5.2.5 already defaults both default-permission lists to ALL for ``IAM_ALLOWED_PRINCIPALS``
(as AWS: "Changing the default settings for your data lake", change-settings.html: "Use only
IAM access control" is on for new Data Catalog resources) and already replaces the whole
document on ``PutDataLakeSettings``. What it lacked:

a. ``Parameters``: a new account answers ``{"CROSS_ACCOUNT_VERSION": "1", "SET_CONTEXT":
   "TRUE"}``. No AWS page states the default; the value is the one the Terraform AWS provider
   records for "a fresh account, with empty config" (hashicorp/terraform-provider-aws,
   internal/service/lakeformation/data_lake_settings.go, resource delete). moto returned no
   ``Parameters`` at all, so code reading the cross-account version saw nothing. Also
   ``ReadOnlyAdmins`` (``[]``) was missing.
b. ``PutDataLakeSettings`` replaces every field (API reference, PutDataLakeSettings: "This API
   replaces the current list of data lake admins with the new list being passed"): a list left
   out of the request comes back empty, not with its old or default value. moto returned the
   field as absent; it is now ``[]`` (the SDKs read both the same way).
c. Validation AWS documents and moto skipped (``InvalidInputException``):
   - ``CreateDatabaseDefaultPermissions`` / ``CreateTableDefaultPermissions``: "The only
     permitted values are an empty array or an array that contains a single JSON object that
     grants ALL to IAM_ALLOWED_PRINCIPALS" (API reference, DataLakeSettings);
   - ``Parameters``: keys ``CROSS_ACCOUNT_VERSION`` (values 1-5: API reference DataLakeSettings
     lists 1-4, the hybrid access prerequisites page adds 5) and ``SET_CONTEXT``; an unknown key
     is refused with "Valid Parameters Keys are: [...]" (message quoted in boto/boto3#3897).
"""
import copy

LISTS = ("DataLakeAdmins", "ReadOnlyAdmins", "CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions",
         "TrustedResourceOwners", "ExternalDataFilteringAllowList")
PARAMETER_KEYS = ("CROSS_ACCOUNT_VERSION", "SET_CONTEXT")
VERSIONS = ("1", "2", "3", "4", "5")
IAM_ALLOWED = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]


def new_account_settings():
    return {
        "DataLakeAdmins": [],
        "ReadOnlyAdmins": [],
        "CreateDatabaseDefaultPermissions": copy.deepcopy(IAM_ALLOWED),
        "CreateTableDefaultPermissions": copy.deepcopy(IAM_ALLOWED),
        "Parameters": {"CROSS_ACCOUNT_VERSION": "1", "SET_CONTEXT": "TRUE"},
        "TrustedResourceOwners": [],
        "AllowExternalDataFiltering": False,
        "AllowFullTableExternalDataAccess": False,
        "ExternalDataFilteringAllowList": [],
    }


def problem(settings):
    """None when AWS would accept these settings, else the InvalidInput message."""
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        value = settings.get(key) or []
        ok = value == [] or (len(value) == 1
                             and (value[0].get("Principal") or {}).get("DataLakePrincipalIdentifier")
                             == "IAM_ALLOWED_PRINCIPALS"
                             and value[0].get("Permissions") == ["ALL"])
        if not ok:
            return (f"{key}: the only permitted values are an empty array or an array that contains a single "
                    "JSON object that grants ALL to IAM_ALLOWED_PRINCIPALS")
    params = settings.get("Parameters") or {}
    unknown = [k for k in params if k not in PARAMETER_KEYS]
    if unknown:
        return f"Valid Parameters Keys are: [{', '.join(PARAMETER_KEYS)}], but found: [{', '.join(unknown)}]"
    if "CROSS_ACCOUNT_VERSION" in params and str(params["CROSS_ACCOUNT_VERSION"]) not in VERSIONS:
        return (f"Invalid CROSS_ACCOUNT_VERSION {params['CROSS_ACCOUNT_VERSION']}: "
                f"valid values are {', '.join(VERSIONS)}")
    return None


def install():
    from moto.lakeformation.exceptions import InvalidInput
    from moto.lakeformation.models import LakeFormationBackend

    def get_data_lake_settings(self, catalog_id):
        if not hasattr(self, "lakewarden_settings"):
            self.lakewarden_settings = {}
        return self.lakewarden_settings.setdefault(catalog_id, new_account_settings())

    def put_data_lake_settings(self, catalog_id, settings):
        settings = copy.deepcopy(settings or {})
        message = problem(settings)
        if message:
            raise InvalidInput(message)
        for key in LISTS:
            settings.setdefault(key, [])
        if not hasattr(self, "lakewarden_settings"):
            self.lakewarden_settings = {}
        self.lakewarden_settings[catalog_id] = settings

    LakeFormationBackend.get_data_lake_settings = get_data_lake_settings
    LakeFormationBackend.put_data_lake_settings = put_data_lake_settings
