//! Which image summaries the tag view asks the registry for: each image once, however
//! many tags name it, and one whose summary failed only when asked for anew.

use std::collections::HashSet;
use std::hash::Hash;

/// The images (by digest) whose summary this view asked for.
#[derive(Debug, Clone)]
pub struct SummaryAsks<K> {
    /// Under way or read.
    asked: HashSet<K>,
    /// Failed since tags were last resolved again: the image's other tags do not
    /// each ask again, which would send a failing registry one request per tag.
    failed: HashSet<K>,
}

impl<K: Eq + Hash + Clone> SummaryAsks<K> {
    /// Nothing asked yet but the summaries already `read` (on an earlier visit).
    pub fn new(read: impl IntoIterator<Item = K>) -> Self {
        SummaryAsks {
            asked: read.into_iter().collect(),
            failed: HashSet::new(),
        }
    }

    /// A tag just resolved to `image`: whether to ask for its summary now.
    pub fn should_ask(&mut self, image: &K) -> bool {
        !self.failed.contains(image) && self.asked.insert(image.clone())
    }

    /// The summary of `image` could not be read (the view is still there).
    pub fn failed(&mut self, image: K) {
        self.asked.remove(&image);
        self.failed.insert(image);
    }

    /// Tags are being resolved again (a refresh, a revisit): the first of them that
    /// resolves to an image whose summary failed asks for it again.
    pub fn tags_resolved_again(&mut self) {
        self.failed.clear();
    }

    /// The user's Read again, for a summary that failed: whether to ask for it now
    /// (not when it is under way again already).
    pub fn ask_again(&mut self, image: K) -> bool {
        self.failed.remove(&image);
        self.asked.insert(image)
    }
}
