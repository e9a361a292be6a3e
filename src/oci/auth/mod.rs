//! Signing in to a registry: challenges, scopes, the token exchange, where
//! credentials may go, and the client that puts it together. Pure: the browser's
//! fetch plugs in underneath as any [`HttpClient`](super::http::HttpClient).

pub mod base64;
mod challenge;
mod client;
mod policy;
mod scope;
mod session;
mod token;

pub use challenge::{bearer_challenge, parse_challenges, BearerChallenge, Challenge};
pub use client::Authenticated;
pub use policy::{AuthPolicy, AuthRefusal, Credentials};
pub use scope::{scope_for_request, ScopeSet};
pub use session::{host_of, AuthSession, Clock, RepositoryAccess, Scheme, SessionStatus};
pub use token::{granted_scopes, token_url, TokenResponse};
