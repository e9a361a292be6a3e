//! The journal's stored form, and the activity list's share of the tab's storage:
//! pure, so tested natively (the browser side is `ui::journal` and `ui::activity`).
//!
//! Each change in progress is one key (its header) and one key per intent, so
//! recording an intent writes that intent only: a clean-up of N images costs N
//! writes, not N re-reads of everything before.

use serde::{Deserialize, Serialize};

use super::intent::Intent;
use crate::model::sort;

/// Where earlier versions kept the whole journal under one key.
pub const LEGACY_KEY: &str = "tagdeck.journal";
const PREFIX: &str = "tagdeck.journal.";

/// A change in progress: what it is, and what it was about to write.
#[derive(Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: u64,
    pub registry: String,
    pub summary: String,
    pub intents: Vec<Intent>,
    /// The activity entry whose Retry this is: after a reload that entry checks
    /// it, rather than a second entry offering the same writes.
    #[serde(default)]
    pub entry: Option<usize>,
    /// As [`Header::owner`].
    #[serde(default)]
    pub owner: Option<u64>,
}

/// A change's own key: what it is, written before any intent.
#[derive(Serialize, Deserialize)]
pub struct Header {
    pub id: u64,
    pub registry: String,
    pub summary: String,
    /// As [`Pending::entry`].
    #[serde(default)]
    pub entry: Option<usize>,
    /// The page load that runs the change (`ui::journal`): a tab duplicated while it
    /// runs finds it in its copy of the storage, and must leave it to that page. None
    /// in headers written before pages were told apart.
    #[serde(default)]
    pub owner: Option<u64>,
}

pub fn header_key(id: u64) -> String {
    format!("{PREFIX}{id}")
}

pub fn intent_key(id: u64, n: usize) -> String {
    format!("{PREFIX}{id}.{n}")
}

/// Whether `key` is one of the journal's (either form).
pub fn is_journal_key(key: &str) -> bool {
    key == LEGACY_KEY || key.starts_with(PREFIX)
}

/// A change found unfinished, with the keys to clear once the activity list holds it.
pub struct Taken {
    pub pending: Pending,
    pub keys: Vec<String>,
}

/// What an earlier load left in the journal.
#[derive(Default)]
pub struct Gathered {
    pub changes: Vec<Taken>,
    /// Changes that could not be read (another version's format): told, not lost silently.
    pub unreadable: usize,
    /// Keys with nothing to reconcile (unreadable, or a change that never wrote).
    pub stale: Vec<String>,
}

#[derive(Default)]
struct Group {
    id: u64,
    header: Option<String>,
    /// By their number, to be put in order.
    intents: Vec<(usize, String)>,
    keys: Vec<String>,
    /// An intent key this version cannot order: the change is not whole.
    broken: bool,
}

/// Reads the journal back from the tab's `stored` keys (any key: those not the
/// journal's are ignored) and the `legacy` single-key journal, each change on its
/// own: one that cannot be read must not hide the others.
pub fn gather(stored: Vec<(String, String)>, legacy: Option<&str>) -> Gathered {
    let mut found = Gathered::default();
    // A few changes at most: a list, not a map (a map's code weighs on every page).
    let mut groups: Vec<Group> = Vec::new();
    for (key, value) in stored {
        let Some(rest) = key.strip_prefix(PREFIX) else {
            continue;
        };
        let (id, n) = match rest.split_once('.') {
            Some((id, n)) => (id.parse::<u64>().ok(), Some(n.parse::<usize>().ok())),
            None => (rest.parse::<u64>().ok(), None),
        };
        let Some(id) = id else {
            found.unreadable += 1;
            found.stale.push(key);
            continue;
        };
        let at = match groups.iter().position(|group| group.id == id) {
            Some(at) => at,
            None => {
                groups.push(Group {
                    id,
                    ..Group::default()
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[at];
        match n {
            None => group.header = Some(value),
            Some(Some(n)) => group.intents.push((n, value)),
            Some(None) => group.broken = true,
        }
        group.keys.push(key);
    }
    sort::by_cached_key(&mut groups, |group| group.id);
    for mut group in groups {
        let header = group
            .header
            .filter(|_| !group.broken)
            .and_then(|h| parsed::<Header>(&h));
        sort::by_cached_key(&mut group.intents, |(n, _)| *n);
        let intents: Option<Vec<Intent>> = group.intents.iter().map(|(_, i)| parsed(i)).collect();
        match (header, intents) {
            (Some(header), Some(intents)) if !intents.is_empty() => found.changes.push(Taken {
                pending: Pending {
                    id: header.id,
                    registry: header.registry,
                    summary: header.summary,
                    intents,
                    entry: header.entry,
                    owner: header.owner,
                },
                keys: group.keys,
            }),
            // Opened, never wrote: nothing to reconcile.
            (Some(_), Some(_)) => found.stale.extend(group.keys),
            _ => {
                found.unreadable += 1;
                found.stale.extend(group.keys);
            }
        }
    }
    if let Some(json) = legacy {
        gather_legacy(json, &mut found);
    }
    found
}

/// The pages that wrote `changes` or run an entry of `running` (entry id, page: an
/// Undo, Retry or Check again a reload found running), each once, to ask which still run.
pub fn owners(changes: &[Taken], running: &[(usize, u64)]) -> Vec<u64> {
    let mut owners = Vec::new();
    let named = changes.iter().filter_map(|taken| taken.pending.owner);
    for owner in named.chain(running.iter().map(|(_, owner)| *owner)) {
        if !owners.contains(&owner) {
            owners.push(owner);
        }
    }
    owners
}

/// `changes` split into those to reconcile and those left to the page that runs them
/// (its owner is in `alive`): this tab only holds a copy of their journal.
pub fn leave_to_live_owners(changes: Vec<Taken>, alive: &[u64]) -> (Vec<Taken>, Vec<Taken>) {
    let runs_elsewhere = |taken: &Taken| taken.pending.owner.is_some_and(|o| alive.contains(&o));
    changes
        .into_iter()
        .partition(|taken| !runs_elsewhere(taken))
}

/// The activity entries whose Retry `left` holds, and those of `running` whose page
/// is `alive`: another tab runs it and lists its result, so this tab's copy of each
/// entry offers nothing.
pub fn entries_run_elsewhere(
    left: &[Taken],
    running: &[(usize, u64)],
    alive: &[u64],
) -> Vec<usize> {
    let live = running.iter().filter(|(_, owner)| alive.contains(owner));
    left.iter()
        .filter_map(|taken| taken.pending.entry)
        .chain(live.map(|(id, _)| *id))
        .collect()
}

/// `json` read as a `T`, through a `Value` as the activity list reads its entries: one
/// way of reading each stored type, so the wasm carries one copy of its reader.
fn parsed<T: serde::de::DeserializeOwned>(json: &str) -> Option<T> {
    let value = serde_json::from_slice::<serde_json::Value>(json.as_bytes()).ok()?;
    serde_json::from_value(value).ok()
}

fn gather_legacy(json: &str, found: &mut Gathered) {
    let Some(values) = parsed::<Vec<serde_json::Value>>(json) else {
        found.unreadable += 1;
        found.stale.push(LEGACY_KEY.into());
        return;
    };
    let mut held = false;
    for value in values {
        match serde_json::from_value::<Pending>(value) {
            Ok(pending) if !pending.intents.is_empty() => {
                held = true;
                found.changes.push(Taken {
                    pending,
                    keys: vec![LEGACY_KEY.into()],
                })
            }
            Ok(_) => {}
            Err(_) => found.unreadable += 1,
        }
    }
    // Else cleared with the changes it held, once all are stored.
    if !held {
        found.stale.push(LEGACY_KEY.into());
    }
}

/// How much of the tab's storage the activity list may take, leaving the rest to
/// the journal: a full storage would refuse every later change.
#[derive(Clone, Copy)]
pub struct Budget {
    pub entries: usize,
    /// Characters of JSON (a browser's quota is about 5 million).
    pub chars: usize,
}

/// The activity list's budget.
pub const ACTIVITY_BUDGET: Budget = Budget {
    entries: 200,
    chars: 1_500_000,
};

/// Which entries of the activity list (newest first, each as its JSON size and
/// whether it offers anything after a reload: an Undo, a Retry, a check) are stored.
/// Over the budget, the oldest entries offering nothing go first, then the oldest of
/// the others.
pub fn stored_selection(entries: &[(usize, bool)], budget: Budget) -> Vec<bool> {
    // One that alone is over the budget never fits: older ones are not dropped for it.
    let fits = |size: usize| size + 3 <= budget.chars;
    let mut keep: Vec<bool> = entries.iter().map(|(size, _)| fits(*size)).collect();
    let mut count = keep.iter().filter(|k| **k).count();
    // The list's brackets, and a comma per entry.
    let mut chars = 2 + entries
        .iter()
        .filter(|(size, _)| fits(*size))
        .map(|(size, _)| size + 1)
        .sum::<usize>();
    for dropping_offers in [false, true] {
        for (at, (size, offers)) in entries.iter().enumerate().rev() {
            if count <= budget.entries && chars <= budget.chars {
                return keep;
            }
            if keep[at] && *offers == dropping_offers {
                keep[at] = false;
                count -= 1;
                chars -= size + 1;
            }
        }
    }
    keep
}
