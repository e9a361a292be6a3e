//! Sizes and dates as people read them.

/// `1536` → `1.5 KiB`. Registries report bytes; binary units match `docker images`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Integer arithmetic: float formatting would add ~15 KiB to the wasm bundle.
    let mut divisor: u128 = 1;
    let mut unit = 0;
    while u128::from(bytes) / divisor >= 1024 && unit < UNITS.len() - 1 {
        divisor *= 1024;
        unit += 1;
    }
    let rounded = |scale: u128| (u128::from(bytes) * scale + divisor / 2) / divisor;
    let tenths = rounded(10);
    if tenths >= 1000 {
        format!("{} {}", rounded(1), UNITS[unit])
    } else {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

/// `2026-01-15T10:00:00.123Z` → `2026-01-15 10:00 UTC`; anything else as it came.
pub fn short_timestamp(rfc3339: &str) -> String {
    let bytes = rfc3339.as_bytes();
    let looks_right = bytes.len() >= 16
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't' | b' ')
        && bytes[13] == b':';
    let (Some(date), Some(time), Some(zone)) =
        (rfc3339.get(..10), rfc3339.get(11..16), rfc3339.get(16..))
    else {
        return rfc3339.to_owned();
    };
    if !looks_right {
        return rfc3339.to_owned();
    }
    let zone = zone.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == '.');
    let zone = match zone {
        "Z" | "z" | "" => "UTC".to_owned(),
        other => other.to_owned(),
    };
    format!("{date} {time} {zone}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(human_size(300 * 1024 * 1024), "300 MiB");
        // Rounded, never truncated: 1023.96 KiB reads as 1024 KiB, 1.96 KiB as 2.0.
        assert_eq!(human_size(1_048_535), "1024 KiB");
        assert_eq!(human_size(2007), "2.0 KiB");
        assert_eq!(human_size(1075), "1.0 KiB");
        assert_eq!(human_size(u64::MAX), "16777216 TiB");
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            short_timestamp("2026-01-15T10:00:00Z"),
            "2026-01-15 10:00 UTC"
        );
        assert_eq!(
            short_timestamp("2026-01-15T10:00:00.123456789Z"),
            "2026-01-15 10:00 UTC"
        );
        assert_eq!(
            short_timestamp("2026-01-15T10:00:00+02:00"),
            "2026-01-15 10:00 +02:00"
        );
        assert_eq!(short_timestamp("yesterday"), "yesterday");
        assert_eq!(
            short_timestamp("2026-01-15é0:00:00Z"),
            "2026-01-15é0:00:00Z"
        );
        assert_eq!(short_timestamp("2026-01-15T10:0é"), "2026-01-15T10:0é");
    }
}
