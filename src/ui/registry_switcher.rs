//! The registries this browser connected to, in the top bar: switch to one (its
//! catalog opens) or forget it. Addresses only: credentials are never stored.

use leptos::prelude::*;

use crate::model::route::{Route, View};
use crate::ui::browser;
use crate::ui::connect::{forget_registry, recent_registries};
use crate::ui::router::use_router;

#[component]
pub fn RegistrySwitcher(current: Signal<Option<String>>) -> impl IntoView {
    let router = use_router();
    // Read again each time the list opens: a registry connected since is listed too.
    let recent = RwSignal::new(recent_registries());
    let open = RwSignal::new(false);
    let catalog_of = |address: &str| Route {
        registry: Some(address.to_owned()),
        view: View::Catalog,
    };
    view! {
        <details
            class="registry-switcher"
            prop:open=move || open.get()
            on:toggle:target=move |event| {
                let now_open = event.target().open();
                if now_open {
                    recent.set(recent_registries());
                }
                open.set(now_open);
            }
        >
            <summary>"Registries"</summary>
            <ul aria-label="Remembered registries">
                {move || {
                    let list = recent.get();
                    if list.is_empty() {
                        return view! { <li class="hint">"None yet: registries you connect to are listed here."</li> }.into_any();
                    }
                    list.into_iter()
                        .map(|address| {
                            let is_current = {
                                let address = address.clone();
                                Memo::new(move |_| current.get().as_deref() == Some(address.as_str()))
                            };
                            let href = browser::page_address(&catalog_of(&address).to_query());
                            let (for_click, for_forget) = (address.clone(), address.clone());
                            let forget_label = format!("Forget {address}");
                            let data = address.clone();
                            view! {
                                <li class:current=is_current data-registry=data>
                                    <a
                                        href=href
                                        aria-current=move || is_current.get().then_some("true")
                                        on:click=move |event: leptos::ev::MouseEvent| {
                                            let plain = event.button() == 0
                                                && !(event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key());
                                            if plain {
                                                event.prevent_default();
                                                open.set(false);
                                                router.go(catalog_of(&for_click));
                                            }
                                        }
                                    >{address}</a>
                                    {move || is_current.get().then(|| view! { <span class="muted">" (current)"</span> })}
                                    <button
                                        type="button"
                                        class="forget"
                                        aria-label=forget_label
                                        on:click=move |_| recent.set(forget_registry(&for_forget))
                                    >"Forget"</button>
                                </li>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </ul>
        </details>
    }
}
