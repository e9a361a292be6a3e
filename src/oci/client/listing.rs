//! The catalog and tag lists, followed page by page, and told apart when a page
//! may hide the pages after it.

use std::rc::Rc;

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use serde::Deserialize;

use crate::oci::bounds::{MAX_LINK_CHARS, MAX_LIST_NAMES};
use crate::oci::client::Registry;
use crate::oci::error::{Attempt, MalformedReason, RegistryError};
use crate::oci::http::{HttpClient, Method, Request, Response};
use crate::oci::names::{Repository, MAX_REPOSITORY_LENGTH, MAX_TAG_LENGTH};
use crate::oci::pagination::next_page_url;

/// Catalog page size asked for; distribution refuses `n` above 1000.
pub const CATALOG_PAGE_SIZE: usize = 1000;

/// Tag list page size asked for. A page of exactly this many tags without a readable
/// `Link` may be followed by pages this page cannot see.
pub const TAG_PAGE_SIZE: usize = 1000;

/// Pages followed at most: a registry whose links never end must not loop forever.
pub const MAX_PAGES: usize = 1000;

/// Bytes of pages read for one list at most (each page is bounded on its own, at the
/// response limit): about a million tags. A registry sending endless pages of names
/// would otherwise fill the tab's memory before [`MAX_PAGES`] stops it.
pub const MAX_LIST_BYTES: usize = 32 << 20;

/// How a name goes into `last=`: unreserved characters as they are.
const LAST_NAME_KEEPS: &[u8] = b"-_.~";

/// The tags of a repository, and whether the list may lack pages this page could
/// not read (a page without a readable `Link` whose continuation could not be asked,
/// a list cut at a bound, a next page not followed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagListing {
    pub tags: Vec<String>,
    pub may_be_incomplete: bool,
}

/// The first page of a tag list, asked for before the code that reads the list has
/// arrived (the tag view is fetched on demand: without this its first request would
/// wait for its code). Made by [`Registry::first_tag_page`], read by
/// [`Registry::tags_from`]; its request runs as soon as something polls
/// [`FirstTagPage::run`], whether or not the list is ever read.
#[derive(Clone)]
pub struct FirstTagPage {
    url: String,
    answer: Shared<LocalBoxFuture<'static, Result<Response, RegistryError>>>,
}

impl FirstTagPage {
    /// Sends the request and keeps the answer for [`Registry::tags_from`].
    pub fn run(&self) -> impl std::future::Future<Output = ()> {
        self.answer.clone().map(|_| ())
    }
}

impl<C: HttpClient + 'static> Registry<C> {
    /// Asks for the first page of `repository`'s tags, for [`Registry::tags_from`].
    pub fn first_tag_page(self: Rc<Self>, repository: &Repository) -> FirstTagPage {
        let url = first_page_url(&self.tag_list_url(repository), TAG_PAGE_SIZE);
        let request = Request::new(Method::Get, &url);
        let answer = async move { self.execute(request).await }
            .boxed_local()
            .shared();
        FirstTagPage { url, answer }
    }
}

impl<C: HttpClient> Registry<C> {
    /// Every repository name, following pagination to the end.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let listed = self.catalog_listing().await?;
        if listed.may_be_incomplete {
            return Err(RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url: format!("{}/v2/_catalog", self.base),
                },
                reason: MalformedReason::CatalogIncomplete,
            });
        }
        Ok(listed.tags)
    }

    /// Every repository name, with whether the list may lack pages this page could
    /// not read (for searches that must say so rather than fail).
    pub async fn catalog_listing(&self) -> Result<TagListing, RegistryError> {
        let first = format!("{}/v2/_catalog", self.base);
        self.list_names(
            first,
            CATALOG_PAGE_SIZE,
            MAX_REPOSITORY_LENGTH,
            None,
            |_| {},
        )
        .await
    }

    /// Every tag of `repository`; `on_page` sees each page as it arrives, so a view
    /// can show the first tags while the rest load.
    pub async fn tags(
        &self,
        repository: &Repository,
        on_page: impl FnMut(&[String]),
    ) -> Result<TagListing, RegistryError> {
        self.tags_from(repository, None, on_page).await
    }

    /// [`Registry::tags`], with the first page's answer taken from `first` when it
    /// was asked for at the very address this list starts at (this registry, this
    /// repository) and answered; otherwise asked for as usual.
    pub async fn tags_from(
        &self,
        repository: &Repository,
        first: Option<FirstTagPage>,
        on_page: impl FnMut(&[String]),
    ) -> Result<TagListing, RegistryError> {
        let url = self.tag_list_url(repository);
        self.list_names(url, TAG_PAGE_SIZE, MAX_TAG_LENGTH, first, on_page)
            .await
    }

    fn tag_list_url(&self, repository: &Repository) -> String {
        format!("{}/v2/{repository}/tags/list", self.base)
    }

    /// Reads a paged list of names (`tags` or `repositories`) to its end. Pages are
    /// followed by their `Link: rel="next"`; when a page carries no readable Link
    /// (across origins CORS hides it unless exposed), the rest is asked for with
    /// `last=<last name>` until a page adds nothing, so a registry that pages is read
    /// whole even so. Only when that cannot be done is the list marked as possibly
    /// incomplete. The registry's answers are bounded: names kept
    /// ([`MAX_LIST_NAMES`]), bytes read, pages and the next links followed; a name
    /// longer than `max_name` (the longest valid one) never goes into `last=`.
    async fn list_names(
        &self,
        base_url: String,
        page_size: usize,
        max_name: usize,
        mut first: Option<FirstTagPage>,
        mut on_page: impl FnMut(&[String]),
    ) -> Result<TagListing, RegistryError> {
        let mut url = first_page_url(&base_url, page_size);
        let mut listing = TagListing::default();
        let mut seen_urls = std::collections::HashSet::new();
        // Every name listed so far, to drop repeats: within a page too, where a
        // hostile registry's megabytes of one name would be as many rows.
        let mut seen_names = std::collections::HashSet::new();
        let mut asked_after_last = false;
        // Once a Link was readable, Link headers are exposed: a page without one is
        // the last.
        let mut links_readable = false;
        let mut bytes_read = 0usize;
        // Whether this list's URLs ask for `n`: not once the registry refused it.
        let mut sized = true;
        loop {
            // `url` may be a next-page link the registry sent: bounded.
            let attempt = Attempt::new(Method::Get, &url);
            if !seen_urls.insert(url.clone()) {
                return Err(RegistryError::Malformed {
                    attempt,
                    reason: MalformedReason::RepeatedNextPage,
                });
            }
            if seen_urls.len() > MAX_PAGES || bytes_read > MAX_LIST_BYTES {
                listing.may_be_incomplete = true;
                return Ok(listing);
            }
            // An early answer that failed is not trusted: it may be older than the
            // failure it reports (a network that has come back since), so this list
            // asks again.
            // Only an answer for the very address asked here (this registry, this
            // list): `first` is taken at the first page and never after.
            let early = match first.take().filter(|page| page.url == url) {
                Some(page) => page.answer.await.ok(),
                None => None,
            };
            let answer = match early {
                Some(response) => Ok(response),
                None => self.execute(Request::new(Method::Get, &url)).await,
            };
            let response = match answer {
                // The first page decides; a failed look past the end leaves doubt.
                Err(_) if asked_after_last => {
                    listing.may_be_incomplete = true;
                    return Ok(listing);
                }
                // Configured for pages smaller than `page_size` (distribution's
                // catalog.maxentries below 1000), a registry refuses the first one:
                // asked again without `n`, it answers at its own page size.
                Err(error)
                    if sized
                        && seen_urls.len() == 1
                        && error.has_code("PAGINATION_NUMBER_INVALID") =>
                {
                    sized = false;
                    url = base_url.clone();
                    continue;
                }
                other => other?,
            };
            bytes_read = bytes_read.saturating_add(response.body.len());
            let page: NamesPage =
                serde_json::from_slice(&response.body).map_err(|e| RegistryError::Malformed {
                    attempt: attempt.clone(),
                    reason: MalformedReason::unexpected_json(&e),
                })?;
            // distribution answers `"tags": null` once every tag was deleted.
            let names = page.tags.or(page.repositories).unwrap_or_default();
            let names_on_page = names.len();
            // At most one name beyond the bound is taken (and kept in `seen_names`).
            let room = MAX_LIST_NAMES - listing.tags.len();
            let mut fresh: Vec<String> = names
                .into_iter()
                .filter(|n| seen_names.insert(n.clone()))
                .take(room + 1)
                .collect();
            let cut = fresh.len() > room;
            fresh.truncate(room);
            // Asked for what comes after the last name, a page with nothing new means
            // the registry ignores `last`. Whether it had sent everything at once, or
            // pages by `n` with links this page cannot read, one more question tells.
            if asked_after_last && fresh.is_empty() && names_on_page > 0 && !cut {
                listing.may_be_incomplete =
                    listing.tags.len() > 1 && self.pages_by_n(&base_url).await.unwrap_or(true);
                return Ok(listing);
            }
            on_page(&fresh);
            let ignores_n = names_on_page > page_size;
            let added_nothing = fresh.is_empty();
            let last = fresh.last().cloned();
            listing.tags.extend(fresh);
            let link = response.header("link");
            links_readable |= link.is_some();
            bytes_read = bytes_read.saturating_add(link.map_or(0, str::len));
            let next = match link {
                Some(link) => next_page_url(link, &url).map_err(|e| RegistryError::Malformed {
                    attempt,
                    reason: MalformedReason::NextPageLink(e),
                })?,
                None => None,
            };
            // Not followed, and the list may lack what comes after: a list at its
            // bound; a next link longer than any registry needs (each one followed
            // is kept, to catch a loop); a page reached by a link that added nothing
            // (endless empty pages, each linking to a fresh address).
            let stop = cut
                || next.as_ref().is_some_and(|next| {
                    next.len() > MAX_LINK_CHARS || (added_nothing && seen_urls.len() > 1)
                });
            if stop {
                listing.may_be_incomplete = true;
                return Ok(listing);
            }
            url = match (next, last) {
                (Some(next), _) => {
                    asked_after_last = false;
                    next
                }
                // A readable Link without "next", a registry that sends everything at
                // once, or an empty page: that was the end.
                (None, _) if links_readable || ignores_n => return Ok(listing),
                (None, None) => return Ok(listing),
                (None, Some(last)) if last.len() <= max_name => {
                    asked_after_last = true;
                    let last = crate::model::route::percent_encode_keeping(&last, LAST_NAME_KEEPS);
                    match sized {
                        true => format!("{base_url}?n={page_size}&last={last}"),
                        false => format!("{base_url}?last={last}"),
                    }
                }
                // A name too long to be valid: it goes into no URL.
                (None, Some(_)) => {
                    listing.may_be_incomplete = true;
                    return Ok(listing);
                }
            };
        }
    }
}

impl<C: HttpClient> Registry<C> {
    /// Whether the list at `base_url` honours `n` (asked for one name, sends one).
    async fn pages_by_n(&self, base_url: &str) -> Result<bool, RegistryError> {
        let response = self
            .execute(Request::new(Method::Get, format!("{base_url}?n=1")))
            .await?;
        let page: NamesPage =
            serde_json::from_slice(&response.body).map_err(|e| RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url: format!("{base_url}?n=1"),
                },
                reason: MalformedReason::unexpected_json(&e),
            })?;
        Ok(page.tags.or(page.repositories).unwrap_or_default().len() <= 1)
    }
}

/// Where a paged list at `base_url` starts: its first page of `page_size` names.
fn first_page_url(base_url: &str, page_size: usize) -> String {
    format!("{base_url}?n={page_size}")
}

/// A page of `/v2/_catalog` (`repositories`) or of a tag list (`tags`).
#[derive(Deserialize)]
struct NamesPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}
