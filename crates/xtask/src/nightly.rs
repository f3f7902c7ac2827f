//! `cargo xtask nightly [--cases N] [--minutes M]`: every stateful property
//! test of the workspace with `N` cases each (`PROPTEST_CASES`, default
//! [`DEFAULT_CASES`]), one after the other, all of them within `M` minutes
//! (default [`DEFAULT_MINUTES`]). The test binaries are built first (not
//! counted in the bound); a test still running when the bound is reached is
//! killed and the run fails. The market's sequences take their seed from
//! `SOLVENCY_SEED`, by default the day's number, printed, so each night
//! explores other sequences and any of them can be replayed.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{bail, ensure, Context, Result};
use labelmint_wasm::sources;

/// Cases per property unless `--cases` says otherwise.
pub(crate) const DEFAULT_CASES: u32 = 256;
/// The time bound of all the runs unless `--minutes` says otherwise.
pub(crate) const DEFAULT_MINUTES: u64 = 90;

/// Where a property test lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// An integration test (`--test <name>`).
    Test(&'static str),
    /// The package's library unit tests (`--lib`).
    Lib,
}

/// A stateful property test: its package, target and name (a filter that
/// selects it alone).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Property {
    /// Cargo package.
    pub(crate) package: &'static str,
    /// Test target.
    pub(crate) target: Target,
    /// The test's name, as the harness filters it.
    pub(crate) name: &'static str,
}

/// Every stateful property test, cheapest first.
pub(crate) const PROPERTIES: &[Property] = &[
    Property {
        package: "reward-token",
        target: Target::Lib,
        name: "supply_equals_sum_of_balances_and_failures_change_nothing",
    },
    Property {
        package: "labelmint-devnet",
        target: Target::Test("reward_token"),
        name: "random_histories_with_permits_and_role_changes_match_the_model_and_keep_supply_equal_to_balances",
    },
    Property {
        package: "labelmint",
        target: Target::Test("dataset_registry"),
        name: "royalties_follow_the_per_share_rule_for_any_sales_and_withdrawals",
    },
    Property {
        package: "labelmint",
        target: Target::Test("market_solvency"),
        name: "random_sequences_keep_the_market_exactly_solvent_and_drain_to_zero",
    },
    Property {
        package: "labelmint",
        target: Target::Test("quality_court"),
        name: "escrow_bonds_and_credits_stay_solvent",
    },
    Property {
        package: "labelmint",
        target: Target::Test("quality_hub"),
        name: "two_concurrent_jobs_stay_solvent_through_gold_gates_unstaking_and_refused_reveals",
    },
];

/// What `cargo xtask nightly` was asked for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Options {
    /// Cases per property.
    pub(crate) cases: u32,
    /// The bound on all the runs.
    pub(crate) bound: Duration,
}

/// Parses `[--cases N] [--minutes M]`.
pub(crate) fn parse(flags: &[&str]) -> Result<Options> {
    let mut options = Options {
        cases: DEFAULT_CASES,
        bound: Duration::from_secs(DEFAULT_MINUTES * 60),
    };
    let mut it = flags.iter();
    while let Some(&flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag {
            "--cases" => {
                options.cases = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .with_context(|| format!("--cases {value}: a positive number of cases"))?;
            }
            "--minutes" => {
                let minutes: u64 =
                    value.parse().ok().filter(|&n| n > 0).with_context(|| {
                        format!("--minutes {value}: a positive number of minutes")
                    })?;
                options.bound = Duration::from_secs(minutes * 60);
            }
            _ => bail!("unknown flag {flag}: cargo xtask nightly [--cases N] [--minutes M]"),
        }
    }
    Ok(options)
}

/// The test executables a `cargo test --no-run --message-format=json`
/// reported, by target name.
pub(crate) fn executables(json: &str) -> Vec<(String, PathBuf)> {
    json.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| {
            let exe = m["executable"].as_str()?;
            let name = m["target"]["name"].as_str()?;
            Some((name.to_string(), PathBuf::from(exe)))
        })
        .collect()
}

/// Builds the test binary of `p` and returns its path and its package's
/// folder (where cargo runs it).
fn build(root: &Path, p: &Property) -> Result<(PathBuf, PathBuf)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args([
        "test",
        "--locked",
        "--no-run",
        "--message-format=json-render-diagnostics",
        "-p",
        p.package,
    ]);
    let name = match p.target {
        Target::Test(name) => {
            cmd.args(["--test", name]);
            name.to_string()
        }
        Target::Lib => {
            cmd.arg("--lib");
            p.package.replace('-', "_")
        }
    };
    let out = cmd.output().context("running cargo test --no-run")?;
    ensure!(
        out.status.success(),
        "building the tests of {} failed",
        p.package
    );
    let json = String::from_utf8_lossy(&out.stdout);
    let exe = executables(&json)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, exe)| exe)
        .with_context(|| format!("cargo reported no test binary {name} in {}", p.package))?;
    let manifest = json
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|m| m["executable"].as_str() == exe.to_str())
        .and_then(|m| m["manifest_path"].as_str().map(PathBuf::from))
        .context("the test binary's manifest")?;
    let dir = manifest
        .parent()
        .context("the manifest's folder")?
        .to_path_buf();
    Ok((exe, dir))
}

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The process exited with this status.
    Exited(ExitStatus),
    /// Still running at the deadline: killed.
    TimedOut,
}

/// Waits for `child` until `deadline`, killing it then.
pub(crate) fn wait_until(child: &mut Child, deadline: Instant) -> Result<Outcome> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Outcome::Exited(status));
        }
        if Instant::now() >= deadline {
            child.kill().ok();
            child.wait()?;
            return Ok(Outcome::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The market's seed: `SOLVENCY_SEED` if set, else the day's number.
fn solvency_seed() -> String {
    std::env::var("SOLVENCY_SEED").unwrap_or_else(|_| {
        let days = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        days.to_string()
    })
}

/// `cargo xtask nightly`.
pub(crate) fn run(root: &Path, stylus: &Path, options: &Options) -> Result<()> {
    if let Err(e) = sources::check_current(root, stylus) {
        eprintln!("{e}: building them first");
        crate::wasm()?;
    }
    let mut binaries = Vec::new();
    for p in PROPERTIES {
        binaries.push((p, build(root, p)?));
    }
    let seed = solvency_seed();
    println!(
        "nightly: {} properties, PROPTEST_CASES={}, SOLVENCY_SEED={seed}, bound {} min",
        PROPERTIES.len(),
        options.cases,
        options.bound.as_secs() / 60
    );
    let start = Instant::now();
    let deadline = start + options.bound;
    let mut table = Vec::new();
    let mut failed = Vec::new();
    for (p, (exe, dir)) in binaries {
        let label = match p.target {
            Target::Test(t) => format!("{} --test {t} {}", p.package, p.name),
            Target::Lib => format!("{} --lib {}", p.package, p.name),
        };
        println!("\n==> {label}");
        let began = Instant::now();
        let mut child = Command::new(&exe)
            .current_dir(&dir)
            .env("CARGO_MANIFEST_DIR", &dir)
            .env("PROPTEST_CASES", options.cases.to_string())
            .env("SOLVENCY_SEED", &seed)
            .args([p.name, "--nocapture", "--test-threads=1"])
            .spawn()
            .with_context(|| format!("running {}", exe.display()))?;
        let outcome = wait_until(&mut child, deadline)?;
        let took = began.elapsed().as_secs();
        let verdict = match outcome {
            Outcome::Exited(s) if s.success() => "ok".to_string(),
            Outcome::Exited(s) => {
                failed.push(label.clone());
                format!("FAILED ({s})")
            }
            Outcome::TimedOut => {
                failed.push(label.clone());
                "TIMED OUT (killed at the bound)".to_string()
            }
        };
        table.push(format!("{took:>6} s  {verdict:<10} {label}"));
        if outcome == Outcome::TimedOut {
            break;
        }
    }
    println!(
        "\nnightly summary ({} cases each, {} s in all):",
        options.cases,
        start.elapsed().as_secs()
    );
    for line in &table {
        println!("{line}");
    }
    ensure!(failed.is_empty(), "failed: {}", failed.join("; "));
    ensure!(
        table.len() == PROPERTIES.len(),
        "the bound of {} min stopped the run",
        options.bound.as_secs() / 60
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_set_the_cases_and_the_bound_and_bad_ones_are_refused() {
        assert_eq!(
            parse(&[]).unwrap(),
            Options {
                cases: 256,
                bound: Duration::from_mins(90)
            }
        );
        assert_eq!(
            parse(&["--cases", "32", "--minutes", "5"]).unwrap(),
            Options {
                cases: 32,
                bound: Duration::from_mins(5)
            }
        );
        for bad in [
            &["--cases"][..],
            &["--cases", "0"],
            &["--cases", "many"],
            &["--minutes", "0"],
            &["--jobs", "2"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn executables_are_read_from_cargo_messages() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"serde","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"quality_hub","kind":["test"]},"executable":"/t/quality_hub-1","manifest_path":"/w/crates/labelmint/Cargo.toml"}
not json
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executables(json),
            [("quality_hub".to_string(), PathBuf::from("/t/quality_hub-1"))]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_run_past_the_bound_is_killed_and_one_within_it_reports_its_status() {
        let mut slow = Command::new("sleep").arg("30").spawn().unwrap();
        let began = Instant::now();
        let outcome = wait_until(&mut slow, Instant::now() + Duration::from_millis(300)).unwrap();
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(began.elapsed() < Duration::from_secs(10));
        let mut quick = Command::new("false").spawn().unwrap();
        let far = Instant::now() + Duration::from_secs(30);
        match wait_until(&mut quick, far).unwrap() {
            Outcome::Exited(s) => assert!(!s.success()),
            Outcome::TimedOut => panic!("`false` ran past 30 s"),
        }
    }

    #[test]
    fn every_property_names_a_test_that_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap();
        for p in PROPERTIES {
            let dir = match p.package {
                "reward-token" => root.join("contracts/reward-token"),
                "labelmint-devnet" => root.join("crates/devnet"),
                other => root.join("crates").join(other),
            };
            let file = match p.target {
                Target::Test(t) => dir.join("tests").join(format!("{t}.rs")),
                Target::Lib => dir.join("src/tests.rs"),
            };
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.contains(&format!("fn {}(", p.name)),
                "{} has no test {}",
                file.display(),
                p.name
            );
        }
    }
}
