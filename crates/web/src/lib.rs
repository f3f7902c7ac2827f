//! # labelmint-web
//!
//! The browser workspace of labelmint (annotators, creators, buyers) as
//! static assets embedded in the binary: no CDN, works offline.
//!
//! The TypeScript sources in `ui/` are bundled by esbuild (`build.mjs`)
//! when this crate is built: `build.rs` runs `npm ci` once (when
//! `node_modules` is missing or older than `package-lock.json`) and then
//! `node build.mjs`, and embeds what it wrote. Building therefore needs
//! Node.js ≥ 18 and npm with access to the npm registry the first time.
//! `LABELMINT_WEB_DIST=DIR` embeds a bundle built elsewhere instead.
//!
//! At run time `LABELMINT_WEB_DIR=DIR` serves the files of `DIR` (say,
//! `crates/web/dist` rebuilt by `npm run build`) instead of the embedded
//! ones, so the interface can be changed without rebuilding the binary.

use std::borrow::Cow;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its path below the site root, without a leading slash (`app.js`).
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Every embedded file.
pub fn assets() -> &'static [Asset] {
    ASSETS
}

/// The `Content-Type` of a file name by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The file at `path` (no leading slash; empty for `index.html`): from
/// `LABELMINT_WEB_DIR` when that is set, else embedded. Paths leaving the
/// site root are refused.
pub fn get(path: &str) -> Option<(Cow<'static, [u8]>, &'static str)> {
    let path = if path.is_empty() { "index.html" } else { path };
    if path
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == ".." || p.contains('\\'))
    {
        return None;
    }
    if let Some(dir) = std::env::var_os("LABELMINT_WEB_DIR") {
        let file = std::path::Path::new(&dir).join(path);
        return std::fs::read(file)
            .ok()
            .map(|b| (Cow::Owned(b), content_type(path)));
    }
    ASSETS
        .iter()
        .find(|a| a.path == path)
        .map(|a| (Cow::Borrowed(a.bytes), a.content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_has_index_script_and_styles() {
        let index = get("").expect("index.html is embedded");
        assert_eq!(index.1, "text/html; charset=utf-8");
        let html = std::str::from_utf8(&index.0).unwrap();
        assert!(
            html.contains("app.js") && html.contains("app.css"),
            "{html}"
        );
        assert!(get("app.js").is_some_and(|(b, _)| b.len() > 1000));
        assert!(get("app.css").is_some());
    }

    #[test]
    fn paths_leaving_the_site_root_are_refused() {
        for p in ["../Cargo.toml", "a/../../x", "/etc/passwd", "a//b", "..\\x"] {
            assert!(get(p).is_none(), "{p}");
        }
    }

    #[test]
    fn bundle_loads_nothing_from_other_hosts() {
        for a in assets() {
            if a.content_type.starts_with("text/html") || a.content_type.starts_with("text/css") {
                let text = std::str::from_utf8(a.bytes).unwrap();
                assert!(
                    !text.contains("http://") && !text.contains("https://"),
                    "{}",
                    a.path
                );
            }
        }
    }
}
