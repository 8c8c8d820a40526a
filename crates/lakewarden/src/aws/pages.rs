//! Paging for the operations that have no SDK paginator (Glue `DescribeIntegrations`,
//! `DescribeInboundIntegrations`). Everything else uses the SDK's `into_paginator()`, which
//! stops on an absent or empty token and on a token equal to the one it just sent.
//!
//! This helper stops in the same cases and, in addition, on any token it has already sent (a
//! service cycling A → B → A would otherwise page forever).

use std::collections::HashSet;
use std::future::Future;

use super::AwsResult;

/// Call `fetch(token)` until the returned token is absent, empty or one already sent; returns
/// every page's items in order. `fetch` gets `None` first.
pub async fn collect_pages<T, F, Fut>(mut fetch: F) -> AwsResult<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = AwsResult<(Vec<T>, Option<String>)>>,
{
    let mut items = Vec::new();
    let mut sent: HashSet<String> = HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let (page, next) = fetch(token.take()).await?;
        items.extend(page);
        match next {
            Some(t) if !t.is_empty() && sent.insert(t.clone()) => token = Some(t),
            _ => return Ok(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(pages: Vec<(Vec<u32>, Option<&'static str>)>) -> (Vec<u32>, Vec<Option<String>>) {
        let calls = std::sync::Mutex::new(Vec::new());
        let items = collect_pages(|t| {
            calls.lock().unwrap().push(t.clone());
            let n = calls.lock().unwrap().len() - 1;
            let (items, next) = pages[n].clone();
            async move { Ok((items, next.map(String::from))) }
        })
        .await
        .unwrap();
        (items, calls.into_inner().unwrap())
    }

    #[tokio::test]
    async fn follows_tokens_until_absent() {
        let (items, calls) = run(vec![
            (vec![1], Some("a")),
            (vec![2], Some("b")),
            (vec![3], None),
        ])
        .await;
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(calls, [None, Some("a".into()), Some("b".into())]);
    }

    #[tokio::test]
    async fn stops_on_empty_token() {
        // moto answers `"Marker": ""` / `"NextToken": ""` on the last page.
        let (items, calls) = run(vec![(vec![1], Some("a")), (vec![2], Some(""))]).await;
        assert_eq!(items, [1, 2]);
        assert_eq!(calls.len(), 2);
    }

    #[tokio::test]
    async fn stops_on_a_repeated_token() {
        let (items, calls) = run(vec![
            (vec![1], Some("a")),
            (vec![2], Some("a")),
            (vec![9], None),
        ])
        .await;
        assert_eq!(items, [1, 2]);
        assert_eq!(calls.len(), 2);
        let (items, calls) = run(vec![
            (vec![1], Some("a")),
            (vec![2], Some("b")),
            (vec![3], Some("a")),
            (vec![9], None),
        ])
        .await;
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(calls.len(), 3);
    }

    #[tokio::test]
    async fn an_error_stops_and_is_returned() {
        let mut n = 0;
        let r: AwsResult<Vec<u32>> = collect_pages(|_| {
            n += 1;
            let first = n == 1;
            async move {
                if first {
                    Ok((vec![1], Some("a".to_string())))
                } else {
                    Err(super::super::AwsError::new(
                        Some("ThrottlingException"),
                        "slow",
                    ))
                }
            }
        })
        .await;
        assert!(r.unwrap_err().is_transient());
        assert_eq!(n, 2);
    }
}
