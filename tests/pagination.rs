#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use tagdeck::oci::pagination::{next_page_url, LinkError};

const REQUEST: &str = "http://reg.example:5000/v2/team/app/tags/list?n=50";

proptest! {
    #[test]
    fn relative_next_links_resolve_on_the_registry(path in "/v2/team/app/tags/list\\?last=[a-zA-Z0-9._-]{1,20}&n=[0-9]{1,4}") {
        let header = format!("<{path}>; rel=\"next\"");
        let next = next_page_url(&header, REQUEST).unwrap();
        prop_assert_eq!(next, Some(format!("http://reg.example:5000{path}")));
    }

    #[test]
    fn links_to_other_hosts_are_always_refused(host in "[a-z]{1,10}\\.[a-z]{2,3}", port in 1u16..) {
        prop_assume!(host != "reg.example" || port != 5000);
        let header = format!("<http://{host}:{port}/v2/_catalog?last=x>; rel=\"next\"");
        prop_assert!(matches!(next_page_url(&header, REQUEST), Err(LinkError::OtherOrigin(_))));
    }

    #[test]
    fn next_is_found_wherever_it_stands(before in 0usize..4, after in 0usize..4) {
        let other = "</v2/x?p=1>; rel=\"prev\"";
        let mut links: Vec<&str> = vec![other; before];
        links.push("</v2/team/app/tags/list?last=next>; rel=\"next\"");
        links.extend(vec![other; after]);
        let next = next_page_url(&links.join(", "), REQUEST).unwrap();
        prop_assert_eq!(next.as_deref(), Some("http://reg.example:5000/v2/team/app/tags/list?last=next"));
    }

    #[test]
    fn arbitrary_headers_never_panic(header in "\\PC{0,120}") {
        let _ = next_page_url(&header, REQUEST);
    }
}

/// The browser ends a URL's authority at '/', '?' or '#': a link whose path comes
/// after a '?' or '#' is fetched at the registry's root, another list than this one.
#[test]
fn a_link_whose_path_follows_a_query_or_fragment_is_refused() {
    for target in [
        "http://reg.example:5000?/v2/team/app/tags/list",
        "http://reg.example:5000#/v2/team/app/tags/list",
        "//reg.example:5000?/v2/team/app/tags/list",
    ] {
        let header = format!("<{target}>; rel=\"next\"");
        let next = next_page_url(&header, REQUEST);
        assert!(
            matches!(next, Err(LinkError::OtherList(_))),
            "{target}: {next:?}"
        );
    }
}
