//! The result of the last bulk change, item by item, with Retry for what failed.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{BulkKind, ItemState, LastRun};
use crate::ui::error_view::ResultWords;
use crate::wording::ResultLine;

#[component]
pub(super) fn BulkResults(
    items: RwSignal<BTreeMap<String, ItemState>>,
    running: Signal<Option<BulkKind>>,
    /// The run going on, or the last one: named above its items, as the activity
    /// list names it, so a pattern typed since is not taken for the one it ran.
    last_run: Signal<Option<LastRun>>,
    /// Runs the failed items again, as `last_run` ran them.
    retry: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let what = move || match last_run.get() {
        Some(LastRun {
            kind: BulkKind::AddTags,
            pattern,
        }) => format!("Bulk add tag {pattern}"),
        Some(LastRun {
            kind: BulkKind::Remove,
            ..
        }) => "Bulk remove tags".to_owned(),
        None => "Bulk result".to_owned(),
    };
    let counts = move || {
        items.with(|i| {
            let done = i
                .values()
                .filter(|s| matches!(s, ItemState::Done(_)))
                .count();
            let failed = i
                .values()
                .filter(|s| matches!(s, ItemState::Failed(_)))
                .count();
            let cancelled = i
                .values()
                .filter(|s| matches!(s, ItemState::Cancelled(_)))
                .count();
            (done, failed, cancelled, i.len() - done - failed - cancelled)
        })
    };
    let entries = move || items.get().into_iter().collect::<Vec<_>>();
    // Re-render an entry when its state changes.
    let entry_key = |(tag, state): &(String, ItemState)| {
        let state = match state {
            ItemState::Waiting => 0,
            ItemState::Done(_) => 1,
            ItemState::Failed(_) => 2,
            ItemState::Cancelled(_) => 3,
        };
        (tag.clone(), state)
    };
    view! {
        <Show when=move || items.with(|i| !i.is_empty())>
            <details class="bulk-results" open>
                <summary role="status">
                    {move || {
                        let (done, failed, cancelled, waiting) = counts();
                        let cancelled = match cancelled {
                            0 => String::new(),
                            n => format!(", {n} not run (cancelled)"),
                        };
                        format!(
                            "{}: {done} done, {failed} failed, {waiting} not yet run{cancelled}",
                            what()
                        )
                    }}
                </summary>
                <Show when=move || {
                    let (_, failed, cancelled, _) = counts();
                    failed + cancelled > 0 && running.get().is_none()
                }>
                    <button type="button" on:click=move |_| retry()>"Retry failed"</button>
                </Show>
                <ul class="bulk-items" aria-label="Bulk result per tag">
                    <For each=entries key=entry_key let:item>
                        {
                            let (tag, state) = item;
                            let (class, line) = match state {
                                ItemState::Waiting => ("waiting", ResultLine::from("waiting".to_owned())),
                                ItemState::Done(text) => ("done", ResultLine::from(text)),
                                ItemState::Failed(line) => ("failed", line),
                                ItemState::Cancelled(line) => ("not-run", line),
                            };
                            let label = tag.clone();
                            view! { <li class=class data-tag=tag><code>{label}</code>": "<ResultWords line /></li> }
                        }
                    </For>
                </ul>
            </details>
        </Show>
    }
}
