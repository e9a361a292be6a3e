#![cfg(not(target_arch = "wasm32"))]
//! The rules for partial failures, each against the in-memory registry with a
//! scripted fault: only a definite refusal means "nothing changed"; after anything
//! else the registry is read again and the result says what is true; whenever
//! something was written, the Undo record is kept. The same rules run against the
//! real registry through a fault-injecting proxy in tests/e2e/faults.spec.mjs.

mod support;

use std::cell::Cell;

use support::memory_registry::{sha256, Fault, MemoryRegistry, Strike};
use support::one_image::{image, repo, setup, tag, IMAGE};
use support::parse_reference;
use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::changes::{is_definite_refusal, ChangeError, ReadAgain, RemovalMethod, Written};
use tagdeck::oci::client::{Registry, TagListing};
use tagdeck::oci::error::{Attempt, RegistryError};
use tagdeck::oci::http::{HttpClient, Method, Request, Response, TransportFailure};
use tagdeck::oci::intent::Intent;
use tagdeck::oci::media;
use tagdeck::oci::names::{Reference, Repository};
use tagdeck::oci::recovery::{Outcome, RegistryNow};
use tagdeck::oci::undo::{UndoAction, UndoShortfall};
use tagdeck::wording;

fn put_fault(when: Strike, status: Option<u16>) -> Fault {
    Fault::new(Method::Put, "manifests/2.0", when, status)
}

/// A fault on a tag removal's placeholder delete: its 1st DELETE by digest is the
/// deletes probe, the 2nd deletes the placeholder.
fn placeholder_delete_fault(when: Strike, status: Option<u16>) -> Fault {
    Fault::new(Method::Delete, "manifests/sha256:", when, status).nth(2)
}

/// A failed removal's roll-back of 1.0: its 1st PUT points it at the placeholder, the
/// 2nd puts it back on its image, and fails.
fn rollback_put_fault() -> Fault {
    Fault::new(Method::Put, "manifests/1.0", Strike::Before, Some(500)).nth(2)
}

fn add_tag(memory: &MemoryRegistry) -> Result<tagdeck::oci::changes::TagWrite, ChangeError> {
    let registry = Registry::new("http://r", memory);
    let source = block_on(registry.manifest_get(&repo(), parse_reference("1.0"))).unwrap();
    block_on(registry.put_tag(&repo(), &tag("2.0"), &source, None))
}

fn all_tags(memory: &MemoryRegistry) -> Vec<String> {
    memory.state.borrow().tags["app"].keys().cloned().collect()
}

/// The tag list of `app`, read whole.
fn whole_listing(memory: &MemoryRegistry) -> TagListing {
    TagListing {
        tags: all_tags(memory),
        may_be_incomplete: false,
    }
}

/// The tags of the image, as the user confirms them to delete it.
fn both_tags() -> [String; 2] {
    ["1.0".to_string(), "latest".to_string()]
}

/// Deletes the image, its two tags confirmed from a whole tag list, with its DELETE
/// failing `when`, with HTTP `status` or no answer.
fn delete_image_failing(
    memory: &MemoryRegistry,
    when: Strike,
    status: Option<u16>,
) -> Result<tagdeck::oci::changes::Removal, ChangeError> {
    memory.inject(Fault::new(
        Method::Delete,
        "manifests/sha256:",
        when,
        status,
    ));
    let registry = Registry::new("http://r", memory);
    block_on(registry.delete_image(&repo(), &image(), &both_tags(), &whole_listing(memory)))
}

fn remove(
    memory: &MemoryRegistry,
    name: &str,
) -> Result<tagdeck::oci::changes::Removal, ChangeError> {
    let registry = Registry::new("http://r", memory);
    block_on(registry.remove_tag(&repo(), &tag(name), &image(), &all_tags(memory), "t"))
}

#[test]
fn only_a_4xx_other_than_408_and_429_is_a_definite_refusal() {
    let attempt = || Attempt {
        method: Method::Put,
        url: "http://r/v2/app/manifests/x".into(),
    };
    let answered = |status| RegistryError::from_response(attempt(), &response(status, &[], b""));
    for status in [400, 401, 403, 404, 405, 409, 413, 422] {
        assert!(is_definite_refusal(&answered(status)), "{status}");
    }
    // A 404 to a DELETE may answer the browser's own retry of a DELETE that was
    // applied before the connection dropped.
    let delete = Attempt {
        method: Method::Delete,
        url: "http://r/v2/app/manifests/x".into(),
    };
    assert!(!is_definite_refusal(&RegistryError::from_response(
        delete,
        &response(404, &[], b"")
    )));
    for status in [408, 429, 500, 502, 503, 504] {
        assert!(!is_definite_refusal(&answered(status)), "{status}");
    }
    for failure in [
        TransportFailure::Network("reset".into()),
        TransportFailure::Aborted,
        TransportFailure::TimedOut { after_ms: 1 },
    ] {
        assert!(!is_definite_refusal(&RegistryError::from_transport(
            attempt(),
            failure
        )));
    }
}

#[test]
fn a_put_the_registry_applied_before_failing_counts_as_done_with_undo() {
    for status in [Some(500), Some(502), None] {
        let memory = setup();
        memory.inject(put_fault(Strike::After, status));
        let write = add_tag(&memory).expect("the registry shows the tag");
        assert_eq!(memory.tag_digest("app", "2.0"), Some(sha256(IMAGE)));
        assert!(write.changed(), "an Undo record");
        assert!(
            write.applied_anyway.is_some(),
            "what the PUT answered is kept"
        );
    }
}

/// Read again, not there; but it may still land: reported as not applied so far,
/// with its Undo kept (see a_tag_write_lost_in_transit_keeps_its_undo_…).
#[test]
fn a_put_that_never_arrived_is_reported_not_applied_after_reading_again() {
    for status in [Some(500), Some(503), None] {
        let memory = setup();
        memory.inject(put_fault(Strike::Before, status));
        let error = add_tag(&memory).unwrap_err();
        let ChangeError::AfterWrite { cause, .. } = &error else {
            panic!("{error:?}");
        };
        assert!(
            matches!(cause.as_ref(), ChangeError::NotAppliedAfterFailure { subject, now: ReadAgain::Tag(None), .. } if subject == "app:2.0"),
            "{error:?}"
        );
        assert!(error.written().is_some());
        assert_eq!(memory.tag_digest("app", "2.0"), None);
    }
}

#[test]
fn a_refused_put_changed_nothing() {
    let memory = setup();
    memory.inject(put_fault(Strike::Before, Some(400)));
    let error = add_tag(&memory).unwrap_err();
    assert!(matches!(error, ChangeError::Refused(_)), "{error:?}");
    assert!(error.written().is_none());
}

#[test]
fn when_the_registry_cannot_be_read_again_the_state_is_unknown_and_undo_kept() {
    let memory = setup();
    memory.inject(put_fault(Strike::After, None));
    // The re-read after the failed PUT (HEAD of 2.0) fails too.
    memory.inject(
        Fault::new(Method::Head, "manifests/2.0", Strike::Before, None)
            .nth(2)
            .times(2),
    );
    let error = add_tag(&memory).unwrap_err();
    assert!(
        matches!(&error, ChangeError::AfterWrite { cause, .. } if matches!(**cause, ChangeError::Unknown { .. })),
        "{error:?}"
    );
    match error.written() {
        Some(Written::Tag(write)) => assert_eq!(write.tag.as_str(), "2.0"),
        other => panic!("no undo: {other:?}"),
    }
}

#[test]
fn a_failed_check_after_a_successful_write_keeps_undo() {
    let memory = setup();
    // PUT succeeds; the verifying HEAD (the second HEAD of 2.0) fails.
    memory.inject(
        Fault::new(Method::Head, "manifests/2.0", Strike::Before, None)
            .nth(2)
            .times(2),
    );
    let error = add_tag(&memory).unwrap_err();
    assert!(error.written().is_some(), "{error:?}");
    assert_eq!(memory.tag_digest("app", "2.0"), Some(sha256(IMAGE)));
}

#[test]
fn removing_a_tag_survives_an_applied_but_failed_placeholder_delete() {
    let memory = setup();
    memory.inject(placeholder_delete_fault(Strike::After, None));
    let removal = remove(&memory, "1.0").unwrap();
    assert_eq!(removal.method, RemovalMethod::Placeholder);
    assert!(removal.applied_anyway.is_some());
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn a_placeholder_that_cannot_be_deleted_is_rolled_back() {
    let memory = setup();
    memory.inject(placeholder_delete_fault(Strike::Before, Some(403)));
    let error = remove(&memory, "1.0").unwrap_err();
    assert!(matches!(error, ChangeError::RolledBack { .. }), "{error:?}");
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

/// Rolled back, but the DELETE may still complete: the Undo stays.
fn rolled_back_keeping_undo(error: &ChangeError) -> bool {
    matches!(error, ChangeError::AfterWrite { cause, .. } if matches!(**cause, ChangeError::RolledBack { .. }))
}

#[test]
fn a_placeholder_delete_that_left_the_tag_listed_is_not_reported_as_a_removal() {
    let memory = setup();
    // The registry deletes the placeholder, then fails (500) before untagging 1.0.
    memory.inject(placeholder_delete_fault(Strike::BeforeUntag, Some(500)));
    let error = remove(&memory, "1.0").unwrap_err();
    // 1.0 answered 404 but was still listed: not removed. It is put back on its image.
    assert!(rolled_back_keeping_undo(&error), "{error:?}");
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    let registry = Registry::new("http://r", &memory);
    for listed in block_on(registry.tags(&repo(), |_| {})).unwrap().tags {
        let resolves = block_on(registry.resolve_tag(&repo(), &tag(&listed))).unwrap();
        assert!(
            resolves.is_some(),
            "{listed} is listed but resolves to nothing"
        );
    }
}

#[test]
fn a_tag_stranded_on_the_placeholder_keeps_undo_and_undo_puts_it_back() {
    let memory = setup();
    memory.inject(placeholder_delete_fault(Strike::Before, Some(500)));
    memory.inject(rollback_put_fault());
    let error = remove(&memory, "1.0").unwrap_err();
    assert!(
        matches!(&error, ChangeError::AfterWrite { cause, .. } if matches!(**cause, ChangeError::Stranded { .. })),
        "{error:?}"
    );
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("no undo: {error:?}");
    };
    assert_ne!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    let registry = Registry::new("http://r", &memory);
    block_on(registry.restore_tags(removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn a_tag_delete_applied_before_failing_counts_as_done() {
    let memory = setup();
    memory.state.borrow_mut().tag_deletes = true;
    memory.inject(Fault::new(
        Method::Delete,
        "manifests/1.0",
        Strike::After,
        Some(502),
    ));
    let removal = remove(&memory, "1.0").unwrap();
    assert_eq!(removal.method, RemovalMethod::TagDelete);
    assert!(removal.applied_anyway.is_some());
    assert_eq!(memory.tag_digest("app", "1.0"), None);
}

#[test]
fn deleting_an_image_validates_names_first_and_reads_again_after_a_failure() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let listing = whole_listing(&memory);
    let bad = block_on(registry.delete_image(
        &repo(),
        &image(),
        &["1.0".into(), "bad tag!".into()],
        &listing,
    ));
    assert!(matches!(bad, Err(ChangeError::InvalidName(_))), "{bad:?}");
    assert!(!memory.was_sent("DELETE"));

    let error = delete_image_failing(&memory, Strike::Before, Some(503)).unwrap_err();
    let ChangeError::AfterWrite { cause, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(
            cause.as_ref(),
            ChangeError::NotAppliedAfterFailure {
                now: ReadAgain::ImageStillThere,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));

    let removal = delete_image_failing(&memory, Strike::After, None).unwrap();
    assert!(removal.applied_anyway.is_some());
    assert_eq!(memory.tag_digest("app", "latest"), None);
}

/// A registry that untags an image's tags before it deletes the manifest, and fails
/// in between: the image is still there, its tags are not. "Nothing was changed" would
/// be false; the tags gone are named, and Undo puts them back.
#[test]
fn an_image_delete_that_failed_after_untagging_names_the_tags_gone_and_keeps_undo() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let confirmed = both_tags();
    let error = delete_image_failing(&memory, Strike::AfterUntag, Some(500)).unwrap_err();
    assert!(
        memory.state.borrow().manifests["app"].contains_key(&sha256(IMAGE)),
        "the image is still there"
    );
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    let ChangeError::AfterWrite { cause, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(cause.as_ref(), ChangeError::ImageDeleteHalfDone { untagged, .. } if *untagged == confirmed),
        "{cause:?}"
    );
    let told = wording::change_error(&error);
    assert!(
        told.account
            .contains("still exists, but 1.0, latest no longer point at it"),
        "{told:?}"
    );
    assert_ne!(told.outcome, "Nothing was changed.");
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("no undo: {error:?}");
    };
    assert_eq!(removal.tags, [tag("1.0"), tag("latest")]);
    block_on(registry.restore_tags(removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn a_paged_tag_list_with_its_link_hidden_is_read_whole_or_marked() {
    let memory = setup();
    {
        let mut state = memory.state.borrow_mut();
        let tags = state.tags.get_mut("app").unwrap();
        for i in 0..25 {
            tags.insert(format!("build-{i:04}"), sha256(IMAGE));
        }
        // A registry that pages by 10, with its Link hidden by CORS.
        state.tag_page = Some(10);
    }
    let registry = Registry::new("http://r", &memory);
    let listing = block_on(registry.tags(&repo(), |_| {})).unwrap();
    assert_eq!(listing.tags.len(), 27, "read on with last=");
    assert!(!listing.may_be_incomplete);
    assert!(memory.was_sent("GET /v2/app/tags/list"));

    // When the look past a page fails, the list is marked, and deleting an image,
    // which needs every tag, is refused before anything is sent.
    memory.inject(
        Fault::new(Method::Get, "tags/list", Strike::Before, None)
            .nth(2)
            .times(2),
    );
    let listing = block_on(registry.tags(&repo(), |_| {})).unwrap();
    assert!(listing.may_be_incomplete);
    assert_eq!(listing.tags.len(), 10);
    let error =
        block_on(registry.delete_image(&repo(), &image(), &listing.tags, &listing)).unwrap_err();
    assert!(
        matches!(error, ChangeError::TagListIncomplete { .. }),
        "{error:?}"
    );
    assert!(!memory.was_sent("DELETE"));

    // A registry that pages by n but ignores last (its cursor links unreadable):
    // what follows the first page cannot be asked for, so the list is marked.
    memory.state.borrow_mut().tag_page_ignores_last = true;
    let listing = block_on(registry.tags(&repo(), |_| {})).unwrap();
    assert_eq!(listing.tags.len(), 10);
    assert!(listing.may_be_incomplete);

    // A registry that ignores n and last (distribution 2.8) sends everything at once.
    memory.state.borrow_mut().tag_page = None;
    let listing = block_on(registry.tags(&repo(), |_| {})).unwrap();
    assert_eq!(listing.tags.len(), 27);
    assert!(!listing.may_be_incomplete);
}

#[test]
fn undo_of_a_tag_added_to_an_existing_image_never_deletes_the_image() {
    let memory = MemoryRegistry::new();
    memory.push("app", "only", media::OCI_MANIFEST, IMAGE);
    // Someone removes the tag: the image is reachable by digest only.
    memory.untag_all("app");
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo(), image().clone())).unwrap();
    let write = block_on(registry.put_tag(&repo(), &tag("found"), &source, None)).unwrap();
    block_on(registry.undo_tag_write(&write, "t")).unwrap();
    assert_eq!(memory.tag_digest("app", "found"), None);
    assert!(memory.state.borrow().manifests["app"].contains_key(&sha256(IMAGE)));
    assert!(!memory.was_sent(&format!("DELETE /v2/app/manifests/{}", sha256(IMAGE))));
}

#[test]
fn a_retry_finds_a_write_that_landed_after_the_reload_and_keeps_its_undo() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let put = Intent::PutTag {
        repository: repo(),
        tag: tag("2.0"),
        digest: image(),
        before: None,
    };
    let found = block_on(registry.reconcile(&put)).unwrap();
    assert_eq!(found.outcome, Outcome::NotApplied);
    // The cut-short PUT lands after the entry was reconciled.
    memory.push("app", "2.0", media::OCI_MANIFEST, IMAGE);
    let written = block_on(registry.retry(&put, "t")).unwrap();
    let Written::Tag(write) = &written else {
        panic!("{written:?}");
    };
    // Its Undo removes the tag: it did not exist before the change.
    assert_eq!(write.before, tagdeck::oci::changes::TagBefore::Absent);
    assert!(
        !memory.was_sent("PUT /v2/app/manifests/2.0"),
        "not written twice"
    );
}

#[test]
fn an_interrupted_change_is_reconciled_from_the_registry() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let put = Intent::PutTag {
        repository: repo(),
        tag: tag("2.0"),
        digest: image(),
        before: None,
    };
    let found = block_on(registry.reconcile(&put)).unwrap();
    assert_eq!(found.outcome, Outcome::NotApplied);
    assert_eq!(
        found.now,
        RegistryNow::Tag {
            repository: repo(),
            tag: tag("2.0"),
            digest: None
        }
    );
    block_on(registry.retry(&put, "t")).unwrap();
    let found = block_on(registry.reconcile(&put)).unwrap();
    assert!(
        matches!(found.outcome, Outcome::Applied(Written::Tag(_))),
        "{found:?}"
    );

    // A copy cut short before its tag (blobs mounted or not): not applied; Retry
    // copies again from where the image is, and the tag then counts as applied.
    let copy = Intent::CopyImage {
        from: repo(),
        to: Repository::parse("copy").unwrap(),
        tag: tag("1.0"),
        digest: image(),
        before: None,
    };
    let found = block_on(registry.reconcile(&copy)).unwrap();
    assert_eq!(found.outcome, Outcome::NotApplied);
    let written = block_on(registry.retry(&copy, "t")).unwrap();
    assert!(matches!(written, Written::Tag(_)), "{written:?}");
    assert_eq!(memory.tag_digest("copy", "1.0"), Some(sha256(IMAGE)));
    let found = block_on(registry.reconcile(&copy)).unwrap();
    assert!(
        matches!(found.outcome, Outcome::Applied(Written::Tag(_))),
        "{found:?}"
    );

    // A removal interrupted with the tag left on its throw-away manifest: not done,
    // and Undo may overwrite that placeholder, and only that.
    memory.inject(placeholder_delete_fault(Strike::Before, Some(500)));
    memory.inject(rollback_put_fault());
    let _ = remove(&memory, "1.0").unwrap_err();
    let intent = Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    };
    let found = block_on(registry.reconcile(&intent)).unwrap();
    let Outcome::OnPlaceholder(removal) = found.outcome else {
        panic!("{found:?}");
    };
    assert!(removal.placeholder.is_some());
    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));

    // Moved meanwhile to something that is not ours: neither Undo nor Retry.
    memory.push(
        "app",
        "1.0",
        media::OCI_MANIFEST,
        b"{\"schemaVersion\":2,\"layers\":[]}",
    );
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_eq!(found.outcome, Outcome::Neither);
}

#[test]
fn an_interrupted_removal_that_left_the_tag_listed_is_not_reported_gone() {
    let memory = setup();
    // The registry deletes the placeholder, then fails before untagging 1.0; putting
    // 1.0 back fails too, so 1.0 stays listed, pointing at nothing.
    memory.inject(placeholder_delete_fault(Strike::BeforeUntag, Some(500)));
    memory.inject(rollback_put_fault());
    let _ = remove(&memory, "1.0").unwrap_err();
    let registry = Registry::new("http://r", &memory);
    assert!(block_on(registry.tags(&repo(), |_| {}))
        .unwrap()
        .tags
        .contains(&"1.0".to_owned()));
    assert_eq!(
        block_on(registry.resolve_tag(&repo(), &tag("1.0"))).unwrap(),
        None
    );

    let intent = Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    };
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_eq!(
        found.now,
        RegistryNow::TagUnresolved {
            repository: repo(),
            tag: tag("1.0"),
            still_listed: true,
        }
    );
    // Undo is kept, and puts 1.0 back on its image.
    let Outcome::Applied(Written::Removal(removal)) = found.outcome else {
        panic!("{found:?}");
    };
    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

/// Passes requests to `inner` and adds up the time waited instead of waiting: how
/// long a client pauses (Retry-After, the settle before reading again) is what the
/// tests below assert.
struct Pausing<C> {
    inner: C,
    paused: Cell<u32>,
}

impl<C: HttpClient> Pausing<C> {
    fn new(inner: C) -> Self {
        Pausing {
            inner,
            paused: Cell::new(0),
        }
    }
}

impl<C: HttpClient> HttpClient for &Pausing<C> {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        self.inner.send(request).await
    }

    async fn pause(&self, ms: u32) {
        self.paused.set(self.paused.get() + ms);
    }
}

#[test]
fn reads_wait_out_429_within_bounds_and_writes_are_never_retried() {
    let calls = Cell::new(0);
    let http = ScriptedHttp::new(move |request| {
        calls.set(calls.get() + 1);
        // Reads: two 429s, then an answer. Writes: always 429.
        let limited = request.method == Method::Put || calls.get() < 3;
        Ok(if limited {
            response(429, &[("Retry-After", "3")], b"")
        } else {
            response(200, &[], br#"{"repositories":["a"]}"#)
        })
    });
    let counting = Pausing::new(&http);
    let registry = Registry::new("http://r", &counting);
    assert_eq!(block_on(registry.catalog()).unwrap(), ["a"]);
    assert_eq!(counting.paused.get(), 6000, "waited Retry-After twice");
    let put =
        block_on(registry.manifest_put(&repo(), parse_reference("x"), b"{}", media::OCI_MANIFEST));
    assert!(
        matches!(put, Err(RegistryError::RateLimited { .. })),
        "{put:?}"
    );
    let puts = http
        .sent
        .borrow()
        .iter()
        .filter(|r| r.method == Method::Put)
        .count();
    assert_eq!(puts, 1, "a write is sent once");
}

#[test]
fn registry_input_is_checked_before_it_is_used() {
    let http = ScriptedHttp::new(|request| {
        Ok(if request.method == Method::Post {
            response(
                202,
                &[("Location", "https://elsewhere.example.com/upload/1")],
                b"",
            )
        } else {
            response(200, &[], &vec![b' '; 5 * 1024 * 1024])
        })
    });
    let registry = Registry::new("http://r", &http);
    // A tag name from a hostile tag list never reaches a URL: it is no reference,
    // and the registry's listing of it is a malformed answer.
    assert!(Reference::parse("../../_catalog").is_err());
    let error = registry.listed_tag(&repo(), "../../_catalog").unwrap_err();
    assert!(
        matches!(error, RegistryError::Malformed { .. }),
        "{error:?}"
    );
    assert!(http.sent.borrow().is_empty());
    // An upload location on another server gets no data.
    let error = block_on(registry.blob_upload(&repo(), b"data")).unwrap_err();
    let detail = wording::error(&error).detail;
    assert!(detail.contains("another server"), "{detail}");
    // An answer above the limit is refused, not parsed.
    let error = block_on(registry.catalog()).unwrap_err();
    assert!(matches!(error, RegistryError::TooLarge { .. }), "{error:?}");
}

#[test]
fn a_change_writes_its_intent_down_before_its_first_write() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let memory = Rc::new(setup());
    // Each intent, and whether its own write had already been sent when it was noted.
    let noted: Rc<RefCell<Vec<(Intent, bool)>>> = Rc::default();
    let (seen_memory, seen) = (memory.clone(), noted.clone());
    let registry =
        Registry::new("http://r", &*memory).journaled(Rc::new(move |intent: &Intent| {
            let own_write = match intent {
                Intent::PutTag { tag, .. } => format!("PUT /v2/app/manifests/{tag}"),
                Intent::RemoveTag { tag, .. } => format!("DELETE /v2/app/manifests/{tag}"),
                Intent::DeleteImage { manifest, .. } => {
                    format!("DELETE /v2/app/manifests/{}", manifest.digest)
                }
                // A copy's first write is a blob mount into the target.
                Intent::CopyImage { to, .. } => format!("POST /v2/{to}/blobs/uploads"),
            };
            seen.borrow_mut()
                .push((intent.clone(), seen_memory.was_sent(&own_write)));
            true
        }));
    let source = block_on(registry.manifest_get(&repo(), parse_reference("1.0"))).unwrap();
    block_on(registry.put_tag(&repo(), &tag("2.0"), &source, None)).unwrap();
    block_on(registry.remove_tag(&repo(), &tag("1.0"), &image(), &all_tags(&memory), "t")).unwrap();
    let copy = Repository::parse("copy").unwrap();
    block_on(registry.copy_image(&repo(), &source, &copy, &tag("1.0"), None, |_| true)).unwrap();
    let noted = noted.borrow();
    assert_eq!(noted.len(), 4, "{noted:?}");
    assert!(
        matches!(&noted[0], (Intent::PutTag { tag, before: None, .. }, false) if tag.as_str() == "2.0"),
        "{noted:?}"
    );
    assert!(
        matches!(&noted[1], (Intent::RemoveTag { tag, .. }, false) if tag.as_str() == "1.0"),
        "{noted:?}"
    );
    // The copy: its intent before its first mount, then its tag's as for any tag.
    assert!(
        matches!(&noted[2], (Intent::CopyImage { to, tag, before: None, .. }, false) if *to == copy && tag.as_str() == "1.0"),
        "{noted:?}"
    );
    assert!(
        matches!(&noted[3], (Intent::PutTag { repository, .. }, _) if *repository == copy),
        "{noted:?}"
    );
    // Reconciled, the tag's intent stays after the copy's (it tells the PUT was
    // sent), which takes what the tag pointed at from it (here: absent, as read first).
    let intents: Vec<Intent> = noted.iter().map(|(intent, _)| intent.clone()).collect();
    let kept = tagdeck::oci::intent::without_covered(intents.clone());
    assert_eq!(kept, intents);
    // And the writes did follow.
    assert!(memory.was_sent("POST /v2/copy/blobs/uploads"));
    assert!(memory.was_sent("PUT /v2/app/manifests/2.0"));
    assert!(memory.was_sent("DELETE /v2/app/manifests/1.0"));
}

#[test]
fn a_change_whose_intent_cannot_be_recorded_writes_nothing() {
    use std::rc::Rc;
    use tagdeck::oci::changes::ChangeError;
    use tagdeck::oci::intent::Intent;
    let memory = setup();
    // A journal that cannot keep anything: the tab's storage is full.
    let registry = Registry::new("http://r", &memory).journaled(Rc::new(|_: &Intent| false));
    let source = block_on(registry.manifest_get(&repo(), parse_reference("1.0"))).unwrap();
    let writes = || {
        memory
            .state
            .borrow()
            .log
            .iter()
            .filter(|l| !l.starts_with("GET ") && !l.starts_with("HEAD "))
            .count()
    };
    let added = block_on(registry.put_tag(&repo(), &tag("2.0"), &source, None));
    assert!(matches!(added, Err(ChangeError::NotRecorded)), "{added:?}");
    let removed =
        block_on(registry.remove_tag(&repo(), &tag("1.0"), &image(), &all_tags(&memory), "t"));
    assert!(
        matches!(removed, Err(ChangeError::NotRecorded)),
        "{removed:?}"
    );
    let copy = Repository::parse("copy").unwrap();
    let copied =
        block_on(registry.copy_image(&repo(), &source, &copy, &tag("1.0"), None, |_| true));
    assert!(
        matches!(copied, Err(ChangeError::NotRecorded)),
        "{copied:?}"
    );
    assert_eq!(writes(), 0, "nothing was written");
    assert_eq!(memory.tag_digest("app", "2.0"), None);
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    let words = tagdeck::wording::change_error(&ChangeError::NotRecorded);
    assert_eq!(words.outcome, "Nothing was changed.");
}

#[test]
fn a_cancelled_copy_stops_between_steps_before_its_tag() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo(), parse_reference("1.0"))).unwrap();
    let target = Repository::parse("copy").unwrap();
    let mut steps = 0;
    let error = block_on(
        registry.copy_image(&repo(), &source, &target, &tag("1.0"), None, |_| {
            steps += 1;
            steps < 2 // cancel at the second step
        }),
    )
    .unwrap_err();
    assert!(
        matches!(error, ChangeError::Cancelled { done: 1, .. }),
        "{error:?}"
    );
    assert!(error.written().is_none());
    assert_eq!(memory.tag_digest("copy", "1.0"), None);
    assert!(!memory.was_sent("PUT /v2/copy/manifests/1.0"));
}

#[test]
fn a_404_to_a_delete_that_was_applied_is_read_again_not_taken_as_a_refusal() {
    // What a browser's own retry of a dropped DELETE looks like: applied, then 404.
    let memory = setup();
    let removal = delete_image_failing(&memory, Strike::After, Some(404)).unwrap();
    assert!(removal.applied_anyway.is_some());
    assert_eq!(memory.tag_digest("app", "1.0"), None);
}

#[test]
fn a_failed_deletes_check_changes_nothing_and_says_what_it_was() {
    let memory = setup();
    // The 1st DELETE by digest is the check whether the registry deletes manifests.
    memory.inject(Fault::new(Method::Delete, "manifests/sha256:", Strike::Before, None).times(2));
    let error = remove(&memory, "1.0").unwrap_err();
    assert!(
        matches!(&error, ChangeError::DeletesUnchecked { refused, .. }
            if matches!(**refused, RegistryError::Unsupported { .. })),
        "{error:?}"
    );
    assert!(error.written().is_none());
    assert!(!memory.was_sent("PUT"), "no placeholder was pushed");
    assert_eq!(all_tags(&memory), ["1.0", "latest"]);
    let message = wording::change_error(&error);
    assert_eq!(
        message.headline,
        "Could not check whether this registry deletes manifests"
    );
    assert!(
        message
            .detail
            .contains("a DELETE of a digest that does not exist, which changes nothing"),
        "{}",
        message.detail
    );
    assert_eq!(
        message.outcome,
        "Nothing was changed: the failure came before any write."
    );
}

/// A reload cut an image delete short on a registry that untags first: the image is
/// still there, its tags are not. Not "not applied" (Retry would be refused as the
/// tags changed): applied as far as it went, with the Undo that puts the tags back.
#[test]
fn an_interrupted_image_delete_that_untagged_first_is_reconciled_with_undo() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let manifest = block_on(registry.manifest_get(&repo(), &image())).unwrap();
    let intent = Intent::DeleteImage {
        repository: repo(),
        tags: vec![tag("1.0"), tag("latest")],
        manifest: Box::new(manifest),
    };
    // Nothing happened yet: not applied.
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_eq!(found.outcome, Outcome::NotApplied);
    // The registry untagged both, then the page went away before the manifest went.
    memory.untag_all("app");
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_eq!(
        wording::registry_now(&found.now),
        format!(
            "app@{} still exists, but 1.0, latest no longer point at it",
            image()
        )
    );
    let Outcome::Applied(Written::Removal(removal)) = found.outcome else {
        panic!("{:?}", found.outcome);
    };
    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));

    // Only 1.0 gone; latest moved to another image by someone else: named as
    // neither untagged nor put back by Undo.
    let other = memory.push(
        "app",
        "other",
        media::OCI_MANIFEST,
        b"{\"schemaVersion\":2}",
    );
    {
        let mut state = memory.state.borrow_mut();
        let tags = state.tags.get_mut("app").unwrap();
        tags.remove("1.0");
        tags.insert("latest".into(), other);
    }
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_eq!(
        wording::registry_now(&found.now),
        format!(
            "app@{} still exists, but 1.0 no longer points at it",
            image()
        )
    );
    let Outcome::Applied(Written::Removal(removal)) = found.outcome else {
        panic!("{:?}", found.outcome);
    };
    assert_eq!(removal.tags, [tag("1.0")]);
}

/// A removal interrupted on a registry whose DELETE by tag took the image (or whose
/// image someone deleted since): nothing is left to put the tag back on. Said as what
/// is true now, neither Undo nor Retry, instead of "could not be read" for ever.
#[test]
fn an_interrupted_removal_whose_image_is_gone_says_so() {
    let memory = setup();
    memory.take_image_with_tag_deletes();
    let registry = Registry::new("http://r", &memory);
    block_on(registry.tag_delete(&repo(), &tag("1.0"))).unwrap();
    let intent = Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    };
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_eq!(found.outcome, Outcome::Neither);
    assert_eq!(
        found.now,
        RegistryNow::Image {
            repository: repo(),
            digest: image(),
            exists: false,
        }
    );
    assert_eq!(
        wording::registry_now(&found.now),
        format!("app@{} is deleted", image())
    );
}

/// The pause before reading the registry again after an unclear failure
/// (`SETTLE_BEFORE_REREAD_MS` in src/oci/changes/tag_write.rs).
const SETTLE_MS: u32 = 2_000;

/// A tag PUT that got no answer, or a gateway's 502/503/504, may still be on its
/// way: read again, the tag shows the old state, but the write may land afterwards.
/// Never "Nothing was changed": the Undo stays, and undoes nothing while nothing
/// landed.
#[test]
fn a_tag_write_lost_in_transit_keeps_its_undo_though_read_again_it_is_not_there() {
    for status in [Some(504), Some(502), Some(503), None] {
        let memory = setup();
        memory.inject(put_fault(Strike::Before, status));
        let error = add_tag(&memory).unwrap_err();
        let ChangeError::AfterWrite { cause, .. } = &error else {
            panic!("{status:?}: {error:?}");
        };
        assert!(
            matches!(
                cause.as_ref(),
                ChangeError::NotAppliedAfterFailure {
                    now: ReadAgain::Tag(None),
                    ..
                }
            ),
            "{status:?}: {cause:?}"
        );
        let told = wording::change_error(&error);
        assert!(
            !told.outcome.contains("Nothing was changed"),
            "{status:?}: {told:?}"
        );
        assert!(told.outcome.contains("Undo"), "{status:?}: {told:?}");
        let Some(Written::Tag(write)) = error.written() else {
            panic!("{status:?}: no undo: {error:?}");
        };
        let registry = Registry::new("http://r", &memory);
        // Undo while the write has not landed: nothing to take back, nothing written.
        let writes = memory.sent_count("PUT") + memory.sent_count("DELETE");
        let early = block_on(registry.undo_tag_write(write, "u1")).unwrap_err();
        assert_eq!(early, ChangeError::NothingToUndo);
        assert_eq!(
            memory.sent_count("PUT") + memory.sent_count("DELETE"),
            writes
        );
        // The PUT lands late: Undo takes it back.
        memory.push("app", "2.0", media::OCI_MANIFEST, IMAGE);
        block_on(registry.undo_tag_write(write, "u2")).unwrap();
        assert_eq!(memory.tag_digest("app", "2.0"), None, "{status:?}");
        assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    }
}

/// nginx answers 504 after 60 s while distribution is still deleting the image: read
/// at once, the image is still there. The DELETE then lands, and the manifest's bytes
/// Undo needs must still be at hand.
#[test]
fn an_image_delete_answered_504_with_the_image_still_there_keeps_its_undo() {
    let memory = setup();
    let error = delete_image_failing(&memory, Strike::Before, Some(504)).unwrap_err();
    let ChangeError::AfterWrite { cause, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(
            cause.as_ref(),
            ChangeError::NotAppliedAfterFailure {
                now: ReadAgain::ImageStillThere,
                ..
            }
        ),
        "{cause:?}"
    );
    let told = wording::change_error(&error);
    assert!(!told.outcome.contains("Nothing was changed"), "{told:?}");
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("no undo: {error:?}");
    };
    assert_eq!(removal.tags, [tag("1.0"), tag("latest")]);
    let registry = Registry::new("http://r", &memory);
    // Undo before the delete landed puts back nothing (the tags are in place).
    let early = block_on(registry.restore_tags(removal)).unwrap_err();
    assert_eq!(early, ChangeError::NothingToUndo);
    assert!(!memory.was_sent("PUT"));
    // The DELETE lands: image and tags gone. Undo puts them back.
    {
        let mut state = memory.state.borrow_mut();
        state
            .manifests
            .get_mut("app")
            .unwrap()
            .remove(&sha256(IMAGE));
        state.tags.get_mut("app").unwrap().clear();
    }
    block_on(registry.restore_tags(removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

/// The same for removing one tag: a DELETE by tag, or the placeholder's PUT, that got
/// a 504 and shows the old state keeps its Undo.
#[test]
fn a_tag_removal_lost_in_transit_keeps_its_undo() {
    for by_tag in [true, false] {
        let memory = setup();
        memory.state.borrow_mut().tag_deletes = by_tag;
        let path = "manifests/1.0";
        let method = if by_tag { Method::Delete } else { Method::Put };
        memory.inject(Fault::new(method, path, Strike::Before, Some(504)));
        let error = remove(&memory, "1.0").unwrap_err();
        let ChangeError::AfterWrite { cause, .. } = &error else {
            panic!("{by_tag}: {error:?}");
        };
        assert!(
            matches!(cause.as_ref(), ChangeError::NotAppliedAfterFailure { .. }),
            "{by_tag}: {cause:?}"
        );
        assert!(!wording::change_error(&error)
            .outcome
            .contains("Nothing was changed"));
        let Some(Written::Removal(removal)) = error.written() else {
            panic!("{by_tag}: no undo: {error:?}");
        };
        assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
        let puts = memory.sent_count("PUT");
        let registry = Registry::new("http://r", &memory);
        let early = block_on(registry.restore_tags(removal)).unwrap_err();
        assert_eq!(early, ChangeError::NothingToUndo, "{by_tag}");
        assert_eq!(
            memory.sent_count("PUT"),
            puts,
            "{by_tag}: nothing to put back"
        );
    }
}

/// A write whose answer was lost (no answer, or a gateway's 502, 503 or 504) gets a
/// moment to land before the registry is read again, as one that timed out does.
#[test]
fn a_write_lost_in_transit_gets_a_moment_to_land_before_it_is_read_again() {
    for status in [None, Some(502), Some(503), Some(504)] {
        let memory = setup();
        memory.inject(put_fault(Strike::Before, status));
        let pausing = Pausing::new(&memory);
        let registry = Registry::new("http://r", &pausing);
        let source = block_on(registry.manifest_get(&repo(), parse_reference("1.0"))).unwrap();
        let _ = block_on(registry.put_tag(&repo(), &tag("2.0"), &source, None));
        assert_eq!(pausing.paused.get(), SETTLE_MS, "{status:?}");
    }
}

/// A removal cut short with its tag on the throw-away manifest (the tab closed
/// between that manifest's PUT and its DELETE): the tag still exists and pulls an
/// empty image, so it is not reported done. Retry runs the last step, deleting the
/// throw-away manifest; Undo still puts the tag back instead.
#[test]
fn an_interrupted_removal_left_on_its_placeholder_is_not_done_and_retry_finishes_it() {
    let memory = setup();
    memory.inject(placeholder_delete_fault(Strike::Before, Some(500)));
    memory.inject(rollback_put_fault());
    let _ = remove(&memory, "1.0").unwrap_err();
    let registry = Registry::new("http://r", &memory);
    let placeholder = block_on(registry.resolve_tag(&repo(), &tag("1.0")))
        .unwrap()
        .unwrap();
    assert_ne!(placeholder, image());
    let intent = Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    };
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert!(
        !matches!(found.outcome, Outcome::Applied(_)),
        "reported done while 1.0 still exists: {found:?}"
    );
    let Outcome::OnPlaceholder(offered) = &found.outcome else {
        panic!("{found:?}");
    };
    // Said as what it is: a throw-away manifest Tagdeck pushed, the removal unfinished.
    assert_eq!(
        wording::registry_now(&found.now),
        format!(
            "app:1.0 still exists, left on {placeholder}, a throw-away manifest Tagdeck \
             pushed to remove it: the removal is not finished"
        )
    );
    let written = block_on(registry.retry(&intent, "t")).unwrap();
    // The Undo the check offered, not a second one.
    assert_eq!(written, Written::Removal(offered.clone()));
    assert_eq!(
        memory.tag_digest("app", "1.0"),
        None,
        "the removal is finished"
    );
    assert!(
        memory.was_sent(&format!("DELETE /v2/app/manifests/{placeholder}")),
        "the throw-away manifest is deleted"
    );
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    // Its Undo puts 1.0 back on its image.
    let Written::Removal(removal) = written else {
        panic!("{written:?}");
    };
    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

/// The finishing step of a removal left on its throw-away manifest fails: the tag
/// was moved off its image, so the Undo stays.
#[test]
fn a_failed_finish_of_a_removal_left_on_its_placeholder_keeps_its_undo() {
    let memory = setup();
    memory.inject(placeholder_delete_fault(Strike::Before, Some(500)));
    memory.inject(rollback_put_fault());
    let _ = remove(&memory, "1.0").unwrap_err();
    memory.inject(Fault::new(
        Method::Delete,
        "manifests/sha256:",
        Strike::Before,
        Some(500),
    ));
    let registry = Registry::new("http://r", &memory);
    let intent = Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    };
    let error = block_on(registry.retry(&intent, "t")).unwrap_err();
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("no undo: {error:?}");
    };
    assert!(removal.placeholder.is_some());
    assert!(!wording::change_error(&error)
        .outcome
        .starts_with("Nothing was changed"));
    block_on(registry.restore_tags(removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

/// distribution 2.8 behind a proxy: the placeholder's DELETE answered 504 may still
/// complete after the tag was put back, and take the tag with it. The tag is put back
/// after a moment, but the Undo stays, and nothing says "Nothing was changed".
#[test]
fn a_placeholder_delete_answered_504_puts_the_tag_back_and_keeps_its_undo() {
    for status in [Some(504), None] {
        let memory = setup();
        memory.inject(placeholder_delete_fault(Strike::Before, status));
        let pausing = Pausing::new(&memory);
        let registry = Registry::new("http://r", &pausing);
        let error =
            block_on(registry.remove_tag(&repo(), &tag("1.0"), &image(), &all_tags(&memory), "t"))
                .unwrap_err();
        assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
        assert_eq!(pausing.paused.get(), SETTLE_MS, "{status:?}");
        let told = wording::change_error(&error);
        assert!(!told.outcome.contains("Nothing was changed"), "{told:?}");
        assert!(told.outcome.contains("Undo"), "{told:?}");
        let Some(Written::Removal(removal)) = error.written() else {
            panic!("{status:?}: no undo: {error:?}");
        };
        // The DELETE lands late, taking the tag: Undo puts it back.
        memory.untag("app", "1.0");
        block_on(registry.restore_tags(removal)).unwrap();
        assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    }
}

/// An Undo run before the change it takes back has landed finds nothing to do: it
/// says so, and is not "undone" (the Undo is kept for when the write lands).
#[test]
fn an_undo_before_the_change_landed_has_nothing_to_undo_yet() {
    let memory = setup();
    memory.inject(put_fault(Strike::Before, Some(504)));
    let error = add_tag(&memory).unwrap_err();
    let action = UndoAction::of_failure(&error).unwrap();
    let registry = Registry::new("http://r", &memory);
    let failed = block_on(registry.undo(&action, &|| "u".to_owned())).unwrap_err();
    assert_eq!(failed.left, action);
    assert!(
        matches!(failed.failures[..], [(_, ChangeError::NothingToUndo)]),
        "{failed:?}"
    );
    let told = wording::undo_failed(&failed);
    assert!(told.text.contains("Nothing to undo now"), "{}", told.text);
    // Nothing went wrong: the entry's status does not say "undo failed".
    assert_eq!(
        failed.shortfall(),
        UndoShortfall::NotLanded { some_undone: false }
    );
    assert_eq!(
        wording::undo_status(failed.shortfall()),
        "nothing to undo now"
    );
}

/// A removal interrupted with its tag on its throw-away manifest, and the image it
/// took the tag off deleted meanwhile: the tag still exists, so that is said, and
/// Retry finishes the removal (deleting the throw-away manifest is safe); no Undo,
/// with no image left to put the tag back on.
#[test]
fn an_interrupted_removal_on_its_placeholder_whose_image_is_gone_retry_finishes_it() {
    let memory = setup();
    memory.inject(placeholder_delete_fault(Strike::Before, Some(500)));
    memory.inject(rollback_put_fault());
    let _ = remove(&memory, "1.0").unwrap_err();
    let registry = Registry::new("http://r", &memory);
    let placeholder = block_on(registry.resolve_tag(&repo(), &tag("1.0")))
        .unwrap()
        .unwrap();
    assert_ne!(placeholder, image());
    block_on(registry.manifest_delete(&repo(), &image())).unwrap();
    let intent = Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    };
    let found = block_on(registry.reconcile(&intent)).unwrap();
    assert_ne!(found.outcome, Outcome::Neither, "{found:?}");
    assert!(
        !matches!(found.outcome, Outcome::Applied(_)),
        "reported done while 1.0 still exists: {found:?}"
    );
    assert_eq!(
        found.now,
        RegistryNow::OnPlaceholder {
            repository: repo(),
            tag: tag("1.0"),
            placeholder: placeholder.clone(),
        }
    );
    assert!(wording::registry_now(&found.now).contains("throw-away manifest"));
    let written = block_on(registry.retry(&intent, "t")).unwrap();
    assert_eq!(
        memory.tag_digest("app", "1.0"),
        None,
        "the removal is finished"
    );
    // Nothing to put the tag back on: no Undo. A removal of an image no tag named (a
    // referrer deleted by digest) keeps its Undo, though it has no tags either.
    let Written::Removal(finished) = written.clone() else {
        panic!("{written:?}")
    };
    assert_eq!(UndoAction::of_written(written), None);
    let untagged = Written::Removal(Box::new(tagdeck::oci::changes::Removal {
        tags: Vec::new(),
        placeholder: None,
        ..*finished
    }));
    assert!(UndoAction::of_written(untagged).is_some());
    assert!(
        memory.was_sent(&format!("DELETE /v2/app/manifests/{placeholder}")),
        "the throw-away manifest is deleted"
    );
}

/// Copies `app:multi`, an index over IMAGE, to `copy:multi` with `fault` scripted.
fn copy_index_with(fault: Fault) -> (MemoryRegistry, Result<(), ChangeError>) {
    let memory = setup();
    let index = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"manifests\":[{{\"mediaType\":\"{}\",\"digest\":\"{}\",\"size\":{},\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}}]}}",
        media::OCI_INDEX,
        media::OCI_MANIFEST,
        sha256(IMAGE),
        IMAGE.len()
    );
    memory.push("app", "multi", media::OCI_INDEX, index.as_bytes());
    memory.inject(fault);
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo(), parse_reference("multi"))).unwrap();
    let target = Repository::parse("copy").unwrap();
    let copied =
        block_on(registry.copy_image(&repo(), &source, &target, &tag("multi"), None, |_| true));
    (memory, copied.map(|_| ()))
}

/// A platform manifest's PUT that failed with a 5xx may have landed: the registry is
/// read again, and one that is there counts as copied; one that is not is told as such.
#[test]
fn a_copy_reads_again_a_platform_manifest_whose_put_failed() {
    let child = || {
        Fault::new(
            Method::Put,
            "copy/manifests/sha256:",
            Strike::After,
            Some(504),
        )
    };
    let (memory, copied) = copy_index_with(child());
    assert!(copied.is_ok(), "the manifest is there: {copied:?}");
    assert!(memory.tag_digest("copy", "multi").is_some());

    let lost = Fault::new(
        Method::Put,
        "copy/manifests/sha256:",
        Strike::Before,
        Some(504),
    );
    let (memory, copied) = copy_index_with(lost);
    let error = copied.unwrap_err();
    assert!(
        matches!(&error, ChangeError::CopyStopped { cause, .. }
            if matches!(**cause, ChangeError::NotAppliedAfterFailure { now: ReadAgain::ImageAbsent, .. })),
        "{error:?}"
    );
    assert_eq!(memory.tag_digest("copy", "multi"), None);
    let words = wording::change_error(&error);
    assert!(words.detail.contains("is not there"), "{}", words.detail);
}
