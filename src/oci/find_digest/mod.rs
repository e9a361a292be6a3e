//! Where a digest is used across a whole registry: every repository and tag that
//! points at it, every multi-arch image (index) that lists it, and for a layer or an
//! image configuration every tagged image that has it ([`images`]).
//!
//! Walks the catalog a few repositories at a time; in each, lists the tags and
//! resolves them with HEADs (a few at a time), and reads the manifests of the tags
//! that are indexes (by digest, each index once per search). Then one blob HEAD asks
//! whether the repository stores the digest as a blob; only where it does are the
//! tagged images read. Results stream out as they are found. Anything that could not
//! be read (the catalog or a tag list read only in part, a tag, index, blob answer or
//! image that failed) is counted and named in the report, so "not found" is never
//! claimed from a partial search.
//!
//! Where no tag uses the digest, one manifest HEAD asks whether the repository still
//! keeps it as an image no tag points at ([`DigestUse::Untagged`]). The start of a
//! digest ([`Sought`]) matches manifests only: the blob endpoint needs a whole one.

use crate::model::sort;
use crate::model::version_order::natural_cmp;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};

mod images;
mod sought;
pub use images::{ImagePart, MAX_IMAGES_READ};
pub use sought::{Sought, MIN_START_DIGITS};

use super::bounds::{bounded, MAX_MESSAGE_CHARS};
use super::client::{HeadPlan, Registry};
use super::error::RegistryError;
use super::http::HttpClient;
use super::image_summary::MAX_LABEL_CHARS;
use super::index_levels::level_below;
use super::media::{is_index, is_manifest_type};
use super::names::{Digest, Repository, Tag};

/// Repositories searched at once.
pub const REPOSITORY_CONCURRENCY: usize = 4;
/// Tags resolved at once within one repository.
pub const TAG_CONCURRENCY: usize = 6;
/// Index manifests read at most in one search: a hostile registry must not keep it
/// going forever with index after index. Beyond it, indexes are counted as unread.
pub const MAX_INDEXES_READ: usize = 20_000;
/// Problems named one by one in the report; more are only counted.
pub const MAX_PROBLEMS_NAMED: usize = 50;
/// Uses kept (streamed and listed) in one search; more are only counted. The report
/// is held in memory (and a few earlier ones with it) and each use is a table row: a
/// hostile registry must not make them endless.
pub const MAX_USES_KEPT: usize = 10_000;

/// One place the digest is used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DigestUse {
    /// `repository:tag` points at `digest` (the one sought, or one that starts as
    /// sought).
    Tag {
        repository: Repository,
        tag: Tag,
        digest: Digest,
    },
    /// `repository:tag` is an index (multi-arch image) whose `index` lists `digest`.
    ListedBy {
        repository: Repository,
        tag: Tag,
        index: Digest,
        digest: Digest,
        /// The platform the index gives the entry, if any ("linux/arm64/v8").
        platform: Option<String>,
    },
    /// The image `repository:tag` points at (or, with a `platform`, one platform of
    /// the multi-arch image it points at) has the digest as a layer or as its
    /// configuration.
    InImage {
        repository: Repository,
        tag: Tag,
        /// The image's manifest digest.
        image: Digest,
        platform: Option<String>,
        part: ImagePart,
    },
    /// The repository stores the digest as a blob (a layer or a configuration), and
    /// no image a tag of it names has it: it is left from an image since removed or
    /// pushed without a tag, until the registry's garbage collection runs. Not
    /// reported where a tag or an index of the repository uses the digest (some
    /// registries answer a manifest's digest at the blob endpoint too).
    /// `size`: when the registry said. `maybe_tagged`: the repository was not read
    /// whole (see its gaps), so a tagged image could still have it: the registry's
    /// word that it stores it is kept all the same.
    Blob {
        repository: Repository,
        size: Option<u64>,
        maybe_tagged: bool,
    },
    /// The repository holds a manifest (an image, a multi-arch image, an artifact)
    /// under the digest that no tag points at, nor any index a tag names: its tag
    /// was moved or removed, or it was pushed by digest. `media_type`: as the
    /// registry said. `maybe_tagged`: as for [`DigestUse::Blob`], a tag that could
    /// not be read may point at it.
    Untagged {
        repository: Repository,
        digest: Digest,
        media_type: String,
        maybe_tagged: bool,
    },
}

impl DigestUse {
    pub fn repository(&self) -> &Repository {
        match self {
            DigestUse::Tag { repository, .. }
            | DigestUse::ListedBy { repository, .. }
            | DigestUse::InImage { repository, .. }
            | DigestUse::Blob { repository, .. }
            | DigestUse::Untagged { repository, .. } => repository,
        }
    }

    /// The tag that uses the digest; none for a blob no tag uses.
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            DigestUse::Tag { tag, .. }
            | DigestUse::ListedBy { tag, .. }
            | DigestUse::InImage { tag, .. } => Some(tag),
            DigestUse::Blob { .. } | DigestUse::Untagged { .. } => None,
        }
    }
}

/// The order a report lists uses in: by repository, then by tag, each in version
/// order as the tag table sorts (`1.9.0` before `1.10.0`); a repository's blob row
/// after its tags.
pub fn reading_order(a: &DigestUse, b: &DigestUse) -> Ordering {
    natural_cmp(a.repository().as_str(), b.repository().as_str())
        .then_with(|| match (a.tag(), b.tag()) {
            (Some(x), Some(y)) => natural_cmp(x.as_str(), y.as_str()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.cmp(b))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindProgress {
    pub repositories_done: usize,
    /// 0 until the catalog is read.
    pub repositories_total: usize,
    pub tags_checked: usize,
    /// Index manifests read (a read that failed is a gap, not counted here).
    pub indexes_read: usize,
    /// Image manifests read to find a layer or configuration in them (as above).
    pub images_read: usize,
}

/// What could not be read, so results may miss something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The catalog may lack pages (its Link hidden, asking further failed).
    CatalogIncomplete,
    /// A name in the catalog that is not a valid repository name; not searched. Cut
    /// to [`MAX_MESSAGE_CHARS`]: a registry's name may be megabytes.
    InvalidRepository { name: String },
    /// The repository's tag list could not be read at all.
    TagsUnreadable {
        repository: Repository,
        problem: RegistryError,
    },
    /// The repository's tag list may lack pages.
    TagsIncomplete { repository: Repository },
    /// A name in a tag list that is not a valid tag; not checked. Cut as above.
    InvalidTag { repository: Repository, tag: String },
    /// A tag whose digest could not be read.
    TagUnreadable {
        repository: Repository,
        tag: Tag,
        problem: RegistryError,
    },
    /// An index whose entries could not be read.
    IndexUnreadable {
        repository: Repository,
        tag: Tag,
        problem: RegistryError,
    },
    /// More indexes than [`MAX_INDEXES_READ`]: this one was not read.
    IndexNotRead { repository: Repository, tag: Tag },
    /// Whether the repository stores the digest as a blob could not be read.
    BlobUnreadable {
        repository: Repository,
        problem: RegistryError,
    },
    /// No blob, but whether the repository keeps a manifest of that digest no tag
    /// points at could not be read.
    ManifestUnreadable {
        repository: Repository,
        problem: RegistryError,
    },
    /// An image could not be read, so whether it has the layer is unknown: one gap
    /// however many tags name it (`named_by`: each tag, with the platform when it
    /// names a multi-arch image).
    ImageUnreadable {
        repository: Repository,
        image: Digest,
        named_by: Vec<(Tag, Option<String>)>,
        problem: RegistryError,
    },
    /// More images than [`MAX_IMAGES_READ`]: `count` images of the repository were
    /// not read.
    ImagesNotRead {
        repository: Repository,
        count: usize,
    },
    /// An image was read, but it is of a kind (`media_type`, cut) whose parts are
    /// not known, so whether it has the layer is unknown.
    ImageNotInspected {
        repository: Repository,
        image: Digest,
        named_by: Vec<(Tag, Option<String>)>,
        media_type: String,
    },
    /// The digest sought is not a sha256 one (`algorithm`): registries name tags'
    /// manifests by sha256, so none of them can match it.
    NotSha256 { algorithm: String },
}

impl Gap {
    /// The repository that was not read whole, if the gap is in one.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            Gap::CatalogIncomplete | Gap::InvalidRepository { .. } | Gap::NotSha256 { .. } => None,
            Gap::TagsUnreadable { repository, .. }
            | Gap::TagsIncomplete { repository }
            | Gap::InvalidTag { repository, .. }
            | Gap::TagUnreadable { repository, .. }
            | Gap::IndexUnreadable { repository, .. }
            | Gap::IndexNotRead { repository, .. }
            | Gap::BlobUnreadable { repository, .. }
            | Gap::ManifestUnreadable { repository, .. }
            | Gap::ImageUnreadable { repository, .. }
            | Gap::ImageNotInspected { repository, .. }
            | Gap::ImagesNotRead { repository, .. } => Some(repository),
        }
    }
}

/// How a search ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindReport {
    pub progress: FindProgress,
    /// Every use found, each once, sorted (also streamed while searching); the first
    /// [`MAX_USES_KEPT`] found.
    pub uses: Vec<DigestUse>,
    /// Uses found beyond [`MAX_USES_KEPT`], each once: counted, not kept.
    pub uses_not_kept: usize,
    /// The first [`MAX_PROBLEMS_NAMED`] gaps.
    pub gaps: Vec<Gap>,
    /// Every gap, named or not.
    pub gap_count: usize,
    /// The search was cancelled before it covered every repository.
    pub cancelled: bool,
    /// Cancelled: the repositories it was searching then, read only in part.
    pub cut_short: Vec<Repository>,
    /// Some repository said it stores the digest as a blob. Only then are images
    /// looked into: a layer referenced but stored nowhere is not found in them.
    pub stored_as_blob: bool,
}

impl FindReport {
    /// Whether the search may have missed uses: something was not read, or it was
    /// cancelled.
    pub fn may_have_missed(&self) -> bool {
        self.gap_count > 0 || self.cancelled
    }
}

/// Errors that end the search: the view went away, or the catalog needs a sign-in.
fn ends_search(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Aborted { .. })
}

/// What is shared by the repositories searched at once (one thread: the borrows
/// never cross an await).
struct Shared<P, U> {
    report: FindReport,
    /// Index digest → what it lists. Each index is read once per search, whichever
    /// repositories tag it.
    indexes: HashMap<Digest, Result<Vec<IndexEntry>, RegistryError>>,
    /// The repositories with a gap: what was read of them is not all there is.
    gapped: HashSet<Repository>,
    /// The repositories being searched now.
    searching: HashSet<Repository>,
    /// The uses kept, to keep each once (an index may list one digest many times).
    seen: HashSet<DigestUse>,
    /// Hashes of the uses beyond [`MAX_USES_KEPT`], to count each once without
    /// keeping it.
    seen_beyond: HashSet<u64>,
    /// The repositories with a use, kept or not.
    used_in: HashSet<Repository>,
    /// The digest was found as a layer or configuration of an image: no manifest, so
    /// no repository is asked any more whether it keeps it as an untagged one.
    known_blob: bool,
    /// Index and image reads started, failed ones included: what
    /// [`MAX_INDEXES_READ`] and [`MAX_IMAGES_READ`] bound.
    index_reads: usize,
    image_reads: usize,
    on_progress: P,
    on_use: U,
}

impl<P: FnMut(FindProgress), U: FnMut(&DigestUse)> Shared<P, U> {
    /// A search's state before anything was read.
    fn new(on_progress: P, on_use: U) -> Self {
        Shared {
            report: FindReport::default(),
            indexes: HashMap::new(),
            gapped: HashSet::new(),
            searching: HashSet::new(),
            seen: HashSet::new(),
            seen_beyond: HashSet::new(),
            used_in: HashSet::new(),
            known_blob: false,
            index_reads: 0,
            image_reads: 0,
            on_progress,
            on_use,
        }
    }

    fn gap(&mut self, gap: Gap) {
        if let Some(repository) = gap.repository() {
            self.gapped.insert(repository.clone());
        }
        self.report.gap_count += 1;
        if self.report.gaps.len() < MAX_PROBLEMS_NAMED {
            self.report.gaps.push(gap);
        }
    }

    /// Whether a use was found in `repository` (a tag or an index there).
    fn uses_in(&self, repository: &Repository) -> bool {
        self.used_in.contains(repository)
    }

    /// Whether everything of `repository` was read: only then can "no tag uses it"
    /// be said (an image, index or tag that failed may be the one).
    fn read_whole(&self, repository: &Repository) -> bool {
        !self.gapped.contains(repository)
    }

    /// Records a use, once however often it is found (an index listing one digest a
    /// thousand times is one use); beyond [`MAX_USES_KEPT`] it is only counted.
    fn found(&mut self, found: DigestUse) {
        if self.seen.contains(&found) {
            return;
        }
        if !self.used_in.contains(found.repository()) {
            self.used_in.insert(found.repository().clone());
        }
        if self.report.uses.len() < MAX_USES_KEPT {
            (self.on_use)(&found);
            self.seen.insert(found.clone());
            self.report.uses.push(found);
            return;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        found.hash(&mut hasher);
        if self.seen_beyond.insert(hasher.finish()) {
            self.report.uses_not_kept += 1;
        }
    }

    fn progress(&mut self, change: impl FnOnce(&mut FindProgress)) {
        change(&mut self.report.progress);
        (self.on_progress)(self.report.progress);
    }
}

/// One manifest an index lists.
#[derive(Debug, Clone)]
struct IndexEntry {
    digest: Digest,
    platform: Option<String>,
    /// An index listed by an index: read in turn, its entries used by the same tags.
    is_index: bool,
}

/// What the tags of one repository name, beside the uses found: the images to look
/// into when the repository stores the digest as a blob.
#[derive(Default)]
struct TaggedHere {
    /// Image (or other non-index) digest → the tags that name it.
    images: BTreeMap<Digest, Vec<Tag>>,
    /// Index digest → the tags that name it.
    indexes: BTreeMap<Digest, Vec<Tag>>,
}

/// What one tag turned out to be.
enum TagFinding {
    Uses(Digest),
    Index(Digest),
}

impl<C: HttpClient> Registry<C> {
    /// Searches every repository of the catalog for `target`: a whole digest, or the
    /// start of one, which only manifests can match (see [`Sought`]). `plan` chooses the
    /// HEADs' first pass (see [`Registry::manifest_head_fast`]); `on_progress` hears
    /// after each tag and repository, `on_use` each use as it is found. When
    /// `cancelled` turns true no new request starts and the report says so. Fails
    /// only when the catalog cannot be read at all or the requests were aborted.
    pub async fn find_digest(
        &self,
        target: &Sought,
        plan: &HeadPlan,
        on_progress: impl FnMut(FindProgress),
        on_use: impl FnMut(&DigestUse),
        cancelled: impl Fn() -> bool,
    ) -> Result<FindReport, RegistryError> {
        let shared = Rc::new(RefCell::new(Shared::new(on_progress, on_use)));
        // Said first, whatever else is read: no manifest a tag names can match.
        if target.algorithm() != "sha256" {
            shared.borrow_mut().gap(Gap::NotSha256 {
                algorithm: target.algorithm().to_owned(),
            });
        }
        let listing = match self.catalog_listing().await {
            Ok(listing) => listing,
            // Cancelled before the catalog came: nothing was searched.
            Err(error) if ends_search(&error) && cancelled() => {
                let mut shared = shared.borrow_mut();
                shared.report.cancelled = true;
                return Ok(shared.report.clone());
            }
            Err(error) => return Err(error),
        };
        let mut repositories = Vec::with_capacity(listing.tags.len());
        {
            let mut shared = shared.borrow_mut();
            if listing.may_be_incomplete {
                shared.gap(Gap::CatalogIncomplete);
            }
            for name in listing.tags {
                match Repository::parse(&name) {
                    Ok(repository) => repositories.push(repository),
                    // Cut as registry text is: kept in the report, shown.
                    Err(_) => shared.gap(Gap::InvalidRepository {
                        name: bounded(&name, MAX_MESSAGE_CHARS),
                    }),
                }
            }
            let total = repositories.len();
            shared.progress(|p| p.repositories_total = total);
        }
        let cancelled = &cancelled;
        let mut searches = stream::iter(repositories)
            .map(|repository| {
                let shared = Rc::clone(&shared);
                async move {
                    if cancelled() {
                        return Ok(());
                    }
                    shared.borrow_mut().searching.insert(repository.clone());
                    self.find_in_repository(&repository, target, plan, &shared, cancelled)
                        .await?;
                    if !cancelled() {
                        let mut shared = shared.borrow_mut();
                        shared.searching.remove(&repository);
                        shared.progress(|p| p.repositories_done += 1);
                    }
                    Ok::<_, RegistryError>(())
                }
            })
            .buffer_unordered(REPOSITORY_CONCURRENCY);
        while let Some(search) = searches.next().await {
            match search {
                Ok(()) => {}
                // Cancel aborts the requests in flight, so that it takes effect at
                // once: the report says the search was cancelled.
                Err(error) if ends_search(&error) && cancelled() => break,
                Err(error) => return Err(error),
            }
        }
        drop(searches);
        let mut shared = shared.borrow_mut();
        shared.report.cancelled = cancelled();
        if shared.report.cancelled {
            let mut cut_short: Vec<Repository> = shared.searching.iter().cloned().collect();
            sort::by(&mut cut_short, |a, b| natural_cmp(a.as_str(), b.as_str()));
            shared.report.cut_short = cut_short;
        }
        sort::by(&mut shared.report.uses, reading_order);
        Ok(shared.report.clone())
    }

    async fn find_in_repository<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        target: &Sought,
        plan: &HeadPlan,
        shared: &RefCell<Shared<P, U>>,
        cancelled: &impl Fn() -> bool,
    ) -> Result<(), RegistryError> {
        let here = self
            .find_tags_in_repository(repository, target, plan, shared, cancelled)
            .await?;
        // The blob endpoint answers for a whole digest only.
        let Some(target) = target.whole() else {
            return Ok(());
        };
        if cancelled() {
            return Ok(());
        }
        // A layer's or a config's digest is no manifest any tag could point at: only
        // the blob endpoint knows it, and only the images that have it say which.
        match self.blob_head(repository, target).await {
            Ok(Some(blob)) => {
                shared.borrow_mut().report.stored_as_blob = true;
                if shared.borrow().uses_in(repository) {
                    return Ok(());
                }
                let in_images = self
                    .find_in_images(repository, target, here, shared, cancelled)
                    .await?;
                if in_images > 0 {
                    shared.borrow_mut().known_blob = true;
                }
                // The registry said it stores it: recorded even from a repository not
                // read whole, where an image, index or tag that failed may be the one
                // that has it, so "no image a tag names has it" is then not said.
                let maybe_tagged = !shared.borrow().read_whole(repository);
                if in_images == 0 && !cancelled() {
                    // Stored as a blob, so the manifest endpoint failing on it is no
                    // gap: distribution answers a blob's digest there with 500.
                    let untagged = match self
                        .untagged_manifest(repository, target, maybe_tagged)
                        .await
                    {
                        Err(error) if ends_search(&error) => return Err(error),
                        answer => answer.ok().flatten(),
                    };
                    let found = match untagged {
                        Some(untagged) => untagged,
                        None => DigestUse::Blob {
                            repository: repository.clone(),
                            size: blob.size,
                            maybe_tagged,
                        },
                    };
                    shared.borrow_mut().found(found);
                }
            }
            // Distribution answers a manifest's digest at the blob endpoint with 404:
            // an image whose tag moved on is known to the manifest endpoint only.
            Ok(None) => {
                let (unused_here, maybe_tagged) = {
                    let shared = shared.borrow();
                    (
                        !shared.known_blob && !shared.uses_in(repository),
                        !shared.read_whole(repository),
                    )
                };
                // One HEAD, asked of a repository with gaps too: a manifest it keeps
                // is known to be there, whatever failed to be read beside it.
                if unused_here && !cancelled() {
                    // No blob either: only this answer says whether the repository
                    // keeps it, so one that failed is a gap, never "not found".
                    match self
                        .untagged_manifest(repository, target, maybe_tagged)
                        .await
                    {
                        Ok(Some(untagged)) => shared.borrow_mut().found(untagged),
                        Ok(None) | Err(RegistryError::NotFound { .. }) => {}
                        Err(error) if ends_search(&error) => return Err(error),
                        // Already named as read only in part: no second gap for it.
                        Err(_) if maybe_tagged => {}
                        Err(error) => shared.borrow_mut().gap(Gap::ManifestUnreadable {
                            repository: repository.clone(),
                            problem: error,
                        }),
                    }
                }
            }
            Err(error) if ends_search(&error) => return Err(error),
            Err(error) => shared.borrow_mut().gap(Gap::BlobUnreadable {
                repository: repository.clone(),
                problem: error,
            }),
        }
        Ok(())
    }

    /// The manifest stored under `digest` in `repository` that no tag uses, if there
    /// is one (one HEAD). Some registries answer a manifest's digest at the blob
    /// endpoint too, distribution does not; the manifest endpoint tells them apart: it
    /// answers a manifest's digest with its manifest type, a layer's or a
    /// configuration's with 404 (distribution: 500, failing to parse it). Anything but
    /// an answer without a manifest type is no manifest; a failure is the caller's
    /// to weigh (a 404 is "none"). With the full Accept at once: a first pass's 404
    /// would only mean "not of the types it listed", and ask again.
    async fn untagged_manifest(
        &self,
        repository: &Repository,
        digest: &Digest,
        maybe_tagged: bool,
    ) -> Result<Option<DigestUse>, RegistryError> {
        let head = self.manifest_head(repository, digest.clone()).await?;
        Ok(match head.media_type {
            Some(media_type) if is_manifest_type(&media_type) => Some(DigestUse::Untagged {
                repository: repository.clone(),
                digest: digest.clone(),
                media_type,
                maybe_tagged,
            }),
            _ => None,
        })
    }

    /// The tags of `repository` that point at `target`, or at an index that lists it;
    /// returns what every tag names.
    async fn find_tags_in_repository<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        target: &Sought,
        plan: &HeadPlan,
        shared: &RefCell<Shared<P, U>>,
        cancelled: &impl Fn() -> bool,
    ) -> Result<TaggedHere, RegistryError> {
        let listing = match self.tags(repository, |_| {}).await {
            Ok(listing) => listing,
            Err(error) if ends_search(&error) => return Err(error),
            Err(error) => {
                shared.borrow_mut().gap(Gap::TagsUnreadable {
                    repository: repository.clone(),
                    problem: error,
                });
                return Ok(TaggedHere::default());
            }
        };
        let mut tags = Vec::with_capacity(listing.tags.len());
        {
            let mut shared = shared.borrow_mut();
            if listing.may_be_incomplete {
                shared.gap(Gap::TagsIncomplete {
                    repository: repository.clone(),
                });
            }
            for name in listing.tags {
                match Tag::parse(&name) {
                    Ok(tag) => tags.push(tag),
                    Err(_) => shared.gap(Gap::InvalidTag {
                        repository: repository.clone(),
                        tag: bounded(&name, MAX_MESSAGE_CHARS),
                    }),
                }
            }
        }
        // Indexes are read once the tags are resolved, each once however many tags
        // of the repository name it (tags resolved at once would read it twice).
        let here: RefCell<TaggedHere> = RefCell::default();
        let mut checks = stream::iter(tags)
            .map(|tag| {
                let here = &here;
                async move {
                    if cancelled() {
                        return Ok(());
                    }
                    let finding = self.tag_finding(repository, &tag, plan).await;
                    let mut shared = shared.borrow_mut();
                    shared.progress(|p| p.tags_checked += 1);
                    match finding {
                        Ok(TagFinding::Uses(digest)) if target.matches(&digest) => {
                            shared.found(DigestUse::Tag {
                                repository: repository.clone(),
                                tag,
                                digest,
                            });
                        }
                        Ok(TagFinding::Uses(digest)) => here
                            .borrow_mut()
                            .images
                            .entry(digest)
                            .or_default()
                            .push(tag),
                        Ok(TagFinding::Index(index)) => here
                            .borrow_mut()
                            .indexes
                            .entry(index)
                            .or_default()
                            .push(tag),
                        Err(error) if ends_search(&error) => return Err(error),
                        Err(error) => shared.gap(Gap::TagUnreadable {
                            repository: repository.clone(),
                            tag,
                            problem: error,
                        }),
                    }
                    Ok::<_, RegistryError>(())
                }
            })
            .buffer_unordered(TAG_CONCURRENCY);
        while let Some(check) = checks.next().await {
            check?;
        }
        drop(checks);
        let mut here = here.into_inner();
        // The indexes the tags name, then those they list (see `index_levels`).
        // An index reached again by other tags comes back with those (from the cache).
        let mut level = here.indexes.clone();
        let mut attached = HashSet::new();
        let mut direct = true;
        while !level.is_empty() {
            let mut reads = stream::iter(level.clone())
                .map(|(index, tags)| async move {
                    if cancelled() {
                        return Ok(());
                    }
                    self.check_index(repository, tags, index, target, shared, direct)
                        .await
                })
                .buffer_unordered(TAG_CONCURRENCY);
            while let Some(read) = reads.next().await {
                read?;
            }
            drop(reads);
            let below = {
                let read = &shared.borrow().indexes;
                level_below(
                    &level,
                    |index| match read.get(index) {
                        Some(Ok(entries)) => entries
                            .iter()
                            .filter(|e| e.is_index)
                            .map(|e| e.digest.clone())
                            .collect(),
                        _ => Vec::new(),
                    },
                    &mut attached,
                )
            };
            for (index, tags) in &below {
                let above = here.indexes.entry(index.clone()).or_default();
                above.extend(tags.iter().cloned());
            }
            level = below;
            direct = false;
        }
        Ok(here)
    }

    /// The digest `tag` points at, telling indexes apart (they need reading).
    async fn tag_finding(
        &self,
        repository: &Repository,
        tag: &Tag,
        plan: &HeadPlan,
    ) -> Result<TagFinding, RegistryError> {
        let head = self.manifest_head_fast(repository, tag, plan).await?;
        // Filed as an image, an index served as `application/json` would never be
        // read and its platforms called untagged; unread, it is a gap.
        let (digest, media_type) = self.classified(repository, tag, head).await?;
        Ok(if is_index(&media_type) {
            TagFinding::Index(digest)
        } else {
            TagFinding::Uses(digest)
        })
    }

    /// `tags` name an index (`direct`), or an index one of theirs lists: each is a
    /// use when the index is the target itself (named directly) or lists the target.
    async fn check_index<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        tags: Vec<Tag>,
        index: Digest,
        target: &Sought,
        shared: &RefCell<Shared<P, U>>,
        direct: bool,
    ) -> Result<(), RegistryError> {
        // Listed by an index above, it was found as such there.
        if direct && target.matches(&index) {
            let mut shared = shared.borrow_mut();
            for tag in &tags {
                shared.found(DigestUse::Tag {
                    repository: repository.clone(),
                    tag: tag.clone(),
                    digest: index.clone(),
                });
            }
            // The start of a digest may match a listed manifest too: read on.
            if target.whole().is_some() {
                return Ok(());
            }
        }
        let known = shared.borrow().indexes.get(&index).cloned();
        let listed = match known {
            Some(known) => known,
            None => {
                if shared.borrow().index_reads >= MAX_INDEXES_READ {
                    let mut shared = shared.borrow_mut();
                    for tag in tags {
                        shared.gap(Gap::IndexNotRead {
                            repository: repository.clone(),
                            tag,
                        });
                    }
                    return Ok(());
                }
                shared.borrow_mut().index_reads += 1;
                // By digest: the bytes are verified against it, and a tag moved
                // meanwhile cannot swap in another index.
                let read = match self.manifest_get(repository, &index).await {
                    Ok(manifest) => Ok(manifest
                        .view
                        .manifests
                        .iter()
                        .map(|entry| IndexEntry {
                            digest: entry.digest.clone(),
                            // Kept, and cloned per use: cut as registry text is.
                            platform: entry
                                .platform
                                .as_ref()
                                .map(|p| bounded(&p.label(), MAX_LABEL_CHARS)),
                            is_index: entry.is_index(),
                        })
                        .collect()),
                    Err(error) if ends_search(&error) => return Err(error),
                    Err(error) => Err(error),
                };
                let mut shared = shared.borrow_mut();
                if read.is_ok() {
                    shared.progress(|p| p.indexes_read += 1);
                }
                shared.indexes.insert(index.clone(), read.clone());
                read
            }
        };
        let mut shared = shared.borrow_mut();
        match listed {
            Ok(entries) => {
                let matching: Vec<IndexEntry> = entries
                    .into_iter()
                    .filter(|entry| target.matches(&entry.digest))
                    .collect();
                for tag in tags {
                    for entry in &matching {
                        shared.found(DigestUse::ListedBy {
                            repository: repository.clone(),
                            tag: tag.clone(),
                            index: index.clone(),
                            digest: entry.digest.clone(),
                            platform: entry.platform.clone(),
                        });
                    }
                }
            }
            Err(problem) => {
                for tag in tags {
                    shared.gap(Gap::IndexUnreadable {
                        repository: repository.clone(),
                        tag,
                        problem: problem.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_kept_once_and_beyond_the_cap_only_counted() {
        let streamed = RefCell::new(0);
        let mut shared = Shared::new(|_| {}, |_: &DigestUse| *streamed.borrow_mut() += 1);
        let blob = |i: usize| DigestUse::Blob {
            repository: Repository::parse(&format!("r{i}")).unwrap(),
            size: None,
            maybe_tagged: false,
        };
        for round in 0..2 {
            for i in 0..MAX_USES_KEPT + 7 {
                shared.found(blob(i));
            }
            assert_eq!(shared.report.uses.len(), MAX_USES_KEPT, "round {round}");
            assert_eq!(shared.report.uses_not_kept, 7, "round {round}");
        }
        assert!(shared.uses_in(&Repository::parse(&format!("r{}", MAX_USES_KEPT + 3)).unwrap()));
        drop(shared);
        assert_eq!(streamed.into_inner(), MAX_USES_KEPT);
    }
}
