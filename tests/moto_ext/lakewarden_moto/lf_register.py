"""Lake Formation RegisterResource with the service-linked role.

moto 5.2.5 stores the ``RoleArn`` parameter only, so a location registered with
``UseServiceLinkedRole=true`` came back from ListResources / DescribeResource with
``RoleArn: null``. AWS registers it with the service-linked role
``AWSServiceRoleForLakeFormationDataAccess`` (Lake Formation Developer Guide, *Using
service-linked roles for Lake Formation*,
https://docs.aws.amazon.com/lake-formation/latest/dg/service-linked-roles.html ; service-linked
roles live under ``/aws-service-role/SERVICE-PRINCIPAL/``) and reports that role's ARN, which is
how a caller tells a service-linked-role registration from one made with a customer role.

Registering the exact same path twice is ``AlreadyExistsException`` in moto already (as in AWS).
What AWS does for a path under an already registered parent is not documented (see
docs/aws-semantics.md §4), so nothing is refused for it here.
"""
SLR_NAME = "AWSServiceRoleForLakeFormationDataAccess"


def slr_arn(account):
    return f"arn:aws:iam::{account}:role/aws-service-role/lakeformation.amazonaws.com/{SLR_NAME}"


def install():
    from moto.lakeformation.responses import LakeFormationResponse

    def register_resource(self):
        role_arn = self._get_param("RoleArn")
        if not role_arn and self._get_param("UseServiceLinkedRole"):
            role_arn = slr_arn(self.current_account)
        self.lakeformation_backend.register_resource(resource_arn=self._get_param("ResourceArn"), role_arn=role_arn)
        return "{}"

    LakeFormationResponse.register_resource = register_resource
