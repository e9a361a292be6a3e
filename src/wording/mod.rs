//! The UI's words: every sentence a person reads about a failure or a change's
//! result is made here, from the structured data `src/oci` returns (typed errors with
//! their attempt and status, results with their digests). `src/oci` says what
//! happened and never how to say it, so the same failure reads the same on every
//! screen. Pure, so it compiles and is tested natively (`tests/wording.rs`).

mod bulk;
mod change;
mod cleanup;
mod cleanup_export;
mod find_digest;
mod names;
mod parts;
mod recovery;
mod referrers;
mod registry;
mod sign_in;
mod tag_view;
mod undo;

pub use bulk::{
    batch_checks_failed, batch_none_done, bulk_summary, item_result, kept_for, kept_lost,
    pattern_error, pattern_preview,
};
pub use change::{
    applied_anyway, change_error, copy_done, copy_step, platforms_left_behind, referrers_copy_undo,
    DELETES_OFF, REGISTRY_DOES_NOT_DELETE, STILL_WAITING,
};
pub use cleanup::{
    cleanup_deletes_off, deleted_with, deletes_refused, fewer_deleted_than_planned,
    garbage_collection_advice, kept_because, plan_note, referrer_kept, rules_error, tag_reason,
    untagged_platforms_free,
};
pub use cleanup_export::{csv_cell, plan_csv, plan_json, plans_csv, plans_json};
pub use find_digest::{
    digest_refused, find_gap, find_headline, found_headline, search_cancelled, stored_blob,
    stored_untagged, uses_not_listed,
};
pub use names::{address_error, name_error, name_rule};
pub use parts::{part_missing, CRASHED_ADVICE, CRASHED_HEADLINE, PART_MISSING_ADVICE};
pub use recovery::{left_to_other_tabs, registry_now, RUN_ELSEWHERE};
pub use referrers::{referrer_warning, referrers_along};
pub use registry::{error, error_for, link_error, malformed, manifest_error, unreachable_advice};
pub use sign_in::{
    account_badge, challenge_hidden_message, is_cross_origin, login_refuses_preflight,
    login_refuses_preflight_message, no_sign_in_way, no_sign_in_way_message, sign_in_failure,
    AccountBadge, NoSignInWay, SignInCheck,
};
pub use tag_view::{tag_count, TagCount, TagListState};
pub use undo::{undo_failed, undo_status, UndoFailure};

/// Free text a registry sent (a label, a command, an annotation) as it may be shown:
/// characters that change the reading order of what follows them or are invisible
/// (bidi embeddings, overrides and isolates, zero-width space, word joiners, byte
/// order marks, control characters but tab, line feed and carriage return) are
/// shown as `⟨U+202E⟩`, so a value cannot make itself read as another. The marks
/// that written text needs stay: joiners (emoji, Persian, Indic scripts) and the
/// left-to-right and right-to-left marks.
pub fn visible(text: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{200B}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    if !text.contains(hidden) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                format!("⟨U+{:04X}⟩", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A count with its noun: "1 tag", "3 tags".
/// "signed in as …: read-only" as a sentence of its own: "Signed in as …". ASCII
/// only, as every text it is given starts with an ASCII letter: the Unicode case
/// tables would add 6 KiB to the main module.
pub fn sentence(text: &str) -> String {
    let mut sentence = text.to_owned();
    if let Some(first) = sentence.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    sentence
}

/// A sentence (a headline) as a clause that follows other words: "The registry
/// failed" → "the registry failed". ASCII only, as [`sentence`].
pub fn clause(text: &str) -> String {
    let mut clause = text.to_owned();
    if let Some(first) = clause.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    clause
}

/// `text` as a screen reader should hear it in passing: its first sentence, without
/// the final stop, with short digests ([`short_digests`]).
pub fn spoken(text: &str) -> String {
    let first = text.split_once(". ").map_or(text, |(first, _)| first);
    short_digests(first.trim_end_matches('.'))
}

/// `text` with each full digest cut to its first 12 hex digits: 64 digits read out
/// one by one say nothing.
pub fn short_digests(text: &str) -> String {
    let mut said = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("sha256:") {
        let (before, digest) = rest.split_at(at + "sha256:".len());
        said.push_str(before);
        let hex = digest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(digest.len());
        said.push_str(&digest[..hex.min(12)]);
        if hex > 12 {
            said.push('…');
        }
        rest = &digest[hex..];
    }
    said.push_str(rest);
    said
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A sentence as it reads after a colon: "Not found" becomes "not found"; a first
/// word in capitals ("CORS", "HTTP") stays as it is.
pub fn after_colon(sentence: &str) -> String {
    let mut letters = sentence.chars();
    match (letters.next(), letters.next()) {
        // ASCII only: our sentences are, and Unicode case tables would weigh on every
        // page for the odd registry message.
        (Some(first), Some(second))
            if first.is_ascii_uppercase() && second.is_ascii_lowercase() =>
        {
            format!("{}{}", first.to_ascii_lowercase(), &sentence[1..])
        }
        _ => sentence.to_owned(),
    }
}

/// How many names a sentence lists before it counts the rest.
pub const NAMES_SHOWN: usize = 10;

/// Names for a sentence: all of them when there are few, else the first
/// [`NAMES_SHOWN`] and a count, "a, b, … (and 1990 more)". One image can carry
/// thousands of tags; a dialog or a result line that listed them all would bury what
/// it says (downloads and the clean-up plan keep every name).
pub fn some_names(names: &[String]) -> String {
    if names.len() <= NAMES_SHOWN + 1 {
        return names.join(", ");
    }
    format!(
        "{} (and {} more)",
        names[..NAMES_SHOWN].join(", "),
        names.len() - NAMES_SHOWN
    )
}

/// A failure told to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What happened, short: a heading, a table cell.
    pub headline: String,
    /// The whole failure, precisely: the request, what the registry answered, what
    /// the registry shows now. One line: a table cell's title.
    pub detail: String,
    /// What happened beyond the headline, in words and without the requests; empty
    /// when the headline and the requests say it all. A panel shows it first.
    pub account: String,
    /// The requests behind the failure, each with what came of it: a panel folds them
    /// under "Technical details".
    pub requests: Vec<String>,
    /// What the user can do about it.
    pub advice: String,
    /// What state the registry is in after it: whether anything was changed.
    pub outcome: String,
}

impl Message {
    /// What happened and what to do, without the requests: a panel's first paragraph.
    pub fn account_and_advice(&self) -> String {
        if self.account.is_empty() {
            self.advice.clone()
        } else {
            format!("{}. {}", self.account, self.advice)
        }
    }

    /// The failure and what it left, as a result among many says it: the headline,
    /// what happened in words and what state things are in, with the requests kept
    /// apart for "Technical details", as a panel keeps them.
    pub fn result_line(&self) -> ResultLine {
        let text = if self.account.is_empty() {
            format!("{}. {}", self.headline, self.outcome)
        } else {
            format!("{}: {}. {}", self.headline, self.account, self.outcome)
        };
        ResultLine {
            text,
            requests: self.requests.clone(),
        }
    }

    /// A failed read among many, after `what` ("the tag v1 could not be read: "):
    /// the headline, what happened and what to do, with the requests kept apart.
    pub fn read_line(&self, what: &str) -> ResultLine {
        ResultLine {
            text: format!("{what}{}. {}", self.headline, self.account_and_advice()),
            requests: self.requests.clone(),
        }
    }
}

/// One result among many (a bulk item, a clean-up tag, a check afterwards): what
/// came of it in words, and the requests behind a failure, which the screen folds
/// under "Technical details" as a panel does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultLine {
    pub text: String,
    pub requests: Vec<String>,
}

impl ResultLine {
    /// `before` in front of the words: "the tag list could not be read: …".
    pub fn after(self, before: &str) -> Self {
        ResultLine {
            text: format!("{before}{}", self.text),
            ..self
        }
    }
}

impl From<String> for ResultLine {
    fn from(text: String) -> Self {
        ResultLine {
            text,
            requests: Vec::new(),
        }
    }
}

#[cfg(test)]
mod visible_tests {
    use super::visible;

    #[test]
    fn reading_order_and_invisible_characters_are_shown_not_obeyed() {
        // "signed-by: alice" that a right-to-left override would show as another name.
        assert_eq!(
            visible("alice\u{202E}ecila\u{202C}"),
            "alice⟨U+202E⟩ecila⟨U+202C⟩"
        );
        assert_eq!(
            visible("a\u{200B}b\u{FEFF}\u{2066}"),
            "a⟨U+200B⟩b⟨U+FEFF⟩⟨U+2066⟩"
        );
        assert_eq!(visible("bell\u{7}"), "bell⟨U+0007⟩");
        // Ordinary text, other scripts, line breaks and the marks written text needs
        // (a joiner in an emoji sequence, a non-joiner in Persian, a right-to-left
        // mark) stay as they are.
        for plain in [
            "nginx -g 'daemon off;'",
            "Ünïcødé 日本語 עברית",
            "a\tb\r\nc",
            "👩\u{200D}💻",
            "می\u{200C}خواهم",
            "abc\u{200F}",
            "",
        ] {
            assert_eq!(visible(plain), plain);
        }
    }
}
