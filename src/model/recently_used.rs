//! Which repositories this tab stops remembering, so what it keeps stays bounded
//! however many it visits.

/// Moves `name` to the newest end of `oldest_first`, adding it if new.
pub fn mark_used(oldest_first: &mut Vec<String>, name: &str) {
    oldest_first.retain(|known| known != name);
    oldest_first.push(name.to_owned());
}

/// The names to forget so that at most `limit` remain: the least recently used first,
/// passing over those `pinned` keeps (on screen, a bulk run under way), which may
/// leave more than `limit`.
pub fn to_forget(
    oldest_first: &[String],
    limit: usize,
    pinned: impl Fn(&str) -> bool,
) -> Vec<String> {
    let excess = oldest_first.len().saturating_sub(limit);
    oldest_first
        .iter()
        .filter(|name| !pinned(name))
        .take(excess)
        .cloned()
        .collect()
}
