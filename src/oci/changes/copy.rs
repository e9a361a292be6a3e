//! Copying an image (a whole multi-arch index included) to another repository by
//! mounting its blobs, then tagging the exact manifest bytes.

use super::copy_steps::{CopyReport, CopyStep, CopyWork};
use super::error::{is_definite_refusal, ChangeError, ReadAgain};
use super::tag_write::{tag_stand, TagStand};
use super::written::TagWrite;
use crate::oci::client::{MountOutcome, Registry};
use crate::oci::error::{Attempt, MalformedReason, RegistryError};
use crate::oci::http::{HttpClient, Method};
use crate::oci::intent::Intent;
use crate::oci::manifest::{Descriptor, Manifest, ManifestKind};
use crate::oci::media;
use crate::oci::names::{Digest, Repository, Tag};

/// Manifests an index (and the indexes it lists) may bring into a copy.
const MAX_MANIFESTS_BELOW: usize = 1000;
/// Bytes of those manifests, in total: each is held in the page's memory until the
/// copy is done, and a thousand of up to 4 MiB would be 4 GiB. Real ones are a few
/// KiB each: a thousand-platform index fits many times over.
const MAX_BYTES_BELOW: usize = 64 * 1024 * 1024;

/// `found` ordered so that each manifest comes after every one it lists (post-order):
/// a manifest listed both by the source and by an index below it still comes before
/// that index. Digests are verified, so the listing has no cycles; each is entered once.
fn children_first(found: Vec<Manifest>) -> Vec<Manifest> {
    let at: std::collections::HashMap<&Digest, usize> = found
        .iter()
        .enumerate()
        .map(|(i, m)| (&m.digest, i))
        .collect();
    let mut entered = vec![false; found.len()];
    let mut order = Vec::with_capacity(found.len());
    for root in 0..found.len() {
        if std::mem::replace(&mut entered[root], true) {
            continue;
        }
        let mut stack = vec![(root, 0)];
        while let Some((i, next)) = stack.pop() {
            let Some(child) = found[i].view.manifests.get(next) else {
                order.push(i);
                continue;
            };
            stack.push((i, next + 1));
            if let Some(&j) = at.get(&child.digest) {
                if !std::mem::replace(&mut entered[j], true) {
                    stack.push((j, 0));
                }
            }
        }
    }
    let mut slots: Vec<Option<Manifest>> = found.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

fn copy_stopped(at: CopyWork, cause: ChangeError) -> ChangeError {
    ChangeError::CopyStopped {
        at,
        cause: Box::new(cause),
    }
}

impl<C: HttpClient> Registry<C> {
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
        mut on_step: impl FnMut(CopyStep) -> bool,
    ) -> Result<(TagWrite, CopyReport), ChangeError> {
        // `on_step` answers false to stop (the user pressed Cancel): checked before
        // each step, never in the middle of one.
        let mut step = |done: usize, total: usize, what: CopyWork| {
            if on_step(CopyStep { done, total, what }) {
                Ok(())
            } else {
                Err(ChangeError::Cancelled { done, total })
            }
        };
        let below = self.manifests_below(from, source).await?;
        // The target tag, read before anything is written: one that points at
        // another image asks for the move now, not after every blob was copied.
        let before = self.resolve_tag(to, tag).await?;
        match tag_stand(tag, before.clone(), &source.digest, move_from)? {
            // Already there: whatever the copy mounts is there too.
            TagStand::SameImage => {}
            TagStand::Absent | TagStand::MovesFrom(_) => self.note_change(Intent::CopyImage {
                from: from.clone(),
                to: to.clone(),
                tag: tag.clone(),
                digest: source.digest.clone(),
                before,
            })?,
        }
        let images: Vec<&Manifest> = std::iter::once(source)
            .chain(below.iter())
            .filter(|m| m.kind() != ManifestKind::Index)
            .collect();
        let blobs: Vec<Descriptor> = images
            .iter()
            .flat_map(|m| m.view.config.iter().chain(m.view.layers.iter()).cloned())
            .filter(|b| b.media_type.as_deref() != Some(media::OCI_EMPTY) || b.size > 0)
            .collect();
        let total = blobs.len() + below.len() + 1;
        let mut done = 0;
        let mut report = CopyReport::default();
        for blob in &blobs {
            step(done, total, CopyWork::Blob(blob.digest.clone()))?;
            self.copy_blob(from, to, blob, &blob.digest, &mut report)
                .await
                .map_err(|e| copy_stopped(CopyWork::Blob(blob.digest.clone()), e))?;
            done += 1;
        }
        // Children before the indexes that list them: a registry refuses an index
        // whose manifests it does not have.
        for child in &below {
            let at = || CopyWork::Manifest {
                digest: child.digest.clone(),
                platform: platform_of(&child.digest, std::iter::once(source).chain(&below)),
            };
            step(done, total, at())?;
            match self.manifest_head(to, &child.digest).await {
                Ok(_) => report.manifests_present += 1,
                Err(RegistryError::NotFound { .. }) => {
                    self.put_by_digest_checked(to, child)
                        .await
                        .map_err(|e| copy_stopped(at(), e))?;
                    report.manifests += 1;
                }
                Err(error) => return Err(copy_stopped(at(), error.into())),
            }
            done += 1;
        }
        step(done, total, CopyWork::Tag(tag.clone()))?;
        let write =
            self.put_tag(to, tag, source, move_from)
                .await
                .map_err(|error| match error {
                    // The dialog asks to confirm the move: nothing to say yet.
                    ChangeError::WouldMove { .. } => error,
                    // No tag written, but blobs and platform manifests may have been:
                    // never "the failure came before any write". (One that wrote the
                    // tag keeps its Undo as it is.)
                    ChangeError::Refused(_)
                    | ChangeError::NotAppliedAfterFailure { .. }
                    | ChangeError::Registry(_)
                    | ChangeError::ChangedMeanwhile { .. }
                    | ChangeError::NotRecorded => copy_stopped(CopyWork::Tag(tag.clone()), error),
                    error => error,
                })?;
        // A tag that already pointed at the image was not written again.
        if write.changed() {
            report.manifests += 1;
        } else {
            report.manifests_present += 1;
        }
        // Past the last write: too late to cancel, whatever the answer.
        let _ = step(total, total, CopyWork::Done);
        Ok((write, report))
    }

    /// PUTs `manifest` to `to` under its digest. A PUT that failed without a definite
    /// refusal may have landed: the registry, read again after a moment, says which,
    /// and one stored counts as written.
    pub(crate) async fn put_by_digest_checked(
        &self,
        to: &Repository,
        manifest: &Manifest,
    ) -> Result<(), ChangeError> {
        let put = self
            .manifest_put(
                to,
                &manifest.digest,
                &manifest.bytes,
                &manifest.content_type,
            )
            .await;
        let Err(error) = put else { return Ok(()) };
        if is_definite_refusal(&error) {
            return Err(ChangeError::Refused(Box::new(error)));
        }
        self.settle_after(&error).await;
        match self.manifest_head(to, &manifest.digest).await {
            Ok(_) => Ok(()),
            Err(RegistryError::NotFound { .. }) => Err(ChangeError::NotAppliedAfterFailure {
                subject: format!("{to}@{}", manifest.digest),
                now: ReadAgain::ImageAbsent,
                cause: Box::new(error),
            }),
            Err(reread) => Err(ChangeError::Unknown {
                cause: Box::new(error),
                reread: Box::new(reread),
            }),
        }
    }

    /// Every manifest an index lists, and what those list in turn (an index may list
    /// indexes), each once, after all it lists: the order to PUT them in. Empty for an image.
    async fn manifests_below(
        &self,
        repository: &Repository,
        source: &Manifest,
    ) -> Result<Vec<Manifest>, RegistryError> {
        let mut found: Vec<Manifest> = Vec::new();
        let mut seen = std::collections::HashSet::from([source.digest.clone()]);
        // Breadth first from the source, each fetched once; then ordered children first.
        let mut next = 0;
        let mut children: Vec<Digest> = source
            .view
            .manifests
            .iter()
            .map(|c| c.digest.clone())
            .collect();
        let mut bytes = 0;
        let attempt = || Attempt::new(Method::Get, &format!("{repository}@{}", source.digest));
        loop {
            for child in children {
                // Each once, however often listed: a 4 MiB index can list one digest
                // 40,000 times.
                if !seen.insert(child.clone()) {
                    continue;
                }
                // A child is named by digest, never by tag (validated when the index
                // was parsed), and the bytes fetched are verified against it.
                let manifest = self.manifest_get(repository, child).await?;
                bytes += manifest.bytes.len();
                found.push(manifest);
                if bytes > MAX_BYTES_BELOW {
                    return Err(RegistryError::TooLarge {
                        attempt: attempt(),
                        size: bytes,
                        limit: MAX_BYTES_BELOW,
                    });
                }
                if found.len() > MAX_MANIFESTS_BELOW {
                    return Err(RegistryError::Malformed {
                        attempt: attempt(),
                        reason: MalformedReason::TooManyManifests {
                            max: MAX_MANIFESTS_BELOW,
                        },
                    });
                }
            }
            let Some(parent) = found.get(next) else { break };
            children = parent
                .view
                .manifests
                .iter()
                .map(|c| c.digest.clone())
                .collect();
            next += 1;
        }
        Ok(children_first(found))
    }

    pub(crate) async fn copy_blob(
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
        // A foreign (non-distributable) layer is fetched from its `urls`; a source
        // without it is normal, and the target needs it no more (as crane skips it).
        if is_foreign(blob) && self.blob_head(from, digest).await?.is_none() {
            report.foreign_skipped += 1;
            return Ok(());
        }
        match self.blob_mount(to, digest, from).await? {
            MountOutcome::Mounted => report.mounted += 1,
            MountOutcome::UploadStarted { location } => {
                // The registry would not mount: send the bytes through the browser.
                // Bounded: a larger layer is refused with advice, never held whole in
                // the page's memory.
                let uploaded = async {
                    let bytes = self
                        .blob_get_verified(from, blob, media::MAX_BROWSER_COPY_BYTES)
                        .await?;
                    self.blob_upload_to(&location, digest, &bytes).await
                }
                .await;
                if let Err(error) = uploaded {
                    // Best effort: the error that matters is the upload's.
                    let _ = self.blob_upload_cancel(&location).await;
                    return Err(error.into());
                }
                report.uploaded += 1;
            }
        }
        Ok(())
    }
}

/// A layer not meant to be pushed: a foreign or non-distributable media type, with
/// `urls` to fetch it from.
fn is_foreign(blob: &Descriptor) -> bool {
    let media_type = blob.media_type.as_deref().unwrap_or_default();
    !blob.urls.is_empty()
        && (media_type.contains("foreign") || media_type.contains("nondistributable"))
}

/// The platform one of `indexes` lists `digest` as ("linux/arm64/v8"), to name a
/// copy's step by it rather than by a digest.
fn platform_of<'a>(digest: &Digest, indexes: impl Iterator<Item = &'a Manifest>) -> Option<String> {
    indexes
        .flat_map(|index| &index.view.manifests)
        .find(|listed| listed.digest == *digest)
        .and_then(|listed| listed.platform.as_ref())
        .map(|platform| platform.label())
}
