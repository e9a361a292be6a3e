#![cfg(not(target_arch = "wasm32"))]
//! The rules that run many changes together, against an in-memory registry with
//! distribution 2.8's semantics: bulk tag and bulk removal, batch undo, the removal
//! plan, and what describes a digest in the tag table.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use support::block_on;
use support::memory_registry::{sha256, Fault, MemoryRegistry, Strike};
use support::parse_reference;
use tagdeck::oci::bulk::{BulkRun, ItemFailure, ItemResult};
use tagdeck::oci::changes::{ChangeError, RemovalMethod, TagBefore};
use tagdeck::oci::client::{Registry, RemovalWays};
use tagdeck::oci::http::{HttpClient, Method, Request, Response, TransportFailure};
use tagdeck::oci::image_summary::{first_platform, summarize, ImageKind, SummarySource};
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};
use tagdeck::oci::removal_plan::{ImageDelete, RemovalChoices, RemovalPlan};
use tagdeck::oci::undo::UndoAction;
use tagdeck::wording;

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
    let source =
        block_on(registry.manifest_get(&repo("app"), parse_reference(&sha256(bytes)))).unwrap();
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
fn an_undo_says_where_it_writes_and_whether_it_deletes_there() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    // Undo of an added tag removes it (a delete); of a move, points it back (a PUT);
    // of a removal, puts the tag back (a PUT).
    let added = tag_write(&registry, "x", IMAGE, None);
    let moved = tag_write(&registry, "old", IMAGE, Some(&digest_of(OTHER)));
    let (_, removed) = remove(&registry, &memory, &["latest"], None);
    let app = repo("app");
    assert_eq!(added.writes(), [(&app, true)]);
    assert_eq!(moved.writes(), [(&app, false)]);
    let batch = UndoAction::collect([vec![added, moved], removed].concat()).unwrap();
    assert_eq!(batch.writes(), [(&app, true), (&app, false), (&app, false)]);
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
        wording::undo_failed(&failed)
            .text
            .starts_with("2 of 3 changes undone; not undone: app:b: b now points at"),
        "{}",
        wording::undo_failed(&failed).text
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
        wording::undo_failed(&failed)
            .text
            .ends_with("Nothing was changed."),
        "{}",
        wording::undo_failed(&failed).text
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

// Bulk changes.

/// Runs a bulk change over `chosen` (each with the digest the registry shows now),
/// cancelled once `cancel_after` items have a result; returns each item's result.
fn run_bulk<C: HttpClient>(
    registry: &Registry<C>,
    memory: &MemoryRegistry,
    chosen: &[&str],
    cancel_after: Option<usize>,
    change: impl AsyncFnOnce(&Registry<C>, &BulkRun<'_>) -> Vec<UndoAction>,
) -> (BTreeMap<String, ItemResult>, Vec<UndoAction>) {
    let chosen: Vec<String> = chosen.iter().map(|t| t.to_string()).collect();
    let digests: HashMap<String, Digest> = chosen
        .iter()
        .filter_map(|t| {
            Some((
                t.clone(),
                Digest::parse(&memory.tag_digest("app", t)?).ok()?,
            ))
        })
        .collect();
    let results = RefCell::new(BTreeMap::new());
    let on_item = |tag: &str, result: &ItemResult| {
        results.borrow_mut().insert(tag.to_owned(), result.clone());
    };
    let cancelled = || cancel_after.is_some_and(|n| results.borrow().len() >= n);
    let repository = repo("app");
    let run = BulkRun {
        repository: &repository,
        chosen: &chosen,
        digests: &digests,
        cancelled: &cancelled,
        on_item: &on_item,
    };
    let undo = block_on(change(registry, &run));
    (results.into_inner(), undo)
}

fn add_suffix(
    registry: &Registry<&MemoryRegistry>,
    memory: &MemoryRegistry,
    chosen: &[&str],
) -> (BTreeMap<String, ItemResult>, Vec<UndoAction>) {
    run_bulk(registry, memory, chosen, None, async |registry, run| {
        registry
            .bulk_add_tags(run, &|t| format!("{t}-stable"))
            .await
    })
}

fn remove<C: HttpClient>(
    registry: &Registry<C>,
    memory: &MemoryRegistry,
    chosen: &[&str],
    cancel_after: Option<usize>,
) -> (BTreeMap<String, ItemResult>, Vec<UndoAction>) {
    run_bulk(
        registry,
        memory,
        chosen,
        cancel_after,
        async |registry, run| {
            let removal = registry.bulk_remove_tags(run, &unique).await;
            assert_eq!(
                removal.lost,
                [],
                "what the images were kept for still has them"
            );
            removal.undo
        },
    )
}

fn gets_of(memory: &MemoryRegistry, digest: &str) -> usize {
    let wanted = format!("GET /v2/app/manifests/{digest}");
    memory
        .state
        .borrow()
        .log
        .iter()
        .filter(|l| **l == wanted)
        .count()
}

#[test]
fn bulk_tag_reads_each_image_once_and_says_when_nothing_changed() {
    let memory = setup();
    // 1.0-stable already points at 1.0's image.
    memory.push("app", "1.0-stable", media::OCI_MANIFEST, IMAGE);
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = add_suffix(&registry, &memory, &["1.0", "latest", "old"]);

    assert_eq!(
        gets_of(&memory, &sha256(IMAGE)),
        1,
        "one GET for 1.0 and latest"
    );
    assert_eq!(gets_of(&memory, &sha256(OTHER)), 1);
    assert_eq!(
        memory.tag_digest("app", "latest-stable"),
        Some(sha256(IMAGE))
    );
    assert_eq!(memory.tag_digest("app", "old-stable"), Some(sha256(OTHER)));
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    assert_eq!(
        wording::item_result(&results["1.0"]).text,
        format!(
            "1.0-stable already pointed at {}; nothing changed",
            sha256(IMAGE)
        )
    );
    assert_eq!(
        wording::item_result(&results["old"]).text,
        format!("tagged old-stable → {}", sha256(OTHER))
    );
    // Every item has its undo; the one that changed nothing undoes nothing.
    assert_eq!(undo.len(), 3);
    block_on(registry.undo(&UndoAction::Batch(undo), &unique)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0-stable"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "latest-stable"), None);
    assert_eq!(memory.tag_digest("app", "old-stable"), None);
}

/// The table may show a digest remembered from an earlier visit: a tag moved since is
/// refused, never tagged on the image it used to have.
#[test]
fn bulk_tag_refuses_a_tag_moved_since_it_was_shown() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = run_bulk(
        &registry,
        &memory,
        &["1.0", "old"],
        None,
        async |registry, run| {
            // Shown on IMAGE; someone pushes 1.0 again, now OTHER.
            memory.push("app", "1.0", media::OCI_MANIFEST, OTHER);
            registry
                .bulk_add_tags(run, &|t| format!("{t}-stable"))
                .await
        },
    );
    assert_eq!(
        results["1.0"],
        ItemResult::Failed(ItemFailure::Change(ChangeError::ChangedMeanwhile {
            tag: "1.0".to_owned(),
            expected: digest_of(IMAGE),
            found: Some(digest_of(OTHER)),
        }))
    );
    assert_eq!(memory.tag_digest("app", "1.0-stable"), None);
    assert!(results["old"].is_done());
    assert_eq!(memory.tag_digest("app", "old-stable"), Some(sha256(OTHER)));
    assert_eq!(undo.len(), 1, "only old's tag was written");
}

/// Undoing a bulk tag reads the repository's tags once for the whole batch, not once
/// per tag added (each read looks up every tag: 200 tags added in a 5,000-tag
/// repository were a million requests).
#[test]
fn undoing_a_bulk_tag_reads_the_tags_once_for_the_batch() {
    let memory = setup();
    for n in 0..20 {
        memory.push("app", &format!("build-{n}"), media::OCI_MANIFEST, OTHER);
    }
    let registry = Registry::new("http://r", &memory);
    let chosen = ["1.0", "latest", "old", "build-1", "build-2"];
    let (results, undo) = run_bulk(&registry, &memory, &chosen, None, async |registry, run| {
        registry.bulk_add_tags(run, &|t| format!("{t}-x")).await
    });
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    let heads = |memory: &MemoryRegistry| memory.sent_count("HEAD /v2/app/manifests/");
    let lists = |memory: &MemoryRegistry| memory.sent_count("GET /v2/app/tags/list");
    // The requests of one listing (distribution's list, then a look past its end).
    let before = lists(&memory);
    block_on(registry.tags(&repo("app"), |_| {})).unwrap();
    let one_listing = lists(&memory) - before;
    let (lists_before, heads_before) = (lists(&memory), heads(&memory));
    block_on(registry.undo(&UndoAction::collect(undo).unwrap(), &unique)).unwrap();
    for tag in chosen {
        assert_eq!(
            memory.tag_digest("app", &format!("{tag}-x")),
            None,
            "{tag}-x"
        );
        assert!(memory.tag_digest("app", tag).is_some(), "{tag} stays");
    }
    assert_eq!(lists(&memory) - lists_before, one_listing, "one listing");
    // One lookup of each of the 30 tags, then each item's own reads (before and after
    // its removal, and the check that the image's other tags still have it): fewer
    // than a lookup of every tag per item alone (5 × 30), which the batch made before.
    let sent = heads(&memory) - heads_before;
    assert!(sent < 5 * 30, "{sent} HEADs");
}

#[test]
fn bulk_tag_reports_bad_names_and_unknown_digests_per_item() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = run_bulk(
        &registry,
        &memory,
        &["1.0", "old", "gone"],
        None,
        async |registry, run| {
            registry
                .bulk_add_tags(run, &|t| {
                    if t == "old" {
                        "no/slash".to_owned()
                    } else {
                        format!("{t}-x")
                    }
                })
                .await
        },
    );
    assert!(results["1.0"].is_done());
    assert!(matches!(
        results["old"],
        ItemResult::Failed(ItemFailure::InvalidName(_))
    ));
    assert_eq!(
        wording::item_result(&results["gone"]).text,
        "its digest is not known yet; nothing was changed"
    );
    assert_eq!(undo.len(), 1);
    assert_eq!(memory.tag_digest("app", "old-x"), None);
}

/// An index tagged `multi` listing IMAGE as its platform.
/// Tags `multi` as a multi-arch image of IMAGE; returns its bytes.
fn push_index(memory: &MemoryRegistry) -> Vec<u8> {
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        media::OCI_INDEX,
        media::OCI_MANIFEST,
        sha256(IMAGE),
        IMAGE.len()
    );
    memory.push("app", "multi", media::OCI_INDEX, index.as_bytes());
    index.into_bytes()
}

fn removed(result: &ItemResult) -> &tagdeck::oci::changes::Removal {
    match result {
        ItemResult::Removed(removal) => removal,
        other => panic!("{other:?}"),
    }
}

#[test]
fn bulk_removal_keeps_an_image_for_the_tags_outside_the_selection() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove(&registry, &memory, &["1.0", "old"], None);

    let one = removed(&results["1.0"]);
    assert_eq!(one.kept.tags, ["latest"]);
    assert_eq!(one.method, RemovalMethod::Placeholder);
    assert_eq!(
        wording::item_result(&results["1.0"]).text,
        format!(
            "removed; image {} kept for the other tag latest",
            &sha256(IMAGE)[7..19]
        )
    );
    assert_eq!(
        wording::item_result(&results["old"]).text,
        format!(
            "removed; image {} stays, pullable by digest (no other tag uses it)",
            &sha256(OTHER)[7..19]
        )
    );
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    assert_eq!(memory.tag_digest("app", "old"), None);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    // Never an image: both stay, pullable by digest.
    let manifests = memory.state.borrow().manifests["app"].clone();
    assert!(manifests.contains_key(&sha256(IMAGE)) && manifests.contains_key(&sha256(OTHER)));

    block_on(registry.undo(&UndoAction::Batch(undo), &unique)).unwrap();
    assert_eq!(memory.tag_digest("app", "1.0"), Some(sha256(IMAGE)));
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
}

#[test]
fn bulk_removal_keeps_an_image_a_multi_arch_image_lists() {
    let memory = setup();
    push_index(&memory);
    let registry = Registry::new("http://r", &memory);
    let (results, _) = remove(&registry, &memory, &["1.0", "latest"], None);

    // The first tag removed still counts the second; the second only the index.
    let kept: Vec<_> = ["1.0", "latest"]
        .iter()
        .map(|t| removed(&results[*t]).kept.clone())
        .collect();
    assert_eq!(kept[0].tags, ["latest"]);
    assert!(kept[1].tags.is_empty());
    assert!(kept.iter().all(|k| k.indexes == ["multi"]), "{kept:?}");
    assert!(wording::item_result(&results["latest"])
        .text
        .ends_with("kept for the multi-arch image multi"));
    assert!(memory.state.borrow().manifests["app"].contains_key(&sha256(IMAGE)));
    assert!(memory.tag_digest("app", "multi").is_some());
}

#[test]
fn bulk_removal_lists_the_tags_again_before_removing() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let chosen = ["1.0", "latest"];
    let digests: HashMap<String, Digest> = chosen
        .iter()
        .map(|t| (t.to_string(), digest_of(IMAGE)))
        .collect();
    // Pushed after the page listed the tags: it uses the image too.
    memory.push("app", "pushed-since", media::OCI_MANIFEST, IMAGE);
    let results = RefCell::new(BTreeMap::new());
    let chosen: Vec<String> = chosen.iter().map(|t| t.to_string()).collect();
    let repository = repo("app");
    let run = BulkRun {
        repository: &repository,
        chosen: &chosen,
        digests: &digests,
        cancelled: &|| false,
        on_item: &|tag, result| {
            results.borrow_mut().insert(tag.to_owned(), result.clone());
        },
    };
    block_on(registry.bulk_remove_tags(&run, &unique));
    let results = results.into_inner();
    assert_eq!(removed(&results["latest"]).kept.tags, ["pushed-since"]);
    assert_eq!(
        memory.tag_digest("app", "pushed-since"),
        Some(sha256(IMAGE))
    );
}

#[test]
fn bulk_removal_with_an_unreadable_tag_list_changes_nothing() {
    let memory = setup();
    memory.inject(Fault::new(
        Method::Get,
        "tags/list",
        Strike::Before,
        Some(403),
    ));
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove(&registry, &memory, &["1.0", "old"], None);
    assert_eq!(results.len(), 2);
    for result in results.values() {
        assert!(matches!(
            result,
            ItemResult::Failed(ItemFailure::TagListUnreadable(_))
        ));
        assert!(wording::item_result(result)
            .text
            .starts_with("the tag list could not be read: "));
    }
    assert!(undo.is_empty());
    assert!(!memory.was_sent("PUT") && !memory.was_sent("DELETE"));
}

/// The in-memory registry, with someone else moving `app:latest` to OTHER right
/// after the tag `app:1.0` is written or deleted.
struct MovesLatestDuringRun<'a> {
    memory: &'a MemoryRegistry,
}

impl HttpClient for &MovesLatestDuringRun<'_> {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let touches_one = request.url.ends_with("/manifests/1.0")
            && matches!(request.method, Method::Put | Method::Delete);
        let answer = self.memory.send(request).await;
        if touches_one {
            self.memory
                .push("app", "latest", media::OCI_MANIFEST, OTHER);
        }
        answer
    }
}

#[test]
fn bulk_removal_reports_an_outside_tag_that_lost_its_image_during_the_run() {
    let memory = setup();
    let client = MovesLatestDuringRun { memory: &memory };
    let registry = Registry::new("http://r", &client);
    let chosen = vec!["1.0".to_owned()];
    let digests: HashMap<String, Digest> = [("1.0".to_owned(), digest_of(IMAGE))].into();
    let results = RefCell::new(BTreeMap::new());
    let repository = repo("app");
    let run = BulkRun {
        repository: &repository,
        chosen: &chosen,
        digests: &digests,
        cancelled: &|| false,
        on_item: &|tag, result| {
            results.borrow_mut().insert(tag.to_owned(), result.clone());
        },
    };
    let removal = block_on(registry.bulk_remove_tags(&run, &unique));

    // The item itself went as planned: latest was there when 1.0 was removed.
    assert_eq!(removed(&results.borrow()["1.0"]).kept.tags, ["latest"]);
    assert_eq!(memory.tag_digest("app", "1.0"), None);
    // The check afterwards finds latest no longer on the image it was kept for.
    let [lost] = &removal.lost[..] else {
        panic!("the lost image is reported once: {:?}", removal.lost);
    };
    assert_eq!(lost.digest, digest_of(IMAGE));
    assert_eq!(
        lost.error,
        ChangeError::NotApplied {
            tag: "latest".to_owned(),
            expected: Some(digest_of(IMAGE)),
            found: Some(digest_of(OTHER)),
        }
    );
    assert_eq!(removal.undo.len(), 1, "the removal keeps its Undo");
}

/// The removal of a tag whose image the registry took with it.
fn taking_image(result: &ItemResult) -> &tagdeck::oci::changes::Removal {
    match result {
        ItemResult::RemovedTakingImage(removal) => removal,
        other => panic!("{other:?}"),
    }
}

/// "No other tag uses it" is said only of a tag list read whole.
#[test]
fn bulk_removal_says_when_no_other_listed_tag_uses_an_image_of_a_list_maybe_incomplete() {
    let memory = setup();
    {
        // Pages of two tags, `last` ignored and no Link: old cannot be listed.
        let mut state = memory.state.borrow_mut();
        state.tag_page = Some(2);
        state.tag_page_ignores_last = true;
    }
    let registry = Registry::new("http://r", &memory);
    let (results, _) = remove_among(&registry, &memory, &["old"]);
    assert_eq!(
        wording::item_result(&results["old"]).text,
        format!(
            "removed; image {} stays, pullable by digest (no other listed tag uses it; the \
             tag list may be incomplete)",
            &sha256(OTHER)[7..19]
        )
    );
}

/// Removes 1.0 and latest (IMAGE, with d outside the selection) on a registry that
/// takes the image with a tag: d and latest go with it, told once among the run's
/// checks (not again by the check afterwards).
fn remove_two_taking_d_and_latest(
    registry: &Registry<impl HttpClient>,
    memory: &MemoryRegistry,
) -> (BTreeMap<String, ItemResult>, Vec<UndoAction>) {
    run_bulk(
        registry,
        memory,
        &["1.0", "latest"],
        None,
        async |registry, run| {
            let removal = registry.bulk_remove_tags(run, &unique).await;
            let [lost] = &removal.lost[..] else {
                panic!("{:?}", removal.lost);
            };
            assert_eq!(
                lost.error,
                ChangeError::TagsLost {
                    digest: digest_of(IMAGE),
                    tags: vec!["d".to_owned(), "latest".to_owned()],
                }
            );
            removal.undo
        },
    )
}

#[test]
fn bulk_removal_whose_registry_took_other_tags_with_the_image_undoes_them_too() {
    let memory = setup();
    memory.push("app", "d", media::OCI_MANIFEST, IMAGE);
    memory.take_image_with_tag_deletes();
    let registry = Registry::new("http://r", &memory);
    // 1.0 and latest chosen, d outside: removing 1.0 takes all three.
    let (results, undo) = remove_two_taking_d_and_latest(&registry, &memory);
    assert_eq!(memory.tag_digest("app", "d"), None, "the registry took it");
    // 1.0 is gone as chosen: done, never retried as failed.
    assert!(results["1.0"].is_done());
    assert_eq!(
        taking_image(&results["1.0"]).tags,
        [tag("1.0"), tag("d"), tag("latest")],
        "its Undo puts back what went"
    );
    // latest went as chosen, though by 1.0's DELETE: never "changed meanwhile".
    assert_eq!(
        results["latest"],
        ItemResult::RemovedWithImage {
            by: "1.0".to_owned()
        }
    );
    assert!(results["latest"].is_done());
    assert_eq!(
        wording::item_result(&results["latest"]).text,
        "removed: the registry deleted it with its image when 1.0 was removed; Undo puts \
         it back"
    );
    // One Undo for the run puts back the removed tag and those lost with it.
    block_on(registry.undo(&UndoAction::collect(undo).unwrap(), &unique)).unwrap();
    for tag in ["1.0", "latest", "d"] {
        assert_eq!(memory.tag_digest("app", tag), Some(sha256(IMAGE)), "{tag}");
    }
}

#[test]
fn a_registry_that_took_an_image_with_its_tag_is_told_and_then_removed_from_by_placeholder() {
    let memory = setup();
    memory.take_image_with_tag_deletes();
    let registry = Registry::new("http://r", &memory);
    // old is OTHER's only tag: the image was to stay, pullable by digest.
    let (results, undo) = run_bulk(&registry, &memory, &["old"], None, async |registry, run| {
        let removal = registry.bulk_remove_tags(run, &unique).await;
        let [lost] = &removal.lost[..] else {
            panic!("{:?}", removal.lost);
        };
        let error = ChangeError::TagsLost {
            digest: digest_of(OTHER),
            tags: Vec::new(),
        };
        assert_eq!(lost.error, error);
        assert_eq!(
            wording::change_error(&error).headline,
            "The registry deleted the image too"
        );
        removal.undo
    });
    let manifests = |digest: &str| memory.state.borrow().manifests["app"].contains_key(digest);
    assert!(!manifests(&sha256(OTHER)), "the registry took it");
    assert_eq!(
        wording::item_result(&results["old"]).text,
        format!(
            "removed, but the registry deleted its image {} with it (see the check below); \
             Undo puts back what went",
            &sha256(OTHER)[7..19]
        )
    );
    // The next removal, on this registry object, never asks DELETE by tag again.
    let (results, _) = remove_among(&registry, &memory, &["1.0"]);
    assert_eq!(removed(&results["1.0"]).method, RemovalMethod::Placeholder);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    // Undo puts the image back under its tag.
    block_on(registry.undo(&UndoAction::collect(undo).unwrap(), &unique)).unwrap();
    assert_eq!(memory.tag_digest("app", "old"), Some(sha256(OTHER)));
}

/// A bulk removal of `chosen` whose checks afterwards may find something lost.
fn remove_among(
    registry: &Registry<&MemoryRegistry>,
    memory: &MemoryRegistry,
    chosen: &[&str],
) -> (BTreeMap<String, ItemResult>, Vec<UndoAction>) {
    run_bulk(registry, memory, chosen, None, async |registry, run| {
        registry.bulk_remove_tags(run, &unique).await.undo
    })
}

#[test]
fn cancel_stops_between_items_and_reports_the_rest_as_not_run() {
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove(&registry, &memory, &["1.0", "latest", "old"], Some(1));
    // Images run in parallel: both may have started before the cancel. The tags of
    // one image run one by one, so 1.0's image has one not run.
    let done: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_done())
        .map(|(t, _)| t)
        .collect();
    let cancelled: Vec<&String> = results
        .iter()
        .filter(|(_, r)| **r == ItemResult::Failed(ItemFailure::Cancelled))
        .map(|(t, _)| t)
        .collect();
    assert_eq!(done.len() + cancelled.len(), 3, "{results:?}");
    assert!(cancelled.contains(&&"latest".to_owned()), "{results:?}");
    assert_eq!(undo.len(), done.len());
    assert_eq!(
        wording::item_result(&results["latest"]).text,
        "not run: cancelled; nothing was changed for it"
    );
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
    for tag in done {
        assert_eq!(memory.tag_digest("app", tag), None);
    }
}

/// A future that is pending once, so concurrent requests interleave.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The in-memory registry behind requests that take a moment, recording which
/// manifests were being written at once.
struct Interleaved<'a> {
    memory: &'a MemoryRegistry,
    writing: RefCell<HashMap<String, usize>>,
    in_flight: Cell<usize>,
    most_in_flight: Cell<usize>,
    same_manifest_at_once: Cell<usize>,
    /// Manifests put by tag and not yet deleted by digest: the placeholder cycles of a
    /// removal that are under way (digest → tag).
    cycles: RefCell<HashMap<String, String>>,
    most_cycles_at_once: Cell<usize>,
}

impl<'a> Interleaved<'a> {
    fn new(memory: &'a MemoryRegistry) -> Self {
        Interleaved {
            memory,
            writing: RefCell::new(HashMap::new()),
            in_flight: Cell::new(0),
            most_in_flight: Cell::new(0),
            same_manifest_at_once: Cell::new(0),
            cycles: RefCell::new(HashMap::new()),
            most_cycles_at_once: Cell::new(0),
        }
    }
}

impl HttpClient for &Interleaved<'_> {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let written = (request.method == Method::Put && request.url.contains("/manifests/"))
            .then(|| sha256(request.body.as_deref().unwrap_or_default()));
        let reference = request.url.rsplit("/manifests/").next().unwrap_or_default();
        match (&written, request.method) {
            (Some(digest), _) if !reference.starts_with("sha256:") => {
                let mut cycles = self.cycles.borrow_mut();
                cycles.insert(digest.clone(), reference.to_owned());
                self.most_cycles_at_once
                    .set(self.most_cycles_at_once.get().max(cycles.len()));
            }
            (None, Method::Delete) => {
                self.cycles.borrow_mut().remove(reference);
            }
            _ => {}
        }
        if let Some(digest) = &written {
            let mut writing = self.writing.borrow_mut();
            let count = writing.entry(digest.clone()).or_default();
            *count += 1;
            if *count > 1 {
                self.same_manifest_at_once
                    .set(self.same_manifest_at_once.get() + 1);
            }
        }
        self.in_flight.set(self.in_flight.get() + 1);
        self.most_in_flight
            .set(self.most_in_flight.get().max(self.in_flight.get()));
        YieldOnce(false).await;
        let answer = self.memory.send(request).await;
        self.in_flight.set(self.in_flight.get() - 1);
        if let Some(digest) = &written {
            *self.writing.borrow_mut().get_mut(digest).unwrap() -= 1;
        }
        answer
    }
}

#[test]
fn tags_of_one_image_run_one_after_another_and_images_in_parallel() {
    let memory = setup();
    for tag in ["1.1", "1.2"] {
        memory.push("app", tag, media::OCI_MANIFEST, IMAGE);
    }
    for tag in ["old-1", "old-2"] {
        memory.push("app", tag, media::OCI_MANIFEST, OTHER);
    }
    let client = Interleaved::new(&memory);
    let registry = Registry::new("http://r", &client);
    let chosen = ["1.0", "1.1", "1.2", "latest", "old", "old-1", "old-2"];
    let (results, _) = run_bulk(&registry, &memory, &chosen, None, async |registry, run| {
        registry.bulk_add_tags(run, &|t| format!("{t}-x")).await
    });
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    for tag in chosen {
        assert!(memory.tag_digest("app", &format!("{tag}-x")).is_some());
    }
    assert_eq!(client.same_manifest_at_once.get(), 0);
    assert!(client.most_in_flight.get() > 1, "images ran in parallel");
}

/// distribution 2.8 deletes a manifest, then walks every tag link of the repository to
/// untag those on it; a link another request is rewriting at that moment fails the
/// walk (500) and leaves the tags listed, pointing at nothing. So a bulk removal runs
/// its placeholder cycles (tag put on the placeholder, placeholder deleted) one at a
/// time, while what comes before them runs in parallel.
#[test]
fn a_bulk_removal_runs_one_placeholder_cycle_at_a_time() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = true;
    for tag in ["old-1", "old-2"] {
        memory.push("app", tag, media::OCI_MANIFEST, OTHER);
    }
    let client = Interleaved::new(&memory);
    let registry = Registry::new("http://r", &client);
    let (results, _) = remove(&registry, &memory, &["1.0", "old", "old-1"], None);
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    for tag in ["1.0", "old", "old-1"] {
        assert_eq!(memory.tag_digest("app", tag), None);
    }
    assert_eq!(client.most_cycles_at_once.get(), 1);
    assert!(client.most_in_flight.get() > 1, "images ran in parallel");
    assert!(client.cycles.borrow().is_empty(), "{:?}", client.cycles);
}

/// The same holds across the tab: another run, an Undo or a dialog each make their own
/// `Registry`, sharing what the tab learnt of the registry (`sharing_removal_ways`).
#[test]
fn placeholder_cycles_of_two_changes_in_one_tab_never_overlap() {
    let memory = setup();
    memory.state.borrow_mut().deletes_enabled = true;
    let client = Interleaved::new(&memory);
    let tab = RemovalWays::default();
    let first = Registry::new("http://r", &client).sharing_removal_ways(tab.clone());
    let second = Registry::new("http://r", &client).sharing_removal_ways(tab);
    let all: Vec<String> = ["1.0", "latest", "old"].map(str::to_owned).into();
    let (one, other) = block_on(futures_util::future::join(
        first.remove_tag(&repo("app"), &tag("1.0"), &digest_of(IMAGE), &all, "a"),
        second.remove_tag(&repo("app"), &tag("old"), &digest_of(OTHER), &all, "b"),
    ));
    assert_eq!(one.unwrap().method, RemovalMethod::Placeholder);
    assert_eq!(other.unwrap().method, RemovalMethod::Placeholder);
    assert!(client.most_in_flight.get() > 1, "the two ran side by side");
    assert_eq!(client.most_cycles_at_once.get(), 1);
}

// The removal plan.

fn plan(memory: &MemoryRegistry, tag: &str, seen: &[u8]) -> RemovalPlan {
    let registry = Registry::new("http://r", memory);
    let tag = Tag::parse(tag).unwrap();
    block_on(registry.plan_removal(&repo("app"), &tag, &digest_of(seen))).unwrap()
}

fn choices(plan: RemovalPlan) -> RemovalChoices {
    match plan {
        RemovalPlan::Ready(choices) => choices,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_removal_plan_offers_the_image_delete_with_every_tag_it_takes() {
    let memory = setup();
    let shared = choices(plan(&memory, "1.0", IMAGE));
    assert_eq!(shared.users.tags, ["latest"]);
    assert!(!shared.list_incomplete);
    assert_eq!(
        shared.image_delete(),
        ImageDelete::Offered {
            tags: vec!["1.0".into(), "latest".into()]
        }
    );
    let only = choices(plan(&memory, "old", OTHER));
    assert!(only.users.is_empty());
    assert_eq!(
        only.image_delete(),
        ImageDelete::Offered {
            tags: vec!["old".into()]
        }
    );
    // Reading the plan writes nothing.
    assert!(!memory.was_sent("PUT") && !memory.was_sent("DELETE") && !memory.was_sent("POST"));
}

#[test]
fn the_removal_plan_never_offers_to_delete_a_platform_of_a_multi_arch_image() {
    let memory = setup();
    let index_bytes = push_index(&memory);
    let platform = choices(plan(&memory, "1.0", IMAGE));
    assert_eq!(platform.users.tags, ["latest"]);
    assert_eq!(platform.users.indexes, ["multi"]);
    assert_eq!(platform.image_delete(), ImageDelete::PartOfIndex);
    assert!(!platform.multi_arch);
    // The multi-arch image itself may be deleted; the plan says it is one, so the
    // dialog can say its platforms stay behind.
    let index = choices(plan(&memory, "multi", &index_bytes));
    assert!(index.multi_arch, "{index:?}");
    assert_eq!(
        index.image_delete(),
        ImageDelete::Offered {
            tags: vec!["multi".into()]
        }
    );
}

#[test]
fn the_removal_plan_never_offers_the_image_delete_on_an_incomplete_list() {
    let memory = setup();
    {
        let mut state = memory.state.borrow_mut();
        // Pages of 2 by `n` that ignore `last`: what follows page one cannot be read.
        state.tag_page = Some(2);
        state.tag_page_ignores_last = true;
    }
    let partial = choices(plan(&memory, "old", OTHER));
    assert!(partial.list_incomplete);
    assert_eq!(partial.image_delete(), ImageDelete::ListIncomplete);
}

#[test]
fn the_removal_plan_stops_when_the_tag_changed_since_it_was_shown() {
    let memory = setup();
    assert_eq!(
        plan(&memory, "latest", OTHER),
        RemovalPlan::Changed {
            found: Some(digest_of(IMAGE))
        }
    );
    assert_eq!(
        plan(&memory, "gone", OTHER),
        RemovalPlan::Changed { found: None }
    );
}

// What describes a digest in the tag table.

/// Stores `config` as a blob of `app` with its bytes, and returns its digest.
fn add_config(memory: &MemoryRegistry, config: &str) -> String {
    let digest = sha256(config.as_bytes());
    memory.add_blob("app", &digest);
    memory
        .state
        .borrow_mut()
        .blob_bytes
        .insert(digest.clone(), config.as_bytes().to_vec());
    digest
}

fn image_with_config(memory: &MemoryRegistry, tag: &str, config: &str) -> String {
    let config_digest = add_config(memory, config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        media::OCI_MANIFEST,
        media::OCI_CONFIG,
        config.len()
    );
    memory.push("app", tag, media::OCI_MANIFEST, manifest.as_bytes())
}

/// Drops a manifest of `app` from the registry's storage, as a lost file would.
fn lose_manifest(memory: &MemoryRegistry, digest: &str) {
    memory
        .state
        .borrow_mut()
        .manifests
        .get_mut("app")
        .unwrap()
        .remove(digest);
}

fn source_of(memory: &MemoryRegistry, digest: &str) -> SummarySource {
    let registry = Registry::new("http://r", memory);
    let digest = Digest::parse(digest).unwrap();
    block_on(registry.summary_source(&repo("app"), &digest, None)).unwrap()
}

#[test]
fn an_image_is_described_by_its_own_config() {
    let memory = MemoryRegistry::new();
    let digest = image_with_config(
        &memory,
        "v1",
        r#"{"architecture":"arm64","os":"linux","variant":"v8","created":"2024-01-02T03:04:05Z"}"#,
    );
    let source = source_of(&memory, &digest);
    let config = source.config.clone().unwrap();
    assert_eq!(config.architecture.as_deref(), Some("arm64"));
    let summary = summarize(&source.manifest, source.config.as_ref());
    assert_eq!(
        summary.kind,
        ImageKind::Image {
            platform: Some("linux/arm64/v8".into())
        }
    );
    assert_eq!(summary.created.as_deref(), Some("2024-01-02T03:04:05Z"));

    // A manifest the caller already has is not fetched again.
    let registry = Registry::new("http://r", &memory);
    let known = source.manifest.clone();
    memory.state.borrow_mut().log.clear();
    let again = block_on(registry.summary_source(
        &repo("app"),
        &Digest::parse(&digest).unwrap(),
        Some(known),
    ))
    .unwrap();
    assert_eq!(again, source);
    assert!(!memory.was_sent("GET /v2/app/manifests"));
}

#[test]
fn an_index_is_described_by_its_first_real_platform_read_by_digest() {
    let memory = MemoryRegistry::new();
    let attestation = image_with_config(
        &memory,
        "att",
        r#"{"architecture":"unknown","os":"unknown"}"#,
    );
    let amd64_config = r#"{"architecture":"amd64","os":"linux","created":"2023-05-06T07:08:09Z"}"#;
    let amd64 = image_with_config(&memory, "amd", amd64_config);
    let child = |digest: &str, os: &str, arch: &str| {
        format!(
            r#"{{"mediaType":"{}","digest":"{digest}","size":1,"platform":{{"architecture":"{arch}","os":"{os}"}}}}"#,
            media::OCI_MANIFEST
        )
    };
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{},{}]}}"#,
        media::OCI_INDEX,
        child(&attestation, "unknown", "unknown"),
        child(&amd64, "linux", "amd64")
    );
    let digest = memory.push("app", "multi", media::OCI_INDEX, index.as_bytes());
    let source = source_of(&memory, &digest);
    assert_eq!(first_platform(&source.manifest), Some(amd64.as_str()));
    assert!(memory.was_sent(&format!("GET /v2/app/manifests/{amd64}")));
    assert!(!memory.was_sent(&format!("GET /v2/app/manifests/{attestation}")));
    let summary = summarize(&source.manifest, source.config.as_ref());
    assert_eq!(
        summary.kind,
        ImageKind::MultiArch {
            platforms: vec!["linux/amd64".into()]
        }
    );
    assert_eq!(summary.created.as_deref(), Some("2023-05-06T07:08:09Z"));

    // A platform that cannot be read leaves the row without a date, not failed.
    lose_manifest(&memory, &amd64);
    let source = source_of(&memory, &digest);
    assert_eq!(source.config, None);
}

#[test]
fn each_platform_of_an_index_has_its_size_and_date_and_a_missing_config_hides_only_the_date() {
    let memory = MemoryRegistry::new();
    let amd64_config = r#"{"architecture":"amd64","os":"linux","created":"2023-05-06T07:08:09Z"}"#;
    let amd64 = image_with_config(&memory, "amd", amd64_config);
    let arm64 = image_with_config(
        &memory,
        "arm",
        r#"{"architecture":"arm64","os":"linux","created":"2023-05-06T07:09:00Z"}"#,
    );
    let gone = image_with_config(&memory, "gone", r#"{"architecture":"s390x","os":"linux"}"#);
    // The arm64 config's bytes are lost; the amd64 image stays whole; `gone`'s
    // manifest is lost.
    let registry = Registry::new("http://r", &memory);
    let arm_manifest =
        block_on(registry.manifest_get(&repo("app"), &Digest::parse(&arm64).unwrap())).unwrap();
    let arm_config_digest = arm_manifest.view.config.clone().unwrap().digest.to_string();
    memory
        .state
        .borrow_mut()
        .blob_bytes
        .remove(&arm_config_digest);
    lose_manifest(&memory, &gone);

    let children = [&amd64, &arm64, &gone].map(|d| Digest::parse(d).unwrap());
    let app = repo("app");
    let facts: HashMap<Digest, _> = block_on(futures_util::StreamExt::collect::<Vec<_>>(
        registry.platform_facts(&app, children.to_vec()),
    ))
    .into_iter()
    .collect();
    assert_eq!(facts.len(), 3);
    let amd = facts[&children[0]].as_ref().unwrap();
    assert_eq!(amd.created, Ok(Some("2023-05-06T07:08:09Z".to_owned())));
    // Config plus layers (none here).
    assert_eq!(amd.size, amd64_config.len() as u64);
    let arm = facts[&children[1]].as_ref().unwrap();
    assert_eq!(arm.size, arm_manifest.referenced_size());
    assert!(arm.created.is_err(), "{:?}", arm.created);
    assert!(facts[&children[2]].is_err());
    // Children are read by digest only.
    let log = memory.state.borrow().log.clone();
    assert!(
        log.iter()
            .filter(|l| l.contains("/manifests/"))
            .all(|l| l.contains("sha256:")),
        "{log:?}"
    );
}

#[test]
fn an_unknown_type_is_described_without_a_config() {
    let memory = MemoryRegistry::new();
    let unknown = "application/vnd.example.thing.v1+json";
    let digest = memory.push(
        "app",
        "thing",
        unknown,
        format!(r#"{{"schemaVersion":2,"mediaType":"{unknown}"}}"#).as_bytes(),
    );
    let source = source_of(&memory, &digest);
    assert_eq!(source.config, None);
    assert!(!memory.was_sent("GET /v2/app/blobs"));
    let summary = summarize(&source.manifest, source.config.as_ref());
    assert_eq!(
        summary.kind,
        ImageKind::Other {
            media_type: unknown.into()
        }
    );
}

#[test]
fn a_run_asks_once_whether_tags_must_go_by_placeholder() {
    let deletes = |memory: &MemoryRegistry| {
        let probe = format!(
            "DELETE /v2/app/manifests/{}",
            Digest::sha256_of(b"tagdeck: probe for storage.delete.enabled")
        );
        let log = memory.state.borrow().log.clone();
        let by_tag = log
            .iter()
            .filter(|l| l.starts_with("DELETE /v2/app/manifests/") && !l.contains("sha256:"))
            .count();
        (by_tag, log.iter().filter(|l| **l == probe).count())
    };
    // distribution 2.8: DELETE by tag refused. The first removal learns it (and that
    // deletes by digest work); the others go straight to a placeholder.
    let memory = setup();
    let registry = Registry::new("http://r", &memory);
    let (results, _) = remove(&registry, &memory, &["1.0", "latest", "old"], None);
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    assert!(results
        .values()
        .all(|r| removed(r).method == RemovalMethod::Placeholder));
    assert_eq!(deletes(&memory), (1, 1));
    for tag in ["1.0", "latest", "old"] {
        assert_eq!(memory.tag_digest("app", tag), None);
    }

    // A later run sharing what the first learnt (the tab's next dialog): straight to
    // a placeholder, neither DELETE asked again.
    let memory = setup();
    let ways = RemovalWays::default();
    let first = Registry::new("http://r", &memory).sharing_removal_ways(ways.clone());
    let (results, _) = remove(&first, &memory, &["1.0"], None);
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    assert_eq!(deletes(&memory), (1, 1));
    let second = Registry::new("http://r", &memory).sharing_removal_ways(ways);
    let (results, _) = remove(&second, &memory, &["latest"], None);
    assert!(results
        .values()
        .all(|r| removed(r).method == RemovalMethod::Placeholder));
    assert_eq!(deletes(&memory), (1, 1), "nothing asked again");
    assert_eq!(memory.tag_digest("app", "latest"), None);
    // Without it, each run learns for itself.
    let third = Registry::new("http://r", &memory);
    remove(&third, &memory, &["old"], None);
    assert_eq!(deletes(&memory), (2, 2));

    // A registry that deletes tags: every removal is its own DELETE by tag.
    let memory = setup();
    memory.state.borrow_mut().tag_deletes = true;
    let registry = Registry::new("http://r", &memory);
    let (results, _) = remove(&registry, &memory, &["1.0", "latest", "old"], None);
    assert!(results
        .values()
        .all(|r| removed(r).method == RemovalMethod::TagDelete));
    assert_eq!(deletes(&memory), (3, 0));
}

/// An image manifest distinct for each `n` (its config digest differs).
fn image_numbered(n: usize) -> Vec<u8> {
    format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:{:064x}\",\"size\":2}},\"layers\":[]}}",
        n + 1
    )
    .into_bytes()
}

/// Manifest GETs by digest in the log, and how many of them came before the first PUT.
fn manifest_gets(memory: &MemoryRegistry) -> (usize, usize) {
    let log = memory.state.borrow().log.clone();
    let is_get = |l: &&String| l.starts_with("GET /v2/app/manifests/sha256:");
    let first_put = log.iter().position(|l| l.starts_with("PUT"));
    let before = log[..first_put.unwrap_or(log.len())]
        .iter()
        .filter(is_get)
        .count();
    (log.iter().filter(is_get).count(), before)
}

/// Each image is read inside its own turn: the first item starts after one read, not
/// after reading every selected image, and a Cancel stops the reads still to come.
#[test]
fn bulk_tag_reads_each_image_in_its_turn_and_cancel_stops_the_reads() {
    let images = 8;
    let chosen: Vec<String> = (0..images).map(|n| format!("v{n}")).collect();
    let chosen: Vec<&str> = chosen.iter().map(String::as_str).collect();
    let fill = || {
        let memory = MemoryRegistry::new();
        for (n, tag) in chosen.iter().enumerate() {
            memory.push("app", tag, media::OCI_MANIFEST, &image_numbered(n));
        }
        memory
    };

    let memory = fill();
    let registry = Registry::new("http://r", &memory);
    let (results, _) = add_suffix(&registry, &memory, &chosen);
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    assert_eq!(
        manifest_gets(&memory),
        (images, 1),
        "one read before the first write"
    );

    let memory = fill();
    let registry = Registry::new("http://r", &memory);
    let (results, _) = run_bulk(
        &registry,
        &memory,
        &chosen,
        Some(1),
        async |registry, run| registry.bulk_add_tags(run, &|t| format!("{t}-x")).await,
    );
    let cancelled = results
        .values()
        .filter(|r| **r == ItemResult::Failed(ItemFailure::Cancelled))
        .count();
    assert_eq!(cancelled, images - 1, "{results:?}");
    assert_eq!(
        manifest_gets(&memory).0,
        1,
        "no image read after the Cancel"
    );
}

/// A bulk item whose request failed but was applied all the same says so, as the
/// single change's dialog does.
#[test]
fn a_bulk_item_applied_despite_a_failed_request_says_so() {
    let memory = setup();
    memory.inject(Fault::new(
        Method::Put,
        "manifests/old-stable",
        Strike::After,
        Some(500),
    ));
    let registry = Registry::new("http://r", &memory);
    let (results, _) = add_suffix(&registry, &memory, &["old"]);
    assert_eq!(memory.tag_digest("app", "old-stable"), Some(sha256(OTHER)));
    let line = wording::item_result(&results["old"]).text;
    assert!(
        line.starts_with(&format!("tagged old-stable → {}", sha256(OTHER)))
            && line.contains("(Note: the registry answered")
            && line.contains("reading it again shows the change was applied"),
        "{line}"
    );

    // The placeholder's DELETE (the 2nd by digest, after the deletes check) fails,
    // though the tag is gone.
    let memory = setup();
    memory.inject(
        Fault::new(
            Method::Delete,
            "manifests/sha256:",
            Strike::After,
            Some(500),
        )
        .nth(2),
    );
    let registry = Registry::new("http://r", &memory);
    let (results, _) = remove(&registry, &memory, &["old"], None);
    assert_eq!(memory.tag_digest("app", "old"), None);
    let line = wording::item_result(&results["old"]).text;
    assert!(
        line.starts_with("removed;") && line.contains("(Note: "),
        "{line} {results:?}"
    );
}

/// DELETEs by tag sent (not by digest: the deletes check, a placeholder's).
fn deletes_by_tag(memory: &MemoryRegistry) -> usize {
    let log = memory.state.borrow().log.clone();
    log.iter()
        .filter(|l| l.starts_with("DELETE /v2/app/manifests/") && !l.contains("sha256:"))
        .count()
}

/// Until a registry's DELETE by tag is known to leave the image, one is sent at a
/// time: on a registry that takes the image with it, the first teaches the others to
/// go by placeholder, and one image, not one per image of the selection, is lost (and
/// put back by Undo).
#[test]
fn a_bulk_removal_sends_one_delete_by_tag_until_it_is_known_to_keep_the_image() {
    let memory = setup();
    memory.push("app", "old-keep", media::OCI_MANIFEST, OTHER);
    memory.take_image_with_tag_deletes();
    let client = Interleaved::new(&memory);
    let registry = Registry::new("http://r", &client);
    let (results, undo) = run_bulk(
        &registry,
        &memory,
        &["1.0", "old"],
        None,
        async |registry, run| registry.bulk_remove_tags(run, &unique).await.undo,
    );
    assert!(results.values().all(ItemResult::is_done), "{results:?}");
    assert_eq!(
        deletes_by_tag(&memory),
        1,
        "{:?}",
        memory.state.borrow().log
    );
    let stored = |tag: &str, bytes: &[u8]| {
        memory.tag_digest("app", tag) == Some(sha256(bytes))
            && memory.state.borrow().manifests["app"].contains_key(&sha256(bytes))
    };
    assert!(
        stored("latest", IMAGE) || stored("old-keep", OTHER),
        "at most the first image went: {results:?}"
    );
    block_on(registry.undo(&UndoAction::collect(undo).unwrap(), &unique)).unwrap();
    assert!(stored("latest", IMAGE) && stored("old-keep", OTHER));
}

/// A check right after a DELETE by tag that fails says nothing of the image: the
/// check afterwards reads the selected tags not removed too, and what the registry
/// took with the image is put back by Undo and told as such.
#[test]
fn a_failed_check_after_a_delete_by_tag_hides_no_tag_taken_with_the_image() {
    let memory = setup();
    memory.push("app", "d", media::OCI_MANIFEST, IMAGE);
    memory.take_image_with_tag_deletes();
    // Asked again once after a 5xx: both fail.
    memory.inject(
        Fault::new(
            Method::Head,
            &format!("manifests/{}", sha256(IMAGE)),
            Strike::Before,
            Some(503),
        )
        .times(2),
    );
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove_two_taking_d_and_latest(&registry, &memory);
    assert_eq!(
        memory.tag_digest("app", "latest"),
        None,
        "the registry took it"
    );
    assert_eq!(
        results["latest"],
        ItemResult::RemovedWithImage {
            by: "1.0".to_owned()
        }
    );
    assert_eq!(
        taking_image(&results["1.0"]).tags,
        [tag("1.0"), tag("d"), tag("latest")]
    );
    block_on(registry.undo(&UndoAction::collect(undo).unwrap(), &unique)).unwrap();
    for tag in ["1.0", "latest", "d"] {
        assert_eq!(memory.tag_digest("app", tag), Some(sha256(IMAGE)), "{tag}");
    }
}

/// A tag the registry took with its image before Cancel is gone: never "nothing was
/// changed for it".
#[test]
fn cancel_after_a_removal_that_took_the_image_reports_the_tags_taken_with_it() {
    let memory = setup();
    memory.take_image_with_tag_deletes();
    let registry = Registry::new("http://r", &memory);
    let (results, _) = run_bulk(
        &registry,
        &memory,
        &["1.0", "latest"],
        Some(1),
        async |registry, run| registry.bulk_remove_tags(run, &unique).await.undo,
    );
    assert_eq!(
        memory.tag_digest("app", "latest"),
        None,
        "the registry took it"
    );
    assert_eq!(
        results["latest"],
        ItemResult::RemovedWithImage {
            by: "1.0".to_owned()
        }
    );
}

/// The check afterwards is only of images something was done to: one whose items
/// were all cancelled is someone else's business, whatever happened to it.
#[test]
fn a_bulk_removal_checks_only_the_images_it_wrote_to() {
    let memory = setup();
    // latest moves to OTHER after it was found to use IMAGE.
    memory.meanwhile((Method::Head, "manifests/latest", 2), |memory| {
        memory.push("app", "latest", media::OCI_MANIFEST, OTHER);
    });
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove(&registry, &memory, &["1.0"], Some(0));
    assert_eq!(
        results["1.0"],
        ItemResult::Failed(ItemFailure::Cancelled),
        "{results:?}"
    );
    assert!(undo.is_empty());
}

#[test]
fn bulk_removal_looks_up_again_an_outside_tag_whose_lookup_failed() {
    let memory = setup();
    // The HEAD of a tag outside the selection fails, the client's own retry too:
    // looked up again, it answers.
    memory.inject(Fault::new(Method::Head, "manifests/latest", Strike::Before, Some(500)).times(2));
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove(&registry, &memory, &["old"], None);
    assert!(
        matches!(results["old"], ItemResult::Removed(_)),
        "{results:?}"
    );
    assert_eq!(undo.len(), 1);
    assert_eq!(memory.tag_digest("app", "old"), None);
    assert_eq!(memory.tag_digest("app", "latest"), Some(sha256(IMAGE)));
}

#[test]
fn bulk_removal_with_an_outside_tag_that_cannot_be_looked_up_names_it_and_changes_nothing() {
    let memory = setup();
    memory
        .inject(Fault::new(Method::Head, "manifests/latest", Strike::Before, Some(500)).times(100));
    let registry = Registry::new("http://r", &memory);
    let (results, undo) = remove(&registry, &memory, &["1.0", "old"], None);
    assert_eq!(results.len(), 2);
    for result in results.values() {
        assert!(matches!(result, ItemResult::Failed(_)), "{result:?}");
        let text = wording::item_result(result).text;
        assert!(
            text.starts_with(
                "app:latest could not be looked up, also when tried again; it may point at \
                 its image, so nothing was removed: "
            ),
            "{text}"
        );
    }
    assert!(undo.is_empty());
    assert!(!memory.was_sent("PUT") && !memory.was_sent("DELETE"));
}
