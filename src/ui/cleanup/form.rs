//! The rules form: one field per rule, each checked as it is typed with the
//! planner's own messages shown next to it, and the whole read back as
//! [`CleanupRules`] only when every field is right.

use leptos::prelude::*;

use crate::oci::cleanup::{CleanupRules, NewestBy, NumberField, Others, RulesError, TagPattern};
use crate::wording;

/// The form's text, as typed.
#[derive(Clone, Copy)]
pub struct RuleFields {
    pub keep_newest: RwSignal<String>,
    pub newest_by: RwSignal<NewestBy>,
    pub keep: RwSignal<String>,
    pub remove: RwSignal<String>,
    pub older_than: RwSignal<String>,
    pub others: RwSignal<Others>,
}

/// What is wrong, field by field (`None`: right).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub keep_newest: Option<String>,
    pub keep: Option<String>,
    pub remove: Option<String>,
    pub older_than: Option<String>,
    pub others: Option<String>,
}

fn join(patterns: &[TagPattern]) -> String {
    patterns
        .iter()
        .map(TagPattern::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Patterns separated by spaces or commas.
fn patterns(text: &str) -> Result<Vec<TagPattern>, RulesError> {
    text.split([' ', ',', '\n', '\t'])
        .filter(|p| !p.is_empty())
        .map(TagPattern::parse)
        .collect()
}

fn number(text: &str, field: NumberField) -> Result<Option<u32>, RulesError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .map(Some)
        .map_err(|_| RulesError::FieldNotWholeNumber {
            field,
            text: text.to_owned(),
        })
}

impl RuleFields {
    pub fn new(rules: &CleanupRules) -> Self {
        RuleFields {
            keep_newest: RwSignal::new(
                rules.keep_newest.map(|n| n.to_string()).unwrap_or_default(),
            ),
            newest_by: RwSignal::new(rules.newest_by),
            keep: RwSignal::new(join(&rules.keep)),
            remove: RwSignal::new(join(&rules.remove)),
            older_than: RwSignal::new(
                rules
                    .remove_older_than_days
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ),
            others: RwSignal::new(rules.others),
        }
    }

    /// The rules, or what is wrong with each field.
    pub fn read(&self) -> Result<CleanupRules, FieldErrors> {
        let mut errors = FieldErrors::default();
        let message = |e: RulesError| Some(wording::rules_error(&e));
        let keep_newest = number(&self.keep_newest.get(), NumberField::KeepNewest)
            .and_then(|n| {
                // The rule's own bounds, checked alone so the message lands here.
                CleanupRules {
                    keep_newest: n,
                    ..CleanupRules::default()
                }
                .validate()
                .map(|()| n)
            })
            .map_err(|e| errors.keep_newest = message(e))
            .ok()
            .flatten();
        let remove_older_than_days = number(&self.older_than.get(), NumberField::RemoveOlderThan)
            .and_then(|n| {
                CleanupRules {
                    remove_older_than_days: n,
                    ..CleanupRules::default()
                }
                .validate()
                .map(|()| n)
            })
            .map_err(|e| errors.older_than = message(e))
            .ok()
            .flatten();
        let keep = patterns(&self.keep.get())
            .and_then(|keep| {
                CleanupRules {
                    keep: keep.clone(),
                    ..CleanupRules::default()
                }
                .validate()
                .map(|()| keep)
            })
            .map_err(|e| errors.keep = message(e))
            .unwrap_or_default();
        let remove = patterns(&self.remove.get())
            .and_then(|remove| {
                CleanupRules {
                    remove: remove.clone(),
                    ..CleanupRules::default()
                }
                .validate()
                .map(|()| remove)
            })
            .map_err(|e| errors.remove = message(e))
            .unwrap_or_default();
        if errors != FieldErrors::default() {
            return Err(errors);
        }
        let rules = CleanupRules {
            keep_newest,
            newest_by: self.newest_by.get(),
            keep,
            remove,
            remove_older_than_days,
            others: self.others.get(),
        };
        // What is left is about the combination, which "other tags" decides.
        rules.validate().map_err(|e| FieldErrors {
            others: Some(wording::rules_error(&e)),
            ..FieldErrors::default()
        })?;
        Ok(rules)
    }
}

#[component]
pub fn RulesForm(fields: RuleFields, errors: Signal<FieldErrors>) -> impl IntoView {
    let error_of = move |pick: fn(&FieldErrors) -> Option<String>| move || errors.with(pick);
    view! {
        <fieldset class="cleanup-rules">
            <legend>"Rules (a keep always beats a remove)"</legend>
            <div class="cleanup-field">
                <label for="cleanup-keep-newest">"Keep the newest"</label>
                <input
                    id="cleanup-keep-newest"
                    type="text"
                    inputmode="numeric"
                    size="6"
                    prop:value=move || fields.keep_newest.get()
                    on:input:target=move |e| fields.keep_newest.set(e.target().value())
                />
                <label for="cleanup-newest-by">"tags, by"</label>
                <select
                    id="cleanup-newest-by"
                    on:change:target=move |e| {
                        fields.newest_by.set(if e.target().value() == "version" { NewestBy::Version } else { NewestBy::Created });
                    }
                >
                    <option value="created" selected=move || fields.newest_by.get() == NewestBy::Created>
                        "image creation date"
                    </option>
                    <option value="version" selected=move || fields.newest_by.get() == NewestBy::Version>
                        "version order of the tag name"
                    </option>
                </select>
                <span class="field-error" role="alert">{error_of(|e| e.keep_newest.clone())}</span>
            </div>
            <div class="cleanup-field">
                <label for="cleanup-keep">"Keep tags matching"</label>
                <input
                    id="cleanup-keep"
                    type="text"
                    spellcheck="false"
                    placeholder="v* latest release-*"
                    prop:value=move || fields.keep.get()
                    on:input:target=move |e| fields.keep.set(e.target().value())
                />
                <span class="field-error" role="alert">{error_of(|e| e.keep.clone())}</span>
            </div>
            <div class="cleanup-field">
                <label for="cleanup-remove">"Remove tags matching"</label>
                <input
                    id="cleanup-remove"
                    type="text"
                    spellcheck="false"
                    placeholder="pr-* *-rc"
                    prop:value=move || fields.remove.get()
                    on:input:target=move |e| fields.remove.set(e.target().value())
                />
                <span class="field-error" role="alert">{error_of(|e| e.remove.clone())}</span>
            </div>
            <div class="cleanup-field">
                <label for="cleanup-older-than">"Remove tags whose image is older than (days)"</label>
                <input
                    id="cleanup-older-than"
                    type="text"
                    inputmode="numeric"
                    size="6"
                    prop:value=move || fields.older_than.get()
                    on:input:target=move |e| fields.older_than.set(e.target().value())
                />
                <span class="field-error" role="alert">{error_of(|e| e.older_than.clone())}</span>
            </div>
            <div class="cleanup-field">
                <label for="cleanup-others">"Tags no rule decides are"</label>
                <select
                    id="cleanup-others"
                    on:change:target=move |e| {
                        fields.others.set(if e.target().value() == "remove" { Others::Remove } else { Others::Keep });
                    }
                >
                    <option value="keep" selected=move || fields.others.get() == Others::Keep>"kept"</option>
                    <option value="remove" selected=move || fields.others.get() == Others::Remove>"removed"</option>
                </select>
                <span class="field-error" role="alert">{error_of(|e| e.others.clone())}</span>
            </div>
            <p class="hint">
                "Patterns: * stands for any characters, ? for one; separate several with spaces. "
                "An image used by a kept tag, or listed by a kept multi-arch image, is kept. "
                "Tags whose date is unknown are never removed by age."
            </p>
        </fieldset>
    }
}
