//! What the registry shows now for a change a reload cut short, for the activity list.

use crate::oci::names::Tag;
use crate::oci::recovery::RegistryNow;

/// Changes a duplicated tab found in its copy of the journal while the tab it was
/// copied from still runs them: that tab finishes them and lists their result.
pub fn left_to_other_tabs(changes: usize) -> String {
    if changes == 1 {
        "1 change still running in another tab of this console was left to that tab: its \
         result and its Undo are listed there."
            .into()
    } else {
        format!(
            "{changes} changes still running in other tabs of this console were left to \
             those tabs: their results and their Undo are listed there."
        )
    }
}

/// An activity entry whose Undo, Retry or Check again another tab runs (this tab
/// being its copy).
pub const RUN_ELSEWHERE: &str = "Its result is listed in the tab of this console that runs it.";

/// "team/app:v2 points at sha256:…", "team/app@sha256:… is deleted".
pub fn registry_now(now: &RegistryNow) -> String {
    match now {
        RegistryNow::Tag {
            repository,
            tag,
            digest: Some(digest),
        } => format!("{repository}:{tag} points at {digest}"),
        RegistryNow::Tag {
            repository,
            tag,
            digest: None,
        } => format!("{repository}:{tag} does not exist"),
        RegistryNow::TagUnresolved {
            repository,
            tag,
            still_listed: true,
        } => format!(
            "{repository}:{tag} is still listed but points at no image (the registry \
             deleted the manifest under it without untagging it)"
        ),
        RegistryNow::TagUnresolved {
            repository,
            tag,
            still_listed: false,
        } => format!(
            "{repository}:{tag} answers \"not found\", but the tag list could not be read \
             in full to show it is gone"
        ),
        RegistryNow::OnPlaceholder {
            repository,
            tag,
            placeholder,
        } => format!(
            "{repository}:{tag} still exists, left on {placeholder}, a throw-away manifest \
             Tagdeck pushed to remove it: the removal is not finished"
        ),
        RegistryNow::Image {
            repository,
            digest,
            exists: true,
        } => format!("{repository}@{digest} still exists"),
        RegistryNow::Image {
            repository,
            digest,
            exists: false,
        } => format!("{repository}@{digest} is deleted"),
        RegistryNow::ImageUntagged {
            repository,
            digest,
            untagged,
        } => {
            let names: Vec<&str> = untagged.iter().map(Tag::as_str).collect();
            format!(
                "{repository}@{digest} still exists, but {} no longer {} at it",
                names.join(", "),
                if names.len() == 1 { "points" } else { "point" }
            )
        }
    }
}
