#![cfg(not(target_arch = "wasm32"))]
//! Operations over a scripted transport: what is sent, and how answers are read.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use support::parse_reference;
use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::client::{DigestContent, MountOutcome, Registry, StorageReach, StoredBlob};
use tagdeck::oci::error::{MalformedReason, RegistryError};
use tagdeck::oci::http::{Method, Request, Response, TransportFailure, HIDDEN_REDIRECT};
use tagdeck::oci::image_summary::ImageKind;
use tagdeck::oci::manifest::Descriptor;
use tagdeck::oci::media::{self, MANIFEST_ACCEPT};
use tagdeck::oci::names::{Digest, Reference, Repository, Tag};
use tagdeck::oci::pagination::LinkError;
use tagdeck::wording;

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

/// distribution refuses `n` above its catalog.maxentries (400
/// PAGINATION_NUMBER_INVALID): the list is asked again without `n`, at the registry's
/// own page size, and read on from there (by Link, or by `last=` without `n`).
#[test]
fn a_registry_with_smaller_pages_is_asked_without_n() {
    let refused = br#"{"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":"invalid number of results requested"}]}"#;
    let http = ScriptedHttp::new(move |request| {
        Ok(match request.url.as_str() {
            "http://reg:5000/v2/_catalog?n=1000" => response(400, &[], refused),
            "http://reg:5000/v2/_catalog" => response(
                200,
                &[("Link", "</v2/_catalog?last=b&n=2>; rel=\"next\"")],
                br#"{"repositories":["a","b"]}"#,
            ),
            "http://reg:5000/v2/_catalog?last=b&n=2" => {
                response(200, &[], br#"{"repositories":["c"]}"#)
            }
            "http://reg:5000/v2/app/tags/list?n=1000" => response(400, &[], refused),
            // No Link this page can read: read on with `last=`, never with n=1000.
            "http://reg:5000/v2/app/tags/list" => response(200, &[], br#"{"tags":["1","2"]}"#),
            "http://reg:5000/v2/app/tags/list?last=2" => response(200, &[], br#"{"tags":["3"]}"#),
            "http://reg:5000/v2/app/tags/list?last=3" => response(200, &[], br#"{"tags":[]}"#),
            other => panic!("unexpected {other}"),
        })
    });
    let registry = Registry::new(BASE, &http);
    assert_eq!(block_on(registry.catalog()).unwrap(), ["a", "b", "c"]);
    let tags = block_on(registry.tags(&repo("app"), |_| {})).unwrap();
    assert_eq!(tags.tags, ["1", "2", "3"]);
    assert!(!tags.may_be_incomplete);
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
    let detail = wording::error(&error).detail;
    assert!(detail.contains("another server"), "{detail}");
    assert_eq!(http.sent.borrow().len(), 1);
}

#[test]
fn a_list_of_endless_pages_stops_at_its_byte_budget_and_says_it_may_be_incomplete() {
    use tagdeck::oci::client::MAX_LIST_BYTES;
    // Every page 800 new names of 1,000 characters (about 800 KiB) and a link to the
    // next: the bytes run out long before the names (`MAX_LIST_NAMES`) do.
    let http = ScriptedHttp::new(|request| {
        let page: usize = request.url.split("last=p").nth(1).map_or(0, |rest| {
            rest.split('-').next().unwrap().parse::<usize>().unwrap() + 1
        });
        let names: Vec<String> = (0..800)
            .map(|i| format!("p{page}-{i:07}{}", "x".repeat(990)))
            .collect();
        let link = format!("<?last=p{page}-end>; rel=next");
        let body = serde_json::json!({"name": "a/b", "tags": names}).to_string();
        Ok(response(200, &[("link", &link)], body.as_bytes()))
    });
    let listing = block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |_| {})).unwrap();
    assert!(listing.may_be_incomplete);
    let pages = http.sent.borrow().len();
    let page_bytes = 800 * 1_000;
    assert!(
        pages <= MAX_LIST_BYTES / page_bytes + 2,
        "{pages} pages read for a budget of {MAX_LIST_BYTES} bytes"
    );
    assert_eq!(listing.tags.len(), pages * 800);
}

/// Bytes bound no count of names: 32 MiB of tiny names would be millions of rows
/// and HEADs. The names kept stop at `MAX_LIST_NAMES`, the caller sees no more,
/// and the list says it may be incomplete.
#[test]
fn a_list_of_many_tiny_names_stops_at_its_name_bound_and_says_it_may_be_incomplete() {
    use tagdeck::oci::bounds::MAX_LIST_NAMES;
    // Pages of 60% of the bound each, in names of a few characters, each page
    // linking to the next.
    let per_page = MAX_LIST_NAMES * 3 / 5;
    let http = ScriptedHttp::new(move |request| {
        let page: usize = request
            .url
            .rsplit("page=")
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let names: Vec<String> = (0..per_page)
            .map(|i| format!("{:x}", page * per_page + i))
            .collect();
        let link = format!("<?page={}>; rel=next", page + 1);
        let body = serde_json::json!({"name": "a/b", "tags": names}).to_string();
        Ok(response(200, &[("link", &link)], body.as_bytes()))
    });
    let mut shown = 0;
    let listing =
        block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |page| shown += page.len()))
            .unwrap();
    assert_eq!(listing.tags.len(), MAX_LIST_NAMES);
    assert_eq!(shown, MAX_LIST_NAMES);
    assert!(listing.may_be_incomplete);
    assert_eq!(
        http.sent.borrow().len(),
        2,
        "no page after the bound is asked"
    );
}

/// A next link is kept (to catch a loop) and becomes the next request's URL: one of
/// megabytes is not followed, and the list says it may be incomplete. A link of a
/// couple of KiB (a long page token) still is.
#[test]
fn a_next_link_longer_than_any_registry_needs_is_not_followed() {
    for (pad, followed) in [(2_000, true), (250_000, false)] {
        let http = ScriptedHttp::new(move |request| {
            Ok(if request.url.ends_with("?n=1000") {
                let link = format!("<?last=a&token={}>; rel=next", "x".repeat(pad));
                response(200, &[("link", &link)], br#"{"name":"a/b","tags":["a"]}"#)
            } else {
                response(200, &[], br#"{"name":"a/b","tags":["b"]}"#)
            })
        });
        let listing = block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |_| {})).unwrap();
        if followed {
            assert_eq!(listing.tags, ["a", "b"]);
            assert!(!listing.may_be_incomplete);
        } else {
            assert_eq!(listing.tags, ["a"]);
            assert!(listing.may_be_incomplete);
            assert_eq!(http.sent.borrow().len(), 1, "the huge link is never asked");
        }
    }
}

/// Endless pages that add nothing (empty, or names already listed), each linking to
/// a fresh address, would be followed up to `MAX_PAGES`: the first such page ends
/// the list, which may be incomplete.
#[test]
fn a_linked_page_that_adds_no_name_ends_the_list_as_possibly_incomplete() {
    for later in [&br#"{"tags":[]}"#[..], br#"{"tags":["a"]}"#] {
        let http = ScriptedHttp::new(move |request| {
            let page: usize = request
                .url
                .rsplit("page=")
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let link = format!("<?page={}>; rel=next", page + 1);
            let body: &[u8] = if page == 0 {
                br#"{"tags":["a"]}"#
            } else {
                later
            };
            Ok(response(200, &[("link", &link)], body))
        });
        let listing = block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |_| {})).unwrap();
        assert_eq!(listing.tags, ["a"]);
        assert!(listing.may_be_incomplete);
        assert_eq!(http.sent.borrow().len(), 2);
    }
}

/// Without a readable Link the rest is asked with `last=<last name>`; a name longer
/// than any tag (the registry's, of any length) never goes into that URL: the list
/// says it may be incomplete instead. The name itself is kept, for the rows to say
/// it is no valid tag.
#[test]
fn a_name_longer_than_any_tag_is_never_asked_after() {
    for (length, asked_after) in [(128, true), (129, false), ((4 << 20) - 64, false)] {
        let long = "x".repeat(length);
        let body = serde_json::json!({"name": "a/b", "tags": ["a", long]}).to_string();
        let http = ScriptedHttp::new(move |request| {
            Ok(if request.url.ends_with("?n=1000") {
                response(200, &[], body.as_bytes())
            } else {
                response(200, &[], br#"{"name":"a/b","tags":[]}"#)
            })
        });
        let listing = block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |_| {})).unwrap();
        assert_eq!(listing.tags, ["a".to_string(), long], "{length}");
        assert_eq!(listing.may_be_incomplete, !asked_after, "{length}");
        assert_eq!(
            http.sent.borrow().len(),
            1 + usize::from(asked_after),
            "{length}"
        );
    }
}

/// A tag list whose first page ("x") links to a second page, `second`.
fn two_tag_pages(
    second: &'static [u8],
) -> impl Fn(&Request) -> Result<Response, TransportFailure> + 'static {
    move |request| {
        Ok(if request.url.ends_with("/tags/list?n=1000") {
            response(
                200,
                &[("link", "<?last=x>; rel=next")],
                br#"{"name":"a/b","tags":["x"]}"#,
            )
        } else {
            response(200, &[], second)
        })
    }
}

#[test]
fn a_tag_list_takes_its_first_page_from_the_one_asked_for_before() {
    // 'static: the early request outlives any borrow, as in the browser.
    let http: &'static ScriptedHttp = Box::leak(Box::new(ScriptedHttp::new(two_tag_pages(
        br#"{"name":"a/b","tags":["y"]}"#,
    ))));
    let sent = || -> Vec<String> { http.sent.borrow().iter().map(|r| r.url.clone()).collect() };
    let registry = Rc::new(Registry::new(BASE, http));
    let first = registry.clone().first_tag_page(&repo("a/b"));
    assert!(sent().is_empty(), "nothing goes out before the page is run");
    block_on(first.run());
    assert_eq!(sent(), ["http://reg:5000/v2/a/b/tags/list?n=1000"]);

    let listing = block_on(registry.tags_from(&repo("a/b"), Some(first.clone()), |_| {})).unwrap();
    assert_eq!(listing.tags, ["x", "y"]);
    // The first page was not asked for again; the list went on from it.
    assert_eq!(
        sent(),
        [
            "http://reg:5000/v2/a/b/tags/list?n=1000",
            "http://reg:5000/v2/a/b/tags/list?last=x"
        ]
    );

    // Another repository's list never takes it.
    http.sent.borrow_mut().clear();
    block_on(registry.tags_from(&repo("c/d"), Some(first), |_| {})).unwrap();
    assert_eq!(sent()[0], "http://reg:5000/v2/c/d/tags/list?n=1000");
}

#[test]
fn an_early_first_page_that_failed_is_asked_for_again() {
    let failures = Cell::new(1);
    let http: &'static ScriptedHttp = Box::leak(Box::new(ScriptedHttp::new(move |_| {
        if failures.get() > 0 {
            failures.set(failures.get() - 1);
            return Err(TransportFailure::Network("offline".into()));
        }
        Ok(response(200, &[], br#"{"name":"a/b","tags":["x"]}"#))
    })));
    let registry = Rc::new(Registry::new(BASE, http));
    let first = registry.clone().first_tag_page(&repo("a/b"));
    block_on(first.run());
    let listing = block_on(registry.tags_from(&repo("a/b"), Some(first), |_| {})).unwrap();
    assert_eq!(listing.tags, ["x"]);
    let sent: Vec<String> = http.sent.borrow().iter().map(|r| r.url.clone()).collect();
    // The failed early answer, then the same page asked again (then the look past
    // its end that a page without a Link header gets).
    assert_eq!(sent[..2], ["http://reg:5000/v2/a/b/tags/list?n=1000"; 2]);
    assert_eq!(sent.len(), 3);
}

/// A hostile registry's page of one name a million times is one row, not a million;
/// a next link to another repository's list is not followed as this one's.
#[test]
fn a_tag_list_drops_repeats_within_a_page_and_follows_no_link_to_another_list() {
    let http = ScriptedHttp::new(|request: &Request| {
        Ok(if request.url.ends_with("/v2/a/b/tags/list?n=1000") {
            response(
                200,
                &[("link", "</v2/secret/tags/list?n=1000>; rel=next")],
                br#"{"name":"a/b","tags":["x","x","y","x"]}"#,
            )
        } else {
            response(200, &[], br#"{"name":"secret","tags":["s1"]}"#)
        })
    });
    let mut pages = Vec::new();
    let error = block_on(Registry::new(BASE, &http).tags(&repo("a/b"), |p| pages.push(p.to_vec())))
        .unwrap_err();
    assert_eq!(pages, [vec!["x".to_string(), "y".to_string()]]);
    assert!(
        matches!(
            &error,
            RegistryError::Malformed {
                reason: MalformedReason::NextPageLink(LinkError::OtherList(_)),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(http.sent.borrow().len(), 1, "secret's list is never asked");
}

#[test]
fn tags_null_means_no_tags_and_pages_reach_the_caller() {
    let http = ScriptedHttp::new(two_tag_pages(br#"{"name":"a/b","tags":null}"#));
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
    let manifest =
        block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), parse_reference("v1")))
            .unwrap();
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
        block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), wrong.clone())).unwrap_err();
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
    let error =
        block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), parse_reference("v1")))
            .unwrap_err();
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
        parse_reference("t"),
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
        parse_reference("t"),
        &huge,
        media::OCI_MANIFEST,
    ))
    .unwrap_err();
    assert!(matches!(error, RegistryError::TooLargeToSend { .. }));
    let http = ScriptedHttp::new(move |_| {
        Ok(response(
            200,
            &[],
            &vec![b' '; media::MAX_MANIFEST_BYTES + 1],
        ))
    });
    let error = block_on(Registry::new(BASE, &http).manifest_get(&repo("a"), parse_reference("t")))
        .unwrap_err();
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
        Some(StoredBlob { size: Some(4) })
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
    let detail = wording::error(&error).detail;
    assert!(detail.contains("Expose-Headers"), "{detail}");
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
    let head = block_on(registry.manifest_head(&repo("a"), parse_reference("v1"))).unwrap();
    assert_eq!(head.digest, Some(Digest::sha256_of(PRETTY)));
    assert_eq!(http.sent.borrow().len(), 2);

    let error = block_on(registry.manifest_put(
        &repo("a"),
        parse_reference("v1"),
        PRETTY,
        media::OCI_MANIFEST,
    ))
    .unwrap_err();
    assert!(
        matches!(error, RegistryError::Server { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(http.sent.borrow().len(), 3, "the PUT was sent once");
}

// ---- Digests without preflights (issue #11): the first-pass rule ----------------

use tagdeck::oci::client::{
    first_pass_verdict, head_concurrency, FallBackReason, FirstPassVerdict, HeadPlan, StoredKind,
    HTTP1_HEADS, MULTIPLEXED_HEADS,
};
use tagdeck::oci::media::FirstPassAccept;

const SCHEMA1: &str = media::DOCKER_SCHEMA1_SIGNED;

fn digest_of(name: &str) -> Digest {
    Digest::sha256_of(name.as_bytes())
}

#[test]
fn first_pass_accepts_are_cors_safelisted_and_list_the_docker_list_type() {
    for first in FirstPassAccept::ALL {
        let header = first.header();
        assert_eq!(header, first.types().join(", "));
        assert!(header.len() <= 128, "{header}: {} bytes", header.len());
        assert!(media::is_cors_safelisted_accept(header), "{header}");
        assert_eq!(first.types()[0], media::DOCKER_MANIFEST_LIST);
    }
    assert_eq!(FirstPassAccept::DockerManifest.header().len(), 111);
    assert_eq!(FirstPassAccept::OciManifest.header().len(), 101);
    assert_eq!(FirstPassAccept::OciIndex.header().len(), 98);
    // The full list is what costs a preflight.
    assert_eq!(MANIFEST_ACCEPT.len(), 196);
    assert!(!media::is_cors_safelisted_accept(MANIFEST_ACCEPT));
}

#[test]
fn safelisted_accept_follows_the_fetch_standard() {
    assert!(media::is_cors_safelisted_accept(""));
    assert!(media::is_cors_safelisted_accept("*/*"));
    assert!(media::is_cors_safelisted_accept(
        "text/html,\tapplication/json;q=0.9"
    ));
    assert!(media::is_cors_safelisted_accept(&"a".repeat(128)));
    assert!(!media::is_cors_safelisted_accept(&"a".repeat(129)));
    for unsafe_byte in [
        "\"", "(", ")", ":", "<", ">", "?", "@", "[", "\\", "]", "{", "}", "\u{7f}", "\n", "\0",
    ] {
        let value = format!("application/json{unsafe_byte}");
        assert!(!media::is_cors_safelisted_accept(&value), "{value:?}");
    }
}

/// (accepted types, status, Content-Type, digest, verdict)
type VerdictCase<'a> = (
    &'a [&'a str],
    u16,
    Option<&'a str>,
    Option<&'a Digest>,
    FirstPassVerdict,
);

#[test]
fn first_pass_verdict_covers_every_case() {
    use FallBackReason::*;
    use FirstPassVerdict::{FallBack, Trust};
    let digest = digest_of("stored");
    let d = Some(&digest);
    let docker = FirstPassAccept::DockerManifest.types();
    let oci_manifest = FirstPassAccept::OciManifest.types();
    let oci_index = FirstPassAccept::OciIndex.types();
    let oci_pair = [media::OCI_INDEX, media::OCI_MANIFEST];
    let cases: &[VerdictCase] = &[
        // A listed type, 200, a readable digest: the stored manifest.
        (&docker, 200, Some(media::DOCKER_MANIFEST), d, Trust),
        (&docker, 200, Some(media::DOCKER_MANIFEST_LIST), d, Trust),
        (&oci_manifest, 200, Some(media::OCI_MANIFEST), d, Trust),
        (
            &oci_manifest,
            200,
            Some(media::DOCKER_MANIFEST_LIST),
            d,
            Trust,
        ),
        (&oci_index, 200, Some(media::OCI_INDEX), d, Trust),
        (&oci_index, 200, Some(media::DOCKER_MANIFEST_LIST), d, Trust),
        // Parameters and letter case of the Content-Type do not matter.
        (
            &oci_manifest,
            200,
            Some("Application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
            d,
            Trust,
        ),
        // A type the Accept did not list: served whatever Accept says, or converted.
        (
            &docker,
            200,
            Some(media::OCI_MANIFEST),
            d,
            FallBack(TypeNotAsked),
        ),
        (
            &docker,
            200,
            Some(media::OCI_INDEX),
            d,
            FallBack(TypeNotAsked),
        ),
        (
            &oci_manifest,
            200,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(TypeNotAsked),
        ),
        (
            &oci_manifest,
            200,
            Some(media::OCI_INDEX),
            d,
            FallBack(TypeNotAsked),
        ),
        (
            &oci_index,
            200,
            Some(media::OCI_MANIFEST),
            d,
            FallBack(TypeNotAsked),
        ),
        (
            &oci_index,
            200,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(TypeNotAsked),
        ),
        // Schema 1 (a conversion, or stored so): the full Accept decides.
        (&docker, 200, Some(SCHEMA1), d, FallBack(TypeNotAsked)),
        (&oci_manifest, 200, Some(SCHEMA1), d, FallBack(TypeNotAsked)),
        (
            &oci_index,
            200,
            Some("application/json"),
            d,
            FallBack(TypeNotAsked),
        ),
        (&oci_index, 200, Some(""), d, FallBack(TypeNotAsked)),
        // Nothing readable.
        (&docker, 200, None, d, FallBack(NoContentType)),
        (
            &docker,
            200,
            Some(media::DOCKER_MANIFEST),
            None,
            FallBack(NoDigest),
        ),
        (
            &oci_index,
            200,
            Some(media::OCI_INDEX),
            None,
            FallBack(NoDigest),
        ),
        // Any other status: a 404 only means "not of a listed type".
        (
            &docker,
            404,
            Some("application/json"),
            None,
            FallBack(Status(404)),
        ),
        (&oci_manifest, 404, None, None, FallBack(Status(404))),
        (&docker, 400, None, None, FallBack(Status(400))),
        (&docker, 401, None, None, FallBack(Status(401))),
        (&docker, 500, None, None, FallBack(Status(500))),
        (
            &docker,
            204,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(Status(204)),
        ),
        (
            &docker,
            304,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(Status(304)),
        ),
        // Without the Docker list type a list may have become its amd64 child, of any
        // type: nothing is trusted, however good it looks.
        (
            &oci_pair,
            200,
            Some(media::OCI_MANIFEST),
            d,
            FallBack(MayBeConverted),
        ),
        (
            &oci_pair,
            200,
            Some(media::OCI_INDEX),
            d,
            FallBack(MayBeConverted),
        ),
        (
            &[media::DOCKER_MANIFEST],
            200,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(MayBeConverted),
        ),
        (
            &[media::OCI_MANIFEST, media::DOCKER_MANIFEST],
            200,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(MayBeConverted),
        ),
        (
            &[],
            200,
            Some(media::DOCKER_MANIFEST),
            d,
            FallBack(MayBeConverted),
        ),
    ];
    for (accepted, status, content_type, digest, expected) in cases {
        assert_eq!(
            first_pass_verdict(accepted, *status, *content_type, *digest),
            *expected,
            "{accepted:?} {status} {content_type:?} {digest:?}"
        );
    }
}

/// A model of what distribution 2.8's manifest handler answers to a HEAD
/// (registry/handlers/manifests.go), for the first-pass tests below: what it stores
/// under each reference and how it converts for an Accept that lacks types.
struct ModelRegistry {
    manifests: Vec<ModelManifest>,
}

struct ModelManifest {
    tag: &'static str,
    media_type: &'static str,
    /// An index's linux/amd64 child (by position), if any.
    amd64_child: Option<usize>,
    /// Stored without `mediaType`: distribution 2.8 serves such an index as an OCI
    /// index whatever the Accept says.
    untyped: bool,
}

impl ModelManifest {
    fn digest(&self) -> Digest {
        digest_of(self.tag)
    }
}

impl ModelRegistry {
    fn new() -> Self {
        let m = |tag, media_type, amd64_child| ModelManifest {
            tag,
            media_type,
            amd64_child,
            untyped: false,
        };
        ModelRegistry {
            manifests: vec![
                m("docker-v2", media::DOCKER_MANIFEST, None), // 0
                m("oci-manifest", media::OCI_MANIFEST, None), // 1
                m("docker-list", media::DOCKER_MANIFEST_LIST, Some(0)),
                m("oci-index", media::OCI_INDEX, Some(1)),
                // A Docker list whose amd64 child is an OCI manifest: without the list
                // type in Accept, the child comes back with an OCI Content-Type.
                m("mixed-list", media::DOCKER_MANIFEST_LIST, Some(1)),
                // A Docker list whose amd64 child is itself an OCI index.
                m("nested-list", media::DOCKER_MANIFEST_LIST, Some(3)),
                m("schema1", SCHEMA1, None),
                ModelManifest {
                    tag: "untyped-index",
                    media_type: media::OCI_INDEX,
                    amd64_child: Some(1),
                    untyped: true,
                },
            ],
        }
    }

    fn answer(&self, request: &tagdeck::oci::http::Request) -> tagdeck::oci::http::Response {
        let reference = request.url.rsplit('/').next().unwrap();
        let accept = request
            .headers
            .iter()
            .find(|(name, _)| name == "Accept")
            .map(|(_, value)| value.as_str())
            .unwrap_or("");
        let supports = |media_type: &str| accept.split(',').any(|t| t.trim() == media_type);
        let by_tag = !reference.starts_with("sha256:");
        let not_found = || response(404, &[], br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#);
        let Some(found) = self
            .manifests
            .iter()
            .find(|m| m.tag == reference || m.digest().as_str() == reference)
        else {
            return not_found();
        };
        let served = |content_type: &str, digest: Digest| {
            response(
                200,
                &[
                    ("Content-Type", content_type),
                    ("Docker-Content-Digest", digest.as_str()),
                    ("Content-Length", "100"),
                ],
                b"",
            )
        };
        // A schema 1 rewrite has a digest of its own.
        let schema1_of =
            |m: &ModelManifest| served(SCHEMA1, digest_of(&format!("schema1 of {}", m.tag)));
        if found.untyped {
            return served(media::OCI_INDEX, found.digest());
        }
        match found.media_type {
            media::OCI_MANIFEST if !supports(media::OCI_MANIFEST) => not_found(),
            media::OCI_INDEX if !supports(media::OCI_INDEX) => not_found(),
            media::DOCKER_MANIFEST if by_tag && !supports(media::DOCKER_MANIFEST) => {
                schema1_of(found)
            }
            media::DOCKER_MANIFEST_LIST if by_tag && !supports(media::DOCKER_MANIFEST_LIST) => {
                let child = &self.manifests[found.amd64_child.unwrap()];
                if child.media_type == media::DOCKER_MANIFEST && !supports(media::DOCKER_MANIFEST) {
                    schema1_of(child)
                } else {
                    served(child.media_type, child.digest())
                }
            }
            _ => served(found.media_type, found.digest()),
        }
    }
}

fn plans() -> Vec<(String, HeadPlan)> {
    let mut plans: Vec<(String, HeadPlan)> = FirstPassAccept::ALL
        .into_iter()
        .map(|first| (format!("{first:?}"), HeadPlan::fixed(Some(first))))
        .collect();
    plans.push(("adaptive".into(), HeadPlan::adaptive()));
    plans.push(("full Accept only".into(), HeadPlan::fixed(None)));
    plans
}

#[test]
fn the_fast_head_always_answers_what_the_full_accept_answers() {
    let model = ModelRegistry::new();
    let http = ScriptedHttp::new(move |request| Ok(model.answer(request)));
    let registry = Registry::new(BASE, &http);
    let stored = ModelRegistry::new();
    for (name, plan) in plans() {
        for manifest in &stored.manifests {
            for reference in [manifest.tag.to_owned(), manifest.digest().to_string()] {
                let full =
                    block_on(registry.manifest_head(&repo("r"), parse_reference(&reference)))
                        .unwrap();
                let fast = block_on(registry.manifest_head_fast(
                    &repo("r"),
                    parse_reference(&reference),
                    &plan,
                ))
                .unwrap();
                assert_eq!(fast, full, "{name}: {reference}");
                assert_eq!(fast.digest, Some(manifest.digest()), "{name}: {reference}");
            }
        }
    }
}

#[test]
fn the_oci_pair_would_be_fooled_by_a_docker_list_with_an_oci_child() {
    // Why every first pass lists the Docker list type: asked with "OCI index, OCI
    // manifest", the mixed list answers as its amd64 child, with an OCI type.
    let model = ModelRegistry::new();
    let request =
        tagdeck::oci::http::Request::new(Method::Head, format!("{BASE}/v2/r/manifests/mixed-list"))
            .header(
                "Accept",
                format!("{}, {}", media::OCI_INDEX, media::OCI_MANIFEST),
            );
    let answer = model.answer(&request);
    assert_eq!(answer.header("content-type"), Some(media::OCI_MANIFEST));
    assert_eq!(
        answer.header("docker-content-digest"),
        Some(digest_of("oci-manifest").as_str())
    );
    let digest = Digest::parse(answer.header("docker-content-digest").unwrap()).unwrap();
    assert_eq!(
        first_pass_verdict(
            &[media::OCI_INDEX, media::OCI_MANIFEST],
            200,
            answer.header("content-type"),
            Some(&digest),
        ),
        FirstPassVerdict::FallBack(FallBackReason::MayBeConverted)
    );
}

fn accepts_sent(http: &ScriptedHttp) -> Vec<String> {
    http.sent
        .borrow()
        .iter()
        .map(|r| {
            assert_eq!(r.method, Method::Head);
            r.headers
                .iter()
                .find(|(name, _)| name == "Accept")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_trusted_first_pass_is_the_only_request() {
    let model = ModelRegistry::new();
    let http = ScriptedHttp::new(move |request| Ok(model.answer(request)));
    let registry = Registry::new(BASE, &http);
    let plan = HeadPlan::fixed(Some(FirstPassAccept::OciManifest));
    let head =
        block_on(registry.manifest_head_fast(&repo("r"), parse_reference("oci-manifest"), &plan))
            .unwrap();
    assert_eq!(head.digest, Some(digest_of("oci-manifest")));
    assert_eq!(head.media_type.as_deref(), Some(media::OCI_MANIFEST));
    assert_eq!(accepts_sent(&http), [FirstPassAccept::OciManifest.header()]);
    assert_eq!(plan.counts(), (1, 0));
}

#[test]
fn a_first_pass_404_is_never_not_found_and_a_missing_tag_is() {
    let model = ModelRegistry::new();
    let http = ScriptedHttp::new(move |request| Ok(model.answer(request)));
    let registry = Registry::new(BASE, &http);
    let plan = HeadPlan::fixed(Some(FirstPassAccept::DockerManifest));
    // An OCI index exists; the Docker-only first pass gets 404 for it.
    let head =
        block_on(registry.manifest_head_fast(&repo("r"), parse_reference("oci-index"), &plan))
            .unwrap();
    assert_eq!(head.digest, Some(digest_of("oci-index")));
    assert_eq!(
        accepts_sent(&http),
        [FirstPassAccept::DockerManifest.header(), MANIFEST_ACCEPT]
    );
    assert_eq!(plan.counts(), (0, 1));
    // A tag that does not exist: not found, said by the full-Accept answer.
    http.sent.borrow_mut().clear();
    let error = block_on(registry.manifest_head_fast(&repo("r"), parse_reference("gone"), &plan))
        .unwrap_err();
    assert!(matches!(error, RegistryError::NotFound { .. }), "{error:?}");
    assert_eq!(
        accepts_sent(&http),
        [FirstPassAccept::DockerManifest.header(), MANIFEST_ACCEPT]
    );
}

#[test]
fn a_dropped_read_is_asked_again_once_and_a_dropped_write_never() {
    // A read whose connection dropped once: asked again, and its answer used.
    let sent = Cell::new(0);
    let http = ScriptedHttp::new(move |_| {
        sent.set(sent.get() + 1);
        if sent.get() == 1 {
            Err(TransportFailure::Network("connection closed".into()))
        } else {
            Ok(response(200, &[], br#"{"name":"r","tags":[]}"#))
        }
    });
    let registry = Registry::new(BASE, &http);
    let listing = block_on(registry.tags(&repo("r"), |_| {})).unwrap();
    assert!(listing.tags.is_empty() && !listing.may_be_incomplete);
    assert_eq!(http.sent.borrow().len(), 2);
    // Dropped twice: the failure is told, after one more try only.
    let http = ScriptedHttp::new(|_| Err(TransportFailure::Network("connection closed".into())));
    let registry = Registry::new(BASE, &http);
    let error = block_on(registry.tags(&repo("r"), |_| {})).unwrap_err();
    assert!(matches!(error, RegistryError::Network { .. }), "{error:?}");
    assert_eq!(http.sent.borrow().len(), 2);
    // A timeout is not sent again (the registry was slow, not gone), nor a cancel.
    for failure in [
        TransportFailure::TimedOut { after_ms: 30_000 },
        TransportFailure::Aborted,
    ] {
        let http = ScriptedHttp::new(move |_| Err(failure.clone()));
        let registry = Registry::new(BASE, &http);
        assert!(block_on(registry.tags(&repo("r"), |_| {})).is_err());
        assert_eq!(http.sent.borrow().len(), 1);
    }
    // A write is never sent twice: whether it was applied is found out by reading.
    let http = ScriptedHttp::new(|_| Err(TransportFailure::Network("connection closed".into())));
    let registry = Registry::new(BASE, &http);
    let put = block_on(registry.manifest_put(
        &repo("r"),
        parse_reference("t"),
        b"{}",
        media::OCI_MANIFEST,
    ));
    assert!(matches!(put, Err(RegistryError::Network { .. })), "{put:?}");
    assert_eq!(http.sent.borrow().len(), 1);
}

#[test]
fn a_first_pass_failure_falls_back_except_a_cancel_or_a_timeout() {
    // Whatever else goes wrong with the first pass, the full Accept is asked. A dropped
    // connection is first asked again, as every read is (see `a_dropped_read_is_asked_again_once_and_a_dropped_write_never`):
    // here the first pass and its one re-send are both dropped.
    let failed_sends = 2;
    let sent = Cell::new(0);
    let http = ScriptedHttp::new(move |_| {
        sent.set(sent.get() + 1);
        if sent.get() <= failed_sends {
            Err(TransportFailure::Network("Failed to fetch".into()))
        } else {
            Ok(response(
                200,
                &[
                    ("Content-Type", media::OCI_INDEX),
                    ("Docker-Content-Digest", digest_of("x").as_str()),
                ],
                b"",
            ))
        }
    });
    let plan = HeadPlan::adaptive();
    let head = block_on(Registry::new(BASE, &http).manifest_head_fast(
        &repo("r"),
        parse_reference("t"),
        &plan,
    ))
    .unwrap();
    assert_eq!(head.digest, Some(digest_of("x")));
    let accepts = accepts_sent(&http);
    assert_eq!(accepts.len(), failed_sends + 1);
    assert_eq!(
        accepts.last().unwrap(),
        MANIFEST_ACCEPT,
        "the full Accept, last"
    );
    // A cancelled view asks nothing more; a registry too slow to answer is not asked
    // again (as no read is after a timeout), so the row says so after one wait.
    for failure in [
        TransportFailure::Aborted,
        TransportFailure::TimedOut { after_ms: 30_000 },
    ] {
        let http = ScriptedHttp::new(move |_| Err(failure.clone()));
        let error = block_on(Registry::new(BASE, &http).manifest_head_fast(
            &repo("r"),
            parse_reference("t"),
            &HeadPlan::adaptive(),
        ))
        .unwrap_err();
        assert!(
            matches!(
                error,
                RegistryError::Aborted { .. } | RegistryError::TimedOut { .. }
            ),
            "{error:?}"
        );
        assert_eq!(http.sent.borrow().len(), 1);
    }
}

/// A 429 is the registry's, whatever the Accept: its tries (`execute` asks a read
/// answered 429 again, as Retry-After says) are not followed by a full-Accept HEAD
/// (a preflight and three tries more), and the caller learns the wait asked for.
#[test]
fn a_rate_limited_first_pass_does_not_fall_back_to_the_full_accept() {
    let http = ScriptedHttp::new(|_| Ok(response(429, &[("Retry-After", "7")], b"")));
    let error = block_on(Registry::new(BASE, &http).manifest_head_fast(
        &repo("r"),
        parse_reference("t"),
        &HeadPlan::adaptive(),
    ))
    .unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::RateLimited {
                retry_after: Some(7),
                ..
            }
        ),
        "{error:?}"
    );
    let accepts = accepts_sent(&http);
    assert!(!accepts.iter().any(|a| a == MANIFEST_ACCEPT), "{accepts:?}");
    assert_eq!(accepts.len(), 3, "the tries of one read answered 429");
}

#[test]
fn a_hidden_digest_falls_back_and_then_stops_the_first_pass() {
    // CORS without Access-Control-Expose-Headers: Docker-Content-Digest.
    let http = ScriptedHttp::new(|_| {
        Ok(response(
            200,
            &[("Content-Type", media::DOCKER_MANIFEST)],
            b"",
        ))
    });
    let registry = Registry::new(BASE, &http);
    let plan = HeadPlan::adaptive();
    let head =
        block_on(registry.manifest_head_fast(&repo("r"), parse_reference("t"), &plan)).unwrap();
    assert_eq!(head.digest, None);
    assert_eq!(http.sent.borrow().len(), 2);
    // No first pass could ever be trusted here: the next tags go straight to the
    // full Accept.
    assert_eq!(plan.first_pass(), None);
    block_on(registry.manifest_head_fast(&repo("r"), parse_reference("u"), &plan)).unwrap();
    assert_eq!(http.sent.borrow().len(), 3);
}

#[test]
fn a_manifest_reference_is_checked_before_any_first_pass() {
    // The manifest calls take a parsed `Reference`: a name that is neither a tag nor
    // a digest cannot reach them, and a tag list that holds one is malformed.
    assert!(Reference::parse("../../etc").is_err());
    assert!(Reference::parse("sha256:../../etc").is_err());
    let http = ScriptedHttp::new(|_| panic!("nothing may be sent"));
    let error = Registry::new(BASE, &http)
        .listed_tag(&repo("r"), "../../etc")
        .unwrap_err();
    assert!(
        matches!(error, RegistryError::Malformed { .. }),
        "{error:?}"
    );
}

#[test]
fn the_adaptive_plan_follows_what_the_repository_holds() {
    let plan = HeadPlan::adaptive();
    // Nothing seen yet: the first wave takes turns with the three first passes;
    // looking does not take a turn.
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::DockerManifest));
    assert_eq!(
        plan.next_first_pass(),
        Some(FirstPassAccept::DockerManifest)
    );
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::OciManifest));
    assert_eq!(plan.next_first_pass(), Some(FirstPassAccept::OciManifest));
    assert_eq!(plan.next_first_pass(), Some(FirstPassAccept::OciIndex));
    assert_eq!(
        plan.next_first_pass(),
        Some(FirstPassAccept::DockerManifest)
    );
    // An OCI repository: after one OCI manifest, the OCI manifest pair.
    plan.record(StoredKind::OciManifest, false);
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::OciManifest));
    for _ in 0..5 {
        plan.record(StoredKind::OciManifest, true);
    }
    // As many OCI indexes: either pair serves only half the tags, which does not pay.
    for _ in 0..6 {
        plan.record(StoredKind::OciIndex, false);
    }
    assert_eq!(plan.first_pass(), None);
    // Indexes are the more frequent: the OCI index pair.
    plan.record(StoredKind::OciIndex, false);
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::OciIndex));
    assert_eq!(plan.counts(), (5, 8));
}

#[test]
fn the_adaptive_plan_counts_docker_lists_for_every_first_pass() {
    let plan = HeadPlan::adaptive();
    for _ in 0..3 {
        plan.record(StoredKind::DockerList, true);
    }
    for _ in 0..2 {
        plan.record(StoredKind::Other, false);
    }
    // 3 of 5 served by any first pass.
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::DockerManifest));
    plan.record(StoredKind::Other, false);
    // 3 of 6: no longer more than half.
    assert_eq!(plan.first_pass(), None);
    plan.record(StoredKind::DockerManifest, false);
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::DockerManifest));
}

#[test]
fn the_adaptive_plan_stops_when_most_tags_need_the_full_accept() {
    let plan = HeadPlan::adaptive();
    plan.record(StoredKind::Other, false); // schema 1, say
    assert_eq!(plan.first_pass(), None);
    plan.record(StoredKind::OciIndex, false);
    assert_eq!(plan.first_pass(), None, "1 of 2 is not more than half");
    plan.record(StoredKind::OciIndex, false);
    assert_eq!(plan.first_pass(), Some(FirstPassAccept::OciIndex));
}

#[test]
fn a_fixed_plan_never_changes() {
    let full = HeadPlan::fixed(None);
    let oci = HeadPlan::fixed(Some(FirstPassAccept::OciManifest));
    for kind in [
        StoredKind::DockerManifest,
        StoredKind::Other,
        StoredKind::OciIndex,
    ] {
        full.record(kind, false);
        oci.record(kind, false);
    }
    assert_eq!(full.first_pass(), None);
    assert_eq!(oci.first_pass(), Some(FirstPassAccept::OciManifest));
}

#[test]
fn stored_kind_needs_a_readable_digest() {
    use tagdeck::oci::client::ManifestHead;
    let head = |media_type: Option<&str>, digest: bool| ManifestHead {
        digest: digest.then(|| digest_of("x")),
        size: None,
        media_type: media_type.map(str::to_owned),
    };
    assert_eq!(
        StoredKind::of(&head(Some(media::OCI_INDEX), true)),
        StoredKind::OciIndex
    );
    assert_eq!(
        StoredKind::of(&head(
            Some("application/vnd.docker.distribution.manifest.v2+json; x=y"),
            true
        )),
        StoredKind::DockerManifest
    );
    assert_eq!(
        StoredKind::of(&head(Some(SCHEMA1), true)),
        StoredKind::Other
    );
    assert_eq!(StoredKind::of(&head(None, true)), StoredKind::Other);
    assert_eq!(
        StoredKind::of(&head(Some(media::OCI_INDEX), false)),
        StoredKind::Other
    );
}

#[test]
fn head_concurrency_follows_the_connection() {
    // 6 connections and 2 waiting in the browser's queue.
    assert_eq!(head_concurrency(Some("http/1.1")), 8);
    assert_eq!(head_concurrency(Some("")), 8);
    assert_eq!(head_concurrency(None), 8);
    assert_eq!(head_concurrency(Some("h2")), 48);
    assert_eq!(head_concurrency(Some("h3")), 48);
}

#[test]
fn changes_look_tags_up_through_the_first_pass_only_when_asked_with_the_same_answers() {
    let stored = ModelRegistry::new();
    let tags: Vec<&str> = stored.manifests.iter().map(|m| m.tag).collect();
    let resolve_all = |registry: &Registry<&ScriptedHttp>| -> Vec<Option<Digest>> {
        tags.iter()
            .chain(&["no-such-tag"])
            .map(|tag| {
                block_on(registry.resolve_tag(&repo("r"), &Tag::parse(tag).unwrap())).unwrap()
            })
            .collect()
    };
    let full_http = {
        let model = ModelRegistry::new();
        ScriptedHttp::new(move |request| Ok(model.answer(request)))
    };
    let full = resolve_all(&Registry::new(BASE, &full_http));
    let fast_http = {
        let model = ModelRegistry::new();
        ScriptedHttp::new(move |request| Ok(model.answer(request)))
    };
    let fast = resolve_all(&Registry::new(BASE, &fast_http).with_first_pass_lookups());

    // The stored digest of every kind, and "no such tag" only where there is none.
    let expected: Vec<Option<Digest>> = stored
        .manifests
        .iter()
        .map(|m| Some(m.digest()))
        .chain([None])
        .collect();
    assert_eq!(full, expected);
    assert_eq!(fast, expected);
    // Without being asked: the full Accept, one HEAD per tag.
    assert!(accepts_sent(&full_http)
        .iter()
        .all(|a| a == MANIFEST_ACCEPT));
    assert_eq!(full_http.sent.borrow().len(), tags.len() + 1);
    // Asked: safelisted first passes (no preflight across origins), some trusted.
    let fast_accepts = accepts_sent(&fast_http);
    let first_passes = fast_accepts.iter().filter(|a| a.len() <= 128).count();
    // Each lookup ends with one full-Accept HEAD, unless its first pass was trusted.
    let full_accepts = fast_accepts
        .iter()
        .filter(|a| *a == MANIFEST_ACCEPT)
        .count();
    let trusted = tags.len() + 1 - full_accepts;
    assert!(first_passes > 0, "{fast_accepts:?}");
    assert!(trusted > 0, "{fast_accepts:?}");
}

/// Answers every manifest HEAD with one digest, and counts the requests in flight:
/// each yields to the executor once before it answers, so lookups really overlap.
struct CountingInFlight {
    in_flight: Cell<usize>,
    most: Cell<usize>,
}

impl tagdeck::oci::http::HttpClient for &CountingInFlight {
    async fn send(
        &self,
        _request: tagdeck::oci::http::Request,
    ) -> Result<tagdeck::oci::http::Response, TransportFailure> {
        self.in_flight.set(self.in_flight.get() + 1);
        self.most.set(self.most.get().max(self.in_flight.get()));
        let mut yielded = false;
        std::future::poll_fn(|context| {
            if yielded {
                return std::task::Poll::Ready(());
            }
            yielded = true;
            context.waker().wake_by_ref();
            std::task::Poll::Pending
        })
        .await;
        self.in_flight.set(self.in_flight.get() - 1);
        let digest = digest_of("shared").to_string();
        Ok(response(
            200,
            &[
                ("Docker-Content-Digest", digest.as_str()),
                ("Content-Type", media::OCI_MANIFEST),
            ],
            b"",
        ))
    }
}

#[test]
fn change_lookups_go_as_many_at_once_as_the_connection_takes() {
    let candidates: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let most_in_flight = |concurrency: Option<usize>| {
        let http = CountingInFlight {
            in_flight: Cell::new(0),
            most: Cell::new(0),
        };
        let registry = Registry::new(BASE, &http);
        let registry = match concurrency {
            Some(n) => registry.with_lookup_concurrency(n),
            None => registry,
        };
        let found =
            block_on(registry.tags_pointing_at(&repo("r"), &digest_of("shared"), &candidates))
                .unwrap();
        assert_eq!(found.len(), 100);
        http.most.get()
    };
    assert_eq!(most_in_flight(None), 6);
    assert_eq!(
        most_in_flight(Some(head_concurrency(Some("h2")))),
        MULTIPLEXED_HEADS
    );
    assert_eq!(
        most_in_flight(Some(head_concurrency(Some("http/1.1")))),
        HTTP1_HEADS
    );
}

#[test]
fn a_blob_whose_answer_gives_no_length_has_no_size() {
    let http = ScriptedHttp::new(|request| {
        Ok(match request.url.as_str() {
            "http://reg:5000/v2/app/blobs/sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" => {
                response(200, &[("Content-Length", "2048")], b"")
            }
            "http://reg:5000/v2/app/blobs/sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" => {
                response(200, &[], b"")
            }
            _ => response(404, &[], br#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#),
        })
    });
    let registry = Registry::new(BASE, &http);
    let head = |hex: char| {
        let digest = Digest::parse(&format!("sha256:{}", hex.to_string().repeat(64))).unwrap();
        block_on(registry.blob_head(&repo("app"), &digest)).unwrap()
    };
    assert_eq!(head('a').map(|b| b.size), Some(Some(2048)));
    // Not 0 B: the size is unknown.
    assert_eq!(head('b').map(|b| b.size), Some(None));
    assert_eq!(head('c'), None);
}

/// A registry on cloud storage: a blob it has is answered with a redirect to that
/// storage, which (a bucket whose CORS rules leave this page out) gives no readable
/// answer when the redirect is followed.
fn behind_storage_redirects(stored: Digest) -> ScriptedHttp {
    ScriptedHttp::new(move |request| {
        if !request.url.contains(stored.as_str()) {
            return Ok(response(404, &[], b""));
        }
        if request.follow_redirects {
            Err(TransportFailure::Network("Failed to fetch".into()))
        } else {
            Ok(response(HIDDEN_REDIRECT, &[], b""))
        }
    })
}

#[test]
fn blobs_behind_a_storage_redirect_are_known_by_the_redirect_and_a_failed_read_says_so() {
    let config = Digest::sha256_of(b"{}");
    let http = behind_storage_redirects(config.clone());
    let registry = Registry::new(BASE, &http);
    // The redirect says the repository has it; its size is the storage's to say.
    assert_eq!(
        block_on(registry.blob_head(&repo("app"), &config)).unwrap(),
        Some(StoredBlob { size: None })
    );
    assert_eq!(
        block_on(registry.blob_head(&repo("app"), &Digest::sha256_of(b"other"))).unwrap(),
        None
    );
    // Reading it needs the storage: the failure names the storage, not the registry.
    let descriptor: Descriptor = serde_json::from_value(serde_json::json!({
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": config.to_string(),
        "size": 2,
    }))
    .unwrap();
    let failure = block_on(registry.config_get(&repo("app"), &descriptor)).unwrap_err();
    assert!(
        matches!(failure, RegistryError::StorageUnreadable { .. }),
        "{failure:?}"
    );
    let message = wording::error(&failure);
    assert_eq!(message.headline, "The registry's storage could not be read");
    assert!(
        message.advice.contains("redirect: disable: true"),
        "{}",
        message.advice
    );

    // A registry that gives no answer at all is still out of reach, not its storage.
    let silent = ScriptedHttp::new(|_| Err(TransportFailure::Network("Failed to fetch".into())));
    let registry = Registry::new(BASE, &silent);
    let failure = block_on(registry.config_get(&repo("app"), &descriptor)).unwrap_err();
    assert!(
        matches!(failure, RegistryError::Network { .. }),
        "{failure:?}"
    );
}

/// Two images whose configurations live in storage behind a redirect that this page
/// cannot follow; their manifests come from the registry itself.
fn images_with_configs_in_storage() -> (ScriptedHttp, Vec<Digest>) {
    let manifests: Vec<(Digest, Vec<u8>)> = ["one", "two"]
        .iter()
        .map(|name| {
            let config = Digest::sha256_of(name.as_bytes());
            let body = format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":3}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":100}}]}}"#,
                Digest::sha256_of(b"layer")
            );
            (Digest::sha256_of(body.as_bytes()), body.into_bytes())
        })
        .collect();
    let digests = manifests.iter().map(|(d, _)| d.clone()).collect();
    let http = ScriptedHttp::new(move |request| {
        if request.url.contains("/blobs/") {
            return if request.follow_redirects {
                Err(TransportFailure::Network("Failed to fetch".into()))
            } else {
                Ok(response(HIDDEN_REDIRECT, &[], b""))
            };
        }
        match manifests
            .iter()
            .find(|(d, _)| request.url.ends_with(d.as_str()))
        {
            Some((_, body)) => Ok(response(
                200,
                &[("content-type", "application/vnd.oci.image.manifest.v1+json")],
                body,
            )),
            None => Ok(response(404, &[], b"")),
        }
    });
    (http, digests)
}

#[test]
fn summaries_on_unreadable_storage_keep_what_the_manifest_says_and_stop_asking_the_storage() {
    let (http, images) = images_with_configs_in_storage();
    let reach = StorageReach::default();
    let registry = Registry::new(BASE, &http).sharing_storage_reach(reach.clone());
    let blob_requests = || {
        http.sent
            .borrow()
            .iter()
            .filter(|r| r.url.contains("/blobs/"))
            .count()
    };

    // The first image finds the storage out of reach: a GET that fails (and is sent
    // once more, as a dropped read is), a HEAD that says the registry redirects it.
    // Its row still has what the manifest says.
    let first = block_on(registry.image_summary(&repo("app"), &images[0], None)).unwrap();
    assert_eq!(first.kind, ImageKind::Image { platform: None });
    assert_eq!(first.size, Some(103));
    assert!(
        matches!(
            first.config_unreadable,
            Some(RegistryError::StorageUnreadable { .. })
        ),
        "{first:?}"
    );
    assert_eq!(blob_requests(), 3);

    // The next image, in this view or another of the tab (sharing what it learnt),
    // does not ask the storage again, and says why its configuration is missing.
    let other_view = Registry::new(BASE, &http).sharing_storage_reach(reach);
    for registry in [&registry, &other_view] {
        let next = block_on(registry.image_summary(&repo("app"), &images[1], None)).unwrap();
        assert_eq!(next.size, Some(103));
        assert!(
            matches!(
                next.config_unreadable,
                Some(RegistryError::StorageUnreadable { .. })
            ),
            "{next:?}"
        );
    }
    assert_eq!(blob_requests(), 3);

    // A view that has not learnt it asks for itself.
    let unaware = Registry::new(BASE, &http);
    block_on(unaware.image_summary(&repo("app"), &images[1], None)).unwrap();
    assert_eq!(blob_requests(), 6);
}

/// A transport whose every answer comes a turn later, as the network's do: futures
/// started together are then in flight together.
struct TakesATurn<'a>(&'a ScriptedHttp);

impl tagdeck::oci::http::HttpClient for TakesATurn<'_> {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let mut waited = false;
        std::future::poll_fn(|context| {
            if std::mem::replace(&mut waited, true) {
                std::task::Poll::Ready(())
            } else {
                context.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
        (&self.0).send(request).await
    }
}

#[test]
fn summaries_started_together_wait_for_the_first_configuration_read() {
    // The tag table asks for several summaries at once. On storage this page cannot
    // read, only the first finds it out (three requests); the others wait for it,
    // then fail at once instead of three requests each.
    let (http, images) = images_with_configs_in_storage();
    let registry = Registry::new(BASE, TakesATurn(&http));
    let app = repo("app");
    let summaries = block_on(futures_util::future::join_all(
        [&images[0], &images[1], &images[0]].map(|image| registry.image_summary(&app, image, None)),
    ));
    for summary in &summaries {
        let summary = summary.as_ref().unwrap();
        assert!(
            matches!(
                summary.config_unreadable,
                Some(RegistryError::StorageUnreadable { .. })
            ),
            "{summary:?}"
        );
    }
    let blob_requests = http
        .sent
        .borrow()
        .iter()
        .filter(|r| r.url.contains("/blobs/"))
        .count();
    assert_eq!(blob_requests, 3);
    // Their manifests were read side by side: the wait is for configurations only.
    let first_blob = http
        .sent
        .borrow()
        .iter()
        .position(|r| r.url.contains("/blobs/"));
    assert_eq!(first_blob, Some(3));
}

#[test]
fn blob_urls_are_told_apart_from_the_rest_of_the_api() {
    use tagdeck::oci::client::is_blob_url;
    assert!(is_blob_url("https://reg.example/v2/app/blobs/sha256:ab"));
    assert!(is_blob_url(
        "https://reg.example/v2/team/app/blobs/sha256:ab?x=1"
    ));
    // Uploads and the rest of the API are the registry's own.
    assert!(!is_blob_url("https://reg.example/v2/app/blobs/uploads/"));
    assert!(!is_blob_url("https://reg.example/v2/"));
    assert!(!is_blob_url("https://reg.example/v2/app/manifests/1.0"));
    assert!(!is_blob_url("https://reg.example/v2/_catalog"));
}

#[test]
fn a_digest_read_as_an_image_that_is_a_blob_is_found_as_one() {
    let layer = Digest::sha256_of(b"layer bytes");
    let image = Digest::sha256_of(PRETTY);
    let unknown = Digest::sha256_of(b"nothing");
    // distribution reads a layer as a manifest and fails (500); others say 404.
    let make = |manifest_failure: u16| {
        let (layer, image) = (layer.to_string(), image.to_string());
        ScriptedHttp::new(move |request| {
            let url = request.url.as_str();
            Ok(match request.method {
                Method::Get if url.ends_with(&format!("/manifests/{image}")) => {
                    response(200, &[("Content-Type", media::OCI_MANIFEST)], PRETTY)
                }
                Method::Get if url.ends_with(&format!("/manifests/{layer}")) => {
                    response(manifest_failure, &[], br#"{"errors":[{"code":"UNKNOWN"}]}"#)
                }
                Method::Get => response(404, &[], br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#),
                Method::Head if url.ends_with(&format!("/blobs/{layer}")) => {
                    response(200, &[("Content-Length", "11")], b"")
                }
                Method::Head => response(404, &[], b""),
                _ => panic!("unexpected {request:?}"),
            })
        })
    };
    for status in [500, 404] {
        let http = make(status);
        let registry = Registry::new(BASE, &http);
        match block_on(registry.manifest_or_blob(&repo("app"), &layer)) {
            Ok(DigestContent::Blob(blob)) => assert_eq!(blob, StoredBlob { size: Some(11) }),
            other => panic!("HTTP {status}: a blob expected, got {other:?}"),
        }
        match block_on(registry.manifest_or_blob(&repo("app"), &image)) {
            Ok(DigestContent::Manifest(manifest)) => assert_eq!(manifest.digest, image),
            other => panic!("a manifest expected, got {other:?}"),
        }
        // Neither a manifest nor a blob: the manifest's own failure.
        assert!(matches!(
            block_on(registry.manifest_or_blob(&repo("app"), &unknown)),
            Err(RegistryError::NotFound { .. })
        ));
        // A manifest that was there costs no blob HEAD.
        let heads = http
            .sent
            .borrow()
            .iter()
            .filter(|r| r.method == Method::Head)
            .count();
        assert_eq!(
            heads, 2,
            "one blob HEAD for the layer, one for the unknown digest"
        );
    }

    // A refusal says nothing about what the digest is: no blob HEAD is sent.
    let http = ScriptedHttp::new(|request| {
        Ok(match request.method {
            Method::Get => response(403, &[], br#"{"errors":[{"code":"DENIED"}]}"#),
            _ => panic!("unexpected {request:?}"),
        })
    });
    assert!(matches!(
        block_on(Registry::new(BASE, &http).manifest_or_blob(&repo("app"), &layer)),
        Err(RegistryError::Denied { .. })
    ));
}

/// The tag table's pool backs off from a registry that keeps answering 429: it pauses
/// as Retry-After says (bounded, 5 s without one), four times in a row at most, then
/// stops asking; an answer that is not a 429, or "Read again", starts the count over.
#[test]
fn a_rate_limited_pool_pauses_a_bounded_number_of_times_then_stops() {
    use tagdeck::oci::rate_limit::{RateLimitPauses, LONGEST_PAUSE_MS, MAX_PAUSES_IN_A_ROW};
    let pauses = RateLimitPauses::default();
    assert!(pauses.may_pause());
    assert_eq!(pauses.pause_ms(None), 5_000);
    assert_eq!(pauses.pause_ms(Some(7)), 7_000);
    // Hours asked for: the longest pause, and no overflow.
    assert_eq!(pauses.pause_ms(Some(u64::MAX)), LONGEST_PAUSE_MS);
    assert_eq!(LONGEST_PAUSE_MS, 60_000);
    assert!(pauses.may_pause(), "three pauses so far");
    assert_eq!(pauses.pause_ms(Some(0)), 0);
    assert!(!pauses.may_pause(), "four in a row: stop asking");
    assert_eq!(MAX_PAUSES_IN_A_ROW, 4);
    pauses.start_over();
    assert!(pauses.may_pause());
    for _ in 0..MAX_PAUSES_IN_A_ROW {
        assert!(pauses.may_pause());
        pauses.pause_ms(None);
    }
    assert!(!pauses.may_pause());
}
