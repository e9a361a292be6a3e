//! The repository list grouped by namespace, so `team/sub/app` reads as a tree.

use crate::model::sort;

/// One line of the catalog: a namespace heading or a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow {
    /// Indentation level: 0 for top-level entries.
    pub depth: usize,
    /// The namespace (`team/sub/`) for a heading; the full name for a repository.
    pub name: String,
    pub is_repository: bool,
}

impl CatalogRow {
    /// The row's identity in the list: a heading `a/` and a repository named `a/`
    /// (invalid, yet listed by some registry) are two rows.
    pub fn key(&self) -> (bool, String) {
        (self.is_repository, self.name.clone())
    }
}

/// Rows for `names` (any order) whose full name contains `filter` (case-insensitive).
/// A namespace heading appears once, above the first repository inside it.
pub fn catalog_rows(names: &[String], filter: &str) -> Vec<CatalogRow> {
    // Names are lower-case ASCII by the grammar: ASCII case folding is enough, and
    // spares every page Unicode's case tables.
    let filter = filter.trim().to_ascii_lowercase();
    let mut matching: Vec<&String> = names
        .iter()
        .filter(|name| filter.is_empty() || name.to_ascii_lowercase().contains(&filter))
        .collect();
    sort::ascending(&mut matching);
    // A name listed twice (on two pages, say) is one row.
    matching.dedup();
    let mut rows = Vec::new();
    let mut open: Vec<&str> = Vec::new(); // namespace components of the last heading path
    for name in matching {
        let components: Vec<&str> = name.split('/').collect();
        let namespaces = &components[..components.len() - 1];
        let shared = open
            .iter()
            .zip(namespaces)
            .take_while(|(a, b)| a == b)
            .count();
        open.truncate(shared);
        for (depth, component) in namespaces.iter().enumerate().skip(shared) {
            open.push(component);
            rows.push(CatalogRow {
                depth,
                name: format!("{}/", namespaces[..=depth].join("/")),
                is_repository: false,
            });
        }
        rows.push(CatalogRow {
            depth: namespaces.len(),
            name: name.clone(),
            is_repository: true,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn render(rows: &[CatalogRow]) -> Vec<String> {
        rows.iter()
            .map(|r| {
                format!(
                    "{}{}{}",
                    "  ".repeat(r.depth),
                    r.name,
                    if r.is_repository { "" } else { " #" }
                )
            })
            .collect()
    }

    #[test]
    fn groups_nested_names_under_headings() {
        let rows = catalog_rows(
            &names(&[
                "team/tools",
                "alpine",
                "team/sub/app",
                "demo/web",
                "team/sub/db",
            ]),
            "",
        );
        assert_eq!(
            render(&rows),
            [
                "alpine",
                "demo/ #",
                "  demo/web",
                "team/ #",
                "  team/sub/ #",
                "    team/sub/app",
                "    team/sub/db",
                "  team/tools",
            ]
        );
    }

    #[test]
    fn filter_keeps_headings_of_matches_only() {
        let rows = catalog_rows(&names(&["team/sub/app", "demo/web", "team/tools"]), "APP");
        assert_eq!(
            render(&rows),
            ["team/ #", "  team/sub/ #", "    team/sub/app"]
        );
        assert!(catalog_rows(&names(&["a"]), "zzz").is_empty());
    }
}
