//! Changes to many tags at once: add a tag made from a pattern to each selected tag,
//! or remove the selected tags. Requests run with bounded concurrency; each item
//! gets its own result, and what failed can be retried without redoing the rest.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::tag_table::apply_pattern;
use crate::net;
use crate::net::{FetchClient, RegistryHttp};
use crate::oci::changes::{ChangeError, ImageUsers, CONCURRENT_LOOKUPS};
use crate::oci::client::Registry;
use crate::oci::manifest::Manifest;
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{unique_marker, use_changes};
use crate::ui::journal::Ticket;
use crate::ui::sign_in::blocked_reasons;

#[derive(Clone, PartialEq, Eq)]
enum ItemState {
    Waiting,
    Done(String),
    Failed(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BulkKind {
    AddTags,
    Remove,
}

/// The items that failed in the last bulk change, per registry views: they stay
/// selected for a retry, also after the user left the repository and came back.
#[derive(Clone, Copy)]
pub struct BulkRetry(RwSignal<Option<PendingRetry>>);

#[derive(Clone, PartialEq)]
struct PendingRetry {
    repository: String,
    kind: BulkKind,
    tags: Vec<String>,
    pattern: String,
}

impl BulkRetry {
    pub fn provide() {
        provide_context(BulkRetry(RwSignal::new(None)));
    }
}

/// The selection and how to change it, shared with the tag table.
#[derive(Clone, Copy)]
pub struct Selection {
    pub tags: RwSignal<HashSet<String>>,
    /// The tag of the last plain click, for shift-click ranges. A tag, not a position:
    /// the filter or the sort may have changed since.
    pub anchor: RwSignal<Option<String>>,
}

impl Selection {
    pub fn new() -> Self {
        Selection {
            tags: RwSignal::new(Default::default()),
            anchor: RwSignal::new(None),
        }
    }

    /// A click on a row's checkbox; with shift, the range from the last click.
    pub fn click(&self, position: usize, shown: &[String], shift: bool) {
        let anchor = self
            .anchor
            .get_untracked()
            .and_then(|tag| shown.iter().position(|t| *t == tag));
        match (shift, anchor) {
            (true, Some(anchor)) => {
                let (from, to) = (anchor.min(position), anchor.max(position));
                self.tags
                    .update(|s| s.extend(shown[from..=to.min(shown.len() - 1)].iter().cloned()));
            }
            _ => {
                let tag = &shown[position];
                self.tags.update(|s| {
                    if !s.remove(tag) {
                        s.insert(tag.clone());
                    }
                });
                self.anchor.set(Some(tag.clone()));
            }
        }
    }
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
) -> impl IntoView {
    let changes = use_changes();
    let retry = expect_context::<BulkRetry>();
    let pattern = RwSignal::new(String::from("{tag}-stable"));
    let items = RwSignal::new(BTreeMap::<String, ItemState>::new());
    let running = RwSignal::new(None::<BulkKind>);
    let cancelled = RwSignal::new(false);
    // Checks after a run that concern an image rather than one item.
    let warnings = RwSignal::new(Vec::<String>::new());
    // The failed items of the last bulk change in this repository: they stay
    // selected, and can be retried. Also when the user comes back to the repository.
    let this_repository = repository.to_string();
    let pending = Memo::new(move |_| retry.0.get().filter(|p| p.repository == this_repository));
    if let Some(pending) = pending.get_untracked() {
        selection.tags.set(pending.tags.iter().cloned().collect());
        pattern.set(pending.pattern.clone());
    }
    let count = move || selection.tags.with(|s| s.len());
    let (add_blocked, remove_blocked) = blocked_reasons(repository.as_str());
    // Selected tags the filter hides are acted on too: say how many there are.
    let hidden = move || {
        let shown: HashSet<String> = shown.get().into_iter().collect();
        selection
            .tags
            .with(|s| s.iter().filter(|t| !shown.contains(*t)).count())
    };
    let pattern_problem = move || {
        let pattern = pattern.get();
        selection.tags.with(|selected| {
            selected
                .iter()
                .find_map(|tag| Tag::parse(&apply_pattern(&pattern, tag)).err())
                .map(|e| e.to_string())
        })
    };
    let context = StoredValue::new((registry, repository));

    let run = move |kind: BulkKind, only_failed: bool| {
        let chosen: Vec<String> = if only_failed {
            items.with_untracked(|i| {
                i.iter()
                    .filter(|(_, s)| matches!(s, ItemState::Failed(_)))
                    .map(|(t, _)| t.clone())
                    .collect()
            })
        } else {
            let mut chosen: Vec<String> = selection.tags.get_untracked().into_iter().collect();
            chosen.sort();
            chosen
        };
        if chosen.is_empty() {
            return;
        }
        items.update(|i| {
            if !only_failed {
                i.clear();
            }
            for tag in &chosen {
                i.insert(tag.clone(), ItemState::Waiting);
            }
        });
        running.set(Some(kind));
        cancelled.set(false);
        warnings.set(Vec::new());
        let (registry, repository) = context.get_value();
        let digests = digests.get_untracked();
        let pattern = pattern.get_untracked();
        spawn_local(async move {
            let what = match kind {
                BulkKind::AddTags => format!("Bulk add tag {pattern} in {repository}"),
                BulkKind::Remove => format!("Bulk remove tags in {repository}"),
            };
            let ticket = Ticket::open(&registry, &what);
            let client =
                Rc::new(net::registry(&registry, FetchClient::new()).journaled(ticket.recorder()));
            let undo = match kind {
                BulkKind::AddTags => {
                    add_tags(
                        &client,
                        &repository,
                        &chosen,
                        &digests,
                        &pattern,
                        items,
                        cancelled,
                    )
                    .await
                }
                BulkKind::Remove => {
                    remove_tags(
                        &client,
                        &repository,
                        &chosen,
                        &digests,
                        items,
                        warnings,
                        cancelled,
                    )
                    .await
                }
            };
            let (done, failed) = items.with_untracked(|i| {
                let done = chosen
                    .iter()
                    .filter(|t| matches!(i.get(*t), Some(ItemState::Done(_))))
                    .count();
                (done, chosen.len() - done)
            });
            let summary = format!("{what}: {done} done, {failed} failed, of {}", chosen.len());
            let mut details: Vec<String> = items.with_untracked(|i| {
                chosen
                    .iter()
                    .map(|tag| match i.get(tag) {
                        Some(ItemState::Done(message)) => format!("{tag}: {message}"),
                        Some(ItemState::Failed(message)) => format!("{tag}: FAILED: {message}"),
                        _ => format!("{tag}: not run"),
                    })
                    .collect()
            });
            details.extend(warnings.get_untracked());
            let failed_tags: Vec<String> = items.with_untracked(|i| {
                chosen
                    .iter()
                    .filter(|t| !matches!(i.get(*t), Some(ItemState::Done(_))))
                    .cloned()
                    .collect()
            });
            selection.tags.set(failed_tags.iter().cloned().collect());
            retry.0.set((!failed_tags.is_empty()).then(|| PendingRetry {
                repository: repository.to_string(),
                kind,
                tags: failed_tags,
                pattern: pattern.clone(),
            }));
            changes.record_with_details(&registry, summary, Ok(UndoAction::Batch(undo)), details);
            ticket.close();
            running.set(None);
        });
    };

    view! {
        <Show when=move || { count() > 0 || items.with(|i| !i.is_empty()) }>
            {move || {
                pending
                    .get()
                    .map(|p| {
                        let kind = p.kind;
                        view! {
                            <div class="bulk-retry" role="alert">
                                {format!(
                                    "{} tags failed or did not run in the last bulk change; they are selected. Nothing else is pending.",
                                    p.tags.len(),
                                )}
                                <button type="button" on:click=move |_| {
                                    retry.0.set(None);
                                    run(kind, false);
                                }>"Retry failed"</button>
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
                    prop:value=move || pattern.get()
                    on:input:target=move |event| pattern.set(event.target().value())
                />
                <button
                    type="button"
                    disabled=move || {
                        count() == 0 || pattern_problem().is_some() || running.get().is_some()
                            || add_blocked.get().is_some()
                    }
                    title=move || add_blocked.get()
                    on:click=move |_| run(BulkKind::AddTags, false)
                >
                    "Add tag to selected"
                </button>
                <button
                    type="button"
                    class="danger"
                    disabled=move || count() == 0 || running.get().is_some() || remove_blocked.get().is_some()
                    title=move || remove_blocked.get()
                    on:click=move |_| run(BulkKind::Remove, false)
                >
                    "Remove selected tags"
                </button>
                <Show when=move || running.get().is_some()>
                    <button type="button" disabled=move || cancelled.get() on:click=move |_| cancelled.set(true)>
                        "Cancel"
                    </button>
                </Show>
                <span class="field-error">{pattern_problem}</span>
            </div>
            <BulkResults items running retry=move |kind| run(kind, true) />
            <Show when=move || warnings.with(|w| !w.is_empty())>
                <ul class="bulk-warnings error-panel" role="alert">
                    {move || warnings.get().into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                </ul>
            </Show>
        </Show>
    }
}

#[component]
fn BulkResults(
    items: RwSignal<BTreeMap<String, ItemState>>,
    running: RwSignal<Option<BulkKind>>,
    retry: impl Fn(BulkKind) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let last_kind = RwSignal::new(BulkKind::AddTags);
    Effect::new(move || {
        if let Some(kind) = running.get() {
            last_kind.set(kind);
        }
    });
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
            (done, failed, i.len() - done - failed)
        })
    };
    let entries = move || items.get().into_iter().collect::<Vec<_>>();
    // Re-render an entry when its state changes.
    let entry_key = |(tag, state): &(String, ItemState)| {
        let state = match state {
            ItemState::Waiting => 0,
            ItemState::Done(_) => 1,
            ItemState::Failed(_) => 2,
        };
        (tag.clone(), state)
    };
    view! {
        <Show when=move || items.with(|i| !i.is_empty())>
            <details class="bulk-results" open>
                <summary role="status">
                    {move || {
                        let (done, failed, waiting) = counts();
                        format!("Bulk result: {done} done, {failed} failed, {waiting} not yet run")
                    }}
                </summary>
                <Show when=move || { counts().1 > 0 && running.get().is_none() }>
                    <button type="button" on:click=move |_| retry(last_kind.get_untracked())>"Retry failed"</button>
                </Show>
                <ul class="bulk-items" aria-label="Bulk result per tag">
                    <For each=entries key=entry_key let:item>
                        {
                            let (tag, state) = item;
                            let (class, text) = match state {
                                ItemState::Waiting => ("waiting", "waiting".to_owned()),
                                ItemState::Done(message) => ("done", message),
                                ItemState::Failed(message) => ("failed", message),
                            };
                            let label = tag.clone();
                            view! { <li class=class data-tag=tag><code>{label}</code>": "{text}</li> }
                        }
                    </For>
                </ul>
            </details>
        </Show>
    }
}

fn set_item(items: RwSignal<BTreeMap<String, ItemState>>, tag: &str, state: ItemState) {
    items.try_update(|i| i.insert(tag.to_owned(), state));
}

fn failure_text(error: &ChangeError) -> String {
    format!("{error}. {}", error.outcome())
}

/// A failed item: what happened, and its Undo when something was written anyway.
type ItemFailure = (String, Option<UndoAction>);

fn item_failure(error: ChangeError) -> ItemFailure {
    let undo = error.written().cloned().map(UndoAction::from);
    (failure_text(&error), undo)
}

fn plain_failure(message: String) -> ItemFailure {
    (message, None)
}

/// Runs `change` for every tag: tags of one image one after another, different
/// images in parallel (bounded). distribution fails (500) when the same manifest is
/// written concurrently, so one image's tags must not race each other.
async fn per_image<'a, F, Fut>(
    chosen: &[String],
    digests: &HashMap<String, Digest>,
    items: RwSignal<BTreeMap<String, ItemState>>,
    cancelled: RwSignal<bool>,
    change: F,
) -> Vec<UndoAction>
where
    F: Fn(String, Digest) -> Fut + Copy + 'a,
    Fut: std::future::Future<Output = Result<(String, UndoAction), ItemFailure>> + 'a,
{
    let mut groups: BTreeMap<Option<Digest>, Vec<String>> = BTreeMap::new();
    for tag in chosen {
        groups
            .entry(digests.get(tag).cloned())
            .or_default()
            .push(tag.clone());
    }
    let results = stream::iter(groups)
        .map(|(digest, tags)| async move {
            let mut undo = Vec::new();
            for tag in tags {
                // Cancel stops before the next item, never in the middle of one.
                if cancelled.get_untracked() {
                    set_item(
                        items,
                        &tag,
                        ItemState::Failed("not run: cancelled; nothing was changed for it".into()),
                    );
                    continue;
                }
                let Some(digest) = digest.clone() else {
                    set_item(
                        items,
                        &tag,
                        ItemState::Failed(
                            "its digest is not known yet; nothing was changed".into(),
                        ),
                    );
                    continue;
                };
                match change(tag.clone(), digest).await {
                    Ok((message, action)) => {
                        set_item(items, &tag, ItemState::Done(message));
                        undo.push(action);
                    }
                    Err((message, written)) => {
                        set_item(items, &tag, ItemState::Failed(message));
                        undo.extend(written);
                    }
                }
            }
            undo
        })
        .buffer_unordered(CONCURRENT_LOOKUPS)
        .collect::<Vec<_>>()
        .await;
    results.into_iter().flatten().collect()
}

async fn add_tags(
    client: &Registry<RegistryHttp>,
    repository: &Repository,
    chosen: &[String],
    digests: &HashMap<String, Digest>,
    pattern: &str,
    items: RwSignal<BTreeMap<String, ItemState>>,
    cancelled: RwSignal<bool>,
) -> Vec<UndoAction> {
    // One GET per distinct image, not per tag.
    let mut manifests: HashMap<Digest, Result<Manifest, String>> = HashMap::new();
    for digest in chosen.iter().filter_map(|t| digests.get(t)) {
        if !manifests.contains_key(digest) {
            let fetched = client
                .manifest_get(repository, digest.as_str())
                .await
                .map_err(|e| failure_text(&e.into()));
            manifests.insert(digest.clone(), fetched);
        }
    }
    let manifests = &manifests;
    per_image(
        chosen,
        digests,
        items,
        cancelled,
        |tag, digest| async move {
            let manifest = manifests[&digest]
                .as_ref()
                .map_err(|e| plain_failure(e.clone()))?;
            let new_tag = Tag::parse(&apply_pattern(pattern, &tag))
                .map_err(|e| plain_failure(e.to_string()))?;
            let write = client
                .put_tag(repository, &new_tag, manifest, None)
                .await
                .map_err(item_failure)?;
            let message = if write.changed() {
                format!("tagged {} → {}", write.tag, write.digest)
            } else {
                format!(
                    "{} already pointed at {}; nothing changed",
                    write.tag, write.digest
                )
            };
            Ok((message, UndoAction::Revert(write)))
        },
    )
    .await
}

async fn remove_tags(
    client: &Registry<RegistryHttp>,
    repository: &Repository,
    chosen: &[String],
    digests: &HashMap<String, Digest>,
    items: RwSignal<BTreeMap<String, ItemState>>,
    warnings: RwSignal<Vec<String>>,
    cancelled: RwSignal<bool>,
) -> Vec<UndoAction> {
    // Listed again now: a tag pushed since the page loaded must count as a user of
    // its image, or deleting that image would take it along unseen.
    let all = match client.tags(repository, |_| {}).await {
        Ok(listing) => listing.tags,
        Err(error) => {
            let text = failure_text(&ChangeError::from(error));
            for tag in chosen {
                set_item(
                    items,
                    tag,
                    ItemState::Failed(format!("the tag list could not be read: {text}")),
                );
            }
            return Vec::new();
        }
    };
    // Per image: find once what outside the selection uses it.
    let mut groups: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
    for tag in chosen {
        if let Some(digest) = digests.get(tag) {
            groups.entry(digest.clone()).or_default().push(tag.clone());
        }
    }
    let images: Vec<Digest> = groups.keys().cloned().collect();
    let outside: HashMap<Digest, Result<ImageUsers, String>> =
        match client.users_of_images(repository, &images, &all).await {
            Ok(mut users) => groups
                .iter()
                .map(|(digest, group)| {
                    let mut users = users.remove(digest).unwrap_or_default();
                    users.tags.retain(|t| !group.contains(t));
                    users.indexes.retain(|t| !group.contains(t));
                    (digest.clone(), Ok(users))
                })
                .collect(),
            Err(error) => {
                let text = failure_text(&error.into());
                images.into_iter().map(|d| (d, Err(text.clone()))).collect()
            }
        };
    // Tags of the selection removed so far: until a tag is removed it still uses its
    // image, and the report names what the image was kept for.
    let removed = RefCell::new(HashSet::<String>::new());
    let (outside, groups, removed) = (&outside, &groups, &removed);
    let undo = per_image(
        chosen,
        digests,
        items,
        cancelled,
        |tag, digest| async move {
            let mut users = outside[&digest]
                .as_ref()
                .map_err(|e| plain_failure(e.clone()))?
                .clone();
            users.tags.extend(
                groups[&digest]
                    .iter()
                    .filter(|t| **t != tag && !removed.borrow().contains(*t))
                    .cloned(),
            );
            let parsed = Tag::parse(&tag).map_err(|e| plain_failure(e.to_string()))?;
            let removal = client
                .remove_tag_among(repository, &parsed, &digest, &users, &unique_marker())
                .await
                .map_err(item_failure)?;
            removed.borrow_mut().insert(tag);
            let kept = if removal.kept.is_empty() {
                format!(
                    "image {} stays, pullable by digest (no other tag uses it)",
                    digest.short(12)
                )
            } else {
                format!(
                    "image {} kept for {}",
                    digest.short(12),
                    removal.kept.describe()
                )
            };
            Ok((
                format!("removed; {kept}"),
                UndoAction::Restore(Box::new(removal)),
            ))
        },
    )
    .await;
    // What used each image from outside the selection must still have it.
    for (digest, users) in outside {
        if let Ok(users) = users {
            if let Err(error) = client.verify_kept(repository, digest, users).await {
                warnings.update(|w| {
                    w.push(format!(
                        "Check after removing tags of {}: {}",
                        digest.short(12),
                        failure_text(&error)
                    ))
                });
            }
        }
    }
    undo
}
