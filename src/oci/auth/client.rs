//! [`HttpClient`] that signs requests in: Basic as an explicit header, or Docker
//! token auth (a token per scope from the realm the registry names, renewed before
//! it runs out). Requests to any origin but the registry's go out untouched.

use std::rc::Rc;

use super::challenge::{bearer_challenge, parse_challenges, BearerChallenge};
use super::policy::AuthRefusal;
use super::scope::{scope_for_request, ScopeSet, DELETE, PULL, PUSH};
use super::session::{AuthSession, CachedToken, Scheme};
use super::token::{granted_scopes, token_request, TokenResponse};
use crate::oci::http::{HttpClient, Method, Request, Response, TransportFailure};

/// Renew a token this long before it expires at most (a fifth of its life when
/// that is shorter), so a request never carries a token that dies on the way.
const RENEW_MARGIN_MS: u64 = 10_000;
/// How often, and how long at most, a request waits for a token another request is
/// already asking for; past that it asks itself.
const TOKEN_POLL_MS: u32 = 20;
const TOKEN_WAIT_MS: u32 = 10_000;

pub struct Authenticated<C> {
    inner: C,
    session: Rc<AuthSession>,
}

impl<C: Clone> Clone for Authenticated<C> {
    fn clone(&self) -> Self {
        Authenticated {
            inner: self.inner.clone(),
            session: self.session.clone(),
        }
    }
}

/// A request with what the session could attach, and the token it carries.
struct Prepared(Request, Option<String>);

impl<C: HttpClient> Authenticated<C> {
    pub fn new(inner: C, session: Rc<AuthSession>) -> Self {
        Authenticated { inner, session }
    }

    /// Asks the token service what the user may do in `repository` (a token for
    /// pull, push and delete carries only the actions granted), so a read-only
    /// user is told before trying a change. Does nothing without token auth.
    pub async fn probe_access(&self, repository: &str) -> Result<(), TransportFailure> {
        if !matches!(self.session.scheme(), Some(Scheme::Bearer { .. }))
            || self.session.sign_in_needed()
        {
            return Ok(());
        }
        let wanted = ScopeSet::repository(repository, &[PULL, PUSH, DELETE]);
        if self.session.access(repository).push.is_some() {
            return Ok(());
        }
        if self.obtain_token(&wanted).await?.is_none() && self.session.scopes_refused(&wanted) {
            // Refused outright, which tells neither push nor delete apart (a user who
            // may push but not delete): each is asked for alone.
            self.obtain_token(&ScopeSet::repository(repository, &[PULL, PUSH]))
                .await?;
            self.obtain_token(&ScopeSet::repository(repository, &[DELETE]))
                .await?;
        }
        Ok(())
    }

    /// Attaches what the session knows for `needed` to `request`.
    async fn prepare(
        &self,
        mut request: Request,
        needed: &ScopeSet,
    ) -> Result<Prepared, TransportFailure> {
        match self.session.scheme() {
            Some(Scheme::Basic) => {
                // A password the registry refused is not sent again until the user
                // signs in again: dozens of reads each sending it would lock the
                // account where the registry's directory counts failures.
                let credentials = self.session.credentials();
                if let Some(credentials) = credentials.filter(|_| !self.session.sign_in_needed()) {
                    self.session
                        .policy()
                        .check_credentials_transport(&request.url)
                        .map_err(TransportFailure::Refused)?;
                    request = request.header("Authorization", credentials.basic_header());
                }
                Ok(Prepared(request, None))
            }
            Some(Scheme::Bearer { .. }) => {
                if self.session.sign_in_needed() {
                    return Ok(Prepared(request, None));
                }
                let token = match self.session.token_for(needed) {
                    Some(token) => Some(token),
                    None => self.shared_token(needed).await?,
                };
                Ok(match token {
                    Some(token) => Prepared(
                        request.header("Authorization", format!("Bearer {token}")),
                        Some(token),
                    ),
                    // The registry's own 401 then tells the views to ask for a sign-in.
                    None => Prepared(request, None),
                })
            }
            None => Ok(Prepared(request, None)),
        }
    }

    /// Whether the token service issues this user (or anonymous) a token for no
    /// scope: it accepts who is asking. Only a refusal (401, 403) says no; any other
    /// failure (a 503, a 429 in a burst) tells nothing of the password.
    async fn token_service_accepts(
        &self,
        realm: &str,
        service: Option<&str>,
    ) -> Result<bool, TransportFailure> {
        let mut request = token_request(realm, service, &ScopeSet::new());
        if let Some(credentials) = self.session.credentials() {
            request = request.header("Authorization", credentials.basic_header());
        }
        match self.inner.send(request).await {
            Ok(answer) if answer.is_success() => Ok(true),
            Ok(answer) if matches!(answer.status, 401 | 403) => Ok(false),
            Ok(answer) => Err(TransportFailure::Refused(AuthRefusal::TokenServiceFailed {
                realm: realm.to_owned(),
                status: answer.status,
            })),
            Err(failure) => Err(token_request_failed(failure, realm)),
        }
    }

    /// A token for `needed`, asked for once however many requests need it at the
    /// same moment: the tag table sends up to 48 HEADs at once, and each would
    /// otherwise ask the token service for the same scope.
    async fn shared_token(&self, needed: &ScopeSet) -> Result<Option<String>, TransportFailure> {
        if self.wait_for_fetch(needed).await {
            if let Some(token) = self.session.token_for(needed) {
                return Ok(Some(token));
            }
        }
        // The request waited for may have found the credentials refused.
        if self.session.sign_in_needed() {
            return Ok(None);
        }
        let _in_flight = self.session.begin_token_fetch(needed);
        self.obtain_token(needed).await
    }

    /// Waits (up to `TOKEN_WAIT_MS`) while another request fetches for `scopes`;
    /// whether one was under way.
    async fn wait_for_fetch(&self, scopes: &ScopeSet) -> bool {
        let mut waited = 0;
        while waited < TOKEN_WAIT_MS && self.session.token_fetch_in_flight(scopes) {
            self.inner.pause(TOKEN_POLL_MS).await;
            waited += TOKEN_POLL_MS;
        }
        waited > 0
    }

    /// GETs a token for `scopes` from the realm, with the user's credentials when
    /// signed in. `None` when the token service refused them (or refuses anonymous
    /// users): the session remembers, and the views ask for a sign-in.
    async fn obtain_token(&self, scopes: &ScopeSet) -> Result<Option<String>, TransportFailure> {
        let Some(Scheme::Bearer { realm, service }) = self.session.scheme() else {
            return Ok(None);
        };
        let generation = self.session.generation();
        // Refused before under this sign-in: the request goes without a token and
        // the registry's 401 answers it.
        if self.session.scopes_refused(scopes) {
            return Ok(None);
        }
        let policy = self.session.policy();
        let refused = TransportFailure::Refused;
        policy.check_realm(&realm).map_err(refused)?;
        let mut request = token_request(&realm, service.as_deref(), scopes);
        if let Some(credentials) = self.session.credentials() {
            policy
                .check_credentials_transport(&realm)
                .map_err(refused)?;
            request = request.header("Authorization", credentials.basic_header());
        }
        let issued_at = self.session.now();
        let answer = (self.inner.send(request).await)
            .map_err(|failure| token_request_failed(failure, &realm))?;
        if matches!(answer.status, 401 | 403) {
            // Some token services refuse a scope outright instead of granting less:
            // only when they refuse a token for no scope at all are the credentials
            // (or anonymous use) refused; else the user lacks these rights.
            if !scopes.is_empty()
                && self
                    .token_service_accepts(&realm, service.as_deref())
                    .await?
            {
                // Push and delete refused together tell neither apart.
                let both = |r: &String| {
                    scopes
                        .actions_on(r)
                        .is_some_and(|a| a.contains(PUSH) && a.contains(DELETE))
                };
                if !scopes.repositories().iter().any(both) {
                    self.session.note_denied(scopes, generation);
                }
                self.session.note_scopes_refused(scopes, generation);
            } else {
                self.session.mark_credentials_rejected(generation);
            }
            return Ok(None);
        }
        if !answer.is_success() {
            let status = answer.status;
            return Err(refused(AuthRefusal::TokenServiceFailed { realm, status }));
        }
        let parsed = TokenResponse::parse(&answer.body)
            .ok_or_else(|| refused(AuthRefusal::UnusableToken { realm }))?;
        let token = parsed.bearer().unwrap_or_default().to_owned();
        let lifetime_ms = parsed.lifetime_seconds().saturating_mul(1000);
        let margin = RENEW_MARGIN_MS.min(lifetime_ms / 5);
        let cached = CachedToken {
            requested: scopes.clone(),
            granted: granted_scopes(&token),
            token: token.clone(),
            renew_at: issued_at.saturating_add(lifetime_ms - margin),
        };
        // Issued to whoever was signed in when it was asked for: not kept, nor sent,
        // for anyone who signed in (or out) since.
        if !self.session.store_token(cached, generation) {
            return Ok(None);
        }
        Ok(Some(token))
    }
}

impl<C: HttpClient> HttpClient for Authenticated<C> {
    async fn pause(&self, ms: u32) {
        self.inner.pause(ms).await
    }

    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        // Credentials and tokens go to the registry's origin only: an upload
        // location or a redirect elsewhere gets the request as it is.
        if !self.session.policy().is_registry(&request.url) {
            return self.inner.send(request).await;
        }
        let needed = scope_for_request(self.session.policy().registry_base(), &request);
        let generation = self.session.generation();
        let Prepared(first, sent_token) = self.prepare(request.clone(), &needed).await?;
        let sent_credentials = first.headers.iter().any(|(n, _)| n == "Authorization");
        let response = self.inner.send(first).await?;
        if response.status != 401 {
            if sent_credentials {
                self.note_refused_write(&request, &needed, &response, generation);
            }
            return Ok(response);
        }
        let Some(header) = response.header("www-authenticate").map(str::to_owned) else {
            return Ok(response);
        };
        if let Some(challenge) = bearer_challenge(&header) {
            self.session.learn_scheme(Scheme::Bearer {
                realm: challenge.realm.clone(),
                service: challenge.service.clone(),
            });
            if let Some(token) = &sent_token {
                self.session.forget_token(token);
            }
            if self.session.sign_in_needed() {
                return Ok(response);
            }
            let wider = scopes_after_challenge(&needed, &challenge);
            let Some(token) = self.obtain_token(&wider).await? else {
                return Ok(response);
            };
            let retry = request
                .clone()
                .header("Authorization", format!("Bearer {token}"));
            let second = self.inner.send(retry).await?;
            if second.status == 401 {
                // Refused though fresh: never sent again, and no token asked for
                // this request's scope again under this sign-in (each would be
                // refused alike). No further retry.
                self.session.forget_token(&token);
                self.session.note_scopes_refused(&needed, generation);
            }
            self.note_refused_write(&request, &wider, &second, generation);
            return Ok(second);
        }
        let asks_basic = parse_challenges(&header)
            .iter()
            .any(|c| c.scheme == "basic");
        if !asks_basic {
            return Ok(response);
        }
        self.session.learn_scheme(Scheme::Basic);
        let at_base = request.url.ends_with("/v2/");
        let response = if sent_credentials {
            response
        } else {
            if at_base {
                self.session.note_base_asks_login();
            }
            match self.prepare(request.clone(), &needed).await? {
                Prepared(retry, _) if retry.headers.len() > request.headers.len() => {
                    let second = self.inner.send(retry).await?;
                    if second.status != 401 {
                        return Ok(second);
                    }
                    second
                }
                _ => return Ok(response),
            }
        };
        // The password was refused: wrong, or only not good here (a proxy may refuse
        // a repository with 401, not 403). The registry's base tells which; a base
        // that fails to answer tells neither, and the 401 is answer enough.
        let accepted = match at_base {
            true => Some(false),
            false => self.base_accepts(generation).await,
        };
        match accepted {
            Some(true) => self.session.note_denied(&needed, generation),
            Some(false) => self.session.mark_credentials_rejected(generation),
            None => {}
        }
        Ok(response)
    }
}

/// A token request that got no answer: the token service's failure, reported as
/// such, and before anything was sent to the registry (a write was not tried).
fn token_request_failed(failure: TransportFailure, realm: &str) -> TransportFailure {
    let realm = realm.to_owned();
    TransportFailure::Refused(match failure {
        TransportFailure::Network(_) => AuthRefusal::TokenServiceUnreachable { realm },
        TransportFailure::TimedOut { .. } => AuthRefusal::TokenServiceTimedOut { realm },
        // Over MAX_TOKEN_RESPONSE_BYTES, refused unread: no token in it.
        TransportFailure::TooLarge { .. } => AuthRefusal::UnusableToken { realm },
        other => return other,
    })
}

/// What to ask a token for after the registry refused a request needing `needed`
/// with `challenge`. The challenge's scope is the registry's word, and the token is
/// asked for with the user's password: least privilege, so it never adds another
/// resource (a registry must not get the console to ask for, say, push and delete
/// on a repository this request does not touch). On a plain 401 (no token sent,
/// or one expired) the request's own scope is asked for. Only `insufficient_scope`
/// for a repository the request needs adds the actions the registry names there
/// (a registry that wants `*` to delete), once. A copy's mount needs both its
/// repositories, so both are taken. The price: a registry whose plain 401 names a
/// scope other than the request's own (a proxy that renames repositories) gets a
/// token it cannot use, and the request stays refused; none of distribution,
/// Harbor, GitLab, ghcr.io or Docker Hub does so.
fn scopes_after_challenge(needed: &ScopeSet, challenge: &BearerChallenge) -> ScopeSet {
    if challenge.error.as_deref() != Some("insufficient_scope") {
        return needed.clone();
    }
    let named = ScopeSet::parse(challenge.scope.as_deref().unwrap_or(""));
    let mut wider = needed.clone();
    for repository in needed.repositories() {
        if let Some(actions) = named.actions_on(&repository) {
            wider.add(
                "repository",
                &repository,
                actions.iter().map(String::as_str),
            );
        }
    }
    wider
}

impl<C: HttpClient> Authenticated<C> {
    /// Whether the registry's base (`GET /v2/`) takes the Basic password a request
    /// of `generation` was refused with. Asked once for all the reads refused at the
    /// same moment, not again for a few seconds once it said yes, and never when the base
    /// lets anonymous users in (its yes would vouch for nothing): a wrong password
    /// goes out once more at most. `None`: the base failed to answer (a 5xx, no
    /// answer), which says nothing of the password.
    async fn base_accepts(&self, generation: u64) -> Option<bool> {
        let session = &self.session;
        // In flight as a token request for no scope: Basic asks no token service.
        let checking = ScopeSet::new();
        self.wait_for_fetch(&checking).await;
        if session.base_accepted() {
            return Some(true);
        }
        let Some(credentials) = session.credentials().filter(|_| {
            session.base_asks_login()
                && !session.sign_in_needed()
                && session.generation() == generation
        }) else {
            return Some(false);
        };
        let _in_flight = session.begin_token_fetch(&checking);
        let url = format!("{}/v2/", session.policy().registry_base());
        let check =
            Request::new(Method::Get, &url).header("Authorization", credentials.basic_header());
        let accepted = match self.inner.send(check).await {
            Ok(answer) if answer.is_success() => true,
            Ok(answer) if matches!(answer.status, 401 | 403) => false,
            _ => return None,
        };
        if accepted {
            session.note_base_accepted(generation);
        }
        Some(accepted)
    }

    /// A write the registry refused for lack of rights marks the repository
    /// read-only for this user, so the views can say so before the next try. Only a
    /// write sent with credentials or a token: a 403 to an anonymous write on a
    /// registry that asks for no login is a rule about that write (a protected tag,
    /// say), not a verdict on the user, and "sign in" would not help.
    fn note_refused_write(
        &self,
        request: &Request,
        needed: &ScopeSet,
        response: &Response,
        generation: u64,
    ) {
        let is_write = !matches!(request.method, Method::Get | Method::Head);
        let lacks_rights = response.status == 403
            || (response.status == 401
                && response
                    .header("www-authenticate")
                    .and_then(bearer_challenge)
                    .is_some_and(|c| c.error.as_deref() == Some("insufficient_scope")));
        if is_write && lacks_rights {
            self.session.note_denied(needed, generation);
        }
    }
}
