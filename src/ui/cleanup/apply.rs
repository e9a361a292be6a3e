//! Apply: an explicit confirmation naming what goes, the run through
//! `Registry::apply_cleanup` (bulk removal for tags, the explicit image delete for
//! images), a result per tag, one activity entry with Undo, and afterwards why the
//! disk has not shrunk yet.

use std::collections::BTreeMap;

use leptos::html::Button;
use leptos::prelude::*;

use super::download::DownloadLink;
use super::plan_view::totals;
use crate::model::format::human_size;
use crate::net;
use crate::net::FetchClient;
use crate::oci::cleanup::{CleanupOutcome, CleanupPlan, OutcomeKind as Kind};
use crate::oci::names::{Digest, Repository};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{unique_marker, use_changes};
use crate::ui::browser;
use crate::ui::deletes_check::{AskDeletesAgain, DeletesAsk, DeletesCheck};
use crate::ui::error_view::ResultWords;
use crate::ui::journal::Ticket;
use crate::ui::sign_in::{use_sign_in, Blocked};
use crate::wording::{self, csv_cell, ResultLine};

#[derive(Clone)]
struct Line {
    kind: Kind,
    message: ResultLine,
}

fn moved(planned: &Digest, found: Option<&Digest>) -> ResultLine {
    let now = match found {
        Some(found) => format!("now points at {found}"),
        None => "no longer exists".to_owned(),
    };
    format!(
        "skipped: it moved since the plan (planned at {}…, {now}); nothing was changed for it",
        planned.short(12)
    )
    .into()
}

/// One tag's outcome in words.
fn line_of(outcome: &CleanupOutcome) -> Line {
    let kind = outcome.kind();
    let text = |message: String| ResultLine::from(message);
    let message = match outcome {
        CleanupOutcome::Moved { planned, found } => moved(planned, found.as_ref()),
        CleanupOutcome::Tag(result) => match outcome.moved() {
            Some((planned, found)) => moved(planned, found),
            None => wording::item_result(result),
        },
        CleanupOutcome::ImageDeleted { digest } => text(format!(
            "removed with its image {digest}, which was deleted"
        )),
        CleanupOutcome::ImageFailed { error, .. } => match outcome.image_changed() {
            Some(_) => text(format!(
                "skipped: its image changed since the plan, so it was not deleted ({}); \
                 nothing was changed for it",
                wording::change_error(error).detail
            )),
            None => wording::change_error(error).result_line(),
        },
        CleanupOutcome::Cancelled => text("not run: cancelled; nothing was changed for it".into()),
        CleanupOutcome::SubjectKept { subject, scheme } => {
            text(wording::referrer_kept(subject, *scheme))
        }
    };
    Line { kind, message }
}

/// The report as CSV, one row per tag: `repository,tag,result,message,requests` (the
/// requests behind a failure, one per line of the cell).
fn report_csv(lines: &BTreeMap<(String, String), Line>) -> String {
    let mut out = String::from("repository,tag,result,message,requests\r\n");
    for ((repository, tag), line) in lines {
        let requests = line.message.requests.join("\n");
        let cells = [
            repository.as_str(),
            tag,
            line.kind.key(),
            &line.message.text,
            &requests,
        ];
        out.push_str(&cells.map(csv_cell).join(","));
        out.push_str("\r\n");
    }
    out
}

/// The report as JSON: the registry, when it was applied (seconds since 1970, as the
/// plan's `plannedAt`), the summary and one entry per tag: a saved report says where
/// and when it ran.
fn report_json(
    registry: &str,
    applied_at: i64,
    summary: &str,
    lines: &BTreeMap<(String, String), Line>,
) -> String {
    let items: Vec<serde_json::Value> = lines
        .iter()
        .map(|((repository, tag), line)| {
            serde_json::json!({
                "repository": repository,
                "tag": tag,
                "result": line.kind.key(),
                "message": line.message.text,
                "requests": line.message.requests,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "registry": registry,
        "appliedAt": applied_at,
        "summary": summary,
        "tags": items,
    }))
    .unwrap_or_default()
}

/// What one Apply did.
#[derive(Clone)]
struct Report {
    /// When the run ended, in seconds since 1970.
    applied_at: i64,
    summary: String,
    warnings: Vec<ResultLine>,
    images_deleted: usize,
}

#[component]
pub fn ApplyPanel(
    registry: String,
    plans: Vec<CleanupPlan>,
    file_stem: String,
    /// Set when Apply starts (the plan above then says it was applied).
    apply_started: RwSignal<bool>,
    /// Whether the form's rules differ from the plan's: Apply would act on rules the
    /// form no longer shows, so it waits for Plan.
    rules_edited: Signal<bool>,
    /// Set while Apply runs: a new plan would replace this panel, its progress and
    /// Cancel, and read a registry in the middle of changing. The registry's own
    /// (`ApplyUnderWay`), which outlives this panel and the registry's views.
    applying: ArcRwSignal<bool>,
) -> impl IntoView {
    let changes = use_changes();
    let sign_in = use_sign_in();
    let (removed, _, images, bytes) = totals(&plans);
    let repositories: Vec<String> = plans.iter().map(|p| p.repository.clone()).collect();
    let blocked = Signal::derive(move || {
        let sign_in = sign_in?;
        repositories.iter().find_map(|r| sign_in.removal_blocked(r))
    });
    let blocked_why = Signal::derive(move || blocked.get().map(|b| b.why()));
    let confirming = RwSignal::new(false);
    let cancelled = RwSignal::new(false);
    // Every removal needs a delete: asked when Apply… is pressed, not by looking.
    let deletes = DeletesCheck::new();
    let first_repository = plans
        .iter()
        .find(|p| p.removed_tags().next().is_some())
        .and_then(|p| Repository::parse(&p.repository).ok());
    // The keyboard's place follows the question: on its harmless answer (Back) when
    // it appears, and on Apply… again after Back. Each button is built anew when
    // shown, so it is focused once it is in the page, a frame later.
    let (apply_button, back_button) = (NodeRef::<Button>::new(), NodeRef::<Button>::new());
    let focus_apply = StoredValue::new(false);
    browser::focus_whenever_shown(back_button);
    Effect::new(move || {
        if let Some(apply) = apply_button.get() {
            if focus_apply.get_value() {
                focus_apply.set_value(false);
                request_animation_frame(move || {
                    let _ = apply.focus();
                });
            }
        }
    });
    // (repository, tag) → what happened, filled in as the run goes.
    let lines = RwSignal::new(BTreeMap::<(String, String), Line>::new());
    // Where Check again asks, when the registry was found not to delete.
    let ask_again_at = StoredValue::new((registry.clone(), first_repository.clone()));
    let ask_then_confirm = {
        let registry = registry.clone();
        Callback::new(move |()| match first_repository.clone() {
            Some(repository) => deletes.then_proceed(&registry, repository, move || {
                confirming.try_set(true);
            }),
            None => confirming.set(true),
        })
    };
    let asked_again = DeletesAsk::new(Some(Callback::new(move |()| {
        deletes.off.try_set(false);
    })));
    let ask_again = move || {
        let (registry, repository) = ask_again_at.get_value();
        // A plan that removes no tag asks nothing.
        repository.map(|repository| {
            view! {
                <AskDeletesAgain registry repository ask=asked_again />
            }
        })
    };
    let context = StoredValue::new((registry, plans));
    let apply = Action::new_local(move |_: &()| {
        let (registry, plans) = context.get_value();
        let applying = applying.clone();
        async move {
            applying.set(true);
            lines.try_set(BTreeMap::new());
            cancelled.try_set(false);
            let target = match plans.as_slice() {
                [one] => one.repository.clone(),
                _ => format!("{} repositories", plans.len()),
            };
            let what = format!("Clean-up of {target}");
            let ticket = Ticket::open(&registry, &what);
            let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
            let mut undo: Vec<UndoAction> = Vec::new();
            let mut warnings = Vec::new();
            let mut images_deleted = 0;
            // Kept here as well as shown: the view may be left while the run goes on,
            // and the run still reaches the activity list.
            let outcomes = std::cell::RefCell::new(BTreeMap::new());
            for plan in &plans {
                let repository = plan.repository.clone();
                let on_item = |tag: &str, outcome: &CleanupOutcome| {
                    let line = line_of(outcome);
                    let key = (repository.clone(), tag.to_owned());
                    lines.try_update(|l| l.insert(key.clone(), line.clone()));
                    outcomes.borrow_mut().insert(key, line);
                };
                // Only Cancel stops a run; leaving the view does not.
                let is_cancelled = move || cancelled.try_get_untracked().unwrap_or(false);
                match client
                    .apply_cleanup(plan, &is_cancelled, &on_item, &unique_marker)
                    .await
                {
                    Ok(applied) => {
                        undo.extend(applied.undo);
                        warnings.extend(applied.lost.iter().map(wording::kept_lost));
                        warnings.extend(applied.deleted_with.iter().map(wording::deleted_with));
                        images_deleted += applied.images_deleted.len();
                    }
                    Err(error) => warnings.push(
                        wording::change_error(&error)
                            .result_line()
                            .after(&format!("{repository}: ")),
                    ),
                }
            }
            let all = outcomes.into_inner();
            let count = |kind: Kind| all.values().filter(|l| l.kind == kind).count();
            let summary = format!(
                "{what}: {} done, {} skipped, {} failed, of {} tags to remove; {} deleted",
                count(Kind::Done),
                count(Kind::Skipped),
                count(Kind::Failed),
                all.len(),
                if images_deleted == 1 {
                    "1 image".to_owned()
                } else {
                    format!("{images_deleted} images")
                },
            );
            let mut details: Vec<ResultLine> = all
                .iter()
                .map(|((repository, tag), line)| {
                    let failed = if line.kind == Kind::Failed {
                        "FAILED: "
                    } else {
                        ""
                    };
                    line.message
                        .clone()
                        .after(&format!("{repository}:{tag}: {failed}"))
                })
                .collect();
            details.extend(warnings.iter().cloned());
            // One entry, one Undo for everything written (also by failed items).
            let failed = all
                .iter()
                .filter(|(_, line)| line.kind == Kind::Failed)
                .count();
            changes.record_batch(
                &registry,
                summary.clone(),
                undo,
                details,
                (count(Kind::Done), failed, all.len()),
                warnings.len(),
            );
            ticket.close();
            applying.set(false);
            Report {
                applied_at: (js_sys::Date::now() / 1000.0) as i64,
                summary,
                warnings,
                images_deleted,
            }
        }
    });
    let running = apply.pending();
    let nothing = removed == 0;
    let count = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let (tags_words, images_words) = (
        count(removed, "tag", "tags"),
        count(images, "image", "images"),
    );
    // A plan that deletes no image says only what it removes.
    let (confirm_text, button_text) = if images == 0 {
        (
            format!("Remove {tags_words}?"),
            format!("Yes: remove {tags_words}"),
        )
    } else {
        (
            format!("Remove {tags_words} and delete {images_words}?"),
            format!("Yes: remove {tags_words}, delete {images_words}"),
        )
    };
    // A plan is applied once: what it saw has changed since. Plan again for more.
    let applied = move || apply.value().with(Option::is_some);
    let advice = context.with_value(|(_, plans)| {
        plans
            .iter()
            .filter(|p| !p.delete_images.is_empty())
            .map(|p| (p.repository.clone(), wording::garbage_collection_advice(p)))
            .collect::<Vec<_>>()
    });
    let several = context.with_value(|(_, plans)| plans.len() > 1);
    // Said again at the last step: a plan that leaves a repository without a tag.
    let emptied = context.with_value(|(_, plans)| {
        let names: Vec<String> = plans
            .iter()
            .filter(|p| p.removes_every_tag())
            .map(|p| p.repository.clone())
            .collect();
        (!names.is_empty()).then(|| {
            format!(
                " It leaves no tag at all in {}.",
                wording::some_names(&names)
            )
        })
    });
    view! {
        <section class="cleanup-apply" aria-labelledby="cleanup-apply-heading">
            <h3 id="cleanup-apply-heading">"Apply"</h3>
            {move || {
                // The notice below says more, when Apply… was what found it out.
                blocked
                    .get()
                    .filter(|_| !deletes.off.get())
                    .map(|reason| view! {
                        <p class="access-notice" role="status">
                            {format!("{}. Apply is disabled.", wording::sentence(&reason.why()))}
                            {(reason == Blocked::RegistryDoesNotDelete).then(ask_again)}
                        </p>
                    })
            }}
            {nothing.then(|| view! { <p>"This plan removes no tag: there is nothing to apply."</p> })}
            {move || deletes.off.get().then(|| view! {
                <p class="access-notice deletes-off" role="alert">{wording::cleanup_deletes_off()}{ask_again()}</p>
            })}
            {move || {
                (rules_edited.get() && !applied() && !running.get()).then(|| view! {
                    <p class="access-notice stale-plan" role="status">
                        "The rules above were changed since this plan was made: Plan again to see what they do. Apply is disabled until then."
                    </p>
                })
            }}
            <Show when=move || !confirming.get()>
                <button
                    type="button"
                    class="danger"
                    disabled=move || {
                        nothing || blocked.get().is_some() || running.get() || applied() || rules_edited.get()
                            || deletes.off.get() || deletes.asking.get()
                    }
                    title=move || {
                        blocked_why
                            .get()
                            .or_else(|| applied().then(|| "This plan was applied; Plan again to see what is left.".to_owned()))
                            .or_else(|| deletes.off.get().then(wording::cleanup_deletes_off))
                    }
                    node_ref=apply_button
                    on:click=move |_| ask_then_confirm.run(())
                >
                    {move || if deletes.asking.get() { "Checking that the registry deletes…" } else { "Apply…" }}
                </button>
            </Show>
            <Show when=move || confirming.get()>
                <div class="cleanup-confirm" role="alertdialog" aria-label="Confirm clean-up">
                    <p>
                        <strong>{confirm_text.clone()}{emptied.clone()}</strong>
                        " Each tag is checked again first: a tag that moved since the plan is skipped. "
                        "Undo in the activity list puts everything back until the registry's garbage collection runs."
                    </p>
                    <button
                        type="button"
                        class="danger"
                        disabled=move || blocked.get().is_some() || running.get() || rules_edited.get()
                        on:click=move |_| {
                            confirming.set(false);
                            apply_started.set(true);
                            apply.dispatch(());
                        }
                    >
                        {button_text.clone()}
                    </button>
                    <button
                        type="button"
                        node_ref=back_button
                        on:click=move |_| {
                            focus_apply.set_value(true);
                            confirming.set(false);
                        }
                    >
                        "Back"
                    </button>
                </div>
            </Show>
            <Show when=move || running.get()>
                <p class="progress" role="status">
                    {move || format!("Applying: {} of {removed} tags done…", lines.with(|l| l.len()))}
                </p>
                <button type="button" disabled=move || cancelled.get() on:click=move |_| cancelled.set(true)>
                    "Cancel"
                </button>
            </Show>
            {move || {
                apply
                    .value()
                    .get()
                    .map(|report| {
                        let advice = advice.clone();
                        let all = lines.get_untracked();
                        let csv = report_csv(&all);
                        let json = context.with_value(|(registry, _)| {
                            report_json(registry, report.applied_at, &report.summary, &all)
                        });
                        view! {
                            <p class="cleanup-result" role="status">{report.summary.clone()}</p>
                            <p class="cleanup-downloads">
                                "Download the report: "
                                <DownloadLink content=json mime="application/json" file_name=format!("{file_stem}-report.json") label="Report JSON" />
                                " "
                                <DownloadLink content=csv mime="text/csv" file_name=format!("{file_stem}-report.csv") label="Report CSV" />
                            </p>
                            {(!report.warnings.is_empty()).then(|| view! {
                                <ul class="error-panel" role="alert">
                                    {report.warnings.iter().map(|line| view! { <li><ResultWords line=line.clone() /></li> }).collect_view()}
                                </ul>
                            })}
                            {(report.images_deleted > 0).then(|| view! {
                                <div class="cleanup-gc" role="note" aria-label="Why the disk did not shrink">
                                    <h4>"Why the disk did not shrink"</h4>
                                    <p>
                                        {format!(
                                            "The plan computed up to {} that garbage collection can free.",
                                            human_size(bytes),
                                        )}
                                        {wording::fewer_deleted_than_planned(report.images_deleted, images)
                                            .map(|fewer| format!(" {fewer}"))}
                                    </p>
                                    {advice.into_iter().map(|(repository, lines)| view! {
                                        {several.then(|| view! { <h5><code>{repository}</code></h5> })}
                                        {lines.into_iter().map(|l| view! { <p>{l}</p> }).collect_view()}
                                    }).collect_view()}
                                </div>
                            })}
                        }
                    })
            }}
            <Show when=move || lines.with(|l| !l.is_empty())>
                <ul class="cleanup-report" aria-label="Clean-up result per tag">
                    {move || {
                        lines
                            .get()
                            .into_iter()
                            .map(|((repository, tag), line)| {
                                let class = match line.kind {
                                    Kind::Done => "done",
                                    Kind::Skipped => "skipped",
                                    Kind::Failed => "failed",
                                };
                                let label = if several { format!("{repository}:{tag}") } else { tag.clone() };
                                view! { <li class=class data-tag=tag><code>{label}</code>": "<ResultWords line=line.message /></li> }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}
