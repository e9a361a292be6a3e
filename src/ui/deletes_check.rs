//! Whether the registry deletes at all, asked when the user starts a removal of many
//! tags (a bulk removal, a clean-up's Apply): each removal needs a delete, and on a
//! registry with deletes turned off every one would fail alike. Asked with one
//! DELETE of a digest nobody has, which changes nothing; never by only looking.
//! A registry found not to delete is remembered for the tab's next loads.

use leptos::prelude::*;

use crate::net;
use crate::net::FetchClient;
use crate::oci::names::Repository;
use crate::ui::browser;
use crate::wording;

#[derive(Clone, Copy)]
pub struct DeletesCheck {
    /// The registry answered that it does not delete.
    pub off: RwSignal<bool>,
    /// The question is on its way.
    pub asking: RwSignal<bool>,
}

impl DeletesCheck {
    pub fn new() -> Self {
        DeletesCheck {
            off: RwSignal::new(false),
            asking: RwSignal::new(false),
        }
    }

    /// Asks, then runs `proceed` unless the registry said it does not delete. When
    /// the answer cannot be read, it proceeds: each removal then says what it met.
    pub fn then_proceed(
        self,
        registry: &str,
        repository: Repository,
        proceed: impl FnOnce() + 'static,
    ) {
        self.asking.set(true);
        let client = net::registry(registry, FetchClient::new());
        leptos::task::spawn_local(async move {
            let enabled = client.deletes_enabled(&repository).await;
            self.asking.try_set(false);
            match enabled {
                Ok(false) => {
                    self.off.try_set(true);
                }
                Ok(true) | Err(_) => proceed(),
            }
        });
    }
}

/// Asking the registry anew whether it deletes, with one DELETE of a digest nobody
/// has, as its configuration may have been changed since it was found not to.
/// Owned by the notice that offers it: the button ([`AskDeletesAgain`]) is drawn anew
/// with the notice, and the question and its answer must outlive that.
#[derive(Clone, Copy)]
pub struct DeletesAsk {
    answer: RwSignal<Option<String>>,
    ask: Action<(String, Repository), ()>,
}

impl DeletesAsk {
    /// The views that disabled removing learn the answer
    /// (`Registry::ask_deletes_enabled`); `on_enabled` runs when deletes are on.
    pub fn new(on_enabled: Option<Callback<()>>) -> Self {
        let answer = RwSignal::new(None::<String>);
        let ask = Action::new_local(move |(registry, repository): &(String, Repository)| {
            let client = net::registry(registry, FetchClient::new());
            let repository = repository.clone();
            async move {
                let said = match client.ask_deletes_enabled(&repository).await {
                    Ok(true) => {
                        if let Some(on_enabled) = on_enabled {
                            on_enabled.try_run(());
                        }
                        String::new()
                    }
                    Ok(false) => "Asked again: deletes are still off.".to_owned(),
                    Err(error) => {
                        let message = wording::error_for(
                            &error,
                            net::signed_in_at(client.base_url()).as_deref(),
                        );
                        format!(
                            "Could not ask again: {}. {}",
                            message.headline, message.advice
                        )
                    }
                };
                answer.try_set(Some(said));
            }
        });
        DeletesAsk { answer, ask }
    }
}

/// "Check again", beside a notice that the registry does not delete (perhaps found
/// by an earlier load of this tab), with what the last asking found.
#[component]
pub fn AskDeletesAgain(registry: String, repository: Repository, ask: DeletesAsk) -> impl IntoView {
    let asking = ask.ask.pending();
    view! {
        " "
        <button type="button" disabled=move || asking.get() on:click=move |_| {
            ask.ask.dispatch_local((registry.clone(), repository.clone()));
        }>
            {move || if asking.get() { "Asking the registry…" } else { "Check again" }}
        </button>
        " "
        {move || ask.answer.get()}
    }
}

/// The registries this tab found not to delete, kept across its reloads (a registry's
/// storage settings seldom change; the notice that says so offers Check again).
/// Addresses only: nothing a user typed or a registry granted.
const DELETES_OFF_KEY: &str = "tagdeck.deletes-off";

fn remembered() -> Vec<String> {
    browser::session_stored(DELETES_OFF_KEY)
        .and_then(|json| browser::parse_json(&json))
        .unwrap_or_default()
}

/// Whether an earlier load of this tab found the registry at `address` not to delete.
pub fn remembered_off(address: &str) -> bool {
    remembered().iter().any(|known| known == address)
}

/// Keeps what was learnt of `address` for the tab's next load: `Some(false)` found
/// off, anything else forgets it.
pub fn remember(address: &str, deletes: Option<bool>) {
    let mut known = remembered();
    known.retain(|known| known != address);
    if deletes == Some(false) {
        known.push(address.to_owned());
    }
    if let Ok(json) = serde_json::to_string(&known) {
        // Only a convenience: a page that cannot keep it asks the registry again.
        let _ = browser::session_store(DELETES_OFF_KEY, &json);
    }
}
