//! One form for Add tag and Copy image: both point a tag at the image's exact bytes,
//! in its own repository (Add tag) or in another one after copying what it needs
//! (Copy); a tag that exists elsewhere asks before it is moved.

use leptos::prelude::*;

use super::phase::{
    failed, phase_of, repository_problem, short, tag_problem, typed_repository, typed_tag,
    with_note, Phase, PhaseView, ValidatedInput,
};
use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::{ChangeError, TagWrite};
use crate::oci::names::{Digest, Repository, Tag};
use crate::oci::referrers::ReferrerList;
use crate::oci::undo::UndoAction;
use crate::ui::activity::{use_changes, Changes};
use crate::ui::journal::Ticket;
use crate::ui::referrers::{ReferrersAlong, ReferrersAlongChoice};
use crate::wording;

/// Records the outcome of a tag write and says where the dialog goes next: a tag that
/// exists elsewhere asks for confirmation; anything else lands in the activity list.
fn settle_tag_write(
    changes: Changes,
    registry: &str,
    attempt: String,
    result: Result<(TagWrite, String), ChangeError>,
) -> Phase {
    match result {
        Err(ChangeError::WouldMove { current, new, .. }) => Phase::ConfirmMove { current, new },
        Ok((write, message)) => {
            let message = with_note(message, write.applied_anyway.as_deref());
            changes.record(registry, message.clone(), Ok(UndoAction::Revert(write)));
            Phase::Done(message)
        }
        Err(error) => {
            changes.record(registry, attempt, Err(error.clone()));
            failed(&error)
        }
    }
}

/// One run of the form: the tag (and, for a copy, the target repository) as they
/// were when it started, and the digest a confirmed move replaces.
#[derive(Clone)]
struct TagInput {
    tag: Tag,
    to: Option<Repository>,
    move_from: Option<Digest>,
    /// Copy only: the referrers to copy after the image, as chosen at the start.
    referrers: Option<ReferrerList>,
}

/// Shown when the target tag points at another image: both digests, and the button
/// that moves the tag.
#[component]
fn MoveConfirmation(
    phase: Signal<Phase>,
    target: Signal<String>,
    /// Whether the fields still name the tag the question is about: once edited,
    /// the question is gone (the next Add or Copy asks again if it must).
    as_asked: Signal<bool>,
    on_confirm: Callback<Digest>,
) -> impl IntoView {
    move || match phase.get() {
        Phase::ConfirmMove { current, new } if as_asked.get() => Some(view! {
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

/// Add tag (`copy` false: the tag goes in `repository`) or Copy image (`copy` true:
/// the user names the target repository; `tag` fills in the target tag). `seen_tag`,
/// the tag the image was seen on, is read again before anything is written.
#[component]
pub(super) fn TagForm(
    registry: String,
    repository: Repository,
    digest: Digest,
    source: String,
    seen_tag: Option<Tag>,
    copy: bool,
    tag: Option<Tag>,
) -> impl IntoView {
    let changes = use_changes();
    // Copy only: the repository the image is copied to.
    let target = RwSignal::new(String::new());
    let name = RwSignal::new(tag.map(|t| t.to_string()).unwrap_or_default());
    let cancelled = RwSignal::new(false);
    // The copy's current step, while it copies.
    let step = RwSignal::new(None::<String>);
    // A copy into the image's own repository is an Add tag: said, and not sent (to the
    // same tag it would write the image over itself).
    let own_repository = repository.to_string();
    let into_own_repository =
        Signal::derive(move || copy && target.with(|t| t.trim() == own_repository));
    let valid = move || {
        (!copy || typed_repository(&target.get()).is_ok())
            && typed_tag(&name.get()).is_ok()
            && !into_own_repository.get()
    };
    let shown_digest = digest.to_string();
    // Copy only: signatures and SBOMs may come along.
    let along =
        copy.then(|| ReferrersAlong::new(registry.clone(), repository.clone(), digest.clone()));
    let working_repository = StoredValue::new(repository.clone());
    let write = Action::new_local(move |input: &TagInput| {
        let TagInput {
            tag,
            to,
            move_from,
            referrers,
        } = input.clone();
        let (registry, repository, digest, source, seen_tag) = (
            registry.clone(),
            repository.clone(),
            digest.clone(),
            source.clone(),
            seen_tag.clone(),
        );
        async move {
            let attempt = match &to {
                None => format!("Tag {repository}:{tag} from {source} ({digest})"),
                Some(to) => format!("Copy {repository}:{source} ({digest}) to {to}:{tag}"),
            };
            let ticket = Ticket::open(&registry, &attempt);
            let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
            let from = repository;
            let result: Result<(TagWrite, String), ChangeError> = async {
                if let Some(seen) = &seen_tag {
                    client.expect_unchanged(&from, seen, &digest).await?;
                }
                let manifest = client.manifest_get(&from, &digest).await?;
                let Some(to) = &to else {
                    let write = client
                        .put_tag(&from, &tag, &manifest, move_from.as_ref())
                        .await?;
                    let message = match write.moved_from() {
                        _ if !write.changed() => format!(
                            "{from}:{tag} already points at {}: nothing changed.",
                            write.digest
                        ),
                        Some(previous) => format!(
                            "{from}:{tag} now points at {} (moved from {}) — the same digest as {source}.",
                            write.digest,
                            short(previous)
                        ),
                        None => format!(
                            "{from}:{tag} now points at {} — the same digest as {source}.",
                            write.digest
                        ),
                    };
                    return Ok((write, message));
                };
                let (write, report) = client
                    .copy_image(&from, &manifest, to, &tag, move_from.as_ref(), |progress| {
                        // The dialog may be closed: the copy goes on without it.
                        step.try_set(Some(wording::copy_step(&progress)));
                        // A closed dialog cancels nothing: the copy goes on to the activity list.
                        !cancelled.try_get_untracked().unwrap_or(false)
                    })
                    .await?;
                let message = wording::copy_done(
                    &format!("{from}:{source}"),
                    to,
                    &tag,
                    &write.digest,
                    &report,
                );
                Ok((write, message))
            }
            .await;
            let copied = result.is_ok();
            let phase = settle_tag_write(changes, &registry, attempt, result);
            ticket.close();
            if let (true, Some(along), Some(to), Some(list)) = (copied, along, to, referrers) {
                // A task of its own: the copy is done, and the dialog may close.
                leptos::task::spawn_local(along.copy(registry, from, to, list));
            }
            phase
        }
    });
    let phase = Signal::derive(move || {
        phase_of(write, |input| match (&input.to, step.get()) {
            (None, _) => format!("Tagging {}:{}…", working_repository.get_value(), input.tag),
            (Some(_), Some(step)) => step,
            (Some(_), None) => "Reading the image…".into(),
        })
    });
    // The fields as the last run read them.
    let asked = RwSignal::new(None::<(String, String)>);
    let as_asked = Signal::derive(move || {
        asked
            .get()
            .is_some_and(|(to, tag)| to == target.get() && tag == name.get())
    });
    let run = Callback::new(move |move_from: Option<Digest>| {
        let Ok(tag) = typed_tag(&name.get_untracked()) else {
            return;
        };
        let to = match copy.then(|| typed_repository(&target.get_untracked())) {
            None => None,
            Some(Ok(to)) => Some(to),
            Some(Err(_)) => return,
        };
        cancelled.set(false);
        step.set(None);
        asked.set(Some((target.get_untracked(), name.get_untracked())));
        let referrers = along.and_then(|along| along.chosen());
        write.dispatch_local(TagInput {
            tag,
            to,
            move_from,
            referrers,
        });
    });
    let move_target = Signal::derive(move || {
        if copy {
            format!("{}:{}", target.get(), name.get())
        } else {
            format!("Tag {}", name.get())
        }
    });
    let fields = if copy {
        view! {
            <ValidatedInput label="Target repository" value=target check=repository_problem autofocus=true />
            <ValidatedInput label="Target tag" value=name check=tag_problem />
        }
        .into_any()
    } else {
        view! { <ValidatedInput label="New tag" value=name check=tag_problem autofocus=true /> }
            .into_any()
    };
    view! {
        <form
            class="change-form"
            on:submit=move |event| {
                event.prevent_default();
                run.run(None);
            }
        >
            <p>"Image " <code>{shown_digest}</code> {copy.then_some(". Blobs are mounted, not downloaded.")}</p>
            {fields}
            {move || into_own_repository.get().then(|| view! {
                <p class="field-error" role="alert">
                    "That is the repository the image is in: to give it another tag there, use Add tag."
                </p>
            })}
            {along.map(|along| view! { <ReferrersAlongChoice along verb="copy" /> })}
            <button type="submit" disabled=move || !valid() || write.pending().get()>
                {if copy { "Copy to repository" } else { "Add tag" }}
            </button>
            // Copy stops between two steps, before the tag is written: nothing half-done.
            <Show when=move || copy && write.pending().get()>
                // A step waiting for the registry is not cut short: say that the
                // cancel was heard and when it takes effect.
                <button type="button" disabled=move || cancelled.get() on:click=move |_| cancelled.set(true)>
                    {move || if cancelled.get() { "Stopping after this step…" } else { "Cancel" }}
                </button>
            </Show>
        </form>
        <MoveConfirmation
            phase
            target=move_target
            as_asked
            on_confirm=Callback::new(move |current| run.run(Some(current)))
        />
        <PhaseView phase />
    }
}
