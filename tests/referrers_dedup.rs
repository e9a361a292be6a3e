#![cfg(not(target_arch = "wasm32"))]
//! A hostile registry repeating the same referrers page after page: merging them
//! must stay linear, or the tab freezes.

mod support;

use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::client::Registry;
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository};
use tagdeck::oci::referrers::{ApiSupport, FoundVia, ReferrerQuery};

const SUBJECT: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const DISTINCT: usize = 9_000;
const ENTRIES: usize = 50_000;
const PAGE: usize = 10_000;

fn nth_digest(n: usize) -> String {
    format!("sha256:{n:064x}")
}

/// The n-th entry the registry lists: every distinct referrer once, then the last
/// thousand again and again (each a full scan of the list for a linear search).
fn entry_digest(i: usize) -> String {
    if i < DISTINCT {
        nth_digest(i)
    } else {
        nth_digest(DISTINCT - 1 - (i % 1_000))
    }
}

#[test]
fn fifty_thousand_mostly_repeated_referrers_merge_into_the_distinct_ones_in_order() {
    let http = ScriptedHttp::new(|request| {
        if !request.url.contains("/referrers/") {
            return Ok(response(404, &[], b""));
        }
        let start: usize = request
            .url
            .split("page=")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let end = (start + PAGE).min(ENTRIES);
        let manifests: Vec<serde_json::Value> = (start..end)
            .map(|i| {
                serde_json::json!({
                    "mediaType": media::OCI_MANIFEST,
                    "digest": entry_digest(i),
                    "size": 500,
                    "artifactType": "application/spdx+json",
                })
            })
            .collect();
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": manifests,
        })
        .to_string();
        let link = format!("</v2/app/referrers/{SUBJECT}?page={end}>; rel=\"next\"");
        let mut headers = vec![("Content-Type", media::OCI_INDEX)];
        if end < ENTRIES {
            headers.push(("Link", link.as_str()));
        }
        Ok(response(200, &headers, body.as_bytes()))
    });
    let client = Registry::new("http://registry.test", &http);
    let list = block_on(client.referrers(
        &Repository::parse("app").unwrap(),
        &Digest::parse(SUBJECT).unwrap(),
        &ReferrerQuery::default(),
    ))
    .unwrap();
    assert_eq!(list.api, ApiSupport::Supported);
    assert!(list.warnings.is_empty(), "{:?}", list.warnings);
    assert_eq!(list.ignored, 0);
    let pages = http
        .sent
        .borrow()
        .iter()
        .filter(|r| r.url.contains("/referrers/"))
        .count();
    assert_eq!(pages, ENTRIES / PAGE);
    assert_eq!(list.referrers.len(), DISTINCT);
    let found: Vec<&str> = list.referrers.iter().map(|r| r.digest.as_str()).collect();
    let expected: Vec<String> = (0..DISTINCT).map(nth_digest).collect();
    assert!(found.iter().zip(&expected).all(|(f, e)| f == e));
    assert!(list.referrers.iter().all(|r| r.found == [FoundVia::Api]));
}
