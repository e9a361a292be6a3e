//! What a search for a digest could not read, so its results may miss something.

use super::{error, ResultLine};
use crate::oci::find_digest::Gap;

pub fn find_gap(gap: &Gap) -> ResultLine {
    let line = match gap {
        Gap::CatalogIncomplete => "The list of repositories may be incomplete (a page came without a readable Link header and asking for the rest failed): repositories on later pages were not searched.".to_owned(),
        Gap::InvalidRepository { name } => format!("The catalog lists \"{name}\", which is not a valid repository name; it was not searched."),
        Gap::TagsUnreadable { repository, problem } => return error(problem).read_line(&format!("The tags of {repository} could not be read: ")),
        Gap::TagsIncomplete { repository } => format!("The tag list of {repository} may be incomplete."),
        Gap::InvalidTag { repository, tag } => format!("{repository} lists \"{tag}\", which is not a valid tag; it was not checked."),
        Gap::TagUnreadable { repository, tag, problem } => return error(problem).read_line(&format!("{repository}:{tag} could not be read: ")),
        Gap::IndexUnreadable { repository, tag, problem } => return error(problem).read_line(&format!("The multi-arch image {repository}:{tag} could not be read: ")),
        Gap::IndexNotRead { repository, tag } => format!("The multi-arch image {repository}:{tag} was not read (too many multi-arch images in one search)."),
    };
    line.into()
}
