//! The blob endpoints: HEAD, cross-repository mount, upload and verified GET.

use crate::oci::client::Registry;
use crate::oci::error::{bounded, Attempt, MalformedReason, RegistryError, MAX_URL_CHARS};
use crate::oci::http::{HttpClient, Method, Request, Response};
use crate::oci::manifest::Descriptor;
use crate::oci::names::{Digest, Repository};
use crate::oci::pagination::{origin_of, resolve};

/// Whether the path of `url` lies under the path of `prefix` (both absolute, of one
/// origin), with no dot segment a browser would climb out by (`..`, `%2e%2e`, `.\`).
fn within(url: &str, prefix: &str) -> bool {
    let path = |u: &str| -> String {
        let rest = u.get(origin_of(u).len()..).unwrap_or("");
        rest.split(['?', '#']).next().unwrap_or("").to_owned()
    };
    let (path, prefix) = (path(url), path(prefix));
    let Some(session) = path.strip_prefix(&prefix) else {
        return false;
    };
    !session.split(['/', '\\']).any(|segment| {
        let segment = segment.to_ascii_lowercase().replace("%2e", ".");
        segment == "." || segment == ".."
    })
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

/// A blob the registry said a repository has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// Its size, when the answer said (`None`: no readable Content-Length).
    pub size: Option<u64>,
}

impl<C: HttpClient> Registry<C> {
    /// The blob if `repository` has it, `None` if not. A redirect to the registry's
    /// storage is not followed: distribution redirects only for a blob the repository
    /// has, and the storage may not let this page read it.
    pub async fn blob_head(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<Option<StoredBlob>, RegistryError> {
        let url = self.blob_url(repository, digest);
        let request = Request::new(Method::Head, &url).redirect_answers();
        match self.execute(request).await {
            Ok(response) if response.is_redirect() => Ok(Some(StoredBlob { size: None })),
            Ok(response) => Ok(Some(StoredBlob {
                size: response
                    .header("content-length")
                    .and_then(|l| l.trim().parse().ok()),
            })),
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
                location: self.upload_location(target, &url, &response)?,
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
        let location = self.upload_location(repository, &start_url, &started)?;
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

    /// The upload session URL from `Location`, resolved against the request URL: an
    /// upload of `repository` on the registry's origin, or refused.
    fn upload_location(
        &self,
        repository: &Repository,
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
                location: bounded(&resolved, MAX_URL_CHARS),
            }));
        }
        // The blob is PUT there, and a failed copy DELETEs it: a Location naming a
        // manifest or another repository would change that instead.
        let uploads = format!("{}/v2/{repository}/blobs/uploads/", self.base);
        if !within(&resolved, &uploads) {
            return Err(malformed(MalformedReason::UploadOutsideRepository {
                location: bounded(&resolved, MAX_URL_CHARS),
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
        let response = match self
            .execute(Request::new(Method::Get, &url).response_limit(limit))
            .await
        {
            Ok(response) => response,
            // No readable answer: if the registry redirects this blob to its
            // storage, the storage is what failed, and the advice differs.
            Err(RegistryError::Network { attempt, detail }) => {
                let head = Request::new(Method::Head, &url).redirect_answers();
                return Err(match self.execute(head).await {
                    Ok(answer) if answer.is_redirect() => {
                        self.storage.learn_unreadable();
                        RegistryError::StorageUnreadable { attempt }
                    }
                    _ => RegistryError::Network { attempt, detail },
                });
            }
            Err(error) => return Err(error),
        };
        if !expected.verify(&response.body) {
            return Err(RegistryError::DigestMismatch {
                attempt,
                expected: expected.to_string(),
                actual: Digest::sha256_of(&response.body).to_string(),
            });
        }
        Ok(response.body)
    }
}
