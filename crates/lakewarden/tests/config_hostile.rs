//! No input makes configuration loading panic: hostile documents (huge strings, non-ASCII,
//! wrong types, deep nesting, alias bombs, …) come back as a `ConfigError` naming the key, the
//! value and the reason — never a panic, never an unbounded message.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lakewarden::config::{parse, Config, ConfigError, MAX_PROBLEM_LEN};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Parse without letting a panic escape: a panic is reported as the test's failure.
fn load(text: &str) -> Result<Config, ConfigError> {
    match catch_unwind(AssertUnwindSafe(|| parse(text, "hostile"))) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let shown: String = text.chars().take(300).collect();
            panic!("configuration loading panicked ({what}) on: {shown:?}")
        }
    }
}

/// An error that says something, with every message bounded.
fn refused(text: &str) -> ConfigError {
    let e = load(text).expect_err("a hostile document must be refused");
    assert!(!e.problems.is_empty(), "{e}");
    for p in &e.problems {
        // The cap keeps MAX_PROBLEM_LEN bytes plus the "… (N more bytes)" note.
        assert!(
            p.len() <= MAX_PROBLEM_LEN + 40,
            "{} bytes: {}",
            p.len(),
            &p[..200]
        );
    }
    e
}

fn share(database: Value, consumers: Value) -> String {
    json!({"producer": {"shares": [{"database": database, "consumers": consumers}]}}).to_string()
}

#[test]
fn a_table_of_hostile_documents_is_refused_without_panicking() {
    let huge = "x".repeat(2_000_000);
    // Far beyond the readers' recursion limits (128), small enough for a debug build's
    // YAML parser (it reads every event before the limit applies).
    let deep_json = format!(
        "{{\"producer\": {}{}}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let deep_yaml = format!("producer: {}{}", "{a: ".repeat(2_000), "}".repeat(2_000));
    let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n\
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n\
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n\
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n\
producer: {shares: [{database: x, consumers: *h}]}\n";
    let many_bad: Vec<String> = (0..5_000).map(|i| format!("bad{i}")).collect();
    let cases: Vec<(&str, String)> = vec![
        ("a huge database glob of [", share(json!(format!("[{huge}")), json!(["222222222222"]))),
        ("a huge consumer", share(json!("x"), json!([huge.clone()]))),
        ("a huge value of the wrong type", json!({"dry_run": huge}).to_string()),
        ("a huge unknown key", format!("{{\"{huge}\": 1}}")),
        ("non-ASCII account id", share(json!("x"), json!(["２２２２２２２２２２２２"]))),
        ("emoji everywhere", share(json!("🦀"), json!(["🦀🦀🦀", "arn:aws:iam::🦀:role/x"]))),
        ("a character cut at the 200-byte quote", share(json!("x"), json!(["é".repeat(150)]))),
        ("right-to-left and zero-width", share(json!("x"), json!(["\u{202e}222222222222", "2222\u{200b}22222222"]))),
        ("a NUL byte", share(json!("x\u{0}"), json!(["222222222222\u{0}"]))),
        ("consumers is a number", share(json!("x"), json!(5))),
        ("consumers is a map", share(json!("x"), json!({"a": "b"}))),
        ("database is a list", share(json!(["x"]), json!(["222222222222"]))),
        ("shares is a string", json!({"producer": {"shares": "x"}}).to_string()),
        ("producer is null with junk", "producer: ~\nconsumer: 7\n".into()),
        ("dry_run is a string", "dry_run: \"yes please\"\n".into()),
        ("max_removals negative", "consumer: {trusted_producers: [], max_removals_per_run: -1}\n".into()),
        ("max_removals beyond u64", "consumer: {trusted_producers: [], max_removals_per_run: 1e999}\n".into()),
        ("max_removals a huge integer", format!("consumer: {{trusted_producers: [], max_removals_per_run: {}}}\n", "9".repeat(400))),
        ("an account id as a float", "consumer: {trusted_producers: [2.22222222222e11]}\n".into()),
        ("a bucket with capitals and unicode", json!({"export_destinations": [{"bucket": "Bücket", "source_accounts": ["111111111111"]}]}).to_string()),
        ("a location with a wildcard", "producer: {shares: [{database: x, consumers: ['222222222222'], locations: ['s3://b-1/*']}]}\n".into()),
        ("a location that is not s3", "producer: {shares: [{database: x, consumers: ['222222222222'], locations: ['https://evil/']}]}\n".into()),
        ("a permission in lower case with a BOM", "\u{feff}producer: {shares: [{database: x, consumers: ['222222222222'], table_permissions: [select]}]}\n".into()),
        ("five thousand bad accounts", json!({"consumer": {"trusted_producers": many_bad}}).to_string()),
        ("deeply nested JSON", deep_json),
        ("deeply nested YAML", deep_yaml),
        ("a YAML alias bomb", bomb.into()),
        ("a YAML tag", "producer: !!binary aGVsbG8=\n".into()),
        ("a YAML merge key", "producer: {<<: {shares: []}}\n".into()),
        ("tabs for indentation", "producer:\n\tshares: []\n".into()),
        ("a truncated JSON document", "{\"producer\": {\"shares\": [".into()),
        ("a JSON document with trailing junk", "{} {}".into()),
        ("duplicate keys", "dry_run: true\ndry_run: false\n".into()),
        ("a bare scalar", "42".into()),
        ("a bare list", "[1, 2, 3]".into()),
        ("only a comment", "# nothing\n".into()),
        ("empty", String::new()),
        ("control characters", "\u{1}\u{2}\u{3}".into()),
    ];
    for (name, text) in &cases {
        // Some of these are valid YAML with nothing in them (empty, only a comment): those
        // load as the empty configuration; every other one is refused.
        match load(text) {
            Ok(cfg) => assert!(
                ["empty", "only a comment"].contains(name) && cfg == Config::default(),
                "{name}: accepted {cfg:?}"
            ),
            Err(_) => {
                refused(text);
            }
        }
    }
}

#[test]
fn an_unquoted_account_id_is_read_as_written_even_with_a_leading_zero() {
    let c = load("consumer: {trusted_producers: [012345678901, 222222222222]}\n").unwrap();
    assert_eq!(
        c.consumer.unwrap().trusted_producers,
        vec!["012345678901", "222222222222"]
    );
}

#[test]
fn huge_and_non_ascii_values_are_quoted_short_and_cut_on_a_character() {
    let e = refused(&share(json!("x"), json!(["é".repeat(100_000)])));
    let msg = e.to_string();
    assert!(msg.contains("producer.shares[0].consumers[0]"), "{msg}");
    assert!(msg.contains("is not a consumer"), "{msg}");
    assert!(msg.contains("more bytes"), "{msg}");
    assert!(msg.len() < 2_000, "{} bytes", msg.len());
}

#[test]
fn many_bad_values_are_reported_up_to_the_cap() {
    let many: Vec<String> = (0..500).map(|i| format!("bad{i}")).collect();
    let e = refused(&json!({"consumer": {"trusted_producers": many}}).to_string());
    let cap = lakewarden::config_types::MAX_VALUE_PROBLEMS;
    assert_eq!(e.problems.len(), cap + 1, "{e}");
    assert!(
        e.problems[0].starts_with("consumer.trusted_producers[0]: `bad0`"),
        "{e}"
    );
    assert!(
        e.problems[cap - 1].contains(&format!("`bad{}`", cap - 1)),
        "{e}"
    );
    assert!(e.problems[cap].contains("not listed"), "{e}");
}

/// Each typed value names its key path, the value and why, in YAML and in JSON.
#[test]
fn each_typed_value_says_where_what_and_why() {
    let cases = [
        (
            "consumer: {trusted_producers: [\"1234\"]}\n",
            "consumer.trusted_producers[0]: `1234` is not a 12-digit AWS account id",
        ),
        (
            "producer: {shares: [{database: \"a[\", consumers: ['222222222222']}]}\n",
            "producer.shares[0].database: invalid glob `a[`",
        ),
        (
            "producer: {shares: [{database: x, consumers: ['arn:aws:iam::333333333333:policy/p']}]}\n",
            "producer.shares[0].consumers[0]: `arn:aws:iam::333333333333:policy/p` is not an IAM role or user ARN",
        ),
        (
            "producer: {shares: [{database: x, consumers: ['222222222222'], database_permissions: [READ]}]}\n",
            "producer.shares[0].database_permissions[0]: unknown Lake Formation permission `READ`",
        ),
        (
            "producer: {shares: [{database: x, consumers: ['222222222222'], locations: ['s3://b_1/x']}]}\n",
            "producer.shares[0].locations[0]: `b_1` is not a valid S3 bucket name",
        ),
        (
            "producer: {shares: [{database: x, consumers: ['222222222222'], register_role_arn: 'arn:aws:s3:::b'}]}\n",
            "producer.shares[0].register_role_arn: `arn:aws:s3:::b` is not an ARN of service `iam`",
        ),
        (
            "datazone: {domains: [d], buckets: [{bucket: b-1, prefixes: [ok/, 'a/*']}]}\n",
            "datazone.buckets[0].prefixes[1]: `a/*` contains `*`",
        ),
        (
            r#"{"datazone": {"domains": ["d"], "buckets": [{"bucket": "UPPER"}]}}"#,
            "datazone.buckets[0].bucket: `UPPER` is not a valid S3 bucket name",
        ),
        (
            r#"{"exports": [{"table": "t", "bucket": "b-1-2", "bucket_owner": "me", "prefix": "p"}]}"#,
            "exports[0].bucket_owner: `me` is not a 12-digit AWS account id",
        ),
    ];
    for (text, want) in cases {
        let e = refused(text);
        assert!(
            e.problems.iter().any(|p| p.starts_with(want)),
            "want `{want}` in {e}"
        );
    }
}

/// A refused value is replaced by a stand-in only to read on: no cross-key check reports the
/// stand-in (which the user never wrote).
#[test]
fn no_problem_quotes_a_stand_in() {
    let e = refused(
        "consumer:\n  trusted_producers: [\"111111111111\"]\n  links:\n    - producer: \"12\"\n      database: cur_org\n",
    );
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(
        e.problems[0].starts_with("consumer.links[0].producer: `12`"),
        "{e}"
    );
    assert!(!e.to_string().contains("000000000000"), "{e}");
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,80}".prop_map(Value::from),
        "[0-9]{10,14}".prop_map(Value::from),
        "(arn:aws:(iam|organizations|s3)::[0-9]{0,12}:[a-z/*-]{0,20})".prop_map(Value::from),
        "s3://[a-zA-Z0-9._*?$/-]{0,30}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys of a full document, where a hostile value is put.
const SLOTS: &[&str] = &[
    "/dry_run",
    "/alerts/topic_arn",
    "/producer/shares/0/database",
    "/producer/shares/0/consumers",
    "/producer/shares/0/consumers/0",
    "/producer/shares/0/table_permissions/0",
    "/producer/shares/0/tables",
    "/producer/shares/0/locations/0",
    "/producer/shares/0/register_role_arn",
    "/producer/shares/0/ram",
    "/consumer/trusted_producers/0",
    "/consumer/links/0/producer",
    "/consumer/links/0/database",
    "/consumer/links/0/roles/0",
    "/consumer/links/0/buckets/0",
    "/consumer/max_removals_per_run",
    "/integrations/targets/0/bucket",
    "/integrations/targets/0/target_role_arn",
    "/exports/0/bucket_owner",
    "/exports/0/prefix",
    "/export_destinations/0/source_accounts",
    "/datazone/buckets/0/bucket",
    "/datazone/buckets/0/prefixes/0",
];

fn full_document() -> Value {
    json!({
        "dry_run": false,
        "alerts": {"topic_arn": "arn:aws:sns:us-east-1:111111111111:a"},
        "producer": {"shares": [{
            "database": "cur_*", "consumers": ["222222222222"], "table_permissions": ["SELECT"],
            "tables": ["t_*"], "locations": ["s3://data-bucket/cur/"],
            "register_role_arn": "arn:aws:iam::111111111111:role/r", "ram": "auto"}]},
        "consumer": {"trusted_producers": ["111111111111"], "max_removals_per_run": 5,
            "links": [{"producer": "111111111111", "database": "cur_*",
                       "roles": ["arn:aws:iam::222222222222:role/r"], "buckets": ["data-bucket"]}]},
        "integrations": {"targets": [{"database": "d", "target_role_arn": "arn:aws:iam::1:role/t", "bucket": "bucket-1"}]},
        "exports": [{"table": "t", "bucket": "bucket-1", "bucket_owner": "111111111111", "prefix": "p"}],
        "export_destinations": [{"bucket": "bucket-1", "source_accounts": ["111111111111"]}],
        "datazone": {"domains": ["dzd_1"], "buckets": [{"bucket": "bucket-1", "prefixes": ["p/"]}]},
    })
}

fn to_yaml(v: &Value) -> String {
    serde_norway::to_string(v).expect("a JSON value writes as YAML")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text at all: a configuration or an error, never a panic.
    #[test]
    fn any_text_loads_or_is_refused(text in ".{0,400}") {
        let _ = load(&text);
        let _ = load(&format!("{{{text}"));
        let _ = load(&format!("producer:\n  shares:\n    - {text}\n"));
    }

    /// A full, valid document with one value replaced by anything (in JSON and in YAML):
    /// loads or is refused with bounded messages naming a key, never panics.
    #[test]
    fn any_value_in_any_slot_loads_or_is_refused(slot in 0..SLOTS.len(), v in value(), as_yaml in any::<bool>()) {
        let mut doc = full_document();
        if let Some(at) = doc.pointer_mut(SLOTS[slot]) {
            *at = v;
        }
        let text = if as_yaml { to_yaml(&doc) } else { doc.to_string() };
        if let Err(e) = load(&text) {
            prop_assert!(!e.problems.is_empty());
            for p in &e.problems {
                prop_assert!(p.len() <= MAX_PROBLEM_LEN + 40, "{}", p);
            }
        }
    }
}

#[test]
fn the_full_document_is_valid_in_both_syntaxes() {
    let doc = full_document();
    let a = load(&doc.to_string()).unwrap();
    let b = load(&to_yaml(&doc)).unwrap();
    assert_eq!(a, b);
    // And it writes back to what was read.
    assert_eq!(
        serde_json::to_value(&a).unwrap()["producer"]["shares"][0]["consumers"],
        json!(["222222222222"])
    );
}
