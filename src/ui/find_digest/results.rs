//! A search's results: the uses found, shown as they come, and what the search
//! came to.

use leptos::prelude::*;

use crate::model::route::View;
use crate::oci::find_digest::{reading_order, DigestUse, FindReport, Gap, ImagePart, Sought};
use crate::oci::names::{Digest, Tag};
use crate::ui::copy::CopyButton;
use crate::ui::error_view::{ErrorPanel, ResultWords};
use crate::ui::router::Link;
use crate::ui::sign_in::signed_in_user;
use crate::wording::{self, ResultLine};

use super::SearchState;

/// What the search came to, and what it may have missed, above its rows: a long list
/// would push it out of sight.
#[component]
pub(super) fn SearchResults(state: SearchState, target: Sought) -> impl IntoView {
    let summary = {
        let target = target.clone();
        move || {
            state.outcome.get().map(|outcome| match outcome {
                Ok(report) => view! { <Summary report target=target.clone() /> }.into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
            })
        }
    };
    view! {
        {summary}
        <UsesTable uses=state.uses target />
    }
}

/// How long uses found wait to be shown together: a digest that 2000 tags point at
/// arrives as 2000 uses, and the table must not be updated 2000 times. The longer the
/// table, the costlier each update (the browser lays the whole table out again), so
/// the longer the wait: 150 ms at first, 650 ms with 2000 rows, never over a second.
fn show_found_after_ms(rows_shown: usize) -> u64 {
    (150 + rows_shown as u64 / 4).min(1000)
}

/// The uses found while the search runs, shown in batches and in reading order, so
/// rows do not jump about when the report's final order comes.
#[derive(Clone)]
pub(super) struct FoundSoFar {
    shown: RwSignal<Vec<DigestUse>>,
    pending: std::rc::Rc<std::cell::RefCell<Vec<DigestUse>>>,
}

impl FoundSoFar {
    pub(super) fn new(shown: RwSignal<Vec<DigestUse>>) -> Self {
        FoundSoFar {
            shown,
            pending: Default::default(),
        }
    }

    pub(super) fn add(&self, found: DigestUse) {
        let first = {
            let mut pending = self.pending.borrow_mut();
            pending.push(found);
            pending.len() == 1
        };
        if first {
            let batch = self.clone();
            // Found after the view was left (another registry connected): dropped.
            let Some(shown) = self.shown.try_with_untracked(Vec::len) else {
                return;
            };
            let wait = show_found_after_ms(shown);
            set_timeout(move || batch.show(), std::time::Duration::from_millis(wait));
        }
    }

    pub(super) fn forget_pending(&self) {
        self.pending.borrow_mut().clear();
    }

    pub(super) fn show(&self) {
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        self.shown.try_update(|shown| {
            for found in batch {
                let at = shown.partition_point(|row| reading_order(row, &found).is_lt());
                shown.insert(at, found);
            }
        });
    }
}

#[component]
fn UsesTable(uses: RwSignal<Vec<DigestUse>>, target: Sought) -> impl IntoView {
    // The start of a digest may match several: each row says which it found.
    let by_start = target.whole().is_none();
    // Rows are added as found, never all drawn again.
    view! {
        <Show when=move || uses.with(|uses| !uses.is_empty())>
            <table class="digest-uses" aria-label="Where the digest is used">
                <thead>
                    <tr>
                        <th scope="col">"Repository"</th>
                        <th scope="col">"Tag"</th>
                        {by_start.then(|| view! { <th scope="col">"Digest"</th> })}
                        <th scope="col">"How"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || uses.get() key=|found| found.clone() let:found>
                        <UseRow found by_start />
                    </For>
                </tbody>
            </table>
        </Show>
    }
}

/// The digest a row found, when the search named only its start.
fn found_digest(found: &DigestUse) -> impl IntoView {
    let digest = match found {
        DigestUse::Tag { digest, .. } | DigestUse::ListedBy { digest, .. } => Some(digest),
        _ => None,
    };
    let cell = digest.map(|digest| {
        let full = digest.to_string();
        view! {
            <code class="found-digest" title=full.clone()>
                {format!("{}:{}…", digest.algorithm(), digest.short(19))}
            </code>
            " "
            <CopyButton text=full label="Copy digest" />
        }
    });
    view! { <td>{cell}</td> }
}

#[component]
fn UseRow(found: DigestUse, by_start: bool) -> impl IntoView {
    let repository = found.repository().to_string();
    let open = |reference: String, index: Option<String>, label: String| {
        view! {
            " ("
            <Link label view=View::Image {
                repository: repository.clone(),
                reference,
                index,
            }>"open it"</Link>
            ")"
        }
    };
    // A manifest an index lists opens as part of it, with the way back; so does the
    // platform image that has a layer.
    let open_as_part = |reference: String, tag: &Tag, platform: &Option<String>| {
        let label = format!(
            "Open the {} image of {repository}:{tag}",
            platform.as_deref().unwrap_or("listed")
        );
        open(reference, Some(tag.to_string()), label)
    };
    let as_part = match &found {
        DigestUse::Untagged { digest, .. } => Some(open(
            digest.to_string(),
            None,
            format!("Open the untagged image {repository}@{digest}"),
        )),
        DigestUse::ListedBy {
            tag,
            digest,
            platform,
            ..
        } => Some(open_as_part(digest.to_string(), tag, platform)),
        DigestUse::InImage {
            tag,
            image,
            platform: platform @ Some(_),
            ..
        } => Some(open_as_part(image.to_string(), tag, platform)),
        _ => None,
    };
    let (tag, how, kind) = match &found {
        DigestUse::Tag { tag, .. } => (
            Some(tag.to_string()),
            "the tag points at it".to_owned(),
            "tag",
        ),
        DigestUse::ListedBy {
            tag,
            index,
            platform,
            ..
        } => (
            Some(tag.to_string()),
            format!(
                "the multi-arch image {}:{}… lists it{}",
                index.algorithm(),
                index.short(12),
                platform
                    .as_ref()
                    .map(|p| format!(" as {p}"))
                    .unwrap_or_default()
            ),
            "index",
        ),
        DigestUse::InImage {
            tag,
            platform,
            part,
            ..
        } => {
            let image = match platform {
                Some(platform) => format!("its {platform} image"),
                None => "its image".to_owned(),
            };
            let (how, kind) = match part {
                ImagePart::Config => (format!("{image} has it as its configuration"), "config"),
                ImagePart::Layer { number, of } => {
                    (format!("{image} has it as layer {number} of {of}"), "layer")
                }
            };
            (Some(tag.to_string()), how, kind)
        }
        DigestUse::Untagged {
            media_type,
            maybe_tagged,
            ..
        } => (
            None,
            wording::stored_untagged(untagged_kind(media_type), *maybe_tagged),
            "untagged",
        ),
        DigestUse::Blob {
            size, maybe_tagged, ..
        } => (None, wording::stored_blob(*size, *maybe_tagged), "blob"),
    };
    let repository_view = View::Repository {
        name: repository.clone(),
    };
    let tag_cell = tag.clone().map(|tag| {
        let image_view = View::Image {
            repository: repository.clone(),
            reference: tag.clone(),
            index: None,
        };
        view! {
            <Link view=image_view>
                <code class="long-name">{tag}</code>
            </Link>
        }
    });
    let repository_text = repository.clone();
    let digest_cell = by_start.then(|| found_digest(&found));
    view! {
        <tr data-repository=repository data-tag=tag data-kind=kind>
            <td><Link view=repository_view><span class="long-name">{repository_text}</span></Link></td>
            <td>{tag_cell}</td>
            {digest_cell}
            <td>{how}{as_part}</td>
        </tr>
    }
}

/// "an image", "a multi-arch image", as an untagged manifest's type says.
fn untagged_kind(media_type: &str) -> &'static str {
    let media_type = crate::oci::media::essence(media_type);
    if crate::oci::media::is_index(&media_type) {
        "a multi-arch image (or other index)"
    } else {
        "an image"
    }
}

#[component]
fn Summary(report: FindReport, target: Sought) -> impl IntoView {
    let headline = wording::find_headline(&report, &target);
    let missed = report.may_have_missed().then(|| {
        let signed_in = signed_in_user();
        let mut lines: Vec<ResultLine> = report
            .gaps
            .iter()
            .map(|gap| wording::find_gap(gap, signed_in.as_deref()))
            .collect();
        if report.gap_count > report.gaps.len() {
            lines.push(format!("… and {} more.", report.gap_count - report.gaps.len()).into());
        }
        let why = if report.cancelled && report.progress.repositories_total == 0 {
            "Cancelled before the list of repositories was read: nothing was searched."
                .to_owned()
        } else if report.cancelled {
            wording::search_cancelled(&report.progress, &report.cut_short)
        } else if report.gap_count == 1 && matches!(report.gaps[..], [Gap::NotSha256 { .. }]) {
            // Nothing failed to be read: searching again would not help.
            "The search may have missed some:".to_owned()
        } else {
            "The search may have missed some: parts of the registry could not be read. Search again to retry them.".to_owned()
        };
        view! {
            <div class="error-panel may-have-missed" role="alert">
                <p>{why}</p>
                <ul>{lines.into_iter().map(|line| view! { <li><ResultWords line /></li> }).collect_view()}</ul>
            </div>
        }
    });
    // What the start of a digest can find, and whether it named one image.
    let by_start = target.whole().is_none().then(|| {
        let distinct: std::collections::BTreeSet<&Digest> = report
            .uses
            .iter()
            .filter_map(|found| match found {
                DigestUse::Tag { digest, .. } | DigestUse::ListedBy { digest, .. } => Some(digest),
                _ => None,
            })
            .collect();
        let several = (distinct.len() > 1).then(|| {
            format!(
                " {} different digests start with {target}: the Digest column tells them apart.",
                distinct.len()
            )
        });
        // An IMAGE ID from docker images (classic image store) is the configuration's
        // digest, which no tag points at.
        let from_docker = report.uses.is_empty().then_some(
            " If it is an IMAGE ID from docker images: Docker's classic image store shows the configuration's digest there. docker inspect --format '{{index .RepoDigests 0}}' IMAGE prints the digest this registry knows the image by.",
        );
        view! {
            <p class="find-by-start">
                {format!("Searched for the images whose digest starts with {target}: what tags point at, and what multi-arch images list. A layer or an image configuration can be found by its whole digest only.")}
                {several}
                {from_docker}
            </p>
        }
    });
    // The headline counts the uses kept; beyond them, only a count.
    let not_listed = (report.uses_not_kept > 0).then(
        || view! { <p class="find-summary">{wording::uses_not_listed(report.uses_not_kept)}</p> },
    );
    view! {
        <p class="find-summary">{headline}</p>
        {not_listed}
        {by_start}
        {missed}
    }
}
