//! Every repository of the registry, grouped by namespace, filtered as you type.

use leptos::prelude::*;

use crate::model::catalog_tree::{catalog_rows, CatalogRow};
use crate::model::route::View;
use crate::net;
use crate::oci::names::Repository;
use crate::ui::browser;
use crate::ui::error_view::ErrorPanel;
use crate::ui::router::Link;

/// The address key of the filter text (see [`browser::view_setting`]).
const FILTER_SETTING: &str = "q";

#[component]
pub fn CatalogView(registry: String) -> impl IntoView {
    let client = browser::client_for_this_view();
    let changes = crate::ui::activity::use_changes();
    let repositories = LocalResource::new(move || {
        // A change may add a repository (a copy): listed again after each one.
        changes.version.track();
        let registry = net::registry(&registry, client.clone());
        async move { registry.catalog_listing().await }
    });
    // In the address: Back returns to it, a link shares it.
    let filter = RwSignal::new(browser::view_setting(FILTER_SETTING).unwrap_or_default());

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
                    on:input:target=move |event| {
                        let value = event.target().value();
                        browser::keep_view_setting(FILTER_SETTING, &value);
                        filter.set(value);
                    }
                />
            </div>
            <Suspense fallback=|| {
                view! { <p class="loading" role="status">"Loading repositories…"</p> }
            }>
                {move || {
                    repositories
                        .get()
                        .map(|result| match result {
                            Ok(listing) => {
                                let retry = Callback::new(move |()| repositories.refetch());
                                view! {
                                    // What was read stays browsable; what may be missing is said.
                                    {listing.may_be_incomplete.then(|| view! { <CatalogIncomplete retry filter /> })}
                                    <RepositoryList names=listing.tags filter incomplete=listing.may_be_incomplete />
                                }
                                    .into_any()
                            }
                            Err(error) => {
                                let retry = Callback::new(move |()| repositories.refetch());
                                // Many registries list repositories to administrators
                                // only (Harbor), or not at all: the rest stay openable.
                                view! {
                                    <ErrorPanel error retry />
                                    <OpenTyped filter />
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}

/// The catalog's pages could not all be followed: the names read are shown, with why
/// more may exist and what to do.
#[component]
fn CatalogIncomplete(retry: Callback<()>, filter: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="error-panel incomplete-list" role="alert">
            <p>"This list of repositories may be incomplete: its pages could not all be followed (CORS may hide their Link header)."</p>
            <OpenTyped filter />
            <button type="button" on:click=move |_| retry.run(())>"Try again"</button>
        </div>
    }
}

/// A repository the list does not show (refused, or cut short) opened by its full
/// name, typed in the filter: a link while the text is a valid name.
#[component]
fn OpenTyped(filter: RwSignal<String>) -> impl IntoView {
    let typed = move || {
        let name = filter.get().trim().to_owned();
        Repository::parse(&name).is_ok().then(|| {
            let label = format!("Open {name}");
            view! { <Link view=View::Repository { name }>{label}</Link> }
        })
    };
    view! {
        <p class="open-typed">
            "A repository not listed here can still be opened: type its full name in the filter above. "
            {typed}
        </p>
    }
}

#[component]
fn RepositoryList(names: Vec<String>, filter: RwSignal<String>, incomplete: bool) -> impl IntoView {
    let total = names.len();
    let listed = if incomplete { " listed so far" } else { "" };
    let rows = Memo::new(move |_| catalog_rows(&names, &filter.get()));
    let shown = move || rows.with(|rows| rows.iter().filter(|r| r.is_repository).count());
    view! {
        <p class="count" role="status">
            {move || {
                if total == 0 {
                    "This registry has no repositories yet.".to_owned()
                } else if shown() == total {
                    format!("{total} repositories{listed}")
                } else {
                    format!("{} of {total} repositories{listed} match", shown())
                }
            }}
        </p>
        <ul class="repository-list" aria-label="Repositories">
            <For each=move || rows.get() key=CatalogRow::key let:row>
                {
                    // In hundredths of a rem: integer formatting only (see tags::row::ROW_HEIGHT).
                    let hundredths = 75 + 125 * row.depth;
                    let indent = format!("{}.{:02}rem", hundredths / 100, hundredths % 100);
                    if row.is_repository && Repository::parse(&row.name).is_err() {
                        // Listed by the registry, yet no valid name: no link to a view
                        // that would refuse it.
                        view! {
                            <li class="repository invalid-name" style:padding-left=indent.clone()>
                                <code>{row.name.clone()}</code>
                                " (not a valid repository name: cannot be opened here)"
                            </li>
                        }
                            .into_any()
                    } else if row.is_repository {
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
                                <span class="namespace-name">{row.name.clone()}</span>
                                " "
                                <Link
                                    class="cleanup-link"
                                    view=View::Cleanup { target: row.name.trim_end_matches('/').to_owned(), namespace: true }
                                >
                                    {format!("Clean up {}…", row.name)}
                                </Link>
                            </li>
                        }
                            .into_any()
                    }
                }
            </For>
        </ul>
    }
}
