//! Changes to tags, composed from the registry operations: add or move a tag, copy an
//! image to another repository, remove one tag without touching the others that share
//! its image, delete an image, and put back what a change replaced (undo).
//!
//! Every change re-reads the registry just before acting and checks the result after,
//! so what the user saw and what happened can never silently differ.

use futures_util::stream::{self, StreamExt};
use thiserror::Error;

use super::client::{MountOutcome, Registry};
use super::error::RegistryError;
use super::http::HttpClient;
use super::manifest::{Descriptor, Manifest, ManifestKind};
use super::media;
use super::names::{Digest, NameError, Repository, Tag};

/// Requests in flight at once when a change must look at many tags.
pub const CONCURRENT_LOOKUPS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChangeError {
    #[error(transparent)]
    Registry(#[from] RegistryError),

    #[error(transparent)]
    InvalidName(#[from] NameError),

    /// The tag changed since the user looked at it; nothing was done.
    #[error("{tag} now points at {}, not at {expected} as shown; nothing was changed", found.as_ref().map_or("nothing (it was removed)".to_owned(), Digest::to_string))]
    ChangedMeanwhile {
        tag: String,
        expected: Digest,
        found: Option<Digest>,
    },

    /// The target tag exists and points at another image: moving it needs consent.
    #[error("{tag} already points at {current}; moving it to {new} needs confirmation")]
    WouldMove {
        tag: String,
        current: Digest,
        new: Digest,
    },

    /// The registry accepted the change but does not show it afterwards.
    #[error("after the change {tag} points at {}, expected {expected}", found.as_ref().map_or("nothing".to_owned(), Digest::to_string))]
    NotApplied {
        tag: String,
        expected: Digest,
        found: Option<Digest>,
    },

    /// The tag was pointed at a placeholder but the placeholder could not be deleted;
    /// the tag was put back as it was.
    #[error("{tag} could not be removed on its own ({cause}); it was put back and still points at {digest}")]
    RolledBack {
        tag: String,
        digest: Digest,
        cause: Box<RegistryError>,
    },
}

impl ChangeError {
    /// What the user can do about it.
    pub fn advice(&self) -> String {
        match self {
            ChangeError::Registry(error) => error.advice(),
            ChangeError::RolledBack { cause, .. } => cause.advice(),
            ChangeError::InvalidName(_) => "Correct the name and try again.".into(),
            ChangeError::ChangedMeanwhile { .. } => {
                "Someone or something changed the tag meanwhile: reload and check before trying again.".into()
            }
            ChangeError::WouldMove { .. } => "Confirm the move, or choose another tag name.".into(),
            ChangeError::NotApplied { .. } => {
                "Reload to see the registry's state; it may be inconsistent or caching.".into()
            }
        }
    }

    /// What state the registry is in after this failure, in words for the user.
    pub fn outcome(&self) -> &'static str {
        match self {
            ChangeError::ChangedMeanwhile { .. }
            | ChangeError::WouldMove { .. }
            | ChangeError::InvalidName(_) => "Nothing was changed.",
            ChangeError::RolledBack { .. } => "Nothing was changed: the tag was restored.",
            ChangeError::NotApplied { .. } => {
                "The registry did not apply the change as asked; reload to see its state."
            }
            ChangeError::Registry(_) => {
                "The change stopped at the failed request; reload to see the registry's state."
            }
        }
    }
}

/// A tag that was written: the digest it now has and what it had before (for undo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagWrite {
    pub repository: Repository,
    pub tag: Tag,
    pub digest: Digest,
    /// The manifest the tag pointed at before, if any.
    pub replaced: Option<Manifest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalMethod {
    /// `DELETE /manifests/<tag>`: the registry removed just the tag.
    TagDelete,
    /// The registry cannot delete tags: the tag was pointed at a unique placeholder
    /// manifest, which was then deleted by digest.
    Placeholder,
    /// No other tag used the image, so the image itself was deleted.
    ImageDelete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub repository: Repository,
    pub tags: Vec<Tag>,
    pub digest: Digest,
    pub method: RemovalMethod,
    /// The bytes removed, so the tags can be put back until garbage collection runs.
    pub manifest: Manifest,
    /// Other tags of the repository that still point at `digest`.
    pub kept: Vec<String>,
}

/// What a copy did, blob by blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub mounted: usize,
    pub already_present: usize,
    pub uploaded: usize,
    pub manifests: usize,
}

/// A step of a copy, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyStep {
    pub done: usize,
    pub total: usize,
    pub what: String,
}

impl<C: HttpClient> Registry<C> {
    /// The digest `tag` points at now, or `None` when the tag does not exist.
    pub async fn resolve_tag(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Option<Digest>, RegistryError> {
        match self.manifest_head(repository, tag).await {
            Ok(head) => match head.digest {
                Some(digest) => Ok(Some(digest)),
                // CORS hides Docker-Content-Digest: hash the bytes instead.
                None => Ok(Some(self.manifest_get(repository, tag).await?.digest)),
            },
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Points `tag` at `source` (its exact bytes). When the tag exists and points at
    /// another image, it is moved only if that image is `move_from`; otherwise
    /// [`ChangeError::WouldMove`] tells the caller to ask.
    pub async fn put_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        source: &Manifest,
        move_from: Option<&Digest>,
    ) -> Result<TagWrite, ChangeError> {
        let current = self.resolve_tag(repository, tag.as_str()).await?;
        let replaced = match current {
            Some(current) if current == source.digest => None,
            Some(current) if Some(&current) == move_from => {
                Some(self.manifest_get(repository, current.as_str()).await?)
            }
            Some(current) => {
                return Err(ChangeError::WouldMove {
                    tag: tag.to_string(),
                    current,
                    new: source.digest.clone(),
                })
            }
            None => None,
        };
        self.manifest_put_tag(repository, tag, source).await?;
        self.expect_tag(repository, tag.as_str(), Some(&source.digest))
            .await?;
        Ok(TagWrite {
            repository: repository.clone(),
            tag: tag.clone(),
            digest: source.digest.clone(),
            replaced,
        })
    }

    /// Checks that `tag` points at `expected` (or is gone, for `None`).
    async fn expect_tag(
        &self,
        repository: &Repository,
        tag: &str,
        expected: Option<&Digest>,
    ) -> Result<(), ChangeError> {
        let found = self.resolve_tag(repository, tag).await?;
        if found.as_ref() == expected {
            return Ok(());
        }
        Err(ChangeError::NotApplied {
            tag: tag.to_owned(),
            expected: expected.cloned().unwrap_or_else(|| Digest::sha256_of(b"")),
            found,
        })
    }

    /// The tags among `candidates` that point at `digest` right now.
    pub async fn tags_pointing_at(
        &self,
        repository: &Repository,
        digest: &Digest,
        candidates: &[String],
    ) -> Result<Vec<String>, RegistryError> {
        let lookups = stream::iter(candidates.iter().cloned())
            .map(|tag| async move {
                let found = self.resolve_tag(repository, &tag).await;
                (tag, found)
            })
            .buffer_unordered(CONCURRENT_LOOKUPS)
            .collect::<Vec<_>>()
            .await;
        let mut matching = Vec::new();
        for (tag, found) in lookups {
            if found?.as_ref() == Some(digest) {
                matching.push(tag);
            }
        }
        matching.sort();
        Ok(matching)
    }

    /// Removes `tag` only. `seen` is the digest the user saw; `all_tags` every tag of
    /// the repository (the other tags sharing the image are found among them).
    /// `unique` makes the placeholder manifest unique (a timestamp).
    pub async fn remove_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
        all_tags: &[String],
        unique: &str,
    ) -> Result<Removal, ChangeError> {
        let others: Vec<String> = all_tags
            .iter()
            .filter(|t| *t != tag.as_str())
            .cloned()
            .collect();
        let kept = self.tags_pointing_at(repository, seen, &others).await?;
        let removal = self
            .remove_tag_among(repository, tag, seen, &kept, unique)
            .await?;
        self.verify_kept(repository, seen, &kept).await?;
        Ok(removal)
    }

    /// Removes `tag`, given `kept`: the other tags known to point at `seen`. With none,
    /// the image itself is deleted. The caller checks afterwards that `kept` still
    /// point at `seen` ([`Registry::verify_kept`]); a bulk removal checks once per image.
    pub async fn remove_tag_among(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
        kept: &[String],
        unique: &str,
    ) -> Result<Removal, ChangeError> {
        let current = self.resolve_tag(repository, tag.as_str()).await?;
        if current.as_ref() != Some(seen) {
            return Err(ChangeError::ChangedMeanwhile {
                tag: tag.to_string(),
                expected: seen.clone(),
                found: current,
            });
        }
        let manifest = self.manifest_get(repository, seen.as_str()).await?;
        let method = if kept.is_empty() {
            self.manifest_delete(repository, seen).await?;
            RemovalMethod::ImageDelete
        } else {
            match self.tag_delete(repository, tag).await {
                Ok(()) => RemovalMethod::TagDelete,
                Err(RegistryError::Unsupported { .. }) => {
                    self.detach_with_placeholder(repository, tag, &manifest, unique)
                        .await?;
                    RemovalMethod::Placeholder
                }
                Err(error) => return Err(error.into()),
            }
        };
        self.expect_tag(repository, tag.as_str(), None).await?;
        Ok(Removal {
            repository: repository.clone(),
            tags: vec![tag.clone()],
            digest: seen.clone(),
            method,
            manifest,
            kept: kept.to_vec(),
        })
    }

    /// The whole point of removing one tag: the others still show the same image.
    pub async fn verify_kept(
        &self,
        repository: &Repository,
        digest: &Digest,
        kept: &[String],
    ) -> Result<(), ChangeError> {
        let still = self.tags_pointing_at(repository, digest, kept).await?;
        match kept.iter().find(|t| !still.contains(t)) {
            None => Ok(()),
            Some(lost) => Err(ChangeError::NotApplied {
                tag: lost.clone(),
                expected: digest.clone(),
                found: self.resolve_tag(repository, lost).await?,
            }),
        }
    }

    /// For registries that cannot delete a tag (distribution 2.8): point the tag at a
    /// unique throw-away manifest, then delete that manifest by its digest.
    async fn detach_with_placeholder(
        &self,
        repository: &Repository,
        tag: &Tag,
        original: &Manifest,
        unique: &str,
    ) -> Result<(), ChangeError> {
        let placeholder = placeholder_manifest(self, repository, tag, unique).await?;
        self.manifest_put_tag(repository, tag, &placeholder).await?;
        if let Err(cause) = self.manifest_delete(repository, &placeholder.digest).await {
            // Put the tag back before reporting: never leave it on the placeholder.
            self.manifest_put_tag(repository, tag, original).await?;
            return Err(ChangeError::RolledBack {
                tag: tag.to_string(),
                digest: original.digest.clone(),
                cause: Box::new(cause),
            });
        }
        Ok(())
    }

    /// Deletes the image `digest` and with it every tag pointing at it. `expected_tags`
    /// is the list the user confirmed; if more tags point at it now, nothing is done.
    pub async fn delete_image(
        &self,
        repository: &Repository,
        digest: &Digest,
        expected_tags: &[String],
        all_tags: &[String],
    ) -> Result<Removal, ChangeError> {
        let pointing = self.tags_pointing_at(repository, digest, all_tags).await?;
        if let Some(extra) = pointing.iter().find(|t| !expected_tags.contains(t)) {
            return Err(ChangeError::ChangedMeanwhile {
                tag: extra.clone(),
                expected: digest.clone(),
                found: Some(digest.clone()),
            });
        }
        let manifest = self.manifest_get(repository, digest.as_str()).await?;
        self.manifest_delete(repository, digest).await?;
        let tags = pointing
            .iter()
            .map(|t| Tag::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Removal {
            repository: repository.clone(),
            tags,
            digest: digest.clone(),
            method: RemovalMethod::ImageDelete,
            manifest,
            kept: Vec::new(),
        })
    }

    /// Undo of a removal: puts every removed tag back with the exact bytes. Works
    /// until the registry's garbage collection removes the blobs.
    pub async fn restore_tags(&self, removal: &Removal) -> Result<(), ChangeError> {
        for tag in &removal.tags {
            self.manifest_put_tag(&removal.repository, tag, &removal.manifest)
                .await?;
            self.expect_tag(&removal.repository, tag.as_str(), Some(&removal.digest))
                .await?;
        }
        Ok(())
    }

    /// Undo of a tag write: the tag goes back to what it pointed at, or away.
    pub async fn undo_tag_write(&self, write: &TagWrite, unique: &str) -> Result<(), ChangeError> {
        let current = self
            .resolve_tag(&write.repository, write.tag.as_str())
            .await?;
        if current.as_ref() != Some(&write.digest) {
            return Err(ChangeError::ChangedMeanwhile {
                tag: write.tag.to_string(),
                expected: write.digest.clone(),
                found: current,
            });
        }
        match &write.replaced {
            Some(previous) => {
                self.manifest_put_tag(&write.repository, &write.tag, previous)
                    .await?;
                self.expect_tag(
                    &write.repository,
                    write.tag.as_str(),
                    Some(&previous.digest),
                )
                .await
            }
            None => {
                let tags = self.tags(&write.repository, |_| {}).await?;
                self.remove_tag(&write.repository, &write.tag, &write.digest, &tags, unique)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Copies `source` (an image or a whole multi-arch index) from `from` to `to` as
    /// `tag`: blobs are mounted (or skipped when present), child manifests put by
    /// digest, then the top manifest is tagged. Nothing is pulled through the browser
    /// unless the registry refuses to mount.
    pub async fn copy_image(
        &self,
        from: &Repository,
        source: &Manifest,
        to: &Repository,
        tag: &Tag,
        move_from: Option<&Digest>,
        mut on_step: impl FnMut(CopyStep),
    ) -> Result<(TagWrite, CopyReport), ChangeError> {
        let mut images = Vec::new();
        match source.kind() {
            ManifestKind::Index => {
                for child in &source.view.manifests {
                    images.push(self.manifest_get(from, &child.digest).await?);
                }
            }
            _ => images.push(source.clone()),
        }
        let blobs: Vec<Descriptor> = images
            .iter()
            .flat_map(|m| m.view.config.iter().chain(m.view.layers.iter()).cloned())
            .filter(|b| b.media_type.as_deref() != Some(media::OCI_EMPTY) || b.size > 0)
            .collect();
        let total = blobs.len() + images.len() + 1;
        let mut done = 0;
        let mut report = CopyReport::default();
        for blob in &blobs {
            let digest = Digest::parse(&blob.digest)?;
            on_step(CopyStep {
                done,
                total,
                what: format!("blob {}", digest.short(12)),
            });
            self.copy_blob(from, to, blob, &digest, &mut report).await?;
            done += 1;
        }
        if source.kind() == ManifestKind::Index {
            for child in &images {
                on_step(CopyStep {
                    done,
                    total,
                    what: format!("manifest {}", child.digest.short(12)),
                });
                self.manifest_put(to, child.digest.as_str(), &child.bytes, &child.content_type)
                    .await?;
                report.manifests += 1;
                done += 1;
            }
        }
        on_step(CopyStep {
            done,
            total,
            what: format!("tag {tag}"),
        });
        let write = self.put_tag(to, tag, source, move_from).await?;
        report.manifests += 1;
        on_step(CopyStep {
            done: total,
            total,
            what: "done".into(),
        });
        Ok((write, report))
    }

    async fn copy_blob(
        &self,
        from: &Repository,
        to: &Repository,
        blob: &Descriptor,
        digest: &Digest,
        report: &mut CopyReport,
    ) -> Result<(), ChangeError> {
        if self.blob_head(to, digest).await?.is_some() {
            report.already_present += 1;
            return Ok(());
        }
        match self.blob_mount(to, digest, from).await? {
            MountOutcome::Mounted => report.mounted += 1,
            MountOutcome::UploadStarted { location } => {
                // The registry would not mount: send the bytes through the browser.
                let bytes = self.blob_get_verified(from, blob).await?;
                self.blob_upload_to(&location, digest, &bytes).await?;
                report.uploaded += 1;
            }
        }
        Ok(())
    }
}

/// A manifest that no other tag can share: its config carries the tag and `unique`.
async fn placeholder_manifest<C: HttpClient>(
    registry: &Registry<C>,
    repository: &Repository,
    tag: &Tag,
    unique: &str,
) -> Result<Manifest, RegistryError> {
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Labels": {
            "org.tagdeck.placeholder": "removes one tag; deleted right after it was pushed",
            "org.tagdeck.tag": tag.as_str(),
            "org.tagdeck.unique": unique,
        }},
        "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&EMPTY_TAR).to_string()] },
    });
    let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
    let config_digest = registry.blob_upload(repository, &config_bytes).await?;
    let layer_digest = registry.blob_upload(repository, &EMPTY_TAR_GZ).await?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": { "mediaType": media::OCI_CONFIG, "digest": config_digest.as_str(), "size": config_bytes.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.as_str(), "size": EMPTY_TAR_GZ.len() }],
    });
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    Manifest::parse(bytes, Some(media::OCI_MANIFEST)).map_err(|e| RegistryError::Malformed {
        attempt: super::error::Attempt {
            method: super::http::Method::Put,
            url: repository.to_string(),
        },
        detail: e.to_string(),
    })
}

/// An empty tar archive (two zero blocks), and the same gzipped: the one layer of
/// the placeholder manifest.
const EMPTY_TAR: [u8; 1024] = [0; 1024];
const EMPTY_TAR_GZ: [u8; 29] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 24, 5, 163, 96, 20, 140, 84, 0, 0, 46, 175, 181, 239,
    0, 4, 0, 0,
];
