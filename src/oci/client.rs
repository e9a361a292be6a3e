//! Registry operations (Distribution API v2), written once over [`HttpClient`].

use serde::Deserialize;

use super::error::{Attempt, RegistryError};
use super::http::{HttpClient, Method, Request, Response};
use super::intent::{Intent, Journal};
use super::manifest::{Descriptor, ImageConfig, Manifest, ManifestError, ManifestKind};
use super::media::{MANIFEST_ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES};
use super::names::{Digest, Repository, Tag};
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
}

impl<C: HttpClient> Registry<C> {
    pub fn new(base_url: &str, client: C) -> Self {
        Registry {
            base: base_url.trim_end_matches('/').to_owned(),
            client,
            journal: None,
        }
    }

    /// Changes made through this registry tell `journal` what they are about to
    /// write before they write it, so a change cut short (the tab closed) can be
    /// reconciled afterwards ([`Registry::reconcile`]).
    pub fn journaled(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
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
    /// that races a write of the same manifest), and after a 429 as its Retry-After
    /// says (bounded). A write is never sent twice: whether it was applied is for the
    /// caller to find out by reading the registry again.
    async fn execute(&self, request: Request) -> Result<Response, RegistryError> {
        let attempt = Attempt {
            method: request.method,
            url: request.url.clone(),
        };
        let limit = request.response_limit;
        let is_read = request.is_read();
        let mut server_errors = 0;
        let mut rate_limited = 0;
        let response = loop {
            let response = self
                .client
                .send(request.clone())
                .await
                .map_err(|failure| RegistryError::from_transport(attempt.clone(), failure))?;
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
                detail: "the answer to /v2/ is not JSON, so this is not a registry API".into(),
            })
        }
    }

    /// Every repository name, following pagination to the end.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let first = format!("{}/v2/_catalog", self.base);
        let listed = self.list_names(first, CATALOG_PAGE_SIZE, |_| {}).await?;
        if listed.may_be_incomplete {
            return Err(RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url: format!("{}/v2/_catalog", self.base),
                },
                detail: "the catalog could not be read to its end".into(),
            });
        }
        Ok(listed.tags)
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
        let mut seen_names = std::collections::HashSet::new();
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
                    detail: "the next-page link repeats an earlier page".into(),
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
                    detail: format!("not the expected JSON: {e}"),
                })?;
            // distribution answers `"tags": null` once every tag was deleted.
            let names = page.tags.or(page.repositories).unwrap_or_default();
            let fresh: Vec<String> = names
                .iter()
                .filter(|name| !seen_names.contains(*name))
                .cloned()
                .collect();
            // Asked for what comes after the last name, a registry that ignores `last`
            // sends the list again: it had sent everything the first time.
            if asked_after_last && fresh.len() < names.len() {
                return Ok(listing);
            }
            seen_names.extend(fresh.iter().cloned());
            on_page(&fresh);
            let ignores_n = names.len() > page_size;
            let last = fresh.last().cloned();
            listing.tags.extend(fresh);
            let link = response.header("link");
            links_readable |= link.is_some();
            let next = match link {
                Some(link) => next_page_url(link, &url).map_err(|e| RegistryError::Malformed {
                    attempt,
                    detail: e.to_string(),
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
    /// The manifest URL for a tag or digest. The reference is checked first: tags
    /// come from the registry's own lists, and nothing a registry sends goes into a
    /// URL unvalidated.
    fn manifest_url(
        &self,
        method: Method,
        repository: &Repository,
        reference: &str,
    ) -> Result<String, RegistryError> {
        if Digest::parse(reference).is_err() {
            if let Err(error) = Tag::parse(reference) {
                return Err(RegistryError::Malformed {
                    attempt: Attempt {
                        method,
                        url: format!("{}/v2/{repository}/manifests/…", self.base),
                    },
                    detail: format!("not a valid tag or digest: {error}"),
                });
            }
        }
        Ok(format!(
            "{}/v2/{repository}/manifests/{reference}",
            self.base
        ))
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
        reference: &str,
    ) -> Result<Manifest, RegistryError> {
        let url = self.manifest_url(Method::Get, repository, reference)?;
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
        let manifest = Manifest::parse(response.body.clone(), response.header("content-type"))
            .map_err(|e| manifest_error(attempt.clone(), e))?;
        let requested_digest = Digest::parse(reference).ok();
        let expected = requested_digest.or_else(|| {
            response
                .header("docker-content-digest")
                .and_then(|d| Digest::parse(d.trim()).ok())
        });
        if let Some(expected) = expected {
            if !expected.verify(&manifest.bytes) {
                return Err(RegistryError::DigestMismatch {
                    attempt,
                    expected: expected.to_string(),
                    actual: manifest.digest.to_string(),
                });
            }
        }
        Ok(manifest)
    }

    /// HEAD on a manifest: digest, size and type without the body.
    pub async fn manifest_head(
        &self,
        repository: &Repository,
        reference: &str,
    ) -> Result<ManifestHead, RegistryError> {
        let url = self.manifest_url(Method::Head, repository, reference)?;
        let response = self
            .execute(Request::new(Method::Head, &url).header("Accept", MANIFEST_ACCEPT))
            .await?;
        Ok(ManifestHead {
            digest: response
                .header("docker-content-digest")
                .and_then(|d| Digest::parse(d.trim()).ok()),
            size: response
                .header("content-length")
                .and_then(|l| l.trim().parse().ok()),
            media_type: response.header("content-type").map(str::to_owned),
        })
    }

    /// PUTs `bytes` unchanged under `reference` (a tag, or the bytes' own digest) with
    /// `content_type`, and checks the digest the registry reports against the bytes'.
    pub async fn manifest_put(
        &self,
        repository: &Repository,
        reference: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<Digest, RegistryError> {
        let url = self.manifest_url(Method::Put, repository, reference)?;
        let attempt = Attempt {
            method: Method::Put,
            url: url.clone(),
        };
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(RegistryError::TooLarge {
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
        self.manifest_put(
            repository,
            tag.as_str(),
            &manifest.bytes,
            &manifest.content_type,
        )
        .await
    }

    /// Deletes the manifest **and every tag pointing at it**.
    pub async fn manifest_delete(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<(), RegistryError> {
        let url = self.manifest_url(Method::Delete, repository, digest.as_str())?;
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
        let url = self.manifest_url(Method::Delete, repository, tag.as_str())?;
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
        let malformed = |detail: String| RegistryError::Malformed {
            attempt: Attempt {
                method: Method::Post,
                url: request_url.to_owned(),
            },
            detail,
        };
        let location = response.header("location").ok_or_else(|| {
            malformed(
                "no readable Location header; the registry's CORS settings must expose it \
                 (Access-Control-Expose-Headers: Location)"
                    .into(),
            )
        })?;
        let resolved =
            resolve(request_url, location.trim()).map_err(|e| malformed(e.to_string()))?;
        // The upload carries the user's data and, signed in, credentials: it goes to
        // the registry's own origin only.
        if origin_of(&resolved) != origin_of(request_url) {
            return Err(malformed(format!(
                "the upload location {resolved} is on another server than the registry; \
                 refusing to send data there"
            )));
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
        let attempt = Attempt {
            method: Method::Get,
            url: format!("{}/v2/{repository}/blobs/…", self.base),
        };
        let expected = Digest::parse(&descriptor.digest).map_err(|e| RegistryError::Malformed {
            attempt: attempt.clone(),
            detail: e.to_string(),
        })?;
        let url = self.blob_url(repository, &expected);
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
            detail: e.to_string(),
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

fn manifest_error(attempt: Attempt, error: ManifestError) -> RegistryError {
    match error {
        ManifestError::TooLarge(size) => RegistryError::TooLarge {
            attempt,
            size,
            limit: MAX_MANIFEST_BYTES,
        },
        ManifestError::Malformed(detail) => RegistryError::Malformed { attempt, detail },
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
