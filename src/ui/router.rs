//! The current route, kept in the address bar's query string. Back/forward work,
//! links open in new tabs, and every view can be reloaded or shared.

use leptos::ev;
use leptos::prelude::*;

use crate::model::registry_address::has_credentials;
use crate::model::route::{percent_decode, Route, View};
use crate::ui::browser;

#[derive(Clone, Copy)]
pub struct Router {
    route: RwSignal<Route>,
    /// The page was opened at a registry address holding a user name or password:
    /// left out of the route, the address bar and every link (the connect form says so).
    credentials_left_out: bool,
}

impl Router {
    /// Reads the address bar and follows back/forward navigation.
    pub fn provide() -> Router {
        let route = RwSignal::new(route_in_address_bar());
        let handle = window_event_listener(ev::popstate, move |_| {
            route.set(route_in_address_bar());
        });
        on_cleanup(move || handle.remove());
        let router = Router {
            route,
            // Any `registry` parameter, as a crafted link may repeat it.
            credentials_left_out: browser::location_search()
                .trim_start_matches('?')
                .split('&')
                .filter_map(|pair| pair.strip_prefix("registry="))
                .any(|value| has_credentials(&percent_decode(value))),
        };
        if router.credentials_left_out {
            // Out of the address bar and this history entry too, not only out of the
            // links made from here on.
            let route = route.get_untracked();
            browser::keep_view_setting("registry", route.registry.as_deref().unwrap_or(""));
        }
        provide_context(router);
        router
    }

    pub fn route(&self) -> Route {
        self.route.get()
    }

    /// The address of `view` on the current registry.
    pub fn href(&self, view: View) -> String {
        let route = self.route.with(|r| r.with_view(view));
        browser::page_address(&route.to_query())
    }

    /// Goes to `route`; to the one shown already, nowhere: the view stays as it is,
    /// with its selection and the filter and order in the address.
    pub fn go(&self, route: Route) {
        if self.route.with_untracked(|shown| *shown == route) {
            return;
        }
        browser::push_address(&browser::page_address(&route.to_query()));
        self.route.set(route);
    }

    pub fn credentials_left_out(&self) -> bool {
        self.credentials_left_out
    }

    pub fn go_to_view(&self, view: View) {
        let route = self.route.with_untracked(|r| r.with_view(view));
        self.go(route);
    }
}

/// The route of the address bar; the registry address in it never keeps a password.
fn route_in_address_bar() -> Route {
    Route::from_query(&browser::location_search())
}

pub fn use_router() -> Router {
    expect_context::<Router>()
}

/// A real link (so open-in-new-tab and copy-link work) that navigates in place.
#[component]
pub fn Link(
    view: View,
    children: Children,
    #[prop(optional, into)] class: String,
    /// The accessible name, when the visible text is short.
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    let router = use_router();
    let href = {
        let view = view.clone();
        move || router.href(view.clone())
    };
    let on_click = move |event: ev::MouseEvent| {
        let plain_click = event.button() == 0
            && !(event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key());
        if plain_click {
            event.prevent_default();
            router.go_to_view(view.clone());
        }
    };
    view! {
        <a href=href class=class aria-label=label.clone() title=label on:click=on_click>
            {children()}
        </a>
    }
}
