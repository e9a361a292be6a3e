//! Tagdeck: a registry console. `oci` is the protocol (pure), `wording` the words the
//! views use for its results (pure), `net` the browser transport, `ui` the Leptos views.

pub mod model;
pub mod oci;
pub mod wording;

#[cfg(target_arch = "wasm32")]
pub mod net;
#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
pub use ui::App;
