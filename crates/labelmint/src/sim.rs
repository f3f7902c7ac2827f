//! `labelmint simulate`: the economic simulation of the QualityHub's rules,
//! run against the real contract on the embedded chain.
//!
//! Populations work many jobs: **honest** annotators (90 % accurate, paying
//! an effort cost per label), **lazy** ones (uniform random labels, no
//! effort), a **colluding** pair that always votes class 0 and coordinates
//! on the same tasks, and a **sybil** ring (one owner, three staked
//! addresses) that puts all its addresses on the same tasks with one random
//! label. Everyone picks tasks first come, first served, as the contract
//! allows. The creator seeds gold tasks (every `gold_every`-th task, its
//! truth) and reveals them in the reveal phase. Profit per label = ETH paid + slash shares − stake slashed −
//! effort, in units of the per-vote reward (stake tokens valued 1:1 with wei).

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use anyhow::{bail, Result};
use labelmint_quality::SplitMix;

use crate::hub::{Hub, HubJob, IHub, Vote};

/// Simulation parameters.
#[derive(Clone, Debug)]
pub struct SimParams {
    /// Jobs run.
    pub jobs: u32,
    /// Tasks per job.
    pub tasks: u32,
    /// Classes.
    pub classes: u8,
    /// Per-vote reward in wei.
    pub reward: u128,
    /// Stake locked per job, in reward units.
    pub stake_rewards: u128,
    /// Slash rate.
    pub slash_bps: u16,
    /// Honest effort cost per label, in basis points of the reward.
    pub effort_bps: u32,
    /// Honest accuracy.
    pub accuracy: f64,
    /// Honest, lazy annotators.
    pub honest: usize,
    /// Lazy annotators.
    pub lazy: usize,
    /// Colluding pair present.
    pub colluders: bool,
    /// Sybil ring present.
    pub sybil: bool,
    /// Largest batch an agent commits.
    pub batch: usize,
    /// Every n-th task is a gold task (0: none).
    pub gold_every: u32,
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            jobs: 12,
            tasks: 30,
            classes: 4,
            reward: 1_000_000_000_000,
            stake_rewards: 20,
            slash_bps: 5_000,
            effort_bps: 4_000,
            accuracy: 0.9,
            honest: 6,
            lazy: 2,
            colluders: true,
            sybil: true,
            batch: 10,
            gold_every: 5,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Honest,
    Lazy,
    Colluding,
    Sybil,
}

/// One strategy's totals.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Addresses.
    pub addresses: usize,
    /// Labels committed.
    pub labels: u64,
    /// ETH paid, in reward units × labels.
    pub paid: f64,
    /// Stake slashed.
    pub slashed: f64,
    /// Slash shares received.
    pub shares: f64,
    /// Effort spent.
    pub effort: f64,
}

impl Outcome {
    /// Profit per label in reward units.
    #[allow(clippy::cast_precision_loss)]
    pub fn profit_per_label(&self) -> f64 {
        if self.labels == 0 {
            return 0.0;
        }
        (self.paid + self.shares - self.slashed - self.effort) / self.labels as f64
    }
}

/// Runs the simulation; outcomes by strategy name.
#[allow(
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::many_single_char_names,
    clippy::similar_names
)]
pub fn simulate(p: &SimParams, seed: u64) -> Result<BTreeMap<&'static str, Outcome>> {
    let mut h = Hub::deploy(false)?;
    let mut rng = SplitMix::new(seed);
    let creator = h.m.chain.account(0);
    let mut agents: Vec<(Kind, Vec<Address>)> = Vec::new();
    // Fresh funded addresses (the devnet has ten dev accounts).
    let mut next = 0u8;
    let mut take = |n: usize, h: &mut Hub| {
        let v: Vec<Address> = (0..n)
            .map(|_| {
                next += 1;
                let a = Address::from_word(alloy_primitives::keccak256(
                    [b"labelmint-sim".as_slice(), &[next]].concat(),
                ));
                h.m.chain.set_balance(a, U256::from(10u128.pow(24)));
                a
            })
            .collect();
        v
    };
    for _ in 0..p.honest {
        agents.push((Kind::Honest, take(1, &mut h)));
    }
    for _ in 0..p.lazy {
        agents.push((Kind::Lazy, take(1, &mut h)));
    }
    if p.colluders {
        agents.push((Kind::Colluding, take(2, &mut h)));
    }
    if p.sybil {
        agents.push((Kind::Sybil, take(3, &mut h)));
    }
    let stake = p.stake_rewards * p.reward;
    for (_, addrs) in &agents {
        for &a in addrs {
            h.fund_and_stake(a, stake * u128::from(p.jobs))?;
        }
    }
    let kind_of: BTreeMap<Address, Kind> = agents
        .iter()
        .flat_map(|(k, v)| v.iter().map(move |a| (*a, *k)))
        .collect();
    let mut out: BTreeMap<Kind, Outcome> = BTreeMap::new();
    for (k, v) in &agents {
        out.entry(*k).or_default().addresses += v.len();
    }
    let unit = p.reward as f64;
    let base = HubJob {
        tasks: p.tasks,
        k: 3,
        classes: p.classes,
        reward: p.reward,
        min_stake: stake,
        slash_bps: p.slash_bps,
        ..HubJob::default()
    };
    for _ in 0..p.jobs {
        let truth: Vec<u8> = (0..p.tasks)
            .map(|_| rng.below(u64::from(p.classes)) as u8)
            .collect();
        let gold = if p.gold_every == 0 {
            Vec::new()
        } else {
            (0..p.tasks)
                .filter(|t| t % p.gold_every == 0)
                .map(|t| (t, truth[t as usize]))
                .collect()
        };
        let spec = HubJob {
            gold,
            ..base.clone()
        };
        let job = h.create(creator, &spec)?;
        let ring_label: Vec<u8> = (0..p.tasks)
            .map(|_| rng.below(u64::from(p.classes)) as u8)
            .collect();
        let mut holders = vec![0u8; p.tasks as usize];
        let mut voted: BTreeMap<Address, Vec<bool>> = BTreeMap::new();
        let mut votes: Vec<Vote> = Vec::new();
        // Rounds: agents in random order each take one batch while tasks remain.
        loop {
            let mut order: Vec<usize> = (0..agents.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut progress = false;
            for &i in &order {
                let (kind, addrs) = &agents[i];
                let n = addrs.len() as u8;
                let mut free: Vec<u32> = (0..p.tasks)
                    .filter(|&t| {
                        holders[t as usize] + n <= 3
                            && addrs
                                .iter()
                                .all(|a| !voted.get(a).is_some_and(|v| v[t as usize]))
                    })
                    .collect();
                for j in (1..free.len()).rev() {
                    free.swap(j, rng.below(j as u64 + 1) as usize);
                }
                free.truncate(p.batch);
                free.sort_unstable();
                if free.is_empty() {
                    continue;
                }
                progress = true;
                for &a in addrs {
                    let labels: Vec<u8> = free
                        .iter()
                        .map(|&t| {
                            let y = truth[t as usize];
                            match kind {
                                Kind::Honest if rng.unit() < p.accuracy => y,
                                Kind::Honest => {
                                    (y + 1 + rng.below(u64::from(p.classes) - 1) as u8) % p.classes
                                }
                                Kind::Lazy => rng.below(u64::from(p.classes)) as u8,
                                Kind::Colluding => 0,
                                Kind::Sybil => ring_label[t as usize],
                            }
                        })
                        .collect();
                    let (r, v) = h.commit(a, job, &free, &labels)?;
                    let Some(v) = v else {
                        bail!(
                            "commit reverted: 0x{}",
                            alloy_primitives::hex::encode(&r.output)
                        )
                    };
                    let o = out.get_mut(kind).expect("every kind has an entry");
                    o.labels += free.len() as u64;
                    if *kind == Kind::Honest {
                        o.effort += free.len() as f64 * f64::from(p.effort_bps) / 10_000.0;
                    }
                    let mine = voted
                        .entry(a)
                        .or_insert_with(|| vec![false; p.tasks as usize]);
                    for &t in &free {
                        mine[t as usize] = true;
                    }
                    votes.push(v);
                }
                for &t in &free {
                    holders[t as usize] += n;
                }
            }
            if !progress {
                break;
            }
        }
        h.warp(u64::from(spec.commit));
        for v in &votes {
            if !h.reveal(v)?.success {
                bail!("reveal reverted");
            }
        }
        if !spec.gold.is_empty() {
            h.ok(creator, &spec.reveal_gold(job), U256::ZERO)?;
        }
        h.warp(u64::from(spec.reveal));
        for v in &votes {
            let r = h.settle(creator, v)?;
            let Some(s) = r
                .logs
                .iter()
                .find_map(|l| IHub::BatchSettled::decode_log_data(&l.data).ok())
            else {
                bail!("settle reverted")
            };
            let o = out.get_mut(&kind_of[&v.annotator]).expect("known");
            o.paid += f64::from(s.paid) / unit;
            o.slashed += s.slashed as f64 / unit;
        }
        h.warp(u64::from(spec.settle));
        h.ok(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)?;
        for (&a, kind) in &kind_of {
            let r = h.send(a, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)?;
            if let Some(c) = r
                .logs
                .iter()
                .find_map(|l| IHub::SlashShareClaimed::decode_log_data(&l.data).ok())
            {
                out.get_mut(kind).expect("known").shares += c.amount as f64 / unit;
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, o)| {
            let name = match k {
                Kind::Honest => "honest",
                Kind::Lazy => "lazy",
                Kind::Colluding => "colluding pair",
                Kind::Sybil => "sybil ring (3 addresses)",
            };
            (name, o)
        })
        .collect())
}

/// The README table: the default run, then single-parameter variations.
pub fn table(seed: u64) -> Result<String> {
    use std::fmt::Write;
    let mut s = String::new();
    let base = SimParams::default();
    let _ = writeln!(s, "Default: {} jobs × {} tasks, k = 3, {} classes, every {}th task gold, stake {} rewards per job, slash {} %, honest effort {} % of the reward, honest accuracy {:.0} %, batches of up to {}; profit per label in rewards.\n", base.jobs, base.tasks, base.classes, base.gold_every, base.stake_rewards, base.slash_bps / 100, base.effort_bps / 100, base.accuracy * 100.0, base.batch);
    let _ = writeln!(s, "| strategy | addresses | labels | paid | slash shares | slashed | effort | **profit / label** |\n|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, o) in simulate(&base, seed)? {
        #[allow(clippy::cast_precision_loss)]
        let per = |x: f64| x / o.labels.max(1) as f64;
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | **{:.3}** |",
            o.addresses,
            o.labels,
            per(o.paid),
            per(o.shares),
            per(o.slashed),
            per(o.effort),
            o.profit_per_label()
        );
    }
    let _ = writeln!(s, "\nVariations (profit / label: honest | lazy | colluding pair | sybil ring):\n\n| variation | honest | lazy | colluding | sybil |\n|---|---:|---:|---:|---:|");
    let variations: Vec<(&str, SimParams)> = vec![
        (
            "no gold tasks",
            SimParams {
                gold_every: 0,
                ..base.clone()
            },
        ),
        (
            "gold every 10th task",
            SimParams {
                gold_every: 10,
                ..base.clone()
            },
        ),
        (
            "honest and lazy only",
            SimParams {
                colluders: false,
                sybil: false,
                ..base.clone()
            },
        ),
        (
            "no slashing",
            SimParams {
                slash_bps: 0,
                ..base.clone()
            },
        ),
        (
            "honest accuracy 70 %",
            SimParams {
                accuracy: 0.7,
                ..base.clone()
            },
        ),
        (
            "honest accuracy 60 %",
            SimParams {
                accuracy: 0.6,
                ..base.clone()
            },
        ),
        (
            "honest effort 90 % of the reward",
            SimParams {
                effort_bps: 9_000,
                ..base.clone()
            },
        ),
        (
            "batches of 3 tasks",
            SimParams {
                batch: 3,
                ..base.clone()
            },
        ),
    ];
    for (name, params) in variations {
        let r = simulate(&params, seed)?;
        let get = |k: &str| {
            r.get(k)
                .map_or("-".to_string(), |o| format!("{:.3}", o.profit_per_label()))
        };
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} |",
            get("honest"),
            get("lazy"),
            get("colluding pair"),
            get("sybil ring (3 addresses)")
        );
    }
    Ok(s)
}
