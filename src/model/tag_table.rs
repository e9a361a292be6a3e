//! The tags of a repository as a table: what each tag is, which tags share an image,
//! and the order and filter the user chose.

use crate::model::sort;
use std::cmp::{Ordering, Reverse};
use std::collections::{HashMap, HashSet};

use super::timestamp::utc_instant;
use super::version_order::{natural_cmp, natural_key};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    NameAscending,
    NameDescending,
    NewestFirst,
    OldestFirst,
}

impl SortOrder {
    pub const ALL: [SortOrder; 4] = [
        SortOrder::NameAscending,
        SortOrder::NameDescending,
        SortOrder::NewestFirst,
        SortOrder::OldestFirst,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::NameAscending => "Name (versions ascending)",
            SortOrder::NameDescending => "Name (versions descending)",
            SortOrder::NewestFirst => "Created (newest first)",
            SortOrder::OldestFirst => "Created (oldest first)",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SortOrder::NameAscending => "name",
            SortOrder::NameDescending => "name-desc",
            SortOrder::NewestFirst => "newest",
            SortOrder::OldestFirst => "oldest",
        }
    }

    pub fn from_key(key: &str) -> SortOrder {
        SortOrder::ALL
            .into_iter()
            .find(|order| order.key() == key)
            .unwrap_or_default()
    }
}

/// Indices into `tags` of the rows to show, filtered and sorted. `created` gives the
/// creation time of a tag when known; tags without one sort last by date.
pub fn visible_tags(
    tags: &[String],
    filter: &str,
    order: SortOrder,
    created: impl Fn(&str) -> Option<String>,
) -> Vec<usize> {
    // Tags are ASCII by the grammar (as repository names in `catalog_rows`).
    let filter = filter.trim().to_ascii_lowercase();
    let mut rows: Vec<usize> = (0..tags.len())
        .filter(|&i| filter.is_empty() || tags[i].to_ascii_lowercase().contains(&filter))
        .collect();
    match order {
        SortOrder::NameAscending => sort::by_cached_key(&mut rows, |&i| natural_key(&tags[i])),
        SortOrder::NameDescending => {
            sort::by_cached_key(&mut rows, |&i| Reverse(natural_key(&tags[i])))
        }
        SortOrder::NewestFirst | SortOrder::OldestFirst => {
            // As instants: RFC 3339 text in other offsets or with fractions of a
            // second misorders; an unreadable time sorts with the unknown ones.
            let dates: HashMap<usize, Option<(i64, u32)>> = rows
                .iter()
                .map(|&i| (i, created(&tags[i]).as_deref().and_then(utc_instant)))
                .collect();
            sort::by(&mut rows, |a, b| {
                let by_date = match (&dates[a], &dates[b]) {
                    (Some(x), Some(y)) if order == SortOrder::NewestFirst => y.cmp(x),
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                by_date.then_with(|| natural_cmp(&tags[*a], &tags[*b]))
            });
        }
    }
    rows
}

/// Drops from a bulk selection the tags a complete listing no longer has (removed
/// elsewhere): a run would only fail on them. Whether any was dropped.
pub fn drop_unlisted(selected: &mut HashSet<String>, listed: &[String]) -> bool {
    if selected.is_empty() {
        return false;
    }
    let listed: HashSet<&str> = listed.iter().map(String::as_str).collect();
    let before = selected.len();
    selected.retain(|tag| listed.contains(tag.as_str()));
    selected.len() != before
}

/// The table's tags after a listing of the registry's: the tags `listed`, when the
/// listing is `complete`. A listing that may be incomplete (a page it could not
/// read) says nothing of the tags it lacks: every tag `shown` stays, and those new
/// to the table join after them.
pub fn tags_after_listing(shown: &[String], listed: &[String], complete: bool) -> Vec<String> {
    if complete {
        return listed.to_vec();
    }
    let mut known: HashSet<&str> = shown.iter().map(String::as_str).collect();
    let mut tags = shown.to_vec();
    tags.extend(
        listed
            .iter()
            .filter(|tag| known.insert(tag.as_str()))
            .cloned(),
    );
    tags
}

/// The hue of the first image found shared by two tags (degrees).
const FIRST_GROUP_HUE: u32 = 210;

/// Which tags point at which digest, filled in as digests arrive, so a row can say
/// "same image as …" without rescanning thousands of tags on every answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedDigests {
    tags_by_digest: HashMap<String, Vec<String>>,
    /// Each digest that came to be shared by two tags, numbered in the order it did:
    /// its colour. Never renumbered, so a group keeps its colour while others form.
    groups: HashMap<String, u32>,
}

impl SharedDigests {
    pub fn insert(&mut self, tag: &str, digest: &str) {
        // Kept in version order on insert, so reading never sorts.
        let tags = self.tags_by_digest.entry(digest.to_owned()).or_default();
        if let Err(position) = tags.binary_search_by(|t| natural_cmp(t, tag)) {
            tags.insert(position, tag.to_owned());
        }
        if tags.len() > 1 && !self.groups.contains_key(digest) {
            let next = self.groups.len() as u32;
            self.groups.insert(digest.to_owned(), next);
        }
    }

    /// The hue (degrees) that marks the rows of `digest` while two or more tags share
    /// it; `None` for an image only one tag points at, which has nothing to match.
    /// Hues are handed out a golden angle apart, so the first groups differ widely
    /// (the first eight by 30 degrees or more), where hues taken from the digests'
    /// bits could differ by a hair between two images.
    pub fn hue(&self, digest: &str) -> Option<u32> {
        let shared = self
            .tags_by_digest
            .get(digest)
            .is_some_and(|tags| tags.len() > 1);
        let group = self.groups.get(digest).filter(|_| shared)?;
        // Back by 137.5 degrees (on by 222.5), in tenths, so no float formatting is
        // linked in; the sequence comes round again after 288 groups (288 × 222.5 =
        // 178 turns). Blue first (often the only group), and the reds, which read as
        // errors, only from the fifth group on.
        Some((FIRST_GROUP_HUE + group % 288 * 2225 / 10) % 360)
    }

    /// Forgets that `tag` points at `digest` (it was removed or moved).
    pub fn remove(&mut self, tag: &str, digest: &str) {
        if let Some(tags) = self.tags_by_digest.get_mut(digest) {
            tags.retain(|t| t != tag);
            if tags.is_empty() {
                self.tags_by_digest.remove(digest);
            }
        }
    }

    /// Forgets every tag (their digests are being read again), keeping each group's
    /// colour for when it forms again.
    pub fn clear(&mut self) {
        self.tags_by_digest.clear();
    }

    /// Up to `limit` other tags known to point at `digest`, in version order, and how
    /// many other tags there are in all. Cost does not grow with the number of tags.
    pub fn others(&self, tag: &str, digest: &str, limit: usize) -> (Vec<String>, usize) {
        let Some(tags) = self.tags_by_digest.get(digest) else {
            return (Vec::new(), 0);
        };
        let is_member = tags.binary_search_by(|t| natural_cmp(t, tag)).is_ok();
        let total = tags.len() - usize::from(is_member);
        let shown = tags
            .iter()
            .filter(|t| *t != tag)
            .take(limit)
            .cloned()
            .collect();
        (shown, total)
    }
}

/// The placeholder a bulk tag pattern replaces with each selected tag.
pub const TAG_PLACEHOLDER: &str = "{tag}";

/// `{tag}-prod` with `1.0` → `1.0-prod`; without the placeholder the pattern is a suffix.
pub fn apply_pattern(pattern: &str, tag: &str) -> String {
    if pattern.contains(TAG_PLACEHOLDER) {
        pattern.replace(TAG_PLACEHOLDER, tag)
    } else {
        format!("{tag}{pattern}")
    }
}

/// The first `limit` of `tags` (in the order a run takes them) with the name the
/// pattern makes of each: what the bulk bar shows before Add tag runs.
pub fn pattern_examples(pattern: &str, tags: &[String], limit: usize) -> Vec<(String, String)> {
    tags.iter()
        .take(limit)
        .map(|tag| (tag.clone(), apply_pattern(pattern, tag)))
        .collect()
}

/// The least height of the tag table's scroller when the window has less room below
/// it: the header and six rows. A smaller window scrolls the page instead.
pub const MIN_SCROLLER_HEIGHT: f64 = 280.0;
/// Room kept under the scroller, so its bottom edge shows.
pub const SCROLLER_MARGIN: f64 = 16.0;

/// How tall the tag table's scroller is, in CSS pixels: as tall as its `content`
/// (header, rows and sideways scrollbar) when that fits in the window below the
/// scroller's top (`top_in_page`, from the top of the page), so a short table leaves no
/// empty box; else the room there, so the sideways scrollbar is on screen; never less
/// than [`MIN_SCROLLER_HEIGHT`].
pub fn scroller_height(content: f64, top_in_page: f64, window_height: f64) -> f64 {
    let room = window_height - top_in_page - SCROLLER_MARGIN;
    content.min(room.max(MIN_SCROLLER_HEIGHT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn filters_and_sorts_by_version() {
        let all = tags(&["1.10.0", "latest", "1.9.0", "current"]);
        let shown = |filter, order| -> Vec<&str> {
            visible_tags(&all, filter, order, |_| None)
                .into_iter()
                .map(|i| all[i].as_str())
                .collect()
        };
        assert_eq!(
            shown("", SortOrder::NameAscending),
            ["1.9.0", "1.10.0", "current", "latest"]
        );
        assert_eq!(shown("1.", SortOrder::NameDescending), ["1.10.0", "1.9.0"]);
        assert_eq!(shown("LATE", SortOrder::NameAscending), ["latest"]);
    }

    #[test]
    fn sorts_by_created_with_unknown_dates_last() {
        let all = tags(&["a", "b", "c", "d"]);
        let created = |tag: &str| match tag {
            "a" => Some("2026-01-01T00:00:00Z".to_string()),
            "b" => Some("2026-03-01T00:00:00Z".to_string()),
            "d" => Some("2026-02-01T00:00:00Z".to_string()),
            _ => None,
        };
        let order = |o| -> Vec<&str> {
            visible_tags(&all, "", o, created)
                .into_iter()
                .map(|i| all[i].as_str())
                .collect()
        };
        assert_eq!(order(SortOrder::NewestFirst), ["b", "d", "a", "c"]);
        assert_eq!(order(SortOrder::OldestFirst), ["a", "d", "b", "c"]);
    }

    #[test]
    fn finds_tags_sharing_a_digest() {
        let mut shared = SharedDigests::default();
        for (tag, digest) in [
            ("latest", "sha256:1"),
            ("1.10", "sha256:1"),
            ("1.9", "sha256:1"),
            ("0.9", "sha256:2"),
        ] {
            shared.insert(tag, digest);
        }
        shared.insert("latest", "sha256:1");
        assert_eq!(
            shared.others("latest", "sha256:1", 5),
            (vec!["1.9".to_string(), "1.10".to_string()], 2)
        );
        assert_eq!(
            shared.others("latest", "sha256:1", 1),
            (vec!["1.9".to_string()], 2)
        );
        assert_eq!(shared.others("0.9", "sha256:2", 5), (vec![], 0));
        assert_eq!(shared.others("x", "sha256:unknown", 5), (vec![], 0));
    }

    /// The smallest difference between two hues, around the circle.
    fn hue_gap(a: u32, b: u32) -> u32 {
        let d = a.abs_diff(b);
        d.min(360 - d)
    }

    #[test]
    fn only_shared_digests_have_a_colour_and_keep_it() {
        let mut shared = SharedDigests::default();
        shared.insert("a", "sha256:1");
        assert_eq!(shared.hue("sha256:1"), None, "one tag: nothing to match");
        shared.insert("b", "sha256:1");
        let first = shared.hue("sha256:1").expect("two tags share it");
        // Groups forming later never repaint the first.
        for group in 2..40 {
            let digest = format!("sha256:{group}");
            shared.insert("x", &digest);
            shared.insert("y", &digest);
        }
        assert_eq!(shared.hue("sha256:1"), Some(first));
        // Down to one tag: no colour; shared again: the same colour as before.
        shared.remove("b", "sha256:1");
        assert_eq!(shared.hue("sha256:1"), None);
        shared.insert("c", "sha256:1");
        assert_eq!(shared.hue("sha256:1"), Some(first));
        assert_eq!(shared.hue("sha256:unknown"), None);
    }

    #[test]
    fn cleared_groups_come_back_with_their_colours() {
        let mut shared = SharedDigests::default();
        let pairs = [
            ("a", "sha256:1"),
            ("b", "sha256:1"),
            ("c", "sha256:2"),
            ("d", "sha256:2"),
        ];
        for (tag, digest) in pairs {
            shared.insert(tag, digest);
        }
        let hues = (shared.hue("sha256:1"), shared.hue("sha256:2"));
        shared.clear();
        // No tag counts until read again: no badge, no colour.
        assert_eq!(shared.others("a", "sha256:1", 5), (vec![], 0));
        assert_eq!(shared.hue("sha256:1"), None);
        shared.insert("c", "sha256:2");
        assert_eq!(shared.others("c", "sha256:2", 5), (vec![], 0));
        // Read again in another order: each image keeps its colour.
        for (tag, digest) in pairs.into_iter().rev() {
            shared.insert(tag, digest);
        }
        assert_eq!((shared.hue("sha256:1"), shared.hue("sha256:2")), hues);
        assert_eq!(shared.others("a", "sha256:1", 5), (vec!["b".to_owned()], 1));
    }

    #[test]
    fn the_first_groups_colours_are_far_apart() {
        let mut shared = SharedDigests::default();
        let hues: Vec<u32> = (0..8)
            .map(|group| {
                let digest = format!("sha256:{group}");
                shared.insert("x", &digest);
                shared.insert("y", &digest);
                shared.hue(&digest).unwrap()
            })
            .collect();
        for (i, a) in hues.iter().enumerate() {
            assert!(*a < 360);
            for b in &hues[i + 1..] {
                // Eight groups on a 360 degree circle: at best 45 apart, here 30 or more.
                assert!(hue_gap(*a, *b) >= 30, "{hues:?}");
            }
        }
        // The first groups are no red, which would read as an error.
        assert!(hues[..4].iter().all(|h| hue_gap(*h, 0) >= 45), "{hues:?}");
    }

    #[test]
    fn sort_order_keys_round_trip() {
        for order in SortOrder::ALL {
            assert_eq!(SortOrder::from_key(order.key()), order);
        }
        assert_eq!(SortOrder::from_key("bogus"), SortOrder::NameAscending);
    }

    #[test]
    fn bulk_patterns() {
        assert_eq!(apply_pattern("{tag}-prod", "1.0"), "1.0-prod");
        assert_eq!(apply_pattern("release-{tag}", "1.0"), "release-1.0");
        assert_eq!(apply_pattern("-rc", "1.0"), "1.0-rc");
        assert_eq!(apply_pattern("{tag}.{tag}", "a"), "a.a");
        let tags = ["1.0".to_owned(), "2.0".to_owned(), "3.0".to_owned()];
        assert_eq!(
            pattern_examples("fixed", &tags, 2),
            [
                ("1.0".to_owned(), "1.0fixed".to_owned()),
                ("2.0".to_owned(), "2.0fixed".to_owned())
            ]
        );
        assert_eq!(pattern_examples("x", &tags[..1], 2).len(), 1);
    }

    #[test]
    fn the_scroller_fits_its_rows_or_the_window_below_it() {
        // Three rows and the header: as tall as they are, not a window-sized box.
        assert_eq!(scroller_height(160.0, 190.0, 800.0), 160.0);
        // 2000 rows: what the window has below the top, the margin kept.
        assert_eq!(scroller_height(80_040.0, 234.0, 600.0), 350.0);
        // A window with almost no room: the least height, and the page scrolls.
        assert_eq!(scroller_height(80_040.0, 500.0, 600.0), MIN_SCROLLER_HEIGHT);
        // Fewer rows than the least height still fit them exactly.
        assert_eq!(scroller_height(120.0, 500.0, 600.0), 120.0);
    }
}
