"""RegisterResource (lf_register.py).

AWS pages followed: Lake Formation Developer Guide, *Using service-linked roles for Lake
Formation* (https://docs.aws.amazon.com/lake-formation/latest/dg/service-linked-roles.html):
locations registered with the service-linked role are registered with
AWSServiceRoleForLakeFormationDataAccess; API reference, *RegisterResource* (errors include
AlreadyExistsException). moto 5.2.5 answered RoleArn null for a service-linked-role registration.
"""
import pytest
from botocore.exceptions import ClientError


def test_service_linked_role_registration_reports_the_role_and_a_duplicate_is_already_exists(server, account):
    lf = server.client("lakeformation", account)
    lf.register_resource(ResourceArn="arn:aws:s3:::cur-data/cur", UseServiceLinkedRole=True)
    lf.register_resource(ResourceArn="arn:aws:s3:::other-data", RoleArn=f"arn:aws:iam::{account}:role/lf-register")
    roles = {r["ResourceArn"]: r["RoleArn"] for r in lf.list_resources()["ResourceInfoList"]}
    assert roles == {
        "arn:aws:s3:::cur-data/cur":
            f"arn:aws:iam::{account}:role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess",
        "arn:aws:s3:::other-data": f"arn:aws:iam::{account}:role/lf-register"}
    assert lf.describe_resource(ResourceArn="arn:aws:s3:::cur-data/cur")["ResourceInfo"]["RoleArn"].endswith(
        "/AWSServiceRoleForLakeFormationDataAccess")
    # The same path again: AlreadyExistsException (moto already did this; kept here as a pin).
    with pytest.raises(ClientError) as e:
        lf.register_resource(ResourceArn="arn:aws:s3:::cur-data/cur", UseServiceLinkedRole=True)
    assert e.value.response["Error"]["Code"] == "AlreadyExistsException"
