//! How every panel shows a failure: what happened, what to do, and the details.

use leptos::prelude::*;

use crate::oci::error::RegistryError;
use crate::ui::sign_in::use_sign_in;
use crate::wording;

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
    let message = wording::error(&error);
    let details = view! {
        <details class="error-details">
            <summary>"Technical details"</summary>
            <code class="error-detail">{message.detail}</code>
        </details>
    };
    if details_only {
        return details.into_any();
    }
    // A login would help: offer the form right here.
    let sign_in = matches!(error, RegistryError::Unauthorized { .. })
        .then(use_sign_in)
        .flatten()
        .map(|sign_in| {
            view! { <button type="button" on:click=move |_| sign_in.open()>"Sign in"</button> }
        });
    let retry = retry.map(|retry| {
        view! { <button type="button" on:click=move |_| retry.run(())>"Try again"</button> }
    });
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-headline">{message.headline}</strong>
            <p class="error-advice">{message.advice}</p>
            {sign_in}
            {retry}
            {details}
        </div>
    }
    .into_any()
}
