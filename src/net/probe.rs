//! Telling "unreachable" from "refused by CORS". A CORS refusal reaches the page as
//! the same bare network error as a dead host; but a `no-cors` request succeeds
//! (with an opaque answer) whenever the server answers at all. And, once something
//! answers, whether it lets this page read a request that needs no preflight.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestMode};

use super::FetchClient;
use crate::oci::http::{HttpClient, Method, Request};

/// Whether anything answers HTTP at `url`, ignoring CORS.
pub async fn is_reachable(url: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let init = RequestInit::new();
    init.set_mode(RequestMode::NoCors);
    init.set_method("GET");
    let request = window.fetch_with_str_and_init(url, &init);
    match JsFuture::from(request).await {
        Ok(response) => response.dyn_into::<web_sys::Response>().is_ok(),
        Err(_) => false,
    }
}

/// The status of a GET of `url` that needs no CORS preflight (it sends no header of
/// its own), when this page may read the answer; None when it may not, or nothing
/// answered. Across origins a readable answer carries CORS headers that allow this
/// page, whatever the preflight of a request with headers would get.
pub async fn status_without_preflight(url: &str) -> Option<u16> {
    let request = Request::new(Method::Get, url);
    FetchClient::new()
        .send(request)
        .await
        .ok()
        .map(|response| response.status)
}
