//! How every panel shows a failure: what happened, what to do, and the details.

use leptos::prelude::*;

use crate::oci::error::RegistryError;

#[component]
pub fn ErrorPanel(
    error: RegistryError,
    /// Only the technical details (the caller already explained the failure).
    #[prop(optional)]
    details_only: bool,
) -> impl IntoView {
    let details = view! {
        <details class="error-details">
            <summary>"Technical details"</summary>
            <code class="error-detail">{error.to_string()}</code>
        </details>
    };
    if details_only {
        return details.into_any();
    }
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-headline">{error.headline()}</strong>
            <p class="error-advice">{error.advice()}</p>
            {details}
        </div>
    }
    .into_any()
}
