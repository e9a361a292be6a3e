//! One stable sort for the whole crate.
//!
//! Every `slice::sort_by` call site instantiates std's stable sort (drift sort,
//! quicksort, small-sort: about 3 KiB of wasm each) for its element type and closure;
//! twenty call sites cost about 70 KiB of the bundle. These helpers route every sort
//! through one instantiation, over indices with a `dyn` comparator, then move the
//! elements into that order. The order is the same as `sort_by`'s: stable.

use std::cmp::Ordering;

use crate::model::version_order::{natural_key, NaturalKey};

/// Sorts `items` by `compare`, keeping equal elements in their original order.
pub fn by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let order = stable_order(items.len(), &|a, b| compare(&items[a], &items[b]));
    rearrange(items, order);
}

/// Sorts by a key made once per item, for orders whose comparison is costly on many
/// items (the version order of thousands of tags). Stable, like [`by`].
pub fn by_cached_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let keys: Vec<K> = items.iter().map(key).collect();
    let order = stable_order(items.len(), &|a, b| keys[a].cmp(&keys[b]));
    rearrange(items, order);
}

/// Sorts names in version order (`1.9` before `1.10`), with each name's key made
/// once ([`natural_key`]): the order of [`crate::model::version_order::natural_cmp`].
pub fn names_naturally(names: &mut Vec<String>) {
    let order = {
        let keys: Vec<NaturalKey> = names.iter().map(|name| natural_key(name)).collect();
        stable_order(names.len(), &|a, b| keys[a].cmp(&keys[b]))
    };
    rearrange(names, order);
}

/// Sorts `items` in their natural order, stably.
pub fn ascending<T: Ord>(items: &mut Vec<T>) {
    by(items, T::cmp);
}

/// Moves the `count` smallest of `items` to the front, in order; the rest follow in
/// their original order. One pass with a small ordered buffer: about one comparison
/// per item, against a full sort's dozen, for "what the first screen shows".
pub fn smallest_first<T>(items: &mut Vec<T>, count: usize, compare: impl Fn(&T, &T) -> Ordering) {
    // Indices of the smallest seen so far, ordered; ties keep the earlier item first.
    let mut front: Vec<usize> = Vec::with_capacity(count + 1);
    for i in 0..items.len() {
        if front.len() == count
            && front
                .last()
                .is_none_or(|&last| compare(&items[i], &items[last]) != Ordering::Less)
        {
            continue;
        }
        let at = front.partition_point(|&f| compare(&items[f], &items[i]) != Ordering::Greater);
        front.insert(at, i);
        front.truncate(count);
    }
    let mut chosen = vec![false; items.len()];
    for &i in &front {
        chosen[i] = true;
    }
    let rest = (0..items.len()).filter(|&i| !chosen[i]);
    let order: Vec<usize> = front.iter().copied().chain(rest).collect();
    rearrange(items, order);
}

/// Puts `items` in `order`, a permutation of their indices.
fn rearrange<T>(items: &mut Vec<T>, order: Vec<usize>) {
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// The indices `0..len` in the stable order `compare` gives: the single place that
/// instantiates std's sort.
#[inline(never)]
#[allow(clippy::disallowed_methods)] // the one permitted call
fn stable_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // std's sort is the reference
    fn sorts_like_std_and_stays_stable() {
        // Pairs compared by their first element only: equal keys keep their order.
        let input: Vec<(u8, usize)> = [3, 1, 2, 1, 3, 0, 2, 1]
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i))
            .collect();
        let mut ours = input.clone();
        by(&mut ours, |a, b| a.0.cmp(&b.0));
        let mut std_sorted = input;
        std_sorted.sort_by_key(|pair| pair.0);
        assert_eq!(ours, std_sorted);
        assert_eq!(
            ours,
            vec![
                (0, 5),
                (1, 1),
                (1, 3),
                (1, 7),
                (2, 2),
                (2, 6),
                (3, 0),
                (3, 4)
            ]
        );
    }

    #[test]
    fn smallest_first_matches_a_full_sort_at_the_front() {
        let input: Vec<u32> = vec![9, 4, 7, 1, 8, 4, 2, 6, 0, 5, 3];
        for count in 0..=input.len() + 1 {
            let mut ours = input.clone();
            smallest_first(&mut ours, count, |a, b| a.cmp(b));
            let mut sorted = input.clone();
            ascending(&mut sorted);
            let k = count.min(input.len());
            assert_eq!(ours[..k], sorted[..k], "count {count}");
            // Nothing is lost or duplicated.
            let mut all = ours.clone();
            ascending(&mut all);
            assert_eq!(all, sorted, "count {count}");
        }
        let mut tags: Vec<&str> = vec!["e", "b", "d", "a", "c"];
        smallest_first(&mut tags, 2, |a, b| a.cmp(b));
        // The rest keep their original order.
        assert_eq!(tags, ["a", "b", "e", "d", "c"]);
        // Ties: the earlier of two equal items comes first.
        let mut pairs = vec![(1, 'x'), (0, 'a'), (1, 'y'), (0, 'b')];
        smallest_first(&mut pairs, 3, |a, b| a.0.cmp(&b.0));
        assert_eq!(pairs, [(0, 'a'), (0, 'b'), (1, 'x'), (1, 'y')]);
    }

    #[test]
    fn names_sort_in_version_order_like_the_comparison() {
        let mut names: Vec<String> = ["v10", "1.10.0", "v2", "01", "1.9.0", "1", "latest", "v2"]
            .map(String::from)
            .to_vec();
        let mut expected = names.clone();
        by(&mut expected, |a, b| {
            crate::model::version_order::natural_cmp(a, b)
        });
        names_naturally(&mut names);
        assert_eq!(names, expected);
        assert_eq!(
            names,
            ["01", "1", "1.9.0", "1.10.0", "latest", "v2", "v2", "v10"]
        );
    }

    #[test]
    fn sorts_owned_values_without_losing_any() {
        let mut words: Vec<String> = ["b", "a", "c", "a"].map(String::from).to_vec();
        ascending(&mut words);
        assert_eq!(words, ["a", "a", "b", "c"]);
        let mut empty: Vec<String> = Vec::new();
        ascending(&mut empty);
        assert!(empty.is_empty());
    }
}
