//! A session as one HTTP request carries it: who is calling and from where, and the cookies a
//! browser keeps the tokens in. The server's session layer resolves these once per request; REST
//! handlers, WebSockets and server functions only read them. They live here, beside the
//! accounts that issue the tokens, so that the server and `app` share them without either
//! depending on the other, and so the cookies are written the same way by a log-in page and by
//! the layer that refreshes them.

use super::tokens::{ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME};
use crate::caller::{Caller, ClientInfo};

pub const ACCESS_COOKIE: &str = "webrana_access";
pub const REFRESH_COOKIE: &str = "webrana_refresh";

/// Who is calling, if anyone: put in the request's extensions by the session layer.
#[derive(Clone, Debug, Default)]
pub struct Authenticated(pub Option<Caller>);

/// Where the request came from: put in the request's extensions by the session layer.
#[derive(Clone, Debug, Default)]
pub struct RequestClient(pub ClientInfo);

/// Whether the site is served over https (off only for plain-HTTP development), which decides
/// how the session cookies are named and flagged: given to server functions through context, as
/// they set the cookies of a log-in or log-out.
#[derive(Clone, Copy, Debug, Default)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    /// The access and refresh cookies' names. Over https they carry the `__Host-` prefix: a
    /// browser accepts such a cookie only from this very host, `Secure` and for `Path=/`, so a
    /// page on a sibling subdomain (or a plain-http answer) cannot plant a session of its own
    /// choosing, and the server reads no cookie by the unprefixed name.
    pub fn names(self) -> [&'static str; 2] {
        if self.secure {
            [HOST_ACCESS_COOKIE, HOST_REFRESH_COOKIE]
        } else {
            [ACCESS_COOKIE, REFRESH_COOKIE]
        }
    }
}

const HOST_ACCESS_COOKIE: &str = "__Host-webrana_access";
const HOST_REFRESH_COOKIE: &str = "__Host-webrana_refresh";

/// The `Set-Cookie` values that carry a session; empty tokens clear it. Each cookie lives as
/// long as its token, so the browser drops the access token when the server would refuse it.
pub fn session_cookies(access: &str, refresh: &str, policy: CookiePolicy) -> [String; 2] {
    let (access_age, refresh_age) = if access.is_empty() {
        (0, 0)
    } else {
        (
            ACCESS_TOKEN_LIFETIME.num_seconds(),
            REFRESH_TOKEN_LIFETIME.num_seconds(),
        )
    };
    let secure = if policy.secure { "; Secure" } else { "" };
    let [access_name, refresh_name] = policy.names();
    [
        format!(
            "{access_name}={access}; Path=/; HttpOnly; SameSite=Lax; Max-Age={access_age}{secure}"
        ),
        format!(
            "{refresh_name}={refresh}; Path=/; HttpOnly; SameSite=Lax; Max-Age={refresh_age}{secure}"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_live_as_long_as_their_tokens_and_empty_ones_clear_the_session() {
        let [access, refresh] = session_cookies("a", "r", CookiePolicy { secure: true });
        assert_eq!(
            access,
            "__Host-webrana_access=a; Path=/; HttpOnly; SameSite=Lax; Max-Age=900; Secure"
        );
        assert_eq!(
            refresh,
            "__Host-webrana_refresh=r; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure"
        );
        let [plain, _] = session_cookies("a", "r", CookiePolicy { secure: false });
        assert_eq!(
            plain,
            "webrana_access=a; Path=/; HttpOnly; SameSite=Lax; Max-Age=900"
        );
        let cleared = session_cookies("", "", CookiePolicy::default());
        assert!(cleared.iter().all(|cookie| cookie.ends_with("Max-Age=0")));
    }
}
