#![cfg(not(target_arch = "wasm32"))]
//! Tag changes against an in-memory registry with distribution 2.8's semantics.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use support::block_on;
use support::memory_registry::{sha256, Fault, MemoryRegistry, Strike};
use support::parse_reference;
use tagdeck::oci::changes::{ChangeError, CopyWork, ReadAgain, RemovalMethod, TagBefore, Written};
use tagdeck::oci::client::{Registry, RemovalWays, TagListing};
use tagdeck::oci::error::RegistryError;
use tagdeck::oci::http::Method;
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};
use tagdeck::wording;

const IMAGE: &[u8] = b"{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n\t\"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\", \"size\": 2},\n\t\"layers\": [{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\", \"size\": 3}]\n}\n";
const OTHER: &[u8] = b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":\"sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\",\"size\":1},\"layers\":[]}";

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

fn tag(name: &str) -> Tag {
    Tag::parse(name).unwrap()
}

fn setup() -> MemoryRegistry {
    let registry = MemoryRegistry::new();
    registry.push("app", "1.0", media::OCI_MANIFEST, IMAGE);
    registry.push("app", "latest", media::OCI_MANIFEST, IMAGE);
    registry.push("app", "old", media::OCI_MANIFEST, OTHER);
    for blob in ["c", "d", "e"] {
        registry.add_blob("app", &format!("sha256:{}", blob.repeat(64)));
    }
    registry
}

/// Adds the tag `new` to the image of 1.0, as the user would: the write Undo undoes.
fn add_new_tag(registry: &Registry<&MemoryRegistry>) -> tagdeck::oci::changes::TagWrite {
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    block_on(registry.put_tag(&repo("app"), &tag("new"), &source, None)).unwrap()
}

/// The digest of `bytes` as the client's type.
fn digest_of(bytes: &[u8]) -> Digest {
    Digest::parse(&sha256(bytes)).unwrap()
}

fn all_tags(memory: &MemoryRegistry, repository: &str) -> Vec<String> {
    memory.state.borrow().tags[repository]
        .keys()
        .cloned()
        .collect()
}

/// Every tag, as a complete listing.
fn listing(memory: &MemoryRegistry, repository: &str) -> TagListing {
    TagListing {
        tags: all_tags(memory, repository),
        may_be_incomplete: false,
    }
}

/// A proxy that serves manifests as `application/json`: the tag is PUT with the
/// document's own mediaType (distribution takes `application/json` for schema 1 and
/// refuses it), and the bytes, so the digest, are unchanged.
#[test]
fn a_proxy_json_content_type_is_put_as_the_documents_media_type() {
    let memory = setup();
    memory.push("app", "1.0", "application/json", IMAGE);
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let write = block_on(registry.put_tag(&repo("app"), &tag("2.0"), &source, None)).unwrap();
    assert_eq!(write.digest.as_str(), sha256(IMAGE));
    assert_eq!(memory.tag_digest("app", "2.0"), Some(sha256(IMAGE)));
    let (stored_type, stored) = memory.state.borrow().manifests["app"][&sha256(IMAGE)].clone();
    assert_eq!(stored_type, media::OCI_MANIFEST);
    assert_eq!(stored, IMAGE);

    // Copied, too.
    let (write, _) = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |_| true,
    ))
    .unwrap();
    assert_eq!(write.digest.as_str(), sha256(IMAGE));
    let copied = memory.state.borrow().manifests["copy"][&sha256(IMAGE)].clone();
    assert_eq!(copied.0, media::OCI_MANIFEST);
}

#[test]
fn adding_a_tag_puts_the_exact_bytes_and_verifies() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let write = block_on(registry.put_tag(&repo("app"), &tag("2.0"), &source, None)).unwrap();
    assert_eq!(write.digest.as_str(), sha256(IMAGE));
    assert_eq!(write.before, TagBefore::Absent);
    assert_eq!(memory.tag_digest("app", "2.0"), Some(sha256(IMAGE)));
    let stored = memory.state.borrow().manifests["app"][&sha256(IMAGE)].clone();
    assert_eq!(stored, (media::OCI_MANIFEST.to_string(), IMAGE.to_vec()));
}

#[test]
fn moving_a_tag_needs_consent_and_keeps_what_it_replaced() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let refused = block_on(registry.put_tag(&repo("app"), &tag("old"), &source, None)).unwrap_err();
    match &refused {
        ChangeError::WouldMove { current, new, .. } => {
            assert_eq!(current.as_str(), sha256(OTHER));
            assert_eq!(new.as_str(), sha256(IMAGE));
        }
        other => panic!("{other:?}"),
    }
    assert!(refused.written().is_none());
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));

    let other = digest_of(OTHER);
    let write =
        block_on(registry.put_tag(&repo("app"), &tag("old"), &source, Some(&other))).unwrap();
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(IMAGE)));
    match &write.before {
        TagBefore::Moved(previous) => assert_eq!(previous.bytes, OTHER),
        other => panic!("{other:?}"),
    }

    block_on(registry.undo_tag_write(&write, "t1")).unwrap();
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
}

#[test]
fn removing_one_of_two_tags_keeps_the_other_on_distribution() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap();
    assert_eq!(removal.method, RemovalMethod::Placeholder);
    assert_eq!(removal.kept.tags, ["latest"]);
    assert!(removal.kept.indexes.is_empty());
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    // The placeholder is gone again: only the original manifests remain.
    assert_eq!(memory.state.borrow().manifests["app"].len(), 2);
    assert!(
        memory.was_sent("DELETE /v2/app/manifests/1.0"),
        "tried delete by tag first"
    );

    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn a_registry_whose_tag_delete_takes_the_image_with_every_tag_is_caught_and_undone() {
    let memory = setup();
    memory.take_image_with_tag_deletes();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let error =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap_err();
    assert_eq!(
        memory.tag_digest("app", "latest"),
        None,
        "the registry took it"
    );
    let ChangeError::AfterWrite { cause, .. } = &error else {
        panic!("{error:?}");
    };
    let ChangeError::TagsLost { tags: lost, .. } = cause.as_ref() else {
        panic!("{cause:?}");
    };
    assert_eq!(lost, &["latest"]);
    let line = wording::change_error(&error);
    assert!(
        line.detail.contains("latest pointed at the same image"),
        "{}",
        line.detail
    );
    // Its Undo puts back the lost tag with the removed one.
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("the removal keeps its Undo: {error:?}");
    };
    assert_eq!(removal.tags, [tag("1.0"), tag("latest")]);
    block_on(registry.restore_tags(removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

/// Removes `old` (the only tag of its image) on a registry whose DELETE by tag takes
/// the image, with the image's HEAD failing `failing` times from the read right after
/// the DELETE (a read is asked again once after a 5xx). Returns what the check
/// afterwards found, and the failure as told.
fn remove_only_tag_with_image_reads_failing(
    memory: &MemoryRegistry,
    failing: usize,
) -> (ChangeError, wording::Message) {
    memory.take_image_with_tag_deletes();
    let path = format!("manifests/{}", sha256(OTHER));
    memory.inject(Fault::new(Method::Head, &path, Strike::Before, Some(503)).times(failing));
    let registry = Registry::new("http://r", memory);
    let tags = all_tags(memory, "app");
    let seen = digest_of(OTHER);
    let error = block_on(registry.remove_tag(&repo("app"), &tag("old"), &seen, &tags, "t1"))
        .expect_err("the image went with the tag, or could not be read: never plain done");
    assert!(
        !memory.state.borrow().manifests["app"].contains_key(&sha256(OTHER)),
        "the registry took the image"
    );
    // Either way the Undo is kept, and puts the image back with its tag.
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("the removal keeps its Undo: {error:?}");
    };
    block_on(registry.restore_tags(removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
    let ChangeError::AfterWrite { cause, .. } = &error else {
        panic!("{error:?}");
    };
    (cause.as_ref().clone(), wording::change_error(&error))
}

/// A removal whose image nothing else uses, on a registry whose DELETE by tag takes
/// the image: a failed read right after the DELETE is read again, never "the image
/// stays in the registry".
#[test]
fn a_failed_read_after_a_delete_by_tag_is_read_again_and_finds_the_image_gone() {
    let (cause, line) = remove_only_tag_with_image_reads_failing(&setup(), 2);
    assert!(
        matches!(&cause, ChangeError::TagsLost { tags, .. } if tags.is_empty()),
        "{cause:?}"
    );
    assert_eq!(line.headline, "The registry deleted the image too");
}

/// The same, with the image unreadable again: said as not known, with the Undo.
#[test]
fn an_image_unreadable_after_a_delete_by_tag_is_said_not_known() {
    let (cause, line) = remove_only_tag_with_image_reads_failing(&setup(), 4);
    assert!(
        matches!(&cause, ChangeError::ImageUnread { digest, .. } if *digest == digest_of(OTHER)),
        "{cause:?}"
    );
    assert_eq!(line.headline, "Removed, but the image could not be checked");
    assert!(line.outcome.contains("not known"), "{}", line.outcome);
    assert!(line.advice.contains("Reload"), "{}", line.advice);
}

#[test]
fn undoing_an_added_tag_where_the_registry_takes_the_image_leaves_the_lost_tags_to_put_back() {
    use tagdeck::oci::undo::UndoAction;
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let write = add_new_tag(&registry);
    memory.take_image_with_tag_deletes();
    // Undoing the add removes `new`; the registry takes 1.0 and latest with it.
    let failed =
        block_on(registry.undo(&UndoAction::Revert(write), &|| "u".to_owned())).unwrap_err();
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    let UndoAction::Restore(left) = &failed.left else {
        panic!("left: {:?}", failed.left);
    };
    // What is left puts back the lost tags, never the tag the undo removed.
    assert_eq!(left.tags, [tag("1.0"), tag("latest")]);
    block_on(registry.undo(&failed.left, &|| "u2".to_owned())).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "new"), None);
}

/// A tag added to an untagged image (opened by digest), undone on a registry whose
/// DELETE by tag takes the image: the image is lost with the tag, and what is left to
/// undo puts it back by digest, never "undone" with the image gone.
#[test]
fn undoing_a_tag_on_an_untagged_image_where_the_registry_takes_it_leaves_the_image_to_put_back() {
    use tagdeck::oci::undo::UndoAction;
    let memory = setup();
    let untagged = memory.push_untagged(
        "app",
        media::OCI_MANIFEST,
        b"{\"schemaVersion\":2,\"layers\":[]}",
    );
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference(&untagged))).unwrap();
    let write = block_on(registry.put_tag(&repo("app"), &tag("x"), &source, None)).unwrap();
    memory.take_image_with_tag_deletes();
    let failed =
        block_on(registry.undo(&UndoAction::Revert(write), &|| "u".to_owned())).unwrap_err();
    let exists = || memory.state.borrow().manifests["app"].contains_key(&untagged);
    assert!(!exists(), "the registry took it");
    let UndoAction::Restore(left) = &failed.left else {
        panic!("left: {:?}", failed.left);
    };
    assert!(left.tags.is_empty(), "{:?}", left.tags);
    block_on(registry.undo(&failed.left, &|| "u2".to_owned())).unwrap();
    assert!(exists(), "back by its digest");
    assert_eq!(memory.tag_digest("app", "x"), None);
}

/// Undo again, after an undo that was cut short (a reload, a failure) past some of its
/// writes: what is undone already is left as it is, what is halfway is finished.
#[test]
fn undo_again_after_an_undo_cut_short_finishes_it_without_writing_twice() {
    use tagdeck::oci::undo::UndoAction;
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let other = digest_of(OTHER);
    let moved =
        block_on(registry.put_tag(&repo("app"), &tag("old"), &source, Some(&other))).unwrap();
    let added = block_on(registry.put_tag(&repo("app"), &tag("new"), &source, None)).unwrap();
    // The first undo had put `old` back and removed `new` when the page went away.
    memory.push("app", "old", media::OCI_MANIFEST, OTHER);
    let tags = all_tags(&memory, "app");
    block_on(registry.remove_tag(&repo("app"), &tag("new"), &digest_of(IMAGE), &tags, "u1"))
        .unwrap();
    let writes = memory.sent_count("PUT") + memory.sent_count("DELETE");
    let undone = block_on(
        registry.undo(
            &UndoAction::Batch(
                vec![moved, added]
                    .into_iter()
                    .map(UndoAction::Revert)
                    .collect(),
            ),
            &|| "u2".to_owned(),
        ),
    )
    .unwrap_err();
    // Nothing left to take back: said as such (the activity list, knowing the undo
    // was cut short, counts it undone).
    assert!(
        (undone.failures.iter()).all(|(_, e)| *e == ChangeError::NothingToUndo),
        "{undone:?}"
    );
    assert_eq!(
        memory.sent_count("PUT") + memory.sent_count("DELETE"),
        writes
    );
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
    assert_eq!(memory.tag_digest("app", "new"), None);
}

#[test]
fn undo_again_finishes_an_undo_that_left_the_tag_on_its_placeholder() {
    use tagdeck::oci::undo::UndoAction;
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let added = add_new_tag(&registry);
    // The undo points `new` at its placeholder, then can neither delete the
    // placeholder nor put `new` back: it stops with the tag on the placeholder.
    memory.inject(
        Fault::new(
            Method::Delete,
            "manifests/sha256:",
            Strike::Before,
            Some(500),
        )
        .nth(2),
    );
    memory.inject(Fault::new(Method::Put, "manifests/new", Strike::Before, Some(500)).nth(2));
    let failed =
        block_on(registry.undo(&UndoAction::Revert(added), &|| "u1".to_owned())).unwrap_err();
    let stranded_on = memory
        .tag_digest("app", "new")
        .expect("left on the placeholder");
    assert_ne!(stranded_on, sha256(IMAGE));
    // Finishing it fails once before the registry deletes anything: said as such.
    memory.inject(Fault::new(
        Method::Delete,
        &format!("manifests/{stranded_on}"),
        Strike::Before,
        Some(500),
    ));
    let again = block_on(registry.undo(&failed.left, &|| "u2".to_owned())).unwrap_err();
    let [(_, error)] = &again.failures[..] else {
        panic!("{again:?}");
    };
    assert!(
        matches!(error, ChangeError::NotAppliedAfterFailure { now: ReadAgain::Tag(Some(found)), .. } if found.as_str() == stranded_on),
        "{error:?}"
    );
    // It fails after the registry deleted it, before untagging: `new` points at
    // nothing, which is what the undo wants.
    memory.inject(Fault::new(
        Method::Delete,
        &format!("manifests/{stranded_on}"),
        Strike::BeforeUntag,
        Some(500),
    ));
    block_on(registry.undo(&again.left, &|| "u3".to_owned())).unwrap();
    let now = block_on(registry.resolve_tag(&repo("app"), &tag("new"))).unwrap();
    assert_eq!(now, None);
    assert!(!memory.state.borrow().manifests["app"].contains_key(&stranded_on));
    // The image itself stays, for 1.0 and latest.
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn undo_of_an_added_tag_moved_elsewhere_since_is_still_refused() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let added = add_new_tag(&registry);
    // Someone points `new` at another image: not a placeholder, so never removed.
    memory.push("app", "new", media::OCI_MANIFEST, OTHER);
    let error = block_on(registry.undo_tag_write(&added, "u1")).unwrap_err();
    assert!(
        matches!(error, ChangeError::ChangedMeanwhile { .. }),
        "{error:?}"
    );
    assert_eq!(memory.tag_digest("app", "new"), Some(sha256(OTHER)));
}

#[test]
fn removing_the_only_tag_removes_the_tag_and_keeps_the_image() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(OTHER);
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("old"), &seen, &tags, "t1")).unwrap();
    // Never the image: that is the user's separate, explicit choice.
    assert_eq!(removal.method, RemovalMethod::Placeholder);
    assert!(removal.kept.is_empty());
    assert_eq!(memory.tag_digest("app", "old"), None);
    assert!(memory.state.borrow().manifests["app"].contains_key(&sha256(OTHER)));
    assert!(!memory.was_sent(&format!("DELETE /v2/app/manifests/{}", sha256(OTHER))));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn a_tag_that_moved_since_the_user_looked_is_left_alone() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(OTHER);
    let tags = all_tags(&memory, "app");
    let error = block_on(registry.remove_tag(&repo("app"), &tag("latest"), &seen, &tags, "t1"))
        .unwrap_err();
    match error {
        ChangeError::ChangedMeanwhile {
            expected, found, ..
        } => {
            assert_eq!(expected, seen);
            assert_eq!(found.unwrap().as_str(), sha256(IMAGE));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn with_deletes_disabled_nothing_is_pushed_and_nothing_changes() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = false;
    let registry = Registry::new("http://r", &memory);
    let image = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let manifests_before = memory.state.borrow().manifests["app"].len();
    // A shared tag: the delete by tag is refused, and the registry is asked whether it
    // deletes at all before any placeholder is pushed.
    let shared =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &image, &tags, "t1")).unwrap_err();
    // The only tag of its image: the image delete is refused.
    let other = digest_of(OTHER);
    let only =
        block_on(registry.remove_tag(&repo("app"), &tag("old"), &other, &tags, "t2")).unwrap_err();
    for error in [&shared, &only] {
        assert!(matches!(error, ChangeError::Refused(_)), "{error:?}");
        assert!(
            matches!(error, ChangeError::Refused(cause) if matches!(**cause, RegistryError::Unsupported { .. })),
            "{error:?}"
        );
    }
    assert!(!memory.was_sent("PUT") && !memory.was_sent("POST"));
    assert_eq!(
        memory.state.borrow().manifests["app"].len(),
        manifests_before
    );
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
}

#[test]
fn asked_again_on_request_the_registry_answers_anew() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = false;
    let registry = Registry::new("http://r", &memory);
    assert!(!block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    // Its configuration changed meanwhile: the kept answer stays until asked again.
    memory.state.borrow_mut().deletes_enabled = true;
    assert!(!block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    let before = memory.sent_count("DELETE");
    assert!(block_on(registry.ask_deletes_enabled(&repo("app"))).unwrap());
    assert_eq!(memory.sent_count("DELETE"), before + 1);
    // And the new answer is the one kept.
    assert!(block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    assert_eq!(memory.sent_count("DELETE"), before + 1);
}

#[test]
fn a_registry_read_only_for_now_is_not_remembered_as_one_that_does_not_delete() {
    let memory = setup();
    memory.state.borrow_mut().read_only = true;
    let registry = Registry::new("http://r", &memory);
    let image = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    // A bare 405 is no answer to "does it delete?": the probe fails, nothing is kept.
    let probe = block_on(registry.deletes_enabled(&repo("app"))).unwrap_err();
    assert!(!probe.is_declared_unsupported(), "{probe:?}");
    let refused = block_on(registry.delete_image(
        &repo("app"),
        &image,
        &["1.0".into(), "latest".into()],
        &listing(&memory, "app"),
    ))
    .unwrap_err();
    assert!(matches!(refused, ChangeError::Refused(_)), "{refused:?}");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &image, &tags, "t1")).unwrap_err();
    assert!(
        !memory.was_sent("PUT") && !memory.was_sent("POST"),
        "{removal:?}"
    );
    // Refused, as the probe was: not "could not check".
    assert!(matches!(removal, ChangeError::Refused(_)), "{removal:?}");
    let advice = tagdeck::wording::change_error(&removal).advice;
    assert!(advice.contains("read-only mode"), "{advice}");
    // Writable again: asked anew, and deletes work.
    memory.state.borrow_mut().read_only = false;
    let before = memory.sent_count("DELETE");
    assert!(block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    assert_eq!(memory.sent_count("DELETE"), before + 1);
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn a_tag_delete_refused_in_read_only_mode_is_not_learnt_as_needing_a_placeholder() {
    let memory = setup();
    memory.state.borrow_mut().tag_deletes = true;
    let registry = Registry::new("http://r", &memory);
    // Known from before: this registry deletes.
    assert!(block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    let image = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    memory.state.borrow_mut().read_only = true;
    let refused =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &image, &tags, "t1")).unwrap_err();
    // Said of the user's own request, the DELETE of the tag.
    match &refused {
        ChangeError::Refused(cause) => assert!(cause.to_string().contains("/manifests/1.0")),
        other => panic!("{other:?}"),
    }
    memory.state.borrow_mut().read_only = false;
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &image, &tags, "t2")).unwrap();
    assert_eq!(removal.method, RemovalMethod::TagDelete);
    assert!(!memory.was_sent("PUT"));
}

#[test]
fn whether_a_registry_deletes_is_asked_once_and_a_failure_to_ask_is_not_kept() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = false;
    // The probe's first try fails (500): no answer is kept from it.
    memory.inject(Fault::new(
        Method::Delete,
        "manifests/sha256:",
        Strike::Before,
        Some(500),
    ));
    let registry = Registry::new("http://r", &memory);
    assert!(block_on(registry.deletes_enabled(&repo("app"))).is_err());
    let before = memory.sent_count("DELETE");
    assert!(!block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    let asked = memory.sent_count("DELETE");
    assert_eq!(asked, before + 1, "asked again after the failure");
    // Asked again (a bulk removal asks before it starts, its removals after it): the
    // answer is kept, and a removal refused by tag asks nothing more.
    assert!(!block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    let image = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let refused =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &image, &tags, "t1")).unwrap_err();
    assert!(matches!(refused, ChangeError::Refused(_)), "{refused:?}");
    // Only the removal's own DELETE by tag was sent.
    assert_eq!(memory.sent_count("DELETE"), asked + 1);
}

#[test]
fn the_views_are_told_once_when_a_removal_finds_the_registry_does_not_delete() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = false;
    let ways = RemovalWays::default();
    let told = Rc::new(Cell::new(0));
    ways.on_deletes_learnt({
        let told = told.clone();
        move || told.set(told.get() + 1)
    });
    let registry = Registry::new("http://r", &memory).sharing_removal_ways(ways.clone());
    assert_eq!(ways.deletes(), None, "nothing asked yet");
    // A single tag's removal: refused by tag, then the registry asked whether it deletes.
    let image = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let refused =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &image, &tags, "t1")).unwrap_err();
    assert!(matches!(refused, ChangeError::Refused(_)), "{refused:?}");
    assert_eq!(ways.deletes(), Some(false));
    assert_eq!(told.get(), 1);
    // Asked again: the kept answer, nobody told twice.
    assert!(!block_on(registry.deletes_enabled(&repo("app"))).unwrap());
    assert_eq!(told.get(), 1);

    // Another tab: an image deleted with its only tag, refused as unsupported,
    // teaches the same without a probe.
    let ways = RemovalWays::default();
    let registry = Registry::new("http://r", &memory).sharing_removal_ways(ways.clone());
    let before = memory.sent_count("DELETE");
    let refused = block_on(registry.delete_image(
        &repo("app"),
        &digest_of(OTHER),
        &["old".into()],
        &listing(&memory, "app"),
    ))
    .unwrap_err();
    assert!(matches!(refused, ChangeError::Refused(_)), "{refused:?}");
    assert_eq!(
        memory.sent_count("DELETE"),
        before + 1,
        "the image delete only"
    );
    assert_eq!(ways.deletes(), Some(false));
}

#[test]
fn a_registry_that_deletes_tags_removes_just_the_tag() {
    let memory = setup();
    memory.state.borrow_mut().tag_deletes = true;
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("latest"), &seen, &tags, "t1")).unwrap();
    assert_eq!(removal.method, RemovalMethod::TagDelete);
    assert_eq!(memory.tag_digest("app", "latest"), None);
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert!(!memory.was_sent("PUT"));
}

#[test]
fn tagging_with_a_name_that_already_points_there_changes_nothing_and_undo_keeps_it() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let write = block_on(registry.put_tag(&repo("app"), &tag("latest"), &source, None)).unwrap();
    assert_eq!(write.before, TagBefore::SameImage);
    assert!(!write.changed());
    block_on(registry.undo_tag_write(&write, "t1")).unwrap();
    // "latest" existed before the write: undoing it must not remove it.
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    assert!(!memory.was_sent("PUT"));
}

#[test]
fn undo_of_a_removal_never_overwrites_a_tag_made_since() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap();
    memory.push("app", "1.0", media::OCI_MANIFEST, OTHER);
    let error = block_on(registry.restore_tags(&removal)).unwrap_err();
    assert!(
        matches!(&error, ChangeError::Recreated { tag, .. } if tag == "1.0"),
        "{error:?}"
    );
    assert!(error.written().is_none());
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(OTHER)));
}

/// An index listing IMAGE as its one platform, as `docker buildx` pushes next to
/// per-platform tags.
fn push_index_of_image(memory: &MemoryRegistry) {
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        media::OCI_INDEX,
        media::OCI_MANIFEST,
        sha256(IMAGE),
        IMAGE.len()
    );
    memory.push("app", "multi", media::OCI_INDEX, index.as_bytes());
}

#[test]
fn a_platform_of_a_multi_arch_image_is_never_deleted_with_its_last_tag() {
    let memory = setup();
    push_index_of_image(&memory);
    memory.untag("app", "latest");
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    // "1.0" is now the image's only tag, but the index "multi" lists the image.
    let users = block_on(registry.image_users(&repo("app"), &seen, &tags)).unwrap();
    assert_eq!(users.tags, ["1.0"]);
    assert_eq!(users.indexes, ["multi"]);

    let refused = block_on(registry.delete_image(
        &repo("app"),
        &seen,
        &["1.0".into()],
        &listing(&memory, "app"),
    ))
    .unwrap_err();
    assert!(matches!(&refused, ChangeError::PartOfIndex { indexes, .. } if indexes == &["multi"]));

    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap();
    assert_eq!(removal.method, RemovalMethod::Placeholder);
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    assert!(memory.state.borrow().manifests["app"].contains_key(&sha256(IMAGE)));
}

#[test]
fn a_platform_listed_by_an_index_of_indexes_is_in_use_too() {
    // "nested" → outer index → inner index (untagged) → IMAGE.
    let memory = setup();
    let index_of = |media_type: &str, digest: &str, size: usize| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{media_type}","digest":"{digest}","size":{size},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            media::OCI_INDEX,
        )
    };
    let inner = index_of(media::OCI_MANIFEST, &sha256(IMAGE), IMAGE.len());
    let inner_digest = memory.push_untagged("app", media::OCI_INDEX, inner.as_bytes());
    let outer = index_of(media::OCI_INDEX, &inner_digest, inner.len());
    memory.push("app", "nested", media::OCI_INDEX, outer.as_bytes());
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let users = block_on(registry.image_users(&repo("app"), &seen, &tags)).unwrap();
    assert_eq!(users.indexes, ["nested"]);
    let inner_users =
        block_on(registry.image_users(&repo("app"), &Digest::parse(&inner_digest).unwrap(), &tags))
            .unwrap();
    assert_eq!(inner_users.indexes, ["nested"]);

    let refused = block_on(registry.delete_image(
        &repo("app"),
        &seen,
        &["1.0".into(), "latest".into()],
        &listing(&memory, "app"),
    ))
    .unwrap_err();
    assert!(
        matches!(&refused, ChangeError::PartOfIndex { indexes, .. } if indexes == &["nested"]),
        "{refused:?}"
    );
    assert!(memory.state.borrow().manifests["app"].contains_key(&sha256(IMAGE)));
}

#[test]
fn a_repository_with_more_than_a_thousand_multi_arch_tags_still_says_who_uses_an_image() {
    // Every index a tag names is read, however many: only nested ones are bounded.
    let memory = setup();
    for i in 0..1001 {
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{}}}],"annotations":{{"n":"{i}"}}}}"#,
            media::OCI_INDEX,
            media::OCI_MANIFEST,
            sha256(IMAGE),
            IMAGE.len()
        );
        memory.push(
            "app",
            &format!("nightly-{i}"),
            media::OCI_INDEX,
            index.as_bytes(),
        );
    }
    let registry = Registry::new("http://r", &memory);
    let tags = all_tags(&memory, "app");
    let users = block_on(registry.image_users(&repo("app"), &digest_of(IMAGE), &tags)).unwrap();
    assert_eq!(users.indexes.len(), 1001);
}

#[test]
fn a_tag_someone_else_removed_meanwhile_is_not_taken_for_one_the_registry_took() {
    // latest goes by someone else's DELETE while 1.0 is removed here; the image stays.
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let users =
        block_on(registry.image_users(&repo("app"), &seen, &all_tags(&memory, "app"))).unwrap();
    memory.untag("app", "latest");
    let error = block_on(registry.verify_kept(&repo("app"), &seen, &users)).unwrap_err();
    assert!(
        matches!(&error, ChangeError::NotApplied { tag, found: None, .. } if tag == "latest"),
        "{error:?}"
    );
}

#[test]
fn deleting_an_image_stops_when_its_tags_are_not_those_confirmed() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let digest = digest_of(IMAGE);
    let confirmed = ["1.0".to_string(), "latest".to_string()];
    memory.push("app", "new", media::OCI_MANIFEST, IMAGE);
    let error = block_on(registry.delete_image(
        &repo("app"),
        &digest,
        &confirmed,
        &listing(&memory, "app"),
    ))
    .unwrap_err();
    match &error {
        ChangeError::TagsChangedMeanwhile { now, .. } => assert_eq!(now, &["1.0", "latest", "new"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(memory.tag_digest("app", "new"), Some(sha256(IMAGE)));
}

#[test]
fn undoing_the_delete_of_an_image_no_tag_names_puts_it_back_by_digest() {
    // A referrer pushed by digest (an SBOM): no tag to put back, only the manifest.
    let memory = setup();
    let sbom = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"digest":"sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee","size":1},"layers":[]}"#;
    let untagged = memory.push_untagged("app", media::OCI_MANIFEST, sbom);
    let registry = Registry::new("http://r", &memory);
    let digest = Digest::parse(&untagged).unwrap();
    let exists = || block_on(registry.manifest_head(&repo("app"), digest.clone())).is_ok();
    let tags = listing(&memory, "app");
    let removal = block_on(registry.delete_image(&repo("app"), &digest, &[], &tags)).unwrap();
    assert!(removal.tags.is_empty());
    assert!(!exists(), "deleted");
    block_on(registry.restore_tags(&removal)).unwrap();
    assert!(exists(), "put back under its digest");
    // Undo again: already there, so nothing is written.
    let puts = || memory.sent_count("PUT");
    let before = puts();
    let again = block_on(registry.restore_tags(&removal)).unwrap_err();
    assert_eq!(again, ChangeError::NothingToUndo);
    assert_eq!(puts(), before);
}

#[test]
fn deleting_an_image_lists_and_takes_every_tag() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let digest = digest_of(IMAGE);
    let tags = listing(&memory, "app");
    let refused =
        block_on(registry.delete_image(&repo("app"), &digest, &["1.0".into()], &tags)).unwrap_err();
    assert!(
        matches!(refused, ChangeError::TagsChangedMeanwhile { ref now, .. } if now == &["1.0", "latest"])
    );
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    let removal = block_on(registry.delete_image(
        &repo("app"),
        &digest,
        &["1.0".into(), "latest".into()],
        &tags,
    ))
    .unwrap();
    assert_eq!(removal.tags.len(), 2);
    assert_eq!(memory.tag_digest("app", "latest"), None);
    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn a_copy_whose_last_read_fails_after_its_blobs_were_mounted_never_says_nothing_was_written() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    // The target tag is read before the first write and again just before the tag's
    // PUT: that second read fails, after the blobs went in.
    memory.inject(
        Fault::new(
            Method::Head,
            "v2/copy/manifests/1.0",
            Strike::Before,
            Some(503),
        )
        .nth(2)
        .times(5),
    );
    let error = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |_| true,
    ))
    .unwrap_err();
    assert!(
        matches!(error, ChangeError::CopyStopped { .. }),
        "{error:?}"
    );
    assert_eq!(memory.tag_digest("copy", "1.0"), None);
    let words = wording::change_error(&error);
    assert!(
        words
            .outcome
            .starts_with("No tag was changed. Blobs and platform manifests"),
        "{}",
        words.outcome
    );
}

#[test]
fn copy_mounts_blobs_and_skips_present_ones() {
    let memory = setup();
    memory.add_blob("copy", &format!("sha256:{}", "c".repeat(64)));
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let mut steps = Vec::new();
    let (write, report) = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |s| {
            steps.push(s);
            true
        },
    ))
    .unwrap();
    assert_eq!(write.digest.as_str(), sha256(IMAGE));
    assert_eq!(
        (report.already_present, report.mounted, report.uploaded),
        (1, 1, 0)
    );
    assert_eq!(memory.tag_digest("copy", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(steps.last().unwrap().done, steps.last().unwrap().total);
    assert_eq!((report.manifests, report.manifests_present), (1, 0));
    // Copied again: everything is there, and the report says nothing was written.
    let (again, report) = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |_| true,
    ))
    .unwrap();
    assert!(!again.changed());
    assert_eq!(
        (report.mounted, report.uploaded, report.manifests),
        (0, 0, 0)
    );
    assert_eq!(report.manifests_present, 1);
}

#[test]
fn a_copy_onto_a_tag_of_another_image_asks_before_it_writes_anything() {
    let memory = setup();
    memory.push("copy", "1.0", media::OCI_MANIFEST, OTHER);
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let refused = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |_| true,
    ))
    .unwrap_err();
    assert!(
        matches!(&refused, ChangeError::WouldMove { current, .. } if current.as_str() == sha256(OTHER)),
        "{refused:?}"
    );
    let writes: Vec<String> = memory
        .state
        .borrow()
        .log
        .iter()
        .filter(|line| !line.starts_with("GET") && !line.starts_with("HEAD"))
        .cloned()
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    // Confirmed, it moves the tag, and keeps what it replaced for Undo.
    let other = digest_of(OTHER);
    let (write, _) = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        Some(&other),
        |_| true,
    ))
    .unwrap();
    assert_eq!(write.moved_from(), Some(&other));
    assert_eq!(memory.tag_digest("copy", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn copying_a_nested_index_puts_children_before_parents_and_skips_what_is_there() {
    let memory = setup();
    push_index_of_image(&memory);
    let inner = sha256(
        &memory.state.borrow().manifests["app"][&memory.tag_digest("app", "multi").unwrap()].1,
    );
    let inner_bytes = memory.state.borrow().manifests["app"][&inner].1.clone();
    // An index that lists the index "multi" (as some tools nest attestation indexes).
    let outer = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{inner}","size":{}}}]}}"#,
        media::OCI_INDEX,
        media::OCI_INDEX,
        inner_bytes.len()
    );
    memory.push("app", "outer", media::OCI_INDEX, outer.as_bytes());
    // The target already has the image manifest itself.
    memory
        .state
        .borrow_mut()
        .manifests
        .entry("copy".into())
        .or_default()
        .insert(sha256(IMAGE), (media::OCI_MANIFEST.into(), IMAGE.to_vec()));
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("outer"))).unwrap();
    memory.state.borrow_mut().log.clear();
    let mut steps = Vec::new();
    let (write, report) = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("outer"),
        None,
        |step| {
            steps.push(step.what);
            true
        },
    ))
    .unwrap();
    // Each manifest step is named by the platform an index lists it as, if any.
    let manifests: Vec<(String, Option<String>)> = steps
        .into_iter()
        .filter_map(|what| match what {
            CopyWork::Manifest { digest, platform } => Some((digest.to_string(), platform)),
            _ => None,
        })
        .collect();
    assert!(
        manifests.contains(&(sha256(IMAGE), Some("linux/amd64".to_owned()))),
        "{manifests:?}"
    );
    assert!(manifests.contains(&(inner.clone(), None)), "{manifests:?}");
    assert_eq!(write.digest.as_str(), sha256(outer.as_bytes()));
    assert_eq!((report.manifests, report.manifests_present), (2, 1));
    assert_eq!(report.mounted, 2, "the image's config and layer");
    let puts: Vec<String> = memory
        .state
        .borrow()
        .log
        .iter()
        .filter(|l| l.starts_with("PUT /v2/copy/manifests/"))
        .cloned()
        .collect();
    assert_eq!(
        puts,
        [
            format!("PUT /v2/copy/manifests/{inner}"),
            "PUT /v2/copy/manifests/outer".to_string()
        ]
    );
    assert_eq!(
        memory.tag_digest("copy", "outer"),
        Some(sha256(outer.as_bytes()))
    );
}

/// An index that lists a platform both directly and through a nested index: the
/// platform is PUT before the nested index (the registry refuses an index whose
/// manifests it does not have), however the walk first met it.
#[test]
fn copying_an_index_that_lists_a_platform_at_two_depths_puts_it_first() {
    let memory = setup();
    push_index_of_image(&memory);
    let multi = memory.tag_digest("app", "multi").unwrap();
    let multi_len = memory.state.borrow().manifests["app"][&multi].1.len();
    let outer = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"{}","digest":"{multi}","size":{multi_len}}}]}}"#,
        media::OCI_INDEX,
        media::OCI_MANIFEST,
        sha256(IMAGE),
        IMAGE.len(),
        media::OCI_INDEX,
    );
    memory.push("app", "outer", media::OCI_INDEX, outer.as_bytes());
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("outer"))).unwrap();
    memory.state.borrow_mut().log.clear();
    let copied = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("outer"),
        None,
        |_| true,
    ));
    let puts: Vec<String> = memory
        .state
        .borrow()
        .log
        .iter()
        .filter(|l| l.starts_with("PUT /v2/copy/manifests/"))
        .cloned()
        .collect();
    let (write, report) = copied.unwrap();
    assert_eq!(write.digest.as_str(), sha256(outer.as_bytes()));
    assert_eq!((report.manifests, report.manifests_present), (3, 0));
    assert_eq!(
        puts,
        [
            format!("PUT /v2/copy/manifests/{}", sha256(IMAGE)),
            format!("PUT /v2/copy/manifests/{multi}"),
            "PUT /v2/copy/manifests/outer".to_string()
        ]
    );
    assert_eq!(
        memory.tag_digest("copy", "outer"),
        Some(sha256(outer.as_bytes()))
    );
}

#[test]
fn a_copy_that_cannot_upload_a_blob_abandons_the_upload_session() {
    let memory = setup();
    // The source lacks the layer blob: the mount is refused and so is the download.
    memory
        .state
        .borrow_mut()
        .blobs
        .get_mut("app")
        .unwrap()
        .remove(&format!("sha256:{}", "d".repeat(64)));
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("1.0"))).unwrap();
    let error = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |_| true,
    ))
    .unwrap_err();
    assert!(
        matches!(&error, ChangeError::CopyStopped { cause, at: CopyWork::Blob(_) } if matches!(**cause, ChangeError::Registry(RegistryError::NotFound { .. }))),
        "{error:?}"
    );
    assert!(error.written().is_none());
    assert!(memory.was_sent("DELETE /v2/copy/blobs/uploads/"));
    assert_eq!(memory.tag_digest("copy", "1.0"), None);
}

#[test]
fn undo_data_survives_a_trip_through_storage_and_altered_bytes_are_refused() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap();
    let json = serde_json::to_string(&removal).unwrap();
    let back: tagdeck::oci::changes::Removal = serde_json::from_str(&json).unwrap();
    assert_eq!(back, removal);
    assert_eq!(
        back.manifest.bytes, IMAGE,
        "the exact bytes, tabs and newlines included"
    );
    block_on(registry.restore_tags(&back)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));

    let altered = json.replacen("schemaVersion", "schemaversion", 1);
    assert!(serde_json::from_str::<tagdeck::oci::changes::Removal>(&altered).is_err());
    let bad_name = json.replacen("\"1.0\"", "\"-bad\"", 1);
    assert!(serde_json::from_str::<tagdeck::oci::changes::Removal>(&bad_name).is_err());
}

#[test]
fn users_of_many_images_are_found_with_one_look_at_each_tag() {
    let memory = setup();
    push_index_of_image(&memory);
    let registry = Registry::new("http://r", &memory);
    let image = digest_of(IMAGE);
    let index = Digest::parse(&memory.tag_digest("app", "multi").unwrap()).unwrap();
    let tags = all_tags(&memory, "app");
    memory.state.borrow_mut().log.clear();
    let users =
        block_on(registry.users_of_images(&repo("app"), &[image.clone(), index.clone()], &tags))
            .unwrap();
    // The index is itself one of the images asked about, and still counts as a user
    // of the platform it lists.
    assert_eq!(users[&image].tags, ["1.0", "latest"]);
    assert_eq!(users[&image].indexes, ["multi"]);
    assert_eq!(users[&index].tags, ["multi"]);
    assert!(users[&index].indexes.is_empty());
    let log = memory.state.borrow().log.clone();
    assert_eq!(
        log.iter().filter(|l| l.starts_with("HEAD")).count(),
        tags.len()
    );
    assert_eq!(
        log.iter().filter(|l| l.starts_with("GET")).count(),
        1,
        "{log:?}"
    );
}

#[test]
fn every_placeholder_uploads_a_layer_of_its_own() {
    use tagdeck::oci::changes::empty_layer;
    use tagdeck::oci::names::Tag;
    let tag = Tag::parse("v1").unwrap();
    let one = empty_layer(&tag, "a1b2");
    let other = empty_layer(&tag, "c3d4");
    let another_tag = empty_layer(&Tag::parse("v2").unwrap(), "a1b2");
    // Distinct blobs: concurrent placeholders never upload the same digest.
    assert_ne!(one, other);
    assert_ne!(one, another_tag);
    // Still the gzip of the empty tar: the header says a comment follows, and the
    // deflate stream with its CRC-32 and size (of 1024 zero bytes) is unchanged.
    assert_eq!(&one[..3], &[0x1f, 0x8b, 8]);
    assert_eq!(one[3] & 0x10, 0x10);
    let comment_end = 10 + one[10..].iter().position(|b| *b == 0).unwrap();
    assert_eq!(
        std::str::from_utf8(&one[10..comment_end]).unwrap(),
        "tagdeck placeholder v1 a1b2"
    );
    let body = &one[comment_end + 1..];
    assert_eq!(body.len(), 19);
    assert_eq!(&body[body.len() - 4..], &1024u32.to_le_bytes());
    // A hostile marker cannot end the comment early or smuggle bytes in.
    let odd = empty_layer(&tag, "x\0y\u{e9}z");
    let zeros = |layer: &[u8]| layer.iter().filter(|b| **b == 0).count();
    assert_eq!(zeros(&odd), zeros(&one));
}

/// Between the check that a tag still points at what the user saw and the
/// placeholder's PUT come a DELETE by tag, the deletes check, blob uploads and the
/// wait for the one placeholder cycle at a time: CI may push the tag meanwhile. The
/// placeholder must not take the new image's tag (Undo would then put the old one back).
#[test]
fn a_tag_pushed_elsewhere_while_its_removal_readied_the_placeholder_is_left_alone() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    // CI pushes 1.0 to another image while the placeholder's blobs go up.
    memory.meanwhile((Method::Post, "blobs/uploads", 1), |m| {
        m.push("app", "1.0", media::OCI_MANIFEST, OTHER);
    });
    let error =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap_err();
    assert!(
        matches!(&error, ChangeError::ChangedMeanwhile { expected, found: Some(found), .. }
            if *expected == seen && found.as_str() == sha256(OTHER)),
        "{error:?}"
    );
    assert!(error.written().is_none(), "{error:?}");
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(OTHER)));
    assert!(!memory.was_sent("PUT /v2/app/manifests/1.0"));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

/// The placeholder could not be deleted, and someone pushed the tag to a third image
/// meanwhile: the roll-back puts the old image back only over the placeholder (or
/// nothing), never over what someone else pushed; said as a change meanwhile.
#[test]
fn a_roll_back_never_overwrites_a_tag_someone_else_pushed_meanwhile() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(&memory, "app");
    // DELETEs by digest: the 1st is the deletes check, the 2nd the placeholder's.
    memory.inject(
        Fault::new(
            Method::Delete,
            "manifests/sha256:",
            Strike::Before,
            Some(500),
        )
        .nth(2),
    );
    memory.meanwhile((Method::Delete, "manifests/sha256:", 2), |m| {
        m.push("app", "1.0", media::OCI_MANIFEST, OTHER);
    });
    let error =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap_err();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(OTHER)));
    assert_eq!(
        memory.sent_count("PUT /v2/app/manifests/1.0"),
        1,
        "the placeholder's PUT only"
    );
    let ChangeError::AfterWrite { cause, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(cause.as_ref(), ChangeError::ChangedMeanwhile { found: Some(found), .. }
            if found.as_str() == sha256(OTHER)),
        "{cause:?}"
    );
    let told = wording::change_error(&error);
    assert!(!told.outcome.starts_with("Nothing was changed"), "{told:?}");
    // Its Undo does not overwrite the new push either.
    let Some(Written::Removal(removal)) = error.written() else {
        panic!("no undo: {error:?}");
    };
    let undo = block_on(registry.restore_tags(removal)).unwrap_err();
    assert!(matches!(undo, ChangeError::Recreated { .. }), "{undo:?}");
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(OTHER)));
}

/// With `latest` untagged, IMAGE (also tagged 1.0) is in use by the index `multi`
/// alone, served as `content_type`: deleting the image is refused, 1.0 left as it is.
fn image_in_use_by_multi_only(memory: &MemoryRegistry, content_type: &str) {
    memory.untag("app", "latest");
    let registry = Registry::new("http://r", memory);
    let seen = digest_of(IMAGE);
    let tags = all_tags(memory, "app");
    let users = block_on(registry.image_users(&repo("app"), &seen, &tags)).unwrap();
    assert_eq!(users.indexes, ["multi"], "{content_type:?}");
    let refused = block_on(registry.delete_image(
        &repo("app"),
        &seen,
        &["1.0".into()],
        &listing(memory, "app"),
    ))
    .unwrap_err();
    assert!(
        matches!(&refused, ChangeError::PartOfIndex { indexes, .. } if indexes == &["multi"]),
        "{content_type:?}: {refused:?}"
    );
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

/// A registry may send a multi-arch image's Content-Type with parameters, or in
/// another case: it is an index all the same, and the platforms it lists are in use.
#[test]
fn a_multi_arch_image_served_with_a_parameter_or_in_upper_case_still_lists_its_platforms() {
    for content_type in [
        format!("{}; charset=utf-8", media::OCI_INDEX),
        media::OCI_INDEX.to_ascii_uppercase(),
    ] {
        let memory = setup();
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            media::OCI_MANIFEST,
            sha256(IMAGE),
            IMAGE.len()
        );
        memory.push("app", "multi", &content_type, index.as_bytes());
        image_in_use_by_multi_only(&memory, &content_type);
    }
}

/// The Undo of an image delete reads every tag first, then puts them back one by
/// one (40 tags take a while): a tag pushed meanwhile, before its own PUT, is read
/// again just before that PUT and never overwritten.
#[test]
fn an_undo_never_overwrites_a_tag_pushed_between_its_check_and_its_put() {
    let deleted = |memory: &MemoryRegistry| {
        let registry = Registry::new("http://r", memory);
        let confirmed = ["1.0".into(), "latest".into()];
        let tags = listing(memory, "app");
        block_on(registry.delete_image(&repo("app"), &digest_of(IMAGE), &confirmed, &tags)).unwrap()
    };
    // CI pushes latest while 1.0 goes back: 1.0 is back, latest is left as pushed.
    let memory = setup();
    let removal = deleted(&memory);
    memory.meanwhile((Method::Put, "manifests/1.0", 1), |m| {
        m.push("app", "latest", media::OCI_MANIFEST, OTHER);
    });
    let registry = Registry::new("http://r", &memory);
    let error = block_on(registry.restore_tags(&removal)).unwrap_err();
    let ChangeError::PartlyRestored { restored, cause } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(restored, &["1.0"]);
    assert!(
        matches!(cause.as_ref(), ChangeError::Recreated { tag, found }
            if tag == "latest" && found.as_str() == sha256(OTHER)),
        "{cause:?}"
    );
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(OTHER)));
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));

    // Pushed after the check read it, before anything was put back: nothing written.
    let memory = setup();
    let removal = deleted(&memory);
    memory.meanwhile((Method::Head, "manifests/latest", 1), |m| {
        m.push("app", "1.0", media::OCI_MANIFEST, OTHER);
    });
    let puts = memory.sent_count("PUT");
    let registry = Registry::new("http://r", &memory);
    let error = block_on(registry.restore_tags(&removal)).unwrap_err();
    assert!(
        matches!(&error, ChangeError::Recreated { tag, .. } if tag == "1.0"),
        "{error:?}"
    );
    assert_eq!(memory.sent_count("PUT"), puts, "nothing put back");
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(OTHER)));
}

/// An index listing one platform many times (a hostile 4 MiB index can list one
/// digest 40,000 times): each distinct manifest below is read once.
#[test]
fn a_copy_reads_a_child_listed_many_times_once() {
    let memory = setup();
    let entry = format!(
        r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#,
        media::OCI_MANIFEST,
        sha256(IMAGE),
        IMAGE.len()
    );
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{}]}}"#,
        media::OCI_INDEX,
        vec![entry; 500].join(",")
    );
    memory.push("app", "multi", media::OCI_INDEX, index.as_bytes());
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("multi"))).unwrap();
    block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("multi"),
        None,
        |_| true,
    ))
    .unwrap();
    assert_eq!(
        memory.sent_count(&format!("GET /v2/app/manifests/{}", sha256(IMAGE))),
        1
    );
    assert_eq!(
        memory.tag_digest("copy", "multi"),
        Some(sha256(index.as_bytes()))
    );
}

/// The manifests below an index are held in memory for the copy: past a total size
/// (distinct manifests of up to 4 MiB each, a thousand of them allowed) the copy
/// stops with a clear error before it writes anything.
#[test]
fn a_copy_of_an_index_whose_manifests_below_are_too_large_in_total_writes_nothing() {
    let memory = setup();
    let pad = "x".repeat(3_900_000);
    let mut entries = Vec::new();
    for n in 0..18 {
        let image = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"sha256:{}","size":2}},"layers":[],"annotations":{{"n":"{n}","pad":"{pad}"}}}}"#,
            media::OCI_MANIFEST,
            media::OCI_CONFIG,
            "c".repeat(64)
        );
        let digest = memory.push_untagged("app", media::OCI_MANIFEST, image.as_bytes());
        entries.push(format!(
            r#"{{"mediaType":"{}","digest":"{digest}","size":{}}}"#,
            media::OCI_MANIFEST,
            image.len()
        ));
    }
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{}]}}"#,
        media::OCI_INDEX,
        entries.join(",")
    );
    memory.push("app", "huge", media::OCI_INDEX, index.as_bytes());
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), parse_reference("huge"))).unwrap();
    memory.state.borrow_mut().log.clear();
    let error = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("huge"),
        None,
        |_| true,
    ))
    .unwrap_err();
    let writes: Vec<String> = memory
        .state
        .borrow()
        .log
        .iter()
        .filter(|line| !line.starts_with("GET") && !line.starts_with("HEAD"))
        .cloned()
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(memory.tag_digest("copy", "huge"), None);
    let told = wording::change_error(&error);
    assert_eq!(told.headline, "Answer too large", "{told:?}");
    assert!(told.outcome.starts_with("Nothing was changed"), "{told:?}");
}

/// The in-memory registry, but every mount is answered 202 with `location` as the
/// upload session, as a hostile registry might.
struct UploadAt<'a> {
    memory: &'a MemoryRegistry,
    location: &'a str,
}

impl tagdeck::oci::http::HttpClient for &UploadAt<'_> {
    async fn send(
        &self,
        request: tagdeck::oci::http::Request,
    ) -> Result<tagdeck::oci::http::Response, tagdeck::oci::http::TransportFailure> {
        if request.method == Method::Post && request.url.contains("mount=") {
            return Ok(support::response(202, &[("Location", self.location)], b""));
        }
        self.memory.send(request).await
    }
}

/// An upload session's Location must be an upload of the target repository: one that
/// names a manifest, another repository or climbs out with dot segments gets no PUT
/// of the blob and no DELETE to abandon it.
#[test]
fn a_copy_sends_nothing_to_an_upload_location_outside_the_target_uploads() {
    let image = |memory: &MemoryRegistry, layer_readable: bool| {
        let config = memory.add_blob_bytes("app", b"{\"architecture\":\"amd64\"}");
        let layer = if layer_readable {
            memory.add_blob_bytes("app", b"layer bytes")
        } else {
            let digest = format!("sha256:{}", "f".repeat(64));
            memory.add_blob("app", &digest);
            digest
        };
        let bytes = format!(
            "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config}\",\"size\":24}},\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{layer}\",\"size\":11}}]}}",
            media::OCI_MANIFEST
        );
        memory.push("app", "src", media::OCI_MANIFEST, bytes.as_bytes());
    };
    let copy = |location: &str, layer_readable: bool| {
        let memory = MemoryRegistry::new();
        image(&memory, layer_readable);
        let client = UploadAt {
            memory: &memory,
            location,
        };
        let registry = Registry::new("http://r", &client);
        let source = block_on(registry.manifest_get(&repo("app"), parse_reference("src"))).unwrap();
        let copied = block_on(registry.copy_image(
            &repo("app"),
            &source,
            &repo("copy"),
            &tag("1.0"),
            None,
            |_| true,
        ));
        let log = memory.state.borrow().log.clone();
        (copied, log)
    };
    // The registry's own upload location: the copy goes through.
    let (copied, _) = copy("/v2/copy/blobs/uploads/u9?state=x", true);
    assert!(copied.is_ok(), "{copied:?}");
    let manifest = format!("sha256:{}", "a".repeat(64));
    for hostile in [
        format!("/v2/copy/manifests/{manifest}"),
        "/v2/other/blobs/uploads/u1".to_owned(),
        "http://r/v2/copy/blobs/uploadsx/u1".to_owned(),
        "/v2/copy/blobs/uploads/../../manifests/latest".to_owned(),
        "/v2/copy/blobs/uploads/%2e%2E/%2E./manifests/latest".to_owned(),
        "/v2/copy/blobs/uploads/..\\..\\manifests/latest".to_owned(),
    ] {
        for layer_readable in [true, false] {
            let (copied, log) = copy(&hostile, layer_readable);
            let error = copied.unwrap_err();
            assert!(
                matches!(&error, ChangeError::CopyStopped { cause, at: CopyWork::Blob(_) }
                    if matches!(**cause, ChangeError::Registry(RegistryError::Malformed { .. }))),
                "{hostile}: {error:?}"
            );
            assert!(
                !log.iter()
                    .any(|l| l.starts_with("PUT") || l.starts_with("DELETE")),
                "{hostile}: {log:?}"
            );
        }
    }
}

/// A Windows-style image: its base layer is foreign (non-distributable), fetched from
/// its `urls`, and the source repository holds no such blob.
fn push_foreign_layered(memory: &MemoryRegistry, media_type: &str) -> String {
    let bytes = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:{}\",\"size\":2}},\"layers\":[{{\"mediaType\":\"{media_type}\",\"digest\":\"sha256:{}\",\"size\":3,\"urls\":[\"https://example.invalid/base\"]}},{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:{}\",\"size\":3}}]}}",
        media::OCI_MANIFEST,
        "c".repeat(64),
        "9".repeat(64),
        "d".repeat(64)
    );
    memory.push("app", "win", media::OCI_MANIFEST, bytes.as_bytes())
}

/// As crane does: a foreign layer the source does not hold is skipped, not fetched,
/// and the copy has the same digest.
#[test]
fn a_copy_skips_foreign_layers_the_source_does_not_hold() {
    for media_type in [
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    ] {
        let memory = setup();
        let digest = push_foreign_layered(&memory, media_type);
        let registry = Registry::new("http://r", &memory);
        let source = block_on(registry.manifest_get(&repo("app"), parse_reference("win"))).unwrap();
        let copied = block_on(registry.copy_image(
            &repo("app"),
            &source,
            &repo("copy"),
            &tag("win"),
            None,
            |_| true,
        ));
        let (_, report) = copied.unwrap_or_else(|e| panic!("{media_type}: {e:?}"));
        assert_eq!(memory.tag_digest("copy", "win"), Some(digest));
        assert_eq!(report.mounted, 2, "config and the distributable layer");
        assert_eq!(report.foreign_skipped, 1, "{media_type}");
        let said = tagdeck::wording::copy_done(
            "app:1.0",
            &repo("copy"),
            &tag("1.0"),
            &source.digest,
            &report,
        );
        assert!(said.contains("1 layer not copied: foreign"), "{said}");
        assert_eq!((report.already_present, report.uploaded), (0, 0));
        assert!(!memory.was_sent(&format!(
            "POST /v2/copy/blobs/uploads/?mount=sha256:{}",
            "9".repeat(64)
        )));
    }
}

/// A registry (or a proxy before it) may serve a multi-arch image as
/// `application/json`, or with no Content-Type: its document says it is an index, and
/// the platforms it lists are in use all the same.
#[test]
fn a_multi_arch_image_served_as_plain_json_or_untyped_still_lists_its_platforms() {
    for content_type in ["application/json", ""] {
        let memory = setup();
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#,
            media::OCI_INDEX,
            media::OCI_MANIFEST,
            sha256(IMAGE),
            IMAGE.len()
        );
        let multi = memory.push("app", "multi", content_type, index.as_bytes());
        image_in_use_by_multi_only(&memory, content_type);
        let registry = Registry::new("http://r", &memory);
        let (seen, tags) = (digest_of(IMAGE), all_tags(&memory, "app"));

        // Its document cannot be read: who uses the image is not known, never "no one".
        memory.inject(
            Fault::new(
                Method::Get,
                &format!("manifests/{multi}"),
                Strike::Before,
                Some(500),
            )
            .times(10),
        );
        let unknown = block_on(registry.image_users(&repo("app"), &seen, &tags));
        assert!(unknown.is_err(), "{content_type:?}: {unknown:?}");
    }
}

/// An index reached from two tags (one names it, another names an index listing it)
/// is in use by both, and so is what it lists.
#[test]
fn a_platform_under_an_index_reached_from_two_tags_is_in_use_by_both() {
    // "n" → N → IMAGE, and "multi" → A → N.
    let memory = setup();
    let index_of = |media_type: &str, digest: &str, size: usize| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{media_type}","digest":"{digest}","size":{size}}}]}}"#,
            media::OCI_INDEX,
        )
    };
    let n = index_of(media::OCI_MANIFEST, &sha256(IMAGE), IMAGE.len());
    let n_digest = memory.push("app", "n", media::OCI_INDEX, n.as_bytes());
    let a = index_of(media::OCI_INDEX, &n_digest, n.len());
    memory.push("app", "multi", media::OCI_INDEX, a.as_bytes());
    let registry = Registry::new("http://r", &memory);
    let tags = all_tags(&memory, "app");
    let users = block_on(registry.image_users(&repo("app"), &digest_of(IMAGE), &tags)).unwrap();
    assert_eq!(users.indexes, ["multi", "n"]);
    let n_users =
        block_on(registry.image_users(&repo("app"), &Digest::parse(&n_digest).unwrap(), &tags))
            .unwrap();
    assert_eq!(n_users.tags, ["n"]);
    assert_eq!(n_users.indexes, ["multi"]);
    assert_eq!(
        memory.sent_count(&format!("GET /v2/app/manifests/{n_digest}")),
        2,
        "read once per question"
    );
}
