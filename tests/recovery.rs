//! The activity list's recovery of interrupted changes, decided in `oci` (the views
//! only call it): what an entry offers after a reload, a Retry, an Undo.

mod support;

use support::block_on;
use support::memory_registry::{sha256, Fault, MemoryRegistry, Strike};
use support::one_image::{image, repo, setup, tag, IMAGE};
use tagdeck::oci::changes::ChangeError;
use tagdeck::oci::client::Registry;
use tagdeck::oci::http::Method;
use tagdeck::oci::intent::{without_covered, Intent};
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository};

use tagdeck::oci::recovery::{awaiting_landing, unchecked_after_reload, Offers, RetryRun};
use tagdeck::oci::undo::{left_to_run, undo_end, UndoAction, UndoShortfall};

fn remove_tag_intent() -> Intent {
    Intent::RemoveTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: image(),
    }
}

fn delete_image_intent(memory: &MemoryRegistry) -> Intent {
    let registry = Registry::new("http://r", memory);
    let manifest = block_on(registry.manifest_get(&repo(), &image())).unwrap();
    Intent::DeleteImage {
        repository: repo(),
        tags: vec![tag("1.0"), tag("latest")],
        manifest: Box::new(manifest),
    }
}

fn offers_for(memory: &MemoryRegistry, intent: &Intent) -> Offers {
    let registry = Registry::new("http://r", memory);
    let found = block_on(registry.reconcile(intent)).unwrap();
    let mut offers = Offers::new(None, None);
    offers.add(intent.clone(), found);
    offers
}

fn offers_for_all(memory: &MemoryRegistry, intents: &[Intent]) -> Offers {
    let registry = Registry::new("http://r", memory);
    let mut offers = Offers::new(None, None);
    for intent in intents {
        let found = block_on(registry.reconcile(intent)).unwrap();
        offers.add(intent.clone(), found);
    }
    offers
}

/// A second image in `app`, untagged; its digest.
const OTHER: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":2},"layers":[],"annotations":{"other":"yes"}}"#;

fn push_other(memory: &MemoryRegistry) -> Digest {
    Digest::parse(&memory.push_untagged("app", media::OCI_MANIFEST, OTHER)).unwrap()
}

/// A move of 1.0 from IMAGE to OTHER, cut short with its PUT under way.
fn move_intent(other: &Digest) -> Intent {
    Intent::PutTag {
        repository: repo(),
        tag: tag("1.0"),
        digest: other.clone(),
        before: Some(image()),
    }
}

/// A tag move found not applied after a reload may still land: its Undo is kept
/// (counted as such), finds nothing to undo while the tag is still on its image, and
/// puts the tag back once the PUT landed.
#[test]
fn an_interrupted_move_found_not_applied_keeps_undo_in_case_it_lands() {
    let memory = setup();
    let other = push_other(&memory);
    let intent = move_intent(&other);
    let offers = offers_for(&memory, &intent);
    assert_eq!(offers.retry, vec![intent.clone()]);
    assert_eq!(offers.undo.len(), 1, "{offers:?}");
    assert_eq!(offers.may_land, 1);
    let lines = offers.outcome_lines().join(" ");
    assert!(lines.contains("may still"), "{lines}");
    assert!(!lines.contains("changed nothing"), "{lines}");

    // Undo before it lands: nothing to undo, the tag is left where it is.
    let registry = Registry::new("http://r", &memory);
    let undo = UndoAction::collect(offers.undo).unwrap();
    let result = block_on(registry.undo(&undo, &|| "u".to_owned()));
    let failed = undo_end(&undo, result, false, true).failed.expect("kept");
    assert_eq!(
        failed.shortfall(),
        UndoShortfall::NotLanded { some_undone: false }
    );
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert!(!memory.was_sent("PUT"));

    // The PUT lands: Undo points 1.0 back at IMAGE.
    memory.push("app", "1.0", media::OCI_MANIFEST, OTHER);
    block_on(registry.undo(&undo, &|| "u".to_owned())).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

/// The kept Undo of a move never touches a tag moved elsewhere meanwhile.
#[test]
fn the_kept_undo_of_a_move_leaves_a_tag_moved_elsewhere() {
    let memory = setup();
    let other = push_other(&memory);
    let offers = offers_for(&memory, &move_intent(&other));
    let undo = UndoAction::collect(offers.undo).expect("an Undo");
    // Someone else points 1.0 at a third image.
    let third = memory.push("app", "1.0", media::OCI_MANIFEST, b"{\"schemaVersion\":2}");
    let registry = Registry::new("http://r", &memory);
    assert!(block_on(registry.undo(&undo, &|| "u".to_owned())).is_err());
    assert_eq!(memory.tag_digest("app", "1.0"), Some(third));
    assert!(!memory.was_sent("PUT"));
}

/// A tag removal found not applied (its DELETE may be under way) keeps an Undo with
/// the image's bytes, read while the tag still points at it.
#[test]
fn an_interrupted_tag_removal_found_not_applied_keeps_undo_in_case_it_lands() {
    let memory = setup();
    let intent = remove_tag_intent();
    let offers = offers_for(&memory, &intent);
    assert_eq!(offers.retry, vec![intent.clone()]);
    assert_eq!(offers.undo.len(), 1, "{offers:?}");
    assert_eq!(offers.may_land, 1);
    let registry = Registry::new("http://r", &memory);
    let undo = UndoAction::collect(offers.undo.clone()).unwrap();
    assert!(block_on(registry.undo(&undo, &|| "u".to_owned())).is_err());
    assert!(!memory.was_sent("PUT"));

    // The DELETE lands: Undo puts the tag back.
    memory.untag("app", "1.0");
    block_on(registry.undo(&undo, &|| "u".to_owned())).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));

    // Retry run: its Undo replaces the one kept, not added to it.
    let memory = setup();
    let offers = offers_for(&memory, &intent);
    let registry = Registry::new("http://r", &memory);
    let mut run = RetryRun::new(UndoAction::collect(offers.undo));
    run.add(intent.clone(), block_on(registry.retry(&intent, "t")));
    assert!(!run.failed, "{run:?}");
    assert_eq!(run.undo.len(), 1, "{run:?}");
}

fn copy_intent(before: Option<Digest>) -> Intent {
    Intent::CopyImage {
        from: repo(),
        to: Repository::parse("copy").unwrap(),
        tag: tag("1.0"),
        digest: image(),
        before,
    }
}

/// A copy cut short with its tag's PUT noted: the Undo is kept, from what the tag
/// pointed at when that PUT was noted (not the copy's first read); Retry copies.
#[test]
fn a_copy_cut_short_at_its_tag_put_keeps_undo_from_the_put() {
    let memory = setup();
    let other = push_other(&memory);
    memory.push("copy", "1.0", media::OCI_MANIFEST, OTHER);
    let put = Intent::PutTag {
        repository: Repository::parse("copy").unwrap(),
        tag: tag("1.0"),
        digest: image(),
        before: Some(other.clone()),
    };
    let intents = without_covered(vec![copy_intent(None), put.clone()]);
    // The PutTag stays: it tells the PUT was sent.
    assert_eq!(intents, vec![copy_intent(Some(other.clone())), put]);
    let offers = offers_for_all(&memory, &intents);
    assert_eq!(offers.retry, vec![copy_intent(Some(other))], "{offers:?}");
    assert_eq!(offers.may_land, 1, "{offers:?}");
    assert_eq!(offers.undo.len(), 1, "{offers:?}");
    let lines = offers.outcome_lines().join(" ");
    assert!(!lines.contains("changed nothing"), "{lines}");
    assert!(lines.contains("may still"), "{lines}");
    assert!(awaiting_landing(&offers.undo, &offers.retry));

    // Retry copies: its Undo replaces the one kept.
    let registry = Registry::new("http://r", &memory);
    let mut run = RetryRun::new(UndoAction::collect(offers.undo));
    let copy = &offers.retry[0];
    run.add(copy.clone(), block_on(registry.retry(copy, "t")));
    assert!(!run.failed, "{run:?}");
    assert_eq!(run.undo.len(), 1, "{run:?}");
    assert_eq!(memory.tag_digest("copy", "1.0"), Some(sha256(IMAGE)));
}

/// A copy cut short before its tag PUT (no PutTag noted: blobs were being mounted)
/// sent no tag PUT: nothing can land, so no Undo is kept; Retry copies.
#[test]
fn a_copy_cut_short_before_its_tag_put_keeps_no_undo() {
    let memory = setup();
    let intents = without_covered(vec![copy_intent(None)]);
    assert_eq!(intents, vec![copy_intent(None)]);
    let offers = offers_for_all(&memory, &intents);
    assert_eq!(offers.may_land, 0, "{offers:?}");
    assert!(offers.undo.is_empty(), "{offers:?}");
    assert_eq!(offers.retry, vec![copy_intent(None)], "{offers:?}");
    let lines = offers.outcome_lines().join(" ");
    assert!(lines.contains("changed nothing; Retry runs it"), "{lines}");
    assert!(!lines.contains("may still"), "{lines}");
}

/// A copy and its tag PUT, the tag moved elsewhere meanwhile: said changed once,
/// with neither Undo nor Retry.
#[test]
fn a_copy_and_its_tag_put_changed_meanwhile_are_said_once() {
    let memory = setup();
    let put = Intent::PutTag {
        repository: Repository::parse("copy").unwrap(),
        tag: tag("1.0"),
        digest: image(),
        before: None,
    };
    memory.push("copy", "1.0", media::OCI_MANIFEST, OTHER);
    let intents = without_covered(vec![copy_intent(None), put]);
    let offers = offers_for_all(&memory, &intents);
    assert_eq!(offers.unclear.len(), 1, "{offers:?}");
    assert!(
        offers.undo.is_empty() && offers.retry.is_empty(),
        "{offers:?}"
    );
}

/// Finding 1: a removal interrupted on its throw-away manifest offers Undo and Retry
/// for one intent; once Undo put the tag back, Retry must go (it would remove the
/// tag again), and so must Check again for it.
#[test]
fn an_undo_that_put_the_tag_back_takes_away_retry_and_check_again() {
    let memory = setup();
    // The removal pushed its throw-away manifest, then the page went away.
    memory.inject(
        Fault::new(
            Method::Delete,
            "manifests/sha256:",
            Strike::Before,
            Some(500),
        )
        .nth(2),
    );
    memory.inject(Fault::new(Method::Put, "manifests/1.0", Strike::Before, Some(500)).nth(2));
    let registry = Registry::new("http://r", &memory);
    let listed = vec!["1.0".to_owned(), "latest".to_owned()];
    let _ =
        block_on(registry.remove_tag(&repo(), &tag("1.0"), &image(), &listed, "t")).unwrap_err();
    let intent = remove_tag_intent();
    let offers = offers_for(&memory, &intent);
    assert_eq!(offers.retry, vec![intent.clone()]);
    let undo = UndoAction::collect(offers.undo).expect("an Undo");

    let result = block_on(registry.undo(&undo, &|| "u".to_owned()));
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    let end = undo_end(&undo, result, false, false);
    assert_eq!(end.failed, None);
    assert_eq!(left_to_run(Some(vec![intent.clone()]), &end.undone), None);
    assert_eq!(
        left_to_run(Some(vec![intent]), &end.undone),
        None,
        "Check again too"
    );
}

/// Finding 1, partly: what the Undo did not take back keeps its Retry.
#[test]
fn an_undo_keeps_retry_for_what_it_did_not_undo() {
    let other = Intent::PutTag {
        repository: repo(),
        tag: tag("2.0"),
        digest: image(),
        before: None,
    };
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let listed = vec!["1.0".to_owned(), "latest".to_owned()];
    block_on(registry.remove_tag(&repo(), &tag("1.0"), &image(), &listed, "t")).unwrap();
    let intent = remove_tag_intent();
    let offers = offers_for(&memory, &intent);
    assert!(offers.retry.is_empty());
    // Its Undo undone; the other intent stays.
    assert_eq!(
        left_to_run(Some(vec![intent, other.clone()]), &offers.undo),
        Some(vec![other])
    );
}

/// Finding 2: a Retry refused before it wrote anything offers Retry again; one whose
/// outcome is unclear offers Check again; none is dropped.
#[test]
fn a_failed_retry_keeps_retry_or_check_again() {
    // Refused outright (signed out): nothing written.
    let memory = setup();
    memory.inject(Fault::new(
        Method::Put,
        "manifests/2.0",
        Strike::Before,
        Some(401),
    ));
    let registry = Registry::new("http://r", &memory);
    let put = Intent::PutTag {
        repository: repo(),
        tag: tag("2.0"),
        digest: image(),
        before: None,
    };
    let mut run = RetryRun::new(None);
    run.add(put.clone(), block_on(registry.retry(&put, "t")));
    assert!(run.failed);
    assert_eq!(run.retry, vec![put.clone()], "{run:?}");
    assert!(run.unchecked.is_empty());

    // The registry could not even be read (a dropped connection, asked twice).
    let memory = setup();
    memory.inject(Fault::new(Method::Head, "manifests/2.0", Strike::Before, None).times(4));
    let registry = Registry::new("http://r", &memory);
    let mut run = RetryRun::new(None);
    let result = block_on(registry.retry(&put, "t"));
    assert!(
        matches!(result, Err(ChangeError::Registry(_))),
        "{result:?}"
    );
    run.add(put.clone(), result);
    assert_eq!(run.retry, vec![put.clone()], "{run:?}");

    // A 503 to the PUT: it may land; read again it is not there: Check again, and
    // the Undo kept.
    let memory = setup();
    memory.inject(Fault::new(
        Method::Put,
        "manifests/2.0",
        Strike::Before,
        Some(503),
    ));
    let registry = Registry::new("http://r", &memory);
    let mut run = RetryRun::new(None);
    run.add(put.clone(), block_on(registry.retry(&put, "t")));
    assert!(run.retry.is_empty(), "{run:?}");
    assert_eq!(run.unchecked, vec![put.clone()]);
    assert!(!run.undo.is_empty());

    // A reload while Retry ran: what it was running is read again (Check again).
    assert_eq!(
        unchecked_after_reload(Some(vec![put.clone()]), None),
        Some(vec![put])
    );
}

/// Finding 3: an image delete found not applied after a reload may still land (its
/// intent was recorded just before its DELETE): Undo is offered with Retry, and the
/// wording says so.
#[test]
fn an_interrupted_delete_found_not_applied_keeps_undo_with_retry() {
    let memory = setup();
    let intent = delete_image_intent(&memory);
    let offers = offers_for(&memory, &intent);
    assert_eq!(offers.retry, vec![intent.clone()]);
    assert_eq!(offers.undo.len(), 1, "{offers:?}");
    let lines = offers.outcome_lines().join(" ");
    assert!(lines.contains("may still"), "{lines}");
    assert!(lines.contains("Retry"), "{lines}");

    // Undo before it lands: nothing to undo now, and the Undo stays.
    let registry = Registry::new("http://r", &memory);
    let undo = UndoAction::collect(offers.undo.clone()).unwrap();
    let result = block_on(registry.undo(&undo, &|| "u".to_owned()));
    let end = undo_end(&undo, result, false, true);
    let failed = end.failed.expect("kept");
    assert_eq!(
        failed.shortfall(),
        UndoShortfall::NotLanded { some_undone: false }
    );
    assert_eq!(
        left_to_run(Some(vec![intent.clone()]), &end.undone),
        Some(vec![intent.clone()])
    );

    // The DELETE lands: the Undo puts the image and its tags back.
    memory.untag_all("app");
    memory
        .state
        .borrow_mut()
        .manifests
        .get_mut("app")
        .unwrap()
        .remove(&sha256(IMAGE));
    block_on(registry.undo(&undo, &|| "u".to_owned())).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

/// Finding 3, with Retry: the Undo kept in case the first delete lands is replaced
/// by the one of the delete Retry ran, not added to it.
#[test]
fn a_retried_delete_has_one_undo() {
    let memory = setup();
    let intent = delete_image_intent(&memory);
    let offers = offers_for(&memory, &intent);
    let registry = Registry::new("http://r", &memory);
    let mut run = RetryRun::new(UndoAction::collect(offers.undo));
    run.add(intent.clone(), block_on(registry.retry(&intent, "t")));
    assert!(!run.failed, "{run:?}");
    assert_eq!(run.undo.len(), 1, "{run:?}");
    assert!(run.retry.is_empty() && run.unchecked.is_empty());

    // A tag PUT applied though answered 500: its Undo (which tells the 500) replaces
    // the one kept.
    let memory = setup();
    let put = Intent::PutTag {
        repository: repo(),
        tag: tag("2.0"),
        digest: image(),
        before: None,
    };
    let offers = offers_for(&memory, &put);
    assert_eq!(offers.undo.len(), 1);
    memory.inject(Fault::new(
        Method::Put,
        "manifests/2.0",
        Strike::After,
        Some(500),
    ));
    let registry = Registry::new("http://r", &memory);
    let mut run = RetryRun::new(UndoAction::collect(offers.undo));
    run.add(put.clone(), block_on(registry.retry(&put, "t")));
    assert!(!run.failed, "{run:?}");
    assert_eq!(run.undo.len(), 1, "{run:?}");
}

/// Finding 4: an Undo cut short by a reload, done again, finding nothing to undo:
/// undone, unless the change was waiting to land; then the Undo stays.
#[test]
fn an_undo_done_again_keeps_its_undo_while_the_change_may_still_land() {
    let memory = setup();
    let intent = delete_image_intent(&memory);
    let offers = offers_for(&memory, &intent);
    let registry = Registry::new("http://r", &memory);
    let undo = UndoAction::collect(offers.undo).unwrap();

    let result = block_on(registry.undo(&undo, &|| "u".to_owned()));
    let end = undo_end(&undo, result.clone(), true, true);
    assert!(end.failed.is_some(), "the Undo must stay");
    assert!(end.undone.is_empty());

    // Not waiting: what the cut-short undo did is done.
    let end = undo_end(&undo, result, true, false);
    assert_eq!(end.failed, None);
}

/// Finding 5: a retried change cut short again is not "Interrupted: Interrupted: …".
#[test]
fn an_interrupted_retry_is_said_interrupted_once() {
    let once = Offers::title("Add tag app:2.0");
    assert_eq!(once, "Interrupted: Add tag app:2.0");
    assert_eq!(Offers::title(&once), once);
}
