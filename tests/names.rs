#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use tagdeck::oci::names::{Digest, ImageReference, NamePart, NameRule, Reference, Repository, Tag};
use tagdeck::wording;

#[test]
fn accepts_valid_repository_names() {
    for name in [
        "a",
        "library/alpine",
        "team/sub/app",
        "a.b_c__d---e/f0",
        "x9/y-z",
    ] {
        assert!(Repository::parse(name).is_ok(), "{name}");
    }
}

#[test]
fn rejects_invalid_repository_names_with_reasons() {
    let cases = [
        ("", "empty"),
        ("Team/app", "upper-case"),
        ("team//app", "path component 2"),
        ("team/app/", "path component 3"),
        ("-app", "start and end"),
        ("app.", "start and end"),
        ("a..b", "separator"),
        ("a___b", "separator"),
        ("a b", "' '"),
        ("a:b", "':'"),
    ];
    for (name, reason) in cases {
        let error = Repository::parse(name).expect_err(name);
        assert_eq!(error.part, NamePart::Repository);
        let sentence = wording::name_error(&error);
        assert!(
            sentence.contains(reason),
            "{name}: {sentence} lacks {reason}"
        );
    }
    let long = "a/".repeat(128) + "a";
    assert_eq!(
        Repository::parse(&long).unwrap_err().reason,
        NameRule::TooLong {
            length: 257,
            max: 255
        }
    );
}

#[test]
fn tag_grammar() {
    for tag in ["latest", "1.0", "_x", "A-b.c_D", &"a".repeat(128)] {
        assert!(Tag::parse(tag).is_ok(), "{tag}");
    }
    for (tag, reason) in [
        ("", "empty"),
        (".hidden", "starts with '.'"),
        ("-x", "starts with '-'"),
        ("a/b", "'/'"),
        ("a:b", "':'"),
        ("é", "starts with"),
    ] {
        let error = Tag::parse(tag).expect_err(tag);
        assert_eq!(error.part, NamePart::Tag);
        let sentence = wording::name_error(&error);
        assert!(sentence.contains(reason), "{tag}: {sentence}");
    }
    let too_long = wording::name_error(&Tag::parse(&"a".repeat(129)).unwrap_err());
    assert!(too_long.contains("128"), "{too_long}");
}

#[test]
fn digest_grammar_and_hashing() {
    let digest = Digest::sha256_of(b"hello");
    assert_eq!(
        digest.as_str(),
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(Digest::parse(digest.as_str()).unwrap(), digest);
    assert_eq!(digest.short(12), "2cf24dba5fb0");
    assert!(digest.verify(b"hello"));
    assert!(!digest.verify(b"hello\n"));
    for (bad, reason) in [
        ("2cf24dba", "no ':'"),
        ("sha256:abc", "64 hex"),
        (
            &format!("sha256:{}", "A".repeat(64)) as &str,
            "lower-case hex",
        ),
        ("SHA256:x", "algorithm"),
        ("sha256+:x", "algorithm"),
        ("blake3:", "cannot be verified"),
        // Content under a digest nobody here can compute is refused, never trusted.
        ("blake3:abc123", "cannot be verified"),
    ] {
        let sentence = wording::name_error(&Digest::parse(bad).expect_err(bad));
        assert!(sentence.contains(reason), "{bad}: {sentence}");
    }
    let sha512 = format!("sha512:{}", "0".repeat(128));
    assert!(!Digest::parse(&sha512).unwrap().verify(b""));
}

#[test]
fn full_references() {
    let r = ImageReference::parse("localhost:5000/team/app:1.0@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824").unwrap();
    assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
    assert_eq!(r.repository.as_str(), "team/app");
    assert_eq!(r.tag.as_ref().unwrap().as_str(), "1.0");
    assert!(r.digest.is_some());

    let r = ImageReference::parse("team/app").unwrap();
    assert_eq!(r.registry, None);
    assert_eq!(r.repository.as_str(), "team/app");
    assert_eq!(r.tag, None);

    let r = ImageReference::parse("registry.example.com/app:latest").unwrap();
    assert_eq!(r.registry.as_deref(), Some("registry.example.com"));
    assert_eq!(r.to_string(), "registry.example.com/app:latest");

    assert_eq!(
        ImageReference::parse("host:0/app").unwrap_err().part,
        NamePart::Registry
    );
    assert_eq!(
        ImageReference::parse("host:5000/App").unwrap_err().part,
        NamePart::Repository
    );
    assert_eq!(
        ImageReference::parse("app:-x").unwrap_err().part,
        NamePart::Tag
    );
    assert_eq!(
        ImageReference::parse("app@sha256:1").unwrap_err().part,
        NamePart::Digest
    );
}

/// A generator that follows the repository grammar exactly.
fn valid_component() -> impl Strategy<Value = String> {
    let run = "[a-z0-9]{1,6}";
    let separator = prop_oneof![
        Just(".".to_string()),
        Just("_".to_string()),
        Just("__".to_string()),
        "-{1,3}"
    ];
    (run, proptest::collection::vec((separator, run), 0..3)).prop_map(|(first, rest)| {
        let mut s = first;
        for (sep, run) in rest {
            s.push_str(&sep);
            s.push_str(&run);
        }
        s
    })
}

proptest! {
    #[test]
    fn every_grammatical_repository_name_parses(parts in proptest::collection::vec(valid_component(), 1..4)) {
        let name = parts.join("/");
        let parsed = Repository::parse(&name).unwrap();
        prop_assert_eq!(parsed.as_str(), name.as_str());
    }

    #[test]
    fn every_grammatical_tag_parses(tag in "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}") {
        prop_assert!(Tag::parse(&tag).is_ok());
    }

    #[test]
    fn tag_parse_agrees_with_the_grammar(input in "\\PC{0,140}") {
        let first_ok = input.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let rest_ok = input.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        let grammatical = first_ok && rest_ok && input.len() <= 128;
        prop_assert_eq!(Tag::parse(&input).is_ok(), grammatical);
    }

    #[test]
    fn names_with_a_forbidden_character_never_parse(
        prefix in "[a-z]{1,5}",
        bad in "[A-Z:@ #?%]",
        suffix in "[a-z]{0,5}",
    ) {
        let name = format!("{prefix}{bad}{suffix}");
        prop_assert!(Repository::parse(&name).is_err());
    }

    #[test]
    fn parsing_arbitrary_references_never_panics(input in "\\PC{0,80}") {
        let _ = ImageReference::parse(&input);
        let _ = Digest::parse(&input);
    }

    #[test]
    fn sha256_digests_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let digest = Digest::sha256_of(&bytes);
        prop_assert_eq!(Digest::parse(digest.as_str()).unwrap(), digest.clone());
        prop_assert!(digest.verify(&bytes));
    }
}

#[test]
fn a_reference_is_a_tag_or_a_digest() {
    let digest = Digest::sha256_of(b"hello");
    assert_eq!(
        Reference::parse(digest.as_str()).unwrap(),
        Reference::Digest(digest.clone())
    );
    assert_eq!(
        Reference::parse("1.0").unwrap(),
        Reference::Tag(Tag::parse("1.0").unwrap())
    );
    assert_eq!(Reference::parse("1.0").unwrap().to_string(), "1.0");
    assert_eq!(Reference::from(&digest).as_str(), digest.as_str());
    assert_eq!(Reference::from(&digest).digest(), Some(&digest));
    // A ':' makes it a digest, so a broken digest says what is wrong with it.
    assert_eq!(
        Reference::parse("sha256:abc").unwrap_err().part,
        NamePart::Digest
    );
    assert_eq!(Reference::parse("../x").unwrap_err().part, NamePart::Tag);
}
