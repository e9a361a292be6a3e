//! What every change form shares: where the change is in its life and how that is
//! shown, and a text field that validates as the user types.

use std::time::Duration;

use leptos::prelude::*;

use crate::oci::changes::ChangeError;
use crate::oci::error::RegistryError;
use crate::oci::names::{Digest, NameError, Repository, Tag};
use crate::ui::browser;
use crate::ui::error_view::FailurePanel;
use crate::wording;

/// Where a change is in its life, shown in the dialog: `Working` while the form's
/// action runs, then what the action returned.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Phase {
    Editing,
    Working(String),
    ConfirmMove { current: Digest, new: Digest },
    Done(String),
    Failed(wording::Message),
}

pub(super) fn short(digest: &Digest) -> String {
    format!("{}:{}", digest.algorithm(), digest.short(12))
}

pub(super) fn failed(error: &ChangeError) -> Phase {
    Phase::Failed(wording::change_error(error))
}

/// A change that succeeded although a request failed says so.
pub(super) fn with_note(message: String, applied_anyway: Option<&RegistryError>) -> String {
    match applied_anyway {
        Some(answered) => format!("{message} (Note: {}.)", wording::applied_anyway(answered)),
        None => message,
    }
}

/// The phase of a form whose write is an action: its step while it runs, else what
/// its last run returned (`Editing` before the first).
pub(super) fn phase_of<I: 'static>(
    action: Action<I, Phase>,
    working: impl Fn(&I) -> String,
) -> Phase {
    action
        .input()
        .with(|input| input.as_ref().map(&working))
        .map(Phase::Working)
        .or_else(|| action.value().get())
        .unwrap_or(Phase::Editing)
}

/// The outcome area every form shares.
#[component]
pub(super) fn PhaseView(#[prop(into)] phase: Signal<Phase>) -> impl IntoView {
    move || match phase.get() {
        Phase::Editing | Phase::ConfirmMove { .. } => None,
        Phase::Working(step) => Some(view! { <WorkingStatus step /> }.into_any()),
        Phase::Done(message) => Some(view! { <DoneStatus message /> }.into_any()),
        Phase::Failed(message) => {
            Some(view! { <FailurePanel message with_outcome=true /> }.into_any())
        }
    }
}

/// A change that succeeded. The keyboard focus moves to the dialog's Close: left on
/// the form, a second Enter would run the same change again.
#[component]
fn DoneStatus(message: String) -> impl IntoView {
    let status = NodeRef::<leptos::html::P>::new();
    Effect::new(move || {
        if let Some(status) = status.get() {
            browser::focus_close_of_dialog_around(&status);
        }
    });
    view! { <p class="success" role="status" node_ref=status>{message}</p> }
}

/// How long a step may wait for the registry before the dialog says what the wait is.
const STILL_WAITING_AFTER: Duration = Duration::from_secs(5);

/// The step a change is at; after a few silent seconds, also what the wait is and
/// how it ends. Each new step starts its own count.
#[component]
fn WorkingStatus(step: String) -> impl IntoView {
    let slow = RwSignal::new(false);
    set_timeout(
        move || {
            // The step may be over and this view gone: then nothing to say.
            slow.try_set(true);
        },
        STILL_WAITING_AFTER,
    );
    view! {
        <p class="working" role="status">
            {step}
            {move || slow.get().then(|| view! { <span class="still-waiting">" " {wording::STILL_WAITING}</span> })}
        </p>
    }
}

/// A text field that validates as the user types; `check` returns the error to show.
#[component]
pub(super) fn ValidatedInput(
    label: &'static str,
    value: RwSignal<String>,
    check: fn(&str) -> Option<String>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{}", label.to_ascii_lowercase().replace(' ', "-"));
    let error_id = format!("{id}-error");
    let error = move || check(&value.get());
    // The browser ignores `autofocus` on a field added after the page had a focus (a
    // form fetched on demand into an open dialog): focused here once it is in the
    // page, as a form in a Suspense is built before it is attached (Copy's waits
    // for the image's referrers). Up to 5 s at 60 frames a second.
    let field = NodeRef::<leptos::html::Input>::new();
    if autofocus {
        Effect::new(move || {
            if let Some(field) = field.get() {
                browser::focus_once_in_page(field.into(), 300);
            }
        });
    }
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            node_ref=field
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

// A name field is read without the blanks around it: a name pasted from a terminal
// often brings one, and no name may contain any.

pub(super) fn typed_tag(input: &str) -> Result<Tag, NameError> {
    Tag::parse(input.trim())
}

pub(super) fn typed_repository(input: &str) -> Result<Repository, NameError> {
    Repository::parse(input.trim())
}

pub(super) fn tag_problem(input: &str) -> Option<String> {
    (!input.trim().is_empty())
        .then(|| typed_tag(input).err().map(|e| wording::name_error(&e)))
        .flatten()
}

pub(super) fn repository_problem(input: &str) -> Option<String> {
    (!input.trim().is_empty())
        .then(|| {
            typed_repository(input)
                .err()
                .map(|e| wording::name_error(&e))
        })
        .flatten()
}
