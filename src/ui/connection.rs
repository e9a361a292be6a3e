//! Which registry the console talks to: `?registry=` in the page URL, else
//! `config.json` beside index.html (one built bundle serves any deployment), else the
//! page's own origin (the console served behind the registry's reverse proxy).

use gloo_net::http::Request;
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct RuntimeConfig {
    registry: Option<String>,
}

fn registry_from_page_url() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params
        .get("registry")
        .filter(|value| !value.trim().is_empty())
}

async fn registry_from_config_file() -> Option<String> {
    let response = Request::get("config.json").send().await.ok()?;
    if !response.ok() {
        return None;
    }
    let config: RuntimeConfig = response.json().await.ok()?;
    config.registry.filter(|value| !value.trim().is_empty())
}

fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// The registry base URL to use, and where that choice came from (shown to the user).
pub async fn initial_registry() -> (String, &'static str) {
    if let Some(url) = registry_from_page_url() {
        return (url, "page address");
    }
    if let Some(url) = registry_from_config_file().await {
        return (url, "config.json");
    }
    (page_origin(), "same origin as this page")
}
