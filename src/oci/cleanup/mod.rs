//! Clean-up planner: rules ("keep the last 10 builds and every release"), the facts
//! of a repository gathered once, and a dry-run plan computed from both without the
//! network, so what will happen is shown, and can be downloaded, before anything is
//! written (the downloads, JSON and CSV, are made in `crate::wording`, beside the
//! plan's words). Applying the plan goes through the same safe tag changes as bulk removal.
//!
//! - [`rules`]: the rules, their precedence, their address and `config.json` forms;
//! - [`plan`]: facts → plan (every tag's fate and why, images deleted, bytes freed);
//! - [`gather`]: reads the facts from a registry;
//! - [`apply`]: the plan applied through bulk removal and the explicit image delete.

pub mod apply;
pub mod gather;
pub mod plan;
pub mod rules;

pub use apply::{CleanupApplied, CleanupOutcome, OutcomeKind};
pub use gather::{GatherProgress, GatherStep, GATHER_CONCURRENCY};
pub use plan::{
    parse_rfc3339, plan, BlobRef, CleanupFacts, CleanupPlan, DecidedBy, Decision, DeletesRefused,
    ImageDeletion, ImageFacts, KeptBecause, PlanNote, SubjectFate, TagFacts, TagPlan, TagReason,
    TagsOnly, UnusableDate,
};
pub use rules::{
    CleanupDefaults, CleanupRules, NewestBy, NumberField, Others, PatternList, RulesError,
    RulesNote, TagPattern,
};
