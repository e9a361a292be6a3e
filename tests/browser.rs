//! Browser tests: the real transport (fetch in headless Chromium) against a real
//! registry filled by the fixture generator. Run by scripts/test.sh, which starts the
//! registries and passes their URLs and the fixture report at compile time.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use serde::Deserialize;
use tagdeck::net::FetchClient;
use tagdeck::oci::client::Registry;
use tagdeck::oci::error::RegistryError;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Deserialize)]
struct FixtureImage {
    digest: String,
}

/// What the fixture generator pushed: repository → tag → image (a `__count` entry
/// stands for the number of tags of a large repository).
#[derive(Deserialize)]
struct FixtureReport {
    registry: String,
    repositories: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

fn fixtures() -> FixtureReport {
    let Some(json) = option_env!("TAGDECK_TEST_FIXTURES") else {
        panic!("run browser tests through scripts/test.sh: it starts the test registry");
    };
    serde_json::from_str(json).expect("fixture report is JSON")
}

fn registry(report: &FixtureReport) -> Registry<FetchClient> {
    Registry::new(&report.registry, FetchClient::new())
}

#[wasm_bindgen_test]
async fn catalog_lists_exactly_the_pushed_repositories() {
    let report = fixtures();
    let mut names = registry(&report).catalog().await.expect("catalog");
    names.sort();
    let expected: Vec<String> = report.repositories.keys().cloned().collect();
    assert_eq!(names, expected);
}

#[wasm_bindgen_test]
async fn tags_of_nested_repository_match_the_fixture() {
    let report = fixtures();
    let mut pages = 0;
    let mut tags = registry(&report)
        .tags("team/sub/app", |_| pages += 1)
        .await
        .expect("tag list");
    tags.sort();
    let expected: Vec<String> = report.repositories["team/sub/app"]
        .keys()
        .cloned()
        .collect();
    assert_eq!(tags, expected);
    assert!(pages >= 1);
    let image: FixtureImage =
        serde_json::from_value(report.repositories["team/sub/app"]["1.10.0"].clone()).unwrap();
    assert!(image.digest.starts_with("sha256:"));
}

#[wasm_bindgen_test]
async fn large_repository_lists_every_tag() {
    let report = fixtures();
    let expected = report.repositories["scale/many-tags"]["__count"]
        .as_u64()
        .expect("scale repository count");
    let tags = registry(&report)
        .tags("scale/many-tags", |_| {})
        .await
        .expect("tag list");
    assert_eq!(tags.len() as u64, expected);
}

#[wasm_bindgen_test]
async fn unknown_repository_is_not_found() {
    let report = fixtures();
    let error = registry(&report)
        .tags("no/such/repository", |_| {})
        .await
        .expect_err("must fail");
    assert!(matches!(error, RegistryError::NotFound { .. }), "{error:?}");
    assert!(error.has_code("NAME_UNKNOWN"), "{error:?}");
}

#[wasm_bindgen_test]
async fn unreachable_registry_is_a_network_error() {
    // Port 9 (discard) on loopback has no listener in the test environment.
    let error = Registry::new("http://127.0.0.1:9", FetchClient::new())
        .check_api()
        .await
        .expect_err("must fail");
    assert!(matches!(error, RegistryError::Network { .. }), "{error:?}");
}
