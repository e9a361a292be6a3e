//! The dialogs that change tags: add (or move) a tag, copy to another repository,
//! remove a tag. Each one re-reads the registry before acting, says exactly what it
//! did with digests, and records the change (with its undo) in the activity list.

mod host;
mod modal;
mod phase;
mod remove_form;
mod tag_form;

pub use host::{use_dialog, ChangeForm, ChangeRequest, Dialog, DialogHost};
pub use modal::Modal;
