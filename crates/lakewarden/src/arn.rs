//! ARNs: one type that parses and builds them, and knows its partition.
//!
//! The partition comes from the region the function runs in (`cn-*` → `aws-cn`, `us-gov-*` →
//! `aws-us-gov`, …), set once when the clients are built ([`set_region`]); nothing else in
//! lakewarden writes an `arn:aws:` literal.

use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

static PARTITION: OnceLock<String> = OnceLock::new();

/// The partition of a region (AWS "Partitions" in the General Reference).
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

/// Record the region the function runs in (first call wins).
pub fn set_region(region: &str) {
    let _ = PARTITION.set(partition_of_region(region).to_string());
}

/// The partition of this process's region (`aws` until a region is set).
pub fn partition() -> &'static str {
    PARTITION.get().map(String::as_str).unwrap_or("aws")
}

/// An ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl Arn {
    /// Parse an ARN; `None` when it does not have six `:`-separated parts starting with `arn`.
    pub fn parse(s: &str) -> Option<Arn> {
        let mut it = s.splitn(6, ':');
        let (arn, partition, service, region, account, resource) = (
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
        );
        if arn != "arn" || partition.is_empty() || service.is_empty() {
            return None;
        }
        Some(Arn {
            partition: partition.into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        })
    }

    /// An ARN in this process's partition.
    pub fn new(service: &str, region: &str, account: &str, resource: &str) -> Arn {
        Arn {
            partition: partition().into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        }
    }

    /// The last path element of the resource (`role/path/name` → `name`).
    pub fn resource_name(&self) -> &str {
        self.resource
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(&self.resource)
    }

    /// The resource type (`role/x` → `role`, `table/db/t` → `table`).
    pub fn resource_type(&self) -> &str {
        self.resource
            .split(['/', ':'])
            .next()
            .unwrap_or(&self.resource)
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// The account id an ARN names ("" when it is not an ARN or names none).
pub fn account_of(arn: &str) -> String {
    Arn::parse(arn).map(|a| a.account).unwrap_or_default()
}

/// `arn:P:iam::ACCOUNT:root`
pub fn account_root(account: &str) -> String {
    Arn::new("iam", "", account, "root").to_string()
}

/// `arn:P:s3:::bucket[/key]`
pub fn s3(bucket_and_key: &str) -> String {
    Arn::new("s3", "", "", bucket_and_key).to_string()
}

/// `arn:P:glue:REGION:ACCOUNT:database/DB`
pub fn glue_database(region: &str, account: &str, db: &str) -> String {
    Arn::new("glue", region, account, &format!("database/{db}")).to_string()
}

/// `arn:P:glue:REGION:ACCOUNT:table/DB/TABLE`
pub fn glue_table(region: &str, account: &str, db: &str, table: &str) -> String {
    Arn::new("glue", region, account, &format!("table/{db}/{table}")).to_string()
}

/// `arn:P:glue:REGION:ACCOUNT:catalog`
pub fn glue_catalog(region: &str, account: &str) -> String {
    Arn::new("glue", region, account, "catalog").to_string()
}

/// `arn:P:iam::ACCOUNT:policy/NAME`
pub fn iam_policy(account: &str, name: &str) -> String {
    Arn::new("iam", "", account, &format!("policy/{name}")).to_string()
}

/// `arn:P:iam::aws:policy/NAME` (an AWS managed policy)
pub fn aws_managed_policy(name: &str) -> String {
    Arn::new("iam", "", "aws", &format!("policy/{name}")).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition_of_region("us-east-1"), "aws");
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("eu-central-1"), "aws");
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "arn:aws:iam::111111111111:role/path/name",
            "arn:aws-cn:glue:cn-north-1:111111111111:table/db/t",
            "arn:aws:s3:::bucket/key/with:colon",
            "arn:aws:organizations::111111111111:ou/o-abc123def4/ou-ab12-def45678",
        ] {
            let a = Arn::parse(s).unwrap();
            assert_eq!(a.to_string(), s);
        }
        let a = Arn::parse("arn:aws:iam::111111111111:role/path/name").unwrap();
        assert_eq!(a.account, "111111111111");
        assert_eq!(a.resource_name(), "name");
        assert_eq!(a.resource_type(), "role");
        assert!(Arn::parse("not:an:arn").is_none());
        assert!(Arn::parse("arn:aws:iam").is_none());
        assert!(Arn::parse("").is_none());
        assert_eq!(account_of("garbage"), "");
    }

    #[test]
    fn builders_use_the_partition() {
        // The process default partition is `aws` in tests (no region set by this test).
        let p = partition();
        assert_eq!(
            glue_table("r", "1", "d", "t"),
            format!("arn:{p}:glue:r:1:table/d/t")
        );
        assert_eq!(s3("b/k"), format!("arn:{p}:s3:::b/k"));
        assert_eq!(account_root("1"), format!("arn:{p}:iam::1:root"));
    }
}
