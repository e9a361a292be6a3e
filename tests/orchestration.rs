#![cfg(not(target_arch = "wasm32"))]
//! The rules that run many changes together, against an in-memory registry with
//! distribution 2.8's semantics: batch undo.

mod support;

use support::block_on;
use support::memory_registry::{sha256, MemoryRegistry};
use tagdeck::oci::changes::{ChangeError, TagBefore};
use tagdeck::oci::client::Registry;
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};
use tagdeck::oci::undo::UndoAction;

const IMAGE: &[u8] = b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\",\"size\":2},\"layers\":[]}";
const OTHER: &[u8] = b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\",\"size\":1},\"layers\":[]}";

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

fn tag(name: &str) -> Tag {
    Tag::parse(name).unwrap()
}

fn digest_of(bytes: &[u8]) -> Digest {
    Digest::parse(&sha256(bytes)).unwrap()
}

fn unique() -> String {
    "test".to_owned()
}

/// `app:1.0` and `app:latest` on IMAGE, `app:old` on OTHER.
fn setup() -> MemoryRegistry {
    let registry = MemoryRegistry::new();
    registry.push("app", "1.0", media::OCI_MANIFEST, IMAGE);
    registry.push("app", "latest", media::OCI_MANIFEST, IMAGE);
    registry.push("app", "old", media::OCI_MANIFEST, OTHER);
    registry
}

fn tag_write(
    registry: &Registry<&MemoryRegistry>,
    name: &str,
    bytes: &[u8],
    move_from: Option<&Digest>,
) -> UndoAction {
    let source = block_on(registry.manifest_get(&repo("app"), &sha256(bytes))).unwrap();
    UndoAction::Revert(
        block_on(registry.put_tag(&repo("app"), &tag(name), &source, move_from)).unwrap(),
    )
}

#[test]
fn a_batch_is_undone_last_change_first() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    // x added on IMAGE, then moved to OTHER: only the move's undo, run first, leaves x
    // where the removal's undo expects it.
    let added = tag_write(&registry, "x", IMAGE, None);
    let moved = tag_write(&registry, "x", OTHER, Some(&digest_of(IMAGE)));
    assert_eq!(memory.tag_digest("app", "x"), Some(sha256(OTHER)));

    block_on(registry.undo(&UndoAction::Batch(vec![added, moved]), &unique)).unwrap();
    assert_eq!(memory.tag_digest("app", "x"), None);
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
}

#[test]
fn a_batch_undo_tries_every_item_and_keeps_what_failed() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let a = tag_write(&registry, "a", IMAGE, None);
    let b = tag_write(&registry, "b", IMAGE, None);
    let c = tag_write(&registry, "c", IMAGE, None);
    // b changes meanwhile: its undo must not touch it, the others still run.
    memory.push("app", "b", media::OCI_MANIFEST, OTHER);

    let failed =
        block_on(registry.undo(&UndoAction::Batch(vec![a, b.clone(), c]), &unique)).unwrap_err();
    assert_eq!(memory.tag_digest("app", "a"), None);
    assert_eq!(memory.tag_digest("app", "c"), None);
    assert_eq!(memory.tag_digest("app", "b"), Some(sha256(OTHER)));
    assert_eq!(failed.left, UndoAction::Batch(vec![b]));
    assert_eq!(failed.batch_of, Some(3));
    assert!(matches!(
        failed.failures[..],
        [(_, ChangeError::ChangedMeanwhile { .. })]
    ));
    assert!(
        failed
            .message()
            .starts_with("2 of 3 changes undone; not undone: app:b: b now points at"),
        "{}",
        failed.message()
    );

    // Undo again: b is still not what the change left, so it stays.
    let again = block_on(registry.undo(&failed.left, &unique)).unwrap_err();
    assert_eq!(again.left, failed.left);
}

#[test]
fn a_single_undo_failure_says_what_happened_and_keeps_the_action() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let write = tag_write(&registry, "x", IMAGE, None);
    memory.push("app", "x", media::OCI_MANIFEST, OTHER);
    let failed = block_on(registry.undo(&write, &unique)).unwrap_err();
    assert_eq!(failed.left, write);
    assert_eq!(failed.batch_of, None);
    assert!(
        failed.message().ends_with("Nothing was changed."),
        "{}",
        failed.message()
    );
}

#[test]
fn nested_batches_are_flattened_and_nothing_gives_no_undo() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let a = tag_write(&registry, "a", IMAGE, None);
    let b = tag_write(&registry, "b", IMAGE, None);
    let c = tag_write(&registry, "c", IMAGE, None);

    assert_eq!(UndoAction::collect(Vec::new()), None);
    assert_eq!(
        UndoAction::collect(vec![UndoAction::Batch(vec![a.clone()])]),
        Some(a.clone())
    );
    let collected = UndoAction::collect(vec![
        UndoAction::Batch(vec![a.clone(), b.clone()]),
        c.clone(),
    ])
    .unwrap();
    assert_eq!(collected, UndoAction::Batch(vec![a, b, c]));

    // The flattened batch undoes every item.
    block_on(registry.undo(&collected, &unique)).unwrap();
    for name in ["a", "b", "c"] {
        assert_eq!(memory.tag_digest("app", name), None);
    }
}

#[test]
fn a_tag_that_already_pointed_there_has_nothing_to_undo() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let same = tag_write(&registry, "latest", IMAGE, None);
    match &same {
        UndoAction::Revert(write) => assert_eq!(write.before, TagBefore::SameImage),
        other => panic!("{other:?}"),
    }
    assert!(same.is_noop());
    assert!(UndoAction::Batch(vec![same.clone(), same.clone()]).is_noop());
    let added = tag_write(&registry, "new", IMAGE, None);
    assert!(!UndoAction::Batch(vec![same.clone(), added.clone()]).is_noop());
    assert_eq!(added.subject(), "app:new");
    let touched: Vec<(String, Vec<String>)> = UndoAction::Batch(vec![same, added])
        .touched()
        .into_iter()
        .map(|(r, t)| (r.to_string(), t.iter().map(ToString::to_string).collect()))
        .collect();
    assert_eq!(
        touched,
        [
            ("app".to_owned(), vec!["latest".to_owned()]),
            ("app".to_owned(), vec!["new".to_owned()])
        ]
    );
    // Undo of a no-op write changes nothing.
    block_on(registry.undo(&tag_write(&registry, "latest", IMAGE, None), &unique)).unwrap();
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}
