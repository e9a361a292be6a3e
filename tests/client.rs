#![cfg(not(target_arch = "wasm32"))]
//! Operations over a scripted transport: what is sent, and how answers are read.

mod support;

use std::cell::Cell;

use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::client::{MountOutcome, Registry};
use tagdeck::oci::error::RegistryError;
use tagdeck::oci::http::{Method, TransportFailure};
use tagdeck::oci::media::{self, MANIFEST_ACCEPT};
use tagdeck::oci::names::{Digest, Repository, Tag};

const BASE: &str = "http://reg:5000";
const PRETTY: &[u8] = b"{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n\t\"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\", \"size\": 2},\n\t\"layers\": []\n}\n";

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

#[test]
fn catalog_follows_link_pages_to_the_end() {
    let http = ScriptedHttp::new(|request| {
        Ok(match request.url.as_str() {
            "http://reg:5000/v2/_catalog?n=1000" => response(
                200,
                &[("Link", "</v2/_catalog?last=b&n=1000>; rel=\"next\"")],
                br#"{"repositories":["a","b"]}"#,
            ),
            "http://reg:5000/v2/_catalog?last=b&n=1000" => {
                response(200, &[], br#"{"repositories":["c"]}"#)
            }
            other => panic!("unexpected {other}"),
        })
    });
    let names = block_on(Registry::new(BASE, &http).catalog()).unwrap();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(http.sent.borrow().len(), 2);
}

#[test]
fn a_link_loop_is_an_error_not_a_hang() {
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            200,
            &[("Link", "</v2/_catalog?n=1000>; rel=\"next\"")],
            br#"{"repositories":[]}"#,
        ))
    });
    let error = block_on(Registry::new(BASE, &http).catalog()).unwrap_err();
    assert!(
        matches!(error, RegistryError::Malformed { .. }),
        "{error:?}"
    );
}

#[test]
fn a_next_link_to_another_host_is_refused() {
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            200,
            &[("Link", "<http://evil/v2/_catalog?last=a>; rel=\"next\"")],
            br#"{"repositories":["a"]}"#,
        ))
    });
    let error = block_on(Registry::new(BASE, &http).catalog()).unwrap_err();
    assert!(error.to_string().contains("another server"), "{error}");
    assert_eq!(http.sent.borrow().len(), 1);
}

#[test]
fn tags_null_means_no_tags_and_pages_reach_the_caller() {
    let page = Cell::new(0);
    let http = ScriptedHttp::new(move |request| {
        page.set(page.get() + 1);
        Ok(if request.url.ends_with("/tags/list?n=1000") {
            response(
                200,
                &[("link", "<?last=x>; rel=next")],
                br#"{"name":"a/b","tags":["x"]}"#,
            )
        } else {
            response(200, &[], br#"{"name":"a/b","tags":null}"#)
        })
    });
    let mut seen_pages = Vec::new();
    let tags =
        block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |p| seen_pages.push(p.to_vec())))
            .unwrap();
    assert_eq!(tags.tags, ["x"]);
    assert!(!tags.may_be_incomplete);
    assert_eq!(seen_pages, [vec!["x".to_string()], vec![]]);
    assert_eq!(
        http.sent.borrow()[1].url,
        "http://reg:5000/v2/a/b/tags/list?last=x"
    );
}

#[test]
fn wrong_json_shape_is_malformed() {
    let http = ScriptedHttp::new(|_| Ok(response(200, &[], br#"{"repositories":"nope"}"#)));
    let error = block_on(Registry::new(BASE, &http).catalog()).unwrap_err();
    assert!(matches!(error, RegistryError::Malformed { .. }));
}

#[test]
fn manifest_get_sends_every_accept_type_and_keeps_exact_bytes() {
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            200,
            &[("Content-Type", media::OCI_MANIFEST)],
            PRETTY,
        ))
    });
    let manifest = block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), "v1")).unwrap();
    assert_eq!(manifest.bytes, PRETTY);
    assert_eq!(manifest.digest, Digest::sha256_of(PRETTY));
    let sent = http.sent.borrow();
    let accept = &sent[0]
        .headers
        .iter()
        .find(|(k, _)| k == "Accept")
        .unwrap()
        .1;
    assert_eq!(accept, MANIFEST_ACCEPT);
    for media_type in [
        media::OCI_INDEX,
        media::OCI_MANIFEST,
        media::DOCKER_MANIFEST_LIST,
        media::DOCKER_MANIFEST,
    ] {
        assert!(accept.contains(media_type));
    }
}

#[test]
fn manifest_get_by_digest_verifies_the_bytes() {
    let wrong = Digest::sha256_of(b"something else");
    let http = ScriptedHttp::new(|_| Ok(response(200, &[], PRETTY)));
    let error =
        block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), wrong.as_str())).unwrap_err();
    match error {
        RegistryError::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, wrong.as_str());
            assert_eq!(actual, Digest::sha256_of(PRETTY).as_str());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn manifest_get_checks_docker_content_digest_when_readable() {
    let lying = Digest::sha256_of(b"x").to_string();
    let http =
        ScriptedHttp::new(move |_| Ok(response(200, &[("Docker-Content-Digest", &lying)], PRETTY)));
    let error = block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), "v1")).unwrap_err();
    assert!(matches!(error, RegistryError::DigestMismatch { .. }));
}

#[test]
fn manifest_put_sends_exact_bytes_with_content_type_and_checks_the_answer() {
    let digest = Digest::sha256_of(PRETTY).to_string();
    let http =
        ScriptedHttp::new(move |_| Ok(response(201, &[("Docker-Content-Digest", &digest)], b"")));
    let registry = Registry::new(BASE, &http);
    let manifest = block_on(async {
        tagdeck::oci::manifest::Manifest::parse(PRETTY.to_vec(), Some(media::OCI_MANIFEST))
    })
    .unwrap();
    let put =
        block_on(registry.manifest_put_tag(&repo("a"), &Tag::parse("v2").unwrap(), &manifest))
            .unwrap();
    assert_eq!(put, manifest.digest);
    let sent = http.sent.borrow();
    assert_eq!(sent[0].method, Method::Put);
    assert_eq!(sent[0].url, "http://reg:5000/v2/a/manifests/v2");
    assert_eq!(sent[0].body.as_deref(), Some(PRETTY));
    assert!(sent[0]
        .headers
        .contains(&("Content-Type".into(), media::OCI_MANIFEST.into())));
}

#[test]
fn manifest_put_reports_a_digest_the_registry_changed() {
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            201,
            &[(
                "Docker-Content-Digest",
                "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            )],
            b"",
        ))
    });
    let error = block_on(Registry::new(BASE, &http).manifest_put(
        &repo("a"),
        "t",
        PRETTY,
        media::OCI_MANIFEST,
    ))
    .unwrap_err();
    assert!(matches!(error, RegistryError::DigestMismatch { .. }));
}

#[test]
fn oversized_manifest_is_refused_before_sending() {
    let http = ScriptedHttp::new(|_| panic!("must not send"));
    let huge = vec![b' '; media::MAX_MANIFEST_BYTES + 1];
    let error = block_on(Registry::new(BASE, &http).manifest_put(
        &repo("a"),
        "t",
        &huge,
        media::OCI_MANIFEST,
    ))
    .unwrap_err();
    assert!(matches!(error, RegistryError::TooLarge { .. }));
    let http = ScriptedHttp::new(move |_| {
        Ok(response(
            200,
            &[],
            &vec![b' '; media::MAX_MANIFEST_BYTES + 1],
        ))
    });
    let error = block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), "t")).unwrap_err();
    assert!(matches!(error, RegistryError::TooLarge { .. }));
}

#[test]
fn tag_delete_on_distribution_2_8_is_unsupported() {
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            400,
            &[],
            br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#,
        ))
    });
    let error =
        block_on(Registry::new(BASE, &http).tag_delete(&repo("a"), &Tag::parse("v1").unwrap()))
            .unwrap_err();
    assert!(
        matches!(error, RegistryError::Unsupported { status: 400, .. }),
        "{error:?}"
    );
    assert_eq!(http.sent.borrow()[0].method, Method::Delete);
}

#[test]
fn blob_head_mount_and_upload() {
    let digest = Digest::sha256_of(b"blob");
    let http = ScriptedHttp::new(|request| {
        Ok(match (request.method, request.url.as_str()) {
            (Method::Head, url) if url.contains("/dst/") => response(404, &[], b""),
            (Method::Head, _) => response(200, &[("Content-Length", "4")], b""),
            (Method::Post, url) if url.contains("mount=") && url.contains("/dst/") => {
                response(201, &[], b"")
            }
            (Method::Post, url) if url.contains("mount=") => response(
                202,
                &[("Location", "/v2/other/blobs/uploads/uuid-1?_state=s")],
                b"",
            ),
            (Method::Post, _) => {
                response(202, &[("Location", "/v2/dst/blobs/uploads/uuid-2")], b"")
            }
            (Method::Put, _) => response(201, &[], b""),
            other => panic!("unexpected {other:?}"),
        })
    });
    let registry = Registry::new(BASE, &http);
    assert_eq!(
        block_on(registry.blob_head(&repo("src"), &digest)).unwrap(),
        Some(4)
    );
    assert_eq!(
        block_on(registry.blob_head(&repo("dst"), &digest)).unwrap(),
        None
    );
    assert_eq!(
        block_on(registry.blob_mount(&repo("dst"), &digest, &repo("src"))).unwrap(),
        MountOutcome::Mounted
    );
    assert_eq!(
        block_on(registry.blob_mount(&repo("other"), &digest, &repo("src"))).unwrap(),
        MountOutcome::UploadStarted {
            location: "http://reg:5000/v2/other/blobs/uploads/uuid-1?_state=s".into()
        }
    );
    assert_eq!(
        block_on(registry.blob_upload(&repo("dst"), b"blob")).unwrap(),
        digest
    );
    let sent = http.sent.borrow();
    let put = sent.last().unwrap();
    assert_eq!(
        put.url,
        format!("http://reg:5000/v2/dst/blobs/uploads/uuid-2?digest={digest}")
    );
    assert_eq!(put.body.as_deref(), Some(&b"blob"[..]));
}

#[test]
fn upload_without_readable_location_explains_cors() {
    let http = ScriptedHttp::new(|_| Ok(response(202, &[], b"")));
    let error = block_on(Registry::new(BASE, &http).blob_upload(&repo("dst"), b"x")).unwrap_err();
    assert!(error.to_string().contains("Expose-Headers"), "{error}");
}

#[test]
fn network_failure_and_abort_are_their_own_kinds() {
    let http = ScriptedHttp::new(|_| Err(TransportFailure::Network("Failed to fetch".into())));
    let error = block_on(Registry::new(BASE, &http).check_api()).unwrap_err();
    assert!(matches!(error, RegistryError::Network { .. }));
    let http = ScriptedHttp::new(|_| Err(TransportFailure::Aborted));
    let error = block_on(Registry::new(BASE, &http).catalog()).unwrap_err();
    assert!(matches!(error, RegistryError::Aborted { .. }));
}

#[test]
fn check_api_tells_a_web_page_from_a_registry() {
    let http = ScriptedHttp::new(|_| Ok(response(200, &[], b"<html>welcome</html>")));
    assert!(matches!(
        block_on(Registry::new(BASE, &http).check_api()).unwrap_err(),
        RegistryError::Malformed { .. }
    ));
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            200,
            &[("Docker-Distribution-API-Version", "registry/2.0")],
            b"{}",
        ))
    });
    assert!(block_on(Registry::new(BASE, &http).check_api()).is_ok());
}

#[test]
fn a_read_that_fails_with_500_is_asked_once_more_a_write_never() {
    let calls = Cell::new(0);
    let digest = Digest::sha256_of(PRETTY).to_string();
    let http = ScriptedHttp::new(move |request| {
        calls.set(calls.get() + 1);
        match (request.method, calls.get()) {
            (Method::Head, 1) => Ok(response(500, &[], b"")),
            (Method::Head, _) => Ok(response(200, &[("Docker-Content-Digest", &digest)], b"")),
            _ => Ok(response(500, &[], b"")),
        }
    });
    let registry = Registry::new(BASE, &http);
    let head = block_on(registry.manifest_head(&repo("a"), "v1")).unwrap();
    assert_eq!(head.digest, Some(Digest::sha256_of(PRETTY)));
    assert_eq!(http.sent.borrow().len(), 2);

    let error =
        block_on(registry.manifest_put(&repo("a"), "v1", PRETTY, media::OCI_MANIFEST)).unwrap_err();
    assert!(
        matches!(error, RegistryError::Server { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(http.sent.borrow().len(), 3, "the PUT was sent once");
}
