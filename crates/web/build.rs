//! Bundles the TypeScript workspace with esbuild and embeds the result.
//!
//! `npm ci` runs when `node_modules` is missing or older than
//! `package-lock.json`; then `node build.mjs --outdir $OUT_DIR/web`.
//! `LABELMINT_WEB_DIST=DIR` embeds a bundle built elsewhere instead (for
//! machines without Node.js).

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| {
        panic!(
            "labelmint-web: cannot run {what}: {e}. Building the web workspace needs Node.js >= 18 and npm \
             (or set LABELMINT_WEB_DIST to a folder holding a built bundle)"
        )
    });
    assert!(status.success(), "labelmint-web: {what} failed ({status})");
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn files(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            files(&p, base, out);
        } else {
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=LABELMINT_WEB_DIST");
    let dist = if let Some(dir) = std::env::var_os("LABELMINT_WEB_DIST") {
        let dir = PathBuf::from(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        dir
    } else {
        for p in [
            "ui",
            "build.mjs",
            "package.json",
            "package-lock.json",
            "tsconfig.json",
        ] {
            println!("cargo:rerun-if-changed={}", here.join(p).display());
        }
        let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
        let lock = here.join("package-lock.json");
        let installed = here.join("node_modules/.package-lock.json");
        if modified(&installed).is_none() || modified(&installed) < modified(&lock) {
            run(
                Command::new(npm)
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&here),
                "npm ci",
            );
        }
        let dist = out.join("web");
        let _ = std::fs::remove_dir_all(&dist);
        run(
            Command::new("node")
                .arg("build.mjs")
                .arg("--outdir")
                .arg(&dist)
                .current_dir(&here),
            "node build.mjs (esbuild)",
        );
        dist
    };
    let mut list = Vec::new();
    files(&dist, &dist, &mut list);
    assert!(
        list.iter().any(|(p, _)| p == "index.html"),
        "labelmint-web: {} has no index.html",
        dist.display()
    );
    let mut code = String::from("static ASSETS: &[Asset] = &[\n");
    for (rel, path) in &list {
        writeln!(
            code,
            "    Asset {{ path: {rel:?}, bytes: include_bytes!({:?}), content_type: {:?} }},",
            path.display().to_string(),
            content_type(rel)
        )
        .unwrap();
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).unwrap();
}
