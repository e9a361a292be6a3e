//! Every repository of the registry, grouped by namespace, filtered as you type.

use leptos::prelude::*;

use crate::model::catalog_tree::catalog_rows;
use crate::model::route::View;
use crate::net;
use crate::ui::browser;
use crate::ui::error_view::ErrorPanel;
use crate::ui::router::Link;

/// The catalog's filter text, held by the registry views, which outlive the catalog.
#[derive(Clone, Copy)]
pub struct CatalogFilter(StoredValue<String>);

impl CatalogFilter {
    pub fn provide() {
        provide_context(CatalogFilter(StoredValue::new(String::new())));
    }
}

#[component]
pub fn CatalogView(registry: String) -> impl IntoView {
    let client = browser::client_for_this_view();
    let changes = crate::ui::activity::use_changes();
    let repositories = LocalResource::new(move || {
        // A change may add a repository (a copy): listed again after each one.
        changes.version.track();
        let registry = net::registry(&registry, client.clone());
        async move { registry.catalog().await }
    });
    // Kept across the rebuild that follows every change made in this tab.
    let memory = expect_context::<CatalogFilter>();
    let filter = RwSignal::new(memory.0.get_value());
    Effect::new(move || memory.0.set_value(filter.get()));

    view! {
        <section class="panel" aria-labelledby="catalog-heading">
            <div class="panel-head">
                <h2 id="catalog-heading">"Repositories"</h2>
                <input
                    type="search"
                    class="filter"
                    placeholder="Filter repositories"
                    aria-label="Filter repositories"
                    prop:value=move || filter.get()
                    on:input:target=move |event| filter.set(event.target().value())
                />
            </div>
            <Suspense fallback=|| {
                view! { <p class="loading" role="status">"Loading repositories…"</p> }
            }>
                {move || {
                    repositories
                        .get()
                        .map(|result| match result {
                            Ok(names) => view! { <RepositoryList names filter /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn RepositoryList(names: Vec<String>, filter: RwSignal<String>) -> impl IntoView {
    let total = names.len();
    let rows = Memo::new(move |_| catalog_rows(&names, &filter.get()));
    let shown = move || rows.with(|rows| rows.iter().filter(|r| r.is_repository).count());
    view! {
        <p class="count" role="status">
            {move || {
                if total == 0 {
                    "This registry has no repositories yet.".to_owned()
                } else if shown() == total {
                    format!("{total} repositories")
                } else {
                    format!("{} of {total} repositories match", shown())
                }
            }}
        </p>
        <ul class="repository-list" aria-label="Repositories">
            <For each=move || rows.get() key=|row| row.name.clone() let:row>
                {
                    let indent = format!("{}rem", 0.75 + 1.25 * row.depth as f64);
                    if row.is_repository {
                        let (namespace, short) = match row.name.rsplit_once('/') {
                            Some((ns, short)) => (format!("{ns}/"), short.to_owned()),
                            None => (String::new(), row.name.clone()),
                        };
                        view! {
                            <li class="repository" style:padding-left=indent.clone()>
                                <Link view=View::Repository { name: row.name.clone() }>
                                    <span class="namespace">{namespace}</span>
                                    {short}
                                </Link>
                            </li>
                        }
                            .into_any()
                    } else {
                        view! {
                            <li class="namespace-heading" role="none" style:padding-left=indent.clone()>
                                {row.name.clone()}
                            </li>
                        }
                            .into_any()
                    }
                }
            </For>
        </ul>
    }
}
