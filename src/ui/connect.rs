//! Choosing a registry and checking that this page can talk to it. When `/v2/`
//! fails, the user is told which case it is and what to change.

use std::cell::RefCell;

use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::model::registry_address::{has_credentials, normalize_registry_address, remember};
use crate::model::route::{Route, View};
use crate::net;
use crate::net::{is_reachable, FetchClient};
use crate::oci::error::RegistryError;
use crate::oci::http::HttpClient;
use crate::ui::browser;
use crate::ui::diagnosis::Problem;
use crate::ui::on_demand::{LazyDiagnosis, LazySignInForm};
use crate::ui::reconnect::Reconnect;
use crate::ui::router::use_router;
use crate::wording;

const RECENT_KEY: &str = "tagdeck.recentRegistries";

/// Where the registry comes from when nothing names one.
pub const SAME_ORIGIN: &str = "same origin as this page";

/// `config.json` beside index.html, written by whoever deploys the console.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RuntimeConfig {
    registry: Option<String>,
    /// Token services on other origins that may receive the user's credentials.
    #[serde(default)]
    trusted_realms: Vec<String>,
}

thread_local! {
    /// The request for `config.json` that [`start_reading_config`] sent.
    static CONFIG_REQUEST: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Asks for `config.json` now, before the first render (called from `main`): the
/// views need the registry's address before they can send anything, and rendering the
/// header first cost about 40 ms of the first digest. Same request mode as the page's
/// preload of the file, so the browser answers it from that.
pub fn start_reading_config() {
    if let Some(window) = web_sys::window() {
        let sent = window.fetch_with_str("config.json");
        CONFIG_REQUEST.with(|request| *request.borrow_mut() = Some(sent));
    }
}

async fn read_config() -> Option<RuntimeConfig> {
    let sent = CONFIG_REQUEST
        .with(|request| request.borrow_mut().take())
        .or_else(|| web_sys::window().map(|window| window.fetch_with_str("config.json")))?;
    let response: web_sys::Response = JsFuture::from(sent).await.ok()?.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    browser::parse_json(&text)
}

/// The registry when the address names none: `config.json` beside index.html (one
/// bundle serves any deployment), else this page's origin (behind the registry's proxy).
/// Also hands the trusted token realms to the sign-in, before any registry is asked.
pub async fn default_registry() -> (String, &'static str) {
    let config = read_config().await.unwrap_or_default();
    net::set_trusted_realms(config.trusted_realms);
    match config.registry.filter(|r| !r.trim().is_empty()) {
        Some(registry) => (registry, "config.json"),
        None => (browser::page_origin(), SAME_ORIGIN),
    }
}

pub fn recent_registries() -> Vec<String> {
    browser::stored(RECENT_KEY)
        .and_then(|json| browser::parse_json(&json))
        .unwrap_or_default()
}

/// Drops `address` from the remembered registries; the list as it is now.
pub fn forget_registry(address: &str) -> Vec<String> {
    let updated: Vec<String> = recent_registries()
        .into_iter()
        .filter(|r| r != address)
        .collect();
    if let Ok(json) = serde_json::to_string(&updated) {
        browser::store(RECENT_KEY, &json);
    }
    updated
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
    // What the user typed, with the registry shown while they typed it: once another
    // registry is current, the field shows that one again.
    let typed = RwSignal::new(None::<(Option<String>, String)>);
    let draft = move || {
        let current = current.get();
        match typed.get() {
            Some((typed_at, text)) if typed_at == current => text,
            _ => current.unwrap_or_default(),
        }
    };
    let problem = RwSignal::new(None::<String>);
    // The last address connected to had a user name or password in it, left out.
    let credentials_left_out = RwSignal::new(router.credentials_left_out());
    let reconnect = expect_context::<Reconnect>();
    // Read again on focus: a registry connected since the page loaded is offered too.
    let recent = RwSignal::new(recent_registries());
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed_text = untrack(draft);
        match normalize_registry_address(&typed_text) {
            Ok(address) => {
                problem.set(None);
                // The field shows the address as used, never a password typed into it.
                typed.set(None);
                credentials_left_out.set(has_credentials(&typed_text));
                // The same registry again means "check again" (its configuration
                // may have been fixed meanwhile).
                if current.get_untracked().as_deref() == Some(address.as_str()) {
                    reconnect.again();
                }
                router.go(Route {
                    registry: Some(address),
                    view: View::Catalog,
                });
            }
            Err(error) => problem.set(Some(wording::address_error(&error))),
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
                // Not kept in the browser's form history: a typed `user:pw@host` would be.
                autocomplete="off"
                prop:value=draft
                on:input:target=move |event| {
                    typed.set(Some((current.get_untracked(), event.target().value())))
                }
                on:focus=move |_| recent.set(recent_registries())
            />
            <datalist id="recent-registries">
                {move || recent.get().into_iter().map(|r| view! { <option value=r></option> }).collect_view()}
            </datalist>
            <button type="submit">"Connect"</button>
            {move || problem.get().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
            <Show when=move || credentials_left_out.get()>
                <span class="field-note" role="status">
                    "The user name and password in that address were left out: an address keeps no secrets. Sign in when the registry asks; what you type there stays in this tab's memory."
                </span>
            </Show>
        </form>
    }
}

/// How long a failed connection waits for the browser's report that the page's
/// Content-Security-Policy refused it.
const POLICY_REPORT_WAIT_MS: u32 = 50;

async fn check_connection(address: String) -> Result<(), (Problem, RegistryError)> {
    let result = net::registry(&address, FetchClient::new())
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
        RegistryError::Network { .. }
            if browser::page_origin().starts_with("https:") && address.starts_with("http:") =>
        {
            Problem::MixedContent
        }
        RegistryError::Network { .. } => {
            let reachable = is_reachable(&format!("{address}/v2/")).await;
            // The browser reports a refusal by the page's policy in a task of its own,
            // after the fetch has already failed (measured: about 1 ms later), so the
            // answer waits a moment for it; without the wait a registry the policy
            // blocks read as "Nothing answered".
            FetchClient::new().pause(POLICY_REPORT_WAIT_MS).await;
            if browser::refused_by_policy(&address) {
                Problem::NotAllowedHere
            } else if reachable {
                Problem::RefusedByCors
            } else {
                Problem::Unreachable
            }
        }
        // A form could send nothing while the 401 taught no way to sign in (hidden by
        // CORS, or not offered here): the diagnosis says which.
        RegistryError::Unauthorized { .. } if net::session_for(&address).scheme().is_none() => {
            Problem::NoSignInWay
        }
        RegistryError::Unauthorized { .. } => Problem::NeedsLogin,
        RegistryError::Malformed { .. } | RegistryError::NotFound { .. } => Problem::NotARegistry,
        _ => Problem::Other,
    };
    Err((problem, error))
}

/// Checks the registry, then shows `children`, or explains what is wrong.
///
/// The children are mounted at once, hidden until the check passes: their own
/// first requests (the catalog, say, or the first page of a repository's tags,
/// which `tags::KnownTags::ask_first_page` sends before the tag view's code has
/// arrived) travel beside the check instead of after it, which brings the first rows
/// one round trip sooner. A failed check unmounts them, which cancels what their
/// views asked; an early first page not taken yet is stopped when the next one
/// replaces it.
#[component]
pub fn ConnectionGate(address: String, guessed: bool, children: ChildrenFn) -> impl IntoView {
    let reconnect = expect_context::<Reconnect>();
    let check = {
        let address = address.clone();
        LocalResource::new(move || {
            reconnect.track();
            check_connection(address.clone())
        })
    };
    let pending = move || check.with(Option::is_none);
    let failed = move || check.with(|c| matches!(c, Some(Err(_))));
    let children = StoredValue::new(children);
    view! {
        {move || {
            let address = address.clone();
            match check.get() {
                None => Some(
                    view! { <p class="loading" role="status">"Connecting to the registry…"</p> }
                        .into_any(),
                ),
                Some(Ok(())) => None,
                // Nobody named a registry and this page's own origin is none: not an
                // error, the user just has to say which one.
                Some(Err((Problem::NotARegistry | Problem::Unreachable, _))) if guessed => {
                    Some(view! { <Welcome /> }.into_any())
                }
                // The registry wants a login: the form, right here.
                Some(Err((Problem::NeedsLogin, _))) => Some(
                    view! {
                        <section class="panel">
                            <LazySignInForm address on_signed_in=None />
                        </section>
                    }
                    .into_any(),
                ),
                Some(Err((problem, error))) => {
                    Some(view! { <LazyDiagnosis address problem error /> }.into_any())
                }
            }
        }}
        <Show when=move || !failed()>
            <div class="gate" hidden=pending>
                // Built again for every check (after a sign-in, say): the views
                // read the registry anew.
                {move || {
                    reconnect.track();
                    children.read_value()()
                }}
            </div>
        </Show>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="panel welcome" aria-labelledby="welcome-heading">
            <h2 id="welcome-heading">"Which registry?"</h2>
            <p>
                "Enter a registry's address in the Registry field above, for example "
                <code>"http://127.0.0.1:5000"</code>
                ", and press Connect. To open this console on a registry by default, put a "
                <code>"config.json"</code>
                " beside index.html: "
                <code>{r#"{"registry": "https://registry.example.com"}"#}</code>
                "."
            </p>
        </section>
    }
}
