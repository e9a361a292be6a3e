//! The browser transport: the only module that calls fetch, and the tab's
//! in-memory sign-ins that requests go through.

mod fetch;
mod probe;
mod session;

pub use fetch::FetchClient;
pub use probe::{is_reachable, status_without_preflight};
pub use session::{
    first_passes_pay, next_hop_protocol, probe_access, registry, removal_ways, session_for,
    set_trusted_realms, signed_in_at, RegistryHttp,
};
