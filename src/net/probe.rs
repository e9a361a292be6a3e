//! Telling "unreachable" from "refused by CORS". A CORS refusal reaches the page as
//! the same bare network error as a dead host; but a `no-cors` request succeeds
//! (with an opaque answer) whenever the server answers at all.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestMode};

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
