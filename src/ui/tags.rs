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

use crate::model::sort;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use crate::model::format::{human_size, short_timestamp};
use crate::model::route::View;
use crate::model::tag_table::{
    summarize, visible_tags, ImageKind, ImageSummary, SharedDigests, SortOrder,
};
use crate::model::version_order::natural_cmp;
use crate::net;
use crate::net::RegistryHttp;
use crate::oci::client::{head_concurrency, HeadPlan, Registry, TagListing};
use crate::oci::error::RegistryError;
use crate::oci::manifest::Manifest;
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::pagination::origin_of;
use crate::oci::referrers::is_referrer_tag;
use crate::ui::activity::use_changes;
use crate::ui::browser;
use crate::ui::bulk::{BulkBar, BulkRetry, Selection};
use crate::ui::change_dialog::{use_dialog, ChangeRequest};
use crate::ui::copy::CopyButton;
use crate::ui::error_view::ErrorPanel;
use crate::ui::router::Link;
use crate::ui::sign_in::{blocked_reasons, AccessNotice};
use crate::wording;

/// Pixels; whole numbers, so no float formatting code is linked into the bundle.
const ROW_HEIGHT: usize = 40;
/// Rows rendered above and below the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 10;
/// Other tags named in a row's "same image as" badge before "+N more".
const SHARED_TAGS_SHOWN: usize = 3;
/// Rows a first screen shows (a 1080-pixel window fits about 20), the tags the
/// first HEADs go to before the table has rendered.
const FIRST_SCREEN_ROWS: usize = 24;
/// The address keys of the view's settings (see [`browser::view_setting`]).
const FILTER_SETTING: &str = "q";
const ORDER_SETTING: &str = "sort";
/// `hideReferrerTags=1`: signature and SBOM tags (`sha256-<hex>[.sig|.att|.sbom]`)
/// hidden. Shown by default: a tag the table leaves out unasked would surprise.
const HIDE_REFERRER_TAGS_SETTING: &str = "hideReferrerTags";

#[derive(Clone, PartialEq)]
enum Listing {
    Loading,
    /// Listed to the end, as far as this page can tell: a full last page without a
    /// readable Link header `may_be_incomplete`.
    Done {
        may_be_incomplete: bool,
    },
    Failed(RegistryError),
}

#[derive(Clone, PartialEq)]
enum Lookup<T> {
    Ready(T),
    Failed(Failure),
}

/// Why a cell could not be filled: a short headline shown in the cell, the whole
/// error in its tooltip.
#[derive(Clone, PartialEq)]
struct Failure {
    headline: String,
    detail: String,
}

impl From<&RegistryError> for Failure {
    fn from(error: &RegistryError) -> Self {
        let message = wording::error(error);
        Failure {
            headline: message.headline,
            detail: message.detail,
        }
    }
}

/// Everything the table shows, as signals the loader fills in.
#[derive(Clone, Copy)]
struct TagData {
    tags: RwSignal<Vec<String>>,
    listing: RwSignal<Listing>,
    digests: RwSignal<HashMap<String, Lookup<Digest>>>,
    summaries: RwSignal<HashMap<Digest, Lookup<ImageSummary>>>,
    shared: RwSignal<SharedDigests>,
    /// Tags whose digest in `digests` was learnt on an earlier visit of this tab and
    /// is being read again: shown, marked as such, never acted on as current.
    rechecking: RwSignal<HashSet<String>>,
    /// What failed in the last bulk change here, still selected for a retry.
    bulk_retry: BulkRetry,
}

impl TagData {
    fn new() -> Self {
        TagData {
            tags: RwSignal::new(Vec::new()),
            listing: RwSignal::new(Listing::Loading),
            digests: RwSignal::new(HashMap::new()),
            summaries: RwSignal::new(HashMap::new()),
            shared: RwSignal::new(SharedDigests::default()),
            rechecking: RwSignal::new(HashSet::new()),
            bulk_retry: BulkRetry::default(),
        }
    }

    /// Digests known for the current tag list, counting those being re-checked.
    fn is_current(&self, tag: &str) -> bool {
        self.digests.with_untracked(|d| d.contains_key(tag))
            && !self.rechecking.with_untracked(|r| r.contains(tag))
    }

    fn digest_of(&self, tag: &str) -> Option<Lookup<Digest>> {
        self.digests.with(|d| d.get(tag).cloned())
    }

    fn summary_of(&self, tag: &str) -> Option<Lookup<ImageSummary>> {
        match self.digest_of(tag)? {
            Lookup::Ready(digest) => self.summaries.with(|s| s.get(&digest).cloned()),
            Lookup::Failed(_) => None,
        }
    }
}

/// Collects digests, failures and summaries as answers arrive and hands them to the
/// table in batches, so thousands of answers cause a few dozen re-renders (and
/// re-sorts, when sorted by date) instead of thousands.
#[derive(Clone)]
struct AnswerBatcher {
    data: TagData,
    pending: Collected<(String, Lookup<Digest>)>,
    summaries: Collected<(Digest, Lookup<ImageSummary>)>,
    scheduled: Rc<std::cell::Cell<bool>>,
    /// When the last batch was shown (`Date.now()`, ms).
    last_flush: Rc<std::cell::Cell<f64>>,
}

type Collected<T> = Rc<RefCell<Vec<T>>>;

/// The least time between two batches shown. An answer after a quiet spell shows at
/// once (the first digest, a refresh's few answers); a stream of answers shows about
/// six times a second. Each batch re-renders the rows on screen and the page's
/// layout; at 60 ms the main thread was busy enough that the next HEAD of a worker
/// left about 6 ms later than a bare fetch loop's (1000 tags, 20 ms latency).
const BATCH_SPACING_MS: f64 = 160.0;

impl AnswerBatcher {
    fn new(data: TagData) -> Self {
        AnswerBatcher {
            data,
            pending: Rc::default(),
            summaries: Rc::default(),
            scheduled: Rc::default(),
            last_flush: Rc::default(),
        }
    }

    fn record(&self, tag: &str, lookup: Lookup<Digest>) {
        self.pending.borrow_mut().push((tag.to_owned(), lookup));
        self.schedule();
    }

    fn record_summary(&self, digest: Digest, lookup: Lookup<ImageSummary>) {
        self.summaries.borrow_mut().push((digest, lookup));
        self.schedule();
    }

    fn schedule(&self) {
        if self.data.digests.with_untracked(HashMap::is_empty) {
            // A user waits for the first digest, not for the thousandth: the first
            // answers show now, ahead of the next tag-list page's re-sort.
            self.flush();
            return;
        }
        if !self.scheduled.replace(true) {
            // After a quiet spell an answer shows at once.
            let wait = self.last_flush.get() + BATCH_SPACING_MS - js_sys::Date::now();
            let delay = Duration::from_millis(wait.clamp(0.0, BATCH_SPACING_MS) as u64);
            let batcher = self.clone();
            set_timeout(move || batcher.flush(), delay);
        }
    }

    fn is_known(&self, tag: &str) -> bool {
        self.data.is_current(tag) || self.pending.borrow().iter().any(|(t, _)| t == tag)
    }

    fn flush(&self) {
        self.scheduled.set(false);
        self.last_flush.set(js_sys::Date::now());
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        let summaries = std::mem::take(&mut *self.summaries.borrow_mut());
        if !batch.is_empty() {
            // A re-checked tag may have moved since it was last seen.
            let moved: Vec<(String, Digest)> = self.data.digests.with_untracked(|digests| {
                batch
                    .iter()
                    .filter_map(|(tag, lookup)| match (digests.get(tag), lookup) {
                        (Some(Lookup::Ready(old)), Lookup::Ready(new)) if old == new => None,
                        (Some(Lookup::Ready(old)), _) => Some((tag.clone(), old.clone())),
                        _ => None,
                    })
                    .collect()
            });
            self.data.shared.try_update(|shared| {
                for (tag, old) in &moved {
                    shared.remove(tag, old.as_str());
                }
                for (tag, lookup) in &batch {
                    if let Lookup::Ready(digest) = lookup {
                        shared.insert(tag, digest.as_str());
                    }
                }
            });
            if self.data.rechecking.with_untracked(|r| !r.is_empty()) {
                self.data.rechecking.try_update(|rechecking| {
                    for (tag, _) in &batch {
                        rechecking.remove(tag);
                    }
                });
            }
            self.data
                .digests
                .try_update(|digests| digests.extend(batch));
        }
        if !summaries.is_empty() {
            self.data.summaries.try_update(|s| s.extend(summaries));
        }
    }
}

/// What this tab learnt about each repository's tags, held by the registry views:
/// a repository opened again shows the digests it already knew at once, marked as
/// being re-checked, while they are read again. Summaries are keyed by digest, which
/// names immutable content, so they stay valid and are not read again.
#[derive(Clone, Copy)]
pub struct KnownTags(StoredValue<(Owner, HashMap<String, TagData>)>);

impl KnownTags {
    pub fn provide() {
        // The signals belong to the registry views, so they outlive each tag view.
        let owner = Owner::current().expect("KnownTags is provided inside a view");
        provide_context(KnownTags(StoredValue::new((owner, HashMap::new()))));
    }

    /// The repository's data, and whether this tab had opened it before.
    fn data_for(&self, repository: &str) -> (TagData, bool) {
        if let Some(data) = self
            .0
            .with_value(|(_, known)| known.get(repository).copied())
        {
            return (data, true);
        }
        let owner = self.0.with_value(|(owner, _)| owner.clone());
        let data = owner.with(TagData::new);
        self.0.update_value(|(_, known)| {
            known.insert(repository.to_owned(), data);
        });
        (data, false)
    }
}

#[component]
pub fn TagsView(registry: String, repository: String) -> impl IntoView {
    let repository = match Repository::parse(&repository) {
        Ok(repository) => repository,
        Err(error) => {
            return view! { <p class="error-panel" role="alert">{wording::name_error(&error)}</p> }
                .into_any()
        }
    };
    let (data, seen_before) = expect_context::<KnownTags>().data_for(repository.as_str());
    let client = browser::client_for_this_view();
    let queue = ResolveQueue::default();
    let registry_for_bulk = registry.clone();
    let api = Rc::new(net::registry(&registry, client));
    let plan = head_plan(&api);
    let pool = WorkerPool {
        registry: api,
        repository: repository.clone(),
        queue: queue.clone(),
        summarized: Rc::new(RefCell::new(data.summaries.with_untracked(|s| {
            s.iter()
                .filter(|(_, lookup)| matches!(lookup, Lookup::Ready(_)))
                .map(|(digest, _)| digest.clone())
                .collect()
        }))),
        in_flight: Rc::default(),
        tickets: Rc::default(),
        batcher: AnswerBatcher::new(data),
        running: Rc::default(),
        plan,
        bound: Rc::default(),
    };
    if seen_before {
        spawn_local(recheck_tags(pool.clone(), data));
    } else {
        spawn_local(load_tags(pool.clone(), data));
    }
    // A change made in this tab: the view stays, re-lists the tags and re-resolves
    // only the tags the change touched; every other row keeps its digest.
    {
        let changes = use_changes();
        let (registry, repository) = (registry.clone(), repository.to_string());
        let pool = SendWrapper::new(pool);
        Effect::new(move |seen: Option<u64>| {
            let version = changes.version.get();
            if seen.is_some_and(|seen| seen != version) {
                let touched: Vec<String> = changes.touched.with_value(|touched| {
                    touched
                        .iter()
                        .filter(|t| t.registry == registry && t.repository == repository)
                        .flat_map(|t| t.tags.iter().cloned())
                        .collect()
                });
                if !touched.is_empty() {
                    spawn_local(refresh_tags((*pool).clone(), data, touched));
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
                        aria-label="Sort tags"
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
            <Progress data visible />
            <BulkBar
                registry=registry_for_bulk
                repository=repository.clone()
                selection
                shown=shown
                digests=known_digests
                retry=data.bulk_retry
            />
            <TagTable data visible repository=repository.clone() queue selection shown />
        </section>
    }
    .into_any()
}

#[component]
fn Progress(data: TagData, visible: Memo<Vec<usize>>) -> impl IntoView {
    // Digests read in this visit; those known from an earlier one do not count.
    let current = move || {
        data.digests
            .with(HashMap::len)
            .saturating_sub(data.rechecking.with(HashSet::len))
    };
    let busy = move || {
        matches!(data.listing.get(), Listing::Loading) || current() < data.tags.with(Vec::len)
    };
    let status = move || {
        let total = data.tags.with(Vec::len);
        let resolved = current();
        let rechecking = data.rechecking.with(HashSet::len);
        let shown = visible.with(Vec::len);
        let listed = match data.listing.get() {
            Listing::Loading => format!("Loading tags… {total} so far"),
            Listing::Done { .. } if total == 0 => "This repository has no tags.".to_owned(),
            Listing::Done { .. } if shown == total => format!("{total} tags"),
            Listing::Done { .. } => format!("{shown} of {total} tags match"),
            Listing::Failed(_) => format!("{total} tags loaded before the failure below"),
        };
        if rechecking > 0 {
            format!("{listed} · re-checking {rechecking} digests known from before")
        } else if total > 0 && resolved < total {
            format!("{listed} · digests {resolved} of {total} loaded")
        } else {
            listed
        }
    };
    view! {
        // Busy while digests stream in: screen readers announce the count once it
        // settles instead of every batch.
        <p class="count" role="status" aria-busy=move || busy().to_string()>{status}</p>
        {move || match data.listing.get() {
            Listing::Failed(error) => Some(view! { <ErrorPanel error /> }.into_any()),
            Listing::Done { may_be_incomplete: true } => Some(view! {
                <p class="error-panel incomplete-list" role="alert">
                    "This tag list may be incomplete: a page came without a readable Link header (CORS hides it unless Access-Control-Expose-Headers lists Link), and asking the registry for the tags after it failed. Tags may be missing here, so deleting an image is refused; removing single tags is safe. Reload to try again."
                </p>
            }.into_any()),
            _ => None,
        }}
    }
}

#[component]
fn TagTable(
    data: TagData,
    visible: Memo<Vec<usize>>,
    repository: Repository,
    queue: ResolveQueue,
    selection: Selection,
    shown: Signal<Vec<String>>,
) -> impl IntoView {
    let scroll_top = RwSignal::new(0_usize);
    let scroller = NodeRef::<leptos::html::Div>::new();
    let viewport = RwSignal::new(640_usize);
    Effect::new(move || {
        if let Some(element) = scroller.get() {
            let height = usize::try_from(element.client_height()).unwrap_or(0);
            if height > 0 {
                viewport.set(height);
            }
        }
    });
    let window = move || {
        let rows = visible.get();
        // The rows in view, and OVERSCAN more on each side where there are any: at
        // the top of the table no rows above, so the first render builds fewer.
        let top_row = scroll_top.get() / ROW_HEIGHT;
        let first = top_row.saturating_sub(OVERSCAN);
        let last = (top_row + viewport.get().div_ceil(ROW_HEIGHT) + OVERSCAN).min(rows.len());
        let tags = data.tags.read();
        (first.min(last)..last)
            .map(|position| (position, tags[rows[position]].clone()))
            .collect::<Vec<_>>()
    };
    // Rows on screen jump the queue: their digests are what the user is looking at.
    let on_screen = Memo::new(move |_| window());
    let queue = SendWrapper::new(queue);
    Effect::new(move || {
        on_screen.with(|rows| {
            let waiting: Vec<String> = rows
                .iter()
                .filter(|(_, tag)| !data.is_current(tag))
                .map(|(_, tag)| tag.clone())
                .collect();
            queue.put_first(waiting);
        })
    });
    let repository = StoredValue::new(repository);
    view! {
        <div
            class="tag-table"
            role="table"
            aria-label="Tags"
            aria-rowcount=move || visible.with(Vec::len) + 1
        >
            <div class="tag-row tag-header" role="row" aria-rowindex="1">
                <span role="columnheader" aria-label="Selected"></span>
                <span role="columnheader">"Tag"</span>
                <span role="columnheader">"Digest"</span>
                <span role="columnheader">"What it is"</span>
                <span role="columnheader">"Size"</span>
                <span role="columnheader">"Created"</span>
                <span role="columnheader">"Same image as"</span>
                <span role="columnheader">"Actions"</span>
            </div>
            <div
                class="tag-scroller"
                node_ref=scroller
                role="rowgroup"
                on:scroll:target=move |event| {
                    scroll_top.set(usize::try_from(event.target().scroll_top()).unwrap_or(0));
                }
            >
                <div
                    class="tag-spacer"
                    style:height=move || format!("{}px", visible.with(Vec::len) * ROW_HEIGHT)
                >
                    <For each=move || on_screen.get() key=|(position, tag)| (*position, tag.clone()) let:((position, tag))>
                        <TagRow data tag position repository=repository.get_value() selection shown />
                    </For>
                </div>
            </div>
        </div>
    }
}

#[component]
fn TagRow(
    data: TagData,
    tag: String,
    position: usize,
    repository: Repository,
    selection: Selection,
    shown: Signal<Vec<String>>,
) -> impl IntoView {
    let digest_tag = tag.clone();
    let digest = Memo::new(move |_| data.digest_of(&digest_tag));
    let rechecking_tag = tag.clone();
    let rechecking = Memo::new(move |_| data.rechecking.with(|r| r.contains(&rechecking_tag)));
    let summary_tag = tag.clone();
    let summary = Memo::new(move |_| data.summary_of(&summary_tag));
    let shared_tag = tag.clone();
    let others = move || match digest.get() {
        Some(Lookup::Ready(d)) => data
            .shared
            .with(|s| s.others(&shared_tag, d.as_str(), SHARED_TAGS_SHOWN)),
        _ => (Vec::new(), 0),
    };
    // (cell text, tooltip with the whole text or the failure's detail)
    let kind_text = move || match summary.get() {
        None => (String::new(), String::new()),
        Some(Lookup::Failed(failure)) => {
            (format!("unreadable: {}", failure.headline), failure.detail)
        }
        Some(Lookup::Ready(summary)) => {
            let text = describe_kind(&summary.kind);
            (text.clone(), text)
        }
    };
    // Styles go through the CSS object model (`style:`), never a style attribute,
    // so the Content-Security-Policy needs no 'unsafe-inline'.
    let top = format!("{}px", position * ROW_HEIGHT);
    let image = View::Image {
        repository: repository.to_string(),
        reference: tag.clone(),
    };
    let label = tag.clone();
    let action_tag = tag.clone();
    let selected_tag = tag.clone();
    let is_selected = move || selection.tags.with(|s| s.contains(&selected_tag));
    view! {
        <div class="tag-row" role="row" data-tag=tag.clone() aria-rowindex=position + 2 style:top=top>
            <span role="cell" class="tag-select">
                <input
                    type="checkbox"
                    aria-label=format!("Select {tag}")
                    prop:checked=is_selected
                    on:click=move |event| {
                        shown.with_untracked(|shown| selection.click(position, shown, event.shift_key()));
                    }
                />
            </span>
            <span role="cell" class="tag-name">
                <Link view=image>{label}</Link>
            </span>
            <span role="cell" class="tag-digest">
                {move || match digest.get() {
                    None => view! { <span class="pending">"…"</span> }.into_any(),
                    Some(Lookup::Failed(failure)) => view! {
                        <span class="cell-error" title=failure.detail>{format!("unavailable: {}", failure.headline)}</span>
                    }
                    .into_any(),
                    Some(Lookup::Ready(d)) => {
                        let full = d.to_string();
                        let hue = digest_hue(&d);
                        let title = move || if rechecking.get() {
                            format!("{full} (known from earlier in this tab; being checked again)")
                        } else {
                            full.clone()
                        };
                        let full = d.to_string();
                        view! {
                            <code
                                class="digest"
                                class:rechecking=move || rechecking.get()
                                title=title
                                style:--digest-hue=hue.to_string()
                            >
                                {format!("{}:{}", d.algorithm(), d.short(12))}
                            </code>
                            <CopyButton text=full.clone() label="Copy digest" />
                            <Link
                                class="find-digest-link"
                                view=View::FindDigest { digest: full }
                                label=format!("Find where {} is used", d.short(12))
                            >
                                "Find"
                            </Link>
                        }
                            .into_any()
                    }
                }}
            </span>
            <span role="cell" class="tag-kind" title=move || kind_text().1>{move || kind_text().0}</span>
            <span role="cell" class="tag-size">
                {move || match summary.get() {
                    Some(Lookup::Ready(ImageSummary { size: Some(size), .. })) => human_size(size),
                    _ => String::new(),
                }}
            </span>
            <span role="cell" class="tag-created">
                {move || match summary.get() {
                    Some(Lookup::Ready(ImageSummary { created: Some(created), .. })) => {
                        short_timestamp(&created)
                    }
                    _ => String::new(),
                }}
            </span>
            <span role="cell" class="tag-shared">
                {move || {
                    let (others, total) = others();
                    (total > 0)
                        .then(|| {
                            let hue = match digest.get() {
                                Some(Lookup::Ready(d)) => digest_hue(&d),
                                _ => 0,
                            };
                            view! {
                                <span
                                    class="shared-badge"
                                    style:--digest-hue=hue.to_string()
                                    title="These tags point at the same image (same digest)"
                                >
                                    {summarize_others(&others, total)}
                                </span>
                            }
                        })
                }}
            </span>
            <span role="cell" class="tag-actions">
                // A digest from an earlier visit is not acted on until read again.
                {move || match digest.get() {
                    Some(Lookup::Ready(_)) if rechecking.get() => None,
                    Some(Lookup::Ready(d)) => {
                        // Only a valid tag is resolved to a digest: this parses.
                        let remove_tag = Tag::parse(&action_tag).ok()?;
                        let dialog = use_dialog();
                        let (add_repository, remove_repository) = (repository.clone(), repository.clone());
                        let add_tag = action_tag.clone();
                        let add_digest = d.clone();
                        let (add_blocked, remove_blocked) = blocked_reasons(repository.as_str());
                        Some(view! {
                            <button
                                type="button"
                                disabled=move || add_blocked.get().is_some()
                                title=move || add_blocked.get()
                                on:click=move |_| dialog.open(ChangeRequest::AddTag {
                                    repository: add_repository.clone(),
                                    digest: add_digest.clone(),
                                    source: add_tag.clone(),
                                })
                            >"Add tag"</button>
                            <button
                                type="button"
                                disabled=move || remove_blocked.get().is_some()
                                title=move || remove_blocked.get()
                                on:click=move |_| dialog.open(ChangeRequest::Remove {
                                    repository: remove_repository.clone(),
                                    tag: remove_tag.clone(),
                                    digest: d.clone(),
                                })
                            >"Remove tag"</button>
                        })
                    }
                    _ => None,
                }}
            </span>
        </div>
    }
}

fn describe_kind(kind: &ImageKind) -> String {
    match kind {
        ImageKind::Image { platform: Some(p) } => format!("image {p}"),
        ImageKind::Image { platform: None } => "image".to_owned(),
        ImageKind::MultiArch { platforms } => format!("multi-arch: {}", platforms.join(", ")),
        ImageKind::Other { media_type } => format!("other: {media_type}"),
    }
}

fn summarize_others(shown: &[String], total: usize) -> String {
    let mut text = shown.join(", ");
    if total > shown.len() {
        text.push_str(&format!(" +{} more", total - shown.len()));
    }
    text
}

/// A stable colour per digest, so rows of the same image match at a glance.
fn digest_hue(digest: &Digest) -> u32 {
    u32::from_str_radix(digest.short(4), 16).unwrap_or(0) % 360
}

/// Tags waiting for their digest. Shared by the workers and the table, which puts
/// the rows on screen first.
#[derive(Clone, Default)]
struct ResolveQueue(Rc<RefCell<VecDeque<String>>>);

impl ResolveQueue {
    fn put_first(&self, tags: Vec<String>) {
        let mut queue = self.0.borrow_mut();
        for tag in tags.into_iter().rev() {
            queue.push_front(tag);
        }
    }

    fn put_last(&self, tags: Vec<String>) {
        self.0.borrow_mut().extend(tags);
    }

    fn next(&self) -> Option<String> {
        self.0.borrow_mut().pop_front()
    }
}

/// How this view resolves digests: with safelisted first passes across origins;
/// with the full Accept only on the page's own origin (no preflights to save there,
/// so a first pass could only add requests) or when the address asks for it
/// (`fullAccept=1`, for comparisons).
fn head_plan(registry: &Registry<RegistryHttp>) -> Rc<HeadPlan> {
    let full_accept = browser::location_search()
        .trim_start_matches('?')
        .split('&')
        .any(|pair| pair == "fullAccept=1");
    let same_origin = origin_of(registry.base_url()) == browser::page_origin();
    Rc::new(if full_accept || same_origin {
        HeadPlan::fixed(None)
    } else {
        HeadPlan::adaptive()
    })
}

/// The protocol the browser last reached `base_url`'s API with, from Resource
/// Timing (`nextHopProtocol`): `None` before any request to it finished, `Some("")`
/// when the browser hides it (a cross-origin registry without Timing-Allow-Origin).
fn next_hop_protocol(base_url: &str) -> Option<String> {
    use js_sys::{Array, Function, Reflect};
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let performance = Reflect::get(&window, &"performance".into()).ok()?;
    let entries_by_type: Function = Reflect::get(&performance, &"getEntriesByType".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let entries: Array = entries_by_type
        .call1(&performance, &"resource".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let api = format!("{base_url}/v2/");
    entries.iter().rev().find_map(|entry| {
        let name = Reflect::get(&entry, &"name".into()).ok()?.as_string()?;
        if !name.starts_with(&api) {
            return None;
        }
        Reflect::get(&entry, &"nextHopProtocol".into())
            .ok()?
            .as_string()
    })
}

/// Lists every tag and resolves digests and summaries with a bounded pool of
/// workers, which start on the first page: on a paginated registry rows fill in while
/// later pages load, and tags listed before a failure still get their digests.
async fn load_tags(pool: WorkerPool, data: TagData) {
    let listed = pool
        .registry
        .tags(&pool.repository, |page| {
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
    settle_listing(data, listed);
}

fn settle_listing(data: TagData, listed: Result<TagListing, RegistryError>) {
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
/// tags gone from it leave when the listing is complete.
async fn recheck_tags(pool: WorkerPool, data: TagData) {
    data.digests
        .try_update(|digests| digests.retain(|_, lookup| matches!(lookup, Lookup::Ready(_))));
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
    if let Ok(listing) = &listed {
        forget_tags_not_in(data, &listing.tags);
        data.tags.try_set(listing.tags.clone());
    }
    settle_listing(data, listed);
}

/// Drops what is known of tags no longer in `now` (removed since they were read).
fn forget_tags_not_in(data: TagData, now: &[String]) {
    let now: HashSet<&String> = now.iter().collect();
    forget_tags(data, |tag| !now.contains(tag));
}

/// Drops the digest, the shared-digest entry and the re-checking mark of every tag
/// `forget` picks, so its row shows nothing until it is read again.
fn forget_tags(data: TagData, forget: impl Fn(&String) -> bool) {
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

/// After a change: the tags are listed again (a change may add or remove tags), the
/// `touched` ones resolved again first, and tags new to the list resolved; every
/// other row keeps what it shows.
async fn refresh_tags(pool: WorkerPool, data: TagData, touched: Vec<String>) {
    let listed = pool.registry.tags(&pool.repository, |_| {}).await;
    if let Ok(listing) = &listed {
        let now: HashSet<&String> = listing.tags.iter().collect();
        let touched: HashSet<&String> = touched.iter().collect();
        forget_tags(data, |tag| !now.contains(tag) || touched.contains(tag));
        data.tags.try_set(listing.tags.clone());
        let mut first: Vec<String> = listing
            .tags
            .iter()
            .filter(|t| touched.contains(t))
            .cloned()
            .collect();
        sort::names_naturally(&mut first);
        // An answer in flight for a touched tag may predate the change: withdrawn.
        pool.in_flight
            .borrow_mut()
            .retain(|tag, _| !touched.contains(tag));
        let mut unknown: Vec<String> = listing
            .tags
            .iter()
            .filter(|t| !touched.contains(t) && !pool.batcher.is_known(t))
            .cloned()
            .collect();
        sort::names_naturally(&mut unknown);
        pool.queue.put_first(first);
        pool.queue.put_last(unknown);
        pool.top_up();
    }
    settle_listing(data, listed);
}

/// Up to [`WorkerPool::bound`] workers draining the queue; a worker ends when the
/// queue is empty, and the next page of tags starts new ones.
#[derive(Clone)]
struct WorkerPool {
    registry: Rc<Registry<RegistryHttp>>,
    repository: Repository,
    queue: ResolveQueue,
    summarized: Rc<RefCell<HashSet<Digest>>>,
    /// Tags a worker is resolving now, each with its ticket: a tag queued again
    /// meanwhile (it came on screen) is not sent twice, and an answer whose ticket
    /// was withdrawn (a change touched the tag while it was in flight) is dropped.
    in_flight: Rc<RefCell<HashMap<String, u64>>>,
    tickets: Rc<std::cell::Cell<u64>>,
    batcher: AnswerBatcher,
    running: Rc<std::cell::Cell<usize>>,
    /// Which first pass each HEAD tries; learns from every answer.
    plan: Rc<HeadPlan>,
    /// The number of workers, once the connection's protocol is known.
    bound: Rc<std::cell::Cell<Option<usize>>>,
}

impl WorkerPool {
    /// Workers at once: from the protocol of the connection to the registry (6 for
    /// HTTP/1.1 or unknown, more for HTTP/2 and 3; see [`head_concurrency`]). Before
    /// any request to the registry has finished the protocol may be unknown: 6
    /// meanwhile; [`WorkerPool::decide_bound`] settles it at the first answer.
    fn bound(&self) -> usize {
        if let Some(bound) = self.bound.get() {
            return bound;
        }
        match next_hop_protocol(self.registry.base_url()) {
            Some(protocol) => self.decide_bound(Some(protocol)),
            None => head_concurrency(None),
        }
    }

    fn decide_bound(&self, protocol: Option<String>) -> usize {
        let bound = head_concurrency(protocol.as_deref());
        self.bound.set(Some(bound));
        bound
    }

    fn top_up(&self) {
        while self.running.get() < self.bound() {
            self.running.set(self.running.get() + 1);
            let pool = self.clone();
            spawn_local(async move {
                pool.drain().await;
                pool.running.set(pool.running.get() - 1);
            });
        }
    }

    /// One worker: resolves queued tags until the queue is empty or the view is gone.
    async fn drain(&self) {
        let WorkerPool {
            registry,
            repository,
            queue,
            summarized,
            batcher,
            in_flight,
            ..
        } = self;
        while let Some(tag) = queue.next() {
            // A tag may be queued twice (once for being on screen); resolve it once.
            if batcher.is_known(&tag) || in_flight.borrow().contains_key(&tag) {
                continue;
            }
            let ticket = self.tickets.get() + 1;
            self.tickets.set(ticket);
            in_flight.borrow_mut().insert(tag.clone(), ticket);
            // HEAD is cheap; when CORS hides Docker-Content-Digest, GET and hash instead.
            let resolved = async {
                // A name of the registry's tag list, parsed before it goes into a URL.
                let name = registry.listed_tag(repository, &tag)?;
                let head = registry
                    .manifest_head_fast(repository, &name, &self.plan)
                    .await?;
                match head.digest {
                    Some(digest) => Ok((digest, None)),
                    None => registry
                        .manifest_get(repository, &name)
                        .await
                        .map(|m| (m.digest.clone(), Some(m))),
                }
            }
            .await;
            if in_flight.borrow().get(&tag) != Some(&ticket) {
                continue;
            }
            in_flight.borrow_mut().remove(&tag);
            match resolved {
                Ok((digest, manifest)) => {
                    batcher.record(&tag, Lookup::Ready(digest.clone()));
                    if summarized.borrow_mut().insert(digest.clone()) {
                        let summary =
                            summarize_digest(registry, repository, &digest, manifest).await;
                        if matches!(summary, Err(RegistryError::Aborted { .. })) {
                            return;
                        }
                        let lookup = summary
                            .map(Lookup::Ready)
                            .unwrap_or_else(|e| Lookup::Failed((&e).into()));
                        batcher.record_summary(digest, lookup);
                    }
                }
                Err(RegistryError::Aborted { .. }) => return,
                Err(error) => batcher.record(&tag, Lookup::Failed((&error).into())),
            }
            // The first answer tells the connection's protocol (or that the browser
            // hides it): settle the bound, and more workers may join.
            if self.bound.get().is_none() {
                self.decide_bound(next_hop_protocol(registry.base_url()));
                self.top_up();
            }
        }
    }
}

async fn summarize_digest(
    registry: &Registry<RegistryHttp>,
    repository: &Repository,
    digest: &Digest,
    manifest: Option<Manifest>,
) -> Result<ImageSummary, RegistryError> {
    let source = registry
        .summary_source(repository, digest, manifest)
        .await?;
    Ok(summarize(&source.manifest, source.config.as_ref()))
}
