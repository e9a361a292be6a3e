//! Leptos views. State a user may want to share lives in the page URL.

mod catalog;
mod connection;
mod error_view;

use leptos::prelude::*;

use catalog::Catalog;

#[component]
pub fn App() -> impl IntoView {
    let registry = LocalResource::new(connection::initial_registry);

    view! {
        <header class="topbar">
            <h1>"Tagdeck"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    registry
                        .get()
                        .map(|(url, source)| {
                            view! {
                                <p class="registry-url">
                                    "Registry: " <code>{url}</code>
                                    <span class="source">{format!(" (from {source})")}</span>
                                </p>
                            }
                        })
                }}
            </Suspense>
        </header>
        <main>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Finding the registry…"</p> }>
                {move || registry.get().map(|(url, _)| view! { <Catalog registry_url=url /> })}
            </Suspense>
        </main>
    }
}
