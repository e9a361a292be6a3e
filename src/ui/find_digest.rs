//! "Find a digest": every repository and tag of the registry pointing at a digest,
//! and every multi-arch image listing it, as the search finds them. The digest lives
//! in the address (`?view=find&digest=…`), so a search can be shared or reloaded.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::format::human_size;
use crate::model::route::View;
use crate::net;
use crate::oci::client::HeadPlan;
use crate::oci::error::RegistryError;
use crate::oci::find_digest::{
    reading_order, DigestUse, FindProgress, FindReport, ImagePart, Sought,
};
use crate::oci::names::{Digest, Tag};
use crate::ui::browser;
use crate::ui::copy::CopyButton;
use crate::ui::error_view::{ErrorPanel, ResultWords};
use crate::ui::router::{use_router, Link};
use crate::wording::{self, ResultLine};

#[component]
pub fn FindDigestView(registry: String, digest: String) -> impl IntoView {
    let router = use_router();
    let draft = RwSignal::new(digest.clone());
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match Sought::parse(&draft.get_untracked()) {
            Ok(sought) => {
                problem.set(None);
                router.go_to_view(View::FindDigest {
                    digest: sought.to_string(),
                });
            }
            Err(error) => problem.set(Some(wording::digest_refused(&error, false))),
        }
    };
    // "Search again" makes a new Search, which then cannot reuse the earlier one.
    let generation = RwSignal::new(0_u32);
    let search_again = Callback::new(move |()| generation.update(|g| *g += 1));
    let search = (!digest.is_empty()).then(|| match Sought::parse(&digest) {
        Ok(target) => (move || {
            generation.track();
            view! { <Search registry=registry.clone() target=target.clone() search_again /> }
        })
        .into_any(),
        Err(error) => view! {
            <p class="error-panel" role="alert">
                {wording::digest_refused(&error, true)}
            </p>
        }
        .into_any(),
    });
    view! {
        <section class="panel find-digest" aria-labelledby="find-heading">
            <h2 id="find-heading">"Find a digest"</h2>
            <p class="hint">"Every repository and tag of this registry that points at the digest, every multi-arch image that lists it, for a layer or an image configuration every tagged image that has it, and where an image no tag points at any more is still kept. The first 12 digits or more of an image's digest, as the tag list shows them, find its tags too."</p>
            <form class="find-form" on:submit=on_submit>
                <label for="find-digest-input">"Digest"</label>
                <input
                    id="find-digest-input"
                    type="text"
                    spellcheck="false"
                    placeholder="sha256:… or its first 12 digits"
                    aria-invalid=move || problem.get().is_some().to_string()
                    aria-describedby=move || problem.get().is_some().then_some("find-digest-problem")
                    prop:value=move || draft.get()
                    on:input:target=move |event| draft.set(event.target().value())
                />
                <button type="submit">"Find"</button>
            </form>
            {move || problem.get().map(|p| view! { <p class="field-error" id="find-digest-problem" role="alert">{p}</p> })}
            // The results answer the digest searched before: hidden while the field
            // holds one that could not be searched, so they are not read as its answer.
            <div class="find-results" hidden=move || problem.get().is_some()>{search}</div>
        </section>
    }
}

/// The state of one search, filled in by the search as it goes.
#[derive(Clone, Copy)]
struct SearchState {
    progress: RwSignal<FindProgress>,
    uses: RwSignal<Vec<DigestUse>>,
    outcome: RwSignal<Option<Result<FindReport, RegistryError>>>,
    cancel: RwSignal<bool>,
}

/// Searches this tab finished, newest last, kept so that coming back to one (Back
/// from an image opened from its results) shows it at once, said to be an earlier
/// search, instead of reading the whole registry again. In memory only, and few: a
/// report can hold thousands of uses.
const SEARCHES_KEPT: usize = 3;

struct EarlierSearch {
    registry: String,
    sought: String,
    report: FindReport,
    finished_ms: f64,
}

thread_local! {
    static EARLIER_SEARCHES: std::cell::RefCell<Vec<EarlierSearch>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn earlier_search(registry: &str, sought: &Sought) -> Option<(FindReport, f64)> {
    let sought = sought.to_string();
    EARLIER_SEARCHES.with(|kept| {
        kept.borrow()
            .iter()
            .find(|s| s.registry == registry && s.sought == sought)
            .map(|s| (s.report.clone(), s.finished_ms))
    })
}

/// Keeps a finished search (one cancelled is not the answer) in place of an earlier
/// one of the same digest; `None` only forgets that.
fn keep_search(registry: &str, sought: &Sought, report: Option<&FindReport>) {
    let sought = sought.to_string();
    EARLIER_SEARCHES.with(|kept| {
        let mut kept = kept.borrow_mut();
        kept.retain(|s| !(s.registry == registry && s.sought == sought));
        if let Some(report) = report.filter(|report| !report.cancelled) {
            if kept.len() == SEARCHES_KEPT {
                kept.remove(0);
            }
            kept.push(EarlierSearch {
                registry: registry.to_owned(),
                sought,
                report: report.clone(),
                finished_ms: js_sys::Date::now(),
            });
        }
    });
}

/// "2 minutes ago", in whole units.
fn time_since(earlier_ms: f64) -> String {
    let seconds = ((js_sys::Date::now() - earlier_ms) / 1000.0).max(0.0) as u64;
    match seconds {
        0..=59 => wording::plural(seconds as usize, "second", "seconds"),
        60..=3599 => wording::plural((seconds / 60) as usize, "minute", "minutes"),
        _ => wording::plural((seconds / 3600) as usize, "hour", "hours"),
    }
}

#[component]
fn Search(registry: String, target: Sought, search_again: Callback<()>) -> impl IntoView {
    let state = SearchState {
        progress: RwSignal::new(FindProgress::default()),
        uses: RwSignal::new(Vec::new()),
        outcome: RwSignal::new(None),
        cancel: RwSignal::new(false),
    };
    if let Some((report, finished_ms)) = earlier_search(&registry, &target) {
        state.progress.set(report.progress);
        state.uses.set(report.uses.clone());
        state.outcome.set(Some(Ok(report)));
        let forget = target.clone();
        let again = move |_| {
            keep_search(&registry, &forget, None);
            search_again.run(());
        };
        return view! {
            <p class="count find-progress earlier-search" role="status">
                {format!("The results of this search {} ago in this tab; the registry may have changed since. ", time_since(finished_ms))}
                <button type="button" on:click=again>"Search again"</button>
            </p>
            <SearchResults state target />
        }
        .into_any();
    }
    // Requests stop when the view goes away (another digest, another view), and on
    // Cancel, in flight or not.
    let (client, stopper) = browser::stoppable_client_for_this_view();
    let stopper = StoredValue::new(stopper);
    let cancel = move |_| {
        // First: the search reads an aborted request as cancelled only once it is.
        state.cancel.set(true);
        stopper.with_value(browser::RequestStopper::stop);
    };
    let found_so_far = FoundSoFar::new(state.uses);
    {
        let target = target.clone();
        spawn_local(async move {
            let api = net::registry(&registry, client);
            // First passes only where they save preflights (across origins).
            let plan = if net::first_passes_pay(api.base_url()) {
                HeadPlan::adaptive()
            } else {
                HeadPlan::fixed(None)
            };
            let report = api
                .find_digest(
                    &target,
                    &plan,
                    |progress| {
                        state.progress.try_set(progress);
                    },
                    |found| found_so_far.add(found.clone()),
                    // A view gone counts as cancelled.
                    || state.cancel.try_get_untracked().unwrap_or(true),
                )
                .await;
            // The report holds every use, in order: a batch still waiting is in it.
            match &report {
                Ok(report) => {
                    found_so_far.forget_pending();
                    state.uses.try_set(report.uses.clone());
                    keep_search(&registry, &target, Some(report));
                }
                Err(_) => found_so_far.show(),
            }
            state.outcome.try_set(Some(report));
        });
    }
    let running = move || state.outcome.with(Option::is_none);
    let status = move || {
        let p = state.progress.get();
        let repositories = if p.repositories_total == 0 {
            "reading the list of repositories".to_owned()
        } else {
            format!(
                "{} of {} repositories",
                p.repositories_done, p.repositories_total
            )
        };
        let found = state.uses.with(Vec::len);
        let cancelled = state
            .outcome
            .with(|outcome| matches!(outcome, Some(Ok(report)) if report.cancelled));
        let verb = match (running(), cancelled) {
            (true, _) => "Searching",
            (false, true) => "Cancelled",
            (false, false) => "Searched",
        };
        // Images are read only to find a layer or a configuration.
        let images = if p.images_read > 0 {
            format!(
                ", {} read",
                wording::plural(p.images_read, "image", "images")
            )
        } else {
            String::new()
        };
        format!(
            "{verb}: {repositories}, {} checked, {} read{images}; {found} found",
            wording::plural(p.tags_checked, "tag", "tags"),
            wording::plural(p.indexes_read, "multi-arch image", "multi-arch images"),
        )
    };
    view! {
        <p class="count find-progress" role="status" aria-busy=move || running().to_string()>
            {status}
            " "
            <Show when=running>
                <button
                    type="button"
                    disabled=move || state.cancel.get()
                    on:click=cancel
                >"Cancel"</button>
            </Show>
        </p>
        <SearchResults state target />
    }
    .into_any()
}

/// What the search came to, and what it may have missed, above its rows: a long list
/// would push it out of sight.
#[component]
fn SearchResults(state: SearchState, target: Sought) -> impl IntoView {
    let summary = {
        let target = target.clone();
        move || {
            state.outcome.get().map(|outcome| match outcome {
                Ok(report) => view! { <Summary report target=target.clone() /> }.into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
            })
        }
    };
    view! {
        {summary}
        <UsesTable uses=state.uses target />
    }
}

/// How long uses found wait to be shown together: a digest that 2000 tags point at
/// arrives as 2000 uses, and the table must not be updated 2000 times. The longer the
/// table, the costlier each update (the browser lays the whole table out again), so
/// the longer the wait: 150 ms at first, 650 ms with 2000 rows, never over a second.
fn show_found_after_ms(rows_shown: usize) -> u64 {
    (150 + rows_shown as u64 / 4).min(1000)
}

/// The uses found while the search runs, shown in batches and in reading order, so
/// rows do not jump about when the report's final order comes.
#[derive(Clone)]
struct FoundSoFar {
    shown: RwSignal<Vec<DigestUse>>,
    pending: std::rc::Rc<std::cell::RefCell<Vec<DigestUse>>>,
}

impl FoundSoFar {
    fn new(shown: RwSignal<Vec<DigestUse>>) -> Self {
        FoundSoFar {
            shown,
            pending: Default::default(),
        }
    }

    fn add(&self, found: DigestUse) {
        let first = {
            let mut pending = self.pending.borrow_mut();
            pending.push(found);
            pending.len() == 1
        };
        if first {
            let batch = self.clone();
            let wait = show_found_after_ms(self.shown.with_untracked(Vec::len));
            set_timeout(move || batch.show(), std::time::Duration::from_millis(wait));
        }
    }

    fn forget_pending(&self) {
        self.pending.borrow_mut().clear();
    }

    fn show(&self) {
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        self.shown.try_update(|shown| {
            for found in batch {
                let at = shown.partition_point(|row| reading_order(row, &found).is_lt());
                shown.insert(at, found);
            }
        });
    }
}

#[component]
fn UsesTable(uses: RwSignal<Vec<DigestUse>>, target: Sought) -> impl IntoView {
    // The start of a digest may match several: each row says which it found.
    let by_start = target.whole().is_none();
    // Rows are added as found, never all drawn again.
    view! {
        <Show when=move || uses.with(|uses| !uses.is_empty())>
            <table class="digest-uses" aria-label="Where the digest is used">
                <thead>
                    <tr>
                        <th scope="col">"Repository"</th>
                        <th scope="col">"Tag"</th>
                        {by_start.then(|| view! { <th scope="col">"Digest"</th> })}
                        <th scope="col">"How"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || uses.get() key=|found| found.clone() let:found>
                        <UseRow found by_start />
                    </For>
                </tbody>
            </table>
        </Show>
    }
}

/// The digest a row found, when the search named only its start.
fn found_digest(found: &DigestUse) -> impl IntoView {
    let digest = match found {
        DigestUse::Tag { digest, .. } | DigestUse::ListedBy { digest, .. } => Some(digest),
        _ => None,
    };
    let cell = digest.map(|digest| {
        let full = digest.to_string();
        view! {
            <code class="found-digest" title=full.clone()>
                {format!("{}:{}…", digest.algorithm(), digest.short(19))}
            </code>
            " "
            <CopyButton text=full label="Copy digest" />
        }
    });
    view! { <td>{cell}</td> }
}

#[component]
fn UseRow(found: DigestUse, by_start: bool) -> impl IntoView {
    let repository = found.repository().to_string();
    let open = |reference: String, index: Option<String>, label: String| {
        view! {
            " ("
            <Link label view=View::Image {
                repository: repository.clone(),
                reference,
                index,
            }>"open it"</Link>
            ")"
        }
    };
    // A manifest an index lists opens as part of it, with the way back; so does the
    // platform image that has a layer.
    let open_as_part = |reference: String, tag: &Tag, platform: &Option<String>| {
        let label = format!(
            "Open the {} image of {repository}:{tag}",
            platform.as_deref().unwrap_or("listed")
        );
        open(reference, Some(tag.to_string()), label)
    };
    let as_part = match &found {
        DigestUse::Untagged { digest, .. } => Some(open(
            digest.to_string(),
            None,
            format!("Open the untagged image {repository}@{digest}"),
        )),
        DigestUse::ListedBy {
            tag,
            digest,
            platform,
            ..
        } => Some(open_as_part(digest.to_string(), tag, platform)),
        DigestUse::InImage {
            tag,
            image,
            platform: platform @ Some(_),
            ..
        } => Some(open_as_part(image.to_string(), tag, platform)),
        _ => None,
    };
    let (tag, how, kind) = match &found {
        DigestUse::Tag { tag, .. } => (
            Some(tag.to_string()),
            "the tag points at it".to_owned(),
            "tag",
        ),
        DigestUse::ListedBy {
            tag,
            index,
            platform,
            ..
        } => (
            Some(tag.to_string()),
            format!(
                "the multi-arch image {}:{}… lists it{}",
                index.algorithm(),
                index.short(12),
                platform
                    .as_ref()
                    .map(|p| format!(" as {p}"))
                    .unwrap_or_default()
            ),
            "index",
        ),
        DigestUse::InImage {
            tag,
            platform,
            part,
            ..
        } => {
            let image = match platform {
                Some(platform) => format!("its {platform} image"),
                None => "its image".to_owned(),
            };
            let (how, kind) = match part {
                ImagePart::Config => (format!("{image} has it as its configuration"), "config"),
                ImagePart::Layer { number, of } => {
                    (format!("{image} has it as layer {number} of {of}"), "layer")
                }
            };
            (Some(tag.to_string()), how, kind)
        }
        DigestUse::Untagged { media_type, .. } => (
            None,
            format!(
                "stored here as {}, but no tag points at it: its tag was moved or removed, or it was pushed by digest. It stays until it is deleted by digest",
                untagged_kind(media_type)
            ),
            "untagged",
        ),
        DigestUse::Blob { size, .. } => (
            None,
            format!(
                "stored here as a layer or an image configuration{}, but no image a tag names has it: a blob outlives the images that used it until the registry's garbage collection runs",
                size.map(|size| format!(" ({})", human_size(size)))
                    .unwrap_or_default()
            ),
            "blob",
        ),
    };
    let repository_view = View::Repository {
        name: repository.clone(),
    };
    let tag_cell = tag.clone().map(|tag| {
        let image_view = View::Image {
            repository: repository.clone(),
            reference: tag.clone(),
            index: None,
        };
        view! {
            <Link view=image_view>
                <code>{tag}</code>
            </Link>
        }
    });
    let repository_text = repository.clone();
    let digest_cell = by_start.then(|| found_digest(&found));
    view! {
        <tr data-repository=repository data-tag=tag data-kind=kind>
            <td><Link view=repository_view>{repository_text}</Link></td>
            <td>{tag_cell}</td>
            {digest_cell}
            <td>{how}{as_part}</td>
        </tr>
    }
}

/// "an image", "a multi-arch image", as an untagged manifest's type says.
fn untagged_kind(media_type: &str) -> &'static str {
    let media_type = crate::oci::media::essence(media_type);
    if crate::oci::media::is_index(&media_type) {
        "a multi-arch image (or other index)"
    } else {
        "an image"
    }
}

#[component]
fn Summary(report: FindReport, target: Sought) -> impl IntoView {
    let repositories: std::collections::BTreeSet<&str> = report
        .uses
        .iter()
        .map(|u| u.repository().as_str())
        .collect();
    let headline = if report.uses.is_empty() {
        // Not a claim about what could not be read (named below).
        let read = if report.may_have_missed() {
            "in what could be read of"
        } else {
            "in"
        };
        format!(
            "Not found {read} the {} repositories searched.",
            report.progress.repositories_done
        )
    } else {
        format!(
            "Found {} time{} in {} repositor{}.",
            report.uses.len(),
            if report.uses.len() == 1 { "" } else { "s" },
            repositories.len(),
            if repositories.len() == 1 { "y" } else { "ies" }
        )
    };
    let missed = report.may_have_missed().then(|| {
        let mut lines: Vec<ResultLine> = report.gaps.iter().map(wording::find_gap).collect();
        if report.gap_count > report.gaps.len() {
            lines.push(format!("… and {} more.", report.gap_count - report.gaps.len()).into());
        }
        let why = if report.cancelled && report.progress.repositories_total == 0 {
            "Cancelled before the list of repositories was read: nothing was searched."
                .to_owned()
        } else if report.cancelled {
            wording::search_cancelled(&report.progress, &report.cut_short)
        } else {
            "The search may have missed some: parts of the registry could not be read. Search again to retry them.".to_owned()
        };
        view! {
            <div class="error-panel may-have-missed" role="alert">
                <p>{why}</p>
                <ul>{lines.into_iter().map(|line| view! { <li><ResultWords line /></li> }).collect_view()}</ul>
            </div>
        }
    });
    // What the start of a digest can find, and whether it named one image.
    let by_start = target.whole().is_none().then(|| {
        let distinct: std::collections::BTreeSet<&Digest> = report
            .uses
            .iter()
            .filter_map(|found| match found {
                DigestUse::Tag { digest, .. } | DigestUse::ListedBy { digest, .. } => Some(digest),
                _ => None,
            })
            .collect();
        let several = (distinct.len() > 1).then(|| {
            format!(
                " {} different digests start with {target}: the Digest column tells them apart.",
                distinct.len()
            )
        });
        // An IMAGE ID from docker images (classic image store) is the configuration's
        // digest, which no tag points at.
        let from_docker = report.uses.is_empty().then_some(
            " If it is an IMAGE ID from docker images: Docker's classic image store shows the configuration's digest there. docker inspect --format '{{index .RepoDigests 0}}' IMAGE prints the digest this registry knows the image by.",
        );
        view! {
            <p class="find-by-start">
                {format!("Searched for the images whose digest starts with {target}: what tags point at, and what multi-arch images list. A layer or an image configuration can be found by its whole digest only.")}
                {several}
                {from_docker}
            </p>
        }
    });
    view! {
        <p class="find-summary">{headline}</p>
        {by_start}
        {missed}
    }
}
