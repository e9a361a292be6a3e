//! Who else uses an image within its repository: other tags, and multi-arch images
//! that list it as a platform.

use crate::model::sort;
use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::oci::client::{Registry, TagListing};
use crate::oci::error::{Attempt, MalformedReason, RegistryError};
use crate::oci::http::{HttpClient, Method};
use crate::oci::index_levels::level_below;
use crate::oci::media;
use crate::oci::names::{Digest, Repository};

/// Indexes listed by the tags' indexes (an index of indexes) read at most to say who
/// uses an image; the indexes tags name are all read.
const MAX_INDEXES_READ: usize = 1000;

/// Who else uses an image within its repository. While anything does, removing one of
/// its tags must not delete the image by digest: that takes every tag pointing at it
/// and breaks the multi-arch images that list it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageUsers {
    /// Other tags pointing at the image.
    pub tags: Vec<String>,
    /// Tags of multi-arch images (indexes) that list the image as a platform.
    pub indexes: Vec<String>,
    /// Found among a tag list that may be incomplete: others may use the image
    /// unseen, so "nothing else uses it" cannot be said.
    #[serde(default)]
    pub among_incomplete_list: bool,
}

impl ImageUsers {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.indexes.is_empty()
    }
}

impl<C: HttpClient> Registry<C> {
    /// Who among `candidates` (tags of `repository`) uses the image `digest`: the tags
    /// pointing at it, and the tags of multi-arch images listing it as a platform.
    pub async fn image_users(
        &self,
        repository: &Repository,
        digest: &Digest,
        candidates: &[String],
    ) -> Result<ImageUsers, RegistryError> {
        let mut users = self
            .users_of_images(repository, std::slice::from_ref(digest), candidates)
            .await?;
        Ok(users.remove(digest).unwrap_or_default())
    }

    /// [`Registry::image_users`] for many images at once (a bulk removal): every
    /// candidate is looked up once and every multi-arch image fetched once, however
    /// many images are asked about.
    pub async fn users_of_images(
        &self,
        repository: &Repository,
        digests: &[Digest],
        candidates: &[String],
    ) -> Result<HashMap<Digest, ImageUsers>, RegistryError> {
        self.users_naming_unread(repository, digests, candidates)
            .await
            .map_err(|(_, error)| error)
    }

    /// [`Registry::users_of_images`], naming the candidates that could not be looked
    /// up (none when what failed was another read).
    async fn users_naming_unread(
        &self,
        repository: &Repository,
        digests: &[Digest],
        candidates: &[String],
    ) -> Result<HashMap<Digest, ImageUsers>, (Vec<String>, RegistryError)> {
        let found = self.look_up_tags_naming(repository, candidates).await?;
        self.users_among(repository, digests, found)
            .await
            .map_err(|error| (Vec::new(), error))
    }

    /// [`Registry::users_of_images`], the candidates looked up (`found`).
    pub(super) async fn users_among(
        &self,
        repository: &Repository,
        digests: &[Digest],
        found: Vec<(String, Option<(Digest, String)>)>,
    ) -> Result<HashMap<Digest, ImageUsers>, RegistryError> {
        let mut users: HashMap<Digest, ImageUsers> = digests
            .iter()
            .map(|d| (d.clone(), ImageUsers::default()))
            .collect();
        let mut indexes: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
        for (tag, found) in found {
            let Some((found, media_type)) = found else {
                continue;
            };
            if let Some(image) = users.get_mut(&found) {
                image.tags.push(tag.clone());
            }
            // Also when it is one of the images asked about: a bulk removal of an
            // index and of its platforms must see that the index lists them.
            if media::is_index(&media_type) {
                indexes.entry(found).or_default().push(tag);
            }
        }
        // One GET per distinct multi-arch image in the repository, then per index
        // those list, level by level. The tags' own indexes are all read, however
        // many; only those below them are bounded. Each index is cut down as it
        // arrives to what is asked (the images it lists, the indexes below it, each
        // once): a level is every multi-arch tag of the repository, of up to 4 MiB
        // each. Kept, so that an index reached again by other tags (see
        // `index_levels`) gives them what it lists without a second read.
        let named = indexes.len();
        let mut level = indexes;
        let mut lists: HashMap<Digest, Vec<(Digest, bool)>> = HashMap::new();
        let mut attached = HashSet::new();
        while !level.is_empty() {
            let unread: Vec<&Digest> = (level.keys())
                .filter(|index| !lists.contains_key(*index))
                .collect();
            let mut read = stream::iter(unread)
                .map(|index| async move {
                    let manifest = self.manifest_get(repository, index).await?;
                    Ok::<_, RegistryError>((index, manifest))
                })
                .buffer_unordered(self.lookup_concurrency);
            while let Some(read) = read.next().await {
                let (index, manifest) = read?;
                let mut listed: Vec<(Digest, bool)> = (manifest.view.manifests.iter())
                    .filter(|child| child.is_index() || users.contains_key(&child.digest))
                    .map(|child| (child.digest.clone(), child.is_index()))
                    .collect();
                sort::ascending(&mut listed);
                listed.dedup();
                lists.insert(index.clone(), listed);
            }
            drop(read);
            // Counted before the level below is made: not read whole, "nothing lists
            // it" cannot be said.
            let mut below_unread: HashSet<&Digest> = HashSet::new();
            for (index, tags) in &level {
                for (child, is_index) in &lists[index] {
                    if let Some(image) = users.get_mut(child) {
                        image.indexes.extend(tags.iter().cloned());
                    }
                    if *is_index && !lists.contains_key(child) {
                        below_unread.insert(child);
                    }
                    if lists.len() + below_unread.len() - named > MAX_INDEXES_READ {
                        return Err(RegistryError::Malformed {
                            attempt: Attempt::new(
                                Method::Get,
                                &format!("{repository}: multi-arch images"),
                            ),
                            reason: MalformedReason::TooManyManifests {
                                max: MAX_INDEXES_READ,
                            },
                        });
                    }
                }
            }
            let indexes_listed_by = |index: &Digest| {
                (lists[index].iter())
                    .filter(|(_, is_index)| *is_index)
                    .map(|(child, _)| child.clone())
                    .collect()
            };
            level = level_below(&level, indexes_listed_by, &mut attached);
        }
        for image in users.values_mut() {
            sort::ascending(&mut image.tags);
            sort::ascending(&mut image.indexes);
            image.indexes.dedup();
        }
        Ok(users)
    }
}

/// What a batch of tag removals (the Undo of a bulk tag) learns once rather than per
/// tag: per repository, what uses each of the batch's images, from one listing and
/// one lookup of every tag. Per tag that would be a listing and a lookup of every
/// other tag each: 200 tags added in a 5,000-tag repository, a million requests.
/// Each removal then leaves out the tags the batch itself removed before it.
#[derive(Default)]
pub struct BatchUsers {
    known: HashMap<Repository, Result<HashMap<Digest, ImageUsers>, RegistryError>>,
    removed: std::cell::RefCell<HashSet<(Repository, String)>>,
}

impl BatchUsers {
    /// Who else uses `digest` than `tag`, if the batch read its repository.
    pub(super) fn users_of(
        &self,
        repository: &Repository,
        digest: &Digest,
        tag: &str,
    ) -> Option<Result<ImageUsers, RegistryError>> {
        let known = match self.known.get(repository)? {
            Ok(known) => known,
            Err(error) => return Some(Err(error.clone())),
        };
        let mut users = known.get(digest).cloned().unwrap_or_default();
        let removed = self.removed.borrow();
        let left = |t: &String| t != tag && !removed.contains(&(repository.clone(), t.clone()));
        users.tags.retain(left);
        users.indexes.retain(left);
        Some(Ok(users))
    }

    pub(super) fn note_removed(&self, repository: &Repository, tag: &str) {
        self.removed
            .borrow_mut()
            .insert((repository.clone(), tag.to_owned()));
    }
}

impl<C: HttpClient> Registry<C> {
    /// [`Registry::users_of_images`] among the tags of `listing`, each image's users
    /// saying whether that list may be incomplete.
    pub(crate) async fn users_in_listing(
        &self,
        repository: &Repository,
        digests: &[Digest],
        listing: &TagListing,
    ) -> Result<HashMap<Digest, ImageUsers>, RegistryError> {
        self.users_in_listing_naming(repository, digests, listing)
            .await
            .map_err(|(_, error)| error)
    }

    /// [`Registry::users_in_listing`], naming the tags that could not be looked up
    /// (none when what failed was another read).
    pub(crate) async fn users_in_listing_naming(
        &self,
        repository: &Repository,
        digests: &[Digest],
        listing: &TagListing,
    ) -> Result<HashMap<Digest, ImageUsers>, (Vec<String>, RegistryError)> {
        let mut users = self
            .users_naming_unread(repository, digests, &listing.tags)
            .await?;
        for image in users.values_mut() {
            image.among_incomplete_list = listing.may_be_incomplete;
        }
        Ok(users)
    }

    /// Reads, once per repository, what uses each image of `wanted`.
    pub async fn batch_users(&self, wanted: &[(Repository, Digest)]) -> BatchUsers {
        let mut by_repository: BTreeMap<&Repository, Vec<Digest>> = BTreeMap::new();
        for (repository, digest) in wanted {
            let digests = by_repository.entry(repository).or_default();
            if !digests.contains(digest) {
                digests.push(digest.clone());
            }
        }
        let mut known = HashMap::new();
        for (repository, digests) in by_repository {
            let users = match self.tags(repository, |_| {}).await {
                Ok(listing) => self.users_in_listing(repository, &digests, &listing).await,
                Err(error) => Err(error),
            };
            known.insert(repository.clone(), users);
        }
        BatchUsers {
            known,
            removed: Default::default(),
        }
    }
}
