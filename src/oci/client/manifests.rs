//! The manifest endpoints: GET (byte-exact, digest checked), HEAD, PUT, DELETE, and
//! the image configuration a manifest names.

use crate::oci::client::{Registry, StoredBlob};
use crate::oci::error::{
    bounded, bounded_name_error, Attempt, MalformedReason, RegistryError, MAX_HEADER_CHARS,
    MAX_MESSAGE_CHARS,
};
use crate::oci::http::{HttpClient, Method, Request};
use crate::oci::manifest::{
    Descriptor, DigestRefusal, ImageConfig, Manifest, ManifestError, ManifestKind, ManifestView,
};
use crate::oci::media::{is_manifest_type, MANIFEST_ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES};
use crate::oci::names::{Digest, Reference, Repository, Tag};

impl<C: HttpClient> Registry<C> {
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

    /// PUTs `bytes` unchanged under `reference` (a tag, or the bytes' own digest) with
    /// `content_type` (when no manifest's type, the document's own mediaType if a
    /// manifest's), and checks the digest the registry reports against the bytes'.
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
        // A proxy's `application/json` (no manifest's type): distribution takes it for
        // schema 1 and refuses it. The document's own mediaType, if a manifest's.
        let own = (!is_manifest_type(content_type))
            .then(|| {
                serde_json::from_slice::<ManifestView>(bytes)
                    .ok()?
                    .media_type
            })
            .flatten()
            .filter(|t| is_manifest_type(t));
        let content_type = own.as_deref().unwrap_or(content_type);
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
            // Not validated as a digest: quoted bounded.
            Some(reported) if reported != expected.as_str() => Err(RegistryError::DigestMismatch {
                attempt,
                expected: expected.to_string(),
                actual: bounded(&reported, MAX_HEADER_CHARS),
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
                error: bounded(&e.to_string(), MAX_MESSAGE_CHARS),
            },
        })
    }
}

/// What a digest names in a repository: a manifest, or a blob with no manifest of
/// that digest (a layer or an image configuration).
#[derive(Debug, Clone)]
pub enum DigestContent {
    Manifest(Box<Manifest>),
    Blob(StoredBlob),
}

impl<C: HttpClient> Registry<C> {
    /// The manifest `digest` names in `repository`, or the blob it names when there is
    /// no such manifest. A layer's digest is easily taken for an image's; registries
    /// answer a manifest GET of one with 404 or, as distribution does (it reads the
    /// blob as a manifest), 500 with code UNKNOWN. Either way the blob HEAD tells;
    /// when it finds no blob, the manifest's failure is the answer. Any other failure
    /// is no sign of a blob (some registries answer a manifest's digest at the blob
    /// endpoint too): it is the answer.
    pub async fn manifest_or_blob(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<DigestContent, RegistryError> {
        let failure = match self.manifest_get(repository, digest.clone()).await {
            Ok(manifest) => return Ok(DigestContent::Manifest(Box::new(manifest))),
            Err(failure) => failure,
        };
        let may_be_blob = match &failure {
            RegistryError::NotFound { .. } => true,
            RegistryError::Server { status: 500, .. } => failure.has_code("UNKNOWN"),
            _ => false,
        };
        if may_be_blob {
            if let Ok(Some(blob)) = self.blob_head(repository, digest).await {
                return Ok(DigestContent::Blob(blob));
            }
        }
        Err(failure)
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
        match image_config_descriptor(manifest) {
            Some(descriptor) => Ok(Some(self.config_get(repository, descriptor).await?)),
            None => Ok(None),
        }
    }
}

/// The descriptor of a single-platform image's configuration, when it is an image
/// configuration (not an artifact's config).
fn image_config_descriptor(manifest: &Manifest) -> Option<&Descriptor> {
    match (manifest.kind(), &manifest.view.config) {
        (ManifestKind::Image, Some(descriptor))
            if descriptor
                .media_type
                .as_deref()
                .is_none_or(crate::oci::media::is_image_config) =>
        {
            Some(descriptor)
        }
        _ => None,
    }
}

impl<C: HttpClient> Registry<C> {
    /// [`Registry::image_config_of`], except where this tab already found the
    /// registry's storage unreadable ([`super::StorageReach`]): then the same failure at once,
    /// without the three requests that would fail again. Until one such read has
    /// ended, the others wait for it. For the tag table's summaries, which read one
    /// configuration per image.
    pub async fn image_config_unless_storage_unreadable(
        &self,
        repository: &Repository,
        manifest: &Manifest,
    ) -> Result<Option<ImageConfig>, RegistryError> {
        let Some(config) = image_config_descriptor(manifest) else {
            return self.image_config_of(repository, manifest).await;
        };
        let read = async {
            if self.storage.known_unreadable() {
                return Err(RegistryError::StorageUnreadable {
                    attempt: Attempt {
                        method: Method::Get,
                        url: self.blob_url(repository, &config.digest),
                    },
                });
            }
            self.image_config_of(repository, manifest).await
        };
        self.storage.after_first_read(read).await
    }
}

pub(crate) fn manifest_error(attempt: Attempt, error: ManifestError) -> RegistryError {
    match error {
        ManifestError::TooLarge(size) => RegistryError::TooLarge {
            attempt,
            size,
            limit: MAX_MANIFEST_BYTES,
        },
        // The JSON reader's message quotes the manifest's strings, the digest refused is
        // the manifest's: both bounded.
        ManifestError::Malformed(error) => RegistryError::Malformed {
            attempt,
            reason: MalformedReason::unexpected_json(&error),
        },
        ManifestError::InvalidDigest(refusal) => RegistryError::Malformed {
            attempt,
            reason: MalformedReason::InvalidDigest(Box::new(DigestRefusal {
                error: bounded_name_error(refusal.error),
                ..refusal
            })),
        },
        ManifestError::StoredDigestMismatch { stored, actual } => RegistryError::DigestMismatch {
            attempt,
            expected: stored.to_string(),
            actual: actual.to_string(),
        },
    }
}
