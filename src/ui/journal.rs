//! The tab's journal of changes in progress: each change's intent is written to the
//! tab's session storage before its first write and removed when it ends. A change
//! still listed when the page loads was cut short (tab reloaded, closed, crashed);
//! the activity list reconciles it with the registry (see `Changes::provide`).

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::oci::intent::{Intent, Journal};
use crate::ui::browser;

const JOURNAL_KEY: &str = "tagdeck.journal";

/// A change in progress: what it is, and what it was about to write.
#[derive(Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: u64,
    pub registry: String,
    pub summary: String,
    pub intents: Vec<Intent>,
}

/// The journal's entries, each read on its own: one entry that cannot be read (a
/// format from another version of the console) must not hide the others.
fn read() -> Vec<Pending> {
    browser::session_stored(JOURNAL_KEY)
        .and_then(|json| browser::parse_json::<Vec<serde_json::Value>>(&json))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| serde_json::from_value(entry).ok())
        .collect()
}

/// False when the tab's storage refused it (full); true also where the browser
/// gives no storage at all, where no reload could read it back anyway.
fn write(pending: &[Pending]) -> bool {
    match serde_json::to_string(pending) {
        Ok(json) => browser::session_store(JOURNAL_KEY, &json) || !browser::has_session_storage(),
        Err(_) => false,
    }
}

/// One change's place in the journal.
#[derive(Clone, Copy)]
pub struct Ticket(u64);

impl Ticket {
    /// Opens the journal entry of a change about to run (no intent yet: nothing is
    /// written until the change says what).
    pub fn open(registry: &str, summary: &str) -> Ticket {
        let id = (js_sys::Math::random() * 9e15) as u64;
        let mut pending = read();
        pending.push(Pending {
            id,
            registry: registry.to_owned(),
            summary: summary.to_owned(),
            intents: Vec::new(),
        });
        let _ = write(&pending);
        Ticket(id)
    }

    /// What the change tells before each write lands in storage at once.
    pub fn recorder(self) -> Journal {
        Rc::new(move |intent: &Intent| {
            let mut pending = read();
            // An entry the storage never took (full when the change opened) keeps
            // nothing: the change must not start.
            let Some(entry) = pending.iter_mut().find(|p| p.id == self.0) else {
                return !browser::has_session_storage();
            };
            entry.intents.push(intent.clone());
            write(&pending)
        })
    }

    /// The change ended and its result is in the activity list.
    pub fn close(self) {
        let mut pending = read();
        pending.retain(|p| p.id != self.0);
        let _ = write(&pending);
    }
}

/// Changes a previous load of this tab left unfinished, taken out of the journal.
/// Those that never reached a write are dropped: nothing to reconcile.
pub fn take_interrupted() -> Vec<Pending> {
    let pending = read();
    if !pending.is_empty() {
        write(&[]);
    }
    pending
        .into_iter()
        .filter(|p| !p.intents.is_empty())
        .collect()
}
