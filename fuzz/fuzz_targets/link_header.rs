#![no_main]
//! `next_page_url` on any Link header against a request URL picked by the first
//! byte: never an answer on another origin, as origin_of and as a browser sees it.

use libfuzzer_sys::fuzz_target;
use tagdeck::oci::pagination::{next_page_url, origin_of, resolve};

#[path = "common.rs"]
mod common;

const REQUESTS: [&str; 5] = [
    "http://reg.example:5000/v2/_catalog?n=100",
    "https://Reg.Example/v2/team/app/tags/list",
    "http://[::1]:5000",
    "http://127.0.0.1/prefix/v2/x/tags/list?n=1&last=a",
    "HTTPS://reg.example:443/v2/a/b/tags/list",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let header = String::from_utf8_lossy(rest);
    let request = REQUESTS[usize::from(pick) % REQUESTS.len()];
    if let Ok(Some(next)) = next_page_url(&header, request) {
        assert_eq!(
            origin_of(&next),
            origin_of(request),
            "{header:?} led to {next:?}"
        );
        assert_eq!(
            common::browser_origin(&next),
            common::browser_origin(request),
            "{header:?} led to {next:?}"
        );
    }
    let _ = resolve(request, &header);
    let _ = next_page_url("<x>; rel=next", &header);
});
