//! Who may talk to the node: a `Host` and `Origin` allowlist applied to
//! every HTTP request and WebSocket upgrade, before any JSON is read.
//!
//! - `Host` must name this machine (`localhost`, `127.0.0.0/8`, `[::1]`, the
//!   address the node listens on) or a configured host: a web page that
//!   rebinds its own DNS name to 127.0.0.1 still sends its own name, and is
//!   refused.
//! - `Origin`, when a browser sends one, must be a loopback origin
//!   (`http://localhost:3000`, `http://127.0.0.1:5173`, …) or a configured
//!   one: any other web page the user visits cannot use the node.
//! - Requests without `Origin` (curl, cast, cargo-stylus, alloy) pass.
//!
//! The layer marks each request with [`LocalOrigin`], which `eth_sendTransaction`
//! (signing with the dev keys) requires even when other origins are allowed.

use std::{
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use tower::{Layer, Service};

/// Whether a request came from this machine: no browser origin, or a
/// loopback one. Inserted into every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalOrigin(pub bool);

/// The allowed hosts and origins.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    listen: Option<IpAddr>,
    hosts: Vec<String>,
    origins: Vec<String>,
}

/// The host part of `authority` (`host`, `host:port`, `[v6]:port`), lowercase.
fn host_of(authority: &str) -> Option<String> {
    let authority = authority.trim();
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split_once(']')?.0
    } else {
        match authority.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => authority,
        }
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether `host` names the loopback interface.
fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Allowlist {
    /// Loopback plus `listen`'s address plus `hosts` / `origins` (`*` in
    /// either list allows everything of that kind).
    pub fn new(listen: SocketAddr, hosts: &[String], origins: &[String]) -> Self {
        let ip = listen.ip();
        Self {
            listen: (!ip.is_unspecified()).then_some(ip),
            hosts: hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            origins: origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a `Host` header value is allowed.
    pub fn host_allowed(&self, authority: &str) -> bool {
        let Some(host) = host_of(authority) else {
            return false;
        };
        is_loopback_host(&host)
            || self
                .listen
                .is_some_and(|ip| host.parse::<IpAddr>().is_ok_and(|h| h == ip))
            || self
                .hosts
                .iter()
                .any(|h| h == "*" || *h == host || *h == authority.to_ascii_lowercase())
    }

    /// Whether an `Origin` header value is a loopback origin.
    pub fn is_local_origin(origin: &str) -> bool {
        let origin = origin.trim().to_ascii_lowercase();
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false;
        };
        matches!(scheme, "http" | "https" | "ws" | "wss")
            && host_of(rest.split('/').next().unwrap_or_default())
                .is_some_and(|h| is_loopback_host(&h))
    }

    /// Whether an `Origin` header value is allowed.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let normalized = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        Self::is_local_origin(origin) || self.origins.iter().any(|o| o == "*" || *o == normalized)
    }
}

/// The tower layer that applies an [`Allowlist`].
#[derive(Debug, Clone)]
pub struct AccessLayer(Arc<Allowlist>);

impl AccessLayer {
    /// A layer applying `allowlist`.
    pub fn new(allowlist: Allowlist) -> Self {
        Self(Arc::new(allowlist))
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = Access<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Access {
            inner,
            allow: Arc::clone(&self.0),
        }
    }
}

/// The service [`AccessLayer`] wraps around the server.
#[derive(Debug, Clone)]
pub struct Access<S> {
    inner: S,
    allow: Arc<Allowlist>,
}

fn forbidden(why: String) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(why));
    *response.status_mut() = http::StatusCode::FORBIDDEN;
    response
}

impl<S, B> Service<HttpRequest<B>> for Access<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: HttpRequest<B>) -> Self::Future {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().map(str::to_string).unwrap_or_default())
        };
        // HTTP/2 carries the authority in the URI instead of a Host header.
        let host = header("host").or_else(|| request.uri().authority().map(ToString::to_string));
        let origin = header("origin");
        let refusal = match (&host, &origin) {
            (None, _) => Some("a Host header is required\n".to_string()),
            (Some(h), _) if !self.allow.host_allowed(h) => Some(format!(
                "Host {h} is not allowed (loopback only; see --allow-host)\n"
            )),
            (_, Some(o)) if !self.allow.origin_allowed(o) => Some(format!(
                "Origin {o} is not allowed (loopback only; see --allow-origin)\n"
            )),
            _ => None,
        };
        if let Some(why) = refusal {
            return Box::pin(async move { Ok(forbidden(why)) });
        }
        let local = origin.as_deref().is_none_or(Allowlist::is_local_origin);
        request.extensions_mut().insert(LocalOrigin(local));
        Box::pin(self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(hosts: &[&str], origins: &[&str]) -> Allowlist {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        Allowlist::new(
            SocketAddr::from(([127, 0, 0, 1], 8547)),
            &own(hosts),
            &own(origins),
        )
    }

    #[test]
    fn loopback_hosts_pass_and_rebound_names_do_not() {
        let a = list(&[], &[]);
        for ok in [
            "localhost:8547",
            "127.0.0.1:8547",
            "127.1.2.3",
            "[::1]:8547",
            "LOCALHOST",
        ] {
            assert!(a.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.example:8547", "10.0.0.1:8547", "", "[::2]:1"] {
            assert!(!a.host_allowed(bad), "{bad}");
        }
        assert!(list(&["devbox.lan"], &[]).host_allowed("devbox.lan:8547"));
    }

    #[test]
    fn only_loopback_or_listed_origins_pass() {
        let a = list(&[], &["https://app.example"]);
        assert!(a.origin_allowed("http://localhost:3000"));
        assert!(a.origin_allowed("http://127.0.0.1:5173"));
        assert!(a.origin_allowed("https://app.example/"));
        assert!(!a.origin_allowed("https://evil.example"));
        assert!(!a.origin_allowed("null"));
        assert!(!a.origin_allowed("http://localhost.evil.example"));
        assert!(!Allowlist::is_local_origin("https://app.example"));
        assert!(list(&[], &["*"]).origin_allowed("https://anything.example"));
    }
}
