//! One stable sort for the whole crate.
//!
//! Every `slice::sort_by` call site instantiates std's stable sort (drift sort,
//! quicksort, small-sort: about 3 KiB of wasm each) for its element type and closure;
//! twenty call sites cost about 70 KiB of the bundle. These helpers route every sort
//! through one instantiation, over indices with a `dyn` comparator, then move the
//! elements into that order. The order is the same as `sort_by`'s: stable.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal elements in their original order.
pub fn by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let order = stable_order(items.len(), &|a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// Sorts `items` in their natural order, stably.
pub fn ascending<T: Ord>(items: &mut Vec<T>) {
    by(items, T::cmp);
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
    fn sorts_owned_values_without_losing_any() {
        let mut words: Vec<String> = ["b", "a", "c", "a"].map(String::from).to_vec();
        ascending(&mut words);
        assert_eq!(words, ["a", "a", "b", "c"]);
        let mut empty: Vec<String> = Vec::new();
        ascending(&mut empty);
        assert!(empty.is_empty());
    }
}
