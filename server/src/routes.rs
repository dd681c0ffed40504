//! A router that lists what it routes. axum cannot say which paths and methods a router
//! answers; the authorization matrix test must know every one of them, including routes added
//! later, so the REST API, the sockets and the probes are routed through [`Routes`], which
//! keeps the list as it builds the router. (Pages and server functions come with their own
//! lists from Leptos; `router::endpoints` puts the three together.)

use std::convert::Infallible;

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, Route};
use tower::{Layer, Service};

use crate::state::ServerState;

/// What kind of thing answers an endpoint; each has its own way of saying "not for you".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A route of our own: the REST API, a socket, a probe, a crawler file.
    Route,
    /// A server-rendered page.
    Page,
    /// A Leptos server function.
    ServerFn,
}

/// One method on one path, as the router matches it (`/api/v1/orders/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub kind: Kind,
    pub method: Method,
    pub path: String,
}

/// An axum [`Router`] and the list of its endpoints, built together so they cannot disagree.
#[derive(Default)]
pub struct Routes {
    router: Router<ServerState>,
    endpoints: Vec<Endpoint>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `path` to `methods`, as [`Router::route`] does.
    pub fn route(mut self, path: &str, methods: Methods) -> Self {
        self.router = self.router.route(path, methods.router);
        self.endpoints
            .extend(methods.methods.into_iter().map(|method| Endpoint {
                kind: Kind::Route,
                method,
                path: path.to_owned(),
            }));
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.endpoints.extend(other.endpoints);
        self
    }

    /// Wraps every route so far in `layer`, as [`Router::layer`] does.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub fn into_router(self) -> Router<ServerState> {
        self.router
    }
}

/// The handlers of one path by method, as axum's [`MethodRouter`], remembering the methods.
pub struct Methods {
    router: MethodRouter<ServerState>,
    methods: Vec<Method>,
}

macro_rules! method {
    ($name:ident, $filter:ident) => {
        #[doc = concat!("Answers `", stringify!($filter), "` with `handler`.")]
        pub fn $name<H, T>(handler: H) -> Methods
        where
            H: Handler<T, ServerState>,
            T: 'static,
        {
            Methods {
                router: MethodRouter::new(),
                methods: Vec::new(),
            }
            .$name(handler)
        }

        impl Methods {
            #[doc = concat!("Also answers `", stringify!($filter), "` with `handler`.")]
            pub fn $name<H, T>(mut self, handler: H) -> Self
            where
                H: Handler<T, ServerState>,
                T: 'static,
            {
                self.router = self.router.on(MethodFilter::$filter, handler);
                self.methods.push(Method::$filter);
                self
            }
        }
    };
}

method!(get, GET);
method!(post, POST);
method!(put, PUT);
method!(delete, DELETE);

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer() -> &'static str {
        "ok"
    }

    #[test]
    fn every_method_of_every_path_is_listed_once() {
        let routes = Routes::new()
            .route("/a", get(answer).post(answer))
            .merge(Routes::new().route("/b/{id}", delete(answer).put(answer)));
        let listed: Vec<_> = routes
            .endpoints()
            .iter()
            .map(|endpoint| (endpoint.method.as_str(), endpoint.path.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("GET", "/a"),
                ("POST", "/a"),
                ("DELETE", "/b/{id}"),
                ("PUT", "/b/{id}")
            ]
        );
    }
}
