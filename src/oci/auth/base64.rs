//! Base64 (RFC 4648) as sign-in needs it: the standard alphabet, padded, for Basic
//! credentials; the URL-safe one, padding optional, to read a JWT's claims. Written
//! out here because the base64 crate's engines cost the main module about 1 KB gzip
//! for these two uses.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` in the standard alphabet, padded with `=` (RFC 4648, section 4).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |group, (i, &b)| group | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(STANDARD[(group >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// `text` in the URL-safe alphabet (RFC 4648, section 5), with or without padding;
/// `None` for any other character or a length no encoding has.
pub fn decode_url_safe(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let (mut bits, mut held) = (0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        // At most 7 bits wait from before: 13 after this character.
        bits = (bits << 6 | u32::from(value)) & 0x1FFF;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode_url_safe(encoded).unwrap(), plain.as_bytes());
            assert_eq!(
                decode_url_safe(encoded.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
        }
    }

    #[test]
    fn the_url_safe_alphabet_and_nothing_else() {
        assert_eq!(decode_url_safe("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(encode(&[0xfb, 0xff]), "+/8=");
        for bad in ["+/8", "ab c", "a", "abcde", "Zm9v\n"] {
            assert_eq!(decode_url_safe(bad), None, "{bad:?}");
        }
    }
}
