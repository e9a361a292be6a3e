//! "Check the registry again": after the user fixed its configuration, signed in or
//! out. The connection gate watches it.

use leptos::prelude::*;

/// Asks the connection check to run again (after the user fixed the registry).
#[derive(Clone, Copy)]
pub struct Reconnect(RwSignal<u64>);

impl Reconnect {
    pub fn provide() {
        provide_context(Reconnect(RwSignal::new(0)));
    }

    pub fn again(&self) {
        self.0.update(|n| *n += 1);
    }

    /// Makes the calling resource run again when `again` is called.
    pub fn track(&self) {
        self.0.track();
    }
}
