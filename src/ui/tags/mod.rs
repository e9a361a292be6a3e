//! The tags of one repository: every tag (all pages), its digest, what it is, size
//! and creation date. Digests load with a bounded number of concurrent requests and
//! rows fill in as answers arrive; only the rows on screen are rendered, so tens of
//! thousands of tags stay smooth. Leaving the view cancels what is in flight.
//!
//! Digests come from [`Registry::manifest_head_fast`]: across origins a first HEAD
//! with a CORS-safelisted Accept needs no preflight, and its answer is used only
//! when it cannot differ from the full-Accept one. `?fullAccept=1` in the page
//! address (read when the view opens) sends the full-Accept HEAD only, as before,
//! so the two can be compared (scripts/bench.mjs).
//!
//! - `data`: what the tab knows of each repository's tags, kept across visits;
//! - `listing`: listing the tags, on a first visit, a revisit and after a change;
//! - `resolver`: the workers that read digests and summaries, rows on screen first;
//! - `batcher`: their answers handed to the table in batches;
//! - `progress`, `table`, `row`: what the view shows.
//!
//! [`Registry::manifest_head_fast`]: crate::oci::client::Registry::manifest_head_fast

mod batcher;
mod data;
mod listing;
mod progress;
mod resolver;
mod row;
mod table;

pub use data::KnownTags;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use batcher::AnswerBatcher;
use data::{Listing, Lookup};
use listing::{load_tags, recheck_tags, refresh_tags};
use progress::Progress;
use resolver::{head_plan, ResolveQueue, WorkerPool};
use table::TagTable;

use crate::model::route::View;
use crate::model::summary_asks::SummaryAsks;
use crate::model::tag_table::{drop_unlisted, visible_tags, SortOrder};
use crate::net;
use crate::oci::names::Repository;
use crate::oci::referrers::is_referrer_tag;
use crate::ui::activity::use_changes;
use crate::ui::browser;
use crate::ui::bulk::{BulkBar, Selection};
use crate::ui::router::Link;
use crate::ui::sign_in::AccessNotice;
use crate::wording;

/// The address keys of the view's settings (see [`browser::view_setting`]).
const FILTER_SETTING: &str = "q";
const ORDER_SETTING: &str = "sort";
/// `hideReferrerTags=1`: signature and SBOM tags (`sha256-<hex>[.sig|.att|.sbom]`)
/// hidden. Shown by default: a tag the table leaves out unasked would surprise.
const HIDE_REFERRER_TAGS_SETTING: &str = "hideReferrerTags";

#[component]
pub fn TagsView(registry: String, repository: String) -> impl IntoView {
    let repository = match Repository::parse(&repository) {
        Ok(repository) => repository,
        Err(error) => {
            return view! { <p class="error-panel" role="alert">{wording::name_error(&error)}</p> }
                .into_any()
        }
    };
    let known_tags = expect_context::<KnownTags>();
    let (data, seen_before) = known_tags.data_for(repository.as_str());
    let first_page = known_tags.take_first_page();
    let client = browser::client_for_this_view();
    let queue = ResolveQueue::default();
    let registry_for_bulk = registry.clone();
    let api = Rc::new(net::registry(&registry, client));
    let plan = head_plan(&api);
    let pool = WorkerPool {
        registry: api,
        repository: repository.clone(),
        queue: queue.clone(),
        // Summaries read on an earlier visit stay valid (a digest names immutable
        // content); one that failed then is asked for again.
        summaries: Rc::new(RefCell::new(SummaryAsks::new(
            data.summaries.with_untracked(|s| {
                s.iter()
                    .filter(|(_, lookup)| matches!(lookup, Lookup::Ready(_)))
                    .map(|(digest, _)| digest.clone())
                    .collect::<Vec<_>>()
            }),
        ))),
        summary_queue: Rc::default(),
        in_flight: Rc::default(),
        tickets: Rc::default(),
        batcher: AnswerBatcher::new(data),
        running: Rc::default(),
        plan,
        bound: Rc::default(),
    };
    let read_again = {
        let (pool, data) = (SendWrapper::new(pool.clone()), data);
        Callback::new(move |()| pool.read_failed_again(data))
    };
    // After a failed listing: listed again whole; the digests read so far stay.
    let list_again = {
        let pool = SendWrapper::new(pool.clone());
        Callback::new(move |()| {
            data.listing.set(Listing::Loading);
            spawn_local(refresh_tags((*pool).clone(), data, Vec::new()));
        })
    };
    // A tag a running removal removed: its row goes at once.
    let on_removed = {
        let pool = SendWrapper::new(pool.clone());
        Callback::new(move |tag: String| listing::drop_removed(&pool, data, &tag))
    };
    if seen_before {
        spawn_local(recheck_tags(pool.clone(), data));
    } else {
        spawn_local(load_tags(pool.clone(), data, first_page));
    }
    // A change made in this tab: the view stays, re-lists the tags and re-resolves
    // only the tags the change touched; every other row keeps its digest.
    {
        let changes = use_changes();
        let (registry, repository) = (registry.clone(), repository.to_string());
        let pool = SendWrapper::new(pool);
        Effect::new(move |seen: Option<u64>| {
            let version = changes.version.get();
            if let Some(seen) = seen.filter(|seen| *seen != version) {
                // Every change since the effect last ran: several may be announced
                // before it runs again.
                let touched = changes
                    .touched
                    .with_value(|log| log.since(seen, &registry, &repository));
                match touched {
                    Some(touched) if touched.is_empty() => {}
                    Some(touched) => spawn_local(refresh_tags((*pool).clone(), data, touched)),
                    None => spawn_local(recheck_tags((*pool).clone(), data)),
                }
            }
            version
        });
    }

    // Filter and order live in the address: Back returns to them, a link shares them.
    let filter = RwSignal::new(browser::view_setting(FILTER_SETTING).unwrap_or_default());
    let order = RwSignal::new(SortOrder::from_key(
        &browser::view_setting(ORDER_SETTING).unwrap_or_default(),
    ));
    let hide_referrer_tags =
        RwSignal::new(browser::view_setting(HIDE_REFERRER_TAGS_SETTING).as_deref() == Some("1"));
    let visible = Memo::new(move |_| {
        let order = order.get();
        let filter = filter.get();
        let hide = hide_referrer_tags.get();
        data.tags.with(|tags| {
            let mut rows = visible_tags(tags, &filter, order, |tag| match order {
                SortOrder::NewestFirst | SortOrder::OldestFirst => match data.summary_of(tag) {
                    Some(Lookup::Ready(summary)) => summary.created,
                    _ => None,
                },
                _ => None,
            });
            if hide {
                rows.retain(|&i| is_referrer_tag(&tags[i]).is_none());
            }
            rows
        })
    });

    let selection = Selection::new();
    // A tag removed elsewhere leaves the selection once a complete listing lacks it:
    // else the bar calls it hidden by the filter, and a run fails on it.
    Effect::new(move |_| {
        let complete = data.listing.with(|l| {
            *l == Listing::Done {
                may_be_incomplete: false,
            }
        });
        if complete {
            data.tags
                .with(|tags| selection.tags.maybe_update(|s| drop_unlisted(s, tags)));
        }
    });
    let shown = Signal::derive(move || {
        data.tags.with(|tags| {
            visible.with(|rows| rows.iter().map(|&i| tags[i].clone()).collect::<Vec<_>>())
        })
    });
    let known_digests = Signal::derive(move || {
        data.digests.with(|d| {
            d.iter()
                .filter_map(|(tag, lookup)| match lookup {
                    Lookup::Ready(digest) => Some((tag.clone(), digest.clone())),
                    Lookup::Failed(_) => None,
                })
                .collect::<HashMap<_, _>>()
        })
    });
    // Tags listed, none shown: say which setting hides them, with the way back.
    let show_every_tag = move |_| {
        browser::keep_view_setting(FILTER_SETTING, "");
        browser::keep_view_setting(HIDE_REFERRER_TAGS_SETTING, "");
        filter.set(String::new());
        hide_referrer_tags.set(false);
    };
    let nothing_shown = move || {
        let total = data.tags.with(Vec::len);
        (total > 0 && visible.with(Vec::is_empty)).then(|| {
            let typed = filter.get().trim().to_owned();
            let why = if typed.is_empty() {
                "Every tag here is a signature or SBOM tag, and \"Hide signature/SBOM tags\" hides them.".to_owned()
            } else {
                format!(
                    "No tag of the {} contains \"{typed}\". The filter finds any part of a tag's name, in upper or lower case; * and ^ are plain characters to it.",
                    wording::plural(total, "tag", "tags")
                )
            };
            view! {
                <div class="no-match" role="status">
                    <p>{why}</p>
                    <button type="button" on:click=show_every_tag>"Show every tag"</button>
                </div>
            }
        })
    };
    view! {
        <section class="panel" aria-labelledby="tags-heading">
            <div class="panel-head">
                <h2 id="tags-heading">"Tags of " <code>{repository.to_string()}</code></h2>
                <input
                    type="search"
                    class="filter"
                    placeholder="Filter tags"
                    aria-label="Filter tags"
                    prop:value=move || filter.get()
                    on:input:target=move |event| {
                        let value = event.target().value();
                        browser::keep_view_setting(FILTER_SETTING, &value);
                        filter.set(value);
                    }
                />
                <label class="hide-referrer-tags">
                    <input
                        type="checkbox"
                        prop:checked=move || hide_referrer_tags.get()
                        on:change:target=move |event| {
                            let hide = event.target().checked();
                            browser::keep_view_setting(HIDE_REFERRER_TAGS_SETTING, if hide { "1" } else { "" });
                            hide_referrer_tags.set(hide);
                        }
                    />
                    "Hide signature/SBOM tags"
                </label>
                <label class="sort">
                    "Sort by "
                    <select
                        on:change:target=move |event| {
                            let chosen = SortOrder::from_key(&event.target().value());
                            let key = if chosen == SortOrder::default() { "" } else { chosen.key() };
                            browser::keep_view_setting(ORDER_SETTING, key);
                            order.set(chosen);
                        }
                    >
                        {SortOrder::ALL
                            .into_iter()
                            .map(|o| view! { <option value=o.key() selected=move || order.get() == o>{o.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <Link class="cleanup-link" view=View::Cleanup { target: repository.to_string(), namespace: false }>
                    "Clean up…"
                </Link>
            </div>
            <AccessNotice registry=registry.clone() repository=repository.to_string() />
            <Progress data visible read_again list_again />
            <BulkBar
                registry=registry_for_bulk
                repository=repository.clone()
                selection
                shown=shown
                digests=known_digests
                state=data.bulk
                on_removed
            />
            {nothing_shown}
            // No list to show: the failure above says why, without an empty table under it.
            <div hidden=move || {
                matches!(data.listing.get(), Listing::Failed(_)) && data.tags.with(Vec::is_empty)
            }>
                <TagTable data visible repository=repository.clone() queue selection shown />
            </div>
        </section>
    }
    .into_any()
}
