"""Resource and identity policy size limits, which moto 5.2.5 does not enforce (it stores documents
of any size). Each write past AWS's limit is refused, with the error AWS answers, and nothing is
stored:

- IAM (IAM User Guide, "IAM and AWS STS quotas", reference_iam-quotas.html; white space not
  counted): all inline policies of a role together 10,240 characters (PutRolePolicy: 409
  ``LimitExceeded`` "Maximum policy size of 10240 bytes exceeded for role NAME"); a role trust
  policy 2,048 characters (CreateRole / UpdateAssumeRolePolicy: ``LimitExceeded`` "Cannot exceed
  quota for ACLSizePerRole: 2048"); a managed policy 6,144 characters (CreatePolicy /
  CreatePolicyVersion: ``LimitExceeded`` "Cannot exceed quota for PolicySize: 6144").
- S3 (User Guide, "Bucket policies and user policies", using-iam-policies.html: "Bucket policies
  are limited to 20 KB in size"): PutBucketPolicy of more than 20,480 bytes → 400
  ``PolicyTooLarge`` "Policy exceeds the maximum allowed document size." (S3's code and wording
  as S3-compatible servers reproduce them; AWS's own error table does not list it [3p]).
- Glue (Developer Guide, "AWS Glue resource policies for access control",
  glue-resource-policies.html: "its size is limited to 10 KB"): PutResourcePolicy of more than
  10,240 bytes → ``InvalidInputException`` (the code is not documented [not found]; Glue's
  validation error).
- DynamoDB (PutResourcePolicy API reference / "Resource-based policy considerations": "The
  maximum size supported for a resource-based policy document is 20 KB. DynamoDB counts
  whitespaces"): more than 20,480 bytes → ``ValidationException`` (code [not found]).
"""
from moto.core.exceptions import JsonRESTError

ROLE_INLINE_MAX = 10_240
TRUST_MAX = 2_048
MANAGED_MAX = 6_144
S3_BUCKET_POLICY_MAX = 20 * 1024
GLUE_POLICY_MAX = 10 * 1024
DYNAMODB_POLICY_MAX = 20 * 1024


def iam_size(document):
    """IAM's measure: characters, white space not counted."""
    if isinstance(document, bytes):
        document = document.decode("utf-8", "replace")
    return sum(1 for c in document if not c.isspace())


def byte_size(document):
    return len(document) if isinstance(document, bytes) else len(document.encode("utf-8"))


def _policy_too_large():
    from moto.s3.exceptions import S3ClientError

    return S3ClientError("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")


def install():
    from moto.iam import models as iam_models
    from moto.iam.exceptions import LimitExceededException
    from moto.s3.models import S3Backend
    from moto.glue.models import GlueBackend
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.exceptions import MockValidationException

    IAMBackend = iam_models.IAMBackend

    previous_put_role_policy = IAMBackend.put_role_policy

    def put_role_policy(self, role_name, policy_name, policy_json):
        role = self.get_role(role_name)
        others = sum(iam_size(doc) for name, doc in role.policies.items() if name != policy_name)
        if others + iam_size(policy_json) > ROLE_INLINE_MAX:
            raise LimitExceededException(
                f"Maximum policy size of {ROLE_INLINE_MAX} bytes exceeded for role {role_name}")
        return previous_put_role_policy(self, role_name, policy_name, policy_json)

    IAMBackend.put_role_policy = put_role_policy

    def trust_check(document):
        if document is not None and iam_size(document) > TRUST_MAX:
            raise LimitExceededException(f"Cannot exceed quota for ACLSizePerRole: {TRUST_MAX}")

    previous_update_trust = IAMBackend.update_assume_role_policy

    def update_assume_role_policy(self, role_name, policy_document):
        trust_check(policy_document)
        return previous_update_trust(self, role_name, policy_document)

    IAMBackend.update_assume_role_policy = update_assume_role_policy

    previous_create_role = IAMBackend.create_role

    def create_role(self, role_name, assume_role_policy_document, *args, **kwargs):
        trust_check(assume_role_policy_document)
        return previous_create_role(self, role_name, assume_role_policy_document, *args, **kwargs)

    IAMBackend.create_role = create_role

    def managed_check(document):
        if iam_size(document) > MANAGED_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_MAX}")

    previous_create_policy = IAMBackend.create_policy

    def create_policy(self, description, path, policy_document, policy_name, tags):
        managed_check(policy_document)
        return previous_create_policy(self, description, path, policy_document, policy_name, tags)

    IAMBackend.create_policy = create_policy

    previous_create_version = IAMBackend.create_policy_version

    def create_policy_version(self, policy_arn, policy_document, set_as_default):
        managed_check(policy_document)
        return previous_create_version(self, policy_arn, policy_document, set_as_default)

    IAMBackend.create_policy_version = create_policy_version

    previous_put_bucket_policy = S3Backend.put_bucket_policy

    def put_bucket_policy(self, bucket_name, policy):
        if byte_size(policy) > S3_BUCKET_POLICY_MAX:
            raise _policy_too_large()
        return previous_put_bucket_policy(self, bucket_name, policy)

    S3Backend.put_bucket_policy = put_bucket_policy

    previous_glue_put = GlueBackend.put_resource_policy

    def glue_put_resource_policy(self, policy_in_json, *args, **kwargs):
        if byte_size(policy_in_json) > GLUE_POLICY_MAX:
            raise JsonRESTError(
                "InvalidInputException",
                f"Policy size {byte_size(policy_in_json)} exceeds the maximum of {GLUE_POLICY_MAX} bytes")
        return previous_glue_put(self, policy_in_json, *args, **kwargs)

    GlueBackend.put_resource_policy = glue_put_resource_policy

    previous_ddb_put = DynamoDBBackend.put_resource_policy

    def ddb_put_resource_policy(self, resource_arn, policy_doc, *args, **kwargs):
        if byte_size(policy_doc) > DYNAMODB_POLICY_MAX:
            raise MockValidationException(
                f"Resource-based policy size {byte_size(policy_doc)} exceeds the maximum of "
                f"{DYNAMODB_POLICY_MAX} bytes")
        return previous_ddb_put(self, resource_arn, policy_doc, *args, **kwargs)

    DynamoDBBackend.put_resource_policy = ddb_put_resource_policy
