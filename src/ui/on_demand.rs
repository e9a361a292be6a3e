//! Parts of the console fetched the first time they are shown, not with the page.
//!
//! Each function below is a split point (`split_point!`): the console's build cuts
//! the code only it reaches into its own wasm chunk (`scripts/split/wasm-bindgen`
//! runs `wasm-split-cli` between cargo and wasm-bindgen). Every page loads the main
//! module: the header, the connection and who is signed in, the catalog and the
//! activity list. The sign-in form and the diagnosis of a registry the page cannot
//! use are parts of their own, as most pages never show them. A part's chunks are
//! fetched once, when it is first used; a page opened at a view in a part (a link to
//! a repository's tags, say) fetches them beside the main module
//! (`scripts/split/preload-parts.mjs`, which names the parts below). Split points
//! sharing a part name share one chunk: `changes` holds the change forms, bulk runs
//! and the activity list's steps, which share most of their code.
//!
//! A part that cannot be fetched never leaves a dead page or a half-done change: a
//! view shows a message with Try again; a step (bulk run, Undo, Retry, Check again)
//! says it could not start, and nothing was sent. A chunk without its whole answer
//! after 30 s counts as not fetched (the loader's timeout, scripts/split). The loader
//! does not remember a failure, so trying again fetches anew.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use send_wrapper::SendWrapper;

use crate::wording;

use super::activity::{ActivityLog, ActivityStep};
use super::bulk::{BulkOutcome, BulkWork};
use super::change_dialog::{ChangeForm, ChangeRequest};
use super::cleanup::CleanupView;
use super::diagnosis::{Diagnosis, Problem};
use super::error_view::ErrorPanel;
use super::find_digest::FindDigestView;
use super::image::ImageView;
use super::reconnect::Reconnect;
use super::sign_in::form::SignInForm;
use super::tags::TagsView;
use crate::oci::error::RegistryError;

/// The chunk of a part could not be fetched or instantiated.
pub struct PartMissing;

impl From<SplitLoaderError> for PartMissing {
    fn from(_: SplitLoaderError) -> Self {
        PartMissing
    }
}

type Part = Result<AnyView, PartMissing>;
type Work<T> = Result<Pin<Box<dyn Future<Output = T>>>, PartMissing>;

/// A split point: in the console's build (the `split` feature, which index.html asks
/// Trunk for) the code only this function reaches is cut into the part's chunk and
/// fetched at the first call. Without it (the browser tests' wasm, which nothing
/// splits) a plain async function: a part's loader, which only the split build
/// provides, must not be imported there.
macro_rules! split_point {
    ($part:ident: fn $name:ident($($arg:ident: $type:ty),*) -> $output:ty $body:block) => {
        #[cfg(feature = "split")]
        #[::leptos::wasm_split::wasm_split($part, wasm_split_path = ::leptos::wasm_split, fallible)]
        fn $name($($arg: $type),*) -> $output $body

        #[cfg(not(feature = "split"))]
        async fn $name($($arg: $type),*) -> $output $body
    };
}

split_point!(cleanup: fn cleanup(registry: String, target: String, namespace: bool) -> Part {
    Ok(view! { <CleanupView registry target namespace /> }.into_any())
});

split_point!(find_digest: fn find_digest(registry: String, digest: String) -> Part {
    Ok(view! { <FindDigestView registry digest /> }.into_any())
});

split_point!(image: fn image(registry: String, repository: String, reference: String, index: Option<String>) -> Part {
    Ok(view! { <ImageView registry repository reference index /> }.into_any())
});

split_point!(tags: fn tags(registry: String, repository: String) -> Part {
    Ok(view! { <TagsView registry repository /> }.into_any())
});

split_point!(sign_in: fn sign_in_form(address: String, on_signed_in: Option<Callback<()>>) -> Part {
    Ok(view! { <SignInForm address on_signed_in /> }.into_any())
});

split_point!(diagnosis: fn diagnosis(address: String, problem: Problem, error: RegistryError) -> Part {
    Ok(view! { <Diagnosis address problem error /> }.into_any())
});

split_point!(changes: fn change_form(registry: String, request: ChangeRequest) -> Part {
    Ok(view! { <ChangeForm registry request /> }.into_any())
});

split_point!(changes: fn bulk_work(work: BulkWork) -> Work<BulkOutcome> {
    Ok(Box::pin(work.run()))
});

split_point!(changes: fn activity_step(log: ActivityLog, step: ActivityStep, id: usize) -> Work<()> {
    Ok(log.start(step, id))
});

/// A bulk run's registry work; what it did. `Err`: nothing ran.
pub async fn bulk(work: BulkWork) -> Result<BulkOutcome, PartMissing> {
    Ok(bulk_work(work).await?.await)
}

/// Undo, Retry or Check again of an activity entry; the entry says when it could not
/// start.
pub async fn activity(log: ActivityLog, step: ActivityStep, id: usize) {
    // A second press (or a Retry while Check again reads) waits for nothing: the
    // step running on the entry settles it.
    let Some(_claim) = log.claim(id) else {
        return;
    };
    match activity_step(log, step, id).await {
        Ok(run) => run.await,
        Err(PartMissing) => log.could_not_start(step, id),
    }
}

/// The form of a change dialog.
#[component]
pub fn LazyChangeForm(registry: String, request: ChangeRequest) -> impl IntoView {
    view! {
        <OnDemand what="the change form" load=move || {
            change_form(registry.clone(), request.clone())
        } />
    }
}

/// The sign-in form, in the sign-in dialog or in place of a view the registry
/// refused without a sign-in. `on_signed_in`: told once the registry accepted it.
#[component]
pub fn LazySignInForm(address: String, on_signed_in: Option<Callback<()>>) -> impl IntoView {
    view! {
        <OnDemand what="the sign-in form" load=move || {
            sign_in_form(address.clone(), on_signed_in)
        } />
    }
}

/// What is wrong with a registry this page cannot use. Most pages never show it.
/// Without its part (a network that failed the registry may fail this fetch too)
/// the failure is still told, as every panel tells one, and Try again checks the
/// registry again, which fetches the part anew.
#[component]
pub fn LazyDiagnosis(address: String, problem: Problem, error: RegistryError) -> impl IntoView {
    let reconnect = expect_context::<Reconnect>();
    let loading = SendWrapper::new(diagnosis(address, problem, error.clone()));
    let shown = Suspend::new(async move {
        match loading.await {
            Ok(part) => part,
            Err(PartMissing) => {
                let retry = Callback::new(move |()| reconnect.again());
                view! { <section class="panel"><ErrorPanel error retry /></section> }.into_any()
            }
        }
    });
    view! { <Suspense fallback=|| ()>{shown}</Suspense> }
}

/// The tags of one repository: the table, its selection and the bulk bar.
#[component]
pub fn LazyTagsView(registry: String, repository: String) -> impl IntoView {
    view! {
        <OnDemand what="the tag list" load=move || {
            tags(registry.clone(), repository.clone())
        } />
    }
}

/// The clean-up view of a repository or namespace.
#[component]
pub fn LazyCleanupView(registry: String, target: String, namespace: bool) -> impl IntoView {
    view! {
        <OnDemand what="the clean-up view" load=move || {
            cleanup(registry.clone(), target.clone(), namespace)
        } />
    }
}

/// The search for where a digest is used.
#[component]
pub fn LazyFindDigestView(registry: String, digest: String) -> impl IntoView {
    view! {
        <OnDemand what="the digest search" load=move || {
            find_digest(registry.clone(), digest.clone())
        } />
    }
}

/// One image: its manifest, platforms, labels and referrers.
#[component]
pub fn LazyImageView(
    registry: String,
    repository: String,
    reference: String,
    index: Option<String>,
) -> impl IntoView {
    view! {
        <OnDemand what="the image view" load=move || {
            image(registry.clone(), repository.clone(), reference.clone(), index.clone())
        } />
    }
}

/// Shows "Loading…" while `load` fetches a part's chunk, then the part, or what went
/// wrong with a way to try again.
#[component]
fn OnDemand<Load, Loading>(what: &'static str, load: Load) -> impl IntoView
where
    Load: Fn() -> Loading + Send + Sync + 'static,
    Loading: Future<Output = Part> + 'static,
{
    let attempt = RwSignal::new(0u32);
    let shown = move || {
        attempt.track();
        let loading = SendWrapper::new(load());
        Suspend::new(async move {
            match loading.await {
                Ok(part) => part,
                Err(PartMissing) => view! { <PartMissingPanel what attempt /> }.into_any(),
            }
        })
    };
    view! {
        <Suspense fallback=move || {
            view! { <p class="loading" role="status">"Loading " {what} "…"</p> }
        }>{shown}</Suspense>
    }
}

#[component]
fn PartMissingPanel(what: &'static str, attempt: RwSignal<u32>) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-headline">{format!("Could not load {what}")}</strong>
            <p class="error-advice">{wording::PART_MISSING_ADVICE}</p>
            <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>
                "Try again"
            </button>
        </div>
    }
}
