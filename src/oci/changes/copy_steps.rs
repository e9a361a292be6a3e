//! What a copy works on and did, step by step: for its progress display, for its
//! report, and for saying where a copy that stopped stopped.

use crate::oci::names::{Digest, Tag};

/// What a copy did, blob by blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub mounted: usize,
    pub already_present: usize,
    pub uploaded: usize,
    /// Manifests written, the tagged one included.
    pub manifests: usize,
    /// Manifests of an index the target already had.
    pub manifests_present: usize,
    /// Foreign (non-distributable) layers neither repository holds: pulled from
    /// their own URLs, never pushed.
    pub foreign_skipped: usize,
}

/// A step of a copy, for a progress display (worded by `wording::copy_step`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyStep {
    pub done: usize,
    pub total: usize,
    pub what: CopyWork,
}

/// What a step of a copy works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyWork {
    /// A config or layer, mounted or uploaded.
    Blob(Digest),
    /// A manifest an index lists, put by digest; the platform the index names it
    /// by ("linux/arm64"), if it names one.
    Manifest {
        digest: Digest,
        platform: Option<String>,
    },
    /// The tag, pointed at the copied image.
    Tag(Tag),
    /// Everything is copied.
    Done,
}
