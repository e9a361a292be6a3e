//! Removing a tag on a registry that cannot delete tags (distribution 2.8): the tag is
//! pointed at a unique throw-away manifest, which is then deleted by digest.

use super::error::{after_write, is_definite_refusal, keep_undo_unless_refused, ChangeError};
use super::written::{Removal, Written};
use crate::oci::client::Registry;
use crate::oci::error::RegistryError;
use crate::oci::http::{HttpClient, Method};
use crate::oci::intent::Intent;
use crate::oci::manifest::Manifest;
use crate::oci::media;
use crate::oci::names::{Digest, Repository, Tag};

impl<C: HttpClient> Registry<C> {
    /// For registries that cannot delete a tag (distribution 2.8): point the tag at a
    /// unique throw-away manifest, then delete that manifest by its digest. Every step
    /// that fails without a definite refusal is checked by reading the tag again.
    pub(super) async fn detach_with_placeholder(
        &self,
        removal: &mut Removal,
        unique: &str,
    ) -> Result<(), ChangeError> {
        let (repository, tag) = (removal.repository.clone(), removal.tags[0].clone());
        // Uploading the placeholder's blobs changes no tag and no manifest: whatever
        // happens to them, nothing the user sees has changed.
        let placeholder = placeholder_manifest(self, &repository, &tag, unique)
            .await
            .map_err(|e| ChangeError::Refused(Box::new(e)))?;
        removal.placeholder = Some(placeholder.digest.clone());
        // One cycle at a time: distribution 2.8 deletes a manifest, then walks every tag
        // link of the repository to untag those on it; an error in that walk (a link
        // that a concurrent tag PUT is rewriting, most likely) answers 500 after the
        // delete and leaves the tag listed, pointing at nothing. Blob uploads above
        // still run in parallel.
        let _one_cycle_at_a_time = self.removes_by_placeholder.one_placeholder_cycle().await;
        // Read again just before the first write: since the check before the DELETE by
        // tag, the probe, the uploads and the wait above, the tag may have been pushed
        // elsewhere (CI), and the placeholder would take that image's tag.
        let seen = removal.digest.clone();
        self.expect_unchanged(&repository, &tag, &seen).await?;
        if let Err(error) = self.manifest_put_tag(&repository, &tag, &placeholder).await {
            self.recheck_tag(
                &repository,
                &tag,
                (Some(&seen), Some(&placeholder.digest)),
                error,
            )
            .await
            .map_err(|e| {
                keep_undo_unless_refused(e, Written::Removal(Box::new(removal.clone())))
            })?;
        }
        let Err(cause) = self.manifest_delete(&repository, &placeholder.digest).await else {
            return Ok(());
        };
        // Whatever the failure, the tag is read again before anything is undone, after a
        // moment for a DELETE still on its way.
        self.settle_after(&cause).await;
        if self.tag_gone(&repository, &tag).await {
            removal.applied_anyway = Some(Box::new(cause));
            return Ok(());
        }
        // Put the tag back before reporting: never leave it on the placeholder. Only
        // over the placeholder, or nothing: never over what someone pushed meanwhile.
        let cause = Box::new(cause);
        let now = match self.resolve_tag(&repository, &tag).await {
            Ok(now) if now.as_ref().is_none_or(|d| *d == placeholder.digest) => {
                match self
                    .manifest_put_tag(&repository, &tag, &removal.manifest)
                    .await
                {
                    Ok(_) => Ok(Some(removal.digest.clone())),
                    Err(_) => self.resolve_tag(&repository, &tag).await,
                }
            }
            now => now,
        };
        let written = || Written::Removal(Box::new(removal.clone()));
        match now {
            // Unless refused outright, the DELETE may still complete and take the tag
            // put back with it: the Undo stays.
            Ok(Some(digest)) if digest == removal.digest => {
                let refused = is_definite_refusal(&cause);
                let rolled_back = ChangeError::RolledBack {
                    tag: tag.to_string(),
                    digest,
                    placeholder: placeholder.digest,
                    cause,
                };
                Err(if refused {
                    rolled_back
                } else {
                    after_write(rolled_back, written())
                })
            }
            // The placeholder's delete had landed after all: the tag is gone.
            Ok(None) if self.tag_gone(&repository, &tag).await => {
                removal.applied_anyway = Some(cause);
                Ok(())
            }
            // Pushed elsewhere meanwhile: left as it is (Undo will not overwrite it).
            Ok(Some(found)) if found != placeholder.digest => Err(after_write(
                ChangeError::ChangedMeanwhile {
                    tag: tag.to_string(),
                    expected: removal.digest.clone(),
                    found: Some(found),
                },
                written(),
            )),
            // On the placeholder, or listed but pointing at nothing.
            Ok(_) => Err(after_write(
                ChangeError::Stranded {
                    tag: tag.to_string(),
                    original: removal.digest.clone(),
                    placeholder: placeholder.digest,
                    cause,
                },
                written(),
            )),
            Err(reread) => Err(after_write(
                ChangeError::Unknown {
                    cause,
                    reread: Box::new(reread),
                },
                written(),
            )),
        }
    }

    /// Finishes a removal of `tag` cut short between its two steps, with the tag left
    /// on its `placeholder`: the placeholder is deleted, and the tag with it.
    pub(super) async fn finish_on_placeholder(
        &self,
        repository: &Repository,
        tag: &Tag,
        placeholder: &Digest,
    ) -> Result<(), ChangeError> {
        let Err(cause) = self.manifest_delete(repository, placeholder).await else {
            return self.expect_tag(repository, tag, None).await;
        };
        // Refused outright, nothing changed; else it may have landed, and the tag,
        // read again, tells.
        self.recheck_tag(repository, tag, (Some(placeholder), None), cause)
            .await
            .map(drop)
    }

    /// Finishes `removal`, found after a reload with its tag on its throw-away
    /// manifest ([`crate::oci::recovery::Outcome::OnPlaceholder`]): that manifest is
    /// deleted, noted first as the removal it finishes. Its Undo is kept on failure:
    /// the tag was moved off its image.
    pub(crate) async fn finish_removal(&self, removal: &Removal) -> Result<(), ChangeError> {
        let (Some(placeholder), [tag]) = (&removal.placeholder, &removal.tags[..]) else {
            return Ok(());
        };
        let written = || Written::Removal(Box::new(removal.clone()));
        self.note_change(Intent::RemoveTag {
            repository: removal.repository.clone(),
            tag: tag.clone(),
            digest: removal.digest.clone(),
        })
        .map_err(|e| after_write(e, written()))?;
        self.finish_on_placeholder(&removal.repository, tag, placeholder)
            .await
            .map_err(|e| after_write(e, written()))
    }

    /// Whether `digest` is the throw-away manifest a removal of `tag` pushes: its
    /// config carries Tagdeck's placeholder labels naming that tag.
    pub(crate) async fn is_placeholder_for(
        &self,
        repository: &Repository,
        digest: &Digest,
        tag: &Tag,
    ) -> bool {
        let Ok(manifest) = self.manifest_get(repository, digest).await else {
            return false;
        };
        let Ok(Some(config)) = self.image_config_of(repository, &manifest).await else {
            return false;
        };
        let labels = config.config.and_then(|c| c.labels).unwrap_or_default();
        labels.contains_key(PLACEHOLDER_LABEL)
            && labels.get(PLACEHOLDER_TAG_LABEL).map(String::as_str) == Some(tag.as_str())
    }
}

/// The labels that mark a placeholder manifest's config, and name the tag it removes.
pub const PLACEHOLDER_LABEL: &str = "org.tagdeck.placeholder";
pub const PLACEHOLDER_TAG_LABEL: &str = "org.tagdeck.tag";

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
            PLACEHOLDER_LABEL: "removes one tag; deleted right after it was pushed",
            PLACEHOLDER_TAG_LABEL: tag.as_str(),
            "org.tagdeck.unique": unique,
        }},
        "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&EMPTY_TAR).to_string()] },
    });
    let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
    let config_digest = registry.blob_upload(repository, &config_bytes).await?;
    let layer = empty_layer(tag, unique);
    let layer_digest = registry.blob_upload(repository, &layer).await?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": { "mediaType": media::OCI_CONFIG, "digest": config_digest.as_str(), "size": config_bytes.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.as_str(), "size": layer.len() }],
    });
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    Manifest::parse(bytes, Some(media::OCI_MANIFEST)).map_err(|e| {
        let attempt = crate::oci::error::Attempt {
            method: Method::Put,
            url: repository.to_string(),
        };
        crate::oci::client::manifest_error(attempt, e)
    })
}

/// The placeholder's one layer: the empty tar gzipped, with a gzip comment naming
/// the tag and `unique`, so every placeholder uploads a blob of its own. Placeholders
/// of several images are pushed at once by a bulk removal, and distribution 2.8
/// races on concurrent uploads of one blob: a shared layer made some of their PUTs
/// fail with MANIFEST_BLOB_UNKNOWN. The comment changes no byte of the tar, so the
/// rootfs diff_id stays that of the empty tar.
pub fn empty_layer(tag: &Tag, unique: &str) -> Vec<u8> {
    const FCOMMENT: u8 = 0x10;
    let mut gz = EMPTY_TAR_GZ[..10].to_vec();
    gz[3] |= FCOMMENT;
    // A comment is Latin-1 text ending in a zero byte: tag characters and the
    // marker's alphanumerics only.
    let comment = format!("tagdeck placeholder {} {}", tag.as_str(), unique);
    gz.extend(
        comment
            .bytes()
            .filter(|b| b.is_ascii_graphic() || *b == b' '),
    );
    gz.push(0);
    gz.extend_from_slice(&EMPTY_TAR_GZ[10..]);
    gz
}

/// An empty tar archive (two zero blocks), and the same gzipped.
const EMPTY_TAR: [u8; 1024] = [0; 1024];
const EMPTY_TAR_GZ: [u8; 29] = [
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 24, 5, 163, 96, 20, 140, 84, 0, 0, 46, 175, 181, 239,
    0, 4, 0, 0,
];
