//! Changes to many tags at once: add a tag made from a pattern to each selected tag,
//! or remove the selected tags. The run itself is `oci::bulk`; here are the selection,
//! the bar that starts and cancels it, and its result per item, where what failed can
//! be retried without redoing the rest.

mod bar;
mod results;
mod selection;
mod state;

pub use bar::{BulkBar, BulkOutcome, BulkWork};
pub use selection::Selection;
pub use state::BulkState;

use crate::oci::bulk::{ItemFailure, ItemResult};
use crate::wording::{self, ResultLine};

#[derive(Clone, PartialEq, Eq)]
enum ItemState {
    Waiting,
    Done(String),
    Failed(ResultLine),
    /// Not run: Cancel came before it. No failure, though Retry offers it again.
    Cancelled(ResultLine),
}

impl From<&ItemResult> for ItemState {
    fn from(result: &ItemResult) -> Self {
        let line = wording::item_result(result);
        if result.is_done() {
            ItemState::Done(line.text)
        } else if matches!(result, ItemResult::Failed(ItemFailure::Cancelled)) {
            ItemState::Cancelled(line)
        } else {
            ItemState::Failed(line)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BulkKind {
    AddTags,
    Remove,
}

/// What a bulk run did, named in its result and run again by its Retry.
#[derive(Clone, PartialEq)]
struct LastRun {
    kind: BulkKind,
    /// The pattern of a bulk tag; empty for a removal.
    pattern: String,
}
