//! The items that failed in the last bulk change of a repository stay selected for a
//! retry. Kept with what the tab knows of the repository (`tags::KnownTags`), so they
//! are still there when the user leaves the repository and comes back.

use leptos::prelude::*;

use super::BulkKind;

/// The items that failed in the last bulk change of one repository.
#[derive(Clone, Copy)]
pub struct BulkRetry(pub(super) RwSignal<Option<PendingRetry>>);

impl Default for BulkRetry {
    fn default() -> Self {
        BulkRetry(RwSignal::new(None))
    }
}

#[derive(Clone, PartialEq)]
pub(super) struct PendingRetry {
    pub kind: BulkKind,
    pub tags: Vec<String>,
    pub pattern: String,
}
