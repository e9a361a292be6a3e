//! Multi-arch images listed by multi-arch images (an index of indexes, rare), walked
//! level by level: a manifest an index lists at any depth is in use by the tags
//! above it. Who uses an image (`changes::users`) and Find a digest (`find_digest`)
//! walk the same way; each reads the indexes itself, with its own bounds and cache.

use std::collections::BTreeMap;

use super::names::Digest;

/// Indexes to read next, each with the tags above it.
pub type Level<T> = BTreeMap<Digest, Vec<T>>;

/// The level below `level`: the indexes that its indexes list (`indexes_listed_by`
/// an index of the level, nothing for one that could not be read), each once with
/// the tags of every index above it, leaving out those `known` (read already, or
/// queued). Content addressing rules out a cycle; `known` also ends one a registry
/// that does not check digests could make.
pub fn level_below<T: Clone>(
    level: &Level<T>,
    indexes_listed_by: impl Fn(&Digest) -> Vec<Digest>,
    known: impl Fn(&Digest) -> bool,
) -> Level<T> {
    let mut below: Level<T> = BTreeMap::new();
    for (index, tags) in level {
        for listed in indexes_listed_by(index) {
            if !known(&listed) && !level.contains_key(&listed) {
                below
                    .entry(listed)
                    .or_default()
                    .extend(tags.iter().cloned());
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
            |_| false,
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
        let first: Level<&str> = BTreeMap::from([(top.clone(), vec!["t"])]);
        let second = level_below(&first, listed, |d| *d == top);
        assert_eq!(second.keys().collect::<Vec<_>>(), [&middle]);
        let third = level_below(&second, listed, |d| *d == top || *d == middle);
        assert!(third.is_empty());
    }

    #[test]
    fn an_index_that_could_not_be_read_lists_nothing_below() {
        let level: Level<&str> = BTreeMap::from([(digest(1), vec!["t"])]);
        assert!(level_below(&level, |_| Vec::new(), |_| false).is_empty());
    }
}
