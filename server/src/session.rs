//! Who is calling, resolved once per request for pages, server functions, REST and WebSockets
//! alike: a `Bearer` token for API clients, or the session cookies for browsers (refreshed here
//! when the access token has expired). Cookie-authenticated writes must come from our own origin.
//!
//! Handlers take what was resolved through the extractors [`SignedIn`], [`Admin`] and [`Client`];
//! server functions read the same request extensions through `app::auth::server`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{
    self, AUTHORIZATION, COOKIE, FORWARDED, HOST, ORIGIN, REFERER, SET_COOKIE, USER_AGENT,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::accounts::Role;
use domain::accounts::request::{Authenticated, CookiePolicy, RequestClient, session_cookies};
use domain::caller::{Caller, ClientInfo};
use domain::error::Code;
use ipnet::IpNet;

use crate::api::error::ApiError;
use crate::state::ServerState;

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn client_info(request: &Request, trusted_proxies: &[IpNet]) -> ClientInfo {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let ip = match peer {
        Some(peer) => client_ip(peer, request.headers(), trusted_proxies).to_string(),
        None => "unknown".to_owned(),
    };
    let user_agent = request
        .headers()
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    ClientInfo { ip, user_agent }
}

/// Who is asking: the peer, or, when the peer is one of our proxies, the address the proxies
/// were reached from. That is the right-most address in `Forwarded` (or, without it,
/// `X-Forwarded-For`) that is not one of ours: each proxy appends the address it saw, so what
/// stands further left was written by the client and may be made up. Anyone else's forwarding
/// headers are ignored.
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return peer;
    }
    let forwarded = forwarded_for(headers);
    let mut nearest = peer;
    for hop in forwarded.iter().rev() {
        match hop {
            Some(ip) if trusted(ip) => nearest = *ip,
            Some(ip) => return *ip,
            // Hidden or garbled: nothing further left can be vouched for.
            None => break,
        }
    }
    nearest
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The addresses a request passed through, oldest first, as the proxies wrote them (`None`
/// for an entry that is not an address).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|hop| !hop.is_empty())
            .collect::<Vec<&str>>()
    };
    let rfc7239 = values(FORWARDED);
    if !rfc7239.is_empty() {
        return rfc7239
            .into_iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(key, _)| key.eq_ignore_ascii_case("for"))
                    .and_then(|(_, node)| node_address(node.trim_matches('"')))
            })
            .collect();
    }
    values(X_FORWARDED_FOR)
        .into_iter()
        .map(node_address)
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|addr| addr.ip())
}

/// A write carried by cookies must say it comes from our own pages: the `Origin` (or, failing
/// that, the `Referer`) must be the public URL or the host the request was sent to.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let claimed = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|value| value.to_str().ok());
    let Some(claimed) = claimed else { return false };
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let origin_of = |url: &str| -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let authority = rest.split('/').next().unwrap_or("");
        format!("{scheme}://{authority}")
    };
    let claimed = origin_of(claimed);
    claimed == origin_of(public_url)
        || (!host.is_empty()
            && (claimed == format!("http://{host}") || claimed == format!("https://{host}")))
}

pub async fn session_layer(
    State(state): State<ServerState>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = client_info(&request, &state.web.trusted_proxies);
    let headers = request.headers();
    // A WebSocket opened with cookies is checked like a write: another site's page must not
    // open one in the user's name.
    let websocket = headers
        .get(header::UPGRADE)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let writes = websocket
        || !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
    let bearer_token = bearer(headers).map(str::to_owned);
    let cookies = CookiePolicy {
        secure: state.web.secure_cookies,
    };
    let [access_name, refresh_name] = cookies.names();
    let access_cookie = cookie(headers, access_name).map(str::to_owned);
    let refresh_cookie = cookie(headers, refresh_name).map(str::to_owned);
    let cookie_auth =
        bearer_token.is_none() && (access_cookie.is_some() || refresh_cookie.is_some());
    // A browser says where a write comes from (it always sends `Origin` with a POST); a program
    // sends no such header and must then use a bearer token to act as anyone. So a write that
    // names another site is refused with or without cookies: a cross-site form must not even
    // log a visitor in (to an account of the attacker's choosing).
    let names_a_site = headers.contains_key(ORIGIN) || headers.contains_key(REFERER);
    let checked = writes && bearer_token.is_none() && (cookie_auth || names_a_site);
    if checked && !same_origin(headers, &state.web.public_url) {
        tracing::warn!(ip = %client.ip, path = %request.uri().path(), "cross-origin write refused");
        return ApiError::new(
            Code::Csrf,
            "this request must come from a Webrana Cloud page",
        )
        .into_response();
    }

    let accounts = &state.app.accounts;
    let mut refreshed = None;
    let caller = match (bearer_token, access_cookie) {
        (Some(token), _) => accounts.authenticate(&token).await.ok(),
        (None, Some(token)) => accounts.authenticate(&token).await.ok(),
        (None, None) => None,
    };
    let caller = match (caller, refresh_cookie) {
        (Some(caller), _) => Some(caller),
        (None, Some(refresh)) if cookie_auth => match accounts.refresh(&refresh, &client).await {
            Ok(tokens) => {
                let caller = accounts.authenticate(&tokens.access_token).await.ok();
                refreshed = Some(session_cookies(
                    &tokens.access_token,
                    &tokens.refresh_token,
                    cookies,
                ));
                caller
            }
            // A dead refresh token: clear the cookies so the browser stops sending them.
            Err(_) => {
                refreshed = Some(session_cookies("", "", cookies));
                None
            }
        },
        (None, _) => None,
    };

    request.extensions_mut().insert(Authenticated(caller));
    request.extensions_mut().insert(RequestClient(client));
    let mut response = next.run(request).await;
    for cookie in refreshed.into_iter().flatten() {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The signed-in caller; a request without a valid session is refused with 401
/// `unauthenticated` before the handler runs.
#[derive(Debug)]
pub struct SignedIn(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // No `Authenticated` at all means a route outside the session layer: nobody, not a 500.
        parts
            .extensions
            .get::<Authenticated>()
            .and_then(|Authenticated(caller)| caller.clone())
            .map(Self)
            .ok_or_else(|| {
                ApiError::new(
                    Code::Unauthenticated,
                    "sign in or send a valid Bearer token",
                )
            })
    }
}

/// A signed-in admin: 401 `unauthenticated` without a session, 403 `forbidden` for anyone else.
/// The domain's admin functions check the role again; this refuses before any body is read.
#[derive(Debug)]
pub struct Admin(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let SignedIn(caller) = SignedIn::from_request_parts(parts, state).await?;
        if caller.role == Role::Admin {
            Ok(Self(caller))
        } else {
            Err(ApiError::new(Code::Forbidden, "admins only"))
        }
    }
}

/// Where the request came from (address and user agent), for rate limits, sessions and audit.
#[derive(Debug)]
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // Rate limits key on the address, so a route outside the session layer must fail
        // rather than have every request share one made-up client.
        match parts.extensions.get::<RequestClient>() {
            Some(RequestClient(client)) => Ok(Self(client.clone())),
            None => {
                tracing::error!(path = %parts.uri.path(), "a route outside the session layer asked who the client is");
                Err(ApiError::new(
                    Code::Internal,
                    "something went wrong on our side; please try again",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn origin_must_match_the_public_url_or_the_host() {
        let public = "https://webrana.id";
        assert!(same_origin(
            &headers(&[("origin", "https://webrana.id")]),
            public
        ));
        assert!(same_origin(
            &headers(&[("referer", "https://webrana.id/login?x=1")]),
            public
        ));
        assert!(same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://webrana.id.evil.example")]),
            public
        ));
        assert!(!same_origin(&headers(&[]), public));
    }

    /// A request's parts as the session layer leaves them for a handler, with `caller`.
    fn resolved(caller: Option<Caller>) -> Parts {
        let mut parts = outside_the_session_layer();
        parts.extensions.insert(Authenticated(caller));
        parts
    }

    /// A request's parts from a route outside the session layer.
    fn outside_the_session_layer() -> Parts {
        axum::http::Request::new(()).into_parts().0
    }

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: 7,
            session_id: 1,
            role,
            email_verified: true,
        }
    }

    /// The status and error code `T` refuses `parts` with.
    async fn refusal<T: FromRequestParts<(), Rejection = ApiError>>(
        mut parts: Parts,
    ) -> (u16, String) {
        let Err(rejection) = T::from_request_parts(&mut parts, &()).await else {
            panic!("the extractor let the request through");
        };
        let response = rejection.into_response();
        let status = response.status().as_u16();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        (status, body["error"]["code"].as_str().unwrap().to_owned())
    }

    #[tokio::test]
    async fn signed_in_needs_a_caller() {
        let customer = caller(Role::Customer);
        let SignedIn(found) =
            SignedIn::from_request_parts(&mut resolved(Some(customer.clone())), &())
                .await
                .unwrap();
        assert_eq!(found, customer);
        for parts in [resolved(None), outside_the_session_layer()] {
            let refused = refusal::<SignedIn>(parts).await;
            assert_eq!(refused, (401, "unauthenticated".to_owned()));
        }
    }

    #[tokio::test]
    async fn admin_refuses_nobody_with_401_and_customers_with_403() {
        let admin = caller(Role::Admin);
        let Admin(found) = Admin::from_request_parts(&mut resolved(Some(admin.clone())), &())
            .await
            .unwrap();
        assert_eq!(found, admin);
        let nobody = refusal::<Admin>(resolved(None)).await;
        assert_eq!(nobody, (401, "unauthenticated".to_owned()));
        let customer = refusal::<Admin>(resolved(Some(caller(Role::Customer)))).await;
        assert_eq!(customer, (403, "forbidden".to_owned()));
    }

    fn forwarded_from(peer: &str, headers_: &[(&'static str, &str)]) -> String {
        let proxies: Vec<IpNet> = ["10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|net| net.parse().unwrap())
            .collect();
        client_ip(peer.parse().unwrap(), &headers(headers_), &proxies).to_string()
    }

    #[test]
    fn only_our_proxies_say_who_the_client_is() {
        let spoofed = [("x-forwarded-for", "198.51.100.1")];
        assert_eq!(
            forwarded_from("203.0.113.9", &spoofed),
            "203.0.113.9",
            "not a proxy of ours"
        );
        assert_eq!(forwarded_from("10.1.2.3", &spoofed), "198.51.100.1");
        assert_eq!(
            forwarded_from("10.1.2.3", &[]),
            "10.1.2.3",
            "nothing forwarded"
        );
        // What the client wrote itself stands left of what our proxies appended.
        let chain = [("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.9.9.9")];
        assert_eq!(forwarded_from("10.1.2.3", &chain), "203.0.113.9");
        let two_headers = [
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(forwarded_from("10.1.2.3", &two_headers), "203.0.113.9");
        let garbled = [("x-forwarded-for", "203.0.113.9, not-an-address, 10.9.9.9")];
        assert_eq!(
            forwarded_from("10.1.2.3", &garbled),
            "10.9.9.9",
            "nothing left of garbage is believed"
        );
        assert_eq!(
            forwarded_from("::ffff:10.1.2.3", &spoofed),
            "198.51.100.1",
            "an IPv4 peer seen as IPv6"
        );
    }

    #[test]
    fn the_standard_forwarded_header_is_read_first() {
        let both = [
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.1",
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ];
        assert_eq!(forwarded_from("fd00::5", &both), "2001:db8:cafe::17");
        let with_port = [("forwarded", "For=192.0.2.60:8080")];
        assert_eq!(forwarded_from("10.0.0.2", &with_port), "192.0.2.60");
        let hidden = [("forwarded", "for=_hidden")];
        assert_eq!(forwarded_from("10.0.0.2", &hidden), "10.0.0.2");
    }

    #[test]
    fn cookies_and_bearer_tokens_are_found() {
        let h = headers(&[
            ("cookie", "lang=en; webrana_access=abc"),
            ("authorization", "Bearer xyz"),
        ]);
        assert_eq!(cookie(&h, "webrana_access"), Some("abc"));
        assert_eq!(cookie(&h, "webrana_refresh"), None);
        assert_eq!(bearer(&h), Some("xyz"));
    }
}
