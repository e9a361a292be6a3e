//! One sign-in to one registry, in memory only: the credentials, what the registry's
//! challenges taught about its auth scheme, and the tokens obtained, per scope.
//! Nothing here is ever written to storage; a reload of the page starts over.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::policy::{AuthPolicy, AuthRefusal, Credentials};
use super::scope::{ScopeSet, DELETE, PUSH};

/// Milliseconds since some fixed moment; the browser's `Date.now`, a test's dial.
pub type Clock = Rc<dyn Fn() -> u64>;

/// How the registry wants requests authorised, learned from its 401 challenges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// `Debug` by hand: it shows everything but the token, which is a credential.
#[derive(Clone)]
pub(super) struct CachedToken {
    pub requested: ScopeSet,
    /// From the token's `access` claim; `None` for opaque tokens.
    pub granted: Option<ScopeSet>,
    pub token: String,
    /// Past this moment the token is renewed before use, so it never runs out
    /// in the middle of a request.
    pub renew_at: u64,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("requested", &self.requested)
            .field("granted", &self.granted)
            .field("token", &format_args!("<hidden>"))
            .field("renew_at", &self.renew_at)
            .finish()
    }
}

impl CachedToken {
    /// Whether this token may be sent for `needed` at `now`.
    fn serves(&self, needed: &ScopeSet, now: u64) -> bool {
        now < self.renew_at
            && self
                .granted
                .as_ref()
                .unwrap_or(&self.requested)
                .covers(needed)
    }
}

/// How long a refused scope is not asked for again (see [`State::refused_scopes`]).
const REFUSAL_REMEMBERED_MS: u64 = 60_000;

/// How long the base's taking a Basic password vouches for it: long enough for the
/// reads refused together (a tag table's burst), short enough that a password
/// revoked meanwhile is not sent with every read of a minute (account lockouts).
const BASE_ACCEPTED_MS: u64 = 5_000;

/// At most this many tokens are kept; the oldest go first.
const MAX_CACHED_TOKENS: usize = 64;
/// At most this many refused scopes are remembered; the oldest go first (and may
/// be asked for once more).
const MAX_REFUSED_SCOPES: usize = 256;

#[derive(Default)]
struct State {
    credentials: Option<Credentials>,
    scheme: Option<Scheme>,
    tokens: Vec<CachedToken>,
    /// The registry or its token service refused the credentials last sent.
    credentials_rejected: bool,
    /// The token service refused to issue anonymous tokens: ask for a sign-in
    /// instead of asking it again for every request.
    anonymous_refused: bool,
    /// Repository → actions a write was refused for.
    denied: BTreeMap<String, BTreeSet<String>>,
    /// Scopes no usable token is to be had for under this sign-in: the token
    /// service refused them, or the registry refused a token fresh from it; each
    /// with the moment it may be asked for again. Not asked for again until then, or
    /// until the user signs in or out: the tag table's dozens of reads would each
    /// cost token requests for the same refusal. Not for ever: rights granted
    /// meanwhile, or a token service that was restarting, count again.
    refused_scopes: Vec<(ScopeSet, u64)>,
    /// Scopes a token is being asked for right now (see [`AuthSession::begin_token_fetch`]).
    fetching: Vec<ScopeSet>,
    /// Counts sign-ins and sign-outs. A token asked for, or a refusal heard, under
    /// an earlier count belongs to who was signed in then: a token the service
    /// issued to admin after admin signed out must never serve the next user.
    generation: u64,
    /// Why the last sign-in failed, said where the form may no longer be (see
    /// [`AuthSession::sign_in_failed`]), and for whom.
    failed_sign_in: Option<String>,
    failed_user: Option<String>,
    /// The registry's base (`/v2/`) asked an anonymous request for a login: its
    /// taking a password then vouches for that password. Kept across sign-ins.
    base_asks_login: bool,
    /// Until when the base took this sign-in's password (Basic): a 401 elsewhere
    /// meanwhile refuses that resource only, not the password.
    base_accepted_until: u64,
}

/// What the views show about the sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionStatus {
    pub username: Option<String>,
    /// The registry asked for a login at least once.
    pub login_seen: bool,
    /// The host that issues tokens, for token auth.
    pub token_host: Option<String>,
    pub credentials_rejected: bool,
    /// The last sign-in failed, and why (user name and headline).
    pub failed_sign_in: Option<String>,
    /// Who that failed sign-in was for: the form asks for that name again.
    pub failed_user: Option<String>,
}

/// What the signed-in (or anonymous) user may do in one repository. `None` where
/// nothing has told yet (Basic auth has no way to ask before a write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepositoryAccess {
    pub push: Option<bool>,
    pub delete: Option<bool>,
}

pub struct AuthSession {
    policy: RefCell<AuthPolicy>,
    /// config.json's `trustedRealms`, and whether this registry is the one it names:
    /// they count for that one only (see [`trust_realms`](Self::trust_realms)).
    configured: RefCell<(Vec<String>, bool)>,
    clock: Clock,
    state: RefCell<State>,
    listener: RefCell<Option<Rc<dyn Fn()>>>,
}

impl AuthSession {
    pub fn new(registry_base: &str, trusted_realms: &[String], clock: Clock) -> Self {
        AuthSession {
            policy: RefCell::new(AuthPolicy::new(registry_base, trusted_realms)),
            configured: RefCell::default(),
            clock,
            state: RefCell::new(State::default()),
            listener: RefCell::new(None),
        }
    }

    pub fn policy(&self) -> AuthPolicy {
        self.policy.borrow().clone()
    }

    /// config.json's `trustedRealms` (read once the page has started): trusted only
    /// once this registry is known to be the one config.json names (see
    /// [`named_by_config`](Self::named_by_config)). They are the deployment's word
    /// about its own registry's token service: a registry from a link (`?registry=`)
    /// or typed in may name that service in its challenge, and would be sent the
    /// token issued for the user's password.
    pub fn trust_realms(&self, trusted_realms: &[String]) {
        self.configured.borrow_mut().0 = trusted_realms.to_vec();
        self.apply_configured_realms();
    }

    /// This is the registry config.json names (or, naming none, this page's
    /// origin): its `trustedRealms` count for it.
    pub fn named_by_config(&self) {
        self.configured.borrow_mut().1 = true;
        self.apply_configured_realms();
    }

    fn apply_configured_realms(&self) {
        let (realms, named) = &*self.configured.borrow();
        let realms = if *named { realms.as_slice() } else { &[] };
        let registry = self.policy.borrow().registry_base().to_owned();
        *self.policy.borrow_mut() = AuthPolicy::new(&registry, realms);
    }

    pub(super) fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Called whenever what [`status`](Self::status) or [`access`](Self::access)
    /// report may have changed.
    pub fn set_listener(&self, listener: impl Fn() + 'static) {
        *self.listener.borrow_mut() = Some(Rc::new(listener));
    }

    fn changed(&self) {
        let listener = self.listener.borrow().clone();
        if let Some(listener) = listener {
            listener();
        }
    }

    /// Uses `credentials` from now on. Refused before anything is stored when they
    /// would travel in clear text to the registry or its known token service.
    pub fn sign_in(&self, credentials: Credentials) -> Result<(), AuthRefusal> {
        self.check_destinations()?;
        {
            let mut state = self.state.borrow_mut();
            state.credentials = Some(credentials);
            // Tokens obtained anonymously or for someone else say nothing now.
            state.forget_who_was_signed_in();
        }
        self.changed();
        Ok(())
    }

    /// Forgets the credentials and every token obtained with them.
    pub fn sign_out(&self) {
        {
            let mut state = self.state.borrow_mut();
            state.credentials = None;
            state.forget_who_was_signed_in();
        }
        self.changed();
    }

    /// Which sign-in (or sign-out) is current; see [`State::generation`]. Taken
    /// before a request goes out, handed back with what its answer taught.
    pub fn generation(&self) -> u64 {
        self.state.borrow().generation
    }

    /// Signs out the sign-in of `generation` whose check failed, unless the user
    /// signed in (or out) again meanwhile: a late failure of a first attempt must not
    /// sign out the second. `why` is shown in place of the account until the next
    /// sign-in, as the form that asked may be closed by now.
    pub fn sign_in_failed(&self, generation: u64, why: String) {
        {
            let mut state = self.state.borrow_mut();
            if state.generation != generation {
                return;
            }
            let user = state.credentials.take().map(|c| c.username().to_owned());
            state.forget_who_was_signed_in();
            state.failed_sign_in = Some(why);
            state.failed_user = user;
        }
        self.changed();
    }

    /// Whether credentials may be given to this registry at all (see `sign_in`).
    pub fn check_destinations(&self) -> Result<(), AuthRefusal> {
        let state = self.state.borrow();
        let policy = self.policy();
        if let Some(Scheme::Bearer { realm, .. }) = &state.scheme {
            policy.check_realm(realm)?;
            policy.check_credentials_transport(realm)?;
        }
        drop(state);
        policy.check_credentials_transport(policy.registry_origin())
    }

    pub fn status(&self) -> SessionStatus {
        let state = self.state.borrow();
        SessionStatus {
            username: state.credentials.as_ref().map(|c| c.username().to_owned()),
            login_seen: state.scheme.is_some(),
            token_host: match &state.scheme {
                Some(Scheme::Bearer { realm, .. }) => Some(host_of(realm)),
                _ => None,
            },
            credentials_rejected: state.credentials_rejected,
            failed_sign_in: state.failed_sign_in.clone(),
            failed_user: state.failed_user.clone(),
        }
    }

    pub fn scheme(&self) -> Option<Scheme> {
        self.state.borrow().scheme.clone()
    }

    pub(super) fn credentials(&self) -> Option<Credentials> {
        self.state.borrow().credentials.clone()
    }

    pub(super) fn learn_scheme(&self, scheme: Scheme) {
        let is_new = {
            let mut state = self.state.borrow_mut();
            let is_new = state.scheme.as_ref() != Some(&scheme);
            state.scheme = Some(scheme);
            is_new
        };
        if is_new {
            self.changed();
        }
    }

    /// The registry or token service refused what was sent under `generation`.
    pub(super) fn mark_credentials_rejected(&self, generation: u64) {
        let mut state = self.state.borrow_mut();
        if state.generation != generation {
            return;
        }
        if state.credentials.is_none() {
            state.anonymous_refused = true;
            return;
        }
        let was = std::mem::replace(&mut state.credentials_rejected, true);
        drop(state);
        if !was {
            self.changed();
        }
    }

    /// See [`State::base_asks_login`].
    pub(super) fn note_base_asks_login(&self) {
        self.state.borrow_mut().base_asks_login = true;
    }

    pub(super) fn base_asks_login(&self) -> bool {
        self.state.borrow().base_asks_login
    }

    /// The base took the password of `generation` (see [`State::base_accepted_until`]);
    /// remembered for [`BASE_ACCEPTED_MS`], so a password changed meanwhile is found.
    pub(super) fn note_base_accepted(&self, generation: u64) {
        let until = self.now().saturating_add(BASE_ACCEPTED_MS);
        let mut state = self.state.borrow_mut();
        if state.generation == generation {
            state.base_accepted_until = until;
        }
    }

    pub(super) fn base_accepted(&self) -> bool {
        self.now() < self.state.borrow().base_accepted_until
    }

    /// Asking the token service again is pointless until the user signs in
    /// (again): it refused anonymous users, or the credentials given.
    pub(super) fn sign_in_needed(&self) -> bool {
        let state = self.state.borrow();
        match state.credentials {
            None => state.anonymous_refused,
            Some(_) => state.credentials_rejected,
        }
    }

    /// A cached token that may be sent for `needed` now.
    pub(super) fn token_for(&self, needed: &ScopeSet) -> Option<String> {
        let now = self.now();
        self.state
            .borrow()
            .tokens
            .iter()
            .rev()
            .find(|t| t.serves(needed, now))
            .map(|t| t.token.clone())
    }

    /// Keeps `token`, asked for under `generation`; dropped (`false`) when someone
    /// signed in or out since.
    pub(super) fn store_token(&self, token: CachedToken, generation: u64) -> bool {
        let now = self.now();
        {
            let mut state = self.state.borrow_mut();
            if state.generation != generation {
                return false;
            }
            state
                .tokens
                .retain(|t| t.renew_at > now && t.requested != token.requested);
            if state.tokens.len() >= MAX_CACHED_TOKENS {
                state.tokens.remove(0);
            }
            state.tokens.push(token);
        }
        self.changed();
        true
    }

    /// Whether a token covering `needed` is being asked for right now.
    pub(super) fn token_fetch_in_flight(&self, needed: &ScopeSet) -> bool {
        self.state
            .borrow()
            .fetching
            .iter()
            .any(|scopes| scopes.covers(needed))
    }

    /// Marks a token request for `scopes` as in flight until the guard is dropped,
    /// so requests needing the same scopes meanwhile wait for its token instead of
    /// asking the token service again.
    pub(super) fn begin_token_fetch(self: &Rc<Self>, scopes: &ScopeSet) -> TokenFetch {
        self.state.borrow_mut().fetching.push(scopes.clone());
        TokenFetch {
            session: self.clone(),
            scopes: scopes.clone(),
        }
    }

    /// The registry refused `token`: never send it again.
    pub(super) fn forget_token(&self, token: &str) {
        self.state.borrow_mut().tokens.retain(|t| t.token != token);
    }

    /// No usable token is to be had for `scopes` under `generation` (see
    /// [`State::refused_scopes`]).
    pub(super) fn note_scopes_refused(&self, scopes: &ScopeSet, generation: u64) {
        let mut state = self.state.borrow_mut();
        // A token for no scope refused says nothing of any other scope, and an
        // empty set would be "covered" by every request.
        if state.generation != generation || scopes.is_empty() {
            return;
        }
        let until = self.now().saturating_add(REFUSAL_REMEMBERED_MS);
        state
            .refused_scopes
            .retain(|(refused, _)| refused != scopes);
        if state.refused_scopes.len() >= MAX_REFUSED_SCOPES {
            state.refused_scopes.remove(0);
        }
        state.refused_scopes.push((scopes.clone(), until));
    }

    /// Whether asking for `scopes` would ask again for what was refused: a set
    /// holding every action of a refused one is refused too.
    pub(super) fn scopes_refused(&self, scopes: &ScopeSet) -> bool {
        let now = self.now();
        self.state
            .borrow()
            .refused_scopes
            .iter()
            .any(|(refused, until)| now < *until && scopes.covers(refused))
    }

    pub(super) fn note_denied(&self, scopes: &ScopeSet, generation: u64) {
        {
            let mut state = self.state.borrow_mut();
            if state.generation != generation {
                return;
            }
            for repository in scopes.repositories() {
                let actions = scopes.actions_on(&repository).cloned().unwrap_or_default();
                state
                    .denied
                    .entry(repository)
                    .or_default()
                    .extend(actions.into_iter().filter(|a| a == PUSH || a == DELETE));
            }
        }
        self.changed();
    }

    /// What the current user may do in `repository`, from the rights the token
    /// service granted and the writes the registry refused.
    pub fn access(&self, repository: &str) -> RepositoryAccess {
        let state = self.state.borrow();
        let mut access = RepositoryAccess::default();
        for token in &state.tokens {
            let (Some(granted), Some(requested)) =
                (&token.granted, token.requested.actions_on(repository))
            else {
                continue;
            };
            let held = granted.actions_on(repository);
            let holds = |action: &str| held.is_some_and(|h| h.contains(action) || h.contains("*"));
            if requested.contains(PUSH) {
                access.push = Some(holds(PUSH));
            }
            if requested.contains(DELETE) {
                access.delete = Some(holds(DELETE));
            }
        }
        if let Some(denied) = state.denied.get(repository) {
            if denied.contains(PUSH) {
                access.push = Some(false);
            }
            if denied.contains(DELETE) {
                access.delete = Some(false);
            }
        }
        access
    }
}

impl State {
    /// What the session learnt about the user signed in until now.
    fn forget_who_was_signed_in(&mut self) {
        self.tokens.clear();
        self.denied.clear();
        self.refused_scopes.clear();
        self.credentials_rejected = false;
        self.anonymous_refused = false;
        self.failed_sign_in = None;
        self.failed_user = None;
        self.base_accepted_until = 0;
        self.generation += 1;
    }
}

/// `host[:port]` of a URL, for messages.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// A token request in flight; dropping it (answered, failed or abandoned) ends it.
pub(super) struct TokenFetch {
    session: Rc<AuthSession>,
    scopes: ScopeSet,
}

impl Drop for TokenFetch {
    fn drop(&mut self) {
        let mut state = self.session.state.borrow_mut();
        if let Some(at) = state.fetching.iter().position(|s| *s == self.scopes) {
            state.fetching.remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_token_debug_hides_the_token() {
        let cached = CachedToken {
            requested: ScopeSet::repository("team/app", &["pull"]),
            granted: None,
            token: "eyJhbGciOiJSUzI1NiJ9.secret-token-text".to_owned(),
            renew_at: 1234,
        };
        let shown = format!("{cached:?}");
        assert!(!shown.contains("secret-token-text"), "{shown}");
        assert!(!shown.contains("eyJhbGci"), "{shown}");
        assert!(shown.contains("token: <hidden>"), "{shown}");
        assert!(
            shown.contains("team/app") && shown.contains("1234"),
            "{shown}"
        );
        let pretty = format!("{cached:#?}");
        assert!(!pretty.contains("secret-token-text"), "{pretty}");
    }
}
