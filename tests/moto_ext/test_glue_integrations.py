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
