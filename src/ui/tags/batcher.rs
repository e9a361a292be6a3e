//! Answers handed to the table in batches.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;

use super::data::{Lookup, TagData};
use crate::oci::image_summary::ImageSummary;
use crate::oci::names::Digest;

/// Collects digests, failures and summaries as answers arrive and hands them to the
/// table in batches, so thousands of answers cause a few dozen re-renders (and
/// re-sorts, when sorted by date) instead of thousands.
#[derive(Clone)]
pub(super) struct AnswerBatcher {
    data: TagData,
    pending: Collected<(String, Lookup<Digest>)>,
    summaries: Collected<(Digest, Lookup<ImageSummary>)>,
    scheduled: Rc<Cell<bool>>,
    /// When the last batch was shown (`Date.now()`, ms).
    last_flush: Rc<Cell<f64>>,
}

type Collected<T> = Rc<RefCell<Vec<T>>>;

/// The least time between two batches shown. An answer after a quiet spell shows at
/// once (the first digest, a refresh's few answers); a stream of answers shows about
/// six times a second. Each batch re-renders the rows on screen and the page's
/// layout; at 60 ms the main thread was busy enough that the next HEAD of a worker
/// left about 6 ms later than a bare fetch loop's (1000 tags, 20 ms latency).
const BATCH_SPACING_MS: f64 = 160.0;

impl AnswerBatcher {
    pub(super) fn new(data: TagData) -> Self {
        AnswerBatcher {
            data,
            pending: Rc::default(),
            summaries: Rc::default(),
            scheduled: Rc::default(),
            last_flush: Rc::default(),
        }
    }

    pub(super) fn record(&self, tag: &str, lookup: Lookup<Digest>) {
        self.pending.borrow_mut().push((tag.to_owned(), lookup));
        self.schedule();
    }

    pub(super) fn record_summary(&self, digest: Digest, lookup: Lookup<ImageSummary>) {
        self.summaries.borrow_mut().push((digest, lookup));
        self.schedule();
    }

    fn schedule(&self) {
        if self.data.is_gone() {
            return;
        }
        if self.data.digests.with_untracked(HashMap::is_empty) {
            // A user waits for the first digest, not for the thousandth: the first
            // answers show now, ahead of the next tag-list page's re-sort.
            self.flush();
            return;
        }
        if !self.scheduled.replace(true) {
            // After a quiet spell an answer shows at once.
            let wait = self.last_flush.get() + BATCH_SPACING_MS - js_sys::Date::now();
            let delay = Duration::from_millis(wait.clamp(0.0, BATCH_SPACING_MS) as u64);
            let batcher = self.clone();
            set_timeout(move || batcher.flush(), delay);
        }
    }

    /// Drops the answers not yet shown for the tags `withdrawn` picks.
    pub(super) fn withdraw(&self, withdrawn: impl Fn(&String) -> bool) {
        self.pending.borrow_mut().retain(|(tag, _)| !withdrawn(tag));
    }

    pub(super) fn is_known(&self, tag: &str) -> bool {
        self.data.is_current(tag) || self.pending.borrow().iter().any(|(t, _)| t == tag)
    }

    fn flush(&self) {
        self.scheduled.set(false);
        // The timer may fire after the registry's views were dropped.
        if self.data.is_gone() {
            return;
        }
        self.last_flush.set(js_sys::Date::now());
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        let summaries = std::mem::take(&mut *self.summaries.borrow_mut());
        if !batch.is_empty() {
            // A re-checked tag may have moved since it was last seen.
            let moved: Vec<(String, Digest)> = self.data.digests.with_untracked(|digests| {
                batch
                    .iter()
                    .filter_map(|(tag, lookup)| match (digests.get(tag), lookup) {
                        (Some(Lookup::Ready(old)), Lookup::Ready(new)) if old == new => None,
                        (Some(Lookup::Ready(old)), _) => Some((tag.clone(), old.clone())),
                        _ => None,
                    })
                    .collect()
            });
            self.data.shared.try_update(|shared| {
                for (tag, old) in &moved {
                    shared.remove(tag, old.as_str());
                }
                for (tag, lookup) in &batch {
                    if let Lookup::Ready(digest) = lookup {
                        shared.insert(tag, digest.as_str());
                    }
                }
            });
            if self.data.rechecking.with_untracked(|r| !r.is_empty()) {
                self.data.rechecking.try_update(|rechecking| {
                    for (tag, _) in &batch {
                        rechecking.remove(tag);
                    }
                });
            }
            self.data
                .digests
                .try_update(|digests| digests.extend(batch));
        }
        if !summaries.is_empty() {
            self.data.summaries.try_update(|s| s.extend(summaries));
        }
    }
}
