//! Why the clean-up plan keeps or removes a tag, in the words the plan view and the
//! downloaded CSV and JSON show.

use crate::model::format::short_timestamp;
use crate::oci::cleanup::plan::{chrono_free_date, SubjectFate, TagReason, UnusableDate};
use crate::oci::cleanup::NewestBy;
use crate::oci::referrers::ReferrerTagScheme;

/// "kept: …" or "removed: …", with what the deciding rule saw.
pub fn tag_reason(reason: &TagReason) -> String {
    match reason {
        TagReason::Unreadable { problem } => format!(
            "kept: its manifest could not be read ({})",
            problem.as_deref().unwrap_or("unknown reason")
        ),
        TagReason::KeepPattern { pattern } => format!("kept: matches the keep pattern {pattern}"),
        TagReason::KeepNewest { rank, newest, by } => {
            let by = match by {
                NewestBy::Created => "by creation date",
                NewestBy::Version => "by version order",
            };
            format!("kept: no. {rank} of the {newest} newest {by}")
        }
        TagReason::UnknownDate { date, newest } => format!(
            "kept: {}, so it cannot be ranked among the {newest} newest",
            unusable_date(date)
        ),
        TagReason::RemovePattern { pattern } => {
            format!("removed: matches the remove pattern {pattern}")
        }
        TagReason::OlderThan {
            created,
            age_days,
            days,
        } => format!(
            "removed: created {}, {age_days} days ago, more than {days} days",
            chrono_free_date(*created)
        ),
        TagReason::NoRuleRemoves { unknown_age: None } => "kept: no rule removes it".into(),
        TagReason::NoRuleRemoves {
            unknown_age: Some(date),
        } => format!(
            "kept: {}, so the age rule cannot remove it, and no other rule removes it",
            unusable_date(date)
        ),
        TagReason::OthersRemoved => {
            "removed: no keep rule protects it, and every other tag is removed".into()
        }
        TagReason::FollowsImage {
            scheme,
            subject,
            image,
        } => {
            let what = referrer_kind(*scheme);
            let short = subject.short(12);
            match image {
                SubjectFate::Deleted => {
                    format!("removed: {what} of image sha256:{short}…, which this plan deletes")
                }
                SubjectFate::Stays => format!("kept: {what} of image sha256:{short}…, which stays"),
                SubjectFate::Untagged => format!(
                    "kept: {what} of image sha256:{short}…, which no tag here points at; \
                     left as it is"
                ),
            }
        }
    }
}

fn unusable_date(date: &UnusableDate) -> String {
    match date {
        UnusableDate::Unknown => "its creation date is unknown".into(),
        UnusableDate::Placeholder { created } => format!(
            "its creation date {} is a placeholder (reproducible builds write such dates)",
            short_timestamp(created)
        ),
        // The registry wrote it: only its start is quoted.
        UnusableDate::NotADate { created } => format!(
            "its creation date {:?} is not a date",
            created.chars().take(40).collect::<String>()
        ),
    }
}

fn referrer_kind(scheme: ReferrerTagScheme) -> &'static str {
    match scheme {
        ReferrerTagScheme::Fallback => "referrers index",
        ReferrerTagScheme::CosignSignature => "signature",
        ReferrerTagScheme::CosignAttestation => "attestation",
        ReferrerTagScheme::CosignSbom => "SBOM",
    }
}
