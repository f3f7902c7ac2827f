//! The web workspace: the assets of [`labelmint_web`] (embedded in the
//! binary) at `/`, `/favicon.svg` and `/assets/*`. The interface routes by
//! the URL's fragment (`/#/jobs/3`), so these three are all it needs.
//!
//! Every page carries a Content-Security-Policy that lets it load and
//! connect only to this server: nothing comes from a CDN, and the
//! workspace works offline.

use axum::{
    extract::Path,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

/// The policy: scripts, styles, images and connections from this origin
/// only (images also as `blob:`/`data:` URLs the page makes itself).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn asset(path: &str) -> Response {
    let Some((bytes, content_type)) = labelmint_web::get(path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut resp = bytes.into_owned().into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Names are stable across builds: revalidate rather than cache blindly.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if content_type.starts_with("text/html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    }
    resp
}

/// `/`, `/index.html`, `/favicon.svg` and `/assets/{file}`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { asset("index.html") }))
        .route("/index.html", get(|| async { asset("index.html") }))
        .route("/favicon.svg", get(|| async { asset("favicon.svg") }))
        .route(
            "/assets/{*file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
}
