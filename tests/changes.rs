#![cfg(not(target_arch = "wasm32"))]
//! Tag changes against an in-memory registry with distribution 2.8's semantics.

mod support;

use support::block_on;
use support::memory_registry::{sha256, MemoryRegistry};
use tagdeck::oci::changes::{ChangeError, RemovalMethod};
use tagdeck::oci::client::Registry;
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};

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

fn all_tags(memory: &MemoryRegistry, repository: &str) -> Vec<String> {
    memory.state.borrow().tags[repository]
        .keys()
        .cloned()
        .collect()
}

#[test]
fn adding_a_tag_puts_the_exact_bytes_and_verifies() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), "1.0")).unwrap();
    let write = block_on(registry.put_tag(&repo("app"), &tag("2.0"), &source, None)).unwrap();
    assert_eq!(write.digest.as_str(), sha256(IMAGE));
    assert_eq!(write.replaced, None);
    assert_eq!(memory.tag_digest("app", "2.0"), Some(sha256(IMAGE)));
    let stored = memory.state.borrow().manifests["app"][&sha256(IMAGE)].clone();
    assert_eq!(stored, (media::OCI_MANIFEST.to_string(), IMAGE.to_vec()));
}

#[test]
fn moving_a_tag_needs_consent_and_keeps_what_it_replaced() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), "1.0")).unwrap();
    let refused = block_on(registry.put_tag(&repo("app"), &tag("old"), &source, None)).unwrap_err();
    match &refused {
        ChangeError::WouldMove { current, new, .. } => {
            assert_eq!(current.as_str(), sha256(OTHER));
            assert_eq!(new.as_str(), sha256(IMAGE));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(refused.outcome(), "Nothing was changed.");
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));

    let other = Digest::parse(&sha256(OTHER)).unwrap();
    let write =
        block_on(registry.put_tag(&repo("app"), &tag("old"), &source, Some(&other))).unwrap();
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(IMAGE)));
    assert_eq!(write.replaced.as_ref().unwrap().bytes, OTHER);

    block_on(registry.undo_tag_write(&write, "t1")).unwrap();
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
}

#[test]
fn removing_one_of_two_tags_keeps_the_other_on_distribution() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = Digest::parse(&sha256(IMAGE)).unwrap();
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap();
    assert_eq!(removal.method, RemovalMethod::Placeholder);
    assert_eq!(removal.kept, ["latest"]);
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    // The placeholder is gone again: only the original manifests remain.
    assert_eq!(memory.state.borrow().manifests["app"].len(), 2);
    let log = memory.state.borrow().log.clone();
    assert!(
        log.iter().any(|l| l == "DELETE /v2/app/manifests/1.0"),
        "tried delete by tag first"
    );

    block_on(registry.restore_tags(&removal)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
}

#[test]
fn removing_the_only_tag_deletes_the_image() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = Digest::parse(&sha256(OTHER)).unwrap();
    let tags = all_tags(&memory, "app");
    let removal =
        block_on(registry.remove_tag(&repo("app"), &tag("old"), &seen, &tags, "t1")).unwrap();
    assert_eq!(removal.method, RemovalMethod::ImageDelete);
    assert!(removal.kept.is_empty());
    assert_eq!(memory.tag_digest("app", "old"), None);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn a_tag_that_moved_since_the_user_looked_is_left_alone() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let seen = Digest::parse(&sha256(OTHER)).unwrap();
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
fn with_deletes_disabled_the_tag_is_put_back() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = false;
    let registry = Registry::new("http://r", &memory);
    let seen = Digest::parse(&sha256(IMAGE)).unwrap();
    let tags = all_tags(&memory, "app");
    let error =
        block_on(registry.remove_tag(&repo("app"), &tag("1.0"), &seen, &tags, "t1")).unwrap_err();
    // The tag delete and then the placeholder delete are refused (405): the tag
    // is put back and the error says how to enable deletes.
    match &error {
        ChangeError::RolledBack { cause, .. } => {
            assert!(cause.advice().contains("storage.delete.enabled"))
        }
        other => panic!("{other:?}"),
    }
    assert!(error.advice().contains("storage.delete.enabled"));
    assert_eq!(
        error.outcome(),
        "Nothing was changed: the tag was restored."
    );
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn deleting_an_image_lists_and_takes_every_tag() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let digest = Digest::parse(&sha256(IMAGE)).unwrap();
    let tags = all_tags(&memory, "app");
    let refused =
        block_on(registry.delete_image(&repo("app"), &digest, &["1.0".into()], &tags)).unwrap_err();
    assert!(matches!(refused, ChangeError::ChangedMeanwhile { ref tag, .. } if tag == "latest"));
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
fn copy_mounts_blobs_and_skips_present_ones() {
    let memory = setup();
    memory.add_blob("copy", &format!("sha256:{}", "c".repeat(64)));
    let registry = Registry::new("http://r", &memory);
    let source = block_on(registry.manifest_get(&repo("app"), "1.0")).unwrap();
    let mut steps = Vec::new();
    let (write, report) = block_on(registry.copy_image(
        &repo("app"),
        &source,
        &repo("copy"),
        &tag("1.0"),
        None,
        |s| steps.push(s),
    ))
    .unwrap();
    assert_eq!(write.digest.as_str(), sha256(IMAGE));
    assert_eq!(
        (report.already_present, report.mounted, report.uploaded),
        (1, 1, 0)
    );
    assert_eq!(memory.tag_digest("copy", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(steps.last().unwrap().done, steps.last().unwrap().total);
}
