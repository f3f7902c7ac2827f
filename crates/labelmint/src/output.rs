//! What a command prints: one result on stdout — text, or one JSON document
//! under `--json` — and progress on stderr (bars only on a terminal).
//! Errors carry an optional hint that `main` prints under the error.

use std::{
    fmt::Display,
    io::Write as _,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static JSON: AtomicBool = AtomicBool::new(false);

/// Turns JSON output on or off (the global `--json`).
pub fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

/// Whether `--json` is on.
pub fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Prints a command's result: `text` normally, `value` (one line of JSON)
/// under `--json`.
pub fn emit(text: impl Display, value: serde_json::Value) {
    if json() {
        print_line(value);
    } else {
        print_line(text);
    }
}

/// Writes one line to stdout; a closed pipe (`labelmint … | head`) is not
/// an error worth a panic.
pub fn print_line(text: impl Display) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Writes bytes to stdout, ignoring a closed pipe.
pub fn print_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

/// Prints a result whose text form is JSON too: pretty normally, one line
/// under `--json`.
pub fn emit_value(value: &serde_json::Value) {
    if json() {
        print_line(value);
    } else {
        print_line(serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
    }
}

/// An error with a hint at its fix, printed by `main` as `hint: …`.
#[derive(Debug)]
pub struct Hinted {
    /// The error.
    pub error: anyhow::Error,
    /// What to do about it.
    pub hint: String,
}

impl Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Hinted {}

/// Attaches a hint to an error.
pub trait WithHint<T> {
    /// The error of `self`, if any, with `hint`.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> WithHint<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| {
            anyhow::Error::new(Hinted {
                error: e.into(),
                hint: hint.into(),
            })
        })
    }
}

/// A progress bar of `len` units on stderr (hidden when stderr is not a
/// terminal). `bytes` formats the counts as sizes.
pub fn bar(len: u64, message: impl Into<String>, bytes: bool) -> ProgressBar {
    let template = if bytes {
        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})"
    } else {
        "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})"
    };
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(message.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A spinner with elapsed time on stderr, for work of unknown length
/// (hidden when stderr is not a terminal).
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Runs `work` under a spinner showing `message`, cleared when it ends.
pub fn with_spinner<T>(message: impl Into<String>, work: impl FnOnce() -> T) -> T {
    let pb = spinner(message);
    let out = work();
    pb.finish_and_clear();
    out
}
