//! How every panel shows a failure: what happened, what to do, and the details.

use leptos::prelude::*;

use crate::oci::error::RegistryError;

#[component]
pub fn ErrorPanel(error: RegistryError) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-headline">{error.headline()}</strong>
            <p class="error-advice">{error.advice()}</p>
            <details>
                <summary>"Details"</summary>
                <code class="error-detail">{error.to_string()}</code>
            </details>
        </div>
    }
}
