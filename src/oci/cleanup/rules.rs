//! Clean-up rules: what the user asks for, in a form that survives a link, a saved
//! `config.json` and hostile input alike. Every way in (URL query, JSON) goes through
//! the same checks, so a plan is never computed from rules nobody could have meant.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::route::{percent_decode, percent_encode};
use crate::oci::names::NameError;

/// The longest pattern accepted: a tag is at most 128 characters, and a pattern
/// longer than any tag could only be a mistake.
pub const MAX_PATTERN_LEN: usize = 128;
/// Patterns per list: enough for any real policy, small enough that matching every
/// tag against every pattern stays instant.
pub const MAX_PATTERNS: usize = 50;
/// Upper bound for "keep newest N": a registry lists at most 1000 pages of 1000 tags.
pub const MAX_KEEP_NEWEST: u32 = 1_000_000;
/// Upper bound for "older than D days" (100 years): larger only overflows arithmetic.
pub const MAX_DAYS: u32 = 36_500;

/// Why rules were refused: what is wrong and where it was written
/// (`crate::wording::rules_error` says it, as what to fix; the `Display` is a terse
/// line for logs).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RulesError {
    /// A tag pattern is empty.
    #[error("empty tag pattern")]
    EmptyPattern,
    /// A tag pattern is longer than `max` characters; `start` is its beginning.
    #[error("tag pattern {start:?}… longer than {max}")]
    PatternTooLong { start: String, max: usize },
    /// A tag pattern holds `ch`, which no tag and no wildcard is.
    #[error("tag pattern {pattern:?}: {ch:?} not allowed")]
    PatternCharacter { pattern: String, ch: char },
    /// "Keep newest" is 0.
    #[error("keep newest 0")]
    KeepNoneNewest,
    /// "Keep newest" is `newest`, above `max`.
    #[error("keep newest {newest} > {max}")]
    KeepTooManyNewest { newest: u32, max: u32 },
    /// "Remove older than" is 0 days.
    #[error("older than 0 days")]
    NoDays,
    /// "Remove older than" is `days`, above `max`.
    #[error("older than {days} days > {max}")]
    TooManyDays { days: u32, max: u32 },
    /// A pattern list holds `count` patterns, above `max`.
    #[error("{count} {list:?} patterns > {max}")]
    TooManyPatterns {
        list: PatternList,
        count: usize,
        max: usize,
    },
    /// Every other tag is removed and no keep rule protects any.
    #[error("others: remove without a keep rule")]
    RemovesEveryTag,
    /// JSON rules that are not an object.
    #[error("JSON rules: not an object")]
    NotAnObject,
    /// A number field of JSON rules holds `value` (its JSON text), not a whole number.
    #[error("JSON rules, {key}: {value} is no whole number")]
    JsonNotWholeNumber { key: String, value: String },
    /// A field of JSON rules is refused; `error` is the JSON reader's message.
    #[error("JSON rules, {key}: {error}")]
    JsonField { key: String, error: String },
    /// A pattern in the list `key` of JSON rules is refused.
    #[error("JSON rules, {key}: {error}")]
    JsonPattern { key: String, error: Box<RulesError> },
    /// JSON rules are refused as a whole; `error` is the JSON reader's message.
    #[error("JSON rules: {error}")]
    Json { error: String },
    /// A number parameter of the page address is not a whole number.
    #[error("address {key}={value:?}: no whole number")]
    AddressNotWholeNumber { key: String, value: String },
    /// The address's `newestBy` is neither `created` nor `version`.
    #[error("address newestBy={value:?}: not created or version")]
    AddressNewestBy { value: String },
    /// The address's `others` is neither `keep` nor `remove`.
    #[error("address others={value:?}: not keep or remove")]
    AddressOthers { value: String },
    /// A number field of the rules form holds `text`, not a whole number.
    #[error("{field:?} field {text:?}: no whole number")]
    FieldNotWholeNumber { field: NumberField, text: String },
    /// `config.json`'s `"cleanup"` is not an object.
    #[error("config.json cleanup: not an object")]
    ConfigNotAnObject,
    /// A key of `config.json`'s `"cleanup"` is no repository name or namespace.
    #[error("config.json cleanup {key:?}: {error}")]
    ConfigNamespace { key: String, error: NameError },
    /// The rules under a key of `config.json`'s `"cleanup"` are refused.
    #[error("config.json cleanup {key:?}: {error}")]
    ConfigRules { key: String, error: Box<RulesError> },
    /// A key of `config.json`'s `"cleanup"` is given twice (with and without '/').
    #[error("config.json cleanup {key:?}: given twice")]
    ConfigTwice { key: String },
}

/// Which pattern list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternList {
    Keep,
    Remove,
}

/// A number field of the rules form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberField {
    KeepNewest,
    RemoveOlderThan,
}

/// A tag glob: `*` matches any run of characters (also none), `?` exactly one;
/// everything else matches itself, case-sensitively as tags are. Only tag characters
/// (`A-Z a-z 0-9 _ . -`) are allowed besides the two wildcards, so a pattern that
/// could never match a tag (`v1/*`, `[0-9]*`) is refused instead of silently
/// matching nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagPattern(String);

impl TagPattern {
    pub fn parse(input: &str) -> Result<Self, RulesError> {
        if input.is_empty() {
            return Err(RulesError::EmptyPattern);
        }
        if input.chars().count() > MAX_PATTERN_LEN {
            return Err(RulesError::PatternTooLong {
                start: input.chars().take(20).collect(),
                max: MAX_PATTERN_LEN,
            });
        }
        if let Some(bad) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*' | '?')))
        {
            return Err(RulesError::PatternCharacter {
                pattern: input.to_owned(),
                ch: bad,
            });
        }
        Ok(TagPattern(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `tag` matches the whole pattern. Linear backtracking over the last
    /// `*` only, so a hostile pattern such as `*a*a*a*a*b` cannot take exponential time.
    pub fn matches(&self, tag: &str) -> bool {
        let (pattern, text) = (self.0.as_bytes(), tag.as_bytes());
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some(b'*') => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(&c) if c == b'?' || c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    Some((star_p, star_t)) => {
                        p = star_p + 1;
                        t = star_t + 1;
                        star = Some((star_p, star_t + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|&c| c == b'*')
    }
}

impl fmt::Display for TagPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TagPattern {
    type Error = RulesError;
    fn try_from(value: String) -> Result<Self, RulesError> {
        TagPattern::parse(&value)
    }
}

impl From<TagPattern> for String {
    fn from(pattern: TagPattern) -> String {
        pattern.0
    }
}

/// What "newest" means for [`CleanupRules::keep_newest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NewestBy {
    /// The image's creation date (its config's `created`; for a multi-arch image, its
    /// first platform's). Tags of unknown date are kept and not counted.
    #[default]
    Created,
    /// The tag name in version order (`1.9` before `1.10`, as the tag table sorts),
    /// highest first. For tags named by version or build number, where dates lie
    /// (rebuilt old versions, reproducible builds dated 1970).
    Version,
}

impl NewestBy {
    fn as_str(self) -> &'static str {
        match self {
            NewestBy::Created => "created",
            NewestBy::Version => "version",
        }
    }
}

/// What happens to a tag that no rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Others {
    /// Kept: only the remove rules select tags (the default, and the safe reading).
    #[default]
    Keep,
    /// Removed: every tag that no keep rule protects goes ("keep the last 10 builds
    /// and every release, remove the rest"). Needs at least one keep rule.
    Remove,
}

impl Others {
    fn as_str(self) -> &'static str {
        match self {
            Others::Keep => "keep",
            Others::Remove => "remove",
        }
    }
}

/// A clean-up policy for one repository.
///
/// # Precedence (safety first: a keep always beats a remove)
/// Each tag is decided by the first of these that applies:
/// 1. it matches a `keep` pattern → **keep**;
/// 2. it is one of the `keep_newest` newest tags (by `newest_by`) → **keep**;
///    with `newest_by: created`, a tag whose creation date is unknown cannot be
///    ranked and is **kept** (it does not use up one of the N);
/// 3. it matches a `remove` pattern → **remove**;
/// 4. its image was created more than `remove_older_than_days` days ago → **remove**;
///    a tag whose creation date is unknown is never removed by this rule;
/// 5. otherwise → [`Others`]: **keep** by default, **remove** when `others` says so.
///
/// The two keep rules each protect tags on their own (a release tag among the newest
/// counts towards N). Signature, SBOM and attestation tags (`sha256-<hex>`,
/// `sha256-<hex>.sig` …) are not decided by these rules: they follow the image they
/// belong to (see the plan).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CleanupRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_newest: Option<u32>,
    #[serde(default)]
    pub newest_by: NewestBy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<TagPattern>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<TagPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_older_than_days: Option<u32>,
    #[serde(default)]
    pub others: Others,
}

impl CleanupRules {
    /// Checks the numbers and the combination. Patterns are checked when parsed.
    pub fn validate(&self) -> Result<(), RulesError> {
        match self.keep_newest {
            Some(0) => return Err(RulesError::KeepNoneNewest),
            Some(newest) if newest > MAX_KEEP_NEWEST => {
                return Err(RulesError::KeepTooManyNewest {
                    newest,
                    max: MAX_KEEP_NEWEST,
                })
            }
            _ => {}
        }
        match self.remove_older_than_days {
            Some(0) => return Err(RulesError::NoDays),
            Some(days) if days > MAX_DAYS => {
                return Err(RulesError::TooManyDays {
                    days,
                    max: MAX_DAYS,
                })
            }
            _ => {}
        }
        for (list, patterns) in [
            (PatternList::Keep, &self.keep),
            (PatternList::Remove, &self.remove),
        ] {
            if patterns.len() > MAX_PATTERNS {
                return Err(RulesError::TooManyPatterns {
                    list,
                    count: patterns.len(),
                    max: MAX_PATTERNS,
                });
            }
        }
        if self.others == Others::Remove && self.keep_newest.is_none() && self.keep.is_empty() {
            return Err(RulesError::RemovesEveryTag);
        }
        Ok(())
    }

    /// Whether the rules select nothing for removal whatever the tags are.
    pub fn removes_nothing(&self) -> bool {
        self.remove.is_empty()
            && self.remove_older_than_days.is_none()
            && self.others == Others::Keep
    }

    /// Parses a JSON object such as
    /// `{"keepNewest": 10, "keep": ["v*", "latest"], "removeOlderThanDays": 30}`.
    /// Unknown fields are refused (a misspelt `keepNewst` must not silently drop a
    /// keep rule).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, RulesError> {
        let Some(fields) = value.as_object() else {
            return Err(RulesError::NotAnObject);
        };
        // Field by field first, so the message names the field at fault (serde's
        // own says "expected u32" without saying where).
        for (key, field) in fields {
            if matches!(key.as_str(), "keepNewest" | "removeOlderThanDays")
                && !(field.is_u64() || field.is_null())
            {
                return Err(RulesError::JsonNotWholeNumber {
                    key: key.clone(),
                    value: field.to_string(),
                });
            }
            // Patterns are checked here rather than by the JSON reader, so the refusal
            // stays typed (the reader keeps only a message). In list order, up to the
            // first item that is no string: the reader stops at the first it refuses.
            if let ("keep" | "remove", Some(items)) = (key.as_str(), field.as_array()) {
                let texts = items.iter().map_while(serde_json::Value::as_str);
                if let Some(error) = texts
                    .filter_map(|text| TagPattern::parse(text).err())
                    .next()
                {
                    return Err(RulesError::JsonPattern {
                        key: key.clone(),
                        error: Box::new(error),
                    });
                }
            }
            let single =
                serde_json::Value::Object([(key.clone(), field.clone())].into_iter().collect());
            if let Err(e) = serde_json::from_value::<CleanupRules>(single) {
                return Err(RulesError::JsonField {
                    key: key.clone(),
                    error: e.to_string(),
                });
            }
        }
        let rules: CleanupRules =
            serde_json::from_value(value.clone()).map_err(|e| RulesError::Json {
                error: e.to_string(),
            })?;
        rules.validate()?;
        Ok(rules)
    }

    /// The rules as query parameters, without a leading `?` or `&`, to append to a
    /// view's address: `keepNewest=10&keep=v%2A&keep=latest&olderThanDays=30`. Keys
    /// do not clash with the route's (`registry`, `repo`, `ref`). Empty when the
    /// rules are all defaults.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(n) = self.keep_newest {
            pairs.push(("keepNewest", n.to_string()));
        }
        if self.newest_by != NewestBy::default() {
            pairs.push(("newestBy", self.newest_by.as_str().into()));
        }
        pairs.extend(self.keep.iter().map(|p| ("keep", p.0.clone())));
        pairs.extend(self.remove.iter().map(|p| ("remove", p.0.clone())));
        if let Some(days) = self.remove_older_than_days {
            pairs.push(("olderThanDays", days.to_string()));
        }
        if self.others != Others::default() {
            pairs.push(("others", self.others.as_str().into()));
        }
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Reads rules back from a query string (with or without `?`), as [`to_query`]
    /// writes them. Keys other than the rules' belong to the route and are passed
    /// over; `None` when the query holds no rule at all (use the configured
    /// defaults then). A bad value is an error naming the parameter.
    ///
    /// [`to_query`]: CleanupRules::to_query
    pub fn from_query(query: &str) -> Result<Option<Self>, RulesError> {
        let mut rules = CleanupRules::default();
        let mut any = false;
        let number = |key: &str, value: &str| -> Result<u32, RulesError> {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| RulesError::AddressNotWholeNumber {
                    key: key.to_owned(),
                    value: value.to_owned(),
                })
        };
        for pair in query.trim_start_matches('?').split('&') {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(raw);
            match key {
                "keepNewest" => rules.keep_newest = Some(number(key, &value)?),
                "olderThanDays" => rules.remove_older_than_days = Some(number(key, &value)?),
                "newestBy" => {
                    rules.newest_by = match value.as_str() {
                        "created" => NewestBy::Created,
                        "version" => NewestBy::Version,
                        other => {
                            return Err(RulesError::AddressNewestBy {
                                value: other.to_owned(),
                            })
                        }
                    }
                }
                "others" => {
                    rules.others = match value.as_str() {
                        "keep" => Others::Keep,
                        "remove" => Others::Remove,
                        other => {
                            return Err(RulesError::AddressOthers {
                                value: other.to_owned(),
                            })
                        }
                    }
                }
                "keep" => rules.keep.push(TagPattern::parse(&value)?),
                "remove" => rules.remove.push(TagPattern::parse(&value)?),
                _ => continue,
            }
            any = true;
        }
        if !any {
            return Ok(None);
        }
        rules.validate()?;
        Ok(Some(rules))
    }
}

/// How the rules of one repository of a namespace plan stand to `config.json`
/// (`RulesNote::words`, in `crate::wording`, says it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesNote {
    /// Planned with its own rules there (under `key`), not the namespace's shown.
    Own { repository: String, key: String },
    /// Rules the user wrote replace its own there (under `key`).
    Replaced { repository: String, key: String },
}

/// Default rules per namespace, from `config.json`'s `"cleanup"` object:
///
/// ```json
/// {"cleanup": {"": {"keepNewest": 20},
///              "team": {"keepNewest": 10, "keep": ["v*"], "others": "remove"},
///              "team/app": {"keep": ["*"]}}}
/// ```
///
/// A key is a repository name or a namespace prefix of one, matched at a `/`
/// boundary (`team` applies to `team/app` and `team/x/y`, not to `teamwork`);
/// `""` applies to every repository. The longest matching key wins, whole: rules
/// are not merged across keys, so what applies is exactly what one entry says.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "BTreeMap<String, serde_json::Value>")]
pub struct CleanupDefaults {
    by_prefix: BTreeMap<String, CleanupRules>,
}

impl TryFrom<BTreeMap<String, serde_json::Value>> for CleanupDefaults {
    type Error = RulesError;
    fn try_from(map: BTreeMap<String, serde_json::Value>) -> Result<Self, RulesError> {
        let mut by_prefix = BTreeMap::new();
        for (prefix, value) in map {
            let key = prefix.trim_matches('/').to_owned();
            if !key.is_empty() {
                if let Err(error) = crate::oci::names::Repository::parse(&key) {
                    return Err(RulesError::ConfigNamespace { key: prefix, error });
                }
            }
            let rules =
                CleanupRules::from_json(&value).map_err(|error| RulesError::ConfigRules {
                    key: prefix.clone(),
                    error: Box::new(error),
                })?;
            if by_prefix.insert(key, rules).is_some() {
                return Err(RulesError::ConfigTwice { key: prefix });
            }
        }
        Ok(CleanupDefaults { by_prefix })
    }
}

impl CleanupDefaults {
    /// From the value of `config.json`'s `"cleanup"` key.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, RulesError> {
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_value(value.clone()).map_err(|_| RulesError::ConfigNotAnObject)?;
        CleanupDefaults::try_from(map)
    }

    /// The rules for `repository` and the key they came from (longest match).
    pub fn rules_for(&self, repository: &str) -> Option<(&str, &CleanupRules)> {
        self.by_prefix
            .iter()
            .filter(|(prefix, _)| {
                prefix.is_empty()
                    || repository == prefix.as_str()
                    || repository
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(prefix, rules)| (prefix.as_str(), rules))
    }

    pub fn is_empty(&self) -> bool {
        self.by_prefix.is_empty()
    }

    /// The rules each of `repositories` (all under `target`) is planned with, and
    /// what to say of it. `given`: rules the user wrote (or the address holds), which
    /// apply to every repository, each one whose own entry they replace named.
    /// `None`: config.json's, each repository's longest matching key, as above,
    /// each one with an entry below the target's named; a repository no key matches
    /// gets rules that remove nothing.
    pub fn rules_for_each(
        &self,
        target: &str,
        repositories: &[String],
        given: Option<&CleanupRules>,
    ) -> Vec<(CleanupRules, Option<RulesNote>)> {
        let target_key = self.rules_for(target).map(|(key, _)| key);
        repositories
            .iter()
            .map(|repository| {
                // An entry below the target's: the repository's (or a sub-namespace's) own.
                let own = self
                    .rules_for(repository)
                    .filter(|(key, _)| Some(*key) != target_key);
                let note = |key: &str, make: fn(String, String) -> RulesNote| {
                    make(repository.clone(), key.to_owned())
                };
                match given {
                    Some(rules) => {
                        let replaced = own.filter(|(_, own)| *own != rules).map(|(key, _)| {
                            note(key, |repository, key| RulesNote::Replaced {
                                repository,
                                key,
                            })
                        });
                        (rules.clone(), replaced)
                    }
                    None => {
                        let rules = self
                            .rules_for(repository)
                            .map(|(_, rules)| rules.clone())
                            .unwrap_or_default();
                        let differs = target_key
                            .and_then(|key| self.by_prefix.get(key))
                            .is_none_or(|shown| *shown != rules);
                        let said = own.filter(|_| differs).map(|(key, _)| {
                            note(key, |repository, key| RulesNote::Own { repository, key })
                        });
                        (rules, said)
                    }
                }
            })
            .collect()
    }
}
