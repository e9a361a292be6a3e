//! Pure registry protocol logic: no network, no DOM. Everything here compiles and is
//! tested natively; the browser transport plugs in through [`http::HttpClient`].

pub mod auth;
pub mod bounds;
pub mod bulk;
pub mod changes;
pub mod cleanup;
pub mod client;
pub mod error;
pub mod find_digest;
pub mod http;
pub mod image_summary;
pub mod index_levels;
pub mod intent;
pub mod journal_log;
pub mod manifest;
pub mod media;
pub mod names;
pub mod pagination;
pub mod rate_limit;
pub mod recovery;
pub mod referrer_changes;
pub mod referrers;
pub mod removal_plan;
pub mod undo;
