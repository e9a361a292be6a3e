//! The count above a repository's tag table.

use super::plural;

/// Where the listing of a repository's tags stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagListState {
    Loading,
    /// Listed to the end, unless it `may_be_incomplete` (the banner below says why).
    Done {
        may_be_incomplete: bool,
    },
    /// Stopped by the failure shown below.
    Failed,
}

/// What the count above the tag table counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagCount {
    pub listing: TagListState,
    /// Tags listed so far.
    pub total: usize,
    /// Of those, the ones the filter shows.
    pub shown: usize,
    /// Tags whose digest was read in this visit.
    pub resolved: usize,
    /// Tags whose digest is known from an earlier visit, being read again.
    pub rechecking: usize,
    /// Tags whose digest could not be read.
    pub digests_failed: usize,
    /// Tags whose image (what it is, its size and date) could not be read.
    pub images_failed: usize,
}

/// The count line: how many tags, what is still loading, what could not be read.
pub fn tag_count(count: &TagCount) -> String {
    let TagCount {
        listing,
        total,
        shown,
        resolved,
        rechecking,
        digests_failed,
        images_failed,
    } = *count;
    let tags = plural(total, "tag", "tags");
    let listed = match listing {
        TagListState::Loading => format!("Loading tags… {total} so far"),
        // The banner below says why the list may lack tags: none found is not none.
        TagListState::Done {
            may_be_incomplete: true,
        } if total == 0 => {
            "No tags found so far; the list may be incomplete (see below).".to_owned()
        }
        TagListState::Done { .. } if total == 0 => "This repository has no tags.".to_owned(),
        TagListState::Done { .. } if shown == total => tags,
        TagListState::Done { .. } => format!("{shown} of {tags} match"),
        // The list stopped part-way: what is shown is not all there is.
        TagListState::Failed if total > 0 => {
            format!("{tags} listed before the failure below; the repository may have more")
        }
        TagListState::Failed => "No tags could be listed: see the failure below.".to_owned(),
    };
    let listed = match digests_failed {
        0 => listed,
        1 => format!("{listed} · the digest of 1 tag could not be read"),
        n => format!("{listed} · the digests of {n} tags could not be read"),
    };
    // The kind column says "unreadable" for these rows, which may be off screen.
    let listed = match images_failed {
        0 => listed,
        1 => format!("{listed} · the image of 1 tag could not be read"),
        n => format!("{listed} · the images of {n} tags could not be read"),
    };
    if rechecking > 0 {
        format!("{listed} · re-checking {rechecking} digests known from before")
    } else if total > 0 && resolved < total {
        format!("{listed} · digests {resolved} of {total} loaded")
    } else {
        listed
    }
}
