//! The count above the table, and why the list may be incomplete or failed.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::data::{Listing, Lookup, TagData};
use crate::ui::error_view::{ErrorPanel, FailurePanel};
use crate::wording::{self, Message, TagCount, TagListState};

#[component]
pub(super) fn Progress(
    data: TagData,
    visible: Memo<Vec<usize>>,
    /// Asks again for every digest, and every image's summary, that could not be read.
    read_again: Callback<()>,
    /// Lists the tags again after the listing failed.
    list_again: Callback<()>,
) -> impl IntoView {
    // Digests read in this visit; those known from an earlier one do not count.
    let current = move || {
        data.digests
            .with(HashMap::len)
            .saturating_sub(data.rechecking.with(HashSet::len))
    };
    let busy = move || {
        matches!(data.listing.get(), Listing::Loading) || current() < data.tags.with(Vec::len)
    };
    // A row that says "unavailable" may be far off screen: the count says so too.
    let failed = Memo::new(move |_| {
        data.digests.with(|digests| {
            digests
                .values()
                .filter(|lookup| matches!(lookup, Lookup::Failed(_)))
                .count()
        })
    });
    // Rows whose kind says "unreadable": Read again reads their images too.
    let images_failed = Memo::new(move |_| {
        data.digests.with(|digests| {
            data.summaries.with(|summaries| {
                digests
                    .values()
                    .filter(|lookup| match lookup {
                        Lookup::Ready(digest) => {
                            matches!(summaries.get(digest), Some(Lookup::Failed(_)))
                        }
                        Lookup::Failed(_) => false,
                    })
                    .count()
            })
        })
    });
    let status = move || {
        wording::tag_count(&TagCount {
            listing: match data.listing.get() {
                Listing::Loading => TagListState::Loading,
                Listing::Done { may_be_incomplete } => TagListState::Done { may_be_incomplete },
                Listing::Failed(_) => TagListState::Failed,
            },
            total: data.tags.with(Vec::len),
            shown: visible.with(Vec::len),
            resolved: current(),
            rechecking: data.rechecking.with(HashSet::len),
            digests_failed: failed.get(),
            images_failed: images_failed.get(),
        })
    };
    // Cloud storage the page cannot read: said once here, not in every row.
    let storage_unreadable = Memo::new(move |_| {
        data.summaries.with(|summaries| {
            summaries.values().find_map(|lookup| match lookup {
                Lookup::Ready(summary) => summary.config_unreadable.clone(),
                Lookup::Failed(_) => None,
            })
        })
    });
    view! {
        // Busy while digests stream in: screen readers announce the count once it
        // settles instead of every batch.
        <div class="count-line">
            <p class="count" role="status" aria-busy=move || busy().to_string()>{status}</p>
            {move || (failed.get() + images_failed.get() > 0).then(|| view! {
                <button type="button" on:click=move |_| read_again.run(())>"Read again"</button>
            })}
        </div>
        {move || match data.listing.get() {
            Listing::Failed(error) => Some(view! { <ErrorPanel error retry=list_again /> }.into_any()),
            Listing::Done { may_be_incomplete: true } => Some(view! {
                <div class="error-panel incomplete-list" role="alert">
                    <p>"This tag list may be incomplete: its pages could not all be followed. Either a page came without a readable Link header (CORS hides it unless Access-Control-Expose-Headers lists Link) and asking the registry for the tags after it failed, or the list went past what this page reads (100,000 tags, a next-page link over 4 KiB, a page adding no new tag). Tags may be missing here, so deleting an image is refused; removing single tags is safe."</p>
                    <button type="button" on:click=move |_| list_again.run(())>"Try again"</button>
                </div>
            }.into_any()),
            _ => None,
        }}
        {move || storage_unreadable.get().map(|error| {
            let message = Message {
                headline: "Platforms and creation dates are not shown: the registry's storage could not be read".into(),
                ..wording::error(&error)
            };
            view! { <div class="storage-unreadable"><FailurePanel message /></div> }
        })}
    }
}
