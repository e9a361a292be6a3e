//! The changes made in this browser tab, each with its digests, its result and, while
//! the registry still holds the bytes, an Undo.
//!
//! - `changes`: the tab's list and how a change is recorded in it;
//! - `undo`: Undo of an entry;
//! - `interrupted`: changes a reload cut short, reconciled with the registry (Retry,
//!   Check again);
//! - `panel`: the list on screen.

mod changes;
mod interrupted;
mod panel;
mod undo;

pub use changes::{unique_marker, use_changes, Changes};
pub use panel::ActivityPanel;
