//! The repository list of the connected registry.

use leptos::prelude::*;

use crate::net::FetchClient;
use crate::oci::client::Registry;
use crate::ui::error_view::ErrorPanel;

#[component]
pub fn Catalog(registry_url: String) -> impl IntoView {
    let repositories = LocalResource::new(move || {
        let url = registry_url.clone();
        async move { Registry::new(&url, FetchClient::new()).catalog().await }
    });

    view! {
        <section class="panel" aria-labelledby="catalog-heading">
            <h2 id="catalog-heading">"Repositories"</h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading repositories…"</p> }>
                {move || {
                    repositories
                        .get()
                        .map(|result| match result {
                            Ok(names) if names.is_empty() => {
                                view! { <p class="empty">"This registry has no repositories yet."</p> }
                                    .into_any()
                            }
                            Ok(names) => {
                                let count = names.len();
                                view! {
                                    <p class="count">{format!("{count} repositories")}</p>
                                    <ul class="repository-list" aria-label="Repositories">
                                        {names
                                            .into_iter()
                                            .map(|name| view! { <li class="repository">{name}</li> })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}
