//! A repository's bulk change as it outlives its tag view. Kept with what the tab knows
//! of the repository (`tags::KnownTags`): a run goes on when the user leaves the
//! repository, and the view opened again shows it with its Cancel, and starts no second
//! run beside it; the items that failed in the last run stay selected for a retry.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{BulkKind, ItemState, LastRun};
use crate::wording::ResultLine;

#[derive(Clone, Copy)]
pub struct BulkState {
    /// The failed items of the last run.
    pub(super) pending: RwSignal<Option<PendingRetry>>,
    /// The run under way, or the last one.
    pub(super) last_run: RwSignal<Option<LastRun>>,
    /// Whether `last_run` is still under way.
    pub(super) running: RwSignal<bool>,
    /// Cancel was pressed for the run under way.
    pub(super) cancelled: RwSignal<bool>,
    /// Each item of the run under way, or of the last one while its view stays.
    pub(super) items: RwSignal<BTreeMap<String, ItemState>>,
    /// Checks after a removal that concern an image rather than one item.
    pub(super) warnings: RwSignal<Vec<ResultLine>>,
}

impl Default for BulkState {
    fn default() -> Self {
        BulkState {
            pending: RwSignal::new(None),
            last_run: RwSignal::new(None),
            running: RwSignal::new(false),
            cancelled: RwSignal::new(false),
            items: RwSignal::new(BTreeMap::new()),
            warnings: RwSignal::new(Vec::new()),
        }
    }
}

impl BulkState {
    /// Whether a run is under way (false once its signals are gone).
    pub fn is_running(&self) -> bool {
        self.running.try_get_untracked().unwrap_or(false)
    }
}

#[derive(Clone, PartialEq)]
pub(super) struct PendingRetry {
    pub kind: BulkKind,
    pub tags: Vec<String>,
    pub pattern: String,
}
