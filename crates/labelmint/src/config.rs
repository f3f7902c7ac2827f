//! `labelmint.toml`: defaults for the global options, read from the current
//! folder (or the file `LABELMINT_CONFIG` names). Precedence: flags, then
//! environment variables, then this file, then the built-in defaults.
//!
//! ```toml
//! rpc = "http://127.0.0.1:8547"
//! keystore = "keys/creator.json"
//! deployments = "deployments"
//! store = ".labelmint/store"
//! json = false
//! storage = "local"            # or "0g", with zg-node / zg-indexer
//! market = "0x…"               # overrides the deployments manifest
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// The file's name in the current folder.
pub const FILE_NAME: &str = "labelmint.toml";

/// What `labelmint.toml` may set (every key optional; unknown keys are an
/// error so a typo is not silently ignored).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// JSON-RPC URL.
    pub rpc: Option<String>,
    /// Keystore file.
    pub keystore: Option<PathBuf>,
    /// Deployments folder.
    pub deployments: Option<PathBuf>,
    /// Local store folder.
    pub store: Option<PathBuf>,
    /// JSON output.
    pub json: Option<bool>,
    /// AnnotationMarket address.
    pub market: Option<String>,
    /// DatasetRegistry address.
    pub registry: Option<String>,
    /// QualityCourt address.
    pub court: Option<String>,
    /// QualityHub address.
    pub hub: Option<String>,
    /// Storage backend: `local` or `0g`.
    pub storage: Option<String>,
    /// 0G storage node URL.
    pub zg_node: Option<String>,
    /// 0G indexer URL.
    pub zg_indexer: Option<String>,
}

/// The path of the configuration file: `$LABELMINT_CONFIG`, else
/// `labelmint.toml` in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    std::env::var_os("LABELMINT_CONFIG").map_or_else(|| dir.join(FILE_NAME), PathBuf::from)
}

/// Reads the configuration file of the current folder; an absent file is
/// the empty configuration.
pub fn load() -> Result<FileConfig> {
    load_from(&path_in(Path::new(".")))
}

/// Reads `path`; an absent file is the empty configuration.
pub fn load_from(path: &Path) -> Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("{}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
