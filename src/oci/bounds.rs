//! How much of the text a registry sends is kept: it is hostile input, and errors
//! holding it live in memory, on screen and in the tab's session storage (the
//! activity log).

/// Text a registry sends is hostile input: nothing of it goes into an error (kept in
/// memory, shown, saved with the activity log in the tab's session storage) beyond
/// these many characters. A registry's message, a JSON reader's message quoting a
/// body, a name it listed: a sentence's worth.
pub const MAX_MESSAGE_CHARS: usize = 300;
/// A URL: a request line's, a refused link's or upload location's, a token
/// service's. Long enough for any URL this console builds from valid names (a
/// 255-character repository and a sha512 digest), never for a registry's megabytes.
pub const MAX_URL_CHARS: usize = 512;
/// A header value quoted in a message (a `Docker-Content-Digest` that does not
/// match): a sha512 digest (135 characters) stays whole.
pub const MAX_HEADER_CHARS: usize = 200;
/// An error code of the registry's envelope (the spec's are below 30 characters).
pub const MAX_CODE_CHARS: usize = 100;
/// The raw `WWW-Authenticate` of a 401, kept whole for a real challenge (a token
/// service's scopes can make it long).
pub const MAX_CHALLENGE_CHARS: usize = 2048;
/// Entries of a registry's error envelope kept (distribution sends one per missing
/// blob of a manifest put back).
pub const MAX_ERROR_ENTRIES: usize = 10;
/// An image's creation time (`created` of its config, which may be megabytes): any
/// RFC 3339 time fits; a longer one is no date.
pub const MAX_CREATED_CHARS: usize = 64;

/// `text` cut to at most `max_chars` characters, on a character boundary, ending with
/// "…" when it was cut; `text` unchanged when it fits. Bounding twice cuts nothing
/// more.
pub fn bounded(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some(_) if max_chars == 0 => String::new(),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(max_chars - 1)
                .map_or(text.len(), |(at, _)| at);
            format!("{}…", &text[..end])
        }
    }
}

/// Names kept of one tag list or catalog. [`MAX_LIST_BYTES`] bounds bytes, not
/// names: 32 MiB of four-character names are millions, each copied several times on
/// their way to the screen and each a HEAD to queue. A hundred pages of a thousand,
/// far above the tags of a repository people browse; a list cut here says it may be
/// incomplete.
///
/// [`MAX_LIST_BYTES`]: crate::oci::client::MAX_LIST_BYTES
pub const MAX_LIST_NAMES: usize = 100_000;

/// A next-page link followed, in characters: room for any `last=` a valid name
/// makes and a registry's page token. A longer one is not followed (the list then
/// says it may be incomplete): each link followed is kept to catch a loop.
pub const MAX_LINK_CHARS: usize = 4096;
