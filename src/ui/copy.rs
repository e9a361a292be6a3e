//! Copy buttons. When the browser refuses the clipboard (plain-http pages other than
//! localhost), the text is shown selected instead so the user can copy it by hand.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ui::browser;

#[derive(Clone, Copy, PartialEq, Eq)]
enum CopyState {
    Idle,
    Copied,
    Refused,
}

/// A button that copies `text`; `label` is its accessible name ("Copy digest").
#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    let state = RwSignal::new(CopyState::Idle);
    let copy_text = text.clone();
    let on_click = move |_| {
        let text = copy_text.clone();
        spawn_local(async move {
            let copied = browser::copy_to_clipboard(&text).await;
            state.try_set(if copied {
                CopyState::Copied
            } else {
                CopyState::Refused
            });
        });
    };
    view! {
        <button type="button" class="copy" aria-label=label.clone() title=label on:click=on_click>
            {move || match state.get() {
                CopyState::Copied => "Copied",
                _ => "Copy",
            }}
        </button>
        <Show when=move || state.get() == CopyState::Refused>
            <input
                class="copy-fallback"
                readonly
                aria-label="Copy this text by hand"
                prop:value=text.clone()
                on:focus=|event| {
                    use wasm_bindgen::JsCast;
                    if let Some(input) = event
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                    {
                        input.select();
                    }
                }
            />
            <span class="hint">"The browser blocked the clipboard: select the text and press Ctrl+C."</span>
        </Show>
    }
}
