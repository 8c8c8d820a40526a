//! What functions remember between runs, in one DynamoDB table (`pk` string key).
//!
//! Each item holds a JSON document and a version number; writes are conditional on the version
//! read, so two overlapping runs cannot both record (and act on) the same transition.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde_json::Value;

use crate::aws::{AwsError, AwsResult};

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

    pub async fn get(&self, pk: &str) -> AwsResult<Option<Record>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_string()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item().map(parse_item))
    }

    /// Every record whose key starts with `prefix` (a scan: the table is small).
    pub async fn scan_prefix(&self, prefix: &str) -> AwsResult<Vec<(String, Record)>> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :p)")
                .expression_attribute_values(":p", AttributeValue::S(prefix.to_string()))
                .set_exclusive_start_key(start.clone())
                .consistent_read(true)
                .send()
                .await?;
            for item in page.items() {
                if let Some(AttributeValue::S(pk)) = item.get("pk") {
                    out.push((pk.clone(), parse_item(item)));
                }
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Write `data` if the stored version is still `expected` (None = no item yet).
    /// Returns false when another writer got there first.
    pub async fn put_if(&self, pk: &str, data: &Value, expected: Option<u64>) -> AwsResult<bool> {
        let next = expected.map(|v| v + 1).unwrap_or(1);
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(pk.to_string()))
            .item("data", AttributeValue::S(data.to_string()))
            .item("version", AttributeValue::N(next.to_string()));
        req = match expected {
            None => req.condition_expression("attribute_not_exists(pk)"),
            Some(v) => req
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = AwsError::from(e);
                if e.is_code("ConditionalCheckFailedException") {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
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
