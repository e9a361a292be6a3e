//! A file made in the page, offered as a download: a Blob behind an object URL
//! (`blob:` of this page's own origin, which the Content-Security-Policy does not
//! restrict for a download link), released when the link goes away.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

fn object_url(content: &str, mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(content));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

#[component]
pub fn DownloadLink(
    content: String,
    mime: &'static str,
    file_name: String,
    label: &'static str,
) -> impl IntoView {
    let url = object_url(&content, &format!("{mime};charset=utf-8"));
    if let Some(url) = url.clone() {
        on_cleanup(move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        });
    }
    match url {
        Some(url) => view! { <a class="download" href=url download=file_name>{label}</a> }.into_any(),
        None => view! { <span class="field-error">{format!("{label}: this browser could not make the file")}</span> }.into_any(),
    }
}
