//! Whether the registry deletes at all, asked when the user starts a removal of many
//! tags (a bulk removal, a clean-up's Apply): each removal needs a delete, and on a
//! registry with deletes turned off every one would fail alike. Asked with one
//! DELETE of a digest nobody has, which changes nothing; never by only looking.

use leptos::prelude::*;

use crate::net;
use crate::net::FetchClient;
use crate::oci::names::Repository;

#[derive(Clone, Copy)]
pub struct DeletesCheck {
    /// The registry answered that it does not delete.
    pub off: RwSignal<bool>,
    /// The question is on its way.
    pub asking: RwSignal<bool>,
}

impl DeletesCheck {
    pub fn new() -> Self {
        DeletesCheck {
            off: RwSignal::new(false),
            asking: RwSignal::new(false),
        }
    }

    /// Asks, then runs `proceed` unless the registry said it does not delete. When
    /// the answer cannot be read, it proceeds: each removal then says what it met.
    pub fn then_proceed(
        self,
        registry: &str,
        repository: Repository,
        proceed: impl FnOnce() + 'static,
    ) {
        self.asking.set(true);
        let client = net::registry(registry, FetchClient::new());
        leptos::task::spawn_local(async move {
            let enabled = client.deletes_enabled(&repository).await;
            self.asking.try_set(false);
            match enabled {
                Ok(false) => {
                    self.off.try_set(true);
                }
                Ok(true) | Err(_) => proceed(),
            }
        });
    }
}
