//! Registry operations (Distribution API v2), written once over [`HttpClient`].

use std::cell::Cell;

use serde::Deserialize;

use super::error::{Attempt, MalformedReason, RegistryError};
use super::http::{HttpClient, Method, Request, Response, TransportFailure};
use super::intent::{Intent, Journal};
use super::manifest::{Descriptor, ImageConfig, Manifest, ManifestError, ManifestKind};
use super::media::{
    essence, FirstPassAccept, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MANIFEST_ACCEPT,
    MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, OCI_INDEX, OCI_MANIFEST,
};
use super::names::{Digest, Reference, Repository, Tag};
use super::pagination::{next_page_url, origin_of, resolve};

/// Catalog page size asked for; distribution refuses `n` above 1000.
pub const CATALOG_PAGE_SIZE: usize = 1000;

/// Tag list page size asked for. A page of exactly this many tags without a readable
/// `Link` may be followed by pages this page cannot see.
pub const TAG_PAGE_SIZE: usize = 1000;

/// Pages followed at most: a registry whose links never end must not loop forever.
pub const MAX_PAGES: usize = 1000;

/// How a name goes into `last=`: unreserved characters as they are.
const LAST_NAME: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Tries of a read the registry answers 429 to, and the longest wait between them.
const RATE_LIMITED_TRIES: usize = 3;
const MAX_RETRY_AFTER_MS: u32 = 10_000;

/// The tags of a repository, and whether the list may lack pages this page could
/// not read (a page without a readable `Link` whose continuation could not be asked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagListing {
    pub tags: Vec<String>,
    pub may_be_incomplete: bool,
}

/// A registry at a base URL such as `http://127.0.0.1:5000` (no trailing `/v2`).
pub struct Registry<C> {
    base: String,
    client: C,
    journal: Option<Journal>,
    /// Held through each placeholder cycle (tag put on the placeholder, placeholder
    /// deleted), so the changes of one run (a bulk removal) never overlap there: see
    /// `detach_with_placeholder`.
    pub(crate) placeholder_cycle: futures_util::lock::Mutex<()>,
}

impl<C: HttpClient> Registry<C> {
    pub fn new(base_url: &str, client: C) -> Self {
        Registry {
            base: base_url.trim_end_matches('/').to_owned(),
            client,
            journal: None,
            placeholder_cycle: futures_util::lock::Mutex::new(()),
        }
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

    pub(crate) fn note_intent(&self, intent: Intent) {
        if let Some(journal) = &self.journal {
            journal(&intent);
        }
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
        let attempt = Attempt {
            method: request.method,
            url: request.url.clone(),
        };
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
        if response.is_success() {
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

    /// Every repository name, following pagination to the end.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let listed = self.catalog_listing().await?;
        if listed.may_be_incomplete {
            return Err(RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url: format!("{}/v2/_catalog", self.base),
                },
                reason: MalformedReason::CatalogIncomplete,
            });
        }
        Ok(listed.tags)
    }

    /// Every repository name, with whether the list may lack pages this page could
    /// not read (for searches that must say so rather than fail).
    pub async fn catalog_listing(&self) -> Result<TagListing, RegistryError> {
        let first = format!("{}/v2/_catalog", self.base);
        self.list_names(first, CATALOG_PAGE_SIZE, |_| {}).await
    }

    /// Every tag of `repository`; `on_page` sees each page as it arrives, so a view
    /// can show the first tags while the rest load.
    pub async fn tags(
        &self,
        repository: &Repository,
        on_page: impl FnMut(&[String]),
    ) -> Result<TagListing, RegistryError> {
        let first = format!("{}/v2/{repository}/tags/list", self.base);
        self.list_names(first, TAG_PAGE_SIZE, on_page).await
    }

    /// Reads a paged list of names (`tags` or `repositories`) to its end. Pages are
    /// followed by their `Link: rel="next"`; when a page carries no readable Link
    /// (across origins CORS hides it unless exposed), the rest is asked for with
    /// `last=<last name>` until a page adds nothing, so a registry that pages is read
    /// whole even so. Only when that cannot be done is the list marked as possibly
    /// incomplete.
    async fn list_names(
        &self,
        base_url: String,
        page_size: usize,
        mut on_page: impl FnMut(&[String]),
    ) -> Result<TagListing, RegistryError> {
        let mut url = format!("{base_url}?n={page_size}");
        let mut listing = TagListing::default();
        let mut seen_urls = std::collections::HashSet::new();
        // Names of earlier pages, to drop repeats; made only once a second page brings
        // names, so a list that comes in one page is never copied.
        let mut seen_names: Option<std::collections::HashSet<String>> = None;
        let mut asked_after_last = false;
        // Once a Link was readable, Link headers are exposed: a page without one is
        // the last.
        let mut links_readable = false;
        loop {
            let attempt = Attempt {
                method: Method::Get,
                url: url.clone(),
            };
            if !seen_urls.insert(url.clone()) {
                return Err(RegistryError::Malformed {
                    attempt,
                    reason: MalformedReason::RepeatedNextPage,
                });
            }
            if seen_urls.len() > MAX_PAGES {
                listing.may_be_incomplete = true;
                return Ok(listing);
            }
            let response = match self.execute(Request::new(Method::Get, &url)).await {
                // The first page decides; a failed look past the end leaves doubt.
                Err(_) if asked_after_last => {
                    listing.may_be_incomplete = true;
                    return Ok(listing);
                }
                other => other?,
            };
            let page: NamesPage =
                serde_json::from_slice(&response.body).map_err(|e| RegistryError::Malformed {
                    attempt: attempt.clone(),
                    reason: MalformedReason::UnexpectedJson {
                        error: e.to_string(),
                    },
                })?;
            // distribution answers `"tags": null` once every tag was deleted.
            let names = page.tags.or(page.repositories).unwrap_or_default();
            let names_on_page = names.len();
            if seen_names.is_none() && !listing.tags.is_empty() && !names.is_empty() {
                seen_names = Some(listing.tags.iter().cloned().collect());
            }
            let fresh: Vec<String> = match &seen_names {
                Some(seen) => names.into_iter().filter(|n| !seen.contains(n)).collect(),
                None => names,
            };
            // Asked for what comes after the last name, a page with nothing new means
            // the registry ignores `last`. Whether it had sent everything at once, or
            // pages by `n` with links this page cannot read, one more question tells.
            if asked_after_last && fresh.is_empty() && names_on_page > 0 {
                listing.may_be_incomplete =
                    listing.tags.len() > 1 && self.pages_by_n(&base_url).await.unwrap_or(true);
                return Ok(listing);
            }
            if let Some(seen) = &mut seen_names {
                seen.extend(fresh.iter().cloned());
            }
            on_page(&fresh);
            let ignores_n = names_on_page > page_size;
            let last = fresh.last().cloned();
            listing.tags.extend(fresh);
            let link = response.header("link");
            links_readable |= link.is_some();
            let next = match link {
                Some(link) => next_page_url(link, &url).map_err(|e| RegistryError::Malformed {
                    attempt,
                    reason: MalformedReason::NextPageLink(e),
                })?,
                None => None,
            };
            url = match (next, last) {
                (Some(next), _) => {
                    asked_after_last = false;
                    next
                }
                // A readable Link without "next", a registry that sends everything at
                // once, or an empty page: that was the end.
                (None, _) if links_readable || ignores_n => return Ok(listing),
                (None, None) => return Ok(listing),
                (None, Some(last)) => {
                    asked_after_last = true;
                    format!(
                        "{base_url}?n={page_size}&last={}",
                        percent_encoding::utf8_percent_encode(&last, LAST_NAME)
                    )
                }
            };
        }
    }
}

impl<C: HttpClient> Registry<C> {
    /// Whether the list at `base_url` honours `n` (asked for one name, sends one).
    async fn pages_by_n(&self, base_url: &str) -> Result<bool, RegistryError> {
        let response = self
            .execute(Request::new(Method::Get, format!("{base_url}?n=1")))
            .await?;
        let page: NamesPage =
            serde_json::from_slice(&response.body).map_err(|e| RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url: format!("{base_url}?n=1"),
                },
                reason: MalformedReason::UnexpectedJson {
                    error: e.to_string(),
                },
            })?;
        Ok(page.tags.or(page.repositories).unwrap_or_default().len() <= 1)
    }
}

/// How long to wait before asking again after the `attempt`th 429: Retry-After
/// seconds when given, else 1 s, 2 s, …; never more than `MAX_RETRY_AFTER_MS`.
fn retry_after_ms(response: &Response, attempt: usize) -> u32 {
    let asked = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|seconds| seconds.saturating_mul(1000));
    asked
        .unwrap_or(1000 * attempt as u32)
        .min(MAX_RETRY_AFTER_MS)
}

/// What `HEAD` on a manifest tells without downloading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`; `None` when CORS does not expose it.
    pub digest: Option<Digest>,
    pub size: Option<u64>,
    pub media_type: Option<String>,
}

impl ManifestHead {
    fn of(response: &Response) -> Self {
        ManifestHead {
            digest: response
                .header("docker-content-digest")
                .and_then(|d| Digest::parse(d.trim()).ok()),
            size: response
                .header("content-length")
                .and_then(|l| l.trim().parse().ok()),
            media_type: response.header("content-type").map(str::to_owned),
        }
    }
}

/// Whether an answer to a first-pass HEAD ([`Registry::manifest_head_fast`]) may be
/// used as it is, or the full-Accept HEAD must be asked.
///
/// # Why
/// Across origins, a HEAD with the full four-type Accept ([`MANIFEST_ACCEPT`], 196
/// bytes) is not a CORS "simple" request: the browser sends an OPTIONS preflight
/// before each one, and caches it per URL, so every tag costs two round trips. An
/// `Accept` of at most 128 bytes is safelisted; at most two manifest types fit. But a
/// registry answers differently when a type is missing from Accept, so an answer to
/// a shorter Accept is only worth something when it cannot differ from the answer to
/// the full one.
///
/// # What registries do with a shorter Accept
/// As distribution does (2.8, measured here, and 3.x, from its manifest handler):
/// 1. a Docker manifest list asked for by tag, without the list type in Accept, is
///    replaced by its linux/amd64 child, served as that child is stored (Docker v2,
///    OCI manifest, even an index) with the child's digest; a Docker v2 child is
///    then converted to schema 1 (2.8) or refused (3.x) when Docker v2 is not
///    accepted either;
/// 2. a Docker v2 manifest asked for by tag without Docker v2 in Accept is converted
///    to schema 1 (2.8);
/// 3. an OCI manifest or index whose type is not accepted is answered 404.
///
/// Conversion 1 can produce every manifest type, so no answer to an Accept without
/// the Docker list type is ever trusted: asked with "OCI index, OCI manifest", a
/// Docker list whose amd64 child is an OCI manifest answers with that child,
/// Content-Type OCI manifest, and the child's digest (tests/browser.rs pushes one
/// and sees it). With the list type in Accept, conversion 1 never happens;
/// conversion 2 produces only schema 1, and 3 no manifest at all.
///
/// # The rule
/// An answer is trusted only when all of these hold:
/// - the Accept listed the Docker manifest list type ([`DOCKER_MANIFEST_LIST`]);
/// - the status is 200;
/// - the Content-Type, parameters aside, is one of the manifest types the Accept
///   listed (so it is not a schema 1 conversion, nor a type served whatever Accept
///   says);
/// - `Docker-Content-Digest` was readable and well-formed.
///
/// Such an answer is the stored manifest as it is stored, which is exactly what the
/// full Accept gets (it lists every type, so it is never converted). Everything else
/// falls back to the full-Accept HEAD: another status (a 404 here says only "not of
/// a type this Accept listed", never "no such tag"), a Content-Type not listed, a
/// missing Content-Type or digest (CORS may hide the digest).
///
/// Assumption: a registry converts no further than distribution does. One that
/// translated between OCI and Docker types (served an OCI index as a Docker list to
/// a client not accepting OCI, say) would defeat this rule; none is known to.
pub fn first_pass_verdict(
    accepted: &[&str],
    status: u16,
    content_type: Option<&str>,
    digest: Option<&Digest>,
) -> FirstPassVerdict {
    use FirstPassVerdict::{FallBack, Trust};
    if !accepted.contains(&DOCKER_MANIFEST_LIST) {
        return FallBack(FallBackReason::MayBeConverted);
    }
    if status != 200 {
        return FallBack(FallBackReason::Status(status));
    }
    let Some(content_type) = content_type else {
        return FallBack(FallBackReason::NoContentType);
    };
    let essence = essence(content_type);
    let stored = [
        OCI_INDEX,
        OCI_MANIFEST,
        DOCKER_MANIFEST_LIST,
        DOCKER_MANIFEST,
    ];
    if !stored.contains(&essence.as_str()) || !accepted.contains(&essence.as_str()) {
        return FallBack(FallBackReason::TypeNotAsked);
    }
    if digest.is_none() {
        return FallBack(FallBackReason::NoDigest);
    }
    Trust
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstPassVerdict {
    /// The answer is the one the full Accept gets.
    Trust,
    /// Ask again with the full Accept.
    FallBack(FallBackReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallBackReason {
    /// The Accept lacked the Docker list type: a list may have become its child.
    MayBeConverted,
    /// Not 200.
    Status(u16),
    NoContentType,
    /// The Content-Type is not a manifest type the Accept listed.
    TypeNotAsked,
    /// `Docker-Content-Digest` missing, hidden by CORS or malformed.
    NoDigest,
}

/// What a tag turned out to be stored as, as far as choosing a first pass goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    DockerList,
    DockerManifest,
    OciManifest,
    OciIndex,
    /// Schema 1, another type, or an answer no first pass could use (no readable
    /// digest or Content-Type).
    Other,
}

impl StoredKind {
    /// From a full or trusted answer.
    pub fn of(head: &ManifestHead) -> Self {
        let Some(media_type) = head.media_type.as_deref().filter(|_| head.digest.is_some()) else {
            return StoredKind::Other;
        };
        match essence(media_type).as_str() {
            DOCKER_MANIFEST_LIST => StoredKind::DockerList,
            DOCKER_MANIFEST => StoredKind::DockerManifest,
            OCI_MANIFEST => StoredKind::OciManifest,
            OCI_INDEX => StoredKind::OciIndex,
            _ => StoredKind::Other,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which first pass [`Registry::manifest_head_fast`] sends next, for one repository.
///
/// Every first pass it can choose lists the Docker list type, so each is safe by
/// [`first_pass_verdict`]; the choice only decides how often the first pass is
/// wasted. A trusted first pass takes one round trip instead of two (preflight and
/// HEAD); one that falls back takes three. So it pays while more than half the tags
/// are served by it.
///
/// An adaptive plan counts the stored type of every tag resolved (from the trusted
/// answer, or the full-Accept answer after a fall back) and sends the Docker list
/// type plus the single type seen most (ties go Docker v2, OCI manifest, OCI index).
/// Until any answer arrived, the first wave's HEADs take turns with the three
/// choices, so whatever the repository holds, some row's digest comes with the
/// first round trip instead of after a wasted first pass, preflight and HEAD. While at most half the tags seen are of the
/// list type or that type (schema 1, artifacts, a registry hiding
/// Docker-Content-Digest), it sends no first pass, and starts again once that
/// changes.
#[derive(Debug, Default)]
pub struct HeadPlan {
    /// `None`: adaptive; `Some(choice)`: always `choice` (`Some(None)`: never a
    /// first pass, the full Accept only).
    fixed: Option<Option<FirstPassAccept>>,
    /// Tags seen per [`StoredKind`].
    seen: Cell<[u32; 5]>,
    /// First passes chosen before any answer arrived (the first wave's turns).
    opening: Cell<u32>,
    trusted: Cell<u32>,
    fell_back: Cell<u32>,
}

impl HeadPlan {
    pub fn adaptive() -> Self {
        HeadPlan::default()
    }

    /// Always the same first pass; `None` sends the full Accept only, as before
    /// first passes existed.
    pub fn fixed(first_pass: Option<FirstPassAccept>) -> Self {
        HeadPlan {
            fixed: Some(first_pass),
            ..HeadPlan::default()
        }
    }

    /// The Accept the next first pass would use, or `None` for the full Accept at
    /// once. Only looks: [`HeadPlan::next_first_pass`] is what a HEAD takes.
    pub fn first_pass(&self) -> Option<FirstPassAccept> {
        self.choose(false)
    }

    /// The first pass for a HEAD about to leave; before any answer, each call takes
    /// the next turn of the opening wave.
    pub fn next_first_pass(&self) -> Option<FirstPassAccept> {
        self.choose(true)
    }

    fn choose(&self, take_turn: bool) -> Option<FirstPassAccept> {
        if let Some(fixed) = self.fixed {
            return fixed;
        }
        let seen = self.seen.get();
        let total: u32 = seen.iter().sum();
        if total == 0 {
            let turn = self.opening.get();
            if take_turn {
                self.opening.set(turn.wrapping_add(1));
            }
            let choices = [
                FirstPassAccept::DockerManifest,
                FirstPassAccept::OciManifest,
                FirstPassAccept::OciIndex,
            ];
            return Some(choices[turn as usize % choices.len()]);
        }
        let count = |kind: StoredKind| seen[kind.index()];
        let mut best = FirstPassAccept::DockerManifest;
        for (candidate, kind) in [
            (FirstPassAccept::OciManifest, StoredKind::OciManifest),
            (FirstPassAccept::OciIndex, StoredKind::OciIndex),
        ] {
            if count(kind) > count(Self::kind_of(best)) {
                best = candidate;
            }
        }
        let served = count(StoredKind::DockerList) + count(Self::kind_of(best));
        (2 * served > total).then_some(best)
    }

    fn kind_of(first_pass: FirstPassAccept) -> StoredKind {
        match first_pass {
            FirstPassAccept::DockerManifest => StoredKind::DockerManifest,
            FirstPassAccept::OciManifest => StoredKind::OciManifest,
            FirstPassAccept::OciIndex => StoredKind::OciIndex,
        }
    }

    /// One tag resolved: stored as `kind`, by a trusted first pass or not.
    pub fn record(&self, kind: StoredKind, trusted: bool) {
        let mut seen = self.seen.get();
        seen[kind.index()] += 1;
        self.seen.set(seen);
        let counter = if trusted {
            &self.trusted
        } else {
            &self.fell_back
        };
        counter.set(counter.get() + 1);
    }

    /// Tags resolved so far by a trusted first pass, and by the full Accept.
    pub fn counts(&self) -> (u32, u32) {
        (self.trusted.get(), self.fell_back.get())
    }
}

/// HEADs in flight at once while resolving a repository's digests, from the
/// protocol the browser reached the registry with (Resource Timing's
/// `nextHopProtocol`): HTTP/1.1 gets 6 connections per origin in Chromium; HTTP/2 and
/// HTTP/3 multiplex many on one. Unknown (empty: cross-origin entries may hide it)
/// counts as HTTP/1.1.
pub fn head_concurrency(next_hop_protocol: Option<&str>) -> usize {
    match next_hop_protocol {
        Some("h2" | "h3") => MULTIPLEXED_HEADS,
        _ => HTTP1_HEADS,
    }
}

/// HEADs in flight over HTTP/1.1: Chromium's 6 connections per origin, plus 2 waiting
/// in the browser's own queue, so a connection that frees takes the next HEAD at once
/// instead of after a trip through the page's main thread. Measured with 20 ms latency
/// on 1000 tags: a freed connection waited 5.4 ms on average with 6, 1.9 ms with 8;
/// all digests 7.2 s → 6.8 s. Only 2 requests can wait behind a row scrolled onto the
/// screen.
pub const HTTP1_HEADS: usize = 8;

/// HEADs in flight over HTTP/2 or HTTP/3. Measured with 20 ms latency through nginx
/// (bench/results.md): a bare loop took 5.5 s for 1000 HEADs at 24, 4.3 s at 48 and
/// no less at 64; registries limit concurrent streams anyway (nginx: 128).
pub const MULTIPLEXED_HEADS: usize = 48;

/// The answer to a cross-repository mount request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountOutcome {
    /// 201: the blob now exists in the target repository.
    Mounted,
    /// 202: the registry would not mount and opened an upload session instead; the
    /// caller must upload the blob (or abandon the session at `location`).
    UploadStarted { location: String },
}

impl<C: HttpClient> Registry<C> {
    /// The manifest URL for a tag or digest. A [`Reference`] is validated when it is
    /// parsed (tags come from the registry's own lists, and nothing a registry sends
    /// goes into a URL unvalidated).
    fn manifest_url(&self, repository: &Repository, reference: &Reference) -> String {
        format!("{}/v2/{repository}/manifests/{reference}", self.base)
    }

    fn blob_url(&self, repository: &Repository, digest: &Digest) -> String {
        format!("{}/v2/{repository}/blobs/{digest}", self.base)
    }

    /// GETs a manifest by tag or digest with every manifest type accepted, hashes the
    /// exact bytes, and checks them against the digest asked for and against
    /// `Docker-Content-Digest` when readable.
    pub async fn manifest_get(
        &self,
        repository: &Repository,
        reference: impl Into<Reference>,
    ) -> Result<Manifest, RegistryError> {
        let (attempt, bytes, content_type) = self.manifest_bytes(repository, reference).await?;
        Manifest::parse(bytes, content_type.as_deref()).map_err(|e| manifest_error(attempt, e))
    }

    /// The bytes of a manifest and their Content-Type, checked like
    /// [`Registry::manifest_get`]'s but not parsed: for a caller that reads a document
    /// some of whose entries may be malformed (a referrers index) entry by entry.
    pub async fn manifest_bytes(
        &self,
        repository: &Repository,
        reference: impl Into<Reference>,
    ) -> Result<(Attempt, Vec<u8>, Option<String>), RegistryError> {
        let reference = reference.into();
        let url = self.manifest_url(repository, &reference);
        let attempt = Attempt {
            method: Method::Get,
            url: url.clone(),
        };
        let response = self
            .execute(
                Request::new(Method::Get, &url)
                    .header("Accept", MANIFEST_ACCEPT)
                    .response_limit(MAX_MANIFEST_BYTES),
            )
            .await?;
        let expected = reference.digest().cloned().or_else(|| {
            response
                .header("docker-content-digest")
                .and_then(|d| Digest::parse(d.trim()).ok())
        });
        if let Some(expected) = expected {
            if !expected.verify(&response.body) {
                return Err(RegistryError::DigestMismatch {
                    attempt,
                    expected: expected.to_string(),
                    actual: Digest::sha256_of(&response.body).to_string(),
                });
            }
        }
        let content_type = response.header("content-type").map(str::to_owned);
        Ok((attempt, response.body, content_type))
    }

    /// HEAD on a manifest: digest, size and type without the body.
    pub async fn manifest_head(
        &self,
        repository: &Repository,
        reference: impl Into<Reference>,
    ) -> Result<ManifestHead, RegistryError> {
        let url = self.manifest_url(repository, &reference.into());
        let response = self
            .execute(Request::new(Method::Head, &url).header("Accept", MANIFEST_ACCEPT))
            .await?;
        Ok(ManifestHead::of(&response))
    }

    /// HEAD on a manifest, first with a CORS-safelisted Accept (no preflight across
    /// origins) chosen by `plan`, trusted only as [`first_pass_verdict`] allows; else
    /// with the full Accept, exactly as [`Registry::manifest_head`]. The answer is
    /// always the one the full Accept gets; errors, "not found" included, come only
    /// from the full-Accept HEAD. `plan` learns from every answer.
    pub async fn manifest_head_fast(
        &self,
        repository: &Repository,
        reference: impl Into<Reference>,
        plan: &HeadPlan,
    ) -> Result<ManifestHead, RegistryError> {
        let reference = reference.into();
        if let Some(first) = plan.next_first_pass() {
            let url = self.manifest_url(repository, &reference);
            let request = Request::new(Method::Head, &url).header("Accept", first.header());
            match self.execute(request).await {
                Ok(response) => {
                    let head = ManifestHead::of(&response);
                    let verdict = first_pass_verdict(
                        &first.types(),
                        response.status,
                        head.media_type.as_deref(),
                        head.digest.as_ref(),
                    );
                    if verdict == FirstPassVerdict::Trust {
                        plan.record(StoredKind::of(&head), true);
                        return Ok(head);
                    }
                }
                // The view went away: nothing more to ask.
                Err(error @ RegistryError::Aborted { .. }) => return Err(error),
                // Any other failure may be the first pass's own (a 404 only means
                // "not of a type this Accept listed"): the full Accept decides.
                Err(_) => {}
            }
        }
        let head = self.manifest_head(repository, reference).await?;
        plan.record(StoredKind::of(&head), false);
        Ok(head)
    }

    /// PUTs `bytes` unchanged under `reference` (a tag, or the bytes' own digest) with
    /// `content_type`, and checks the digest the registry reports against the bytes'.
    pub async fn manifest_put(
        &self,
        repository: &Repository,
        reference: impl Into<Reference>,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<Digest, RegistryError> {
        let url = self.manifest_url(repository, &reference.into());
        let attempt = Attempt {
            method: Method::Put,
            url: url.clone(),
        };
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(RegistryError::TooLargeToSend {
                attempt,
                size: bytes.len(),
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let expected = Digest::sha256_of(bytes);
        let response = self
            .execute(
                Request::new(Method::Put, &url)
                    .header("Content-Type", content_type)
                    .body(bytes.to_vec()),
            )
            .await?;
        match response
            .header("docker-content-digest")
            .map(|d| d.trim().to_owned())
        {
            Some(reported) if reported != expected.as_str() => Err(RegistryError::DigestMismatch {
                attempt,
                expected: expected.to_string(),
                actual: reported,
            }),
            _ => Ok(expected),
        }
    }

    /// Tags `manifest` as `tag` in `repository` with its exact bytes and content type.
    pub async fn manifest_put_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        manifest: &Manifest,
    ) -> Result<Digest, RegistryError> {
        self.manifest_put(repository, tag, &manifest.bytes, &manifest.content_type)
            .await
    }

    /// Deletes the manifest **and every tag pointing at it**.
    pub async fn manifest_delete(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<(), RegistryError> {
        let url = self.manifest_url(repository, &Reference::from(digest));
        self.execute(Request::new(Method::Delete, &url)).await?;
        Ok(())
    }

    /// Deletes only `tag` (OCI 1.1). A registry that cannot gives `Unsupported`,
    /// including distribution 2.8, which answers 400 DIGEST_INVALID.
    pub async fn tag_delete(
        &self,
        repository: &Repository,
        tag: &Tag,
    ) -> Result<(), RegistryError> {
        let url = self.manifest_url(repository, &Reference::from(tag));
        match self.execute(Request::new(Method::Delete, &url)).await {
            Err(RegistryError::Invalid {
                attempt,
                status: 400,
                errors,
            }) if errors.iter().any(|e| e.code == "DIGEST_INVALID") => {
                Err(RegistryError::Unsupported {
                    attempt,
                    status: 400,
                    errors,
                })
            }
            other => other.map(|_| ()),
        }
    }

    /// The blob's size if `repository` has it, `None` if not.
    pub async fn blob_head(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<Option<u64>, RegistryError> {
        let url = self.blob_url(repository, digest);
        match self.execute(Request::new(Method::Head, &url)).await {
            Ok(response) => Ok(Some(
                response
                    .header("content-length")
                    .and_then(|l| l.trim().parse().ok())
                    .unwrap_or(0),
            )),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Asks the registry to link a blob of `from` into `target` without copying data.
    pub async fn blob_mount(
        &self,
        target: &Repository,
        digest: &Digest,
        from: &Repository,
    ) -> Result<MountOutcome, RegistryError> {
        let url = format!(
            "{}/v2/{target}/blobs/uploads/?mount={digest}&from={from}",
            self.base
        );
        let response = self.execute(Request::new(Method::Post, &url)).await?;
        match response.status {
            201 => Ok(MountOutcome::Mounted),
            _ => Ok(MountOutcome::UploadStarted {
                location: self.upload_location(&url, &response)?,
            }),
        }
    }

    /// Uploads `bytes` as one blob (POST, then PUT to the Location with the digest).
    pub async fn blob_upload(
        &self,
        repository: &Repository,
        bytes: &[u8],
    ) -> Result<Digest, RegistryError> {
        let digest = Digest::sha256_of(bytes);
        let start_url = format!("{}/v2/{repository}/blobs/uploads/", self.base);
        let started = self.execute(Request::new(Method::Post, &start_url)).await?;
        let location = self.upload_location(&start_url, &started)?;
        self.blob_upload_to(&location, &digest, bytes).await?;
        Ok(digest)
    }

    /// Finishes an open upload session at `location` with all of `bytes` at once.
    pub async fn blob_upload_to(
        &self,
        location: &str,
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<(), RegistryError> {
        let separator = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{separator}digest={digest}");
        self.execute(
            Request::new(Method::Put, &put_url)
                .header("Content-Type", "application/octet-stream")
                .body(bytes.to_vec()),
        )
        .await?;
        Ok(())
    }

    /// Abandons an open upload session, so a failed copy leaves nothing half-written.
    pub async fn blob_upload_cancel(&self, location: &str) -> Result<(), RegistryError> {
        self.execute(Request::new(Method::Delete, location)).await?;
        Ok(())
    }

    /// The upload session URL from `Location`, resolved against the request URL.
    fn upload_location(
        &self,
        request_url: &str,
        response: &Response,
    ) -> Result<String, RegistryError> {
        let malformed = |reason: MalformedReason| RegistryError::Malformed {
            attempt: Attempt {
                method: Method::Post,
                url: request_url.to_owned(),
            },
            reason,
        };
        let location = response
            .header("location")
            .ok_or_else(|| malformed(MalformedReason::NoUploadLocation))?;
        let resolved = resolve(request_url, location.trim())
            .map_err(|e| malformed(MalformedReason::BadUploadLocation(e)))?;
        // The upload carries the user's data and, signed in, credentials: it goes to
        // the registry's own origin only.
        if origin_of(&resolved) != origin_of(request_url) {
            return Err(malformed(MalformedReason::UploadElsewhere {
                location: resolved,
            }));
        }
        Ok(resolved)
    }

    /// Fetches a blob of at most `limit` bytes and checks its digest. The size the
    /// descriptor declares is checked before anything is fetched.
    pub async fn blob_get_verified(
        &self,
        repository: &Repository,
        descriptor: &Descriptor,
        limit: usize,
    ) -> Result<Vec<u8>, RegistryError> {
        let expected = &descriptor.digest;
        let url = self.blob_url(repository, expected);
        let attempt = Attempt {
            method: Method::Get,
            url: url.clone(),
        };
        let declared = usize::try_from(descriptor.size).unwrap_or(usize::MAX);
        if declared > limit {
            return Err(RegistryError::TooLarge {
                attempt,
                size: declared,
                limit,
            });
        }
        let response = self
            .execute(Request::new(Method::Get, &url).response_limit(limit))
            .await?;
        if !expected.verify(&response.body) {
            return Err(RegistryError::DigestMismatch {
                attempt,
                expected: expected.to_string(),
                actual: Digest::sha256_of(&response.body).to_string(),
            });
        }
        Ok(response.body)
    }

    /// The image configuration referenced by an image manifest.
    pub async fn config_get(
        &self,
        repository: &Repository,
        config: &Descriptor,
    ) -> Result<ImageConfig, RegistryError> {
        let bytes = self
            .blob_get_verified(repository, config, MAX_CONFIG_BYTES)
            .await?;
        ImageConfig::parse(&bytes).map_err(|e| RegistryError::Malformed {
            attempt: Attempt {
                method: Method::Get,
                url: format!("{}/v2/{repository}/blobs/{}", self.base, config.digest),
            },
            reason: MalformedReason::ImageConfig {
                error: e.to_string(),
            },
        })
    }
}

impl<C: HttpClient> Registry<C> {
    /// The config of a single-platform image; `None` for an index or an artifact whose
    /// config is not an image configuration.
    pub async fn image_config_of(
        &self,
        repository: &Repository,
        manifest: &Manifest,
    ) -> Result<Option<ImageConfig>, RegistryError> {
        match (manifest.kind(), &manifest.view.config) {
            (ManifestKind::Image, Some(descriptor))
                if descriptor
                    .media_type
                    .as_deref()
                    .is_none_or(super::media::is_image_config) =>
            {
                Ok(Some(self.config_get(repository, descriptor).await?))
            }
            _ => Ok(None),
        }
    }
}

pub(crate) fn manifest_error(attempt: Attempt, error: ManifestError) -> RegistryError {
    match error {
        ManifestError::TooLarge(size) => RegistryError::TooLarge {
            attempt,
            size,
            limit: MAX_MANIFEST_BYTES,
        },
        ManifestError::Malformed(error) => RegistryError::Malformed {
            attempt,
            reason: MalformedReason::UnexpectedJson { error },
        },
        ManifestError::InvalidDigest(refusal) => RegistryError::Malformed {
            attempt,
            reason: MalformedReason::InvalidDigest(Box::new(refusal)),
        },
        ManifestError::StoredDigestMismatch { stored, actual } => RegistryError::DigestMismatch {
            attempt,
            expected: stored.to_string(),
            actual: actual.to_string(),
        },
    }
}

/// A page of `/v2/_catalog` (`repositories`) or of a tag list (`tags`).
#[derive(Deserialize)]
struct NamesPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl<C: HttpClient> Registry<C> {
    /// Sends a read (GET or HEAD) with the same retries, size check and error
    /// classification as every request here; for protocol modules that build their
    /// own requests (the referrers API in `oci::referrers`).
    pub(crate) async fn send_read(&self, request: Request) -> Result<Response, RegistryError> {
        debug_assert!(request.is_read(), "send_read is for GET and HEAD only");
        self.execute(request).await
    }
}
