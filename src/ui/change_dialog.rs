//! The dialogs that change tags: add (or move) a tag, copy to another repository,
//! remove a tag. Each one re-reads the registry before acting, says exactly what it
//! did with digests, and records the change (with its undo) in the activity list.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::{ChangeError, ImageUsers, RemovalMethod, TagWrite};
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{unique_marker, use_changes, Changes};
use crate::ui::browser;
use crate::ui::journal::Ticket;

/// What the user asked to change.
#[derive(Clone, PartialEq, Eq)]
pub enum ChangeRequest {
    AddTag {
        repository: String,
        digest: Digest,
        source: String,
    },
    Copy {
        repository: String,
        digest: Digest,
        source: String,
        tag: Option<String>,
    },
    Remove {
        repository: String,
        tag: String,
        digest: Digest,
    },
}

/// The open dialog, if any; provided by the registry views. Remembers which control
/// opened it, so closing gives the keyboard focus back there.
#[derive(Clone, Copy)]
pub struct Dialog {
    request: RwSignal<Option<ChangeRequest>>,
    opener: StoredValue<Option<web_sys::HtmlElement>, LocalStorage>,
}

impl Dialog {
    pub fn provide() -> Dialog {
        let dialog = Dialog {
            request: RwSignal::new(None),
            opener: StoredValue::new_local(None),
        };
        provide_context(dialog);
        dialog
    }

    pub fn open(&self, request: ChangeRequest) {
        self.opener.set_value(browser::focused_element());
        self.request.set(Some(request));
    }

    fn close(&self) {
        self.request.set(None);
        // The opener is gone when the view was rebuilt after a change.
        if let Some(opener) = self.opener.get_value().filter(|o| o.is_connected()) {
            let _ = opener.focus();
        }
    }
}

pub fn use_dialog() -> Dialog {
    expect_context::<Dialog>()
}

/// Where a change is in its life, shown in the dialog.
#[derive(Clone, PartialEq, Eq)]
enum Phase {
    Editing,
    Working(String),
    ConfirmMove { current: Digest, new: Digest },
    Done(String),
    Failed { message: String, outcome: String },
}

fn short(digest: &Digest) -> String {
    format!("{}:{}", digest.algorithm(), digest.short(12))
}

fn failed(error: &ChangeError) -> Phase {
    Phase::Failed {
        message: format!("{error}. {}", error.advice()),
        outcome: error.outcome().to_owned(),
    }
}

/// A change that succeeded although a request failed says so.
fn with_note(message: String, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{message} (Note: {note}.)"),
        None => message,
    }
}

/// Records the outcome of a tag write and moves the dialog on: a tag that exists
/// elsewhere asks for confirmation; anything else lands in the activity list.
fn settle_tag_write(
    changes: Changes,
    phase: RwSignal<Phase>,
    registry: &str,
    attempt: String,
    result: Result<(TagWrite, String), ChangeError>,
) {
    match result {
        Err(ChangeError::WouldMove { current, new, .. }) => {
            phase.set(Phase::ConfirmMove { current, new })
        }
        Ok((write, message)) => {
            let message = with_note(message, write.note.as_deref());
            changes.record(registry, message.clone(), Ok(UndoAction::Revert(write)));
            phase.set(Phase::Done(message));
        }
        Err(error) => {
            changes.record(registry, attempt, Err(error.clone()));
            phase.set(failed(&error));
        }
    }
}

/// Shown when the target tag points at another image: both digests, and the button
/// that moves the tag.
#[component]
fn MoveConfirmation(
    phase: RwSignal<Phase>,
    target: Signal<String>,
    on_confirm: Callback<Digest>,
) -> impl IntoView {
    move || match phase.get() {
        Phase::ConfirmMove { current, new } => Some(view! {
            <div class="confirm" role="alert">
                <p>
                    {format!("{} already exists and points at another image: {current}. Moving it makes it point at {new}.", target.get_untracked())}
                </p>
                <button type="button" class="danger" on:click=move |_| on_confirm.run(current.clone())>"Move tag"</button>
            </div>
        }),
        _ => None,
    }
}

#[component]
pub fn DialogHost(registry: String) -> impl IntoView {
    let dialog = use_dialog();
    let registry = StoredValue::new(registry);
    move || {
        dialog.request.get().map(|request| {
            let registry = registry.get_value();
            let (title, body) = match request {
                ChangeRequest::AddTag {
                    repository,
                    digest,
                    source,
                } => (
                    format!("Add tag to {repository}:{source}"),
                    view! { <AddTagForm registry repository digest source /> }.into_any(),
                ),
                ChangeRequest::Copy {
                    repository,
                    digest,
                    source,
                    tag,
                } => (
                    format!("Copy {repository}:{source} to another repository"),
                    view! { <CopyForm registry repository digest source tag /> }.into_any(),
                ),
                ChangeRequest::Remove {
                    repository,
                    tag,
                    digest,
                } => (
                    format!("Remove tag {repository}:{tag}"),
                    view! { <RemoveForm registry repository tag digest /> }.into_any(),
                ),
            };
            view! {
                <Modal labelled_by="dialog-title" on_close=Callback::new(move |()| dialog.close())>
                    <h2 id="dialog-title">{title}</h2>
                    {body}
                </Modal>
            }
        })
    }
}

/// A modal dialog: a backdrop, Escape and Close to close it, Tab kept inside, and the
/// keyboard focus moved into it unless a field of it already has it.
#[component]
pub fn Modal(
    labelled_by: &'static str,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    Effect::new(move || {
        if let Some(container) = container.get() {
            let inside = browser::focused_element().is_some_and(|f| container.contains(Some(&f)));
            if !inside {
                let _ = container.focus();
            }
        }
    });
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())></div>
        <div
            class="dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby=labelled_by
            tabindex="-1"
            node_ref=container
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    on_close.run(());
                } else if let Some(container) = container.get_untracked() {
                    browser::keep_focus_inside(&container, &event);
                }
            }
        >
            {children()}
            <div class="dialog-close">
                <button type="button" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </div>
    }
}

/// The outcome area every form shares.
#[component]
fn PhaseView(phase: RwSignal<Phase>) -> impl IntoView {
    move || match phase.get() {
        Phase::Editing | Phase::ConfirmMove { .. } => None,
        Phase::Working(step) => {
            Some(view! { <p class="working" role="status">{step}</p> }.into_any())
        }
        Phase::Done(message) => {
            Some(view! { <p class="success" role="status">{message}</p> }.into_any())
        }
        Phase::Failed { message, outcome } => Some(
            view! {
                <div class="error-panel" role="alert">
                    <p>{message}</p>
                    <p><strong>{outcome}</strong></p>
                </div>
            }
            .into_any(),
        ),
    }
}

/// A text field that validates as the user types; `check` returns the error to show.
#[component]
fn ValidatedInput(
    label: &'static str,
    value: RwSignal<String>,
    check: fn(&str) -> Option<String>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{}", label.to_lowercase().replace(' ', "-"));
    let error_id = format!("{id}-error");
    let error = move || check(&value.get());
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="text"
            spellcheck="false"
            autocomplete="off"
            autofocus=autofocus
            aria-invalid=move || error().is_some().to_string()
            aria-describedby=error_id.clone()
            prop:value=move || value.get()
            on:input:target=move |event| value.set(event.target().value())
        />
        <span class="field-error" id=error_id>{error}</span>
    }
}

fn tag_problem(input: &str) -> Option<String> {
    (!input.is_empty())
        .then(|| Tag::parse(input).err().map(|e| e.to_string()))
        .flatten()
}

fn repository_problem(input: &str) -> Option<String> {
    (!input.is_empty())
        .then(|| Repository::parse(input).err().map(|e| e.to_string()))
        .flatten()
}

#[component]
fn AddTagForm(
    registry: String,
    repository: String,
    digest: Digest,
    source: String,
) -> impl IntoView {
    let changes = use_changes();
    let name = RwSignal::new(String::new());
    let phase = RwSignal::new(Phase::Editing);
    let valid = move || Tag::parse(&name.get()).is_ok();
    let shown_digest = digest.to_string();
    let run = Callback::new(move |move_from: Option<Digest>| {
        let Ok(tag) = Tag::parse(&name.get_untracked()) else {
            return;
        };
        let (registry, repository, digest, source) = (
            registry.clone(),
            repository.clone(),
            digest.clone(),
            source.clone(),
        );
        phase.set(Phase::Working(format!("Tagging {repository}:{tag}…")));
        spawn_local(async move {
            let attempt = format!("Tag {repository}:{tag} from {source} ({digest})");
            let ticket = Ticket::open(&registry, &attempt);
            let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
            let result = async {
                let repo = Repository::parse(&repository)?;
                let manifest = client.manifest_get(&repo, digest.as_str()).await?;
                client
                    .put_tag(&repo, &tag, &manifest, move_from.as_ref())
                    .await
            }
            .await
            .map(|write| {
                let moved = match write.moved_from() {
                    Some(previous) => format!(" (moved from {})", short(previous)),
                    None if !write.changed() => " (it already did: nothing changed)".to_owned(),
                    None => String::new(),
                };
                let message = format!(
                    "{repository}:{tag} now points at {}{moved} — the same digest as {source}.",
                    write.digest
                );
                (write, message)
            });
            settle_tag_write(changes, phase, &registry, attempt, result);
            ticket.close();
        });
    });
    view! {
        <form
            class="change-form"
            on:submit=move |event| {
                event.prevent_default();
                run.run(None);
            }
        >
            <p>"Image " <code>{shown_digest}</code></p>
            <ValidatedInput label="New tag" value=name check=tag_problem autofocus=true />
            <button type="submit" disabled=move || !valid() || matches!(phase.get(), Phase::Working(_))>
                "Add tag"
            </button>
        </form>
        <MoveConfirmation
            phase
            target=Signal::derive(move || format!("Tag {}", name.get()))
            on_confirm=Callback::new(move |current| run.run(Some(current)))
        />
        <PhaseView phase />
    }
}

#[component]
fn CopyForm(
    registry: String,
    repository: String,
    digest: Digest,
    source: String,
    tag: Option<String>,
) -> impl IntoView {
    let changes = use_changes();
    let target = RwSignal::new(String::new());
    let target_tag = RwSignal::new(tag.unwrap_or_default());
    let phase = RwSignal::new(Phase::Editing);
    let cancelled = RwSignal::new(false);
    let valid =
        move || Repository::parse(&target.get()).is_ok() && Tag::parse(&target_tag.get()).is_ok();
    let shown_digest = digest.to_string();
    let run = Callback::new(move |move_from: Option<Digest>| {
        let (Ok(to), Ok(tag)) = (
            Repository::parse(&target.get_untracked()),
            Tag::parse(&target_tag.get_untracked()),
        ) else {
            return;
        };
        let (registry, repository, digest, source) = (
            registry.clone(),
            repository.clone(),
            digest.clone(),
            source.clone(),
        );
        phase.set(Phase::Working("Reading the image…".into()));
        cancelled.set(false);
        spawn_local(async move {
            let attempt = format!("Copy {repository}:{source} ({digest}) to {to}:{tag}");
            let ticket = Ticket::open(&registry, &attempt);
            let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
            let result = async {
                let from = Repository::parse(&repository)?;
                let manifest = client.manifest_get(&from, digest.as_str()).await?;
                client
                    .copy_image(&from, &manifest, &to, &tag, move_from.as_ref(), |step| {
                        phase.set(Phase::Working(format!(
                            "Copying: step {} of {} ({})",
                            step.done + 1,
                            step.total,
                            step.what
                        )));
                        !cancelled.get_untracked()
                    })
                    .await
            }
            .await
            .map(|(write, report)| {
                let message = format!(
                    "Copied {repository}:{source} to {to}:{tag}, digest {} (same as the source). \
                     Blobs: {} mounted, {} already there, {} uploaded; manifests: {} written, \
                     {} already there.",
                    write.digest,
                    report.mounted,
                    report.already_present,
                    report.uploaded,
                    report.manifests,
                    report.manifests_present
                );
                (write, message)
            });
            settle_tag_write(changes, phase, &registry, attempt, result);
            ticket.close();
        });
    });
    view! {
        <form
            class="change-form"
            on:submit=move |event| {
                event.prevent_default();
                run.run(None);
            }
        >
            <p>"Image " <code>{shown_digest}</code> ". Blobs are mounted, not downloaded."</p>
            <ValidatedInput label="Target repository" value=target check=repository_problem autofocus=true />
            <ValidatedInput label="Target tag" value=target_tag check=tag_problem />
            <button type="submit" disabled=move || !valid() || matches!(phase.get(), Phase::Working(_))>
                "Copy to repository"
            </button>
            // Stops between two steps, before the tag is written: nothing half-done.
            <Show when=move || matches!(phase.get(), Phase::Working(_))>
                <button type="button" disabled=move || cancelled.get() on:click=move |_| cancelled.set(true)>
                    "Cancel"
                </button>
            </Show>
        </form>
        <MoveConfirmation
            phase
            target=Signal::derive(move || format!("{}:{}", target.get(), target_tag.get()))
            on_confirm=Callback::new(move |current| run.run(Some(current)))
        />
        <PhaseView phase />
    }
}

/// What removing a tag would do, found just before acting.
#[derive(Clone, PartialEq, Eq)]
enum RemovalPlan {
    Checking,
    /// The tag points elsewhere than the user saw: stop.
    Changed {
        found: Option<Digest>,
    },
    /// What else uses the image, shown before the user chooses.
    Ready {
        users: ImageUsers,
        /// The tag list may lack pages: deleting the image is not offered.
        list_incomplete: bool,
    },
    CheckFailed(String),
}

#[component]
fn RemoveForm(registry: String, repository: String, tag: String, digest: Digest) -> impl IntoView {
    let changes = use_changes();
    let plan = RwSignal::new(RemovalPlan::Checking);
    let phase = RwSignal::new(Phase::Editing);
    {
        let (registry, repository, tag, digest) = (
            registry.clone(),
            repository.clone(),
            tag.clone(),
            digest.clone(),
        );
        spawn_local(async move {
            let client = net::registry(&registry, FetchClient::new());
            let checked: Result<RemovalPlan, ChangeError> = async {
                let repo = Repository::parse(&repository)?;
                let current = client.resolve_tag(&repo, &tag).await?;
                if current.as_ref() != Some(&digest) {
                    return Ok(RemovalPlan::Changed { found: current });
                }
                let listing = client.tags(&repo, |_| {}).await?;
                let candidates: Vec<String> = listing
                    .tags
                    .iter()
                    .filter(|t| **t != tag)
                    .cloned()
                    .collect();
                let users = client.image_users(&repo, &digest, &candidates).await?;
                Ok(RemovalPlan::Ready {
                    users,
                    list_incomplete: listing.may_be_incomplete,
                })
            }
            .await;
            plan.try_set(
                checked
                    .unwrap_or_else(|e| RemovalPlan::CheckFailed(format!("{e}. {}", e.advice()))),
            );
        });
    }
    let remove = {
        let (registry, repository, tag, digest) = (
            registry.clone(),
            repository.clone(),
            tag.clone(),
            digest.clone(),
        );
        move |whole_image: bool| {
            let RemovalPlan::Ready { users, .. } = plan.get_untracked() else {
                return;
            };
            let (registry, repository, tag, digest) = (
                registry.clone(),
                repository.clone(),
                tag.clone(),
                digest.clone(),
            );
            phase.set(Phase::Working(if whole_image {
                "Deleting the image…".into()
            } else {
                format!("Removing {tag}…")
            }));
            spawn_local(async move {
                let ticket =
                    Ticket::open(&registry, &format!("Remove {repository}:{tag} ({digest})"));
                let client =
                    net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
                let result = async {
                    let repo = Repository::parse(&repository)?;
                    // Listed again at the moment of acting: a tag added since the
                    // dialog opened must count too.
                    let listing = client.tags(&repo, |_| {}).await?;
                    if whole_image {
                        let mut expected = users.tags.clone();
                        expected.push(tag.clone());
                        client
                            .delete_image(&repo, &digest, &expected, &listing)
                            .await
                    } else {
                        client
                            .remove_tag(
                                &repo,
                                &Tag::parse(&tag)?,
                                &digest,
                                &listing.tags,
                                &unique_marker(),
                            )
                            .await
                    }
                }
                .await;
                match result {
                    Ok(removal) => {
                        let names: Vec<String> =
                            removal.tags.iter().map(|t| t.to_string()).collect();
                        let how = match removal.method {
                            RemovalMethod::TagDelete => "the registry deleted the tag".to_owned(),
                            RemovalMethod::Placeholder => "this registry cannot delete a tag alone, so the tag was pointed at a placeholder that was then deleted".to_owned(),
                            RemovalMethod::ImageDelete => "the image was deleted".to_owned(),
                        };
                        let kept = if removal.method == RemovalMethod::ImageDelete {
                            String::new()
                        } else if removal.kept.is_empty() {
                            format!(
                                " The image {} stays in the registry, pullable by digest.",
                                short(&removal.digest)
                            )
                        } else {
                            format!(
                                " The image {} is kept for {}.",
                                short(&removal.digest),
                                removal.kept.describe()
                            )
                        };
                        let message = format!("Removed {repository}:{} ({} was {}; {how}).{kept} Undo puts it back until the registry's garbage collection runs.", names.join(", "), names.join(", "), short(&removal.digest));
                        let message = with_note(message, removal.note.as_deref());
                        changes.record(
                            &registry,
                            message.clone(),
                            Ok(UndoAction::Restore(Box::new(removal))),
                        );
                        phase.set(Phase::Done(message));
                    }
                    Err(error) => {
                        changes.record(
                            &registry,
                            format!("Remove {repository}:{tag} ({digest})"),
                            Err(error.clone()),
                        );
                        phase.set(failed(&error));
                    }
                }
                ticket.close();
            });
        }
    };
    let remove_image = remove.clone();
    let seen = digest.clone();
    view! {
        <p>{format!("{tag} points at ")}<code>{digest.to_string()}</code></p>
        {move || match plan.get() {
            RemovalPlan::Checking => view! { <p class="working" role="status">"Checking which other tags use this image…"</p> }.into_any(),
            RemovalPlan::CheckFailed(message) => view! { <p class="error-panel" role="alert">{message} " Nothing was changed."</p> }.into_any(),
            RemovalPlan::Changed { found } => view! {
                <div class="error-panel" role="alert">
                    <p>{format!("{tag} changed since this page showed it. Shown: {seen}. Now: {}.", found.map_or("no such tag".to_owned(), |d| d.to_string()))}</p>
                    <p><strong>"Nothing was changed. Reload to see the current state."</strong></p>
                </div>
            }.into_any(),
            RemovalPlan::Ready { users, list_incomplete } => {
                let remove = remove.clone();
                let remove_image = remove_image.clone();
                let busy = move || !matches!(phase.get(), Phase::Editing | Phase::Failed { .. });
                let mut reasons = Vec::new();
                if users.is_empty() {
                    reasons.push(format!(
                        "No other tag uses this image{}. Removing {tag} removes the tag only: \
                         the image stays in the registry, pullable by digest, until it is deleted.",
                        if list_incomplete { " as far as the tag list shows (it may be incomplete)" } else { "" }
                    ));
                } else {
                    if !users.tags.is_empty() {
                        reasons.push(format!("Other tags with the same image: {}.", users.tags.join(", ")));
                    }
                    if !users.indexes.is_empty() {
                        reasons.push(format!("The image is a platform of the multi-arch image tagged {}.", users.indexes.join(", ")));
                    }
                    reasons.push(format!("The image is kept for them: only {tag} is removed."));
                }
                // Deleting the image is a separate, explicit choice that lists every tag
                // it takes. Not offered for a platform of a multi-arch image (that image
                // would break), nor when the tag list may lack tags it would take.
                let delete_image = if list_incomplete {
                    Some(view! {
                        <p class="hint">
                            "Deleting the image is not offered: the registry's tag list may be incomplete (a page came without a readable Link header, and asking for the rest failed), so tags this page cannot see could go with it. Try again later, or expose the Link header (Access-Control-Expose-Headers)."
                        </p>
                    }.into_any())
                } else if users.indexes.is_empty() {
                    let count = users.tags.len() + 1;
                    let mut all_listed = vec![tag.clone()];
                    all_listed.extend(users.tags.iter().cloned());
                    let all_listed = all_listed.join(", ");
                    let label = if count == 1 { "Delete image".to_owned() } else { format!("Delete image and {count} tags") };
                    Some(view! {
                        <details class="delete-image">
                            <summary>"Delete the image instead…"</summary>
                            <p>{format!("This deletes the image {seen} and every tag pointing at it ({count}): {all_listed}. Nothing can pull it afterwards; Undo can put it back only until the registry's garbage collection runs.")}</p>
                            <button type="button" class="danger" disabled=busy on:click=move |_| remove_image(true)>{label}</button>
                        </details>
                    }.into_any())
                } else {
                    None
                };
                view! {
                    <p>{reasons.join(" ")}</p>
                    <button type="button" class="danger" disabled=busy on:click=move |_| remove(false)>"Remove tag"</button>
                    {delete_image}
                }.into_any()
            }
        }}
        <PhaseView phase />
    }
}
