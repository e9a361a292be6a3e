//! What removing a tag would do, found just before the user chooses: whether the tag
//! still points where the user saw it, what else uses its image, and whether deleting
//! the image instead may be offered.

use super::changes::{ChangeError, ImageUsers};
use super::client::Registry;
use super::http::HttpClient;
use super::media;
use super::names::{Digest, Repository, Tag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalPlan {
    /// The tag points elsewhere than the user saw (`None`: it is gone): stop.
    Changed { found: Option<Digest> },
    /// What else uses the image, shown before the user chooses.
    Ready(RemovalChoices),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalChoices {
    /// The tag to remove.
    pub tag: String,
    /// What else uses its image: removing the tag keeps the image for them.
    pub users: ImageUsers,
    /// The tag list may lack pages: what else uses the image may be more than shown.
    pub list_incomplete: bool,
    /// The image is a multi-arch image (an index): deleting it leaves its platform
    /// manifests behind, untagged, until garbage collection removes them.
    pub multi_arch: bool,
}

/// Whether deleting the image (with every tag pointing at it) may be offered instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageDelete {
    /// Offered: it takes these tags, the one to remove first.
    Offered { tags: Vec<String> },
    /// Not offered: the tag list may lack tags it would take along unseen.
    ListIncomplete,
    /// Not offered: it is a platform of a multi-arch image, which would break.
    PartOfIndex,
}

impl RemovalChoices {
    /// Deleting the image is a separate, explicit choice that lists every tag it takes.
    pub fn image_delete(&self) -> ImageDelete {
        if self.list_incomplete {
            ImageDelete::ListIncomplete
        } else if !self.users.indexes.is_empty() {
            ImageDelete::PartOfIndex
        } else {
            let mut tags = vec![self.tag.clone()];
            tags.extend(self.users.tags.iter().cloned());
            ImageDelete::Offered { tags }
        }
    }
}

impl<C: HttpClient> Registry<C> {
    /// Reads what removing `tag`, seen pointing at `seen`, would do. Nothing is written.
    pub async fn plan_removal(
        &self,
        repository: &Repository,
        tag: &Tag,
        seen: &Digest,
    ) -> Result<RemovalPlan, ChangeError> {
        let current = self.look_up_tag(repository, tag).await?;
        let media_type = match current {
            Some((digest, media_type)) if digest == *seen => media_type,
            other => {
                return Ok(RemovalPlan::Changed {
                    found: other.map(|(digest, _)| digest),
                })
            }
        };
        let listing = self.tags(repository, |_| {}).await?;
        let candidates: Vec<String> = listing
            .tags
            .iter()
            .filter(|t| *t != tag.as_str())
            .cloned()
            .collect();
        let users = self.image_users(repository, seen, &candidates).await?;
        Ok(RemovalPlan::Ready(RemovalChoices {
            tag: tag.to_string(),
            users,
            list_incomplete: listing.may_be_incomplete,
            multi_arch: media::is_index(&media::essence(&media_type)),
        }))
    }
}
