//! A modal dialog shell, shared by the change dialogs and the sign-in dialog.

use leptos::prelude::*;

use crate::ui::browser;

/// A modal dialog: a backdrop, Escape and Close to close it, Tab kept inside, and the
/// keyboard focus moved into it unless a field of it already has it (a form's first
/// field takes it: `ValidatedInput`'s `autofocus`).
#[component]
pub fn Modal(
    labelled_by: &'static str,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    Effect::new(move || {
        if let Some(container) = container.get() {
            let inside = browser::focused_element().is_some_and(|f| container.contains(Some(&f)));
            if !inside {
                let _ = container.focus();
            }
        }
    });
    // The focus falls out to the page when the button it was on goes (a change done
    // removes its button): Escape and Tab still belong to the dialog then.
    let fallen_out = window_event_listener(leptos::ev::keydown, move |event| {
        let Some(container) = container.get_untracked() else {
            return;
        };
        if !browser::focus_on_page_body() {
            return;
        }
        if event.key() == "Escape" {
            on_close.run(());
        } else {
            browser::keep_focus_inside(&container, &event);
        }
    });
    on_cleanup(move || fallen_out.remove());
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())></div>
        <div
            class="dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby=labelled_by
            tabindex="-1"
            node_ref=container
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    on_close.run(());
                } else if let Some(container) = container.get_untracked() {
                    browser::keep_focus_inside(&container, &event);
                }
            }
        >
            {children()}
            <div class="dialog-close">
                <button type="button" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </div>
    }
}
