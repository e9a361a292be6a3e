//! The result line of each item of a bulk change, and the check afterwards.

use super::{change_error, ResultLine};
use crate::model::tag_table::TAG_PLACEHOLDER;
use crate::oci::bulk::{ItemFailure, ItemResult, KeptLost};
use crate::oci::changes::{ChangeError, ImageUsers};
use crate::oci::names::NameError;

/// One item's result, for the result list; one applied although a request of it
/// failed says so, as the single change's dialog does.
pub fn item_result(result: &ItemResult) -> ResultLine {
    let applied_anyway = match result {
        ItemResult::Tagged(write) => write.applied_anyway.as_deref(),
        ItemResult::Removed(removal) | ItemResult::RemovedTakingImage(removal) => {
            removal.applied_anyway.as_deref()
        }
        _ => None,
    };
    let mut line = item_line(result);
    if let Some(answered) = applied_anyway {
        line.text = format!("{} (Note: {}.)", line.text, super::applied_anyway(answered));
    }
    line
}

fn item_line(result: &ItemResult) -> ResultLine {
    match result {
        ItemResult::Tagged(write) if write.changed() => {
            format!("tagged {} → {}", write.tag, write.digest).into()
        }
        ItemResult::Tagged(write) => format!(
            "{} already pointed at {}; nothing changed",
            write.tag, write.digest
        )
        .into(),
        ItemResult::Removed(removal) => {
            let image = removal.digest.short(12);
            if removal.kept.is_empty() && removal.kept.among_incomplete_list {
                format!(
                    "removed; image {image} stays, pullable by digest (no other listed tag uses \
                     it; the tag list may be incomplete)"
                )
                .into()
            } else if removal.kept.is_empty() {
                format!("removed; image {image} stays, pullable by digest (no other tag uses it)")
                    .into()
            } else {
                format!(
                    "removed; image {image} kept for {}",
                    kept_for(&removal.kept)
                )
                .into()
            }
        }
        ItemResult::RemovedTakingImage(removal) => format!(
            "removed, but the registry deleted its image {} with it (see the check below); \
             Undo puts back what went",
            removal.digest.short(12)
        )
        .into(),
        ItemResult::RemovedWithImage { by } => format!(
            "removed: the registry deleted it with its image when {by} was removed; Undo \
             puts it back"
        )
        .into(),
        ItemResult::Failed(ItemFailure::Cancelled) => {
            ResultLine::from("not run: cancelled; nothing was changed for it".to_owned())
        }
        ItemResult::Failed(ItemFailure::DigestUnknown) => {
            ResultLine::from("its digest is not known yet; nothing was changed".to_owned())
        }
        ItemResult::Failed(ItemFailure::InvalidName(error)) => super::name_error(error).into(),
        ItemResult::Failed(ItemFailure::TagListUnreadable(error)) => change_error(error)
            .result_line()
            .after("the tag list could not be read: "),
        ItemResult::Failed(ItemFailure::UsersUnknown { unread, error }) => {
            change_error(error).result_line().after(&format!(
                "{} could not be looked up, also when tried again; {} point at its image, \
                 so nothing was removed: ",
                super::some_names(unread),
                if unread.len() == 1 {
                    "it may"
                } else {
                    "any of them may"
                }
            ))
        }
        // A bulk run never moves a tag: Retry would only ask again. Say where a move
        // can be confirmed.
        ItemResult::Failed(ItemFailure::Change(error @ ChangeError::WouldMove { tag, .. })) => {
            let mut line = change_error(error).result_line();
            line.text.push_str(&format!(
                " A bulk run never moves a tag: to move {tag}, use Add tag on the row of the \
                 image it should point at, and confirm the move."
            ));
            line
        }
        ItemResult::Failed(ItemFailure::Change(error)) => change_error(error).result_line(),
    }
}

/// After a bulk removal: what outside the selection lost the image it was kept for.
pub fn kept_lost(lost: &KeptLost) -> ResultLine {
    change_error(&lost.error).result_line().after(&format!(
        "Check after removing tags of {}: ",
        lost.digest.short(12)
    ))
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

/// A batch whose items were all done, though checks after it failed.
pub fn batch_checks_failed(warnings: usize) -> String {
    format!(
        "Every item was done, but {} after the run found a problem: {} below.",
        super::plural(warnings, "check", "checks"),
        if warnings == 1 { "it is" } else { "they are" }
    )
}

/// The activity entry of a batch of which no item was done (some failed, the others
/// were skipped or not run).
pub fn batch_none_done(total: usize) -> String {
    match total {
        1 => "The item was not done: it says why below, and what it left.".to_owned(),
        _ => format!("None of the {total} items was done: each says why below, and what it left."),
    }
}

/// What a bulk pattern makes, shown before it runs: "Makes 1.0-stable (from 1.0),
/// latest-stable (from latest) and 3 more." `examples` are (tag, new name) pairs in
/// the order the run takes them; `total` is how many tags are selected.
pub fn pattern_preview(examples: &[(String, String)], total: usize) -> String {
    let named: Vec<String> = examples
        .iter()
        .map(|(tag, made)| format!("{made} (from {tag})"))
        .collect();
    let more = total.saturating_sub(examples.len());
    match (named.as_slice(), more) {
        ([], _) => String::new(),
        ([one], 0) => format!("Makes {one}."),
        ([first @ .., last], 0) => format!("Makes {} and {last}.", first.join(", ")),
        _ => format!("Makes {} and {more} more.", named.join(", ")),
    }
}

/// Why a bulk pattern makes no valid name: the name's fault, and a placeholder
/// mistyped (`{Tag}`, `{ tag }`) said as such, as braces are no tag characters.
pub fn pattern_error(pattern: &str, error: &NameError) -> String {
    let fault = super::name_error(error);
    if pattern.contains('{') && !pattern.contains(TAG_PLACEHOLDER) {
        format!(
            "{fault}. The placeholder for each selected tag is {TAG_PLACEHOLDER}, in lower case"
        )
    } else {
        fault
    }
}

/// The activity entry's summary of a bulk run: "Bulk remove tags in app: 1 done, 1
/// failed, 1 not run (cancelled), of 3". Items Cancel came before are not failures;
/// "0 failed" is left out only beside them.
pub fn bulk_summary(
    what: &str,
    done: usize,
    failed: usize,
    cancelled: usize,
    total: usize,
) -> String {
    let mut parts = vec![format!("{done} done")];
    if failed > 0 || cancelled == 0 {
        parts.push(format!("{failed} failed"));
    }
    if cancelled > 0 {
        parts.push(format!("{cancelled} not run (cancelled)"));
    }
    format!("{what}: {}, of {total}", parts.join(", "))
}
