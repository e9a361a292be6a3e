//! Remove a tag: what else uses its image is shown first; the tag alone goes, or, as
//! a separate and explicit choice, the image with every tag it takes.

use leptos::prelude::*;

use super::phase::{failed, phase_of, short, with_note, Phase, PhaseView};
use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::{Removal, RemovalMethod};
use crate::oci::manifest::ManifestKind;
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::referrers::ReferrerList;
use crate::oci::removal_plan::{ImageDelete, RemovalChoices, RemovalPlan};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{unique_marker, use_changes};
use crate::ui::error_view::FailurePanel;
use crate::ui::journal::Ticket;
use crate::ui::referrers::{ReferrersAlong, ReferrersAlongChoice};
use crate::ui::sign_in::blocked_reasons;
use crate::wording;

/// The removal plan, while it is being read.
#[derive(Clone, PartialEq, Eq)]
enum PlanState {
    Checking,
    Known(RemovalPlan),
    CheckFailed(wording::Message),
}

/// What the activity list and the dialog say after a removal.
fn removed(repository: &Repository, removal: &Removal) -> String {
    let names: Vec<String> = removal.tags.iter().map(|t| t.to_string()).collect();
    let how = match removal.method {
        RemovalMethod::TagDelete => "the registry deleted the tag".to_owned(),
        RemovalMethod::Placeholder => "this registry cannot delete a tag alone, so the tag was pointed at a placeholder that was then deleted".to_owned(),
        RemovalMethod::ImageDelete => {
            let left_behind = if removal.manifest.kind() == ManifestKind::Index {
                let platforms = removal.manifest.view.manifests.len();
                format!(" {}", wording::platforms_left_behind(Some(platforms)))
            } else {
                String::new()
            };
            return format!(
                "Deleted the image {} from {repository}, with {}: {}.{left_behind} Undo puts \
                 it back until the registry's garbage collection runs.",
                short(&removal.digest),
                if names.len() == 1 { "its tag" } else { "its tags" },
                wording::some_names(&names)
            );
        }
    };
    let kept = if removal.kept.is_empty() {
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
    format!("Removed {repository}:{} ({} was {}; {how}).{kept} Undo puts it back until the registry's garbage collection runs.", names.join(", "), names.join(", "), short(&removal.digest))
}

/// One run of the removal: whether the whole image goes, the plan it acts on, and
/// the referrers to delete with the image.
#[derive(Clone)]
struct RemovalInput {
    whole_image: bool,
    choices: RemovalChoices,
    referrers: Option<ReferrerList>,
}

#[component]
pub(super) fn RemoveForm(
    registry: String,
    repository: Repository,
    tag: Tag,
    digest: Digest,
) -> impl IntoView {
    let changes = use_changes();
    let checked = {
        let (registry, repository, tag, digest) = (
            registry.clone(),
            repository.clone(),
            tag.clone(),
            digest.clone(),
        );
        LocalResource::new(move || {
            let client = net::registry(&registry, FetchClient::new());
            let (repository, tag, digest) = (repository.clone(), tag.clone(), digest.clone());
            async move {
                match client.plan_removal(&repository, &tag, &digest).await {
                    Ok(known) => PlanState::Known(known),
                    Err(e) => PlanState::CheckFailed(wording::change_error(&e)),
                }
            }
        })
    };
    let plan = move || checked.get().unwrap_or(PlanState::Checking);
    // Refused before it is tried, with the reason on the buttons: by the account, or
    // by a registry found not to delete (a refusal in this very dialog tells it).
    let (_, remove_blocked) = blocked_reasons(repository.as_str());
    // Offered with the image delete: its signatures and SBOMs would stay behind.
    let along = ReferrersAlong::new(registry.clone(), repository.clone(), digest.clone());
    // The removal; its input says whether the whole image goes.
    let removal = {
        let (registry, repository, tag, digest) = (
            registry.clone(),
            repository.clone(),
            tag.clone(),
            digest.clone(),
        );
        Action::new_local(move |input: &RemovalInput| {
            let RemovalInput {
                whole_image,
                choices,
                referrers,
            } = input.clone();
            let (registry, repository, tag, digest) = (
                registry.clone(),
                repository.clone(),
                tag.clone(),
                digest.clone(),
            );
            async move {
                // Named as what the user chose, in the journal and the activity list.
                let what = if whole_image {
                    format!("Delete the image of {repository}:{tag} ({digest})")
                } else {
                    format!("Remove {repository}:{tag} ({digest})")
                };
                let ticket = Ticket::open(&registry, &what);
                let client =
                    net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
                let repo = &repository;
                let result = async {
                    // Listed again at the moment of acting: a tag added since the
                    // dialog opened must count too.
                    let listing = client.tags(repo, |_| {}).await?;
                    if whole_image {
                        let mut expected = choices.users.tags.clone();
                        expected.push(tag.to_string());
                        client
                            .delete_image(repo, &digest, &expected, &listing)
                            .await
                    } else {
                        client
                            .remove_tag(repo, &tag, &digest, &listing.tags, &unique_marker())
                            .await
                    }
                }
                .await;
                let phase = match result {
                    Ok(removal) => {
                        if let (true, Some(list)) = (whole_image, referrers) {
                            // A task of its own: the image is deleted, and the
                            // dialog may close.
                            leptos::task::spawn_local(along.delete(
                                registry.clone(),
                                removal.repository.clone(),
                                list,
                            ));
                        }
                        let message = with_note(
                            removed(&repository, &removal),
                            removal.applied_anyway.as_deref(),
                        );
                        changes.record(
                            &registry,
                            message.clone(),
                            Ok(UndoAction::Restore(Box::new(removal))),
                        );
                        Phase::Done(message)
                    }
                    Err(error) => {
                        changes.record(&registry, what, Err(error.clone()));
                        failed(&error)
                    }
                };
                ticket.close();
                phase
            }
        })
    };
    let working_tag = StoredValue::new(tag.clone());
    let phase = Signal::derive(move || {
        phase_of(removal, |input| {
            if input.whole_image {
                "Deleting the image…".into()
            } else {
                format!("Removing {}…", working_tag.get_value())
            }
        })
    });
    // What the last Remove was: once the tag alone is removed, deleting the image
    // "instead" is no choice any more.
    let removing_image = RwSignal::new(None::<bool>);
    let tag_removed =
        move || matches!(phase.get(), Phase::Done(_)) && removing_image.get() == Some(false);
    // Once the image is deleted, what the plan said of keeping it is moot.
    let image_deleted =
        move || matches!(phase.get(), Phase::Done(_)) && removing_image.get() == Some(true);
    let remove = move |whole_image: bool| {
        let Some(PlanState::Known(RemovalPlan::Ready(choices))) = checked.get_untracked() else {
            return;
        };
        removing_image.set(Some(whole_image));
        // The referrers to delete with the image, as chosen now: the dialog may be
        // closed before the delete ends.
        let referrers = whole_image.then(|| along.chosen()).flatten();
        removal.dispatch_local(RemovalInput {
            whole_image,
            choices,
            referrers,
        });
    };
    let seen = digest.clone();
    view! {
        <p>{format!("{tag} points at ")}<code>{digest.to_string()}</code></p>
        {move || match plan() {
            PlanState::Checking => view! { <p class="working" role="status">"Checking which other tags use this image…"</p> }.into_any(),
            PlanState::CheckFailed(message) => view! { <FailurePanel message with_outcome=true /> }.into_any(),
            PlanState::Known(RemovalPlan::Changed { found }) => view! {
                <div class="error-panel" role="alert">
                    <p>{format!("{tag} changed since this page showed it. Shown: {seen}. Now: {}.", found.map_or("no such tag".to_owned(), |d| d.to_string()))}</p>
                    <p><strong>"Nothing was changed. Reload to see the current state."</strong></p>
                </div>
            }.into_any(),
            PlanState::Known(RemovalPlan::Ready(choices)) => {
                let users = &choices.users;
                let list_incomplete = choices.list_incomplete;
                let busy = move || {
                    !matches!(phase.get(), Phase::Editing | Phase::Failed(_))
                        || remove_blocked.get().is_some()
                };
                let mut reasons = Vec::new();
                if users.is_empty() {
                    reasons.push(format!(
                        "No other tag uses this image{}. Removing {tag} removes the tag only: \
                         the image stays in the registry, pullable by digest, until it is deleted.",
                        if list_incomplete { " as far as the tag list shows (it may be incomplete)" } else { "" }
                    ));
                } else {
                    if !users.tags.is_empty() {
                        reasons.push(format!("Other tags with the same image: {}.", wording::some_names(&users.tags)));
                    }
                    if !users.indexes.is_empty() {
                        reasons.push(format!("The image is a platform of the multi-arch image tagged {}.", wording::some_names(&users.indexes)));
                    }
                    let kept_for = match (users.tags.len(), users.indexes.len()) {
                        (1, 0) => "that tag",
                        (0, 1) => "that multi-arch image",
                        _ => "them",
                    };
                    reasons.push(format!("The image is kept for {kept_for}: only {tag} is removed."));
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
                        let left_behind = choices.multi_arch.then(|| view! { <p>{wording::platforms_left_behind(None)}</p> });
                        Some(view! {
                            <details class="delete-image" hidden=tag_removed>
                                <summary>"Delete the image instead…"</summary>
                                <p>{format!("This deletes the image {seen} and every tag pointing at it ({count}): {all_listed}. Nothing can pull it afterwards; Undo can put it back only until the registry's garbage collection runs.")}</p>
                                {left_behind}
                                <ReferrersAlongChoice along verb="remove" />
                                <button type="button" class="danger" disabled=busy title=move || remove_blocked.get() on:click=move |_| remove(true)>{label}</button>
                            </details>
                        }.into_any())
                    }
                    ImageDelete::PartOfIndex => None,
                };
                view! {
                    <p hidden=image_deleted>{reasons.join(" ")}</p>
                    <button type="button" class="danger" hidden=image_deleted disabled=busy title=move || remove_blocked.get() on:click=move |_| remove(false)>"Remove tag"</button>
                    {delete_image}
                }.into_any()
            }
        }}
        <PhaseView phase />
    }
}
