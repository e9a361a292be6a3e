//! The table: only the rows on screen (and a few around them) are rendered.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::data::TagData;
use super::resolver::ResolveQueue;
use super::row::{TagRow, ROW_HEIGHT};
use crate::oci::names::Repository;
use crate::ui::browser;
use crate::ui::bulk::Selection;

/// Rows rendered above and below the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 10;

#[component]
pub(super) fn TagTable(
    data: TagData,
    visible: Memo<Vec<usize>>,
    repository: Repository,
    queue: ResolveQueue,
    selection: Selection,
    shown: Signal<Vec<String>>,
) -> impl IntoView {
    let scroll_top = RwSignal::new(0_usize);
    let scroller = NodeRef::<leptos::html::Div>::new();
    let viewport = RwSignal::new(640_usize);
    Effect::new(move || {
        if let Some(element) = scroller.get() {
            let height = usize::try_from(element.client_height()).unwrap_or(0);
            if height > 0 {
                viewport.set(height);
            }
        }
    });
    let window = move || {
        let rows = visible.read();
        // The rows in view, and OVERSCAN more on each side where there are any: at
        // the top of the table no rows above, so the first render builds fewer.
        let top_row = scroll_top.get() / ROW_HEIGHT;
        let first = top_row.saturating_sub(OVERSCAN);
        let last = (top_row + viewport.get().div_ceil(ROW_HEIGHT) + OVERSCAN).min(rows.len());
        let tags = data.tags.read();
        (first.min(last)..last)
            .map(|position| (position, tags[rows[position]].clone()))
            .collect::<Vec<_>>()
    };
    // Rows on screen jump the queue: their digests are what the user is looking at.
    let on_screen = Memo::new(move |_| window());
    let queue = SendWrapper::new(queue);
    Effect::new(move || {
        on_screen.with(|rows| {
            let waiting: Vec<String> = rows
                .iter()
                .filter(|(_, tag)| !data.is_current(tag))
                .map(|(_, tag)| tag.clone())
                .collect();
            queue.put_first(waiting);
        })
    });
    // When the window shifts by several rows, the keyed list moves rows in the DOM,
    // and a moved element loses the keyboard focus (Shift+Tab onto a row under the
    // header, or scrolling with a button focused, left the focus on the page body).
    // The control that had it is focused again once the rows are in place.
    let kept_focus = StoredValue::new_local(None::<web_sys::HtmlElement>);
    let remember_focus = move || {
        let inside = browser::focused_element().filter(|focused| {
            scroller
                .get_untracked()
                .is_some_and(|scroller| scroller.contains(Some(focused)))
        });
        kept_focus.set_value(inside);
    };
    Effect::new(move || {
        on_screen.track();
        if let Some(control) = kept_focus.get_value() {
            if control.is_connected() && browser::focus_on_page_body() {
                let _ = control.focus();
            }
        }
    });
    let repository = StoredValue::new(repository);
    view! {
        <div
            class="tag-table"
            role="table"
            aria-label="Tags"
            aria-rowcount=move || visible.with(Vec::len) + 1
        >
            // One scroller for both ways, the header inside it: the header stays on
            // top and the Actions column at the right edge however the table scrolls
            // (a sticky cell sticks only within its own scroller).
            <div
                class="tag-scroller"
                node_ref=scroller
                on:scroll:target=move |event| {
                    remember_focus();
                    scroll_top.set(usize::try_from(event.target().scroll_top()).unwrap_or(0));
                }
            >
                <div class="tag-row tag-header" role="row" aria-rowindex="1">
                    <span role="columnheader" aria-label="Selected"></span>
                    <span role="columnheader">"Tag"</span>
                    <span role="columnheader">"Digest"</span>
                    <span role="columnheader">"What it is"</span>
                    <span role="columnheader">"Size"</span>
                    <span role="columnheader">"Created"</span>
                    <span role="columnheader">"Same image as"</span>
                    <span role="columnheader" class="tag-actions">"Actions"</span>
                </div>
                <div
                    class="tag-spacer"
                    role="rowgroup"
                    style:height=move || format!("{}px", visible.with(Vec::len) * ROW_HEIGHT)
                >
                    <For each=move || on_screen.get() key=|(position, tag)| (*position, tag.clone()) let:((position, tag))>
                        <TagRow data tag position repository=repository.get_value() selection shown />
                    </For>
                </div>
            </div>
        </div>
    }
}
