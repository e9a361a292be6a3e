//! What looking for an image's referrers skipped or could not read.

use super::{error, ResultLine};
use crate::oci::referrers::{ReferrerWarning, MAX_REFERRERS, MAX_REFERRER_PAGES};

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
