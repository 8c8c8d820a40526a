//! EventBridge events the functions react to, parsed strictly before anything is read or written.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

pub const GLUE_SOURCE: &str = "aws.glue";
pub const GLUE_DATABASE_CHANGE: &str = "Glue Data Catalog Database State Change";
pub const GLUE_TABLE_CHANGE: &str = "Glue Data Catalog Table State Change";
pub const SCHEDULE_SOURCE: &str = "aws.events";
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

/// An event the function cannot understand. Nothing has been read or written when it is returned.
#[derive(Debug, Clone, PartialEq)]
pub struct EventError(pub String);

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed event: {}", self.0)
    }
}
impl std::error::Error for EventError {}

/// The EventBridge envelope with the detail left as JSON.
pub type Envelope = EventBridgeEvent<Value>;

pub fn envelope(v: &Value) -> Result<Envelope, EventError> {
    if !v.is_object() {
        return Err(EventError(format!(
            "expected an EventBridge event (a JSON object with source, detail-type and detail), got {}",
            short(v)
        )));
    }
    serde_json::from_value::<Envelope>(v.clone()).map_err(|e| {
        EventError(format!(
            "not an EventBridge event ({e}); expected keys source, detail-type, detail"
        ))
    })
}

/// Parse the detail into `T`, naming the event kind in the error.
pub fn detail<T: DeserializeOwned>(env: &Envelope) -> Result<T, EventError> {
    serde_json::from_value::<T>(env.detail.clone())
        .map_err(|e| EventError(format!("`{}` detail: {e}", env.detail_type)))
}

/// The first 80 characters of the value as JSON (never splits a character).
fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s,
    }
}

/// `Glue Data Catalog Database State Change`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GlueDatabaseChange {
    pub database_name: String,
    pub type_of_change: String,
    #[serde(default)]
    pub changed_tables: Vec<String>,
}

/// `Glue Data Catalog Table State Change`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GlueTableChange {
    pub database_name: String,
    pub table_name: String,
    pub type_of_change: String,
    #[serde(default)]
    pub changed_partitions: Vec<String>,
}

/// The Glue catalog events, in one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct GlueChange {
    pub database: String,
    pub type_of_change: String,
    pub tables: Vec<String>,
}

/// Parse a Glue Data Catalog event; `Ok(None)` when the event is not one.
pub fn glue_change(env: &Envelope) -> Result<Option<GlueChange>, EventError> {
    if env.source != GLUE_SOURCE {
        return Ok(None);
    }
    let change = match env.detail_type.as_str() {
        GLUE_DATABASE_CHANGE => {
            let d: GlueDatabaseChange = detail(env)?;
            GlueChange {
                database: d.database_name,
                type_of_change: d.type_of_change,
                tables: d.changed_tables,
            }
        }
        GLUE_TABLE_CHANGE => {
            let d: GlueTableChange = detail(env)?;
            GlueChange {
                database: d.database_name,
                type_of_change: d.type_of_change,
                tables: vec![d.table_name],
            }
        }
        _ => return Ok(None),
    };
    if change.database.is_empty() {
        return Err(EventError(format!(
            "`{}` detail: databaseName is empty",
            env.detail_type
        )));
    }
    Ok(Some(change))
}

pub fn is_scheduled(env: &Envelope) -> bool {
    env.source == SCHEDULE_SOURCE && env.detail_type == SCHEDULED_EVENT
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn glue(detail_type: &str, detail: Value) -> Value {
        json!({"version": "0", "id": "1", "detail-type": detail_type, "source": "aws.glue",
               "account": "111111111111", "time": "2026-11-24T00:00:00Z", "region": "us-east-1",
               "resources": [], "detail": detail})
    }

    #[test]
    fn database_change_parses() {
        let e = envelope(&glue(
            GLUE_DATABASE_CHANGE,
            json!({"databaseName": "cur_org", "typeOfChange": "CreateTable", "changedTables": ["t1"]}),
        ))
        .unwrap();
        let c = glue_change(&e).unwrap().unwrap();
        assert_eq!(c.database, "cur_org");
        assert_eq!(c.tables, vec!["t1"]);
    }

    #[test]
    fn table_change_parses() {
        let e = envelope(&glue(
            GLUE_TABLE_CHANGE,
            json!({"databaseName": "cur_org", "tableName": "t1", "typeOfChange": "UpdateTable", "changedPartitions": []}),
        ))
        .unwrap();
        let c = glue_change(&e).unwrap().unwrap();
        assert_eq!(c.type_of_change, "UpdateTable");
        assert_eq!(c.tables, vec!["t1"]);
    }

    #[test]
    fn missing_database_name_is_a_clear_error() {
        let e = envelope(&glue(
            GLUE_DATABASE_CHANGE,
            json!({"typeOfChange": "CreateTable"}),
        ))
        .unwrap();
        let err = glue_change(&e).unwrap_err().to_string();
        assert!(err.contains("databaseName"), "{err}");
        assert!(err.starts_with("malformed event"), "{err}");
    }

    #[test]
    fn non_events_are_rejected() {
        assert!(envelope(&json!("hello")).is_err());
        assert!(envelope(&json!({"foo": 1}))
            .unwrap_err()
            .to_string()
            .contains("detail-type"));
    }

    #[test]
    fn a_long_non_ascii_non_object_is_quoted_short_without_panicking() {
        // 100 two-byte characters: byte 80 of the JSON text falls inside one.
        let err = envelope(&json!("é".repeat(100))).unwrap_err().to_string();
        assert!(err.contains(&"é".repeat(79)), "{err}");
        assert!(err.ends_with('…'), "{err}");
        assert!(err.chars().count() < 200, "{err}");
    }

    #[test]
    fn scheduled_is_recognised() {
        let e = envelope(
            &json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
        )
        .unwrap();
        assert!(is_scheduled(&e));
        assert_eq!(glue_change(&e).unwrap(), None);
    }
}
