//! A part of the console fetched when first used (`ui::on_demand`) that could not be
//! fetched: the same words for a view that cannot open and a step that cannot start.
//! And the console's own code failing.

/// What happened and what to do; nothing was sent to the registry.
pub const PART_MISSING_ADVICE: &str = "Tagdeck fetches this part of the console when it is \
     first used, and that fetch failed or had no complete answer within 30 seconds: the \
     connection dropped or is too slow, or the console was updated since this page was \
     opened. Nothing was changed in the registry. Try again; if it keeps \
     failing, reload the page.";

/// One line for a step (`what`) that could not start because its code did not arrive.
pub fn part_missing(what: &str) -> String {
    format!("{what} could not start: {PART_MISSING_ADVICE}")
}

/// The console's own code failed (`ui::crash`): what the user sees instead of a page
/// that silently stopped answering.
pub const CRASHED_HEADLINE: &str = "Tagdeck stopped: an error in its own code";

/// What to do after [`CRASHED_HEADLINE`].
pub const CRASHED_ADVICE: &str = "This page no longer answers clicks. Reload it to go on: \
     the activity list and its Undo are kept in this tab, and a change that was running \
     is checked against the registry after the reload. Please report the technical \
     details below to the people who run this console.";
