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
    /// distribution's maintenance read-only mode: every write answered 405 with a
    /// plain-text body and no error code (measured on distribution 2.8).
    pub read_only: bool,
    /// Answer DELETE by tag by removing just the tag (OCI 1.1, distribution 3).
    pub tag_deletes: bool,
    /// With `tag_deletes`: a DELETE by tag deletes the image it names, with every
    /// tag that points at it (as some registries have done), and answers 202.
    pub tag_delete_takes_image: bool,
    pub next_upload: usize,
    /// Bytes of uploaded blobs, by digest (blobs added by `add_blob` have none).
    pub blob_bytes: HashMap<String, Vec<u8>>,
    /// Serve tag lists in pages of this size with no Link header, as a registry that
    /// pages does when CORS hides its Link.
    pub tag_page: Option<usize>,
    /// With `tag_page`: page by `n` but ignore `last` (cursor-paging registries).
    pub tag_page_ignores_last: bool,
    /// Every request, as "METHOD path".
    pub log: Vec<String>,
    /// Answer the OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`) from
    /// the stored manifests' `subject`; off, it is 404 NAME_UNKNOWN as in
    /// distribution 2.8 and 3.0.
    pub referrers_api: bool,
    /// With `referrers_api`: this many descriptors per page, with a `Link` to the next.
    pub referrers_page: Option<usize>,
    /// Serve the catalog in pages of this size with no Link header (as `tag_page`).
    pub catalog_page: Option<usize>,
    /// DELETE by digest leaves the tags that pointed at the manifest (`BeforeUntag`).
    pub delete_leaves_tags: bool,
    /// DELETE by digest untags, and leaves the manifest (`AfterUntag`).
    pub delete_untags_only: bool,
    /// Once this many requests were sent, every other one fails as aborted, as when
    /// the page aborts its requests (Cancel, a view gone).
    pub aborted_after: Option<usize>,
}

pub struct MemoryRegistry {
    pub state: RefCell<State>,
    /// Scripted faults, for the rules about partial failures.
    pub faults: RefCell<Vec<Fault>>,
    /// Changes another client makes meanwhile (see [`MemoryRegistry::meanwhile`]).
    pub meanwhile: RefCell<Vec<Meanwhile>>,
}

/// Another client's change, made once, when the `nth` request (1-based) with
/// `method` whose path contains `path` arrives, before the registry (or a fault)
/// handles it.
pub struct Meanwhile {
    method: Method,
    path: String,
    nth: usize,
    change: Box<dyn FnOnce(&MemoryRegistry)>,
}

/// When a fault strikes relative to the registry doing the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strike {
    /// The request never reaches the registry.
    Before,
    /// The registry applies the request, then the client sees the failure.
    After,
    /// DELETE by digest: the registry deletes the manifest, then fails before it
    /// untags the tags that pointed at it, which stay listed and resolve to nothing.
    /// distribution 2.8 does this (500) when its walk over the repository's tag links
    /// reads one that another request is rewriting.
    BeforeUntag,
    /// DELETE by digest, on a registry that works the other way round: it untags the
    /// tags that pointed at the manifest, then fails before it deletes the manifest.
    AfterUntag,
}

/// One scripted fault: the `nth` request (1-based) with `method` whose path contains
/// `path` fails `when`, with HTTP `status`, or with no answer at all (`None`); and
/// the `times - 1` such requests after it (a read is asked again once after a
/// dropped connection: dropping a read for good takes `times(2)`).
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Method,
    pub path: String,
    pub nth: usize,
    pub times: usize,
    pub when: Strike,
    pub status: Option<u16>,
    seen: usize,
}

impl Fault {
    pub fn new(method: Method, path: &str, when: Strike, status: Option<u16>) -> Self {
        Fault {
            method,
            path: path.to_owned(),
            nth: 1,
            times: 1,
            when,
            status,
            seen: 0,
        }
    }

    pub fn nth(mut self, nth: usize) -> Self {
        self.nth = nth;
        self
    }

    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }
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
                read_only: false,
                ..State::default()
            }),
            faults: RefCell::new(Vec::new()),
            meanwhile: RefCell::new(Vec::new()),
        }
    }

    /// Makes `change` (another client's push, say) when the `nth` request with
    /// `method` whose path contains `path` arrives, before it is handled.
    pub fn meanwhile(
        &self,
        (method, path, nth): (Method, &str, usize),
        change: impl FnOnce(&MemoryRegistry) + 'static,
    ) {
        self.meanwhile.borrow_mut().push(Meanwhile {
            method,
            path: path.to_owned(),
            nth,
            change: Box::new(change),
        });
    }

    /// Acts as registries whose DELETE by tag deletes the image with every tag it has.
    pub fn take_image_with_tag_deletes(&self) {
        let mut state = self.state.borrow_mut();
        state.tag_deletes = true;
        state.tag_delete_takes_image = true;
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

    /// Stores a manifest under its digest only, as a referrer pushed to a registry
    /// with the referrers API is.
    pub fn push_untagged(&self, repository: &str, content_type: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        self.state
            .borrow_mut()
            .manifests
            .entry(repository.into())
            .or_default()
            .insert(digest.clone(), (content_type.into(), bytes.to_vec()));
        digest
    }

    /// Stores a blob with its bytes (a config to be read back), returning its digest.
    pub fn add_blob_bytes(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let mut state = self.state.borrow_mut();
        state
            .blobs
            .entry(repository.into())
            .or_default()
            .insert(digest.clone());
        state.blob_bytes.insert(digest.clone(), bytes.to_vec());
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

    /// How many requests starting with `prefix` were sent.
    pub fn sent_count(&self, prefix: &str) -> usize {
        self.state
            .borrow()
            .log
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }

    /// Removes `tag` behind the console's back (another client, or a write landing late).
    pub fn untag(&self, repository: &str, tag: &str) {
        let mut state = self.state.borrow_mut();
        state
            .tags
            .get_mut(repository)
            .expect("a repository with tags")
            .remove(tag);
    }

    /// Removes every tag of `repository` behind the console's back.
    pub fn untag_all(&self, repository: &str) {
        let mut state = self.state.borrow_mut();
        state
            .tags
            .get_mut(repository)
            .expect("a repository with tags")
            .clear();
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
        if state.read_only && !matches!(request.method, Method::Get | Method::Head) {
            return reply(
                405,
                &[("Allow", "GET, HEAD".to_owned())],
                b"Method not allowed\n",
            );
        }
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
                    // As distribution: an index whose manifests the repository does
                    // not have is refused.
                    let listed: Vec<String> = serde_json::from_slice::<serde_json::Value>(&bytes)
                        .ok()
                        .and_then(|v| v.get("manifests")?.as_array().cloned())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|m| Some(m.get("digest")?.as_str()?.to_owned()))
                        .collect();
                    let have = state.manifests.get(&repo);
                    if listed
                        .iter()
                        .any(|d| !have.is_some_and(|have| have.contains_key(d)))
                    {
                        return error(400, "MANIFEST_BLOB_UNKNOWN");
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
                    let removed = state.tags.get_mut(&repo).and_then(|t| t.remove(reference));
                    match removed {
                        Some(digest) if state.tag_delete_takes_image => {
                            if let Some(tags) = state.tags.get_mut(&repo) {
                                tags.retain(|_, d| *d != digest);
                            }
                            if let Some(manifests) = state.manifests.get_mut(&repo) {
                                manifests.remove(&digest);
                            }
                            reply(202, &[], b"")
                        }
                        Some(_) => reply(202, &[], b""),
                        None => error(404, "MANIFEST_UNKNOWN"),
                    }
                }
                Method::Delete if !reference.starts_with("sha256:") => error(400, "DIGEST_INVALID"),
                Method::Delete => {
                    let known = state.manifests.get(&repo);
                    if !known.is_some_and(|m| m.contains_key(reference)) {
                        return error(404, "MANIFEST_UNKNOWN");
                    }
                    if !state.delete_untags_only {
                        if let Some(manifests) = state.manifests.get_mut(&repo) {
                            manifests.remove(reference);
                        }
                    }
                    let untag = !state.delete_leaves_tags;
                    if let (Some(tags), true) = (state.tags.get_mut(&repo), untag) {
                        tags.retain(|_, d| d != reference);
                    }
                    reply(202, &[], b"")
                }
                _ => error(405, "UNSUPPORTED"),
            };
        }
        if path == "_catalog" {
            let mut names: Vec<String> = state
                .manifests
                .keys()
                .chain(state.tags.keys())
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if let Some(size) = state.catalog_page {
                if let Some(last) = param("last").map(|l| tagdeck::model::route::percent_decode(&l))
                {
                    names.retain(|n| *n > last);
                }
                let asked = param("n").and_then(|n| n.parse().ok()).unwrap_or(size);
                names.truncate(size.min(asked));
            }
            return reply(
                200,
                &[],
                serde_json::json!({ "repositories": names })
                    .to_string()
                    .as_bytes(),
            );
        }
        if let Some(repo) = path.strip_suffix("/tags/list") {
            let mut tags: Vec<String> = state
                .tags
                .get(repo)
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default();
            if let Some(size) = state.tag_page {
                if let Some(last) = param("last").filter(|_| !state.tag_page_ignores_last) {
                    tags.retain(|t| *t > last);
                }
                let asked = param("n").and_then(|n| n.parse().ok()).unwrap_or(size);
                tags.truncate(size.min(asked));
            }
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
                state.blob_bytes.insert(digest.clone(), bytes);
                return reply(201, &[("Docker-Content-Digest", digest)], b"");
            }
            let present = state.blobs.get(&repo).is_some_and(|b| b.contains(rest));
            return match (request.method, present) {
                (Method::Head, true) => reply(200, &[("Content-Length", "1".into())], b""),
                (Method::Get, true) => match state.blob_bytes.get(rest) {
                    Some(bytes) => reply(200, &[], bytes),
                    None => reply(200, &[], b"?"),
                },
                _ => error(404, "BLOB_UNKNOWN"),
            };
        }
        if let Some((repo, subject)) = path.split_once("/referrers/") {
            if state.referrers_api && request.method == Method::Get {
                return referrers_answer(&state, repo, subject, &param);
            }
        }
        error(404, "NAME_UNKNOWN")
    }
}

/// The referrers index of `subject` in `repo`: every stored manifest whose `subject`
/// names it, optionally filtered by `artifactType`, paged by `referrers_page`.
fn referrers_answer(
    state: &State,
    repo: &str,
    subject: &str,
    param: &dyn Fn(&str) -> Option<String>,
) -> Response {
    let wanted = param("artifactType").map(|t| tagdeck::model::route::percent_decode(&t));
    let mut entries: Vec<serde_json::Value> = Vec::new();
    let mut stored: Vec<_> = state
        .manifests
        .get(repo)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    tagdeck::model::sort::by(&mut stored, |a, b| a.0.cmp(b.0));
    for (digest, (content_type, bytes)) in stored {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            continue;
        };
        if value["subject"]["digest"].as_str() != Some(subject) {
            continue;
        }
        let artifact_type = value["artifactType"]
            .as_str()
            .or(value["config"]["mediaType"].as_str())
            .unwrap_or_default()
            .to_owned();
        if wanted.as_ref().is_some_and(|w| *w != artifact_type) {
            continue;
        }
        let mut entry = serde_json::json!({
            "mediaType": content_type,
            "digest": digest,
            "size": bytes.len(),
            "artifactType": artifact_type,
        });
        if let Some(annotations) = value.get("annotations") {
            entry["annotations"] = annotations.clone();
        }
        entries.push(entry);
    }
    let start: usize = param("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut headers = vec![(
        "Content-Type",
        "application/vnd.oci.image.index.v1+json".to_owned(),
    )];
    if wanted.is_some() {
        headers.push(("OCI-Filters-Applied", "artifactType".to_owned()));
    }
    if let Some(size) = state.referrers_page {
        let end = (start + size).min(entries.len());
        if end < entries.len() {
            let filter = param("artifactType")
                .map(|t| format!("&artifactType={t}"))
                .unwrap_or_default();
            headers.push((
                "Link",
                format!("</v2/{repo}/referrers/{subject}?page={end}{filter}>; rel=\"next\""),
            ));
        }
        entries = entries[start.min(entries.len())..end].to_vec();
    }
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries,
    });
    reply(200, &headers, body.to_string().as_bytes())
}

impl MemoryRegistry {
    pub fn inject(&self, fault: Fault) {
        self.faults.borrow_mut().push(fault);
    }

    /// The fault that strikes `request`, if any (each strikes `times`, then is gone).
    fn fault_for(&self, request: &Request) -> Option<Fault> {
        let path = request.url.splitn(4, '/').nth(3).unwrap_or("");
        let mut faults = self.faults.borrow_mut();
        let index = faults.iter_mut().position(|fault| {
            if fault.method != request.method || !path.contains(&fault.path) {
                return false;
            }
            fault.seen += 1;
            fault.seen >= fault.nth
        })?;
        let fault = &faults[index];
        Some(if fault.seen + 1 >= fault.nth + fault.times {
            faults.remove(index)
        } else {
            fault.clone()
        })
    }
}

fn failure(status: Option<u16>) -> Result<Response, TransportFailure> {
    match status {
        Some(status) => Ok(error(status, "UNKNOWN")),
        None => Err(TransportFailure::Network("connection dropped".into())),
    }
}

impl HttpClient for &MemoryRegistry {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let aborted = {
            let state = self.state.borrow();
            state.aborted_after.is_some_and(|n| state.log.len() >= n)
        };
        if aborted {
            return Err(TransportFailure::Aborted);
        }
        let path = request.url.splitn(4, '/').nth(3).unwrap_or("");
        let due = {
            let mut meanwhile = self.meanwhile.borrow_mut();
            let due = meanwhile.iter_mut().position(|m| {
                let matches = m.method == request.method && path.contains(&m.path);
                if matches {
                    m.nth -= 1;
                }
                matches && m.nth == 0
            });
            due.map(|index| meanwhile.remove(index))
        };
        if let Some(due) = due {
            (due.change)(self);
        }
        match self.fault_for(&request) {
            Some(fault) if fault.when == Strike::Before => failure(fault.status),
            Some(fault) if fault.when == Strike::BeforeUntag => {
                self.state.borrow_mut().delete_leaves_tags = true;
                self.handle(&request);
                self.state.borrow_mut().delete_leaves_tags = false;
                failure(fault.status)
            }
            Some(fault) if fault.when == Strike::AfterUntag => {
                self.state.borrow_mut().delete_untags_only = true;
                self.handle(&request);
                self.state.borrow_mut().delete_untags_only = false;
                failure(fault.status)
            }
            Some(fault) => {
                self.handle(&request);
                failure(fault.status)
            }
            None => Ok(self.handle(&request)),
        }
    }
}
