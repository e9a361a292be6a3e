//! A part of the console fetched when first used (`ui::on_demand`) that could not be
//! fetched.

/// One line for where a step (`what`) could not start because its code did not
/// arrive: nothing was sent to the registry.
pub fn part_missing(what: &str) -> String {
    format!(
        "{what} could not start: Tagdeck fetches its code when first used, and that fetch \
         failed (the connection dropped, or the console was updated since this page was \
         opened). Nothing was changed in the registry. Try again; if it keeps failing, \
         reload the page."
    )
}
