//! Taking an image's referrers (signatures, SBOMs, attestations) along when the
//! image is deleted or copied. Deleting an image leaves them behind otherwise (see
//! DOMAIN.md, "Referrers"), and a copy without them loses its signatures.
//!
//! Every item goes through the existing safe operations: a delete is
//! [`Registry::delete_image`] with exactly the tags that name the item (checked again
//! at the moment of acting), a tagged copy is [`Registry::copy_image`]. Each item is
//! reported on its own; one failure does not stop the others. The run is one entry
//! of the activity list, with one Undo ([`ReferrerRun`]).

use std::collections::HashMap;

use super::changes::{ChangeError, CopyReport, CopyWork, Removal, TagWrite};
use super::client::{Registry, TagListing};
use super::error::RegistryError;
use super::http::HttpClient;
use super::manifest::{Manifest, ManifestKind};
use super::names::{Digest, Repository, Tag};
use super::referrers::{FoundVia, ReferrerList};
use super::undo::UndoAction;

/// What a run over an image's referrers did, for its activity entry: how many items
/// were done and failed, and one Undo for everything written. Undone item by item,
/// the fallback tag's index could go back before the SBOM it lists, and the registry
/// refuses an index whose manifests it does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerRun {
    pub done: usize,
    pub failed: usize,
    /// A batch, undone last first: the fallback tags' indexes first in it, so each
    /// manifest is back before the index that lists it, whatever order the run took.
    pub undo: Vec<UndoAction>,
}

impl ReferrerRun {
    /// `undo_of`: what undoes one item done (none for a copy by digest, which
    /// wrote no tag). A failed item's Undo is what it wrote anyway.
    pub fn of<T>(
        results: &[(ReferrerItem, Result<T, ChangeError>)],
        undo_of: impl Fn(&T) -> Option<UndoAction>,
    ) -> Self {
        let mut run = ReferrerRun {
            done: 0,
            failed: 0,
            undo: Vec::new(),
        };
        // Indexes first, so they are undone last.
        let (indexes, referrers): (Vec<_>, Vec<_>) = results
            .iter()
            .partition(|(item, _)| matches!(item.target, ItemTarget::FallbackTag(_)));
        for (_, result) in indexes.into_iter().chain(referrers) {
            let undo = match result {
                Ok(done) => {
                    run.done += 1;
                    undo_of(done)
                }
                // The state asked for, though not by this run: nothing to undo.
                Err(ChangeError::AlreadyGone { .. }) => {
                    run.done += 1;
                    None
                }
                Err(error) => {
                    run.failed += 1;
                    UndoAction::of_failure(error)
                }
            };
            run.undo.extend(undo);
        }
        run
    }
}

/// A referrer copied: the tag written (what its Undo takes back; none for a copy by
/// digest, which leaves only an untagged manifest), what was moved, and how.
#[derive(Debug, Clone)]
pub struct ReferrerCopy {
    pub tag: Option<TagWrite>,
    pub report: CopyReport,
    pub how: CopiedAs,
}

/// How an item went into the target, for its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopiedAs {
    /// On its own: by its tag or digest, or the fallback index byte for byte (or
    /// merged into the target's own).
    Itself,
    /// Listed by the fallback index: copied with it.
    WithIndex,
    /// The fallback index, written new: listing `listed` of the `of` manifests the
    /// source's lists (the others are gone, or refer to another image). None written
    /// when `listed` is 0.
    NewIndex { listed: usize, of: usize },
    /// The fallback index: the target's own lists all there was to copy already.
    ListedThere,
}

/// What became of a manifest the source's fallback index lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    /// Copied with the index, or listed by the target's index already.
    Live,
    Gone,
    NotReferrer,
}

/// One thing that goes with an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerItem {
    /// "SBOM sha256:1234abcd…", "fallback tag sha256-…", for reports.
    pub label: String,
    pub target: ItemTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemTarget {
    /// The OCI 1.1 fallback tag: an index listing referrers.
    FallbackTag(Tag),
    Referrer {
        digest: Digest,
        /// The cosign tag that names it, if any.
        tag: Option<Tag>,
        /// Listed by the fallback tag's index: deleted on its own, copied with it.
        listed_by_fallback: bool,
    },
}

/// The items of `list`, the fallback tag's index first: it lists the others, so a
/// copy takes them along with it, and a list shows it above them.
pub fn referrer_items(list: &ReferrerList) -> Vec<ReferrerItem> {
    let mut items = Vec::new();
    let fallback_tags: std::collections::BTreeSet<&str> = list
        .referrers
        .iter()
        .flat_map(|r| &r.found)
        .filter_map(|f| match f {
            FoundVia::FallbackTag(tag) => Some(tag.as_str()),
            _ => None,
        })
        .collect();
    for tag in fallback_tags {
        if let Ok(tag) = Tag::parse(tag) {
            items.push(ReferrerItem {
                label: format!("fallback tag {tag}"),
                target: ItemTarget::FallbackTag(tag),
            });
        }
    }
    for referrer in &list.referrers {
        let tag = referrer.found.iter().find_map(|f| match f {
            FoundVia::CosignTag(tag) => Tag::parse(tag).ok(),
            _ => None,
        });
        items.push(ReferrerItem {
            label: format!(
                "{} {}:{}…",
                referrer.kind.label(),
                referrer.digest.algorithm(),
                referrer.digest.short(12)
            ),
            target: ItemTarget::Referrer {
                digest: referrer.digest.clone(),
                tag,
                listed_by_fallback: referrer
                    .found
                    .iter()
                    .any(|f| matches!(f, FoundVia::FallbackTag(_))),
            },
        });
    }
    items
}

impl<C: HttpClient> Registry<C> {
    /// Deletes every item of `list` from `repository`, each through
    /// [`Registry::delete_image`] with the one tag that names it (or none), and
    /// reports each as it ends. Nothing is deleted when the tag list may be
    /// incomplete (each item then reports that).
    ///
    /// A fallback tag's index and the referrers it lists go together or not at all,
    /// so that nothing is left listed by an index that is gone, nor an index left
    /// listing manifests that are gone:
    /// 1. each index is read and checked as its own delete will check it, before any
    ///    referrer goes; one that fails, or that lists a manifest the list did not
    ///    show, keeps the referrers it lists ([`ChangeError::KeptWithIndex`]);
    /// 2. the referrers (the index, chosen too, does not count as a user of them);
    /// 3. each index, read again: kept unless everything it lists was deleted by this
    ///    run or is gone ([`ChangeError::ListsUnremoved`], `ListsUnshown`).
    ///
    /// Left: a failure of the index's own DELETE after its referrers went. Said so
    /// ([`ChangeError::IndexLeftListing`]); the run's Undo puts them back.
    pub async fn delete_referrers(
        &self,
        repository: &Repository,
        list: &ReferrerList,
        mut on_item: impl FnMut(&ReferrerItem, &Result<Removal, ChangeError>),
    ) -> Vec<(ReferrerItem, Result<Removal, ChangeError>)> {
        let mut results = Vec::new();
        let (indexes, referrers): (Vec<_>, Vec<_>) = referrer_items(list)
            .into_iter()
            .partition(|item| matches!(item.target, ItemTarget::FallbackTag(_)));
        let listing = match self.tags(repository, |_| {}).await {
            Ok(listing) => listing,
            Err(error) => {
                for item in referrers.into_iter().chain(indexes) {
                    let result = Err(ChangeError::from(error.clone()));
                    on_item(&item, &result);
                    results.push((item, result));
                }
                return results;
            }
        };
        let shown: Vec<Digest> = referrers
            .iter()
            .filter_map(|item| match &item.target {
                ItemTarget::Referrer {
                    digest,
                    listed_by_fallback: true,
                    ..
                } => Some(digest.clone()),
                _ => None,
            })
            .collect();
        // What a fallback index lists must be referrers of the image before anything
        // goes: one that is not (or cannot be read to tell) keeps the index, and with
        // it everything it lists.
        let mut not_referrers: Vec<(Digest, ChangeError)> = Vec::new();
        for item in &referrers {
            if let ItemTarget::Referrer {
                digest,
                tag,
                listed_by_fallback: true,
            } = &item.target
            {
                let check = self
                    .check_referrer(repository, digest, &list.subject, tag.is_some())
                    .await;
                if let Err(error) = check {
                    not_referrers.push((digest.clone(), error));
                }
            }
        }
        let mut checked = Vec::new();
        for item in indexes {
            let ItemTarget::FallbackTag(tag) = &item.target else {
                continue;
            };
            let check = match not_referrers.first() {
                Some((_, error)) => Err(error.clone()),
                None => {
                    self.check_fallback_index(repository, tag, &shown, &listing)
                        .await
                }
            };
            checked.push((item, check));
        }
        // A repository has one fallback tag per image (one tag scheme), so a list has
        // at most one; were there several, one kept keeps every referrer an index lists.
        let kept_index = checked
            .iter()
            .find_map(|(item, check)| match (&item.target, check) {
                (_, Err(ChangeError::AlreadyGone { .. })) => None,
                (ItemTarget::FallbackTag(tag), Err(_)) => Some(tag.to_string()),
                _ => None,
            });
        let fallback_tags: Vec<String> = checked
            .iter()
            .filter_map(|(item, _)| match &item.target {
                ItemTarget::FallbackTag(tag) => Some(tag.to_string()),
                ItemTarget::Referrer { .. } => None,
            })
            .collect();
        let without_indexes = TagListing {
            tags: (listing.tags.iter())
                .filter(|tag| !fallback_tags.contains(tag))
                .cloned()
                .collect(),
            may_be_incomplete: listing.may_be_incomplete,
        };
        // The listed referrers this run removed (its Undo puts them back), and those
        // it could not.
        let mut removed_now = Vec::new();
        let mut unremoved = Vec::new();
        for item in referrers {
            let ItemTarget::Referrer {
                digest,
                tag,
                listed_by_fallback,
            } = &item.target
            else {
                continue;
            };
            let not_referrer = not_referrers.iter().find(|(d, _)| d == digest);
            let result = match (listed_by_fallback, not_referrer, &kept_index) {
                (true, Some((_, error)), _) => Err(error.clone()),
                (true, None, Some(index)) => Err(ChangeError::KeptWithIndex { tag: index.clone() }),
                // Checked above, with everything the index lists.
                (true, None, None) => {
                    self.delete_referrer(repository, digest, tag.as_ref(), &without_indexes)
                        .await
                }
                (false, _, _) => {
                    let by_tag = tag.is_some();
                    async {
                        (self.check_referrer(repository, digest, &list.subject, by_tag)).await?;
                        (self.delete_referrer(repository, digest, tag.as_ref(), &listing)).await
                    }
                    .await
                }
            };
            // Gone before this run (a run that kept the index deleted it): not kept
            // by the index for it, or a second run would keep the index forever.
            if *listed_by_fallback {
                match &result {
                    Ok(_) => removed_now.push(digest.clone()),
                    Err(ChangeError::AlreadyGone { .. }) => {}
                    Err(_) => unremoved.push(digest.clone()),
                }
            }
            on_item(&item, &result);
            results.push((item, result));
        }
        for (item, check) in checked {
            let result = match (check, &item.target) {
                (Err(error), _) => Err(error),
                (Ok(_), ItemTarget::FallbackTag(tag)) if !unremoved.is_empty() => {
                    Err(ChangeError::ListsUnremoved {
                        tag: tag.to_string(),
                        unremoved: unremoved.clone(),
                    })
                }
                (Ok(_), ItemTarget::FallbackTag(tag)) => self
                    .delete_fallback_index(repository, tag, &listing)
                    .await
                    .map_err(|cause| match cause {
                        // No tag left to list anything.
                        ChangeError::NotApplied { .. } => cause,
                        // It lists referrers not shown (pushed since): said as such,
                        // and with those this run removed, unless each is back.
                        ChangeError::ListsUnshown { ref unshown, .. } => {
                            let gone: Vec<Digest> = (removed_now.iter())
                                .filter(|d| !unshown.contains(d))
                                .cloned()
                                .collect();
                            if gone.is_empty() {
                                cause
                            } else {
                                ChangeError::IndexLeftListing {
                                    tag: tag.to_string(),
                                    removed: gone,
                                    cause: Box::new(cause),
                                }
                            }
                        }
                        _ if removed_now.is_empty() => cause,
                        cause => ChangeError::IndexLeftListing {
                            tag: tag.to_string(),
                            removed: removed_now.clone(),
                            cause: Box::new(cause),
                        },
                    }),
                (Ok(_), ItemTarget::Referrer { .. }) => continue,
            };
            on_item(&item, &result);
            results.push((item, result));
        }
        results
    }

    /// The fallback tag `tag`'s index, read now and checked as its delete will check
    /// it: the digest it points at. Refused when it lists a manifest the registry has
    /// other than `shown` (the user did not see what would go with it).
    async fn check_fallback_index(
        &self,
        repository: &Repository,
        tag: &Tag,
        shown: &[Digest],
        listing: &TagListing,
    ) -> Result<Digest, ChangeError> {
        // Gone since the list was read: it keeps nothing.
        let digest = match self.resolve_fallback_tag(repository, tag).await {
            Err(ChangeError::NotApplied { found: None, .. }) => {
                return Err(ChangeError::AlreadyGone {
                    subject: format!("{repository}:{tag}"),
                })
            }
            digest => digest?,
        };
        self.check_image_delete(repository, &digest, &[tag.to_string()], listing)
            .await?;
        self.lists_nothing_more(repository, tag, &digest, shown)
            .await?;
        Ok(digest)
    }

    /// Deletes the fallback tag `tag`'s index once its referrers are gone: read
    /// again, it must list nothing the registry still has (each is asked: one pushed
    /// again since this run deleted it is there again).
    async fn delete_fallback_index(
        &self,
        repository: &Repository,
        tag: &Tag,
        listing: &TagListing,
    ) -> Result<Removal, ChangeError> {
        let digest = self.resolve_fallback_tag(repository, tag).await?;
        self.lists_nothing_more(repository, tag, &digest, &[])
            .await?;
        self.delete_image(repository, &digest, &[tag.to_string()], listing)
            .await
    }

    /// The digest the fallback tag `tag` points at now.
    async fn resolve_fallback_tag(
        &self,
        repository: &Repository,
        tag: &Tag,
    ) -> Result<Digest, ChangeError> {
        self.resolve_tag(repository, tag)
            .await?
            .ok_or_else(|| ChangeError::NotApplied {
                tag: tag.to_string(),
                expected: None,
                found: None,
            })
    }

    /// Refused ([`ChangeError::ListsUnshown`]) when the index `digest` of the fallback
    /// tag `tag` lists a manifest the registry still has other than `known` (one it
    /// answers 404 for is gone, and nothing is lost by the index going). A read that
    /// fails is an error: unknown is not "gone".
    async fn lists_nothing_more(
        &self,
        repository: &Repository,
        tag: &Tag,
        digest: &Digest,
        known: &[Digest],
    ) -> Result<(), ChangeError> {
        let index = self.manifest_get(repository, digest).await?;
        let mut left = Vec::new();
        for listed in &index.view.manifests {
            if known.contains(&listed.digest) || left.contains(&listed.digest) {
                continue;
            }
            match self.manifest_head(repository, &listed.digest).await {
                Err(RegistryError::NotFound { .. }) => {}
                Ok(_) => left.push(listed.digest.clone()),
                Err(error) => return Err(error.into()),
            }
        }
        if left.is_empty() {
            return Ok(());
        }
        Err(ChangeError::ListsUnshown {
            tag: tag.to_string(),
            unshown: left,
        })
    }

    /// Whether the manifest `digest` is what it was listed as, a referrer of `subject`:
    /// the referrers API, a fallback index and a cosign tag are all the registry's word
    /// (any client with push rights writes the last two). One that names a subject must
    /// name this one; one that names none must come by a cosign tag (`by_tag`) and not
    /// be a runnable image. One that is gone is left to the delete to tell.
    async fn check_referrer(
        &self,
        repository: &Repository,
        digest: &Digest,
        subject: &Digest,
        by_tag: bool,
    ) -> Result<(), ChangeError> {
        let manifest = match self.manifest_get(repository, digest).await {
            Ok(manifest) => manifest,
            Err(RegistryError::NotFound { .. }) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        if is_referrer_of(&manifest, subject, by_tag) {
            Ok(())
        } else {
            Err(ChangeError::NotAReferrer {
                digest: digest.clone(),
                subject: subject.clone(),
            })
        }
    }

    /// Deletes the referrer `digest` with the one tag that names it, if any, once
    /// [`Registry::check_referrer`] found it one (a manifest by digest cannot change
    /// since).
    async fn delete_referrer(
        &self,
        repository: &Repository,
        digest: &Digest,
        tag: Option<&Tag>,
        listing: &TagListing,
    ) -> Result<Removal, ChangeError> {
        let confirmed: Vec<String> = tag.iter().map(|tag| tag.to_string()).collect();
        match self
            .delete_image(repository, digest, &confirmed, listing)
            .await
        {
            // A read before any write found nothing: gone, if the referrer itself is
            // (the read may have been of another manifest, changed meanwhile).
            Err(ChangeError::Registry(error @ RegistryError::NotFound { .. })) => {
                match self.manifest_head(repository, digest).await {
                    Err(RegistryError::NotFound { .. }) => Err(ChangeError::AlreadyGone {
                        subject: format!("{repository}@{digest}"),
                    }),
                    _ => Err(ChangeError::Registry(error)),
                }
            }
            result => result,
        }
    }

    /// Copies every item of `list` from `from` to `to` (which already has the image
    /// itself, by the same digest): the fallback tag's index with what it lists
    /// ([`Registry::copy_fallback_index`]), each cosign tag, and each referrer found
    /// only through the referrers API by digest (the registry links it to the image
    /// by its `subject`). Every item gets a result, each carrying the tag it wrote,
    /// for its Undo (none for a copy by digest).
    pub async fn copy_referrers(
        &self,
        from: &Repository,
        to: &Repository,
        list: &ReferrerList,
        mut on_item: impl FnMut(&ReferrerItem, &Result<ReferrerCopy, ChangeError>),
    ) -> Vec<(ReferrerItem, Result<ReferrerCopy, ChangeError>)> {
        let mut results = Vec::new();
        // What the fallback index (first of the items) made of each manifest it lists.
        let mut listed = HashMap::new();
        let mut index: Option<(Tag, bool)> = None;
        for item in referrer_items(list) {
            let result = match &item.target {
                ItemTarget::FallbackTag(tag) => {
                    let copied =
                        (self.copy_fallback_index((from, to), tag, list, &mut listed)).await;
                    index = Some((tag.clone(), copied.is_ok()));
                    copied
                }
                ItemTarget::Referrer {
                    digest,
                    tag: None,
                    listed_by_fallback: true,
                } => {
                    let by_api = (list.referrers.iter())
                        .any(|r| r.digest == *digest && r.found.contains(&FoundVia::Api));
                    match (listed.get(digest), &index) {
                        (Some(Listed::Gone), _) => Err(ChangeError::AlreadyGone {
                            subject: format!("{from}@{digest}"),
                        }),
                        (Some(Listed::NotReferrer), _) => Err(ChangeError::NotAReferrer {
                            digest: digest.clone(),
                            subject: list.subject.clone(),
                        }),
                        (Some(Listed::Live), Some((_, true))) => Ok(ReferrerCopy {
                            tag: None,
                            report: CopyReport::default(),
                            how: CopiedAs::WithIndex,
                        }),
                        // The index was not copied (or no longer lists it): one the
                        // referrers API lists is copied on its own, by digest, as the
                        // API finds it in the target by its subject. Else nothing would.
                        (_, Some((tag, _))) if !by_api => Err(ChangeError::KeptWithIndex {
                            tag: tag.to_string(),
                        }),
                        _ => self.copy_referrer((from, to), digest, None).await,
                    }
                }
                ItemTarget::Referrer { digest, tag, .. } => {
                    self.copy_referrer((from, to), digest, tag.as_ref()).await
                }
            };
            on_item(&item, &result);
            results.push((item, result));
        }
        results
    }

    /// Copies a referrer on its own: by its cosign tag, or by digest.
    async fn copy_referrer(
        &self,
        (from, to): (&Repository, &Repository),
        digest: &Digest,
        tag: Option<&Tag>,
    ) -> Result<ReferrerCopy, ChangeError> {
        let source = self.manifest_get(from, digest).await?;
        let how = CopiedAs::Itself;
        let Some(tag) = tag else {
            let report = self.copy_untagged(from, to, &source).await?;
            return Ok(ReferrerCopy {
                tag: None,
                report,
                how,
            });
        };
        let (write, report) = self
            .copy_image(from, &source, to, tag, None, |_| true)
            .await?;
        Ok(ReferrerCopy {
            tag: Some(write),
            report,
            how,
        })
    }

    /// Copies the fallback tag `tag`'s index and what it lists, each entry read and
    /// checked first (`listed` says what became of each): one gone (deleted by another
    /// tool) or that does not refer to the image (any client with push rights writes
    /// the index) is left out; one the user was not shown (pushed since) stops the
    /// index, as a delete does ([`ChangeError::ListsUnshown`]), nothing written.
    /// The index goes byte for byte when all it lists went; else a new index of those
    /// that did, made as [`merged_referrer_index`] makes one. When the target has an
    /// index of its own for the image, the referrers it lacks are added to it, as the
    /// OCI spec has clients update it; its Undo points the tag back at the target's
    /// own. A tag there that is no list of referrers is never touched.
    async fn copy_fallback_index(
        &self,
        (from, to): (&Repository, &Repository),
        tag: &Tag,
        list: &ReferrerList,
        listed: &mut HashMap<Digest, Listed>,
    ) -> Result<ReferrerCopy, ChangeError> {
        let source = self.manifest_get(from, tag).await?;
        let theirs = self.resolve_tag(to, tag).await?;
        let current = match &theirs {
            Some(theirs) if *theirs != source.digest => {
                let current = self.manifest_get(to, theirs).await?;
                let lists_platforms = current.view.manifests.iter().any(|m| m.platform.is_some());
                if current.kind() != ManifestKind::Index || lists_platforms {
                    return Err(ChangeError::TagNotReferrerIndex {
                        tag: tag.to_string(),
                    });
                }
                Some(current)
            }
            // Copied before: what it lists is there already, whatever the source has
            // lost since (a shorter index written over it would unlist those).
            Some(_) => Some(source.clone()),
            None => None,
        };
        // Shown in the dialog, and whether by a cosign tag (see `is_referrer_of`).
        let shown: HashMap<&Digest, bool> = (list.referrers.iter())
            .map(|r| {
                let by_tag = r.found.iter().any(|f| matches!(f, FoundVia::CosignTag(_)));
                (&r.digest, by_tag)
            })
            .collect();
        let (mut live, mut unshown) = (Vec::new(), Vec::new());
        for entry in &source.view.manifests {
            let digest = &entry.digest;
            if listed.contains_key(digest) {
                continue;
            }
            if (current.iter().flat_map(|c| &c.view.manifests)).any(|t| t.digest == *digest) {
                listed.insert(digest.clone(), Listed::Live);
                continue;
            }
            let fate = match self.manifest_get(from, digest).await {
                Ok(referrer) => {
                    let by_tag = shown.get(digest).copied();
                    if !is_referrer_of(&referrer, &list.subject, by_tag == Some(true)) {
                        Listed::NotReferrer
                    } else {
                        if by_tag.is_none() {
                            unshown.push(digest.clone());
                        }
                        live.push(referrer);
                        Listed::Live
                    }
                }
                Err(RegistryError::NotFound { .. }) => Listed::Gone,
                Err(error) => return Err(error.into()),
            };
            listed.insert(digest.clone(), fate);
        }
        if !unshown.is_empty() {
            return Err(ChangeError::ListsUnshown {
                tag: tag.to_string(),
                unshown,
            });
        }
        let of = listed.len();
        let mut report = CopyReport::default();
        // Once a referrer went in, a failure is a stopped copy: never "nothing was
        // changed".
        let stopped = |report: &CopyReport, at: CopyWork, cause: ChangeError| {
            if report.manifests == 0 && report.mounted == 0 && report.uploaded == 0 {
                cause
            } else {
                ChangeError::CopyStopped {
                    at,
                    cause: Box::new(cause),
                }
            }
        };
        for referrer in &live {
            let at = CopyWork::Manifest {
                digest: referrer.digest.clone(),
                platform: None,
            };
            let copied = self
                .copy_untagged(from, to, referrer)
                .await
                .map_err(|error| stopped(&report, at, error))?;
            report.mounted += copied.mounted;
            report.already_present += copied.already_present;
            report.uploaded += copied.uploaded;
            report.manifests += copied.manifests;
            report.foreign_skipped += copied.foreign_skipped;
        }
        let how = match current {
            Some(_) if live.is_empty() => CopiedAs::ListedThere,
            Some(_) => CopiedAs::Itself,
            None if live.len() == of && of > 0 => CopiedAs::Itself,
            None => CopiedAs::NewIndex {
                listed: live.len(),
                of,
            },
        };
        // Nothing to add or list: a re-serialised copy would move the tag for nothing.
        if live.is_empty() {
            report.manifests_present += usize::from(current.is_some());
            return Ok(ReferrerCopy {
                tag: None,
                report,
                how,
            });
        }
        let index = match &current {
            Some(current) => merged_referrer_index(current, &live),
            // Byte for byte: the same digest as the source's.
            None if how == CopiedAs::Itself => Some(source),
            // Never the source's bytes: they name manifests the target lacks.
            None => new_referrer_index(&source, &live),
        };
        let Some(index) = index else {
            let cause = ChangeError::TagNotReferrerIndex {
                tag: tag.to_string(),
            };
            return Err(stopped(&report, CopyWork::Tag(tag.clone()), cause));
        };
        let write = (self.put_tag(to, tag, &index, theirs.as_ref()))
            .await
            .map_err(|error| match error {
                ChangeError::AfterWrite { .. } => error,
                error => stopped(&report, CopyWork::Tag(tag.clone()), error),
            })?;
        report.manifests += 1;
        Ok(ReferrerCopy {
            tag: Some(write),
            report,
            how,
        })
    }

    /// Copies one image manifest by digest, without a tag: its blobs mounted (or
    /// found present), then the exact bytes put under their digest.
    async fn copy_untagged(
        &self,
        from: &Repository,
        to: &Repository,
        source: &Manifest,
    ) -> Result<CopyReport, ChangeError> {
        let mut report = CopyReport::default();
        if source.kind() != super::manifest::ManifestKind::Image {
            return Err(ChangeError::from(RegistryError::Malformed {
                attempt: super::error::Attempt {
                    method: super::http::Method::Get,
                    url: format!("{}/v2/{from}/manifests/{}", self.base_url(), source.digest),
                },
                reason: super::error::MalformedReason::ReferrerNotImage,
            }));
        }
        for blob in source.view.config.iter().chain(source.view.layers.iter()) {
            // A blob mounted or uploaded before, or this one's upload cut short, may
            // be in the target already: a stopped copy, never "nothing was changed".
            self.copy_blob(from, to, blob, &blob.digest, &mut report)
                .await
                .map_err(|cause| ChangeError::CopyStopped {
                    at: CopyWork::Blob(blob.digest.clone()),
                    cause: Box::new(cause),
                })?;
        }
        // One that failed unclearly may have been stored: read again, as a copy does.
        self.put_by_digest_checked(to, source)
            .await
            .map_err(|cause| ChangeError::CopyStopped {
                at: CopyWork::Manifest {
                    digest: source.digest.clone(),
                    platform: None,
                },
                cause: Box::new(cause),
            })?;
        report.manifests += 1;
        Ok(report)
    }
}

/// The target's referrers index `theirs` with an entry for each manifest of
/// `adding`, made from the manifest itself as the referrers API makes it (media type,
/// digest, size, artifact type, annotations), never copied from the source index,
/// whose word on them may be stale or hostile; sent as the media type `theirs` has.
/// `None` when `theirs` does not read as an index with a list of manifests.
pub fn merged_referrer_index(theirs: &Manifest, adding: &[Manifest]) -> Option<Manifest> {
    let mut merged: serde_json::Value = serde_json::from_slice(&theirs.bytes).ok()?;
    let listed = merged.get_mut("manifests")?.as_array_mut()?;
    for referrer in adding {
        let artifact_type = (referrer.view.artifact_type.clone())
            .or_else(|| referrer.view.config.as_ref()?.media_type.clone());
        let mut entry = serde_json::json!({
            "mediaType": referrer.media_type(),
            "digest": referrer.digest.as_str(),
            "size": referrer.bytes.len(),
        });
        if let Some(artifact_type) = artifact_type {
            entry["artifactType"] = artifact_type.into();
        }
        if !referrer.view.annotations.is_empty() {
            entry["annotations"] = serde_json::json!(referrer.view.annotations);
        }
        listed.push(entry);
    }
    let bytes = serde_json::to_vec(&merged).ok()?;
    let merged = Manifest::parse(bytes, Some(&theirs.content_type)).ok()?;
    (merged.kind() == ManifestKind::Index).then_some(merged)
}

/// The index `source` listing only `live`, each entry made from its manifest as
/// [`merged_referrer_index`] makes it.
fn new_referrer_index(source: &Manifest, live: &[Manifest]) -> Option<Manifest> {
    let mut empty: serde_json::Value = serde_json::from_slice(&source.bytes).ok()?;
    *empty.get_mut("manifests")? = serde_json::Value::Array(Vec::new());
    let bytes = serde_json::to_vec(&empty).ok()?;
    merged_referrer_index(
        &Manifest::parse(bytes, Some(&source.content_type)).ok()?,
        live,
    )
}

/// Whether `manifest`, listed as a referrer of `subject`, is one (see
/// [`Registry::check_referrer`]): one that names a subject must name this one; one
/// that names none must come by a cosign or fallback tag (`by_tag`) and not be a
/// runnable image. The clean-up's gather asks it too, of tags named like referrers.
pub(crate) fn is_referrer_of(manifest: &Manifest, subject: &Digest, by_tag: bool) -> bool {
    match &manifest.view.subject {
        Some(named) => named.digest == *subject,
        None => by_tag && !runs_as_image(manifest),
    }
}

/// Whether `manifest` is a runnable image rather than an artifact: a layer that is a
/// file system (a tar), or a list of platforms. A cosign signature, attestation or
/// SBOM has neither.
fn runs_as_image(manifest: &Manifest) -> bool {
    // A layer without a media type could be anything: counted as a file system.
    let tar_layer = manifest.view.layers.iter().any(|l| {
        l.media_type
            .as_deref()
            .is_none_or(|t| t.contains(".tar") || t.contains("rootfs") || t.contains("wasm"))
    });
    let platforms = manifest.view.manifests.iter().any(|m| m.platform.is_some());
    tar_layer || platforms
}
