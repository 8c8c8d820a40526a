//! CloudWatch metrics of an invocation in Embedded Metric Format (EMF): the members to merge into
//! the root of the single JSON report log line, so CloudWatch Logs extracts the metrics from the
//! log without any API call.
//!
//! Namespace `Lakewarden`, one dimension set `[Function]`, metrics `ActionsApplied`,
//! `ActionsFailed`, `ActionsSkipped`, `DriftRepaired` (writes made by a scheduled run: something
//! had drifted), `ApiCalls` (requests sent, all services) and `DurationMs`.
//!
//! [`check_emf`] validates a document against the rules of the specification, "Specification:
//! Embedded metric format", Amazon CloudWatch User Guide
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>),
//! with the metric units of `MetricDatum` and the dimension limits of `Dimension` in the
//! CloudWatch API Reference, which that page refers to.

use serde_json::{json, Map, Value};

use crate::report::{Outcome, Report};

/// CloudWatch namespace of lakewarden's metrics.
pub const NAMESPACE: &str = "Lakewarden";
/// The only dimension: the function's name (`catalog-sharer`, `share-linker`, …).
pub const DIMENSION: &str = "Function";
/// Metric names and units, in the order they are declared.
pub const METRICS: [(&str, &str); 6] = [
    ("ActionsApplied", "Count"),
    ("ActionsFailed", "Count"),
    ("ActionsSkipped", "Count"),
    ("DriftRepaired", "Count"),
    ("ApiCalls", "Count"),
    ("DurationMs", "Milliseconds"),
];

/// The EMF members of one invocation: `_aws` (timestamp and the metric directive), the
/// `Function` dimension and one number per metric. Merge them into the root of the report's
/// JSON log line (see [`merge_into`]).
///
/// `scheduled`: the invocation was a scheduled reconcile; its writes count as `DriftRepaired`
/// (an event-driven run's writes are the expected reaction, not drift). `timestamp_ms`:
/// milliseconds since the Unix epoch.
pub fn emf(report: &Report, duration_ms: u64, scheduled: bool, timestamp_ms: i64) -> Value {
    let values = [
        report.count(Outcome::Applied) as u64,
        report.count(Outcome::Failed) as u64,
        report.count(Outcome::Skipped) as u64,
        if scheduled { report.writes } else { 0 },
        report.api_calls.values().sum::<u64>(),
        duration_ms,
    ];
    let definitions: Vec<Value> = METRICS
        .iter()
        .map(|(name, unit)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[DIMENSION]],
                "Metrics": definitions,
            }],
        }),
    );
    doc.insert(DIMENSION.into(), Value::String(report.function.clone()));
    for ((name, _), v) in METRICS.iter().zip(values) {
        doc.insert((*name).into(), Value::from(v));
    }
    Value::Object(doc)
}

/// Merge EMF members into a log line object (the EMF members win on a name clash, since
/// CloudWatch reads them from the root).
pub fn merge_into(line: &mut Map<String, Value>, emf: Value) {
    if let Value::Object(members) = emf {
        line.extend(members);
    }
}

/// The single JSON report line of an invocation, EMF members at its root: the shape the JSON
/// `tracing` formatter of [`crate::runtime::init_tracing`] gives the report event
/// (`{"level":"INFO","fields":{"message":"report","report":"<report JSON>","function":"…"}}`),
/// so log readers keep working, plus `_aws`, `Function` and the metric values. Write it to stdout
/// as one line (it does not go through `tracing`, whose fields cannot hold the `_aws` object, and
/// the metrics must not depend on the log level).
pub fn report_line(report: &Report, emf: Value) -> String {
    let mut line = Map::new();
    line.insert("level".into(), json!("INFO"));
    line.insert(
        "fields".into(),
        json!({
            "message": "report",
            "report": serde_json::to_string(report).unwrap_or_default(),
            "function": report.function,
        }),
    );
    merge_into(&mut line, emf);
    Value::Object(line).to_string()
}

/// Milliseconds since the Unix epoch, for [`emf`]'s `timestamp_ms`.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// CloudWatch metric units (`MetricDatum` `Unit` in the CloudWatch API Reference; the EMF
/// specification's schema lists the same values).
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Largest CloudWatch Logs event CloudWatch accepts; an EMF document is subject to the same limit.
/// The specification has said 256 KB and now says 1 MB; the stricter figure is used.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// A DimensionSet MUST NOT contain more than 30 dimension keys.
pub const MAX_DIMENSIONS: usize = 30;
/// A MetricDirective's Metrics MUST NOT contain more than 100 MetricDefinitions.
pub const MAX_METRICS: usize = 100;
/// A numeric-array metric target MUST NOT have more than 100 members.
pub const MAX_VALUES: usize = 100;

/// Check a log line (the whole JSON object) against the EMF specification. Returns every
/// violation found, empty when the document is valid.
///
/// Rules (specification sections in brackets): the line is one JSON object [Root node]; `_aws`
/// is an object with `Timestamp` (integer milliseconds since the epoch) and `CloudWatchMetrics`
/// (an array of MetricDirectives) [Metadata object]; a MetricDirective has exactly `Namespace`
/// (1–255 characters), `Dimensions` (at least one DimensionSet) and `Metrics` (at most 100)
/// [MetricDirective object]; a DimensionSet is an array of at most 30 dimension keys, each a
/// root member with a string value [DimensionSet array], which as a CloudWatch dimension is
/// 1–1024 ASCII characters, not blank (`Dimension`, API Reference); a MetricDefinition has
/// `Name` and optional `Unit` (a CloudWatch unit) and `StorageResolution` (1 or 60)
/// [MetricDefinition object]; a metric target is a root member (not nested) whose value is a
/// number or an array of at most 100 numbers [Target members]; the event is at most 256 KB.
pub fn check_emf(line: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let size = serde_json::to_string(line).map(|s| s.len()).unwrap_or(0);
    if size > MAX_EVENT_BYTES {
        errors.push(format!(
            "the log event is {size} bytes, over {MAX_EVENT_BYTES}"
        ));
    }
    let Some(root) = line.as_object() else {
        errors.push("the root node is not a JSON object".into());
        return errors;
    };
    let Some(aws) = root.get("_aws").and_then(Value::as_object) else {
        errors.push("no `_aws` object on the root node".into());
        return errors;
    };
    match aws.get("Timestamp") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
            // Milliseconds, not seconds: 1e12 ms is 2001-09-09.
            if n.as_i64().unwrap_or(0) < 1_000_000_000_000 {
                errors.push(format!("_aws.Timestamp {n} is not in milliseconds"));
            }
        }
        Some(v) => errors.push(format!("_aws.Timestamp is not an integer: {v}")),
        None => errors.push("_aws.Timestamp missing".into()),
    }
    let Some(directives) = aws.get("CloudWatchMetrics").and_then(Value::as_array) else {
        errors.push("_aws.CloudWatchMetrics is not an array".into());
        return errors;
    };
    for (i, d) in directives.iter().enumerate() {
        let at = format!("_aws.CloudWatchMetrics[{i}]");
        let Some(d) = d.as_object() else {
            errors.push(format!("{at} is not an object"));
            continue;
        };
        for k in d.keys() {
            if !["Namespace", "Dimensions", "Metrics"].contains(&k.as_str()) {
                errors.push(format!("{at} has the unknown member `{k}`"));
            }
        }
        match d.get("Namespace").and_then(Value::as_str) {
            Some(ns) if (1..=255).contains(&ns.chars().count()) => {}
            _ => errors.push(format!(
                "{at}.Namespace is not a string of 1-255 characters"
            )),
        }
        match d.get("Dimensions").and_then(Value::as_array) {
            None => errors.push(format!("{at}.Dimensions is not an array")),
            Some(sets) if sets.is_empty() => {
                errors.push(format!("{at}.Dimensions holds no DimensionSet"))
            }
            Some(sets) => {
                for (j, set) in sets.iter().enumerate() {
                    let Some(keys) = set.as_array() else {
                        errors.push(format!("{at}.Dimensions[{j}] is not an array"));
                        continue;
                    };
                    if keys.len() > MAX_DIMENSIONS {
                        errors.push(format!(
                            "{at}.Dimensions[{j}] has {} keys, over {MAX_DIMENSIONS}",
                            keys.len()
                        ));
                    }
                    for key in keys {
                        let Some(key) = key.as_str().filter(|k| !k.is_empty() && k.len() <= 255)
                        else {
                            errors.push(format!("{at}.Dimensions[{j}] holds {key}, not a name"));
                            continue;
                        };
                        match root.get(key) {
                            Some(Value::String(v))
                                if !v.trim().is_empty()
                                    && v.len() <= 1024
                                    && v.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) => {}
                            Some(Value::String(v)) => errors.push(format!(
                                "dimension `{key}` has the value {v:?}: not 1-1024 printable ASCII characters"
                            )),
                            Some(v) => errors.push(format!(
                                "dimension `{key}` is not a string on the root node: {v}"
                            )),
                            None => errors
                                .push(format!("dimension `{key}` is not a member of the root node")),
                        }
                    }
                }
            }
        }
        match d.get("Metrics").and_then(Value::as_array) {
            None => errors.push(format!("{at}.Metrics is not an array")),
            Some(metrics) => {
                if metrics.len() > MAX_METRICS {
                    errors.push(format!(
                        "{at}.Metrics has {} definitions, over {MAX_METRICS}",
                        metrics.len()
                    ));
                }
                for (j, m) in metrics.iter().enumerate() {
                    let mat = format!("{at}.Metrics[{j}]");
                    let Some(m) = m.as_object() else {
                        errors.push(format!("{mat} is not an object"));
                        continue;
                    };
                    for k in m.keys() {
                        if !["Name", "Unit", "StorageResolution"].contains(&k.as_str()) {
                            errors.push(format!("{mat} has the unknown member `{k}`"));
                        }
                    }
                    if let Some(unit) = m.get("Unit") {
                        if !unit.as_str().is_some_and(|u| UNITS.contains(&u)) {
                            errors.push(format!("{mat}.Unit {unit} is not a CloudWatch unit"));
                        }
                    }
                    if let Some(res) = m.get("StorageResolution") {
                        if !(res.as_u64() == Some(1) || res.as_u64() == Some(60)) {
                            errors.push(format!("{mat}.StorageResolution {res} is not 1 or 60"));
                        }
                    }
                    let Some(name) = m
                        .get("Name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty() && n.len() <= 255)
                    else {
                        errors.push(format!("{mat}.Name is not a string of 1-255 characters"));
                        continue;
                    };
                    match root.get(name) {
                        Some(Value::Number(_)) => {}
                        Some(Value::Array(vs))
                            if vs.len() <= MAX_VALUES && vs.iter().all(Value::is_number) => {}
                        Some(v) => errors.push(format!(
                            "metric `{name}` is neither a number nor an array of at most {MAX_VALUES} numbers: {v}"
                        )),
                        None => {
                            errors.push(format!("metric `{name}` is not a member of the root node"))
                        }
                    }
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;

    fn report() -> Report {
        let mut r = Report::new("catalog-sharer", false);
        r.push("lakeformation.grant", "a", Outcome::Applied);
        r.push("lakeformation.grant", "b", Outcome::Applied);
        r.push("s3.put_bucket_policy", "c", Outcome::Already);
        r.push_failed(
            "ram.create",
            "d",
            "AccessDenied",
            "give the role ram:Create…",
        );
        r.push_skipped("ram.accept", "e", "untrusted", None);
        r.api_calls.insert("glue".into(), 2);
        r.api_calls.insert("lakeformation".into(), 3);
        r.api_calls.insert("sts".into(), 1);
        r.writes = 3;
        r
    }

    const T: i64 = 1_764_324_000_000;

    #[test]
    fn values_come_from_the_report() {
        let d = emf(&report(), 412, true, T);
        assert_eq!(d["Function"], "catalog-sharer");
        assert_eq!(d["ActionsApplied"], 2);
        assert_eq!(d["ActionsFailed"], 1);
        assert_eq!(d["ActionsSkipped"], 1);
        assert_eq!(d["DriftRepaired"], 3);
        assert_eq!(d["ApiCalls"], 6);
        assert_eq!(d["DurationMs"], 412);
        assert_eq!(d["_aws"]["Timestamp"], T);
        let dir = &d["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(dir["Namespace"], "Lakewarden");
        assert_eq!(dir["Dimensions"], json!([["Function"]]));
        let names: Vec<&str> = dir["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "ActionsApplied",
                "ActionsFailed",
                "ActionsSkipped",
                "DriftRepaired",
                "ApiCalls",
                "DurationMs"
            ]
        );
        assert_eq!(dir["Metrics"][5]["Unit"], "Milliseconds");
    }

    #[test]
    fn writes_of_an_event_driven_run_are_not_drift() {
        assert_eq!(emf(&report(), 1, false, T)["DriftRepaired"], 0);
        let mut quiet = report();
        quiet.writes = 0;
        assert_eq!(emf(&quiet, 1, true, T)["DriftRepaired"], 0);
    }

    #[test]
    fn the_document_is_valid_emf_inside_the_report_line() {
        let r = report();
        let mut line = Map::new();
        line.insert("level".into(), json!("INFO"));
        line.insert("message".into(), json!("report"));
        line.insert("report".into(), serde_json::to_value(&r).unwrap());
        merge_into(&mut line, emf(&r, 412, true, T));
        let line = Value::Object(line);
        assert_eq!(check_emf(&line), Vec::<String>::new());
        // The report is still there, untouched.
        assert_eq!(line["report"]["function"], "catalog-sharer");
    }

    #[test]
    fn the_report_line_is_one_valid_emf_line_that_keeps_the_report_field() {
        let r = report();
        let text = report_line(&r, emf(&r, 412, true, now_ms()));
        assert!(!text.contains('\n'));
        let line: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(check_emf(&line), Vec::<String>::new());
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["fields"]["message"], "report");
        assert_eq!(line["fields"]["function"], "catalog-sharer");
        let inner: Report =
            serde_json::from_str(line["fields"]["report"].as_str().unwrap()).unwrap();
        assert_eq!(inner, r);
        assert!(line["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    }

    #[test]
    fn an_empty_report_is_valid_with_zeros() {
        let d = emf(&Report::new("share-linker", true), 0, true, T);
        assert_eq!(check_emf(&d), Vec::<String>::new());
        for (name, _) in METRICS {
            assert_eq!(d[name], 0, "{name}");
        }
    }

    // The checker itself: each rule of the specification rejects what it should.

    fn valid() -> Value {
        emf(&report(), 5, false, T)
    }

    fn rejects(doc: Value, needle: &str) {
        let errors = check_emf(&doc);
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "expected an error containing {needle:?}, got {errors:?}"
        );
    }

    #[test]
    fn root_must_be_an_object_with_aws() {
        rejects(json!([1]), "not a JSON object");
        let mut d = valid();
        d.as_object_mut().unwrap().remove("_aws");
        rejects(d, "no `_aws`");
        // Nested `_aws` (e.g. under a logger's "fields") does not count.
        rejects(json!({"fields": valid()}), "no `_aws`");
    }

    #[test]
    fn timestamp_is_integer_milliseconds() {
        let mut d = valid();
        d["_aws"]["Timestamp"] = json!(1_764_324_000);
        rejects(d.clone(), "not in milliseconds");
        d["_aws"]["Timestamp"] = json!("2026-11-28T10:00:00Z");
        rejects(d.clone(), "not an integer");
        d["_aws"].as_object_mut().unwrap().remove("Timestamp");
        rejects(d, "Timestamp missing");
    }

    #[test]
    fn dimension_targets_are_root_strings() {
        let mut d = valid();
        d["Function"] = json!(7);
        rejects(d.clone(), "dimension `Function` is not a string");
        d.as_object_mut().unwrap().remove("Function");
        rejects(d.clone(), "dimension `Function` is not a member");
        d["Function"] = json!("täble");
        rejects(d, "printable ASCII");
    }

    #[test]
    fn at_most_30_dimensions_and_at_least_one_set() {
        let mut d = valid();
        let keys: Vec<String> = (0..31).map(|i| format!("D{i}")).collect();
        for k in &keys {
            d[k.as_str()] = json!("x");
        }
        d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([keys]);
        rejects(d.clone(), "has 31 keys, over 30");
        d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([keys[..30]]);
        assert_eq!(check_emf(&d), Vec::<String>::new());
        d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([]);
        rejects(d, "no DimensionSet");
    }

    #[test]
    fn at_most_100_metrics() {
        let mut d = valid();
        let defs: Vec<Value> = (0..101)
            .map(|i| {
                d[format!("M{i}").as_str()] = json!(i);
                json!({"Name": format!("M{i}"), "Unit": "Count"})
            })
            .collect();
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!(defs);
        rejects(d.clone(), "101 definitions, over 100");
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!(defs[..100]);
        assert_eq!(check_emf(&d), Vec::<String>::new());
    }

    #[test]
    fn metric_targets_are_root_numbers_or_short_arrays() {
        let mut d = valid();
        d["ApiCalls"] = json!("6");
        rejects(d.clone(), "metric `ApiCalls` is neither");
        d["ApiCalls"] = json!((0..101).collect::<Vec<u32>>());
        rejects(d.clone(), "metric `ApiCalls` is neither");
        d["ApiCalls"] = json!([1, 2.5, 3]);
        assert_eq!(check_emf(&d), Vec::<String>::new());
        d.as_object_mut().unwrap().remove("ApiCalls");
        d["nested"] = json!({"ApiCalls": 6});
        rejects(d, "metric `ApiCalls` is not a member");
    }

    #[test]
    fn units_and_resolution_are_cloudwatch_values() {
        let mut d = valid();
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Actions");
        rejects(d.clone(), "not a CloudWatch unit");
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Count");
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["StorageResolution"] = json!(5);
        rejects(d.clone(), "not 1 or 60");
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["StorageResolution"] = json!(60);
        assert_eq!(check_emf(&d), Vec::<String>::new());
        for (_, unit) in METRICS {
            assert!(UNITS.contains(&unit));
        }
    }

    #[test]
    fn directives_and_definitions_have_no_unknown_members() {
        let mut d = valid();
        d["_aws"]["CloudWatchMetrics"][0]["Dimension"] = json!([["Function"]]);
        rejects(d.clone(), "unknown member `Dimension`");
        let mut d = valid();
        d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["name"] = json!("x");
        rejects(d, "unknown member `name`");
    }

    #[test]
    fn the_event_fits_a_cloudwatch_log_event() {
        let mut d = valid();
        d["report"] = json!("x".repeat(MAX_EVENT_BYTES));
        rejects(d, "over 262144");
    }
}
