//! The result line of each item of a bulk change, and the check afterwards.

use super::change_error;
use crate::oci::bulk::{ItemFailure, ItemResult, KeptLost};
use crate::oci::changes::{ChangeError, ImageUsers};

/// One item's result, for the result list.
pub fn item_result(result: &ItemResult) -> String {
    match result {
        ItemResult::Tagged(write) if write.changed() => {
            format!("tagged {} → {}", write.tag, write.digest)
        }
        ItemResult::Tagged(write) => format!(
            "{} already pointed at {}; nothing changed",
            write.tag, write.digest
        ),
        ItemResult::Removed(removal) => {
            let image = removal.digest.short(12);
            if removal.kept.is_empty() {
                format!("removed; image {image} stays, pullable by digest (no other tag uses it)")
            } else {
                format!(
                    "removed; image {image} kept for {}",
                    kept_for(&removal.kept)
                )
            }
        }
        ItemResult::Failed(ItemFailure::Cancelled) => {
            "not run: cancelled; nothing was changed for it".into()
        }
        ItemResult::Failed(ItemFailure::DigestUnknown) => {
            "its digest is not known yet; nothing was changed".into()
        }
        ItemResult::Failed(ItemFailure::InvalidName(error)) => super::name_error(error),
        ItemResult::Failed(ItemFailure::TagListUnreadable(error)) => format!(
            "the tag list could not be read: {}",
            change_error(error).detail_and_outcome()
        ),
        // A bulk run never moves a tag: Retry would only ask again. Say where a move
        // can be confirmed.
        ItemResult::Failed(ItemFailure::Change(error @ ChangeError::WouldMove { tag, .. })) => {
            format!(
                "{} A bulk run never moves a tag: to move {tag}, use Add tag on the row of the \
             image it should point at, and confirm the move.",
                change_error(error).detail_and_outcome()
            )
        }
        ItemResult::Failed(ItemFailure::Change(error)) => change_error(error).detail_and_outcome(),
    }
}

/// After a bulk removal: what outside the selection lost the image it was kept for.
pub fn kept_lost(lost: &KeptLost) -> String {
    format!(
        "Check after removing tags of {}: {}",
        lost.digest.short(12),
        change_error(&lost.error).detail_and_outcome()
    )
}

/// What an image was kept for: "the other tags a, b and the multi-arch image c".
pub fn kept_for(users: &ImageUsers) -> String {
    let mut parts = Vec::new();
    match users.tags.len() {
        0 => {}
        1 => parts.push(format!("the other tag {}", users.tags[0])),
        _ => parts.push(format!("the other tags {}", super::some_names(&users.tags))),
    }
    if !users.indexes.is_empty() {
        parts.push(format!(
            "the multi-arch image {}",
            super::some_names(&users.indexes)
        ));
    }
    parts.join(" and ")
}
