//! Signing in, natively: the token protocol against a scripted registry and token
//! service with their own rules (written here independently of the client's scope
//! logic), and a test clock, so expiry is tested in milliseconds. The real
//! distribution with a real token issuer is exercised by tests/e2e/auth.spec.mjs.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use base64::Engine as _;
use support::parse_reference;
use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::auth::{
    scope_for_request, AuthRefusal, AuthSession, Authenticated, Credentials, ScopeSet,
};
use tagdeck::oci::client::Registry;
use tagdeck::oci::error::RegistryError;
use tagdeck::oci::http::{HttpClient, Method, Request, Response};
use tagdeck::oci::names::Repository;
use tagdeck::wording;

const REGISTRY: &str = "http://127.0.0.1:5000";
const REALM: &str = "http://127.0.0.1:5000/token";

/// A token service and a registry that demands its tokens, sharing one clock.
struct World {
    clock: Rc<Cell<u64>>,
    realm: String,
    /// Seconds a token lives; `None` leaves `expires_in` out (60 s default).
    expires_in: Option<u64>,
    anonymous_pull: bool,
    /// The registry considers tokens expired this much earlier than announced.
    exp_shortfall_ms: u64,
    issued: RefCell<u64>,
    token_requests: RefCell<Vec<Request>>,
    registry_401s: Cell<u32>,
    /// (user, resource, action): the token service refuses that user outright (401)
    /// any token whose scope asks for that action there, instead of granting less.
    refuses: Vec<(&'static str, &'static str, &'static str)>,
    /// The actions a write's challenge asks for, whatever the write (some registries
    /// name every right a repository has); by default the write's own.
    write_challenge: Option<&'static str>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl World {
    fn new() -> Rc<World> {
        Rc::new(World {
            clock: Rc::new(Cell::new(1_000_000)),
            realm: REALM.into(),
            expires_in: Some(300),
            anonymous_pull: false,
            exp_shortfall_ms: 0,
            issued: RefCell::new(0),
            token_requests: RefCell::new(Vec::new()),
            registry_401s: Cell::new(0),
            refuses: Vec::new(),
            write_challenge: None,
        })
    }

    fn with(change: impl FnOnce(&mut World)) -> Rc<World> {
        let mut world = Rc::try_unwrap(World::new()).ok().unwrap();
        change(&mut world);
        Rc::new(world)
    }

    fn user_actions(user: Option<&str>) -> Option<Vec<&'static str>> {
        match user {
            Some("admin:admin-secret") => Some(vec!["pull", "push", "delete", "*"]),
            Some("reader:reader-secret") => Some(vec!["pull", "*"]),
            Some(_) => None,
            None => Some(vec!["pull"]),
        }
    }

    fn token_answer(&self, request: &Request) -> Response {
        self.token_requests.borrow_mut().push(request.clone());
        let user = request
            .headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .and_then(|(_, v)| v.strip_prefix("Basic "))
            .map(|b| {
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
                    .unwrap()
            });
        if user.is_none() && !self.anonymous_pull {
            return response(401, &[], br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#);
        }
        let Some(rights) = World::user_actions(user.as_deref()) else {
            return response(401, &[], br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#);
        };
        let username = user.as_deref().and_then(|u| u.split(':').next());
        let mut access = Vec::new();
        for (key, value) in request
            .url
            .split('?')
            .nth(1)
            .unwrap_or("")
            .split('&')
            .filter_map(|p| p.split_once('='))
        {
            if key != "scope" {
                continue;
            }
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .unwrap();
            let parts: Vec<&str> = value.split(':').collect();
            let (kind, name, actions) = (parts[0], parts[1], parts[2]);
            let refused = self.refuses.iter().any(|&(who, resource, action)| {
                username == Some(who)
                    && resource == format!("{kind}:{name}")
                    && actions.split(',').any(|a| a == action)
            });
            if refused {
                return response(401, &[], br#"{"errors":[{"code":"DENIED"}]}"#);
            }
            let granted: Vec<&str> = actions.split(',').filter(|a| rights.contains(a)).collect();
            access.push(serde_json::json!({"type": kind, "name": name, "actions": granted}));
        }
        *self.issued.borrow_mut() += 1;
        let exp_ms =
            self.clock.get() + self.expires_in.unwrap_or(60) * 1000 - self.exp_shortfall_ms;
        let claims =
            serde_json::json!({"access": access, "exp": exp_ms, "jti": *self.issued.borrow()});
        let token = format!("e30.{}.c2ln", b64(claims.to_string().as_bytes()));
        let body = match self.expires_in {
            Some(s) => serde_json::json!({"access_token": token, "expires_in": s}),
            None => serde_json::json!({"token": token}),
        };
        response(200, &[], body.to_string().as_bytes())
    }

    /// What the registry demands, by its own reading of the path.
    fn needed(request: &Request) -> (String, &'static str) {
        let path = request.url.trim_start_matches(REGISTRY);
        if path.starts_with("/v2/_catalog") {
            return ("registry:catalog".into(), "*");
        }
        let action = match request.method {
            Method::Get | Method::Head => "pull",
            Method::Delete => "delete",
            _ => "push",
        };
        let name = path.trim_start_matches("/v2/");
        let end = ["/manifests/", "/blobs/", "/tags/"]
            .iter()
            .filter_map(|m| name.find(m))
            .min()
            .unwrap_or(name.len());
        (format!("repository:{}", &name[..end]), action)
    }

    fn registry_answer(&self, request: &Request) -> Response {
        let (resource, action) = World::needed(request);
        let challenge = |error: &str| {
            let scope = if request.url.ends_with("/v2/") {
                String::new()
            } else {
                let wanted = match (action, self.write_challenge) {
                    ("push" | "delete", Some(all)) => all,
                    ("push", None) => "pull,push",
                    _ => action,
                };
                format!(r#",scope="{resource}:{wanted}""#)
            };
            format!(
                r#"Bearer service="registry",realm="{}"{scope}{error}"#,
                self.realm
            )
        };
        let token = request
            .headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .and_then(|(_, v)| v.strip_prefix("Bearer "));
        let Some(token) = token else {
            self.registry_401s.set(self.registry_401s.get() + 1);
            return response(401, &[("WWW-Authenticate", &challenge(""))], b"");
        };
        let payload = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        if claims["exp"].as_u64().unwrap() <= self.clock.get() {
            self.registry_401s.set(self.registry_401s.get() + 1);
            return response(
                401,
                &[("WWW-Authenticate", &challenge(r#",error="invalid_token""#))],
                b"",
            );
        }
        let granted = request.url.ends_with("/v2/")
            || claims["access"].as_array().unwrap().iter().any(|a| {
                format!(
                    "{}:{}",
                    a["type"].as_str().unwrap(),
                    a["name"].as_str().unwrap()
                ) == resource
                    && a["actions"].as_array().unwrap().iter().any(|x| x == action)
            });
        if !granted {
            self.registry_401s.set(self.registry_401s.get() + 1);
            return response(
                401,
                &[(
                    "WWW-Authenticate",
                    &challenge(r#",error="insufficient_scope""#),
                )],
                b"",
            );
        }
        match (request.method, request.url.contains("/tags/list")) {
            (_, true) => response(200, &[], br#"{"name":"team/app","tags":["v1"]}"#),
            (Method::Get, false) if request.url.contains("_catalog") => {
                response(200, &[], br#"{"repositories":["team/app"]}"#)
            }
            (Method::Delete, _) => response(202, &[], b""),
            _ => response(200, &[], b"{}"),
        }
    }

    fn http(self: &Rc<Self>) -> ScriptedHttp {
        let world = self.clone();
        ScriptedHttp::new(move |request| {
            Ok(if request.url.starts_with(&world.realm) {
                world.token_answer(request)
            } else {
                world.registry_answer(request)
            })
        })
    }

    fn session(&self, trusted: &[&str]) -> Rc<AuthSession> {
        let clock = self.clock.clone();
        let trusted: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
        Rc::new(AuthSession::new(
            REGISTRY,
            &trusted,
            Rc::new(move || clock.get()),
        ))
    }

    fn token_scopes(&self) -> Vec<Vec<String>> {
        self.token_requests
            .borrow()
            .iter()
            .map(|r| {
                r.url
                    .split('?')
                    .nth(1)
                    .unwrap_or("")
                    .split('&')
                    .filter_map(|p| p.strip_prefix("scope="))
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }
}

fn app() -> Repository {
    Repository::parse("team/app").unwrap()
}

fn admin() -> Credentials {
    Credentials::new("admin", "admin-secret")
}

#[test]
fn scope_is_known_from_the_request_before_it_is_sent() {
    let scope = |method, path: &str| {
        scope_for_request(REGISTRY, &Request::new(method, format!("{REGISTRY}{path}"))).to_string()
    };
    assert_eq!(scope(Method::Get, "/v2/"), "");
    assert_eq!(
        scope(Method::Get, "/v2/_catalog?n=1000"),
        "registry:catalog:*"
    );
    assert_eq!(
        scope(Method::Head, "/v2/team/app/manifests/v1"),
        "repository:team/app:pull"
    );
    assert_eq!(
        scope(Method::Put, "/v2/team/app/manifests/v1"),
        "repository:team/app:pull,push"
    );
    assert_eq!(
        scope(Method::Delete, "/v2/team/app/manifests/sha256:ab"),
        "repository:team/app:delete"
    );
    assert_eq!(
        scope(Method::Get, "/v2/team/app/tags/list"),
        "repository:team/app:pull"
    );
    // A copy touches two repositories: the mount needs pull on its source too.
    assert_eq!(
        scope(
            Method::Post,
            "/v2/dst/app/blobs/uploads/?mount=sha256:ab&from=team/app"
        ),
        "repository:dst/app:pull,push repository:team/app:pull"
    );
    // A repository may have a component named like a route word.
    assert_eq!(
        scope(Method::Get, "/v2/a/blobs/x/blobs/sha256:ab"),
        "repository:a/blobs/x:pull"
    );
    // Another origin needs nothing from this registry's session.
    let elsewhere = Request::new(
        Method::Get,
        "https://storage.example.com/v2/team/app/blobs/x",
    );
    assert!(scope_for_request(REGISTRY, &elsewhere).is_empty());
}

#[test]
fn scope_sets_parse_cover_and_ignore_junk() {
    let granted = ScopeSet::parse("repository:team/app:pull,push registry:catalog:*");
    assert!(granted.covers(&ScopeSet::repository("team/app", &["pull"])));
    assert!(!granted.covers(&ScopeSet::repository("team/app", &["delete"])));
    assert!(granted.covers(&ScopeSet::catalog()));
    assert!(!granted.covers(&ScopeSet::repository("other", &["pull"])));
    for junk in [
        "",
        "nonsense",
        "a:b",
        "repository:x\"y:pull",
        ":x:pull",
        "repository::pull",
    ] {
        assert!(ScopeSet::parse(junk).is_empty(), "{junk:?}");
    }
}

#[test]
fn signed_in_reads_reuse_one_token_per_scope() {
    let world = World::new();
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    // First contact: /v2/ answers 401 and teaches the scheme.
    assert!(matches!(
        block_on(registry.check_api()),
        Err(RegistryError::Unauthorized { .. })
    ));
    assert!(session.status().login_seen);
    assert_eq!(
        session.status().token_host.as_deref(),
        Some("127.0.0.1:5000")
    );
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    for _ in 0..5 {
        block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    }
    assert_eq!(
        block_on(registry.tags(&app(), |_| {})).unwrap().tags,
        vec!["v1"]
    );
    // An anonymous try at first contact, then one token for /v2/ and one for pull
    // on team/app; the cache served the rest.
    assert_eq!(
        world.token_scopes(),
        vec![vec![], vec![], vec!["repository:team/app:pull".to_owned()]]
    );
    assert_eq!(session.status().username.as_deref(), Some("admin"));
    // The token service saw Basic credentials; the registry only tokens.
    let sent = http.sent.borrow();
    for request in sent.iter().filter(|r| !r.url.starts_with(REALM)) {
        let auth = request.headers.iter().find(|(n, _)| n == "Authorization");
        assert!(
            auth.is_none_or(|(_, v)| v.starts_with("Bearer ")),
            "{request:?}"
        );
    }
}

#[test]
fn a_token_is_renewed_before_it_runs_out() {
    let world = World::with(|w| w.expires_in = Some(3));
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    let refusals_before = world.registry_401s.get();
    let tokens_before = world.token_requests.borrow().len();
    // 2.5 s later the token has 0.5 s left, under a fifth of its 3 s life: renewed
    // before use, so the registry never sees an expired token.
    world.clock.set(world.clock.get() + 2_500);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(world.token_requests.borrow().len(), tokens_before + 1);
    assert_eq!(world.registry_401s.get(), refusals_before);
    // Long after, and without expires_in (60 s default): still no refusal.
    world.clock.set(world.clock.get() + 3_600_000);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(world.registry_401s.get(), refusals_before);
}

#[test]
fn a_token_without_expires_in_lives_sixty_seconds() {
    let world = World::with(|w| w.expires_in = None);
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    let tokens = world.token_requests.borrow().len();
    world.clock.set(world.clock.get() + 30_000);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(
        world.token_requests.borrow().len(),
        tokens,
        "still fresh at 30 s"
    );
    world.clock.set(world.clock.get() + 25_000);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(
        world.token_requests.borrow().len(),
        tokens + 1,
        "renewed at 55 s"
    );
}

#[test]
fn a_token_the_registry_refuses_is_replaced_once() {
    // The registry's clock runs ahead: it calls tokens expired 100 s early.
    let world = World::with(|w| w.exp_shortfall_ms = 100_000);
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    let tokens = world.token_requests.borrow().len();
    world.clock.set(world.clock.get() + 250_000);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(world.token_requests.borrow().len(), tokens + 1);
    // The refused token is never sent again.
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(world.token_requests.borrow().len(), tokens + 1);
}

#[test]
fn insufficient_scope_asks_again_with_the_wider_scope() {
    let world = World::new();
    let session = world.session(&[]);
    let http = world.http();
    let client = Authenticated::new(&http, session.clone());
    let _ = block_on(Registry::new(REGISTRY, client.clone()).check_api());
    session.sign_in(admin()).unwrap();
    let registry = Registry::new(REGISTRY, client);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    block_on(registry.manifest_put(
        &app(),
        parse_reference("v2"),
        b"{}",
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    block_on(registry.tag_delete(&app(), &tagdeck::oci::names::Tag::parse("v2").unwrap())).unwrap();
    let scopes = world.token_scopes();
    assert!(
        scopes.contains(&vec!["repository:team/app:pull,push".to_owned()]),
        "{scopes:?}"
    );
    assert!(
        scopes.contains(&vec!["repository:team/app:delete".to_owned()]),
        "{scopes:?}"
    );
    // Scopes were known in advance: not one request was refused on the way.
    assert_eq!(world.registry_401s.get(), 1, "only the first contact");
}

#[test]
fn a_copy_asks_for_both_repositories_in_one_token() {
    let world = World::new();
    let session = world.session(&[]);
    let http = world.http();
    let client = Authenticated::new(&http, session.clone());
    let _ = block_on(Registry::new(REGISTRY, client.clone()).check_api());
    session.sign_in(admin()).unwrap();
    let registry = Registry::new(REGISTRY, client);
    let target = Repository::parse("team/copy").unwrap();
    let digest = tagdeck::oci::names::Digest::sha256_of(b"layer");
    let _ = block_on(registry.blob_mount(&target, &digest, &app()));
    let scopes = world.token_scopes();
    assert_eq!(
        scopes.last().unwrap(),
        &vec![
            "repository:team/app:pull".to_owned(),
            "repository:team/copy:pull,push".to_owned()
        ]
    );
}

#[test]
fn anonymous_access_is_used_where_allowed_and_sign_in_asked_for_more() {
    let world = World::with(|w| w.anonymous_pull = true);
    let session = world.session(&[]);
    let http = world.http();
    let client = Authenticated::new(&http, session.clone());
    let registry = Registry::new(REGISTRY, client.clone());
    block_on(registry.check_api()).unwrap();
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(session.status().username, None);
    // The catalog needs more than anonymous pull: login required.
    assert!(matches!(
        block_on(registry.catalog()),
        Err(RegistryError::Unauthorized { .. })
    ));
    // Asked up front, the token service says anonymous users may only read.
    block_on(client.probe_access("team/app")).unwrap();
    assert_eq!(session.access("team/app").push, Some(false));
    session.sign_in(admin()).unwrap();
    assert_eq!(block_on(registry.catalog()).unwrap(), vec!["team/app"]);
    block_on(client.probe_access("team/app")).unwrap();
    assert_eq!(session.access("team/app").delete, Some(true));
    assert_eq!(session.access("team/app").push, Some(true));
}

#[test]
fn a_reader_is_read_only_before_trying_and_a_refused_write_says_so_too() {
    let world = World::new();
    let session = world.session(&[]);
    let http = world.http();
    let client = Authenticated::new(&http, session.clone());
    let registry = Registry::new(REGISTRY, client.clone());
    let _ = block_on(registry.check_api());
    session
        .sign_in(Credentials::new("reader", "reader-secret"))
        .unwrap();
    block_on(client.probe_access("team/app")).unwrap();
    assert_eq!(session.access("team/app").push, Some(false));
    assert_eq!(session.access("other/repo"), Default::default());
    // Even unasked, a refused write marks the repository.
    session
        .sign_in(Credentials::new("reader", "reader-secret"))
        .unwrap();
    let put = block_on(registry.manifest_put(
        &app(),
        parse_reference("v9"),
        b"{}",
        "application/vnd.oci.image.manifest.v1+json",
    ));
    assert!(
        matches!(put, Err(RegistryError::Unauthorized { .. })),
        "{put:?}"
    );
    assert_eq!(session.access("team/app").push, Some(false));
}

/// On a registry that asks for no login, a refused anonymous write is about that
/// write (a protected tag, a policy), not about the user: the repository stays
/// writable, and nothing suggests signing in.
#[test]
fn an_anonymous_write_refused_by_an_open_registry_leaves_the_repository_writable() {
    let world = World::new();
    let session = world.session(&[]);
    let http = ScriptedHttp::new(|request| {
        Ok(match request.method {
            Method::Put => response(403, &[], br#"{"errors":[{"code":"DENIED"}]}"#),
            _ => response(200, &[], b"{}"),
        })
    });
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    block_on(registry.check_api()).unwrap();
    let put = block_on(registry.manifest_put(
        &app(),
        parse_reference("protected"),
        b"{}",
        "application/vnd.oci.image.manifest.v1+json",
    ));
    assert!(matches!(put, Err(RegistryError::Denied { .. })), "{put:?}");
    assert_eq!(session.access("team/app"), Default::default());
}

#[test]
fn a_wrong_password_is_reported_and_not_retried_for_every_request() {
    let world = World::new();
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(Credentials::new("admin", "wrong")).unwrap();
    let error = block_on(registry.check_api()).unwrap_err();
    assert!(
        matches!(error, RegistryError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(session.status().credentials_rejected);
    let asked = world.token_requests.borrow().len();
    for _ in 0..3 {
        let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    }
    assert_eq!(world.token_requests.borrow().len(), asked);
    assert!(!format!("{error} {error:?}").contains("wrong"));
    // Signing in again starts afresh.
    session.sign_in(admin()).unwrap();
    assert!(!session.status().credentials_rejected);
    block_on(registry.check_api()).unwrap();
}

#[test]
fn a_realm_on_another_host_gets_nothing_unless_trusted() {
    let world = World::with(|w| w.realm = "https://auth.example.com/token".into());
    let http = world.http();
    let session = world.session(&[]);
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let error = block_on(registry.check_api()).unwrap_err();
    match &error {
        RegistryError::SignInRefused {
            refusal: AuthRefusal::UntrustedRealm { realm },
            ..
        } => {
            assert_eq!(realm, "https://auth.example.com/token")
        }
        other => panic!("{other:?}"),
    }
    let advice = wording::error(&error).advice;
    assert!(advice.contains("auth.example.com"), "{advice}");
    assert!(advice.contains("trustedRealms"), "{advice}");
    // Signing in is refused too, before the credentials are kept.
    assert!(matches!(
        session.sign_in(admin()),
        Err(AuthRefusal::UntrustedRealm { .. })
    ));
    assert!(
        world.token_requests.borrow().is_empty(),
        "nothing was sent to the realm"
    );

    let trusted = world.session(&["https://auth.example.com"]);
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, trusted.clone()));
    let _ = block_on(registry.check_api());
    trusted.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
}

#[test]
fn credentials_never_travel_in_clear_text_except_to_this_computer() {
    let session = AuthSession::new("http://registry.example.com", &[], Rc::new(|| 0));
    assert!(matches!(
        session.sign_in(admin()),
        Err(AuthRefusal::CleartextCredentials { .. })
    ));
    assert_eq!(session.status().username, None);
    for base in [
        "https://registry.example.com",
        "http://localhost:5000",
        "http://127.0.0.1:5000",
        "http://[::1]:5000",
    ] {
        AuthSession::new(base, &[], Rc::new(|| 0))
            .sign_in(admin())
            .unwrap();
    }
    assert!(!format!("{:?}", admin()).contains("admin-secret"));
}

/// A registry behind htpasswd: Basic as an explicit header after the challenge, and
/// to the registry's origin only.
#[test]
fn basic_goes_to_the_registry_origin_only() {
    let http = ScriptedHttp::new(|request| {
        let basic = request
            .headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Basic "));
        Ok(if request.url.starts_with(REGISTRY) && !basic {
            response(
                401,
                &[("WWW-Authenticate", r#"Basic realm="registry""#)],
                b"",
            )
        } else if request.url.contains("/blobs/uploads/") && request.method == Method::Post {
            response(
                202,
                &[("Location", "https://uploads.example.com/session/1")],
                b"",
            )
        } else {
            response(200, &[], b"{}")
        })
    });
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    assert!(matches!(
        block_on(registry.check_api()),
        Err(RegistryError::Unauthorized { .. })
    ));
    assert_eq!(session.status().token_host, None);
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    // An upload location on another server is refused outright: no data, no
    // credentials go there.
    let refused = block_on(registry.blob_upload(&app(), b"data")).unwrap_err();
    let detail = wording::error(&refused).detail;
    assert!(detail.contains("another server"), "{detail}");
    assert!(!http
        .sent
        .borrow()
        .iter()
        .any(|r| r.url.starts_with("https://uploads.example.com")));
    // And whatever reaches another origin through this client carries no credentials.
    let client = Authenticated::new(&http, session.clone());
    block_on(client.send(Request::new(Method::Get, "https://elsewhere.example.com/x"))).unwrap();
    let sent = http.sent.borrow();
    let elsewhere = sent
        .iter()
        .find(|r| r.url.starts_with("https://elsewhere"))
        .unwrap();
    assert!(elsewhere.headers.iter().all(|(n, _)| n != "Authorization"));
    assert!(sent
        .iter()
        .rfind(|r| r.url.starts_with(REGISTRY))
        .unwrap()
        .headers
        .iter()
        .any(|(n, v)| n == "Authorization" && v == &admin().basic_header()));
}

/// Two registries under different paths of one host: the sign-in for one sends
/// nothing to the other, though it is the same origin.
#[test]
fn basic_goes_to_the_registry_under_its_path_only() {
    // Every server on the host asks for a login.
    let http = ScriptedHttp::new(|request| {
        let signed = request.headers.iter().any(|(n, _)| n == "Authorization");
        Ok(if signed {
            response(200, &[], b"{}")
        } else {
            let challenge = [("WWW-Authenticate", r#"Basic realm="registry""#)];
            response(401, &challenge, b"")
        })
    });
    let team_a = "https://registry.example.com/team-a";
    let session = Rc::new(AuthSession::new(team_a, &[], Rc::new(|| 0)));
    session.sign_in(admin()).unwrap();
    let client = Authenticated::new(&http, session.clone());
    for url in [
        "https://registry.example.com/team-a/v2/",
        "https://registry.example.com/team-b/v2/",
        "https://registry.example.com/team-ab/v2/",
        "https://registry.example.com/v2/",
        // Dot segments the browser would resolve outside team-a.
        "https://registry.example.com/team-a/../team-b/v2/",
        "https://registry.example.com/team-a/%2E%2e/team-b/v2/",
        "https://registry.example.com/team-a/..\\team-b/v2/",
        "https://registry.example.com/team-a/.\t./team-b/v2/",
    ] {
        block_on(client.send(Request::new(Method::Get, url))).unwrap();
    }
    let with_credentials: Vec<String> = http
        .sent
        .borrow()
        .iter()
        .filter(|r| r.headers.iter().any(|(n, _)| n == "Authorization"))
        .map(|r| r.url.clone())
        .collect();
    assert_eq!(
        with_credentials,
        ["https://registry.example.com/team-a/v2/"]
    );
}

#[test]
fn a_token_without_an_access_claim_tells_nothing_about_rights() {
    use tagdeck::oci::auth::granted_scopes;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let without = format!("{}.{}.sig", b64("{}"), b64(r#"{"sub":"x"}"#));
    assert_eq!(granted_scopes(&without), None);
    let with = format!(
        "{}.{}.sig",
        b64("{}"),
        b64(r#"{"access":[{"type":"repository","name":"a","actions":["pull"]}]}"#)
    );
    assert_eq!(
        granted_scopes(&with),
        Some(ScopeSet::repository("a", &["pull"]))
    );
    assert_eq!(granted_scopes("opaque-token"), None);
}

/// The reader signed in to a token service that refuses it push outright (403)
/// instead of granting less, and, with `check_fails`, fails (503) the check asked
/// then, a token for no scope; `probe_access` of team/app has run. `then` gets the
/// requests sent, the session and the registry.
fn reader_refused_push(
    check_fails: bool,
    then: impl FnOnce(&ScriptedHttp, &AuthSession, &Registry<Authenticated<&ScriptedHttp>>),
) {
    let world = World::new();
    let strict = world.clone();
    let http = ScriptedHttp::new(move |request| {
        let at_realm = request.url.starts_with(REALM);
        let reader = request.headers.iter().any(|(n, v)| {
            n == "Authorization" && v == &Credentials::new("reader", "reader-secret").basic_header()
        });
        Ok(match (at_realm, reader) {
            (true, true) if request.url.contains("push") => {
                response(403, &[], br#"{"errors":[{"code":"DENIED"}]}"#)
            }
            (true, true) if check_fails && !request.url.contains("scope=") => {
                response(503, &[], b"")
            }
            (true, _) => strict.token_answer(request),
            (false, _) => strict.registry_answer(request),
        })
    });
    let session = world.session(&[]);
    let client = Authenticated::new(&http, session.clone());
    let registry = Registry::new(REGISTRY, client.clone());
    let _ = block_on(registry.check_api());
    session
        .sign_in(Credentials::new("reader", "reader-secret"))
        .unwrap();
    let probed = block_on(client.probe_access("team/app"));
    assert!(check_fails || probed.is_ok(), "{probed:?}");
    then(&http, &session, &registry);
}

/// A token service that refuses a scope outright (instead of granting less) makes
/// the user read-only there, and does not end the session.
#[test]
fn a_refused_scope_is_not_refused_credentials() {
    reader_refused_push(false, |_, session, registry| {
        assert_eq!(session.access("team/app").push, Some(false));
        assert!(!session.status().credentials_rejected);
        // Reading still works with the same credentials.
        block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    });
}

/// The check asked after a scope was refused (a token for no scope) failing with a
/// 503, as a token service in a burst may: that says nothing of the password, the
/// session goes on, and reads work with the same credentials.
#[test]
fn a_token_service_failing_its_check_is_no_wrong_password() {
    reader_refused_push(true, |http, session, registry| {
        assert!(
            http.sent
                .borrow()
                .iter()
                .any(|r| r.url.starts_with(REALM) && !r.url.contains("scope=")),
            "the check was asked"
        );
        assert!(!session.status().credentials_rejected);
        block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    });
}

/// htpasswd: a read refused with 401, and the registry's base failing (503) when
/// asked whether it takes the password: not taken as a wrong password.
#[test]
fn a_basic_base_failing_its_check_is_no_wrong_password() {
    let http = ScriptedHttp::new(|request| {
        let basic = request
            .headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Basic "));
        let challenge = [("WWW-Authenticate", r#"Basic realm="registry""#)];
        Ok(match (basic, request.url.ends_with("/v2/")) {
            (false, _) => response(401, &challenge, b""),
            (true, true) => response(503, &[], b""),
            (true, false) => response(401, &challenge, b""),
        })
    });
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    assert!(
        http.sent.borrow().iter().any(|r| r.url.ends_with("/v2/")
            && r.headers.iter().any(|(n, _)| n == "Authorization")),
        "the base was asked"
    );
    assert!(!session.status().credentials_rejected);
}

#[test]
fn realms_trusted_after_the_session_was_made_count() {
    let world = World::with(|w| w.realm = "https://auth.example.com/token".into());
    let http = world.http();
    let session = world.session(&[]);
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    assert!(matches!(
        block_on(registry.check_api()),
        Err(RegistryError::SignInRefused { .. })
    ));
    session.trust_realms(&["https://auth.example.com/token".to_owned()]);
    session.named_by_config();
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
}

/// The scripted world behind a client whose every request and pause yields to the
/// executor once, so concurrent requests really interleave.
struct Interleaved<'a>(&'a ScriptedHttp);

fn yield_once() -> impl std::future::Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |context| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            context.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
}

impl HttpClient for Interleaved<'_> {
    async fn send(
        &self,
        request: Request,
    ) -> Result<Response, tagdeck::oci::http::TransportFailure> {
        yield_once().await;
        let answer = (&self.0).send(request).await;
        yield_once().await;
        answer
    }

    async fn pause(&self, _ms: u32) {
        yield_once().await;
    }
}

#[test]
fn requests_needing_the_same_scope_at_once_share_one_token_request() {
    let world = World::new();
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(
        REGISTRY,
        Authenticated::new(Interleaved(&http), session.clone()),
    );
    assert!(block_on(registry.check_api()).is_err());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    let before = world.token_scopes().len();
    // Twelve HEADs at once, as the tag table sends them: one token request for pull.
    let repository = app();
    let heads = (0..12).map(|_| registry.manifest_head(&repository, parse_reference("v1")));
    for result in block_on(futures_util::future::join_all(heads)) {
        result.unwrap();
    }
    let asked: Vec<_> = world.token_scopes().split_off(before);
    assert_eq!(asked, vec![vec!["repository:team/app:pull".to_owned()]]);
    // Every HEAD carried that one token.
    let heads_sent = http
        .sent
        .borrow()
        .iter()
        .filter(|r| r.method == Method::Head)
        .count();
    assert_eq!(heads_sent, 12);
}

/// Plain http carries credentials only to this computer: a DNS name that starts
/// like a loopback address, a `\` a browser reads as the end of the host, or a user
/// name that looks like a loopback host does not count.
#[test]
fn cleartext_credentials_go_only_to_a_real_loopback_host() {
    use tagdeck::oci::auth::AuthPolicy;
    let policy = AuthPolicy::new(REGISTRY, &[]);
    for url in [
        "http://localhost/token",
        "http://localhost:5000/token",
        "http://registry.localhost:8080/token",
        "http://127.0.0.1:5000/token",
        "http://127.255.0.9/token",
        "http://[::1]:5000/token",
        "https://auth.example.com/token",
    ] {
        assert_eq!(policy.check_credentials_transport(url), Ok(()), "{url}");
    }
    for url in [
        "http://127.x.attacker.com/token",
        "http://127.0.0.attacker.com/token",
        "http://127.0.0.1.attacker.com/token",
        "http://127.256.0.1/token",
        "http://127.0.0.1x/token",
        "http://0127.0.0.1/token",
        "http://evil.com\\.localhost/token",
        "http://evil.com\\.localhost:5000/token",
        "http://evil_com.localhost/token",
        "http://.localhost/token",
        "http://localhost:5000@evil.com/token",
        "http://127.0.0.1:80@evil.com/token",
        "http://[::1]@evil.com/token",
        "http://[::1].evil.com/token",
        "http://localhost:50x0/token",
        "http://evil.com/token",
    ] {
        assert!(
            matches!(
                policy.check_credentials_transport(url),
                Err(AuthRefusal::CleartextCredentials { .. })
            ),
            "{url}"
        );
    }
    // Signing in to such a registry is refused before the credentials are kept.
    let session = AuthSession::new("http://127.x.attacker.com:5000", &[], Rc::new(|| 0));
    assert!(matches!(
        session.sign_in(admin()),
        Err(AuthRefusal::CleartextCredentials { .. })
    ));
}

/// The `config.json` line offered for an untrusted realm holds the realm's origin
/// only (that is all `trustedRealms` compares), JSON-escaped: a realm cannot add
/// keys of its own, such as `registry`.
#[test]
fn the_trusted_realms_snippet_holds_only_the_realm_origin() {
    let advice = |realm: &str| {
        wording::error(&RegistryError::SignInRefused {
            attempt: tagdeck::oci::error::Attempt {
                method: Method::Get,
                url: format!("{REGISTRY}/v2/"),
            },
            refusal: AuthRefusal::UntrustedRealm {
                realm: realm.to_owned(),
            },
        })
        .advice
    };
    let snippet = |advice: &str| -> Option<serde_json::Value> {
        let start = advice.find('{')?;
        let end = advice.rfind('}')?;
        Some(serde_json::from_str(&advice[start..=end]).expect("the snippet is JSON"))
    };
    let hostile = r#"https://auth.example.com/t"], "registry": "https://evil.example", "x": [""#;
    let offered = snippet(&advice(hostile)).expect("a snippet for a realm with an origin");
    assert_eq!(
        offered,
        serde_json::json!({"trustedRealms": ["https://auth.example.com"]})
    );
    let plain = snippet(&advice("https://Auth.Example.com:8443/token?x=1")).unwrap();
    assert_eq!(
        plain,
        serde_json::json!({"trustedRealms": ["https://auth.example.com:8443"]})
    );
    // No origin worth trusting: no snippet at all, the advice still says where.
    for realm in [
        r#"https://auth.example.com","registry":"https://evil.example"#,
        r#"https://evil"x/token"#,
        "https://user@auth.example.com/token",
        "auth.example.com/token",
        "ftp://auth.example.com/token",
        "https:///token",
    ] {
        let advice = advice(realm);
        assert_eq!(snippet(&advice), None, "{realm}: {advice}");
        assert!(advice.contains("trustedRealms"), "{advice}");
    }
}

/// Token answers are JWTs of a few KiB: the token request itself allows 64 KiB, so
/// an answer that declares more is refused unread, and one that does not say its
/// size is still refused after reading.
#[test]
fn an_oversized_token_answer_is_refused_unread() {
    const LIMIT: usize = 64 * 1024;
    for declares_length in [true, false] {
        let world = World::new();
        let body = format!(r#"{{"token":"{}"}}"#, "a".repeat(LIMIT));
        let read = Rc::new(Cell::new(false));
        let limits = Rc::new(RefCell::new(Vec::new()));
        let (registry_world, was_read, asked_limits) =
            (world.clone(), read.clone(), limits.clone());
        let http = ScriptedHttp::new(move |request| {
            if !request.url.starts_with(REALM) {
                return Ok(registry_world.registry_answer(request));
            }
            asked_limits.borrow_mut().push(request.response_limit);
            // As the browser's transport does: a declared size over the request's
            // limit is refused before the body is read.
            if declares_length && body.len() > request.response_limit {
                return Err(tagdeck::oci::http::TransportFailure::TooLarge {
                    size: body.len(),
                    limit: request.response_limit,
                });
            }
            was_read.set(true);
            let length = body.len().to_string();
            let headers: Vec<(&str, &str)> = if declares_length {
                vec![("Content-Length", length.as_str())]
            } else {
                Vec::new()
            };
            Ok(response(200, &headers, body.as_bytes()))
        });
        let session = world.session(&[]);
        let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
        let error = block_on(registry.check_api()).unwrap_err();
        assert!(
            matches!(
                &error,
                RegistryError::SignInRefused {
                    refusal: AuthRefusal::UnusableToken { .. },
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(!limits.borrow().is_empty());
        assert!(
            limits.borrow().iter().all(|&limit| limit == LIMIT),
            "{:?}",
            limits.borrow()
        );
        assert_eq!(read.get(), !declares_length, "read: {}", read.get());
    }
}

/// A challenge names the scope of a token; it must not make the console ask, with
/// the user's password, for rights the request does not need: another
/// repository's scope is ignored, and more actions on the request's own repository
/// are asked for only when the registry says the token lacks them
/// (`insufficient_scope`).
#[test]
fn a_challenge_cannot_widen_the_token_beyond_what_the_request_needs() {
    let world = World::new();
    let token_world = world.clone();
    // The first token sent is accepted; later ones lack rights (a registry refusing
    // even the first fresh token would make the console stop asking).
    let tokens_seen = Cell::new(0);
    let http = ScriptedHttp::new(move |request| {
        if request.url.starts_with(REALM) {
            return Ok(token_world.token_answer(request));
        }
        let has_token = request
            .headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer "));
        if has_token {
            tokens_seen.set(tokens_seen.get() + 1);
            if tokens_seen.get() == 1 {
                return Ok(response(200, &[], b"{}"));
            }
        }
        let error = if has_token {
            r#",error="insufficient_scope""#
        } else {
            ""
        };
        let challenge = format!(
            r#"Bearer realm="{REALM}",service="registry",scope="repository:other/repo:push,delete repository:team/app:pull,push,delete"{error}"#
        );
        Ok(response(401, &[("WWW-Authenticate", &challenge)], b""))
    });
    let session = world.session(&[]);
    session.sign_in(admin()).unwrap();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    // First contact: a plain 401. Only what a GET of team/app needs is asked for.
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(
        world.token_scopes(),
        vec![vec!["repository:team/app:pull".to_owned()]]
    );
    // The registry says that token lacks rights: more actions on team/app, which the
    // registry itself asks for, but still nothing on other/repo.
    let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    let scopes = world.token_scopes();
    assert_eq!(
        scopes.last().unwrap(),
        &vec!["repository:team/app:delete,pull,push".to_owned()],
        "{scopes:?}"
    );
    assert!(
        scopes.iter().flatten().all(|s| !s.contains("other/repo")),
        "{scopes:?}"
    );
}

/// The world's HTTP, running `on_token_request` as each token request arrives: the
/// moment a user signs out or in while a token is on its way.
fn http_with_token_hook(world: &Rc<World>, on_token_request: impl Fn() + 'static) -> ScriptedHttp {
    let world = world.clone();
    ScriptedHttp::new(move |request| {
        Ok(if request.url.starts_with(&world.realm) {
            on_token_request();
            world.token_answer(request)
        } else {
            world.registry_answer(request)
        })
    })
}

fn bearer_sent_to_registry(http: &ScriptedHttp) -> bool {
    http.sent.borrow().iter().any(|r| {
        !r.url.starts_with(REALM)
            && r.headers
                .iter()
                .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer "))
    })
}

#[test]
fn a_token_asked_for_before_a_sign_out_is_never_used_after_it() {
    let world = World::new();
    let session = world.session(&[]);
    let sign_out_now = Rc::new(Cell::new(false));
    let http = {
        let (session, sign_out_now) = (session.clone(), sign_out_now.clone());
        http_with_token_hook(&world, move || {
            if sign_out_now.replace(false) {
                session.sign_out();
            }
        })
    };
    let client = Authenticated::new(&http, session.clone());
    let registry = Registry::new(REGISTRY, client.clone());
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    // Admin's token for pull, push and delete is on its way when admin signs out.
    sign_out_now.set(true);
    block_on(client.probe_access("team/app")).unwrap();
    assert_eq!(session.status().username, None);
    assert_eq!(
        session.access("team/app"),
        Default::default(),
        "admin's rights must not be the anonymous user's"
    );
    http.sent.borrow_mut().clear();
    let read = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    assert!(read.is_err(), "anonymous users may not pull here: {read:?}");
    assert!(
        !bearer_sent_to_registry(&http),
        "a token issued to admin went out after admin signed out"
    );
}

#[test]
fn a_refusal_of_an_earlier_sign_in_does_not_mark_the_next_one_wrong() {
    let world = World::new();
    let session = world.session(&[]);
    let sign_in_admin_now = Rc::new(Cell::new(false));
    let http = {
        let (session, now) = (session.clone(), sign_in_admin_now.clone());
        http_with_token_hook(&world, move || {
            if now.replace(false) {
                session.sign_in(admin()).unwrap();
            }
        })
    };
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(Credentials::new("admin", "wrong")).unwrap();
    let first_try = session.generation();
    // The wrong password's token request is answered after the right one was given.
    sign_in_admin_now.set(true);
    let _ = block_on(registry.check_api());
    assert!(!session.status().credentials_rejected);
    // And the late failure of the first sign-in does not sign the second one out.
    session.sign_in_failed(first_try, "Signing in as admin failed: Wrong".into());
    assert_eq!(session.status().username.as_deref(), Some("admin"));
    assert_eq!(session.status().failed_sign_in, None);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
}

#[test]
fn a_failed_sign_in_is_told_until_the_next_one() {
    let session = World::new().session(&[]);
    session
        .sign_in(Credentials::new("alice", "typo-s3cret"))
        .unwrap();
    let attempt = session.generation();
    session.sign_in_failed(attempt, "Signing in as alice failed: Wrong".into());
    let status = session.status();
    assert_eq!(
        status.username, None,
        "a failed sign-in keeps no credentials"
    );
    assert_eq!(
        status.failed_sign_in.as_deref(),
        Some("Signing in as alice failed: Wrong")
    );
    // The form asks for alice again; the password is gone.
    assert_eq!(status.failed_user.as_deref(), Some("alice"));
    assert!(!format!("{status:?}").contains("typo-s3cret"));
    session.sign_in(admin()).unwrap();
    assert_eq!(session.status().failed_sign_in, None);
    assert_eq!(session.status().failed_user, None);
}

#[test]
fn a_basic_password_the_registry_refused_is_not_sent_again() {
    let accepted = Rc::new(Cell::new(true));
    let http = {
        let accepted = accepted.clone();
        ScriptedHttp::new(move |request| {
            let right = request
                .headers
                .iter()
                .any(|(n, v)| n == "Authorization" && v == &admin().basic_header());
            Ok(if right && accepted.get() {
                response(200, &[], b"{}")
            } else {
                response(
                    401,
                    &[("WWW-Authenticate", r#"Basic realm="registry""#)],
                    b"",
                )
            })
        })
    };
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    // The password changes (or expires) in the directory behind the registry.
    accepted.set(false);
    let before = http.sent.borrow().len();
    for _ in 0..5 {
        let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    }
    let with_password = http.sent.borrow()[before..]
        .iter()
        .filter(|r| r.headers.iter().any(|(n, _)| n == "Authorization"))
        .count();
    // The read, and one check of the registry's base (which refused it too).
    assert_eq!(with_password, 2, "the refused password went out again");
    assert!(session.status().credentials_rejected);
    // Signed in again, it is sent again.
    accepted.set(true);
    session.sign_in(admin()).unwrap();
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
}

/// A registry behind Basic auth whose proxy (nginx `auth_request`, Artifactory, a
/// per-path rule) answers a repository the user may not read with 401, not 403:
/// admin's password is right everywhere, but team/secret is refused to everyone.
/// `accepted` turns the password wrong (changed in the directory behind it).
fn basic_with_a_refused_repository(accepted: Rc<Cell<bool>>) -> ScriptedHttp {
    ScriptedHttp::new(move |request| {
        let right = accepted.get()
            && request
                .headers
                .iter()
                .any(|(n, v)| n == "Authorization" && v == &admin().basic_header());
        Ok(if right && !request.url.contains("/v2/team/secret") {
            response(200, &[], b"{}")
        } else {
            response(
                401,
                &[("WWW-Authenticate", r#"Basic realm="registry""#)],
                b"",
            )
        })
    })
}

/// Requests that carried the password, as (method, path).
fn sent_with_password(http: &ScriptedHttp, from: usize) -> Vec<(Method, String)> {
    http.sent.borrow()[from..]
        .iter()
        .filter(|r| r.headers.iter().any(|(n, _)| n == "Authorization"))
        .map(|r| (r.method, r.url.trim_start_matches(REGISTRY).to_owned()))
        .collect()
}

fn base_checks(http: &ScriptedHttp, from: usize) -> usize {
    sent_with_password(http, from)
        .iter()
        .filter(|(_, path)| path == "/v2/")
        .count()
}

/// A 401 for one repository, while the registry's base accepts the password, is a
/// refusal of that repository, not of the password: the next read of another
/// repository still carries it. The base is asked once, not again for the next
/// refusal; a write refused that way disables writes there.
#[test]
fn a_basic_401_for_one_repository_leaves_the_password_in_use() {
    let http = basic_with_a_refused_repository(Rc::new(Cell::new(true)));
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    let before = http.sent.borrow().len();
    let secret_read = block_on(registry.manifest_head(&secret(), parse_reference("v1")));
    assert!(
        matches!(secret_read, Err(RegistryError::Unauthorized { .. })),
        "{secret_read:?}"
    );
    let app_read = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    let last = http.sent.borrow().last().unwrap().clone();
    assert!(
        last.headers.iter().any(|(n, _)| n == "Authorization"),
        "the next read of another repository went without the password: {app_read:?}"
    );
    app_read.unwrap();
    assert!(!session.status().credentials_rejected);
    let other = Repository::parse("team/secret2").unwrap();
    let _ = block_on(registry.manifest_head(&other, parse_reference("v1")));
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(
        base_checks(&http, before),
        1,
        "{:?}",
        sent_with_password(&http, before)
    );
    // A write refused alike: Basic cannot ask before, but says so after.
    let client = Authenticated::new(&http, session.clone());
    let put = Request::new(
        Method::Put,
        format!("{REGISTRY}/v2/team/secret/manifests/v2"),
    );
    assert_eq!(block_on(client.send(put)).unwrap().status, 401);
    assert_eq!(session.access("team/secret").push, Some(false));
    assert_eq!(session.access("team/app").push, None);
    assert!(!session.status().credentials_rejected);
    assert_eq!(base_checks(&http, before), 1);
}

/// The base's yes vouches for a password only for the burst of reads refused with it:
/// a password revoked some seconds later is found at the next refusal, not sent with
/// every read of the minute after (which locks directory accounts).
#[test]
fn a_basic_password_revoked_after_the_base_took_it_is_found_within_seconds() {
    let accepted = Rc::new(Cell::new(true));
    let http = basic_with_a_refused_repository(accepted.clone());
    let now = Rc::new(Cell::new(0u64));
    let clock = now.clone();
    let session = Rc::new(AuthSession::new(
        REGISTRY,
        &[],
        Rc::new(move || clock.get()),
    ));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    let _ = block_on(registry.manifest_head(&secret(), parse_reference("v1")));
    assert!(!session.status().credentials_rejected);
    // Revoked ten seconds later: the next refusal asks the base again, which refuses.
    accepted.set(false);
    now.set(10_000);
    let before = http.sent.borrow().len();
    let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    assert_eq!(base_checks(&http, before), 1);
    assert!(session.status().credentials_rejected);
}

/// A wrong password is refused at the base too: rejected, and not sent again. It
/// costs one request more than the read it failed (the base asked once), and none
/// when the read was the base itself.
#[test]
fn a_wrong_basic_password_is_still_rejected_and_not_sent_again() {
    let accepted = Rc::new(Cell::new(true));
    let http = basic_with_a_refused_repository(accepted.clone());
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    accepted.set(false);
    let before = http.sent.borrow().len();
    for _ in 0..5 {
        let read = block_on(registry.manifest_head(&app(), parse_reference("v1")));
        assert!(matches!(read, Err(RegistryError::Unauthorized { .. })));
    }
    assert_eq!(
        sent_with_password(&http, before),
        [
            (Method::Head, "/v2/team/app/manifests/v1".to_owned()),
            (Method::Get, "/v2/".to_owned()),
        ]
    );
    assert!(session.status().credentials_rejected);
    // Wrong from the start, found by the connection check: that one request only.
    session.sign_in(admin()).unwrap();
    let before = http.sent.borrow().len();
    let _ = block_on(registry.check_api());
    let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    assert_eq!(sent_with_password(&http, before).len(), 1);
    assert!(session.status().credentials_rejected);
}

/// A registry whose base lets anyone in (only repositories ask for a login): the
/// base taking a password says nothing of it, so a refused password is not checked
/// there but taken as wrong, as before, and not sent again.
#[test]
fn a_basic_password_refused_where_the_base_is_open_is_rejected_unchecked() {
    let http = ScriptedHttp::new(|request| {
        let right = request
            .headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v == &admin().basic_header());
        Ok(if right || request.url.ends_with("/v2/") {
            response(200, &[], b"{}")
        } else {
            let challenge = [("WWW-Authenticate", r#"Basic realm="registry""#)];
            response(401, &challenge, b"")
        })
    });
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    block_on(registry.check_api()).unwrap();
    let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    session.sign_in(Credentials::new("admin", "wrong")).unwrap();
    block_on(registry.check_api()).unwrap();
    let before = http.sent.borrow().len();
    for _ in 0..3 {
        let _ = block_on(registry.manifest_head(&app(), parse_reference("v1")));
    }
    assert_eq!(
        sent_with_password(&http, before),
        [(Method::Head, "/v2/team/app/manifests/v1".to_owned())]
    );
    assert!(session.status().credentials_rejected);
}

/// The tag table's reads of a repository refused at once: one check of the base
/// for all of them, not one each.
#[test]
fn basic_reads_refused_at_once_check_the_password_once() {
    let http = basic_with_a_refused_repository(Rc::new(Cell::new(true)));
    let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
    let registry = Registry::new(
        REGISTRY,
        Authenticated::new(Interleaved(&http), session.clone()),
    );
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    let before = http.sent.borrow().len();
    let repository = secret();
    let heads = (0..12).map(|_| registry.manifest_head(&repository, parse_reference("v1")));
    for result in block_on(futures_util::future::join_all(heads)) {
        assert!(matches!(result, Err(RegistryError::Unauthorized { .. })));
    }
    assert_eq!(base_checks(&http, before), 1);
    assert_eq!(http.sent.borrow().len() - before, 12 + 1);
    assert!(!session.status().credentials_rejected);
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
}

fn secret() -> Repository {
    Repository::parse("team/secret").unwrap()
}

/// A token service that refuses admin pull on team/secret, while it accepts admin.
fn world_refusing_secret_pull() -> Rc<World> {
    World::with(|w| w.refuses = vec![("admin", "repository:team/secret", "pull")])
}

/// A scope the token service refused is not asked for again until the user signs in
/// (or out) again: the read goes without a token and the registry's 401 answers it,
/// one registry request each, however many reads the tag table sends.
#[test]
fn a_scope_the_token_service_refused_is_not_asked_for_again_for_a_minute_or_until_the_next_sign_in()
{
    let world = world_refusing_secret_pull();
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    let head = || block_on(registry.manifest_head(&secret(), parse_reference("v1")));
    let first = head();
    assert!(
        matches!(first, Err(RegistryError::Unauthorized { .. })),
        "{first:?}"
    );
    assert!(!session.status().credentials_rejected);
    let tokens = world.token_requests.borrow().len();
    let sent = http.sent.borrow().len();
    for _ in 0..5 {
        assert!(matches!(head(), Err(RegistryError::Unauthorized { .. })));
    }
    assert_eq!(
        world.token_scopes()[tokens..].to_vec(),
        Vec::<Vec<String>>::new(),
        "the refused scope was asked for again"
    );
    assert_eq!(
        http.sent.borrow().len(),
        sent + 5,
        "one registry request each"
    );
    // Push and delete stay as access() told them; other repositories still get tokens.
    block_on(registry.manifest_head(&app(), parse_reference("v1"))).unwrap();
    assert_eq!(session.access("team/app"), Default::default());
    // A minute later it is asked again: rights granted meanwhile count.
    world.clock.set(world.clock.get() + 61_000);
    let before = world.token_requests.borrow().len();
    let _ = head();
    assert!(
        world.token_scopes()[before..].contains(&vec!["repository:team/secret:pull".to_owned()]),
        "a refusal is remembered for a minute, not for the whole sign-in"
    );
    // Signed in again, the token service is asked again.
    session.sign_in(admin()).unwrap();
    let before = world.token_requests.borrow().len();
    let _ = head();
    assert!(
        world.token_scopes()[before..].contains(&vec!["repository:team/secret:pull".to_owned()])
    );
}

/// Many reads of a refused scope at once (the tag table's HEADs): the token service
/// hears the scope once and the check of the user once, not once per read.
#[test]
fn reads_of_a_refused_scope_at_once_ask_the_token_service_once() {
    let world = world_refusing_secret_pull();
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(
        REGISTRY,
        Authenticated::new(Interleaved(&http), session.clone()),
    );
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(registry.check_api()).unwrap();
    let before = world.token_scopes().len();
    let sent = http.sent.borrow().len();
    let repository = secret();
    let heads = (0..12).map(|_| registry.manifest_head(&repository, parse_reference("v1")));
    for result in block_on(futures_util::future::join_all(heads)) {
        assert!(matches!(result, Err(RegistryError::Unauthorized { .. })));
    }
    assert_eq!(
        world.token_scopes().split_off(before),
        vec![vec!["repository:team/secret:pull".to_owned()], vec![]]
    );
    assert_eq!(http.sent.borrow().len() - sent, 2 + 12);
}

/// A registry that refuses even a fresh token (here its clock calls every token
/// expired): that token is forgotten, and the scope not asked for again this
/// sign-in, so later reads cost one registry request, not two plus a token.
#[test]
fn a_fresh_token_the_registry_refuses_is_forgotten_and_not_asked_for_again() {
    let world = World::with(|w| w.exp_shortfall_ms = 400_000);
    let session = world.session(&[]);
    let http = world.http();
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    let head = || block_on(registry.manifest_head(&app(), parse_reference("v1")));
    assert!(matches!(head(), Err(RegistryError::Unauthorized { .. })));
    let tokens = world.token_requests.borrow().len();
    let sent = http.sent.borrow().len();
    for _ in 0..5 {
        assert!(matches!(head(), Err(RegistryError::Unauthorized { .. })));
    }
    assert_eq!(world.token_requests.borrow().len(), tokens);
    assert_eq!(
        http.sent.borrow().len(),
        sent + 5,
        "one registry request each"
    );
    // No token the registry refused went out a second time.
    let bearers: Vec<String> = http
        .sent
        .borrow()
        .iter()
        .filter(|r| !r.url.starts_with(REALM))
        .flat_map(|r| r.headers.clone())
        .filter(|(n, v)| n == "Authorization" && v.starts_with("Bearer "))
        .map(|(_, v)| v)
        .collect();
    let distinct: std::collections::BTreeSet<_> = bearers.iter().collect();
    assert_eq!(
        distinct.len(),
        bearers.len(),
        "a refused token was sent again"
    );
    // Signed in again, tokens are asked for again.
    session.sign_in(admin()).unwrap();
    let _ = head();
    assert!(world.token_requests.borrow().len() > tokens);
}

proptest::proptest! {
    /// The console's own base64 (Basic credentials, JWT claims) agrees with the
    /// base64 crate on every input, and reads back what it is given.
    #[test]
    fn base64_agrees_with_the_base64_crate(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
        use tagdeck::oci::auth::base64::{decode_url_safe, encode};
        let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
        proptest::prop_assert_eq!(encode(&bytes), standard);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        proptest::prop_assert_eq!(decode_url_safe(&url_safe), Some(bytes.clone()));
        let padded = base64::engine::general_purpose::URL_SAFE.encode(&bytes);
        proptest::prop_assert_eq!(decode_url_safe(&padded), Some(bytes));
    }
}

/// A registry address is a plain host (a DNS name, IPv4 or bracketed IPv6) and a
/// numeric port: a `\` (browsers read it as `/`), `%`, a port out of range or a bare
/// IPv6 address is refused as typed, or a shared link could show one host and talk to
/// another. A realm with a `\` is never taken for the registry's own origin either.
#[test]
fn a_registry_address_whose_host_a_browser_reads_otherwise_is_refused() {
    use tagdeck::model::registry_address::{normalize_registry_address, AddressError};
    use tagdeck::oci::auth::AuthPolicy;
    for typed in [
        "https://evil.example\\.registry.corp.example",
        "https://evil.example%5C.registry.corp.example",
        "evil.example\\@registry.corp.example",
        "https:/\\user:pw@registry.example",
        "reg.example:99999",
        "reg.example:0",
        "reg.example:5x",
        "::1",
        "https://[::1",
        "reg..example",
        "https://reg.example/team\\..\\other",
        "https://reg.exam\tple",
    ] {
        assert!(
            matches!(
                normalize_registry_address(typed),
                Err(AddressError::NoHost(_) | AddressError::BadHost(_) | AddressError::Blank(_))
            ),
            "{typed:?} -> {:?}",
            normalize_registry_address(typed)
        );
    }
    for (typed, base) in [
        ("registry.corp.example", "https://registry.corp.example"),
        ("my_registry:5000", "https://my_registry:5000"),
        ("http://[::1]:5000/v2/", "http://[::1]:5000"),
        (
            "https://reg.example:65535/team%20a",
            "https://reg.example:65535/team%20a",
        ),
        ("10.0.0.7:5000", "https://10.0.0.7:5000"),
    ] {
        assert_eq!(
            normalize_registry_address(typed).as_deref(),
            Ok(base),
            "{typed:?}"
        );
    }
    // A password in a refused address is not echoed, however the browser would split it.
    for typed in [
        "https:/\\user:pw@registry.example",
        "https:\\\\user:pw@reg.example\\x",
    ] {
        let echoed = normalize_registry_address(typed).unwrap_err().to_string();
        assert!(!echoed.contains("pw"), "{echoed}");
    }
    let policy = AuthPolicy::new("https://evil.example", &[]);
    assert!(policy
        .check_realm("https://evil.example\\.registry.corp.example/token")
        .is_err());
    assert!(policy.check_realm("https://evil.example/token").is_ok());
}

/// config.json's `trustedRealms` are its word about the registry it names: a
/// registry from a link (`?registry=`) or typed in that names the company's token
/// service is refused, and neither the password nor the company's token reaches it.
#[test]
fn trusted_realms_count_only_for_the_registry_config_json_names() {
    let world = World::with(|w| w.realm = "https://auth.example.com/token".into());
    let http = world.http();
    let trusted = ["https://auth.example.com".to_owned()];
    let linked = world.session(&[]);
    linked.trust_realms(&trusted);
    let registry = Registry::new(REGISTRY, Authenticated::new(&http, linked.clone()));
    let error = block_on(registry.check_api()).unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::SignInRefused {
                refusal: AuthRefusal::UntrustedRealm { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert!(matches!(
        linked.sign_in(admin()),
        Err(AuthRefusal::UntrustedRealm { .. })
    ));
    assert!(
        world.token_requests.borrow().is_empty(),
        "nothing was sent to the realm"
    );
    // The registry config.json names trusts them, known so before or after they arrive.
    for realms_first in [true, false] {
        let named = world.session(&[]);
        if realms_first {
            named.trust_realms(&trusted);
            named.named_by_config();
        } else {
            named.named_by_config();
            named.trust_realms(&trusted);
        }
        let registry = Registry::new(REGISTRY, Authenticated::new(&http, named.clone()));
        let _ = block_on(registry.check_api());
        named.sign_in(admin()).unwrap();
        block_on(registry.check_api()).unwrap();
    }
}

/// The scheme's own port is the registry's origin as much as no port: a realm
/// written with or without `:443` (`:80` for http) is the registry's own, and a
/// trusted realm's origin matches either way too.
#[test]
fn a_default_port_written_or_not_is_the_same_origin() {
    use tagdeck::oci::auth::AuthPolicy;
    for (base, realm) in [
        ("https://reg.example:443", "https://reg.example/token"),
        ("https://reg.example", "https://reg.example:443/token"),
        ("http://127.0.0.1:80", "http://127.0.0.1/token"),
        ("http://127.0.0.1", "http://127.0.0.1:80/token"),
    ] {
        assert_eq!(
            AuthPolicy::new(base, &[]).check_realm(realm),
            Ok(()),
            "{base} {realm}"
        );
    }
    for (trusted, realm) in [
        ("https://auth.example:443", "https://auth.example/token"),
        ("https://auth.example/", "https://auth.example:443/token"),
    ] {
        let policy = AuthPolicy::new("https://reg.example", &[trusted.to_owned()]);
        assert_eq!(policy.check_realm(realm), Ok(()), "{trusted} {realm}");
    }
    // Another port is another origin.
    for realm in [
        "https://reg.example:8443/token",
        "http://reg.example/token",
        "https://reg.example:80/token",
    ] {
        assert!(
            AuthPolicy::new("https://reg.example:443", &[])
                .check_realm(realm)
                .is_err(),
            "{realm}"
        );
    }
}

/// A token service that refuses pull, push and delete together (the user may not
/// delete) says nothing of push alone: the probe asks for each apart, so the user
/// may still change tags.
#[test]
fn a_probe_refused_outright_tells_push_and_delete_apart() {
    let world = World::with(|w| w.refuses = vec![("admin", "repository:team/app", "delete")]);
    let session = world.session(&[]);
    let http = world.http();
    let client = Authenticated::new(&http, session.clone());
    let registry = Registry::new(REGISTRY, client.clone());
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    block_on(client.probe_access("team/app")).unwrap();
    let access = session.access("team/app");
    assert_ne!(access.push, Some(false), "{access:?}");
    assert_eq!(access.delete, Some(false), "{access:?}");
    assert!(!session.status().credentials_rejected);
    block_on(registry.manifest_put(
        &app(),
        parse_reference("v2"),
        b"{}",
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    assert_eq!(session.access("team/app").push, Some(true));
}

/// A write whose challenge asks for every right (pull,push,delete), refused outright
/// because delete is not granted: the repository is marked as not allowing the
/// write's own right, so the page says read-only rather than "sign in".
#[test]
fn a_write_refused_outright_for_a_wider_scope_marks_its_own_right_denied() {
    let world = World::with(|w| {
        w.refuses = vec![("admin", "repository:team/app", "delete")];
        w.write_challenge = Some("pull,push,delete");
    });
    let session = world.session(&[]);
    let http = world.http();
    let client = Authenticated::new(&http, session.clone());
    let registry = Registry::new(REGISTRY, client.clone());
    let _ = block_on(registry.check_api());
    session.sign_in(admin()).unwrap();
    let digest = tagdeck::oci::names::Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap();
    let deleted = block_on(registry.manifest_delete(&app(), &digest));
    assert!(deleted.is_err(), "{deleted:?}");
    assert!(!session.status().credentials_rejected);
    assert_eq!(session.access("team/app").delete, Some(false));
}

/// A token service that does not answer (in time, or at all) kept the write from
/// being sent: a definite refusal, worded as the token service's, not the
/// registry's. Also when it is the check of who is asking that fails.
#[test]
fn a_token_service_that_does_not_answer_refuses_the_write_and_is_named() {
    use tagdeck::oci::changes::is_definite_refusal;
    use tagdeck::oci::http::TransportFailure;
    for (failure, scoped_refused) in [
        (TransportFailure::TimedOut { after_ms: 30_000 }, false),
        (TransportFailure::Network("unreachable".into()), false),
        (TransportFailure::TimedOut { after_ms: 30_000 }, true),
        (TransportFailure::Network("unreachable".into()), true),
    ] {
        let world = World::new();
        let failing = Rc::new(Cell::new(false));
        let http = {
            let (world, failing, failure) = (world.clone(), failing.clone(), failure.clone());
            ScriptedHttp::new(move |request| {
                if !request.url.starts_with(REALM) {
                    return Ok(world.registry_answer(request));
                }
                if !failing.get() {
                    return Ok(world.token_answer(request));
                }
                // Either every token request fails, or a scope is refused outright
                // and the question whether the user is accepted at all fails.
                if scoped_refused && request.url.contains("scope=") {
                    return Ok(response(401, &[], b""));
                }
                Err(failure.clone())
            })
        };
        let session = world.session(&[]);
        let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
        let _ = block_on(registry.check_api());
        session.sign_in(admin()).unwrap();
        block_on(registry.check_api()).unwrap();
        failing.set(true);
        let put = block_on(registry.manifest_put(
            &app(),
            parse_reference("v2"),
            b"{}",
            "application/vnd.oci.image.manifest.v1+json",
        ))
        .unwrap_err();
        assert!(is_definite_refusal(&put), "{failure:?}: {put:?}");
        let message = wording::error(&put);
        assert!(
            message.headline.contains("token service"),
            "{failure:?}: {message:?}"
        );
        assert!(
            message.advice.contains("token service 127.0.0.1:5000"),
            "{failure:?}: {message:?}"
        );
        assert!(
            !http.sent.borrow().iter().any(|r| r.method == Method::Put),
            "nothing reached the registry"
        );
    }
}

/// A registry whose base path holds a `/v2/` segment (a proxy's): the scope names
/// the repository after the registry's own `/v2/`, not after the first one.
#[test]
fn the_scope_is_read_after_the_registrys_base() {
    let base = "https://proxy.example/v2/hub";
    let scope = |url: &str| scope_for_request(base, &Request::new(Method::Get, url)).to_string();
    assert_eq!(
        scope("https://proxy.example/v2/hub/v2/team/app/manifests/v1"),
        "repository:team/app:pull"
    );
    assert_eq!(
        scope("https://proxy.example:443/v2/hub/v2/app/tags/list"),
        "repository:app:pull"
    );
    assert_eq!(scope("https://proxy.example/v2/team/app/manifests/v1"), "");
    // And the client asks the token service for that scope.
    let http = ScriptedHttp::new(|request| {
        let signed = request.headers.iter().any(|(n, _)| n == "Authorization");
        Ok(if request.url.starts_with("https://proxy.example/token") {
            response(200, &[], br#"{"token":"t"}"#)
        } else if signed {
            response(200, &[], b"{}")
        } else {
            let challenge = r#"Bearer realm="https://proxy.example/token",service="hub""#;
            response(401, &[("WWW-Authenticate", challenge)], b"")
        })
    });
    let session = Rc::new(AuthSession::new(base, &[], Rc::new(|| 0)));
    let client = Authenticated::new(&http, session);
    let url = "https://proxy.example/v2/hub/v2/team/app/manifests/v1";
    block_on(client.send(Request::new(Method::Get, url))).unwrap();
    let asked: Vec<String> = http
        .sent
        .borrow()
        .iter()
        .filter(|r| r.url.starts_with("https://proxy.example/token"))
        .map(|r| r.url.clone())
        .collect();
    assert_eq!(
        asked,
        ["https://proxy.example/token?service=hub&scope=repository:team/app:pull"]
    );
}

/// The connection check offers the sign-in form only once a 401 taught a way to sign
/// in (`ui::connect`: the session's scheme). A challenge naming none this console
/// offers, or no challenge at all, teaches none, and is said up front by its kind.
#[test]
fn a_401_naming_no_way_to_sign_in_here_teaches_none_and_is_said_by_its_kind() {
    use wording::NoSignInWay;
    let check = |challenge: Option<&'static str>| {
        let http = ScriptedHttp::new(move |_| {
            let headers: Vec<(&str, &str)> = challenge
                .map(|value| vec![("WWW-Authenticate", value)])
                .unwrap_or_default();
            Ok(response(401, &headers, b""))
        });
        let session = Rc::new(AuthSession::new(REGISTRY, &[], Rc::new(|| 0)));
        let registry = Registry::new(REGISTRY, Authenticated::new(&http, session.clone()));
        let error = block_on(registry.check_api()).unwrap_err();
        let learnt = session.scheme().is_some();
        wording::no_sign_in_way(&error, learnt, false)
    };
    for unsupported in [
        "Negotiate",
        r#"Digest realm="registry", nonce="abc", qop="auth""#,
        // A token service is needed, and none is named.
        r#"Bearer service="registry",scope="registry:catalog:*""#,
    ] {
        assert_eq!(
            check(Some(unsupported)),
            Some(NoSignInWay::Unsupported(unsupported.into())),
            "{unsupported}"
        );
    }
    assert_eq!(check(None), Some(NoSignInWay::Unsaid));
    // Basic, alone or among others, and a token service: the form.
    assert_eq!(check(Some(r#"Basic realm="registry""#)), None);
    assert_eq!(check(Some(r#"Negotiate, Basic realm="registry""#)), None);
    assert_eq!(
        check(Some(
            r#"Bearer realm="http://127.0.0.1:5000/token",service="registry""#
        )),
        None
    );
}
