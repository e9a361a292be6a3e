//! The bar over a selection: how many are selected, the new tag pattern, and the
//! buttons that start, cancel and retry a bulk change.

use crate::model::sort;
use std::collections::{BTreeMap, HashMap, HashSet};

use leptos::html::Button;
use leptos::prelude::*;

use super::results::BulkResults;
use super::selection::Selection;
use super::state::{BulkState, PendingRetry};
use super::{BulkKind, ItemState, LastRun};
use crate::model::tag_table::{apply_pattern, pattern_examples};
use crate::net;
use crate::net::{FetchClient, RegistryHttp};
use crate::oci::bulk::{BulkRun, ItemResult};
use crate::oci::client::Registry;
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{unique_marker, use_changes};
use crate::ui::browser;
use crate::ui::deletes_check::DeletesCheck;
use crate::ui::error_view::ResultWords;
use crate::ui::journal::Ticket;
use crate::ui::on_demand::{self, PartMissing};
use crate::ui::sign_in::blocked_reasons;
use crate::wording::{self, ResultLine};

/// What one bulk run works on, as it was when it started.
#[derive(Clone)]
struct BulkInput {
    kind: BulkKind,
    chosen: Vec<String>,
    digests: HashMap<String, Digest>,
    pattern: String,
}

#[component]
pub fn BulkBar(
    registry: String,
    repository: Repository,
    selection: Selection,
    /// Tags in the order shown, after the filter.
    shown: Signal<Vec<String>>,
    /// Every tag of the repository and the digest each one showed.
    digests: Signal<HashMap<String, Digest>>,
    /// The repository's run under way and failed items of the last run (outlives
    /// this view).
    state: BulkState,
    /// Told of each tag a removal removed, as it goes: its row leaves the table then,
    /// not when the whole run ends.
    on_removed: Callback<String>,
) -> impl IntoView {
    let changes = use_changes();
    // Empty until the user writes one: a ready-made value would be one click from
    // tagging every selected tag with a name nobody chose.
    let pattern = RwSignal::new(String::new());
    let BulkState {
        pending: retry,
        last_run,
        running: under_way,
        cancelled,
        items,
        warnings,
    } = state;
    // A run left behind with an earlier view goes on showing; a finished one's items
    // are not shown again (its failed items are, as the Retry below).
    if !under_way.get_untracked() {
        items.set(BTreeMap::new());
        warnings.set(Vec::new());
    }
    // A removed tag leaves the selection with its row: the count says what is left.
    let on_removed = Callback::new(move |tag: String| {
        selection.tags.try_update(|tags| tags.remove(&tag));
        let _ = on_removed.try_run(tag);
    });
    // The failed items of the last bulk change in this repository: they stay
    // selected, and can be retried. Also when the user comes back to the repository.
    let pending = Memo::new(move |_| retry.get());
    if let Some(pending) = pending.get_untracked() {
        selection.tags.set(pending.tags.iter().cloned().collect());
        pattern.set(pending.pattern.clone());
    }
    let count = move || selection.tags.with(|s| s.len());
    // "Remove selected tags" asks first; a run of any kind drops the question.
    let confirming_removal = RwSignal::new(false);
    // The question takes the keyboard to its Cancel, and gives it back to the button
    // that asked when cancelled. Each is focused a frame after it is in the page.
    let (remove_selected, cancel_removal) = (NodeRef::<Button>::new(), NodeRef::<Button>::new());
    browser::focus_whenever_shown(cancel_removal);
    let back_from_question = move || {
        confirming_removal.set(false);
        request_animation_frame(move || {
            if let Some(button) = remove_selected.try_get_untracked().flatten() {
                let _ = button.focus();
            }
        });
    };
    let repository_name = StoredValue::new(repository.to_string());
    let (add_blocked, remove_blocked) = blocked_reasons(repository.as_str());
    // Selected tags the filter hides are acted on too: say how many there are. With
    // nothing selected the tags shown are not read (nor tracked): a listing of
    // thousands of tags would copy them all at every page.
    let hidden = move || {
        selection.tags.with(|selected| {
            if selected.is_empty() {
                return 0;
            }
            shown.with(|shown| {
                let shown: HashSet<&str> = shown.iter().map(String::as_str).collect();
                selected
                    .iter()
                    .filter(|t| !shown.contains(t.as_str()))
                    .count()
            })
        })
    };
    // The selection in the order a run takes it, sorted once per change of the
    // selection, not at every key typed into the pattern.
    let in_run_order = Memo::new(move |_| {
        let mut chosen: Vec<String> = selection.tags.with(|s| s.iter().cloned().collect());
        sort::ascending(&mut chosen);
        chosen
    });
    // The first tag, in that order, of which the pattern makes no valid name. The
    // pattern is read without the blanks around it, as the change dialogs' names are.
    let pattern_problem = move || {
        let pattern = pattern.with(|p| p.trim().to_owned());
        in_run_order.with(|chosen| {
            chosen
                .iter()
                .find_map(|tag| Tag::parse(&apply_pattern(&pattern, tag)).err())
                .map(|e| wording::pattern_error(&pattern, &e))
        })
    };
    // The names the pattern makes, shown before it runs: the first two of the
    // selection in the order the run takes them.
    let pattern_preview = move || {
        let pattern = pattern.with(|p| p.trim().to_owned());
        if pattern.is_empty() || pattern_problem().is_some() {
            return String::new();
        }
        in_run_order.with(|chosen| {
            wording::pattern_preview(&pattern_examples(&pattern, chosen, 2), chosen.len())
        })
    };
    let context = StoredValue::new((registry, repository));
    // Every removal needs a delete: asked when "Remove selected tags" is pressed.
    let deletes = DeletesCheck::new();
    let ask_removal = move || {
        let (registry, repository) = context.get_value();
        deletes.then_proceed(&registry, repository, move || {
            confirming_removal.try_set(true);
        });
    };

    // The run itself. It goes on when the view is left: what it shows lives in `state`.
    let bulk = Action::new_local(move |input: &BulkInput| {
        let BulkInput {
            kind,
            chosen,
            digests,
            pattern,
        } = input.clone();
        let (registry, repository) = context.get_value();
        async move {
            let what = match kind {
                BulkKind::AddTags => format!("Bulk add tag {pattern} in {repository}"),
                BulkKind::Remove => format!("Bulk remove tags in {repository}"),
            };
            let ticket = Ticket::open(&registry, &what);
            let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
            let work = BulkWork {
                client,
                kind,
                repository: repository.clone(),
                chosen: chosen.clone(),
                digests,
                pattern: pattern.clone(),
                cancelled,
                items,
                warnings,
                on_removed,
            };
            let BulkOutcome {
                undo,
                items: states,
                warnings: lost,
            } = match on_demand::bulk(work).await {
                Ok(outcome) => outcome,
                // Nothing ran: every item says why, and stays selected for Retry.
                Err(PartMissing) => {
                    let why = ItemState::Failed(wording::part_missing("bulk changes").into());
                    let states: BTreeMap<String, ItemState> = chosen
                        .iter()
                        .map(|tag| (tag.clone(), why.clone()))
                        .collect();
                    // Beside the items of the run a Retry follows, as each item is.
                    items.try_update(|i| i.extend(states.clone()));
                    BulkOutcome {
                        undo: Vec::new(),
                        items: states,
                        warnings: Vec::new(),
                    }
                }
            };
            // From here on, what the run returned, not the bar's signals: the bar goes
            // with its tag view, and the run reaches the activity list all the same.
            let done = chosen
                .iter()
                .filter(|t| matches!(states.get(*t), Some(ItemState::Done(_))))
                .count();
            let cancelled = chosen
                .iter()
                .filter(|t| matches!(states.get(*t), Some(ItemState::Cancelled(_))))
                .count();
            let failed = chosen.len() - done - cancelled;
            let summary = wording::bulk_summary(&what, done, failed, cancelled, chosen.len());
            let mut details: Vec<ResultLine> = chosen
                .iter()
                .map(|tag| match states.get(tag) {
                    Some(ItemState::Done(text)) => format!("{tag}: {text}").into(),
                    Some(ItemState::Failed(line)) => {
                        line.clone().after(&format!("{tag}: FAILED: "))
                    }
                    Some(ItemState::Cancelled(line)) => line.clone().after(&format!("{tag}: ")),
                    _ => format!("{tag}: not run").into(),
                })
                .collect();
            let checks_failed = lost.len();
            details.extend(lost);
            let failed_tags: Vec<String> = chosen
                .iter()
                .filter(|t| !matches!(states.get(*t), Some(ItemState::Done(_))))
                .cloned()
                .collect();
            selection
                .tags
                .try_set(failed_tags.iter().cloned().collect());
            under_way.try_set(false);
            retry.try_set((!failed_tags.is_empty()).then(|| PendingRetry {
                kind,
                tags: failed_tags,
                pattern: pattern.clone(),
            }));
            changes.record_batch(
                &registry,
                summary,
                undo,
                details,
                (done, failed, chosen.len()),
                checks_failed,
            );
            ticket.close();
        }
    });
    let running = Signal::derive(move || {
        if under_way.get() {
            last_run.with(|run| run.as_ref().map(|r| r.kind))
        } else {
            None
        }
    });

    // `retrying` keeps the result's other items: only the failed ones run again.
    let run = move |kind: BulkKind, chosen: Vec<String>, pattern: String, retrying: bool| {
        confirming_removal.set(false);
        // One run at a time per repository, also one started from an earlier view.
        if chosen.is_empty() || under_way.get_untracked() {
            return;
        }
        under_way.set(true);
        last_run.set(Some(LastRun {
            kind,
            pattern: pattern.clone(),
        }));
        retry.set(None);
        items.update(|i| {
            if !retrying {
                i.clear();
            }
            for tag in &chosen {
                i.insert(tag.clone(), ItemState::Waiting);
            }
        });
        cancelled.set(false);
        warnings.set(Vec::new());
        bulk.dispatch_local(BulkInput {
            kind,
            chosen,
            digests: digests.get_untracked(),
            pattern,
        });
    };
    let run_selected = move |kind: BulkKind, pattern: String| {
        run(kind, in_run_order.get_untracked(), pattern, false)
    };
    let typed_pattern = move || pattern.with_untracked(|p| p.trim().to_owned());
    // Retry failed runs the failed items again as the run that failed them: with its
    // pattern, not one typed since, which may be another, unfinished or empty. A
    // removal selects them and asks first (deletes check, then the question naming
    // how many), as the Retry above and "Remove selected tags" do: items Cancel came
    // before are never removed with one click.
    let retry_failed = move || {
        let Some(LastRun { kind, pattern }) = last_run.get_untracked() else {
            return;
        };
        let failed: Vec<String> = items.with_untracked(|i| {
            i.iter()
                .filter(|(_, s)| matches!(s, ItemState::Failed(_) | ItemState::Cancelled(_)))
                .map(|(t, _)| t.clone())
                .collect()
        });
        match kind {
            BulkKind::AddTags => run(kind, failed, pattern, true),
            BulkKind::Remove => {
                selection.tags.set(failed.into_iter().collect());
                ask_removal();
            }
        }
    };

    view! {
        <Show when=move || { count() > 0 || items.with(|i| !i.is_empty()) }>
            {move || {
                pending
                    .get()
                    .map(|p| {
                        let PendingRetry { kind, pattern, .. } = p.clone();
                        view! {
                            <div class="bulk-retry" role="alert">
                                // A run that ended after its view was left selected them
                                // there, not here: said as it is.
                                {let failed = p.tags.clone();
                                move || {
                                    let selected = selection.tags.with(|s| failed.iter().all(|t| s.contains(t)));
                                    format!(
                                        "{} failed or did not run in the last bulk change; {}. Nothing else is pending.",
                                        wording::plural(failed.len(), "tag", "tags"),
                                        match (selected, failed.len()) {
                                            (true, 1) => "it is selected",
                                            (true, _) => "they are selected",
                                            (false, 1) => "Retry failed runs it again",
                                            (false, _) => "Retry failed runs them again",
                                        },
                                    )
                                }}
                                // Exactly the failed items, whatever was selected since;
                                // a removal asks first, as "Remove selected tags" does.
                                <button
                                    type="button"
                                    disabled=move || running.get().is_some()
                                    on:click=move |_| {
                                        let tags = p.tags.clone();
                                        selection.tags.set(tags.iter().cloned().collect());
                                        match kind {
                                            BulkKind::AddTags => {
                                                let mut tags = tags;
                                                sort::ascending(&mut tags);
                                                run(kind, tags, pattern.clone(), false);
                                            }
                                            BulkKind::Remove => ask_removal(),
                                        }
                                    }
                                >"Retry failed"</button>
                            </div>
                        }
                    })
            }}
            <div class="bulk-bar" role="group" aria-label="Bulk changes">
                <span class="bulk-count" role="status">{move || match hidden() {
                    0 => format!("{} selected", count()),
                    hidden => format!("{} selected ({hidden} not shown by the filter)", count()),
                }}</span>
                <button type="button" on:click=move |_| selection.tags.update(|s| s.extend(shown.get_untracked()))>
                    "Select all matching"
                </button>
                <button type="button" on:click=move |_| selection.tags.update(|s| s.clear())>"Clear selection"</button>
                <label for="bulk-pattern">"New tag pattern"</label>
                <input
                    id="bulk-pattern"
                    type="text"
                    spellcheck="false"
                    title="{tag} stands for each selected tag; without it the text is appended"
                    placeholder="{tag}-stable"
                    aria-describedby="bulk-pattern-preview"
                    prop:value=move || pattern.get()
                    on:input:target=move |event| pattern.set(event.target().value())
                />
                <button
                    type="button"
                    disabled=move || {
                        count() == 0 || pattern.with(|p| p.trim().is_empty())
                            || pattern_problem().is_some() || running.get().is_some()
                            || add_blocked.get().is_some()
                    }
                    title=move || add_blocked.get()
                    on:click=move |_| run_selected(BulkKind::AddTags, typed_pattern())
                >
                    "Add tag to selected"
                </button>
                <button
                    type="button"
                    class="danger"
                    node_ref=remove_selected
                    disabled=move || {
                        count() == 0 || running.get().is_some() || remove_blocked.get().is_some()
                            || deletes.off.get() || deletes.asking.get()
                    }
                    title=move || remove_blocked.get()
                    on:click=move |_| ask_removal()
                >
                    "Remove selected tags"
                </button>
                <Show when=move || running.get().is_some()>
                    <button type="button" disabled=move || cancelled.get() on:click=move |_| cancelled.set(true)>
                        "Cancel"
                    </button>
                </Show>
                <span class="field-error">{pattern_problem}</span>
                <span class="bulk-preview" id="bulk-pattern-preview">{pattern_preview}</span>
            </div>
            <Show when=move || deletes.off.get()>
                <p class="access-notice deletes-off" role="alert">
                    {wording::DELETES_OFF}
                    " Selected tags cannot be removed here: nothing was changed."
                </p>
            </Show>
            // Many tags at once, some perhaps out of sight: said and confirmed first,
            // as a single removal's dialog is.
            <Show when=move || { confirming_removal.get() && count() != 0 && running.get().is_none() }>
                // The keyboard lands on the harmless answer; Escape gives it too.
                <div
                    class="bulk-confirm"
                    role="alertdialog"
                    aria-label="Confirm bulk removal"
                    on:keydown=move |event| {
                        if event.key() == "Escape" {
                            back_from_question();
                        }
                    }
                >
                    <p>{move || repository_name.with_value(|name| removal_question(name, count(), hidden()))}</p>
                    <button type="button" node_ref=cancel_removal on:click=move |_| back_from_question()>"Cancel"</button>
                    <button type="button" class="danger" on:click=move |_| run_selected(BulkKind::Remove, String::new())>{move || format!("Remove {}", wording::plural(count(), "tag", "tags"))}</button>
                </div>
            </Show>
            <BulkResults items running last_run=last_run.into() retry=retry_failed />
            <Show when=move || warnings.with(|w| !w.is_empty())>
                <ul class="bulk-warnings error-panel" role="alert">
                    {move || warnings.get().into_iter().map(|line| view! { <li><ResultWords line /></li> }).collect_view()}
                </ul>
            </Show>
        </Show>
    }
}

/// A bulk run's registry work, on owned inputs: it runs in the on-demand part
/// `changes` (`ui::on_demand`), fetched with the first run if no change form was.
pub struct BulkWork {
    client: Registry<RegistryHttp>,
    kind: BulkKind,
    repository: Repository,
    chosen: Vec<String>,
    digests: HashMap<String, Digest>,
    pattern: String,
    cancelled: RwSignal<bool>,
    items: RwSignal<BTreeMap<String, ItemState>>,
    warnings: RwSignal<Vec<ResultLine>>,
    on_removed: Callback<String>,
}

/// What a bulk run did: the undo of what it wrote, each item's state, and for a
/// removal the tags that lost what kept them ([`wording::kept_lost`]).
pub struct BulkOutcome {
    undo: Vec<UndoAction>,
    items: BTreeMap<String, ItemState>,
    warnings: Vec<ResultLine>,
}

impl BulkWork {
    /// Runs every item, showing each in the bar while the bar is there.
    pub async fn run(self) -> BulkOutcome {
        let BulkWork {
            client,
            kind,
            repository,
            chosen,
            digests,
            pattern,
            cancelled,
            items,
            warnings,
            on_removed,
        } = self;
        // A run goes on when its view is closed: only Cancel stops it.
        let is_cancelled = move || cancelled.try_get_untracked().unwrap_or(false);
        let states = std::cell::RefCell::new(BTreeMap::new());
        let on_item = |tag: &str, result: &ItemResult| {
            let state = ItemState::from(result);
            items.try_update(|i| i.insert(tag.to_owned(), state.clone()));
            states.borrow_mut().insert(tag.to_owned(), state);
            if kind == BulkKind::Remove && result.is_done() {
                // Gone with its view: the refresh after the run lists the tags anyway.
                let _ = on_removed.try_run(tag.to_owned());
            }
        };
        let bulk = BulkRun {
            repository: &repository,
            chosen: &chosen,
            digests: &digests,
            cancelled: &is_cancelled,
            on_item: &on_item,
        };
        let (undo, lost) = match kind {
            BulkKind::AddTags => {
                let undo = client
                    .bulk_add_tags(&bulk, &|tag| apply_pattern(&pattern, tag))
                    .await;
                (undo, Vec::new())
            }
            BulkKind::Remove => {
                let removal = client.bulk_remove_tags(&bulk, &unique_marker).await;
                let lost: Vec<ResultLine> = removal.lost.iter().map(wording::kept_lost).collect();
                warnings.try_set(lost.clone());
                (removal.undo, lost)
            }
        };
        BulkOutcome {
            undo,
            items: states.into_inner(),
            warnings: lost,
        }
    }
}

/// What a bulk removal asks before it runs.
fn removal_question(repository: &str, count: usize, hidden: usize) -> String {
    let out_of_sight = match hidden {
        0 => String::new(),
        n if n == count => " None of them is shown by the filter.".to_owned(),
        n => format!(" {n} of them are not shown by the filter."),
    };
    format!(
        "Remove {} from {repository}?{out_of_sight} Each tag is removed on its own: the \
         images stay for their other tags (and by digest), and Undo puts the tags back.",
        wording::plural(count, "tag", "tags")
    )
}
