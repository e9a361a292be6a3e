//! Signing in to the registry: the dialog around the form (`form`, fetched on
//! demand), who is signed in (in the top bar), and what a user who may only read is
//! told before trying a change.

use leptos::prelude::*;

/// The dialog around the form: apart, as the form is fetched through
/// `ui::on_demand`, whose views use this module.
pub(super) mod dialog;
/// Reached through `ui::on_demand` only, which fetches its code.
pub(super) mod form;

use crate::net;
use crate::oci::auth::SessionStatus;
use crate::oci::names::Repository;
use crate::ui::browser;
use crate::ui::deletes_check::{self, AskDeletesAgain, DeletesAsk};
use crate::ui::reconnect::Reconnect;
use crate::wording::{self, AccountBadge as Badge};

/// The sign-in of the registry in use, for every view. Copy: signals only.
#[derive(Clone, Copy)]
pub struct SignIn {
    address: Signal<Option<String>>,
    /// Bumped whenever the session's status or a repository's access may have changed.
    version: RwSignal<u64>,
    dialog_open: RwSignal<bool>,
}

impl SignIn {
    pub fn provide(address: Signal<Option<String>>) {
        let version = RwSignal::new(0_u64);
        // The session lives outside Leptos (requests reach it from any task): it
        // tells the views through this signal. Nothing to bump for a new address:
        // what reads the session tracks the address too, or is made anew with it.
        Effect::new(move || {
            if let Some(address) = address.get() {
                net::session_for(&address).set_listener(move || {
                    version.try_update(|v| *v += 1);
                });
                // A registry found not to delete disables removals like an account
                // that may not delete; found by an earlier load of this tab too.
                let ways = net::removal_ways(&address);
                let (learnt, remembered) = (ways.clone(), address.clone());
                ways.on_deletes_learnt(move || {
                    deletes_check::remember(&remembered, learnt.deletes());
                    version.try_update(|v| *v += 1);
                });
                // After the listener: views drawn before this effect ran are told.
                if deletes_check::remembered_off(&address) {
                    ways.learn_deletes(false);
                }
            }
        });
        provide_context(SignIn {
            address,
            version,
            dialog_open: RwSignal::new(false),
        });
    }

    /// The sign-in as the views of one registry see it, provided in their place
    /// (`ui::RegistryViews`): their address never changes, as another registry gets
    /// views of its own. Switching registries then notifies nothing of the views being
    /// dropped; a button of theirs read once more then, for a registry it no longer
    /// shows, found its row's signals gone and stopped the whole console.
    pub fn provide_for_views(address: String) {
        if let Some(app) = use_sign_in() {
            provide_context(SignIn {
                address: Signal::stored(Some(address)),
                ..app
            });
        }
    }

    /// Why an Undo is disabled, if it is: it `writes` (repositories, each with
    /// whether it deletes there: [`crate::oci::undo::UndoAction::writes`]) where the account
    /// signed in to `registry` (the entry's, perhaps not the one shown) may not: a
    /// reader; an account that may not delete, when the undo removes a tag the change
    /// added. `None` also when nobody is signed in there: an open registry may take it.
    pub fn undo_blocked(&self, registry: &str, writes: &[(String, bool)]) -> Option<Blocked> {
        writes.iter().find_map(|(repository, deletes)| {
            self.blocked_at(Some(registry.to_owned()), repository, *deletes)
        })
    }

    fn with_session_at<T>(
        &self,
        address: Option<String>,
        read: impl FnOnce(&crate::oci::auth::AuthSession) -> T,
    ) -> Option<T> {
        self.version.track();
        Some(read(&net::session_for(&address?)))
    }

    pub fn status(&self) -> SessionStatus {
        self.with_session_at(self.address.get(), |s| s.status())
            .unwrap_or_default()
    }

    pub fn open(&self) {
        self.dialog_open.set(true);
    }

    fn close(&self) {
        self.dialog_open.set(false);
    }

    fn who(status: &SessionStatus) -> String {
        match &status.username {
            Some(user) => format!("signed in as {user}"),
            None => "not signed in".to_owned(),
        }
    }

    /// Why tag changes in `repository` are disabled, if they are: the token service
    /// granted no push, or the registry refused a write.
    pub fn changes_blocked(&self, repository: &str) -> Option<Blocked> {
        self.blocked_at(self.address.get(), repository, false)
    }

    /// Why removing tags in `repository` is disabled: no push, or no delete (the
    /// account's or the registry's).
    pub fn removal_blocked(&self, repository: &str) -> Option<Blocked> {
        self.blocked_at(self.address.get(), repository, true)
    }

    /// Why writing in `repository` of the registry at `address` is disabled: no push;
    /// or, for a write that `deletes`, no delete either.
    fn blocked_at(
        &self,
        address: Option<String>,
        repository: &str,
        deletes: bool,
    ) -> Option<Blocked> {
        let registry_deletes = address
            .as_deref()
            .and_then(|address| net::removal_ways(address).deletes());
        let (access, status) =
            self.with_session_at(address, |s| (s.access(repository), s.status()))?;
        let who = Self::who(&status);
        if access.push == Some(false) {
            Some(Blocked::Account(format!(
                "{who}: read-only in {repository}"
            )))
        } else if deletes && access.delete == Some(false) {
            Some(Blocked::Account(format!(
                "{who}: may add tags but not delete in {repository}"
            )))
        } else if deletes && registry_deletes == Some(false) {
            Some(Blocked::RegistryDoesNotDelete)
        } else {
            None
        }
    }
}

/// Why a write is disabled before it is tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The account signed in (or none) may not: "signed in as …: read-only in …".
    Account(String),
    /// The registry answered that it does not delete at all: no account would do.
    RegistryDoesNotDelete,
}

impl Blocked {
    /// The reason as a clause, for a button's title and "… is disabled (…)".
    pub fn why(&self) -> String {
        match self {
            Blocked::Account(why) => why.clone(),
            Blocked::RegistryDoesNotDelete => wording::REGISTRY_DOES_NOT_DELETE.to_owned(),
        }
    }

    /// Whether signing in with another account could lift it.
    pub fn sign_in_helps(&self) -> bool {
        matches!(self, Blocked::Account(_))
    }
}

pub fn use_sign_in() -> Option<SignIn> {
    use_context::<SignIn>()
}

/// Who is signed in to the registry on screen, read once (untracked): a failure is
/// worded for whoever it happened to (`wording::error_for`).
pub fn signed_in_user() -> Option<String> {
    use_sign_in().and_then(|sign_in| untrack(|| sign_in.status()).username)
}

/// Why adding and why removing tags in `repository` are disabled (None: allowed, or
/// not known yet), for buttons: `disabled` and a `title` that says why.
pub fn blocked_reasons(repository: &str) -> (Signal<Option<String>>, Signal<Option<String>>) {
    let sign_in = use_sign_in();
    let (add, remove) = (repository.to_owned(), repository.to_owned());
    (
        Signal::derive(move || sign_in?.changes_blocked(&add).map(|b| b.why())),
        Signal::derive(move || sign_in?.removal_blocked(&remove).map(|b| b.why())),
    )
}

/// Who is signed in, with Sign out; or Sign in, once the registry asked for a login.
#[component]
pub fn AccountBadge() -> impl IntoView {
    let sign_in = use_sign_in();
    move || {
        let sign_in = sign_in?;
        let status = sign_in.status();
        let reconnect = use_context::<Reconnect>();
        let sign_out = move |_| {
            if let Some(address) = sign_in.address.get_untracked() {
                net::session_for(&address).sign_out();
            }
            if let Some(reconnect) = reconnect {
                reconnect.again();
            }
        };
        Some(match wording::account_badge(&status)? {
            Badge::SignedIn(user) => view! {
                <span class="account" role="status">
                    "Signed in as " <strong>{user}</strong>
                    <button type="button" on:click=sign_out>"Sign out"</button>
                </span>
            }
            .into_any(),
            Badge::SignIn(why) => view! {
                <span class="account" role="status">
                    {why}
                    <button type="button" on:click=move |_| sign_in.open()>"Sign in"</button>
                </span>
            }
            .into_any(),
        })
    }
}

/// Says up front that changes are disabled here, and why; asks the token service
/// what the user may do in `repository` when the view opens.
#[component]
pub fn AccessNotice(registry: String, repository: String) -> impl IntoView {
    let sign_in = use_sign_in();
    {
        let client = browser::client_for_this_view();
        let (registry, repository) = (registry.clone(), repository.clone());
        // Asked once the registry has said it uses token auth (the view may open
        // before the connection check has learnt it).
        let token_auth =
            Memo::new(move |_| sign_in.is_some_and(|s| s.status().token_host.is_some()));
        Effect::new(move || {
            if token_auth.get() {
                let (registry, repository, client) =
                    (registry.clone(), repository.clone(), client.clone());
                leptos::task::spawn_local(async move {
                    // Only a hint for the views: a failure here leaves "unknown", and
                    // the registry still decides each request.
                    let _ = net::probe_access(&registry, client, &repository).await;
                });
            }
        });
    }
    let ask_again = DeletesAsk::new(None);
    move || {
        let sign_in = sign_in?;
        // Said on the page, not only in the disabled buttons' titles.
        let (blocked, disabled) = match sign_in.changes_blocked(&repository) {
            Some(blocked) => (blocked, "Tag changes are disabled."),
            None => (
                sign_in.removal_blocked(&repository)?,
                "Removing tags and deleting images are disabled.",
            ),
        };
        let status = sign_in.status();
        let offer_sign_in =
            blocked.sign_in_helps() && (status.username.is_none() || status.credentials_rejected);
        Some(view! {
            <p class="access-notice" role="status">
                {format!("{}. {disabled}", wording::sentence(&blocked.why()))}
                {offer_sign_in.then(|| view! {
                    <button type="button" on:click=move |_| sign_in.open()>"Sign in"</button>
                })}
                {(blocked == Blocked::RegistryDoesNotDelete)
                    .then(|| Repository::parse(&repository).ok())
                    .flatten()
                    .map(|repository| view! {
                        <AskDeletesAgain registry=registry.clone() repository ask=ask_again />
                    })}
            </p>
        })
    }
}
