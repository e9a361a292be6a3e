//! An in-memory registry that behaves like distribution 2.8 where it matters to tag
//! changes: DELETE by digest takes every tag with it, DELETE by tag answers 400
//! DIGEST_INVALID, deletes can be disabled, blobs can be mounted across repositories.
//! Only for pure-logic tests; the real server is exercised by the browser tests.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest as _, Sha256};
use tagdeck::oci::http::{HttpClient, Method, Request, Response, TransportFailure};

#[derive(Default)]
pub struct State {
    /// repository → digest → (content type, bytes)
    pub manifests: HashMap<String, HashMap<String, (String, Vec<u8>)>>,
    /// repository → tag → digest
    pub tags: HashMap<String, BTreeMap<String, String>>,
    /// repository → blob digests
    pub blobs: HashMap<String, HashSet<String>>,
    pub deletes_enabled: bool,
    /// Answer DELETE by tag by removing just the tag (OCI 1.1, distribution 3).
    pub tag_deletes: bool,
    pub next_upload: usize,
    /// Every request, as "METHOD path".
    pub log: Vec<String>,
}

pub struct MemoryRegistry {
    pub state: RefCell<State>,
}

pub fn sha256(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn reply(status: u16, headers: &[(&str, String)], body: &[u8]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        body: body.to_vec(),
    }
}

fn error(status: u16, code: &str) -> Response {
    reply(
        status,
        &[],
        format!(r#"{{"errors":[{{"code":"{code}","message":"{code}"}}]}}"#).as_bytes(),
    )
}

impl MemoryRegistry {
    pub fn new() -> Self {
        MemoryRegistry {
            state: RefCell::new(State {
                deletes_enabled: true,
                ..State::default()
            }),
        }
    }

    /// Stores a manifest (and marks its blobs present) under `tag`.
    pub fn push(&self, repository: &str, tag: &str, content_type: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let mut state = self.state.borrow_mut();
        state
            .manifests
            .entry(repository.into())
            .or_default()
            .insert(digest.clone(), (content_type.into(), bytes.to_vec()));
        state
            .tags
            .entry(repository.into())
            .or_default()
            .insert(tag.into(), digest.clone());
        digest
    }

    pub fn add_blob(&self, repository: &str, digest: &str) {
        self.state
            .borrow_mut()
            .blobs
            .entry(repository.into())
            .or_default()
            .insert(digest.into());
    }

    /// Whether any request starting with `prefix` ("PUT", "DELETE /v2/app/…") was sent.
    pub fn was_sent(&self, prefix: &str) -> bool {
        self.state
            .borrow()
            .log
            .iter()
            .any(|l| l.starts_with(prefix))
    }

    pub fn tag_digest(&self, repository: &str, tag: &str) -> Option<String> {
        self.state.borrow().tags.get(repository)?.get(tag).cloned()
    }

    fn handle(&self, request: &Request) -> Response {
        let path_and_query = request.url.splitn(4, '/').nth(3).unwrap_or("");
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut state = self.state.borrow_mut();
        state.log.push(format!("{} /{path}", request.method));
        let path = path.strip_prefix("v2/").unwrap_or(path);
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        if let Some((repo, reference)) = path.rsplit_once("/manifests/") {
            let repo = repo.to_owned();
            let digest = if reference.starts_with("sha256:") {
                Some(reference.to_owned())
            } else {
                state
                    .tags
                    .get(&repo)
                    .and_then(|t| t.get(reference))
                    .cloned()
            };
            return match request.method {
                Method::Get | Method::Head => {
                    let Some((content_type, bytes)) = digest
                        .as_ref()
                        .and_then(|d| state.manifests.get(&repo)?.get(d).cloned())
                    else {
                        return error(404, "MANIFEST_UNKNOWN");
                    };
                    let headers = [
                        ("Content-Type", content_type),
                        ("Docker-Content-Digest", sha256(&bytes)),
                        ("Content-Length", bytes.len().to_string()),
                    ];
                    let body = if request.method == Method::Head {
                        &[][..]
                    } else {
                        &bytes[..]
                    };
                    reply(200, &headers, body)
                }
                Method::Put => {
                    let bytes = request.body.clone().unwrap_or_default();
                    let digest = sha256(&bytes);
                    let content_type = request
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    if reference.starts_with("sha256:") && reference != digest {
                        return error(400, "DIGEST_INVALID");
                    }
                    state
                        .manifests
                        .entry(repo.clone())
                        .or_default()
                        .insert(digest.clone(), (content_type, bytes));
                    if !reference.starts_with("sha256:") {
                        state
                            .tags
                            .entry(repo)
                            .or_default()
                            .insert(reference.into(), digest.clone());
                    }
                    reply(201, &[("Docker-Content-Digest", digest)], b"")
                }
                Method::Delete if !state.deletes_enabled => error(405, "UNSUPPORTED"),
                Method::Delete if !reference.starts_with("sha256:") && state.tag_deletes => {
                    match state.tags.get_mut(&repo).and_then(|t| t.remove(reference)) {
                        Some(_) => reply(202, &[], b""),
                        None => error(404, "MANIFEST_UNKNOWN"),
                    }
                }
                Method::Delete if !reference.starts_with("sha256:") => error(400, "DIGEST_INVALID"),
                Method::Delete => {
                    let removed = state
                        .manifests
                        .get_mut(&repo)
                        .and_then(|m| m.remove(reference));
                    if removed.is_none() {
                        return error(404, "MANIFEST_UNKNOWN");
                    }
                    if let Some(tags) = state.tags.get_mut(&repo) {
                        tags.retain(|_, d| d != reference);
                    }
                    reply(202, &[], b"")
                }
                _ => error(405, "UNSUPPORTED"),
            };
        }
        if let Some(repo) = path.strip_suffix("/tags/list") {
            let tags: Vec<String> = state
                .tags
                .get(repo)
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default();
            return reply(
                200,
                &[],
                serde_json::json!({ "name": repo, "tags": tags })
                    .to_string()
                    .as_bytes(),
            );
        }
        if let Some((repo, rest)) = path.split_once("/blobs/") {
            let repo = repo.to_owned();
            if rest.starts_with("uploads") && request.method == Method::Post {
                if let (Some(mount), Some(from)) = (param("mount"), param("from")) {
                    if state.blobs.get(&from).is_some_and(|b| b.contains(&mount)) {
                        state.blobs.entry(repo).or_default().insert(mount);
                        return reply(201, &[], b"");
                    }
                }
                state.next_upload += 1;
                let location = format!("/v2/{repo}/blobs/uploads/u{}", state.next_upload);
                return reply(202, &[("Location", location)], b"");
            }
            if rest.starts_with("uploads/") && request.method == Method::Put {
                let bytes = request.body.clone().unwrap_or_default();
                let digest = sha256(&bytes);
                if param("digest").as_deref() != Some(digest.as_str()) {
                    return error(400, "DIGEST_INVALID");
                }
                state.blobs.entry(repo).or_default().insert(digest.clone());
                return reply(201, &[("Docker-Content-Digest", digest)], b"");
            }
            let present = state.blobs.get(&repo).is_some_and(|b| b.contains(rest));
            return match (request.method, present) {
                (Method::Head, true) => reply(200, &[("Content-Length", "1".into())], b""),
                (Method::Get, true) => reply(200, &[], b"?"),
                _ => error(404, "BLOB_UNKNOWN"),
            };
        }
        error(404, "NAME_UNKNOWN")
    }
}

impl HttpClient for &MemoryRegistry {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        Ok(self.handle(&request))
    }
}
