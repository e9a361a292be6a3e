//! What a search looks for: a whole digest, or the start of one as lists show it
//! (`docker images`, this console's tag table: 12 hexadecimal digits).

use std::fmt;

use crate::oci::names::{is_lower_hex, Digest, NameError};

/// The fewest hexadecimal digits a start of a digest may have: what `docker images`
/// and the tag table show. Fewer would match too much to mean one image.
pub const MIN_START_DIGITS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sought {
    Whole(Digest),
    /// The first digits of a digest. Only manifests (what tags and multi-arch images
    /// point at) can be matched by it: a layer or a configuration is found through
    /// the registry's blob endpoint, which answers for a whole digest only.
    Start {
        algorithm: String,
        digits: String,
    },
}

impl Sought {
    /// A whole digest (`sha256:` and 64 digits, or the 64 digits alone, as some
    /// tools print them), else the start of one: at least [`MIN_START_DIGITS`]
    /// lower-case hexadecimal digits, with or without `sha256:`.
    pub fn parse(input: &str) -> Result<Sought, NameError> {
        // A pasted reference (`registry/repo@sha256:…`) names its digest after the
        // `@`; digests are lower case, whatever a tool printed.
        let input = input.trim();
        let input = input.rsplit_once('@').map_or(input, |(_, digest)| digest);
        let input = &input.to_ascii_lowercase();
        // The digits alone are sha256's, as Docker prints image IDs.
        let qualified = match input.split_once(':') {
            None if !input.is_empty() && is_lower_hex(input) => format!("sha256:{input}"),
            _ => input.to_owned(),
        };
        let refusal = match Digest::parse(&qualified) {
            Ok(digest) => return Ok(Sought::Whole(digest)),
            Err(refusal) => refusal,
        };
        let (algorithm, digits) = qualified.split_once(':').unwrap_or_default();
        let whole_length = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => return Err(refusal),
        };
        if is_lower_hex(digits) && (MIN_START_DIGITS..whole_length).contains(&digits.len()) {
            return Ok(Sought::Start {
                algorithm: algorithm.to_owned(),
                digits: digits.to_owned(),
            });
        }
        Err(refusal)
    }

    pub fn matches(&self, digest: &Digest) -> bool {
        match self {
            Sought::Whole(whole) => whole == digest,
            Sought::Start { algorithm, digits } => {
                digest.algorithm() == algorithm && digest.hex().starts_with(digits.as_str())
            }
        }
    }

    /// `sha256`, `sha512`.
    pub fn algorithm(&self) -> &str {
        match self {
            Sought::Whole(digest) => digest.algorithm(),
            Sought::Start { algorithm, .. } => algorithm,
        }
    }

    /// The digest, when the whole of it is known.
    pub fn whole(&self) -> Option<&Digest> {
        match self {
            Sought::Whole(digest) => Some(digest),
            Sought::Start { .. } => None,
        }
    }
}

/// As typed into the address: `sha256:` and the digits.
impl fmt::Display for Sought {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sought::Whole(digest) => digest.fmt(f),
            Sought::Start { algorithm, digits } => write!(f, "{algorithm}:{digits}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHOLE: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn whole_digests_with_or_without_their_algorithm() {
        let whole = Sought::Whole(Digest::parse(WHOLE).unwrap());
        assert_eq!(Sought::parse(WHOLE).unwrap(), whole);
        assert_eq!(
            Sought::parse(&format!("  {}\n", &WHOLE[7..])).unwrap(),
            whole
        );
        assert_eq!(Sought::parse(WHOLE).unwrap().to_string(), WHOLE);
    }

    #[test]
    fn starts_of_twelve_digits_or_more_match_what_begins_with_them() {
        for input in ["0123456789ab", "sha256:0123456789ab", &WHOLE[..70]] {
            let start = Sought::parse(input).unwrap();
            assert!(start.whole().is_none(), "{input}");
            assert!(start.matches(&Digest::parse(WHOLE).unwrap()), "{input}");
            assert!(
                !start.matches(&Digest::sha256_of(b"other")),
                "{input} matched another digest"
            );
        }
        assert_eq!(
            Sought::parse("0123456789ab").unwrap().to_string(),
            "sha256:0123456789ab"
        );
    }

    #[test]
    fn a_pasted_reference_or_upper_case_is_read_as_its_digest() {
        let whole = Sought::Whole(Digest::parse(WHOLE).unwrap());
        for input in [
            format!("registry.example:5000/team/app@{WHOLE}"),
            format!("team/app:1.0@{WHOLE}"),
            WHOLE.to_uppercase(),
        ] {
            assert_eq!(Sought::parse(&input).unwrap(), whole, "{input}");
        }
        assert_eq!(
            Sought::parse("app@SHA256:0123456789AB")
                .unwrap()
                .to_string(),
            "sha256:0123456789ab"
        );
    }

    #[test]
    fn too_short_or_not_hexadecimal_is_refused() {
        for input in [
            "0123456789a",
            "sha256:0123456789a",
            "sha256:0123456789xy",
            "md5:0123456789ab",
            "",
            "latest",
            &format!("{WHOLE}0"),
        ] {
            assert!(Sought::parse(input).is_err(), "{input:?} was accepted");
        }
    }
}
