//! What refers to an image: signatures, SBOMs, attestations.
//!
//! Three places hold them, and registries differ in which they have
//! (see DOMAIN.md, "Referrers"):
//! 1. the OCI 1.1 referrers API, `GET /v2/<name>/referrers/<digest>`, an image index
//!    of every manifest whose `subject` is the image (zot, Harbor ≥ 2.8, Quay, …;
//!    distribution 2.8 and 3.0 answer 404);
//! 2. without the API, the fallback tag `sha256-<hex>` that clients keep pointing at
//!    such an index;
//! 3. cosign's own tags `sha256-<hex>.sig`, `.att` and `.sbom`, from before OCI 1.1.
//!
//! Everything read here comes from the registry and is treated as hostile: digests
//! are validated, answers are size-capped like manifests, and a malformed entry is
//! skipped and counted instead of hiding the rest of the list.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::bounds::bounded;
use super::client::Registry;
use super::error::RegistryError;
use super::http::{HttpClient, Method, Request};
use super::manifest::{Descriptor, Manifest};
use super::media::{self, essence, MAX_MANIFEST_BYTES, OCI_INDEX};
use super::names::{Digest, Repository, Tag};
use super::pagination::{next_page_url, LinkError};

/// Pages of the referrers API followed at most (each up to 4 MiB of descriptors).
pub const MAX_REFERRER_PAGES: usize = 100;
/// Entries kept at most; more are counted as ignored.
pub const MAX_REFERRERS: usize = 10_000;
/// The longest artifact or media type accepted (RFC 6838 allows 127 + 1 + 127).
const MAX_TYPE_LEN: usize = 255;
/// Annotations kept per referrer, and characters per key or value.
const MAX_ANNOTATIONS: usize = 32;
const MAX_ANNOTATION_CHARS: usize = 1024;

/// What a referrer is, as far as the console tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReferrerKind {
    Signature,
    Sbom,
    Attestation,
    /// Another artifact, with its artifact type (or media type when it has none).
    Other(String),
}

impl ReferrerKind {
    /// "signature", "SBOM", "attestation", or the type itself.
    pub fn label(&self) -> &str {
        match self {
            ReferrerKind::Signature => "signature",
            ReferrerKind::Sbom => "SBOM",
            ReferrerKind::Attestation => "attestation",
            ReferrerKind::Other(kind) => kind,
        }
    }
}

/// Artifact and layer media types of signatures, SBOMs and attestations as the
/// common tools write them.
pub const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGSTORE_BUNDLE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
pub const NOTATION_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Annotation cosign puts on a sigstore bundle holding an attestation (not a plain
/// signature): its predicate type.
pub const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// Classifies an artifact by its artifact type (or, for cosign's tag scheme, its
/// layers' media type). A sigstore bundle is a signature unless its annotations name
/// a predicate type, which makes it an attestation (cosign 3 writes both as bundles).
pub fn classify(artifact_type: &str, annotations: &BTreeMap<String, String>) -> ReferrerKind {
    let kind = essence(artifact_type);
    match kind.as_str() {
        COSIGN_SIMPLESIGNING | NOTATION_SIGNATURE => ReferrerKind::Signature,
        k if k.starts_with(SIGSTORE_BUNDLE_PREFIX) => {
            if annotations.contains_key(BUNDLE_PREDICATE_ANNOTATION) {
                ReferrerKind::Attestation
            } else {
                ReferrerKind::Signature
            }
        }
        "application/spdx+json"
        | "text/spdx"
        | "text/spdx+json"
        | "application/spdx"
        | "application/vnd.cyclonedx+json"
        | "application/vnd.cyclonedx+xml"
        | "application/vnd.cyclonedx"
        | "application/vnd.syft+json" => ReferrerKind::Sbom,
        IN_TOTO | DSSE_ENVELOPE => ReferrerKind::Attestation,
        _ => ReferrerKind::Other(artifact_type.to_owned()),
    }
}

/// Where a referrer was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FoundVia {
    /// The registry's referrers API.
    Api,
    /// The OCI 1.1 fallback tag (`sha256-<hex>`), named.
    FallbackTag(String),
    /// A cosign tag (`sha256-<hex>.sig` / `.att` / `.sbom`), named.
    CosignTag(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Referrer {
    pub kind: ReferrerKind,
    /// The artifact type (for a cosign tag: its first layer's media type).
    pub artifact_type: Option<String>,
    /// The referrer manifest's own media type.
    pub media_type: Option<String>,
    /// The referrer manifest's digest: open it by digest in the same repository.
    pub digest: Digest,
    /// The referrer manifest's size in bytes, as declared.
    pub size: u64,
    pub annotations: BTreeMap<String, String>,
    /// Every place it was found (the API and a fallback tag may both list it).
    pub found: Vec<FoundVia>,
}

/// Whether the registry has the referrers API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiSupport {
    Supported,
    /// 404 or an answer that is not an image index.
    Unsupported,
    /// It could not be asked (a 5xx, a timeout); the tag schemes were read instead.
    Failed(RegistryError),
    /// No answer the page could read: across origins, a registry without the API
    /// (distribution 2.8) answers its path without CORS headers, every time; a
    /// registry that has it may have dropped the connection. Read as no API (the
    /// tag schemes were read), said as not known.
    NoAnswer(RegistryError),
}

impl ApiSupport {
    /// Whether the list says all there is: the API answered, or the registry said it
    /// has none. Else referrers pushed through the API may be missing from it.
    pub fn known(&self) -> bool {
        matches!(self, ApiSupport::Supported | ApiSupport::Unsupported)
    }
}

/// Something skipped or unreadable while looking for referrers (worded by
/// `wording::referrer_warning`); what could be read is still listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferrerWarning {
    /// A fallback or cosign tag that exists could not be read.
    TagUnreadable { tag: String, error: RegistryError },
    /// The fallback tag points at something other than an image index.
    FallbackNotIndex { tag: String, media_type: String },
    /// Entries skipped: malformed, or beyond [`MAX_REFERRERS`].
    Skipped { count: usize },
    /// The API's next-page link leads back to a page already read.
    PageRepeats,
    /// The API failed after `pages` pages were read.
    ApiStopped { pages: usize, error: RegistryError },
    /// A later page of the API is not an image index.
    LaterPageNotIndex,
    /// The API's next-page link could not be followed.
    LinkNotFollowed(LinkError),
    /// The API has more than [`MAX_REFERRER_PAGES`] pages.
    TooManyPages,
    /// The API's pages went on past [`MAX_REFERRERS`] referrers: not read further.
    TooManyReferrers,
}

/// Every referrer of one image found, and what went wrong on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerList {
    pub subject: Digest,
    pub referrers: Vec<Referrer>,
    pub api: ApiSupport,
    /// Entries skipped because they were malformed (bad digest, oversized, …).
    pub ignored: usize,
    /// What was skipped or could not be read.
    pub warnings: Vec<ReferrerWarning>,
}

/// How [`Registry::referrers`] looks.
#[derive(Debug, Clone, Default)]
pub struct ReferrerQuery<'a> {
    /// Only referrers of this artifact type (sent to the API as `artifactType`,
    /// applied here too when the registry does not say it filtered).
    pub artifact_type: Option<&'a str>,
    /// The repository's tags, when the caller has them: the fallback and cosign tags
    /// are then read only if listed, saving up to four requests answered 404.
    pub known_tags: Option<&'a [String]>,
}

/// Which tag scheme a tag belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReferrerTagScheme {
    /// `sha256-<hex>`: the OCI 1.1 fallback tag, an index of referrers.
    Fallback,
    /// `sha256-<hex>.sig`
    CosignSignature,
    /// `sha256-<hex>.att`
    CosignAttestation,
    /// `sha256-<hex>.sbom`
    CosignSbom,
}

impl ReferrerTagScheme {
    pub const ALL: [ReferrerTagScheme; 4] = [
        ReferrerTagScheme::Fallback,
        ReferrerTagScheme::CosignSignature,
        ReferrerTagScheme::CosignAttestation,
        ReferrerTagScheme::CosignSbom,
    ];

    fn suffix(self) -> &'static str {
        match self {
            ReferrerTagScheme::Fallback => "",
            ReferrerTagScheme::CosignSignature => ".sig",
            ReferrerTagScheme::CosignAttestation => ".att",
            ReferrerTagScheme::CosignSbom => ".sbom",
        }
    }

    /// The tag of this scheme for `subject` (sha256 only: a sha512 digest does not
    /// fit a tag whole, and the spec's truncated form could name two images).
    pub fn tag_for(self, subject: &Digest) -> Option<String> {
        (subject.algorithm() == "sha256")
            .then(|| format!("sha256-{}{}", subject.hex(), self.suffix()))
    }
}

/// Whether `tag` is a referrer tag (`sha256-<64 hex>`, optionally `.sig`, `.att` or
/// `.sbom`), and of which image: lets the tag table hide them and the clean-up plan
/// tie them to their image.
pub fn is_referrer_tag(tag: &str) -> Option<(Digest, ReferrerTagScheme)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = rest.split_at_checked(64)?;
    let scheme = ReferrerTagScheme::ALL
        .into_iter()
        .find(|s| s.suffix() == suffix)?;
    let digest = Digest::parse(&format!("sha256:{hex}")).ok()?;
    Some((digest, scheme))
}

impl<C: HttpClient> Registry<C> {
    /// Every referrer of `subject` in `repository`: from the API where the registry
    /// has it, else from the fallback tag; plus cosign's tags in every case. Fails
    /// only when the request was cancelled or needs signing in; anything else that
    /// goes wrong is a warning in the list, so what could be read is still shown.
    pub async fn referrers(
        &self,
        repository: &Repository,
        subject: &Digest,
        query: &ReferrerQuery<'_>,
    ) -> Result<ReferrerList, RegistryError> {
        let mut list = ReferrerList {
            subject: subject.clone(),
            referrers: Vec::new(),
            api: ApiSupport::Unsupported,
            ignored: 0,
            warnings: Vec::new(),
        };
        // Where each digest sits in the list: a registry may repeat entries page
        // after page, and a linear search per entry would freeze the tab.
        let mut index = HashMap::new();
        list.api = self
            .referrers_from_api(repository, subject, query, &mut list, &mut index)
            .await?;
        let listed = |tag: &str| {
            query
                .known_tags
                .is_none_or(|tags| tags.iter().any(|t| t == tag))
        };
        // Read with the API too: a fallback tag copied in from a registry without
        // it (crane and skopeo carry `sha256-…` tags along) is referrer metadata of
        // this image all the same, and deleting the referrers it lists must see it.
        for scheme in ReferrerTagScheme::ALL {
            let Some(tag) = scheme.tag_for(subject) else {
                continue;
            };
            if !listed(&tag) {
                continue;
            }
            // Always a valid tag (sha256-, 64 hex digits, a suffix): parsed for the URL.
            let Ok(name) = Tag::parse(&tag) else {
                continue;
            };
            let read = if scheme == ReferrerTagScheme::Fallback {
                self.referrers_index_at(repository, name)
                    .await
                    .map(TagContent::Index)
            } else {
                self.manifest_get(repository, name)
                    .await
                    .map(|m| TagContent::Cosign(Box::new(m)))
            };
            match read {
                Ok(TagContent::Index(Ok(fallback))) => add_entries(
                    &mut list,
                    &mut index,
                    &fallback.manifests,
                    &FoundVia::FallbackTag(tag),
                    query,
                ),
                Ok(TagContent::Index(Err(media_type))) => {
                    list.warnings
                        .push(ReferrerWarning::FallbackNotIndex { tag, media_type });
                }
                Ok(TagContent::Cosign(manifest)) => {
                    add_cosign(&mut list, &mut index, &manifest, scheme, tag, query);
                }
                Err(RegistryError::NotFound { .. }) => {}
                Err(error) if must_propagate(&error) => return Err(error),
                Err(error) => {
                    list.warnings
                        .push(ReferrerWarning::TagUnreadable { tag, error });
                }
            }
        }
        if list.ignored > 0 {
            list.warnings.push(ReferrerWarning::Skipped {
                count: list.ignored,
            });
        }
        Ok(list)
    }

    /// Reads the referrers API, page by page; says whether the registry has it.
    async fn referrers_from_api(
        &self,
        repository: &Repository,
        subject: &Digest,
        query: &ReferrerQuery<'_>,
        list: &mut ReferrerList,
        index: &mut DigestIndex,
    ) -> Result<ApiSupport, RegistryError> {
        let mut url = format!("{}/v2/{repository}/referrers/{subject}", self.base_url());
        if let Some(kind) = query.artifact_type {
            url.push_str("?artifactType=");
            url.push_str(&crate::model::route::percent_encode(kind));
        }
        let mut seen = std::collections::HashSet::new();
        let mut pages = 0;
        loop {
            if !seen.insert(url.clone()) {
                list.warnings.push(ReferrerWarning::PageRepeats);
                return Ok(ApiSupport::Supported);
            }
            pages += 1;
            // distribution 2.8 has no referrers API, and across origins its 404 for
            // the route comes without CORS headers: a dropped answer, every time.
            let request = Request::new(Method::Get, &url)
                .header("Accept", OCI_INDEX)
                .response_limit(MAX_MANIFEST_BYTES)
                .single_attempt();
            let response = match self.send_read(request).await {
                Ok(response) => response,
                Err(error) if must_propagate(&error) => return Err(error),
                Err(RegistryError::NotFound { .. } | RegistryError::Unsupported { .. })
                    if pages == 1 =>
                {
                    return Ok(ApiSupport::Unsupported)
                }
                // A proxy's error page or a refusal of the path: no API here.
                Err(RegistryError::Invalid { status: 400, .. }) if pages == 1 => {
                    return Ok(ApiSupport::Unsupported)
                }
                // Across origins, distribution answers a path it does not route (no
                // referrers API) without its CORS headers: the browser sees no answer.
                // A registry truly unreachable fails the tag reads below too.
                Err(error @ RegistryError::Network { .. }) if pages == 1 => {
                    return Ok(ApiSupport::NoAnswer(error))
                }
                Err(error) if pages == 1 => return Ok(ApiSupport::Failed(error)),
                Err(error) => {
                    list.warnings.push(ReferrerWarning::ApiStopped {
                        pages: pages - 1,
                        error,
                    });
                    return Ok(ApiSupport::Supported);
                }
            };
            let content_type = response.header("content-type").map(essence);
            let view: Option<ReferrersIndex> = serde_json::from_slice(&response.body).ok();
            let Some(view) = view.filter(|v| {
                v.media_type.as_deref() == Some(OCI_INDEX)
                    || content_type.as_deref() == Some(OCI_INDEX)
            }) else {
                if pages == 1 {
                    return Ok(ApiSupport::Unsupported);
                }
                list.warnings.push(ReferrerWarning::LaterPageNotIndex);
                return Ok(ApiSupport::Supported);
            };
            let filtered_by_registry = response
                .header("oci-filters-applied")
                .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
            let filter = if filtered_by_registry {
                ReferrerQuery::default()
            } else {
                query.clone()
            };
            add_entries(list, index, &view.manifests, &FoundVia::Api, &filter);
            let next = match response.header("link") {
                Some(link) => match next_page_url(link, &url) {
                    Ok(next) => next,
                    Err(error) => {
                        list.warnings.push(ReferrerWarning::LinkNotFollowed(error));
                        None
                    }
                },
                None => None,
            };
            match next {
                // Memory is bounded by the list, not by what a registry pages out.
                Some(_) if list.referrers.len() >= MAX_REFERRERS => {
                    list.warnings.push(ReferrerWarning::TooManyReferrers);
                    return Ok(ApiSupport::Supported);
                }
                Some(next) if pages < MAX_REFERRER_PAGES => url = next,
                Some(_) => {
                    list.warnings.push(ReferrerWarning::TooManyPages);
                    return Ok(ApiSupport::Supported);
                }
                None => return Ok(ApiSupport::Supported),
            }
        }
    }
}

/// A referrers index read entry by entry: a malformed entry is skipped and counted,
/// never the reason the others are lost (a manifest's strict parse refuses the whole
/// document for one bad digest).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferrersIndex {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<serde_json::Value>,
}

/// What a referrer tag holds: the fallback tag's index (or, when it is no index,
/// the media type it has instead), or the manifest a cosign tag points at.
enum TagContent {
    Index(Result<ReferrersIndex, String>),
    Cosign(Box<Manifest>),
}

impl<C: HttpClient> Registry<C> {
    /// The fallback tag's index, read leniently; the media type found when the tag
    /// points at something else.
    async fn referrers_index_at(
        &self,
        repository: &Repository,
        tag: Tag,
    ) -> Result<Result<ReferrersIndex, String>, RegistryError> {
        let (attempt, bytes, content_type) = self.manifest_bytes(repository, tag).await?;
        let index: ReferrersIndex =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError::Malformed {
                attempt,
                reason: super::error::MalformedReason::unexpected_json(&e),
            })?;
        let media_type = index
            .media_type
            .clone()
            .or_else(|| content_type.as_deref().map(essence))
            .unwrap_or_default();
        Ok(if media::is_index(&media_type) {
            Ok(index)
        } else {
            // Shown in a warning: the registry's text, so bounded and printable.
            let printable: String = media_type.chars().filter(|c| !c.is_control()).collect();
            Err(bounded(&printable, MAX_TYPE_LEN))
        })
    }
}

/// Errors the caller must see rather than a warning: the user cancelled, or the
/// registry wants a sign-in the view has to ask for.
fn must_propagate(error: &RegistryError) -> bool {
    matches!(
        error,
        RegistryError::Aborted { .. }
            | RegistryError::Unauthorized { .. }
            | RegistryError::SignInRefused { .. }
    )
}

/// A type string from the registry, if it is sane enough to show and match.
fn clean_type(value: Option<&str>) -> Result<Option<String>, ()> {
    match value {
        None => Ok(None),
        Some(v) if v.len() > MAX_TYPE_LEN || v.chars().any(char::is_control) => Err(()),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => Ok(Some(v.trim().to_owned())),
    }
}

/// Adds the descriptors of a referrers index, skipping (and counting) bad ones.
fn add_entries(
    list: &mut ReferrerList,
    index: &mut DigestIndex,
    entries: &[serde_json::Value],
    found: &FoundVia,
    query: &ReferrerQuery<'_>,
) {
    for entry in entries {
        let entry = Descriptor::deserialize(entry);
        let Ok(entry) = entry else {
            list.ignored += 1;
            continue;
        };
        let digest = entry.digest.clone();
        let types = (
            clean_type(entry.artifact_type.as_deref()),
            clean_type(entry.media_type.as_deref()),
        );
        let (Ok(artifact_type), Ok(media_type)) = types else {
            list.ignored += 1;
            continue;
        };
        // A referrer is a manifest: one larger than any registry must accept is a lie.
        if entry.size > MAX_MANIFEST_BYTES as u64 {
            list.ignored += 1;
            continue;
        }
        if let Some(wanted) = query.artifact_type {
            if artifact_type.as_deref() != Some(wanted) {
                continue;
            }
        }
        let kind_source = artifact_type
            .clone()
            .or_else(|| media_type.clone())
            .unwrap_or_default();
        let referrer = Referrer {
            kind: classify(&kind_source, &entry.annotations),
            artifact_type,
            media_type,
            digest,
            size: entry.size,
            annotations: bounded_annotations(&entry.annotations),
            found: vec![found.clone()],
        };
        push(list, index, referrer);
    }
}

/// Annotations an entry carries, as many and as long as a person reads: the rest of
/// a registry's (hostile) text is not kept.
fn bounded_annotations(annotations: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    annotations
        .iter()
        .take(MAX_ANNOTATIONS)
        .map(|(key, value)| {
            (
                bounded(key, MAX_ANNOTATION_CHARS),
                bounded(value, MAX_ANNOTATION_CHARS),
            )
        })
        .collect()
}

/// Adds the manifest a cosign tag points at, classified by the tag's suffix.
fn add_cosign(
    list: &mut ReferrerList,
    index: &mut DigestIndex,
    manifest: &Manifest,
    scheme: ReferrerTagScheme,
    tag: String,
    query: &ReferrerQuery<'_>,
) {
    let first_layer = manifest
        .view
        .layers
        .first()
        .and_then(|l| l.media_type.as_deref());
    let Ok(artifact_type) = clean_type(manifest.view.artifact_type.as_deref().or(first_layer))
    else {
        list.ignored += 1;
        return;
    };
    if let Some(wanted) = query.artifact_type {
        if artifact_type.as_deref() != Some(wanted) {
            return;
        }
    }
    let kind = match scheme {
        ReferrerTagScheme::CosignSignature => ReferrerKind::Signature,
        ReferrerTagScheme::CosignAttestation => ReferrerKind::Attestation,
        ReferrerTagScheme::CosignSbom => ReferrerKind::Sbom,
        ReferrerTagScheme::Fallback => classify(
            artifact_type.as_deref().unwrap_or(""),
            &manifest.view.annotations,
        ),
    };
    push(
        list,
        index,
        Referrer {
            kind,
            artifact_type,
            media_type: Some(manifest.media_type()),
            digest: manifest.digest.clone(),
            size: manifest.bytes.len() as u64,
            annotations: bounded_annotations(&manifest.view.annotations),
            found: vec![FoundVia::CosignTag(tag)],
        },
    );
}

/// Where each referrer of a list sits in it, by digest.
type DigestIndex = HashMap<Digest, usize>;

/// Adds a referrer, merging with one of the same digest found elsewhere; the list
/// keeps the order in which digests first appeared.
fn push(list: &mut ReferrerList, index: &mut DigestIndex, referrer: Referrer) {
    if let Some(existing) = index
        .get(&referrer.digest)
        .and_then(|&at| list.referrers.get_mut(at))
    {
        // At most one API, one fallback tag and three cosign tags: a short vector.
        for found in referrer.found {
            if !existing.found.contains(&found) {
                existing.found.push(found);
            }
        }
        return;
    }
    if list.referrers.len() >= MAX_REFERRERS {
        list.ignored += 1;
        return;
    }
    index.insert(referrer.digest.clone(), list.referrers.len());
    list.referrers.push(referrer);
}
