//! What functions remember between runs, in one DynamoDB table (`pk` string key).
//!
//! Each item holds a JSON document and a version number; writes are conditional on the version
//! read, so two overlapping runs cannot both record (and act on) the same transition.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde_json::Value;

use crate::aws::AwsResult;

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub data: Value,
    pub version: u64,
}

#[derive(Debug, Clone)]
pub struct StateStore {
    pub client: Client,
    pub table: String,
}

impl StateStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        StateStore {
            client,
            table: table.into(),
        }
    }

    /// Errors name the state table (not the table or resource the function works on).
    pub async fn get(&self, pk: &str) -> AwsResult<Option<Record>> {
        let item = crate::aws::dynamodb::state_get(&self.client, &self.table, pk).await?;
        Ok(item.as_ref().map(parse_item))
    }

    /// Every record whose key starts with `prefix` (a scan: the table is small).
    pub async fn scan_prefix(&self, prefix: &str) -> AwsResult<Vec<(String, Record)>> {
        let items =
            crate::aws::dynamodb::state_scan_prefix(&self.client, &self.table, prefix).await?;
        Ok(items
            .iter()
            .filter_map(|item| match item.get("pk") {
                Some(AttributeValue::S(pk)) => Some((pk.clone(), parse_item(item))),
                _ => None,
            })
            .collect())
    }

    /// Write `data` if the stored version is still `expected` (None = no item yet).
    /// Returns false when another writer got there first.
    pub async fn put_if(&self, pk: &str, data: &Value, expected: Option<u64>) -> AwsResult<bool> {
        let next = expected.map(|v| v + 1).unwrap_or(1);
        let item = HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.to_string())),
            ("data".to_string(), AttributeValue::S(data.to_string())),
            ("version".to_string(), AttributeValue::N(next.to_string())),
        ]);
        crate::aws::dynamodb::state_put_if(&self.client, &self.table, item, expected).await
    }
}

fn parse_item(item: &HashMap<String, AttributeValue>) -> Record {
    let data = match item.get("data") {
        Some(AttributeValue::S(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let version = match item.get("version") {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    Record { data, version }
}
