//! Which tags the changes of this tab touched, so a view refreshes just those rows.
//! Several changes may be announced before a view's effect runs (a bulk run's Undo
//! beside an ongoing copy, say): the view takes every announcement since the one it
//! saw last, not only the latest.

use std::collections::VecDeque;

/// The tags of one repository a change touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touched {
    pub registry: String,
    pub repository: String,
    pub tags: Vec<String>,
}

/// Announcements kept: far more than can pile up between two runs of an effect.
const KEPT: usize = 64;

/// The latest announcements, each with the version it was announced as.
#[derive(Default)]
pub struct TouchedLog {
    announced: VecDeque<(u64, Vec<Touched>)>,
}

impl TouchedLog {
    pub fn record(&mut self, version: u64, touched: Vec<Touched>) {
        if self.announced.len() == KEPT {
            self.announced.pop_front();
        }
        self.announced.push_back((version, touched));
    }

    /// The tags of `repository` touched by announcements after version `seen` (up to
    /// and including the latest). `None` when the log no longer reaches back to the
    /// first of them: the caller must read every row again.
    pub fn since(&self, seen: u64, registry: &str, repository: &str) -> Option<Vec<String>> {
        let reaches_back = self
            .announced
            .front()
            .is_none_or(|(first, _)| *first <= seen + 1);
        if !reaches_back {
            return None;
        }
        let mut tags: Vec<String> = self
            .announced
            .iter()
            .filter(|(version, _)| *version > seen)
            .flat_map(|(_, touched)| touched)
            .filter(|t| t.registry == registry && t.repository == repository)
            .flat_map(|t| t.tags.iter().cloned())
            .collect();
        crate::model::sort::ascending(&mut tags);
        tags.dedup();
        Some(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touched(repository: &str, tags: &[&str]) -> Vec<Touched> {
        vec![Touched {
            registry: "http://reg".into(),
            repository: repository.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }]
    }

    #[test]
    fn every_change_since_the_view_last_looked_counts_not_only_the_last() {
        let mut log = TouchedLog::default();
        log.record(1, touched("app", &["v1"]));
        log.record(2, touched("app", &["v2"]));
        log.record(3, touched("other", &["v3"]));
        log.record(4, touched("app", &["v2", "v4"]));
        assert_eq!(
            log.since(1, "http://reg", "app"),
            Some(vec!["v2".into(), "v4".into()])
        );
        assert_eq!(
            log.since(0, "http://reg", "app"),
            Some(vec!["v1".into(), "v2".into(), "v4".into()])
        );
        assert_eq!(log.since(4, "http://reg", "app"), Some(vec![]));
        assert_eq!(log.since(0, "http://elsewhere", "app"), Some(vec![]));
    }

    #[test]
    fn a_view_that_looked_before_the_oldest_kept_announcement_reads_everything() {
        let mut log = TouchedLog::default();
        for version in 1..=(KEPT as u64 + 5) {
            log.record(version, touched("app", &["v"]));
        }
        assert_eq!(log.since(2, "http://reg", "app"), None);
        assert!(log.since(5, "http://reg", "app").is_some());
    }
}
