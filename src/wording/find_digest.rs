//! What a search for a digest could not read, so its results may miss something.

use super::{error_for, name_error, ResultLine};
use crate::model::format::human_size;
use crate::oci::bounds::{bounded, MAX_MESSAGE_CHARS};
use crate::oci::error::RegistryError;
use crate::oci::find_digest::{
    DigestUse, FindProgress, FindReport, Gap, ImagePart, Sought, MAX_USES_KEPT, MIN_START_DIGITS,
};
use crate::oci::names::{is_lower_hex, NameError, NameRule};
use crate::oci::names::{ImageReference, Repository, Tag};

/// Why the digest to find (typed, or in the page address when `in_address`) is
/// refused, and what to paste instead.
pub fn digest_refused(refusal: &NameError, in_address: bool) -> String {
    if refusal.input.is_empty() {
        return format!(
            "Paste a digest first: sha256: followed by 64 hexadecimal digits, or its first \
             {MIN_START_DIGITS} digits or more."
        );
    }
    // A start of a digest is searched for from 12 digits on, as lists show it: fewer
    // would match too many images to mean one.
    if let NameRule::WrongDigestLength {
        expected, actual, ..
    } = &refusal.reason
    {
        let hex = refusal
            .input
            .split_once(':')
            .is_some_and(|(_, value)| is_lower_hex(value));
        if hex && actual < expected {
            return format!(
                "That is too short a start of a digest ({actual} hexadecimal digits): \
                 the search takes at least the first {MIN_START_DIGITS}, as the tag list \
                 and docker images show them, or the whole digest (the Copy button \
                 beside a digest copies all of it)."
            );
        }
    }
    // `repo:tag`, as docker prints it: a name, which has a digest but is none.
    if let Ok(ImageReference {
        repository,
        tag: Some(tag),
        digest: None,
        ..
    }) = ImageReference::parse(&refusal.input)
    {
        if !matches!(repository.as_str(), "sha256" | "sha512") {
            return format!(
                "{repository}:{tag} is an image's name and tag, not a digest. Open \
                 {repository} from Repositories and copy the digest of {tag} (the Copy \
                 button beside it), then paste it here."
            );
        }
    }
    let what = if in_address {
        "The address names no valid digest"
    } else {
        "That is not a digest"
    };
    format!(
        "{what} ({}). Paste one like sha256: followed by 64 hexadecimal digits, as the \
         image view shows it.",
        name_error(refusal)
    )
}

/// A name the registry listed that is no valid name: any length, any characters.
/// Cut as registry text is (`bounded`) and with hidden characters named (`visible`),
/// so it cannot fill the page or read as another name.
fn listed(name: &str) -> String {
    // Named first, then cut: a name of invisible characters grows eightfold when named.
    bounded(&super::visible(name), MAX_MESSAGE_CHARS)
}

/// "tags: v1, multi (linux/arm64)": the tags that name an image.
fn named(named_by: &[(Tag, Option<String>)]) -> String {
    let names: Vec<String> = named_by
        .iter()
        .map(|(tag, platform)| match platform {
            Some(platform) => format!("{tag} ({platform})"),
            None => tag.to_string(),
        })
        .collect();
    let tags = super::plural(names.len(), "tag", "tags");
    format!("{tags}: {}", super::some_names(&names))
}

/// What a search could not read, told to whoever is `signed_in`.
pub fn find_gap(gap: &Gap, signed_in: Option<&str>) -> ResultLine {
    let error = |problem: &RegistryError| error_for(problem, signed_in);
    let line = match gap {
        Gap::CatalogIncomplete => "The list of repositories may be incomplete (its pages could not all be followed: a page without a readable Link header, or more than this page reads): repositories on later pages were not searched.".to_owned(),
        Gap::InvalidRepository { name } => format!("The catalog lists \"{}\", which is not a valid repository name; it was not searched.", listed(name)),
        Gap::TagsUnreadable { repository, problem } => return error(problem).read_line(&format!("The tags of {repository} could not be read: ")),
        Gap::TagsIncomplete { repository } => format!("The tag list of {repository} may be incomplete."),
        Gap::InvalidTag { repository, tag } => format!("{repository} lists \"{}\", which is not a valid tag; it was not checked.", listed(tag)),
        Gap::TagUnreadable { repository, tag, problem } => return error(problem).read_line(&format!("{repository}:{tag} could not be read: ")),
        Gap::IndexUnreadable { repository, tag, problem } => return error(problem).read_line(&format!("The multi-arch image {repository}:{tag} could not be read: ")),
        Gap::IndexNotRead { repository, tag } => format!("The multi-arch image {repository}:{tag} was not read (too many multi-arch images in one search)."),
        Gap::ImageUnreadable { repository, image, named_by, problem } => {
            return error(problem).read_line(&format!(
                "The image {repository}@{}:{} ({}) could not be read, so whether it has the layer is unknown: ",
                image.algorithm(),
                image.short(12),
                named(named_by)
            ));
        }
        Gap::ImageNotInspected { repository, image, named_by, media_type } => format!(
            "The image {repository}@{}:{} ({}) is of a kind whose parts Tagdeck cannot read ({}), so whether it has the layer is unknown.",
            image.algorithm(),
            image.short(12),
            named(named_by),
            listed(media_type)
        ),
        Gap::NotSha256 { algorithm } => format!("Registries name images, multi-arch images and what tags point at by their sha256 digests: a {} digest cannot match them. Search by the sha256 digest, as the image view shows it.", listed(algorithm)),
        Gap::ImagesNotRead { repository, count } => format!("In {repository}, {} not read (too many images in one search).", super::plural(*count, "image was", "images were")),
        Gap::BlobUnreadable { repository, problem } => return error(problem).read_line(&format!("Whether {repository} stores it as a layer or configuration could not be read: ")),
        Gap::ManifestUnreadable { repository, problem } => return error(problem).read_line(&format!("Whether {repository} keeps an image of that digest that no tag points at could not be read: ")),
    };
    line.into()
}

/// A search cancelled part-way: how far it got, which repositories it was in the
/// middle of, and how many it never reached.
pub fn search_cancelled(progress: &FindProgress, cut_short: &[Repository]) -> String {
    let done = progress.repositories_done;
    let total = progress.repositories_total;
    let mut text =
        format!("Cancelled after {done} of {total} repositories: the search may have missed some.");
    if !cut_short.is_empty() {
        let names: Vec<String> = cut_short.iter().map(Repository::to_string).collect();
        let verb = if names.len() == 1 { "was" } else { "were" };
        text.push_str(&format!(
            " {} {verb} read only in part.",
            super::some_names(&names)
        ));
    }
    let never = total.saturating_sub(done + cut_short.len());
    if never > 0 {
        text.push_str(&format!(
            " {} not searched.",
            super::plural(never, "repository was", "repositories were")
        ));
    }
    text
}

/// The line above a search's results for `target`: [`found_headline`], or where
/// it was not found.
pub fn find_headline(report: &FindReport, target: &Sought) -> String {
    if !report.uses.is_empty() {
        return found_headline(&report.uses);
    }
    // Not a claim about what could not be read (named below).
    let read = if report.may_have_missed() {
        "in what could be read of"
    } else {
        "in"
    };
    let mut headline = format!(
        "Not found {read} the {} repositories searched.",
        report.progress.repositories_done
    );
    // Images are looked into only where a repository stores the digest as a blob.
    if target.whole().is_some() && !report.stored_as_blob {
        headline.push_str(
            " No repository stores it as a layer or an image configuration either, and an \
             image that references a layer the registry does not store (a foreign layer \
             downloaded from elsewhere, or one missing from storage) is not looked at: \
             \"not found\" does not mean that no image uses it.",
        );
    }
    headline
}

/// The line above a search's results: in how many repositories the digest was found,
/// and how it is used there, kind by kind ("Found in 3 repositories: 3 tags point at
/// it and 1 multi-arch image lists it.").
pub fn found_headline(uses: &[DigestUse]) -> String {
    let repositories: std::collections::BTreeSet<&Repository> =
        uses.iter().map(DigestUse::repository).collect();
    // Counted in the order the kinds are listed below.
    let mut counts = [0usize; 8];
    for found in uses {
        let kind = match found {
            DigestUse::Tag { .. } => 0,
            DigestUse::ListedBy { .. } => 1,
            DigestUse::InImage {
                part: ImagePart::Layer { .. },
                ..
            } => 2,
            DigestUse::InImage {
                part: ImagePart::Config,
                ..
            } => 3,
            DigestUse::Blob {
                maybe_tagged: false,
                ..
            } => 4,
            DigestUse::Untagged {
                maybe_tagged: false,
                ..
            } => 5,
            DigestUse::Blob { .. } => 6,
            DigestUse::Untagged { .. } => 7,
        };
        counts[kind] += 1;
    }
    let kinds = [
        ("tag points at it", "tags point at it"),
        ("multi-arch image lists it", "multi-arch images list it"),
        // Counted per tag: tags of one image are one row each, so "3 tagged images"
        // said of 3 tags of 2 images was untrue.
        (
            "tag names an image that has it as a layer",
            "tags name images that have it as a layer",
        ),
        (
            "tag names an image that has it as its configuration",
            "tags name images that have it as their configuration",
        ),
        (
            "repository stores it with no tagged image using it",
            "repositories store it with no tagged image using it",
        ),
        (
            "image no tag points at is stored under it",
            "images no tag points at are stored under it",
        ),
        // Where something could not be read, "no tag uses it" is not known.
        (
            "repository stores it (whether a tagged image uses it is unknown)",
            "repositories store it (whether a tagged image uses it is unknown)",
        ),
        (
            "image is stored under it (whether a tag points at it is unknown)",
            "images are stored under it (whether a tag points at them is unknown)",
        ),
    ];
    let parts: Vec<String> = counts
        .iter()
        .zip(kinds)
        .filter(|(count, _)| **count > 0)
        .map(|(count, (one, many))| super::plural(*count, one, many))
        .collect();
    let listed = match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    };
    format!(
        "Found in {}: {listed}.",
        super::plural(repositories.len(), "repository", "repositories")
    )
}

/// How a repository stores the digest as a blob that no image a tag names was
/// found to have (`size`: when the registry said). `maybe_tagged`: part of the
/// repository could not be read, so a tagged image may still have it.
pub fn stored_blob(size: Option<u64>, maybe_tagged: bool) -> String {
    let size = size
        .map(|size| format!(" ({})", human_size(size)))
        .unwrap_or_default();
    if maybe_tagged {
        format!(
            "stored here as a layer or an image configuration{size}; whether an image a tag \
             names has it is unknown, as part of this repository could not be read (see below)"
        )
    } else {
        format!(
            "stored here as a layer or an image configuration{size}, but no image a tag names \
             has it: a blob outlives the images that used it until the registry's garbage \
             collection runs"
        )
    }
}

/// How a repository keeps a manifest under the digest that no tag was found to point
/// at (`kind`: "an image", "a multi-arch image", …). `maybe_tagged`: as for
/// [`stored_blob`].
pub fn stored_untagged(kind: &str, maybe_tagged: bool) -> String {
    if maybe_tagged {
        format!(
            "stored here as {kind}; whether a tag points at it is unknown, as part of this \
             repository could not be read (see below)"
        )
    } else {
        format!(
            "stored here as {kind}, but no tag points at it: its tag was moved or removed, or \
             it was pushed by digest. It stays until it is deleted by digest"
        )
    }
}

/// Under the headline when a search found more uses than it keeps: the headline and
/// the table count only those kept.
pub fn uses_not_listed(count: usize) -> String {
    format!(
        "{}: a search lists at most {MAX_USES_KEPT}.",
        super::plural(
            count,
            "more use was found but is not listed",
            "more uses were found but are not listed"
        )
    )
}
