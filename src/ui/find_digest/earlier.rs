//! Searches this tab finished, kept so that coming back to one shows it at once.

use crate::oci::find_digest::{FindReport, Sought};
use crate::wording;

/// Searches this tab finished, newest last, kept so that coming back to one (Back
/// from an image opened from its results) shows it at once, said to be an earlier
/// search, instead of reading the whole registry again. In memory only, and few: a
/// report can hold thousands of uses.
const SEARCHES_KEPT: usize = 3;

struct EarlierSearch {
    registry: String,
    sought: String,
    report: FindReport,
    finished_ms: f64,
}

thread_local! {
    static EARLIER_SEARCHES: std::cell::RefCell<Vec<EarlierSearch>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

pub(super) fn earlier_search(registry: &str, sought: &Sought) -> Option<(FindReport, f64)> {
    let sought = sought.to_string();
    EARLIER_SEARCHES.with(|kept| {
        kept.borrow()
            .iter()
            .find(|s| s.registry == registry && s.sought == sought)
            .map(|s| (s.report.clone(), s.finished_ms))
    })
}

/// Keeps a finished search (one cancelled is not the answer) in place of an earlier
/// one of the same digest; `None` only forgets that.
pub(super) fn keep_search(registry: &str, sought: &Sought, report: Option<&FindReport>) {
    let sought = sought.to_string();
    EARLIER_SEARCHES.with(|kept| {
        let mut kept = kept.borrow_mut();
        kept.retain(|s| !(s.registry == registry && s.sought == sought));
        if let Some(report) = report.filter(|report| !report.cancelled) {
            if kept.len() == SEARCHES_KEPT {
                kept.remove(0);
            }
            kept.push(EarlierSearch {
                registry: registry.to_owned(),
                sought,
                report: report.clone(),
                finished_ms: js_sys::Date::now(),
            });
        }
    });
}

/// "2 minutes ago", in whole units.
pub(super) fn time_since(earlier_ms: f64) -> String {
    let seconds = ((js_sys::Date::now() - earlier_ms) / 1000.0).max(0.0) as u64;
    match seconds {
        0..=59 => wording::plural(seconds as usize, "second", "seconds"),
        60..=3599 => wording::plural((seconds / 60) as usize, "minute", "minutes"),
        _ => wording::plural((seconds / 3600) as usize, "hour", "hours"),
    }
}
