//! Changes to many tags at once: add a tag named after each selected tag, or remove the
//! selected tags. Tags of one image run one after another, different images in
//! parallel (bounded); every item gets its own result as soon as it has one, and a
//! cancel stops before the next item, never in the middle of one.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};

use super::changes::{
    ChangeError, ImageAfter, ImageUsers, Removal, RemovalMethod, TagWrite, Written,
    CONCURRENT_LOOKUPS,
};
use super::client::Registry;
use super::http::HttpClient;
use super::manifest::Manifest;
use super::names::{Digest, NameError, Repository, Tag};
use super::undo::UndoAction;

/// What a bulk change works on, and how it reports back.
pub struct BulkRun<'a> {
    pub repository: &'a Repository,
    /// The selected tags.
    pub chosen: &'a [String],
    /// The digest each tag showed when it was selected (absent: not known yet).
    pub digests: &'a HashMap<String, Digest>,
    /// Asked before each item: true stops the run there (the user pressed Cancel).
    pub cancelled: &'a dyn Fn() -> bool,
    /// Told each item's result as soon as it has one.
    pub on_item: &'a dyn Fn(&str, &ItemResult),
}

/// An image's manifest, read once for its group of tags.
type ImageRead = Rc<RefCell<Option<Rc<Result<Manifest, ChangeError>>>>>;

/// What happened to one selected tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    /// The new tag points at the tag's image (maybe it already did).
    Tagged(TagWrite),
    /// The tag was removed; the image stays.
    Removed(Box<Removal>),
    /// The tag was removed, but the registry deleted its image with it, and every
    /// tag on it ([`ChangeError::TagsLost`], [`ChangeError::PlatformLost`]: told
    /// among the run's checks). The removal's Undo puts them all back.
    RemovedTakingImage(Box<Removal>),
    /// The registry deleted the tag with its image when the selected tag `by` was
    /// removed: gone as asked, and put back by the Undo of `by`'s removal.
    RemovedWithImage {
        by: String,
    },
    Failed(ItemFailure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemFailure {
    /// Cancel came before this item: nothing was changed for it.
    Cancelled,
    /// The tag's digest was not known when the run started: nothing was changed.
    DigestUnknown,
    /// The tag, or the tag made from it, is no valid name.
    InvalidName(NameError),
    /// The tag list could not be read again before removing: nothing was removed.
    TagListUnreadable(ChangeError),
    /// Tags of the repository (`repository:tag`) could not be looked up, also when
    /// looked up again: any of them may use the image, so nothing was removed.
    UsersUnknown {
        unread: Vec<String>,
        error: ChangeError,
    },
    /// The change failed; `ChangeError::written` keeps what it wrote anyway.
    Change(ChangeError),
}

impl ItemResult {
    pub fn is_done(&self) -> bool {
        !matches!(self, ItemResult::Failed(_))
    }

    /// What undoes this item's change, also of a failed one that wrote something.
    pub fn undo(&self) -> Option<UndoAction> {
        match self {
            ItemResult::Tagged(write) => Some(UndoAction::Revert(write.clone())),
            ItemResult::Removed(removal) | ItemResult::RemovedTakingImage(removal) => {
                Some(UndoAction::Restore(removal.clone()))
            }
            ItemResult::RemovedWithImage { .. } => None,
            ItemResult::Failed(ItemFailure::Change(error)) => UndoAction::of_failure(error),
            ItemResult::Failed(_) => None,
        }
    }
}

/// After a bulk removal, something outside the selection that used an image does not
/// have it any more (or could not be checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptLost {
    pub digest: Digest,
    pub error: ChangeError,
}

/// What a bulk removal leaves: the Undo of every item that wrote something, and the
/// checks afterwards that failed.
#[derive(Debug, Clone, Default)]
pub struct BulkRemoval {
    pub undo: Vec<UndoAction>,
    pub lost: Vec<KeptLost>,
}

impl BulkRun<'_> {
    fn report(&self, tag: &str, result: ItemResult, undo: &mut Vec<UndoAction>) {
        (self.on_item)(tag, &result);
        undo.extend(result.undo());
    }

    /// Runs `change` for every tag: tags of one image one after another, different
    /// images in parallel (bounded). distribution fails (500) when the same manifest
    /// is written concurrently, so one image's tags must not race each other.
    /// `change` also gets state of its image's group (`G::default()` at the group's
    /// start), dropped when the group ends, so memory stays bounded by the groups
    /// running at once.
    /// `settled` tells an item's result known without running it (a tag the registry
    /// already deleted with its image): told even after Cancel, which would say
    /// nothing was changed for it.
    async fn per_image<G, F, Fut>(
        &self,
        settled: &dyn Fn(&str) -> Option<ItemResult>,
        change: F,
    ) -> Vec<UndoAction>
    where
        G: Default + Clone,
        F: Fn(String, Digest, G) -> Fut + Copy,
        Fut: Future<Output = ItemResult>,
    {
        let mut groups: BTreeMap<Option<Digest>, Vec<String>> = BTreeMap::new();
        for tag in self.chosen {
            groups
                .entry(self.digests.get(tag).cloned())
                .or_default()
                .push(tag.clone());
        }
        let results = stream::iter(groups)
            .map(|(digest, tags)| async move {
                let mut undo = Vec::new();
                let group = G::default();
                for tag in tags {
                    if let Some(result) = settled(&tag) {
                        self.report(&tag, result, &mut undo);
                        continue;
                    }
                    // Cancel stops before the next item, never in the middle of one.
                    if (self.cancelled)() {
                        let cancelled = ItemResult::Failed(ItemFailure::Cancelled);
                        self.report(&tag, cancelled, &mut undo);
                        continue;
                    }
                    let Some(digest) = digest.clone() else {
                        let unknown = ItemResult::Failed(ItemFailure::DigestUnknown);
                        self.report(&tag, unknown, &mut undo);
                        continue;
                    };
                    let result = change(tag.clone(), digest, group.clone()).await;
                    self.report(&tag, result, &mut undo);
                }
                undo
            })
            .buffer_unordered(CONCURRENT_LOOKUPS)
            .collect::<Vec<_>>()
            .await;
        results.into_iter().flatten().collect()
    }
}

/// A removal that removed its tag, though the registry deleted the image with it:
/// the removal (its Undo puts back what went) and what was found lost. Any other
/// failure is given back.
fn image_taken(error: ChangeError) -> Result<(Box<Removal>, ChangeError), ChangeError> {
    match error {
        ChangeError::AfterWrite { cause, written }
            if matches!(
                *cause,
                ChangeError::TagsLost { .. } | ChangeError::PlatformLost { .. }
            ) =>
        {
            match *written {
                Written::Removal(removal) => Ok((removal, *cause)),
                written => Err(ChangeError::AfterWrite {
                    cause,
                    written: Box::new(written),
                }),
            }
        }
        error => Err(error),
    }
}

impl<C: HttpClient> Registry<C> {
    /// Points the tag `name_for(tag)` at the image of each selected tag. Returns the
    /// Undo of every item that wrote something.
    pub async fn bulk_add_tags(
        &self,
        run: &BulkRun<'_>,
        name_for: &dyn Fn(&str) -> String,
    ) -> Vec<UndoAction> {
        // One GET per image, not per tag: read by the image's first item that runs
        // (after the Cancel check), kept only while its group runs.
        run.per_image(&|_| None, |tag, digest, read: ImageRead| async move {
            let known = read.borrow().clone();
            let fetched = match known {
                Some(fetched) => fetched,
                None => {
                    let fetched = self
                        .manifest_get(run.repository, &digest)
                        .await
                        .map_err(ChangeError::from);
                    let fetched = Rc::new(fetched);
                    *read.borrow_mut() = Some(fetched.clone());
                    fetched
                }
            };
            let manifest = match &*fetched {
                Ok(manifest) => manifest,
                Err(error) => return ItemResult::Failed(ItemFailure::Change(error.clone())),
            };
            let (source, new_tag) = match (Tag::parse(&tag), Tag::parse(&name_for(&tag))) {
                (Ok(source), Ok(new_tag)) => (source, new_tag),
                (Err(error), _) | (_, Err(error)) => {
                    return ItemResult::Failed(ItemFailure::InvalidName(error))
                }
            };
            // The image the user saw the tag on, or nothing: the table's digest may be
            // one remembered from before.
            let written = async {
                self.expect_unchanged(run.repository, &source, &digest)
                    .await?;
                self.put_tag(run.repository, &new_tag, manifest, None).await
            };
            match written.await {
                Ok(write) => ItemResult::Tagged(write),
                Err(error) => ItemResult::Failed(ItemFailure::Change(error)),
            }
        })
        .await
    }

    /// Removes each selected tag, never an image: an image stays for whatever uses it
    /// outside the selection (other tags, multi-arch images listing it), and is checked
    /// to still be there for them afterwards. `unique` makes each placeholder manifest
    /// unique.
    pub async fn bulk_remove_tags(
        &self,
        run: &BulkRun<'_>,
        unique: &dyn Fn() -> String,
    ) -> BulkRemoval {
        let repository = run.repository;
        // Listed again now: a tag pushed since the page loaded must count as a user of
        // its image, or deleting that image would take it along unseen.
        let listing = match self.tags(repository, |_| {}).await {
            Ok(listing) => listing,
            Err(error) => {
                let error = ChangeError::from(error);
                for tag in run.chosen {
                    let failed = ItemResult::Failed(ItemFailure::TagListUnreadable(error.clone()));
                    (run.on_item)(tag, &failed);
                }
                return BulkRemoval::default();
            }
        };
        // Per image: find once what outside the selection uses it.
        let mut groups: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
        for tag in run.chosen {
            if let Some(digest) = run.digests.get(tag) {
                groups.entry(digest.clone()).or_default().push(tag.clone());
            }
        }
        let images: Vec<Digest> = groups.keys().cloned().collect();
        // A tag that could not be looked up may point at any image: none can be told
        // what else uses it.
        let outside: HashMap<Digest, Result<ImageUsers, ItemFailure>> =
            match (self.users_in_listing_naming(repository, &images, &listing)).await {
                Ok(mut users) => groups
                    .iter()
                    .map(|(digest, group)| {
                        let mut users = users.remove(digest).unwrap_or_default();
                        users.tags.retain(|t| !group.contains(t));
                        users.indexes.retain(|t| !group.contains(t));
                        (digest.clone(), Ok(users))
                    })
                    .collect(),
                Err((unread, error)) => {
                    let error = ChangeError::from(error);
                    let failure = match unread.is_empty() {
                        true => ItemFailure::Change(error),
                        false => ItemFailure::UsersUnknown {
                            unread: unread.iter().map(|t| format!("{repository}:{t}")).collect(),
                            error,
                        },
                    };
                    images
                        .into_iter()
                        .map(|d| (d, Err(failure.clone())))
                        .collect()
                }
            };
        // Tags of the selection removed so far: until a tag is removed it still uses
        // its image, and the report names what the image was kept for.
        let removed = RefCell::new(HashSet::<String>::new());
        // Selected tags the registry deleted with their image, each with the tag whose
        // removal took it; and those images, whose loss their removal reports.
        let taken = RefCell::new(HashMap::<String, String>::new());
        let taken_images = RefCell::new(Vec::<KeptLost>::new());
        // Until a DELETE by tag was seen to leave its image here, one runs at a time:
        // on a registry that deletes the image with the tag, the first teaches the
        // others to go by placeholder, instead of each image running at once losing
        // itself and every tag on it.
        let first_tag_delete = futures_util::lock::Mutex::new(());
        let tag_delete_keeps_image = Cell::new(false);
        // Images whose read right after a DELETE by tag failed: read again afterwards.
        let unread = RefCell::new(HashSet::<Digest>::new());
        let (outside, groups, removed) = (&outside, &groups, &removed);
        let (taken, taken_images) = (&taken, &taken_images);
        let (first_tag_delete, tag_delete_keeps_image, unread) =
            (&first_tag_delete, &tag_delete_keeps_image, &unread);
        // A tag the registry took with its image is gone, Cancel or not.
        let settled = |tag: &str| {
            let by = taken.borrow().get(tag).cloned()?;
            Some(ItemResult::RemovedWithImage { by })
        };
        let mut undo = run
            .per_image(&settled, |tag, digest, ()| async move {
                let mut users = match &outside[&digest] {
                    Ok(users) => users.clone(),
                    Err(failure) => return ItemResult::Failed(failure.clone()),
                };
                users.tags.extend(
                    groups[&digest]
                        .iter()
                        .filter(|t| **t != tag && !removed.borrow().contains(*t))
                        .cloned(),
                );
                let parsed = match Tag::parse(&tag) {
                    Ok(parsed) => parsed,
                    Err(error) => return ItemResult::Failed(ItemFailure::InvalidName(error)),
                };
                let by_tag_untried = || {
                    !tag_delete_keeps_image.get()
                        && !self.removes_by_placeholder.by_placeholder(repository)
                };
                let _turn = match by_tag_untried() {
                    true => {
                        let turn = first_tag_delete.lock().await;
                        // Cancel pressed while it waited: this item has not started.
                        if (run.cancelled)() {
                            return ItemResult::Failed(ItemFailure::Cancelled);
                        }
                        // Learnt while it waited: side by side again.
                        by_tag_untried().then_some(turn)
                    }
                    false => None,
                };
                match self
                    .remove_tag_telling_image(repository, &parsed, &digest, &users, &unique())
                    .await
                {
                    Ok((removal, image)) => {
                        match image {
                            ImageAfter::Stayed => tag_delete_keeps_image.set(true),
                            ImageAfter::Unknown => {
                                unread.borrow_mut().insert(digest);
                            }
                            ImageAfter::NotAtRisk => {}
                        }
                        removed.borrow_mut().insert(tag);
                        ItemResult::Removed(Box::new(removal))
                    }
                    Err(error) => match image_taken(error) {
                        Ok((removal, found)) => {
                            if let ChangeError::TagsLost { tags, .. } = &found {
                                let mut taken = taken.borrow_mut();
                                for lost in tags.iter().filter(|t| groups[&digest].contains(t)) {
                                    removed.borrow_mut().insert(lost.clone());
                                    taken.insert(lost.clone(), tag.clone());
                                }
                            }
                            removed.borrow_mut().insert(tag);
                            taken_images.borrow_mut().push(KeptLost {
                                digest,
                                error: found,
                            });
                            ItemResult::RemovedTakingImage(removal)
                        }
                        Err(error) => ItemResult::Failed(ItemFailure::Change(error)),
                    },
                }
            })
            .await;
        // What used each image from outside the selection must still have it, and so
        // must the selected tags not removed (cancelled, failed): a registry that
        // deletes the image with a tag may have taken them, unseen by a read that
        // failed. Only images something was written to: the others are as they were
        // as far as this run goes. An image the registry took was found gone by the
        // removal, and is told as such.
        let mut lost = taken_images.take();
        let removed = removed.take();
        for (digest, group) in groups {
            if lost.iter().any(|taken| taken.digest == *digest) {
                continue;
            }
            let Some(written) = undo.iter().position(
                |action| matches!(action, UndoAction::Restore(removal) if removal.digest == *digest),
            ) else {
                continue;
            };
            let Ok(users) = &outside[digest] else {
                continue;
            };
            let left: Vec<String> = (group.iter())
                .filter(|t| !removed.contains(*t))
                .cloned()
                .collect();
            let mut with_left = users.clone();
            with_left.tags.extend(left.iter().cloned());
            crate::model::sort::ascending(&mut with_left.tags);
            with_left.tags.dedup();
            let mut checked = self.verify_kept(repository, digest, &with_left).await;
            // A selected tag moved by someone else, its image still there: its item
            // told it.
            if matches!(&checked, Err(ChangeError::NotApplied { tag, .. }) if left.contains(tag)) {
                checked = self.verify_kept(repository, digest, users).await;
            }
            // Nothing else to read it by: the image itself, when its read failed.
            if checked.is_ok() && with_left.is_empty() && unread.borrow().contains(digest) {
                checked = self.image_still_there(repository, digest).await;
            }
            let Err(error) = checked else {
                continue;
            };
            // Tags lost with the image: the Undo of a removal of that image puts them
            // back too, and the report says what went.
            if let (UndoAction::Restore(removal), ChangeError::TagsLost { digest, tags }) =
                (&mut undo[written], &error)
            {
                removal.add_lost(digest, tags);
                if removal.method == RemovalMethod::TagDelete {
                    self.removes_by_placeholder.learn_by_placeholder(repository);
                }
                let by = removal.tags[0].to_string();
                if removed.contains(&by) {
                    (run.on_item)(&by, &ItemResult::RemovedTakingImage(removal.clone()));
                }
                for tag in tags.iter().filter(|t| left.contains(t)) {
                    (run.on_item)(tag, &ItemResult::RemovedWithImage { by: by.clone() });
                }
            }
            lost.push(KeptLost {
                digest: digest.clone(),
                error,
            });
        }
        BulkRemoval { undo, lost }
    }
}
