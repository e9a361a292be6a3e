//! Registry operations (Distribution API v2), written once over [`HttpClient`].
//!
//! - this file: the [`Registry`] and how every request is sent (retries, size
//!   bound, errors);
//! - `listing`: the catalog and tag lists, following pagination;
//! - `heads`: manifest HEADs for digests (the first-pass Accept rule, how many at once);
//! - `manifests`, `blobs`: the manifest and blob endpoints.

mod blobs;
mod heads;
mod listing;
mod manifests;

pub use blobs::{MountOutcome, StoredBlob};
pub use heads::{
    first_pass_verdict, head_concurrency, FallBackReason, FirstPassVerdict, HeadPlan, ManifestHead,
    StoredKind, HTTP1_HEADS, MULTIPLEXED_HEADS,
};
pub use listing::{
    FirstTagPage, TagListing, CATALOG_PAGE_SIZE, MAX_LIST_BYTES, MAX_PAGES, TAG_PAGE_SIZE,
};
pub(crate) use manifests::manifest_error;
pub use manifests::DigestContent;

use super::error::{Attempt, MalformedReason, RegistryError};
use super::http::{HttpClient, Method, Request, Response, TransportFailure};
use super::intent::{Intent, Journal};
use super::media::MANIFEST_ACCEPT;
use super::names::{Digest, Reference, Repository};

/// Tries of a read the registry answers 429 to, and the longest wait between them.
const RATE_LIMITED_TRIES: usize = 3;
const MAX_RETRY_AFTER_MS: u32 = 10_000;

/// A registry at a base URL such as `http://127.0.0.1:5000` (no trailing `/v2`).
pub struct Registry<C> {
    base: String,
    client: C,
    journal: Option<Journal>,
    /// How the tag lookups of changes (re-reads before and after writing, who else
    /// uses an image) send their HEADs: the full Accept only, unless
    /// [`Registry::with_first_pass_lookups`].
    pub(crate) lookups: HeadPlan,
    /// How many of those lookups are in flight at once.
    pub(crate) lookup_concurrency: usize,
    /// Where this registry removes tags by placeholder: the run's own, or the tab's
    /// ([`Registry::sharing_removal_ways`]).
    pub(crate) removes_by_placeholder: RemovalWays,
    /// Whether this registry's storage was found unreadable from here: the tag
    /// table's summaries then stop asking it for every configuration.
    pub(crate) storage: StorageReach,
}

/// How a registry removes: where it was seen to refuse DELETE by tag and to delete
/// by digest (distribution 2.8), so that those repositories' next removals go
/// straight to a placeholder without asking both again for every tag; and whether it
/// deletes at all, once asked ([`Registry::deletes_enabled`]: a bulk removal or a
/// clean-up asks before it starts, and its removals then need not ask again). A
/// registry's storage settings do not change while it runs; the tab keeps "does not
/// delete" across reloads (`ui::deletes_check`), until asked again.
#[derive(Clone, Default)]
pub struct RemovalWays(std::rc::Rc<Ways>);

#[derive(Default)]
pub(crate) struct Ways {
    by_placeholder: std::cell::RefCell<Vec<Repository>>,
    deletes: std::cell::Cell<Option<bool>>,
    /// Told when whether the registry deletes is learnt: the views then disable what
    /// would need a delete.
    on_deletes_learnt: std::cell::RefCell<Option<std::rc::Rc<dyn Fn()>>>,
    /// Held through each placeholder cycle (tag put on the placeholder, placeholder
    /// deleted), so that no two overlap: those of one bulk removal, and, shared with
    /// the tab, those of another run, an Undo or a dialog (`detach_with_placeholder`).
    placeholder_cycle: futures_util::lock::Mutex<()>,
}

impl RemovalWays {
    pub(crate) fn by_placeholder(&self, repository: &Repository) -> bool {
        self.0.by_placeholder.borrow().contains(repository)
    }

    /// Several images' first removals can learn it at once: kept once.
    pub(crate) fn learn_by_placeholder(&self, repository: &Repository) {
        let mut known = self.0.by_placeholder.borrow_mut();
        if !known.contains(repository) {
            known.push(repository.clone());
        }
    }

    /// Whether the registry deletes, if it was asked.
    pub fn deletes(&self) -> Option<bool> {
        self.0.deletes.get()
    }

    pub(crate) fn learn_deletes(&self, enabled: bool) {
        if self.0.deletes.replace(Some(enabled)) != Some(enabled) {
            let listener = self.0.on_deletes_learnt.borrow().clone();
            if let Some(listener) = listener {
                listener();
            }
        }
    }

    /// Waits for the placeholder cycle under way anywhere this is shared, and holds
    /// off the next until the guard is dropped.
    pub(crate) async fn one_placeholder_cycle(&self) -> futures_util::lock::MutexGuard<'_, ()> {
        self.0.placeholder_cycle.lock().await
    }

    /// Calls `listener` whenever whether the registry deletes is learnt.
    pub fn on_deletes_learnt(&self, listener: impl Fn() + 'static) {
        *self.0.on_deletes_learnt.borrow_mut() = Some(std::rc::Rc::new(listener));
    }
}

/// Whether blobs this registry sends from its storage (cloud storage behind a
/// redirect) were seen unreadable from this page: a configuration read failed there
/// after the registry redirected it ([`RegistryError::StorageUnreadable`]). Every blob
/// lives in the same storage behind the same rules, so the summaries of the other
/// images do not ask again (three failing requests each); a reload tries anew.
///
/// Until a first configuration read has ended, the others wait for it
/// ([`StorageReach::first_read`]): the tag table starts several at once, and on
/// storage this page cannot read each of them would fail three times.
#[derive(Clone, Default)]
pub struct StorageReach(std::rc::Rc<Reach>);

#[derive(Default)]
pub(crate) struct Reach {
    unreadable: std::cell::Cell<bool>,
    /// A configuration read ended (whatever its outcome): the rest run side by side.
    tried: std::cell::Cell<bool>,
    /// Held by the read that is first, while it runs.
    first_read: futures_util::lock::Mutex<()>,
}

impl StorageReach {
    pub(crate) fn known_unreadable(&self) -> bool {
        self.0.unreadable.get()
    }

    pub(crate) fn learn_unreadable(&self) {
        self.0.unreadable.set(true);
    }

    /// Runs `read` (a configuration read) once a first one has ended; the first runs
    /// at once, the others it waits for follow it. A first read that is dropped
    /// (its view closed) hands the turn to the next.
    pub(crate) async fn after_first_read<T>(
        &self,
        read: impl std::future::Future<Output = T>,
    ) -> T {
        if !self.0.tried.get() {
            let _turn = self.0.first_read.lock().await;
            if !self.0.tried.get() {
                let outcome = read.await;
                self.0.tried.set(true);
                return outcome;
            }
        }
        read.await
    }
}

impl<C: HttpClient> Registry<C> {
    pub fn new(base_url: &str, client: C) -> Self {
        Registry {
            base: base_url.trim_end_matches('/').to_owned(),
            client,
            journal: None,
            lookups: HeadPlan::fixed(None),
            lookup_concurrency: crate::oci::changes::CONCURRENT_LOOKUPS,
            removes_by_placeholder: RemovalWays::default(),
            storage: StorageReach::default(),
        }
    }

    /// Tag lookups in flight at once: what the connection to the registry takes
    /// ([`head_concurrency`]), as for the tag view's HEADs. Over HTTP/2 a clean-up
    /// or bulk removal then looks up 48 tags at a time instead of 6.
    pub fn with_lookup_concurrency(mut self, concurrency: usize) -> Self {
        self.lookup_concurrency = concurrency.max(1);
        self
    }

    /// Tag lookups start with a CORS-safelisted first pass, as the tag view's HEADs
    /// do ([`Registry::manifest_head_fast`]): across origins each full-Accept HEAD
    /// costs a preflight, and a bulk removal or clean-up looks up every tag of the
    /// repository. The answers are the full Accept's by [`first_pass_verdict`].
    pub fn with_first_pass_lookups(mut self) -> Self {
        self.lookups = HeadPlan::adaptive();
        self
    }

    /// Removals learn from, and teach, `ways` (what earlier runs against this
    /// registry found), instead of only their own run: a tab's second dialog does not
    /// send a DELETE by tag that the registry refused to its first.
    pub fn sharing_removal_ways(mut self, ways: RemovalWays) -> Self {
        self.removes_by_placeholder = ways;
        self
    }

    /// Reads learn from, and teach, `reach` (whether the tab found this registry's
    /// storage unreadable), instead of each view finding it out again.
    pub fn sharing_storage_reach(mut self, reach: StorageReach) -> Self {
        self.storage = reach;
        self
    }

    /// Changes made through this registry tell `journal` what they are about to
    /// write before they write it, so a change cut short (the tab closed) can be
    /// reconciled afterwards ([`Registry::reconcile`]).
    pub fn journaled(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Waits before reading again (see `HttpClient::pause`).
    pub(crate) async fn pause(&self, ms: u32) {
        self.client.pause(ms).await;
    }

    /// Tells the journal, if any, what a change is about to write; false when it
    /// could not record it (the change must not start then).
    pub(crate) fn note_intent(&self, intent: Intent) -> bool {
        self.journal.as_ref().is_none_or(|journal| journal(&intent))
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends a request and turns anything but 2xx into a typed error.
    ///
    /// Reads may be asked again: once after a 5xx (distribution answers 500 to a read
    /// that races a write of the same manifest), once after a connection that dropped
    /// without an answer (a server closing a busy connection, as nginx does after 1000
    /// requests on one: a 10,000-tag view would show a few rows as unreadable), and
    /// after a 429 as its Retry-After says (bounded). Never after a timeout or a
    /// cancel. A write is never sent twice: whether it was applied is for the
    /// caller to find out by reading the registry again.
    async fn execute(&self, request: Request) -> Result<Response, RegistryError> {
        // Bounded: the URL may be the registry's (a next-page link, an upload location).
        let attempt = Attempt::new(request.method, &request.url);
        let limit = request.response_limit;
        let is_read = request.is_read();
        let mut server_errors = 0;
        let mut dropped = 0;
        let mut rate_limited = 0;
        let response = loop {
            let response = match self.client.send(request.clone()).await {
                Ok(response) => response,
                Err(TransportFailure::Network(_))
                    if is_read && request.again_if_dropped && dropped == 0 =>
                {
                    dropped += 1;
                    continue;
                }
                Err(failure) => return Err(RegistryError::from_transport(attempt, failure)),
            };
            if is_read && response.status >= 500 && server_errors == 0 {
                server_errors += 1;
                continue;
            }
            if is_read && response.status == 429 && rate_limited + 1 < RATE_LIMITED_TRIES {
                rate_limited += 1;
                self.client
                    .pause(retry_after_ms(&response, rate_limited))
                    .await;
                continue;
            }
            break response;
        };
        // Also checked here, whatever the transport did: nothing above the limit
        // reaches a parser.
        if response.body.len() > limit {
            return Err(RegistryError::TooLarge {
                attempt,
                size: response.body.len(),
                limit,
            });
        }
        if response.is_success() || (response.is_redirect() && !request.follow_redirects) {
            Ok(response)
        } else {
            Err(RegistryError::from_response(attempt, &response))
        }
    }

    /// `GET /v2/`: is this an OCI / Docker registry we may talk to?
    pub async fn check_api(&self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        // With the manifest Accept list, as every manifest request sends it: across
        // origins that needs a CORS preflight, so a registry that answers plain GETs
        // but refuses the preflight is caught here, not row by row later.
        let request = Request::new(Method::Get, &url).header("Accept", MANIFEST_ACCEPT);
        let response = self.execute(request).await?;
        // A registry answers JSON (usually `{}`); an HTML page means a web server
        // that is not a registry, for instance a wrong port.
        let looks_like_registry = response.header("docker-distribution-api-version").is_some()
            || serde_json::from_slice::<serde_json::Value>(&response.body).is_ok();
        if looks_like_registry {
            Ok(())
        } else {
            Err(RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url,
                },
                reason: MalformedReason::NotARegistryApi,
            })
        }
    }

    /// The manifest URL for a tag or digest. A [`Reference`] is validated when it is
    /// parsed (tags come from the registry's own lists, and nothing a registry sends
    /// goes into a URL unvalidated).
    fn manifest_url(&self, repository: &Repository, reference: &Reference) -> String {
        format!("{}/v2/{repository}/manifests/{reference}", self.base)
    }

    fn blob_url(&self, repository: &Repository, digest: &Digest) -> String {
        format!("{}/v2/{repository}/blobs/{digest}", self.base)
    }
    /// Sends a read (GET or HEAD) with the same retries, size check and error
    /// classification as every request here; for protocol modules that build their
    /// own requests (the referrers API in `oci::referrers`).
    pub(crate) async fn send_read(&self, request: Request) -> Result<Response, RegistryError> {
        debug_assert!(request.is_read(), "send_read is for GET and HEAD only");
        self.execute(request).await
    }
}

/// How long to wait before asking again after the `attempt`th 429: Retry-After
/// seconds when given, else 1 s, 2 s, …; never more than `MAX_RETRY_AFTER_MS`.
/// Whether `url` is a blob's (`…/v2/<repository>/blobs/<digest>`), the only requests
/// a registry redirects to its storage elsewhere.
pub fn is_blob_url(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    path.split_once("/v2/")
        .and_then(|(_, rest)| rest.rsplit_once("/blobs/"))
        .is_some_and(|(repository, digest)| {
            !repository.is_empty() && !digest.is_empty() && !digest.contains('/')
        })
}

fn retry_after_ms(response: &Response, attempt: usize) -> u32 {
    let asked = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|seconds| seconds.saturating_mul(1000));
    asked
        .unwrap_or(1000 * attempt as u32)
        .min(MAX_RETRY_AFTER_MS)
}
