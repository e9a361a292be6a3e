//! The changes made in this browser tab, each with its digests, its result and, while
//! the registry still holds the bytes, an Undo.
//!
//! - `changes`: the tab's list and how a change is recorded in it;
//! - `undo`: Undo of an entry;
//! - `interrupted`: changes a reload cut short, reconciled with the registry (Retry,
//!   Check again);
//! - `steps`: Undo, Retry and Check again as one kind of step, fetched on demand;
//! - `panel`: the list on screen.

mod changes;
mod interrupted;
mod panel;
mod steps;
mod undo;

pub use changes::{unique_marker, use_changes, ActivityLog, Changes};
pub use panel::ActivityPanel;
pub use steps::ActivityStep;
