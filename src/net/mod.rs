//! The browser transport: the only module that calls fetch.

mod fetch;
mod probe;

pub use fetch::FetchClient;
pub use probe::is_reachable;
