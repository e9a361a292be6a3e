//! Listing a repository's tags: on a first visit, on a revisit (what was known is
//! shown and read again) and after a change made in this tab.

use std::cell::RefCell;
use std::collections::HashSet;

use leptos::prelude::*;

use super::data::{Listing, Lookup, TagData};
use super::resolver::WorkerPool;
use crate::model::sort;
use crate::model::tag_table::{tags_after_listing, SharedDigests};
use crate::model::version_order::natural_cmp;
use crate::oci::client::{FirstTagPage, TagListing};
use crate::oci::error::RegistryError;
use crate::oci::names::Digest;

/// Rows a first screen shows (a 1080-pixel window fits about 20), the tags the
/// first HEADs go to before the table has rendered.
const FIRST_SCREEN_ROWS: usize = 24;

/// Lists every tag and resolves digests and summaries with a bounded pool of
/// workers, which start on the first page: on a paginated registry rows fill in while
/// later pages load, and tags listed before a failure still get their digests.
/// `first_page`: asked for before this view's code arrived ([`KnownTags::ask_first_page`]).
///
/// [`KnownTags::ask_first_page`]: super::KnownTags::ask_first_page
pub(super) async fn load_tags(pool: WorkerPool, data: TagData, first_page: Option<FirstTagPage>) {
    let run = data.start_listing();
    let listed = pool
        .registry
        .tags_from(&pool.repository, first_page, |page| {
            if !data.is_latest_listing(run) {
                return;
            }
            // Workers first: their HEADs leave before the table sorts and renders the
            // page. Only what the first screen can show is put in order (a registry
            // may list tags in any order; a full sort of 1,000 names here delays the
            // first HEADs); the rows on screen jump the queue once the table shows them.
            let mut queued = page.to_vec();
            sort::smallest_first(&mut queued, FIRST_SCREEN_ROWS, |a, b| natural_cmp(a, b));
            pool.queue.put_last(queued);
            pool.top_up();
            data.tags.try_update(|tags| tags.extend_from_slice(page));
        })
        .await;
    settle_listing(data, run, listed);
}

/// What the listing `run` found, unless a later listing took over.
fn settle_listing(data: TagData, run: u64, listed: Result<TagListing, RegistryError>) {
    if !data.is_latest_listing(run) {
        return;
    }
    data.listing.try_set(match listed {
        Ok(listing) => Listing::Done {
            may_be_incomplete: listing.may_be_incomplete,
        },
        Err(error) => Listing::Failed(error),
    });
}

/// A repository opened again in this tab: the rows show what was known at once,
/// marked as being re-checked, and every tag is resolved again (rows on screen first)
/// while the tags are listed again; tags new to the list join as their page arrives,
/// tags gone from it leave when the listing is complete. A listing that may be
/// incomplete takes no row away: a tag it lacks may be on a page it could not read.
pub(super) async fn recheck_tags(pool: WorkerPool, data: TagData) {
    // Started as a task: the view may have gone before it runs.
    if data.is_gone() {
        return;
    }
    let run = data.start_listing();
    // Whatever the last visit's listing ended with (cut short when that view was
    // left, a failure) is not this one's.
    data.listing.try_set(Listing::Loading);
    // Answers read before now (this view's, when a change sends it here) could
    // clear a row's mark with a digest from before the change: every tag is asked again.
    pool.forget_answers(|_| true);
    pool.resolving_again();
    data.digests
        .try_update(|digests| digests.retain(|_, lookup| matches!(lookup, Lookup::Ready(_))));
    // Until read again a row is in no group of tags sharing an image: no other row
    // says it has the same image, or takes a colour, on the strength of its digest.
    data.shared.try_update(SharedDigests::clear);
    let known: Vec<String> = data.digests.with_untracked(|d| d.keys().cloned().collect());
    data.rechecking.try_set(known.iter().cloned().collect());
    let mut tags = data.tags.get_untracked();
    sort::names_naturally(&mut tags);
    pool.queue.put_last(tags);
    pool.top_up();
    let listed_before: RefCell<HashSet<String>> =
        RefCell::new(data.tags.with_untracked(|t| t.iter().cloned().collect()));
    let listed = pool
        .registry
        .tags(&pool.repository, |page| {
            if !data.is_latest_listing(run) {
                return;
            }
            let mut new: Vec<String> = {
                let mut before = listed_before.borrow_mut();
                page.iter()
                    .filter(|t| before.insert((*t).clone()))
                    .cloned()
                    .collect()
            };
            if !new.is_empty() {
                data.tags.try_update(|tags| tags.extend_from_slice(&new));
                sort::names_naturally(&mut new);
                pool.queue.put_last(new);
                pool.top_up();
            }
        })
        .await;
    if !data.is_latest_listing(run) {
        return;
    }
    if let Ok(listing) = &listed {
        settle_rows(&pool, data, listing);
    }
    settle_listing(data, run, listed);
}

/// The rows after `listing`: a complete one's tags; one that may be incomplete only
/// adds rows ([`tags_after_listing`]). The tags of rows gone are forgotten. The
/// tags the rows now show, or `None` when the view is gone.
fn settle_rows(pool: &WorkerPool, data: TagData, listing: &TagListing) -> Option<Vec<String>> {
    let tags = data.tags.try_with_untracked(|shown| {
        tags_after_listing(shown, &listing.tags, !listing.may_be_incomplete)
    })?;
    forget_tags_not_in(pool, data, &tags);
    data.tags.try_set(tags.clone());
    Some(tags)
}

/// Drops what is known of tags no longer in `now` (removed since they were read).
fn forget_tags_not_in(pool: &WorkerPool, data: TagData, now: &[String]) {
    let now: HashSet<&String> = now.iter().collect();
    forget_tags(pool, data, |tag| !now.contains(tag));
}

/// Drops the digest, the shared-digest entry and the re-checking mark of every tag
/// `forget` picks, and any answer for it under way (which would bring them back),
/// so its row shows nothing until it is read again.
fn forget_tags(pool: &WorkerPool, data: TagData, forget: impl Fn(&String) -> bool) {
    if data.is_gone() {
        return;
    }
    pool.forget_answers(&forget);
    let forgotten: Vec<(String, Digest)> = data.digests.with_untracked(|digests| {
        digests
            .iter()
            .filter(|(tag, _)| forget(tag))
            .filter_map(|(tag, lookup)| match lookup {
                Lookup::Ready(digest) => Some((tag.clone(), digest.clone())),
                Lookup::Failed(_) => None,
            })
            .collect()
    });
    data.shared.try_update(|shared| {
        for (tag, digest) in &forgotten {
            shared.remove(tag, digest.as_str());
        }
    });
    data.digests
        .try_update(|digests| digests.retain(|tag, _| !forget(tag)));
    data.rechecking
        .try_update(|rechecking| rechecking.retain(|tag| !forget(tag)));
}

/// A tag a running removal removed: its row goes at once (the refresh after the run
/// lists the tags again all the same).
pub(super) fn drop_removed(pool: &WorkerPool, data: TagData, tag: &str) {
    forget_tags(pool, data, |known| known == tag);
    data.tags
        .try_update(|tags| tags.retain(|known| known != tag));
}

/// After a change: the tags are listed again (a change may add or remove tags), the
/// `touched` ones resolved again first, and tags new to the list resolved; every
/// other row keeps what it shows. Rows leave only on a complete listing: one that
/// may be incomplete keeps every row (a touched one is resolved again all the same).
pub(super) async fn refresh_tags(pool: WorkerPool, data: TagData, touched: Vec<String>) {
    let run = data.start_listing();
    let touched: HashSet<&String> = touched.iter().collect();
    // What is known of the touched tags goes now, with any answer read before the
    // change: also when a later refresh overtakes this one, which then finds them
    // unknown and reads them again.
    forget_tags(&pool, data, |tag| touched.contains(tag));
    pool.resolving_again();
    let listed = pool.registry.tags(&pool.repository, |_| {}).await;
    if !data.is_latest_listing(run) {
        return;
    }
    let rows = match &listed {
        Ok(listing) => settle_rows(&pool, data, listing),
        Err(_) => None,
    };
    if let Some(rows) = rows {
        let mut first: Vec<String> = rows
            .iter()
            .filter(|t| touched.contains(t))
            .cloned()
            .collect();
        sort::names_naturally(&mut first);
        let mut unknown: Vec<String> = rows
            .iter()
            .filter(|t| !touched.contains(t) && !pool.batcher.is_known(t))
            .cloned()
            .collect();
        sort::names_naturally(&mut unknown);
        pool.queue.put_first(first);
        pool.queue.put_last(unknown);
        pool.top_up();
    } else {
        // No list to go by: the rows still shown whose digest is not known (this
        // refresh's, and an overtaken one's) are read again all the same.
        let mut shown: Vec<String> = data
            .tags
            .try_with_untracked(|tags| {
                tags.iter()
                    .filter(|t| !pool.batcher.is_known(t))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        sort::names_naturally(&mut shown);
        pool.queue.put_first(shown);
        pool.top_up();
    }
    let missing: Vec<String> = match &listed {
        Ok(listing) if listing.may_be_incomplete => (touched.iter())
            .filter(|t| !listing.tags.contains(t))
            .map(|t| (*t).clone())
            .collect(),
        _ => Vec::new(),
    };
    settle_listing(data, run, listed);
    drop_rows_gone(&pool, data, missing).await;
}

/// Touched tags a listing that may be incomplete lacks: on a page not read, or gone
/// (a removal, an Undo of an added tag). Each one's own read tells: a tag the
/// registry no longer has leaves its row, which no later incomplete listing would
/// take away.
async fn drop_rows_gone(pool: &WorkerPool, data: TagData, missing: Vec<String>) {
    use futures_util::StreamExt;
    let reads = futures_util::stream::iter(missing).map(|tag| async move {
        let found = pool
            .registry
            .resolve_listed_tag(&pool.repository, &tag)
            .await;
        (tag, found)
    });
    let mut reads = reads.buffer_unordered(6);
    while let Some((tag, found)) = reads.next().await {
        if matches!(found, Ok(None)) && !data.is_gone() {
            drop_removed(pool, data, &tag);
        }
    }
}
