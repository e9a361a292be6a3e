//! Version-aware ordering of tags: `1.9.0` before `1.10.0`, `v2` before `v10`.

use std::cmp::Ordering;

/// Compares runs of digits by value and everything else character by character.
/// Equal values with different zero padding (`01` vs `1`) fall back to plain order,
/// so the result is a total order consistent with equality.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    // The table sorts thousands of tags that mostly share long prefixes: skip the
    // common prefix at memory speed, back to the start of the digit run the first
    // difference falls in (`1.19` vs `1.110` compares 19 with 110). An equal prefix
    // leaves the order to what follows, plain order included.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let start = a[..same]
        .iter()
        .rposition(|d| !d.is_ascii_digit())
        .map_or(0, |i| i + 1);
    natural_cmp_bytes(&a[start..], &b[start..])
}

fn natural_cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let (mut left, mut right) = (a, b);
    loop {
        match (left.first(), right.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (left_digits, left_rest) = split_digits(left);
                let (right_digits, right_rest) = split_digits(right);
                let order = compare_numbers(left_digits, right_digits);
                if order != Ordering::Equal {
                    return order;
                }
                left = left_rest;
                right = right_rest;
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                left = &left[1..];
                right = &right[1..];
            }
        }
    }
}

/// A name with a key whose plain byte order is [`natural_cmp`]'s order: sorting
/// thousands of tags compares each one many times, and comparing keys made once per
/// tag is several times faster than reading the digit runs again in every comparison.
/// Two names differing only in zero padding (`01`, `1`) have the same key; the names
/// themselves then decide, as in `natural_cmp`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NaturalKey<'a> {
    encoded: Vec<u8>,
    name: &'a str,
}

/// Each run of digits becomes `'0'`, the length of its value (leading zeros dropped)
/// as 4 big-endian bytes, then the value's digits; every other byte stays as it is.
/// The run starts with a digit byte, so it compares with any other character as a
/// digit does; two runs meet at the same place (what came before is equal) and
/// compare by length, then digit by digit: by value.
pub fn natural_key(name: &str) -> NaturalKey<'_> {
    let mut encoded = Vec::with_capacity(name.len() + 8);
    let mut rest = name.as_bytes();
    while let Some(&first) = rest.first() {
        if first.is_ascii_digit() {
            let (digits, after) = split_digits(rest);
            let zeros = digits.iter().take_while(|&&d| d == b'0').count();
            let value = &digits[zeros..];
            encoded.push(b'0');
            encoded
                .extend_from_slice(&u32::try_from(value.len()).unwrap_or(u32::MAX).to_be_bytes());
            encoded.extend_from_slice(value);
            rest = after;
        } else {
            encoded.push(first);
            rest = &rest[1..];
        }
    }
    NaturalKey { encoded, name }
}

fn split_digits(bytes: &[u8]) -> (&[u8], &[u8]) {
    let end = bytes
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(bytes.len());
    bytes.split_at(end)
}

/// Compares digit strings of any length by value, without overflow.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |s: &[u8]| -> usize { s.iter().take_while(|&&d| d == b'0').count() };
    let (a, b) = (&a[strip(a)..], &b[strip(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The comparison without the common-prefix skip: the definition it must match.
    fn from_the_start(a: &str, b: &str) -> Ordering {
        natural_cmp_bytes(a.as_bytes(), b.as_bytes())
    }

    #[test]
    fn prefix_skip_restarts_at_the_digit_run() {
        for (a, b) in [
            ("1.19", "1.110"),
            ("x0010", "x009"),
            ("a12", "a1b"),
            ("v1", "v01"),
            ("build-00010", "build-0009"),
            ("same", "same"),
            ("7", "70"),
        ] {
            assert_eq!(natural_cmp(a, b), from_the_start(a, b), "{a} vs {b}");
            assert_eq!(natural_cmp(b, a), from_the_start(b, a), "{b} vs {a}");
        }
        assert_eq!(natural_cmp("1.19", "1.110"), Ordering::Less);
        assert_eq!(natural_cmp("x0010", "x009"), Ordering::Greater);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn prefix_skip_never_changes_the_order(a in "[0-9a.-]{0,8}", b in "[0-9a.-]{0,8}") {
            proptest::prop_assert_eq!(natural_cmp(&a, &b), from_the_start(&a, &b));
        }

        #[test]
        fn keys_order_as_the_comparison_does(a in "[0-9a/:.é~-]{0,10}", b in "[0-9a/:.é~-]{0,10}") {
            proptest::prop_assert_eq!(natural_key(&a).cmp(&natural_key(&b)), natural_cmp(&a, &b));
        }
    }

    #[test]
    fn versions_sort_by_value() {
        let mut tags = vec![
            "1.10.0", "1.9.0", "1.9.10", "1.9.2", "latest", "v10", "v2", "1.0",
        ];
        crate::model::sort::by(&mut tags, |a, b| natural_cmp(a, b));
        assert_eq!(
            tags,
            ["1.0", "1.9.0", "1.9.2", "1.9.10", "1.10.0", "latest", "v2", "v10"]
        );
    }

    #[test]
    fn keys_order_digit_runs_by_value_and_padding_by_name() {
        for (a, b) in [
            ("1.9.0", "1.10.0"),
            ("v2", "v10"),
            ("01", "1"),
            ("a", "a1"),
            ("a-1", "a1"),
            ("1a", "a"),
            (
                "build-99999999999999999999999",
                "build-100000000000000000000000",
            ),
            ("x0010", "x009"),
        ] {
            assert_eq!(
                natural_key(a).cmp(&natural_key(b)),
                natural_cmp(a, b),
                "{a} vs {b}"
            );
            assert_eq!(
                natural_key(b).cmp(&natural_key(a)),
                natural_cmp(b, a),
                "{b} vs {a}"
            );
        }
        assert_eq!(natural_key("build-7"), natural_key("build-7"));
    }

    #[test]
    fn long_numbers_and_padding_are_total() {
        assert_eq!(
            natural_cmp(
                "build-99999999999999999999999",
                "build-100000000000000000000000"
            ),
            Ordering::Less
        );
        assert_ne!(natural_cmp("01", "1"), Ordering::Equal);
        assert_eq!(natural_cmp("build-00001", "build-00001"), Ordering::Equal);
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
    }
}
