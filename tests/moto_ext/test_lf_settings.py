"""Lake Formation data lake settings (lf_settings.py): a new account's settings, whole replacement, validation.

AWS pages followed:
- Lake Formation Developer Guide, "Changing the default settings for your data lake"
  https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html
  (initial settings: "Use only IAM access control" for new Data Catalog resources, i.e. ALL to
  IAM_ALLOWED_PRINCIPALS in both default-permission lists);
- API reference, PutDataLakeSettings
  https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html
  ("This API replaces the current list of data lake admins with the new list being passed");
- API reference, DataLakeSettings
  https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_DataLakeSettings.html
  (default-permission lists: "The only permitted values are an empty array or an array that
  contains a single JSON object that grants ALL to IAM_ALLOWED_PRINCIPALS"; Parameters key
  CROSS_ACCOUNT_VERSION);
- the new-account Parameters value {"CROSS_ACCOUNT_VERSION": "1", "SET_CONTEXT": "TRUE"} is not
  on an AWS page; it is what hashicorp/terraform-provider-aws records for a fresh account
  (internal/service/lakeformation/data_lake_settings.go). See docs/aws-semantics.md.
"""
import pytest
from botocore.exceptions import ClientError

IAM_ALLOWED = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]


def test_a_new_account_has_iam_only_defaults_and_cross_account_version_1(server, account):
    s = server.client("lakeformation", account).get_data_lake_settings()["DataLakeSettings"]
    assert s["DataLakeAdmins"] == [] and s["ReadOnlyAdmins"] == []
    assert s["CreateDatabaseDefaultPermissions"] == IAM_ALLOWED
    assert s["CreateTableDefaultPermissions"] == IAM_ALLOWED
    assert s["Parameters"] == {"CROSS_ACCOUNT_VERSION": "1", "SET_CONTEXT": "TRUE"}


def test_put_replaces_every_field(server, account):
    lf = server.client("lakeformation", account)
    admin = {"DataLakePrincipalIdentifier": f"arn:aws:iam::{account}:role/admin"}
    lf.put_data_lake_settings(DataLakeSettings={"DataLakeAdmins": [admin],
                                                "Parameters": {"CROSS_ACCOUNT_VERSION": "4"}})
    s = lf.get_data_lake_settings()["DataLakeSettings"]
    assert s["DataLakeAdmins"] == [admin]
    # Left out of the put: empty now (Lake Formation permissions for new resources), not the old default.
    assert s["CreateDatabaseDefaultPermissions"] == [] and s["CreateTableDefaultPermissions"] == []
    assert s["Parameters"] == {"CROSS_ACCOUNT_VERSION": "4"}
    # A second put with another admin list drops the first admin: there is no append.
    other = {"DataLakePrincipalIdentifier": f"arn:aws:iam::{account}:role/other"}
    lf.put_data_lake_settings(DataLakeSettings={"DataLakeAdmins": [other]})
    assert lf.get_data_lake_settings()["DataLakeSettings"]["DataLakeAdmins"] == [other]


@pytest.mark.parametrize("settings", [
    {"CreateDatabaseDefaultPermissions": [
        {"Principal": {"DataLakePrincipalIdentifier": "arn:aws:iam::111111111111:role/x"}, "Permissions": ["ALL"]}]},
    {"CreateTableDefaultPermissions": [
        {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["SELECT"]}]},
    {"Parameters": {"CrossAccountVersion": "3"}},
    {"Parameters": {"CROSS_ACCOUNT_VERSION": "9"}},
])
def test_settings_aws_refuses_are_refused_and_change_nothing(server, account, settings):
    lf = server.client("lakeformation", account)
    with pytest.raises(ClientError) as e:
        lf.put_data_lake_settings(DataLakeSettings=settings)
    assert e.value.response["Error"]["Code"] == "InvalidInputException"
    assert lf.get_data_lake_settings()["DataLakeSettings"]["Parameters"]["CROSS_ACCOUNT_VERSION"] == "1"


def test_settings_are_per_account(server, account):
    a = server.client("lakeformation", account)
    a.put_data_lake_settings(DataLakeSettings={"CreateDatabaseDefaultPermissions": [],
                                               "CreateTableDefaultPermissions": [],
                                               "Parameters": {"CROSS_ACCOUNT_VERSION": "4"}})
    b = server.client("lakeformation", f"{int(account) + 500:012d}")
    assert b.get_data_lake_settings()["DataLakeSettings"]["Parameters"]["CROSS_ACCOUNT_VERSION"] == "1"
