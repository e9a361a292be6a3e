//! The items that failed in the last bulk change stay selected for a retry, also after
//! the user left the repository and came back.

use leptos::prelude::*;

use super::BulkKind;

/// The items that failed in the last bulk change, per registry views.
#[derive(Clone, Copy)]
pub struct BulkRetry(pub(super) RwSignal<Option<PendingRetry>>);

#[derive(Clone, PartialEq)]
pub(super) struct PendingRetry {
    pub repository: String,
    pub kind: BulkKind,
    pub tags: Vec<String>,
    pub pattern: String,
}

impl BulkRetry {
    pub fn provide() {
        provide_context(BulkRetry(RwSignal::new(None)));
    }
}
