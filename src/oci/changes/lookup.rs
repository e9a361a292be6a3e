//! What tags point at now, read just before and just after a change.

use crate::model::sort;
use futures_util::stream::{self, StreamExt};

use super::error::ChangeError;
use crate::oci::client::{ManifestHead, Registry};
use crate::oci::error::RegistryError;
use crate::oci::error::{Attempt, MalformedReason};
use crate::oci::http::{HttpClient, Method};
use crate::oci::manifest::{Manifest, ManifestKind};
use crate::oci::media::{essence, is_index, is_manifest_type, OCI_INDEX};
use crate::oci::names::{Digest, Repository, Tag};

impl<C: HttpClient> Registry<C> {
    /// The digest `tag` points at now, or `None` when the tag does not exist.
    pub async fn resolve_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
    ) -> Result<Option<Digest>, RegistryError> {
        Ok(self
            .look_up(repository, tag, false)
            .await?
            .map(|(digest, _)| digest))
    }

    /// Whether `tag` is gone: it resolves to nothing and a complete tag list leaves it
    /// out. The answer to its HEAD alone is not enough: distribution 2.8 deletes a
    /// manifest before it untags the tags on it, and a failure in between leaves them
    /// listed, pointing at nothing. A list that cannot be read, or may be incomplete,
    /// proves nothing.
    pub(super) async fn tag_gone(&self, repository: &Repository, tag: &Tag) -> bool {
        matches!(self.resolve_tag(repository, tag).await, Ok(None))
            && self.listed_for_sure(repository, tag).await == Some(false)
    }

    /// Whether the tag list names `tag`: `None` when the list cannot be read or may be
    /// incomplete (a name missing from it proves nothing).
    pub(crate) async fn listed_for_sure(&self, repository: &Repository, tag: &Tag) -> Option<bool> {
        let listing = self.tags(repository, |_| {}).await.ok()?;
        let listed = listing.tags.iter().any(|t| t == tag.as_str());
        (listed || !listing.may_be_incomplete).then_some(listed)
    }

    /// [`Registry::resolve_tag`] for a name from the registry's tag list.
    pub async fn resolve_listed_tag(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Option<Digest>, RegistryError> {
        self.resolve_tag(repository, &self.listed_tag(repository, tag)?)
            .await
    }

    /// What `tag` points at now, digest and media type; `None` when it does not exist.
    /// The media type is its essence (`; charset=…` dropped, lower case), to compare
    /// with the `media` constants; bytes PUT back keep their own Content-Type. An
    /// index is told as one however it was served (see [`document_type`]).
    pub(crate) async fn look_up_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
    ) -> Result<Option<(Digest, String)>, RegistryError> {
        self.look_up(repository, tag, true).await
    }

    /// [`Registry::look_up_tag`]; `classify`: see [`Registry::classified`]; without,
    /// the HEAD's type as it came.
    async fn look_up(
        &self,
        repository: &Repository,
        tag: &Tag,
        classify: bool,
    ) -> Result<Option<(Digest, String)>, RegistryError> {
        let head = match self
            .manifest_head_fast(repository, tag, &self.lookups)
            .await
        {
            Ok(head) => head,
            Err(RegistryError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        match head.digest {
            Some(digest) if !classify => Ok(Some((
                digest,
                essence(&head.media_type.unwrap_or_default()),
            ))),
            _ => self.classified(repository, tag, head).await.map(Some),
        }
    }

    /// The digest and media type (essence) of the manifest `head` answered for
    /// `tag`. When the HEAD's Content-Type is missing or of no manifest kind (a
    /// proxy's `application/json`) the document tells ([`document_type`]): "an
    /// image" read from that type alone could hide an index and the platforms it
    /// keeps in use. Who uses an image and Find a digest both ask this.
    pub(crate) async fn classified(
        &self,
        repository: &Repository,
        tag: &Tag,
        head: ManifestHead,
    ) -> Result<(Digest, String), RegistryError> {
        let media_type = essence(&head.media_type.unwrap_or_default());
        let (digest, manifest) = match head.digest {
            Some(digest) if is_manifest_type(&media_type) => return Ok((digest, media_type)),
            // By digest: the document of the manifest the HEAD named, verified.
            Some(digest) => {
                let manifest = self.manifest_get(repository, &digest).await?;
                (digest, manifest)
            }
            // CORS hides Docker-Content-Digest: hash the bytes instead.
            None => {
                let manifest = self.manifest_get(repository, tag).await?;
                (manifest.digest.clone(), manifest)
            }
        };
        Ok((digest, document_type(&manifest)))
    }

    /// Refused ([`ChangeError::ChangedMeanwhile`]) unless `tag` still points at
    /// `seen`, the digest the user saw: read just before a change acts on it.
    pub async fn expect_unchanged(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
    ) -> Result<(), ChangeError> {
        let found = self.resolve_tag(repository, tag).await?;
        if found.as_ref() == Some(seen) {
            return Ok(());
        }
        Err(ChangeError::ChangedMeanwhile {
            tag: tag.to_string(),
            expected: seen.clone(),
            found,
        })
    }

    /// Checks that `tag` points at `expected` (or is gone, for `None`).
    pub(super) async fn expect_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        expected: Option<&Digest>,
    ) -> Result<(), ChangeError> {
        let found = self.resolve_tag(repository, tag).await?;
        if found.as_ref() == expected {
            return Ok(());
        }
        Err(ChangeError::NotApplied {
            tag: tag.to_string(),
            expected: expected.cloned(),
            found,
        })
    }

    /// What each of `tags` points at now (digest and media type), `None` for a tag
    /// that no longer exists; `lookup_concurrency` requests at a time.
    pub(super) async fn look_up_tags(
        &self,
        repository: &Repository,
        tags: &[String],
    ) -> Result<Vec<(String, Option<(Digest, String)>)>, RegistryError> {
        self.look_up_tags_naming(repository, tags)
            .await
            .map_err(|(_, error)| error)
    }

    /// [`Registry::look_up_tags`]; a tag whose lookup failed is looked up once more
    /// (of thousands, one may fail for a moment). The tags that failed twice are
    /// named, with the first of their failures.
    pub(crate) async fn look_up_tags_naming(
        &self,
        repository: &Repository,
        tags: &[String],
    ) -> Result<Vec<(String, Option<(Digest, String)>)>, (Vec<String>, RegistryError)> {
        let look_up = |tags: Vec<String>| {
            stream::iter(tags)
                .map(|tag| async move {
                    let found = match self.listed_tag(repository, &tag) {
                        Ok(valid) => self.look_up_tag(repository, &valid).await,
                        Err(error) => Err(error),
                    };
                    (tag, found)
                })
                .buffer_unordered(self.lookup_concurrency)
                .collect::<Vec<_>>()
        };
        let (mut found, failed): (Vec<_>, Vec<_>) =
            (look_up(tags.to_vec()).await.into_iter()).partition(|(_, found)| found.is_ok());
        if !failed.is_empty() {
            found.extend(look_up(failed.into_iter().map(|(tag, _)| tag).collect()).await);
        }
        let mut unread = Vec::new();
        let mut first = None;
        let mut read = Vec::new();
        for (tag, found) in found {
            match found {
                Ok(found) => read.push((tag, found)),
                Err(error) => {
                    first.get_or_insert(error);
                    unread.push(tag);
                }
            }
        }
        match first {
            None => Ok(read),
            Some(error) => {
                sort::ascending(&mut unread);
                Err((unread, error))
            }
        }
    }

    /// A name from the registry's tag list, parsed before it goes into a URL: one
    /// that is no valid tag is the registry's malformed answer.
    pub fn listed_tag(&self, repository: &Repository, tag: &str) -> Result<Tag, RegistryError> {
        Tag::parse(tag).map_err(|error| RegistryError::Malformed {
            attempt: Attempt {
                method: Method::Get,
                url: format!("{}/v2/{repository}/manifests/…", self.base_url()),
            },
            reason: MalformedReason::listed_name(error),
        })
    }

    /// The tags among `candidates` that point at `digest` right now.
    pub async fn tags_pointing_at(
        &self,
        repository: &Repository,
        digest: &Digest,
        candidates: &[String],
    ) -> Result<Vec<String>, RegistryError> {
        let mut matching: Vec<String> = self
            .look_up_tags(repository, candidates)
            .await?
            .into_iter()
            .filter(|(_, found)| found.as_ref().is_some_and(|(d, _)| d == digest))
            .map(|(tag, _)| tag)
            .collect();
        sort::ascending(&mut matching);
        Ok(matching)
    }
}

/// The media type (essence) of `manifest` from its document: its own `mediaType`,
/// else its Content-Type; an index by its shape ([`Manifest::kind`]) is one whatever
/// type it was served with.
fn document_type(manifest: &Manifest) -> String {
    let media_type = essence(&manifest.media_type());
    if manifest.kind() == ManifestKind::Index && !is_index(&media_type) {
        return OCI_INDEX.to_owned();
    }
    media_type
}
