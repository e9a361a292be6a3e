//! Pure registry protocol logic: no network, no DOM. Everything here compiles and is
//! tested natively; the browser transport plugs in through [`http::HttpClient`].

pub mod client;
pub mod error;
pub mod http;
pub mod pagination;
