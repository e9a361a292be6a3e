#![no_main]
//! Repository names, tags, digests and references: what parses matches its grammar
//! and prints back to itself.

use libfuzzer_sys::fuzz_target;
use tagdeck::oci::names::{Digest, Reference, Repository, Tag};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(repository) = Repository::parse(&text) {
        assert_eq!(repository.as_str(), text);
        assert!(!text.is_empty() && text.len() <= 255);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b)));
        assert_eq!(
            Repository::parse(repository.as_str()),
            Ok(repository.clone())
        );
    }
    if let Ok(tag) = Tag::parse(&text) {
        let mut chars = tag.as_str().chars();
        assert!(chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
        assert!(tag.as_str().len() <= 128);
    }
    if let Ok(digest) = Digest::parse(&text) {
        assert!(matches!(
            (digest.algorithm(), digest.hex().len()),
            ("sha256", 64) | ("sha512", 128)
        ));
        assert!(digest
            .hex()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        let n = data.first().map_or(0, |&b| usize::from(b));
        assert!(digest.hex().starts_with(digest.short(n)));
    }
    if let Ok(reference) = Reference::parse(&text) {
        let printed = reference.to_string();
        assert_eq!(Reference::parse(&printed), Ok(reference), "{text:?}");
    }
});
