//! Browser tests: the real transport (fetch in headless Chromium, cross-origin, so
//! CORS is real) against a real registry filled by the fixture generator. Run by
//! scripts/test.sh, which starts the registries and passes their URLs and the
//! fixture report at compile time; it then asks skopeo to confirm the retags below.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use serde::Deserialize;
use tagdeck::net::FetchClient;
use tagdeck::oci::changes::{ChangeError, RemovalMethod};
use tagdeck::oci::client::{MountOutcome, Registry};
use tagdeck::oci::error::RegistryError;
use tagdeck::oci::manifest::ManifestKind;
use tagdeck::oci::names::{Digest, Reference, Repository, Tag};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The four manifest kinds in the demo fixtures: (repository, tag, kind).
/// Keep in sync with tests/skopeo-agrees.mjs, which checks the retags independently.
const FOUR_KINDS: [(&str, &str, ManifestKind); 4] = [
    ("demo/web", "1.0", ManifestKind::Image), // Docker v2 manifest
    ("demo/api", "v1", ManifestKind::Image),  // OCI image manifest
    ("demo/legacy-multiarch", "3.1", ManifestKind::Index), // Docker manifest list
    ("demo/multiarch", "2.0", ManifestKind::Index), // OCI index
];

#[derive(Deserialize, Clone)]
struct FixturePlatform {
    architecture: String,
    digest: String,
}

#[derive(Deserialize, Clone)]
struct FixtureImage {
    digest: String,
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(default)]
    platforms: Vec<FixturePlatform>,
    #[serde(default)]
    created: Option<String>,
}

/// What the fixture generator pushed: repository → tag → image (a `__count` entry
/// stands for the number of tags of a large repository).
#[derive(Deserialize)]
struct FixtureReport {
    registry: String,
    repositories: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

impl FixtureReport {
    fn image(&self, repository: &str, tag: &str) -> FixtureImage {
        serde_json::from_value(self.repositories[repository][tag].clone()).expect("fixture image")
    }
}

fn parse_report(json: Option<&str>) -> FixtureReport {
    let Some(json) = json else {
        panic!("run browser tests through scripts/test.sh: it starts the test registries");
    };
    serde_json::from_str(json).expect("fixture report is JSON")
}

fn fixtures() -> FixtureReport {
    parse_report(option_env!("TAGDECK_TEST_FIXTURES"))
}

fn registry(report: &FixtureReport) -> Registry<FetchClient> {
    Registry::new(&report.registry, FetchClient::new())
}

/// A tag or digest as the client's manifest calls take it.
fn parse_reference(text: &str) -> Reference {
    Reference::parse(text).expect("a valid tag or digest")
}

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

fn tag(name: &str) -> Tag {
    Tag::parse(name).unwrap()
}

#[wasm_bindgen_test]
async fn catalog_lists_exactly_the_pushed_repositories() {
    let report = fixtures();
    let mut names = registry(&report).catalog().await.expect("catalog");
    names.retain(|n| !n.starts_with("browser-test/"));
    tagdeck::model::sort::ascending(&mut names);
    let expected: Vec<String> = report.repositories.keys().cloned().collect();
    assert_eq!(names, expected);
}

#[wasm_bindgen_test]
async fn tags_of_nested_repository_match_the_fixture() {
    let report = fixtures();
    let mut pages = 0;
    let listing = registry(&report)
        .tags(&repo("team/sub/app"), |_| pages += 1)
        .await
        .expect("tag list");
    assert!(!listing.may_be_incomplete);
    let mut tags = listing.tags;
    tagdeck::model::sort::ascending(&mut tags);
    let expected: Vec<String> = report.repositories["team/sub/app"]
        .keys()
        .cloned()
        .collect();
    assert_eq!(tags, expected);
    assert!(pages >= 1);
}

#[wasm_bindgen_test]
async fn large_repository_lists_every_tag() {
    let report = fixtures();
    let expected = report.repositories["scale/many-tags"]["__count"]
        .as_u64()
        .expect("scale repository count");
    let listing = registry(&report)
        .tags(&repo("scale/many-tags"), |_| {})
        .await
        .expect("tag list");
    assert_eq!(listing.tags.len() as u64, expected);
    // distribution 2.8 ignores n=1000 and sends all of them: a page larger than
    // asked for proves the list whole.
    assert!(!listing.may_be_incomplete);
}

#[wasm_bindgen_test]
async fn every_manifest_kind_keeps_its_digest_when_retagged() {
    let report = fixtures();
    let registry = registry(&report);
    for (repository, source_tag, kind) in FOUR_KINDS {
        let truth = report.image(repository, source_tag);
        let repository = repo(repository);
        let manifest = registry
            .manifest_get(&repository, parse_reference(source_tag))
            .await
            .expect("manifest get");
        assert_eq!(
            manifest.digest.as_str(),
            truth.digest,
            "{repository}:{source_tag}"
        );
        assert_eq!(manifest.kind(), kind, "{repository}:{source_tag}");
        assert_eq!(manifest.media_type(), truth.media_type);
        // The fixtures are pretty-printed with tabs: re-serialising would lose them.
        assert!(manifest.bytes.contains(&b'\t'), "fixture is pretty-printed");

        let target = tag(&format!("browser-retag-{source_tag}"));
        let put = registry
            .manifest_put_tag(&repository, &target, &manifest)
            .await
            .expect("manifest put");
        assert_eq!(put.as_str(), truth.digest);

        let head = registry
            .manifest_head(&repository, target.clone())
            .await
            .expect("manifest head");
        assert_eq!(
            head.digest.map(|d| d.to_string()),
            Some(truth.digest.clone())
        );
        let again = registry
            .manifest_get(&repository, target.clone())
            .await
            .expect("get retag");
        assert_eq!(again.bytes, manifest.bytes);
    }
}

#[wasm_bindgen_test]
async fn index_children_are_the_pushed_platform_manifests() {
    let report = fixtures();
    let registry = registry(&report);
    for (repository, source_tag) in [("demo/multiarch", "2.0"), ("demo/legacy-multiarch", "3.1")] {
        let truth = report.image(repository, source_tag);
        let index = registry
            .manifest_get(&repo(repository), parse_reference(source_tag))
            .await
            .unwrap();
        let children: Vec<(String, String)> = index
            .view
            .manifests
            .iter()
            .map(|m| {
                let platform = m.platform.as_ref().expect("platform");
                (platform.architecture.clone(), m.digest.to_string())
            })
            .collect();
        let expected: Vec<(String, String)> = truth
            .platforms
            .iter()
            .map(|p| (p.architecture.clone(), p.digest.clone()))
            .collect();
        assert_eq!(children, expected);
        for (_, digest) in &children {
            let child = registry
                .manifest_get(&repo(repository), parse_reference(digest))
                .await
                .expect("child by digest");
            assert_eq!(&child.digest.to_string(), digest);
            assert_eq!(child.kind(), ManifestKind::Image);
        }
    }
}

#[wasm_bindgen_test]
async fn config_blob_shows_the_created_date() {
    let report = fixtures();
    let registry = registry(&report);
    let manifest = registry
        .manifest_get(&repo("demo/web"), parse_reference("1.0"))
        .await
        .unwrap();
    let config = registry
        .config_get(&repo("demo/web"), manifest.view.config.as_ref().unwrap())
        .await
        .expect("config");
    assert_eq!(config.created, report.image("demo/web", "1.0").created);
    assert!(config
        .config
        .unwrap()
        .labels
        .unwrap()
        .contains_key("org.opencontainers.image.vendor"));
}

#[wasm_bindgen_test]
async fn unknown_tag_and_repository_are_not_found() {
    let report = fixtures();
    let registry = registry(&report);
    let error = registry
        .manifest_get(&repo("demo/web"), parse_reference("no-such-tag"))
        .await
        .expect_err("must fail");
    assert!(matches!(error, RegistryError::NotFound { .. }), "{error:?}");
    assert!(error.has_code("MANIFEST_UNKNOWN"), "{error:?}");
    let error = registry
        .tags(&repo("no/such/repository"), |_| {})
        .await
        .expect_err("must fail");
    assert!(error.has_code("NAME_UNKNOWN"), "{error:?}");
}

#[wasm_bindgen_test]
async fn delete_by_tag_on_distribution_reports_unsupported() {
    let report = fixtures();
    let error = registry(&report)
        .tag_delete(&repo("demo/web"), &tag("0.9"))
        .await
        .expect_err("distribution 2.8 cannot delete by tag");
    assert!(
        matches!(error, RegistryError::Unsupported { .. }),
        "{error:?}"
    );
    // Nothing was removed.
    assert!(registry(&report)
        .manifest_head(&repo("demo/web"), parse_reference("0.9"))
        .await
        .is_ok());
}

#[wasm_bindgen_test]
async fn delete_is_unsupported_when_the_registry_disables_it() {
    let report = parse_report(option_env!("TAGDECK_TEST_FIXTURES_NODELETE"));
    let registry = registry(&report);
    let digest = Digest::parse(&report.image("demo/web", "0.9").digest).unwrap();
    let error = registry
        .manifest_delete(&repo("demo/web"), &digest)
        .await
        .expect_err("deletes are disabled");
    match &error {
        RegistryError::Unsupported { status, .. } => assert_eq!(*status, 405),
        other => panic!("{other:?}"),
    }
    assert!(wording::error(&error)
        .advice
        .contains("storage.delete.enabled"));
}

#[wasm_bindgen_test]
async fn whether_deletes_are_enabled_is_asked_without_changing_anything() {
    let enabled = fixtures();
    let disabled = parse_report(option_env!("TAGDECK_TEST_FIXTURES_NODELETE"));
    let web = repo("demo/web");
    assert!(registry(&enabled).deletes_enabled(&web).await.unwrap());
    assert!(!registry(&disabled).deletes_enabled(&web).await.unwrap());
    // Removing a tag where deletes are disabled: refused, and nothing was written.
    let digest = Digest::parse(&disabled.image("demo/web", "0.9").digest).unwrap();
    let registry = registry(&disabled);
    let tags = registry.tags(&web, |_| {}).await.unwrap().tags;
    let error = registry
        .remove_tag(&web, &tag("0.9"), &digest, &tags, "browser-test")
        .await
        .expect_err("deletes are disabled");
    assert!(matches!(error, ChangeError::Refused(_)), "{error:?}");
    assert!(error.written().is_none());
    assert_eq!(
        registry
            .resolve_tag(&web, &Tag::parse("0.9").unwrap())
            .await
            .unwrap(),
        Some(digest)
    );
}

#[wasm_bindgen_test]
async fn upload_mount_put_and_delete_by_digest() {
    let report = fixtures();
    let registry = registry(&report);
    let scratch = repo("browser-test/scratch");
    // A unique config blob, so this test never collides with an earlier run's.
    let config = format!(
        "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"{}\"}}",
        js_sys::Date::new_0().to_iso_string()
    );
    let config_digest = registry
        .blob_upload(&scratch, config.as_bytes())
        .await
        .expect("upload");
    assert_eq!(
        registry
            .blob_head(&scratch, &config_digest)
            .await
            .unwrap()
            .and_then(|blob| blob.size),
        Some(config.len() as u64)
    );
    let mounted = registry
        .blob_mount(&repo("browser-test/mounted"), &config_digest, &scratch)
        .await
        .expect("mount");
    assert_eq!(mounted, MountOutcome::Mounted);
    assert!(registry
        .blob_head(&repo("browser-test/mounted"), &config_digest)
        .await
        .unwrap()
        .is_some());

    let manifest = format!(
        "{{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n\t\"config\": {{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"{config_digest}\", \"size\": {}}},\n\t\"layers\": []\n}}\n",
        config.len()
    );
    let digest = registry
        .manifest_put(
            &scratch,
            parse_reference("doomed"),
            manifest.as_bytes(),
            "application/vnd.oci.image.manifest.v1+json",
        )
        .await
        .expect("put");
    assert_eq!(digest, Digest::sha256_of(manifest.as_bytes()));
    registry
        .manifest_delete(&scratch, &digest)
        .await
        .expect("delete");
    let error = registry
        .manifest_get(&scratch, parse_reference("doomed"))
        .await
        .expect_err("gone with its manifest");
    assert!(matches!(error, RegistryError::NotFound { .. }), "{error:?}");
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

#[wasm_bindgen_test]
async fn cancelled_requests_report_aborted() {
    let report = fixtures();
    let controller = web_sys::AbortController::new().unwrap();
    let registry = Registry::new(&report.registry, FetchClient::cancelled_by(&controller));
    controller.abort();
    let error = registry.catalog().await.expect_err("aborted");
    assert!(matches!(error, RegistryError::Aborted { .. }), "{error:?}");
}

#[wasm_bindgen_test]
async fn removing_one_of_two_tags_keeps_the_other_and_undo_restores_it() {
    let report = fixtures();
    let registry = registry(&report);
    let repository = repo("demo/web");
    let source = registry
        .manifest_get(&repository, parse_reference("1.0"))
        .await
        .unwrap();
    for name in ["rm-a", "rm-b"] {
        registry
            .put_tag(&repository, &tag(name), &source, None)
            .await
            .expect("tag");
    }
    let all = registry.tags(&repository, |_| {}).await.unwrap().tags;
    let removal = registry
        .remove_tag(
            &repository,
            &tag("rm-a"),
            &source.digest,
            &all,
            "browser-test",
        )
        .await
        .expect("remove one tag");
    // distribution 2.8 cannot delete by tag: the placeholder technique ran.
    assert_eq!(removal.method, RemovalMethod::Placeholder);
    assert!(removal.kept.tags.contains(&"rm-b".to_string()));
    assert!(removal.kept.tags.contains(&"latest".to_string()));
    assert_eq!(
        registry
            .resolve_tag(&repository, &Tag::parse("rm-a").unwrap())
            .await
            .unwrap(),
        None
    );
    for kept in ["rm-b", "1.0", "latest"] {
        assert_eq!(
            registry
                .resolve_tag(&repository, &Tag::parse(kept).unwrap())
                .await
                .unwrap(),
            Some(source.digest.clone()),
            "{kept}"
        );
    }
    registry.restore_tags(&removal).await.expect("undo");
    assert_eq!(
        registry
            .resolve_tag(&repository, &Tag::parse("rm-a").unwrap())
            .await
            .unwrap(),
        Some(source.digest.clone())
    );
}

#[wasm_bindgen_test]
async fn moving_a_tag_needs_consent() {
    let report = fixtures();
    let registry = registry(&report);
    let repository = repo("demo/web");
    let newer = registry
        .manifest_get(&repository, parse_reference("1.0"))
        .await
        .unwrap();
    let older = registry
        .manifest_get(&repository, parse_reference("0.9"))
        .await
        .unwrap();
    registry
        .put_tag(&repository, &tag("mv-target"), &older, None)
        .await
        .unwrap();
    let refused = registry
        .put_tag(&repository, &tag("mv-target"), &newer, None)
        .await
        .expect_err("needs consent");
    assert!(
        matches!(refused, ChangeError::WouldMove { .. }),
        "{refused:?}"
    );
    let moved = registry
        .put_tag(&repository, &tag("mv-target"), &newer, Some(&older.digest))
        .await
        .expect("move");
    assert_eq!(moved.moved_from(), Some(&older.digest));
}

#[wasm_bindgen_test]
async fn copying_a_multi_arch_image_to_another_repository() {
    let report = fixtures();
    let registry = registry(&report);
    let truth = report.image("demo/multiarch", "2.0");
    let source = registry
        .manifest_get(&repo("demo/multiarch"), parse_reference("2.0"))
        .await
        .unwrap();
    let target = repo("browser-test/copied");
    let (write, copy) = registry
        .copy_image(
            &repo("demo/multiarch"),
            &source,
            &target,
            &tag("2.0"),
            None,
            |_| true,
        )
        .await
        .expect("copy");
    assert_eq!(write.digest.as_str(), truth.digest);
    assert_eq!(copy.manifests, 3);
    assert!(copy.mounted + copy.already_present >= 4);
    for platform in &truth.platforms {
        let child = registry
            .manifest_get(&target, parse_reference(&platform.digest))
            .await
            .expect("child in target");
        assert_eq!(child.digest.as_str(), platform.digest);
    }
}

// ---- Digests without preflights (issue #11) ----------------------------------

use tagdeck::oci::client::HeadPlan;
use tagdeck::oci::http::{HttpClient, Method, Request};
use tagdeck::oci::media::{self, FirstPassAccept};
use tagdeck::wording;

/// Every plan a tag view may use, named for messages.
fn head_plans() -> Vec<(String, HeadPlan)> {
    let mut plans: Vec<(String, HeadPlan)> = FirstPassAccept::ALL
        .into_iter()
        .map(|first| (format!("{first:?}"), HeadPlan::fixed(Some(first))))
        .collect();
    plans.push(("adaptive".into(), HeadPlan::adaptive()));
    plans.push(("full Accept only".into(), HeadPlan::fixed(None)));
    plans
}

/// Checks that every plan's fast HEAD of `reference` gets the full-Accept digest,
/// which is `expected`, and that a first pass was trusted exactly when it listed the
/// stored type.
async fn fast_head_agrees(
    registry: &Registry<FetchClient>,
    repository: &str,
    reference: &str,
    expected: &str,
) {
    let repository = repo(repository);
    let full = registry
        .manifest_head(&repository, parse_reference(reference))
        .await
        .expect("full-Accept HEAD");
    assert_eq!(
        full.digest.as_ref().map(Digest::as_str),
        Some(expected),
        "{repository}@{reference}: full Accept"
    );
    let stored_type = media::essence(full.media_type.as_deref().expect("Content-Type"));
    for (name, plan) in head_plans() {
        let first = plan.first_pass();
        let fast = registry
            .manifest_head_fast(&repository, parse_reference(reference), &plan)
            .await
            .unwrap_or_else(|e| panic!("{name}: {repository}@{reference}: {e}"));
        assert_eq!(fast, full, "{name}: {repository}@{reference}");
        let trusted = first.is_some_and(|f| f.types().contains(&stored_type.as_str()));
        assert_eq!(
            plan.counts(),
            (u32::from(trusted), u32::from(!trusted)),
            "{name}: {repository}@{reference} ({stored_type})"
        );
    }
}

#[wasm_bindgen_test]
async fn fast_head_digest_is_the_full_accept_digest_for_every_manifest_kind() {
    let report = fixtures();
    let registry = registry(&report);
    for (repository, tag, _) in FOUR_KINDS {
        let truth = report.image(repository, tag);
        fast_head_agrees(&registry, repository, tag, &truth.digest).await;
        // A platform child by digest (OCI manifests in demo/multiarch, Docker v2 in
        // demo/legacy-multiarch).
        for platform in &truth.platforms {
            fast_head_agrees(&registry, repository, &platform.digest, &platform.digest).await;
        }
    }
}

#[wasm_bindgen_test]
async fn fast_head_of_a_missing_tag_is_not_found() {
    let report = fixtures();
    let registry = registry(&report);
    for (name, plan) in head_plans() {
        let error = registry
            .manifest_head_fast(
                &repo("demo/multiarch"),
                parse_reference("no-such-tag"),
                &plan,
            )
            .await
            .expect_err("must fail");
        assert!(
            matches!(error, RegistryError::NotFound { .. }),
            "{name}: {error:?}"
        );
    }
}

/// Why every first pass lists the Docker list type: a Docker list whose amd64 child
/// is an OCI manifest (distribution accepts it), asked for by tag with "OCI index,
/// OCI manifest", answers as that child, with an OCI Content-Type and the child's
/// digest. The fast HEAD still gets the list's digest.
#[wasm_bindgen_test]
async fn a_docker_list_with_an_oci_child_fools_the_oci_pair_but_not_the_fast_head() {
    let report = fixtures();
    let registry = registry(&report);
    let repository = repo("browser-test/mixed-list");
    let config = format!(
        "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"{}\"}}",
        js_sys::Date::new_0().to_iso_string()
    );
    let config_digest = registry
        .blob_upload(&repository, config.as_bytes())
        .await
        .expect("config upload");
    let child = format!(
        "{{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"{}\",\n\t\"config\": {{\"mediaType\": \"{}\", \"digest\": \"{config_digest}\", \"size\": {}}},\n\t\"layers\": []\n}}\n",
        media::OCI_MANIFEST,
        media::OCI_CONFIG,
        config.len()
    );
    let child_digest = Digest::sha256_of(child.as_bytes());
    registry
        .manifest_put(
            &repository,
            child_digest.clone(),
            child.as_bytes(),
            media::OCI_MANIFEST,
        )
        .await
        .expect("child put");
    let list = format!(
        "{{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"{}\",\n\t\"manifests\": [{{\"mediaType\": \"{}\", \"digest\": \"{child_digest}\", \"size\": {}, \"platform\": {{\"architecture\": \"amd64\", \"os\": \"linux\"}}}}]\n}}\n",
        media::DOCKER_MANIFEST_LIST,
        media::OCI_MANIFEST,
        child.len()
    );
    let list_digest = registry
        .manifest_put(
            &repository,
            parse_reference("mixed"),
            list.as_bytes(),
            media::DOCKER_MANIFEST_LIST,
        )
        .await
        .expect("list put");

    // The pair the issue first suggested, sent as a plain request.
    let url = format!("{}/v2/{repository}/manifests/mixed", report.registry);
    let answer = FetchClient::new()
        .send(Request::new(Method::Head, &url).header(
            "Accept",
            format!("{}, {}", media::OCI_INDEX, media::OCI_MANIFEST),
        ))
        .await
        .expect("HEAD");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some(media::OCI_MANIFEST));
    assert_eq!(
        answer.header("docker-content-digest"),
        Some(child_digest.as_str()),
        "the OCI pair gets the amd64 child, not the list"
    );
    assert_ne!(child_digest, list_digest);

    fast_head_agrees(
        &registry,
        "browser-test/mixed-list",
        "mixed",
        list_digest.as_str(),
    )
    .await;
}

/// A repository of many tags of one OCI manifest: the adaptive plan moves to the
/// OCI manifest pair after the first answer, and every digest is right.
#[wasm_bindgen_test]
async fn the_adaptive_plan_trusts_most_first_passes_in_a_large_repository() {
    let report = fixtures();
    let registry = registry(&report);
    let repository = repo("scale/many-tags");
    let (first_tag, image) = report.repositories["scale/many-tags"]
        .iter()
        .find(|(tag, _)| !tag.starts_with("__"))
        .map(|(tag, image)| (tag.clone(), image.clone()))
        .expect("a scale tag");
    let digest = image["digest"].as_str().expect("digest").to_owned();
    let tags = registry.tags(&repository, |_| {}).await.expect("tags").tags;
    let plan = HeadPlan::adaptive();
    for tag in tags.iter().take(50) {
        let head = registry
            .manifest_head_fast(&repository, parse_reference(tag), &plan)
            .await
            .expect("fast HEAD");
        assert_eq!(
            head.digest.as_ref().map(Digest::as_str),
            Some(digest.as_str()),
            "{tag}"
        );
    }
    assert!(tags.contains(&first_tag));
    // The first tag falls back (Docker v2 is the opening guess), the rest are trusted.
    assert_eq!(plan.counts(), (49, 1));
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::OciManifest));
}

/// Two registries behind one host under different paths: a sign-in for one never
/// serves the other (its credentials would be sent there).
#[wasm_bindgen_test]
fn a_sign_in_belongs_to_one_registry_not_to_every_registry_of_its_host() {
    let team_a = tagdeck::net::session_for("http://127.0.0.1:9/team-a");
    let team_b = tagdeck::net::session_for("http://127.0.0.1:9/team-b");
    team_a
        .sign_in(tagdeck::oci::auth::Credentials::new("alice", "secret"))
        .expect("loopback http may carry credentials");
    assert_eq!(team_a.status().username.as_deref(), Some("alice"));
    assert_eq!(team_b.status().username, None);
    // The same registry, written another way, is the same sign-in.
    let again = tagdeck::net::session_for("http://127.0.0.1:9/team-a/");
    assert_eq!(again.status().username.as_deref(), Some("alice"));
    team_a.sign_out();
}
