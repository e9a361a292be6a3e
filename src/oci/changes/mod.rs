//! Changes to tags, composed from the registry operations: add or move a tag, copy an
//! image to another repository, remove one tag without touching the others that share
//! its image, delete an image, and put back what a change replaced (undo).
//!
//! Every change re-reads the registry just before acting and checks the result after,
//! so what the user saw and what happened can never silently differ.
//!
//! When a write fails, only a definite refusal means "nothing changed": an error
//! answer in 4xx (but 408 and 429) to a request that was the first write, or a request
//! never sent (see [`is_definite_refusal`]). After anything else (a 5xx, a timeout, a
//! dropped connection, a cancel) the write may have been applied: the registry is read
//! again and the result states what is true now. Whenever anything was or may have been
//! written (the old state read again included: the write may still land), the failure
//! carries the Undo record ([`ChangeError::written`]).

mod copy;
mod copy_steps;
mod error;
mod lookup;
mod placeholder;
mod removal;
mod tag_write;
mod users;
mod written;

pub use copy_steps::{CopyReport, CopyStep, CopyWork};
pub use error::{is_definite_refusal, ChangeError, ReadAgain};
pub use placeholder::{empty_layer, PLACEHOLDER_LABEL, PLACEHOLDER_TAG_LABEL};
pub(crate) use removal::ImageAfter;
pub use users::{BatchUsers, ImageUsers};
pub use written::{Removal, RemovalMethod, TagBefore, TagWrite, Written};

/// Requests in flight at once when a change must look at many tags, unless the
/// registry was told what its connection takes ([`Registry::with_lookup_concurrency`]);
/// also how many images a bulk change works on at once.
///
/// [`Registry::with_lookup_concurrency`]: crate::oci::client::Registry::with_lookup_concurrency
pub const CONCURRENT_LOOKUPS: usize = 6;
