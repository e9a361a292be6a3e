//! The journal's stored form (one key per change and per intent), the activity
//! list's storage budget, and what request lines keep of a URL.

use tagdeck::oci::error::Attempt;
use tagdeck::oci::http::Method;
use tagdeck::oci::intent::Intent;
use tagdeck::oci::journal_log::{
    entries_run_elsewhere, gather, header_key, intent_key, leave_to_live_owners, owners,
    stored_selection, Budget, Header, Pending, LEGACY_KEY,
};
use tagdeck::oci::names::{Digest, Repository, Tag};

fn remove(tag: &str) -> Intent {
    Intent::RemoveTag {
        repository: Repository::parse("app").unwrap(),
        tag: Tag::parse(tag).unwrap(),
        digest: Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap(),
    }
}

fn header(id: u64) -> (String, String) {
    owned_header(id, None)
}

fn owned_header(id: u64, owner: Option<u64>) -> (String, String) {
    let header = Header {
        id,
        registry: "http://r".into(),
        summary: format!("change {id}"),
        entry: None,
        owner,
    };
    (header_key(id), serde_json::to_string(&header).unwrap())
}

fn intent(id: u64, n: usize, tag: &str) -> (String, String) {
    (
        intent_key(id, n),
        serde_json::to_string(&remove(tag)).unwrap(),
    )
}

#[test]
fn each_change_is_read_back_with_its_intents_in_order() {
    let stored = vec![
        intent(7, 1, "b"),
        header(7),
        ("tagdeck.activity".into(), "[]".into()),
        intent(7, 0, "a"),
        intent(7, 10, "c"),
        header(9),
        intent(9, 0, "z"),
    ];
    let found = gather(stored, None);
    assert_eq!(found.unreadable, 0);
    assert_eq!(found.changes.len(), 2);
    let seven = &found.changes[0];
    assert_eq!(seven.pending.id, 7);
    assert_eq!(seven.pending.summary, "change 7");
    assert_eq!(
        seven.pending.intents,
        vec![remove("a"), remove("b"), remove("c")]
    );
    // Every key of the change, to clear once the activity list holds it.
    assert_eq!(seven.keys.len(), 4);
    assert!(!seven.keys.contains(&"tagdeck.activity".to_owned()));
}

#[test]
fn unreadable_changes_are_counted_and_cleared_never_silently_dropped() {
    let stored = vec![
        header(1),
        intent(1, 0, "a"),
        // A header from another version.
        (header_key(2), "{\"nope\":1}".into()),
        intent(2, 0, "a"),
        // A readable header with an intent that is not.
        header(3),
        (intent_key(3, 0), "{\"Unknown\":{}}".into()),
        // An intent whose change has no header (a clean-up cut short).
        intent(4, 0, "a"),
        // A key of the journal that this version cannot place.
        ("tagdeck.journal.x.y".into(), "{}".into()),
    ];
    let found = gather(stored, None);
    assert_eq!(found.changes.len(), 1);
    assert_eq!(found.changes[0].pending.id, 1);
    assert_eq!(found.unreadable, 4);
    for key in [
        header_key(2),
        intent_key(2, 0),
        header_key(3),
        intent_key(3, 0),
        intent_key(4, 0),
        "tagdeck.journal.x.y".into(),
    ] {
        assert!(found.stale.contains(&key), "{key}");
    }
}

#[test]
fn a_change_that_never_wrote_is_not_reconciled_but_its_key_is_cleared() {
    let found = gather(vec![header(5)], None);
    assert!(found.changes.is_empty());
    assert_eq!(found.unreadable, 0);
    assert_eq!(found.stale, vec![header_key(5)]);
}

#[test]
fn the_journal_of_an_earlier_version_still_loads() {
    let legacy = serde_json::json!([
        Pending {
            id: 1,
            registry: "http://r".into(),
            summary: "old".into(),
            intents: vec![remove("a")],
            entry: None,
            owner: None,
        },
        {"id": "not a number"},
    ])
    .to_string();
    let found = gather(Vec::new(), Some(&legacy));
    assert_eq!(found.changes.len(), 1);
    assert_eq!(found.changes[0].pending.intents, vec![remove("a")]);
    assert_eq!(found.changes[0].keys, vec![LEGACY_KEY.to_owned()]);
    assert_eq!(found.unreadable, 1);
    // Not readable at all: counted as one, and cleared.
    let found = gather(Vec::new(), Some("{broken"));
    assert_eq!(found.unreadable, 1);
    assert_eq!(found.stale, vec![LEGACY_KEY.to_owned()]);
}

const BUDGET: Budget = Budget {
    entries: 3,
    chars: 100,
};

#[test]
fn everything_within_the_budget_is_kept() {
    assert_eq!(
        stored_selection(&[(10, false), (10, true), (10, false)], BUDGET),
        vec![true, true, true]
    );
}

#[test]
fn the_oldest_entries_without_undo_go_first() {
    // Newest first: the list's order.
    let entries = [
        (10, false),
        (10, true),
        (10, false),
        (10, true),
        (10, false),
    ];
    assert_eq!(
        stored_selection(&entries, BUDGET),
        vec![true, true, false, true, false]
    );
}

#[test]
fn then_the_oldest_entries_with_undo_beyond_the_budget() {
    let entries = [(10, true), (10, true), (10, true), (10, true)];
    assert_eq!(
        stored_selection(&entries, BUDGET),
        vec![true, true, true, false]
    );
    // Over the size budget: a big old Undo goes before a small recent one.
    let entries = [(30, false), (40, true), (60, true)];
    assert_eq!(stored_selection(&entries, BUDGET), vec![false, true, false]);
}

#[test]
fn an_entry_bigger_than_the_whole_budget_is_not_stored() {
    assert_eq!(
        stored_selection(&[(500, true), (10, true)], BUDGET),
        vec![false, true]
    );
}

#[test]
fn request_lines_keep_no_upload_state_nor_signatures() {
    let attempt = Attempt::new(
        Method::Put,
        "http://reg:5000/v2/app/blobs/uploads/uuid-1?_state=secret-state&digest=sha256:ab",
    );
    let line = attempt.to_string();
    assert!(!line.contains("secret-state"), "{line}");
    assert_eq!(
        line,
        "PUT http://reg:5000/v2/app/blobs/uploads/uuid-1?_state=…&digest=sha256:ab"
    );
    let signed = Attempt::new(
        Method::Get,
        "https://s3.example/blob?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA",
    );
    let line = signed.to_string();
    assert!(
        !line.contains("deadbeef") && !line.contains("AKIA"),
        "{line}"
    );
    // A query part with no name=value form may be a signature on its own.
    let bare = Attempt::new(
        Method::Put,
        "http://reg/v2/app/blobs/uploads/u?SECRETSIG&n=1",
    );
    assert_eq!(
        bare.to_string(),
        "PUT http://reg/v2/app/blobs/uploads/u?…&n=1"
    );
    // What says which page or which mount is kept.
    for url in [
        "http://r/v2/_catalog?n=1000&last=app",
        "http://r/v2/dst/blobs/uploads/?mount=sha256:ab&from=team/app",
        "http://r/v2/app/tags/list",
    ] {
        assert_eq!(
            Attempt::new(Method::Get, url).to_string(),
            format!("GET {url}")
        );
    }
}

/// A Retry's journal names the activity entry it runs for, so a reload hands its
/// intents to that entry instead of a second one offering the same writes; a header
/// written before the field existed names none.
#[test]
fn a_retry_cut_short_names_its_entry() {
    let retry = Header {
        id: 9,
        registry: "http://r".into(),
        summary: "Interrupted: Tag app:2.0".into(),
        entry: Some(4),
        owner: None,
    };
    let stored = vec![
        (header_key(9), serde_json::to_string(&retry).unwrap()),
        intent(9, 0, "a"),
        (
            header_key(3),
            r#"{"id":3,"registry":"http://r","summary":"older"}"#.to_owned(),
        ),
        intent(3, 0, "b"),
    ];
    let found = gather(stored, None);
    let entries: Vec<Option<usize>> = found.changes.iter().map(|c| c.pending.entry).collect();
    assert_eq!(entries, vec![None, Some(4)]);
}

/// The page that wrote a change is named in its header, so a tab duplicated while
/// the change runs can tell it from one a reload cut short.
#[test]
fn a_header_names_the_page_that_wrote_it() {
    let (key, json) = owned_header(5, Some(77));
    let found = gather(vec![(key, json), intent(5, 0, "a")], None);
    assert_eq!(found.changes[0].pending.owner, Some(77));
    // Written before pages were named: no owner, reconciled as before.
    let older = vec![
        (
            header_key(3),
            r#"{"id":3,"registry":"http://r","summary":"older"}"#.to_owned(),
        ),
        intent(3, 0, "b"),
    ];
    let found = gather(older, None);
    assert_eq!(found.unreadable, 0);
    assert_eq!(found.changes.len(), 1);
    assert_eq!(found.changes[0].pending.owner, None);
}

/// A change whose page still runs (a duplicated tab's copy of its journal) is left to
/// that page; one whose page is gone, or that names none, is reconciled.
#[test]
fn changes_of_live_pages_are_left_to_them() {
    let stored = vec![
        owned_header(1, Some(10)),
        intent(1, 0, "a"),
        owned_header(2, Some(20)),
        intent(2, 0, "b"),
        header(3),
        intent(3, 0, "c"),
        owned_header(4, Some(10)),
        intent(4, 0, "d"),
    ];
    let found = gather(stored, None);
    assert_eq!(owners(&found.changes, &[]), vec![10, 20]);
    let (reconcile, left) = leave_to_live_owners(found.changes, &[10]);
    let ids = |taken: &[tagdeck::oci::journal_log::Taken]| -> Vec<u64> {
        taken.iter().map(|t| t.pending.id).collect()
    };
    assert_eq!(ids(&reconcile), vec![2, 3]);
    assert_eq!(ids(&left), vec![1, 4]);
    // Each left change with its keys, to clear from this tab's copy.
    assert_eq!(left[0].keys.len(), 2);
    // No page alive: everything is reconciled, as after a reload.
    let found = gather(vec![owned_header(1, Some(10)), intent(1, 0, "a")], None);
    let (reconcile, left) = leave_to_live_owners(found.changes, &[]);
    assert_eq!((reconcile.len(), left.len()), (1, 0));
}

/// A Retry left to the live tab that runs it names its activity entry: this tab's
/// copy of that entry is said to run there, and offers nothing here (no second Retry
/// of the same writes). A change left that is no Retry names none; a Retry whose
/// page is gone is reconciled by its entry as before.
#[test]
fn entries_whose_retry_runs_in_another_tab_are_named() {
    let retry = |id: u64, entry: usize, owner: u64| {
        let header = Header {
            id,
            registry: "http://r".into(),
            summary: format!("Interrupted: change {id}"),
            entry: Some(entry),
            owner: Some(owner),
        };
        (header_key(id), serde_json::to_string(&header).unwrap())
    };
    let stored = vec![
        retry(1, 4, 10),
        intent(1, 0, "a"),
        owned_header(2, Some(10)),
        intent(2, 0, "b"),
        retry(3, 7, 20),
        intent(3, 0, "c"),
    ];
    let found = gather(stored, None);
    let (reconcile, left) = leave_to_live_owners(found.changes, &[10]);
    assert_eq!(entries_run_elsewhere(&left, &[], &[10]), vec![4]);
    assert_eq!(reconcile[0].pending.entry, Some(7));
    assert_eq!(entries_run_elsewhere(&reconcile, &[], &[10]), vec![7]);
    assert_eq!(entries_run_elsewhere(&[], &[], &[]), Vec::<usize>::new());
}

/// An Undo, Retry or Check again a duplicated tab's copy finds running (its entry
/// names the page that runs it) is that page's when the page lives: its owner is
/// asked with the journal's, once, and its entry offers nothing here. One whose page
/// is gone (a reload) keeps what the reload offers.
#[test]
fn entries_running_in_a_live_tab_are_named() {
    let found = gather(vec![owned_header(1, Some(10)), intent(1, 0, "a")], None);
    let running = [(5, 20), (6, 30), (8, 10)];
    assert_eq!(owners(&found.changes, &running), vec![10, 20, 30]);
    assert_eq!(owners(&[], &running[..1]), vec![20]);
    let (reconcile, left) = leave_to_live_owners(found.changes, &[10, 20]);
    assert_eq!(reconcile.len(), 0);
    assert_eq!(
        entries_run_elsewhere(&left, &running, &[10, 20]),
        vec![5, 8]
    );
    // Nothing alive: as after a reload, nothing runs elsewhere.
    assert_eq!(
        entries_run_elsewhere(&[], &running, &[]),
        Vec::<usize>::new()
    );
}
