"""cfn_resources.py: CloudFormation creates what lakewarden's templates declare, or fails.

AWS references: CloudFormation User Guide, resource types AWS::CloudWatch::Alarm,
AWS::SNS::Subscription, AWS::Lambda::EventInvokeConfig, AWS::Lambda::Function (Architectures,
DeadLetterConfig, LoggingConfig), AWS::IAM::Role (Policies), AWS::KMS::Key (KeyPolicy); the
pseudo parameter AWS::NoValue ("removes the corresponding resource property"); CloudWatch API
Reference PutMetricAlarm (Period 10, 20, 30 or a multiple of 60).
"""
import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError


def deploy(server, account, resources, name="t"):
    cfn = server.client("cloudformation", account)
    body = json.dumps({"AWSTemplateFormatVersion": "2010-09-09",
                       "Conditions": {"No": {"Fn::Equals": ["a", "b"]}}, "Resources": resources})
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}


def refused(server, account, resources):
    with pytest.raises(ClientError) as e:
        deploy(server, account, resources, name="refused")
    return e.value.response["Error"]["Message"]


ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                            "Action": "sts:AssumeRole"}]}}}


def function(server, account, **props):
    s3 = server.client("s3", account)
    bucket = f"code-{account}"
    s3.create_bucket(Bucket=bucket)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "x")
    s3.put_object(Bucket=bucket, Key="f.zip", Body=buf.getvalue())
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": "f", "Runtime": "provided.al2023", "Handler": "bootstrap",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"S3Bucket": bucket, "S3Key": "f.zip"}, **props}}


def test_a_type_moto_cannot_create_fails_the_stack(server, account):
    # (AWS::LakeFormation::DataLakeSettings is emulated by cfn_lakeformation.py.)
    message = refused(server, account, {
        "Tag": {"Type": "AWS::LakeFormation::Tag", "Properties": {"TagKey": "k", "TagValues": ["v"]}}})
    assert "AWS::LakeFormation::Tag" in message


def test_alarm_subscription_and_invoke_config_are_created(server, account):
    ids = deploy(server, account, {
        "Role": ROLE,
        "Fn": function(server, account),
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        "Mail": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "ops@example.com"}},
        "Invoke": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST", "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 3600}},
        "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": "f-errors", "Namespace": "AWS/Lambda", "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Fn"}}], "Statistic": "Sum",
            "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "Topic"}]}},
    })
    assert ids["Errors"] == "f-errors"
    alarm = server.client("cloudwatch", account).describe_alarms(AlarmNames=["f-errors"])["MetricAlarms"][0]
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": "f"}]
    assert alarm["AlarmActions"] == [ids["Topic"]] and alarm["TreatMissingData"] == "notBreaching"
    subs = server.client("sns", account).list_subscriptions_by_topic(TopicArn=ids["Topic"])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]
    invoke = server.client("lambda", account).get_function_event_invoke_config(FunctionName="f")
    assert (invoke["MaximumRetryAttempts"], invoke["MaximumEventAgeInSeconds"]) == (2, 3600)


def test_an_invalid_alarm_is_refused(server, account):
    message = refused(server, account, {"A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "Namespace": "Lakewarden", "MetricName": "ActionsFailed", "Statistic": "Total", "Period": 45,
        "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}}})
    assert "Period 45" in message and "Statistic 'Total'" in message


def test_function_keeps_architecture_dead_letters_and_logging(server, account):
    deploy(server, account, {"Role": ROLE, "Fn": function(
        server, account, Architectures=["arm64"],
        DeadLetterConfig={"TargetArn": f"arn:aws:sqs:us-east-1:{account}:dlq"},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/aws/lambda/f"})})
    cfg = server.client("lambda", account).get_function(FunctionName="f")["Configuration"]
    assert cfg["Architectures"] == ["arm64"]
    assert cfg["DeadLetterConfig"] == {"TargetArn": f"arn:aws:sqs:us-east-1:{account}:dlq"}
    assert cfg["LoggingConfig"]["LogFormat"] == "JSON" and cfg["LoggingConfig"]["LogGroup"] == "/aws/lambda/f"


def test_two_architectures_are_refused(server, account):
    assert "Architectures" in refused(server, account, {"Role": ROLE, "Fn": function(
        server, account, Architectures=["arm64", "x86_64"])})


def test_role_policies_are_json_and_validated(server, account):
    statement = {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    optional = {"Fn::If": ["No", {"Sid": "Never", "Effect": "Allow", "Action": "s3:PutObject",
                                  "Resource": "arn:aws:s3:::b/*"}, {"Ref": "AWS::NoValue"}]}
    role = json.loads(json.dumps(ROLE))
    role["Properties"]["Policies"] = [{"PolicyName": "p", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [statement, optional]}}]
    ids = deploy(server, account, {"Role": role})
    doc = server.client("iam", account).get_role_policy(RoleName=ids["Role"], PolicyName="p")["PolicyDocument"]
    assert doc == {"Version": "2012-10-17", "Statement": [statement]}
    role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] = [dict(statement, Resource="b")]
    assert "Role" in refused(server, account, {"Role": role})


def test_managed_policy_arns_are_attached_or_the_stack_fails(server, account):
    # AWS::IAM::Role ManagedPolicyArns: "A list of Amazon Resource Names (ARNs) of the IAM managed
    # policies that you want to attach to the role" (CloudFormation resource reference); IAM's
    # AttachRolePolicy answers NoSuchEntity for a policy that does not exist.
    iam = server.client("iam", account)
    mine = iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))["Policy"]["Arn"]
    role = json.loads(json.dumps(ROLE))
    role["Properties"]["ManagedPolicyArns"] = [mine]
    ids = deploy(server, account, {"Role": role}, name="managed")
    attached = iam.list_attached_role_policies(RoleName=ids["Role"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [mine]
    role["Properties"]["ManagedPolicyArns"] = [f"arn:aws:iam::{account}:policy/missing"]
    assert "ManagedPolicyArns" in refused(server, account, {"Role": role})


def test_key_policy_is_a_json_string(server, account):
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]}
    ids = deploy(server, account, {"Key": {"Type": "AWS::KMS::Key", "Properties": {
        "KeyPolicy": policy, "EnableKeyRotation": True}}})
    got = server.client("kms", account).get_key_policy(KeyId=ids["Key"], PolicyName="default")["Policy"]
    assert json.loads(got) == policy
