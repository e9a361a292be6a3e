//! The count above the table, and why the list may be incomplete or failed.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::data::{Listing, Lookup, TagData};
use crate::ui::error_view::{ErrorPanel, FailurePanel};
use crate::wording::{self, Message};

#[component]
pub(super) fn Progress(
    data: TagData,
    visible: Memo<Vec<usize>>,
    /// Asks again for every digest that could not be read.
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
    let status = move || {
        let total = data.tags.with(Vec::len);
        let resolved = current();
        let rechecking = data.rechecking.with(HashSet::len);
        let shown = visible.with(Vec::len);
        let tags = wording::plural(total, "tag", "tags");
        let listed = match data.listing.get() {
            Listing::Loading => format!("Loading tags… {total} so far"),
            Listing::Done { .. } if total == 0 => "This repository has no tags.".to_owned(),
            Listing::Done { .. } if shown == total => tags,
            Listing::Done { .. } => format!("{shown} of {tags} match"),
            // The list stopped part-way: what is shown is not all there is.
            Listing::Failed(_) if total > 0 => {
                format!("{tags} listed before the failure below; the repository may have more")
            }
            Listing::Failed(_) => "No tags could be listed: see the failure below.".to_owned(),
        };
        let listed = match failed.get() {
            0 => listed,
            1 => format!("{listed} · the digest of 1 tag could not be read"),
            n => format!("{listed} · the digests of {n} tags could not be read"),
        };
        if rechecking > 0 {
            format!("{listed} · re-checking {rechecking} digests known from before")
        } else if total > 0 && resolved < total {
            format!("{listed} · digests {resolved} of {total} loaded")
        } else {
            listed
        }
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
            {move || (failed.get() > 0).then(|| view! {
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
