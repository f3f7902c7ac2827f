//! `labelmint-server`: the same as `labelmint serve` (the kill tests start
//! it as a process). Contracts for `--dev` come from `target/stylus` or
//! `$LABELMINT_ARTIFACTS` (`cargo xtask wasm` builds them).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(labelmint_server::cli::serve(
        &args,
        &labelmint_server::cli::default_artifacts(),
    ))
}
