//! Who is calling, resolved once per request for pages, server functions, REST and WebSockets
//! alike: a `Bearer` token for API clients, or the session cookies for browsers (refreshed here
//! when the access token has expired). Cookie-authenticated writes must come from our own origin.

use std::net::SocketAddr;

use app::auth::server::{
    ACCESS_COOKIE, Authenticated, REFRESH_COOKIE, RequestClient, session_cookies,
};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    self, AUTHORIZATION, COOKIE, HOST, ORIGIN, REFERER, SET_COOKIE, USER_AGENT,
};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::accounts::ClientInfo;
use domain::error::Code;

use crate::api::ApiError;
use crate::router::ServerState;

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

fn client_info(request: &Request) -> ClientInfo {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let user_agent = request
        .headers()
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    ClientInfo { ip, user_agent }
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
    let client = client_info(&request);
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
    let access_cookie = cookie(headers, ACCESS_COOKIE).map(str::to_owned);
    let refresh_cookie = cookie(headers, REFRESH_COOKIE).map(str::to_owned);
    let cookie_auth =
        bearer_token.is_none() && (access_cookie.is_some() || refresh_cookie.is_some());
    if writes && cookie_auth && !same_origin(headers, &state.web.public_url) {
        tracing::warn!(ip = %client.ip, path = %request.uri().path(), "cross-origin write with session cookies refused");
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
                    state.web.secure_cookies,
                ));
                caller
            }
            // A dead refresh token: clear the cookies so the browser stops sending them.
            Err(_) => {
                refreshed = Some(session_cookies("", "", state.web.secure_cookies));
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

    #[test]
    fn cookies_and_bearer_tokens_are_found() {
        let h = headers(&[
            ("cookie", "lang=en; webrana_access=abc"),
            ("authorization", "Bearer xyz"),
        ]);
        assert_eq!(cookie(&h, ACCESS_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, REFRESH_COOKIE), None);
        assert_eq!(bearer(&h), Some("xyz"));
    }
}
