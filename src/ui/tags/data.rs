//! What this tab knows of a repository's tags: the signals the view shows, filled
//! in by the listing and the resolver, and kept across visits by [`KnownTags`].

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use crate::model::recently_used::{mark_used, to_forget};
use crate::model::route::View;
use crate::model::tag_table::SharedDigests;
use crate::net;
use crate::oci::client::FirstTagPage;
use crate::oci::error::RegistryError;
use crate::oci::image_summary::ImageSummary;
use crate::oci::names::{Digest, Repository};
use crate::ui::activity::use_changes;
use crate::ui::bulk::BulkState;
use crate::wording;

#[derive(Clone, PartialEq)]
pub(super) enum Listing {
    Loading,
    /// Listed to the end, as far as this page can tell: a full last page without a
    /// readable Link header `may_be_incomplete`.
    Done {
        may_be_incomplete: bool,
    },
    Failed(RegistryError),
}

#[derive(Clone, PartialEq)]
pub(super) enum Lookup<T> {
    Ready(T),
    Failed(Failure),
}

/// Why a cell could not be filled: a short headline shown in the cell, the whole
/// error in its tooltip.
#[derive(Clone, PartialEq)]
pub(super) struct Failure {
    pub(super) headline: String,
    pub(super) detail: String,
}

impl Failure {
    /// `error`, worded for whoever was `signed_in` when it came.
    pub(super) fn new(error: &RegistryError, signed_in: Option<&str>) -> Self {
        let message = wording::error_for(error, signed_in);
        Failure {
            headline: message.headline,
            detail: message.detail,
        }
    }
}

/// Everything the table shows, as signals the loader fills in.
#[derive(Clone, Copy)]
pub(super) struct TagData {
    pub(super) tags: RwSignal<Vec<String>>,
    pub(super) listing: RwSignal<Listing>,
    pub(super) digests: RwSignal<HashMap<String, Lookup<Digest>>>,
    pub(super) summaries: RwSignal<HashMap<Digest, Lookup<ImageSummary>>>,
    /// Which tags share an image: current digests only, never a re-checked one's.
    pub(super) shared: RwSignal<SharedDigests>,
    /// Tags whose digest in `digests` was learnt on an earlier visit of this tab and
    /// is being read again: shown, marked as such, never acted on as current.
    pub(super) rechecking: RwSignal<HashSet<String>>,
    /// The bulk change here: the run under way, and what failed in the last one.
    pub(super) bulk: BulkState,
    /// The latest listing started ([`TagData::start_listing`]).
    listing_run: StoredValue<u64>,
}

impl TagData {
    pub(super) fn new() -> Self {
        TagData {
            tags: RwSignal::new(Vec::new()),
            listing: RwSignal::new(Listing::Loading),
            digests: RwSignal::new(HashMap::new()),
            summaries: RwSignal::new(HashMap::new()),
            shared: RwSignal::new(SharedDigests::default()),
            rechecking: RwSignal::new(HashSet::new()),
            bulk: BulkState::default(),
            listing_run: StoredValue::new(0),
        }
    }

    /// Starts a listing of the tags: from now on only it writes the tag list and its
    /// state. One started before (a first listing still paging when a change was
    /// made, a refresh overtaken by a later one) may answer later, with a list read
    /// before the latest change.
    pub(super) fn start_listing(&self) -> u64 {
        self.listing_run
            .try_update_value(|run| {
                *run += 1;
                *run
            })
            .unwrap_or_default()
    }

    /// Whether `run` is still the latest listing (and its view is still there).
    pub(super) fn is_latest_listing(&self, run: u64) -> bool {
        self.listing_run.try_get_value() == Some(run)
    }

    /// Whether the registry's views these signals belong to were dropped (another
    /// registry was connected). Requests started for them may still answer, and
    /// batches may still be waiting: those answers go nowhere, and reading a dropped
    /// signal would stop the whole console.
    pub(super) fn is_gone(&self) -> bool {
        self.digests.is_disposed()
    }

    /// Digests known for the current tag list, counting those being re-checked.
    /// Nothing is left to read for views that are gone.
    pub(super) fn is_current(&self, tag: &str) -> bool {
        self.is_gone()
            || self.digests.with_untracked(|d| d.contains_key(tag))
                && !self.rechecking.with_untracked(|r| r.contains(tag))
    }

    pub(super) fn digest_of(&self, tag: &str) -> Option<Lookup<Digest>> {
        self.digests.with(|d| d.get(tag).cloned())
    }

    pub(super) fn summary_of(&self, tag: &str) -> Option<Lookup<ImageSummary>> {
        match self.digest_of(tag)? {
            Lookup::Ready(digest) => self.summaries.with(|s| s.get(&digest).cloned()),
            Lookup::Failed(_) => None,
        }
    }
}

/// What this tab learnt about each repository's tags, held by the registry views:
/// a repository opened again shows the digests it already knew at once, marked as
/// being re-checked, while they are read again. Summaries are keyed by digest, which
/// names immutable content, so they stay valid and are not read again.
#[derive(Clone, Copy)]
pub struct KnownTags(StoredValue<Known, LocalStorage>);

/// Repositories remembered at most (more while on screen or running a bulk change):
/// the least recently opened are forgotten, so memory does not grow with each visit.
const REPOSITORIES_KEPT: usize = 16;

struct Known {
    /// The registry views', so the signals outlive each tag view.
    owner: Owner,
    /// Each repository's data, under an owner of its own that disposes of its
    /// signals when it is forgotten.
    repositories: HashMap<String, (TagData, Owner)>,
    /// Names in `repositories`, least recently opened first.
    recency: Vec<String>,
    /// Repositories whose tag view is mounted, once per view.
    on_screen: Vec<String>,
    /// Asked for by [`KnownTags::ask_first_page`], for the tag view to take.
    first_page: Option<EarlyPage>,
}

/// How long an early first page waits for the tag view: one that comes later (its
/// code failed to arrive and was tried again, say) reads the page anew.
const EARLY_PAGE_KEPT_MS: f64 = 10_000.0;

struct EarlyPage {
    page: FirstTagPage,
    /// Stops its request.
    stop: web_sys::AbortController,
    asked_at: f64,
    /// The changes made in this tab when it was asked: one made since may be missing
    /// from its answer.
    changes_version: u64,
}

impl KnownTags {
    pub fn provide() -> KnownTags {
        let owner = Owner::current().expect("KnownTags is provided inside a view");
        let known_tags = KnownTags(StoredValue::new_local(Known {
            owner,
            repositories: HashMap::new(),
            recency: Vec::new(),
            on_screen: Vec::new(),
            first_page: None,
        }));
        provide_context(known_tags);
        known_tags
    }

    /// The repository's data, and whether this tab had opened it before. Called by
    /// its tag view, which counts as on screen until it is cleaned up.
    pub(super) fn data_for(&self, repository: &str) -> (TagData, bool) {
        let known_tags = *self;
        let name = repository.to_owned();
        on_cleanup(move || {
            known_tags.0.try_update_value(|known| {
                if let Some(at) = known.on_screen.iter().position(|n| *n == name) {
                    known.on_screen.swap_remove(at);
                }
            });
        });
        let known = self
            .0
            .with_value(|known| known.repositories.get(repository).map(|(d, _)| *d));
        let data = known.unwrap_or_else(|| {
            let owner = self.0.with_value(|known| known.owner.child());
            let data = owner.with(TagData::new);
            self.0.update_value(|known| {
                known
                    .repositories
                    .insert(repository.to_owned(), (data, owner));
            });
            data
        });
        let forgotten = self.0.try_update_value(|known| {
            known.on_screen.push(repository.to_owned());
            mark_used(&mut known.recency, repository);
            let pinned = |name: &str| {
                known.on_screen.iter().any(|n| n == name)
                    || known
                        .repositories
                        .get(name)
                        .is_some_and(|(d, _)| d.bulk.is_running())
            };
            let names = to_forget(&known.recency, REPOSITORIES_KEPT, pinned);
            known.recency.retain(|n| !names.contains(n));
            names
                .iter()
                .filter_map(|n| known.repositories.remove(n))
                .map(|(_, owner)| owner)
                .collect::<Vec<_>>()
        });
        // Outside the update: cleaning up may run code that reads what is known.
        for owner in forgotten.into_iter().flatten() {
            owner.cleanup();
        }
        (data, known.is_some())
    }

    /// Called as the registry views open `view`: when it is a repository this tab
    /// has not listed, asks for its first page of tags right away, while the tag
    /// view's code may still be on its way (`ui::on_demand`); the view takes it
    /// with [`KnownTags::take_first_page`]. A page asked for an earlier view and not
    /// taken is stopped.
    pub fn ask_first_page(&self, registry: &str, view: &View) {
        let early = match view {
            View::Repository { name } => Repository::parse(name).ok().filter(|repository| {
                self.0
                    .with_value(|known| !known.repositories.contains_key(repository.as_str()))
            }),
            _ => None,
        }
        .and_then(|repository| {
            let stop = web_sys::AbortController::new().ok()?;
            let api = Rc::new(net::registry(
                registry,
                net::FetchClient::cancelled_by(&stop),
            ));
            let page = api.first_tag_page(&repository);
            spawn_local(page.run());
            Some(EarlyPage {
                page,
                stop,
                asked_at: js_sys::Date::now(),
                changes_version: use_changes().version.get_untracked(),
            })
        });
        let dropped = self
            .0
            .try_update_value(|known| std::mem::replace(&mut known.first_page, early))
            .flatten();
        if let Some(dropped) = dropped {
            dropped.stop.abort();
        }
    }

    /// The first page [`KnownTags::ask_first_page`] asked for, once, if it is still
    /// fresh: asked for moments ago, with no change made in this tab since. Its
    /// request then stops when the calling view goes, like the view's own requests.
    pub(super) fn take_first_page(&self) -> Option<FirstTagPage> {
        let early = self
            .0
            .try_update_value(|known| known.first_page.take())
            .flatten()?;
        let fresh = js_sys::Date::now() - early.asked_at <= EARLY_PAGE_KEPT_MS
            && early.changes_version == use_changes().version.get_untracked();
        let stop = SendWrapper::new(early.stop);
        if !fresh {
            stop.abort();
            return None;
        }
        on_cleanup(move || stop.abort());
        Some(early.page)
    }
}
