//! Why the clean-up plan keeps or removes a tag, in the words the plan view and the
//! downloaded CSV and JSON show.

use crate::model::format::{human_size, short_timestamp};
use crate::oci::bulk::KeptLost;
use crate::oci::changes::ChangeError;
use crate::oci::cleanup::plan::{
    chrono_free_date, CleanupPlan, DeletesRefused, KeptBecause, PlanNote, SubjectFate, TagReason,
    UnusableDate,
};
use crate::oci::cleanup::{
    rules::{MAX_DAYS, MAX_KEEP_NEWEST},
    NewestBy, NumberField, PatternList, RulesError, RulesNote,
};
use crate::oci::names::Digest;

use super::ResultLine;
use crate::oci::referrers::ReferrerTagScheme;

/// Why clean-up rules were refused, as what to fix.
pub fn rules_error(error: &RulesError) -> String {
    match error {
        RulesError::EmptyPattern => {
            "a tag pattern is empty; write one such as v* or release-*, or remove it".into()
        }
        RulesError::PatternTooLong { start, max } => format!(
            "the tag pattern {start:?}… is longer than {max} characters, longer than any tag can be"
        ),
        RulesError::PatternCharacter { pattern, ch } => format!(
            "the tag pattern {pattern:?} contains {ch:?}; tags hold only letters, digits, \
             '_', '.' and '-', and patterns add only '*' (any characters) and '?' (one character)"
        ),
        RulesError::KeepNoneNewest => {
            "keep newest must be at least 1; to not use the rule, leave it empty".into()
        }
        RulesError::KeepTooManyNewest { newest, max } => {
            format!("keep newest {newest} is more than {max}, more tags than a registry lists")
        }
        RulesError::NoDays => {
            "remove older than must be at least 1 day; to not use the rule, leave it empty".into()
        }
        RulesError::TooManyDays { days, max } => format!(
            "remove older than {days} days is more than {max} days ({} years)",
            max / 365
        ),
        RulesError::TooManyPatterns { list, count, max } => {
            let list = match list {
                PatternList::Keep => "keep",
                PatternList::Remove => "remove",
            };
            format!("{count} {list} patterns are more than {max}; combine them with '*'")
        }
        RulesError::RemovesEveryTag => {
            "\"remove every other tag\" without a keep rule would remove every tag; \
             add keep newest or a keep pattern, or remove tags with the pattern * if \
             that is really meant"
                .into()
        }
        RulesError::NotAnObject => {
            "clean-up rules must be an object such as {\"keepNewest\": 10, \"keep\": [\"v*\"]}"
                .into()
        }
        RulesError::JsonNotWholeNumber { key, value } => format!(
            "clean-up rules, {key}: {value} is not a whole number; write it as digits, such as 10"
        ),
        RulesError::JsonField { key, error } => format!("clean-up rules, {key}: {error}"),
        RulesError::JsonPattern { key, error } => {
            format!("clean-up rules, {key}: {}", rules_error(error))
        }
        RulesError::Json { error } => format!("clean-up rules: {error}"),
        RulesError::AddressNotWholeNumber { key, value } => {
            let max = if key == "keepNewest" {
                MAX_KEEP_NEWEST
            } else {
                MAX_DAYS
            };
            match out_of_range(value, max) {
                Some(why) => format!("{key}={value} in the address is {why}"),
                None => format!(
                    "{key}={value:?} in the address is not a whole number; write it as \
                     digits, such as {key}=10"
                ),
            }
        }
        RulesError::AddressNewestBy { value } => {
            format!("newestBy={value:?} in the address: use created or version")
        }
        RulesError::AddressOthers { value } => {
            format!("others={value:?} in the address: use keep or remove")
        }
        RulesError::FieldNotWholeNumber { field, text } => {
            let (field, max) = match field {
                NumberField::KeepNewest => ("keep newest", MAX_KEEP_NEWEST),
                NumberField::RemoveOlderThan => ("remove older than", MAX_DAYS),
            };
            match out_of_range(text, max) {
                Some(why) => format!("{field} {text} is {why}, or leave it empty"),
                None => format!(
                    "{field} {text:?} is not a whole number; write it as digits, such as 10, \
                     or leave it empty"
                ),
            }
        }
        RulesError::ConfigNotAnObject => {
            "config.json cleanup must be an object mapping namespaces to rules, \
             such as {\"team\": {\"keepNewest\": 10}}"
                .into()
        }
        RulesError::ConfigNamespace { key, error } => format!(
            "config.json cleanup: {key:?} is not a repository name or namespace: {}",
            super::name_error(error)
        ),
        RulesError::ConfigRules { key, error } => {
            format!("config.json cleanup {key:?}: {}", rules_error(error))
        }
        RulesError::ConfigTwice { key } => {
            format!("config.json cleanup: {key:?} is given twice (with and without '/')")
        }
    }
}

/// "kept: …" or "removed: …", with what the deciding rule saw.
pub fn tag_reason(reason: &TagReason) -> String {
    match reason {
        TagReason::Unreadable { problem: None } => {
            "kept: its manifest could not be read (unknown reason)".into()
        }
        TagReason::Unreadable {
            problem: Some(problem),
        } => format!(
            "kept: its manifest could not be read ({})",
            super::error(problem).detail
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
            "removed: created {}, {} ago, more than {}",
            chrono_free_date(*created),
            super::plural(*age_days as usize, "day", "days"),
            super::plural(*days as usize, "day", "days")
        ),
        TagReason::NoRuleRemoves { unknown_age: None } => "kept: no rule removes it".into(),
        TagReason::NoRuleRemoves {
            unknown_age: Some(date),
        } => format!(
            "kept: {}, so the age rule cannot remove it, and no other rule removes it",
            unusable_date(date)
        ),
        TagReason::OthersRemoved => {
            "removed: no keep rule protects it, and the rules remove every tag none keeps".into()
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
                SubjectFate::LeftUntagged => format!(
                    "removed: {what} of image sha256:{short}…, a platform of a multi-arch \
                     image this plan deletes; the platform is left untagged"
                ),
                SubjectFate::Stays => format!("kept: {what} of image sha256:{short}…, which stays"),
                SubjectFate::NotDeleted { refusal } => format!(
                    "kept: {what} of image sha256:{short}…, which this plan does not delete: {}",
                    deletes_refused(refusal)
                ),
                SubjectFate::Untagged => format!(
                    "kept: {what} of image sha256:{short}…, which no tag here points at; \
                     left as it is"
                ),
            }
        }
    }
}

/// Why an image stays although tags of it go ("still tagged latest").
pub fn kept_because(kept: &KeptBecause) -> String {
    match kept {
        KeptBecause::StillTagged { tags } => format!("still tagged {}", tags.join(", ")),
        KeptBecause::ListedByKeptIndex { index, tags } if tags.is_empty() => format!(
            "listed by the kept multi-arch image sha256:{}…",
            index.short(12)
        ),
        KeptBecause::ListedByKeptIndex { index, tags } => format!(
            "listed by the kept multi-arch image sha256:{}… ({})",
            index.short(12),
            tags.join(", ")
        ),
        KeptBecause::DeletesRefused { refusal } => {
            format!("no image is deleted: {}", deletes_refused(refusal))
        }
        KeptBecause::KeptByPlan => "kept by the plan".into(),
    }
}

/// Said where Apply would be, when the registry was found to refuse every delete.
pub fn cleanup_deletes_off() -> String {
    format!(
        "{} Nothing in this plan can be applied: Apply is disabled, and nothing \
         was changed.",
        super::DELETES_OFF
    )
}

/// Why the plan deletes no image and only removes tags.
pub fn deletes_refused(refusal: &DeletesRefused) -> String {
    match refusal {
        DeletesRefused::TagListIncomplete => {
            "the registry's tag list may be incomplete, so a tag not seen here could still \
             use an image: no image is deleted, only tags are removed"
                .into()
        }
        DeletesRefused::UnreadableTags { count } => format!(
            "{count} tag{} could not be read, so {} point at an image this plan would \
             delete: no image is deleted, only tags are removed",
            if *count == 1 { "" } else { "s" },
            if *count == 1 {
                "it could"
            } else {
                "they could"
            },
        ),
    }
}

/// A note below the plan.
pub fn plan_note(note: &PlanNote) -> String {
    match note {
        PlanNote::UnreadableDeletions { count } => format!(
            "{count} manifest{} to be deleted could not be read, so the bytes to reclaim \
             may be more than shown",
            if *count == 1 { "" } else { "s" }
        ),
        PlanNote::RemovesNothing => {
            "these rules remove nothing: add a remove rule, or remove every other tag".into()
        }
        PlanNote::RemovesEveryTag { count } => format!(
            "these rules remove every tag of this repository ({}): nothing in it is left to \
             pull by tag. If that is not what you mean, add a keep rule (keep newest 1, or a \
             keep pattern such as latest)",
            super::plural(*count, "tag", "tags")
        ),
        PlanNote::NotVersions { tags } => format!(
            "keep newest by version order ranks only names with a digit: {} {} none, so \
             the other rules decide {}; a keep pattern keeps such a tag",
            super::some_names(tags),
            if tags.len() == 1 { "has" } else { "have" },
            if tags.len() == 1 { "it" } else { "them" },
        ),
        PlanNote::TiedAtCutoff {
            newest,
            created,
            kept,
            not_kept,
            one_image,
        } => {
            let mut tied = kept.clone();
            tied.extend(not_kept.iter().cloned());
            let is = |names: &[String]| if names.len() == 1 { "is" } else { "are" };
            format!(
                "keep newest {newest} ends among tags created at the same moment, {}: {}{}. \
                 Tags of one date rank by version order, highest first, so {} {} among the \
                 {newest} newest and {} {} not",
                chrono_free_date(*created),
                super::some_names(&tied),
                if *one_image {
                    " (tags of one image)"
                } else {
                    ""
                },
                super::some_names(kept),
                is(kept),
                super::some_names(not_kept),
                is(not_kept),
            )
        }
        PlanNote::PlatformsUnread { images } => {
            let names: Vec<String> = images
                .iter()
                .map(|(digest, tags)| {
                    if tags.is_empty() {
                        format!("sha256:{}…", digest.short(12))
                    } else {
                        format!("sha256:{}… ({})", digest.short(12), tags.join(", "))
                    }
                })
                .collect();
            let which = if images.len() == 1 {
                "the multi-arch image".to_owned()
            } else {
                format!("{} multi-arch images", images.len())
            };
            format!(
                "the platforms of {which} {} could not all be read: an image this plan \
                 deletes may be one of them, and then Apply refuses to delete it, so fewer \
                 images and bytes may go than shown",
                super::some_names(&names)
            )
        }
    }
}

/// Why a number written as digits was refused (below 1, or beyond what the rules
/// take); `None` when `text` is no number at all.
fn out_of_range(text: &str, max: u32) -> Option<String> {
    let text = text.trim();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if text.strip_prefix('-').is_some_and(digits) {
        Some(format!("below 1: write a number from 1 to {max}"))
    } else if digits(text) {
        Some(format!("more than {max}: write a number from 1 to {max}"))
    } else {
        None
    }
}

fn unusable_date(date: &UnusableDate) -> String {
    match date {
        UnusableDate::Unknown => "its creation date is unknown".into(),
        UnusableDate::Placeholder { created } => format!(
            "its creation date {} is a placeholder (reproducible builds write such dates)",
            short_timestamp(created)
        ),
        UnusableDate::InFuture { created } => format!(
            "its creation date {} is in the future",
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

/// After Apply, a referrer tag the plan removed with its image, kept because that
/// image was not deleted (skipped or failed): the image must not lose its signature.
pub fn referrer_kept(subject: &Digest, scheme: ReferrerTagScheme) -> String {
    let what = referrer_kind(scheme);
    format!(
        "skipped: its image sha256:{}… was not deleted, so its {what} is kept; nothing was \
         changed for it",
        subject.short(12)
    )
}

/// After Apply, when fewer images were deleted than the plan meant to: its figure of
/// what garbage collection can free counted them all.
pub fn fewer_deleted_than_planned(deleted: usize, planned: usize) -> Option<String> {
    (deleted < planned).then(|| {
        format!(
            "Only {deleted} of the {} it meant to delete {} deleted (the others were skipped \
             or failed, as listed below), so garbage collection frees less than that.",
            super::plural(planned, "image", "images"),
            if deleted == 1 { "was" } else { "were" },
        )
    })
}

/// What only garbage collection with `--delete-untagged` frees: the blobs of the
/// platforms a deleted multi-arch image leaves untagged (kept by a plain run). Begins
/// with a blank, to follow a sentence.
pub fn untagged_platforms_free(bytes: u64, blobs: usize) -> String {
    format!(
        " The platforms of the deleted multi-arch images are left untagged: up to {} more \
         ({}) only with --delete-untagged.",
        human_size(bytes),
        super::plural(blobs, "blob", "blobs"),
    )
}

/// Why the disk does not shrink right after the deletes, and what to run, in plain
/// sentences for the plan and the report. Registries only unlink what is deleted;
/// space comes back when garbage collection runs (see DOMAIN.md, "Deleting").
pub fn garbage_collection_advice(plan: &CleanupPlan) -> Vec<String> {
    let mut advice = Vec::new();
    if plan.delete_images.is_empty() {
        advice.push(
            "This plan deletes no image, so garbage collection frees nothing because of it: \
             removing a tag leaves its image stored."
                .to_owned(),
        );
        return advice;
    }
    advice.push(format!(
        "Deleting images does not free disk space by itself: the registry frees it when its \
         garbage collection runs. After these deletes it can free up to {} ({} blob{}); layers \
         that other repositories also use stay.",
        human_size(plan.reclaimable_bytes),
        plan.reclaimable_blobs,
        if plan.reclaimable_blobs == 1 { "" } else { "s" },
    ));
    if plan.untagged_blobs > 0 {
        advice.push(
            untagged_platforms_free(plan.untagged_bytes, plan.untagged_blobs)
                .trim_start()
                .to_owned(),
        );
    }
    advice.push(
        "With distribution (registry:2), stop the registry or make it read-only, then run \
         `registry garbage-collect --dry-run /etc/docker/registry/config.yml` to see what \
         it would remove, and the same without --dry-run to remove it (in a container: \
         `docker exec <container> registry garbage-collect /etc/docker/registry/config.yml`)."
            .to_owned(),
    );
    advice.push(
        "`--delete-untagged` also removes every manifest no tag points at. Some versions \
         count the platforms of a multi-arch image as untagged and remove them, breaking \
         that image: use it only when the repository has no multi-arch images, or your \
         version is known to keep them."
            .to_owned(),
    );
    advice
}

// Here rather than a function re-exported by `crate::wording`: the words stay with
// the other clean-up words.
impl RulesNote {
    /// Said before the plans, naming the repository.
    pub fn words(&self) -> String {
        match self {
            RulesNote::Own { repository, key } => format!(
                "{repository} is planned with its own rules from config.json (saved under \
                 {key:?}), not the namespace's rules shown above"
            ),
            RulesNote::Replaced { repository, key } => format!(
                "the rules above replace {repository}'s own rules from config.json (saved \
                 under {key:?}); to plan it with those, plan without editing the rules"
            ),
        }
    }
}

/// A check after an image delete that landed found more gone than planned: a tag
/// moved onto the image since the plan was read went with it.
pub fn deleted_with(lost: &KeptLost) -> ResultLine {
    let line = match &lost.error {
        ChangeError::TagsLost { tags, .. } if !tags.is_empty() => ResultLine::from(format!(
            "{} pointed at it since the plan was read and went with it; Undo puts the \
             image back with {}",
            super::some_names(tags),
            if tags.len() == 1 {
                "that tag"
            } else {
                "those tags"
            }
        )),
        error => super::change_error(error).result_line(),
    };
    line.after(&format!(
        "Check after deleting the image {}: ",
        lost.digest.short(12)
    ))
}
