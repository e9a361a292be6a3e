//! Leptos views. The route (registry and view) lives in the page address.

mod activity;
mod browser;
mod bulk;
mod catalog;
mod change_dialog;
mod cleanup;
pub mod connect;
mod copy;
pub mod crash;
mod deletes_check;
mod diagnosis;
mod error_view;
mod find_digest;
mod image;
mod journal;
mod on_demand;
mod reconnect;
mod referrers;
mod registry_switcher;
mod router;
mod sign_in;
mod tags;

use leptos::prelude::*;

use crate::model::registry_address::{normalize_registry_address, without_credentials};
use crate::model::route::View;
use crate::oci::bounds::bounded;
use crate::oci::names::{Digest, Reference};
use crate::wording;
use activity::{ActivityPanel, Changes};
use catalog::CatalogView;
use change_dialog::{Dialog, DialogHost};
use connect::{default_registry, ConnectForm, ConnectionGate, SAME_ORIGIN};
use on_demand::{LazyCleanupView, LazyFindDigestView, LazyImageView, LazyTagsView};
use reconnect::Reconnect;
use router::{Link, Router};
use sign_in::dialog::SignInDialog;
use sign_in::{AccountBadge, SignIn};

#[component]
pub fn App() -> impl IntoView {
    browser::watch_policy_refusals();
    let router = Router::provide();
    Changes::provide();
    Reconnect::provide();
    let fallback = LocalResource::new(|| async {
        let (address, source) = default_registry().await;
        // config.json's trustedRealms count for this registry only, not for one a
        // link names (`?registry=`) or the user types.
        if let Ok(base) = normalize_registry_address(&address) {
            crate::net::session_for(&base).named_by_config();
        }
        (address, source)
    });
    // The registry in use and where it came from; None while config.json loads.
    // Addresses from the page address or config.json are written by people too:
    // they get the same cleaning as the address field (`host:5000/v2/` works), and
    // one that cannot be used says why instead of being sent requests.
    let registry = Memo::new(move |_| {
        // config.json is read first in every case: it also says which token
        // services may receive credentials.
        let configured = fallback.get()?;
        let (address, source) = match router.route().registry {
            Some(address) => (address, "page address"),
            None => configured,
        };
        let usable = normalize_registry_address(&address).map_err(|error| {
            let shown = bounded(&without_credentials(&address), 200);
            (shown, wording::address_error(&error))
        });
        Some((usable, source))
    });
    let address = Signal::derive(move || registry.get().and_then(|(address, _)| address.ok()));
    SignIn::provide(address);
    PlatformName::provide();

    Effect::new(move || {
        let title = match router.route().view {
            View::Catalog => "Tagdeck".to_owned(),
            View::Repository { name } => format!("{name} · Tagdeck"),
            View::Image {
                repository,
                reference,
                ..
            } => {
                // A tag follows a colon, a digest an at sign (tags have no colon).
                let separator = if reference.contains(':') { '@' } else { ':' };
                format!("{repository}{separator}{reference} · Tagdeck")
            }
            View::Cleanup { target, .. } => format!("Clean up {target} · Tagdeck"),
            View::FindDigest { .. } => "Find a digest · Tagdeck".to_owned(),
        };
        browser::set_title(&title);
    });

    view! {
        <header class="topbar">
            <h1>
                <Link view=View::Catalog>"Tagdeck"</Link>
            </h1>
            <ConnectForm current=address />
            <registry_switcher::RegistrySwitcher current=address />
            <nav class="topbar-links" aria-label="Tools">
                <Link view=View::FindDigest { digest: String::new() }>"Find a digest"</Link>
            </nav>
            {move || {
                registry
                    .get()
                    .map(|(_, source)| view! { <span class="source">{format!("from {source}")}</span> })
            }}
            <AccountBadge />
        </header>
        <main>
            <Breadcrumbs />
            {move || match registry.get() {
                None => view! { <p class="loading" role="status">"Finding the registry…"</p> }.into_any(),
                Some((Ok(address), source)) => {
                    let guessed = source == SAME_ORIGIN;
                    view! { <RegistryViews address guessed /> }.into_any()
                }
                Some((Err((address, why)), source)) => view! {
                    <p class="error-panel" role="alert">
                        {format!(
                            "The registry address {address:?} (from {source}) cannot be used: \
                             {why}. Enter a registry's address above."
                        )}
                    </p>
                }
                .into_any(),
            }}
        </main>
    }
}

/// The views of one registry, shown once `/v2/` answered. `guessed`: nobody named
/// the registry, this page's own origin is tried.
#[component]
fn RegistryViews(address: String, guessed: bool) -> impl IntoView {
    let router = router::use_router();
    SignIn::provide_for_views(address.clone());
    Dialog::provide();
    cleanup::ApplyUnderWay::provide(&address);
    let known_tags = tags::KnownTags::provide();
    let gate_address = address.clone();
    let dialog_address = address.clone();
    let sign_in_address = address.clone();
    let activity_address = address.clone();
    view! {
        <ConnectionGate address=gate_address guessed>
            {
                let address = address.clone();
                move || {
                    let address = address.clone();
                    // Views stay across changes made in this tab and refresh what
                    // they show themselves (see `Changes::touched`).
                    let view = router.route().view;
                    known_tags.ask_first_page(&address, &view);
                    match view {
                        View::Catalog => view! { <CatalogView registry=address /> }.into_any(),
                        View::Repository { name } => {
                            view! { <LazyTagsView registry=address repository=name /> }.into_any()
                        }
                        View::Image { repository, reference, index } => {
                            view! { <LazyImageView registry=address repository reference index /> }.into_any()
                        }
                        View::Cleanup { target, namespace } => {
                            view! { <LazyCleanupView registry=address target namespace /> }.into_any()
                        }
                        View::FindDigest { digest } => {
                            view! { <LazyFindDigestView registry=address digest /> }.into_any()
                        }
                    }
                }
            }
        </ConnectionGate>
        <DialogHost registry=dialog_address />
        <SignInDialog address=sign_in_address />
        <ActivityPanel shown_registry=activity_address />
    }
}

/// The platform name of the manifest the page shows by digest, once the multi-arch
/// image it was opened from was read and lists it ("linux/arm64/v8"): the last
/// breadcrumb says that rather than a digest. Keyed by the digest, so it never names
/// another page's manifest.
#[derive(Clone, Copy)]
pub struct PlatformName(RwSignal<Option<(String, String)>>);

impl PlatformName {
    fn provide() {
        provide_context(PlatformName(RwSignal::new(None)));
    }

    /// The app's, from a component (a task started from it has no context).
    pub fn in_context() -> Option<PlatformName> {
        use_context::<PlatformName>()
    }

    pub fn learn(&self, digest: &Digest, name: String) {
        self.0.try_set(Some((digest.to_string(), name)));
    }

    fn of(&self, reference: &str) -> Option<String> {
        self.0.with(|known| {
            known
                .as_ref()
                .filter(|(digest, _)| digest == reference)
                .map(|(_, name)| name.clone())
        })
    }
}

/// A tag as it is; a digest by its first 12 digits (the page shows it whole).
fn crumb_text(reference: &str) -> String {
    match Digest::parse(reference) {
        Ok(digest) => format!("{}:{}…", digest.algorithm(), digest.short(12)),
        Err(_) => reference.to_owned(),
    }
}

#[component]
fn Breadcrumbs() -> impl IntoView {
    let router = router::use_router();
    move || {
        let view = router.route().view;
        // A platform opened from its multi-arch image sits under it.
        let mut index = None;
        let (repository, reference) = match &view {
            View::Catalog | View::FindDigest { .. } => return None,
            View::Cleanup {
                namespace: true, ..
            } => {
                return Some(view! {
                    <nav class="breadcrumbs" aria-label="Breadcrumbs">
                        <Link view=View::Catalog>"Repositories"</Link>
                    </nav>
                })
            }
            View::Cleanup { target, .. } => (target.clone(), Some("clean up".to_owned())),
            View::Repository { name } => (name.clone(), None),
            View::Image {
                repository,
                reference,
                index: from,
            } => {
                // Only what names a manifest becomes a link (the address is typed).
                index = from
                    .as_deref()
                    .and_then(|from| Reference::parse(from).ok())
                    .map(|from| from.as_str().to_owned());
                (repository.clone(), Some(reference.clone()))
            }
        };
        // A platform, once its multi-arch image named it.
        let platform = index
            .as_ref()
            .and(reference.as_deref())
            .and_then(|reference| use_context::<PlatformName>()?.of(reference));
        let index_crumb = index.map(|index| {
            let view = View::Image {
                repository: repository.clone(),
                reference: index.clone(),
                index: None,
            };
            view! { " / " <Link view>{crumb_text(&index)}</Link> }
        });
        Some(view! {
            <nav class="breadcrumbs" aria-label="Breadcrumbs">
                <Link view=View::Catalog>"Repositories"</Link>
                " / "
                <Link view=View::Repository { name: repository.clone() }>{repository.clone()}</Link>
                {index_crumb}
                {reference.map(|r| {
                    let text = platform.clone().unwrap_or_else(|| crumb_text(&r));
                    view! { " / " <span aria-current="page" title=r.clone()>{text}</span> }
                })}
            </nav>
        })
    }
}
