//! What looking for an image's referrers skipped or could not read.

use super::{change_error, error, ResultLine};
use crate::oci::changes::ChangeError;
use crate::oci::names::Repository;
use crate::oci::referrer_changes::{CopiedAs, ReferrerCopy, ReferrerItem};
use crate::oci::referrers::{
    is_referrer_tag, ApiSupport, ReferrerList, ReferrerTagScheme, ReferrerWarning, MAX_REFERRERS,
    MAX_REFERRER_PAGES,
};

pub fn referrer_warning(warning: &ReferrerWarning) -> ResultLine {
    let line = match warning {
        ReferrerWarning::TagUnreadable { tag, error: failed } => {
            return error(failed).read_line(&format!("the tag {tag} could not be read: "))
        }
        ReferrerWarning::FallbackNotIndex { tag, media_type } => {
            format!("the tag {tag} is not an index of referrers ({media_type}); ignored")
        }
        ReferrerWarning::Skipped { count } => format!(
            "{count} entr{} skipped: malformed (a bad digest or type, an impossible size) or \
             beyond {MAX_REFERRERS} referrers",
            if *count == 1 { "y was" } else { "ies were" }
        ),
        ReferrerWarning::PageRepeats => {
            "the referrers API's next-page link repeats a page; stopped there".to_owned()
        }
        ReferrerWarning::ApiStopped {
            pages,
            error: failed,
        } => {
            return error(failed).read_line(&format!(
                "the referrers API stopped after {pages} page{}: ",
                if *pages == 1 { "" } else { "s" },
            ))
        }
        ReferrerWarning::LaterPageNotIndex => {
            "a later page of the referrers API is not an image index; ignored".to_owned()
        }
        ReferrerWarning::LinkNotFollowed(problem) => {
            format!(
                "the referrers API's next-page link was not followed: {}",
                super::link_error(problem)
            )
        }
        ReferrerWarning::TooManyReferrers => format!(
            "the referrers API lists {MAX_REFERRERS} referrers or more; only the first \
             {MAX_REFERRERS} were read"
        ),
        ReferrerWarning::TooManyPages => format!(
            "the referrers API has more than {MAX_REFERRER_PAGES} pages; only those were read"
        ),
    };
    line.into()
}

/// The checkbox that takes an image's referrers along (`verb`: "remove" or "copy"),
/// `with_fallback_tag` when the fallback tag that lists them goes too. When the API
/// could not be read or something was skipped, more may refer to the image than
/// were found: the label says so, lest "its N referrers" read as all of them.
pub fn referrers_along(verb: &str, list: &ReferrerList, with_fallback_tag: bool) -> String {
    let count = list.referrers.len();
    let plural = if count == 1 { "" } else { "s" };
    let with_tag = if with_fallback_tag {
        " and the fallback tag that lists them"
    } else {
        ""
    };
    let kinds = "(signatures, SBOMs, attestations)";
    let mut gaps = Vec::new();
    match &list.api {
        ApiSupport::Supported | ApiSupport::Unsupported => {}
        ApiSupport::Failed(_) => gaps.push("the referrers API could not be asked".to_owned()),
        ApiSupport::NoAnswer(_) => {
            gaps.push("the referrers API gave no answer this page could read".to_owned())
        }
    }
    // The first problem in words, the rest counted: a label, not the warnings list.
    if let Some(first) = list.warnings.first() {
        let more = list.warnings.len() - 1;
        let mut text = referrer_warning(first).text;
        if more > 0 {
            text.push_str(&format!(
                " (and {more} more problem{})",
                if more == 1 { "" } else { "s" }
            ));
        }
        gaps.push(text);
    }
    if gaps.is_empty() {
        return format!("Also {verb} its {count} referrer{plural} {kinds}{with_tag}");
    }
    format!(
        "Also {verb} the {count} referrer{plural} found {kinds}{with_tag}; the list may be \
         incomplete: {}",
        gaps.join("; ")
    )
}

impl ResultLine {
    /// What came of copying one of an image's referrers (or its fallback tag) to `to`:
    /// its line in the report. Every item offered gets one.
    pub fn referrer_copy(
        item: &ReferrerItem,
        result: &Result<ReferrerCopy, ChangeError>,
        to: &Repository,
    ) -> ResultLine {
        let label = &item.label;
        let why = match result {
            Ok(copy) => {
                return match copy.how {
                    CopiedAs::Itself => format!("{label} copied to {to}."),
                    CopiedAs::WithIndex => {
                        format!("{label} copied to {to} with the fallback index that lists it.")
                    }
                    CopiedAs::NewIndex { listed: 0, .. } => format!(
                        "{label}: nothing to copy to {to}, as everything it lists is gone or \
                         refers to another image (see their lines)."
                    ),
                    CopiedAs::ListedThere => format!(
                        "{label}: {to}'s fallback index already lists everything there was \
                         to copy; left as it is."
                    ),
                    CopiedAs::NewIndex { listed, of } => format!(
                        "{label} copied to {to}: the fallback index there is a new one \
                         listing {listed} of the source's {of} manifests; the others are gone \
                         or refer to another image (see their lines)."
                    ),
                }
                .into();
            }
            Err(ChangeError::AlreadyGone { subject }) => {
                format!("{subject} is gone (deleted since its fallback index listed it); skipped")
            }
            Err(ChangeError::NotAReferrer { subject, .. }) => format!(
                "its manifest names another image as its subject, not {subject}: copied, it \
                 would pass there for one of this image's (a fallback index lists it, and any \
                 client with push rights can write one)"
            ),
            Err(ChangeError::KeptWithIndex { tag }) => format!(
                "without the referrers API only the fallback tag {tag} makes it findable, and \
                 that was not copied (see its line)"
            ),
            Err(ChangeError::ListsUnshown { unshown, .. }) => {
                let more = unshown.len().saturating_sub(3);
                let mut named: Vec<String> =
                    unshown.iter().take(3).map(|d| d.to_string()).collect();
                if more > 0 {
                    named.push(format!("and {more} more"));
                }
                format!(
                    "it now lists {}, which the dialog did not show (pushed since); as a \
                     delete does, the copy takes nothing not shown, so neither the index nor \
                     what it lists went. Copy the referrers again to see them first",
                    named.join(", ")
                )
            }
            // A referrer's tag the target has for a manifest of its own: no move is
            // asked here, and the report has nothing to confirm one with.
            Err(ChangeError::WouldMove { tag, current, .. }) => {
                let what = match is_referrer_tag(tag).map(|(_, scheme)| scheme) {
                    Some(ReferrerTagScheme::CosignSignature) => "cosign signature",
                    Some(ReferrerTagScheme::CosignAttestation) => "cosign attestation",
                    Some(ReferrerTagScheme::CosignSbom) => "cosign SBOM",
                    Some(ReferrerTagScheme::Fallback) => "fallback index",
                    None => "manifest",
                };
                format!(
                    "{to} has its own {what} under {tag} ({}:{}…); left as it is",
                    current.algorithm(),
                    current.short(12)
                )
            }
            Err(error) => {
                return change_error(error)
                    .result_line()
                    .after(&format!("{label} not copied to {to}: "))
            }
        };
        format!("{label} not copied to {to}: {why}.").into()
    }
}
