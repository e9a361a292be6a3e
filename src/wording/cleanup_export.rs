//! The plan as files to download: JSON (everything, for tools) and CSV (one row per
//! tag, for a spreadsheet). A CSV opened in a spreadsheet runs formulas, and every
//! cell here holds text a registry chose, so cells are quoted and defused.

use super::cleanup::{deletes_refused, kept_because, plan_note, tag_reason};
use crate::oci::cleanup::{CleanupPlan, Decision};
use serde_json::{Map, Value};

/// The whole plan of a repository of `registry` as pretty-printed JSON: the registry
/// first, then the same fields the plan has (camelCase, `plannedAt` in seconds since
/// 1970), read back by deserialising a [`CleanupPlan`]. Beside each reason the plan
/// gives (`reasonData`, `keptBecauseData`, `imageDeletesRefusedData`, `notesData`)
/// stand its words, as the plan view shows them (`reason`, `keptBecause`, …).
pub fn plan_json(registry: &str, plan: &CleanupPlan) -> String {
    serde_json::to_string_pretty(&plan_value(registry, plan)).unwrap_or_default()
}

/// The plans of a clean-up as one JSON document: [`plan_json`]'s for one repository,
/// an array of the same documents, words included, for a namespace.
pub fn plans_json(registry: &str, plans: &[CleanupPlan]) -> String {
    match plans {
        [one] => plan_json(registry, one),
        many => {
            let documents = many.iter().map(|plan| plan_value(registry, plan)).collect();
            serde_json::to_string_pretty(&Value::Array(documents)).unwrap_or_default()
        }
    }
}

fn plan_value(registry: &str, plan: &CleanupPlan) -> Value {
    // Serialising plain data with string keys cannot fail.
    let Ok(Value::Object(plan_fields)) = serde_json::to_value(plan) else {
        return Value::Null;
    };
    // Which registry the plan is of: a file read later must say it.
    let mut fields = Map::new();
    fields.insert("registry".to_owned(), registry.into());
    fields.extend(plan_fields);
    let mut json = Value::Object(fields);
    let Some(fields) = json.as_object_mut() else {
        return Value::Null;
    };
    let refusal = plan.image_deletes_refused.as_ref().map(deletes_refused);
    put_words_before(fields, "imageDeletesRefused", refusal.into());
    let notes: Vec<String> = plan.notes.iter().map(plan_note).collect();
    put_words_before(fields, "notes", notes.into());
    let tags = fields.get_mut("tags").and_then(Value::as_array_mut);
    for (json_tag, tag) in tags.into_iter().flatten().zip(&plan.tags) {
        if let Some(fields) = json_tag.as_object_mut() {
            put_words_before(fields, "reason", tag_reason(&tag.reason).into());
        }
    }
    let tags_only = fields.get_mut("tagsOnly").and_then(Value::as_array_mut);
    for (json_image, image) in tags_only.into_iter().flatten().zip(&plan.tags_only) {
        if let Some(fields) = json_image.as_object_mut() {
            let words = kept_because(&image.kept_because);
            put_words_before(fields, "keptBecause", words.into());
        }
    }
    json
}

/// Puts `words` under `key`, just before `{key}Data`.
fn put_words_before(fields: &mut Map<String, Value>, key: &str, words: Value) {
    let data_key = format!("{key}Data");
    for (name, value) in std::mem::take(fields) {
        if name == data_key {
            fields.insert(key.to_owned(), words.clone());
        }
        fields.insert(name, value);
    }
}

/// One row per tag: `tag,decision,rule,reason,digest,created,image`. `image` says what
/// happens to the tag's image: `deleted`, `kept` or `kept, loses tags`.
pub fn plan_csv(plan: &CleanupPlan) -> String {
    let mut out = String::from("tag,decision,rule,reason,digest,created,image\r\n");
    for t in &plan.tags {
        let image = match &t.digest {
            Some(d) if plan.delete_images.iter().any(|i| &i.digest == d) => "deleted",
            Some(d) if plan.tags_only.iter().any(|i| &i.digest == d) => "kept, loses tags",
            Some(_) => "kept",
            None => "unknown",
        };
        let decision = match t.decision {
            Decision::Keep => "keep",
            Decision::Remove => "remove",
        };
        let rule = serde_json::to_value(t.decided_by)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let digest = t.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
        let created = t.created.clone().unwrap_or_default();
        let cells = [
            t.tag.as_str(),
            decision,
            &rule,
            &tag_reason(&t.reason),
            &digest,
            &created,
            image,
        ];
        out.push_str(&cells.map(csv_cell).join(","));
        out.push_str("\r\n");
    }
    out
}

/// The plans of a clean-up as one CSV: [`plan_csv`]'s for one repository; for a
/// namespace the same rows with the repository first.
pub fn plans_csv(plans: &[CleanupPlan]) -> String {
    match plans {
        [one] => plan_csv(one),
        many => {
            let mut out = String::new();
            for (i, plan) in many.iter().enumerate() {
                let repository = csv_cell(&plan.repository);
                for (line_number, line) in plan_csv(plan).split_terminator("\r\n").enumerate() {
                    match (line_number, i) {
                        (0, 0) => out.push_str(&format!("repository,{line}\r\n")),
                        (0, _) => {}
                        _ => out.push_str(&format!("{repository},{line}\r\n")),
                    }
                }
            }
            out
        }
    }
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, quote, line break or
/// outer space, quotes doubled. A cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'`, so a spreadsheet shows it as text instead
/// of running it as a formula (OWASP's advice on CSV injection). So is each part
/// after a `;` or tab that starts with one of the four: Excel in a locale whose list
/// separator is `;` splits the line there and would run that part as a cell of its
/// own; such a cell is quoted too.
pub fn csv_cell(value: &str) -> String {
    const FORMULA: [char; 4] = ['=', '+', '-', '@'];
    let mut defused = String::with_capacity(value.len() + 1);
    if value.starts_with(['\t', '\r']) {
        defused.push('\'');
    }
    let mut inner_formula = false;
    for (i, part) in value.split_inclusive([';', '\t']).enumerate() {
        if part.starts_with(FORMULA) {
            defused.push('\'');
            inner_formula |= i > 0;
        }
        defused.push_str(part);
    }
    let needs_quotes = inner_formula
        || defused.contains([',', '"', '\n', '\r'])
        || defused.starts_with(' ')
        || defused.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn a_formula_after_a_semicolon_or_tab_is_defused() {
        // Excel in a locale whose list separator is ';' splits the line there, and
        // runs what follows as a cell of its own.
        for (value, cell) in [
            (
                "x;=HYPERLINK(\"http://e\")",
                "\"x;'=HYPERLINK(\"\"http://e\"\")\"",
            ),
            ("x\t+1", "\"x\t'+1\""),
            ("a;b;-1;@c", "\"a;b;'-1;'@c\""),
            ("=1;=2", "\"'=1;'=2\""),
        ] {
            assert_eq!(csv_cell(value), cell, "{value}");
        }
        // Ordinary values, separators included, stay as they are.
        for value in ["kept: no rule removes it; left as it is", "a;b", "v1.0"] {
            assert_eq!(csv_cell(value), value);
        }
    }
}
