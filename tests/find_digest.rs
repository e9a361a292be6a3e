#![cfg(not(target_arch = "wasm32"))]
//! Finding where a digest is used across a registry: tags and indexes, in every
//! repository of the catalog; what could not be read is reported, never hidden.

mod support;

use std::cell::{Cell, RefCell};

use support::block_on;
use support::memory_registry::{sha256, Fault, MemoryRegistry, Strike};
use tagdeck::oci::client::{HeadPlan, Registry};
use tagdeck::oci::error::RegistryError;
use tagdeck::oci::find_digest::{
    reading_order, DigestUse, FindProgress, FindReport, Gap, ImagePart, Sought,
};
use tagdeck::oci::http::Method;
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};

fn image(salt: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":2}},"layers":[],"annotations":{{"salt":"{salt}"}}}}"#,
        media::OCI_MANIFEST,
        media::OCI_CONFIG,
        sha256(b"{}")
    )
    .into_bytes()
}

fn index(children: &[(&str, &str)]) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": children.iter().map(|(digest, arch)| serde_json::json!({
            "mediaType": media::OCI_MANIFEST,
            "digest": digest,
            "size": 100,
            "platform": {"os": "linux", "architecture": arch},
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

fn tag(name: &str) -> Tag {
    Tag::parse(name).unwrap()
}

fn used(repository: &str, t: &str, digest: &str) -> DigestUse {
    DigestUse::Tag {
        repository: repo(repository),
        tag: tag(t),
        digest: Digest::parse(digest).unwrap(),
    }
}

struct Run {
    report: Result<FindReport, RegistryError>,
    streamed: Vec<DigestUse>,
    progress: Vec<FindProgress>,
}

fn find(registry: &MemoryRegistry, target: &str, cancel_after: Option<usize>) -> Run {
    let asked = Cell::new(0);
    find_until(registry, target, || {
        asked.set(asked.get() + 1);
        cancel_after.is_some_and(|after| asked.get() > after)
    })
}

fn find_until(registry: &MemoryRegistry, target: &str, cancelled: impl Fn() -> bool) -> Run {
    let api = Registry::new("http://registry.test", registry);
    let streamed = RefCell::new(Vec::new());
    let progress = RefCell::new(Vec::new());
    let plan = HeadPlan::fixed(None);
    let report = block_on(api.find_digest(
        &Sought::parse(target).unwrap(),
        &plan,
        |p| progress.borrow_mut().push(p),
        |u| streamed.borrow_mut().push(u.clone()),
        cancelled,
    ));
    Run {
        report,
        streamed: streamed.into_inner(),
        progress: progress.into_inner(),
    }
}

/// `wanted` in three repositories under four tags, listed by one index (tagged in
/// two repositories, read once), plus images and an index that do not use it.
fn scattered() -> (MemoryRegistry, String) {
    let registry = MemoryRegistry::new();
    let wanted = registry.push("team/app", "v1", media::OCI_MANIFEST, &image("wanted"));
    registry.push("team/app", "latest", media::OCI_MANIFEST, &image("wanted"));
    registry.push("team/app", "v0", media::OCI_MANIFEST, &image("other"));
    registry.push("mirror", "app-v1", media::OCI_MANIFEST, &image("wanted"));
    registry.push("archive/2024", "old", media::OCI_MANIFEST, &image("wanted"));
    let other = registry.push_untagged("multi", media::OCI_MANIFEST, &image("arm"));
    let listed = index(&[(&wanted, "amd64"), (&other, "arm64")]);
    registry.push("multi", "2.0", media::OCI_INDEX, &listed);
    registry.push("multi", "stable", media::OCI_INDEX, &listed);
    registry.push(
        "multi",
        "unrelated",
        media::OCI_INDEX,
        &index(&[(&other, "arm64")]),
    );
    registry.push("empty-ish", "x", media::OCI_MANIFEST, &image("x"));
    (registry, wanted)
}

#[test]
fn finds_every_tag_and_every_index_listing_the_digest() {
    let (registry, wanted) = scattered();
    let run = find(&registry, &wanted, None);
    let report = run.report.unwrap();
    let index = Digest::parse(&sha256(&index(&[
        (&wanted, "amd64"),
        (&sha256(&image("arm")), "arm64"),
    ])))
    .unwrap();
    let listed_by = |t: &str| DigestUse::ListedBy {
        repository: repo("multi"),
        tag: tag(t),
        index: index.clone(),
        digest: Digest::parse(&wanted).unwrap(),
        platform: Some("linux/amd64".into()),
    };
    let expected = vec![
        used("archive/2024", "old", &wanted),
        used("mirror", "app-v1", &wanted),
        used("team/app", "latest", &wanted),
        used("team/app", "v1", &wanted),
        listed_by("2.0"),
        listed_by("stable"),
    ];
    let mut sorted = report.uses.clone();
    tagdeck::model::sort::ascending(&mut sorted);
    assert_eq!(sorted, expected);
    let mut streamed = run.streamed.clone();
    tagdeck::model::sort::ascending(&mut streamed);
    assert_eq!(streamed, expected, "every use is streamed as found");
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
    assert_eq!(report.progress.repositories_total, 5);
    assert_eq!(report.progress.repositories_done, 5);
    assert_eq!(report.progress.tags_checked, 9);
    // The index tagged twice is read once; the unrelated one once.
    assert_eq!(report.progress.indexes_read, 2);
    let state = registry.state.borrow();
    let index_gets = state
        .log
        .iter()
        .filter(|l| l.starts_with(&format!("GET /v2/multi/manifests/{index}")))
        .count();
    assert_eq!(index_gets, 1);
    // Images are only HEADed, never downloaded.
    assert!(!state
        .log
        .iter()
        .any(|l| l.starts_with("GET /v2/team/app/manifests/")));
    assert!(run
        .progress
        .windows(2)
        .all(|w| w[0].tags_checked <= w[1].tags_checked));
}

#[test]
fn an_index_searched_for_is_found_by_its_tags() {
    let (registry, wanted) = scattered();
    let listed = sha256(&index(&[
        (&wanted, "amd64"),
        (&sha256(&image("arm")), "arm64"),
    ]));
    let report = find(&registry, &listed, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![
            used("multi", "2.0", &listed),
            used("multi", "stable", &listed)
        ]
    );
}

#[test]
fn the_start_of_a_digest_finds_the_tags_and_indexes_whose_manifests_begin_with_it() {
    let (registry, wanted) = scattered();
    let whole = find(&registry, &wanted, None).report.unwrap();
    registry.state.borrow_mut().log.clear();

    // As `docker images` shows an image ID: the first 12 digits, no algorithm.
    let start = &wanted["sha256:".len().."sha256:".len() + 12];
    let report = find(&registry, start, None).report.unwrap();
    assert_eq!(report.uses, whole.uses);
    assert!(report.uses.iter().all(|found| match found {
        DigestUse::Tag { digest, .. } | DigestUse::ListedBy { digest, .. } =>
            digest.as_str() == wanted,
        _ => false,
    }));
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
    // A layer or a configuration cannot be asked for by the start of its digest.
    assert!(!registry.was_sent("HEAD /v2/team/app/blobs/"));
    assert!(!registry
        .state
        .borrow()
        .log
        .iter()
        .any(|l| l.contains("/blobs/")));

    // The start of an index's digest finds its tags, and whatever it lists that
    // starts the same way (here nothing).
    let listed = sha256(&index(&[
        (&wanted, "amd64"),
        (&sha256(&image("arm")), "arm64"),
    ]));
    let report = find(&registry, &listed[..7 + 20], None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![
            used("multi", "2.0", &listed),
            used("multi", "stable", &listed)
        ]
    );

    let nothing = find(&registry, "sha256:000000000000", None).report.unwrap();
    assert!(nothing.uses.is_empty());
    assert!(!nothing.may_have_missed());
}

#[test]
fn a_digest_used_nowhere_finds_nothing_and_says_the_search_was_whole() {
    let (registry, _) = scattered();
    let report = find(&registry, &sha256(b"nothing"), None).report.unwrap();
    assert!(report.uses.is_empty());
    assert!(!report.may_have_missed());
}

#[test]
fn a_layer_is_found_where_it_is_stored_and_an_unreadable_answer_is_a_gap() {
    let (registry, _) = scattered();
    let layer = sha256(b"a layer");
    registry.add_blob("team/app", &layer);
    registry.add_blob("mirror", &layer);
    let stored = |repository: &str| DigestUse::Blob {
        repository: repo(repository),
        size: Some(1),
        maybe_tagged: false,
    };
    let report = find(&registry, &layer, None).report.unwrap();
    assert_eq!(report.uses, vec![stored("mirror"), stored("team/app")]);
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
    // One HEAD per repository, never a download.
    let log = registry.state.borrow().log.clone();
    let asked: Vec<&String> = log.iter().filter(|l| l.contains("/blobs/")).collect();
    assert_eq!(asked.len(), 5, "{asked:?}");
    assert!(asked.iter().all(|l| l.starts_with("HEAD ")), "{asked:?}");

    // A repository that refused to answer may store it: the search says it may have
    // missed some.
    registry.inject(Fault::new(
        Method::Head,
        &format!("v2/archive/2024/blobs/{layer}"),
        Strike::Before,
        Some(403),
    ));
    let report = find(&registry, &layer, None).report.unwrap();
    assert!(report.may_have_missed());
    assert!(
        matches!(&report.gaps[..], [Gap::BlobUnreadable { repository, .. }] if repository.as_str() == "archive/2024"),
        "{:?}",
        report.gaps
    );
    assert_eq!(report.uses.len(), 2);
}

#[test]
fn an_image_no_tag_points_at_any_more_is_found_as_untagged_not_as_a_layer() {
    // Its tag moved on: the registry keeps the manifest. Some registries answer its
    // digest at the blob endpoint as well (team/app), distribution does not (mirror).
    let (registry, _) = scattered();
    let orphan = registry.push_untagged("team/app", media::OCI_MANIFEST, &image("old build"));
    registry.add_blob("team/app", &orphan);
    registry.push_untagged("mirror", media::OCI_MANIFEST, &image("old build"));
    let layer = sha256(b"a left-over layer");
    registry.add_blob("mirror", &layer);

    let report = find(&registry, &orphan, None).report.unwrap();
    let untagged = |repository: &str| DigestUse::Untagged {
        repository: repo(repository),
        digest: Digest::parse(&orphan).unwrap(),
        media_type: media::OCI_MANIFEST.into(),
        maybe_tagged: false,
    };
    assert_eq!(report.uses, vec![untagged("mirror"), untagged("team/app")]);
    assert!(!report.may_have_missed(), "{:?}", report.gaps);

    // With no blob of that digest, only the manifest endpoint can say the repository
    // keeps the image: when it fails, the search says it may have missed a use.
    registry.inject(
        Fault::new(
            Method::Head,
            &format!("v2/mirror/manifests/{orphan}"),
            Strike::Before,
            Some(503),
        )
        .times(3),
    );
    let report = find(&registry, &orphan, None).report.unwrap();
    assert_eq!(report.uses, vec![untagged("team/app")]);
    assert!(report.may_have_missed());
    assert!(
        matches!(&report.gaps[..], [Gap::ManifestUnreadable { repository, .. }] if repository.as_str() == "mirror"),
        "{:?}",
        report.gaps
    );

    // A blob the manifest endpoint does not know stays a layer or configuration.
    let report = find(&registry, &layer, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::Blob {
            repository: repo("mirror"),
            size: Some(1),
            maybe_tagged: false,
        }]
    );
    assert!(registry.was_sent(&format!("HEAD /v2/mirror/manifests/{layer}")));

    // Distribution answers a blob's digest at the manifest endpoint with 500: no gap,
    // the blob is the answer.
    registry.inject(
        Fault::new(
            Method::Head,
            &format!("v2/mirror/manifests/{layer}"),
            Strike::Before,
            Some(500),
        )
        .times(3),
    );
    let report = find(&registry, &layer, None).report.unwrap();
    assert_eq!(report.uses.len(), 1);
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
}

#[test]
fn a_stored_layer_is_reported_where_a_tag_could_not_be_read() {
    // The registry says b stores the layer; its one tag could not be read, so whether
    // a tagged image uses the layer is unknown, but that b stores it is known.
    let registry = MemoryRegistry::new();
    registry.push("b", "v1", media::OCI_MANIFEST, &image("b"));
    let layer = sha256(b"an orphan layer");
    registry.add_blob("b", &layer);
    registry
        .inject(Fault::new(Method::Head, "v2/b/manifests/v1", Strike::Before, Some(403)).times(10));
    let report = find(&registry, &layer, None).report.unwrap();
    assert!(report.may_have_missed());
    assert_eq!(
        report.uses,
        vec![DigestUse::Blob {
            repository: repo("b"),
            size: Some(1),
            maybe_tagged: true,
        }],
        "{:?}",
        report.gaps
    );
    let said = tagdeck::wording::stored_blob(Some(1), true);
    assert!(
        said.contains("whether an image a tag names has it is unknown"),
        "{said}"
    );
    // The cheap untagged HEAD is asked too: an image no readable tag names.
    let orphan = registry.push_untagged("b", media::OCI_MANIFEST, &image("orphan"));
    let report = find(&registry, &orphan, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::Untagged {
            repository: repo("b"),
            digest: Digest::parse(&orphan).unwrap(),
            media_type: media::OCI_MANIFEST.into(),
            maybe_tagged: true,
        }]
    );
}

#[test]
fn an_index_listing_a_digest_many_times_is_one_use() {
    // A hostile index repeats one entry: one use, not a thousand rows.
    let registry = MemoryRegistry::new();
    let wanted = registry.push_untagged("r", media::OCI_MANIFEST, &image("w"));
    let entries: Vec<(&str, &str)> = (0..1000).map(|_| (wanted.as_str(), "amd64")).collect();
    registry.push("r", "multi", media::OCI_INDEX, &index(&entries));
    let run = find(&registry, &wanted, None);
    let report = run.report.unwrap();
    assert_eq!(report.uses.len(), 1, "{:?}", &report.uses[..2]);
    assert_eq!(run.streamed.len(), 1);
    assert!(matches!(report.uses[0], DigestUse::ListedBy { .. }));
}

#[test]
fn a_manifest_the_blob_endpoint_also_answers_for_is_told_by_its_tags_alone() {
    // Some registries answer a manifest's digest at the blob endpoint too: where a
    // tag names it, "stored as a layer or configuration" would be untrue.
    let (registry, wanted) = scattered();
    for repository in ["team/app", "mirror", "archive/2024", "multi", "empty-ish"] {
        registry.add_blob(repository, &wanted);
    }
    let report = find(&registry, &wanted, None).report.unwrap();
    let blobs: Vec<&str> = report
        .uses
        .iter()
        .filter_map(|u| match u {
            DigestUse::Blob { repository, .. } => Some(repository.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(blobs, ["empty-ish"]);
    assert_eq!(report.uses.len(), 7);
}

#[test]
fn an_incomplete_catalog_is_reported() {
    let (registry, wanted) = scattered();
    registry.state.borrow_mut().catalog_page = Some(2);
    // The question for the names after the first page fails.
    registry.inject(Fault::new(Method::Get, "_catalog", Strike::Before, Some(404)).nth(2));
    let report = find(&registry, &wanted, None).report.unwrap();
    assert!(report.may_have_missed());
    assert!(
        report.gaps.contains(&Gap::CatalogIncomplete),
        "{:?}",
        report.gaps
    );
    assert_eq!(report.progress.repositories_total, 2);
}

#[test]
fn a_paged_catalog_is_read_whole() {
    let (registry, wanted) = scattered();
    registry.state.borrow_mut().catalog_page = Some(2);
    let report = find(&registry, &wanted, None).report.unwrap();
    assert_eq!(report.progress.repositories_total, 5);
    assert_eq!(report.uses.len(), 6);
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
}

#[test]
fn unreadable_tag_lists_tags_and_indexes_are_gaps_not_silence() {
    let (registry, wanted) = scattered();
    registry.inject(Fault::new(
        Method::Get,
        "v2/mirror/tags/list",
        Strike::Before,
        Some(404),
    ));
    registry.inject(Fault::new(
        Method::Head,
        "v2/archive/2024/manifests/old",
        Strike::Before,
        Some(403),
    ));
    let listed = sha256(&index(&[
        (&wanted, "amd64"),
        (&sha256(&image("arm")), "arm64"),
    ]));
    registry.inject(Fault::new(
        Method::Get,
        &format!("v2/multi/manifests/{listed}"),
        Strike::Before,
        Some(403),
    ));
    let report = find(&registry, &wanted, None).report.unwrap();
    assert!(report.may_have_missed());
    // Where tags could not be read, the one manifest HEAD still says the image is
    // stored there; whether a tag points at it is unknown.
    let stored = |repository: &str| DigestUse::Untagged {
        repository: repo(repository),
        digest: Digest::parse(&wanted).unwrap(),
        media_type: media::OCI_MANIFEST.into(),
        maybe_tagged: true,
    };
    assert_eq!(
        report.uses,
        vec![
            stored("archive/2024"),
            stored("mirror"),
            used("team/app", "latest", &wanted),
            used("team/app", "v1", &wanted)
        ]
    );
    let kinds: Vec<&str> = report
        .gaps
        .iter()
        .map(|g| match g {
            Gap::TagsUnreadable { .. } => "tags",
            Gap::TagUnreadable { .. } => "tag",
            Gap::IndexUnreadable { .. } => "index",
            _ => "other",
        })
        .collect();
    assert!(kinds.contains(&"tags"), "{kinds:?}");
    assert!(kinds.contains(&"tag"), "{kinds:?}");
    // Both tags of the unreadable index are reported, the index read once.
    assert_eq!(kinds.iter().filter(|k| **k == "index").count(), 2);
    assert_eq!(report.gap_count, 4);
    // Only the index read counts as read: the one that failed is a gap.
    assert_eq!(report.progress.indexes_read, 1);
}

#[test]
fn an_incomplete_tag_list_is_a_gap() {
    let (registry, wanted) = scattered();
    {
        let mut state = registry.state.borrow_mut();
        state.tag_page = Some(2);
        state.tag_page_ignores_last = true;
    }
    let report = find(&registry, &wanted, None).report.unwrap();
    assert!(report.gaps.iter().any(
        |g| matches!(g, Gap::TagsIncomplete { repository } if repository.as_str() == "team/app")
    ));
}

#[test]
fn invalid_names_from_the_registry_are_never_requested() {
    let (registry, wanted) = scattered();
    registry.push("bad name", "v1", media::OCI_MANIFEST, &image("wanted"));
    registry.push("mirror", "../../x", media::OCI_MANIFEST, &image("wanted"));
    let report = find(&registry, &wanted, None).report.unwrap();
    assert!(report.gaps.contains(&Gap::InvalidRepository {
        name: "bad name".into()
    }));
    assert!(report.gaps.contains(&Gap::InvalidTag {
        repository: repo("mirror"),
        tag: "../../x".into()
    }));
    assert!(!registry.was_sent("HEAD /v2/bad name"));
    assert!(!registry
        .state
        .borrow()
        .log
        .iter()
        .any(|l| l.contains("../")));
    assert_eq!(report.uses.len(), 6);
}

#[test]
fn cancel_stops_new_requests_and_is_reported() {
    let (registry, wanted) = scattered();
    let run = find(&registry, &wanted, Some(3));
    let report = run.report.unwrap();
    assert!(report.cancelled);
    assert!(report.may_have_missed());
    assert!(report.progress.repositories_done < report.progress.repositories_total);
    let requests_after = registry.state.borrow().log.len();
    assert!(requests_after < 15, "{requests_after} requests");
}

#[test]
fn cancel_aborts_the_requests_in_flight_and_keeps_what_was_found() {
    let (registry, wanted) = scattered();
    // Cancel aborts the page's requests: every one after the sixth fails as aborted.
    registry.state.borrow_mut().aborted_after = Some(6);
    let run = find_until(&registry, &wanted, || {
        registry.state.borrow().log.len() >= 6
    });
    // Not an error: a cancelled search, with what it found before.
    let report = run.report.expect("a cancelled search is a report");
    assert!(report.cancelled);
    assert!(report.may_have_missed());
    assert!(report.progress.repositories_done < report.progress.repositories_total);
    let mut streamed = run.streamed.clone();
    tagdeck::model::sort::by(&mut streamed, reading_order);
    assert!(!report.uses.is_empty());
    assert_eq!(report.uses, streamed);
    assert_eq!(registry.state.borrow().log.len(), 6);
    // The repositories it was in the middle of are named: read only in part.
    let log = registry.state.borrow().log.clone();
    let started: Vec<String> = log
        .iter()
        .filter_map(|l| l.strip_prefix("GET /v2/")?.split_once("/tags/list"))
        .map(|(repository, _)| repository.to_owned())
        .collect();
    let mut cut_short: Vec<String> = report.cut_short.iter().map(|r| r.to_string()).collect();
    assert!(!cut_short.is_empty());
    tagdeck::model::sort::ascending(&mut cut_short);
    let mut started = started.clone();
    tagdeck::model::sort::ascending(&mut started);
    started.dedup();
    assert_eq!(cut_short, started, "{log:?}");
    assert_eq!(report.progress.repositories_done, 0);

    // Cancelled while the catalog was being read: a report of nothing searched.
    registry.state.borrow_mut().log.clear();
    registry.state.borrow_mut().aborted_after = Some(0);
    let report = find_until(&registry, &wanted, || true).report.unwrap();
    assert!(report.cancelled);
    assert_eq!(report.progress, FindProgress::default());
    registry.state.borrow_mut().aborted_after = Some(6);

    // An abort nobody asked for is still an error.
    let run = find_until(&registry, &wanted, || false);
    assert!(
        matches!(run.report, Err(RegistryError::Aborted { .. })),
        "{:?}",
        run.report
    );
}

#[test]
fn uses_are_listed_by_repository_then_tag_in_version_order() {
    let registry = MemoryRegistry::new();
    let wanted = registry.push("app10", "1.10.0", media::OCI_MANIFEST, &image("wanted"));
    for (repository, t) in [
        ("app10", "1.9.0"),
        ("app2", "v10"),
        ("app2", "v9"),
        ("app10", "latest"),
    ] {
        registry.push(repository, t, media::OCI_MANIFEST, &image("wanted"));
    }
    let report = find(&registry, &wanted, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![
            used("app2", "v9", &wanted),
            used("app2", "v10", &wanted),
            used("app10", "1.9.0", &wanted),
            used("app10", "1.10.0", &wanted),
            used("app10", "latest", &wanted),
        ]
    );
}

fn image_with(config: &str, layers: &[&str]) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": config, "size": 2},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l, "size": 10,
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

#[test]
fn once_the_digest_is_a_layer_no_repository_is_asked_for_it_as_an_untagged_image() {
    let registry = MemoryRegistry::new();
    let layer = sha256(b"a layer");
    registry.push(
        "app",
        "v1",
        media::OCI_MANIFEST,
        &image_with(&sha256(b"config"), &[&layer]),
    );
    registry.add_blob("app", &layer);
    for n in 0..10 {
        registry.push(&format!("r{n:02}"), "x", media::OCI_MANIFEST, &image("x"));
    }
    let report = find(&registry, &layer, None).report.unwrap();
    assert_eq!(report.uses.len(), 1);
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
    // "app" (read first) has it as a layer: no manifest HEAD for it anywhere.
    let asked = registry
        .state
        .borrow()
        .log
        .iter()
        .filter(|l| l.starts_with("HEAD") && l.contains(&format!("/manifests/{layer}")))
        .count();
    assert_eq!(asked, 0);

    // A digest found nowhere is asked for in every repository read whole.
    registry.state.borrow_mut().log.clear();
    let nowhere = sha256(b"nowhere");
    let report = find(&registry, &nowhere, None).report.unwrap();
    assert!(report.uses.is_empty());
    let asked = registry
        .state
        .borrow()
        .log
        .iter()
        .filter(|l| l.starts_with("HEAD") && l.contains(&format!("/manifests/{nowhere}")))
        .count();
    assert_eq!(asked, 11);
}

#[test]
fn a_layer_is_found_in_every_tagged_image_that_has_it_platforms_included() {
    let registry = MemoryRegistry::new();
    let (base, app_layer, other_layer) = (sha256(b"base"), sha256(b"app"), sha256(b"other"));
    let (config_a, config_b) = (sha256(b"config a"), sha256(b"config b"));
    let a = registry.push(
        "app",
        "v1",
        media::OCI_MANIFEST,
        &image_with(&config_a, &[&base, &app_layer]),
    );
    registry.push(
        "app",
        "v1-alias",
        media::OCI_MANIFEST,
        &image_with(&config_a, &[&base, &app_layer]),
    );
    let b = registry.push(
        "app",
        "v2",
        media::OCI_MANIFEST,
        &image_with(&config_b, &[&other_layer]),
    );
    let child = registry.push_untagged(
        "app",
        media::OCI_MANIFEST,
        &image_with(&config_b, &[&app_layer]),
    );
    let listed = registry.push(
        "app",
        "multi",
        media::OCI_INDEX,
        &index(&[(&child, "arm64")]),
    );
    registry.add_blob("app", &app_layer);
    registry.add_blob("app", &config_a);
    // Stored, but no tag's image has it.
    registry.push("other", "x", media::OCI_MANIFEST, &image("x"));
    registry.add_blob("other", &app_layer);

    let in_image = |t: &str, image: &str, platform: Option<&str>, part| DigestUse::InImage {
        repository: repo("app"),
        tag: tag(t),
        image: Digest::parse(image).unwrap(),
        platform: platform.map(str::to_owned),
        part,
    };
    let report = find(&registry, &app_layer, None).report.unwrap();
    let second_of_two = ImagePart::Layer { number: 2, of: 2 };
    assert_eq!(
        report.uses,
        vec![
            in_image(
                "multi",
                &child,
                Some("linux/arm64"),
                ImagePart::Layer { number: 1, of: 1 }
            ),
            in_image("v1", &a, None, second_of_two),
            in_image("v1-alias", &a, None, second_of_two),
            DigestUse::Blob {
                repository: repo("other"),
                size: Some(1),
                maybe_tagged: false,
            },
        ]
    );
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
    // Each image read once, by digest: a, b, the arm64 platform (the index was read
    // as one) and other's x.
    assert_eq!(report.progress.images_read, 4);
    assert_eq!(report.progress.indexes_read, 1);
    let log = registry.state.borrow().log.clone();
    let gets = |digest: &str| {
        log.iter()
            .filter(|l| **l == format!("GET /v2/app/manifests/{digest}"))
            .count()
    };
    assert_eq!(
        (gets(&a), gets(&b), gets(&child), gets(&listed)),
        (1, 1, 1, 1)
    );

    // A configuration, and an image that could not be read: a gap, never silence.
    registry.inject(Fault::new(
        Method::Get,
        &format!("v2/app/manifests/{b}"),
        Strike::Before,
        Some(403),
    ));
    let report = find(&registry, &config_a, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![
            in_image("v1", &a, None, ImagePart::Config),
            in_image("v1-alias", &a, None, ImagePart::Config),
        ]
    );
    // a and the arm64 platform were read; b, which failed, is a gap, not a read.
    assert_eq!(report.progress.images_read, 2);
    assert!(report.may_have_missed());
    assert!(
        matches!(&report.gaps[..], [Gap::ImageUnreadable { named_by, .. }] if *named_by == vec![(tag("v2"), None)]),
        "{:?}",
        report.gaps
    );

    // A repository not read whole is never said to store it unused: the image that
    // failed may be the one that has it (the registry's word that it stores it is
    // kept). One gap for the image, whatever tags name it.
    registry.inject(
        Fault::new(
            Method::Get,
            &format!("v2/app/manifests/{a}"),
            Strike::Before,
            Some(403),
        )
        .times(10),
    );
    let report = find(&registry, &config_a, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::Blob {
            repository: repo("app"),
            size: Some(1),
            maybe_tagged: true,
        }]
    );
    assert!(report.may_have_missed());
    assert!(
        matches!(&report.gaps[..], [Gap::ImageUnreadable { named_by, .. }] if named_by.len() == 2),
        "{:?}",
        report.gaps
    );
}

#[test]
fn a_platform_under_an_index_of_indexes_is_found_by_the_tag_above() {
    // "nested" → outer index → inner index (untagged) → platform (untagged).
    let registry = MemoryRegistry::new();
    let platform = registry.push_untagged("deep", media::OCI_MANIFEST, &image("deep platform"));
    let inner = index(&[(&platform, "arm64")]);
    let inner_digest = registry.push_untagged("deep", media::OCI_INDEX, &inner);
    let outer = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_INDEX, "digest": inner_digest, "size": inner.len()}],
    })
    .to_string();
    let outer_digest = registry.push("deep", "nested", media::OCI_INDEX, outer.as_bytes());

    let report = find(&registry, &platform, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::ListedBy {
            repository: repo("deep"),
            tag: tag("nested"),
            index: Digest::parse(&inner_digest).unwrap(),
            digest: Digest::parse(&platform).unwrap(),
            platform: Some("linux/arm64".into()),
        }],
        "in use by the tag above, never \"untagged\""
    );
    assert!(!report.may_have_missed(), "{:?}", report.gaps);

    // Its configuration (a blob): found in the platform, named by the tag above.
    registry.add_blob("deep", &sha256(b"{}"));
    let report = find(&registry, &sha256(b"{}"), None).report.unwrap();
    assert!(
        report.uses.iter().any(|u| matches!(u,
            DigestUse::InImage { tag: t, image, .. }
                if *t == tag("nested") && image.as_str() == platform)),
        "{:?}",
        report.uses
    );

    // The inner index itself: listed by the outer one, which the tag names.
    let report = find(&registry, &inner_digest, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::ListedBy {
            repository: repo("deep"),
            tag: tag("nested"),
            index: Digest::parse(&outer_digest).unwrap(),
            digest: Digest::parse(&inner_digest).unwrap(),
            platform: None,
        }]
    );
}

/// A schema 1 image: its layers are `fsLayers[].blobSum`, the top one first.
fn schema_1(layers: &[&str]) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 1,
        "name": "old",
        "tag": "v1",
        "architecture": "amd64",
        "fsLayers": layers.iter().map(|l| serde_json::json!({"blobSum": l})).collect::<Vec<_>>(),
        "history": layers.iter().map(|_| serde_json::json!({"v1Compatibility": "{}"})).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

#[test]
fn a_layer_of_a_schema_1_image_or_an_artifact_is_found_in_it_never_called_unused() {
    let registry = MemoryRegistry::new();
    let (top, base) = (sha256(b"schema 1 top"), sha256(b"schema 1 base"));
    let old = registry.push(
        "old",
        "v1",
        media::DOCKER_SCHEMA1_SIGNED,
        &schema_1(&[&top, &base]),
    );
    registry.add_blob("old", &top);
    let report = find(&registry, &top, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::InImage {
            repository: repo("old"),
            tag: tag("v1"),
            image: Digest::parse(&old).unwrap(),
            platform: None,
            // fsLayers lists the top layer first.
            part: ImagePart::Layer { number: 2, of: 2 },
        }]
    );
    assert!(!report.may_have_missed(), "{:?}", report.gaps);

    // An OCI 1.1 release-candidate artifact lists its parts as `blobs`.
    let part = sha256(b"artifact part");
    let artifact = registry.push(
        "art",
        "sbom",
        "application/vnd.oci.artifact.manifest.v1+json",
        serde_json::json!({
            "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
            "artifactType": "application/spdx+json",
            "blobs": [{"mediaType": "application/spdx+json", "digest": part, "size": 5}],
        })
        .to_string()
        .as_bytes(),
    );
    registry.add_blob("art", &part);
    let report = find(&registry, &part, None).report.unwrap();
    assert_eq!(
        report.uses,
        vec![DigestUse::InImage {
            repository: repo("art"),
            tag: tag("sbom"),
            image: Digest::parse(&artifact).unwrap(),
            platform: None,
            part: ImagePart::Layer { number: 1, of: 1 },
        }]
    );

    // A manifest of a kind not known: what it references is unknown, so never
    // "no image a tag names has it".
    let stray = sha256(b"stray");
    registry.push(
        "odd",
        "x",
        "application/vnd.example.thing+json",
        br#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json","parts":["?"]}"#,
    );
    registry.add_blob("odd", &stray);
    let report = find(&registry, &stray, None).report.unwrap();
    assert!(report.may_have_missed(), "{:?}", report.uses);
    assert!(
        report.uses.iter().all(|u| !matches!(
            u,
            DigestUse::Blob {
                maybe_tagged: false,
                ..
            }
        )),
        "{:?}",
        report.uses
    );
}

#[test]
fn a_sha512_digest_is_never_reported_as_not_found_after_a_whole_search() {
    let registry = MemoryRegistry::new();
    let pushed = registry.push("app", "v1", media::OCI_MANIFEST, &image("x"));
    let hex: String = pushed["sha256:".len()..].repeat(2);
    for target in [format!("sha512:{hex}"), format!("sha512:{}", &hex[..16])] {
        let report = find(&registry, &target, None).report.unwrap();
        assert!(report.uses.is_empty());
        assert!(report.may_have_missed(), "{target}: said complete");
        let said: Vec<String> = report
            .gaps
            .iter()
            .map(|gap| tagdeck::wording::find_gap(gap, None).text)
            .collect();
        assert!(
            said.iter().any(|line| line.contains("sha256")),
            "{target}: {said:?}"
        );
    }
}

#[test]
fn a_platform_label_of_any_length_is_kept_short() {
    let registry = MemoryRegistry::new();
    let child = registry.push_untagged("app", media::OCI_MANIFEST, &image("child"));
    let long = "a".repeat(100_000);
    registry.push("app", "multi", media::OCI_INDEX, &index(&[(&child, &long)]));
    registry.add_blob("app", &sha256(b"{}"));
    for target in [child.clone(), sha256(b"{}")] {
        let report = find(&registry, &target, None).report.unwrap();
        assert!(!report.uses.is_empty());
        for found in &report.uses {
            let platform = match found {
                DigestUse::ListedBy { platform, .. } | DigestUse::InImage { platform, .. } => {
                    platform.as_deref().unwrap()
                }
                other => panic!("{other:?}"),
            };
            assert!(platform.chars().count() <= 200, "{} chars", platform.len());
        }
    }
}

#[test]
fn not_found_says_images_referencing_a_layer_no_repository_stores_are_not_looked_into() {
    let registry = MemoryRegistry::new();
    // A foreign layer (Windows base): referenced, never stored.
    let foreign = sha256(b"foreign layer");
    registry.push(
        "win",
        "ltsc",
        media::OCI_MANIFEST,
        &image_with(&sha256(b"config"), &[&foreign]),
    );
    let report = find(&registry, &foreign, None).report.unwrap();
    assert!(report.uses.is_empty());
    let whole = Sought::parse(&foreign).unwrap();
    let said = tagdeck::wording::find_headline(&report, &whole);
    assert!(
        said.starts_with("Not found in the 1 repositories"),
        "{said}"
    );
    assert!(said.contains("does not store"), "{said}");
    assert!(said.contains("not looked"), "{said}");
    // The start of a digest names no layer: nothing to say about blobs.
    let start = Sought::parse(&foreign[..19]).unwrap();
    let said = tagdeck::wording::find_headline(&report, &start);
    assert!(!said.contains("does not store"), "{said}");
}

#[test]
fn a_manifest_read_that_fails_is_no_reason_to_call_the_digest_a_layer() {
    let registry = MemoryRegistry::new();
    let pushed = registry.push("app", "v1", media::OCI_MANIFEST, &image("x"));
    // Some registries answer a manifest's digest at the blob endpoint too.
    registry.add_blob("app", &pushed);
    let api = Registry::new("http://registry.test", &registry);
    let digest = Digest::parse(&pushed).unwrap();
    // Reads are retried once on a 5xx: a lasting one. Distribution's 500 (code
    // UNKNOWN) for a blob read as a manifest is the one 5xx that means "a blob".
    for status in [502, 503] {
        registry.inject(
            Fault::new(
                Method::Get,
                &format!("v2/app/manifests/{pushed}"),
                Strike::Before,
                Some(status),
            )
            .times(2),
        );
        let read = block_on(api.manifest_or_blob(&repo("app"), &digest));
        assert!(
            matches!(read, Err(RegistryError::Server { .. })),
            "HTTP {status}: {read:?}"
        );
    }
    // A manifest that cannot be parsed is still a manifest.
    let broken = registry.push_untagged("app", media::OCI_MANIFEST, b"{not json");
    registry.add_blob("app", &broken);
    let read = block_on(api.manifest_or_blob(&repo("app"), &Digest::parse(&broken).unwrap()));
    assert!(
        matches!(read, Err(RegistryError::Malformed { .. })),
        "{read:?}"
    );
}

#[test]
fn a_manifest_of_unknown_kind_has_no_size_rather_than_zero() {
    use tagdeck::oci::image_summary::summarize;
    use tagdeck::oci::manifest::Manifest;
    let old = Manifest::parse(
        schema_1(&[&sha256(b"l")]),
        Some(media::DOCKER_SCHEMA1_SIGNED),
    )
    .unwrap();
    assert_eq!(summarize(&old, None).size, None);
    let image = Manifest::parse(image_with(&sha256(b"c"), &[&sha256(b"l")]), None).unwrap();
    assert_eq!(summarize(&image, None).size, Some(12));
}

/// A registry (or a proxy before it) may serve an index as `application/json`, or
/// with no Content-Type: the document says what it is, and its platforms are in use.
#[test]
fn an_index_served_as_plain_json_or_untyped_is_read_as_the_index_it_is() {
    for content_type in ["application/json", ""] {
        let registry = MemoryRegistry::new();
        let child = registry.push_untagged("app", media::OCI_MANIFEST, &image("arm"));
        let multi = registry.push("app", "multi", content_type, &index(&[(&child, "arm64")]));
        let report = find(&registry, &child, None).report.unwrap();
        assert_eq!(
            report.uses,
            vec![DigestUse::ListedBy {
                repository: repo("app"),
                tag: tag("multi"),
                index: Digest::parse(&multi).unwrap(),
                digest: Digest::parse(&child).unwrap(),
                platform: Some("linux/arm64".into()),
            }],
            "{content_type:?}"
        );
        assert!(
            !report.may_have_missed(),
            "{content_type:?}: {:?}",
            report.gaps
        );

        // The document cannot be read: a gap, never "no tag points at it".
        registry.inject(
            Fault::new(
                Method::Get,
                &format!("manifests/{multi}"),
                Strike::Before,
                Some(500),
            )
            .times(10),
        );
        let report = find(&registry, &child, None).report.unwrap();
        assert!(
            !report.uses.iter().any(|u| matches!(
                u,
                DigestUse::Untagged {
                    maybe_tagged: false,
                    ..
                }
            )),
            "{content_type:?}: {:?}",
            report.uses
        );
        assert!(
            report.gaps.iter().any(|g| matches!(g,
                Gap::TagUnreadable { tag: t, .. } | Gap::IndexUnreadable { tag: t, .. }
                    if *t == tag("multi"))),
            "{content_type:?}: {:?}",
            report.gaps
        );
    }
}

/// An index listed by two indexes (or tagged and listed by another) is in use by the
/// tags above each: read once, its entries are used by them all.
#[test]
fn an_index_reached_from_two_tags_is_used_by_both() {
    // "n" → N → T, and "multi" → A → N.
    let registry = MemoryRegistry::new();
    let t = registry.push_untagged("app", media::OCI_MANIFEST, &image("t"));
    let n = registry.push("app", "n", media::OCI_INDEX, &index(&[(&t, "arm64")]));
    let a = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_INDEX, "digest": n, "size": 100}],
    })
    .to_string();
    registry.push("app", "multi", media::OCI_INDEX, a.as_bytes());
    let report = find(&registry, &t, None).report.unwrap();
    let listed_by = |by: &str| DigestUse::ListedBy {
        repository: repo("app"),
        tag: tag(by),
        index: Digest::parse(&n).unwrap(),
        digest: Digest::parse(&t).unwrap(),
        platform: Some("linux/arm64".into()),
    };
    assert_eq!(report.uses, vec![listed_by("multi"), listed_by("n")]);
    assert!(!report.may_have_missed(), "{:?}", report.gaps);
    assert_eq!(
        registry.sent_count(&format!("GET /v2/app/manifests/{n}")),
        1
    );

    // Its configuration (a blob): found in T under both tags.
    registry.add_blob("app", &sha256(b"{}"));
    let report = find(&registry, &sha256(b"{}"), None).report.unwrap();
    for by in ["multi", "n"] {
        assert!(
            report.uses.iter().any(|u| matches!(u,
                DigestUse::InImage { tag: named, image, .. }
                    if *named == tag(by) && image.as_str() == t)),
            "{by}: {:?}",
            report.uses
        );
    }
}

#[test]
fn a_name_of_any_length_from_the_registry_is_kept_short_in_the_report() {
    let (registry, wanted) = scattered();
    let long = "x/".repeat(512 * 1024);
    registry.push(&long, "v1", media::OCI_MANIFEST, &image("wanted"));
    let long_tag = "../".repeat(350 * 1024);
    registry.push("mirror", &long_tag, media::OCI_MANIFEST, &image("wanted"));
    let report = find(&registry, &wanted, None).report.unwrap();
    let max = tagdeck::oci::bounds::MAX_MESSAGE_CHARS + 1;
    let (mut repositories, mut tags) = (0, 0);
    for gap in &report.gaps {
        match gap {
            Gap::InvalidRepository { name } => {
                repositories += 1;
                assert!(name.chars().count() <= max, "{}", name.len());
            }
            Gap::InvalidTag { tag, .. } => {
                tags += 1;
                assert!(tag.chars().count() <= max, "{}", tag.len());
            }
            _ => {}
        }
    }
    assert_eq!((repositories, tags), (1, 1), "{:?}", report.gap_count);
}
