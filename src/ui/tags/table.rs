//! The table: only the rows on screen (and a few around them) are rendered.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::data::TagData;
use super::resolver::ResolveQueue;
use super::row::{TagRow, ROW_HEIGHT};
use crate::model::tag_table::scroller_height;
use crate::oci::names::Repository;
use crate::ui::browser;
use crate::ui::bulk::Selection;

/// Frames a scroller not yet in the page is waited for (about 3 s at 60 frames a
/// second); a later change to the rows fits it as well.
const MAX_FRAMES_TO_FIT: u32 = 180;

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
    // The scroller's height (CSS gives 70vh until it is fitted): its rows' when they
    // fit below its top, else what the window has left there, so that the sideways
    // scrollbar is on screen (scroller_height).
    let fitted = RwSignal::new(None::<u32>);
    // Whether it could be fitted: not while it is out of the page or not laid out
    // (its top would read 0, and it would take the whole window below its top).
    let fit = move || -> bool {
        let (Some(element), Some(window)) = (scroller.get_untracked(), web_sys::window()) else {
            return false;
        };
        if !element.is_connected() || element.offset_parent().is_none() {
            return false;
        }
        let window_height = window.inner_height().ok().and_then(|h| h.as_f64());
        let page_top = window.scroll_y().unwrap_or(0.0);
        // The sideways scrollbar, when there is one, is part of the height.
        let scrollbar = f64::from(element.offset_height() - element.client_height()).max(0.0);
        let rows = visible.with_untracked(Vec::len) + 1;
        let content = (rows * ROW_HEIGHT) as f64 + scrollbar;
        let top = element.get_bounding_client_rect().top() + page_top;
        // Whole pixels: no float formatting in the bundle.
        let height = scroller_height(content, top, window_height.unwrap_or(800.0)).round();
        if fitted.get_untracked() != Some(height as u32) {
            fitted.set(Some(height as u32));
        }
        let inside = (height - scrollbar).max(0.0) as usize;
        if inside > 0 && viewport.get_untracked() != inside {
            viewport.set(inside);
        }
        true
    };
    // Again when the rows change, when what is above the table may have changed (the
    // bulk bar comes with a selection), when the window is resized, and on scroll.
    // A scroller just made is not in the page yet: it is fitted again at each frame
    // until it is, for a few seconds at most.
    let next_frame = RwSignal::new(0_u32);
    Effect::new(move || {
        scroller.track();
        visible.with(Vec::len);
        selection.tags.with(|tags| tags.is_empty());
        let frames = next_frame.get();
        if !fit() && frames < MAX_FRAMES_TO_FIT {
            request_animation_frame(move || {
                next_frame.try_update(|n| *n += 1);
            });
        }
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| {
        fit();
    });
    on_cleanup(move || on_resize.remove());
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
    // A frame later: the keyed list may move the rows after this effect runs (on a
    // busy machine it did, and the focus was lost after it was looked for).
    Effect::new(move || {
        on_screen.track();
        request_animation_frame(move || {
            if let Some(control) = kept_focus.try_get_value().flatten() {
                if control.is_connected() && browser::focus_on_page_body() {
                    let _ = control.focus();
                }
            }
        });
    });
    let repository = StoredValue::new(repository);
    view! {
        // Shown on a phone-sized window only (style/main.css), where the buttons
        // scroll with the columns and nothing else says they are there.
        <p class="scroll-hint" aria-hidden="true">
            "Scroll the table sideways for each tag's kind, size, date and its Add tag and Remove tag buttons."
        </p>
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
                style:height=move || fitted.get().map(|h| format!("{h}px")).unwrap_or_default()
                on:scroll:target=move |event| {
                    // A scroll queued as the view was left may arrive after it.
                    if scroll_top.is_disposed() {
                        return;
                    }
                    remember_focus();
                    fit();
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
