"""Glue zero-ETL integration APIs (glue_integrations.py)."""
import json
import urllib.request

import botocore.exceptions
import pytest


def test_integration_lifecycle_seen_from_both_sides(server, account):
    source, target = account, f"{int(account) + 10:012d}"
    src, tgt = server.client("glue", source), server.client("glue", target)
    table = f"arn:aws:dynamodb:us-east-1:{source}:table/cm-kasama-test-transactions"
    db = f"arn:aws:glue:us-east-1:{target}:database/cm_kasama_zero_etl_db"
    made = src.create_integration(IntegrationName="cm-kasama-cross-account-dynamodb-glue", SourceArn=table, TargetArn=db)
    assert made["Status"] == "CREATING"
    arn = made["IntegrationArn"]
    assert arn.startswith(f"arn:aws:glue:us-east-1:{source}:integration:")
    listed = src.describe_integrations()["Integrations"]
    assert [(i["IntegrationArn"], i["SourceArn"], i["TargetArn"]) for i in listed] == [(arn, table, db)]
    inbound = tgt.describe_inbound_integrations()["InboundIntegrations"]
    assert [(i["IntegrationArn"], i["Status"]) for i in inbound] == [(arn, "CREATING")]
    assert tgt.describe_integrations()["Integrations"] == []
    # A test moves it to FAILED with errors.
    body = {"integration_arn": arn, "status": "FAILED",
            "errors": [{"ErrorCode": "AccessDenied", "ErrorMessage": "no table policy"}]}
    req = urllib.request.Request(server.endpoint + "/lakewarden-test/integrations/status", method="POST",
                                 data=json.dumps(body).encode())
    assert urllib.request.urlopen(req).status == 200
    i = src.describe_integrations(IntegrationIdentifier=arn)["Integrations"][0]
    assert (i["Status"], i["Errors"]) == ("FAILED", body["errors"])
    assert tgt.describe_inbound_integrations(IntegrationArn=arn)["InboundIntegrations"][0]["Status"] == "FAILED"
    src.delete_integration(IntegrationIdentifier=arn)
    assert src.describe_integrations()["Integrations"] == []
    assert tgt.describe_inbound_integrations()["InboundIntegrations"] == []


def test_integration_resource_property(server, account):
    glue = server.client("glue", account)
    db = f"arn:aws:glue:us-east-1:{account}:database/zetl"
    role = f"arn:aws:iam::{account}:role/zetl-target"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        glue.get_integration_resource_property(ResourceArn=db)
    assert e.value.response["Error"]["Code"] == "EntityNotFoundException"
    glue.create_integration_resource_property(ResourceArn=db, TargetProcessingProperties={"RoleArn": role})
    assert glue.get_integration_resource_property(ResourceArn=db)["TargetProcessingProperties"]["RoleArn"] == role
    with pytest.raises(botocore.exceptions.ClientError):
        glue.create_integration_resource_property(ResourceArn=db, TargetProcessingProperties={"RoleArn": role})
    glue.update_integration_resource_property(ResourceArn=db, TargetProcessingProperties={"RoleArn": role + "2"})
    assert glue.get_integration_resource_property(ResourceArn=db)["TargetProcessingProperties"]["RoleArn"] == role + "2"


def _post(server, path, body=None):
    req = urllib.request.Request(server.endpoint + path, method="POST", data=json.dumps(body or {}).encode())
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code


def test_inbound_filters_unknown_integrations_and_reset(server, account):
    source, target = account, f"{int(account) + 20:012d}"
    src, tgt = server.client("glue", source), server.client("glue", target)
    db1 = f"arn:aws:glue:us-east-1:{target}:database/one"
    db2 = f"arn:aws:glue:us-east-1:{target}:database/two"
    table = f"arn:aws:dynamodb:us-east-1:{source}:table/t"
    a = src.create_integration(IntegrationName="a", SourceArn=table, TargetArn=db1)["IntegrationArn"]
    src.create_integration(IntegrationName="b", SourceArn=table, TargetArn=db2)
    assert len(tgt.describe_inbound_integrations()["InboundIntegrations"]) == 2
    only = tgt.describe_inbound_integrations(TargetArn=db1)["InboundIntegrations"]
    assert [i["IntegrationArn"] for i in only] == [a]
    assert [i["IntegrationName"] for i in src.describe_integrations(IntegrationIdentifier="a")["Integrations"]] == ["a"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        src.describe_integrations(IntegrationIdentifier="nope")
    assert e.value.response["Error"]["Code"] == "EntityNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        src.delete_integration(IntegrationIdentifier="nope")
    assert e.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert _post(server, "/lakewarden-test/integrations/status",
                 {"integration_arn": a.replace(source, "000000000000"), "status": "ACTIVE"}) == 404
    tgt.create_integration_resource_property(ResourceArn=db1, TargetProcessingProperties={"RoleArn": "r"})
    # Extension state lives on moto's backends: a reset clears it.
    assert _post(server, "/moto-api/reset") == 200
    assert src.describe_integrations()["Integrations"] == []
    assert tgt.describe_inbound_integrations()["InboundIntegrations"] == []
    with pytest.raises(botocore.exceptions.ClientError):
        tgt.get_integration_resource_property(ResourceArn=db1)
