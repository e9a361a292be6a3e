#![cfg(not(target_arch = "wasm32"))]
//! The clean-up planner: rules, precedence, what an image deletion takes, the bytes
//! garbage collection gives back, exports, and gathering facts from a registry.

mod support;

use std::cell::Cell;
use std::collections::BTreeMap;

use support::block_on;
use support::memory_registry::MemoryRegistry;
use tagdeck::oci::changes::ChangeError;
use tagdeck::oci::cleanup::{
    parse_rfc3339, plan, BlobRef, CleanupApplied, CleanupDefaults, CleanupFacts, CleanupOutcome,
    CleanupPlan, CleanupRules, DecidedBy, Decision, GatherStep, ImageFacts, NewestBy, Others,
    OutcomeKind, PlanNote, RulesError, TagFacts, TagPattern,
};
use tagdeck::oci::client::Registry;
use tagdeck::oci::error::{Attempt, RegistryError};
use tagdeck::oci::http::Method;
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository};
use tagdeck::wording::{self, deletes_refused, garbage_collection_advice, kept_because};
use tagdeck::wording::{csv_cell, plan_csv, plan_json, plans_csv, plans_json};

/// The registry the exported plans name.
const REGISTRY: &str = "https://registry.example";

/// A digest standing for `name` (an image, a blob).
fn d(name: &str) -> Digest {
    Digest::sha256_of(name.as_bytes())
}

fn now() -> i64 {
    parse_rfc3339("2026-03-01T00:00:00Z").unwrap()
}

/// `days` days before `now()`, as a config writes it.
fn days_ago(days: i64) -> String {
    let seconds = now() - days * 86_400;
    // Only whole days are needed: build the date from a known day.
    let base = parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
    assert_eq!((base - seconds) % 86_400, 0);
    date_of(seconds)
}

fn date_of(seconds: i64) -> String {
    // Inverse of parse_rfc3339 for whole days, by search over a small range.
    let mut day = parse_rfc3339("2020-01-01T00:00:00Z").unwrap();
    let mut text = String::new();
    for y in 2020..=2026 {
        for m in 1..=12 {
            for dd in 1..=31 {
                let t = format!("{y:04}-{m:02}-{dd:02}T00:00:00Z");
                if let Some(s) = parse_rfc3339(&t) {
                    if s == seconds {
                        text = t;
                    }
                    day = s;
                }
            }
        }
    }
    let _ = day;
    assert!(!text.is_empty(), "date out of range");
    text
}

/// Facts builder: images with blobs, tags pointing at them.
#[derive(Default)]
struct Facts(CleanupFacts);

impl Facts {
    fn image(mut self, name: &str, created: Option<&str>, blobs: &[(&str, u64)]) -> Self {
        self.0.images.insert(
            d(name),
            ImageFacts {
                digest: d(name),
                created: created.map(str::to_owned),
                is_index: false,
                children: Vec::new(),
                blobs: blobs
                    .iter()
                    .map(|(b, size)| BlobRef {
                        digest: d(b),
                        size: *size,
                    })
                    .collect(),
            },
        );
        self
    }

    fn index(mut self, name: &str, created: Option<&str>, children: &[&str]) -> Self {
        self.0.images.insert(
            d(name),
            ImageFacts {
                digest: d(name),
                created: created.map(str::to_owned),
                is_index: true,
                children: children.iter().map(|c| d(c)).collect(),
                blobs: Vec::new(),
            },
        );
        self
    }

    fn tag(mut self, tag: &str, image: &str) -> Self {
        self.0.tags.push(TagFacts {
            tag: tag.into(),
            digest: Some(d(image)),
            problem: None,
            not_a_referrer: false,
        });
        self
    }

    /// An image and a tag of the same name pointing at it.
    fn tagged(self, name: &str, created: Option<&str>, blobs: &[(&str, u64)]) -> Self {
        self.image(name, created, blobs).tag(name, name)
    }

    /// A tag whose manifest could not be read, for `problem`.
    fn unreadable(mut self, tag: &str, problem: RegistryError) -> Self {
        self.0.tags.push(TagFacts {
            tag: tag.into(),
            digest: None,
            problem: Some(problem),
            not_a_referrer: false,
        });
        self
    }

    /// The registry's tag list may lack pages.
    fn incomplete(mut self) -> Self {
        self.0.tags_may_be_incomplete = true;
        self
    }

    fn tag_digest(mut self, tag: &str, digest: Digest) -> Self {
        self.0.tags.push(TagFacts {
            tag: tag.into(),
            digest: Some(digest),
            problem: None,
            not_a_referrer: false,
        });
        self
    }

    fn done(mut self) -> CleanupFacts {
        self.0.repository = "team/app".into();
        self.0
    }
}

fn pat(p: &str) -> TagPattern {
    TagPattern::parse(p).unwrap()
}

fn decisions(plan: &CleanupPlan) -> BTreeMap<String, (Decision, DecidedBy)> {
    plan.tags
        .iter()
        .map(|t| (t.tag.clone(), (t.decision, t.decided_by)))
        .collect()
}

fn removed(plan: &CleanupPlan) -> Vec<&str> {
    plan.removed_tags().map(|t| t.tag.as_str()).collect()
}

/// The tag's reason as the plan view and the CSV say it.
fn reason(plan: &CleanupPlan, tag: &str) -> String {
    tagdeck::wording::tag_reason(&plan.tags.iter().find(|t| t.tag == tag).unwrap().reason)
}

#[test]
fn patterns_match_whole_tags_with_star_and_question_mark() {
    assert!(pat("v*").matches("v1.2.3"));
    assert!(pat("v*").matches("v"));
    assert!(!pat("v*").matches("av1"));
    assert!(pat("release-*").matches("release-2026.01"));
    assert!(!pat("release-*").matches("release"));
    assert!(pat("latest").matches("latest"));
    assert!(!pat("latest").matches("latest-1"));
    assert!(pat("1.?").matches("1.2"));
    assert!(!pat("1.?").matches("1.10"));
    assert!(pat("*-rc*").matches("2.0-rc1"));
    assert!(pat("*a*a*a*a*a*b").matches(&("a".repeat(100) + "b")));
    assert!(!pat("*a*a*a*a*a*b").matches(&"a".repeat(128)));
    assert!(!pat("V*").matches("v1"), "tags are case-sensitive");
}

#[test]
fn bad_patterns_say_what_to_fix() {
    let says = |error: RulesError| wording::rules_error(&error);
    let err = says(TagPattern::parse("v1/*").unwrap_err());
    assert!(err.contains("'/'") && err.contains("'*'"), "{err}");
    assert!(TagPattern::parse("[0-9]*").is_err());
    assert!(says(TagPattern::parse("").unwrap_err()).contains("empty"));
    assert!(says(TagPattern::parse(&"a".repeat(129)).unwrap_err()).contains("128"));
    // From JSON too, naming the pattern.
    let err = says(
        CleanupRules::from_json(&serde_json::json!({"keep": ["ok", "bad pattern"]})).unwrap_err(),
    );
    assert!(err.contains("bad pattern"), "{err}");
}

#[test]
fn keep_always_beats_remove() {
    let facts = Facts::default()
        .image("a", Some(&days_ago(100)), &[])
        .image("b", Some(&days_ago(100)), &[])
        .image("c", Some(&days_ago(1)), &[])
        .tag("v1.0", "a")
        .tag("ci-123", "b")
        .tag("ci-124", "c")
        .tag("nightly", "c")
        .done();
    let rules = CleanupRules {
        keep: vec![pat("v*")],
        remove: vec![pat("ci-*"), pat("v1.*")],
        remove_older_than_days: Some(30),
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    let decided = decisions(&plan);
    // Matches both a keep and a remove pattern, and is old: kept.
    assert_eq!(decided["v1.0"], (Decision::Keep, DecidedBy::KeepPattern));
    assert_eq!(reason(&plan, "v1.0"), "kept: matches the keep pattern v*");
    assert_eq!(
        decided["ci-123"],
        (Decision::Remove, DecidedBy::RemovePattern)
    );
    assert_eq!(
        decided["ci-124"],
        (Decision::Remove, DecidedBy::RemovePattern)
    );
    // No rule removes it (young, no pattern): others = keep.
    assert_eq!(decided["nightly"], (Decision::Keep, DecidedBy::Others));
    assert_eq!(reason(&plan, "nightly"), "kept: no rule removes it");
    // b goes whole; c stays (nightly) and only loses ci-124.
    assert_eq!(plan.delete_images.len(), 1);
    assert_eq!(plan.delete_images[0].digest, d("b"));
    assert_eq!(plan.tags_only.len(), 1);
    assert_eq!(plan.tags_only[0].digest, d("c"));
    assert_eq!(
        kept_because(&plan.tags_only[0].kept_because),
        "still tagged nightly"
    );
}

#[test]
fn a_plan_that_removes_every_tag_says_so() {
    let facts = Facts::default()
        .image("a", Some(&days_ago(100)), &[])
        .image("b", Some(&days_ago(1)), &[])
        .tag("ci-1", "a")
        .tag("ci-2", "b")
        .tag("latest", "b")
        .done();
    let everything = CleanupRules {
        remove: vec![pat("*")],
        ..CleanupRules::default()
    };
    let emptied = plan(&facts, &everything, now()).unwrap();
    assert!(emptied.removes_every_tag());
    assert!(
        emptied
            .notes
            .contains(&PlanNote::RemovesEveryTag { count: 3 }),
        "{:?}",
        emptied.notes
    );
    // One tag kept: no such note.
    let keep_latest = CleanupRules {
        keep: vec![pat("latest")],
        ..everything.clone()
    };
    let kept = plan(&facts, &keep_latest, now()).unwrap();
    assert!(!kept.removes_every_tag());
    assert!(!kept
        .notes
        .iter()
        .any(|n| matches!(n, PlanNote::RemovesEveryTag { .. })));
    // A repository with no tag has nothing to empty.
    let none = plan(&Facts::default().done(), &everything, now()).unwrap();
    assert!(!none.removes_every_tag());
}

#[test]
fn keep_newest_by_creation_date_then_remove_the_rest() {
    let mut facts = Facts::default();
    for (i, days) in [5, 1, 40, 3, 20].iter().enumerate() {
        let name = format!("img{i}");
        facts = facts
            .image(&name, Some(&days_ago(*days)), &[])
            .tag(&format!("build-{i}"), &name);
    }
    // A release far older than the newest: kept by its pattern, and counted by date
    // like any tag (the keep rules are independent).
    facts = facts
        .image("rel", Some(&days_ago(300)), &[])
        .tag("release-1", "rel");
    let rules = CleanupRules {
        keep_newest: Some(2),
        keep: vec![pat("release-*")],
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts.done(), &rules, now()).unwrap();
    let decided = decisions(&plan);
    assert_eq!(decided["build-1"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(decided["build-3"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(
        reason(&plan, "build-1"),
        "kept: no. 1 of the 2 newest by creation date"
    );
    assert_eq!(
        reason(&plan, "build-3"),
        "kept: no. 2 of the 2 newest by creation date"
    );
    assert_eq!(
        decided["release-1"],
        (Decision::Keep, DecidedBy::KeepPattern)
    );
    assert_eq!(removed(&plan), ["build-0", "build-2", "build-4"]);
    assert_eq!(decided["build-0"].1, DecidedBy::Others);
    assert_eq!(plan.delete_images.len(), 3);
}

#[test]
fn a_keep_newest_cut_between_tags_of_one_date_is_explained() {
    // 1.0 and latest are one image; 0.9 is older. Keep newest 1 by date cuts between
    // the two tags of the newest image: version order ranks them, and the plan says so.
    let facts = || {
        Facts::default()
            .image("new", Some(&days_ago(1)), &[])
            .tag("1.0", "new")
            .tag("latest", "new")
            .tagged("0.9", Some(&days_ago(30)), &[])
            .done()
    };
    let rules = CleanupRules {
        keep_newest: Some(1),
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let tied = plan(&facts(), &rules, now()).unwrap();
    let decided = decisions(&tied);
    assert_eq!(decided["latest"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(decided["1.0"], (Decision::Remove, DecidedBy::Others));
    assert_eq!(
        tied.notes,
        [PlanNote::TiedAtCutoff {
            newest: 1,
            created: parse_rfc3339(&days_ago(1)).unwrap(),
            kept: vec!["latest".into()],
            not_kept: vec!["1.0".into()],
            one_image: true,
        }]
    );
    let note = wording::plan_note(&tied.notes[0]);
    assert!(
        note.starts_with("keep newest 1 ends among tags created at the same moment, "),
        "{note}"
    );
    assert!(
        note.ends_with(
            ": latest, 1.0 (tags of one image). Tags of one date rank by version order, \
             highest first, so latest is among the 1 newest and 1.0 is not"
        ),
        "{note}"
    );
    // No tie at the cut (keep newest 2 takes both): no such note; nor by version
    // order, which has no ties.
    for rules in [
        CleanupRules {
            keep_newest: Some(2),
            ..rules.clone()
        },
        CleanupRules {
            newest_by: NewestBy::Version,
            ..rules.clone()
        },
    ] {
        let plan = plan(&facts(), &rules, now()).unwrap();
        assert!(
            !plan
                .notes
                .iter()
                .any(|n| matches!(n, PlanNote::TiedAtCutoff { .. })),
            "{:?}",
            plan.notes
        );
    }
}

#[test]
fn keep_newest_by_version_order() {
    let mut facts = Facts::default();
    for (i, tag) in ["1.9.0", "1.10.0", "1.2.0", "2.0.0", "1.10.1"]
        .iter()
        .enumerate()
    {
        // Dates deliberately contradict the versions.
        let name = format!("img{i}");
        facts = facts
            .image(&name, Some(&days_ago(i as i64 + 1)), &[])
            .tag(tag, &name);
    }
    let rules = CleanupRules {
        keep_newest: Some(3),
        newest_by: NewestBy::Version,
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts.done(), &rules, now()).unwrap();
    let kept: Vec<&str> = plan.kept_tags().map(|t| t.tag.as_str()).collect();
    assert_eq!(kept, ["1.10.0", "1.10.1", "2.0.0"]);
    assert_eq!(
        reason(&plan, "2.0.0"),
        "kept: no. 1 of the 3 newest by version order"
    );
    assert_eq!(removed(&plan), ["1.2.0", "1.9.0"]);
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
}

#[test]
fn keep_newest_by_version_order_ranks_a_release_above_its_pre_releases() {
    // Character by character "2.0.0-rc.1" > "2.0.0" (the longer name wins after an
    // equal prefix): the release would be the one removed.
    let mut facts = Facts::default();
    for tag in ["1.9.0", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0", "2.0.0-alpine"] {
        facts = facts.tagged(tag, Some(&days_ago(5)), &[]);
    }
    let rules = CleanupRules {
        keep_newest: Some(2),
        newest_by: NewestBy::Version,
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts.done(), &rules, now()).unwrap();
    assert_eq!(
        reason(&plan, "2.0.0"),
        "kept: no. 1 of the 2 newest by version order"
    );
    // Among the suffixes of one version, the numbers still rank them.
    assert_eq!(
        removed(&plan),
        ["1.9.0", "2.0.0-alpine", "2.0.0-rc.1"],
        "{:?}",
        plan.kept_tags().map(|t| &t.tag).collect::<Vec<_>>()
    );
}

#[test]
fn keep_newest_by_version_order_takes_commit_hashes_for_no_version() {
    // "9f3c2e1" starts with a digit but is no version 9: it would outrank 1.6.0.
    let mut facts = Facts::default();
    for tag in ["1.5.0", "1.6.0", "9f3c2e1", "5d4e3f2", "20260115"] {
        facts = facts.tagged(tag, Some(&days_ago(5)), &[]);
    }
    let rules = CleanupRules {
        keep_newest: Some(3),
        newest_by: NewestBy::Version,
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts.done(), &rules, now()).unwrap();
    let kept: Vec<&str> = plan.kept_tags().map(|t| t.tag.as_str()).collect();
    // A date written as one number is a version (a build date).
    assert_eq!(kept, ["1.5.0", "1.6.0", "20260115"]);
    assert_eq!(removed(&plan), ["5d4e3f2", "9f3c2e1"]);
}

#[test]
fn keep_newest_by_version_order_ranks_releases_above_other_prefixes() {
    // Character by character "nightly-2" > "1.2" (a letter sorts after a digit): the
    // nightly builds would take the places of the newest releases.
    let mut facts = Facts::default();
    for tag in [
        "1.0",
        "1.1",
        "1.2",
        "nightly-1",
        "nightly-2",
        "v0.9",
        "pr-17",
    ] {
        facts = facts.tagged(tag, Some(&days_ago(5)), &[]);
    }
    let rules = CleanupRules {
        keep_newest: Some(3),
        newest_by: NewestBy::Version,
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let releases = plan(&facts.done(), &rules, now()).unwrap();
    let kept: Vec<&str> = releases.kept_tags().map(|t| t.tag.as_str()).collect();
    // v0.9 is version 0.9: its "v" does not rank it above 1.0.
    assert_eq!(kept, ["1.0", "1.1", "1.2"]);
    assert_eq!(
        reason(&releases, "1.2"),
        "kept: no. 1 of the 3 newest by version order"
    );
    assert_eq!(
        removed(&releases),
        ["nightly-1", "nightly-2", "pr-17", "v0.9"]
    );
    // Among names of one prefix the numbers still rank them.
    let mut facts = Facts::default();
    for tag in ["build-9", "build-10", "build-11"] {
        facts = facts.tagged(tag, Some(&days_ago(5)), &[]);
    }
    let builds = facts.done();
    let three = plan(&builds, &rules, now()).unwrap();
    assert_eq!(removed(&three), Vec::<&str>::new());
    let rules = CleanupRules {
        keep_newest: Some(2),
        ..rules
    };
    let two = plan(&builds, &rules, now()).unwrap();
    assert_eq!(removed(&two), ["build-9"]);
}

#[test]
fn keep_newest_by_version_order_never_counts_a_name_without_a_digit() {
    // "current" sorts after "1.10.0" in version order; counted, it would take the one
    // place and the newest release would go.
    let facts = Facts::default()
        .tagged("1.9.0", Some(&days_ago(30)), &[])
        .tagged("1.10.0", Some(&days_ago(10)), &[])
        .image("old", Some(&days_ago(300)), &[])
        .tag("current", "old")
        .tag("latest", "old")
        .done();
    let rules = CleanupRules {
        keep_newest: Some(1),
        newest_by: NewestBy::Version,
        keep: vec![pat("latest")],
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    let decided = decisions(&plan);
    assert_eq!(decided["1.10.0"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(decided["latest"], (Decision::Keep, DecidedBy::KeepPattern));
    // Not ranked: the other rules decide it (here: removed, its image kept for latest).
    assert_eq!(decided["current"], (Decision::Remove, DecidedBy::Others));
    assert_eq!(removed(&plan), ["1.9.0", "current"]);
    assert_eq!(
        plan.notes,
        [PlanNote::NotVersions {
            tags: vec!["current".into(), "latest".into()]
        }]
    );
    assert_eq!(
        wording::plan_note(&plan.notes[0]),
        "keep newest by version order ranks only names with a digit: current, latest have \
         none, so the other rules decide them; a keep pattern keeps such a tag"
    );
}

#[test]
fn age_rule_removes_old_and_never_unknown_dates() {
    let facts = Facts::default()
        .tagged("old", Some(&days_ago(45)), &[])
        .tagged("young", Some(&days_ago(29)), &[])
        .tagged("unknown", None, &[])
        .tagged("epoch", Some("1970-01-01T00:00:00Z"), &[])
        .tagged("garbage", Some("last tuesday"), &[])
        .done();
    let rules = CleanupRules {
        remove_older_than_days: Some(30),
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(removed(&plan), ["old"]);
    assert_eq!(
        reason(&plan, "old"),
        format!(
            "removed: created {} 00:00 UTC, 45 days ago, more than 30 days",
            &days_ago(45)[..10]
        )
    );
    assert_eq!(reason(&plan, "young"), "kept: no rule removes it");
    assert_eq!(
        reason(&plan, "unknown"),
        "kept: its creation date is unknown, so the age rule cannot remove it, and no other rule removes it"
    );
    assert!(
        reason(&plan, "epoch").contains("placeholder"),
        "{}",
        reason(&plan, "epoch")
    );
    assert!(
        reason(&plan, "garbage").contains("is not a date"),
        "{}",
        reason(&plan, "garbage")
    );
}

#[test]
fn unknown_dates_are_kept_by_keep_newest_by_date() {
    let facts = Facts::default()
        .tagged("a", Some(&days_ago(1)), &[])
        .tagged("b", Some(&days_ago(2)), &[])
        .tagged("c", None, &[])
        .done();
    let rules = CleanupRules {
        keep_newest: Some(1),
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    let decided = decisions(&plan);
    assert_eq!(decided["a"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(decided["c"], (Decision::Keep, DecidedBy::UnknownDate));
    assert_eq!(
        reason(&plan, "c"),
        "kept: its creation date is unknown, so it cannot be ranked among the 1 newest"
    );
    assert_eq!(removed(&plan), ["b"]);
}

#[test]
fn future_dates_take_no_place_among_the_newest() {
    // A clock set wrong (or a hostile config) dates x1 and x2 in 2099: they must not
    // push the real newest out of "keep newest 2".
    let facts = Facts::default()
        .tagged("v1", Some("2026-01-01T00:00:00Z"), &[("l1", 1)])
        .tagged("v2", Some("2026-02-01T00:00:00Z"), &[("l2", 1)])
        .tagged("x1", Some("2099-01-01T00:00:00Z"), &[("l3", 1)])
        .tagged("x2", Some("2099-02-01T00:00:00Z"), &[("l4", 1)])
        // Within a day of the plan: clock skew, still a date.
        .tagged("v3", Some("2026-03-01T12:00:00Z"), &[("l5", 1)])
        .done();
    let rules = CleanupRules {
        keep_newest: Some(2),
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    let decided = decisions(&plan);
    assert_eq!(decided["v3"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(decided["v2"], (Decision::Keep, DecidedBy::KeepNewest));
    assert_eq!(decided["x1"], (Decision::Keep, DecidedBy::UnknownDate));
    assert_eq!(decided["x2"], (Decision::Keep, DecidedBy::UnknownDate));
    assert_eq!(
        reason(&plan, "x1"),
        "kept: its creation date 2099-01-01 00:00 UTC is in the future, so it cannot be \
         ranked among the 2 newest"
    );
    assert_eq!(removed(&plan), ["v1"]);
}

#[test]
fn a_kept_multi_arch_image_keeps_its_platforms() {
    // latest → index {amd64, arm64}; amd64 also has its own tag, removed by pattern.
    // old → index {amd64-old, arm64 (shared with latest)}: deleted, with amd64-old.
    let facts = Facts::default()
        .index("idx", Some(&days_ago(1)), &["amd64", "arm64"])
        .image("amd64", None, &[("layer-a", 100), ("cfg-a", 1)])
        .image("arm64", None, &[("layer-b", 200), ("cfg-b", 1)])
        .index("idx-old", Some(&days_ago(90)), &["amd64-old", "arm64"])
        .image("amd64-old", None, &[("layer-old", 1000), ("cfg-old", 2)])
        .tag("latest", "idx")
        .tag("build-amd64", "amd64")
        .tag("old", "idx-old")
        .done();
    let rules = CleanupRules {
        keep: vec![pat("latest")],
        remove: vec![pat("build-*"), pat("old")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(removed(&plan), ["build-amd64", "old"]);
    // amd64 is listed by kept `latest`: only its tag goes.
    assert_eq!(plan.tags_only.len(), 1);
    assert_eq!(plan.tags_only[0].digest, d("amd64"));
    assert_eq!(
        kept_because(&plan.tags_only[0].kept_because),
        format!(
            "listed by the kept multi-arch image sha256:{}… (latest)",
            d("idx").short(12)
        )
    );
    // The old index goes with its own platform, not with the shared arm64.
    assert_eq!(plan.delete_images.len(), 1);
    assert_eq!(plan.delete_images[0].digest, d("idx-old"));
    assert_eq!(plan.delete_images[0].tags, ["old"]);
    assert_eq!(plan.delete_images[0].platforms, [d("amd64-old")]);
    // The index has no blobs of its own; its platform stays, untagged, until garbage
    // collection runs with --delete-untagged.
    assert_eq!(plan.reclaimable_bytes, 0);
    assert_eq!(plan.reclaimable_blobs, 0);
    assert_eq!(plan.untagged_bytes, 1002);
    assert_eq!(plan.untagged_blobs, 2);
}

#[test]
fn shared_blobs_are_counted_once_and_kept_ones_not_at_all() {
    // x and y are deleted and share layer "base" (500) and "mid" (50); z is kept and
    // shares "mid" with them.
    let facts = Facts::default()
        .tagged(
            "x",
            None,
            &[("cfg-x", 10), ("base", 500), ("mid", 50), ("top-x", 7)],
        )
        .tagged("y", None, &[("cfg-y", 20), ("base", 500), ("mid", 50)])
        .tagged("z", None, &[("cfg-z", 30), ("mid", 50)])
        .done();
    let rules = CleanupRules {
        remove: vec![pat("x"), pat("y")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(plan.delete_images.len(), 2);
    assert_eq!(plan.reclaimable_bytes, 10 + 20 + 500 + 7);
    assert_eq!(plan.reclaimable_blobs, 4);
}

#[test]
fn an_incomplete_tag_list_refuses_image_deletes() {
    let facts = Facts::default()
        .tagged("a", None, &[("blob-a", 100)])
        .tagged("b", None, &[("blob-b", 100)])
        .incomplete()
        .done();
    let rules = CleanupRules {
        remove: vec![pat("a")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(removed(&plan), ["a"], "tags are still removed");
    assert!(plan.delete_images.is_empty());
    assert_eq!(plan.reclaimable_bytes, 0);
    let refusal = deletes_refused(plan.image_deletes_refused.as_ref().unwrap());
    assert!(refusal.contains("may be incomplete"), "{refusal}");
    assert_eq!(plan.tags_only.len(), 1);
    assert!(kept_because(&plan.tags_only[0].kept_because).starts_with("no image is deleted"));
}

#[test]
fn an_unreadable_tag_is_kept_and_refuses_image_deletes() {
    let server_error = RegistryError::Server {
        attempt: Attempt {
            method: Method::Get,
            url: "http://registry.test/v2/app/manifests/broken".into(),
        },
        status: 500,
        errors: vec![],
    };
    let facts = Facts::default()
        .tagged("a", None, &[("blob-a", 100)])
        .unreadable("broken", server_error)
        .done();
    let rules = CleanupRules {
        remove: vec![pat("*")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(removed(&plan), ["a"]);
    assert_eq!(
        reason(&plan, "broken"),
        "kept: its manifest could not be read \
         (GET http://registry.test/v2/app/manifests/broken: registry error (HTTP 500))"
    );
    assert!(plan.delete_images.is_empty());
    assert!(
        deletes_refused(plan.image_deletes_refused.as_ref().unwrap())
            .contains("1 tag could not be read")
    );
    // The failure stays data in the JSON (read back whole) and words in the CSV.
    let back: CleanupPlan = serde_json::from_str(&plan_json(REGISTRY, &plan)).unwrap();
    assert_eq!(back, plan);
    assert!(plan_csv(&plan).contains("registry error (HTTP 500)"));
}

#[test]
fn signature_tags_follow_their_image() {
    let sig_of = |image: &str| format!("sha256-{}.sig", d(image).hex());
    let facts = Facts::default()
        .tagged("gone", Some(&days_ago(100)), &[("l1", 10)])
        .image("stays", Some(&days_ago(100)), &[("l2", 10)])
        .image("sig1", None, &[("s1", 1)])
        .image("sig2", None, &[("s2", 1)])
        .tag("v1", "stays")
        .tag(&sig_of("gone"), "sig1")
        .tag(&sig_of("stays"), "sig2")
        .tag_digest(&format!("sha256-{}", d("elsewhere").hex()), d("sig2"))
        .done();
    // Remove everything old; the signature manifests have no date.
    let rules = CleanupRules {
        keep: vec![pat("v*")],
        remove: vec![pat("*")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    let decided = decisions(&plan);
    assert_eq!(
        decided[&sig_of("gone")],
        (Decision::Remove, DecidedBy::FollowsImage)
    );
    assert_eq!(
        decided[&sig_of("stays")],
        (Decision::Keep, DecidedBy::FollowsImage)
    );
    assert!(reason(&plan, &sig_of("gone")).starts_with("removed: signature of image sha256:"));
    let dangling = format!("sha256-{}", d("elsewhere").hex());
    assert!(
        reason(&plan, &dangling).contains("no tag here points at"),
        "{}",
        reason(&plan, &dangling)
    );
    let deleted: Vec<&Digest> = plan.delete_images.iter().map(|i| &i.digest).collect();
    assert_eq!(deleted.len(), 2);
    assert!(deleted.contains(&&d("gone")) && deleted.contains(&&d("sig1")));
}

#[test]
fn a_platform_signature_says_the_platform_is_left_untagged() {
    // `cosign sign --recursive`: the multi-arch image and its platform are signed.
    let sig_of = |image: &str| format!("sha256-{}.sig", d(image).hex());
    let facts = Facts::default()
        .index("idx", Some(&days_ago(100)), &["amd64"])
        .image("amd64", None, &[("layer-a", 100)])
        .image("sig-idx", None, &[("s1", 1)])
        .image("sig-amd64", None, &[("s2", 1)])
        .tag("old", "idx")
        .tag(&sig_of("idx"), "sig-idx")
        .tag(&sig_of("amd64"), "sig-amd64")
        .done();
    let rules = CleanupRules {
        remove: vec![pat("old")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert!(
        reason(&plan, &sig_of("idx")).ends_with(", which this plan deletes"),
        "{}",
        reason(&plan, &sig_of("idx"))
    );
    let platform = reason(&plan, &sig_of("amd64"));
    assert!(
        platform.starts_with("removed: signature of image sha256:")
            && platform.ends_with(
                "a platform of a multi-arch image this plan deletes; the platform is left untagged"
            ),
        "{platform}"
    );
    // The platform itself is no delete of the plan.
    assert!(plan.delete_images.iter().all(|i| i.digest != d("amd64")));
}

#[test]
fn rules_round_trip_through_the_address() {
    let rules = CleanupRules {
        keep_newest: Some(10),
        newest_by: NewestBy::Version,
        keep: vec![pat("v*"), pat("latest"), pat("release-?")],
        remove: vec![pat("ci-*")],
        remove_older_than_days: Some(30),
        others: Others::Remove,
    };
    let query = rules.to_query();
    assert_eq!(
        query,
        "keepNewest=10&newestBy=version&keep=v%2A&keep=latest&keep=release-%3F&remove=ci-%2A&olderThanDays=30&others=remove"
    );
    // Mixed with the route's own parameters, in any order.
    let address = format!("?registry=http%3A%2F%2Fr:5000&repo=team/app&{query}");
    assert_eq!(CleanupRules::from_query(&address).unwrap(), Some(rules));
    assert_eq!(CleanupRules::from_query("?repo=team/app").unwrap(), None);
    assert_eq!(CleanupRules::default().to_query(), "");
    let says = |query: &str| wording::rules_error(&CleanupRules::from_query(query).unwrap_err());
    let err = says("keepNewest=ten");
    assert!(
        err.contains("keepNewest") && err.contains("whole number"),
        "{err}"
    );
    let err = says("keep=v1%2F*");
    assert!(err.contains("'/'"), "{err}");
    assert!(says("newestBy=size").contains("created or version"));
}

#[test]
fn numbers_and_combinations_are_validated() {
    for (json, expected) in [
        (serde_json::json!({"keepNewest": 0}), "at least 1"),
        (
            serde_json::json!({"removeOlderThanDays": 0}),
            "at least 1 day",
        ),
        (
            serde_json::json!({"removeOlderThanDays": 100000}),
            "100 years",
        ),
        (
            serde_json::json!({"others": "remove"}),
            "without a keep rule",
        ),
        (serde_json::json!({"keepNewst": 3}), "keepNewst"),
        (serde_json::json!({"keepNewest": -1}), "keepNewest"),
    ] {
        let err = wording::rules_error(&CleanupRules::from_json(&json).unwrap_err());
        assert!(err.contains(expected), "{json}: {err}");
    }
    let rules = CleanupRules {
        keep_newest: Some(0),
        ..CleanupRules::default()
    };
    assert!(
        plan(&CleanupFacts::default(), &rules, now()).is_err(),
        "the plan checks the rules too"
    );
}

#[test]
fn config_defaults_longest_namespace_prefix_wins() {
    let config = serde_json::json!({
        "": {"keepNewest": 50},
        "team": {"keepNewest": 10, "keep": ["v*"], "others": "remove"},
        "team/app/": {"keep": ["*"]},
    });
    let defaults = CleanupDefaults::from_json(&config).unwrap();
    let (prefix, rules) = defaults.rules_for("team/app").unwrap();
    assert_eq!((prefix, rules.keep.clone()), ("team/app", vec![pat("*")]));
    assert_eq!(defaults.rules_for("team/app/sub").unwrap().0, "team/app");
    assert_eq!(
        defaults.rules_for("team/other").unwrap().1.keep_newest,
        Some(10)
    );
    // A prefix matches at a '/' boundary only.
    assert_eq!(defaults.rules_for("teamwork/x").unwrap().0, "");
    assert_eq!(defaults.rules_for("team").unwrap().0, "team");
    let only_team =
        CleanupDefaults::from_json(&serde_json::json!({"team": {"keepNewest": 1}})).unwrap();
    assert!(only_team.rules_for("other").is_none());

    let says = |config: serde_json::Value| {
        wording::rules_error(&CleanupDefaults::from_json(&config).unwrap_err())
    };
    let err = says(serde_json::json!({"team": {"keep": ["a b"]}}));
    assert!(err.starts_with("config.json cleanup \"team\":"), "{err}");
    let err = says(serde_json::json!({"Team": {}}));
    assert!(err.contains("\"Team\""), "{err}");
    assert!(says(serde_json::json!([1])).contains("must be an object"));
}

#[test]
fn csv_cells_are_quoted_and_defused() {
    assert_eq!(csv_cell("v1.0"), "v1.0");
    assert_eq!(csv_cell("a,b"), "\"a,b\"");
    assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
    assert_eq!(
        csv_cell("=HYPERLINK(\"http://x\")"),
        "\"'=HYPERLINK(\"\"http://x\"\")\""
    );
    assert_eq!(csv_cell("+1"), "'+1");
    assert_eq!(csv_cell("-1"), "'-1");
    assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(csv_cell(" padded"), "\" padded\"");
}

#[test]
fn plan_exports_as_csv_and_json() {
    let facts = Facts::default()
        .image("a", Some("2026-02-01T00:00:00Z"), &[("l", 5)])
        .image("b", None, &[])
        .tag("keep-me", "b")
        .tag("old-1", "a")
        .tag("also-b", "b")
        .done();
    let rules = CleanupRules {
        remove: vec![pat("old-*"), pat("also-*")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    let csv = plan_csv(&plan);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "tag,decision,rule,reason,digest,created,image");
    assert_eq!(lines[1], format!("also-b,remove,removePattern,removed: matches the remove pattern also-*,{},,\"kept, loses tags\"", d("b")));
    assert_eq!(
        lines[2],
        format!(
            "keep-me,keep,others,kept: no rule removes it,{},,\"kept, loses tags\"",
            d("b")
        )
    );
    assert_eq!(lines[3], format!("old-1,remove,removePattern,removed: matches the remove pattern old-*,{},2026-02-01T00:00:00Z,deleted", d("a")));
    assert_eq!(lines.len(), 5, "three rows and the final line break");

    let json: serde_json::Value = serde_json::from_str(&plan_json(REGISTRY, &plan)).unwrap();
    // Which registry, and when: a file read later is a record of that moment.
    assert_eq!(
        json.as_object().unwrap().keys().next().map(String::as_str),
        Some("registry")
    );
    assert_eq!(json["registry"], REGISTRY);
    assert_eq!(json["plannedAt"], now());
    assert_eq!(json["repository"], "team/app");
    assert_eq!(json["reclaimableBytes"], 5);
    assert_eq!(json["deleteImages"][0]["digest"], d("a").to_string());
    assert_eq!(json["tags"][2]["decidedBy"], "removePattern");
    assert_eq!(
        json["tags"][2]["reason"],
        "removed: matches the remove pattern old-*"
    );
    assert_eq!(json["tags"][2]["reasonData"]["kind"], "removePattern");
    assert_eq!(json["tags"][2]["reasonData"]["pattern"], "old-*");
    // Each reason's words stand just before what they are made of.
    let tag_keys: Vec<&String> = json["tags"][2].as_object().unwrap().keys().collect();
    assert_eq!(
        tag_keys,
        [
            "tag",
            "digest",
            "created",
            "decision",
            "decidedBy",
            "reason",
            "reasonData"
        ]
    );
    assert_eq!(json["tagsOnly"][0]["keptBecause"], "still tagged keep-me");
    assert_eq!(
        json["tagsOnly"][0]["keptBecauseData"]["kind"],
        "stillTagged"
    );
    assert_eq!(json["imageDeletesRefused"], serde_json::Value::Null);
    assert_eq!(json["notes"], serde_json::json!([]));
    assert_eq!(json["rules"]["remove"][0], "old-*");
    let back: CleanupPlan = serde_json::from_value(json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn a_namespace_exports_every_plan_with_its_words() {
    let facts = |tag: &str| {
        Facts::default()
            .image("a", Some("2026-02-01T00:00:00Z"), &[("l", 5)])
            .tag(tag, "a")
            .tag("keep-me", "a")
            .done()
    };
    let rules = CleanupRules {
        remove: vec![pat("old-*")],
        ..CleanupRules::default()
    };
    let mut first = plan(&facts("old-1"), &rules, now()).unwrap();
    first.repository = "team/app".into();
    let mut second = plan(&facts("old-2"), &rules, now()).unwrap();
    second.repository = "team/web".into();
    let plans = [first.clone(), second.clone()];

    // One repository: its own document, as before.
    assert_eq!(
        plans_json(REGISTRY, &plans[..1]),
        plan_json(REGISTRY, &first)
    );
    assert_eq!(plans_csv(&plans[..1]), plan_csv(&first));

    // A namespace: every plan, each with the words beside its reasons.
    let json: serde_json::Value = serde_json::from_str(&plans_json(REGISTRY, &plans)).unwrap();
    let documents = json.as_array().unwrap();
    assert_eq!(documents.len(), 2);
    for (document, plan) in documents.iter().zip(&plans) {
        assert_eq!(
            document,
            &serde_json::from_str::<serde_json::Value>(&plan_json(REGISTRY, plan)).unwrap()
        );
    }
    assert_eq!(
        json[1]["tagsOnly"][0]["keptBecause"],
        "still tagged keep-me"
    );
    let back: Vec<CleanupPlan> = serde_json::from_value(json).unwrap();
    assert_eq!(back, plans);

    // The CSV: one header, each row led by its repository.
    let csv = plans_csv(&plans);
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "repository,tag,decision,rule,reason,digest,created,image"
    );
    assert_eq!(lines.len(), 1 + first.tags.len() + second.tags.len());
    assert!(lines[1..=first.tags.len()]
        .iter()
        .all(|l| l.starts_with("team/app,")));
    assert!(lines[first.tags.len() + 1..]
        .iter()
        .all(|l| l.starts_with("team/web,")));
    assert!(lines.contains(&format!("team/web,old-2,remove,removePattern,removed: matches the remove pattern old-*,{},2026-02-01T00:00:00Z,\"kept, loses tags\"", d("a")).as_str()));
}

// The gatherer, against the in-memory registry.

fn image_manifest(config: &str, config_size: usize, layers: &[(&str, u64)]) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": config, "size": config_size},
        "layers": layers.iter().map(|(l, s)| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d(l).to_string(), "size": s
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

/// The in-memory registry the gather and apply tests read: images in `app`, read
/// through a client as the console reads them. Derefs to the [`MemoryRegistry`].
struct App(MemoryRegistry);

impl std::ops::Deref for App {
    type Target = MemoryRegistry;
    fn deref(&self) -> &MemoryRegistry {
        &self.0
    }
}

impl App {
    fn new() -> Self {
        App(MemoryRegistry::new())
    }

    /// Pushes an image created at `created` with `layers` (and a config), tagged
    /// `tag` or untagged; its digest.
    fn image(&self, tag: Option<&str>, created: &str, layers: &[(&str, u64)]) -> String {
        // The first layer's name makes each config distinct.
        let config = format!(
            r#"{{"created":"{created}","architecture":"amd64","os":"linux","comment":"{}"}}"#,
            layers[0].0
        );
        let config_digest = self.add_blob_bytes("app", config.as_bytes());
        let bytes = image_manifest(&config_digest, config.len(), layers);
        match tag {
            Some(tag) => self.push("app", tag, media::OCI_MANIFEST, &bytes),
            None => self.push_untagged("app", media::OCI_MANIFEST, &bytes),
        }
    }

    /// Pushes a cosign signature of the image `subject` under its `.sig` tag; its digest.
    fn signature(&self, subject: &str) -> String {
        let hex = subject.strip_prefix("sha256:").unwrap();
        let payload = self.add_blob_bytes("app", format!("signed {subject}").as_bytes());
        let bytes = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": media::OCI_CONFIG, "digest": d("cfg").to_string(), "size": 3},
            "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                        "digest": payload, "size": 20}],
        })
        .to_string();
        self.push(
            "app",
            &format!("sha256-{hex}.sig"),
            media::OCI_MANIFEST,
            bytes.as_bytes(),
        )
    }

    /// Points `tag` at the image `digest` already in `app`.
    fn retag(&self, tag: &str, digest: &str) {
        let bytes = self.state.borrow().manifests["app"][digest].1.clone();
        self.push("app", tag, media::OCI_MANIFEST, &bytes);
    }

    fn client(&self) -> Registry<&MemoryRegistry> {
        Registry::new("http://registry.test", &self.0)
    }

    /// Applies `planned`, never cancelled: what it did, and each tag's outcome.
    fn apply(&self, planned: &CleanupPlan) -> (CleanupApplied, BTreeMap<String, CleanupOutcome>) {
        let outcomes = std::cell::RefCell::new(BTreeMap::new());
        let applied = block_on(self.client().apply_cleanup(
            planned,
            &|| false,
            &|tag, outcome| {
                outcomes
                    .borrow_mut()
                    .insert(tag.to_owned(), outcome.clone());
            },
            &|| "unique".to_owned(),
        ))
        .unwrap();
        (applied, outcomes.into_inner())
    }

    /// The facts of `app`, read `concurrency` at a time, not cancelled.
    fn facts(&self, concurrency: usize) -> CleanupFacts {
        block_on(
            self.client()
                .cleanup_facts(&app(), concurrency, |_| {}, || false),
        )
        .unwrap()
    }
}

fn app() -> Repository {
    Repository::parse("app").unwrap()
}

#[test]
fn gathers_facts_and_plans_against_a_registry() {
    let registry = App::new();
    let old = registry.image(
        Some("build-1"),
        "2025-06-01T00:00:00Z",
        &[("base", 1000), ("app-1", 10)],
    );
    let new = registry.image(
        Some("build-2"),
        "2026-02-27T00:00:00Z",
        &[("base", 1000), ("app-2", 20)],
    );
    registry.retag("latest", &new);
    let amd64 = registry.image(None, "2026-01-10T00:00:00Z", &[("multi-amd64", 300)]);
    let arm64 = registry.image(None, "2026-01-10T00:00:00Z", &[("multi-arm64", 400)]);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [
            {"mediaType": media::OCI_MANIFEST, "digest": amd64, "size": 1, "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": media::OCI_MANIFEST, "digest": arm64, "size": 1, "platform": {"os": "linux", "architecture": "arm64"}},
        ],
    })
    .to_string();
    let multi = registry.push("app", "multi-1", media::OCI_INDEX, index.as_bytes());

    let steps = std::cell::RefCell::new(Vec::new());
    let facts = block_on(registry.client().cleanup_facts(
        &app(),
        2,
        |p| steps.borrow_mut().push(p),
        || false,
    ))
    .unwrap();

    assert_eq!(facts.repository, "app");
    assert!(!facts.tags_may_be_incomplete);
    let tags: Vec<(&str, String)> = facts
        .tags
        .iter()
        .map(|t| (t.tag.as_str(), t.digest.as_ref().unwrap().to_string()))
        .collect();
    assert_eq!(
        tags,
        [
            ("build-1", old.clone()),
            ("build-2", new.clone()),
            ("latest", new.clone()),
            ("multi-1", multi.clone())
        ]
    );
    let image = |digest: &str| &facts.images[&Digest::parse(digest).unwrap()];
    assert_eq!(image(&old).created.as_deref(), Some("2025-06-01T00:00:00Z"));
    assert_eq!(image(&old).blobs.len(), 3, "config and two layers");
    // The index: dated by its first platform, lists both, which were read too.
    assert!(image(&multi).is_index);
    assert_eq!(
        image(&multi).created.as_deref(),
        Some("2026-01-10T00:00:00Z")
    );
    assert_eq!(image(&multi).children.len(), 2);
    assert_eq!(
        image(&arm64).blobs.iter().map(|b| b.size).sum::<u64>(),
        400 + image(&arm64).blobs[0].size
    );
    let steps = steps.into_inner();
    assert_eq!(steps.last().unwrap().step, GatherStep::ReadingConfigs);
    assert!(steps
        .iter()
        .any(|p| p.step == GatherStep::ReadingTags && p.done == 4 && p.total == 4));
    assert!(steps
        .iter()
        .any(|p| p.step == GatherStep::ReadingPlatforms && p.done == 2));

    // Everything older than 30 days goes: build-1 and the multi-arch image.
    let rules = CleanupRules {
        remove_older_than_days: Some(30),
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(removed(&plan), ["build-1", "multi-1"]);
    let deleted: Vec<String> = plan
        .delete_images
        .iter()
        .map(|i| i.digest.to_string())
        .collect();
    assert_eq!(deleted, {
        let mut v = vec![old.clone(), multi.clone()];
        tagdeck::model::sort::ascending(&mut v);
        v
    });
    let multi_deletion = plan
        .delete_images
        .iter()
        .find(|i| i.digest.as_str() == multi)
        .unwrap();
    assert_eq!(multi_deletion.platforms.len(), 2);
    // "base" stays with build-2; app-1 and build-1's config go. The platforms stay,
    // untagged: their layers and configs go only with --delete-untagged.
    let config_size = |m: &String| image(m).blobs[0].size;
    assert_eq!(plan.reclaimable_bytes, 10 + config_size(&old));
    assert_eq!(plan.reclaimable_blobs, 2);
    assert_eq!(
        plan.untagged_bytes,
        300 + 400 + config_size(&amd64) + config_size(&arm64)
    );
    assert_eq!(plan.untagged_blobs, 4);
    let summary = wording::garbage_collection_advice(&plan).join(" ");
    assert!(
        summary.contains("are left untagged: up to ")
            && summary.contains(" more (4 blobs) only with --delete-untagged"),
        "{summary}"
    );
}

#[test]
fn a_huge_creation_date_is_cut_and_no_date() {
    // A config may be megabytes: its `created` must not be copied whole into every
    // row of the plan and its exports.
    let registry = App::new();
    let huge = "9".repeat(1 << 20);
    registry.image(Some("odd"), &huge, &[("l", 1)]);
    registry.image(Some("new"), "2026-02-01T00:00:00Z", &[("l2", 1)]);
    let rules = CleanupRules {
        keep_newest: Some(1),
        others: Others::Remove,
        ..CleanupRules::default()
    };
    let plan = plan(&registry.facts(2), &rules, now()).unwrap();
    let odd = plan.tags.iter().find(|t| t.tag == "odd").unwrap();
    let created = odd.created.as_deref().unwrap();
    assert!(created.chars().count() <= 70, "{} chars", created.len());
    assert!(created.starts_with("999") && created.ends_with('…'));
    // Not a date: kept, not ranked.
    assert_eq!(odd.decided_by, DecidedBy::UnknownDate);
    assert!(plan_json(REGISTRY, &plan).len() < 10_000);
    assert!(plan_csv(&plan).len() < 10_000);
}

#[test]
fn a_tag_named_like_a_signature_that_is_no_referrer_is_an_ordinary_tag() {
    // Anyone with push rights can name a tag `sha256-<digest>.sig`: one pointing at a
    // runnable image that names no subject is no signature, and must not follow it.
    let registry = App::new();
    let old = registry.image(Some("build-1"), "2025-06-01T00:00:00Z", &[("app-1", 10)]);
    let fake_tag = format!("sha256-{}.sig", old.strip_prefix("sha256:").unwrap());
    let fake = registry.image(Some(&fake_tag), "2026-02-01T00:00:00Z", &[("app-2", 10)]);
    registry.image(Some("latest"), "2026-02-27T00:00:00Z", &[("app-3", 20)]);
    let rules = CleanupRules {
        remove: vec![pat("build-*")],
        ..CleanupRules::default()
    };
    let plan = plan(&registry.facts(2), &rules, now()).unwrap();
    let decided = decisions(&plan);
    assert_eq!(decided[&fake_tag], (Decision::Keep, DecidedBy::Others));
    assert_eq!(reason(&plan, &fake_tag), "kept: no rule removes it");
    assert!(plan.delete_images.iter().all(|i| i.digest.as_str() != fake));
    assert_eq!(plan.delete_images.len(), 1);
}

#[test]
fn an_unreadable_tag_and_a_cancelled_gather() {
    let registry = App::new();
    registry.image(Some("good"), "2026-01-01T00:00:00Z", &[("l", 1)]);
    // A tag whose manifest is not JSON.
    registry.push("app", "broken", media::OCI_MANIFEST, b"not json");
    let facts = registry.facts(4);
    let broken = facts.tags.iter().find(|t| t.tag == "broken").unwrap();
    assert!(broken.digest.is_none());
    let problem = broken.problem.as_ref().unwrap();
    assert!(
        matches!(problem, RegistryError::Malformed { .. }),
        "{broken:?}"
    );
    assert!(
        wording::error(problem).detail.contains("unreadable answer"),
        "{broken:?}"
    );

    // Cancelled after the first progress report: no further read starts.
    let reports = Cell::new(0);
    let before = registry.state.borrow().log.len();
    let result = block_on(registry.client().cleanup_facts(
        &app(),
        1,
        |_| reports.set(reports.get() + 1),
        || reports.get() >= 2,
    ));
    assert!(
        matches!(result, Err(RegistryError::Aborted { .. })),
        "{result:?}"
    );
    let manifests_read = registry.state.borrow().log[before..]
        .iter()
        .filter(|l| l.contains("/manifests/"))
        .count();
    assert_eq!(manifests_read, 1, "reads stop once cancelled");
}

#[test]
fn a_tag_list_that_may_be_incomplete_reaches_the_plan() {
    // Pages of two tags, `last` ignored and no Link: the listing cannot be read whole.
    let registry = App::new();
    {
        let mut state = registry.state.borrow_mut();
        state.tag_page = Some(2);
        state.tag_page_ignores_last = true;
    }
    registry.image(Some("a-old"), "2025-01-01T00:00:00Z", &[("a", 1)]);
    registry.image(Some("b-old"), "2025-01-01T00:00:00Z", &[("b", 1)]);
    registry.image(Some("c-old"), "2025-01-01T00:00:00Z", &[("c", 1)]);
    let facts = registry.facts(2);
    assert!(facts.tags_may_be_incomplete);
    let rules = CleanupRules {
        remove: vec![pat("*-old")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(
        removed(&plan),
        ["a-old", "b-old"],
        "the tags seen are removed"
    );
    assert!(plan.delete_images.is_empty());
    assert!(plan.image_deletes_refused.is_some());
}

#[test]
fn garbage_collection_advice_gives_the_figure_and_the_command() {
    let facts = Facts::default()
        .image("a", None, &[("big", 3 * 1024 * 1024), ("cfg", 512 * 1024)])
        .tag("old", "a")
        .done();
    let rules = CleanupRules {
        remove: vec![pat("old")],
        ..CleanupRules::default()
    };
    let advice = garbage_collection_advice(&plan(&facts, &rules, now()).unwrap());
    assert!(
        advice[0].contains("up to 3.5 MiB (2 blobs)"),
        "{}",
        advice[0]
    );
    assert!(advice[1].contains("registry garbage-collect"));
    assert!(advice[2].starts_with("`--delete-untagged`"));

    let facts = Facts(facts).incomplete().done();
    let advice = garbage_collection_advice(&plan(&facts, &rules, now()).unwrap());
    assert_eq!(advice.len(), 1);
    assert!(advice[0].contains("deletes no image"));
}

#[test]
fn a_report_with_fewer_images_deleted_than_planned_says_gc_frees_less() {
    assert_eq!(wording::fewer_deleted_than_planned(3, 3), None);
    assert_eq!(
        wording::fewer_deleted_than_planned(1, 3).as_deref(),
        Some(
            "Only 1 of the 3 images it meant to delete was deleted (the others were skipped or \
             failed, as listed below), so garbage collection frees less than that."
        )
    );
    assert!(wording::fewer_deleted_than_planned(2, 5)
        .is_some_and(|s| s.starts_with("Only 2 of the 5 images it meant to delete were deleted")));
}

#[test]
fn applying_a_plan_skips_a_moved_tag_deletes_the_rest_and_undo_restores() {
    use tagdeck::oci::cleanup::CleanupOutcome;
    use tagdeck::oci::undo::UndoAction;

    let registry = App::new();
    let old = registry.image(
        Some("build-1"),
        "2025-06-01T00:00:00Z",
        &[("base", 1000), ("app-1", 10)],
    );
    registry.retag("build-1b", &old);
    let gone = registry.image(
        Some("build-0"),
        "2025-05-01T00:00:00Z",
        &[("base", 1000), ("app-0", 30)],
    );
    let new = registry.image(
        Some("latest"),
        "2026-02-27T00:00:00Z",
        &[("base", 1000), ("app-2", 20)],
    );
    registry.retag("pr-7", &new);

    let client = registry.client();
    let facts = registry.facts(2);
    let rules = CleanupRules {
        keep: vec![TagPattern::parse("latest").unwrap()],
        remove: vec![
            TagPattern::parse("pr-*").unwrap(),
            TagPattern::parse("build-*").unwrap(),
        ],
        ..CleanupRules::default()
    };
    let planned = plan(&facts, &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 2, "{planned:#?}");
    assert_eq!(planned.tags_only.len(), 1);

    // Behind the plan's back: build-1b now points at the kept image.
    registry.retag("build-1b", &new);

    let (applied, outcomes) = registry.apply(&planned);
    assert_eq!(
        outcomes.keys().collect::<Vec<_>>(),
        ["build-0", "build-1", "build-1b", "pr-7"]
    );
    assert!(outcomes["pr-7"].is_done(), "{:?}", outcomes["pr-7"]);
    assert_eq!(outcomes["build-1b"].kind(), OutcomeKind::Skipped);
    assert!(matches!(
        outcomes["build-0"],
        CleanupOutcome::ImageDeleted { .. }
    ));
    assert!(matches!(
        outcomes["build-1"],
        CleanupOutcome::ImageDeleted { .. }
    ));
    let (planned_at, found) = outcomes["build-1b"].moved().expect("build-1b skipped");
    assert_eq!(planned_at.to_string(), old);
    assert_eq!(found.map(ToString::to_string), Some(new.clone()));
    assert_eq!(applied.images_deleted.len(), 2);

    let tag_of = |tag: &str| registry.tag_digest("app", tag);
    assert_eq!(tag_of("build-0"), None);
    assert_eq!(tag_of("build-1"), None);
    assert_eq!(tag_of("pr-7"), None);
    assert_eq!(
        tag_of("build-1b"),
        Some(new.clone()),
        "the moved tag is untouched"
    );
    assert_eq!(tag_of("latest"), Some(new.clone()));

    // One Undo for the whole run puts every removed tag back.
    let undo = UndoAction::collect(applied.undo).unwrap();
    block_on(client.undo(&undo, &|| "again".to_owned())).unwrap();
    assert_eq!(tag_of("build-0"), Some(gone));
    assert_eq!(tag_of("build-1"), Some(old));
    assert_eq!(tag_of("pr-7"), Some(new.clone()));
    assert_eq!(tag_of("build-1b"), Some(new));
}

#[test]
fn a_multi_arch_image_goes_before_its_platform_with_a_tag_of_its_own() {
    use tagdeck::oci::cleanup::CleanupOutcome;
    use tagdeck::oci::undo::UndoAction;

    // Per-arch tags: 1.0 names an index of amd64, which 1.0-amd64 names too. Built
    // until amd64's digest sorts before the index's: the order plans once deleted in,
    // which found amd64 still listed and skipped it as changed since the plan.
    let (registry, amd64, multi) = (0..64)
        .find_map(|attempt| {
            let registry = App::new();
            let layer = format!("amd64-{attempt}");
            let amd64 = registry.image(Some("1.0-amd64"), "2025-01-01T00:00:00Z", &[(&layer, 300)]);
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media::OCI_INDEX,
                "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": amd64, "size": 1,
                    "platform": {"os": "linux", "architecture": "amd64"}}],
            })
            .to_string();
            let multi = registry.push("app", "1.0", media::OCI_INDEX, index.as_bytes());
            (amd64 < multi).then_some((registry, amd64, multi))
        })
        .expect("some attempt sorts the platform first");
    let rules = CleanupRules {
        remove: vec![TagPattern::parse("1.0*").unwrap()],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    let order: Vec<String> = planned
        .delete_images
        .iter()
        .map(|i| i.digest.to_string())
        .collect();
    assert_eq!(order, [multi.clone(), amd64.clone()]);

    let (applied, outcomes) = registry.apply(&planned);
    for (tag, outcome) in outcomes {
        assert!(
            matches!(outcome, CleanupOutcome::ImageDeleted { .. }),
            "{tag}: {outcome:?}"
        );
    }
    assert_eq!(applied.images_deleted.len(), 2);
    assert_eq!(registry.tag_digest("app", "1.0"), None);
    assert_eq!(registry.tag_digest("app", "1.0-amd64"), None);

    // Undo puts the platform back before the index that lists it.
    let undo = UndoAction::collect(applied.undo).unwrap();
    block_on(registry.client().undo(&undo, &|| "again".to_owned())).unwrap();
    assert_eq!(registry.tag_digest("app", "1.0"), Some(multi));
    assert_eq!(registry.tag_digest("app", "1.0-amd64"), Some(amd64));
}

#[test]
fn an_image_that_gained_a_tag_since_the_plan_is_not_deleted() {
    let registry = App::new();
    let old = registry.image(
        Some("build-1"),
        "2025-06-01T00:00:00Z",
        &[("base", 1000), ("app-1", 10)],
    );
    registry.image(
        Some("latest"),
        "2026-02-27T00:00:00Z",
        &[("base", 1000), ("app-2", 20)],
    );
    // The old image is signed: its signature follows it.
    let signature = registry.signature(&old);
    let sig_tag = format!("sha256-{}.sig", old.strip_prefix("sha256:").unwrap());
    let facts = registry.facts(2);
    let rules = CleanupRules {
        remove: vec![TagPattern::parse("build-*").unwrap()],
        ..CleanupRules::default()
    };
    let planned = plan(&facts, &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 2, "{planned:#?}");
    // A new tag on the image the plan deletes: deleting it would take that tag too.
    registry.retag("hotfix", &old);

    let (applied, skipped) = registry.apply(&planned);
    for (tag, outcome) in &skipped {
        // Refused because the registry changed since the plan, before anything was
        // written: a skip, as for a tag that moved, not a failure.
        assert_eq!(outcome.kind(), OutcomeKind::Skipped, "{tag}: {outcome:?}");
    }
    assert_eq!(
        skipped.keys().collect::<Vec<_>>(),
        ["build-1", sig_tag.as_str()]
    );
    assert!(
        matches!(
            skipped["build-1"].image_changed(),
            Some(ChangeError::TagsChangedMeanwhile { .. })
        ),
        "{:?}",
        skipped["build-1"]
    );
    assert!(applied.images_deleted.is_empty());
    assert!(applied.undo.is_empty());
    assert_eq!(registry.tag_digest("app", "build-1"), Some(old.clone()));
    assert_eq!(registry.tag_digest("app", "hotfix"), Some(old.clone()));
    // The image stays, and so does its signature, and the report says why.
    assert_eq!(registry.tag_digest("app", &sig_tag), Some(signature));
    let CleanupOutcome::SubjectKept { subject, scheme } = &skipped[&sig_tag] else {
        panic!("{:?}", skipped[&sig_tag]);
    };
    assert_eq!(subject.to_string(), old);
    let hex = old.strip_prefix("sha256:").unwrap();
    assert_eq!(
        wording::referrer_kept(subject, *scheme),
        format!(
            "skipped: its image sha256:{}… was not deleted, so its signature is kept; \
             nothing was changed for it",
            &hex[..12]
        )
    );
}

#[test]
fn a_signature_is_deleted_after_its_image() {
    // Built until the signature's digest sorts before its image's: Apply deletes a
    // signature only once its image is gone, so the plan must order the image first.
    let (registry, image, signature) = (0..64)
        .find_map(|attempt| {
            let registry = App::new();
            let layer = format!("app-{attempt}");
            let image = registry.image(Some("build-1"), "2025-01-01T00:00:00Z", &[(&layer, 10)]);
            let signature = registry.signature(&image);
            (signature < image).then_some((registry, image, signature))
        })
        .expect("some attempt sorts the signature first");
    registry.image(Some("latest"), "2026-02-27T00:00:00Z", &[("app-new", 20)]);
    let rules = CleanupRules {
        remove: vec![pat("build-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    let order: Vec<String> = planned
        .delete_images
        .iter()
        .map(|i| i.digest.to_string())
        .collect();
    assert_eq!(order, [image.clone(), signature]);

    let (applied, outcomes) = registry.apply(&planned);
    for (tag, outcome) in outcomes {
        assert!(outcome.is_done(), "{tag}: {outcome:?}");
    }
    assert_eq!(applied.images_deleted.len(), 2);
    let hex = image.strip_prefix("sha256:").unwrap();
    assert_eq!(
        registry.tag_digest("app", &format!("sha256-{hex}.sig")),
        None
    );
}

#[test]
fn applying_looks_every_tag_up_once_however_many_images_the_plan_touches() {
    // Twelve images that stay (each kept by its release tag), each with one pull
    // request tag the plan removes, among thirty other tags.
    let registry = App::new();
    for i in 0..12 {
        let layer = format!("app-{i}");
        let image = registry.image(
            Some(&format!("release-{i}")),
            "2026-01-01T00:00:00Z",
            &[("base", 1000), (layer.as_str(), 10)],
        );
        registry.retag(&format!("pr-{i}"), &image);
    }
    for i in 0..30 {
        let layer = format!("other-{i}");
        registry.image(
            Some(&format!("other-{i}")),
            "2026-01-01T00:00:00Z",
            &[("base", 1000), (layer.as_str(), 10)],
        );
    }
    let listed = 12 * 2 + 30;
    let rules = CleanupRules {
        keep: vec![pat("release-*"), pat("other-*")],
        remove: vec![pat("pr-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(planned.tags_only.len(), 12, "{planned:#?}");
    assert!(planned.delete_images.is_empty());
    registry.state.borrow_mut().log.clear();

    let done = Cell::new(0);
    let applied = block_on(registry.client().apply_cleanup(
        &planned,
        &|| false,
        &|_, outcome| done.set(done.get() + usize::from(outcome.is_done())),
        &|| "unique".to_owned(),
    ))
    .unwrap();
    assert_eq!(done.get(), 12);
    assert!(applied.lost.is_empty(), "{:?}", applied.lost);
    for i in 0..12 {
        assert_eq!(registry.tag_digest("app", &format!("pr-{i}")), None);
        assert!(registry
            .tag_digest("app", &format!("release-{i}"))
            .is_some());
    }

    let log = registry.state.borrow().log.clone();
    let count = |prefix: &str| log.iter().filter(|l| l.starts_with(prefix)).count();
    // Who uses each image: every listed tag once. Each removal: its re-read before
    // acting, again just before its placeholder's PUT, and after; and its image's kept
    // tag checked afterwards.
    let heads = count("HEAD /v2/app/manifests/");
    assert!(
        heads <= listed + 12 * 4,
        "{heads} manifest HEADs for {listed} tags and 12 removals"
    );
    // The tag list is read once before acting, not once per image.
    registry.state.borrow_mut().log.clear();
    block_on(registry.client().tags(&app(), |_| {})).unwrap();
    let one_listing = registry.state.borrow().log.len();
    assert_eq!(count("GET /v2/app/tags/list"), one_listing);
}

#[test]
fn a_multi_arch_image_whose_platforms_could_not_all_be_read_is_named_in_a_note() {
    // keep → an index listing a nested index the gather could not read (or did not
    // reach): whether it lists x is unknown, so x's delete may be refused on Apply.
    let facts = Facts::default()
        .index("keep-idx", None, &["nested-unread"])
        .tagged("x", None, &[("layer-x", 100)])
        .tag("keep", "keep-idx")
        .done();
    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("x")],
        ..CleanupRules::default()
    };
    let planned = plan(&facts, &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 1);
    let note = PlanNote::PlatformsUnread {
        images: BTreeMap::from([(d("keep-idx"), vec!["keep".to_owned()])]),
    };
    assert!(planned.notes.contains(&note), "{:?}", planned.notes);
    // Saved and read back with the plan (its JSON download).
    let saved = serde_json::to_string(&planned).unwrap();
    assert_eq!(
        serde_json::from_str::<CleanupPlan>(&saved).unwrap(),
        planned
    );
    assert_eq!(
        wording::plan_note(&note),
        format!(
            "the platforms of the multi-arch image sha256:{}… (keep) could not all be read: \
             an image this plan deletes may be one of them, and then Apply refuses to \
             delete it, so fewer images and bytes may go than shown",
            d("keep-idx").short(12)
        )
    );
    // All read: no such note.
    let whole = Facts::default()
        .index("keep-idx", None, &["x"])
        .tagged("x", None, &[("layer-x", 100)])
        .tagged("y", None, &[("layer-y", 100)])
        .tag("keep", "keep-idx")
        .done();
    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("x"), pat("y")],
        ..CleanupRules::default()
    };
    let planned = plan(&whole, &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 1);
    assert!(planned.notes.is_empty(), "{:?}", planned.notes);
}

#[test]
fn a_nested_index_the_gather_could_not_read_reaches_the_plan_as_a_note() {
    use support::memory_registry::{Fault, Strike};

    let registry = App::new();
    let x = registry.image(Some("x"), "2025-01-01T00:00:00Z", &[("layer-x", 300)]);
    let list = |digest: &str| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": [{"mediaType": media::OCI_INDEX, "digest": digest, "size": 1}],
        })
        .to_string()
    };
    let nested = registry.push_untagged("app", media::OCI_INDEX, list(&x).as_bytes());
    let outer = registry.push("app", "keep", media::OCI_INDEX, list(&nested).as_bytes());
    registry.inject(
        Fault::new(
            Method::Get,
            &format!("/manifests/{nested}"),
            Strike::Before,
            Some(500),
        )
        .times(10),
    );
    let facts = registry.facts(2);
    assert!(!facts.images.contains_key(&Digest::parse(&nested).unwrap()));
    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("x")],
        ..CleanupRules::default()
    };
    let planned = plan(&facts, &rules, now()).unwrap();
    assert_eq!(planned.delete_images[0].digest.to_string(), x);
    assert!(
        planned.notes.contains(&PlanNote::PlatformsUnread {
            images: BTreeMap::from([(Digest::parse(&outer).unwrap(), vec!["keep".to_owned()])]),
        }),
        "{:?}",
        planned.notes
    );
}

#[test]
fn a_platform_kept_by_a_grandparent_index_names_the_kept_index_and_its_tags() {
    // latest → an index of indexes; its nested index (untagged, or tagged and its
    // tag removed) lists amd64, whose own tag is removed: amd64 stays for latest.
    for nested_tag in [None, Some("nested-old")] {
        let mut facts = Facts::default()
            .index("top", None, &["nested"])
            .index("nested", None, &["amd64"])
            .image("amd64", None, &[("layer-a", 100)])
            .tag("latest", "top")
            .tag("build-amd64", "amd64");
        if let Some(tag) = nested_tag {
            facts = facts.tag(tag, "nested");
        }
        let rules = CleanupRules {
            keep: vec![pat("latest")],
            remove: vec![pat("build-*"), pat("nested-*")],
            ..CleanupRules::default()
        };
        let planned = plan(&facts.done(), &rules, now()).unwrap();
        assert!(planned.delete_images.is_empty(), "{nested_tag:?}");
        let amd64 = planned
            .tags_only
            .iter()
            .find(|t| t.digest == d("amd64"))
            .unwrap();
        assert_eq!(
            kept_because(&amd64.kept_because),
            format!(
                "listed by the kept multi-arch image sha256:{}… (latest)",
                d("top").short(12)
            ),
            "{nested_tag:?}"
        );
    }
}

#[test]
fn a_signature_of_an_image_cancel_stopped_before_its_delete_is_reported_cancelled() {
    // Two images the plan deletes, each signed; each signature manifest stays (a
    // kept tag names it too), so its signature tag waits for its image's delete.
    let registry = App::new();
    let mut signed = Vec::new();
    for i in 0..2 {
        let layer = format!("app-{i}");
        let image = registry.image(
            Some(&format!("build-{i}")),
            "2025-01-01T00:00:00Z",
            &[(&layer, 10)],
        );
        let signature = registry.signature(&image);
        registry.retag(&format!("sig-copy-{i}"), &signature);
        let hex = image.strip_prefix("sha256:").unwrap().to_owned();
        signed.push((image, format!("sha256-{hex}.sig"), signature));
    }
    let rules = CleanupRules {
        remove: vec![pat("build-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 2, "{planned:#?}");

    // Cancel once the first image delete is reported.
    let outcomes = std::cell::RefCell::new(BTreeMap::new());
    let applied = block_on(registry.client().apply_cleanup(
        &planned,
        &|| !outcomes.borrow().is_empty(),
        &|tag, outcome| {
            outcomes
                .borrow_mut()
                .insert(tag.to_owned(), outcome.clone());
        },
        &|| "unique".to_owned(),
    ))
    .unwrap();
    let outcomes = outcomes.into_inner();
    assert_eq!(applied.images_deleted.len(), 1, "{outcomes:#?}");
    let first = planned.delete_images[0].digest.to_string();
    let (image, sig_tag, signature) = signed.iter().find(|(i, ..)| *i != first).unwrap();
    let build = planned.delete_images[1].tags[0].clone();
    assert_eq!(outcomes[&build], CleanupOutcome::Cancelled);
    assert_eq!(registry.tag_digest("app", &build), Some(image.clone()));
    // Its image's delete was never attempted: the reason is the cancel.
    assert_eq!(
        outcomes[sig_tag],
        CleanupOutcome::Cancelled,
        "{:?}",
        outcomes[sig_tag]
    );
    assert_eq!(
        registry.tag_digest("app", sig_tag),
        Some(signature.clone()),
        "nothing is written for it"
    );
}

#[test]
fn thousands_of_signed_images_are_ordered_image_before_referrer_and_index_before_platform() {
    // 3,000 images the plan deletes, each with a signature tag; and some multi-arch
    // images whose platforms have tags of their own, also signed.
    let sig_of = |image: &str| format!("sha256-{}.sig", d(image).hex());
    let mut facts = Facts::default();
    for i in 0..3000 {
        let (image, sig) = (format!("img-{i}"), format!("sig-{i}"));
        facts = facts
            .image(&image, None, &[(&format!("layer-{i}"), 10)])
            .image(&sig, None, &[(&format!("s-{i}"), 1)])
            .tag(&format!("build-{i}"), &image)
            .tag(&sig_of(&image), &sig);
    }
    for i in 0..200 {
        let (index, platform, sig) = (
            format!("idx-{i}"),
            format!("plat-{i}"),
            format!("plat-sig-{i}"),
        );
        facts = facts
            .index(&index, None, &[&platform])
            .image(&platform, None, &[(&format!("p-{i}"), 10)])
            .image(&sig, None, &[(&format!("ps-{i}"), 1)])
            .tag(&format!("multi-{i}"), &index)
            .tag(&format!("multi-{i}-amd64"), &platform)
            .tag(&sig_of(&platform), &sig);
    }
    let facts = facts.tag("latest", "img-0").done();
    let rules = CleanupRules {
        keep: vec![pat("latest")],
        remove: vec![pat("build-*"), pat("multi-*")],
        ..CleanupRules::default()
    };
    // No timing asserted: ordering these once scanned every delete per signature.
    let planned = plan(&facts, &rules, now()).unwrap();
    // img-0 stays (latest) and so does its signature.
    assert_eq!(planned.delete_images.len(), 2 * 2999 + 3 * 200);
    let at: BTreeMap<&Digest, usize> = planned
        .delete_images
        .iter()
        .enumerate()
        .map(|(i, image)| (&image.digest, i))
        .collect();
    for i in 1..3000 {
        let (image, sig) = (d(&format!("img-{i}")), d(&format!("sig-{i}")));
        assert!(at[&image] < at[&sig], "img-{i} before its signature");
    }
    for i in 0..200 {
        let (index, platform, sig) = (
            d(&format!("idx-{i}")),
            d(&format!("plat-{i}")),
            d(&format!("plat-sig-{i}")),
        );
        assert!(at[&index] < at[&platform], "idx-{i} before its platform");
        assert!(at[&platform] < at[&sig], "plat-{i} before its signature");
        assert!(
            at[&index] < at[&sig],
            "idx-{i} before its platform's signature"
        );
    }
}

#[test]
fn a_namespace_plan_gives_each_repository_its_own_config_rules() {
    let defaults = CleanupDefaults::from_json(&serde_json::json!({
        "team": {"keepNewest": 1, "others": "remove"},
        "team/app": {"keep": ["*"]},
    }))
    .unwrap();
    let repositories = ["team/app".to_owned(), "team/web".to_owned()];
    let team = defaults.rules_for("team").unwrap().1.clone();

    // Rules as config.json says, not edited: each repository its own.
    let each = defaults.rules_for_each("team", &repositories, None);
    assert_eq!(each.len(), 2);
    assert_eq!(each[0].0.keep, vec![pat("*")], "team/app keeps every tag");
    assert_eq!(each[1].0, team);
    let facts = Facts::default()
        .tagged("1.0", Some(&days_ago(30)), &[("l1", 10)])
        .tagged("2.0", Some(&days_ago(3)), &[("l2", 10)])
        .done();
    let app_plan = plan(&facts, &each[0].0, now()).unwrap();
    assert!(removed(&app_plan).is_empty(), "{:?}", removed(&app_plan));
    let note = each[0].1.as_ref().expect("team/app's own rules are said");
    let said = note.words();
    assert!(
        said.contains("team/app") && said.contains("its own rules from config.json"),
        "{said}"
    );
    assert_eq!(each[1].1, None);

    // Rules the user wrote: they apply to every repository, and the page names the
    // one whose own config.json entry they replace.
    let edited = CleanupRules {
        remove: vec![pat("1.*")],
        ..CleanupRules::default()
    };
    let each = defaults.rules_for_each("team", &repositories, Some(&edited));
    assert!(each.iter().all(|(rules, _)| *rules == edited));
    let note = each[0].1.as_ref().expect("the replaced entry is named");
    let said = note.words();
    assert!(
        said.contains("team/app") && said.contains("replace"),
        "{said}"
    );
    assert_eq!(each[1].1, None, "team/web has no entry of its own");

    // The repository itself: its own entry is what the form shows, nothing to say.
    let each = defaults.rules_for_each("team/app", &repositories[..1], None);
    assert_eq!(
        (each[0].0.keep.clone(), each[0].1.clone()),
        (vec![pat("*")], None)
    );
}

#[test]
fn a_tag_cancelled_before_its_removal_is_skipped_not_failed() {
    use tagdeck::oci::bulk::{ItemFailure, ItemResult};
    let cancelled = CleanupOutcome::Tag(ItemResult::Failed(ItemFailure::Cancelled));
    assert_eq!(cancelled.kind(), OutcomeKind::Skipped);
}

#[test]
fn cancel_from_the_start_reads_nothing_and_reports_every_tag() {
    let registry = App::new();
    let old = registry.image(Some("build-1"), "2025-06-01T00:00:00Z", &[("app-1", 10)]);
    registry.signature(&old);
    let new = registry.image(Some("latest"), "2026-02-27T00:00:00Z", &[("app-2", 20)]);
    registry.retag("pr-7", &new);
    let rules = CleanupRules {
        remove: vec![pat("pr-*"), pat("build-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(removed(&planned).len(), 3, "{:?}", removed(&planned));
    registry.state.borrow_mut().log.clear();

    let outcomes = std::cell::RefCell::new(BTreeMap::new());
    block_on(registry.client().apply_cleanup(
        &planned,
        &|| true,
        &|tag, outcome| {
            outcomes
                .borrow_mut()
                .insert(tag.to_owned(), outcome.clone());
        },
        &|| "unique".to_owned(),
    ))
    .unwrap();
    assert_eq!(registry.state.borrow().log, Vec::<String>::new());
    let outcomes = outcomes.into_inner();
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    for (tag, outcome) in outcomes {
        assert_eq!(outcome, CleanupOutcome::Cancelled, "{tag}");
    }
}

#[test]
fn a_signature_kept_because_deletes_are_refused_says_so() {
    let sig_of = |image: &str| format!("sha256-{}.sig", d(image).hex());
    let facts = Facts::default()
        .tagged("old", Some(&days_ago(100)), &[("l1", 10)])
        .tagged("v1", Some(&days_ago(1)), &[("l2", 10)])
        .image("sig", None, &[("s1", 1)])
        .tag(&sig_of("old"), "sig")
        .incomplete()
        .done();
    let rules = CleanupRules {
        remove: vec![pat("old")],
        ..CleanupRules::default()
    };
    let plan = plan(&facts, &rules, now()).unwrap();
    assert_eq!(removed(&plan), ["old"]);
    let why = reason(&plan, &sig_of("old"));
    assert!(!why.contains("no tag here points at"), "{why}");
    assert!(
        why.starts_with("kept: signature of image sha256:")
            && why.contains("this plan does not delete")
            && why.contains("may be incomplete"),
        "{why}"
    );
}

/// `app` with two multi-arch images, tagged i1 and i2, both listing the untagged
/// platform P, which has a signature; and a kept image. (P, i1's, i2's digests.)
fn two_indexes_sharing_a_signed_platform() -> (App, String, String, String) {
    let registry = App::new();
    let shared = registry.image(None, "2025-01-01T00:00:00Z", &[("p", 300)]);
    registry.signature(&shared);
    let mut indexes = Vec::new();
    for name in ["i1", "i2"] {
        let own = registry.image(None, "2025-01-01T00:00:00Z", &[(name, 100)]);
        let listed: Vec<serde_json::Value> = [&shared, &own]
            .iter()
            .map(|digest| {
                serde_json::json!({"mediaType": media::OCI_MANIFEST, "digest": digest,
                    "size": 1, "platform": {"os": "linux", "architecture": "amd64"}})
            })
            .collect();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": listed,
        })
        .to_string();
        indexes.push(registry.push("app", name, media::OCI_INDEX, index.as_bytes()));
    }
    registry.image(Some("latest"), "2026-02-27T00:00:00Z", &[("new", 20)]);
    let i2 = indexes.pop().unwrap();
    let i1 = indexes.pop().unwrap();
    (registry, shared, i1, i2)
}

#[test]
fn a_platform_signature_stays_while_another_multi_arch_image_still_lists_it() {
    let rules = CleanupRules {
        remove: vec![pat("i?")],
        ..CleanupRules::default()
    };
    let apply = |registry: &App, planned: &CleanupPlan| registry.apply(planned).1;

    // Unchanged since the plan: both go, then the signature.
    let (registry, shared, _, _) = two_indexes_sharing_a_signed_platform();
    let sig = format!("sha256-{}.sig", shared.strip_prefix("sha256:").unwrap());
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(removed(&planned), ["i1", "i2", sig.as_str()]);
    for (tag, outcome) in apply(&registry, &planned) {
        assert!(outcome.is_done(), "{tag}: {outcome:?}");
    }
    assert_eq!(registry.tag_digest("app", &sig), None);

    // The one the plan counts P with goes; the other gained a tag meanwhile and
    // stays, still listing P: P's signature stays too.
    let (registry, shared, i1, i2) = two_indexes_sharing_a_signed_platform();
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    let claimant = planned
        .delete_images
        .iter()
        .find(|i| i.platforms.iter().any(|p| p.to_string() == shared))
        .expect("a delete counts P")
        .digest
        .to_string();
    let other = if claimant == i1 { i2 } else { i1 };
    registry.retag("hotfix", &other);
    let outcomes = apply(&registry, &planned);
    assert_eq!(
        outcomes[&sig],
        CleanupOutcome::SubjectKept {
            subject: Digest::parse(&shared).unwrap(),
            scheme: tagdeck::oci::referrers::ReferrerTagScheme::CosignSignature,
        },
        "{outcomes:?}"
    );
    assert!(registry.tag_digest("app", &sig).is_some());
}

/// Pushes, untagged in `app`, an index listing `children`; its digest.
fn push_index(registry: &App, tag: Option<&str>, children: &[String]) -> String {
    let bytes = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": children.iter().map(|c| serde_json::json!({
            "mediaType": media::OCI_MANIFEST, "digest": c, "size": 1,
            "platform": {"os": "linux", "architecture": "amd64"},
        })).collect::<Vec<_>>(),
    })
    .to_string();
    match tag {
        Some(tag) => registry.push("app", tag, media::OCI_INDEX, bytes.as_bytes()),
        None => registry.push_untagged("app", media::OCI_INDEX, bytes.as_bytes()),
    }
}

#[test]
fn a_removed_index_whose_platforms_were_not_all_read_is_not_deleted() {
    // old → an index listing a platform the facts lack (unreadable, or past the
    // gather's cut-off): what it lists is unknown, so the plan keeps it.
    let facts = Facts::default()
        .index("old-idx", None, &["unread"])
        .tag("old", "old-idx")
        .tagged("x", None, &[("layer-x", 100)])
        .done();
    let rules = CleanupRules {
        remove: vec![pat("old"), pat("x")],
        ..CleanupRules::default()
    };
    let planned = plan(&facts, &rules, now()).unwrap();
    let deleted: Vec<&Digest> = planned.delete_images.iter().map(|i| &i.digest).collect();
    assert_eq!(deleted, vec![&d("x")], "{planned:#?}");
    let only = planned
        .tags_only
        .iter()
        .find(|t| t.digest == d("old-idx"))
        .expect("the index only loses its tag");
    assert_eq!(kept_because(&only.kept_because), "kept by the plan");
    assert!(
        planned.notes.contains(&PlanNote::PlatformsUnread {
            images: BTreeMap::from([(d("old-idx"), vec!["old".to_owned()])]),
        }),
        "{:?}",
        planned.notes
    );
}

#[test]
fn the_gather_reads_at_most_its_cap_of_manifests_and_the_plan_deletes_nothing_unread() {
    // Three tagged multi-arch images of eight platforms each: 27 manifests, and the
    // gather may read 12.
    let registry = App::new();
    for (i, tag) in ["keep", "old-1", "old-2"].into_iter().enumerate() {
        let children: Vec<String> = (0..8)
            .map(|p| {
                let layer = format!("layer-{i}-{p}");
                registry.image(None, "2025-01-01T00:00:00Z", &[(layer.as_str(), 10)])
            })
            .collect();
        push_index(&registry, Some(tag), &children);
    }
    registry.state.borrow_mut().log.clear();
    let cap = 12;
    let facts = block_on(
        registry
            .client()
            .cleanup_facts_within(&app(), 2, cap, |_| {}, || false),
    )
    .unwrap();
    let gets = registry.sent_count("GET /v2/app/manifests/");
    assert!(gets <= cap, "{gets} manifest GETs for a cap of {cap}");
    assert!(facts.images.len() <= cap);

    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("old-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&facts, &rules, now()).unwrap();
    // Every removed index has platforms unread: none is deleted, and the note says so.
    assert!(
        planned.delete_images.iter().all(|i| facts.images[&i.digest]
            .children
            .iter()
            .all(|c| facts.images.contains_key(c))),
        "{planned:#?}"
    );
    let Some(PlanNote::PlatformsUnread { images }) = planned
        .notes
        .iter()
        .find(|n| matches!(n, PlanNote::PlatformsUnread { .. }))
    else {
        panic!("no PlatformsUnread note: {:?}", planned.notes);
    };
    assert!(!images.is_empty());
}

#[test]
fn deleting_images_looks_every_tag_up_once_per_chunk_not_once_per_image() {
    // Twelve images the plan deletes (each tagged pr-N only), among fifty tags.
    let registry = App::new();
    for i in 0..12 {
        let layer = format!("pr-{i}");
        registry.image(
            Some(&format!("pr-{i}")),
            "2026-01-01T00:00:00Z",
            &[(layer.as_str(), 10)],
        );
    }
    for i in 0..38 {
        let layer = format!("other-{i}");
        registry.image(
            Some(&format!("other-{i}")),
            "2026-01-01T00:00:00Z",
            &[(layer.as_str(), 10)],
        );
    }
    let rules = CleanupRules {
        keep: vec![pat("other-*")],
        remove: vec![pat("pr-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 12, "{planned:#?}");
    registry.state.borrow_mut().log.clear();

    let done = Cell::new(0);
    let applied = block_on(registry.client().apply_cleanup(
        &planned,
        &|| false,
        &|_, outcome| done.set(done.get() + usize::from(outcome.is_done())),
        &|| "unique".to_owned(),
    ))
    .unwrap();
    assert_eq!(done.get(), 12);
    assert_eq!(applied.images_deleted.len(), 12);
    for i in 0..38 {
        assert!(registry.tag_digest("app", &format!("other-{i}")).is_some());
    }

    // Every listed tag once per chunk of deletes (one chunk here), and each image's
    // own tag re-read just before its delete and checked after it (no new names).
    let heads = registry.sent_count("HEAD /v2/app/manifests/");
    assert!(
        heads <= 50 + 12 * 2,
        "{heads} manifest HEADs for 50 tags and 12 image deletes"
    );
    let listings = registry.sent_count("GET /v2/app/tags/list");
    registry.state.borrow_mut().log.clear();
    block_on(registry.client().tags(&app(), |_| {})).unwrap();
    let one_listing = registry.state.borrow().log.len();
    // One for the chunk's users; before each delete one for names new since, and
    // after it one for tags it took unseen.
    assert_eq!(
        listings,
        one_listing * (1 + 12 * 2),
        "one tag list for the chunk, two per delete"
    );
}

/// `pr-a` and `pr-b` on images of their own, planned deleted in one chunk, and `keep`
/// on a third image (its digest returned), kept.
fn two_images_to_delete_and_one_kept() -> (App, CleanupPlan, String) {
    let registry = App::new();
    registry.image(Some("pr-a"), "2026-01-01T00:00:00Z", &[("layer-a", 10)]);
    registry.image(Some("pr-b"), "2026-01-01T00:00:00Z", &[("layer-b", 10)]);
    let kept = registry.image(Some("keep"), "2026-01-01T00:00:00Z", &[("layer-c", 10)]);
    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("pr-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 2, "{planned:#?}");
    (registry, planned, kept)
}

#[test]
fn a_planned_tag_moved_after_its_chunk_was_read_stops_that_image_delete() {
    // Both images' users are read once for the chunk; the second one's tag moves
    // while the first is deleted: its re-read before acting sees it.
    let (registry, planned, other) = two_images_to_delete_and_one_kept();
    let (first, second) = (&planned.delete_images[0], &planned.delete_images[1]);
    let moved_tag = second.tags[0].clone();
    let moved = moved_tag.clone();
    registry.meanwhile(
        (Method::Delete, &format!("/manifests/{}", first.digest), 1),
        move |r| {
            let bytes = r.state.borrow().manifests["app"][&other].1.clone();
            r.push("app", &moved, media::OCI_MANIFEST, &bytes);
        },
    );
    let (applied, outcomes) = registry.apply(&planned);
    assert_eq!(applied.images_deleted, vec![first.digest.clone()]);
    let outcome = &outcomes[&moved_tag];
    assert!(
        matches!(outcome, CleanupOutcome::Moved { planned, .. } if *planned == second.digest),
        "{outcome:?}"
    );
    // The image is still there, and the moved tag where the other client put it.
    assert!(registry.state.borrow().manifests["app"].contains_key(&second.digest.to_string()));
    assert!(registry.tag_digest("app", &moved_tag).is_some());
}

#[test]
fn a_failed_chunk_read_fails_one_image_and_the_next_reads_again() {
    // The chunk's tag list cannot be read: the image whose delete asked for it fails
    // (nothing written), and the next image reads the list again and is deleted.
    use support::memory_registry::{Fault, Strike};

    let (registry, planned, _) = two_images_to_delete_and_one_kept();
    // Twice: a read is asked again once after a 5xx.
    registry.inject(Fault::new(Method::Get, "/tags/list", Strike::Before, Some(500)).times(2));
    let (applied, outcomes) = registry.apply(&planned);
    let (first, second) = (&planned.delete_images[0], &planned.delete_images[1]);
    assert_eq!(applied.images_deleted, vec![second.digest.clone()]);
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, CleanupOutcome::ImageFailed { .. }))
        .map(|(t, _)| t.clone())
        .collect();
    assert_eq!(failed, first.tags);
    assert!(registry.state.borrow().manifests["app"].contains_key(&first.digest.to_string()));
}

#[test]
fn a_chunk_read_that_keeps_failing_is_tried_again_once_not_per_image() {
    // One re-read serves a passing fault; a lasting one (a tag whose manifest always
    // fails, a list refused) must not cost a whole listing per image of the chunk.
    use support::memory_registry::{Fault, Strike};

    let registry = App::new();
    for name in ["pr-a", "pr-b", "pr-c", "pr-d"] {
        registry.image(Some(name), "2026-01-01T00:00:00Z", &[(name, 10)]);
    }
    registry.image(Some("keep"), "2026-01-01T00:00:00Z", &[("kept", 10)]);
    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("pr-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    assert_eq!(planned.delete_images.len(), 4, "{planned:#?}");
    registry.state.borrow_mut().log.clear();
    // The kept tag cannot be read: every lookup of the chunk's users fails.
    registry
        .inject(Fault::new(Method::Head, "/manifests/keep", Strike::Before, Some(500)).times(100));
    registry
        .inject(Fault::new(Method::Get, "/manifests/keep", Strike::Before, Some(500)).times(100));
    let applied = block_on(registry.client().apply_cleanup(
        &planned,
        &|| false,
        &|_, _| {},
        &|| "unique".to_owned(),
    ))
    .unwrap();
    assert!(applied.images_deleted.is_empty());
    // The chunk's users read once, and once again: two listings.
    let listings = registry.sent_count("GET /v2/app/tags/list");
    registry.state.borrow_mut().log.clear();
    block_on(registry.client().tags(&app(), |_| {})).unwrap();
    let one_listing = registry.state.borrow().log.len();
    assert!(
        listings <= 2 * one_listing,
        "{listings} tag list requests for one chunk, {one_listing} per listing"
    );
}

/// A tag named since the chunk's users were read, onto an image the plan deletes:
/// the DELETE would take it, unseen. One listing before each delete finds the new
/// name, and the image stays.
#[test]
fn a_tag_named_onto_a_planned_image_after_its_chunk_was_read_stops_that_delete() {
    let (registry, planned, _) = two_images_to_delete_and_one_kept();
    let (first, second) = (&planned.delete_images[0], &planned.delete_images[1]);
    let second_digest = second.digest.to_string();
    registry.meanwhile(
        (Method::Delete, &format!("/manifests/{}", first.digest), 1),
        move |r| {
            let bytes = r.state.borrow().manifests["app"][&second_digest].1.clone();
            r.push("app", "release-1", media::OCI_MANIFEST, &bytes);
        },
    );
    let applied = block_on(registry.client().apply_cleanup(
        &planned,
        &|| false,
        &|_, _| {},
        &|| "unique".to_owned(),
    ))
    .unwrap();
    assert_eq!(applied.images_deleted, vec![first.digest.clone()]);
    assert!(registry.state.borrow().manifests["app"].contains_key(&second.digest.to_string()));
    assert_eq!(
        registry
            .tag_digest("app", "release-1")
            .map(|d| d.to_string()),
        Some(second.digest.to_string())
    );
}

/// A tag the chunk saw pointing elsewhere, moved onto a planned image before its
/// DELETE: the DELETE takes it (a registry deletes a manifest with every tag on it,
/// and no request can make that conditional). It is not lost unsaid: the tag list
/// read after the DELETE misses it, the image's outcome says so, and the Undo puts
/// it back where it pointed, on the image.
#[test]
fn a_tag_moved_onto_a_planned_image_after_its_chunk_was_read_is_told_lost_and_undone() {
    let (registry, planned, _) = two_images_to_delete_and_one_kept();
    let (first, second) = (&planned.delete_images[0], &planned.delete_images[1]);
    let second_digest = second.digest.to_string();
    // Moved while the second image's own tag is read again, just before its DELETE.
    let planned_tag = second.tags[0].clone();
    registry.meanwhile(
        (Method::Head, &format!("/manifests/{planned_tag}"), 2),
        move |r| {
            let bytes = r.state.borrow().manifests["app"][&second_digest].1.clone();
            r.push("app", "keep", media::OCI_MANIFEST, &bytes);
        },
    );
    let said = std::cell::RefCell::new(Vec::new());
    let applied = block_on(registry.client().apply_cleanup(
        &planned,
        &|| false,
        &|tag, outcome| said.borrow_mut().push((tag.to_owned(), outcome.clone())),
        &|| "unique".to_owned(),
    ))
    .unwrap();
    assert!(applied.images_deleted.contains(&first.digest));
    assert_eq!(
        registry.tag_digest("app", "keep"),
        None,
        "taken by the DELETE"
    );
    // The image is deleted as planned; the tag that went with it is told apart.
    assert!(applied.images_deleted.contains(&second.digest));
    let told = format!("{:?}", said.borrow());
    assert!(!told.contains("ImageFailed"), "{told}");
    let lost = format!("{:?}", applied.deleted_with);
    assert!(lost.contains("\"keep\""), "the lost tag is said: {lost}");
    for undo in applied.undo.iter().rev() {
        block_on(registry.client().undo(undo, &|| "again".to_owned())).unwrap();
    }
    assert_eq!(
        registry.tag_digest("app", "keep").map(|d| d.to_string()),
        Some(second.digest.to_string())
    );
}

/// A multi-arch image pushed while the chunk's first image is deleted, listing the
/// second planned image as a platform: the listing before that second delete finds
/// its new tag, reads the index, and the platform stays.
#[test]
fn an_index_pushed_after_the_chunk_was_read_listing_a_planned_image_stops_its_delete() {
    let (registry, planned, _) = two_images_to_delete_and_one_kept();
    let (first, second) = (&planned.delete_images[0], &planned.delete_images[1]);
    let listed = second.digest.to_string();
    registry.meanwhile(
        (Method::Delete, &format!("/manifests/{}", first.digest), 1),
        move |r| {
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media::OCI_INDEX,
                "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": listed, "size": 1,
                               "platform": {"os": "linux", "architecture": "arm64"}}],
            })
            .to_string();
            r.push("app", "multi", media::OCI_INDEX, index.as_bytes());
        },
    );
    let (applied, outcomes) = registry.apply(&planned);
    assert_eq!(applied.images_deleted, vec![first.digest.clone()]);
    assert!(
        registry.state.borrow().manifests["app"].contains_key(&second.digest.to_string()),
        "the platform of multi was deleted"
    );
    let outcome = &outcomes[&second.tags[0]];
    assert!(
        matches!(
            outcome.image_changed(),
            Some(ChangeError::PartOfIndex { indexes, .. }) if indexes == &["multi".to_owned()]
        ),
        "{outcome:?}"
    );
    assert_eq!(outcome.kind(), OutcomeKind::Skipped);
}

/// An image delete that landed and took a kept tag moved onto the image meanwhile:
/// the image is said deleted (with its planned tags, and its signature follows), the
/// lost tag is told apart with its Undo.
#[test]
fn an_image_delete_that_took_a_moved_tag_is_still_reported_deleted() {
    let registry = App::new();
    registry.image(Some("pr-a"), "2026-01-01T00:00:00Z", &[("layer-a", 10)]);
    let target = registry.image(Some("pr-b"), "2026-01-01T00:00:00Z", &[("layer-b", 10)]);
    registry.image(Some("keep"), "2026-01-01T00:00:00Z", &[("layer-c", 10)]);
    registry.signature(&target);
    let rules = CleanupRules {
        keep: vec![pat("keep")],
        remove: vec![pat("pr-*")],
        ..CleanupRules::default()
    };
    let planned = plan(&registry.facts(2), &rules, now()).unwrap();
    let hex = target.strip_prefix("sha256:").unwrap();
    let sig = format!("sha256-{hex}.sig");
    assert!(removed(&planned).contains(&sig.as_str()), "{planned:#?}");
    let moved = target.clone();
    registry.meanwhile((Method::Head, "/manifests/pr-b", 2), move |r| {
        let bytes = r.state.borrow().manifests["app"][&moved].1.clone();
        r.push("app", "keep", media::OCI_MANIFEST, &bytes);
    });
    let (applied, outcomes) = registry.apply(&planned);
    let target = Digest::parse(&target).unwrap();
    assert!(
        applied.images_deleted.contains(&target),
        "{:?} {outcomes:?}",
        applied.images_deleted
    );
    assert!(
        matches!(&outcomes["pr-b"], CleanupOutcome::ImageDeleted { digest } if *digest == target),
        "{outcomes:?}"
    );
    assert!(
        !matches!(outcomes[&sig], CleanupOutcome::SubjectKept { .. }),
        "{:?}",
        outcomes[&sig]
    );
    let lost = format!("{:?}", applied.deleted_with);
    assert!(lost.contains("\"keep\""), "the lost tag is told: {lost}");
    for undo in applied.undo.iter().rev() {
        block_on(registry.client().undo(undo, &|| "again".to_owned())).unwrap();
    }
    assert_eq!(
        registry.tag_digest("app", "keep").map(|d| d.to_string()),
        Some(target.to_string())
    );
}
