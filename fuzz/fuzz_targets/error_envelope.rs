#![no_main]
//! The OCI error envelope, and a whole failed response: status from the first two
//! bytes, `Name: value` header lines up to a blank line, then the body.

use libfuzzer_sys::fuzz_target;
use tagdeck::oci::error::{parse_error_entries, Attempt, RegistryError};
use tagdeck::oci::http::{Method, Response};

fuzz_target!(|data: &[u8]| {
    let _ = parse_error_entries(data);
    let [high, low, rest @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*high, *low]);
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (&[][..], rest),
    };
    let headers = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let response = Response {
        status,
        headers,
        body: body.to_vec(),
    };
    let attempt = Attempt {
        method: Method::Get,
        url: "http://reg.example/v2/_catalog".into(),
    };
    let error = RegistryError::from_response(attempt, &response);
    let _ = (error.to_string(), error.headline(), error.advice());
    if status != 429 {
        assert_eq!(error.entries(), parse_error_entries(body).as_slice());
    }
});
