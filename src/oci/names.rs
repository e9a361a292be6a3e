//! Repository names, tags, digests and full references, validated with the grammars
//! of the distribution spec. Errors say which part is wrong and which rule it breaks
//! (`crate::wording::name_error` says it in words), so a form can show them as the
//! user types.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const MAX_TAG_LENGTH: usize = 128;
/// distribution refuses repository names (with the registry host) above 255 bytes.
pub const MAX_REPOSITORY_LENGTH: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NamePart {
    Registry,
    Repository,
    Tag,
    Digest,
}

/// A name refused: which part, the input and the rule it breaks. The `Display` is a
/// terse line for logs.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("invalid {part:?} {input:?}: {reason:?}")]
pub struct NameError {
    pub part: NamePart,
    pub input: String,
    pub reason: NameRule,
}

/// The rule of the grammar a name breaks, with what broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum NameRule {
    Empty,
    /// `length` bytes, above the `max` the part may have.
    TooLong {
        length: usize,
        max: usize,
    },
    /// A `/`-separated component of a repository name (`position` counts from 1).
    PathComponent {
        position: usize,
        component: String,
        rule: ComponentRule,
    },
    /// A tag starts with a letter, digit or '_'.
    BadFirstCharacter {
        ch: char,
    },
    /// A tag holds only letters, digits, '_', '.' and '-'.
    BadCharacter {
        ch: char,
    },
    /// A digest has no ':' between algorithm and value.
    NoAlgorithm,
    /// Not sha256 or sha512: content under it could not be verified here.
    UnverifiableAlgorithm {
        algorithm: String,
    },
    /// The value has `actual` characters; the algorithm's has `expected`.
    WrongDigestLength {
        algorithm: String,
        expected: usize,
        actual: usize,
    },
    /// The value is not lower-case hex.
    NotLowerCaseHex {
        algorithm: String,
    },
    /// A registry port that is not a number from 1 to 65535.
    BadPort {
        port: String,
    },
    /// A registry host name that is not dot-separated letters, digits and dashes.
    BadHostName,
}

/// The rule a component of a repository name breaks:
/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ComponentRule {
    /// Two slashes in a row, or a slash at an end.
    Empty,
    UpperCase {
        ch: char,
    },
    BadCharacter {
        ch: char,
    },
    /// It starts or ends with a separator.
    BadEnds,
    /// Separators are '.', '_', '__' or a run of dashes.
    BadSeparator {
        separator: String,
    },
}

fn invalid(part: NamePart, input: &str, reason: NameRule) -> NameError {
    NameError {
        part,
        input: input.to_owned(),
        reason,
    }
}

/// A repository name such as `team/sub/app`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Repository(String);

impl Repository {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let fail = |reason: NameRule| invalid(NamePart::Repository, input, reason);
        if input.is_empty() {
            return Err(fail(NameRule::Empty));
        }
        if input.len() > MAX_REPOSITORY_LENGTH {
            return Err(fail(NameRule::TooLong {
                length: input.len(),
                max: MAX_REPOSITORY_LENGTH,
            }));
        }
        for (index, component) in input.split('/').enumerate() {
            check_path_component(component).map_err(|rule| {
                fail(NameRule::PathComponent {
                    position: index + 1,
                    component: component.to_owned(),
                    rule,
                })
            })?;
        }
        Ok(Repository(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
fn check_path_component(component: &str) -> Result<(), ComponentRule> {
    if component.is_empty() {
        return Err(ComponentRule::Empty);
    }
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if let Some(bad) = bytes
        .iter()
        .find(|&&b| !(alnum(b) || matches!(b, b'.' | b'_' | b'-')))
    {
        let ch = *bad as char;
        return Err(if ch.is_ascii_uppercase() {
            ComponentRule::UpperCase { ch }
        } else {
            ComponentRule::BadCharacter { ch }
        });
    }
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(ComponentRule::BadEnds);
    }
    // Separators between alphanumeric runs: one '.', one '_', '__', or any run of '-'.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !allowed {
            return Err(ComponentRule::BadSeparator {
                separator: separator.to_owned(),
            });
        }
    }
    Ok(())
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let fail = |reason: NameRule| invalid(NamePart::Tag, input, reason);
        let Some(first) = input.chars().next() else {
            return Err(fail(NameRule::Empty));
        };
        if input.len() > MAX_TAG_LENGTH {
            return Err(fail(NameRule::TooLong {
                length: input.len(),
                max: MAX_TAG_LENGTH,
            }));
        }
        if !(first.is_ascii_alphanumeric() || first == '_') {
            return Err(fail(NameRule::BadFirstCharacter { ch: first }));
        }
        if let Some(ch) = input
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(fail(NameRule::BadCharacter { ch }));
        }
        Ok(Tag(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` is lower-case hex only, as a digest's value must be.
pub fn is_lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A content digest `algorithm:hex`, sha256 or sha512 only: content under a digest
/// this console cannot compute could not be checked, so it is refused at the edge
/// rather than trusted unverified.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let fail = |reason: NameRule| invalid(NamePart::Digest, input, reason);
        let Some((algorithm, encoded)) = input.split_once(':') else {
            return Err(fail(NameRule::NoAlgorithm));
        };
        let length = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => {
                return Err(fail(NameRule::UnverifiableAlgorithm {
                    algorithm: algorithm.to_owned(),
                }))
            }
        };
        if encoded.len() != length {
            return Err(fail(NameRule::WrongDigestLength {
                algorithm: algorithm.to_owned(),
                expected: length,
                actual: encoded.len(),
            }));
        }
        if !is_lower_hex(encoded) {
            return Err(fail(NameRule::NotLowerCaseHex {
                algorithm: algorithm.to_owned(),
            }));
        }
        Ok(Digest(input.to_owned()))
    }

    /// sha256 of `bytes`, as registries compute manifest and blob digests.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        use sha2::{Digest as _, Sha256};
        let hash = Sha256::digest(bytes);
        let mut text = String::with_capacity(7 + 64);
        text.push_str("sha256:");
        for byte in hash {
            text.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            text.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        Digest(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    /// The first `n` characters of the value, as consoles show digests in lists.
    pub fn short(&self, n: usize) -> &str {
        let hex = self.hex();
        &hex[..n.min(hex.len())]
    }

    /// Whether `bytes` hash to this digest (every parsed digest can be checked).
    pub fn verify(&self, bytes: &[u8]) -> bool {
        match self.algorithm() {
            "sha512" => {
                use sha2::{Digest as _, Sha512};
                let hash = Sha512::digest(bytes);
                let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                hex == self.hex()
            }
            _ => Digest::sha256_of(bytes) == *self,
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What names a manifest in a repository: a tag or a digest. Parsed once where it
/// enters (an address, a tag list, a form); the client's manifest calls take only this.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reference {
    Tag(Tag),
    Digest(Digest),
}

impl Reference {
    /// A digest when `input` has a ':' (no tag has one), else a tag.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        if input.contains(':') {
            Digest::parse(input).map(Reference::Digest)
        } else {
            Tag::parse(input).map(Reference::Tag)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Reference::Tag(tag) => tag.as_str(),
            Reference::Digest(digest) => digest.as_str(),
        }
    }

    /// The digest, when the reference is one.
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            Reference::Tag(_) => None,
            Reference::Digest(digest) => Some(digest),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Tag> for Reference {
    fn from(tag: Tag) -> Self {
        Reference::Tag(tag)
    }
}

impl From<Digest> for Reference {
    fn from(digest: Digest) -> Self {
        Reference::Digest(digest)
    }
}

impl From<&Tag> for Reference {
    fn from(tag: &Tag) -> Self {
        Reference::Tag(tag.clone())
    }
}

impl From<&Digest> for Reference {
    fn from(digest: &Digest) -> Self {
        Reference::Digest(digest.clone())
    }
}

impl From<&Reference> for Reference {
    fn from(reference: &Reference) -> Self {
        reference.clone()
    }
}

/// `host[:port]/repository[:tag][@digest]`, the form `docker pull` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    pub registry: Option<String>,
    pub repository: Repository,
    pub tag: Option<Tag>,
    pub digest: Option<Digest>,
}

impl ImageReference {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let input = input.trim();
        let (name_and_tag, digest) = match input.split_once('@') {
            Some((rest, digest)) => (rest, Some(Digest::parse(digest)?)),
            None => (input, None),
        };
        // A ':' after the last '/' starts the tag; one before it is a port.
        let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_slash..].find(':') {
            Some(i) => {
                let colon = last_slash + i;
                (
                    &name_and_tag[..colon],
                    Some(Tag::parse(&name_and_tag[colon + 1..])?),
                )
            }
            None => (name_and_tag, None),
        };
        // Like docker: the first component is a registry host when it has a '.' or
        // a ':' or is "localhost"; otherwise it is part of the repository name.
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                check_host(first)?;
                (Some(first.to_owned()), rest)
            }
            _ => (None, name),
        };
        Ok(ImageReference {
            registry,
            repository: Repository::parse(repository)?,
            tag,
            digest,
        })
    }
}

fn check_host(host: &str) -> Result<(), NameError> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    if let Some(port) = port {
        let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        if !digits || port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(invalid(
                NamePart::Registry,
                host,
                NameRule::BadPort {
                    port: port.to_owned(),
                },
            ));
        }
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.is_empty() || !name.split('.').all(label_ok) {
        return Err(invalid(NamePart::Registry, host, NameRule::BadHostName));
    }
    Ok(())
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        write!(f, "{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Names travel as plain strings (the console keeps undo data in session storage)
/// and are validated again when read back.
macro_rules! string_conversions {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }
    )*};
}

string_conversions!(Repository, Tag, Digest);
