//! What signing in says: the form's outcome, a registry's login this page cannot
//! answer (a method its CORS settings hide, one this console does not offer, a login
//! that refuses the browser's preflights), and the account in the top bar.

use crate::oci::auth::SessionStatus;
use crate::oci::error::RegistryError;
use crate::oci::pagination::origin_of;

/// Whether the registry at `registry` is on another origin than this page
/// (`page_origin`, as `location.origin` gives it): only then can CORS hide headers.
pub fn is_cross_origin(registry: &str, page_origin: &str) -> bool {
    fn origin(url: &str) -> String {
        let origin = origin_of(url);
        let default_port = if origin.starts_with("https:") {
            ":443"
        } else {
            ":80"
        };
        match origin.strip_suffix(default_port) {
            Some(bare) => bare.to_owned(),
            None => origin,
        }
    }
    origin(registry) != origin(page_origin)
}

/// Why the sign-in form could send nothing to a registry that asks for a login: no
/// way to sign in was learnt from its 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSignInWay {
    /// Across origins, no `WWW-Authenticate` this page can read: the registry's CORS
    /// settings do not expose it.
    Hidden,
    /// A `WWW-Authenticate` naming no way this console signs in (Negotiate, Digest, a
    /// Bearer challenge without a realm): the header as the registry sent it.
    Unsupported(String),
    /// On this page's origin, no `WWW-Authenticate` at all.
    Unsaid,
}

/// Why a 401 from which no login method was learnt (`method_known` false) leaves
/// nothing a sign-in could send; None for any other answer, or a known method.
pub fn no_sign_in_way(
    error: &RegistryError,
    method_known: bool,
    cross_origin: bool,
) -> Option<NoSignInWay> {
    match error {
        RegistryError::Unauthorized { challenge, .. } if !method_known => {
            Some(way_missing(challenge.as_deref(), cross_origin))
        }
        _ => None,
    }
}

fn way_missing(challenge: Option<&str>, cross_origin: bool) -> NoSignInWay {
    match challenge {
        Some(header) => NoSignInWay::Unsupported(header.to_owned()),
        None if cross_origin => NoSignInWay::Hidden,
        None => NoSignInWay::Unsaid,
    }
}

/// Headline and advice for [`no_sign_in_way`] at the connection check, before any
/// form is shown: a form would only find out after the user typed a password.
pub fn no_sign_in_way_message(address: &str, way: &NoSignInWay) -> (String, String) {
    match way {
        NoSignInWay::Hidden => challenge_hidden_message(address),
        NoSignInWay::Unsupported(header) => (
            "The registry asks for a kind of sign-in this console does not offer".to_owned(),
            format!(
                "{address} asks for a sign-in (WWW-Authenticate: {}) that this console \
                 cannot give: it signs in with {OFFERED} only (Bearer with a realm, the \
                 address that issues tokens). Configure the registry, or the proxy in \
                 front of it, for one of those.",
                shown_challenge(header)
            ),
        ),
        NoSignInWay::Unsaid => (
            "The registry asks for a sign-in without saying how".to_owned(),
            format!(
                "{address} answered 401 (sign-in required) without a WWW-Authenticate \
                 header, so this console cannot tell how to sign in and has nothing to \
                 send. Check the registry's auth settings, and that no proxy in front of \
                 it drops that header."
            ),
        ),
    }
}

/// A challenge as the registry sent it, cut to a line (a header can be kilobytes).
fn shown_challenge(header: &str) -> String {
    const SHOWN_CHARS: usize = 160;
    let mut shown: String = header.chars().take(SHOWN_CHARS).collect();
    if shown.len() < header.len() {
        shown.push('…');
    }
    super::visible(&shown)
}

/// The ways this console signs in.
const OFFERED: &str = "Basic and Docker token auth";

/// Headline and advice for [`NoSignInWay::Hidden`] at the connection check.
pub fn challenge_hidden_message(address: &str) -> (String, String) {
    (
        "The registry hides how to sign in from this page (CORS)".to_owned(),
        format!(
            "{address} asks for a sign-in, but {HIDDEN}, so no user name or password can \
             be sent. Expose that header (as in the configuration below) and restart the \
             registry, or serve this console from the registry's own address behind a \
             reverse proxy."
        ),
    )
}

/// Whether a registry that fails this page's requests across origins, though
/// something answers there, refuses the browser's preflights for want of a login: a
/// GET that needs no preflight came back readable with 401 (`status`; None: no
/// readable answer), so its CORS headers do allow this page. distribution answers
/// every OPTIONS preflight with 401 once it has a login (distribution#4458), and no
/// CORS setting of its own changes that.
pub fn login_refuses_preflight(status: Option<u16>) -> bool {
    status == Some(401)
}

/// Headline and advice for [`login_refuses_preflight`]: the fix is one origin, not a
/// CORS header (the registry allows the page at `page_origin` already).
pub fn login_refuses_preflight_message(address: &str, page_origin: &str) -> (String, String) {
    (
        "The registry asks for a login, so pages from other origins cannot use it".to_owned(),
        format!(
            "{address} sends CORS headers that allow this page, but it asks for a login and \
             answers the browser's preflight (OPTIONS, sent before every request that \
             carries a sign-in or this console's Accept header) with 401, as distribution \
             does with htpasswd or token auth. No CORS setting of distribution can change \
             that, so a page from another origin, as this one on {page_origin}, cannot use \
             it directly. Serve this console from the registry's own address behind a \
             reverse proxy, as below. Or put a front before the registry that answers the \
             preflights itself (deploy/nginx/cors-front.conf.template) and connect to the \
             front. (Another registry may answer its preflights once its CORS settings \
             allow the Authorization and Accept request headers without a login.)"
        ),
    )
}

const HIDDEN: &str = "its CORS settings do not let this page read the WWW-Authenticate \
                      header that says how (Access-Control-Expose-Headers: WWW-Authenticate)";

/// How the sign-in form's check of the registry (`/v2/`, with the new credentials)
/// came out, and what the page knows around it.
pub struct SignInCheck<'a> {
    pub result: Result<(), &'a RegistryError>,
    /// The registry or its token service refused the credentials.
    pub rejected: bool,
    /// The registry said how to sign in (Basic or a token service): else nothing
    /// carried the credentials.
    pub method_known: bool,
    pub cross_origin: bool,
    /// After a network failure: the registry still answers this page without
    /// credentials, so the request that carried them is what failed.
    pub answers_anonymously: bool,
}

/// The form's headline and advice when the sign-in did not work (None: it did).
pub fn sign_in_failure(registry: &str, check: &SignInCheck) -> Option<(String, String)> {
    // No method known: nothing carried the credentials, whatever came back.
    let not_sent = match check.result {
        _ if check.method_known => None,
        Ok(()) => Some(way_missing(None, check.cross_origin)),
        Err(error) => no_sign_in_way(error, false, check.cross_origin),
    };
    let (headline, advice) = if check.rejected {
        (
            "Wrong user name or password",
            "The registry did not accept this user name and password (or access token). \
             Check them and try again."
                .to_owned(),
        )
    } else if let Some(way) = not_sent {
        let advice = match way {
            NoSignInWay::Unsupported(_) => format!(
                "{registry} asks for a kind of sign-in this console does not offer (only \
                 {OFFERED}), so nothing was sent."
            ),
            NoSignInWay::Hidden => format!(
                "{registry} did not say how to sign in where this page can read it: \
                 {HIDDEN}. Nothing was sent; add the header, then sign in again."
            ),
            NoSignInWay::Unsaid => format!(
                "{registry} asks for a sign-in without saying how (no WWW-Authenticate \
                 header), so nothing was sent. Check the registry's auth settings."
            ),
        };
        (NOT_SENT, advice)
    } else {
        match check.result {
            Ok(()) => return None,
            // Only the request that carried the credentials failed.
            Err(RegistryError::Network { .. })
                if check.answers_anonymously && check.method_known =>
            {
                (
                    "The browser would not send the sign-in (CORS)",
                    format!(
                        "{registry} answers this page without a sign-in but not with one: its \
                     CORS settings (or its CORS front's) must allow the Authorization request \
                     header (Access-Control-Allow-Headers: Authorization) and answer the \
                     OPTIONS preflight without asking for a login. Or serve this console \
                     from the registry's own address."
                    ),
                )
            }
            Err(error) => {
                let message = super::error(error);
                return Some((message.headline, message.advice));
            }
        }
    };
    Some((headline.to_owned(), advice))
}

const NOT_SENT: &str = "The sign-in could not be sent";

/// The account in the top bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountBadge {
    /// "Signed in as <user>", with Sign out.
    SignedIn(String),
    /// Why nobody is (or the sign-in no longer counts), with Sign in.
    SignIn(String),
}

/// What the top bar says of the sign-in; None before the registry asked for one.
pub fn account_badge(status: &SessionStatus) -> Option<AccountBadge> {
    match &status.username {
        // Requests go out anonymously from then on: saying "Signed in" would hide it.
        Some(user) if status.credentials_rejected => Some(AccountBadge::SignIn(format!(
            "{user}'s sign-in is no longer accepted"
        ))),
        Some(user) => Some(AccountBadge::SignedIn(user.clone())),
        None if status.login_seen || status.failed_sign_in.is_some() => Some(AccountBadge::SignIn(
            status
                .failed_sign_in
                .clone()
                .unwrap_or_else(|| "Not signed in".to_owned()),
        )),
        None => None,
    }
}
