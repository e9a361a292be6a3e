//! What is wrong with a name a person typed or a registry listed.

use crate::model::registry_address::AddressError;
use crate::oci::names::{ComponentRule, NameError, NamePart, NameRule};

/// Why the text typed as a registry address is none, and what to type instead.
pub fn address_error(error: &AddressError) -> String {
    match error {
        AddressError::Empty => {
            "Enter the registry's address, for example http://127.0.0.1:5000".into()
        }
        AddressError::UnsupportedScheme => {
            "Only http:// and https:// registries can be reached from a browser".into()
        }
        AddressError::NoHost(input) => format!("\"{input}\" has no host name"),
        AddressError::Blank(input) => {
            format!("\"{input}\" has a blank inside; an address has none")
        }
        AddressError::BadHost(input) => format!(
            "\"{input}\" is no plain host and port: letters, digits, '-' and '.', an IPv4 \
             address or [IPv6], then a port 1-65535"
        ),
    }
}

/// `tag ".x" is invalid: it starts with '.'; …`: the part, the input and the rule.
pub fn name_error(error: &NameError) -> String {
    format!(
        "{} {:?} is invalid: {}",
        name_part(error.part),
        error.input,
        name_rule(&error.reason)
    )
}

fn name_part(part: NamePart) -> &'static str {
    match part {
        NamePart::Registry => "registry host",
        NamePart::Repository => "repository name",
        NamePart::Tag => "tag",
        NamePart::Digest => "digest",
    }
}

/// The rule a name breaks, as the end of a sentence about it.
pub fn name_rule(rule: &NameRule) -> String {
    match rule {
        NameRule::Empty => "it is empty".into(),
        NameRule::TooLong { length, max } => {
            format!("it is {length} characters long; the limit is {max}")
        }
        NameRule::PathComponent {
            position,
            component,
            rule,
        } => format!(
            "path component {position} {component:?} {}",
            component_rule(rule)
        ),
        NameRule::BadFirstCharacter { ch } => {
            format!("it starts with {ch:?}; a tag starts with an ASCII letter, a digit or '_'")
        }
        NameRule::BadCharacter { ch } => {
            format!("it contains {ch:?}; only ASCII letters, digits, '_', '.' and '-' are allowed")
        }
        NameRule::NoAlgorithm => "it has no ':' between algorithm and value (sha256:...)".into(),
        // Only the start of the algorithm: the whole input is quoted before it.
        NameRule::UnverifiableAlgorithm { algorithm } => format!(
            "the algorithm {:?} cannot be verified here (only sha256 and sha512)",
            algorithm.chars().take(32).collect::<String>()
        ),
        NameRule::WrongDigestLength {
            algorithm,
            expected,
            actual,
        } => format!("a {algorithm} value has {expected} hex characters, this one has {actual}"),
        NameRule::NotLowerCaseHex { algorithm } => {
            format!("a {algorithm} value is lower-case hex (0-9, a-f)")
        }
        NameRule::BadPort { port } => format!("port {port:?} is not a number from 1 to 65535"),
        NameRule::BadHostName => "a host name is dot-separated letters, digits and dashes".into(),
    }
}

fn component_rule(rule: &ComponentRule) -> String {
    match rule {
        ComponentRule::Empty => "is empty (two slashes in a row, or a slash at an end)".into(),
        ComponentRule::UpperCase { ch } => {
            format!("has upper-case {ch:?}; repository names are lower-case")
        }
        ComponentRule::BadCharacter { ch } => {
            format!("has {ch:?}; only a-z, 0-9 and the separators . _ __ - are allowed")
        }
        ComponentRule::BadEnds => "must start and end with a letter or digit".into(),
        ComponentRule::BadSeparator { separator } => {
            format!("has separator {separator:?}; allowed are '.', '_', '__' or dashes")
        }
    }
}
