#![cfg(not(target_arch = "wasm32"))]
//! Finding what refers to an image: the referrers API, the OCI 1.1 fallback tag,
//! cosign's tags; classification; hostile answers.

mod support;

use std::collections::BTreeMap;

use support::memory_registry::{sha256, Fault, MemoryRegistry, Strike};
use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::changes::{ChangeError, Removal};
use tagdeck::oci::client::Registry;
use tagdeck::oci::error::RegistryError;
use tagdeck::oci::http::{Method, TransportFailure};
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};
use tagdeck::oci::referrer_changes::{
    referrer_items, ItemTarget, ReferrerCopy, ReferrerItem, ReferrerRun,
};
use tagdeck::oci::referrers::{
    classify, is_referrer_tag, ApiSupport, FoundVia, ReferrerKind, ReferrerList, ReferrerQuery,
    ReferrerTagScheme, ReferrerWarning,
};
use tagdeck::oci::undo::UndoAction;
use tagdeck::wording;

const NOTATION: &str = "application/vnd.cncf.notary.signature";
const SPDX: &str = "application/spdx+json";
const COSIGN_SIG: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

fn repo() -> Repository {
    Repository::parse("app").unwrap()
}

fn digest(text: &str) -> Digest {
    Digest::parse(text).unwrap()
}

/// An image to refer to, tagged `v1`.
fn subject(registry: &MemoryRegistry) -> String {
    let image = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":2}},"layers":[]}}"#,
        media::OCI_MANIFEST,
        media::OCI_CONFIG,
        sha256(b"{}")
    );
    registry.push("app", "v1", media::OCI_MANIFEST, image.as_bytes())
}

/// An OCI 1.1 artifact manifest with `subject`, as notation or syft push it.
fn artifact(artifact_type: &str, subject: &str, salt: &str) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": media::OCI_EMPTY, "digest": sha256(b"{}"), "size": 2},
        "layers": [{"mediaType": artifact_type, "digest": sha256(salt.as_bytes()), "size": 10}],
        "subject": {"mediaType": media::OCI_MANIFEST, "digest": subject, "size": 100},
        "annotations": {"salt": salt},
    })
    .to_string()
    .into_bytes()
}

/// A cosign-style signature image, stored under the `.sig` tag.
fn cosign_signature() -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": sha256(b"cfg"), "size": 3},
        "layers": [{"mediaType": COSIGN_SIG, "digest": sha256(b"payload"), "size": 200,
                    "annotations": {"dev.cosignproject.cosign/signature": "MEUC..."}}],
    })
    .to_string()
    .into_bytes()
}

fn tag_for(subject: &str, suffix: &str) -> String {
    format!(
        "sha256-{}{suffix}",
        subject.strip_prefix("sha256:").unwrap()
    )
}

#[test]
fn recognises_referrer_tags() {
    let hex = "ab".repeat(32);
    let d = digest(&format!("sha256:{hex}"));
    assert_eq!(
        is_referrer_tag(&format!("sha256-{hex}")),
        Some((d.clone(), ReferrerTagScheme::Fallback))
    );
    assert_eq!(
        is_referrer_tag(&format!("sha256-{hex}.sig")),
        Some((d.clone(), ReferrerTagScheme::CosignSignature))
    );
    assert_eq!(
        is_referrer_tag(&format!("sha256-{hex}.att")),
        Some((d.clone(), ReferrerTagScheme::CosignAttestation))
    );
    assert_eq!(
        is_referrer_tag(&format!("sha256-{hex}.sbom")),
        Some((d.clone(), ReferrerTagScheme::CosignSbom))
    );
    for not in [
        format!("sha256-{hex}.foo"),
        format!("sha256-{}", "AB".repeat(32)),
        format!("sha256-{}", &hex[..63]),
        format!("sha256-{hex}0"),
        format!("sha512-{hex}"),
        "latest".to_owned(),
        "sha256-".to_owned(),
        format!("v-sha256-{hex}"),
    ] {
        assert_eq!(is_referrer_tag(&not), None, "{not}");
    }
    assert_eq!(
        ReferrerTagScheme::CosignSbom.tag_for(&d).unwrap(),
        format!("sha256-{hex}.sbom")
    );
}

#[test]
fn classifies_known_artifact_types() {
    let none = BTreeMap::new();
    for (kind, expected) in [
        (COSIGN_SIG, ReferrerKind::Signature),
        (NOTATION, ReferrerKind::Signature),
        (
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            ReferrerKind::Signature,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            ReferrerKind::Signature,
        ),
        (SPDX, ReferrerKind::Sbom),
        ("text/spdx", ReferrerKind::Sbom),
        ("application/vnd.cyclonedx+json", ReferrerKind::Sbom),
        ("application/vnd.in-toto+json", ReferrerKind::Attestation),
        (
            "application/vnd.dsse.envelope.v1+json",
            ReferrerKind::Attestation,
        ),
        ("Application/SPDX+JSON; charset=utf-8", ReferrerKind::Sbom),
        (
            "application/vnd.example.thing",
            ReferrerKind::Other("application/vnd.example.thing".into()),
        ),
    ] {
        assert_eq!(classify(kind, &none), expected, "{kind}");
    }
    // cosign 3 stores attestations as sigstore bundles too, with a predicate type.
    let attested = BTreeMap::from([(
        "dev.sigstore.bundle.predicateType".to_owned(),
        "https://slsa.dev/provenance/v1".to_owned(),
    )]);
    assert_eq!(
        classify("application/vnd.dev.sigstore.bundle.v0.3+json", &attested),
        ReferrerKind::Attestation
    );
}

#[test]
fn lists_referrers_from_the_api() {
    let registry = MemoryRegistry::new();
    registry.state.borrow_mut().referrers_api = true;
    let image = subject(&registry);
    let signature = registry.push_untagged(
        "app",
        media::OCI_MANIFEST,
        &artifact(NOTATION, &image, "sig"),
    );
    let sbom = registry.push_untagged("app", media::OCI_MANIFEST, &artifact(SPDX, &image, "sbom"));
    // Refers to another image: not listed.
    registry.push_untagged(
        "app",
        media::OCI_MANIFEST,
        &artifact(SPDX, &sha256(b"other"), "x"),
    );
    // A fallback tag copied in from elsewhere, listing nothing: read with the API
    // too (it is this image's referrer metadata), adding nothing here.
    let fallback = tag_for(&image, "");
    registry.push("app", &fallback, media::OCI_INDEX, br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#);

    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.api, ApiSupport::Supported);
    assert_eq!(list.ignored, 0);
    assert!(list.warnings.is_empty(), "{:?}", list.warnings);
    let mut found: Vec<(String, ReferrerKind, Option<String>, Vec<FoundVia>)> = list
        .referrers
        .iter()
        .map(|r| {
            (
                r.digest.to_string(),
                r.kind.clone(),
                r.artifact_type.clone(),
                r.found.clone(),
            )
        })
        .collect();
    tagdeck::model::sort::ascending(&mut found);
    let mut expected = vec![
        (
            signature.clone(),
            ReferrerKind::Signature,
            Some(NOTATION.to_owned()),
            vec![FoundVia::Api],
        ),
        (
            sbom.clone(),
            ReferrerKind::Sbom,
            Some(SPDX.to_owned()),
            vec![FoundVia::Api],
        ),
    ];
    tagdeck::model::sort::ascending(&mut expected);
    assert_eq!(found, expected);
    let sig = list
        .referrers
        .iter()
        .find(|r| r.digest.as_str() == signature)
        .unwrap();
    assert_eq!(sig.media_type.as_deref(), Some(media::OCI_MANIFEST));
    assert_eq!(sig.size, artifact(NOTATION, &image, "sig").len() as u64);
    assert_eq!(sig.annotations["salt"], "sig");
    let fallback_read = format!("GET /v2/app/manifests/{fallback}");
    assert!(registry.state.borrow().log.contains(&fallback_read));
    // The cosign tags are read in any case (answered 404 here).
    assert!(registry.was_sent(&format!("{fallback_read}.sig")));
}

#[test]
fn follows_api_pages_and_filters_by_artifact_type() {
    let registry = MemoryRegistry::new();
    {
        let mut state = registry.state.borrow_mut();
        state.referrers_api = true;
        state.referrers_page = Some(1);
    }
    let image = subject(&registry);
    for salt in ["a", "b", "c"] {
        registry.push_untagged("app", media::OCI_MANIFEST, &artifact(SPDX, &image, salt));
    }
    registry.push_untagged("app", media::OCI_MANIFEST, &artifact(NOTATION, &image, "s"));
    let client = Registry::new("http://registry.test", &registry);
    let all =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(all.referrers.len(), 4, "{all:?}");
    let sboms = block_on(client.referrers(
        &repo(),
        &digest(&image),
        &ReferrerQuery {
            artifact_type: Some(SPDX),
            known_tags: Some(&[]),
        },
    ))
    .unwrap();
    assert_eq!(sboms.referrers.len(), 3);
    assert!(sboms.referrers.iter().all(|r| r.kind == ReferrerKind::Sbom));
    assert!(registry.was_sent("GET /v2/app/referrers/"));
}

/// A fallback tag's index listing `(digest, size, artifact type)` manifests.
fn referrers_index(entries: &[(&str, usize, &str)]) -> String {
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|(digest, size, artifact_type)| {
            serde_json::json!({"mediaType": media::OCI_MANIFEST, "digest": digest, "size": size, "artifactType": artifact_type})
        })
        .collect();
    serde_json::json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests})
        .to_string()
}

/// Referrers of `image` as clients push them on a registry without the referrers
/// API: an SBOM by digest with the fallback tag's index listing it, and a cosign
/// signature tag. Returns (the SBOM's digest and size, the signature's digest).
fn sbom_and_signature(registry: &MemoryRegistry, image: &str) -> ((String, usize), String) {
    let sbom_bytes = artifact(SPDX, image, "sbom");
    let sbom = registry.push_untagged("app", media::OCI_MANIFEST, &sbom_bytes);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": sbom, "size": sbom_bytes.len(), "artifactType": SPDX}],
    })
    .to_string();
    registry.push(
        "app",
        &tag_for(image, ""),
        media::OCI_INDEX,
        index.as_bytes(),
    );
    let signature = registry.push(
        "app",
        &tag_for(image, ".sig"),
        media::OCI_MANIFEST,
        &cosign_signature(),
    );
    ((sbom, sbom_bytes.len()), signature)
}

#[test]
fn without_the_api_reads_the_fallback_tag_and_cosign_tags() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let ((sbom, sbom_size), signature) = sbom_and_signature(&registry, &image);

    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.api, ApiSupport::Unsupported);
    assert_eq!(list.referrers.len(), 2, "{list:?}");
    let by_digest = |d: &str| {
        list.referrers
            .iter()
            .find(|r| r.digest.as_str() == d)
            .unwrap()
    };
    assert_eq!(by_digest(&sbom).kind, ReferrerKind::Sbom);
    assert_eq!(
        by_digest(&sbom).found,
        [FoundVia::FallbackTag(tag_for(&image, ""))]
    );
    assert_eq!(by_digest(&sbom).size, sbom_size as u64);
    let sig = by_digest(&signature);
    assert_eq!(sig.kind, ReferrerKind::Signature);
    assert_eq!(sig.artifact_type.as_deref(), Some(COSIGN_SIG));
    assert_eq!(sig.found, [FoundVia::CosignTag(tag_for(&image, ".sig"))]);
    // .att and .sbom do not exist: asked, answered 404, not a warning.
    assert!(list.warnings.is_empty(), "{:?}", list.warnings);

    // Given the tag list, tags not in it are not asked for.
    let before = registry.state.borrow().log.len();
    let known = vec!["v1".to_owned(), tag_for(&image, ".sig")];
    let list = block_on(client.referrers(
        &repo(),
        &digest(&image),
        &ReferrerQuery {
            artifact_type: None,
            known_tags: Some(&known),
        },
    ))
    .unwrap();
    assert_eq!(list.referrers.len(), 1);
    let log = registry.state.borrow().log[before..].to_vec();
    assert_eq!(
        log.iter().filter(|l| l.contains("/manifests/")).count(),
        1,
        "only the .sig tag: {log:?}"
    );
}

#[test]
fn malformed_entries_are_skipped_and_counted() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let good = sha256(b"good");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [
            {"mediaType": media::OCI_MANIFEST, "digest": good, "size": 500, "artifactType": NOTATION},
            {"mediaType": media::OCI_MANIFEST, "digest": "sha256:not-hex", "size": 5, "artifactType": SPDX},
            {"mediaType": media::OCI_MANIFEST, "digest": format!("md5:{}", "a".repeat(32)), "size": 5},
            {"mediaType": media::OCI_MANIFEST, "digest": sha256(b"huge"), "size": 1u64 << 40, "artifactType": SPDX},
            {"mediaType": media::OCI_MANIFEST, "digest": sha256(b"ctl"), "size": 5, "artifactType": "text/spdx\u{1b}[31m"},
            {"mediaType": media::OCI_MANIFEST, "digest": sha256(b"long"), "size": 5, "artifactType": "a/".repeat(200)},
            {"mediaType": media::OCI_MANIFEST, "digest": sha256(b"untyped"), "size": 7},
        ],
    })
    .to_string();
    registry.push(
        "app",
        &tag_for(&image, ""),
        media::OCI_INDEX,
        index.as_bytes(),
    );
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.ignored, 5);
    assert_eq!(list.warnings, [ReferrerWarning::Skipped { count: 5 }]);
    assert!(
        wording::referrer_warning(&list.warnings[0])
            .text
            .starts_with("5 entries were skipped"),
        "{:?}",
        list.warnings
    );
    let digests: Vec<&str> = list.referrers.iter().map(|r| r.digest.as_str()).collect();
    assert_eq!(digests, [good.as_str(), sha256(b"untyped").as_str()]);
    // No artifact type: classified by its media type.
    assert_eq!(
        list.referrers[1].kind,
        ReferrerKind::Other(media::OCI_MANIFEST.into())
    );
}

#[test]
fn a_fallback_tag_that_is_not_an_index_is_ignored_with_a_warning() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    registry.push(
        "app",
        &tag_for(&image, ""),
        media::OCI_MANIFEST,
        &cosign_signature(),
    );
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert!(list.referrers.is_empty());
    assert!(
        matches!(
            list.warnings[..],
            [ReferrerWarning::FallbackNotIndex { .. }]
        ),
        "{:?}",
        list.warnings
    );
    assert!(wording::referrer_warning(&list.warnings[0])
        .text
        .contains("is not an index of referrers"));
}

#[test]
fn an_api_answer_that_is_not_an_index_means_no_api() {
    let image = format!("sha256:{}", "c".repeat(64));
    let http = ScriptedHttp::new(|request| {
        Ok(if request.url.contains("/referrers/") {
            // A proxy's page, answered 200.
            response(
                200,
                &[("Content-Type", "text/html")],
                b"<html>welcome</html>",
            )
        } else {
            response(404, &[], br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
        })
    });
    let client = Registry::new("http://registry.test", &http);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.api, ApiSupport::Unsupported);
    assert!(list.referrers.is_empty());
    // Then the fallback and the three cosign tags were asked for.
    assert_eq!(http.sent.borrow().len(), 5);

    // A server error: the API's state is reported and the tags still read.
    let http = ScriptedHttp::new(|request| {
        Ok(if request.url.contains("/referrers/") {
            response(503, &[], b"")
        } else {
            response(404, &[], b"")
        })
    });
    let client = Registry::new("http://registry.test", &http);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert!(
        matches!(
            list.api,
            ApiSupport::Failed(RegistryError::Server { status: 503, .. })
        ),
        "{:?}",
        list.api
    );

    // No answer the page can read (distribution's 404 for an unrouted path carries
    // no CORS headers, or a dropped connection): the tags are still read, and the
    // list does not claim to be all there is.
    let http = ScriptedHttp::new(|request| {
        if request.url.contains("/referrers/") {
            Err(TransportFailure::Network("Failed to fetch".into()))
        } else {
            Ok(response(404, &[], b""))
        }
    });
    let client = Registry::new("http://registry.test", &http);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert!(
        matches!(list.api, ApiSupport::NoAnswer(_)),
        "{:?}",
        list.api
    );
    assert!(!list.api.known());
    assert_eq!(http.sent.borrow().len(), 5);
}

#[test]
fn cancelling_ends_the_search() {
    let image = format!("sha256:{}", "c".repeat(64));
    let http = ScriptedHttp::new(|_| Err(TransportFailure::Aborted));
    let client = Registry::new("http://registry.test", &http);
    let result = block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default()));
    assert!(
        matches!(result, Err(RegistryError::Aborted { .. })),
        "{result:?}"
    );
}

/// An image in `app` with an SBOM its fallback tag's index lists and a cosign
/// signature, and its referrers as listed.
struct Referred {
    image: String,
    sbom: String,
    signature: String,
    fallback: String,
    /// The fallback tag's index.
    index: String,
    list: ReferrerList,
}

fn referred(registry: &MemoryRegistry) -> Referred {
    let image = subject(registry);
    let ((sbom, _), signature) = sbom_and_signature(registry, &image);
    let fallback = tag_for(&image, "");
    let index = registry.tag_digest("app", &fallback).unwrap();
    let client = Registry::new("http://registry.test", registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    Referred {
        image,
        sbom,
        signature,
        fallback,
        index,
        list,
    }
}

/// Deletes the items of `list` with the DELETE of the manifest `failing` answered
/// 500, once.
fn delete_failing_once(
    registry: &MemoryRegistry,
    list: &ReferrerList,
    failing: &str,
) -> Vec<(ReferrerItem, Result<Removal, ChangeError>)> {
    registry.inject(Fault::new(
        Method::Delete,
        &format!("manifests/{failing}"),
        Strike::Before,
        Some(500),
    ));
    let client = Registry::new("http://registry.test", registry);
    block_on(client.delete_referrers(&repo(), list, |_, _| {}))
}

/// How the run's item `wanted` (a fallback tag by name, a referrer by digest) failed.
fn failure_of(
    results: &[(ReferrerItem, Result<Removal, ChangeError>)],
    wanted: &str,
) -> ChangeError {
    let (_, result) = results
        .iter()
        .find(|(item, _)| match &item.target {
            ItemTarget::FallbackTag(tag) => tag.as_str() == wanted,
            ItemTarget::Referrer { digest, .. } => digest.to_string() == wanted,
        })
        .unwrap_or_else(|| panic!("no item {wanted}"));
    result.clone().unwrap_err()
}

#[test]
fn removed_referrers_come_back_with_one_undo_in_an_order_the_registry_takes() {
    let registry = MemoryRegistry::new();
    let Referred {
        sbom,
        signature,
        fallback,
        index,
        list,
        image,
    } = referred(&registry);
    let client = Registry::new("http://registry.test", &registry);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    let run = ReferrerRun::of(&results, |removal| {
        Some(UndoAction::Restore(Box::new(removal.clone())))
    });
    assert_eq!(
        (run.done, run.failed, run.undo.len()),
        (3, 0, 3),
        "{results:?}"
    );
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    assert!(!has(&sbom) && !has(&index) && !has(&signature));

    // Undone first, the fallback tag's index would be refused by the registry: it
    // lists the SBOM the registry no longer has.
    let unique = || "u".to_owned();
    let index_first = run
        .undo
        .iter()
        .find(|u| matches!(u, UndoAction::Restore(r) if r.digest.to_string() == index))
        .unwrap();
    assert!(block_on(client.undo(index_first, &unique)).is_err());
    assert_eq!(registry.tag_digest("app", &fallback), None);
    // The run's one Undo: everything back, the SBOM before the index.
    block_on(client.undo(&UndoAction::Batch(run.undo), &unique)).unwrap();
    assert!(has(&sbom) && has(&index) && has(&signature));
    assert_eq!(registry.tag_digest("app", &fallback), Some(index));
    assert_eq!(
        registry.tag_digest("app", &tag_for(&image, ".sig")),
        Some(signature)
    );
}

#[test]
fn a_run_counts_what_failed_and_keeps_the_undo_of_what_it_wrote_anyway() {
    let item = |label: &str| ReferrerItem {
        label: label.to_owned(),
        target: ItemTarget::FallbackTag(Tag::parse("t").unwrap()),
    };
    let refused = ChangeError::Refused(Box::new(RegistryError::Unsupported {
        attempt: tagdeck::oci::error::Attempt {
            method: tagdeck::oci::http::Method::Delete,
            url: "http://r/v2/app/manifests/x".into(),
        },
        status: 405,
        errors: vec![],
    }));
    let results: Vec<(ReferrerItem, Result<u8, ChangeError>)> = vec![
        (item("a"), Ok(1)),
        (item("b"), Err(refused)),
        (item("c"), Ok(2)),
    ];
    let run = ReferrerRun::of(&results, |n| {
        (*n == 2).then(|| UndoAction::Batch(Vec::new()))
    });
    assert_eq!((run.done, run.failed), (2, 1));
    // Only what the item's own undo gave; a refusal wrote nothing.
    assert_eq!(run.undo, vec![UndoAction::Batch(Vec::new())]);
}

#[test]
fn a_referrer_that_cannot_be_removed_keeps_the_fallback_index_that_lists_it() {
    let registry = MemoryRegistry::new();
    let Referred {
        sbom,
        signature,
        fallback,
        index,
        list,
        ..
    } = referred(&registry);
    let results = delete_failing_once(&registry, &list, &sbom);
    let client = Registry::new("http://registry.test", &registry);
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    // The SBOM stays, and so does the index that lists it: it is still found.
    assert!(has(&sbom) && has(&index) && !has(&signature), "{results:?}");
    assert_eq!(registry.tag_digest("app", &fallback), Some(index));
    assert_eq!(
        failure_of(&results, &fallback),
        ChangeError::ListsUnremoved {
            tag: fallback.clone(),
            unremoved: vec![digest(&sbom)],
        }
    );
    let run = ReferrerRun::of(&results, |removal| {
        Some(UndoAction::Restore(Box::new(removal.clone())))
    });
    assert_eq!((run.done, run.failed), (1, 2));
    block_on(client.undo(&UndoAction::Batch(run.undo), &|| "u".to_owned()))
        .err()
        .into_iter()
        .flat_map(|f| f.failures)
        .for_each(|(_, e)| assert_eq!(e, ChangeError::NothingToUndo));
    assert!(has(&signature));
}

#[test]
fn a_fallback_index_that_is_also_tagged_otherwise_keeps_every_referrer_it_lists() {
    let registry = MemoryRegistry::new();
    let Referred {
        sbom,
        signature,
        fallback,
        index,
        list,
        ..
    } = referred(&registry);
    // Someone tagged the index too: deleting it would take that tag with it.
    let bytes = registry.state.borrow().manifests["app"][&index].clone();
    registry.push("app", "kept-sboms", media::OCI_INDEX, &bytes.1);
    let client = Registry::new("http://registry.test", &registry);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    // Checked before any referrer went: the SBOM it lists stays with it.
    assert!(has(&sbom) && has(&index) && !has(&signature), "{results:?}");
    assert_eq!(registry.tag_digest("app", &fallback), Some(index.clone()));
    assert!(matches!(
        failure_of(&results, &fallback),
        ChangeError::TagsChangedMeanwhile { now, .. } if now.contains(&"kept-sboms".to_owned())
    ));
    assert_eq!(
        failure_of(&results, &sbom),
        ChangeError::KeptWithIndex {
            tag: fallback.clone()
        }
    );
}

#[test]
fn a_fallback_index_listing_a_referrer_added_after_the_list_was_read_is_kept_with_all_it_lists() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        sbom,
        signature,
        fallback,
        list,
        ..
    } = referred(&registry);
    // Another client adds a signature to the index after the user saw the list.
    let sbom_bytes = registry.state.borrow().manifests["app"][&sbom].1.clone();
    let late_bytes = artifact(NOTATION, &image, "late");
    let late = registry.push_untagged("app", media::OCI_MANIFEST, &late_bytes);
    let grown = referrers_index(&[
        (&sbom, sbom_bytes.len(), SPDX),
        (&late, late_bytes.len(), NOTATION),
    ]);
    let grown = registry.push("app", &fallback, media::OCI_INDEX, grown.as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    assert!(has(&sbom) && has(&late) && has(&grown), "{results:?}");
    assert!(!has(&signature));
    assert_eq!(registry.tag_digest("app", &fallback), Some(grown));
    assert_eq!(
        failure_of(&results, &fallback),
        ChangeError::ListsUnshown {
            tag: fallback,
            unshown: vec![digest(&late)],
        }
    );
}

#[test]
fn a_fallback_index_that_fails_to_go_after_its_referrers_says_what_it_still_lists() {
    let registry = MemoryRegistry::new();
    let Referred {
        sbom,
        fallback,
        index,
        list,
        ..
    } = referred(&registry);
    let results = delete_failing_once(&registry, &list, &index);
    let client = Registry::new("http://registry.test", &registry);
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    assert!(has(&index) && !has(&sbom), "{results:?}");
    let kept = failure_of(&results, &fallback);
    assert!(
        matches!(&kept, ChangeError::IndexLeftListing { tag, removed, .. }
            if *tag == fallback && *removed == vec![digest(&sbom)]),
        "{kept:?}"
    );
    let told = wording::change_error(&kept);
    let line = told.result_line().text;
    assert!(
        line.contains(&format!(
            "so it is kept, and it lists {sbom}, which is gone"
        )),
        "{line}"
    );
    assert!(line.contains("Undo puts back what it lists"), "{line}");
    // The run's Undo puts the SBOM back under the index that lists it.
    let run = ReferrerRun::of(&results, |removal| {
        Some(UndoAction::Restore(Box::new(removal.clone())))
    });
    block_on(client.undo(&UndoAction::Batch(run.undo), &|| "u".to_owned()))
        .err()
        .into_iter()
        .flat_map(|f| f.failures)
        .for_each(|(_, e)| assert_eq!(e, ChangeError::NothingToUndo));
    assert!(has(&sbom) && has(&index));
    assert_eq!(registry.tag_digest("app", &fallback), Some(index));
}

#[test]
fn deleting_the_referrers_again_removes_the_fallback_index_a_failed_run_kept() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        sbom,
        fallback,
        index,
        list,
        ..
    } = referred(&registry);
    let client = Registry::new("http://registry.test", &registry);
    registry.inject(Fault::new(
        Method::Delete,
        &format!("manifests/{index}"),
        Strike::Before,
        Some(500),
    ));
    block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    assert!(has(&index) && !has(&sbom));
    // The list read again still names the SBOM: the kept index lists it.
    let again =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert!(again.referrers.iter().any(|r| r.digest.to_string() == sbom));
    let results = block_on(client.delete_referrers(&repo(), &again, |_, _| {}));
    assert!(!has(&index), "{results:?}");
    assert_eq!(registry.tag_digest("app", &fallback), None);
    let sbom_result = failure_of(&results, &sbom);
    assert!(
        matches!(sbom_result, ChangeError::AlreadyGone { .. }),
        "{sbom_result:?}"
    );
    let run = ReferrerRun::of(&results, |removal| {
        Some(UndoAction::Restore(Box::new(removal.clone())))
    });
    assert_eq!(run.failed, 0, "{results:?}");
}

#[test]
fn a_referrer_pushed_again_before_its_index_goes_keeps_the_index() {
    let registry = MemoryRegistry::new();
    let Referred {
        sbom,
        fallback,
        index,
        list,
        ..
    } = referred(&registry);
    let sbom_bytes = registry.state.borrow().manifests["app"][&sbom].1.clone();
    // The index's own checks read it first by its tag: once its referrers went, a CI
    // job pushes the same SBOM again, before the index is read a second time.
    let client = Registry::new("http://registry.test", &registry);
    let repushed = std::cell::Cell::new(false);
    let results = block_on(client.delete_referrers(&repo(), &list, |item, result| {
        let is_sbom = matches!(&item.target, ItemTarget::Referrer { digest, .. } if digest.to_string() == sbom);
        if is_sbom && result.is_ok() {
            registry.push_untagged("app", media::OCI_MANIFEST, &sbom_bytes);
            repushed.set(true);
        }
    }));
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    assert!(repushed.get());
    assert!(has(&sbom) && has(&index), "{results:?}");
    assert_eq!(registry.tag_digest("app", &fallback), Some(index));
    // Said as what it is, not as a list of what is gone.
    let kept = failure_of(&results, &fallback);
    assert_eq!(
        kept,
        ChangeError::ListsUnshown {
            tag: fallback,
            unshown: vec![digest(&sbom)],
        }
    );
}

/// On a registry with the referrers API: an image with one SBOM pushed by digest
/// (its blobs stored, to mount into a target), and the image's referrer list.
fn sbom_by_api(registry: &MemoryRegistry) -> (String, ReferrerList) {
    registry.state.borrow_mut().referrers_api = true;
    let image = subject(registry);
    let sbom = registry.push_untagged("app", media::OCI_MANIFEST, &artifact(SPDX, &image, "sbom"));
    registry.add_blob("app", &sha256(b"{}"));
    registry.add_blob("app", &sha256(b"sbom"));
    let client = Registry::new("http://registry.test", registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    (sbom, list)
}

#[test]
fn a_referrer_copied_by_digest_whose_put_fails_is_read_again_before_anything_is_said() {
    let registry = MemoryRegistry::new();
    let (sbom, list) = sbom_by_api(&registry);
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let stored = |repository: &str| {
        registry
            .state
            .borrow()
            .manifests
            .get(repository)
            .is_some_and(|m| m.contains_key(&sbom))
    };
    let copy = |strike| {
        registry.inject(Fault::new(
            Method::Put,
            &format!("v2/mirror/manifests/{sbom}"),
            strike,
            Some(500),
        ));
        let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
        let [(_, result)] = &results[..] else {
            panic!("one referrer: {results:?}");
        };
        result.clone()
    };

    // The 500 came before the registry stored it: read again, it is not there.
    let error = copy(Strike::Before).unwrap_err();
    assert!(!stored("mirror"));
    let line = wording::change_error(&error);
    assert!(
        line.detail
            .contains(&format!("read again, mirror@{sbom} is not there")),
        "{}",
        line.detail
    );
    // The 500 came after: read again, it is there, so it was copied.
    let copied = copy(Strike::After).unwrap();
    assert!(stored("mirror"));
    assert_eq!(copied.report.manifests, 1);
}

/// A referrer copied by digest that stops at its second blob, after the first was
/// mounted: a stopped copy, never "nothing was changed".
#[test]
fn a_referrer_copy_stopped_after_a_blob_went_in_never_says_nothing_changed() {
    let registry = MemoryRegistry::new();
    let (sbom, list) = sbom_by_api(&registry);
    let client = Registry::new("http://registry.test", &registry);
    // The config blob mounts; the layer's mount fails, and may have landed.
    registry.inject(
        Fault::new(
            Method::Post,
            "v2/mirror/blobs/uploads/",
            Strike::After,
            Some(503),
        )
        .nth(2),
    );
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    let [(_, Err(error))] = &results[..] else {
        panic!("one failed referrer: {results:?}");
    };
    assert!(
        matches!(error, ChangeError::CopyStopped { .. }),
        "{error:?}"
    );
    let told = wording::change_error(error);
    assert!(!told.outcome.contains("Nothing was changed"), "{told:?}");
    assert!(told.outcome.contains("already copied stay"), "{told:?}");
    // Stopped before its manifest: the referrer is not in the target.
    let state = registry.state.borrow();
    assert!(!state
        .manifests
        .get("mirror")
        .is_some_and(|m| m.contains_key(&sbom)));
}

/// A fallback index (any client with push rights writes one) listing an untagged
/// image that is no referrer: "remove its referrers" must not delete it.
#[test]
fn a_manifest_a_fallback_index_lists_without_naming_the_image_as_subject_is_never_deleted() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let sbom_bytes = artifact(SPDX, &image, "sbom");
    let sbom = registry.push_untagged("app", media::OCI_MANIFEST, &sbom_bytes);
    // An old release, untagged, pulled by digest in production; no subject.
    let pinned_bytes = cosign_signature();
    let pinned = registry.push_untagged("app", media::OCI_MANIFEST, &pinned_bytes);
    let fallback = tag_for(&image, "");
    let index = referrers_index(&[
        (&sbom, sbom_bytes.len(), SPDX),
        (&pinned, pinned_bytes.len(), COSIGN_SIG),
    ]);
    let index = registry.push("app", &fallback, media::OCI_INDEX, index.as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.referrers.len(), 2);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    let has = |digest: &str| registry.state.borrow().manifests["app"].contains_key(digest);
    assert!(
        has(&pinned),
        "deleted a manifest that is no referrer: {results:?}"
    );
    assert_eq!(
        failure_of(&results, &pinned),
        ChangeError::NotAReferrer {
            digest: digest(&pinned),
            subject: digest(&image),
        }
    );
    // Checked before anything goes: the index is kept, and with it all it lists, so
    // it never names a referrer this run deleted.
    assert!(has(&sbom));
    assert_eq!(registry.tag_digest("app", &fallback), Some(index));
    assert!(matches!(
        failure_of(&results, &fallback),
        ChangeError::NotAReferrer { .. }
    ));
    assert!(matches!(
        failure_of(&results, &sbom),
        ChangeError::KeptWithIndex { .. }
    ));
    assert!(!registry.was_sent("DELETE"), "{results:?}");
    let told = wording::change_error(&failure_of(&results, &pinned));
    assert_eq!(told.outcome, "Nothing was changed.");
    assert!(
        told.detail
            .contains("does not name that image as its subject"),
        "{told:?}"
    );
}

/// What a registry sends about referrers reaches the screen and memory bounded: a
/// fallback tag's media type, each referrer's annotations, and the API's pages
/// once the list is full.
#[test]
fn referrer_text_and_pages_a_registry_sends_are_bounded() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let hostile_type = format!("application/{}\u{1b}[31m", "x".repeat(100_000));
    let not_index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": hostile_type,
        "config": {"mediaType": media::OCI_CONFIG, "digest": sha256(b"cfg"), "size": 3},
        "layers": [],
    })
    .to_string();
    registry.push(
        "app",
        &tag_for(&image, ""),
        media::OCI_MANIFEST,
        not_index.as_bytes(),
    );
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    let [ReferrerWarning::FallbackNotIndex { media_type, .. }] = &list.warnings[..] else {
        panic!("{:?}", list.warnings.len());
    };
    assert!(media_type.chars().count() <= 256, "{}", media_type.len());
    assert!(!media_type.chars().any(char::is_control));

    // Annotations: 32 kept per referrer, each key and value cut to 1024 characters.
    let registry = MemoryRegistry::new();
    registry.state.borrow_mut().referrers_api = true;
    let image = subject(&registry);
    let annotations: serde_json::Map<String, serde_json::Value> = (0..100)
        .map(|i| {
            (
                format!("k{i:03}"),
                serde_json::Value::from("v".repeat(10_000)),
            )
        })
        .collect();
    let mut noisy: serde_json::Value =
        serde_json::from_slice(&artifact(SPDX, &image, "n")).unwrap();
    noisy["annotations"] = serde_json::Value::Object(annotations);
    registry.push_untagged("app", media::OCI_MANIFEST, noisy.to_string().as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    let [referrer] = &list.referrers[..] else {
        panic!("{:?}", list.referrers.len());
    };
    assert_eq!(referrer.annotations.len(), 32);
    assert!(referrer
        .annotations
        .values()
        .all(|v| v.chars().count() <= 1024));
}

#[test]
fn the_referrers_api_is_not_paged_past_a_full_list() {
    use tagdeck::oci::referrers::MAX_REFERRERS;
    let registry = MemoryRegistry::new();
    {
        let mut state = registry.state.borrow_mut();
        state.referrers_api = true;
        state.referrers_page = Some(MAX_REFERRERS / 2);
    }
    let image = subject(&registry);
    for i in 0..MAX_REFERRERS + MAX_REFERRERS / 2 + 1 {
        let salt = i.to_string();
        registry.push_untagged("app", media::OCI_MANIFEST, &artifact(SPDX, &image, &salt));
    }
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.referrers.len(), MAX_REFERRERS);
    assert!(
        list.warnings.contains(&ReferrerWarning::TooManyReferrers),
        "{:?}",
        list.warnings
    );
    // Two pages make the list full; the rest are not asked for.
    assert_eq!(registry.sent_count("GET /v2/app/referrers/"), 2);
}

/// [`referred`], with the blobs of its referrers stored, to mount into a target.
fn referred_with_blobs(registry: &MemoryRegistry) -> Referred {
    let referred = referred(registry);
    for blob in [b"{}".as_slice(), b"sbom", b"cfg", b"payload"] {
        registry.add_blob("app", &sha256(blob));
    }
    referred
}

/// Puts the image `image` of `app` into `mirror` as `v1`, as a copy would; returns
/// its bytes.
fn image_in_mirror(registry: &MemoryRegistry, image: &str) -> Vec<u8> {
    let image_bytes = registry.state.borrow().manifests["app"][image].1.clone();
    registry.push("mirror", "v1", media::OCI_MANIFEST, &image_bytes);
    image_bytes
}

/// Copying an image's referrers into a repository whose fallback tag for that image
/// lists referrers of its own (signed there, or copied before more were added): the
/// tag ends up listing both, and Undo points it back at the target's own index.
#[test]
fn copying_referrers_merges_with_the_fallback_index_the_target_has() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        sbom,
        fallback,
        list,
        ..
    } = referred_with_blobs(&registry);
    // The target has the image, signed there with notation, and its own index.
    image_in_mirror(&registry, &image);
    let signed_bytes = artifact(NOTATION, &image, "theirs");
    let signed = registry.push_untagged("mirror", media::OCI_MANIFEST, &signed_bytes);
    let theirs = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": signed, "size": signed_bytes.len(), "artifactType": NOTATION}],
    })
    .to_string();
    let theirs = registry.push("mirror", &fallback, media::OCI_INDEX, theirs.as_bytes());

    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    let merged = registry.tag_digest("mirror", &fallback).unwrap();
    assert_ne!(merged, theirs);
    let mirrored =
        block_on(client.referrers(&mirror, &digest(&image), &ReferrerQuery::default())).unwrap();
    let mut found: Vec<String> = mirrored
        .referrers
        .iter()
        .map(|r| r.digest.to_string())
        .collect();
    tagdeck::model::sort::ascending(&mut found);
    let mut expected = vec![sbom.clone(), signed.clone()];
    // The cosign signature, copied by its tag.
    expected.push(
        registry
            .tag_digest("mirror", &tag_for(&image, ".sig"))
            .unwrap(),
    );
    tagdeck::model::sort::ascending(&mut expected);
    assert_eq!(found, expected);

    // Copying again changes nothing: the index lists them all already.
    let again = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert!(again.iter().all(|(_, r)| r.is_ok()), "{again:?}");
    assert_eq!(registry.tag_digest("mirror", &fallback), Some(merged));

    let run = ReferrerRun::of(&results, |copy| copy.tag.clone().map(UndoAction::Revert));
    block_on(client.undo(&UndoAction::Batch(run.undo), &|| "u".to_owned())).unwrap();
    assert_eq!(registry.tag_digest("mirror", &fallback), Some(theirs));
}

/// A registry with the referrers API, and a fallback tag copied in from one without
/// (crane and skopeo carry it along) listing the same SBOM: deleting the referrers
/// takes the SBOM and that index, never refusing the SBOM as a platform of it.
#[test]
fn a_fallback_tag_beside_the_referrers_api_goes_with_the_referrers_it_lists() {
    let registry = MemoryRegistry::new();
    let (sbom, _) = sbom_by_api(&registry);
    let image = registry.tag_digest("app", "v1").unwrap();
    let sbom_bytes = registry.state.borrow().manifests["app"][&sbom].1.clone();
    let fallback = tag_for(&image, "");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": sbom, "size": sbom_bytes.len(), "artifactType": SPDX}],
    })
    .to_string();
    registry.push("app", &fallback, media::OCI_INDEX, index.as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(list.api, ApiSupport::Supported);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert_eq!(registry.tag_digest("app", &fallback), None);
    assert!(!registry.state.borrow().manifests["app"].contains_key(&sbom));
    assert_eq!(registry.tag_digest("app", "v1"), Some(image));
}

/// The fallback tag removed elsewhere between the list and the delete: it keeps
/// nothing, so the referrers it listed go, and it is said to be gone already.
#[test]
fn a_fallback_tag_gone_before_the_run_keeps_nothing() {
    let registry = MemoryRegistry::new();
    let Referred {
        sbom,
        fallback,
        list,
        ..
    } = referred(&registry);
    registry.untag("app", &fallback);
    let client = Registry::new("http://registry.test", &registry);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    assert!(matches!(
        failure_of(&results, &fallback),
        ChangeError::AlreadyGone { .. }
    ));
    assert!(
        !registry.state.borrow().manifests["app"].contains_key(&sbom),
        "{results:?}"
    );
}

/// A new SBOM pushed while the run deletes (its client lists it in the fallback
/// index beside the one the run removed): the index is kept, said to list the one
/// removed, which is gone, and Undo is the advice.
#[test]
fn an_index_kept_for_a_referrer_pushed_meanwhile_says_what_it_lists_that_is_gone() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        sbom,
        fallback,
        list,
        ..
    } = referred(&registry);
    let sbom_bytes = registry.state.borrow().manifests["app"][&sbom].1.clone();
    let client = Registry::new("http://registry.test", &registry);
    let results = block_on(client.delete_referrers(&repo(), &list, |item, result| {
        let is_sbom = matches!(&item.target, ItemTarget::Referrer { digest, .. } if digest.to_string() == sbom);
        if is_sbom && result.is_ok() {
            let newer_bytes = artifact(SPDX, &image, "newer");
            let newer = registry.push_untagged("app", media::OCI_MANIFEST, &newer_bytes);
            let both = referrers_index(&[(&sbom, sbom_bytes.len(), SPDX), (&newer, newer_bytes.len(), SPDX)]);
            registry.push("app", &fallback, media::OCI_INDEX, both.as_bytes());
        }
    }));
    let kept = failure_of(&results, &fallback);
    let ChangeError::IndexLeftListing { removed, cause, .. } = &kept else {
        panic!("{kept:?}");
    };
    assert_eq!(removed, &[digest(&sbom)]);
    assert!(
        matches!(**cause, ChangeError::ListsUnshown { .. }),
        "{cause:?}"
    );
    let told = wording::change_error(&kept);
    assert!(
        told.advice.starts_with("Undo in the activity list"),
        "{told:?}"
    );
    assert!(!told.advice.contains("gone already"), "{told:?}");
}

/// A cosign tag anyone can push, `.sig` of the image, pointed at a manifest with
/// `layer` and no subject: "remove its referrers" must leave it and its tag alone.
fn assert_cosign_tag_kept_on(layer: serde_json::Value) {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": sha256(b"cfg"), "size": 3},
        "layers": [layer],
    })
    .to_string();
    let sig = tag_for(&image, ".sig");
    let pinned = registry.push("app", &sig, media::OCI_MANIFEST, manifest.as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    assert!(
        matches!(
            failure_of(&results, &pinned),
            ChangeError::NotAReferrer { .. }
        ),
        "{results:?}"
    );
    assert_eq!(registry.tag_digest("app", &sig), Some(pinned));
}

/// A runnable image (a tar layer) is never deleted as a "signature".
#[test]
fn a_cosign_tag_on_a_runnable_image_is_never_deleted_as_a_signature() {
    assert_cosign_tag_kept_on(serde_json::json!(
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(b"rootfs"), "size": 100}
    ));
}

/// A layer that names no media type could be any file system: no signature either.
#[test]
fn a_cosign_tag_on_an_image_with_an_untyped_layer_is_never_deleted() {
    assert_cosign_tag_kept_on(serde_json::json!({"digest": sha256(b"rootfs"), "size": 100}));
}

#[test]
fn a_referrer_whose_manifest_cannot_be_read_to_check_it_is_not_deleted() {
    // An SBOM by the API whose manifest read fails (asked again once) when checked.
    let registry = MemoryRegistry::new();
    let (sbom, list) = sbom_by_api(&registry);
    registry.inject(
        Fault::new(
            Method::Get,
            &format!("manifests/{sbom}"),
            Strike::Before,
            Some(503),
        )
        .times(2),
    );
    let client = Registry::new("http://registry.test", &registry);
    let results = block_on(client.delete_referrers(&repo(), &list, |_, _| {}));
    assert!(
        matches!(failure_of(&results, &sbom), ChangeError::Registry(_)),
        "{results:?}"
    );
    assert!(registry.state.borrow().manifests["app"].contains_key(&sbom));
}

/// A fallback tag beside the referrers API whose index cannot be copied (the target's
/// tag of that name is a multi-arch image): the SBOM it lists, which the API lists
/// too, is copied on its own, with a line of its own, never left out.
#[test]
fn referrers_a_failed_fallback_index_lists_are_copied_on_their_own() {
    let registry = MemoryRegistry::new();
    let (sbom, _) = sbom_by_api(&registry);
    let image = registry.tag_digest("app", "v1").unwrap();
    let sbom_bytes = registry.state.borrow().manifests["app"][&sbom].1.clone();
    let fallback = tag_for(&image, "");
    let index = referrers_index(&[(&sbom, sbom_bytes.len(), SPDX)]);
    registry.push("app", &fallback, media::OCI_INDEX, index.as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    let mirror = Repository::parse("mirror").unwrap();
    let image_bytes = image_in_mirror(&registry, &image);
    let multi_arch = multi_arch_of(&image, image_bytes.len());
    registry.push("mirror", &fallback, media::OCI_INDEX, multi_arch.as_bytes());
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        matches!(results[0].1, Err(ChangeError::TagNotReferrerIndex { .. })),
        "{results:?}"
    );
    let line = copy_line(copy_result_of(&results, &sbom), &mirror);
    assert_eq!(line, format!("{} copied to mirror.", results[1].0.label));
    assert!(registry.state.borrow().manifests["mirror"].contains_key(&sbom));
}

/// A multi-arch image listing `image` (of `size` bytes) as linux/amd64: what a tag
/// of the fallback tag's name may hold instead of a list of referrers.
fn multi_arch_of(image: &str, size: usize) -> String {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": image, "size": size,
                       "platform": {"os": "linux", "architecture": "amd64"}}],
    })
    .to_string()
}

/// The target's tag of the fallback tag's name holds a multi-arch image: never moved
/// to a list of referrers.
#[test]
fn a_target_fallback_tag_that_is_a_multi_arch_image_is_left_as_it_is() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        sbom,
        fallback,
        list,
        ..
    } = referred_with_blobs(&registry);
    let image_bytes = image_in_mirror(&registry, &image);
    let multi_arch = multi_arch_of(&image, image_bytes.len());
    let theirs = registry.push("mirror", &fallback, media::OCI_INDEX, multi_arch.as_bytes());
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert_eq!(registry.tag_digest("mirror", &fallback), Some(theirs));
    let index_result = results
        .iter()
        .find(|(item, _)| matches!(item.target, ItemTarget::FallbackTag(_)))
        .map(|(_, r)| r.clone());
    assert!(
        matches!(
            index_result,
            Some(Err(ChangeError::TagNotReferrerIndex { .. }))
        ),
        "{results:?}"
    );
    // Without the API nothing would find the SBOM there without that index: not
    // copied, as the index's line says.
    assert!(!registry.state.borrow().manifests["mirror"].contains_key(&sbom));
    let told = wording::change_error(&index_result.unwrap().unwrap_err());
    assert!(told.advice.contains("were not copied"), "{told:?}");
}

/// The entry a merge adds for a referrer is made from the referrer's own manifest,
/// as the referrers API makes it; the target's own entries stay as they were.
#[test]
fn a_merged_referrers_index_describes_each_added_referrer_from_its_manifest() {
    use tagdeck::oci::manifest::Manifest;
    use tagdeck::oci::referrer_changes::merged_referrer_index;
    let image = sha256(b"image");
    let theirs_entry = serde_json::json!({"mediaType": media::OCI_MANIFEST, "digest": sha256(b"x"), "size": 7, "artifactType": NOTATION});
    let theirs = serde_json::json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": [theirs_entry]});
    let theirs = Manifest::parse(theirs.to_string().into_bytes(), Some(media::OCI_INDEX)).unwrap();
    let sbom_bytes = artifact(SPDX, &image, "sbom");
    let sbom = Manifest::parse(sbom_bytes.clone(), Some(media::OCI_MANIFEST)).unwrap();
    let merged = merged_referrer_index(&theirs, std::slice::from_ref(&sbom)).unwrap();
    let merged: serde_json::Value = serde_json::from_slice(&merged.bytes).unwrap();
    let entries = merged["manifests"].as_array().unwrap();
    assert_eq!(entries[0], theirs_entry);
    assert_eq!(entries[1]["digest"], sha256(&sbom_bytes));
    assert_eq!(entries[1]["size"], sbom_bytes.len());
    assert_eq!(entries[1]["artifactType"], SPDX);
    assert_eq!(entries[1]["mediaType"], media::OCI_MANIFEST);
    assert_eq!(entries[1]["annotations"]["salt"], "sbom");
}

/// The result of the run's item for the referrer `wanted`.
fn copy_result_of<'a>(
    results: &'a [(ReferrerItem, Result<ReferrerCopy, ChangeError>)],
    wanted: &str,
) -> &'a (ReferrerItem, Result<ReferrerCopy, ChangeError>) {
    results
        .iter()
        .find(|(item, _)| matches!(&item.target, ItemTarget::Referrer { digest, .. } if digest.as_str() == wanted))
        .unwrap_or_else(|| panic!("no line for {wanted}: {results:?}"))
}

/// The line the report shows for one copied item.
fn copy_line(
    (item, result): &(ReferrerItem, Result<ReferrerCopy, ChangeError>),
    to: &Repository,
) -> String {
    wording::ResultLine::referrer_copy(item, result, to).text
}

/// The digests the index `digest` of `repository` lists.
fn listed_by(registry: &MemoryRegistry, repository: &str, digest: &str) -> Vec<String> {
    let bytes = registry.state.borrow().manifests[repository][digest]
        .1
        .clone();
    let index: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    (index["manifests"].as_array().unwrap().iter())
        .map(|m| m["digest"].as_str().unwrap().to_owned())
        .collect()
}

/// Referrers pushed without the referrers API, the fallback index listing `extra`
/// beside the SBOM, and a cosign signature; every blob stored. Returns the SBOM's
/// digest, the fallback index's digest, and the list as read.
fn sbom_listed_with(
    registry: &MemoryRegistry,
    image: &str,
    extra: &[(&str, usize, &str)],
) -> (String, String, ReferrerList) {
    let sbom_bytes = artifact(SPDX, image, "sbom");
    let sbom = registry.push_untagged("app", media::OCI_MANIFEST, &sbom_bytes);
    let mut entries = vec![(sbom.as_str(), sbom_bytes.len(), SPDX)];
    entries.extend_from_slice(extra);
    let index = referrers_index(&entries);
    let index = registry.push(
        "app",
        &tag_for(image, ""),
        media::OCI_INDEX,
        index.as_bytes(),
    );
    registry.push(
        "app",
        &tag_for(image, ".sig"),
        media::OCI_MANIFEST,
        &cosign_signature(),
    );
    for blob in [b"{}".as_slice(), b"sbom", b"cfg", b"payload"] {
        registry.add_blob("app", &sha256(blob));
    }
    let client = Registry::new("http://registry.test", registry);
    let list =
        block_on(client.referrers(&repo(), &digest(image), &ReferrerQuery::default())).unwrap();
    (sbom, index, list)
}

/// A fallback index (no referrers API) listing a manifest another tool deleted since:
/// every item offered gets its line, the SBOM and the signature are copied, the gone
/// one is said, and the target's index is a new one listing only what it has.
#[test]
fn a_fallback_index_listing_a_gone_manifest_copies_the_rest_with_a_line_for_each() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let gone = sha256(b"deleted since");
    let (sbom, source_index, list) = sbom_listed_with(&registry, &image, &[(&gone, 10, SPDX)]);
    let offered = referrer_items(&list);
    assert_eq!(offered.len(), 4, "{offered:?}");
    image_in_mirror(&registry, &image);
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let mut told = 0;
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| told += 1));
    assert_eq!(results.len(), offered.len(), "{results:?}");
    assert_eq!(told, offered.len());
    let signature = registry
        .tag_digest("app", &tag_for(&image, ".sig"))
        .unwrap();
    let in_mirror = |d: &str| registry.state.borrow().manifests["mirror"].contains_key(d);
    assert!(in_mirror(&sbom), "{results:?}");
    assert_eq!(
        registry.tag_digest("mirror", &tag_for(&image, ".sig")),
        Some(signature)
    );
    let theirs = registry
        .tag_digest("mirror", &tag_for(&image, ""))
        .expect("a fallback index in mirror");
    assert_ne!(theirs, source_index, "the stale index put byte for byte");
    assert_eq!(listed_by(&registry, "mirror", &theirs), [sbom.as_str()]);
    let mirrored =
        block_on(client.referrers(&mirror, &digest(&image), &ReferrerQuery::default())).unwrap();
    assert_eq!(mirrored.referrers.len(), 2, "{mirrored:?}");

    let sbom_line = copy_line(copy_result_of(&results, &sbom), &mirror);
    assert!(sbom_line.contains("with the fallback"), "{sbom_line}");
    let gone_line = copy_result_of(&results, &gone);
    assert!(
        matches!(gone_line.1, Err(ChangeError::AlreadyGone { .. })),
        "{gone_line:?}"
    );
    let gone_line = copy_line(gone_line, &mirror);
    assert!(gone_line.contains("not copied"), "{gone_line}");
    assert!(
        gone_line.contains(&format!("app@{gone} is gone")),
        "{gone_line}"
    );
    let (_, index) = &results[0];
    let index_line = copy_line(&results[0], &mirror);
    assert!(index.is_ok(), "{index_line}");
    assert!(
        index_line.contains("a new one listing 1 of the source's 2"),
        "{index_line}"
    );
    // Counted: the gone one is nothing to do, not a failure.
    let run = ReferrerRun::of(&results, |copy| copy.tag.clone().map(UndoAction::Revert));
    assert_eq!((run.done, run.failed), (4, 0), "{results:?}");
}

/// Every manifest the fallback index lists is there and refers to the image: the
/// target gets the very same index, byte for byte (same digest).
#[test]
fn a_whole_fallback_index_is_copied_byte_for_byte_with_a_line_for_what_it_lists() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        sbom,
        fallback,
        index,
        list,
        ..
    } = referred_with_blobs(&registry);
    image_in_mirror(&registry, &image);
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert_eq!(registry.tag_digest("mirror", &fallback), Some(index));
    assert!(registry.state.borrow().manifests["mirror"].contains_key(&sbom));
    let line = copy_line(copy_result_of(&results, &sbom), &mirror);
    assert!(
        line.contains("copied to mirror with the fallback"),
        "{line}"
    );
}

/// Copied before, then a referrer deleted in the source: copying again leaves the
/// target's fallback index as it is (it lists what the target has), never a shorter
/// one written over it.
#[test]
fn copying_again_after_a_referrer_was_deleted_in_the_source_keeps_the_targets_index() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let second_bytes = artifact(SPDX, &image, "second");
    let second = registry.push_untagged("app", media::OCI_MANIFEST, &second_bytes);
    registry.add_blob("app", &sha256(b"second"));
    let (sbom, index, list) =
        sbom_listed_with(&registry, &image, &[(&second, second_bytes.len(), SPDX)]);
    let fallback = tag_for(&image, "");
    image_in_mirror(&registry, &image);
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let first = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert!(first.iter().all(|(_, r)| r.is_ok()), "{first:?}");
    assert_eq!(
        registry.tag_digest("mirror", &fallback),
        Some(index.clone())
    );

    (registry
        .state
        .borrow_mut()
        .manifests
        .get_mut("app")
        .unwrap())
    .remove(&sbom);
    let list =
        block_on(client.referrers(&repo(), &digest(&image), &ReferrerQuery::default())).unwrap();
    registry.state.borrow_mut().log.clear();
    let again = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert!(
        !registry.was_sent(&format!("PUT /v2/mirror/manifests/{fallback}")),
        "{again:?}"
    );
    assert_eq!(registry.tag_digest("mirror", &fallback), Some(index));
    assert!(registry.state.borrow().manifests["mirror"].contains_key(&sbom));
    let index_line = copy_line(&again[0], &mirror);
    assert!(index_line.contains("already"), "{index_line}");
}

/// Someone with push rights lists another image's signature in this image's
/// fallback index: copying this image's referrers must not copy it (this image would
/// look signed in the target), and its line says why.
#[test]
fn a_fallback_index_entry_that_refers_to_another_image_is_not_copied() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let other = sha256(b"another image");
    let foreign_bytes = artifact(NOTATION, &other, "foreign");
    let foreign = registry.push_untagged("app", media::OCI_MANIFEST, &foreign_bytes);
    registry.add_blob("app", &sha256(b"foreign"));
    let (sbom, _, list) = sbom_listed_with(
        &registry,
        &image,
        &[(&foreign, foreign_bytes.len(), NOTATION)],
    );
    image_in_mirror(&registry, &image);
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    let in_mirror = |d: &str| registry.state.borrow().manifests["mirror"].contains_key(d);
    assert!(!in_mirror(&foreign), "copied another image's signature");
    assert_eq!(results.len(), 4, "{results:?}");
    assert!(in_mirror(&sbom));
    let theirs = registry.tag_digest("mirror", &tag_for(&image, "")).unwrap();
    assert_eq!(listed_by(&registry, "mirror", &theirs), [sbom]);
    let line = copy_result_of(&results, &foreign);
    assert!(
        matches!(line.1, Err(ChangeError::NotAReferrer { .. })),
        "{line:?}"
    );
    let line = copy_line(line, &mirror);
    assert!(line.contains(digest(&foreign).short(12)), "{line}");
    assert!(line.contains("not copied"), "{line}");
    assert!(line.contains("another image"), "{line}");
}

/// A referrer pushed (and listed by the fallback index) after the dialog read the
/// list: as a delete, the copy acts on nothing the user was not shown. The index is
/// not copied, and the line says what it lists that was not shown.
#[test]
fn a_fallback_index_listing_a_referrer_not_shown_is_not_copied() {
    let registry = MemoryRegistry::new();
    let image = subject(&registry);
    let (sbom, _, list) = sbom_listed_with(&registry, &image, &[]);
    let sbom_bytes = registry.state.borrow().manifests["app"][&sbom].1.clone();
    let newer_bytes = artifact(SPDX, &image, "newer");
    let newer = registry.push_untagged("app", media::OCI_MANIFEST, &newer_bytes);
    registry.add_blob("app", &sha256(b"newer"));
    let both = referrers_index(&[
        (&sbom, sbom_bytes.len(), SPDX),
        (&newer, newer_bytes.len(), SPDX),
    ]);
    registry.push(
        "app",
        &tag_for(&image, ""),
        media::OCI_INDEX,
        both.as_bytes(),
    );
    image_in_mirror(&registry, &image);
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert!(
        !registry.state.borrow().manifests["mirror"].contains_key(&newer),
        "copied a referrer not shown"
    );
    assert_eq!(results.len(), 3, "{results:?}");
    assert_eq!(registry.tag_digest("mirror", &tag_for(&image, "")), None);
    assert!(
        matches!(results[0].1, Err(ChangeError::ListsUnshown { .. })),
        "{results:?}"
    );
    let line = copy_line(&results[0], &mirror);
    assert!(line.contains(&newer), "{line}");
    let line = copy_line(copy_result_of(&results, &sbom), &mirror);
    assert!(line.contains("not copied"), "{line}");
    // The signature, tagged on its own, is copied all the same.
    assert!(registry
        .tag_digest("mirror", &tag_for(&image, ".sig"))
        .is_some());
}

/// The target has a cosign signature of its own under the same `.sig` tag: it is
/// left as it is, said so, with no confirmation asked that the report cannot take.
#[test]
fn a_cosign_tag_the_target_has_for_its_own_signature_is_left_as_it_is() {
    let registry = MemoryRegistry::new();
    let Referred {
        image,
        signature,
        list,
        ..
    } = referred_with_blobs(&registry);
    image_in_mirror(&registry, &image);
    let sig = tag_for(&image, ".sig");
    let their_signature = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": sha256(b"cfg"), "size": 3},
        "layers": [{"mediaType": COSIGN_SIG, "digest": sha256(b"their payload"), "size": 200}],
    })
    .to_string();
    let theirs = registry.push(
        "mirror",
        &sig,
        media::OCI_MANIFEST,
        their_signature.as_bytes(),
    );
    let client = Registry::new("http://registry.test", &registry);
    let mirror = Repository::parse("mirror").unwrap();
    let results = block_on(client.copy_referrers(&repo(), &mirror, &list, |_, _| {}));
    assert_eq!(registry.tag_digest("mirror", &sig), Some(theirs));
    let line = copy_line(copy_result_of(&results, &signature), &mirror);
    assert!(!line.contains("needs confirmation"), "{line}");
    assert!(
        line.contains("has its own cosign signature under"),
        "{line}"
    );
    assert!(line.contains("left as it is"), "{line}");
}
