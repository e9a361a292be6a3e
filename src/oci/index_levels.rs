//! Multi-arch images listed by multi-arch images (an index of indexes, rare), walked
//! level by level: a manifest an index lists at any depth is in use by the tags
//! above it. Who uses an image (`changes::users`) and Find a digest (`find_digest`)
//! walk the same way; each reads the indexes itself, with its own bounds and cache.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

use super::names::Digest;

/// Indexes to read next, each with the tags above it.
pub type Level<T> = BTreeMap<Digest, Vec<T>>;

/// The level below `level`: the indexes that its indexes list (`indexes_listed_by`
/// an index of the level, nothing for one that could not be read), each with the
/// tags above it that it has not had yet. `attached` is every index paired with each
/// tag it has had (the level's pairs are added): an index reached again by another
/// path (read already, or queued) comes back with only the tags new to it, so that
/// they use it and what it lists too (its reader keeps what it read: not read
/// again). Each pair comes once, so the walk ends: content addressing rules out a
/// cycle, and this ends one a registry that does not check digests could make.
pub fn level_below<T: Clone + Eq + Hash>(
    level: &Level<T>,
    indexes_listed_by: impl Fn(&Digest) -> Vec<Digest>,
    attached: &mut HashSet<(Digest, T)>,
) -> Level<T> {
    for (index, tags) in level {
        for tag in tags {
            attached.insert((index.clone(), tag.clone()));
        }
    }
    let mut below: Level<T> = BTreeMap::new();
    for (index, tags) in level {
        for listed in indexes_listed_by(index) {
            for tag in tags {
                if attached.insert((listed.clone(), tag.clone())) {
                    below.entry(listed.clone()).or_default().push(tag.clone());
                }
            }
        }
    }
    below
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn digest(n: u8) -> Digest {
        Digest::sha256_of(&[n])
    }

    #[test]
    fn an_index_listed_by_two_indexes_is_read_once_for_the_tags_of_both() {
        let (a, b, shared, only_a) = (digest(1), digest(2), digest(3), digest(4));
        let level: Level<&str> =
            BTreeMap::from([(a.clone(), vec!["a"]), (b.clone(), vec!["b", "b2"])]);
        let lists = HashMap::from([
            (a.clone(), vec![shared.clone(), only_a.clone()]),
            (b.clone(), vec![shared.clone()]),
        ]);
        let below = level_below(
            &level,
            |d| lists.get(d).cloned().unwrap_or_default(),
            &mut HashSet::new(),
        );
        assert_eq!(below.len(), 2);
        assert_eq!(below[&shared], ["a", "b", "b2"]);
        assert_eq!(below[&only_a], ["a"]);
    }

    #[test]
    fn what_is_known_or_on_this_level_is_not_read_again_so_a_cycle_ends() {
        let (top, middle) = (digest(1), digest(2));
        // `middle` lists `top` back (a registry that does not check digests).
        let lists = HashMap::from([
            (top.clone(), vec![middle.clone()]),
            (middle.clone(), vec![top.clone(), middle.clone()]),
        ]);
        let listed = |d: &Digest| lists.get(d).cloned().unwrap_or_default();
        let mut attached = HashSet::new();
        let first: Level<&str> = BTreeMap::from([(top.clone(), vec!["t"])]);
        let second = level_below(&first, listed, &mut attached);
        assert_eq!(second.keys().collect::<Vec<_>>(), [&middle]);
        let third = level_below(&second, listed, &mut attached);
        assert!(third.is_empty());
    }

    #[test]
    fn an_index_reached_again_by_other_tags_comes_back_with_those_only() {
        // "n" → n → below, and "a" → a → n: n and below are used by "a" too.
        let (a, n, below) = (digest(1), digest(2), digest(3));
        let lists = HashMap::from([
            (a.clone(), vec![n.clone()]),
            (n.clone(), vec![below.clone()]),
        ]);
        let listed = |d: &Digest| lists.get(d).cloned().unwrap_or_default();
        let mut attached = HashSet::new();
        let first: Level<&str> = BTreeMap::from([(a.clone(), vec!["a"]), (n.clone(), vec!["n"])]);
        let second = level_below(&first, listed, &mut attached);
        assert_eq!(
            second,
            BTreeMap::from([(n.clone(), vec!["a"]), (below.clone(), vec!["n"])])
        );
        let third = level_below(&second, listed, &mut attached);
        assert_eq!(third, BTreeMap::from([(below, vec!["a"])]));
        assert!(level_below(&third, listed, &mut attached).is_empty());
    }

    #[test]
    fn an_index_that_could_not_be_read_lists_nothing_below() {
        let level: Level<&str> = BTreeMap::from([(digest(1), vec!["t"])]);
        assert!(level_below(&level, |_| Vec::new(), &mut HashSet::new()).is_empty());
    }
}
