//! "Find a digest": every repository and tag of the registry pointing at a digest,
//! and every multi-arch image listing it, as the search finds them. The digest lives
//! in the address (`?view=find&digest=…`), so a search can be shared or reloaded.
//!
//! - this module: the form and one search as it runs;
//! - `results`: the uses found (shown in batches, in reading order) and the summary;
//! - `earlier`: the searches this tab finished, shown again at once on Back.

mod earlier;
mod results;

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::route::View;
use crate::net;
use crate::oci::client::HeadPlan;
use crate::oci::error::RegistryError;
use crate::oci::find_digest::{DigestUse, FindProgress, FindReport, Sought};
use crate::ui::browser;
use crate::ui::router::use_router;
use crate::wording;

use earlier::{earlier_search, keep_search, time_since};
use results::{FoundSoFar, SearchResults};

thread_local! {
    /// What was typed that cannot be searched, and why, handed to the view of the
    /// address without a digest: after a search, the address must not go on naming
    /// it (a reload would run it again) while the field holds something else.
    static REFUSED_INPUT: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

#[component]
pub fn FindDigestView(registry: String, digest: String) -> impl IntoView {
    let router = use_router();
    let refused = if digest.is_empty() {
        REFUSED_INPUT.take()
    } else {
        None
    };
    let field = NodeRef::<leptos::html::Input>::new();
    if refused.is_some() {
        // The keyboard stays in the field it was in, as it would without the new address.
        Effect::new(move || {
            if let Some(field) = field.get() {
                let _ = field.focus();
            }
        });
    }
    let (typed, why) = refused.unzip();
    let draft = RwSignal::new(typed.unwrap_or_else(|| digest.clone()));
    let problem = RwSignal::new(why);
    // "Search again" makes a new Search, which then cannot reuse the earlier one.
    let generation = RwSignal::new(0_u32);
    let search_again = Callback::new(move |()| generation.update(|g| *g += 1));
    // Find searches the registry as it is now: an earlier search of the same digest
    // is shown again only on Back. Written another way ("sha256:" left out, capitals,
    // blanks) it is the same search, of the same address, so it starts again here.
    let on_submit = {
        let (registry, shown) = (registry.clone(), digest.clone());
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            match Sought::parse(&draft.get_untracked()) {
                Ok(sought) => {
                    problem.set(None);
                    keep_search(&registry, &sought, None);
                    let digest = sought.to_string();
                    if digest == shown {
                        search_again.run(());
                    } else {
                        router.go_to_view(View::FindDigest { digest });
                    }
                }
                Err(error) => {
                    let why = wording::digest_refused(&error, false);
                    if shown.is_empty() {
                        problem.set(Some(why));
                    } else {
                        REFUSED_INPUT.set(Some((draft.get_untracked(), why)));
                        router.go_to_view(View::FindDigest {
                            digest: String::new(),
                        });
                    }
                }
            }
        }
    };
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
                    node_ref=field
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
    let status_line = NodeRef::<leptos::html::P>::new();
    let cancel = move |_| {
        // First: the search reads an aborted request as cancelled only once it is.
        state.cancel.set(true);
        stopper.with_value(browser::RequestStopper::stop);
        // The button goes with the search: the focus stays on the line that says so.
        if let Some(status) = status_line.get_untracked() {
            let _ = status.focus();
        }
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
        <p
            class="count find-progress"
            role="status"
            tabindex="-1"
            node_ref=status_line
            aria-busy=move || running().to_string()
        >
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
