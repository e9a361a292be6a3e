//! Parts of the console fetched the first time they are shown, not with the page.
//!
//! Each function below is a split point: the release build cuts the code only it
//! reaches into its own wasm chunk (`scripts/split/wasm-bindgen` runs
//! `wasm-split-cli` between cargo and wasm-bindgen). Every page loads the main
//! module: the header, connection and sign-in, the catalog, the tag table and the
//! activity list. A part's chunks are fetched once, when it is first opened. A chunk
//! that cannot be fetched is a clear message with a Try again button, never a dead
//! page: the loader does not remember a failure.

use std::future::Future;

use leptos::prelude::*;
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use send_wrapper::SendWrapper;

use super::change_dialog::{ChangeForm, ChangeRequest};
use super::cleanup::CleanupView;
use super::find_digest::FindDigestView;
use super::image::ImageView;

/// The chunk of a part could not be fetched or instantiated.
pub struct PartMissing;

impl From<SplitLoaderError> for PartMissing {
    fn from(_: SplitLoaderError) -> Self {
        PartMissing
    }
}

type Part = Result<AnyView, PartMissing>;

#[wasm_split(cleanup, wasm_split_path = ::leptos::wasm_split, fallible)]
fn cleanup(registry: String, target: String, namespace: bool) -> Part {
    Ok(view! { <CleanupView registry target namespace /> }.into_any())
}

#[wasm_split(find_digest, wasm_split_path = ::leptos::wasm_split, fallible)]
fn find_digest(registry: String, digest: String) -> Part {
    Ok(view! { <FindDigestView registry digest /> }.into_any())
}

#[wasm_split(image, wasm_split_path = ::leptos::wasm_split, fallible)]
fn image(registry: String, repository: String, reference: String) -> Part {
    Ok(view! { <ImageView registry repository reference /> }.into_any())
}

#[wasm_split(change_form, wasm_split_path = ::leptos::wasm_split, fallible)]
fn change_form(registry: String, request: ChangeRequest) -> Part {
    Ok(view! { <ChangeForm registry request /> }.into_any())
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
pub fn LazyImageView(registry: String, repository: String, reference: String) -> impl IntoView {
    view! {
        <OnDemand what="the image view" load=move || {
            image(registry.clone(), repository.clone(), reference.clone())
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
            <p class="error-advice">
                "Tagdeck fetches this part of the console the first time it is opened, from \
                 where the page came from, and that fetch failed: the connection dropped, or \
                 the console was updated since this page was opened. Nothing was changed in \
                 the registry. Try again; if it keeps failing, reload the page."
            </p>
            <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>
                "Try again"
            </button>
        </div>
    }
}
