"""CloudFormation: what lakewarden's templates (infra/*.yaml) use and moto 5.2.5 gets wrong.

- A resource type moto cannot create was skipped with a log warning and the stack still ended
  CREATE_COMPLETE without it (AWS fails the stack). Here `CreateStack` / `UpdateStack` fail with a
  ValidationError naming the type, so a template is only "deployed" when everything in it was.
- `AWS::CloudWatch::Alarm` (single-metric alarms), `AWS::SNS::Subscription` and
  `AWS::Lambda::EventInvokeConfig` were among those skipped types: they are created here through
  moto's own CloudWatch, SNS and Lambda backends, so `DescribeAlarms`, `ListSubscriptionsByTopic`
  and `GetFunctionEventInvokeConfig` read them back. Alarm properties are checked as the
  `PutMetricAlarm` API Reference documents (ComparisonOperator, Statistic, Period 10/20/30 or a
  multiple of 60, TreatMissingData, DatapointsToAlarm <= EvaluationPeriods); metric-math alarms
  (`Metrics`) are refused rather than half-created.
- `AWS::Lambda::Function` dropped `Architectures` (every function came back x86_64),
  `DeadLetterConfig` and `LoggingConfig`; they are kept and returned by `GetFunction` /
  `GetFunctionConfiguration`, and `Architectures` must be exactly one of x86_64 / arm64.
- `AWS::IAM::Role` `Policies` were stored as Python objects, so `GetRolePolicy` answered a
  document the SDKs cannot parse, and were never validated; they are stored as JSON and checked
  with moto's own policy validator, as `PutRolePolicy` does (IAM refuses a malformed document).
- `AWS::IAM::Role` `ManagedPolicyArns` were dropped (the role came back with nothing attached):
  each is attached, and a policy IAM does not have fails the stack (AWS managed policies exist
  when the server runs with --managed-policies).
- `AWS::KMS::Key` `KeyPolicy` was stored as an object (`GetKeyPolicy` must answer a JSON string).
- `!If [Condition, X, !Ref AWS::NoValue]` as a list element left a `null` in the list; CloudFormation
  removes the element (e.g. an optional statement of a policy).
"""

COMPARISON_OPERATORS = {
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold", "GreaterThanUpperThreshold",
}
STATISTICS = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
TREAT_MISSING = {"breaching", "notBreaching", "ignore", "missing"}
ARCHITECTURES = {"x86_64", "arm64"}


def _error(message):
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def _bool(v, default=True):
    if v is None:
        return default
    return v if isinstance(v, bool) else str(v).lower() == "true"


def check_alarm(props):
    """Problems of an AWS::CloudWatch::Alarm's properties (empty when valid)."""
    problems = []
    if "Metrics" in props:
        problems.append("metric-math alarms (Metrics) are not supported by lakewarden_moto")
        return problems
    for required in ("ComparisonOperator", "EvaluationPeriods", "MetricName", "Namespace", "Period"):
        if required not in props:
            problems.append(f"{required} is required for a single-metric alarm")
    if props.get("ComparisonOperator") not in COMPARISON_OPERATORS:
        problems.append(f"ComparisonOperator {props.get('ComparisonOperator')!r} is not valid")
    if "Statistic" in props and props["Statistic"] not in STATISTICS:
        problems.append(f"Statistic {props['Statistic']!r} is not valid")
    if ("Statistic" in props) == ("ExtendedStatistic" in props):
        problems.append("exactly one of Statistic and ExtendedStatistic is required")
    period = int(props.get("Period", 0))
    if period not in (10, 20, 30) and (period <= 0 or period % 60):
        problems.append(f"Period {period} must be 10, 20, 30 or a multiple of 60")
    evaluation = int(props.get("EvaluationPeriods", 0))
    if evaluation < 1:
        problems.append("EvaluationPeriods must be at least 1")
    if "DatapointsToAlarm" in props and not 1 <= int(props["DatapointsToAlarm"]) <= evaluation:
        problems.append("DatapointsToAlarm must be between 1 and EvaluationPeriods")
    if "TreatMissingData" in props and props["TreatMissingData"] not in TREAT_MISSING:
        problems.append(f"TreatMissingData {props['TreatMissingData']!r} is not valid")
    if "Threshold" not in props:
        problems.append("Threshold is required")
    for d in props.get("Dimensions", []):
        if not d.get("Name") or not d.get("Value"):
            problems.append(f"dimension {d} needs a Name and a Value")
    return problems


def _models():
    from moto.awslambda.models import lambda_backends
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.common_models import CloudFormationModel
    from moto.sns.models import sns_backends

    class CfnAlarm(CloudFormationModel):
        def __init__(self, alarm):
            self.alarm = alarm

        @property
        def physical_resource_id(self):
            return self.alarm.name

        @staticmethod
        def cloudformation_name_type():
            return "AlarmName"

        @staticmethod
        def cloudformation_type():
            return "AWS::CloudWatch::Alarm"

        @classmethod
        def has_cfn_attr(cls, attr):
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name):
            return self.alarm.alarm_arn

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name, **kwargs):
            props = cloudformation_json["Properties"]
            problems = check_alarm(props)
            if problems:
                raise _error(f"AWS::CloudWatch::Alarm {kwargs.get('LogicalId')}: " + "; ".join(problems))
            backend = cloudwatch_backends[account_id][region_name]
            alarm = backend.put_metric_alarm(
                name=props.get("AlarmName", resource_name),
                namespace=props["Namespace"],
                metric_name=props["MetricName"],
                comparison_operator=props["ComparisonOperator"],
                evaluation_periods=int(props["EvaluationPeriods"]),
                period=int(props["Period"]),
                threshold=float(props["Threshold"]),
                statistic=props.get("Statistic"),
                extended_statistic=props.get("ExtendedStatistic"),
                description=props.get("AlarmDescription", ""),
                dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in props.get("Dimensions", [])],
                alarm_actions=props.get("AlarmActions", []),
                ok_actions=props.get("OKActions", []),
                insufficient_data_actions=props.get("InsufficientDataActions", []),
                datapoints_to_alarm=int(props["DatapointsToAlarm"]) if "DatapointsToAlarm" in props else None,
                unit=props.get("Unit"),
                actions_enabled=_bool(props.get("ActionsEnabled")),
                treat_missing_data=props.get("TreatMissingData"),
                evaluate_low_sample_count_percentile=props.get("EvaluateLowSampleCountPercentile"),
                tags=props.get("Tags"),
            )
            return cls(alarm)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                            cloudformation_json, account_id, region_name):
            cloudwatch_backends[account_id][region_name].delete_alarms([original_resource.alarm.name])
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                       account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name):
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id, region_name):
            cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])

        def is_created(self):
            return True

    class CfnSubscription(CloudFormationModel):
        def __init__(self, subscription):
            self.subscription = subscription

        @property
        def physical_resource_id(self):
            return self.subscription.arn

        @staticmethod
        def cloudformation_name_type():
            return ""

        @staticmethod
        def cloudformation_type():
            return "AWS::SNS::Subscription"

        @classmethod
        def has_cfn_attr(cls, attr):
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name):
            return self.subscription.arn

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name, **kwargs):
            props = cloudformation_json["Properties"]
            for required in ("TopicArn", "Protocol"):
                if not props.get(required):
                    raise _error(f"AWS::SNS::Subscription {kwargs.get('LogicalId')}: {required} is required")
            backend = sns_backends[account_id][region_name]
            sub = backend.subscribe(props["TopicArn"], props.get("Endpoint", ""), props["Protocol"])
            for attr in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy"):
                if attr in props:
                    value = props[attr]
                    if not isinstance(value, str):
                        import json

                        value = json.dumps(value)
                    backend.set_subscription_attributes(sub.arn, attr, value)
            return cls(sub)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                            cloudformation_json, account_id, region_name):
            sns_backends[account_id][region_name].unsubscribe(original_resource.subscription.arn)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                       account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name):
            pass

        def delete(self, account_id, region_name):
            sns_backends[account_id][region_name].unsubscribe(self.subscription.arn)

        def is_created(self):
            return True

    class CfnEventInvokeConfig(CloudFormationModel):
        def __init__(self, function_name, qualifier):
            self.function_name = function_name
            self.qualifier = qualifier

        @property
        def physical_resource_id(self):
            return f"{self.function_name}:{self.qualifier}"

        @staticmethod
        def cloudformation_name_type():
            return ""

        @staticmethod
        def cloudformation_type():
            return "AWS::Lambda::EventInvokeConfig"

        @classmethod
        def has_cfn_attr(cls, attr):
            return False

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                            region_name, **kwargs):
            props = cloudformation_json["Properties"]
            if not props.get("FunctionName") or not props.get("Qualifier"):
                raise _error(f"AWS::Lambda::EventInvokeConfig {kwargs.get('LogicalId')}: "
                             "FunctionName and Qualifier are required")
            config = {k: props[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds",
                                            "DestinationConfig") if k in props}
            for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
                if k in config:
                    config[k] = int(config[k])
            lambda_backends[account_id][region_name].put_function_event_invoke_config(
                props["FunctionName"], config)
            return cls(props["FunctionName"], props["Qualifier"])

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

    return CfnAlarm, CfnSubscription, CfnEventInvokeConfig


def _policies_as_json():
    import json

    from moto.iam.models import Role
    from moto.iam.policy_validation import IAMPolicyDocumentValidator
    from moto.kms.models import Key

    original_role = Role.create_from_cloudformation_json.__func__

    def create_role(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        for policy in cloudformation_json["Properties"].get("Policies", []):
            doc = policy["PolicyDocument"]
            doc = doc if isinstance(doc, str) else json.dumps(doc)
            try:
                IAMPolicyDocumentValidator(doc).validate()
            except Exception as e:
                raise _error(f"AWS::IAM::Role {kwargs.get('LogicalId')} policy {policy.get('PolicyName')}: "
                             f"{getattr(e, 'message', e)}")
            policy["PolicyDocument"] = doc
        role = original_role(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        # ManagedPolicyArns were dropped: attach each (IAM refuses a policy that does not exist;
        # AWS managed ones exist only when the server serves them, --managed-policies).
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        backend = iam_backends[account_id][get_partition(region_name)]
        for arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
            try:
                backend.attach_role_policy(arn, role.name)
            except Exception as e:
                raise _error(f"AWS::IAM::Role {kwargs.get('LogicalId')} ManagedPolicyArns {arn}: "
                             f"{getattr(e, 'message', e)}")
        return role

    Role.create_from_cloudformation_json = classmethod(create_role)

    original_key = Key.create_from_cloudformation_json.__func__

    def create_key(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        if not isinstance(props.get("KeyPolicy"), str):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"])
        return original_key(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create_key)


def install():
    from moto.awslambda.models import LambdaFunction
    from moto.cloudformation import parsing

    _policies_as_json()

    models = _models()
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()
    known = parsing.get_model_map()
    assert all(m.cloudformation_type() in known for m in models)

    original_class_from_type = parsing.resource_class_from_type

    def strict_class_from_type(resource_type):
        cls = original_class_from_type(resource_type)
        if cls is None and resource_type not in parsing.NULL_MODELS:
            raise _error(f"Template resource type {resource_type} cannot be created by the local AWS "
                         "(moto); the stack would lack it")
        return cls

    parsing.resource_class_from_type = strict_class_from_type

    # clean_json recurses through the module attribute, so nested lists are cleaned as well.
    original_clean_json = parsing.clean_json

    def clean_json(resource_json, resources_map):
        cleaned = original_clean_json(resource_json, resources_map)
        if isinstance(resource_json, list):
            return [v for v in cleaned if v is not None]
        return cleaned

    parsing.clean_json = clean_json

    original_create = LambdaFunction.create_from_cloudformation_json.__func__

    def create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        arch = props.get("Architectures", ["x86_64"])
        if not isinstance(arch, list) or len(arch) != 1 or arch[0] not in ARCHITECTURES:
            raise _error(f"AWS::Lambda::Function {kwargs.get('LogicalId')}: Architectures must be "
                         f"[x86_64] or [arm64], not {arch!r}")
        fn = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        fn.architectures = list(arch)
        fn.lakewarden_dead_letter_config = props.get("DeadLetterConfig")
        fn.lakewarden_logging_config = props.get("LoggingConfig")
        return fn

    LambdaFunction.create_from_cloudformation_json = classmethod(create_function)

    original_configuration = LambdaFunction.get_configuration

    def get_configuration(self, on_create=False):
        config = original_configuration(self, on_create)
        dlq = getattr(self, "lakewarden_dead_letter_config", None)
        if dlq:
            config["DeadLetterConfig"] = dlq
        logging = getattr(self, "lakewarden_logging_config", None)
        if logging:
            config["LoggingConfig"] = {
                "LogFormat": logging.get("LogFormat", "Text"),
                "LogGroup": logging.get("LogGroup", f"/aws/lambda/{self.function_name}"),
                **{k: logging[k] for k in ("ApplicationLogLevel", "SystemLogLevel") if k in logging},
            }
        return config

    LambdaFunction.get_configuration = get_configuration
