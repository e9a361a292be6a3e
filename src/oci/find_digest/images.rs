//! A layer or an image configuration is no manifest a tag could point at: once the
//! blob endpoint says a repository stores it, the images its tags name (and the
//! platforms of its multi-arch images) are read, each by digest and once, to say
//! which have it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use futures_util::stream::{self, StreamExt};

use super::{
    ends_search, DigestUse, FindProgress, Gap, IndexEntry, Shared, TaggedHere, TAG_CONCURRENCY,
};
use crate::oci::bounds::bounded;
use crate::oci::client::Registry;
use crate::oci::error::RegistryError;
use crate::oci::http::HttpClient;
use crate::oci::image_summary::MAX_LABEL_CHARS;
use crate::oci::manifest::{Manifest, ManifestKind};
use crate::oci::names::{Digest, Repository, Tag};
use serde_json::Value;

/// Image manifests read at most in one search, as for indexes
/// ([`super::MAX_INDEXES_READ`]); beyond it they are counted as not read.
pub const MAX_IMAGES_READ: usize = 20_000;

/// Where an image has the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImagePart {
    Config,
    /// Layer `number` (from 1, the base) of `of`.
    Layer {
        number: usize,
        of: usize,
    },
}

/// Where `manifest` has `target`, if it does.
pub fn part_of(manifest: &Manifest, target: &Digest) -> Option<ImagePart> {
    if manifest
        .view
        .config
        .as_ref()
        .is_some_and(|config| config.digest == *target)
    {
        return Some(ImagePart::Config);
    }
    let layers = &manifest.view.layers;
    if let Some(at) = layers.iter().position(|layer| layer.digest == *target) {
        return Some(ImagePart::Layer {
            number: at + 1,
            of: layers.len(),
        });
    }
    // Schema 1 lists its layers as `fsLayers`, the top one first.
    let fs_layers = listed(manifest, "fsLayers", "blobSum");
    if let Some(at) = fs_layers.iter().position(|d| *d == target.as_str()) {
        return Some(ImagePart::Layer {
            number: fs_layers.len() - at,
            of: fs_layers.len(),
        });
    }
    // An OCI 1.1 release-candidate artifact lists its parts as `blobs`.
    let blobs = listed(manifest, "blobs", "digest");
    blobs
        .iter()
        .position(|d| *d == target.as_str())
        .map(|at| ImagePart::Layer {
            number: at + 1,
            of: blobs.len(),
        })
}

/// The `field` of each entry of the manifest's `list`, a field the view does not know.
fn listed<'a>(manifest: &'a Manifest, list: &str, field: &str) -> Vec<&'a str> {
    manifest
        .view
        .extra
        .get(list)
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|entry| entry.get(field)?.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether what the manifest references is known: an image, or a manifest that
/// lists its parts the way [`part_of`] reads. Of any other, "it does not have the
/// digest" cannot be said.
fn inspectable(manifest: &Manifest) -> bool {
    manifest.kind() == ManifestKind::Image
        || manifest.view.config.is_some()
        || !manifest.view.layers.is_empty()
        || ["fsLayers", "blobs"]
            .iter()
            .any(|list| manifest.view.extra.get(*list).is_some_and(Value::is_array))
}

/// The tags (and, through a multi-arch image, the platform) that name one image.
type Namers = Vec<(Tag, Option<String>)>;

/// What came of one image.
enum ImageRead {
    /// Read (or not, when unreadable or cancelled): this many uses found.
    Uses(usize),
    /// Beyond [`MAX_IMAGES_READ`].
    NotRead,
}

impl<C: HttpClient> Registry<C> {
    /// Reads the images `here` names and reports each tag whose image has `target`;
    /// returns how many uses it found.
    pub(super) async fn find_in_images<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        target: &Digest,
        here: TaggedHere,
        shared: &RefCell<Shared<P, U>>,
        cancelled: &impl Fn() -> bool,
    ) -> Result<usize, RegistryError> {
        let images = images_named(here, &shared.borrow().indexes);
        let mut found = 0;
        let mut not_read = 0;
        let mut reads = stream::iter(images)
            .map(|(image, namers)| async move {
                if cancelled() {
                    return Ok(ImageRead::Uses(0));
                }
                {
                    let mut shared = shared.borrow_mut();
                    if shared.image_reads >= MAX_IMAGES_READ {
                        return Ok(ImageRead::NotRead);
                    }
                    shared.image_reads += 1;
                }
                // By digest: the bytes are verified against it.
                let read = self.manifest_get(repository, &image).await;
                let mut shared = shared.borrow_mut();
                match read {
                    Ok(manifest) => {
                        shared.progress(|p| p.images_read += 1);
                        let Some(part) = part_of(&manifest, target) else {
                            if !inspectable(&manifest) {
                                shared.gap(Gap::ImageNotInspected {
                                    repository: repository.clone(),
                                    image: image.clone(),
                                    named_by: namers,
                                    media_type: bounded(&manifest.media_type(), MAX_LABEL_CHARS),
                                });
                            }
                            return Ok(ImageRead::Uses(0));
                        };
                        let uses = namers.len();
                        for (tag, platform) in namers {
                            shared.found(DigestUse::InImage {
                                repository: repository.clone(),
                                tag,
                                image: image.clone(),
                                platform,
                                part,
                            });
                        }
                        Ok(ImageRead::Uses(uses))
                    }
                    Err(error) if ends_search(&error) => Err(error),
                    Err(problem) => {
                        shared.gap(Gap::ImageUnreadable {
                            repository: repository.clone(),
                            image: image.clone(),
                            named_by: namers,
                            problem,
                        });
                        Ok(ImageRead::Uses(0))
                    }
                }
            })
            .buffer_unordered(TAG_CONCURRENCY);
        while let Some(read) = reads.next().await {
            match read? {
                ImageRead::NotRead => not_read += 1,
                ImageRead::Uses(uses) => found += uses,
            }
        }
        if not_read > 0 {
            shared.borrow_mut().gap(Gap::ImagesNotRead {
                repository: repository.clone(),
                count: not_read,
            });
        }
        Ok(found)
    }
}

/// Every image the tags of the repository name, directly or as a platform of a
/// multi-arch image (from the indexes already read), each once.
fn images_named(
    here: TaggedHere,
    indexes: &HashMap<Digest, Result<Vec<IndexEntry>, RegistryError>>,
) -> BTreeMap<Digest, Namers> {
    let mut images: BTreeMap<Digest, Namers> = BTreeMap::new();
    for (image, tags) in here.images {
        images
            .entry(image)
            .or_default()
            .extend(tags.into_iter().map(|tag| (tag, None)));
    }
    for (index, tags) in here.indexes {
        // An index that could not be read is a gap already.
        let Some(Ok(entries)) = indexes.get(&index) else {
            continue;
        };
        // An index listed here is no image: its own entries are here too.
        for entry in entries.iter().filter(|e| !e.is_index) {
            let namers = images.entry(entry.digest.clone()).or_default();
            for tag in &tags {
                namers.push((tag.clone(), entry.platform.clone()));
            }
        }
    }
    images
}
