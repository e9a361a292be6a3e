//! A part of the console fetched when first used (`ui::on_demand`) that could not be
//! fetched: the same words for a view that cannot open and a step that cannot start.

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
