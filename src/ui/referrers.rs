//! What refers to an image (signatures, SBOMs, attestations): the image view's
//! "Referrers" section, and the offer to take them along when the image is deleted
//! or copied (`ReferrersAlong`).

use leptos::prelude::*;

use crate::model::format::human_size;
use crate::model::route::View;
use crate::net;
use crate::net::FetchClient;
use crate::oci::changes::ChangeError;
use crate::oci::names::{Digest, Repository};
use crate::oci::referrer_changes::{referrer_items, ReferrerItem, ReferrerRun};
use crate::oci::referrers::{ApiSupport, FoundVia, Referrer, ReferrerList, ReferrerQuery};
use crate::oci::undo::UndoAction;
use crate::ui::activity::{use_changes, Changes};
use crate::ui::browser;
use crate::ui::error_view::{ErrorPanel, ResultWords};
use crate::ui::journal::Ticket;
use crate::ui::router::Link;
use crate::wording::{self, ResultLine};

fn found_via(found: &FoundVia) -> String {
    match found {
        FoundVia::Api => "referrers API".to_owned(),
        FoundVia::FallbackTag(tag) => format!("fallback tag {tag}"),
        FoundVia::CosignTag(tag) => format!("cosign tag {tag}"),
    }
}

/// What was looked at, for "none found" and beside the list.
fn where_looked(list: &ReferrerList) -> String {
    let api = match &list.api {
        ApiSupport::Supported => "the referrers API, the fallback tag".to_owned(),
        ApiSupport::Unsupported => {
            "the referrers API (this registry does not have it), the fallback tag".to_owned()
        }
        ApiSupport::Failed(problem) => format!(
            "the referrers API (it could not be asked: {}), the fallback tag",
            wording::error(problem).detail
        ),
        ApiSupport::NoAnswer(_) => "the referrers API (no answer this page could read: \
             across origins a registry without it, such as distribution 2.8, gives none), \
             the fallback tag"
            .to_owned(),
    };
    format!("checked {api} and cosign tags (.sig, .att, .sbom)")
}

/// The image view's list of referrers of `subject`.
#[component]
pub fn ReferrersSection(
    registry: String,
    repository: Repository,
    subject: Digest,
) -> impl IntoView {
    let list = {
        let client = browser::client_for_this_view();
        let changes = use_changes();
        let (repository, subject) = (repository.clone(), subject.clone());
        LocalResource::new(move || {
            changes.version.track();
            let registry = net::registry(&registry, client.clone());
            let (repository, subject) = (repository.clone(), subject.clone());
            async move {
                registry
                    .referrers(&repository, &subject, &ReferrerQuery::default())
                    .await
            }
        })
    };
    let repository = StoredValue::new(repository);
    view! {
        <section class="referrers" aria-labelledby="referrers-heading">
            <h3 id="referrers-heading">"Referrers"</h3>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Looking for signatures, SBOMs and attestations…"</p> }>
                {move || {
                    list.get().map(|result| match result {
                        Ok(list) => view! { <ReferrerTable list repository=repository.get_value() /> }.into_any(),
                        Err(error) => {
                            let retry = Callback::new(move |()| list.refetch());
                            view! { <ErrorPanel error retry /> }.into_any()
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ReferrerTable(list: ReferrerList, repository: Repository) -> impl IntoView {
    let looked = where_looked(&list);
    let warnings: Vec<ResultLine> = list
        .warnings
        .iter()
        .map(wording::referrer_warning)
        .collect();
    let body = if list.referrers.is_empty() {
        view! { <p class="referrers-none">{format!("None found: {looked}.")}</p> }.into_any()
    } else {
        view! {
            <p class="hint">{format!("{} found; {looked}.", list.referrers.len())}</p>
            <table class="referrers-table" aria-label="Referrers">
                <thead>
                    <tr>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Artifact type"</th>
                        <th scope="col">"Digest"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Found in"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .referrers
                        .into_iter()
                        .map(|referrer| view! { <ReferrerRow referrer repository=repository.clone() /> })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {body}
        {(!warnings.is_empty()).then(|| view! {
            <ul class="referrer-warnings" aria-label="Referrer warnings">
                {warnings.into_iter().map(|line| view! { <li class="cell-error"><ResultWords line /></li> }).collect_view()}
            </ul>
        })}
    }
}

#[component]
fn ReferrerRow(referrer: Referrer, repository: Repository) -> impl IntoView {
    let digest = referrer.digest.to_string();
    let kind = referrer.kind.label().to_owned();
    let found: Vec<String> = referrer.found.iter().map(found_via).collect();
    let image_view = View::Image {
        repository: repository.to_string(),
        reference: digest.clone(),
        index: None,
    };
    let (digest_text, kind_text) = (digest.clone(), kind.clone());
    view! {
        <tr data-digest=digest data-kind=kind>
            <td class="referrer-kind">{kind_text}</td>
            <td><code>{referrer.artifact_type.clone().unwrap_or_else(|| "(none)".into())}</code></td>
            <td>
                <Link class="referrer-digest" view=image_view>
                    <code>{digest_text}</code>
                </Link>
            </td>
            <td class="referrer-size" title=format!("{} bytes", referrer.size)>{human_size(referrer.size)}</td>
            <td>{found.join(", ")}</td>
        </tr>
    }
}

/// The referrers of an image a dialog is about to delete or copy, and whether the
/// user wants them taken along. Read when the dialog opens.
#[derive(Clone, Copy)]
pub struct ReferrersAlong {
    list: LocalResource<Result<ReferrerList, ResultLine>>,
    pub wanted: RwSignal<bool>,
    /// While they are taken along.
    taking: RwSignal<bool>,
    /// One line per item, once taken along.
    done: RwSignal<Option<Vec<ResultLine>>>,
    changes: Changes,
}

/// What came of one referrer: said under the dialog, and (without the why, which the
/// activity entry's failure tells) as the entry's summary.
/// "sha256:0123456789ab…": the subject of a run, in its activity entry.
fn short(digest: &Digest) -> String {
    format!("{}:{}…", digest.algorithm(), digest.short(12))
}

fn outcome_line<T>(item: &ReferrerItem, result: &Result<T, ChangeError>, verb: &str) -> ResultLine {
    match result {
        Ok(_) => format!("{} {verb}.", item.label).into(),
        // Counted done: the state asked for, though not by this run.
        Err(ChangeError::AlreadyGone { .. }) => {
            format!("{} was already gone: nothing to do.", item.label).into()
        }
        Err(error) => wording::change_error(error)
            .result_line()
            .after(&format!("{} not {verb}: ", item.label)),
    }
}

impl ReferrersAlong {
    pub fn new(registry: String, repository: Repository, subject: Digest) -> Self {
        let list = LocalResource::new(move || {
            let signed_in = net::signed_in_at(&registry);
            let registry = net::registry(&registry, FetchClient::new());
            let (repository, subject) = (repository.clone(), subject.clone());
            async move {
                registry
                    .referrers(&repository, &subject, &ReferrerQuery::default())
                    .await
                    .map_err(|e| {
                        wording::error_for(&e, signed_in.as_deref()).read_line(
                            "Its referrers (signatures, SBOMs) could not be read, so they stay \
                             as they are: ",
                        )
                    })
            }
        });
        ReferrersAlong {
            list,
            wanted: RwSignal::new(false),
            taking: RwSignal::new(false),
            done: RwSignal::new(None),
            changes: use_changes(),
        }
    }

    /// The referrers to take along, if the user asked. Read when the change starts:
    /// the dialog may be closed before the change ends, and the choice with it.
    pub fn chosen(&self) -> Option<ReferrerList> {
        if !self.wanted.get_untracked() {
            return None;
        }
        match self.list.get_untracked() {
            Some(Ok(list)) if !list.referrers.is_empty() => Some(list),
            _ => None,
        }
    }

    /// After the image was deleted: removes `list`, its referrers the user chose,
    /// reported item by item under the dialog while it is open, and as one entry of
    /// the activity list whose Undo puts them all back, in an order the registry takes.
    pub async fn delete(self, registry: String, repository: Repository, list: ReferrerList) {
        self.taking.try_set(true);
        let what = format!(
            "Remove the referrers of {repository}@{}",
            short(&list.subject)
        );
        // Journaled as any change: a reload mid-run is reconciled on load.
        let ticket = Ticket::open(&registry, &what);
        let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
        let mut lines = Vec::new();
        let results = client
            .delete_referrers(&repository, &list, |item, result| {
                lines.push(outcome_line(item, result, "removed"));
            })
            .await;
        let run = ReferrerRun::of(&results, |removal| {
            Some(UndoAction::Restore(Box::new(removal.clone())))
        });
        self.record(&registry, what, "", run, lines);
        ticket.close();
    }

    /// After the image was copied from `from` to `to`: copies `list`, its referrers
    /// the user chose, as [`ReferrersAlong::delete`] removes them.
    pub async fn copy(
        self,
        registry: String,
        from: Repository,
        to: Repository,
        list: ReferrerList,
    ) {
        self.taking.try_set(true);
        let what = format!(
            "Copy the referrers of {from}@{} to {to}",
            short(&list.subject)
        );
        let ticket = Ticket::open(&registry, &what);
        let client = net::registry(&registry, FetchClient::new()).journaled(ticket.recorder());
        let mut lines = Vec::new();
        let results = client
            .copy_referrers(&from, &to, &list, |item, result| {
                lines.push(ResultLine::referrer_copy(item, result, &to));
            })
            .await;
        // Undo takes back the tag each copy wrote; a copy by digest wrote no tag and
        // has nothing to take back.
        let run = ReferrerRun::of(&results, |copy| copy.tag.clone().map(UndoAction::Revert));
        let undo = wording::referrers_copy_undo(&to);
        self.record(&registry, what, &undo, run, lines);
        ticket.close();
    }

    /// Shown under the dialog, if it is still open, and as one activity entry: `what`,
    /// the counts, then `undo`, what its Undo does, when that needs saying.
    fn record(
        self,
        registry: &str,
        what: String,
        undo: &str,
        run: ReferrerRun,
        lines: Vec<ResultLine>,
    ) {
        let total = lines.len();
        let summary = format!(
            "{what}: {} done, {} failed, of {total}. {undo}",
            run.done, run.failed
        )
        .trim_end()
        .to_owned();
        self.changes.record_batch(
            registry,
            summary,
            run.undo,
            lines.clone(),
            (run.done, run.failed, total),
            0,
        );
        self.done.try_set(Some(lines));
        self.taking.try_set(false);
    }
}

/// The checkbox "Also remove / copy its referrers", with what they are, and the
/// report once done. `verb`: "remove" or "copy".
#[component]
pub fn ReferrersAlongChoice(along: ReferrersAlong, verb: &'static str) -> impl IntoView {
    let offer = move || {
        along.list.get().map(|result| match result {
            Err(line) => view! { <div class="hint"><ResultWords line /></div> }.into_any(),
            Ok(list) if list.referrers.is_empty() && list.api.known() && list.warnings.is_empty() => view! {
                <p class="hint">"No signatures, SBOMs or attestations refer to this image."</p>
            }.into_any(),
            // Not all could be read: say where it looked, never "none refer to it".
            Ok(list) if list.referrers.is_empty() => view! {
                <p class="hint">{format!("None found, though not all could be checked: {}.", where_looked(&list))}</p>
            }.into_any(),
            Ok(list) => {
                let items: Vec<String> = referrer_items(&list).into_iter().map(|i| i.label).collect();
                // The list below names the fallback tag too: the count says why.
                let with_tag = items.len() > list.referrers.len();
                // Says so when more may refer to the image than were found.
                let label = wording::referrers_along(verb, &list, with_tag);
                view! {
                    <label class="referrers-along">
                        <input
                            type="checkbox"
                            prop:checked=move || along.wanted.get()
                            on:change:target=move |event| along.wanted.set(event.target().checked())
                        />
                        {label}
                    </label>
                    <ul class="referrer-items">
                        {items.into_iter().map(|i| view! { <li><code>{i}</code></li> }).collect_view()}
                    </ul>
                }.into_any()
            }
        })
    };
    let report = move || {
        if along.taking.get() {
            return Some(
                view! { <p class="working" role="status">"Taking the referrers along…"</p> }
                    .into_any(),
            );
        }
        along.done.get().map(|lines| {
            view! {
                <div class="referrers-report" role="status" aria-label="Referrers">
                    <ul>{lines.into_iter().map(|line| view! { <li><ResultWords line /></li> }).collect_view()}</ul>
                </div>
            }
            .into_any()
        })
    };
    // A Suspense of its own: the form around it is in the page (and its first field
    // focused) while the referrers are read.
    view! {
        <div class="referrers-offer">
            <Suspense fallback=|| view! { <p class="working" role="status">"Looking for its signatures, SBOMs and attestations…"</p> }>
                {offer}
            </Suspense>
            {report}
        </div>
    }
}
