"""Policy size limits (policy_limits.py): a write past AWS's limit is refused and nothing stored.

AWS pages followed:
- IAM User Guide, "IAM and AWS STS quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
  — role policy size (all inline policies together) 10,240 characters, role trust policy 2,048,
  managed policy 6,144; "IAM does not count white space".
- S3 User Guide, "Bucket policies and user policies", https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html
  — "Bucket policies are limited to 20 KB in size".
- Glue Developer Guide, "AWS Glue resource policies for access control", https://docs.aws.amazon.com/glue/latest/dg/glue-resource-policies.html
  — one catalog policy, "its size is limited to 10 KB".
- DynamoDB API Reference, PutResourcePolicy, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html
  — "The maximum size supported for a resource-based policy document is 20 KB. DynamoDB counts
  whitespaces".
On plain moto 5.2.5 every oversized write below succeeds.
"""
import json

import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def _doc(n_resources, account="123456789012", pad=""):
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::bucket-{account}/prefix{pad}{i:05d}/*" for i in range(n_resources)]}]}


def _iam_size(text):
    return sum(1 for c in text if not c.isspace())


def _code(excinfo):
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def _role(iam, name="r"):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    return name


def _fitting(limit, measure, account):
    """The largest _doc() (in resources) whose size stays within `limit`."""
    n = 1
    while measure(json.dumps(_doc(n + 1, account))) <= limit:
        n += 1
    return n


def test_role_inline_policies_together_are_capped_at_10240_non_white_space_characters(server, account):
    iam = server.client("iam", account)
    role = _role(iam)
    big = _fitting(10_240, _iam_size, account)
    doc = json.dumps(_doc(big, account), indent=4)  # white space is not counted
    assert len(doc) > 10_240 >= _iam_size(doc)
    iam.put_role_policy(RoleName=role, PolicyName="a", PolicyDocument=doc)
    # Replacing the same policy by one as large is fine; one character more is not.
    iam.put_role_policy(RoleName=role, PolicyName="a", PolicyDocument=doc)
    over = json.dumps(_doc(big + 1, account))
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName=role, PolicyName="a", PolicyDocument=over)
    assert _code(e)[:2] == (409, "LimitExceeded")
    assert "Maximum policy size of 10240 bytes exceeded for role r" in _code(e)[2]
    assert iam.get_role_policy(RoleName=role, PolicyName="a")["PolicyDocument"] == json.loads(doc)


def test_other_inline_policies_of_the_role_count(server, account):
    iam = server.client("iam", account)
    role = _role(iam)
    half = json.dumps(_doc(_fitting(6_000, _iam_size, account), account))
    iam.put_role_policy(RoleName=role, PolicyName="first", PolicyDocument=half)
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName=role, PolicyName="second", PolicyDocument=half)
    assert _code(e)[1] == "LimitExceeded"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["first"]
    # A small second policy still fits.
    iam.put_role_policy(RoleName=role, PolicyName="second", PolicyDocument=json.dumps(_doc(2, account)))


def test_trust_policy_is_capped_at_2048(server, account):
    iam = server.client("iam", account)
    role = _role(iam)
    principals = [f"arn:aws:iam::{i:012d}:root" for i in range(100)]
    big = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principals},
                                                   "Action": "sts:AssumeRole"}]}
    assert _iam_size(json.dumps(big)) > 2_048
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(big))
    assert _code(e)[1:] == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == TRUST
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="big", AssumeRolePolicyDocument=json.dumps(big))
    assert _code(e)[1] == "LimitExceeded"


def test_managed_policy_is_capped_at_6144(server, account):
    iam = server.client("iam", account)
    over = json.dumps(_doc(_fitting(6_144, _iam_size, account) + 1, account))
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="big", PolicyDocument=over)
    assert _code(e)[1:] == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    arn = iam.create_policy(PolicyName="small", PolicyDocument=json.dumps(_doc(1, account)))["Policy"]["Arn"]
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=over, SetAsDefault=True)
    assert _code(e)[1] == "LimitExceeded"
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 1


def _bucket_doc(n, bucket, account):
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "Read", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{bucket}/p{i:05d}/*" for i in range(n)]}]}


def test_bucket_policy_is_capped_at_20_kb_bytes(server, account):
    s3 = server.client("s3", account)
    bucket = f"limits-{account}"
    s3.create_bucket(Bucket=bucket)
    n = 1
    while len(json.dumps(_bucket_doc(n + 1, bucket, account))) <= 20_480:
        n += 1
    fits = json.dumps(_bucket_doc(n, bucket, account))
    s3.put_bucket_policy(Bucket=bucket, Policy=fits)
    over = json.dumps(_bucket_doc(n + 1, bucket, account))
    assert len(over) > 20_480
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy=over)
    assert _code(e)[:2] == (400, "PolicyTooLarge")
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == fits
    # S3 counts bytes: the same document pretty-printed (white space included) is refused.
    with pytest.raises(ClientError):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(_bucket_doc(n, bucket, account), indent=8))


def _glue_doc(n, account):
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "Read", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "glue:GetTable", "Resource": [f"arn:aws:glue:us-east-1:{account}:table/db/t{i:05d}" for i in range(n)]}]}


def test_glue_catalog_policy_is_capped_at_10_kb(server, account):
    glue = server.client("glue", account)
    n = 1
    while len(json.dumps(_glue_doc(n + 1, account))) <= 10_240:
        n += 1
    glue.put_resource_policy(PolicyInJson=json.dumps(_glue_doc(n, account)), EnableHybrid="TRUE")
    before = glue.get_resource_policy()
    with pytest.raises(ClientError) as e:
        glue.put_resource_policy(PolicyInJson=json.dumps(_glue_doc(n + 1, account)), EnableHybrid="TRUE")
    assert _code(e)[1] == "InvalidInputException"
    assert glue.get_resource_policy()["PolicyHash"] == before["PolicyHash"]


def test_dynamodb_resource_policy_is_capped_at_20_kb_counting_white_space(server, account):
    ddb = server.client("dynamodb", account)
    arn = ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])["TableDescription"]["TableArn"]

    def doc(n, indent=None):
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "Read", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:root" for i in range(n)]},
            "Action": "dynamodb:GetItem", "Resource": arn}]}, indent=indent)

    n = 1
    while len(doc(n + 1)) <= 20_480:
        n += 1
    ddb.put_resource_policy(ResourceArn=arn, Policy=doc(n))
    rev = ddb.get_resource_policy(ResourceArn=arn)["RevisionId"]
    with pytest.raises(ClientError) as e:
        ddb.put_resource_policy(ResourceArn=arn, Policy=doc(n, indent=4))
    assert _code(e)[1] == "ValidationException"
    assert ddb.get_resource_policy(ResourceArn=arn)["RevisionId"] == rev
