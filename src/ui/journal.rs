//! The tab's journal of changes in progress: each change's intent is written to the
//! tab's session storage before its first write and removed when it ends. A change
//! still listed when the page loads was cut short (tab reloaded, closed, crashed);
//! the activity list reconciles it with the registry (see `Changes::provide`).
//!
//! This page's own changes are kept in memory and only written out, never read
//! back: one key per change and per intent (`oci::journal_log`).

use std::cell::RefCell;
use std::rc::Rc;

use crate::oci::intent::{Intent, Journal};
use crate::oci::journal_log::{gather, header_key, intent_key, is_journal_key, Header, LEGACY_KEY};
pub use crate::oci::journal_log::{Gathered, Pending};
use crate::ui::browser;

thread_local! {
    /// This page's changes in progress whose header the storage took: id and how
    /// many intents are stored.
    static OPEN: RefCell<Vec<(u64, usize)>> = const { RefCell::new(Vec::new()) };
}

/// False when the tab's storage refused it (full); true also where the browser
/// gives no storage at all, where no reload could read it back anyway.
fn write(key: &str, value: &impl serde::Serialize) -> bool {
    match serde_json::to_string(value) {
        Ok(json) => browser::session_store(key, &json) || !browser::has_session_storage(),
        Err(_) => false,
    }
}

/// One change's place in the journal.
#[derive(Clone, Copy)]
pub struct Ticket(u64);

impl Ticket {
    /// Opens the journal entry of a change about to run (no intent yet).
    pub fn open(registry: &str, summary: &str) -> Ticket {
        Ticket::open_for(registry, summary, None)
    }

    /// [`Ticket::open`] for the Retry of activity entry `entry`.
    pub fn open_for(registry: &str, summary: &str, entry: Option<usize>) -> Ticket {
        let id = (js_sys::Math::random() * 9e15) as u64;
        let header = Header {
            id,
            registry: registry.to_owned(),
            summary: summary.to_owned(),
            entry,
        };
        if write(&header_key(id), &header) {
            OPEN.with(|open| open.borrow_mut().push((id, 0)));
        }
        Ticket(id)
    }

    /// What the change tells before each write lands in storage at once.
    pub fn recorder(self) -> Journal {
        Rc::new(move |intent: &Intent| {
            OPEN.with(|open| {
                // An entry the storage never took (full when the change opened) keeps
                // nothing: the change must not start.
                let mut open = open.borrow_mut();
                let Some((_, stored)) = open.iter_mut().find(|(id, _)| *id == self.0) else {
                    return false;
                };
                let written = write(&intent_key(self.0, *stored), intent);
                if written {
                    *stored += 1;
                }
                written
            })
        })
    }

    /// The change ended and its result is in the activity list.
    pub fn close(self) {
        let stored = OPEN.with(|open| {
            let mut open = open.borrow_mut();
            let at = open.iter().position(|(id, _)| *id == self.0)?;
            Some(open.swap_remove(at).1)
        });
        let Some(stored) = stored else {
            return;
        };
        // Intents first: a page closed meanwhile leaves a readable header.
        for n in 0..stored {
            browser::session_remove(&intent_key(self.0, n));
        }
        browser::session_remove(&header_key(self.0));
    }
}

/// Changes a previous load of this tab left unfinished (those that never reached a
/// write are not: nothing to reconcile), and how many could not be read. They stay
/// in storage until the activity list has saved them ([`clear`]). Not yet told
/// apart: a copy made by duplicating a tab whose change still runs.
pub fn take_interrupted() -> Gathered {
    let legacy = browser::session_stored(LEGACY_KEY);
    let stored = browser::session_entries(|key| is_journal_key(key) && key != LEGACY_KEY);
    gather(stored, legacy.as_deref())
}

/// Removes journal keys whose changes the activity list now holds.
pub fn clear(keys: &[String]) {
    for key in keys {
        browser::session_remove(key);
    }
}
