//! Remove a tag: what else uses its image is shown first; the tag alone goes, or, as
//! a separate and explicit choice, the image with every tag it takes.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::phase::{failed, short, with_note, Phase, PhaseView};
use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::RemovalMethod;
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::removal_plan::{ImageDelete, RemovalPlan};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{unique_marker, use_changes};
use crate::ui::journal::Ticket;
use crate::wording;

/// The removal plan, while it is being read.
#[derive(Clone, PartialEq, Eq)]
enum PlanState {
    Checking,
    Known(RemovalPlan),
    CheckFailed(String),
}

#[component]
pub(super) fn RemoveForm(
    registry: String,
    repository: String,
    tag: String,
    digest: Digest,
) -> impl IntoView {
    let changes = use_changes();
    let plan = RwSignal::new(PlanState::Checking);
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
            let checked = async {
                let repo = Repository::parse(&repository)?;
                client.plan_removal(&repo, &tag, &digest).await
            }
            .await;
            plan.try_set(match checked {
                Ok(known) => PlanState::Known(known),
                Err(e) => PlanState::CheckFailed(wording::change_error(&e).detail_and_advice()),
            });
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
            let PlanState::Known(RemovalPlan::Ready(choices)) = plan.get_untracked() else {
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
                        let mut expected = choices.users.tags.clone();
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
                                wording::kept_for(&removal.kept)
                            )
                        };
                        let message = format!("Removed {repository}:{} ({} was {}; {how}).{kept} Undo puts it back until the registry's garbage collection runs.", names.join(", "), names.join(", "), short(&removal.digest));
                        let message = with_note(message, removal.applied_anyway.as_deref());
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
            PlanState::Checking => view! { <p class="working" role="status">"Checking which other tags use this image…"</p> }.into_any(),
            PlanState::CheckFailed(message) => view! { <p class="error-panel" role="alert">{message} " Nothing was changed."</p> }.into_any(),
            PlanState::Known(RemovalPlan::Changed { found }) => view! {
                <div class="error-panel" role="alert">
                    <p>{format!("{tag} changed since this page showed it. Shown: {seen}. Now: {}.", found.map_or("no such tag".to_owned(), |d| d.to_string()))}</p>
                    <p><strong>"Nothing was changed. Reload to see the current state."</strong></p>
                </div>
            }.into_any(),
            PlanState::Known(RemovalPlan::Ready(choices)) => {
                let users = &choices.users;
                let list_incomplete = choices.list_incomplete;
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
                let delete_image = match choices.image_delete() {
                    ImageDelete::ListIncomplete => Some(view! {
                        <p class="hint">
                            "Deleting the image is not offered: the registry's tag list may be incomplete (a page came without a readable Link header, and asking for the rest failed), so tags this page cannot see could go with it. Try again later, or expose the Link header (Access-Control-Expose-Headers)."
                        </p>
                    }.into_any()),
                    ImageDelete::Offered { tags } => {
                        let count = tags.len();
                        let all_listed = tags.join(", ");
                        let label = if count == 1 { "Delete image".to_owned() } else { format!("Delete image and {count} tags") };
                        Some(view! {
                            <details class="delete-image">
                                <summary>"Delete the image instead…"</summary>
                                <p>{format!("This deletes the image {seen} and every tag pointing at it ({count}): {all_listed}. Nothing can pull it afterwards; Undo can put it back only until the registry's garbage collection runs.")}</p>
                                <button type="button" class="danger" disabled=busy on:click=move |_| remove_image(true)>{label}</button>
                            </details>
                        }.into_any())
                    }
                    ImageDelete::PartOfIndex => None,
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
