//! Adapter behaviour moto cannot show, against mocked SDK clients (aws-smithy-mocks): per-entry
//! failures of Lake Formation batches mapped back to their grants, chunking at 20 entries,
//! not-found → `None`, conditional-write failure → `false`, paginators stopping on an empty or
//! repeated token, and the error classification of what the SDK returns.

use std::sync::{Arc, Mutex};

use aws_smithy_mocks::{mock, mock_client, RuleMode};
use lakewarden::aws::{self, AwsError, ErrorClass};
use lakewarden::lf::{LfGrant, LfResource};

fn meta(code: &str, message: &str) -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .message(message)
        .build()
}

// ---------------------------------------------------------------- Lake Formation batches

mod lf {
    use super::*;
    use aws_sdk_lakeformation::operation::batch_grant_permissions::{
        BatchGrantPermissionsError, BatchGrantPermissionsOutput,
    };
    use aws_sdk_lakeformation::operation::batch_revoke_permissions::BatchRevokePermissionsOutput;
    use aws_sdk_lakeformation::types::{
        BatchPermissionsFailureEntry, BatchPermissionsRequestEntry, ErrorDetail,
    };
    use aws_sdk_lakeformation::Client;

    /// Grant `i`: table `t{i}` to one consumer account.
    fn grants(n: usize) -> Vec<LfGrant> {
        (0..n)
            .map(|i| {
                LfGrant::new(
                    "222222222222",
                    LfResource::Table {
                        catalog_id: "111111111111".into(),
                        database: "sales".into(),
                        name: format!("t{i}"),
                    },
                    ["SELECT", "DESCRIBE"],
                    false,
                )
            })
            .collect()
    }

    fn table_of(e: &BatchPermissionsRequestEntry) -> String {
        e.resource()
            .and_then(|r| r.table())
            .and_then(|t| t.name())
            .unwrap_or_default()
            .to_string()
    }

    fn failure(e: &BatchPermissionsRequestEntry, code: &str) -> BatchPermissionsFailureEntry {
        BatchPermissionsFailureEntry::builder()
            .request_entry(e.clone())
            .error(
                ErrorDetail::builder()
                    .error_code(code)
                    .error_message(format!("{code} for {}", table_of(e)))
                    .build(),
            )
            .build()
    }

    /// Answers every BatchGrantPermissions call with a failure for the entries whose table is in
    /// `failing`, and records the tables each call carried.
    fn failing_grants(
        failing: &'static [&'static str],
        calls: Arc<Mutex<Vec<Vec<String>>>>,
    ) -> aws_smithy_mocks::Rule {
        mock!(Client::batch_grant_permissions)
            .match_requests(move |req| {
                calls
                    .lock()
                    .unwrap()
                    .push(req.entries().iter().map(table_of).collect());
                true
            })
            .then_compute_output(move |req| {
                let failures = req
                    .entries()
                    .iter()
                    .filter(|e| failing.contains(&table_of(e).as_str()))
                    .map(|e| failure(e, "InvalidInputException"))
                    .collect();
                BatchGrantPermissionsOutput::builder()
                    .set_failures(Some(failures))
                    .build()
            })
    }

    #[tokio::test]
    async fn failures_at_0_7_19_of_a_full_batch_map_back_to_their_grants() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let rule = failing_grants(&["t0", "t7", "t19"], calls.clone());
        let client = mock_client!(aws_sdk_lakeformation, RuleMode::MatchAny, &[&rule]);
        let gs = grants(20);
        let results = aws::lakeformation::batch_grant(&client, "111111111111", &gs).await;

        assert_eq!(rule.num_calls(), 1, "20 entries are one call");
        assert_eq!(calls.lock().unwrap()[0].len(), 20);
        assert_eq!(results.len(), 20);
        for (i, r) in results.iter().enumerate() {
            match i {
                0 | 7 | 19 => {
                    let e = r.as_ref().unwrap_err();
                    assert_eq!(e.code.as_deref(), Some("InvalidInputException"));
                    // The message AWS gave for that entry, and the grant it belongs to.
                    assert_eq!(e.message, format!("InvalidInputException for t{i}"));
                    let resource = e.resource.as_deref().unwrap();
                    assert_eq!(resource, format!("Lake Formation grant {}", gs[i]));
                    assert_eq!(e.class(), ErrorClass::Permanent);
                }
                _ => assert!(r.is_ok(), "entry {i}: {r:?}"),
            }
        }
    }

    #[tokio::test]
    async fn forty_five_entries_are_sent_as_20_20_5_and_failures_map_across_chunks() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let rule = failing_grants(&["t3", "t20", "t44"], calls.clone());
        let client = mock_client!(aws_sdk_lakeformation, RuleMode::MatchAny, &[&rule]);
        let gs = grants(45);
        let results = aws::lakeformation::batch_grant(&client, "111111111111", &gs).await;

        let calls = calls.lock().unwrap();
        let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
        assert_eq!(sizes, [20, 20, 5]);
        // In order, each grant exactly once.
        let sent: Vec<String> = calls.iter().flatten().cloned().collect();
        let expected: Vec<String> = (0..45).map(|i| format!("t{i}")).collect();
        assert_eq!(sent, expected);

        let failed: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_err())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(failed, [3, 20, 44]);
        assert_eq!(
            results[44].as_ref().unwrap_err().message,
            "InvalidInputException for t44"
        );
    }

    #[tokio::test]
    async fn a_failed_call_fails_only_its_own_chunk() {
        // First chunk succeeds, the second call is refused as a whole, the third succeeds.
        let ok = || BatchGrantPermissionsOutput::builder().build();
        let rule = mock!(Client::batch_grant_permissions)
            .sequence()
            .output(ok)
            .error(|| {
                BatchGrantPermissionsError::generic(meta(
                    "AccessDeniedException",
                    "not an LF admin",
                ))
            })
            .output(ok)
            .build();
        let client = mock_client!(aws_sdk_lakeformation, RuleMode::Sequential, &[&rule]);
        let gs = grants(45);
        let results = aws::lakeformation::batch_grant(&client, "111111111111", &gs).await;
        assert_eq!(rule.num_calls(), 3);
        for (i, r) in results.iter().enumerate() {
            if (20..40).contains(&i) {
                let e = r.as_ref().unwrap_err();
                assert!(e.is_code("AccessDeniedException"));
                assert_eq!(e.class(), ErrorClass::NeedsPerson);
                assert!(e.resource.as_deref().unwrap().contains(&format!("t{i}")));
            } else {
                assert!(r.is_ok(), "entry {i}");
            }
        }
    }

    #[tokio::test]
    async fn a_failure_naming_no_entry_leaves_no_grant_of_its_chunk_reported_applied() {
        let rule = mock!(Client::batch_grant_permissions).then_compute_output(|req| {
            if table_of(&req.entries()[0]) == "t0" {
                // A failure whose request entry has an id lakewarden never sent.
                let foreign = BatchPermissionsRequestEntry::builder()
                    .id("not-ours")
                    .build()
                    .unwrap();
                BatchGrantPermissionsOutput::builder()
                    .failures(failure(&foreign, "InternalServiceException"))
                    .build()
            } else {
                BatchGrantPermissionsOutput::builder().build()
            }
        });
        let client = mock_client!(aws_sdk_lakeformation, RuleMode::MatchAny, &[&rule]);
        let gs = grants(25);
        let results = aws::lakeformation::batch_grant(&client, "111111111111", &gs).await;
        assert!(results[..20].iter().all(|r| r.is_err()));
        assert!(results[20..].iter().all(|r| r.is_ok()));
        let e = results[5].as_ref().unwrap_err();
        assert!(e.message.contains("outcome is unknown"), "{e}");
        assert!(e.is_transient());
    }

    #[tokio::test]
    async fn revoke_failures_map_back_too() {
        let rule = mock!(Client::batch_revoke_permissions).then_compute_output(|req| {
            let failures = req
                .entries()
                .iter()
                .filter(|e| table_of(e) == "t1")
                .map(|e| failure(e, "EntityNotFoundException"))
                .collect();
            BatchRevokePermissionsOutput::builder()
                .set_failures(Some(failures))
                .build()
        });
        let client = mock_client!(aws_sdk_lakeformation, RuleMode::MatchAny, &[&rule]);
        let results = aws::lakeformation::batch_revoke(&client, "111111111111", &grants(3)).await;
        assert!(results[0].is_ok() && results[2].is_ok());
        let e = results[1].as_ref().unwrap_err();
        assert!(
            e.is_not_found(),
            "a revoke of what is gone is 'already' for the driver"
        );
        assert_eq!(e.class(), ErrorClass::NotFound);
    }

    #[tokio::test]
    async fn an_empty_batch_sends_nothing() {
        let rule = mock!(Client::batch_grant_permissions)
            .then_output(|| BatchGrantPermissionsOutput::builder().build());
        let client = mock_client!(aws_sdk_lakeformation, RuleMode::MatchAny, &[&rule]);
        assert!(aws::lakeformation::batch_grant(&client, "1", &[])
            .await
            .is_empty());
        assert_eq!(rule.num_calls(), 0);
    }
}

// ---------------------------------------------------------------- not found → None

mod not_found {
    use super::*;

    #[tokio::test]
    async fn s3_bucket_policy() {
        use aws_sdk_s3::operation::get_bucket_policy::{
            GetBucketPolicyError, GetBucketPolicyOutput,
        };
        use aws_sdk_s3::Client;
        let rule = mock!(Client::get_bucket_policy)
            .sequence()
            .error(|| {
                GetBucketPolicyError::generic(meta(
                    "NoSuchBucketPolicy",
                    "The bucket policy does not exist",
                ))
            })
            .error(|| GetBucketPolicyError::generic(meta("AccessDenied", "Access Denied")))
            .output(|| GetBucketPolicyOutput::builder().policy("{}").build())
            .build();
        let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&rule]);
        assert_eq!(
            aws::s3::get_bucket_policy(&client, "b").await.unwrap(),
            None
        );
        let e = aws::s3::get_bucket_policy(&client, "b").await.unwrap_err();
        assert_eq!(e.class(), ErrorClass::NeedsPerson);
        assert_eq!(
            e.to_string(),
            "AccessDenied: Access Denied (on policy of S3 bucket b)"
        );
        assert_eq!(
            aws::s3::get_bucket_policy(&client, "b")
                .await
                .unwrap()
                .as_deref(),
            Some("{}")
        );
    }

    #[tokio::test]
    async fn iam_role_policy_and_role() {
        use aws_sdk_iam::operation::get_role::GetRoleError;
        use aws_sdk_iam::operation::get_role_policy::GetRolePolicyError;
        use aws_sdk_iam::Client;
        let p = mock!(Client::get_role_policy).then_error(|| {
            GetRolePolicyError::generic(meta(
                "NoSuchEntity",
                "The role policy with name x cannot be found.",
            ))
        });
        let r = mock!(Client::get_role).then_error(|| {
            GetRoleError::generic(meta(
                "NoSuchEntity",
                "The role with name r cannot be found.",
            ))
        });
        let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[&p, &r]);
        assert_eq!(
            aws::iam::get_role_policy(&client, "r", "x").await.unwrap(),
            None
        );
        assert_eq!(aws::iam::get_role(&client, "r").await.unwrap(), None);
    }

    #[tokio::test]
    async fn glue_table_database_and_catalog_policy() {
        use aws_sdk_glue::operation::get_database::GetDatabaseError;
        use aws_sdk_glue::operation::get_resource_policy::GetResourcePolicyError;
        use aws_sdk_glue::operation::get_table::GetTableError;
        use aws_sdk_glue::operation::get_tables::GetTablesError;
        use aws_sdk_glue::Client;
        let t = mock!(Client::get_table).then_error(|| {
            GetTableError::generic(meta("EntityNotFoundException", "Table t not found."))
        });
        let ts = mock!(Client::get_tables).then_error(|| {
            GetTablesError::generic(meta("EntityNotFoundException", "Database d not found."))
        });
        let d = mock!(Client::get_database).then_error(|| {
            GetDatabaseError::generic(meta("EntityNotFoundException", "Database d not found."))
        });
        let p = mock!(Client::get_resource_policy).then_error(|| {
            GetResourcePolicyError::generic(meta("EntityNotFoundException", "Policy not found"))
        });
        let client = mock_client!(aws_sdk_glue, RuleMode::MatchAny, &[&t, &ts, &d, &p]);
        assert_eq!(
            aws::glue::get_table(&client, None, "d", "t").await.unwrap(),
            None
        );
        assert_eq!(
            aws::glue::get_tables(&client, None, "d").await.unwrap(),
            vec![]
        );
        assert_eq!(
            aws::glue::get_database(&client, Some("1"), "d")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            aws::glue_policy::get_catalog_policy(&client).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn dynamodb_table_and_resource_policy() {
        use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
        use aws_sdk_dynamodb::operation::get_resource_policy::GetResourcePolicyError;
        use aws_sdk_dynamodb::Client;
        let t = mock!(Client::describe_table).then_error(|| {
            DescribeTableError::generic(meta(
                "ResourceNotFoundException",
                "Requested resource not found",
            ))
        });
        let p = mock!(Client::get_resource_policy).then_error(|| {
            GetResourcePolicyError::generic(meta(
                "PolicyNotFoundException",
                "Resource-based policy not found",
            ))
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&t, &p]);
        assert_eq!(aws::dynamodb::table_arn(&client, "t").await.unwrap(), None);
        assert_eq!(
            aws::dynamodb::get_resource_policy(&client, "arn:aws:dynamodb:us-east-1:1:table/t")
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn other_errors_stay_errors_naming_the_resource() {
        use aws_sdk_glue::operation::get_table::GetTableError;
        use aws_sdk_glue::Client;
        let t = mock!(Client::get_table).then_error(|| {
            GetTableError::generic(meta("AccessDeniedException", "no glue:GetTable"))
        });
        let client = mock_client!(aws_sdk_glue, RuleMode::MatchAny, &[&t]);
        let e = aws::glue::get_table(&client, Some("111111111111"), "d", "t")
            .await
            .unwrap_err();
        assert_eq!(e.resource.as_deref(), Some("Glue table 111111111111:d.t"));
        assert_eq!(e.class(), ErrorClass::NeedsPerson);
    }
}

// ---------------------------------------------------------------- conditional writes → false

mod conditional {
    use super::*;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use lakewarden::state::StateStore;

    #[tokio::test]
    async fn state_put_if_lost_race_is_false_and_condition_is_sent() {
        use aws_sdk_dynamodb::Client;
        let rule = mock!(Client::put_item)
            .match_requests(|req| {
                req.table_name() == Some("lakewarden-state")
                    && req.condition_expression() == Some("version = :v")
                    && req.expression_attribute_values().and_then(|v| v.get(":v"))
                        == Some(&AttributeValue::N("3".into()))
                    && req.item().and_then(|i| i.get("version"))
                        == Some(&AttributeValue::N("4".into()))
            })
            .sequence()
            .error(|| {
                PutItemError::generic(meta(
                    "ConditionalCheckFailedException",
                    "The conditional request failed",
                ))
            })
            .output(|| PutItemOutput::builder().build())
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&rule]);
        let store = StateStore::new(client, "lakewarden-state");
        let data = serde_json::json!({"status": "ACTIVE"});
        assert!(!store.put_if("monitor#x", &data, Some(3)).await.unwrap());
        assert!(store.put_if("monitor#x", &data, Some(3)).await.unwrap());
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test]
    async fn state_put_if_new_item_requires_absence() {
        use aws_sdk_dynamodb::Client;
        let rule = mock!(Client::put_item)
            .match_requests(|req| {
                req.condition_expression() == Some("attribute_not_exists(pk)")
                    && req.item().and_then(|i| i.get("version"))
                        == Some(&AttributeValue::N("1".into()))
            })
            .then_error(|| {
                PutItemError::generic(meta(
                    "ConditionalCheckFailedException",
                    "The conditional request failed",
                ))
            });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&rule]);
        let store = StateStore::new(client, "lakewarden-state");
        assert!(!store
            .put_if("k", &serde_json::json!(1), None)
            .await
            .unwrap());
    }

    /// Issue 9: a missing state table was reported as ResourceNotFoundException on the exported
    /// table. Errors of the state table now name the state table.
    #[tokio::test]
    async fn a_missing_state_table_is_named_as_such() {
        use aws_sdk_dynamodb::operation::get_item::GetItemError;
        use aws_sdk_dynamodb::operation::scan::ScanError;
        use aws_sdk_dynamodb::Client;
        let nf = || meta("ResourceNotFoundException", "Requested resource not found");
        let p = mock!(Client::put_item).then_error(move || PutItemError::generic(nf()));
        let g = mock!(Client::get_item).then_error(move || GetItemError::generic(nf()));
        let s = mock!(Client::scan).then_error(move || ScanError::generic(nf()));
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&p, &g, &s]);
        let store = StateStore::new(client, "lakewarden-state");
        let errors = [
            store
                .put_if("export#t", &serde_json::json!(1), None)
                .await
                .unwrap_err(),
            store.get("export#t").await.unwrap_err(),
            store.scan_prefix("export#").await.unwrap_err(),
        ];
        for e in errors {
            assert_eq!(
                e.to_string(),
                "ResourceNotFoundException: Requested resource not found \
                 (on lakewarden state table lakewarden-state (DynamoDB))"
            );
            assert_eq!(e.class(), ErrorClass::NotFound);
        }
    }

    #[tokio::test]
    async fn dynamodb_policy_revision_mismatch_is_false() {
        use aws_sdk_dynamodb::operation::put_resource_policy::{
            PutResourcePolicyError, PutResourcePolicyOutput,
        };
        use aws_sdk_dynamodb::Client;
        let rule = mock!(Client::put_resource_policy)
            .match_requests(|req| req.expected_revision_id() == Some("1700000000000"))
            .sequence()
            .error(|| {
                PutResourcePolicyError::generic(meta(
                    "PolicyNotFoundException",
                    "Resource-based policy not found for the provided ResourceArn: the revision id does not match",
                ))
            })
            .output(|| PutResourcePolicyOutput::builder().revision_id("1700000000001").build())
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&rule]);
        let arn = "arn:aws:dynamodb:us-east-1:111111111111:table/t";
        assert!(
            !aws::dynamodb::put_resource_policy_if(&client, arn, "{}", Some("1700000000000"))
                .await
                .unwrap()
        );
        assert!(
            aws::dynamodb::put_resource_policy_if(&client, arn, "{}", Some("1700000000000"))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn dynamodb_policy_without_revision_sends_no_policy() {
        use aws_sdk_dynamodb::operation::put_resource_policy::PutResourcePolicyOutput;
        use aws_sdk_dynamodb::Client;
        let rule = mock!(Client::put_resource_policy)
            .match_requests(|req| req.expected_revision_id() == Some("NO_POLICY"))
            .then_output(|| PutResourcePolicyOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&rule]);
        assert!(
            aws::dynamodb::put_resource_policy_if(&client, "arn", "{}", None)
                .await
                .unwrap()
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn glue_catalog_policy_hash_mismatch_is_false() {
        use aws_sdk_glue::operation::put_resource_policy::{
            PutResourcePolicyError, PutResourcePolicyOutput,
        };
        use aws_sdk_glue::types::ExistCondition;
        use aws_sdk_glue::Client;
        let rule = mock!(Client::put_resource_policy)
            .match_requests(|req| {
                req.policy_hash_condition() == Some("h1")
                    && req.policy_exists_condition() == Some(&ExistCondition::MustExist)
            })
            .sequence()
            .error(|| {
                PutResourcePolicyError::generic(meta(
                    "ConditionCheckFailureException",
                    "A specified condition was not satisfied",
                ))
            })
            .output(|| PutResourcePolicyOutput::builder().policy_hash("h2").build())
            .build();
        let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, &[&rule]);
        assert!(
            !aws::glue_policy::put_catalog_policy_if(&client, "{}", Some("h1"))
                .await
                .unwrap()
        );
        assert!(
            aws::glue_policy::put_catalog_policy_if(&client, "{}", Some("h1"))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn other_write_errors_stay_errors() {
        use aws_sdk_glue::operation::put_resource_policy::PutResourcePolicyError;
        use aws_sdk_glue::Client;
        let rule = mock!(Client::put_resource_policy).then_error(|| {
            PutResourcePolicyError::generic(meta("InvalidInputException", "Policy is malformed"))
        });
        let client = mock_client!(aws_sdk_glue, RuleMode::MatchAny, &[&rule]);
        let e = aws::glue_policy::put_catalog_policy_if(&client, "{", None)
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Permanent);
        assert_eq!(
            e.resource.as_deref(),
            Some("the Glue Data Catalog resource policy")
        );
    }
}

// ---------------------------------------------------------------- paginators

mod pagination {
    use super::*;
    use aws_sdk_glue::operation::get_databases::GetDatabasesOutput;
    use aws_sdk_glue::types::Database;
    use aws_sdk_glue::Client;

    fn page(names: &[&str], token: Option<&str>) -> GetDatabasesOutput {
        GetDatabasesOutput::builder()
            .set_database_list(Some(
                names
                    .iter()
                    .map(|n| Database::builder().name(*n).build().unwrap())
                    .collect(),
            ))
            .set_next_token(token.map(String::from))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn an_empty_next_token_ends_the_listing() {
        // moto answers `"NextToken": ""` on the last page.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let rule = mock!(Client::get_databases)
            .match_requests(move |req| {
                s.lock().unwrap().push(req.next_token().map(String::from));
                true
            })
            .sequence()
            .output(|| page(&["a"], Some("t1")))
            .output(|| page(&["b"], Some("")))
            .output(|| page(&["never"], None))
            .build();
        let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, &[&rule]);
        let dbs = aws::glue::get_databases(&client, None).await.unwrap();
        let names: Vec<&str> = dbs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(*seen.lock().unwrap(), [None, Some("t1".to_string())]);
    }

    #[tokio::test]
    async fn a_repeated_next_token_ends_the_listing() {
        let rule = mock!(Client::get_databases)
            .sequence()
            .output(|| page(&["a"], Some("t1")))
            .output(|| page(&["b"], Some("t1")))
            .output(|| page(&["never"], None))
            .build();
        let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, &[&rule]);
        let dbs = aws::glue::get_databases(&client, None).await.unwrap();
        assert_eq!(dbs.len(), 2);
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test]
    async fn integrations_without_a_paginator_stop_on_an_empty_marker() {
        use aws_sdk_glue::operation::describe_integrations::DescribeIntegrationsOutput;
        use aws_sdk_glue::types::{Integration, IntegrationStatus};
        let integration = |arn: &str| {
            Integration::builder()
                .integration_arn(arn)
                .integration_name("n")
                .source_arn("s")
                .target_arn("t")
                .status(IntegrationStatus::Active)
                .create_time(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap()
        };
        let rule = mock!(Client::describe_integrations)
            .sequence()
            .output(move || {
                DescribeIntegrationsOutput::builder()
                    .integrations(integration("i1"))
                    .marker("m1")
                    .build()
            })
            .output(move || {
                DescribeIntegrationsOutput::builder()
                    .integrations(integration("i2"))
                    .marker("")
                    .build()
            })
            .build();
        let client = mock_client!(aws_sdk_glue, RuleMode::Sequential, &[&rule]);
        let all = aws::glue_integrations::describe_integrations(&client)
            .await
            .unwrap();
        let arns: Vec<&str> = all.iter().map(|i| i.arn.as_str()).collect();
        assert_eq!(arns, ["i1", "i2"]);
        assert_eq!(rule.num_calls(), 2);
    }
}

// ---------------------------------------------------------------- classification of SDK errors

mod classification {
    use super::*;
    use aws_sdk_sns::operation::publish::PublishError;
    use aws_sdk_sns::Client;

    #[tokio::test]
    async fn a_5xx_answer_is_transient() {
        let rule = mock!(Client::publish)
            .sequence()
            .http_status(503, None)
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_sns, RuleMode::MatchAny, &[&rule]);
        let e = aws::sns::publish(&client, "arn:aws:sns:us-east-1:1:t", "s", "b")
            .await
            .unwrap_err();
        assert_eq!(e.origin, aws::Origin::Service { status: 503 });
        assert_eq!(e.class(), ErrorClass::Transient);
        assert_eq!(
            e.resource.as_deref(),
            Some("SNS topic arn:aws:sns:us-east-1:1:t")
        );
    }

    #[tokio::test]
    async fn throttling_and_authorization_codes() {
        let rule = mock!(Client::publish)
            .sequence()
            .error(|| PublishError::generic(meta("AuthorizationError", "not allowed")))
            .build();
        let client = mock_client!(aws_sdk_sns, RuleMode::Sequential, &[&rule]);
        let e = aws::sns::publish(&client, "t", "s", "b").await.unwrap_err();
        assert_eq!(e.class(), ErrorClass::NeedsPerson);

        let c = |code: &str| AwsError::new(Some(code), "m").class();
        assert_eq!(c("ThrottlingException"), ErrorClass::Transient);
        assert_eq!(c("Throttling"), ErrorClass::Transient);
        assert_eq!(c("InternalServiceException"), ErrorClass::Transient);
        assert_eq!(c("ConcurrentModificationException"), ErrorClass::Transient);
        assert_eq!(c("AccessDenied"), ErrorClass::NeedsPerson);
        assert_eq!(c("AccessDeniedException"), ErrorClass::NeedsPerson);
        assert_eq!(c("UnauthorizedOperation"), ErrorClass::NeedsPerson);
        assert_eq!(c("ExpiredToken"), ErrorClass::NeedsPerson);
        assert_eq!(c("ValidationException"), ErrorClass::Permanent);
        assert_eq!(c("InvalidInputException"), ErrorClass::Permanent);
        assert_eq!(c("MalformedPolicyDocument"), ErrorClass::Permanent);
        assert_eq!(c("EntityNotFoundException"), ErrorClass::NotFound);
        assert_eq!(c("NoSuchEntity"), ErrorClass::NotFound);
    }
}
