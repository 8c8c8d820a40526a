//! S3 locations (`s3://bucket/prefix/`) and the ARNs derived from them.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct S3Location {
    pub bucket: String,
    /// Key prefix without a leading slash; ends with `/` unless empty (the whole bucket).
    pub prefix: String,
}

/// Whether `b` is a valid S3 bucket name (S3 User Guide, "General purpose bucket naming
/// rules"): 3–63 characters of lowercase letters, digits, `.` and `-`, beginning and ending with
/// a letter or digit, no `..`, not an IP address, none of the reserved prefixes and suffixes.
pub fn is_valid_bucket_name(b: &str) -> bool {
    let bytes = b.as_bytes();
    (3..=63).contains(&b.len())
        && bytes
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[b.len() - 1].is_ascii_alphanumeric()
        && !b.contains("..")
        && b.parse::<std::net::Ipv4Addr>().is_err()
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| b.starts_with(p))
        && !["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|p| b.ends_with(p))
}

/// Why a location string is refused, or None when it is a plain `s3://bucket/prefix`.
///
/// Table locations are data written by whoever may create a table: a location with IAM
/// wildcard or policy-variable characters (`*`, `?`, `$`, `{`) would widen every statement built
/// from it, so it is never used.
pub fn refusal(uri: &str) -> Option<String> {
    let Some(rest) = ["s3://", "s3a://", "s3n://"]
        .iter()
        .find_map(|p| uri.strip_prefix(p))
    else {
        return Some(format!(
            "`{}` is not an s3:// location",
            crate::alerts::cap(uri, 200)
        ));
    };
    if let Some(c) = uri
        .chars()
        .find(|c| matches!(c, '*' | '?' | '$' | '{' | '}'))
    {
        return Some(format!(
            "`{}` contains `{c}`, which IAM would read as a wildcard or policy variable",
            crate::alerts::cap(uri, 200)
        ));
    }
    if uri.chars().any(char::is_control) {
        return Some("the location contains control characters".into());
    }
    let bucket = rest.split('/').next().unwrap_or_default();
    if bucket.is_empty() {
        return Some(format!(
            "`{}` names no bucket",
            crate::alerts::cap(uri, 200)
        ));
    }
    if !is_valid_bucket_name(bucket) {
        return Some(format!(
            "`{}` is not a valid S3 bucket name",
            crate::alerts::cap(bucket, 80)
        ));
    }
    if rest.split('/').any(|seg| seg == "." || seg == "..") {
        return Some(format!(
            "`{}` contains a `.` or `..` path segment",
            crate::alerts::cap(uri, 200)
        ));
    }
    None
}

impl S3Location {
    /// Parse `s3://bucket/prefix`; `None` for anything [`refusal`] refuses.
    pub fn parse(uri: &str) -> Option<S3Location> {
        if refusal(uri).is_some() {
            return None;
        }
        let rest = ["s3://", "s3a://", "s3n://"]
            .iter()
            .find_map(|p| uri.strip_prefix(p))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let key = key.trim_start_matches('/');
        let prefix = if key.is_empty() || key.ends_with('/') {
            key.to_string()
        } else {
            format!("{key}/")
        };
        Some(S3Location {
            bucket: bucket.to_string(),
            prefix,
        })
    }

    pub fn bucket_arn(&self) -> String {
        crate::arn::s3(&self.bucket)
    }

    /// `arn:aws:s3:::bucket/prefix/*`
    pub fn objects_arn(&self) -> String {
        crate::arn::s3(&format!("{}/{}*", self.bucket, self.prefix))
    }

    /// The ARN Lake Formation registers: `arn:aws:s3:::bucket/prefix` (no trailing slash).
    pub fn location_arn(&self) -> String {
        let p = self.prefix.trim_end_matches('/');
        if p.is_empty() {
            self.bucket_arn()
        } else {
            crate::arn::s3(&format!("{}/{}", self.bucket, p))
        }
    }

    /// Whether a registered location ARN covers this location (same path or a parent folder).
    pub fn covered_by(&self, registered_arn: &str) -> bool {
        let mine = self.location_arn();
        let reg = registered_arn.trim_end_matches('/');
        mine == reg || mine.starts_with(&format!("{reg}/"))
    }

    /// Whether this location lies in `outer` (same bucket, and `outer`'s prefix is a folder
    /// prefix of this one).
    pub fn within(&self, outer: &S3Location) -> bool {
        self.bucket == outer.bucket && self.prefix.starts_with(&outer.prefix)
    }

    /// The bucket of a location ARN `arn:PARTITION:s3:::bucket[/path]`.
    pub fn bucket_of_arn(arn: &str) -> Option<&str> {
        let rest = arn.strip_prefix("arn:")?.split_once(":s3:::")?.1;
        let b = rest.split('/').next()?;
        (!b.is_empty()).then_some(b)
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_locations_are_refused() {
        for bad in [
            "s3://*/",
            "s3://cur-data/*",
            "s3://cur-data/a?b/",
            "s3://cur-data/${aws:username}/",
            "s3://cur-data/{x}/",
            "s3:///prefix/",
            "s3://",
            "s3://UPPER/x/",
            "s3://a/x/",
            "s3://bad..name/x/",
            "s3://192.168.1.1/x/",
            "s3://-lead/x/",
            "s3://b-b-b/../payroll/",
            "https://b/x",
            "s3://b-b-b/x\n/",
        ] {
            assert!(refusal(bad).is_some(), "{bad} must be refused");
            assert!(S3Location::parse(bad).is_none(), "{bad}");
        }
        assert!(refusal("s3://cur-data/cur/legacy_all/").is_none());
        assert!(refusal("s3://my.bucket-1/").is_none());
    }

    #[test]
    fn parses_and_normalises() {
        let l = S3Location::parse("s3://cur-data/cur/legacy_all").unwrap();
        assert_eq!(l.prefix, "cur/legacy_all/");
        assert_eq!(l.objects_arn(), "arn:aws:s3:::cur-data/cur/legacy_all/*");
        assert_eq!(l.location_arn(), "arn:aws:s3:::cur-data/cur/legacy_all");
        let root = S3Location::parse("s3://bkt/").unwrap();
        assert_eq!(root.prefix, "");
        assert_eq!(root.location_arn(), "arn:aws:s3:::bkt");
        assert_eq!(root.objects_arn(), "arn:aws:s3:::bkt/*");
        assert!(S3Location::parse("https://x").is_none());
        assert!(S3Location::parse("s3:///x").is_none());
    }

    #[test]
    fn coverage_respects_folder_boundaries() {
        let l = S3Location::parse("s3://bkt/cur/legacy_all/").unwrap();
        assert!(l.covered_by("arn:aws:s3:::bkt/cur"));
        assert!(l.covered_by("arn:aws:s3:::bkt"));
        assert!(l.covered_by("arn:aws:s3:::bkt/cur/legacy_all"));
        assert!(!l.covered_by("arn:aws:s3:::bkt/cu"));
        assert!(!l.covered_by("arn:aws:s3:::bktb"));
        assert_eq!(S3Location::bucket_of_arn("arn:aws:s3:::b/cur"), Some("b"));
    }
}
