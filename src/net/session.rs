//! The tab's sign-ins, one per registry, in memory only (never in storage: a
//! reload asks again), and the client every view talks to a registry through.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::FetchClient;
use crate::model::registry_address::registry_identity;
use crate::model::route::query_param;
use crate::oci::auth::{AuthSession, Authenticated};
use crate::oci::client::{head_concurrency, Registry, RemovalWays, StorageReach};
use crate::oci::pagination::origin_of;

/// What every view sends requests through: fetch, signed in.
pub type RegistryHttp = Authenticated<FetchClient>;

thread_local! {
    static SESSIONS: RefCell<HashMap<String, Rc<AuthSession>>> = RefCell::new(HashMap::new());
    static TRUSTED_REALMS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// What the tab found out about each registry (by base URL).
    static LEARNT: RefCell<HashMap<String, Learnt>> = RefCell::new(HashMap::new());
}

/// What one view finds out about a registry that every other view of the tab should
/// know without finding it out again.
#[derive(Clone, Default)]
struct Learnt {
    /// How it removes tags, as the tab's removals found.
    removal_ways: RemovalWays,
    /// Whether its storage could be read.
    storage: StorageReach,
}

/// The token realms `config.json` trusts besides the registry's own origin: for the
/// registry it names only ([`AuthSession::trust_realms`]), never for one from a link
/// or typed in.
pub fn set_trusted_realms(realms: Vec<String>) {
    // Sessions made before config.json arrived (an interrupted change reconciled at
    // start) learn them too.
    SESSIONS.with(|sessions| {
        for session in sessions.borrow().values() {
            session.trust_realms(&realms);
        }
    });
    TRUSTED_REALMS.with(|trusted| *trusted.borrow_mut() = realms);
}

/// The sign-in for the registry at `base_url` (one per registry, created on first
/// use; registries under different paths of one host each have their own).
pub fn session_for(base_url: &str) -> Rc<AuthSession> {
    SESSIONS.with(|sessions| {
        sessions
            .borrow_mut()
            .entry(registry_identity(base_url))
            .or_insert_with(|| {
                let session =
                    AuthSession::new(base_url, &[], Rc::new(|| js_sys::Date::now() as u64));
                TRUSTED_REALMS.with(|t| session.trust_realms(&t.borrow()));
                Rc::new(session)
            })
            .clone()
    })
}

/// Who is signed in to the registry at `base_url`, from anywhere (an answer arriving
/// after the view that asked has changed registry): a failure is worded for them.
pub fn signed_in_at(base_url: &str) -> Option<String> {
    session_for(base_url).status().username
}

/// The registry at `base_url`, through `client` (for its cancellation), signed in,
/// knowing what the tab learnt of how it removes tags and whether its storage can be
/// read.
pub fn registry(base_url: &str, client: FetchClient) -> Registry<RegistryHttp> {
    let learnt = learnt_about(base_url);
    let registry = Registry::new(base_url, Authenticated::new(client, session_for(base_url)))
        .with_lookup_concurrency(head_concurrency(next_hop_protocol(base_url).as_deref()))
        .sharing_removal_ways(learnt.removal_ways)
        .sharing_storage_reach(learnt.storage);
    if first_passes_pay(base_url) {
        registry.with_first_pass_lookups()
    } else {
        registry
    }
}

fn learnt_about(base_url: &str) -> Learnt {
    LEARNT.with(|learnt| {
        let key = base_url.trim_end_matches('/').to_owned();
        learnt.borrow_mut().entry(key).or_default().clone()
    })
}

/// How the registry at `base_url` removes tags, as this tab found: whether it
/// deletes at all, once asked.
pub fn removal_ways(base_url: &str) -> RemovalWays {
    learnt_about(base_url).removal_ways
}

/// Whether HEADs to `base_url` start with a CORS-safelisted first pass. Only across
/// origins: there every HEAD with the full Accept waits for a preflight, which the
/// first pass saves; on the page's own origin there is none to save. The address can
/// ask for the full Accept only (`fullAccept=1`): the benchmark compares both ways.
pub fn first_passes_pay(base_url: &str) -> bool {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return false;
    };
    let search = location.search().unwrap_or_default();
    let full_accept_only = query_param(&search, "fullAccept").as_deref() == Some("1");
    !full_accept_only && origin_of(base_url) != location.origin().unwrap_or_default()
}

/// Asks the token service what the signed-in user may do in `repository` (see
/// [`Authenticated::probe_access`]); the session keeps the answer.
pub async fn probe_access(
    base_url: &str,
    client: FetchClient,
    repository: &str,
) -> Result<(), crate::oci::http::TransportFailure> {
    Authenticated::new(client, session_for(base_url))
        .probe_access(repository)
        .await
}

/// The protocol the browser last reached `base_url`'s API with, from Resource
/// Timing (`nextHopProtocol`): `None` before any request to it finished, `Some("")`
/// when the browser hides it (a cross-origin registry without Timing-Allow-Origin).
pub fn next_hop_protocol(base_url: &str) -> Option<String> {
    use js_sys::{Array, Function, Reflect};
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let performance = Reflect::get(&window, &"performance".into()).ok()?;
    let entries_by_type: Function = Reflect::get(&performance, &"getEntriesByType".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let entries: Array = entries_by_type
        .call1(&performance, &"resource".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let api = format!("{base_url}/v2/");
    entries.iter().rev().find_map(|entry| {
        let name = Reflect::get(&entry, &"name".into()).ok()?.as_string()?;
        if !name.starts_with(&api) {
            return None;
        }
        Reflect::get(&entry, &"nextHopProtocol".into())
            .ok()?
            .as_string()
    })
}
