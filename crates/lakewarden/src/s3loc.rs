//! S3 locations (`s3://bucket/prefix/`) and the ARNs derived from them.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct S3Location {
    pub bucket: String,
    /// Key prefix without a leading slash; ends with `/` unless empty (the whole bucket).
    pub prefix: String,
}

impl S3Location {
    pub fn parse(uri: &str) -> Option<S3Location> {
        let rest = ["s3://", "s3a://", "s3n://"]
            .iter()
            .find_map(|p| uri.strip_prefix(p))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
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
        format!("arn:aws:s3:::{}", self.bucket)
    }

    /// `arn:aws:s3:::bucket/prefix/*`
    pub fn objects_arn(&self) -> String {
        format!("arn:aws:s3:::{}/{}*", self.bucket, self.prefix)
    }

    /// The ARN Lake Formation registers: `arn:aws:s3:::bucket/prefix` (no trailing slash).
    pub fn location_arn(&self) -> String {
        let p = self.prefix.trim_end_matches('/');
        if p.is_empty() {
            self.bucket_arn()
        } else {
            format!("arn:aws:s3:::{}/{}", self.bucket, p)
        }
    }

    /// Whether a registered location ARN covers this location (same path or a parent folder).
    pub fn covered_by(&self, registered_arn: &str) -> bool {
        let mine = self.location_arn();
        let reg = registered_arn.trim_end_matches('/');
        mine == reg || mine.starts_with(&format!("{reg}/"))
    }

    /// The bucket of a location ARN `arn:aws:s3:::bucket[/path]`.
    pub fn bucket_of_arn(arn: &str) -> Option<&str> {
        let rest = arn.strip_prefix("arn:aws:s3:::")?;
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
    fn parses_and_normalises() {
        let l = S3Location::parse("s3://cur-data/cur/legacy_all").unwrap();
        assert_eq!(l.prefix, "cur/legacy_all/");
        assert_eq!(l.objects_arn(), "arn:aws:s3:::cur-data/cur/legacy_all/*");
        assert_eq!(l.location_arn(), "arn:aws:s3:::cur-data/cur/legacy_all");
        let root = S3Location::parse("s3://b/").unwrap();
        assert_eq!(root.prefix, "");
        assert_eq!(root.location_arn(), "arn:aws:s3:::b");
        assert_eq!(root.objects_arn(), "arn:aws:s3:::b/*");
        assert!(S3Location::parse("https://x").is_none());
        assert!(S3Location::parse("s3:///x").is_none());
    }

    #[test]
    fn coverage_respects_folder_boundaries() {
        let l = S3Location::parse("s3://b/cur/legacy_all/").unwrap();
        assert!(l.covered_by("arn:aws:s3:::b/cur"));
        assert!(l.covered_by("arn:aws:s3:::b"));
        assert!(l.covered_by("arn:aws:s3:::b/cur/legacy_all"));
        assert!(!l.covered_by("arn:aws:s3:::b/cu"));
        assert!(!l.covered_by("arn:aws:s3:::bb"));
        assert_eq!(S3Location::bucket_of_arn("arn:aws:s3:::b/cur"), Some("b"));
    }
}
