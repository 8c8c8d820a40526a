"""cfn_lakeformation.py: AWS::LakeFormation::DataLakeSettings with MutationType APPEND / REPLACE.

AWS page followed: CloudFormation Template Reference, AWS::LakeFormation::DataLakeSettings,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lakeformation-datalakesettings.html
(MutationType: APPEND adds new values to the current settings, REPLACE replaces them with the
template's). Each test fails on plain moto 5.2.5, which skips the resource type (and on
lakewarden_moto without this module, which fails the stack).
"""
import json

import pytest
from botocore.exceptions import ClientError


def deploy(server, account, props, name="lf"):
    cfn = server.client("cloudformation", account)
    body = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Settings": {"Type": "AWS::LakeFormation::DataLakeSettings", "Properties": props}}})
    cfn.create_stack(StackName=name, TemplateBody=body)


def settings(server, account):
    return server.client("lakeformation", account).get_data_lake_settings()["DataLakeSettings"]


def admin(account, name):
    return {"DataLakePrincipalIdentifier": f"arn:aws:iam::{account}:role/{name}"}


def test_append_adds_the_role_and_keeps_everything_else(server, account):
    lf = server.client("lakeformation", account)
    lf.put_data_lake_settings(DataLakeSettings={
        "DataLakeAdmins": [admin(account, "Admin")], "CreateDatabaseDefaultPermissions": [],
        "CreateTableDefaultPermissions": [], "Parameters": {"CROSS_ACCOUNT_VERSION": "4"}})
    deploy(server, account, {"MutationType": "APPEND", "Admins": [admin(account, "lakewarden-catalog-sharer")]})
    s = settings(server, account)
    assert s["DataLakeAdmins"] == [admin(account, "Admin"), admin(account, "lakewarden-catalog-sharer")]
    assert s["Parameters"]["CROSS_ACCOUNT_VERSION"] == "4"
    assert s["CreateTableDefaultPermissions"] == []
    # A second stack appending the same role adds nothing twice.
    deploy(server, account, {"MutationType": "APPEND", "Admins": [admin(account, "lakewarden-catalog-sharer")]},
           name="lf2")
    assert len(settings(server, account)["DataLakeAdmins"]) == 2


def test_replace_drops_what_the_template_does_not_name(server, account):
    lf = server.client("lakeformation", account)
    lf.put_data_lake_settings(DataLakeSettings={"DataLakeAdmins": [admin(account, "Admin")]})
    deploy(server, account, {"MutationType": "REPLACE", "Admins": [admin(account, "Other")]})
    assert settings(server, account)["DataLakeAdmins"] == [admin(account, "Other")]


def test_invalid_settings_fail_the_stack(server, account):
    cfn = server.client("cloudformation", account)
    body = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Settings": {"Type": "AWS::LakeFormation::DataLakeSettings", "Properties": {
            "MutationType": "APPEND", "Parameters": {"CrossAccountVersion": "4"}}}}})
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="bad", TemplateBody=body)
    assert "CROSS_ACCOUNT_VERSION" in e.value.response["Error"]["Message"]
