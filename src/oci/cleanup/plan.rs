//! The dry-run plan: from facts gathered once (tags, images, blobs) and the rules,
//! every tag's fate with the reason, which images go, which only lose a tag, and what
//! garbage collection can then give back. Pure, so the same facts always give the
//! same plan, and the plan can be checked independently in tests.

use crate::model::sort;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::rules::{CleanupRules, NewestBy, Others, RulesError, TagPattern};
use crate::model::version_order::natural_cmp;
use crate::oci::error::RegistryError;
use crate::oci::names::Digest;
use crate::oci::referrers::{is_referrer_tag, ReferrerTagScheme};

/// A blob a manifest references (its config or a layer), with the size the manifest
/// declares for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub digest: Digest,
    pub size: u64,
}

/// One manifest of the repository: a tagged image, or a platform of a tagged index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFacts {
    pub digest: Digest,
    /// The config's `created`, as written (the first platform's, for an index);
    /// `None` when unknown (an artifact, a config that could not be read).
    pub created: Option<String>,
    /// A multi-arch image (index / manifest list).
    pub is_index: bool,
    /// For an index: the manifests it lists.
    pub children: Vec<Digest>,
    /// Config and layers (empty for an index: its platforms have their own).
    pub blobs: Vec<BlobRef>,
}

/// One tag and the image it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFacts {
    pub tag: String,
    /// `None` when the tag's manifest could not be read; see `problem`.
    pub digest: Option<Digest>,
    /// Why the tag could not be read (`crate::wording::error` says it).
    pub problem: Option<RegistryError>,
    /// Named like a referrer tag (`sha256-<hex>.sig`, …), but its manifest is no
    /// referrer of that image (`referrer_changes::is_referrer_of`): anyone with push
    /// rights can name a tag so. An ordinary tag, decided by the rules.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_a_referrer: bool,
}

impl TagFacts {
    /// The image this referrer tag belongs to, and how it is named; `None` for an
    /// ordinary tag, including one only named like a referrer tag.
    pub fn referrer_of(&self) -> Option<(Digest, ReferrerTagScheme)> {
        is_referrer_tag(&self.tag).filter(|_| !self.not_a_referrer)
    }
}

/// Everything the planner needs to know about one repository.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CleanupFacts {
    pub repository: String,
    pub tags: Vec<TagFacts>,
    pub images: BTreeMap<Digest, ImageFacts>,
    /// The registry's tag list may lack pages (see `TagListing`): an image could be
    /// used by a tag nobody has seen, so no image may be deleted.
    pub tags_may_be_incomplete: bool,
}

impl CleanupFacts {
    /// When the image `digest` was created, as written, if known.
    pub fn created_of(&self, digest: &Digest) -> Option<&str> {
        self.images.get(digest)?.created.as_deref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Keep,
    Remove,
}

/// Which rule decided a tag (the [`TagReason`] adds what the rule saw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DecidedBy {
    KeepPattern,
    KeepNewest,
    /// Kept because "newest by creation date" cannot rank a tag of unknown date.
    UnknownDate,
    RemovePattern,
    OlderThan,
    /// No rule decided: [`Others`] did.
    Others,
    /// The tag's manifest could not be read: kept.
    Unreadable,
    /// A signature / SBOM / attestation tag: follows its image.
    FollowsImage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagPlan {
    pub tag: String,
    pub digest: Option<Digest>,
    pub created: Option<String>,
    pub decision: Decision,
    pub decided_by: DecidedBy,
    /// The rule that decided and what it saw; `crate::wording::tag_reason` says it
    /// in words ("kept: …", "removed: …"), which the JSON export calls `reason`.
    #[serde(rename = "reasonData")]
    pub reason: TagReason,
}

/// Why a tag is kept or removed: the rule that decided, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum TagReason {
    /// Kept: the tag's manifest could not be read (`problem` says why, if known).
    Unreadable {
        problem: Option<Box<RegistryError>>,
    },
    KeepPattern {
        pattern: TagPattern,
    },
    /// Kept: number `rank` of the `newest` newest, ranked `by`.
    KeepNewest {
        rank: usize,
        newest: u32,
        by: NewestBy,
    },
    /// Kept: ranked by creation date, but the date is not usable.
    UnknownDate {
        date: UnusableDate,
        newest: u32,
    },
    RemovePattern {
        pattern: TagPattern,
    },
    /// Removed: created at `created` (seconds since 1970, UTC), `age_days` days
    /// before the plan, more than the rule's `days`.
    OlderThan {
        created: i64,
        age_days: i64,
        days: u32,
    },
    /// Kept: no rule removes it; `unknown_age` when an age rule could not judge it.
    NoRuleRemoves {
        unknown_age: Option<UnusableDate>,
    },
    /// Removed: no keep rule protects it, and the rules remove every tag none keeps.
    OthersRemoved,
    /// A signature / SBOM / attestation tag: it follows the image `subject`.
    FollowsImage {
        scheme: ReferrerTagScheme,
        subject: Digest,
        image: SubjectFate,
    },
}

impl TagReason {
    /// The rule, as the plan's `decidedBy` column names it.
    pub fn decided_by(&self) -> DecidedBy {
        match self {
            TagReason::Unreadable { .. } => DecidedBy::Unreadable,
            TagReason::KeepPattern { .. } => DecidedBy::KeepPattern,
            TagReason::KeepNewest { .. } => DecidedBy::KeepNewest,
            TagReason::UnknownDate { .. } => DecidedBy::UnknownDate,
            TagReason::RemovePattern { .. } => DecidedBy::RemovePattern,
            TagReason::OlderThan { .. } => DecidedBy::OlderThan,
            TagReason::NoRuleRemoves { .. } | TagReason::OthersRemoved => DecidedBy::Others,
            TagReason::FollowsImage { .. } => DecidedBy::FollowsImage,
        }
    }
}

/// Why an image's creation date cannot be used to rank or age it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum UnusableDate {
    Unknown,
    /// Before 2000: what reproducible builds write, not a build date.
    Placeholder {
        created: String,
    },
    NotADate {
        created: String,
    },
    /// Later than the plan (beyond [`CLOCK_SKEW`]): a clock set wrong or a config
    /// written to stay "newest" forever, not a build date.
    InFuture {
        created: String,
    },
}

/// What the plan does to the image a referrer tag belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubjectFate {
    Deleted,
    /// A platform of a multi-arch image the plan deletes: no delete takes it, it is
    /// left untagged (garbage collection with `--delete-untagged` removes it).
    LeftUntagged,
    Stays,
    /// No tag of the repository points at it: the plan leaves it alone.
    Untagged,
    /// Only removed tags use it, but the plan deletes no image (`refusal` says why).
    NotDeleted {
        refusal: DeletesRefused,
    },
}

/// An image the plan deletes (DELETE by digest): no kept tag points at it and no
/// kept multi-arch image lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDeletion {
    pub digest: Digest,
    /// Every tag that points at it (all removed by this plan).
    pub tags: Vec<String>,
    /// For a multi-arch image: its platforms that nothing kept uses, deleted with it.
    pub platforms: Vec<Digest>,
    /// Such platforms that another delete of the plan counts in its `platforms`
    /// (each is counted once): one is untagged only once every image listing it goes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_platforms: Vec<Digest>,
}

/// An image that stays although the plan removes some of its tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagsOnly {
    pub digest: Digest,
    pub removed_tags: Vec<String>,
    /// Why the image stays (`crate::wording::kept_because`).
    #[serde(rename = "keptBecauseData")]
    pub kept_because: KeptBecause,
}

/// Why an image stays although the plan removes tags of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum KeptBecause {
    /// These tags of it are kept.
    StillTagged { tags: Vec<String> },
    /// A kept multi-arch image lists it; `tags` are the index's kept tags.
    ListedByKeptIndex { index: Digest, tags: Vec<String> },
    /// No image is deleted at all.
    DeletesRefused { refusal: DeletesRefused },
    /// Nothing above, yet the plan keeps it; also a multi-arch image whose platforms
    /// could not all be read (`PlanNote::PlatformsUnread` names it).
    KeptByPlan,
}

/// Why the plan deletes no image and only removes tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum DeletesRefused {
    /// The registry's tag list may lack pages: an unseen tag could use any image.
    TagListIncomplete,
    /// `count` tags could not be read: they could use an image the plan deletes.
    UnreadableTags { count: usize },
}

/// Something the reader of a plan should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum PlanNote {
    /// `count` manifests to delete could not be read: the bytes to reclaim may be more.
    UnreadableDeletions { count: usize },
    /// The rules remove nothing.
    RemovesNothing,
    /// The rules remove every one of the repository's `count` tags: nothing in it is
    /// left to pull by tag. Said apart, as it is rarely what a clean-up means.
    RemovesEveryTag { count: usize },
    /// "Keep newest" by version order does not rank these tags: their names have no
    /// digit, so they are no versions; the other rules decide them.
    NotVersions { tags: Vec<String> },
    /// "Keep newest `newest`" by creation date cut through tags created at the same
    /// moment (`created`, seconds since 1970, UTC): version order ranked them, so
    /// `kept` are among the newest and `not_kept` are not (another rule may still keep
    /// them). `one_image`: all of them are tags of one image.
    TiedAtCutoff {
        newest: u32,
        created: i64,
        kept: Vec<String>,
        not_kept: Vec<String>,
        one_image: bool,
    },
    /// Tagged multi-arch images (with their tags) whose platforms could not all be
    /// read: a nested index unreadable, or the gather's cut-off reached. What they
    /// list is unknown, so an image the plan deletes may be listed by one of them,
    /// and Apply then refuses its delete as part of a multi-arch image.
    PlatformsUnread {
        images: BTreeMap<Digest, Vec<String>>,
    },
}

/// Whether a repository with these tag plans is left with no tag at all.
fn removes_every_tag(tags: &[TagPlan]) -> bool {
    !tags.is_empty() && tags.iter().all(|t| t.decision == Decision::Remove)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupPlan {
    pub repository: String,
    /// When the plan was made, in seconds since 1970 (UTC): the `now` its age rule
    /// measured from. A plan read back from a file is a record of that moment.
    #[serde(default)]
    pub planned_at: i64,
    pub rules: CleanupRules,
    /// Every tag, in version order.
    pub tags: Vec<TagPlan>,
    pub delete_images: Vec<ImageDeletion>,
    pub tags_only: Vec<TagsOnly>,
    /// Bytes of config and layer blobs that no manifest left in this repository
    /// references, each blob counted once: what `registry garbage-collect` can free
    /// after the deletes. An upper bound: a layer also used by another repository
    /// stays. Manifests themselves (a few KiB each) are not counted. The platforms of
    /// a deleted multi-arch image are left, untagged, and so are their blobs.
    pub reclaimable_bytes: u64,
    /// Blobs behind `reclaimable_bytes`.
    pub reclaimable_blobs: usize,
    /// What garbage collection with `--delete-untagged` can free beyond that: the
    /// blobs only the platforms left untagged use.
    #[serde(default)]
    pub untagged_bytes: u64,
    /// Blobs behind `untagged_bytes`.
    #[serde(default)]
    pub untagged_blobs: usize,
    /// Set when no image may be deleted (only tags are removed), saying why
    /// (`crate::wording::deletes_refused`).
    #[serde(rename = "imageDeletesRefusedData")]
    pub image_deletes_refused: Option<DeletesRefused>,
    /// Things the reader should know (facts missing for some images, …).
    /// (`crate::wording::plan_note`)
    #[serde(rename = "notesData")]
    pub notes: Vec<PlanNote>,
}

impl CleanupPlan {
    /// The plan leaves the repository with no tag at all.
    pub fn removes_every_tag(&self) -> bool {
        removes_every_tag(&self.tags)
    }

    pub fn removed_tags(&self) -> impl Iterator<Item = &TagPlan> {
        self.tags.iter().filter(|t| t.decision == Decision::Remove)
    }

    pub fn kept_tags(&self) -> impl Iterator<Item = &TagPlan> {
        self.tags.iter().filter(|t| t.decision == Decision::Keep)
    }
}

/// Seconds per day, for the age rule.
const DAY: i64 = 86_400;

/// Dates before this (2000-01-01) are placeholders, not build dates: reproducible
/// builds (ko, Bazel, Nix) write 1970-01-01, some tools 0001-01-01. Taken as real,
/// "older than 30 days" would remove every such image, so they count as unknown.
const EARLIEST_REAL_DATE: i64 = 946_684_800;

/// How far after the plan a creation date may be and still count: the builder's
/// clock and this one may differ a little.
const CLOCK_SKEW: i64 = DAY;

/// The creation date of an image as seconds since 1970, or why it is not usable;
/// `now` is when the plan is made. A date in the future would outrank every real
/// build in "keep newest by creation date", taking its places for good.
fn usable_date(created: Option<&str>, now: i64) -> Result<i64, UnusableDate> {
    let Some(text) = created else {
        return Err(UnusableDate::Unknown);
    };
    match parse_rfc3339(text) {
        Some(seconds) if seconds > now.saturating_add(CLOCK_SKEW) => Err(UnusableDate::InFuture {
            created: text.to_owned(),
        }),
        Some(seconds) if seconds >= EARLIEST_REAL_DATE => Ok(seconds),
        Some(_) => Err(UnusableDate::Placeholder {
            created: text.to_owned(),
        }),
        None => Err(UnusableDate::NotADate {
            created: text.to_owned(),
        }),
    }
}

/// Whether "keep newest by version order" ranks `tag`: it has a digit somewhere
/// (`1.10.0`, `v2`, `build-42`, `2026-01-15`).
fn is_version_like(tag: &str) -> bool {
    tag.bytes().any(|b| b.is_ascii_digit())
}

/// The version `tag` starts with (`1.2`, `v1.2` as `1.2`, `2026-01-15`), if it
/// starts with one. By version order such a name ranks above one with another
/// prefix (`nightly-3`, `pr-17`), which plain character order would put first (a
/// letter sorts after a digit): nightly builds would take the places of the newest
/// releases. Among them the `v` does not count: `v0.9` is older than `1.0`. A commit
/// hash may start with a digit too (`9f3c2e1`): a version's first number ends the
/// name or comes before a separator.
fn leading_version(tag: &str) -> Option<&str> {
    let version = match tag.as_bytes() {
        [first, ..] if first.is_ascii_digit() => tag,
        [b'v' | b'V', second, ..] if second.is_ascii_digit() => &tag[1..],
        _ => return None,
    };
    let after_number = version.bytes().find(|b| !b.is_ascii_digit());
    matches!(after_number, None | Some(b'.' | b'-' | b'_' | b'+')).then_some(version)
}

/// A version split before its suffix (`2.0.0-rc.1`: `2.0.0` and `rc.1`; a `-` then a
/// letter starts one), so that a release ranks above its pre-releases and variants,
/// which character order puts the other way round (the longer name wins after an
/// equal prefix): keeping the newest two would keep two release candidates and
/// remove the release.
fn release_and_suffix(version: &str) -> (&str, &str) {
    let bytes = version.as_bytes();
    match (1..bytes.len()).find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_alphabetic()) {
        Some(i) => (&version[..i - 1], &version[i..]),
        None => (version, ""),
    }
}

/// How "keep newest N by version order" ranks two names, newest first: a name that
/// starts with its version before one that does not, then by version order, a
/// release before its suffixed versions.
fn newer_version_first(a: &str, b: &str) -> std::cmp::Ordering {
    match (leading_version(a), leading_version(b)) {
        // Equal versions (`v1.2`, `1.2`): the names decide, as anywhere else.
        (Some(a_version), Some(b_version)) => {
            let (a_release, a_suffix) = release_and_suffix(a_version);
            let (b_release, b_suffix) = release_and_suffix(b_version);
            natural_cmp(b_release, a_release)
                .then_with(|| b_suffix.is_empty().cmp(&a_suffix.is_empty()))
                .then_with(|| natural_cmp(b_suffix, a_suffix))
                .then_with(|| natural_cmp(b, a))
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => natural_cmp(b, a),
    }
}

/// When "keep newest N" by creation date cuts between tags of one date, which the
/// version order ranked: a plan that kept one of two equal tags without a word would
/// look arbitrary.
fn tie_at_cutoff(ranked: &[(&TagFacts, Option<i64>)], rules: &CleanupRules) -> Option<PlanNote> {
    let newest = rules.keep_newest?;
    let n = newest as usize;
    if rules.newest_by != NewestBy::Created || ranked.len() <= n {
        return None;
    }
    let created = ranked[n - 1].1?;
    if ranked[n].1 != Some(created) {
        return None;
    }
    let tied: Vec<(usize, &TagFacts)> = ranked
        .iter()
        .enumerate()
        .filter(|(_, (_, date))| *date == Some(created))
        .map(|(i, (t, _))| (i, *t))
        .collect();
    let names = |keep: bool| {
        tied.iter()
            .filter(|(i, _)| (*i < n) == keep)
            .map(|(_, t)| t.tag.clone())
            .collect()
    };
    Some(PlanNote::TiedAtCutoff {
        newest,
        created,
        kept: names(true),
        not_kept: names(false),
        one_image: tied.iter().all(|(_, t)| t.digest == tied[0].1.digest),
    })
}

/// Computes the plan. `now` is the current time in seconds since 1970 (UTC), for
/// the age rule. The rules are validated again here: a plan is never computed from
/// rules that were not checked.
pub fn plan(
    facts: &CleanupFacts,
    rules: &CleanupRules,
    now: i64,
) -> Result<CleanupPlan, RulesError> {
    rules.validate()?;
    let mut notes = Vec::new();

    // Ranks for "keep newest N", over the ordinary tags that could be read.
    let ordinary: Vec<&TagFacts> = facts
        .tags
        .iter()
        .filter(|t| t.digest.is_some() && t.referrer_of().is_none())
        .collect();
    let date_of =
        |t: &TagFacts| usable_date(t.digest.as_ref().and_then(|d| facts.created_of(d)), now);
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    if rules.keep_newest.is_some() {
        let mut ranked: Vec<(&TagFacts, Option<i64>)> = ordinary
            .iter()
            .filter_map(|t| match rules.newest_by {
                // Version order only: dates must not reorder versions. A name without
                // a digit (latest, stable, main) is no version: in version order it
                // would outrank every release ("current" > "1.10.0") and take a
                // place among the newest that a release should have.
                NewestBy::Version => is_version_like(&t.tag).then_some((*t, None)),
                NewestBy::Created => date_of(t).ok().map(|date| (*t, Some(date))),
            })
            .collect();
        sort::by(&mut ranked, |(a, a_date), (b, b_date)| {
            match rules.newest_by {
                NewestBy::Version => newer_version_first(&a.tag, &b.tag),
                NewestBy::Created => b_date.cmp(a_date).then_with(|| natural_cmp(&b.tag, &a.tag)),
            }
        });
        for (i, (t, _)) in ranked.iter().enumerate() {
            rank.insert(t.tag.as_str(), i + 1);
        }
        if let Some(note) = tie_at_cutoff(&ranked, rules) {
            notes.push(note);
        }
        // By version order, what the ranking left out is what is no version.
        if rules.newest_by == NewestBy::Version {
            let tags: Vec<String> = ordinary
                .iter()
                .filter(|t| !rank.contains_key(t.tag.as_str()))
                .map(|t| t.tag.clone())
                .collect();
            if !tags.is_empty() {
                notes.push(PlanNote::NotVersions { tags });
            }
        }
    }

    // Ordinary tags first; referrer tags wait for their image's fate.
    let mut decided: BTreeMap<&str, TagPlan> = BTreeMap::new();
    let mut referrer_tags = Vec::new();
    for t in &facts.tags {
        let created = t
            .digest
            .as_ref()
            .and_then(|d| facts.created_of(d))
            .map(str::to_owned);
        let entry = |decision, reason: TagReason| TagPlan {
            tag: t.tag.clone(),
            digest: t.digest.clone(),
            created: created.clone(),
            decision,
            decided_by: reason.decided_by(),
            reason,
        };
        if t.digest.is_none() {
            let problem = t.problem.clone().map(Box::new);
            decided.insert(
                &t.tag,
                entry(Decision::Keep, TagReason::Unreadable { problem }),
            );
            continue;
        }
        if let Some((subject, scheme)) = t.referrer_of() {
            referrer_tags.push((t, subject, scheme));
            continue;
        }
        decided.insert(&t.tag, decide(t, rules, &rank, date_of(t), now, entry));
    }

    let unreadable = facts.tags.iter().filter(|t| t.digest.is_none()).count();
    let refused = if facts.tags_may_be_incomplete {
        Some(DeletesRefused::TagListIncomplete)
    } else if unreadable > 0 {
        Some(DeletesRefused::UnreadableTags { count: unreadable })
    } else {
        None
    };

    // What the ordinary tags alone delete decides the referrer tags.
    let tentative = Fate::of(facts, decided.values(), refused.is_none());
    // What would go were deletes allowed: a subject among it stays only for the refusal.
    let unrefused = refused
        .as_ref()
        .map(|refusal| (refusal, Fate::of(facts, decided.values(), true)));
    for (t, subject, scheme) in referrer_tags {
        let (decision, image) = if tentative.deleted.contains(&subject) {
            // Only a tagged image is deleted; a platform no tag names is left behind.
            let tagged = facts
                .tags
                .iter()
                .any(|t| t.digest.as_ref() == Some(&subject) && t.referrer_of().is_none());
            let fate = if tagged {
                SubjectFate::Deleted
            } else {
                SubjectFate::LeftUntagged
            };
            (Decision::Remove, fate)
        } else if tentative.kept.contains(&subject) {
            (Decision::Keep, SubjectFate::Stays)
        } else if let Some((refusal, _)) = unrefused
            .as_ref()
            .filter(|(_, fate)| fate.deleted.contains(&subject))
        {
            let refusal = (*refusal).clone();
            (Decision::Keep, SubjectFate::NotDeleted { refusal })
        } else {
            (Decision::Keep, SubjectFate::Untagged)
        };
        let reason = TagReason::FollowsImage {
            scheme,
            subject,
            image,
        };
        decided.insert(
            &t.tag,
            TagPlan {
                tag: t.tag.clone(),
                digest: t.digest.clone(),
                created: t
                    .digest
                    .as_ref()
                    .and_then(|d| facts.created_of(d))
                    .map(str::to_owned),
                decision,
                decided_by: reason.decided_by(),
                reason,
            },
        );
    }

    let fate = Fate::of(facts, decided.values(), refused.is_none());
    let mut tags: Vec<TagPlan> = decided.into_values().collect();
    sort::by(&mut tags, |a, b| natural_cmp(&a.tag, &b.tag));

    // Tagged images: deleted, or only losing tags.
    let mut tags_by_image: BTreeMap<&Digest, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for t in &tags {
        if let Some(digest) = &t.digest {
            let (kept, removed) = tags_by_image.entry(digest).or_default();
            match t.decision {
                Decision::Keep => kept.push(t.tag.clone()),
                Decision::Remove => removed.push(t.tag.clone()),
            }
        }
    }
    let tagged: BTreeSet<&Digest> = tags_by_image.keys().copied().collect();
    let mut delete_images = Vec::new();
    let mut tags_only = Vec::new();
    let mut platforms_claimed: BTreeSet<Digest> = BTreeSet::new();
    let parents = parents_of(facts);
    for (digest, (kept, removed)) in &tags_by_image {
        if removed.is_empty() {
            continue;
        }
        if fate.deleted.contains(*digest) {
            let (platforms, shared_platforms) = descendants(facts, digest)
                .into_iter()
                .filter(|d| fate.deleted.contains(d) && !tagged.contains(d))
                .partition(|d| platforms_claimed.insert(d.clone()));
            delete_images.push(ImageDeletion {
                digest: (*digest).clone(),
                tags: removed.clone(),
                platforms,
                shared_platforms,
            });
            continue;
        }
        let kept_because = if !kept.is_empty() {
            KeptBecause::StillTagged { tags: kept.clone() }
        } else if fate.held.contains(*digest) {
            // What it lists is unknown; the note names it.
            KeptBecause::KeptByPlan
        } else if let Some(parent) = fate.kept_parent_of(digest, &parents, &tags_by_image) {
            parent
        } else if let Some(refusal) = &refused {
            KeptBecause::DeletesRefused {
                refusal: refusal.clone(),
            }
        } else {
            KeptBecause::KeptByPlan
        };
        tags_only.push(TagsOnly {
            digest: (*digest).clone(),
            removed_tags: removed.clone(),
            kept_because,
        });
    }

    order_deletes(facts, &tags, &mut delete_images);

    // Only the images of `delete_images` are deleted: a deleted multi-arch image's
    // platforms stay, untagged, and plain garbage collection keeps what they use.
    let deleted_now: BTreeSet<&Digest> = delete_images.iter().map(|i| &i.digest).collect();
    // Only manifests the plan deletes count as unread deletions: a platform left
    // untagged is not one.
    let (freed, missing) = freed_blobs(facts, &deleted_now);
    let (freed_with_untagged, _) = freed_blobs(facts, &fate.deleted.iter().collect());
    let untagged: Vec<u64> = freed_with_untagged
        .iter()
        .filter(|(blob, _)| !freed.contains_key(*blob))
        .map(|(_, size)| *size)
        .collect();
    if missing > 0 {
        notes.push(PlanNote::UnreadableDeletions { count: missing });
    }
    // Said only when something is deleted, or kept for it: that is what an unread
    // platform may stop.
    let deletes = !delete_images.is_empty() || !fate.held.is_empty();
    let partly_read: BTreeMap<Digest, Vec<String>> = tags_by_image
        .iter()
        .filter(|(digest, _)| deletes && platforms_unread(facts, digest))
        .map(|(digest, (kept, removed))| {
            let mut names: Vec<String> = kept.iter().chain(removed).cloned().collect();
            sort::by(&mut names, |a, b| natural_cmp(a, b));
            ((*digest).clone(), names)
        })
        .collect();
    if !partly_read.is_empty() {
        notes.push(PlanNote::PlatformsUnread {
            images: partly_read,
        });
    }
    if rules.removes_nothing() {
        notes.push(PlanNote::RemovesNothing);
    }
    if removes_every_tag(&tags) {
        notes.push(PlanNote::RemovesEveryTag { count: tags.len() });
    }

    Ok(CleanupPlan {
        repository: facts.repository.clone(),
        planned_at: now,
        rules: rules.clone(),
        tags,
        delete_images,
        tags_only,
        reclaimable_bytes: freed.values().fold(0u64, |a, b| a.saturating_add(*b)),
        reclaimable_blobs: freed.len(),
        untagged_bytes: untagged.iter().fold(0u64, |a, b| a.saturating_add(*b)),
        untagged_blobs: untagged.len(),
        image_deletes_refused: refused,
        notes,
    })
}

/// Orders the deletes so that each comes after those it waits for:
/// - a multi-arch image before the images it lists: each delete is refused while a
///   multi-arch image still lists it (`Registry::check_image_delete`), so a platform
///   with a tag of its own deleted first would be skipped, as if it had changed;
/// - an image before its referrers (signatures, …): Apply deletes a referrer only once
///   its image is gone, so one ordered first would be kept for nothing.
///
/// Otherwise the order stays (by digest).
fn order_deletes(facts: &CleanupFacts, tags: &[TagPlan], deletes: &mut Vec<ImageDeletion>) {
    // Looked up once per referrer tag: scanning every delete for each one is
    // quadratic, which thousands of signed images in one plan make slow.
    let at: HashMap<&Digest, usize> = deletes
        .iter()
        .enumerate()
        .map(|(i, image)| (&image.digest, i))
        .collect();
    // Every delete that lists each platform left untagged: its referrers wait for all.
    let mut listers: HashMap<&Digest, Vec<usize>> = HashMap::new();
    for (i, image) in deletes.iter().enumerate() {
        for p in image.platforms.iter().chain(&image.shared_platforms) {
            listers.entry(p).or_default().push(i);
        }
    }
    // `before[i]`: the deletes that must come before delete `i`.
    let mut before: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); deletes.len()];
    for (i, image) in deletes.iter().enumerate() {
        for below in descendants(facts, &image.digest) {
            if let Some(&j) = at.get(&below) {
                before[j].insert(i);
            }
        }
    }
    let subjects: HashMap<&str, &Digest> = tags
        .iter()
        .filter_map(|t| match &t.reason {
            TagReason::FollowsImage { subject, .. } => Some((t.tag.as_str(), subject)),
            _ => None,
        })
        .collect();
    for (i, image) in deletes.iter().enumerate() {
        for subject in image.tags.iter().filter_map(|t| subjects.get(t.as_str())) {
            // The subject itself, or the multi-arch images that leave it untagged.
            let listing = listers.get(*subject).into_iter().flatten();
            for &j in at.get(*subject).into_iter().chain(listing) {
                if j != i {
                    before[i].insert(j);
                }
            }
        }
    }
    // Kahn's order, the earliest ready delete first. Digests are content addresses,
    // so nothing waits on itself; deletes left in a loop (a hostile registry) keep
    // their order at the end.
    let mut waiting: Vec<usize> = before.iter().map(BTreeSet::len).collect();
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); deletes.len()];
    for (i, earlier) in before.iter().enumerate() {
        for &j in earlier {
            after[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..deletes.len()).filter(|&i| waiting[i] == 0).collect();
    let mut rank = vec![usize::MAX; deletes.len()];
    let mut next = 0;
    while let Some(i) = ready.pop_first() {
        rank[i] = next;
        next += 1;
        for &k in &after[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.insert(k);
            }
        }
    }
    let rank: BTreeMap<Digest, (usize, usize)> = deletes
        .iter()
        .enumerate()
        .map(|(i, image)| (image.digest.clone(), (rank[i], i)))
        .collect();
    sort::by_cached_key(deletes, |image| rank[&image.digest]);
}

/// Decides one ordinary tag by the precedence documented on [`CleanupRules`].
fn decide(
    t: &TagFacts,
    rules: &CleanupRules,
    rank: &BTreeMap<&str, usize>,
    date: Result<i64, UnusableDate>,
    now: i64,
    entry: impl Fn(Decision, TagReason) -> TagPlan,
) -> TagPlan {
    if let Some(pattern) = rules.keep.iter().find(|p| p.matches(&t.tag)) {
        let pattern = pattern.clone();
        return entry(Decision::Keep, TagReason::KeepPattern { pattern });
    }
    if let Some(newest) = rules.keep_newest {
        match rank.get(t.tag.as_str()) {
            Some(&rank) if rank <= newest as usize => {
                return entry(
                    Decision::Keep,
                    TagReason::KeepNewest {
                        rank,
                        newest,
                        by: rules.newest_by,
                    },
                )
            }
            // Unranked by date: the date is unusable.
            None if rules.newest_by == NewestBy::Created => {
                if let Err(date) = &date {
                    let date = date.clone();
                    return entry(Decision::Keep, TagReason::UnknownDate { date, newest });
                }
            }
            _ => {}
        }
    }
    if let Some(pattern) = rules.remove.iter().find(|p| p.matches(&t.tag)) {
        let pattern = pattern.clone();
        return entry(Decision::Remove, TagReason::RemovePattern { pattern });
    }
    let mut unknown_age = None;
    if let Some(days) = rules.remove_older_than_days {
        match &date {
            Ok(created) => {
                let age = now.saturating_sub(*created);
                if age > i64::from(days) * DAY {
                    return entry(
                        Decision::Remove,
                        TagReason::OlderThan {
                            created: *created,
                            age_days: age / DAY,
                            days,
                        },
                    );
                }
            }
            Err(why) => unknown_age = Some(why.clone()),
        }
    }
    match rules.others {
        Others::Keep => entry(Decision::Keep, TagReason::NoRuleRemoves { unknown_age }),
        Others::Remove => entry(Decision::Remove, TagReason::OthersRemoved),
    }
}

/// Which manifests stay and which go, given each tag's decision.
struct Fate {
    /// Manifests a kept tag uses, directly or as a platform of a kept index, and
    /// those `held` and what they list.
    kept: BTreeSet<Digest>,
    /// Multi-arch images only removed tags use, kept as their platforms could not
    /// all be read.
    held: BTreeSet<Digest>,
    /// Manifests only removed tags use (none when image deletes are refused).
    deleted: BTreeSet<Digest>,
}

impl Fate {
    fn of<'a>(
        facts: &CleanupFacts,
        decisions: impl Iterator<Item = &'a TagPlan> + Clone,
        deletes_allowed: bool,
    ) -> Fate {
        // Each image walked once, however many tags name it.
        let images = |decision: Decision| -> BTreeSet<&Digest> {
            (decisions.clone())
                .filter(|t| t.decision == decision)
                .filter_map(|t| t.digest.as_ref())
                .collect()
        };
        let mut kept = BTreeSet::new();
        for digest in images(Decision::Keep) {
            kept.insert(digest.clone());
            kept.extend(descendants(facts, digest));
        }
        let mut held = BTreeSet::new();
        let mut deleted = BTreeSet::new();
        if deletes_allowed {
            let removed = images(Decision::Remove);
            // An index listing manifests the facts lack stays, with what it lists:
            // what lies below it is unknown.
            for digest in removed.iter().copied() {
                if !kept.contains(digest) && platforms_unread(facts, digest) {
                    held.insert(digest.clone());
                }
            }
            for digest in &held {
                kept.insert(digest.clone());
                kept.extend(descendants(facts, digest));
            }
            for digest in removed {
                for d in std::iter::once(digest.clone()).chain(descendants(facts, digest)) {
                    if !kept.contains(&d) {
                        deleted.insert(d);
                    }
                }
            }
        }
        Fate {
            kept,
            held,
            deleted,
        }
    }

    /// The kept multi-arch image that lists `digest`, with its kept tags, if any. Up
    /// through nested indexes to the nearest one with a kept tag, the one that keeps
    /// it (an untagged index in between names no tag); else the nearest kept one.
    /// `parents`: who lists each manifest; `tags_by_image`: (kept, removed) tags.
    fn kept_parent_of(
        &self,
        digest: &Digest,
        parents: &BTreeMap<&Digest, BTreeSet<&Digest>>,
        tags_by_image: &BTreeMap<&Digest, (Vec<String>, Vec<String>)>,
    ) -> Option<KeptBecause> {
        let kept_tags = |index: &Digest| {
            tags_by_image
                .get(index)
                .map(|(kept, _)| kept.clone())
                .unwrap_or_default()
        };
        // Level by level; `seen` ends the walk even in a loop a hostile registry
        // made, and bounds it by the number of manifests.
        let mut seen: BTreeSet<&Digest> = BTreeSet::from([digest]);
        let mut level = vec![digest];
        let mut nearest = None;
        while !level.is_empty() {
            let mut above = Vec::new();
            for child in &level {
                let listed_by = parents.get(child).into_iter().flatten();
                for &parent in listed_by.filter(|p| self.kept.contains(**p)) {
                    if !seen.insert(parent) {
                        continue;
                    }
                    let tags = kept_tags(parent);
                    if !tags.is_empty() {
                        return Some(KeptBecause::ListedByKeptIndex {
                            index: parent.clone(),
                            tags,
                        });
                    }
                    nearest.get_or_insert(parent);
                    above.push(parent);
                }
            }
            level = above;
        }
        nearest.map(|index| KeptBecause::ListedByKeptIndex {
            index: index.clone(),
            tags: Vec::new(),
        })
    }
}

/// Who lists each manifest: the indexes of the facts whose children it is.
fn parents_of(facts: &CleanupFacts) -> BTreeMap<&Digest, BTreeSet<&Digest>> {
    let mut parents: BTreeMap<&Digest, BTreeSet<&Digest>> = BTreeMap::new();
    for image in facts.images.values() {
        for child in &image.children {
            parents.entry(child).or_default().insert(&image.digest);
        }
    }
    parents
}

/// The blobs garbage collection frees once the manifests `gone` are gone: those no
/// other manifest of the facts references, each once with its size; and how many of
/// the manifests gone could not be read (their blobs are not counted).
fn freed_blobs<'a>(
    facts: &'a CleanupFacts,
    gone: &BTreeSet<&Digest>,
) -> (BTreeMap<&'a Digest, u64>, usize) {
    let remaining: BTreeSet<&Digest> = facts
        .images
        .values()
        .filter(|image| !gone.contains(&image.digest))
        .flat_map(|image| image.blobs.iter().map(|b| &b.digest))
        .collect();
    let mut freed: BTreeMap<&Digest, u64> = BTreeMap::new();
    let mut missing = 0;
    for digest in gone {
        match facts.images.get(digest) {
            Some(image) => {
                for blob in image
                    .blobs
                    .iter()
                    .filter(|b| !remaining.contains(&b.digest))
                {
                    // Declared sizes of one blob could differ (a hostile registry);
                    // the largest is counted, once.
                    let size = freed.entry(&blob.digest).or_default();
                    *size = (*size).max(blob.size);
                }
            }
            None => missing += 1,
        }
    }
    (freed, missing)
}

/// Whether the multi-arch image `digest` lists, at some depth, a manifest the facts
/// lack: the gather could not read it or stopped at its cut-off, and so what lies
/// below it is unknown.
fn platforms_unread(facts: &CleanupFacts, digest: &Digest) -> bool {
    descendants(facts, digest)
        .iter()
        .any(|d| !facts.images.contains_key(d))
}

/// Every manifest `digest` lists, at any depth (an index of indexes). Digests are
/// content addresses, so the graph cannot loop; the seen set guards anyway.
fn descendants(facts: &CleanupFacts, digest: &Digest) -> Vec<Digest> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![digest.clone()];
    let mut out = Vec::new();
    while let Some(d) = stack.pop() {
        if let Some(image) = facts.images.get(&d) {
            for child in &image.children {
                if child != digest && seen.insert(child.clone()) {
                    out.push(child.clone());
                    stack.push(child.clone());
                }
            }
        }
    }
    out
}

/// `2026-01-15 10:00 UTC` from seconds since 1970.
pub fn chrono_free_date(seconds: i64) -> String {
    let days = seconds.div_euclid(DAY);
    let rest = seconds.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Parses an RFC 3339 timestamp (`2026-01-15T10:00:00.5+02:00`, `…Z`) to seconds
/// since 1970 (UTC). `None` for anything else. Image configs write `created` this
/// way; the fraction is dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    crate::model::timestamp::utc_instant(text.trim()).map(|(seconds, _)| seconds)
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2000-01-01T00:00:00Z"),
            Some(EARLIEST_REAL_DATE)
        );
        assert_eq!(
            parse_rfc3339("2026-01-15T12:00:00.123456789+02:00"),
            parse_rfc3339("2026-01-15T10:00:00Z")
        );
        assert_eq!(
            chrono_free_date(parse_rfc3339("2024-02-29T23:59:00Z").unwrap()),
            "2024-02-29 23:59 UTC"
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-01-15",
            "2026-01-15T10:00:00",
            "2026-01-15T10:00:00.Z",
            "yesterday",
            "2026-01-15T10:00:00+2:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
