//! The node's log: `tracing` events written to stderr as plain lines, as
//! anvil prints them — a method name per call with `--log-methods`
//! (`eth_sendRawTransaction`), one `tx …` line per transaction, `eth_call …`
//! trap lines with `--trace-traps`; warnings and errors are prefixed
//! `warning:` / `error:`. `RUST_LOG` filters (default
//! `labelmint_node=info,warn`; `RUST_LOG=warn` silences the per-transaction
//! lines).
//!
//! Targets: `labelmint_node::rpc` (method names), `labelmint_node::tx`
//! (transactions), `labelmint_node::trap` (Stylus traps of calls),
//! `labelmint_node::state` (dumps and loads).

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::{
    fmt::{format::Writer, FmtContext, FormatEvent, FormatFields},
    registry::LookupSpan,
    EnvFilter,
};

/// The default filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "labelmint_node=info,warn";

/// Formats an event as its message (and fields) on one line, with a
/// lowercase level prefix for everything but `INFO`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        match *event.metadata().level() {
            Level::INFO => {}
            Level::WARN => write!(writer, "warning: ")?,
            Level::ERROR => write!(writer, "error: ")?,
            Level::DEBUG => write!(writer, "debug: ")?,
            Level::TRACE => write!(writer, "trace: ")?,
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Installs the node's subscriber (stderr, [`Plain`] lines, `RUST_LOG` or
/// [`DEFAULT_FILTER`]); does nothing when one is installed already.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .try_init();
}
