//! `labelmint-server`: the same as `labelmint serve` (the kill tests start
//! it as a process). Contracts for `--dev` come from `target/stylus` or
//! `$LABELMINT_ARTIFACTS` (`cargo xtask wasm` builds them).

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = labelmint_server::cli::ServerCli::parse();
    let run = || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        rt.block_on(labelmint_server::cli::serve(
            &cli.serve,
            &cli.endpoints,
            &labelmint_server::cli::default_artifacts(),
        ))
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
