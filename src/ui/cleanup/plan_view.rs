//! The dry-run, as the user reads it before anything is written: every tag with its
//! fate and the rule that decided, the images deleted and those that only lose a
//! tag, the bytes garbage collection can then free, and the plan to download.

use leptos::prelude::*;

use super::download::DownloadLink;
use crate::model::format::{human_size, short_timestamp};
use crate::oci::cleanup::{CleanupPlan, Decision};
use crate::ui::browser;
use crate::wording;
use crate::wording::{plans_csv, plans_json, plural};

/// The address key of the table filter: `remove`, `keep`, or absent for all.
const SHOW_SETTING: &str = "show";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    All,
    Remove,
    Keep,
}

impl Show {
    fn key(self) -> &'static str {
        match self {
            Show::All => "",
            Show::Remove => "remove",
            Show::Keep => "keep",
        }
    }

    fn from_key(key: &str) -> Show {
        match key {
            "remove" => Show::Remove,
            "keep" => Show::Keep,
            _ => Show::All,
        }
    }

    fn admits(self, decision: Decision) -> bool {
        match self {
            Show::All => true,
            Show::Remove => decision == Decision::Remove,
            Show::Keep => decision == Decision::Keep,
        }
    }
}

/// Totals over every repository of the plan.
pub fn totals(plans: &[CleanupPlan]) -> (usize, usize, usize, u64) {
    let removed = plans.iter().map(|p| p.removed_tags().count()).sum();
    let kept = plans.iter().map(|p| p.kept_tags().count()).sum();
    let images = plans.iter().map(|p| p.delete_images.len()).sum();
    // Sizes are what the registry wrote: saturated, as each plan's own are.
    let bytes = plans
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.reclaimable_bytes));
    (removed, kept, images, bytes)
}

#[component]
pub fn PlanView(
    /// The registry the plans are of: the JSON download names it.
    registry: String,
    plans: Vec<CleanupPlan>,
    file_stem: String,
    /// A namespace: one group per repository.
    grouped: bool,
    /// Set once Apply started: the plan is then a record of what was asked.
    applied: Signal<bool>,
) -> impl IntoView {
    let show = RwSignal::new(Show::from_key(
        &browser::view_setting(SHOW_SETTING).unwrap_or_default(),
    ));
    let (removed, kept, images, bytes) = totals(&plans);
    let tags_only: usize = plans.iter().map(|p| p.tags_only.len()).sum();
    let blobs: usize = plans.iter().map(|p| p.reclaimable_blobs).sum();
    let untagged_bytes = plans
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.untagged_bytes));
    let untagged_blobs: usize = plans.iter().map(|p| p.untagged_blobs).sum();
    let json = plans_json(&registry, &plans);
    let csv = plans_csv(&plans);
    let mut summary = format!(
        "{} in {}: {} kept, {} removed. {} deleted, {} only {} tags. Garbage collection can then free up to {} ({}).",
        plural(removed + kept, "tag", "tags"),
        plural(plans.len(), "repository", "repositories"),
        kept,
        removed,
        plural(images, "image", "images"),
        plural(tags_only, "image", "images"),
        if tags_only == 1 { "loses" } else { "lose" },
        human_size(bytes),
        plural(blobs, "blob", "blobs"),
    );
    if untagged_blobs > 0 {
        summary.push_str(&wording::untagged_platforms_free(
            untagged_bytes,
            untagged_blobs,
        ));
    }
    let filter = move |choice: Show, label: &'static str| {
        view! {
            <label>
                <input
                    type="radio"
                    name="cleanup-show"
                    prop:checked=move || show.get() == choice
                    on:change=move |_| {
                        browser::keep_view_setting(SHOW_SETTING, choice.key());
                        show.set(choice);
                    }
                />
                {label}
            </label>
        }
    };
    view! {
        <section class="cleanup-plan" aria-labelledby="cleanup-plan-heading">
            <h3 id="cleanup-plan-heading">
                {move || {
                    if applied.get() {
                        "Plan, as applied: the result of each tag is below; Plan again to see the registry now"
                    } else {
                        "Plan (dry run: nothing has been changed)"
                    }
                }}
            </h3>
            <p class="cleanup-summary" role="status">{summary}</p>
            <p class="cleanup-downloads">
                "Download the plan: "
                <DownloadLink content=json mime="application/json" file_name=format!("{file_stem}.json") label="JSON" />
                " "
                <DownloadLink content=csv mime="text/csv" file_name=format!("{file_stem}.csv") label="CSV" />
            </p>
            <div class="cleanup-filter" role="radiogroup" aria-label="Show tags">
                {filter(Show::All, "All tags")}
                {filter(Show::Remove, "Removed")}
                {filter(Show::Keep, "Kept")}
            </div>
            {plans
                .into_iter()
                .map(|plan| view! { <RepositoryPlan plan show grouped /> })
                .collect_view()}
        </section>
    }
}

#[component]
fn RepositoryPlan(plan: CleanupPlan, show: RwSignal<Show>, grouped: bool) -> impl IntoView {
    let repository = plan.repository.clone();
    let refusal = plan
        .image_deletes_refused
        .as_ref()
        .map(wording::deletes_refused);
    let notes: Vec<String> = plan.notes.iter().map(wording::plan_note).collect();
    let rows = StoredValue::new(plan.tags.clone());
    let visible = move || {
        rows.with_value(|rows| {
            rows.iter()
                .filter(|t| show.get().admits(t.decision))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let deleted = plan.delete_images.clone();
    let tags_only = plan.tags_only.clone();
    view! {
        <div class="cleanup-repository" data-repository=repository.clone()>
            {grouped.then(|| view! { <h4><code>{repository.clone()}</code></h4> })}
            {refusal.map(|why| view! { <p class="error-panel cleanup-refusal" role="alert">{format!("No image is deleted: {why}.")}</p> })}
            {(!notes.is_empty()).then(|| view! {
                <ul class="cleanup-notes">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            })}
            // A narrow window scrolls the table, not the page.
            <div class="table-scroll">
            <table class="cleanup-tags" aria-label=format!("Plan for {repository}")>
                <thead>
                    <tr>
                        <th scope="col">"Tag"</th>
                        <th scope="col">"Decision"</th>
                        <th scope="col">"Why"</th>
                        <th scope="col">"Digest"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=visible key=|t| t.tag.clone() let:t>
                        {
                            let (class, decision) = match t.decision {
                                Decision::Keep => ("keep", "Keep"),
                                Decision::Remove => ("remove", "Remove"),
                            };
                            view! {
                                <tr class=class data-tag=t.tag.clone()>
                                    <td><code>{t.tag.clone()}</code></td>
                                    <td class="decision">{decision}</td>
                                    <td>{wording::tag_reason(&t.reason)}</td>
                                    <td><code>{t.digest.as_ref().map(|d| format!("{}…", d.short(12)))}</code></td>
                                    <td>{t.created.as_deref().map(short_timestamp)}</td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            </div>
            <h4>{format!("Images deleted ({})", deleted.len())}</h4>
            {if deleted.is_empty() {
                view! { <p>"None: every image stays."</p> }.into_any()
            } else {
                view! {
                    <ul class="cleanup-images" aria-label=format!("Images deleted from {repository}")>
                        {deleted
                            .into_iter()
                            .map(|image| {
                                let platforms = image.platforms.len();
                                view! {
                                    <li data-digest=image.digest.to_string()>
                                        <code>{image.digest.to_string()}</code>
                                        {format!(", with its {} {}", if image.tags.len() == 1 { "tag" } else { "tags" }, image.tags.join(", "))}
                                        {(platforms > 0).then(|| format!(
                                            "; its {} platforms that nothing kept uses ({}) are left untagged, and go when garbage collection runs with --delete-untagged",
                                            platforms,
                                            image.platforms.iter().map(|p| format!("{}…", p.short(12))).collect::<Vec<_>>().join(", "),
                                        ))}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <h4>{format!("Images that stay and only lose tags ({})", tags_only.len())}</h4>
            {if tags_only.is_empty() {
                view! { <p>"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="cleanup-images" aria-label=format!("Images that only lose tags in {repository}")>
                        {tags_only
                            .into_iter()
                            .map(|image| view! {
                                <li data-digest=image.digest.to_string()>
                                    <code>{format!("{}…", image.digest.short(12))}</code>
                                    {format!(" loses {}; kept because {}", image.removed_tags.join(", "), wording::kept_because(&image.kept_because))}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </div>
    }
}
