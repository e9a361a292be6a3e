//! The tab's journal of changes in progress: each change's intent is written to the
//! tab's session storage before its first write and removed when it ends. A change
//! still listed when the page loads was cut short (tab reloaded, closed, crashed);
//! the activity list reconciles it with the registry (see `Changes::provide`).
//!
//! This page's own changes are kept in memory and only written out, never read
//! back: one key per change and per intent (`oci::journal_log`).
//!
//! A tab duplicated (or opened by `window.open`) starts with a copy of this storage:
//! each header names the page load that wrote it, which holds a Web Lock while it
//! lives, so the copy leaves a change still running to that page.

use std::cell::RefCell;
use std::rc::Rc;

use crate::oci::intent::{Intent, Journal};
use crate::oci::journal_log::{
    entries_run_elsewhere, gather, header_key, intent_key, is_journal_key, leave_to_live_owners,
    owners, Header, Taken, LEGACY_KEY,
};
pub use crate::oci::journal_log::{Gathered, Pending};
use crate::ui::browser;

/// How long a page's lock may stay taken before the page counts as alive: a reload's
/// old document lets its lock go within moments of the new one starting; a live page
/// never does. Paid only when a lock is taken.
const OWNER_WAIT_MS: u32 = 1_500;

thread_local! {
    /// This page load's name in the journal, its lock held from its first change on
    /// (not from the load: a page holding a Web Lock is kept out of the browser's
    /// back/forward cache, so Back would reload every page that only browsed).
    static OWNER: u64 = {
        let owner = random_id();
        browser::hold_while_page_lives(owner);
        owner
    };
    /// This page's changes in progress whose header the storage took: id and how
    /// many intents are stored.
    static OPEN: RefCell<Vec<(u64, usize)>> = const { RefCell::new(Vec::new()) };
}

fn random_id() -> u64 {
    (js_sys::Math::random() * 9e15) as u64
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
        let id = random_id();
        let header = Header {
            id,
            registry: registry.to_owned(),
            summary: summary.to_owned(),
            entry,
            owner: Some(page_owner()),
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
/// in storage until the activity list has saved them ([`clear`]). A duplicated tab's
/// copy of changes still running elsewhere is among them: [`leave_to_live_pages`].
pub fn take_interrupted() -> Gathered {
    let legacy = browser::session_stored(LEGACY_KEY);
    let stored = browser::session_entries(|key| is_journal_key(key) && key != LEGACY_KEY);
    gather(stored, legacy.as_deref())
}

/// `changes` but those another live page runs (this tab holds a copy of their
/// journal, made by duplicating that tab), how many those were, and the activity
/// entries another page runs: a Retry among those changes, or one of `running`
/// (entry id, page: a step the copied list says runs) whose page lives. The left
/// changes' keys are removed from this tab, as that page finishes and records them.
pub async fn leave_to_live_pages(
    changes: Vec<Taken>,
    running: &[(usize, u64)],
) -> (Vec<Taken>, usize, Vec<usize>) {
    let owners = owners(&changes, running);
    if owners.is_empty() {
        return (changes, 0, Vec::new());
    }
    let alive = browser::live_page_owners(&owners, OWNER_WAIT_MS).await;
    let (reconcile, left) = leave_to_live_owners(changes, &alive);
    for taken in &left {
        clear(&taken.keys);
    }
    let elsewhere = entries_run_elsewhere(&left, running, &alive);
    (reconcile, left.len(), elsewhere)
}

/// This page load's name, its lock taken: an activity entry whose Undo, Retry or
/// Check again it runs names it, so a duplicated tab leaves that step to it.
pub fn page_owner() -> u64 {
    OWNER.with(|owner| *owner)
}

/// Removes journal keys whose changes the activity list now holds.
pub fn clear(keys: &[String]) {
    for key in keys {
        browser::session_remove(key);
    }
}
