//! Which tags are selected for a bulk change: a click toggles one, a shift-click adds
//! the range from the last click.

use std::collections::HashSet;

use leptos::prelude::*;

/// The selection and how to change it, shared with the tag table.
#[derive(Clone, Copy)]
pub struct Selection {
    pub tags: RwSignal<HashSet<String>>,
    /// The tag of the last plain click, for shift-click ranges. A tag, not a position:
    /// the filter or the sort may have changed since.
    pub anchor: RwSignal<Option<String>>,
}

impl Selection {
    pub fn new() -> Self {
        Selection {
            tags: RwSignal::new(Default::default()),
            anchor: RwSignal::new(None),
        }
    }

    /// A click on a row's checkbox; with shift, the range from the last click.
    pub fn click(&self, position: usize, shown: &[String], shift: bool) {
        let anchor = self
            .anchor
            .get_untracked()
            .and_then(|tag| shown.iter().position(|t| *t == tag));
        match (shift, anchor) {
            (true, Some(anchor)) => {
                let (from, to) = (anchor.min(position), anchor.max(position));
                self.tags
                    .update(|s| s.extend(shown[from..=to.min(shown.len() - 1)].iter().cloned()));
            }
            _ => {
                let tag = &shown[position];
                self.tags.update(|s| {
                    if !s.remove(tag) {
                        s.insert(tag.clone());
                    }
                });
                self.anchor.set(Some(tag.clone()));
            }
        }
    }
}
