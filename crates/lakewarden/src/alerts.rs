//! One SNS message per invocation that failed something or needs a person.

use crate::report::{Outcome, Report};

/// SNS limits subjects to 100 characters.
pub const SUBJECT_MAX: usize = 100;
/// SNS limits a message to 256 KB; the body stays well under it.
pub const BODY_MAX: usize = 200 * 1024;
/// Failures and attention items listed in full; the rest are counted.
pub const LISTED_MAX: usize = 50;
/// Each remedy (which may embed a policy document) is cut to this many bytes.
pub const REMEDY_MAX: usize = 4 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub subject: String,
    pub body: String,
}

/// SNS subjects must be ASCII without control characters, and at most 100 characters.
fn clip(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if clean.len() <= max {
        return clean;
    }
    format!("{}...", &clean[..max - 3])
}

/// At most `max` bytes of `s`, cut on a character boundary, with "…" when cut.
pub fn cap(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes)", &s[..end], s.len() - end)
}

/// The alert for a report, or None when nothing failed and nothing needs a person.
///
/// `resource` names what the invocation was about (a database, a table, "scheduled reconcile").
pub fn compose(report: &Report, resource: &str, attention: &[String]) -> Option<Alert> {
    let failed: Vec<_> = report.failures();
    if failed.is_empty() && attention.is_empty() {
        return None;
    }
    let what = if failed.is_empty() {
        "needs attention".to_string()
    } else {
        format!("{} action(s) failed", failed.len())
    };
    let subject = clip(
        &format!("lakewarden {}: {} on {}", report.function, what, resource),
        SUBJECT_MAX,
    );
    let mut body = format!(
        "lakewarden function `{}` ({}) on {}.\n\n",
        report.function,
        if report.dry_run { "dry run" } else { "applied" },
        resource
    );
    if !failed.is_empty() {
        body.push_str("What failed:\n");
        let mut listed = 0;
        for a in failed.iter().take(LISTED_MAX) {
            if body.len() > BODY_MAX / 2 {
                break;
            }
            listed += 1;
            body.push_str(&format!("- {} {}\n", a.action, cap(&a.target, 1024)));
            if let Some(e) = &a.error {
                body.push_str(&format!("  AWS error: {}\n", cap(e, 2048)));
            }
            if let Some(r) = &a.remedy {
                body.push_str(&format!("  What to do: {}\n", cap(r, REMEDY_MAX)));
            }
        }
        if failed.len() > listed {
            body.push_str(&format!(
                "… and {} more failures (all are in the report)\n",
                failed.len() - listed
            ));
        }
        body.push('\n');
    }
    if !attention.is_empty() {
        body.push_str("Needs a person:\n");
        let mut listed = 0;
        for a in attention.iter().take(LISTED_MAX) {
            if body.len() > BODY_MAX * 9 / 10 {
                break;
            }
            listed += 1;
            body.push_str(&format!("- {}\n", cap(a, REMEDY_MAX)));
        }
        if attention.len() > listed {
            body.push_str(&format!(
                "… and {} more items (all are in the report)\n",
                attention.len() - listed
            ));
        }
        body.push('\n');
    }
    let done = report.count(Outcome::Applied);
    let already = report.count(Outcome::Already);
    body.push_str(&format!(
        "Everything else was still applied: {done} applied, {already} already in place, {} skipped.\n",
        report.count(Outcome::Skipped)
    ));
    body.push_str("The full JSON report is in the function's CloudWatch logs (field `report`).\n");
    if body.len() > BODY_MAX {
        body = cap(&body, BODY_MAX);
    }
    Some(Alert { subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_alert_when_all_is_well() {
        let mut r = Report::new("catalog-sharer", false);
        r.push("lakeformation.grant", "x", Outcome::Applied);
        assert_eq!(compose(&r, "cur_org", &[]), None);
    }

    #[test]
    fn alert_names_function_resource_error_and_remedy() {
        let mut r = Report::new("catalog-sharer", false);
        r.push("lakeformation.grant", "x", Outcome::Applied);
        r.push_failed(
            "s3.put_bucket_policy",
            "bucket cur-data",
            "AccessDenied: denied",
            "Allow s3:PutBucketPolicy on arn:aws:s3:::cur-data",
        );
        let a = compose(&r, &"cur_org_".repeat(30), &[]).unwrap();
        assert!(a.subject.chars().count() <= SUBJECT_MAX);
        assert!(a.subject.is_ascii());
        assert!(a
            .subject
            .starts_with("lakewarden catalog-sharer: 1 action(s) failed on cur_org"));
        assert!(a.body.contains("AccessDenied: denied"));
        assert!(a.body.contains("What to do: Allow s3:PutBucketPolicy"));
        assert!(a.body.contains("1 applied"));
    }

    #[test]
    fn a_huge_failure_list_fits_one_sns_message() {
        let mut r = Report::new("catalog-sharer", false);
        let big = "x".repeat(30_000);
        for i in 0..500 {
            r.push_failed(
                "s3.put_bucket_policy",
                format!("bucket b{i}"),
                big.clone(),
                big.clone(),
            );
        }
        let attention: Vec<String> = (0..300).map(|i| format!("item {i} {big}")).collect();
        let a = compose(&r, "db", &attention).unwrap();
        assert!(a.body.len() <= BODY_MAX + 64, "{}", a.body.len());
        assert!(a.body.contains(" more failures (all are in the report)"));
        assert!(a.body.contains(" more items (all are in the report)"));
        assert!(
            !a.body.ends_with("more bytes)"),
            "the summary survives the cap"
        );
    }

    #[test]
    fn attention_alone_alerts() {
        let r = Report::new("share-linker", false);
        let a = compose(&r, "invitations", &["untrusted".into()]).unwrap();
        assert!(a.subject.contains("needs attention"));
        assert!(a.body.contains("- untrusted"));
    }
}
