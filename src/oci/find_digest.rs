//! Where a digest is used across a whole registry: every repository and tag that
//! points at it, every multi-arch image (index) that lists it, and every repository
//! that stores it as a blob (a layer or an image configuration).
//!
//! Walks the catalog a few repositories at a time; in each, asks for the blob (one
//! HEAD), lists the tags and
//! resolves them with HEADs (a few at a time), and reads the manifests of the tags
//! that are indexes (by digest, each index once per search). Results stream out as
//! they are found. Anything that could not be read (the catalog or a tag list read
//! only in part, a tag or index that failed) is counted and named in the report, so
//! "not found" is never claimed from a partial search.

use crate::model::sort;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};

use super::client::{HeadPlan, Registry};
use super::error::RegistryError;
use super::http::HttpClient;
use super::media::{essence, is_index};
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

/// One place the digest is used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DigestUse {
    /// `repository:tag` points at the digest.
    Tag { repository: Repository, tag: Tag },
    /// `repository:tag` is an index (multi-arch image) whose `index` lists the digest.
    ListedBy {
        repository: Repository,
        tag: Tag,
        index: Digest,
        /// The platform the index gives the entry, if any ("linux/arm64/v8").
        platform: Option<String>,
    },
    /// The repository stores the digest as a blob: a layer or a configuration of an
    /// image pushed there. It may be left from an image since removed (until the
    /// registry's garbage collection runs), so it does not say a tag uses it. Not
    /// reported where a tag or an index of the repository uses the digest (some
    /// registries answer a manifest's digest at the blob endpoint too).
    /// `size`: when the registry said.
    Blob {
        repository: Repository,
        size: Option<u64>,
    },
}

impl DigestUse {
    pub fn repository(&self) -> &Repository {
        match self {
            DigestUse::Tag { repository, .. }
            | DigestUse::ListedBy { repository, .. }
            | DigestUse::Blob { repository, .. } => repository,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindProgress {
    pub repositories_done: usize,
    /// 0 until the catalog is read.
    pub repositories_total: usize,
    pub tags_checked: usize,
    pub indexes_read: usize,
}

/// What could not be read, so results may miss something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The catalog may lack pages (its Link hidden, asking further failed).
    CatalogIncomplete,
    /// A name in the catalog that is not a valid repository name; not searched.
    InvalidRepository { name: String },
    /// The repository's tag list could not be read at all.
    TagsUnreadable {
        repository: Repository,
        problem: RegistryError,
    },
    /// The repository's tag list may lack pages.
    TagsIncomplete { repository: Repository },
    /// A name in a tag list that is not a valid tag; not checked.
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
}

/// How a search ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindReport {
    pub progress: FindProgress,
    /// Every use found, sorted (also streamed while searching).
    pub uses: Vec<DigestUse>,
    /// The first [`MAX_PROBLEMS_NAMED`] gaps.
    pub gaps: Vec<Gap>,
    /// Every gap, named or not.
    pub gap_count: usize,
    /// The search was cancelled before it covered every repository.
    pub cancelled: bool,
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
    /// Index digest → the platform it gives the target, `None` when it does not
    /// list it. Each index is read once per search, whichever repositories tag it.
    indexes: HashMap<Digest, Result<Option<Option<String>>, RegistryError>>,
    on_progress: P,
    on_use: U,
}

impl<P: FnMut(FindProgress), U: FnMut(&DigestUse)> Shared<P, U> {
    fn gap(&mut self, gap: Gap) {
        self.report.gap_count += 1;
        if self.report.gaps.len() < MAX_PROBLEMS_NAMED {
            self.report.gaps.push(gap);
        }
    }

    fn found(&mut self, found: DigestUse) {
        (self.on_use)(&found);
        self.report.uses.push(found);
    }

    fn progress(&mut self, change: impl FnOnce(&mut FindProgress)) {
        change(&mut self.report.progress);
        (self.on_progress)(self.report.progress);
    }
}

/// What one tag turned out to be.
enum TagFinding {
    Uses(Digest),
    Index(Digest),
}

impl<C: HttpClient> Registry<C> {
    /// Searches every repository of the catalog for `target`. `plan` chooses the
    /// HEADs' first pass (see [`Registry::manifest_head_fast`]); `on_progress` hears
    /// after each tag and repository, `on_use` each use as it is found. When
    /// `cancelled` turns true no new request starts and the report says so. Fails
    /// only when the catalog cannot be read at all or the requests were aborted.
    pub async fn find_digest(
        &self,
        target: &Digest,
        plan: &HeadPlan,
        on_progress: impl FnMut(FindProgress),
        on_use: impl FnMut(&DigestUse),
        cancelled: impl Fn() -> bool,
    ) -> Result<FindReport, RegistryError> {
        let shared = Rc::new(RefCell::new(Shared {
            report: FindReport::default(),
            indexes: HashMap::new(),
            on_progress,
            on_use,
        }));
        let listing = self.catalog_listing().await?;
        let mut repositories = Vec::with_capacity(listing.tags.len());
        {
            let mut shared = shared.borrow_mut();
            if listing.may_be_incomplete {
                shared.gap(Gap::CatalogIncomplete);
            }
            for name in listing.tags {
                match Repository::parse(&name) {
                    Ok(repository) => repositories.push(repository),
                    Err(_) => shared.gap(Gap::InvalidRepository { name }),
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
                    self.find_in_repository(&repository, target, plan, &shared, cancelled)
                        .await?;
                    if !cancelled() {
                        shared.borrow_mut().progress(|p| p.repositories_done += 1);
                    }
                    Ok::<_, RegistryError>(())
                }
            })
            .buffer_unordered(REPOSITORY_CONCURRENCY);
        while let Some(search) = searches.next().await {
            search?;
        }
        drop(searches);
        let mut shared = shared.borrow_mut();
        shared.report.cancelled = cancelled();
        sort::ascending(&mut shared.report.uses);
        Ok(shared.report.clone())
    }

    async fn find_in_repository<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        target: &Digest,
        plan: &HeadPlan,
        shared: &RefCell<Shared<P, U>>,
        cancelled: &impl Fn() -> bool,
    ) -> Result<(), RegistryError> {
        self.find_tags_in_repository(repository, target, plan, shared, cancelled)
            .await?;
        if cancelled() {
            return Ok(());
        }
        // A layer's or a config's digest is no manifest any tag could point at: only
        // the blob endpoint knows it.
        match self.blob_head(repository, target).await {
            Ok(Some(blob)) => {
                let mut shared = shared.borrow_mut();
                let used_by_tags = shared
                    .report
                    .uses
                    .iter()
                    .any(|found| found.repository() == repository);
                if !used_by_tags {
                    shared.found(DigestUse::Blob {
                        repository: repository.clone(),
                        size: blob.size,
                    });
                }
            }
            Ok(None) => {}
            Err(error) if ends_search(&error) => return Err(error),
            Err(error) => shared.borrow_mut().gap(Gap::BlobUnreadable {
                repository: repository.clone(),
                problem: error,
            }),
        }
        Ok(())
    }

    /// The tags of `repository` that point at `target`, or at an index that lists it.
    async fn find_tags_in_repository<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        target: &Digest,
        plan: &HeadPlan,
        shared: &RefCell<Shared<P, U>>,
        cancelled: &impl Fn() -> bool,
    ) -> Result<(), RegistryError> {
        let listing = match self.tags(repository, |_| {}).await {
            Ok(listing) => listing,
            Err(error) if ends_search(&error) => return Err(error),
            Err(error) => {
                shared.borrow_mut().gap(Gap::TagsUnreadable {
                    repository: repository.clone(),
                    problem: error,
                });
                return Ok(());
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
                        tag: name,
                    }),
                }
            }
        }
        // Indexes are read once the tags are resolved, each once however many tags
        // of the repository name it (tags resolved at once would read it twice).
        let indexes: RefCell<BTreeMap<Digest, Vec<Tag>>> = RefCell::default();
        let mut checks = stream::iter(tags)
            .map(|tag| {
                let indexes = &indexes;
                async move {
                    if cancelled() {
                        return Ok(());
                    }
                    let finding = self.tag_finding(repository, &tag, plan).await;
                    let mut shared = shared.borrow_mut();
                    shared.progress(|p| p.tags_checked += 1);
                    match finding {
                        Ok(TagFinding::Uses(digest)) if digest == *target => {
                            shared.found(DigestUse::Tag {
                                repository: repository.clone(),
                                tag,
                            });
                        }
                        Ok(TagFinding::Index(index)) => {
                            indexes.borrow_mut().entry(index).or_default().push(tag)
                        }
                        Ok(_) => {}
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
        let mut reads = stream::iter(indexes.into_inner())
            .map(|(index, tags)| async move {
                if cancelled() {
                    return Ok(());
                }
                self.check_index(repository, tags, index, target, shared)
                    .await
            })
            .buffer_unordered(TAG_CONCURRENCY);
        while let Some(read) = reads.next().await {
            read?;
        }
        Ok(())
    }

    /// The digest `tag` points at, telling indexes apart (they need reading).
    async fn tag_finding(
        &self,
        repository: &Repository,
        tag: &Tag,
        plan: &HeadPlan,
    ) -> Result<TagFinding, RegistryError> {
        let head = self.manifest_head_fast(repository, tag, plan).await?;
        let (digest, media_type) = match head.digest {
            Some(digest) => (digest, head.media_type.unwrap_or_default()),
            // CORS hides Docker-Content-Digest: hash the bytes instead.
            None => {
                let manifest = self.manifest_get(repository, tag).await?;
                (manifest.digest.clone(), manifest.media_type())
            }
        };
        Ok(if is_index(&essence(&media_type)) {
            TagFinding::Index(digest)
        } else {
            TagFinding::Uses(digest)
        })
    }

    /// `tags` name an index: each is a use when the index is the target itself or
    /// lists the target.
    async fn check_index<P: FnMut(FindProgress), U: FnMut(&DigestUse)>(
        &self,
        repository: &Repository,
        tags: Vec<Tag>,
        index: Digest,
        target: &Digest,
        shared: &RefCell<Shared<P, U>>,
    ) -> Result<(), RegistryError> {
        if index == *target {
            let mut shared = shared.borrow_mut();
            for tag in tags {
                shared.found(DigestUse::Tag {
                    repository: repository.clone(),
                    tag,
                });
            }
            return Ok(());
        }
        let known = shared.borrow().indexes.get(&index).cloned();
        let listed = match known {
            Some(known) => known,
            None => {
                if shared.borrow().report.progress.indexes_read >= MAX_INDEXES_READ {
                    let mut shared = shared.borrow_mut();
                    for tag in tags {
                        shared.gap(Gap::IndexNotRead {
                            repository: repository.clone(),
                            tag,
                        });
                    }
                    return Ok(());
                }
                // By digest: the bytes are verified against it, and a tag moved
                // meanwhile cannot swap in another index.
                let read = match self.manifest_get(repository, &index).await {
                    Ok(manifest) => Ok(manifest.view.manifests.iter().find_map(|entry| {
                        (&entry.digest == target)
                            .then(|| entry.platform.as_ref().map(|p| p.label()))
                    })),
                    Err(error) if ends_search(&error) => return Err(error),
                    Err(error) => Err(error),
                };
                let mut shared = shared.borrow_mut();
                shared.progress(|p| p.indexes_read += 1);
                shared.indexes.insert(index.clone(), read.clone());
                read
            }
        };
        let mut shared = shared.borrow_mut();
        for tag in tags {
            match &listed {
                Ok(Some(platform)) => shared.found(DigestUse::ListedBy {
                    repository: repository.clone(),
                    tag,
                    index: index.clone(),
                    platform: platform.clone(),
                }),
                Ok(None) => {}
                Err(problem) => shared.gap(Gap::IndexUnreadable {
                    repository: repository.clone(),
                    tag,
                    problem: problem.clone(),
                }),
            }
        }
        Ok(())
    }
}
