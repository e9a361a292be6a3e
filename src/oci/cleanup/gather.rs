//! Reads what the planner needs from a registry, once: every tag's manifest, the
//! platforms of multi-arch images (their blobs count for garbage collection), and
//! the config of each tagged image for its creation date. Reads only; a few at a
//! time; reports progress and stops when asked to.

use crate::model::sort;
use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};

use super::plan::{BlobRef, CleanupFacts, ImageFacts, TagFacts};
use crate::oci::bounds::{bounded, MAX_CREATED_CHARS};
use crate::oci::client::Registry;
use crate::oci::error::{Attempt, RegistryError};
use crate::oci::http::{HttpClient, Method};
use crate::oci::manifest::{Descriptor, Manifest, ManifestKind};
use crate::oci::names::{Digest, Repository};
use crate::oci::referrer_changes::is_referrer_of;
use crate::oci::referrers::is_referrer_tag;

/// Reads in flight at once: Chromium's connections per origin over HTTP/1.1, so a
/// gather never queues behind itself nor crowds out the rest of the console.
pub const GATHER_CONCURRENCY: usize = 6;

/// Manifests read at most (tags plus platforms): a hostile registry must not keep a
/// gather going forever with index after index.
pub const MAX_GATHERED_MANIFESTS: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherStep {
    /// Listing the tags (`done` = tags listed so far, `total` unknown = 0).
    ListingTags,
    /// Reading each tag's manifest.
    ReadingTags,
    /// Reading the platforms of multi-arch images.
    ReadingPlatforms,
    /// Reading image configs for creation dates.
    ReadingConfigs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatherProgress {
    pub step: GatherStep,
    pub done: usize,
    pub total: usize,
}

/// Errors that end the gather: the user cancelled, or the registry wants a sign-in.
/// Anything else is recorded against the tag or image it concerns.
fn ends_gather(error: &RegistryError) -> bool {
    matches!(
        error,
        RegistryError::Aborted { .. }
            | RegistryError::Unauthorized { .. }
            | RegistryError::SignInRefused { .. }
    )
}

impl<C: HttpClient> Registry<C> {
    /// Gathers the facts of `repository` for [`super::plan()`]. `concurrency` reads run
    /// at once (at least one; [`GATHER_CONCURRENCY`] suits a browser). `on_progress`
    /// hears after every read; when `cancelled` turns true no new read starts and
    /// the gather ends with [`RegistryError::Aborted`].
    ///
    /// A tag whose manifest cannot be read is kept in the facts with its problem
    /// (the plan then keeps it and deletes no image); a platform or config that
    /// cannot be read leaves its bytes or date unknown, which the plan handles
    /// safely (unknown dates are never removed by age).
    pub async fn cleanup_facts(
        &self,
        repository: &Repository,
        concurrency: usize,
        on_progress: impl FnMut(GatherProgress),
        cancelled: impl Fn() -> bool,
    ) -> Result<CleanupFacts, RegistryError> {
        self.cleanup_facts_within(
            repository,
            concurrency,
            MAX_GATHERED_MANIFESTS,
            on_progress,
            cancelled,
        )
        .await
    }

    /// [`Registry::cleanup_facts`] reading at most `max_manifests` manifests (tags
    /// first, all of them, then platforms): platforms past it stay unread, as an
    /// unreadable one does.
    pub async fn cleanup_facts_within(
        &self,
        repository: &Repository,
        concurrency: usize,
        max_manifests: usize,
        mut on_progress: impl FnMut(GatherProgress),
        cancelled: impl Fn() -> bool,
    ) -> Result<CleanupFacts, RegistryError> {
        let concurrency = concurrency.max(1);
        let aborted = || RegistryError::Aborted {
            attempt: Attempt {
                method: Method::Get,
                url: format!("{}/v2/{repository}/", self.base_url()),
            },
        };
        let check = &|| if cancelled() { Err(aborted()) } else { Ok(()) };

        check()?;
        let mut listed = 0;
        let listing = self
            .tags(repository, |page| {
                listed += page.len();
                on_progress(GatherProgress {
                    step: GatherStep::ListingTags,
                    done: listed,
                    total: 0,
                });
            })
            .await?;

        // Every tag's manifest, each cut down as it arrives to what the plan needs:
        // kept whole, thousands of manifests of up to 4 MiB each would stay in memory.
        let total = listing.tags.len();
        let mut manifests: BTreeMap<Digest, Gathered> = BTreeMap::new();
        let mut tags = Vec::with_capacity(total);
        // Every manifest GET started, answered or not: the bound on requests.
        let mut reads_started = 0;
        {
            let mut reads = stream::iter(listing.tags.iter())
                .map(|tag| async move {
                    check()?;
                    let read = async {
                        self.manifest_get(repository, self.listed_tag(repository, tag)?)
                            .await
                    };
                    Ok::<_, RegistryError>((tag, read.await))
                })
                .buffer_unordered(concurrency);
            let mut done = 0;
            while let Some(read) = reads.next().await {
                let (tag, result) = read?;
                done += 1;
                reads_started += 1;
                on_progress(GatherProgress {
                    step: GatherStep::ReadingTags,
                    done,
                    total,
                });
                match result {
                    Ok(manifest) => {
                        // A tag named like a signature follows its image only if its
                        // manifest is one: the name alone is anyone's to write.
                        let not_a_referrer = is_referrer_tag(tag)
                            .is_some_and(|(subject, _)| !is_referrer_of(&manifest, &subject, true));
                        tags.push(TagFacts {
                            tag: tag.clone(),
                            digest: Some(manifest.digest.clone()),
                            problem: None,
                            not_a_referrer,
                        });
                        if !manifests.contains_key(&manifest.digest) {
                            manifests.insert(manifest.digest.clone(), Gathered::of(&manifest));
                        }
                    }
                    Err(error) if ends_gather(&error) => return Err(error),
                    Err(error) => tags.push(TagFacts {
                        tag: tag.clone(),
                        digest: None,
                        problem: Some(error),
                        not_a_referrer: false,
                    }),
                }
            }
        }
        let tagged: BTreeSet<Digest> = manifests.keys().cloned().collect();

        // Platforms of indexes, level by level (an index may list indexes), by digest
        // only, so each answer is checked against the digest asked for.
        let mut unreadable: BTreeSet<Digest> = BTreeSet::new();
        let mut done = 0;
        loop {
            // Past the cut-off, what is left unread stays out of the facts, as an
            // unreadable one does: the plan names the images above it in a note
            // (`PlanNote::PlatformsUnread`) and deletes none of them. The cut-off
            // bounds each level too: one level can list millions.
            let room = max_manifests.saturating_sub(reads_started);
            let wanted: BTreeSet<Digest> = manifests
                .values()
                .flat_map(|m| &m.facts.children)
                .filter(|d| !manifests.contains_key(*d) && !unreadable.contains(*d))
                .take(room)
                .cloned()
                .collect();
            if wanted.is_empty() {
                break;
            }
            let total = done + wanted.len();
            let mut reads = stream::iter(wanted.iter())
                .map(|digest| async move {
                    check()?;
                    Ok::<_, RegistryError>((digest, self.manifest_get(repository, digest).await))
                })
                .buffer_unordered(concurrency);
            while let Some(read) = reads.next().await {
                let (digest, result) = read?;
                done += 1;
                reads_started += 1;
                on_progress(GatherProgress {
                    step: GatherStep::ReadingPlatforms,
                    done,
                    total,
                });
                match result {
                    Ok(manifest) => {
                        manifests.insert(manifest.digest.clone(), Gathered::of(&manifest));
                    }
                    Err(error) if ends_gather(&error) => return Err(error),
                    Err(_) => {
                        unreadable.insert(digest.clone());
                    }
                }
            }
        }

        // The config that dates each tagged image (an index: its first platform's).
        let mut dating: BTreeMap<Digest, Descriptor> = BTreeMap::new();
        for digest in &tagged {
            let Some(gathered) = manifests.get(digest) else {
                continue;
            };
            let image = match &gathered.first_platform {
                Some(first) => manifests.get(first),
                None => Some(gathered),
            };
            if let Some(config) = image.and_then(|g| g.config.as_ref()) {
                dating.insert(digest.clone(), config.clone());
            }
        }
        let configs: BTreeMap<&str, &Descriptor> =
            dating.values().map(|d| (d.digest.as_str(), d)).collect();
        let total = configs.len();
        let mut created: BTreeMap<Digest, Option<String>> = BTreeMap::new();
        {
            let mut reads = stream::iter(configs.values())
                .map(|descriptor| async move {
                    check()?;
                    Ok::<_, RegistryError>((
                        descriptor,
                        self.config_get(repository, descriptor).await,
                    ))
                })
                .buffer_unordered(concurrency);
            let mut done = 0;
            while let Some(read) = reads.next().await {
                let (descriptor, result) = read?;
                done += 1;
                on_progress(GatherProgress {
                    step: GatherStep::ReadingConfigs,
                    done,
                    total,
                });
                match result {
                    Ok(config) => {
                        // Copied into every row of the plan and its exports: cut, so a
                        // long one stays visible as what it is, not a date.
                        let date = config.created.map(|c| bounded(&c, MAX_CREATED_CHARS));
                        created.insert(descriptor.digest.clone(), date);
                    }
                    Err(error) if ends_gather(&error) => return Err(error),
                    Err(_) => {}
                }
            }
        }

        let images = manifests
            .into_iter()
            .map(|(digest, gathered)| {
                let mut facts = gathered.facts;
                facts.created = dating
                    .get(&digest)
                    .and_then(|c| created.get(&c.digest).cloned().flatten());
                (digest, facts)
            })
            .collect();
        sort::by(&mut tags, |a, b| a.tag.cmp(&b.tag));
        Ok(CleanupFacts {
            repository: repository.to_string(),
            tags,
            images,
            tags_may_be_incomplete: listing.may_be_incomplete,
        })
    }
}

/// What the gather keeps of one manifest read: its facts (without a date yet), the
/// config that may date it, and for an index its first platform.
struct Gathered {
    facts: ImageFacts,
    config: Option<Descriptor>,
    first_platform: Option<Digest>,
}

impl Gathered {
    fn of(manifest: &Manifest) -> Gathered {
        let is_index = manifest.kind() == ManifestKind::Index;
        Gathered {
            facts: image_facts(manifest, None),
            config: image_config(manifest).cloned(),
            first_platform: if is_index {
                first_platform(manifest)
            } else {
                None
            },
        }
    }
}

/// The manifests an index lists (valid digests only).
fn children_of(manifest: &Manifest) -> Vec<Digest> {
    if manifest.kind() != ManifestKind::Index {
        return Vec::new();
    }
    manifest
        .view
        .manifests
        .iter()
        .map(|d| d.digest.clone())
        .collect()
}

/// The first real platform of an index (buildx lists attestations as "unknown").
fn first_platform(index: &Manifest) -> Option<Digest> {
    index
        .view
        .manifests
        .iter()
        .find(|child| child.platform.as_ref().is_some_and(|p| p.os != "unknown"))
        .or_else(|| index.view.manifests.first())
        .map(|child| child.digest.clone())
}

/// The config descriptor of an image whose config is an image configuration.
fn image_config(manifest: &Manifest) -> Option<&Descriptor> {
    if manifest.kind() != ManifestKind::Image {
        return None;
    }
    manifest.view.config.as_ref().filter(|c| {
        c.media_type
            .as_deref()
            .is_none_or(crate::oci::media::is_image_config)
    })
}

fn image_facts(manifest: &Manifest, created: Option<String>) -> ImageFacts {
    let is_index = manifest.kind() == ManifestKind::Index;
    let blobs = if is_index {
        Vec::new()
    } else {
        manifest
            .view
            .config
            .iter()
            .chain(&manifest.view.layers)
            .map(|d| BlobRef {
                digest: d.digest.clone(),
                size: d.size,
            })
            .collect()
    };
    ImageFacts {
        digest: manifest.digest.clone(),
        created,
        is_index,
        children: children_of(manifest),
        blobs,
    }
}
