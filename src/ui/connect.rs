//! Choosing a registry and checking that this page can talk to it. When `/v2/`
//! fails, the user is told which case it is and what to change.

use gloo_net::http::Request;
use leptos::prelude::*;
use serde::Deserialize;

use crate::model::registry_address::{
    cors_config_snippet, normalize_registry_address, remember, same_origin_proxy_snippet,
};
use crate::model::route::{Route, View};
use crate::net::{is_reachable, FetchClient};
use crate::oci::client::Registry;
use crate::oci::error::RegistryError;
use crate::ui::browser;
use crate::ui::error_view::ErrorPanel;
use crate::ui::router::use_router;

const RECENT_KEY: &str = "tagdeck.recentRegistries";

#[derive(Deserialize, Default)]
struct RuntimeConfig {
    registry: Option<String>,
}

/// The registry when the address names none: `config.json` beside index.html (one
/// bundle serves any deployment), else this page's origin (behind the registry's proxy).
pub async fn default_registry() -> (String, &'static str) {
    let configured = async {
        let response = Request::get("config.json").send().await.ok()?;
        if !response.ok() {
            return None;
        }
        let config: RuntimeConfig = response.json().await.ok()?;
        config.registry.filter(|r| !r.trim().is_empty())
    };
    match configured.await {
        Some(registry) => (registry, "config.json"),
        None => (browser::page_origin(), "same origin as this page"),
    }
}

pub fn recent_registries() -> Vec<String> {
    browser::stored(RECENT_KEY)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn remember_registry(address: &str) {
    let updated = remember(&recent_registries(), address);
    if let Ok(json) = serde_json::to_string(&updated) {
        browser::store(RECENT_KEY, &json);
    }
}

/// The address field in the top bar.
#[component]
pub fn ConnectForm(current: Signal<Option<String>>) -> impl IntoView {
    let router = use_router();
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    Effect::new(move || {
        if let Some(current) = current.get() {
            draft.set(current);
        }
    });
    let recent = recent_registries();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match normalize_registry_address(&draft.get_untracked()) {
            Ok(address) => {
                problem.set(None);
                router.go(Route {
                    registry: Some(address),
                    view: View::Catalog,
                });
            }
            Err(error) => problem.set(Some(error.to_string())),
        }
    };
    view! {
        <form class="connect" on:submit=on_submit role="search" aria-label="Registry">
            <label for="registry-address">"Registry"</label>
            <input
                id="registry-address"
                type="text"
                list="recent-registries"
                placeholder="http://127.0.0.1:5000"
                spellcheck="false"
                autocomplete="url"
                prop:value=move || draft.get()
                on:input:target=move |event| draft.set(event.target().value())
            />
            <datalist id="recent-registries">
                {recent.into_iter().map(|r| view! { <option value=r></option> }).collect_view()}
            </datalist>
            <button type="submit">"Connect"</button>
            {move || problem.get().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
        </form>
    }
}

/// Why `/v2/` could not be used, as the user needs to hear it.
#[derive(Clone)]
enum Problem {
    Unreachable,
    RefusedByCors,
    NotARegistry,
    NeedsLogin,
    Other,
}

async fn check_connection(address: String) -> Result<(), (Problem, RegistryError)> {
    let result = Registry::new(&address, FetchClient::new())
        .check_api()
        .await;
    let error = match result {
        Ok(()) => {
            remember_registry(&address);
            return Ok(());
        }
        Err(error) => error,
    };
    let problem = match &error {
        RegistryError::Network { .. } => {
            if is_reachable(&format!("{address}/v2/")).await {
                Problem::RefusedByCors
            } else {
                Problem::Unreachable
            }
        }
        RegistryError::Unauthorized { .. } | RegistryError::Denied { .. } => Problem::NeedsLogin,
        RegistryError::Malformed { .. } | RegistryError::NotFound { .. } => Problem::NotARegistry,
        _ => Problem::Other,
    };
    Err((problem, error))
}

/// Checks the registry, then shows `children`, or explains what is wrong.
#[component]
pub fn ConnectionGate(address: String, children: ChildrenFn) -> impl IntoView {
    let check = {
        let address = address.clone();
        LocalResource::new(move || check_connection(address.clone()))
    };
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=move || {
            view! { <p class="loading" role="status">"Connecting to the registry…"</p> }
        }>
            {move || {
                let address = address.clone();
                check
                    .get()
                    .map(move |result| match result {
                        Ok(()) => children.read_value()().into_any(),
                        Err((problem, error)) => {
                            view! { <Diagnosis address problem error /> }.into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn Diagnosis(address: String, problem: Problem, error: RegistryError) -> impl IntoView {
    let origin = browser::page_origin();
    let (headline, explanation) = match problem {
        Problem::Unreachable => (
            "The registry could not be reached",
            format!("Nothing answered at {address}. Check the address and that the registry is running and reachable from this computer."),
        ),
        Problem::RefusedByCors => (
            "The registry refused this page (CORS)",
            format!("The registry at {address} answered, but it does not allow pages from {origin} to read its answers. Add these headers to its configuration and restart it, or serve this console from the registry's own address behind a reverse proxy."),
        ),
        Problem::NotARegistry => (
            "This is not a registry API",
            format!("{address}/v2/ did not answer like an OCI / Docker registry. Check the address: it is the registry's base URL, without /v2."),
        ),
        Problem::NeedsLogin => (
            "The registry needs a login",
            "This registry requires credentials. Registries with login work when this console is served from the registry's own address (a reverse proxy that serves the console and forwards /v2/), where the browser asks for the login.".to_owned(),
        ),
        Problem::Other => ("The registry could not be used", error.advice()),
    };
    let show_cors = matches!(problem, Problem::RefusedByCors);
    let show_proxy = matches!(problem, Problem::RefusedByCors | Problem::NeedsLogin);
    view! {
        <section class="panel diagnosis" aria-labelledby="diagnosis-heading">
            <div class="error-panel" role="alert">
                <h2 id="diagnosis-heading">{headline}</h2>
                <p>{explanation}</p>
            </div>
            <Show when=move || show_cors>
                <h3>"distribution (registry:2) config.yml"</h3>
                <pre class="snippet" aria-label="CORS configuration for the registry">{cors_config_snippet(&origin)}</pre>
            </Show>
            <Show when=move || show_proxy>
                <h3>"Or: one origin for console and registry (nginx)"</h3>
                <pre class="snippet" aria-label="Reverse proxy configuration">{same_origin_proxy_snippet(&address)}</pre>
            </Show>
            <ErrorPanel error=error.clone() details_only=true />
        </section>
    }
}
