//! Validated configuration values: each newtype checks its value while the document is read, so
//! a use site holds an account id, a bucket name, a compiled glob … and never parses again.
//!
//! This is the lowest layer of the configuration: `config` (the document) and `principal` (who
//! may be granted) both import it, and it imports neither.
//!
//! Each type deserialises from a string and serialises back to the same string; it derefs to
//! `str` (`as_str()`, `Display`), so it reads like the string it was.
//!
//! ## Every problem of a document, not just the first
//!
//! serde stops at the first value it cannot take. To still report every bad value with its key
//! path, [`collect_problems`] reads the document again after each refusal, with the values
//! already refused replaced by a valid stand-in (never returned: a document with a problem is an
//! error). The values are counted in the order the reader meets them, which is the same on every
//! reading of the same text.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::s3loc::S3Location;

/// At most this many refused values are reported (each costs one more reading of the document).
pub const MAX_VALUE_PROBLEMS: usize = 50;

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The Lake Formation permissions a configuration may name.
pub const LF_PERMISSIONS: &[&str] = &[
    "ALL",
    "SELECT",
    "ALTER",
    "DROP",
    "DELETE",
    "INSERT",
    "DESCRIBE",
    "CREATE_DATABASE",
    "CREATE_TABLE",
    "DATA_LOCATION_ACCESS",
];

/// A value quoted in an error message: at most 200 characters, cut on a character boundary.
pub(crate) fn quoted(s: &str) -> String {
    crate::alerts::cap(s, 200)
}

// ---------------------------------------------------------------------------------------------
// Reading every problem

#[derive(Default)]
struct Collector {
    /// Values met so far in this reading.
    seen: usize,
    /// Ordinals of values already refused (and reported): they read as their stand-in.
    skip: BTreeSet<usize>,
    /// The ordinal of the value this reading refused.
    refused: Option<usize>,
}

thread_local! {
    static COLLECTOR: RefCell<Option<Collector>> = const { RefCell::new(None) };
}

/// Read a document with `read` as often as it takes to see every refused value (up to
/// [`MAX_VALUE_PROBLEMS`]). `read` returns the value or the problem text; each problem is
/// returned once, in document order.
///
/// Returns the problems and the last reading's value, if it read to the end. When there are
/// problems that value holds stand-ins where the refused values were: it is only good for
/// finding further problems (cross-field checks), never for use — hence crate-private.
pub(crate) fn collect_problems<T>(
    mut read: impl FnMut() -> Result<T, String>,
) -> (Option<T>, Vec<String>) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            COLLECTOR.with(|c| *c.borrow_mut() = None);
        }
    }
    let _reset = Reset;
    let mut skip = BTreeSet::new();
    let mut problems = Vec::new();
    loop {
        COLLECTOR.with(|c| {
            *c.borrow_mut() = Some(Collector {
                skip: skip.clone(),
                ..Collector::default()
            })
        });
        let result = read();
        let refused = COLLECTOR.with(|c| c.borrow().as_ref().and_then(|c| c.refused));
        match result {
            Ok(v) => return (Some(v), problems),
            Err(p) => {
                problems.push(p);
                match refused {
                    Some(_) if problems.len() >= MAX_VALUE_PROBLEMS => {
                        problems.push(format!(
                            "(at least {MAX_VALUE_PROBLEMS} invalid values; further ones are not listed)"
                        ));
                        return (None, problems);
                    }
                    // A value was refused: read again with it standing in, to find the next.
                    Some(i) if skip.insert(i) => {}
                    // The document itself is malformed (syntax, unknown key, wrong type), or
                    // the same value was refused twice (cannot happen; never loop).
                    _ => return (None, problems),
                }
            }
        }
    }
}

/// Inside [`collect_problems`]' `read`: whether this reading stopped at a refused value (rather
/// than at malformed text, an unknown key or a wrong type).
pub(crate) fn value_refused() -> bool {
    COLLECTOR.with(|c| c.borrow().as_ref().is_some_and(|c| c.refused.is_some()))
}

/// `message` without the reader's trailing ` at line L column C`.
///
/// For a refused value the YAML reader gives the position of the enclosing sequence or mapping,
/// not of the value; the key path names the value exactly, so the position is left out.
pub(crate) fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i)
            if message[i + " at line ".len()..]
                .split_once(" column ")
                .is_some_and(|(l, c)| {
                    !l.is_empty()
                        && !c.is_empty()
                        && l.bytes().all(|b| b.is_ascii_digit())
                        && c.bytes().all(|b| b.is_ascii_digit())
                }) =>
        {
            &message[..i]
        }
        _ => message,
    }
}

/// Deserialise a string and check it; inside [`collect_problems`], a value refused in an earlier
/// reading stands in as `stand_in` (a constant valid value) so that the reading goes on.
fn checked<'de, D, T>(
    d: D,
    stand_in: &'static str,
    check: impl Fn(String) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let raw = String::deserialize(d)?;
    let verdict = check(raw);
    let ordinal = COLLECTOR.with(|c| {
        c.borrow_mut().as_mut().map(|c| {
            c.seen += 1;
            c.seen - 1
        })
    });
    match verdict {
        Ok(v) => Ok(v),
        Err(why) => {
            if let Some(i) = ordinal {
                let skipped = COLLECTOR.with(|c| {
                    let mut c = c.borrow_mut();
                    let c = c.as_mut().expect("set above");
                    if c.skip.contains(&i) {
                        true
                    } else {
                        c.refused = Some(i);
                        false
                    }
                });
                if skipped {
                    return check(stand_in.to_string()).map_err(|e| {
                        serde::de::Error::custom(format!("stand-in `{stand_in}` refused: {e}"))
                    });
                }
            }
            Err(serde::de::Error::custom(why))
        }
    }
}

/// Deref / as_str / Display / Serialize / comparisons with strings for a newtype over a string
/// field named by `$field`.
macro_rules! string_like {
    ($t:ty, $($field:tt)+) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.$($field)+
            }
        }
        impl Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, o: &str) -> bool {
                self.as_str() == o
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, o: &&str) -> bool {
                self.as_str() == *o
            }
        }
        impl PartialEq<String> for $t {
            fn eq(&self, o: &String) -> bool {
                self.as_str() == o
            }
        }
        impl PartialEq<$t> for str {
            fn eq(&self, o: &$t) -> bool {
                self == o.as_str()
            }
        }
        impl PartialEq<$t> for &str {
            fn eq(&self, o: &$t) -> bool {
                *self == o.as_str()
            }
        }
        impl PartialEq<$t> for String {
            fn eq(&self, o: &$t) -> bool {
                self == o.as_str()
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.as_str().to_string()
            }
        }
    };
}

/// A newtype holding one validated `String`, deserialised through `$parse` with stand-in `$stand_in`.
macro_rules! string_newtype {
    ($(#[$m:meta])* $t:ident, $stand_in:expr, $parse:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $t(String);

        string_like!($t, 0);

        impl $t {
            /// Check `s` as the configuration does.
            pub fn parse(s: &str) -> Result<$t, String> {
                let f: fn(&str) -> Result<(), String> = $parse;
                f(s).map(|()| $t(s.to_string()))
            }
        }
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<$t, String> {
                let f: fn(&str) -> Result<(), String> = $parse;
                f(&s).map(|()| $t(s))
            }
        }
        impl TryFrom<&str> for $t {
            type Error = String;
            fn try_from(s: &str) -> Result<$t, String> {
                $t::parse(s)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                checked(d, $stand_in, $t::try_from)
            }
        }
    };
}

string_newtype!(
    /// A 12-digit AWS account id.
    AccountId,
    "000000000000",
    |s| {
        if is_account_id(s) {
            Ok(())
        } else {
            Err(format!(
                "`{}` is not a 12-digit AWS account id (quote it in YAML)",
                quoted(s)
            ))
        }
    }
);

string_newtype!(
    /// An S3 bucket name: 3–63 lowercase letters, digits, `.` and `-`.
    BucketName,
    "placeholder-bucket",
    |s| {
        let ok = (3..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if ok {
            Ok(())
        } else {
            Err(format!("`{}` is not a valid S3 bucket name", quoted(s)))
        }
    }
);

string_newtype!(
    /// A Lake Formation permission ([`LF_PERMISSIONS`]).
    LfPermission,
    "DESCRIBE",
    |s| {
        if LF_PERMISSIONS.contains(&s) {
            Ok(())
        } else {
            Err(format!(
                "unknown Lake Formation permission `{}` (expected one of {})",
                quoted(s),
                LF_PERMISSIONS.join(", ")
            ))
        }
    }
);

string_newtype!(
    /// The ARN of an IAM role or user (`arn:PARTITION:iam::ACCOUNT:role/NAME`).
    IamArn,
    "arn:aws:iam::000000000000:role/placeholder",
    |s| match crate::arn::Arn::parse(s) {
        Some(a) if a.service == "iam" => Ok(()),
        _ => Err(format!("`{}` is not an ARN of service `iam`", quoted(s))),
    }
);

impl IamArn {
    /// The account of the ARN (empty when the ARN names none).
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }
}

/// A glob over Glue database or table names (`cur_*`), compiled once when read.
#[derive(Clone)]
pub struct NameGlob {
    pattern: String,
    matcher: globset::GlobMatcher,
}

string_like!(NameGlob, pattern);

/// The glob of a database name.
pub type DatabaseGlob = NameGlob;

impl NameGlob {
    pub fn parse(s: &str) -> Result<NameGlob, String> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        match globset::Glob::new(s) {
            Ok(g) => Ok(NameGlob {
                pattern: s.to_string(),
                matcher: g.compile_matcher(),
            }),
            Err(e) => Err(format!("invalid glob `{}`: {e}", quoted(s))),
        }
    }

    /// Whether `name` matches the glob.
    pub fn is_match(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }

    /// The compiled glob.
    pub fn matcher(&self) -> &globset::GlobMatcher {
        &self.matcher
    }
}

impl fmt::Debug for NameGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameGlob({:?})", self.pattern)
    }
}
impl PartialEq for NameGlob {
    fn eq(&self, o: &NameGlob) -> bool {
        self.pattern == o.pattern
    }
}
impl Eq for NameGlob {}
impl PartialOrd for NameGlob {
    fn partial_cmp(&self, o: &NameGlob) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for NameGlob {
    fn cmp(&self, o: &NameGlob) -> std::cmp::Ordering {
        self.pattern.cmp(&o.pattern)
    }
}
impl std::hash::Hash for NameGlob {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.pattern.hash(h)
    }
}
impl TryFrom<String> for NameGlob {
    type Error = String;
    fn try_from(s: String) -> Result<NameGlob, String> {
        NameGlob::parse(&s)
    }
}
impl TryFrom<&str> for NameGlob {
    type Error = String;
    fn try_from(s: &str) -> Result<NameGlob, String> {
        NameGlob::parse(s)
    }
}
impl<'de> Deserialize<'de> for NameGlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NameGlob, D::Error> {
        checked(d, "placeholder", NameGlob::try_from)
    }
}

/// A configured S3 location (`s3://bucket/prefix/`), parsed once when read: the text as written
/// and the [`S3Location`] it names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Uri {
    text: String,
    location: S3Location,
}

string_like!(S3Uri, text);

impl S3Uri {
    pub fn parse(s: &str) -> Result<S3Uri, String> {
        if let Some(why) = crate::s3loc::refusal(s) {
            return Err(why);
        }
        match S3Location::parse(s) {
            Some(location) => Ok(S3Uri {
                text: s.to_string(),
                location,
            }),
            None => Err(format!("`{}` is not an s3:// location", quoted(s))),
        }
    }

    /// The bucket and prefix it names.
    pub fn location(&self) -> &S3Location {
        &self.location
    }
}
impl TryFrom<String> for S3Uri {
    type Error = String;
    fn try_from(s: String) -> Result<S3Uri, String> {
        S3Uri::parse(&s)
    }
}
impl TryFrom<&str> for S3Uri {
    type Error = String;
    fn try_from(s: &str) -> Result<S3Uri, String> {
        S3Uri::parse(s)
    }
}
impl<'de> Deserialize<'de> for S3Uri {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<S3Uri, D::Error> {
        checked(d, "s3://placeholder-bucket/", S3Uri::try_from)
    }
}

string_newtype!(
    /// An S3 key prefix (`orders/2024/`) as configured: no IAM wildcard or policy-variable
    /// character, no control character, no `.` or `..` segment (the same rules as a location).
    KeyPrefix,
    "placeholder/",
    |s| {
        if let Some(c) = s.chars().find(|c| matches!(c, '*' | '?' | '$' | '{' | '}')) {
            Err(format!(
                "`{}` contains `{c}`, which IAM would read as a wildcard or policy variable",
                quoted(s)
            ))
        } else if s.chars().any(char::is_control) {
            Err("the prefix contains control characters".into())
        } else if s.split('/').any(|seg| seg == "." || seg == "..") {
            Err(format!("`{}` contains a `.` or `..` path segment", quoted(s)))
        } else {
            Ok(())
        }
    }
);

impl KeyPrefix {
    /// The prefix as an [`S3Location`] holds it: no leading `/`, a trailing `/` unless empty.
    pub fn normalized(&self) -> String {
        let key = self.0.trim_start_matches('/');
        if key.is_empty() || key.ends_with('/') {
            key.to_string()
        } else {
            format!("{key}/")
        }
    }

    /// The location of this prefix in `bucket`.
    pub fn in_bucket(&self, bucket: &BucketName) -> S3Location {
        S3Location {
            bucket: bucket.to_string(),
            prefix: self.normalized(),
        }
    }
}

/// Deserialise a [`crate::principal::Principal`] (used by its `Deserialize`).
pub(crate) fn deserialize_principal<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<crate::principal::Principal, D::Error> {
    checked(d, "000000000000", |s| {
        crate::principal::Principal::parse(&s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stand_in_is_valid() {
        assert!(AccountId::parse("000000000000").is_ok());
        assert!(BucketName::parse("placeholder-bucket").is_ok());
        assert!(LfPermission::parse("DESCRIBE").is_ok());
        assert!(IamArn::parse("arn:aws:iam::000000000000:role/placeholder").is_ok());
        assert!(NameGlob::parse("placeholder").is_ok());
        assert!(S3Uri::parse("s3://placeholder-bucket/").is_ok());
        assert!(KeyPrefix::parse("placeholder/").is_ok());
        assert!(crate::principal::Principal::parse("000000000000").is_ok());
    }

    #[test]
    fn newtypes_read_and_write_as_their_string() {
        let a: AccountId = serde_json::from_str("\"222222222222\"").unwrap();
        assert_eq!(a, "222222222222");
        assert_eq!(a.len(), 12);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"222222222222\"");
        let g: NameGlob = serde_json::from_str("\"cur_*\"").unwrap();
        assert!(g.is_match("cur_org") && !g.is_match("raw_org"));
        let u: S3Uri = serde_json::from_str("\"s3://b-1/a/b\"").unwrap();
        assert_eq!(u.location().bucket, "b-1");
        assert_eq!(u.location().prefix, "a/b/");
        assert_eq!(u.as_str(), "s3://b-1/a/b");
        let e = serde_json::from_str::<LfPermission>("\"READ\"").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown Lake Formation permission `READ`"),
            "{e}"
        );
        assert_eq!(
            IamArn::parse("arn:aws-cn:iam::333333333333:role/x")
                .unwrap()
                .account(),
            "333333333333"
        );
        assert!(serde_json::from_str::<BucketName>("\"Bad_Bucket\"").is_err());
        let b = BucketName::parse("b-1").unwrap();
        for (p, want) in [
            ("orders", "orders/"),
            ("/orders/2024/", "orders/2024/"),
            ("", ""),
        ] {
            assert_eq!(KeyPrefix::parse(p).unwrap().in_bucket(&b).prefix, want);
        }
        for bad in ["a/*", "a/../b", "${aws:username}/", "a\nb"] {
            assert!(KeyPrefix::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collecting_reports_each_refused_value_once_and_never_returns_stand_ins() {
        let text = r#"["222222222222", "x", "333333333333", "y"]"#;
        let (stood_in, problems) = collect_problems(|| {
            serde_json::from_str::<Vec<AccountId>>(text).map_err(|e| e.to_string())
        });
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(stood_in.unwrap().len(), 4);
        assert!(
            problems[0].contains("`x`") && problems[1].contains("`y`"),
            "{problems:?}"
        );
        // Outside a collection the types are strict and nothing is left behind.
        assert!(serde_json::from_str::<Vec<AccountId>>(text).is_err());
        let (ok, problems) = collect_problems(|| {
            serde_json::from_str::<Vec<AccountId>>(r#"["222222222222"]"#).map_err(|e| e.to_string())
        });
        assert!(problems.is_empty());
        assert_eq!(ok.unwrap(), vec!["222222222222"]);
    }

    #[test]
    fn collecting_stops_at_the_cap() {
        let text = serde_json::to_string(&vec!["bad"; MAX_VALUE_PROBLEMS + 10]).unwrap();
        let (none, problems) = collect_problems(|| {
            serde_json::from_str::<Vec<AccountId>>(&text).map_err(|e| e.to_string())
        });
        assert!(none.is_none());
        assert_eq!(problems.len(), MAX_VALUE_PROBLEMS + 1);
        assert!(problems.last().unwrap().contains("not listed"));
    }
}
