//! The tag table's and catalog's pure decisions: what the rows and a bulk selection
//! keep after a listing, which image summaries are asked for, the order of creation
//! times, the catalog rows' keys.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashSet;

use tagdeck::model::catalog_tree::catalog_rows;
use tagdeck::model::recently_used::{mark_used, to_forget};
use tagdeck::model::summary_asks::SummaryAsks;
use tagdeck::model::tag_table::{drop_unlisted, tags_after_listing, visible_tags, SortOrder};
use tagdeck::model::timestamp::utc_instant;
use tagdeck::oci::names::Repository;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_selected_tag_removed_elsewhere_leaves_the_selection() {
    let mut selected: HashSet<String> = strings(&["v1", "v2", "v3"]).into_iter().collect();
    // v1 was removed in another tab; v3 is only hidden by the filter, still listed.
    assert!(drop_unlisted(&mut selected, &strings(&["v2", "v3", "v4"])));
    assert_eq!(selected, strings(&["v2", "v3"]).into_iter().collect());
    // Nothing gone: nothing changes, and no update is signalled.
    assert!(!drop_unlisted(&mut selected, &strings(&["v2", "v3"])));
    assert_eq!(selected.len(), 2);
}

fn by_created(created: &[(&str, &str)], order: SortOrder) -> Vec<String> {
    let tags: Vec<String> = created.iter().map(|(t, _)| t.to_string()).collect();
    let date = |tag: &str| {
        created
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, d)| d.to_string())
            .filter(|d| !d.is_empty())
    };
    visible_tags(&tags, "", order, date)
        .into_iter()
        .map(|i| tags[i].clone())
        .collect()
}

#[test]
fn created_order_is_by_instant_not_by_text() {
    let created = [
        ("plus-two", "2024-01-01T10:00:00+02:00"), // 08:00Z
        ("utc-nine", "2024-01-01T09:00:00Z"),
        ("half-past", "2024-01-01T09:00:00.5Z"),
        ("minus-five", "2024-01-01T05:00:00-05:00"), // 10:00Z
        ("lower", "2024-01-01t09:00:00.25z"),
        ("garbled", "yesterday"),
        ("unknown", ""),
        ("bad-month", "2024-13-01T00:00:00Z"),
    ];
    assert_eq!(
        by_created(&created, SortOrder::OldestFirst),
        [
            "plus-two",
            "utc-nine",
            "lower",
            "half-past",
            "minus-five",
            // Unreadable and unknown last, in version order.
            "bad-month",
            "garbled",
            "unknown"
        ]
    );
    assert_eq!(
        by_created(&created, SortOrder::NewestFirst)[..5],
        ["minus-five", "half-past", "lower", "utc-nine", "plus-two"]
    );
}

#[test]
fn timestamps_become_utc_instants() {
    assert_eq!(utc_instant("1970-01-01T00:00:00Z"), Some((0, 0)));
    assert_eq!(
        utc_instant("2024-01-01T10:00:00+02:00"),
        utc_instant("2024-01-01T08:00:00Z")
    );
    assert_eq!(
        utc_instant("2000-03-01 00:00:00.000000001Z"),
        Some((951_868_800, 1))
    );
    assert_eq!(
        utc_instant("1969-12-31T23:59:59.5Z"),
        Some((-1, 500_000_000))
    );
    for bad in [
        "",
        "2024-01-01",
        "2024-01-01T10:00:00",
        "2024-01-01T10:00:00+2:00",
        "2024-02-30T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T10:00:00.Z",
        "2024-01-01T10:00:00Zjunk",
        "2024-0a-01T10:00:00Z",
    ] {
        assert_eq!(utc_instant(bad), None, "{bad}");
    }
    // 2024 is a leap year; 1900 was not.
    assert!(utc_instant("2024-02-29T00:00:00Z").is_some());
    assert!(utc_instant("1900-02-29T00:00:00Z").is_none());
}

#[test]
fn catalog_rows_have_unique_keys_and_invalid_names_do_not_open() {
    let rows = catalog_rows(&strings(&["a/", "a", "a/b", "a", "UPPER"]), "");
    let keys: Vec<(bool, String)> = rows.iter().map(|r| r.key()).collect();
    let unique: HashSet<&(bool, String)> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "{keys:?}");
    let opens = |name: &str| {
        rows.iter()
            .find(|r| r.is_repository && r.name == name)
            .map(|r| Repository::parse(&r.name).is_ok())
    };
    assert_eq!(opens("a"), Some(true));
    assert_eq!(opens("a/b"), Some(true));
    assert_eq!(opens("a/"), Some(false));
    assert_eq!(opens("UPPER"), Some(false));
}

#[test]
fn the_least_recently_used_repositories_are_forgotten_unless_pinned() {
    let mut order = Vec::new();
    for name in ["a", "b", "c", "d", "b"] {
        mark_used(&mut order, name);
    }
    assert_eq!(order, strings(&["a", "c", "d", "b"]));
    assert_eq!(to_forget(&order, 4, |_| false), Vec::<String>::new());
    assert_eq!(to_forget(&order, 2, |_| false), strings(&["a", "c"]));
    // "a" is on screen, or runs a bulk change: the next oldest goes in its place.
    assert_eq!(to_forget(&order, 2, |n| n == "a"), strings(&["c", "d"]));
    // Every one pinned: more than the limit stay.
    assert_eq!(to_forget(&order, 1, |_| true), Vec::<String>::new());
}

#[test]
fn a_listing_that_may_be_incomplete_takes_no_row_away() {
    let shown = strings(&["1.0", "1.1", "2.0", "latest"]);
    // Only the first page could be read: 2.0 and latest are on pages it could not
    // read (or were removed: it cannot tell); `1.2` is new.
    let listed = strings(&["1.0", "1.1", "1.2"]);
    assert_eq!(
        tags_after_listing(&shown, &listed, false),
        strings(&["1.0", "1.1", "2.0", "latest", "1.2"])
    );
    // Nothing new: the rows stay as they are, none twice.
    assert_eq!(tags_after_listing(&shown, &shown[..2], false), shown);
    // An empty page, the look past it failed: still every row.
    assert_eq!(tags_after_listing(&shown, &[], false), shown);
    // A complete listing is the registry's word: a tag it lacks was removed.
    assert_eq!(tags_after_listing(&shown, &listed, true), listed);
    assert_eq!(tags_after_listing(&shown, &[], true), Vec::<String>::new());
}

#[test]
fn a_failed_image_summary_is_asked_again_only_on_read_again_or_a_new_resolve() {
    let read_before = "sha256:read".to_owned();
    let image = "sha256:image".to_owned();
    let mut asks = SummaryAsks::new([read_before.clone()]);
    assert!(!asks.should_ask(&read_before), "read on an earlier visit");
    assert!(asks.should_ask(&image));
    assert!(
        !asks.should_ask(&image),
        "another tag of it: already under way"
    );
    asks.failed(image.clone());
    // The other tags of the image, resolved in the same pass, do not each ask again.
    assert!(!asks.should_ask(&image));
    // Read again asks, once.
    assert!(asks.ask_again(image.clone()));
    assert!(!asks.ask_again(image.clone()));
    assert!(!asks.should_ask(&image));
    asks.failed(image.clone());
    // Its tags resolved again (a change, a revisit): the first to resolve asks.
    asks.tags_resolved_again();
    assert!(asks.should_ask(&image));
    assert!(!asks.should_ask(&image));
    // Read this time: never asked again, whatever happens.
    asks.tags_resolved_again();
    assert!(!asks.should_ask(&image));
    assert!(!asks.ask_again(image));
}
