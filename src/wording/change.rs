//! What a change's failure means to a person: what happened, what to do, and whether
//! anything was changed.

use super::registry;
use super::Message;
use crate::oci::changes::{ChangeError, CopyReport, CopyStep, CopyWork, ReadAgain};
use crate::oci::error::RegistryError;
use crate::oci::names::{Digest, Repository, Tag};

/// The one way a change's failure is told, on every screen.
pub fn change_error(error: &ChangeError) -> Message {
    let (account, requests) = account_and_requests(error);
    Message {
        headline: headline(error),
        detail: detail(error),
        account,
        requests,
        advice: advice(error),
        outcome: outcome(error).to_owned(),
    }
}

fn headline(error: &ChangeError) -> String {
    match error {
        ChangeError::Registry(cause) => registry::error(cause).headline,
        ChangeError::Refused(cause)
        | ChangeError::NotAppliedAfterFailure { cause, .. }
        | ChangeError::ImageDeleteHalfDone { cause, .. } => registry::error(cause).headline,
        ChangeError::AfterWrite { cause, .. } => headline(cause),
        ChangeError::IndexLeftListing { cause, .. } => headline(cause),
        ChangeError::InvalidName(_) => "Invalid name".into(),
        ChangeError::DeletesUnchecked { .. } => {
            "Could not check whether this registry deletes manifests".into()
        }
        ChangeError::ChangedMeanwhile { .. } => "The tag changed meanwhile".into(),
        ChangeError::WouldMove { .. } => "The tag points at another image".into(),
        ChangeError::NotApplied { .. } => "The registry does not show the change".into(),
        ChangeError::Unknown { .. } => "Not known whether the change was applied".into(),
        ChangeError::PartlyRestored { .. } => "Only partly put back".into(),
        ChangeError::CopyStopped { .. } => "The copy stopped".into(),
        ChangeError::Cancelled { .. } => "Cancelled".into(),
        ChangeError::NotRecorded => "Not started: this tab's storage is full".into(),
        ChangeError::TagListIncomplete { .. } => "The tag list may be incomplete".into(),
        ChangeError::TagsChangedMeanwhile { .. } => "The image's tags changed meanwhile".into(),
        ChangeError::PartOfIndex { .. } => "A platform of a multi-arch image".into(),
        ChangeError::ListsUnremoved { .. } => "Kept, so that what it lists stays findable".into(),
        ChangeError::ListsUnshown { .. } => "It lists referrers that were not shown".into(),
        ChangeError::KeptWithIndex { .. } => "Kept with the fallback tag that lists it".into(),
        ChangeError::NotAReferrer { .. } => "Listed as a referrer, but it is not one".into(),
        ChangeError::TagNotReferrerIndex { .. } => {
            "The target's fallback tag is not a list of referrers".into()
        }
        ChangeError::AlreadyGone { .. } => "Already gone".into(),
        ChangeError::NothingToUndo => "Nothing to undo now".into(),
        ChangeError::Recreated { .. } => "The tag exists again".into(),
        ChangeError::PlatformLost { .. } => "A multi-arch image lost a platform".into(),
        ChangeError::ImageUnread { .. } => "Removed, but the image could not be checked".into(),
        ChangeError::TagsLost { tags, .. } if tags.is_empty() => {
            "The registry deleted the image too".into()
        }
        ChangeError::TagsLost { .. } => "The registry removed other tags too".into(),
        ChangeError::RolledBack { .. } => "The tag could not be removed on its own".into(),
        ChangeError::Stranded { .. } => "The tag points at a throw-away manifest".into(),
    }
}

fn detail(error: &ChangeError) -> String {
    match error {
        ChangeError::Registry(cause) => registry::error(cause).detail,
        ChangeError::Refused(cause) => registry::error(cause).detail,
        // The check's own request names a made-up digest: said for what it is.
        ChangeError::DeletesUnchecked { refused, cause } => format!(
            "{}. Tagdeck can still remove the tag by deleting a throw-away manifest, if \
             this registry deletes manifests; checking that (a DELETE of a digest that \
             does not exist, which changes nothing) failed: {}",
            registry::error(refused).detail,
            registry::error(cause).detail
        ),
        ChangeError::InvalidName(cause) => super::name_error(cause),
        ChangeError::ChangedMeanwhile {
            tag,
            expected,
            found,
        } => format!(
            "{tag} now points at {}, not at {expected} as this change expected",
            found
                .as_ref()
                .map_or("nothing (it was removed)".to_owned(), Digest::to_string)
        ),
        ChangeError::WouldMove { tag, current, new } => {
            format!("{tag} already points at {current}; moving it to {new} needs confirmation")
        }
        ChangeError::NotApplied {
            tag,
            expected,
            found,
        } => format!(
            "after the change {tag} points at {}, expected {}",
            digest_or_no_tag(found),
            digest_or_no_tag(expected)
        ),
        ChangeError::NotAppliedAfterFailure {
            subject,
            now,
            cause,
        } => format!(
            "{}; read again, {subject} {}",
            registry::error(cause).detail,
            read_again(now)
        ),
        ChangeError::ImageDeleteHalfDone {
            digest,
            untagged,
            cause,
        } => format!(
            "{}; {}",
            registry::error(cause).detail,
            half_deleted(digest, untagged)
        ),
        ChangeError::Unknown { cause, reread } => format!(
            "{}; reading the registry again failed too: {}",
            registry::error(cause).detail,
            registry::error(reread).detail
        ),
        ChangeError::AfterWrite { cause, .. } => detail(cause),
        ChangeError::IndexLeftListing { removed, cause, .. } => {
            format!("{}; {}", detail(cause), left_listing(removed, cause))
        }
        ChangeError::PartlyRestored { restored, cause } => {
            format!("put back {}, then: {}", restored.join(", "), detail(cause))
        }
        ChangeError::CopyStopped { at, cause } => {
            format!("{}: {}", copy_stopped_at(at, cause), detail(cause))
        }
        ChangeError::NotRecorded => "the browser refused to keep the change's record in this \
             tab's session storage; without it a reload could not say what a change cut \
             short did, so it was not started"
            .into(),
        ChangeError::Cancelled { done, total } => {
            format!("cancelled after {done} of {total} steps")
        }
        ChangeError::TagNotReferrerIndex { tag } => format!(
            "in the target repository, {tag} points at a manifest that is not an index of \
             referrers (a multi-arch image, or no index at all); it was left as it is"
        ),
        ChangeError::NotAReferrer { digest, subject } => format!(
            "{digest} was listed as referring to {subject}, but its manifest does not name \
             that image as its subject; it was kept"
        ),
        ChangeError::TagListIncomplete { repository } => format!(
            "the tag list of {repository} may be incomplete (its pages could not all be \
             followed: a page without a readable Link header, or more than this page reads); \
             deleting an image needs every tag"
        ),
        ChangeError::TagsChangedMeanwhile {
            digest,
            confirmed,
            now,
        } => format!(
            "{digest} now has the tags {}; the change was confirmed for the tags shown then: {}",
            list(now),
            list(confirmed)
        ),
        ChangeError::PartOfIndex { digest, indexes } => format!(
            "{digest} is a platform of the multi-arch image tagged {}; deleting it would \
             break that image",
            list(indexes)
        ),
        ChangeError::ListsUnremoved { unremoved, .. } => format!(
            "it lists {}, which could not be removed",
            digests(unremoved)
        ),
        ChangeError::ListsUnshown { unshown, .. } => format!(
            "it also lists {}, which the registry has and the list of referrers did not \
             show (added meanwhile, or not readable)",
            digests(unshown)
        ),
        ChangeError::NothingToUndo => "the change is not on the registry".into(),
        ChangeError::AlreadyGone { subject } => {
            format!("{subject} is no longer in the registry (removed earlier)")
        }
        ChangeError::KeptWithIndex { tag } => format!(
            "the fallback tag {tag} lists it and is kept (see its line): removed alone, it \
             would leave that list naming a manifest that is gone"
        ),
        ChangeError::Recreated { tag, found } => {
            format!("{tag} exists again and points at {found}; Undo would overwrite it")
        }
        ChangeError::TagsLost { digest, tags } if tags.is_empty() => format!(
            "the registry deleted the image {digest} with the tag, though it was to stay, \
             pullable by digest"
        ),
        ChangeError::TagsLost { digest, tags } => format!(
            "{} pointed at the same image ({digest}) and now {} at nothing: the registry \
             deleted the image with every tag it had, though only one tag was removed",
            list(tags),
            if tags.len() == 1 { "points" } else { "point" }
        ),
        ChangeError::ImageUnread { digest, cause } => format!(
            "{}; {}",
            image_unread(digest),
            registry::error(cause).detail
        ),
        ChangeError::PlatformLost { digest, indexes } => format!(
            "{digest}, a platform of {}, is gone from the registry",
            list(indexes)
        ),
        ChangeError::RolledBack {
            tag, digest, cause, ..
        } => format!(
            "{tag} could not be removed on its own ({}); it was put back and still points \
             at {digest}",
            registry::error(cause).detail
        ),
        ChangeError::Stranded {
            tag,
            original,
            placeholder,
            cause,
        } => format!(
            "{tag} could not be removed ({}) nor put back: it now points at the throw-away \
             manifest {placeholder} instead of {original}",
            registry::error(cause).detail
        ),
    }
}

/// A fallback tag kept after its referrers went: what its list now names.
/// `cause`: why it was not deleted; after an unclear answer it may be gone after all.
fn left_listing(removed: &[Digest], cause: &ChangeError) -> String {
    let still = match cause {
        _ if not_applied_so_far(cause) => "it is kept, and",
        ChangeError::Unknown { .. } | ChangeError::AfterWrite { .. } => "if it is still there",
        _ => "it is kept, and",
    };
    format!(
        "the referrers it lists were removed before it, so {still} it lists {}, which {} \
         gone",
        digests(removed),
        if removed.len() == 1 { "is" } else { "are" }
    )
}

/// A tag removed by a DELETE by tag, and its image unreadable afterwards.
fn image_unread(digest: &Digest) -> String {
    format!(
        "the registry deleted the tag; some registries delete the image with every tag \
         on it when asked to delete one, and reading the image {digest} afterwards failed"
    )
}

/// A change's write that failed unclearly and, read again, was not there: its Undo is
/// kept, as the request may still complete.
fn not_applied_so_far(error: &ChangeError) -> bool {
    matches!(error, ChangeError::AfterWrite { cause, .. }
        if matches!(**cause, ChangeError::NotAppliedAfterFailure { .. }))
}

/// What happened, said without the requests, and the requests behind it, each with
/// what came of it: the same facts as `detail`, for a panel that folds the requests
/// away.
fn account_and_requests(error: &ChangeError) -> (String, Vec<String>) {
    let told = |cause: &RegistryError| registry::error(cause).detail;
    match error {
        ChangeError::Registry(cause) => (String::new(), vec![told(cause)]),
        ChangeError::Refused(cause) => (String::new(), vec![told(cause)]),
        ChangeError::DeletesUnchecked { refused, cause } => (
            "The registry would not delete the tag alone. Tagdeck can still remove it by \
             deleting a throw-away manifest, if this registry deletes manifests; checking \
             that (a DELETE of a digest that does not exist, which changes nothing) failed"
                .into(),
            vec![told(refused), told(cause)],
        ),
        ChangeError::NotAppliedAfterFailure {
            subject,
            now,
            cause,
        } => (
            format!(
                "Read again after the failure, {subject} {}",
                read_again(now)
            ),
            vec![told(cause)],
        ),
        ChangeError::ImageDeleteHalfDone {
            digest,
            untagged,
            cause,
        } => (
            super::sentence(&half_deleted(digest, untagged)),
            vec![told(cause)],
        ),
        ChangeError::Unknown { cause, reread } => (
            "The write got no clear answer, and reading the registry again failed too".into(),
            vec![told(cause), told(reread)],
        ),
        ChangeError::AfterWrite { cause, .. } => account_and_requests(cause),
        ChangeError::IndexLeftListing { removed, cause, .. } => {
            let (account, requests) = account_and_requests(cause);
            let left = left_listing(removed, cause);
            if account.is_empty() {
                (super::sentence(&left), requests)
            } else {
                (format!("{account}; {left}"), requests)
            }
        }
        ChangeError::PartlyRestored { restored, cause } => {
            then(format!("Put back {}", restored.join(", ")), cause)
        }
        ChangeError::CopyStopped { at, cause } => {
            let (account, requests) = account_and_requests(cause);
            let first = copy_stopped_at(at, cause);
            if account.is_empty() {
                (first, requests)
            } else {
                (format!("{first}: {account}"), requests)
            }
        }
        ChangeError::RolledBack {
            tag, digest, cause, ..
        } => (
            format!(
                "{tag} could not be removed on its own; it was put back and still points \
                 at {digest}"
            ),
            vec![told(cause)],
        ),
        ChangeError::Stranded {
            tag,
            original,
            placeholder,
            cause,
        } => (
            format!(
                "{tag} could not be removed nor put back: it now points at the throw-away \
                 manifest {placeholder} instead of {original}"
            ),
            vec![told(cause)],
        ),
        ChangeError::NothingToUndo => (String::new(), Vec::new()),
        // No request failed: the detail is the whole account.
        ChangeError::InvalidName(_)
        | ChangeError::ChangedMeanwhile { .. }
        | ChangeError::WouldMove { .. }
        | ChangeError::NotApplied { .. }
        | ChangeError::Cancelled { .. }
        | ChangeError::NotRecorded
        | ChangeError::TagListIncomplete { .. }
        | ChangeError::TagsChangedMeanwhile { .. }
        | ChangeError::PartOfIndex { .. }
        | ChangeError::ListsUnremoved { .. }
        | ChangeError::ListsUnshown { .. }
        | ChangeError::KeptWithIndex { .. }
        | ChangeError::NotAReferrer { .. }
        | ChangeError::TagNotReferrerIndex { .. }
        | ChangeError::AlreadyGone { .. }
        | ChangeError::Recreated { .. }
        | ChangeError::TagsLost { .. }
        | ChangeError::PlatformLost { .. } => (detail(error), Vec::new()),
        ChangeError::ImageUnread { digest, cause } => {
            (super::sentence(&image_unread(digest)), vec![told(cause)])
        }
    }
}

/// `first`, then what stopped it (the cause's own account, if it has one), with the
/// cause's requests.
fn then(first: String, cause: &ChangeError) -> (String, Vec<String>) {
    let (account, requests) = account_and_requests(cause);
    if account.is_empty() {
        (first, requests)
    } else {
        (format!("{first}, then: {account}"), requests)
    }
}

/// Where a copy stopped, and what stopped it: "The registry failed writing manifest
/// sha256:0123456789ab, one the image lists; the tag was not written".
fn copy_stopped_at(at: &CopyWork, cause: &ChangeError) -> String {
    let what = headline(cause);
    match at {
        CopyWork::Blob(digest) => format!(
            "{what} copying blob {}; the tag was not written",
            digest.short(12)
        ),
        CopyWork::Manifest { digest, platform } => format!(
            "{what} copying manifest {}{}, one the image lists; the tag was not written",
            digest.short(12),
            platform
                .as_ref()
                .map(|p| format!(" (platform {p})"))
                .unwrap_or_default()
        ),
        CopyWork::Tag(tag) => format!("{what} writing the tag {tag}"),
        CopyWork::Done => what,
    }
}

/// What an image delete that failed midway left: the image, without some of its tags.
fn half_deleted(digest: &Digest, untagged: &[String]) -> String {
    format!(
        "read again after the failure, the image {digest} still exists, but {} no \
         longer {} at it",
        untagged.join(", "),
        if untagged.len() == 1 {
            "points"
        } else {
            "point"
        }
    )
}

/// What the registry showed when read again after a failed write.
fn read_again(now: &ReadAgain) -> String {
    match now {
        ReadAgain::Tag(Some(digest)) => format!("points at {digest}"),
        ReadAgain::Tag(None) => "does not exist".to_owned(),
        ReadAgain::ImageStillThere => "still exists".to_owned(),
        ReadAgain::ImageAbsent => "is not there".to_owned(),
    }
}

fn digest_or_no_tag(digest: &Option<Digest>) -> String {
    digest
        .as_ref()
        .map_or("nothing (no such tag)".to_owned(), Digest::to_string)
}

/// Digests in full, for a line that is the only place they are named.
fn digests(digests: &[Digest]) -> String {
    digests
        .iter()
        .map(Digest::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(tags: &[String]) -> String {
    if tags.is_empty() {
        "no tag".to_owned()
    } else {
        tags.join(", ")
    }
}

fn advice(error: &ChangeError) -> String {
    match error {
        ChangeError::Registry(cause) => registry::error(cause).advice,
        ChangeError::Refused(cause)
        | ChangeError::DeletesUnchecked { cause, .. }
        | ChangeError::RolledBack { cause, .. }
        | ChangeError::NotAppliedAfterFailure { cause, .. } => registry::error(cause).advice,
        ChangeError::Unknown { .. } => {
            "Reload to see what the registry holds now; Undo is kept in case the change \
             was applied."
                .into()
        }
        ChangeError::AfterWrite { cause, .. } => advice(cause),
        // It lists referrers pushed since as well, which are there: only Undo fits.
        ChangeError::IndexLeftListing { cause, .. }
            if matches!(**cause, ChangeError::ListsUnshown { .. }) =>
        {
            "Undo in the activity list puts the removed referrers back, so that what the \
             fallback tag lists is there again."
                .into()
        }
        ChangeError::IndexLeftListing { tag, .. } => format!(
            "Undo in the activity list puts the removed referrers back, so that what the \
             fallback tag lists is there again. Or, if they are not wanted, delete the image \
             of the fallback tag {tag} from the repository's tag list (with signature and \
             SBOM tags shown): what it lists is gone already."
        ),
        ChangeError::NotRecorded => "Open the console in a new tab (each tab has storage \
             of its own) and make the change there."
            .into(),
        ChangeError::Cancelled { .. } => {
            "Copy again to finish it: what is there is skipped.".into()
        }
        // A failure of the moment, mid-copy (the registry answered before it): one
        // piece of advice, not "try again" and then "copy again"; nor the first
        // connection's CORS advice, as this page reached the registry already.
        ChangeError::CopyStopped {
            cause: stopped_by, ..
        } if matches!(
            stopped_by.as_ref(),
            ChangeError::Registry(
                RegistryError::Network { .. }
                    | RegistryError::TimedOut { .. }
                    | RegistryError::Server { .. }
            )
        ) =>
        {
            "Copy again in a moment to finish it: what is already there is skipped. If it \
             keeps failing at the same step, check the registry's logs."
                .into()
        }
        ChangeError::CopyStopped { cause, .. } => format!(
            "{} Copy again to finish it: what is already there is skipped.",
            advice(cause)
        ),
        ChangeError::PartlyRestored { cause, .. } => {
            format!("{} Undo again puts back the rest.", advice(cause))
        }
        ChangeError::TagListIncomplete { .. } => {
            "Let this page read the registry's Link header (Access-Control-Expose-Headers: \
             Link, as deploy/'s CORS front sends), or serve the console from the registry's \
             origin; or remove the tags one by one: a tag removal never deletes the image."
                .into()
        }
        ChangeError::Stranded { tag, original, .. } => format!(
            "Point {tag} at {original} again: open another tag of that image (or its \
             digest) and use Add tag with the name {tag}, confirming the move."
        ),
        ChangeError::TagsChangedMeanwhile { .. } => {
            "Look at the new list of tags and confirm again if it is still what you want.".into()
        }
        ChangeError::PartOfIndex { .. } => {
            "Remove the tag only, or delete the multi-arch image first.".into()
        }
        // The image is deleted by then: its page, which offers deleting its
        // referrers, is gone. The advice names what is left to act on.
        ChangeError::ListsUnremoved { .. } => {
            "What could not be removed stays findable through it. Undo in the activity \
             list puts back the referrers that were removed."
                .into()
        }
        ChangeError::ListsUnshown { .. } => {
            "It and what it lists stay as they are: open the fallback tag in the \
             repository's tag list (with signature and SBOM tags shown) to see what it \
             lists."
                .into()
        }
        ChangeError::AlreadyGone { .. } => "Nothing is left to do for it.".into(),
        ChangeError::NothingToUndo => {
            "Nothing to undo now: the change is not on the registry (someone may have \
             undone it, or its request is still under way and may land later, so Undo \
             stays available)."
                .into()
        }
        ChangeError::TagNotReferrerIndex { tag } => format!(
            "Look at what {tag} holds in the target repository before anything is copied \
             under that name. Referrers that only a fallback index makes findable were not \
             copied; those the registry's referrers API finds were copied on their own."
        ),
        ChangeError::NotAReferrer { .. } => {
            "A fallback index (which any client with push rights can write) or the registry \
             listed it wrongly. Open it by digest to see what it is before deleting it on \
             its own."
                .into()
        }
        ChangeError::KeptWithIndex { .. } => {
            "It stays findable through that fallback tag, whose line says why it was kept.".into()
        }
        ChangeError::Recreated { .. } => {
            "Remove or rename the new tag first if you still want the old one back.".into()
        }
        ChangeError::ImageUnread { .. } => {
            "Reload to see whether the image is still there. If it went with the tag, Undo \
             puts both back; this registry may remove tags by deleting their image, so \
             remove tags of a shared image elsewhere."
                .into()
        }
        ChangeError::PlatformLost { .. } => {
            "Copy the platform image back from another repository or push it again.".into()
        }
        ChangeError::ImageDeleteHalfDone { .. } => {
            "Undo puts these tags back on the image. To delete the image after all, open \
             it again (by its digest if no tag is left): the delete asks you to confirm \
             the tags it has now."
                .into()
        }
        ChangeError::TagsLost { .. } => {
            "Undo puts these tags back; until then pulls of them fail. This registry \
             removes tags by deleting their image: remove tags of a shared image \
             elsewhere, or not at all."
                .into()
        }
        ChangeError::InvalidName(_) => "Correct the name and try again.".into(),
        ChangeError::ChangedMeanwhile { .. } => {
            "The tag changed since it was read (a later change, here or elsewhere): check \
             what it points at now before trying again."
                .into()
        }
        ChangeError::WouldMove { .. } => "Confirm the move, or choose another tag name.".into(),
        ChangeError::NotApplied { .. } => {
            "Reload to see the registry's state; it may be inconsistent or caching.".into()
        }
    }
}

/// What state the registry is in after the failure.
fn outcome(error: &ChangeError) -> &'static str {
    match error {
        ChangeError::ChangedMeanwhile { .. }
        | ChangeError::WouldMove { .. }
        | ChangeError::InvalidName(_)
        | ChangeError::Refused(_)
        | ChangeError::TagsChangedMeanwhile { .. }
        | ChangeError::PartOfIndex { .. }
        | ChangeError::ListsUnremoved { .. }
        | ChangeError::ListsUnshown { .. }
        | ChangeError::KeptWithIndex { .. }
        | ChangeError::NotAReferrer { .. }
        | ChangeError::TagNotReferrerIndex { .. }
        | ChangeError::AlreadyGone { .. }
        | ChangeError::TagListIncomplete { .. }
        | ChangeError::Recreated { .. }
        | ChangeError::NotRecorded => "Nothing was changed.",
        // The account says the registry was read again and what it showed.
        ChangeError::NotAppliedAfterFailure { .. } => {
            "Not there when read again; the request may still complete."
        }
        ChangeError::NothingToUndo => "Undo stays available.",
        ChangeError::Cancelled { .. } | ChangeError::CopyStopped { .. } => {
            "No tag was changed. Blobs and platform manifests already copied stay in the \
             target repository, untagged, until its garbage collection."
        }
        ChangeError::PartlyRestored { .. } => {
            "Some tags are back (named above); the others are not yet."
        }
        ChangeError::Unknown { .. } => {
            "It is not known whether the change was applied: the registry could not be \
             read again. Undo is kept."
        }
        // It may have gone after all: the cause's own outcome says so.
        ChangeError::IndexLeftListing { cause, .. } => match **cause {
            _ if not_applied_so_far(cause) => {
                "The fallback tag is kept (its delete may still complete): Undo puts back \
                 what it lists."
            }
            ChangeError::Unknown { .. } | ChangeError::AfterWrite { .. } => outcome(cause),
            _ => "The fallback tag is kept: Undo puts back what it lists.",
        },
        ChangeError::AfterWrite { cause, .. } => match **cause {
            ChangeError::Stranded { .. } => {
                "The image is intact, but the tag now points at a throw-away manifest. \
                 Undo puts the tag back."
            }
            ChangeError::Unknown { .. }
            | ChangeError::ImageDeleteHalfDone { .. }
            | ChangeError::ImageUnread { .. } => outcome(cause),
            // The old state read again, after a failure that proves nothing: the
            // request may land later (a proxy gave up waiting while the registry works).
            ChangeError::NotAppliedAfterFailure { .. } => {
                "Not applied when read again, but the request may still complete on the \
                 registry: Undo stays available."
            }
            ChangeError::RolledBack { .. } => {
                "The tag was put back, but the delete may still complete: Undo stays \
                 available."
            }
            _ => "Something was written before the failure: Undo is kept.",
        },
        ChangeError::RolledBack { .. } => {
            "Nothing was changed: the tag was restored. An untagged throw-away manifest \
             is left behind until garbage collection."
        }
        ChangeError::Stranded { .. } => {
            "The image is intact, but the tag now points at a throw-away manifest."
        }
        ChangeError::ImageUnread { .. } => {
            "The tag was removed; whether the image stayed is not known. Undo is kept."
        }
        ChangeError::PlatformLost { .. } => {
            "The tag was removed; the multi-arch image is now incomplete."
        }
        ChangeError::TagsLost { .. } => {
            "The tag was removed, and other tags with it: Undo puts them all back."
        }
        ChangeError::ImageDeleteHalfDone { .. } => {
            "The image is still there, without the tags named above: Undo puts them back."
        }
        ChangeError::NotApplied { .. } => {
            "The registry did not apply the change as asked; reload to see its state."
        }
        // Every failed write is classified above: a bare registry error is a read,
        // before anything was written (or after a write that Undo covers).
        ChangeError::Registry(_) | ChangeError::DeletesUnchecked { .. } => {
            "Nothing was changed: the failure came before any write."
        }
    }
}

/// Shown beside a change's step when the registry has been silent for a while: what
/// the wait is and how it ends (oci::http's WRITE_TIMEOUT_MS, then the read that
/// follows every failed write).
pub const STILL_WAITING: &str = "The registry has not answered yet. Tagdeck waits up to 2 \
    minutes for it, then reads the registry again and says what was done.";

/// The note on a change the registry applied although a request of it failed.
pub fn applied_anyway(failure: &RegistryError) -> String {
    let headline = registry::error(failure).headline;
    match failure {
        // No answer came at all: "the registry answered" would be untrue.
        RegistryError::Network { .. }
        | RegistryError::StorageUnreadable { .. }
        | RegistryError::TimedOut { .. }
        | RegistryError::Aborted { .. } => format!(
            "{}, but reading the registry again shows the change was applied",
            super::clause(&headline)
        ),
        _ => format!(
            "the registry answered \"{headline}\", but reading it again shows the change was \
             applied"
        ),
    }
}

/// "The registry …" as the start of a clause: "the registry …".
/// A copy's progress: "Copying: step 2 of 5 (blob 0123456789ab)".
pub fn copy_step(step: &CopyStep) -> String {
    let what = match &step.what {
        CopyWork::Blob(digest) => format!("blob {}", digest.short(12)),
        CopyWork::Manifest { digest, platform } => match platform {
            Some(platform) => format!("the {platform} manifest {}", digest.short(12)),
            None => format!("manifest {}", digest.short(12)),
        },
        CopyWork::Tag(tag) => format!("tag {tag}"),
        CopyWork::Done => "done".to_owned(),
    };
    format!("Copying: step {} of {} ({what})", step.done + 1, step.total)
}

/// A copy done: where to, what it moved, and what its Undo leaves. Undo takes the
/// tag back only: deleting what the copy wrote by digest could delete what something
/// else in the target uses.
pub fn copy_done(
    from: &str,
    to: &Repository,
    tag: &Tag,
    digest: &Digest,
    report: &CopyReport,
) -> String {
    let mut done = format!(
        "Copied {from} to {to}:{tag}, digest {digest} (same as the source). Blobs: {} \
         mounted, {} already there, {} uploaded; manifests: {} written, {} already there.",
        report.mounted,
        report.already_present,
        report.uploaded,
        report.manifests,
        report.manifests_present,
    );
    if report.foreign_skipped > 0 {
        done.push_str(&format!(
            " {} not copied: foreign, pulled from their own URLs.",
            super::plural(report.foreign_skipped, "layer", "layers")
        ));
    }
    let added = [
        (report.manifests, "manifest", "manifests"),
        (report.mounted + report.uploaded, "blob", "blobs"),
    ]
    .into_iter()
    .filter(|(count, ..)| *count > 0)
    .map(|(count, one, many)| super::plural(count, one, many))
    .collect::<Vec<_>>();
    if added.is_empty() {
        return done;
    }
    let stays = if report.manifests + report.mounted + report.uploaded == 1 {
        "stays"
    } else {
        "stay"
    };
    let added = format!("the {} this copy added", added.join(" and "));
    format!(
        "{done} Undo takes back the tag only: {}",
        left_after_undo(&added, stays, to)
    )
}

/// What the Undo of a copy of referrers leaves: the manifests and blobs it wrote, as
/// [`copy_done`] says for an image.
pub fn referrers_copy_undo(to: &Repository) -> String {
    format!(
        "Undo takes back the tags they got; {}",
        left_after_undo("what was copied", "stays", to)
    )
}

/// A copy's Undo takes back tags only: deleting the manifests written by digest
/// could delete what something else in the target uses.
fn left_after_undo(what: &str, stays: &str, to: &Repository) -> String {
    format!("{what} {stays} in {to} by digest, untagged, until its garbage collection.")
}

/// Deleting a multi-arch image deletes its index only: what stays of it.
/// `platforms`: how many platform manifests it lists, when known.
pub fn platforms_left_behind(platforms: Option<usize>) -> String {
    let (which, rest) = match platforms {
        Some(1) => (
            "Its one platform image".to_owned(),
            "is not deleted with it: it stays",
        ),
        Some(count) => (
            format!("Its {count} platform images"),
            "are not deleted with it: they stay",
        ),
        None => (
            "Its platform images".to_owned(),
            "are not deleted with it: they stay",
        ),
    };
    format!(
        "{which} {rest} in the registry, untagged and pullable by digest, until garbage \
         collection runs with --delete-untagged."
    )
}

/// Why removing is disabled once the registry answered that it does not delete: on
/// a button's title, and after "Undo is disabled (…)".
pub const REGISTRY_DOES_NOT_DELETE: &str = "this registry does not delete: \
     storage.delete.enabled is off in its configuration, or it is a pull-through cache";

/// Said before a removal of many tags, when the registry answered that it does not
/// delete (`DeletesCheck`); what follows says what that means there.
pub const DELETES_OFF: &str = "This registry does not delete: its storage has deletes \
     turned off (to allow them, set storage.delete.enabled: true in its configuration), \
     or it is a pull-through cache. Removing a tag needs a delete too.";

/// Said of a tag removal left on its throw-away manifest (`Outcome::OnPlaceholder`).
const ON_PLACEHOLDER: &str = "Retry finishes the removal; Undo puts the tag back on its image \
                              instead.";

/// Said of one whose image was deleted meanwhile (`Outcome::OnPlaceholderImageGone`).
const ON_PLACEHOLDER_IMAGE_GONE: &str = "Retry finishes the removal; with its image deleted \
                                         meanwhile, there is nothing to put the tag back on, \
                                         so no Undo.";

const INTERRUPTED: &str = "Interrupted: ";

/// Said as an associated item: `wording`'s own list of exports is not this file's.
impl crate::oci::recovery::Offers {
    /// What the entry of an interrupted change offers, a sentence each.
    pub fn outcome_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        // Undo kept for a write not applied (yet) only: not "applied".
        if self.undo.len() > self.may_land + self.unfinished {
            lines.push("What was applied can be undone.".to_owned());
        }
        if self.retry.len() > self.unfinished + self.image_gone + self.may_land {
            lines.push("What was not applied changed nothing; Retry runs it.".to_owned());
        }
        if self.may_land > 0 {
            lines.push(
                "What was not applied when read again may still complete on the registry: \
                 Undo stays available (it finds nothing to undo until then); Retry runs \
                 it again."
                    .to_owned(),
            );
        }
        if self.unfinished > 0 {
            lines.push(ON_PLACEHOLDER.to_owned());
        }
        if self.image_gone > 0 {
            lines.push(ON_PLACEHOLDER_IMAGE_GONE.to_owned());
        }
        lines
    }

    /// The entry's title for a change a reload cut short.
    pub fn title(summary: &str) -> String {
        // A Retry cut short again carries the prefix already.
        let summary = summary.strip_prefix(INTERRUPTED).unwrap_or(summary);
        format!("{INTERRUPTED}{summary}")
    }
}

impl crate::oci::recovery::RetryRun {
    /// What a Retry that failed leaves offered, a sentence each.
    pub fn left_lines(&self) -> Vec<&'static str> {
        let mut lines = Vec::new();
        if !self.retry.is_empty() {
            lines.push("What was refused changed nothing: Retry runs it again.");
        }
        if !self.unchecked.is_empty() {
            lines.push(
                "What failed may have been applied, or may still be: Check again reads the \
                 registry for it.",
            );
        }
        lines
    }
}
