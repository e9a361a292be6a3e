//! The clean-up planner's view, for one repository or every repository under a
//! namespace: the rules (from the address, else `config.json` defaults), the
//! dry-run plan gathered with progress and Cancel, and Apply. The planning itself
//! is `oci::cleanup`; applying goes through its `apply_cleanup`.

mod apply;
mod download;
mod form;
mod plan_view;

use crate::model::sort;
use gloo_net::http::Request;
use leptos::prelude::*;

use crate::model::route::{Route, View};
use crate::net;
use crate::net::FetchClient;
use crate::oci::cleanup::{
    plan, CleanupDefaults, CleanupPlan, CleanupRules, GatherProgress, GatherStep, RulesNote,
    GATHER_CONCURRENCY,
};
use crate::oci::error::RegistryError;
use crate::oci::names::Repository;
use crate::ui::browser;
use crate::ui::error_view::ErrorPanel;
use crate::ui::router::Link;
use crate::wording;
use apply::ApplyPanel;
use form::{RuleFields, RulesForm};
use plan_view::PlanView;

/// `config.json`'s `cleanup` defaults; none when the file or the key is absent. A
/// file that is there but cannot be read or parsed is said, not taken for "no rules".
async fn load_defaults() -> Result<CleanupDefaults, String> {
    let Ok(response) = Request::get("config.json").send().await else {
        return Err("config.json could not be read".into());
    };
    match response.status() {
        404 => return Ok(CleanupDefaults::default()),
        status if !response.ok() => return Err(format!("reading config.json answered {status}")),
        _ => {}
    }
    let config = match response.json::<serde_json::Value>().await {
        Ok(config) => config,
        Err(error) => return Err(format!("config.json is not valid JSON ({error})")),
    };
    match config.get("cleanup") {
        None | Some(serde_json::Value::Null) => Ok(CleanupDefaults::default()),
        Some(value) => CleanupDefaults::from_json(value).map_err(|e| wording::rules_error(&e)),
    }
}

/// Whether a clean-up is being applied to the registry shown. It goes on when its
/// view is left; a planner opened meanwhile waits for it: its plan would read a
/// registry in the middle of changing, and offer a second Apply beside the first.
/// One per registry for the whole tab, outside any view's owner: another registry's
/// views shown meanwhile drop this registry's views, not its running Apply.
#[derive(Clone)]
pub struct ApplyUnderWay(ArcRwSignal<bool>);

thread_local! {
    /// A list, not a map: a tab knows a handful of registries, and a map's code
    /// would weigh on the main module.
    static APPLY_UNDER_WAY: std::cell::RefCell<Vec<(String, ArcRwSignal<bool>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl ApplyUnderWay {
    /// For the views of the registry at `address`.
    pub fn provide(address: &str) {
        let flag = APPLY_UNDER_WAY.with_borrow_mut(|flags| {
            if let Some((_, flag)) = flags.iter().find(|(a, _)| a == address) {
                return flag.clone();
            }
            let flag = ArcRwSignal::new(false);
            flags.push((address.to_owned(), flag.clone()));
            flag
        });
        provide_context(ApplyUnderWay(flag));
    }
}

/// Why there is no plan.
#[derive(Clone)]
enum PlanFailure {
    Registry(RegistryError),
    Cancelled,
    Other(String),
}

/// The plans, and what to say of their rules (`RulesNote`).
type PlanResult = Result<(Vec<CleanupPlan>, Vec<RulesNote>), PlanFailure>;

fn step_words(progress: GatherProgress) -> String {
    match progress.step {
        GatherStep::ListingTags => format!("listing tags: {} so far", progress.done),
        GatherStep::ReadingTags => format!(
            "reading each tag's manifest: {} of {}",
            progress.done, progress.total
        ),
        GatherStep::ReadingPlatforms => format!(
            "reading platforms of multi-arch images: {} of {}",
            progress.done, progress.total
        ),
        GatherStep::ReadingConfigs => format!(
            "reading image configs for their dates: {} of {}",
            progress.done, progress.total
        ),
    }
}

/// Gathers the facts of each repository in turn and plans it. Reads only.
/// `given`: rules for every repository; `None`: each its own from `defaults`.
#[allow(clippy::too_many_arguments)]
async fn gather_plans(
    registry: &str,
    client: FetchClient,
    target: &str,
    namespace: bool,
    defaults: &CleanupDefaults,
    given: Option<&CleanupRules>,
    progress: RwSignal<String>,
    cancelled: RwSignal<bool>,
) -> PlanResult {
    let reader = net::registry(registry, client.clone());
    let names: Vec<String> = if namespace {
        progress.try_set("Listing the repositories of the registry…".into());
        let prefix = format!("{target}/");
        let mut names: Vec<String> = reader
            .catalog()
            .await
            .map_err(PlanFailure::Registry)?
            .into_iter()
            .filter(|name| name.starts_with(&prefix))
            .collect();
        sort::ascending(&mut names);
        if names.is_empty() {
            return Err(PlanFailure::Other(format!(
                "No repository of this registry is under {target}/, so there is nothing to plan."
            )));
        }
        names
    } else {
        vec![target.to_owned()]
    };
    let count = names.len();
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let each = defaults.rules_for_each(target, &names, given);
    let mut plans = Vec::with_capacity(count);
    let mut notes = Vec::new();
    for (i, (name, (rules, note))) in names.iter().zip(each).enumerate() {
        let repository = Repository::parse(name).map_err(|e| {
            PlanFailure::Other(format!(
                "{name} is no repository name: {}",
                wording::name_error(&e)
            ))
        })?;
        // Whether the user may delete here, asked before the plan is shown.
        let _ = net::probe_access(registry, client.clone(), name).await;
        let place = if count > 1 {
            format!("{name} ({} of {count}): ", i + 1)
        } else {
            format!("{name}: ")
        };
        let facts = reader
            .cleanup_facts(
                &repository,
                GATHER_CONCURRENCY,
                |p| {
                    progress.try_set(format!("{place}{}", step_words(p)));
                },
                // A plan nobody can see any more (its view closed) stops.
                || cancelled.try_get_untracked().unwrap_or(true),
            )
            .await
            .map_err(|e| match e {
                RegistryError::Aborted { .. } => PlanFailure::Cancelled,
                e => PlanFailure::Registry(e),
            })?;
        plans.push(
            plan(&facts, &rules, now).map_err(|e| PlanFailure::Other(wording::rules_error(&e)))?,
        );
        notes.extend(note);
    }
    Ok((plans, notes))
}

/// The address of this view with `rules` in it (and the table filter kept), so a
/// link reproduces the plan.
fn keep_rules_in_address(rules: &CleanupRules) {
    let here = browser::location_search();
    let route = Route::from_query(&here).to_query();
    let mut query = route;
    if let Some(show) = crate::model::route::query_param(&here, "show") {
        query = crate::model::route::with_query_param(&query, "show", &show);
    }
    let rules = rules.to_query();
    if !rules.is_empty() {
        query.push(if query.is_empty() { '?' } else { '&' });
        query.push_str(&rules);
    }
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let address = browser::page_address(&query);
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
}

#[component]
pub fn CleanupView(registry: String, target: String, namespace: bool) -> impl IntoView {
    let defaults = LocalResource::new(load_defaults);
    let what = if namespace {
        format!("every repository under {target}/")
    } else {
        target.clone()
    };
    let back = (!namespace).then(|| {
        view! {
            <Link view=View::Repository { name: target.clone() }>"Back to the tags"</Link>
        }
    });
    let context = StoredValue::new((registry, target));
    view! {
        <section class="panel cleanup" aria-labelledby="cleanup-heading">
            <div class="panel-head">
                <h2 id="cleanup-heading">"Clean up " <code>{what}</code></h2>
                {back}
            </div>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Reading config.json…"</p> }>
                {move || {
                    defaults
                        .get()
                        .map(|defaults| {
                            let (registry, target) = context.get_value();
                            let config = defaults.clone().unwrap_or_default();
                            let (initial, source, problems) = initial_rules(&target, defaults);
                            let auto_plan = source == RulesSource::Address;
                            // Planned with these unedited, each repository gets its own.
                            let config_rules = matches!(source, RulesSource::Config(_))
                                .then(|| initial.clone());
                            view! {
                                {problems.map(|p| view! { <p class="error-panel" role="alert">{p}</p> })}
                                <p class="cleanup-source">{source.describe(namespace)}</p>
                                <Planner registry target namespace initial auto_plan config config_rules />
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}

#[derive(Clone, PartialEq, Eq)]
enum RulesSource {
    Address,
    Config(String),
    Nothing,
}

impl RulesSource {
    fn describe(&self, namespace: bool) -> String {
        match self {
            RulesSource::Address => "Rules from the page address.".into(),
            RulesSource::Config(key) if key.is_empty() => {
                "Rules from config.json (the defaults for every repository).".into()
            }
            RulesSource::Config(key) => format!("Rules from config.json (the defaults for {key})."),
            RulesSource::Nothing => format!(
                "No rules are saved for this {}: write them below, then Plan.",
                if namespace { "namespace" } else { "repository" }
            ),
        }
    }
}

/// The rules the form starts with: the address's, else the defaults of config.json
/// for the target, else none; and what was wrong on the way, in words.
fn initial_rules(
    target: &str,
    defaults: Result<CleanupDefaults, String>,
) -> (CleanupRules, RulesSource, Option<String>) {
    let mut problems = Vec::new();
    match CleanupRules::from_query(&browser::location_search()) {
        Ok(Some(rules)) => return (rules, RulesSource::Address, None),
        Ok(None) => {}
        Err(e) => problems.push(format!(
            "The rules in the page address were not used: {}.",
            wording::rules_error(&e)
        )),
    }
    let found = match defaults {
        Ok(defaults) => defaults
            .rules_for(target)
            .map(|(key, rules)| (rules.clone(), RulesSource::Config(key.to_owned()))),
        Err(e) => {
            problems.push(format!(
                "config.json's clean-up defaults were not used: {e}."
            ));
            None
        }
    };
    let (rules, source) = found.unwrap_or((CleanupRules::default(), RulesSource::Nothing));
    let problems = (!problems.is_empty()).then(|| problems.join(" "));
    (rules, source, problems)
}

#[component]
fn Planner(
    registry: String,
    target: String,
    namespace: bool,
    initial: CleanupRules,
    auto_plan: bool,
    /// config.json's defaults.
    config: CleanupDefaults,
    /// The config.json rules the form started with, if it did.
    config_rules: Option<CleanupRules>,
) -> impl IntoView {
    let fields = RuleFields::new(&initial);
    let checked = Memo::new(move |_| fields.read());
    let errors = Signal::derive(move || checked.get().err().unwrap_or_default());
    let progress = RwSignal::new(String::new());
    let cancelled = RwSignal::new(false);
    let client = browser::client_for_this_view();
    let context = StoredValue::new((registry.clone(), target.clone()));
    let config = StoredValue::new((config, config_rules));
    // Unedited config.json rules: `None`, so each repository gets its own.
    let given = move |rules: &CleanupRules| {
        config.with_value(|(_, from)| (from.as_ref() != Some(rules)).then(|| rules.clone()))
    };
    let plan_action = Action::new_local(move |rules: &CleanupRules| {
        let given = given(rules);
        let (registry, target) = context.get_value();
        let defaults = config.with_value(|(defaults, _)| defaults.clone());
        let client = client.clone();
        async move {
            gather_plans(
                &registry,
                client,
                &target,
                namespace,
                &defaults,
                given.as_ref(),
                progress,
                cancelled,
            )
            .await
        }
    });
    // The rules the last plan was made with.
    let planned = RwSignal::new(None::<CleanupRules>);
    let rules_edited = Signal::derive(move || {
        planned.with(|planned| checked.with(|now| planned.as_ref() != now.as_ref().ok()))
    });
    // The registry's flag, which the Apply sets and clears; a handle here for the
    // form's own closures.
    let under_way = use_context::<ApplyUnderWay>()
        .map(|under_way| under_way.0)
        .unwrap_or_else(|| ArcRwSignal::new(false));
    let applying = RwSignal::from(under_way.clone());
    let start = move || {
        if applying.get_untracked() {
            return;
        }
        if let Ok(rules) = checked.get_untracked() {
            // config.json's rules stay out of the address: a link then plans with
            // each repository's own, as this plan does.
            keep_rules_in_address(&given(&rules).unwrap_or_default());
            planned.set(Some(rules.clone()));
            cancelled.set(false);
            progress.set("Starting…".into());
            plan_action.dispatch(rules);
        }
    };
    if auto_plan {
        start();
    }
    let planning = plan_action.pending();
    let file_stem = format!("cleanup-{}", target.replace('/', "_"));
    view! {
        <form
            class="cleanup-form"
            on:submit=move |event| {
                event.prevent_default();
                start();
            }
        >
            <RulesForm fields errors />
            <div class="cleanup-actions">
                <button
                    type="submit"
                    disabled=move || planning.get() || applying.get() || checked.with(Result::is_err)
                    title=move || {
                        (applying.get() && plan_action.value().with(Option::is_some))
                            .then_some("Plan again once the clean-up below is applied")
                    }
                >
                    "Plan"
                </button>
                <Show when=move || planning.get()>
                    <span class="progress" role="status">{move || progress.get()}</span>
                    <button type="button" disabled=move || cancelled.get() on:click=move |_| cancelled.set(true)>
                        "Cancel"
                    </button>
                </Show>
                // Started from a clean-up view left since: its result goes to the
                // activity list.
                <Show when=move || applying.get() && plan_action.value().with(Option::is_none)>
                    <span class="progress" role="status">
                        "A clean-up of this registry is being applied: Plan once it is done (its result goes to the activity list)."
                    </span>
                </Show>
            </div>
        </form>
        {move || {
            if planning.get() {
                return None;
            }
            let result = plan_action.value().get()?;
            Some(match result {
                Ok((plans, notes)) => {
                    let registry = registry.clone();
                    let file_stem = file_stem.clone();
                    let apply_started = RwSignal::new(false);
                    // Whose rules differ from the form's, said before the plans.
                    let rules_notes: Vec<String> = notes.iter().map(RulesNote::words).collect();
                    view! {
                        {(!rules_notes.is_empty()).then(|| view! {
                            <ul class="cleanup-notes cleanup-rules-notes">
                                {rules_notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                            </ul>
                        })}
                        <PlanView registry=registry.clone() plans=plans.clone() file_stem=file_stem.clone() grouped=namespace applied=apply_started.into() />
                        <ApplyPanel registry plans file_stem apply_started rules_edited applying=under_way.clone() />
                    }
                        .into_any()
                }
                Err(PlanFailure::Cancelled) => view! {
                    <p class="cleanup-cancelled" role="status">"Cancelled: no plan was made. Nothing was changed."</p>
                }
                    .into_any(),
                Err(PlanFailure::Registry(error)) => view! { <ErrorPanel error /> }.into_any(),
                Err(PlanFailure::Other(message)) => view! {
                    <p class="error-panel" role="alert">{message}</p>
                }
                    .into_any(),
            })
        }}
    }
}
