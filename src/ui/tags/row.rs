//! One row of the table: a tag, its digest and what the image is.

use leptos::prelude::*;

use super::data::{Lookup, TagData};
use crate::model::format::{human_size, short_timestamp};
use crate::model::route::View;
use crate::oci::image_summary::{ImageKind, ImageSummary};
use crate::oci::names::{Repository, Tag};
use crate::ui::bulk::Selection;
use crate::ui::change_dialog::{use_dialog, ChangeRequest};
use crate::ui::copy::CopyButton;
use crate::ui::router::Link;
use crate::ui::sign_in::blocked_reasons;
use crate::wording;

/// Pixels; whole numbers, so no float formatting code is linked into the bundle.
pub(super) const ROW_HEIGHT: usize = 40;
/// Other tags named in a row's "same image as" badge before "+N more".
const SHARED_TAGS_SHOWN: usize = 3;

/// Columns the message of an unread digest spans: digest, what it is, size, created.
const UNREAD_SPAN: u32 = 4;

#[component]
pub(super) fn TagRow(
    data: TagData,
    tag: String,
    position: usize,
    repository: Repository,
    selection: Selection,
    shown: Signal<Vec<String>>,
) -> impl IntoView {
    let digest_tag = tag.clone();
    let digest = Memo::new(move |_| data.digest_of(&digest_tag));
    let rechecking_tag = tag.clone();
    let rechecking = Memo::new(move |_| data.rechecking.with(|r| r.contains(&rechecking_tag)));
    let summary_tag = tag.clone();
    let summary = Memo::new(move |_| data.summary_of(&summary_tag));
    // A row from an earlier visit, until read again, is in no group of tags sharing
    // an image (recheck_tags) and shows none: its digest may have moved.
    let shared_tag = tag.clone();
    let others = move || match digest.get() {
        Some(Lookup::Ready(_)) if rechecking.get() => (Vec::new(), 0),
        Some(Lookup::Ready(d)) => data
            .shared
            .with(|s| s.others(&shared_tag, d.as_str(), SHARED_TAGS_SHOWN)),
        _ => (Vec::new(), 0),
    };
    // The colour of the rows of an image two or more tags share; none for the rest.
    let hue = Memo::new(move |_| match digest.get() {
        Some(Lookup::Ready(_)) if rechecking.get() => None,
        Some(Lookup::Ready(d)) => data.shared.with(|s| s.hue(d.as_str())),
        _ => None,
    });
    let hue_value = move || hue.get().unwrap_or_default().to_string();
    // (cell text, tooltip with the whole text or the failure's detail)
    let kind_text = move || match summary.get() {
        None => (String::new(), String::new()),
        Some(Lookup::Failed(failure)) => {
            (format!("unreadable: {}", failure.headline), failure.detail)
        }
        Some(Lookup::Ready(summary)) => {
            let text = describe_kind(&summary.kind);
            let title = match summary.config_unreadable {
                Some(_) => format!(
                    "{text}: the platform and creation date are in the registry's storage, \
                     which could not be read (see above the table)"
                ),
                None => text.clone(),
            };
            (text, title)
        }
    };
    // A digest that could not be read leaves nothing for the cells after it: its
    // message takes their room (style/main.css `.tag-row.unread`).
    let unread = move || matches!(digest.get(), Some(Lookup::Failed(_)));
    // Styles go through the CSS object model (`style:`), never a style attribute,
    // so the Content-Security-Policy needs no 'unsafe-inline'.
    let top = format!("{}px", position * ROW_HEIGHT);
    let image = View::Image {
        repository: repository.to_string(),
        reference: tag.clone(),
        index: None,
    };
    let label = tag.clone();
    let copy_tag = tag.clone();
    let action_tag = tag.clone();
    let selected_tag = tag.clone();
    let is_selected = move || selection.tags.with(|s| s.contains(&selected_tag));
    view! {
        <div
            class="tag-row"
            class:unread=unread
            role="row"
            data-tag=tag.clone()
            aria-rowindex=position + 2
            style:top=top
        >
            <span role="cell" class="tag-select">
                <input
                    type="checkbox"
                    aria-label=format!("Select {tag}")
                    prop:checked=is_selected
                    on:click=move |event| {
                        shown.with_untracked(|shown| selection.click(position, shown, event.shift_key()));
                    }
                />
            </span>
            <span role="cell" class="tag-name" title=tag.clone()>
                <Link view=image>{label}</Link>
            </span>
            <span role="cell" class="tag-digest" aria-colspan=move || unread().then_some(UNREAD_SPAN)>
                {move || match digest.get() {
                    None => view! { <span class="pending">"…"</span> }.into_any(),
                    Some(Lookup::Failed(failure)) => view! {
                        <span class="cell-error" title=failure.detail>{format!("unavailable: {}", failure.headline)}</span>
                    }
                    .into_any(),
                    Some(Lookup::Ready(d)) => {
                        let full = d.to_string();
                        let title = move || if rechecking.get() {
                            format!("{full} (known from earlier in this tab; being checked again)")
                        } else {
                            full.clone()
                        };
                        let full = d.to_string();
                        view! {
                            <code
                                class="digest"
                                class:rechecking=move || rechecking.get()
                                class:same-image=move || hue.get().is_some()
                                title=title
                                style:--digest-hue=hue_value
                            >
                                {format!("{}:{}", d.algorithm(), d.short(12))}
                            </code>
                            // The mark above is colour, a dash and a tooltip: said in words too.
                            <Show when=move || rechecking.get()>
                                <span class="visually-hidden">" (known from earlier; being checked again)"</span>
                            </Show>
                            <CopyButton text=full.clone() label=format!("Copy the digest of {copy_tag}") />
                            <Link
                                class="find-digest-link"
                                view=View::FindDigest { digest: full }
                                label=format!("Find where {} is used", d.short(12))
                            >
                                "Find"
                            </Link>
                        }
                            .into_any()
                    }
                }}
            </span>
            <span role="cell" class="tag-kind" title=move || kind_text().1>{move || kind_text().0}</span>
            <span role="cell" class="tag-size">
                {move || match summary.get() {
                    Some(Lookup::Ready(ImageSummary { size: Some(size), .. })) => human_size(size),
                    _ => String::new(),
                }}
            </span>
            <span role="cell" class="tag-created">
                {move || match summary.get() {
                    Some(Lookup::Ready(ImageSummary { created: Some(created), .. })) => {
                        short_timestamp(&created)
                    }
                    _ => String::new(),
                }}
            </span>
            <span role="cell" class="tag-shared">
                {move || {
                    let (others, total) = others();
                    (total > 0)
                        .then(|| {
                            view! {
                                <span
                                    class="shared-badge"
                                    style:--digest-hue=hue_value
                                    title="These tags point at the same image (same digest)"
                                >
                                    {summarize_others(&others, total)}
                                </span>
                            }
                        })
                }}
            </span>
            <span role="cell" class="tag-actions">
                // A digest from an earlier visit is not acted on until read again.
                {move || match digest.get() {
                    Some(Lookup::Ready(_)) if rechecking.get() => None,
                    Some(Lookup::Ready(d)) => {
                        // Only a valid tag is resolved to a digest: this parses.
                        let remove_tag = Tag::parse(&action_tag).ok()?;
                        let dialog = use_dialog();
                        let (add_repository, remove_repository) = (repository.clone(), repository.clone());
                        let add_tag = action_tag.clone();
                        let add_digest = d.clone();
                        let seen_tag = remove_tag.clone();
                        let (add_blocked, remove_blocked) = blocked_reasons(repository.as_str());
                        // Named for the row: a screen reader lists every row's buttons.
                        let add_name = format!("Add tag to the image of {action_tag}");
                        let remove_name = format!("Remove tag {action_tag}");
                        Some(view! {
                            <button
                                type="button"
                                aria-label=add_name
                                disabled=move || add_blocked.get().is_some()
                                title=move || add_blocked.get()
                                on:click=move |_| dialog.open(ChangeRequest::AddTag {
                                    repository: add_repository.clone(),
                                    digest: add_digest.clone(),
                                    source: add_tag.clone(),
                                    seen_tag: Some(seen_tag.clone()),
                                })
                            >"Add tag"</button>
                            <button
                                type="button"
                                aria-label=remove_name
                                disabled=move || remove_blocked.get().is_some()
                                title=move || remove_blocked.get()
                                on:click=move |_| dialog.open(ChangeRequest::Remove {
                                    repository: remove_repository.clone(),
                                    tag: remove_tag.clone(),
                                    digest: d.clone(),
                                })
                            >"Remove tag"</button>
                        })
                    }
                    _ => None,
                }}
            </span>
        </div>
    }
}

fn describe_kind(kind: &ImageKind) -> String {
    match kind {
        ImageKind::Image { platform: Some(p) } => format!("image {p}"),
        ImageKind::Image { platform: None } => "image".to_owned(),
        ImageKind::MultiArch { platforms } => format!("multi-arch: {}", platforms.join(", ")),
        ImageKind::Index {
            manifests,
            artifacts,
        } => format!(
            "index of {}",
            if *artifacts {
                wording::plural(*manifests, "artifact", "artifacts")
            } else {
                wording::plural(*manifests, "manifest", "manifests")
            }
        ),
        ImageKind::Other { media_type } => format!("other: {media_type}"),
    }
}

fn summarize_others(shown: &[String], total: usize) -> String {
    let mut text = shown.join(", ");
    if total > shown.len() {
        text.push_str(&format!(" +{} more", total - shown.len()));
    }
    text
}
