//! The activity list on screen: each entry with its result and its Undo, Retry or
//! Check again.

use leptos::html::Li;
use leptos::prelude::*;

use super::changes::{Entry, EntryState};
use super::use_changes;
use crate::oci::undo::UndoShortfall;
use crate::ui::browser;
use crate::ui::error_view::TechnicalDetails;
use crate::ui::sign_in::{use_sign_in, Blocked};
use crate::wording;

/// The entry whose Undo, Retry or Check again was last pressed, and what a screen
/// reader is told when it settles. Each revision of an entry is a new row (the list
/// is keyed by it), so the pressed button leaves the page: the keyboard focus goes to
/// the entry's new row instead of the page's top, and its outcome is announced.
#[derive(Clone, Copy)]
struct FollowedEntry {
    id: StoredValue<Option<usize>>,
    announcement: RwSignal<String>,
}

/// `shown_registry`: the registry the page shows; an entry of another one (the tab
/// switched registries since) names its own.
#[component]
pub fn ActivityPanel(shown_registry: String) -> impl IntoView {
    let changes = use_changes();
    let followed = FollowedEntry {
        id: StoredValue::new(None),
        announcement: RwSignal::new(String::new()),
    };
    provide_context(followed);
    let shown_registry = StoredValue::new(shown_registry);
    view! {
        <Show when=move || {
            changes.entries.with(|e| !e.is_empty()) || changes.unreadable.get() > 0 || changes.left_to_other_tabs.get() > 0
        }>
            <section class="panel activity" aria-labelledby="activity-heading">
                <h2 id="activity-heading">"Activity in this tab"</h2>
                <Show when=move || !changes.saved.get()>
                    <p class="error-panel" role="alert">
                        "This tab's storage is full or disabled: the Undo data below is lost if the page is reloaded. Undo what you need before reloading."
                    </p>
                </Show>
                <Show when=move || { changes.unreadable.get() > 0 }>
                    <p class="error-panel" role="alert">
                        {move || format!("{} earlier changes of this tab could not be read back after the reload; their Undo is not available.", changes.unreadable.get())}
                    </p>
                </Show>
                <Show when=move || { changes.left_to_other_tabs.get() > 0 }>
                    <p class="hint">{move || wording::left_to_other_tabs(changes.left_to_other_tabs.get())}</p>
                </Show>
                <Show when=move || { changes.not_kept.get() > 0 }>
                    <p class="hint">
                        {move || format!("{} entries of this list are not kept if the page is reloaded (the oldest without an Undo go first; an entry too large for the tab's storage is never kept): the storage keeps room for the changes to come. Their Undo works until then.", changes.not_kept.get())}
                    </p>
                </Show>
                <p class="visually-hidden" role="status">{move || followed.announcement.get()}</p>
                <ol class="activity-list" aria-label="Activity">
                    <For each=move || changes.entries.get() key=|e| (e.id, e.revision) let:entry>
                        <ActivityRow elsewhere=shown_registry.with_value(|shown| entry.registry != *shown) entry />
                    </For>
                </ol>
            </section>
        </Show>
    }
}

fn state_key(state: &EntryState) -> &'static str {
    match state {
        EntryState::Done => "done",
        EntryState::PartlyDone { .. } => "partly-done",
        EntryState::Failed { .. } => "failed",
        EntryState::AppliedWhileAway { .. } => "done",
        EntryState::Undoing => "undoing",
        EntryState::Retrying => "retrying",
        EntryState::Checking => "checking",
        EntryState::Elsewhere => "elsewhere",
        EntryState::Undone => "undone",
        EntryState::UndoFailed {
            shortfall: UndoShortfall::Failed,
            ..
        } => "undo-failed",
        // Nothing went wrong: the Undo waits for the change to land.
        EntryState::UndoFailed { .. } => "undo-waiting",
    }
}

#[component]
fn ActivityRow(entry: Entry, elsewhere: bool) -> impl IntoView {
    let changes = use_changes();
    let id = entry.id;
    let requests = match &entry.state {
        EntryState::Failed { requests, .. } | EntryState::UndoFailed { requests, .. } => {
            requests.clone()
        }
        _ => Vec::new(),
    };
    let (status, detail, can_undo) = match &entry.state {
        EntryState::Done => ("done", None, entry.undo.is_some()),
        EntryState::PartlyDone { failed, total } => (
            if failed == total {
                "failed"
            } else {
                "partly done"
            },
            None,
            entry.undo.is_some(),
        ),
        // A failure after a write keeps its Undo.
        EntryState::Failed {
            message, outcome, ..
        } => (
            "failed",
            Some(format!("{message} {outcome}")),
            entry.undo.is_some(),
        ),
        EntryState::AppliedWhileAway { message } => {
            ("done", Some(message.clone()), entry.undo.is_some())
        }
        EntryState::Undoing => ("undoing…", None, false),
        EntryState::Retrying => ("retrying…", None, false),
        EntryState::Checking => ("checking…", None, false),
        EntryState::Elsewhere => (
            "running in another tab",
            Some(wording::RUN_ELSEWHERE.to_owned()),
            false,
        ),
        EntryState::Undone => ("undone", None, false),
        // What is left can be tried again (the network may be back).
        EntryState::UndoFailed {
            message, shortfall, ..
        } => (
            wording::undo_status(*shortfall),
            Some(message.clone()),
            entry.undo.is_some(),
        ),
    };
    // An account that may not write what the Undo writes is not offered it: said on
    // the button, as on the change buttons, instead of refused by the registry.
    let undo_blocked = {
        let (registry, writes) = (entry.registry.clone(), entry.undo_writes.clone());
        let sign_in = use_sign_in();
        Signal::derive(move || sign_in?.undo_blocked(&registry, &writes))
    };
    let summary_id = format!("activity-summary-{id}");
    let (undo_for, retry_for, check_for) =
        (summary_id.clone(), summary_id.clone(), summary_id.clone());
    // A check reads the registry while it runs: asking again meanwhile would read it twice.
    let checking = changes.check_again.pending();
    let followed = expect_context::<FollowedEntry>();
    let follow = move || followed.id.set_value(Some(id));
    let row = NodeRef::<Li>::new();
    let running = entry.state.is_running();
    // Short, but with the reason of a failure: the row itself, focused, has the rest.
    let settled = match &detail {
        Some(detail) if !matches!(status, "done") => format!(
            "{}: {}. {}",
            wording::sentence(status),
            wording::spoken(&entry.summary),
            wording::short_digests(detail)
        ),
        _ => format!(
            "{}: {}",
            wording::sentence(status),
            wording::spoken(&entry.summary)
        ),
    };
    Effect::new(move || {
        let Some(row) = row.get() else { return };
        if followed.id.get_value() != Some(id) {
            return;
        }
        // Unless the user has gone on elsewhere meanwhile.
        if browser::focus_on_page_body() {
            let _ = row.focus();
        }
        if !running {
            followed.id.set_value(None);
            followed.announcement.set(settled.clone());
        }
    });
    view! {
        <li node_ref=row tabindex="-1" class=format!("activity-entry {}", state_key(&entry.state))>
            <span class="activity-status">{status}</span>
            " "
            <span class="activity-summary" id=summary_id>{entry.summary.clone()}</span>
            {elsewhere.then(|| view! { <span class="activity-registry">{format!(" (on {})", entry.registry)}</span> })}
            {detail.map(|d| view! { <p class="activity-detail">{d}</p> })}
            <TechnicalDetails requests />
            {(!entry.details.is_empty())
                .then(|| {
                    view! {
                        <details class="activity-items">
                            <summary>{wording::plural(entry.details.len(), "item", "items")}</summary>
                            <ul>{entry.details.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
                            <TechnicalDetails requests=entry.item_requests.clone() />
                        </details>
                    }
                })}
            <Show when=move || can_undo>
                // Described by its entry: a screen reader listing the buttons hears
                // which change each Undo is for.
                <button
                    type="button"
                    aria-describedby=undo_for.clone()
                    disabled=move || undo_blocked.get().is_some()
                    title=move || {
                        undo_blocked
                            .get()
                            .map(|blocked| {
                                let why = blocked.why();
                                if blocked.sign_in_helps() {
                                    format!("{why}. Sign in with an account that may, to undo this.")
                                } else {
                                    why
                                }
                            })
                    }
                    on:click=move |_| {
                        follow();
                        changes.undo.dispatch_local(id);
                    }
                >
                    "Undo"
                </button>
                // Where to ask again: the notice of the repository's page has Check
                // again (kept out of this list, which every page loads).
                {move || undo_blocked.get().map(|blocked| view! { <span class="activity-detail undo-blocked">{format!(" Undo is disabled ({}).{}", blocked.why(), if blocked == Blocked::RegistryDoesNotDelete { " If that has changed, use Check again on the repository's page." } else { "" })}</span> })}
            </Show>
            // Neither while a step runs on the entry: it rewrites what they work from.
            {(entry.retry.is_some() && !running)
                .then(|| view! { <button type="button" aria-describedby=retry_for on:click=move |_| {
                    follow();
                    changes.retry.dispatch_local(id);
                }>"Retry"</button> })}
            {(entry.unchecked.is_some() && !running)
                .then(|| view! { <button type="button" aria-describedby=check_for disabled=move || checking.get() on:click=move |_| {
                    follow();
                    changes.check_again.dispatch_local(id);
                }>"Check again"</button> })}
        </li>
    }
}
