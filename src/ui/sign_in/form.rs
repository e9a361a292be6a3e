//! The sign-in form, fetched on demand (`ui::on_demand`): a page that never signs
//! in never loads it. What is typed stays in this tab's memory only.

use leptos::prelude::*;

use crate::net::{self, FetchClient};
use crate::oci::auth::{host_of, Credentials};
use crate::oci::error::RegistryError;
use crate::oci::http::{HttpClient, Method, Request};
use crate::ui::browser::page_origin;
use crate::ui::reconnect::Reconnect;
use crate::wording;

/// The sign-in form: names the registry and, for token auth, the host that issues
/// tokens. `on_signed_in`: told once the registry accepted the sign-in.
#[component]
pub fn SignInForm(address: String, on_signed_in: Option<Callback<()>>) -> impl IntoView {
    let reconnect = use_context::<Reconnect>();
    let session = net::session_for(&address);
    let registry_host = host_of(&address);
    let status = session.status();
    let token_host = status.token_host;
    // Who is signed in, or whose sign-in just failed: asked for again.
    let username = RwSignal::new(status.username.or(status.failed_user).unwrap_or_default());
    let secret = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<(String, String)>);
    let busy = RwSignal::new(false);
    // The form asks for one thing: the keyboard goes to its first field.
    let user_field = NodeRef::<leptos::html::Input>::new();
    let secret_field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        if let Some(field) = user_field.get() {
            let _ = field.focus();
        }
    });

    let submit = {
        let address = address.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            if busy.get_untracked() {
                return;
            }
            // Said in the form, as every other problem is, in place of the browser's
            // own bubble (which would sit beside an earlier, stale answer).
            let missing = if username.with_untracked(|u| u.trim().is_empty()) {
                Some((user_field, "Type your user name for this registry."))
            } else if username.with_untracked(|u| u.contains(':')) {
                // Basic auth joins name and password with a colon (RFC 7617): the
                // registry would split such a name in the wrong place.
                Some((user_field, "A user name cannot contain a colon (:)."))
            } else if secret.with_untracked(String::is_empty) {
                Some((secret_field, "Type your password or access token."))
            } else {
                None
            };
            if let Some((field, what)) = missing {
                problem.set(Some(("Not signed in yet".to_owned(), what.to_owned())));
                if let Some(field) = field.get_untracked() {
                    let _ = field.focus();
                }
                return;
            }
            let credentials =
                Credentials::new(username.get_untracked().trim(), &secret.get_untracked());
            let session = net::session_for(&address);
            if let Err(refusal) = session.sign_in(credentials) {
                let error = RegistryError::SignInRefused {
                    attempt: crate::oci::error::Attempt {
                        method: Method::Get,
                        url: format!("{address}/v2/"),
                    },
                    refusal,
                };
                let message = wording::error(&error);
                problem.set(Some((message.headline, message.advice)));
                return;
            }
            let generation = session.generation();
            let user = username.get_untracked().trim().to_owned();
            busy.set(true);
            problem.set(None);
            let address = address.clone();
            leptos::task::spawn_local(async move {
                let checked = net::registry(&address, FetchClient::new())
                    .check_api()
                    .await;
                // A request with credentials that failed where one without them is
                // answered: the browser refused to send them (CORS), not an outage.
                let answers_anonymously = match &checked {
                    Err(RegistryError::Network { .. }) => {
                        let plain = Request::new(Method::Get, format!("{address}/v2/"));
                        FetchClient::new().send(plain).await.is_ok()
                    }
                    _ => false,
                };
                // The form may be gone meanwhile (closed, or another registry
                // connected): the sign-in's outcome still counts, its fields do not.
                busy.try_set(false);
                let session = net::session_for(&address);
                if session.generation() != generation {
                    // Signed in again or out meanwhile: that decides, not this check.
                    return;
                }
                // A registry that answers /v2/ to anyone passes the check without the
                // token the refused password could not get: refused all the same.
                let status = session.status();
                let failure = wording::sign_in_failure(
                    &address,
                    &wording::SignInCheck {
                        result: checked.as_ref().map(|_| ()),
                        rejected: status.credentials_rejected,
                        method_known: status.login_seen,
                        cross_origin: wording::is_cross_origin(&address, &page_origin()),
                        answers_anonymously,
                    },
                );
                match failure {
                    None => {
                        secret.try_set(String::new());
                        if let Some(signed_in) = on_signed_in {
                            // The dialog may be gone meanwhile (closed, or another registry):
                            // its callback with it.
                            signed_in.try_run(());
                        }
                        if let Some(reconnect) = reconnect {
                            reconnect.again();
                        }
                    }
                    Some((headline, advice)) => {
                        // Also told beside the account, for a form closed by now.
                        let why = format!("Signing in as {user} failed: {headline}");
                        session.sign_in_failed(generation, why);
                        problem.try_set(Some((headline, advice)));
                    }
                }
            });
        }
    };

    view! {
        // The fields have no `name`: a form submitted natively (the page's code
        // crashed, its handler gone) then sends neither of them into a URL.
        <form class="sign-in" on:submit=submit aria-labelledby="sign-in-heading" novalidate>
            <h2 id="sign-in-heading">{format!("Sign in to {registry_host}")}</h2>
            {token_host
                .map(|host| {
                    let whose = if host == registry_host { " (the registry's own address)" } else { "" };
                    view! { <p class="hint">{format!("Sign-in tokens are issued by {host}{whose}.")}</p> }
                })}
            <label for="sign-in-user">"User name"</label>
            <input
                node_ref=user_field
                id="sign-in-user"
                type="text"
                autocomplete="username"
                spellcheck="false"
                required
                prop:value=move || username.get()
                on:input:target=move |event| username.set(event.target().value())
            />
            <label for="sign-in-secret">"Password or access token"</label>
            <input
                node_ref=secret_field
                id="sign-in-secret"
                type="password"
                autocomplete="current-password"
                required
                prop:value=move || secret.get()
                on:input:target=move |event| secret.set(event.target().value())
            />
            <div class="sign-in-actions">
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </div>
            {move || {
                problem
                    .get()
                    .map(|(headline, advice)| {
                        view! {
                            <div class="error-panel" role="alert">
                                <strong class="error-headline">{headline}</strong>
                                <p class="error-advice">{advice}</p>
                            </div>
                        }
                    })
            }}
            <p class="hint">"Kept in this tab's memory only: never stored, so a reload asks again."</p>
        </form>
    }
}
