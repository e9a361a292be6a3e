//! What is wrong with a registry this page cannot use, and what to change: the
//! connection check's answer when `/v2/` fails. A part of its own
//! (`ui::on_demand`): most pages never show it.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::model::registry_address::{cors_config_snippet, same_origin_proxy_snippet};
use crate::net::status_without_preflight;
use crate::oci::error::RegistryError;
use crate::ui::browser;
use crate::ui::error_view::ErrorPanel;
use crate::ui::reconnect::Reconnect;
use crate::wording;

/// Why `/v2/` could not be used, as the user needs to hear it.
#[derive(Clone)]
pub enum Problem {
    Unreachable,
    /// An https page cannot call an http registry: the browser blocks it.
    MixedContent,
    RefusedByCors,
    /// It sends CORS headers, but its login refuses the browser's preflights: found
    /// by the diagnosis itself, in a [`Problem::RefusedByCors`] case.
    LoginRefusesPreflight,
    /// This deployment's Content-Security-Policy does not allow the registry.
    NotAllowedHere,
    NotARegistry,
    NeedsLogin,
    /// It asks for a login, but its 401 taught no way to sign in (its CORS settings
    /// hide how, or it names one this console does not offer): a form could send
    /// nothing.
    NoSignInWay,
    Other,
}

/// The snippets shown under the explanation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fix {
    None,
    /// The registry's CORS headers, or one origin behind a reverse proxy.
    CorsOrProxy,
    /// One origin: no CORS header can help.
    ProxyOnly,
}

#[component]
pub fn Diagnosis(address: String, problem: Problem, error: RegistryError) -> impl IntoView {
    // A CORS refusal may be a login's: distribution answers the browser's preflight
    // with 401, CORS headers or not. A GET that needs no preflight tells the two apart.
    let told = SendWrapper::new(async move {
        let problem = if matches!(problem, Problem::RefusedByCors)
            && wording::login_refuses_preflight(
                status_without_preflight(&format!("{address}/v2/")).await,
            ) {
            Problem::LoginRefusesPreflight
        } else {
            problem
        };
        view! { <Explained address problem error /> }.into_any()
    });
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading" role="status">"Connecting to the registry…"</p> }
        }>{Suspend::new(told)}</Suspense>
    }
}

#[component]
fn Explained(address: String, problem: Problem, error: RegistryError) -> impl IntoView {
    let reconnect = expect_context::<Reconnect>();
    let origin = browser::page_origin();
    let mut fix = Fix::None;
    let (headline, explanation): (std::borrow::Cow<'static, str>, String) = match problem {
        Problem::Unreachable => (
            "The registry could not be reached".into(),
            wording::unreachable_advice(&address),
        ),
        Problem::MixedContent => (
            "The browser blocks an http registry on an https page".into(),
            format!("This page was loaded over https, so the browser refuses to call {address}. Serve the registry over https, or serve this console from the registry's own address."),
        ),
        Problem::RefusedByCors => {
            fix = Fix::CorsOrProxy;
            (
                "The registry refused this page (CORS)".into(),
                format!("Something answered at {address}, but it does not allow pages from {origin} to read its answers. If it is the registry, add these headers to its configuration and restart it, or serve this console from the registry's own address behind a reverse proxy. If it is not, check the address."),
            )
        }
        Problem::LoginRefusesPreflight => {
            fix = Fix::ProxyOnly;
            let (headline, advice) = wording::login_refuses_preflight_message(&address, &origin);
            (headline.into(), advice)
        }
        Problem::NotAllowedHere => (
            "This console is not allowed to connect to that registry".into(),
            format!("Whoever deployed this console allows it to connect only to the registries it was set up for (its Content-Security-Policy); {address} is not one of them, so the browser refused the connection. Use the console deployed for that registry, or ask for it to be added (REGISTRY_URL or TRUSTED_REALMS in deploy/)."),
        ),
        Problem::NotARegistry => (
            "This is not a registry API".into(),
            format!("{address}/v2/ did not answer like an OCI / Docker registry. Check the address: it is the registry's base URL, without /v2."),
        ),
        Problem::NoSignInWay => {
            let cross_origin = wording::is_cross_origin(&address, &origin);
            match wording::no_sign_in_way(&error, false, cross_origin) {
                Some(way) => {
                    if matches!(way, wording::NoSignInWay::Hidden) {
                        fix = Fix::CorsOrProxy;
                    }
                    let (headline, advice) = wording::no_sign_in_way_message(&address, &way);
                    (headline.into(), advice)
                }
                None => {
                    let message = wording::error(&error);
                    (message.headline.into(), message.advice)
                }
            }
        }
        Problem::NeedsLogin | Problem::Other => {
            let message = wording::error(&error);
            (message.headline.into(), message.advice)
        }
    };
    let proxy_heading = if fix == Fix::ProxyOnly {
        "One origin for console and registry (nginx)"
    } else {
        "Or: one origin for console and registry (nginx)"
    };
    view! {
        <section class="panel diagnosis" aria-labelledby="diagnosis-heading">
            <div class="error-panel" role="alert">
                <h2 id="diagnosis-heading">{headline}</h2>
                <p>{explanation}</p>
                <button type="button" on:click=move |_| reconnect.again()>"Try again"</button>
            </div>
            <Show when=move || fix == Fix::CorsOrProxy>
                <h3>"distribution (registry:2) config.yml"</h3>
                <pre class="snippet" aria-label="CORS configuration for the registry">{cors_config_snippet(&origin)}</pre>
            </Show>
            <Show when=move || fix != Fix::None>
                <h3>{proxy_heading}</h3>
                <pre class="snippet" aria-label="Reverse proxy configuration">{same_origin_proxy_snippet(&address)}</pre>
            </Show>
            <ErrorPanel error=error.clone() details_only=true />
        </section>
    }
}
