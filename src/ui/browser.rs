//! Small wrappers over browser APIs the views use: the address bar, local storage
//! and the clipboard. Failures here are never fatal, so these return plain values.

use wasm_bindgen_futures::JsFuture;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

pub fn location_search() -> String {
    window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

pub fn page_origin() -> String {
    window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// The address for `query` on this page (path kept, so it works from any folder).
pub fn page_address(query: &str) -> String {
    // Read once: every address this console makes keeps the path, so it never changes
    // while the page lives, and each row's links ask for it (three calls into JS).
    thread_local! {
        static PATH: String = window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_else(|| "/".into());
    }
    PATH.with(|path| format!("{path}{query}"))
}

pub fn push_address(address: &str) {
    if let Some(history) = window().and_then(|w| w.history().ok()) {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(address));
    }
}

/// A setting of the current view kept in the address (see
/// [`crate::model::route::query_param`]).
pub fn view_setting(key: &str) -> Option<String> {
    crate::model::route::query_param(&location_search(), key)
}

/// Keeps a view setting in the address without a new history entry or navigation.
pub fn keep_view_setting(key: &str, value: &str) {
    let search = crate::model::route::with_query_param(&location_search(), key, value);
    if let Some(history) = window().and_then(|w| w.history().ok()) {
        let address = page_address(&search);
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
}

pub fn set_title(title: &str) {
    if let Some(document) = window().and_then(|w| w.document()) {
        document.set_title(title);
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    window()?.local_storage().ok().flatten()
}

/// Parses JSON the page stored or fetched itself. Through `from_slice`, as the
/// registry's answers are parsed: serde_json's reader is then built into the wasm
/// once, not once more for `&str` input.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_slice(text.as_bytes()).ok()
}

pub fn stored(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

pub fn store(key: &str, value: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(key, value);
    }
}

/// Copies `text`; false when the browser refuses (no clipboard on insecure origins).
pub async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = window() else {
        return false;
    };
    let clipboard = window.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}

/// A fetch client whose requests stop when the calling view goes away (the user
/// navigated elsewhere): nothing keeps loading for a view nobody sees.
pub fn client_for_this_view() -> crate::net::FetchClient {
    stoppable_client_for_this_view().0
}

/// Stops every request of one client at once, those in flight included.
#[derive(Clone)]
pub struct RequestStopper(Option<send_wrapper::SendWrapper<web_sys::AbortController>>);

impl RequestStopper {
    pub fn stop(&self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// As [`client_for_this_view`], with a handle that stops its requests sooner (a
/// Cancel button that should not wait for the requests already sent).
pub fn stoppable_client_for_this_view() -> (crate::net::FetchClient, RequestStopper) {
    use crate::net::FetchClient;
    let Ok(controller) = web_sys::AbortController::new() else {
        return (FetchClient::new(), RequestStopper(None));
    };
    let client = FetchClient::cancelled_by(&controller);
    let stopper = RequestStopper(Some(send_wrapper::SendWrapper::new(controller)));
    let on_leave = stopper.clone();
    leptos::prelude::on_cleanup(move || on_leave.stop());
    (client, stopper)
}

/// The element that has the keyboard focus, if it is an HTML element.
pub fn focused_element() -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    window()?
        .document()?
        .active_element()?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

/// The table row (its `aria-rowindex`) that `element` is in, if any.
pub fn row_index_of(element: &web_sys::HtmlElement) -> Option<String> {
    element
        .closest("[role=\"row\"][aria-rowindex]")
        .ok()??
        .get_attribute("aria-rowindex")
}

/// Gives the keyboard focus to the first control of the row now at `row_index`, or
/// of the one above it (the row was the last), for a control whose row went away (a
/// tag removed). Whether a control took it.
pub fn focus_row_near(row_index: &str) -> bool {
    let Some(document) = window().and_then(|w| w.document()) else {
        return false;
    };
    let above = row_index.parse::<u32>().ok().and_then(|i| i.checked_sub(1));
    let candidates = std::iter::once(row_index.to_owned()).chain(above.map(|i| i.to_string()));
    for index in candidates {
        let selector = format!("[role=\"row\"][aria-rowindex=\"{index}\"] input, [role=\"row\"][aria-rowindex=\"{index}\"] a[href]");
        if let Some(control) = document
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            return control.focus().is_ok();
        }
    }
    false
}

/// Focuses `button` each time it is shown, a frame after it is attached: the harmless
/// answer of a question that appears (its Cancel or Back), so the keyboard lands there.
pub fn focus_whenever_shown(button: leptos::prelude::NodeRef<leptos::html::Button>) {
    use leptos::prelude::*;
    Effect::new(move || {
        if let Some(button) = button.get() {
            request_animation_frame(move || {
                let _ = button.focus();
            });
        }
    });
}

/// Gives `field` the keyboard focus once it is in the page (a form in a Suspense is
/// built before it is attached: while a resource it reads, such as a copy's
/// referrers, is loading), looking once per frame for up to `frames` frames. Only
/// while nothing else took the focus in the meantime: the page's body, or the dialog
/// the field is in, still has it.
pub fn focus_once_in_page(field: web_sys::HtmlElement, frames: u32) {
    if field.is_connected() {
        let dialog = field.closest("[role=\"dialog\"]").ok().flatten();
        let focused = focused_element();
        let free = focus_on_page_body()
            || match (&focused, &dialog) {
                (Some(focused), Some(dialog)) => {
                    let focused: &web_sys::Element = focused.as_ref();
                    focused == dialog
                }
                _ => false,
            };
        if free {
            let _ = field.focus();
        }
    } else if frames > 0 {
        leptos::prelude::request_animation_frame(move || focus_once_in_page(field, frames - 1));
    }
}

/// Gives the keyboard focus to the Close button of the dialog `inside` is in (`Modal`).
pub fn focus_close_of_dialog_around(inside: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let close = inside
        .closest("[role=\"dialog\"]")
        .ok()
        .flatten()
        .and_then(|dialog| dialog.query_selector(".dialog-close button").ok().flatten())
        .and_then(|button| button.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(close) = close {
        let _ = close.focus();
    }
}

/// Whether nothing in particular has the keyboard focus: the page's body has it.
pub fn focus_on_page_body() -> bool {
    let Some(document) = window().and_then(|w| w.document()) else {
        return false;
    };
    match (document.active_element(), document.body()) {
        (None, _) => true,
        (Some(active), Some(body)) => active == *body.as_ref(),
        (Some(_), None) => false,
    }
}

const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
                         select:not([disabled]), textarea:not([disabled]), summary";

/// Keeps Tab and Shift+Tab cycling inside `container` (a modal dialog), and moves the
/// focus into it when it is outside.
pub fn keep_focus_inside(container: &web_sys::HtmlElement, event: &web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    if event.key() != "Tab" {
        return;
    }
    let Ok(list) = container.query_selector_all(FOCUSABLE) else {
        return;
    };
    let focusable: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
        return;
    };
    let focused = focused_element();
    let at = |element: &web_sys::HtmlElement| focused.as_ref() == Some(element);
    let outside = !focused
        .as_ref()
        .is_some_and(|f| container.contains(Some(f)));
    let wrap_to = if event.shift_key() && (at(first) || at(container) || outside) {
        Some(last)
    } else if !event.shift_key() && (at(last) || outside) {
        Some(first)
    } else {
        None
    };
    if let Some(target) = wrap_to {
        event.prevent_default();
        let _ = target.focus();
    }
}

/// This tab's session storage: it survives reloads of the tab. Other tabs do not see
/// it, but a tab duplicated from this one starts with a copy of it (the journal of
/// a change still running here included).
fn session_storage() -> Option<web_sys::Storage> {
    window()?.session_storage().ok().flatten()
}

pub fn session_stored(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok().flatten()
}

/// Whether the browser gives this tab a session storage at all.
pub fn has_session_storage() -> bool {
    session_storage().is_some()
}

/// False when the browser refused (storage full or disabled).
pub fn session_store(key: &str, value: &str) -> bool {
    session_storage().is_some_and(|storage| storage.set_item(key, value).is_ok())
}

pub fn session_remove(key: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(key);
    }
}

/// The keys and values of this tab's session storage whose key `wanted` accepts.
pub fn session_entries(wanted: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let Some(storage) = session_storage() else {
        return Vec::new();
    };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|at| storage.key(at).ok().flatten())
        .filter(|key| wanted(key))
        .collect();
    keys.into_iter()
        .filter_map(|key| Some((key.clone(), storage.get_item(&key).ok()??)))
        .collect()
}

// Web Locks, for the journal (`ui::journal`): each page load holds a lock named after
// its owner id while it lives, which the browser lets go when the page goes away
// (reload, close, crash). Where the browser has no Web Locks (not a secure context:
// plain http to a host other than localhost) no lock is held and no owner is found
// alive: every change found in the journal is reconciled, as before pages were told
// apart. Two JS functions are less wasm than web-sys's bindings of the API.
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const lockOf = (owner) => `tagdeck.page.${owner}`;
export function holdOwnerLock(owner) {
  navigator.locks?.request(lockOf(owner), () => new Promise(() => {}));
}
export async function liveOwners(owners, waitMs) {
  const locks = navigator.locks;
  if (!locks) return '';
  const alive = await Promise.all(owners.split(' ').map((owner) => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), waitMs);
    return locks.request(lockOf(owner), { signal: stop.signal }, () => '')
      .catch((e) => (e.name === 'AbortError' ? owner : ''));
  }));
  return alive.join(' ');
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = holdOwnerLock)]
    fn hold_owner_lock(owner: &str);
    #[wasm_bindgen(js_name = liveOwners)]
    fn live_owners(owners: &str, wait_ms: u32) -> js_sys::Promise;
}

/// Holds the lock of page load `owner` for as long as the page lives.
pub fn hold_while_page_lives(owner: u64) {
    hold_owner_lock(&owner.to_string());
}

/// Which of `owners` are page loads still running: their lock is not granted within
/// `wait_ms`. A lock that is free is granted at once, so only a held one waits:
/// that of a live page, or of the document a reload is replacing, which the browser
/// may release a moment after the new document starts (hence a wait, not a single
/// look at which locks are held).
pub async fn live_page_owners(owners: &[u64], wait_ms: u32) -> Vec<u64> {
    let asked: Vec<String> = owners.iter().map(u64::to_string).collect();
    let alive = JsFuture::from(live_owners(&asked.join(" "), wait_ms)).await;
    let alive = alive.ok().and_then(|a| a.as_string()).unwrap_or_default();
    alive.split(' ').filter_map(|o| o.parse().ok()).collect()
}

thread_local! {
    /// Origins the page's Content-Security-Policy refused to connect to.
    static BLOCKED_ORIGINS: std::cell::RefCell<Vec<String>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Listens for the browser's reports of connections the page's Content-Security-
/// Policy refused, so a registry the deployment does not allow is explained as such
/// rather than as an unreachable host (fetch reports both the same way).
pub fn watch_policy_refusals() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let listener = Closure::<dyn Fn(web_sys::SecurityPolicyViolationEvent)>::new(
        |event: web_sys::SecurityPolicyViolationEvent| {
            if event.effective_directive() == "connect-src" {
                let blocked = event.blocked_uri();
                // A blob the registry redirected to its storage is reported under the
                // blob's own URL (the page may not learn where it was sent): that
                // refusal is the storage's, and says nothing of the registry.
                if !crate::oci::client::is_blob_url(&blocked) {
                    let origin = crate::oci::pagination::origin_of(&blocked);
                    BLOCKED_ORIGINS.with(|b| {
                        let mut origins = b.borrow_mut();
                        if !origins.contains(&origin) {
                            origins.push(origin);
                        }
                    });
                }
            }
        },
    );
    let _ = document.add_event_listener_with_callback(
        "securitypolicyviolation",
        listener.as_ref().unchecked_ref(),
    );
    // Lives as long as the page.
    listener.forget();
}

/// Whether the page's policy refused a connection to `url`'s origin.
pub fn refused_by_policy(url: &str) -> bool {
    let origin = crate::oci::pagination::origin_of(url);
    BLOCKED_ORIGINS.with(|b| b.borrow().contains(&origin))
}
