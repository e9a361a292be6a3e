//! How every panel shows a failure: what happened, what to do, and the details.

use leptos::prelude::*;

use crate::oci::error::RegistryError;
use crate::ui::sign_in::{signed_in_user, use_sign_in};
use crate::wording::{self, Message, ResultLine};

/// A registry failure worded for whoever is signed in now; for a failure that
/// happened just now (an answer arriving, a panel being drawn).
pub fn failure_message(error: &RegistryError) -> Message {
    wording::error_for(error, signed_in_user().as_deref())
}

/// A failed read: the shared panel, with Sign in when a login would help and Try
/// again when the caller can read again.
#[component]
pub fn ErrorPanel(
    error: RegistryError,
    /// Only the technical details (the caller already explained the failure).
    #[prop(optional)]
    details_only: bool,
    /// Reads again what failed: the advice often says to try again, and a reload
    /// would lose the page's state.
    #[prop(optional, into)]
    retry: Option<Callback<()>>,
) -> impl IntoView {
    let message = failure_message(&error);
    if details_only {
        return view! { <TechnicalDetails requests=message.requests /> }.into_any();
    }
    // A login would help: offer the form right here.
    let sign_in = matches!(error, RegistryError::Unauthorized { .. })
        .then(use_sign_in)
        .flatten();
    let sign_in = sign_in.map(|sign_in| {
        view! { <button type="button" on:click=move |_| sign_in.open()>"Sign in"</button> }
    });
    let retry = retry.map(|retry| {
        view! { <button type="button" on:click=move |_| retry.run(())>"Try again"</button> }
    });
    view! {
        <FailurePanel message>
            {sign_in}
            {retry}
        </FailurePanel>
    }
    .into_any()
}

/// Any failure, read or change, told the same way: the headline; what happened (without
/// the requests) and what to do; for a change, what state the registry is in; the
/// caller's buttons; then the requests, folded under "Technical details".
#[component]
pub fn FailurePanel(
    message: Message,
    /// Say whether anything was changed: the registry was written to, or meant to be.
    #[prop(optional)]
    with_outcome: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let outcome = with_outcome.then(|| view! { <p><strong>{message.outcome.clone()}</strong></p> });
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-headline">{message.headline.clone()}</strong>
            <p class="error-advice">{message.account_and_advice()}</p>
            {outcome}
            {children.map(|children| children())}
            <TechnicalDetails requests=message.requests />
        </div>
    }
}

/// The requests behind a failure, each with what came of it; nothing when no request
/// failed.
#[component]
pub fn TechnicalDetails(requests: Vec<String>) -> impl IntoView {
    (!requests.is_empty()).then(|| {
        view! {
            <details class="error-details">
                <summary>"Technical details"</summary>
                {requests
                    .into_iter()
                    .map(|request| view! { <code class="error-detail">{request}</code> })
                    .collect_view()}
            </details>
        }
    })
}

/// One result among many (a list item): its words, then its requests folded under
/// "Technical details", as a panel folds them.
#[component]
pub fn ResultWords(line: ResultLine) -> impl IntoView {
    view! {
        {line.text}
        <TechnicalDetails requests=line.requests />
    }
}
