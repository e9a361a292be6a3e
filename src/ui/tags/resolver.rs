//! The workers that read each tag's digest (and each image's summary), rows on
//! screen first, as many at once as the connection to the registry allows.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::batcher::AnswerBatcher;
use super::data::{Failure, Lookup, TagData};
use crate::model::sort;
use crate::model::summary_asks::SummaryAsks;
use crate::net::{self, RegistryHttp};
use crate::oci::client::{head_concurrency, HeadPlan, Registry};
use crate::oci::error::RegistryError;
use crate::oci::manifest::Manifest;
use crate::oci::names::{Digest, Repository};
use crate::oci::rate_limit::RateLimitPauses;

/// Tags waiting for their digest. Shared by the workers and the table, which puts
/// the rows on screen first.
#[derive(Clone, Default)]
pub(super) struct ResolveQueue(Rc<RefCell<VecDeque<String>>>);

impl ResolveQueue {
    pub(super) fn put_first(&self, tags: Vec<String>) {
        let mut queue = self.0.borrow_mut();
        for tag in tags.into_iter().rev() {
            queue.push_front(tag);
        }
    }

    pub(super) fn put_last(&self, tags: Vec<String>) {
        self.0.borrow_mut().extend(tags);
    }

    fn next(&self) -> Option<String> {
        self.0.borrow_mut().pop_front()
    }

    fn forget(&self, forget: impl Fn(&String) -> bool) {
        self.0.borrow_mut().retain(|tag| !forget(tag));
    }
}

/// How this view resolves digests: with safelisted first passes where they pay
/// ([`net::first_passes_pay`]), else with the full Accept only.
pub(super) fn head_plan(registry: &Registry<RegistryHttp>) -> Rc<HeadPlan> {
    Rc::new(if net::first_passes_pay(registry.base_url()) {
        HeadPlan::adaptive()
    } else {
        HeadPlan::fixed(None)
    })
}

/// Up to [`WorkerPool::bound`] workers draining the queue; a worker ends when the
/// queue is empty, and the next page of tags starts new ones.
#[derive(Clone)]
pub(super) struct WorkerPool {
    pub(super) registry: Rc<Registry<RegistryHttp>>,
    pub(super) repository: Repository,
    pub(super) queue: ResolveQueue,
    /// Which images' summaries were asked for: each once, however many tags it has.
    pub(super) summaries: Rc<RefCell<SummaryAsks<Digest>>>,
    /// Summaries Read again asks for, read before any tag still waiting.
    pub(super) summary_queue: Rc<RefCell<VecDeque<Digest>>>,
    /// Tags a worker is resolving now, each with its ticket: a tag queued again
    /// meanwhile (it came on screen) is not sent twice, and an answer whose ticket
    /// was withdrawn (a change touched the tag while it was in flight) is dropped.
    pub(super) in_flight: Rc<RefCell<HashMap<String, u64>>>,
    pub(super) tickets: Rc<Cell<u64>>,
    pub(super) batcher: AnswerBatcher,
    pub(super) running: Rc<Workers>,
    /// Which first pass each HEAD tries; learns from every answer.
    pub(super) plan: Rc<HeadPlan>,
    /// The number of workers, once the connection's protocol is known.
    pub(super) bound: Rc<Cell<Option<usize>>>,
}

/// The workers under way, and the pause they all keep while the registry answers
/// 429 (Too Many Requests).
#[derive(Default)]
pub(super) struct Workers {
    count: Cell<usize>,
    /// Held by the worker that pauses; the others wait for it before their next HEAD.
    pause: futures_util::lock::Mutex<()>,
    pauses: RateLimitPauses,
}

impl WorkerPool {
    /// Workers at once: from the protocol of the connection to the registry (6 for
    /// HTTP/1.1 or unknown, more for HTTP/2 and 3; see [`head_concurrency`]). Before
    /// any request to the registry has finished the protocol may be unknown: 6
    /// meanwhile; [`WorkerPool::decide_bound`] settles it at the first answer.
    fn bound(&self) -> usize {
        if let Some(bound) = self.bound.get() {
            return bound;
        }
        match net::next_hop_protocol(self.registry.base_url()) {
            Some(protocol) => self.decide_bound(Some(protocol)),
            None => head_concurrency(None),
        }
    }

    fn decide_bound(&self, protocol: Option<String>) -> usize {
        let bound = head_concurrency(protocol.as_deref());
        self.bound.set(Some(bound));
        bound
    }

    /// The tags whose digest could not be read, and the images whose summary could
    /// not, asked again (the user's "Read again"): their cells go back to "…"
    /// meanwhile, and they are read before any tag still waiting.
    pub(super) fn read_failed_again(&self, data: TagData) {
        let mut failed: Vec<String> = data.digests.with_untracked(|digests| {
            digests
                .iter()
                .filter(|(_, lookup)| matches!(lookup, Lookup::Failed(_)))
                .map(|(tag, _)| tag.clone())
                .collect()
        });
        // Only the images of rows shown: one no tag names any more is not read.
        let images: HashSet<Digest> = data.digests.with_untracked(|digests| {
            digests
                .values()
                .filter_map(|lookup| match lookup {
                    Lookup::Ready(digest) => Some(digest.clone()),
                    Lookup::Failed(_) => None,
                })
                .collect()
        });
        let summaries: Vec<Digest> = data.summaries.with_untracked(|summaries| {
            let mut asks = self.summaries.borrow_mut();
            summaries
                .iter()
                .filter(|(digest, lookup)| {
                    matches!(lookup, Lookup::Failed(_)) && images.contains(*digest)
                })
                .filter(|(digest, _)| asks.ask_again((*digest).clone()))
                .map(|(digest, _)| digest.clone())
                .collect()
        });
        if failed.is_empty() && summaries.is_empty() {
            return;
        }
        if !failed.is_empty() {
            data.digests
                .update(|digests| digests.retain(|_, lookup| matches!(lookup, Lookup::Ready(_))));
        }
        if !summaries.is_empty() {
            data.summaries
                .update(|known| known.retain(|digest, _| !summaries.contains(digest)));
        }
        sort::names_naturally(&mut failed);
        // Asked again: the pool may pause for 429s again before it stops.
        self.running.pauses.start_over();
        self.summary_queue.borrow_mut().extend(summaries);
        self.queue.put_first(failed);
        self.top_up();
    }

    /// Tags are about to be resolved again (after a change, on a revisit): an image
    /// whose summary failed is asked for again when one of them resolves to it.
    pub(super) fn resolving_again(&self) {
        self.summaries.borrow_mut().tags_resolved_again();
    }

    /// Drops what the workers have under way for the tags `forget` picks: their
    /// answers not yet shown, their tickets (an answer in flight is dropped when it
    /// comes) and their places in the queue. Nothing read before a change, or for a
    /// tag removed since, lands after it; a tag still wanted is queued again.
    pub(super) fn forget_answers(&self, forget: impl Fn(&String) -> bool) {
        self.batcher.withdraw(&forget);
        self.in_flight.borrow_mut().retain(|tag, _| !forget(tag));
        self.queue.forget(forget);
    }

    pub(super) fn top_up(&self) {
        let count = &self.running.count;
        while count.get() < self.bound() {
            count.set(count.get() + 1);
            let pool = self.clone();
            spawn_local(async move {
                pool.drain().await;
                pool.running.count.set(pool.running.count.get() - 1);
            });
        }
    }

    /// One worker: resolves queued tags until the queue is empty or the view is gone.
    async fn drain(&self) {
        let WorkerPool {
            registry,
            repository,
            queue,
            summaries,
            batcher,
            in_flight,
            running,
            ..
        } = self;
        loop {
            let next_summary = self.summary_queue.borrow_mut().pop_front();
            if let Some(digest) = next_summary {
                if !self.summarize(digest, None).await {
                    return;
                }
                continue;
            }
            let Some(tag) = queue.next() else {
                break;
            };
            // A tag may be queued twice (once for being on screen); resolve it once.
            if batcher.is_known(&tag) || in_flight.borrow().contains_key(&tag) {
                continue;
            }
            let ticket = self.tickets.get() + 1;
            self.tickets.set(ticket);
            in_flight.borrow_mut().insert(tag.clone(), ticket);
            // A pause for a 429 under way: no HEAD leaves before it ends.
            drop(running.pause.lock().await);
            // HEAD is cheap; when CORS hides Docker-Content-Digest, GET and hash instead.
            let resolved = async {
                // A name of the registry's tag list, parsed before it goes into a URL.
                let name = registry.listed_tag(repository, &tag)?;
                let head = registry
                    .manifest_head_fast(repository, &name, &self.plan)
                    .await?;
                match head.digest {
                    Some(digest) => Ok((digest, None)),
                    None => registry
                        .manifest_get(repository, &name)
                        .await
                        .map(|m| (m.digest.clone(), Some(m))),
                }
            }
            .await;
            if in_flight.borrow().get(&tag) != Some(&ticket) {
                continue;
            }
            in_flight.borrow_mut().remove(&tag);
            // Too many requests, after the registry was asked again as it said: the
            // tag goes back to the front, and the whole pool pauses (one worker
            // waits, the others wait for it) rather than hammer the registry.
            if let Err(error @ RegistryError::RateLimited { retry_after, .. }) = &resolved {
                if running.pauses.may_pause() {
                    queue.put_first(vec![tag]);
                    match running.pause.try_lock() {
                        Some(_pausing) => {
                            registry.pause(running.pauses.pause_ms(*retry_after)).await;
                        }
                        None => drop(running.pause.lock().await),
                    }
                    continue;
                }
                // Still limited after every pause: stop asking. Each tag still
                // queued fails as this one does, unasked; Read again asks later.
                let mut rest = HashSet::new();
                while let Some(queued) = queue.next() {
                    if !in_flight.borrow().contains_key(&queued) && !batcher.is_known(&queued) {
                        rest.insert(queued);
                    }
                }
                rest.remove(&tag);
                let failed = self.failure(error);
                for queued in rest {
                    batcher.record(&queued, Lookup::Failed(failed.clone()));
                }
            } else {
                running.pauses.start_over();
            }
            match resolved {
                Ok((digest, manifest)) => {
                    batcher.record(&tag, Lookup::Ready(digest.clone()));
                    let ask = summaries.borrow_mut().should_ask(&digest);
                    if ask && !self.summarize(digest, manifest).await {
                        return;
                    }
                }
                Err(RegistryError::Aborted { .. }) => return,
                Err(error) => batcher.record(&tag, Lookup::Failed(self.failure(&error))),
            }
            // The first answer tells the connection's protocol (or that the browser
            // hides it): settle the bound, and more workers may join.
            if self.bound.get().is_none() {
                self.decide_bound(net::next_hop_protocol(registry.base_url()));
                self.top_up();
            }
        }
    }

    /// Reads the summary of `digest` (from `manifest` when the tag's read brought
    /// it). False when the view went away.
    async fn summarize(&self, digest: Digest, manifest: Option<Manifest>) -> bool {
        let summary = self
            .registry
            .image_summary(&self.repository, &digest, manifest)
            .await;
        let lookup = match summary {
            Ok(summary) => Lookup::Ready(summary),
            Err(RegistryError::Aborted { .. }) => return false,
            // A timeout, a 429 or a 5xx may pass: Read again, or a tag of this image
            // resolved again, asks once more.
            Err(error) => {
                self.summaries.borrow_mut().failed(digest.clone());
                Lookup::Failed(self.failure(&error))
            }
        };
        self.batcher.record_summary(digest, lookup);
        true
    }

    /// `error`, worded for whoever is signed in to the registry now.
    fn failure(&self, error: &RegistryError) -> Failure {
        Failure::new(
            error,
            net::signed_in_at(self.registry.base_url()).as_deref(),
        )
    }
}
