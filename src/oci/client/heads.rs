//! Manifest HEADs, the way the tag view reads digests: what a HEAD tells, the
//! first-pass Accept rule (when an answer to a CORS-safelisted Accept can stand for
//! the full one) and how many HEADs go at once.

use std::cell::Cell;

use crate::oci::client::Registry;
use crate::oci::error::RegistryError;
use crate::oci::http::{HttpClient, Method, Request, Response};
use crate::oci::media::{
    essence, FirstPassAccept, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MANIFEST_ACCEPT, OCI_INDEX,
    OCI_MANIFEST,
};
use crate::oci::names::{Digest, Reference, Repository};

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

impl<C: HttpClient> Registry<C> {
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
    /// from the full-Accept HEAD, except a cancel, a timeout and a 429, which end the
    /// lookup as they end any read. `plan` learns from every answer.
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
                // The view went away: nothing more to ask. Or the registry was slow,
                // whatever the Accept: a read that timed out is not asked again (see
                // `execute`), or a stuck registry would keep a row waiting twice as
                // long before it says so. Or the registry limits this client, whatever
                // the Accept: already asked again as Retry-After says (`execute`), a
                // full-Accept HEAD would be a preflight and as many tries more.
                Err(
                    error @ (RegistryError::Aborted { .. }
                    | RegistryError::TimedOut { .. }
                    | RegistryError::RateLimited { .. }),
                ) => return Err(error),
                // Any other failure may be the first pass's own (a 404 only means
                // "not of a type this Accept listed"): the full Accept decides.
                Err(_) => {}
            }
        }
        let head = self.manifest_head(repository, reference).await?;
        plan.record(StoredKind::of(&head), false);
        Ok(head)
    }
}
