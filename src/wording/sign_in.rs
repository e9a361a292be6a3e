//! What signing in says: the form's outcome, a login method the registry's CORS
//! settings hide from this page, and the account in the top bar.

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

/// A 401 whose `WWW-Authenticate` this page could not read, from a registry on
/// another origin, with no login method known yet: its CORS settings do not expose
/// the header, so no sign-in can ever be sent.
pub fn challenge_hidden(error: &RegistryError, method_known: bool, cross_origin: bool) -> bool {
    cross_origin
        && !method_known
        && matches!(
            error,
            RegistryError::Unauthorized {
                challenge: None,
                ..
            }
        )
}

/// Headline and advice for [`challenge_hidden`] at the connection check.
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
    let not_sent = !check.method_known
        && matches!(
            check.result,
            Ok(()) | Err(RegistryError::Unauthorized { .. })
        );
    let (headline, advice) = if check.rejected {
        (
            "Wrong user name or password",
            "The registry did not accept this user name and password (or access token). \
             Check them and try again."
                .to_owned(),
        )
    } else if not_sent
        && matches!(
            check.result,
            Err(RegistryError::Unauthorized {
                challenge: Some(_),
                ..
            })
        )
    {
        (
            NOT_SENT,
            format!(
                "{registry} asks for a kind of sign-in this console does not offer (only \
                 Basic and Docker token auth), so nothing was sent."
            ),
        )
    } else if not_sent && check.cross_origin {
        (
            NOT_SENT,
            format!(
                "{registry} did not say how to sign in where this page can read it: \
                 {HIDDEN}. Nothing was sent; add the header, then sign in again."
            ),
        )
    } else if not_sent {
        (
            NOT_SENT,
            format!(
                "{registry} asks for a sign-in without saying how (no WWW-Authenticate \
                 header), so nothing was sent. Check the registry's auth settings."
            ),
        )
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
