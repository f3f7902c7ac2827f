//! The on-chain subcommands of `labelmint`: what a creator, an annotator and
//! a buyer run against a Stylus chain over JSON-RPC.
//!
//! Defaults: the local chain at `http://127.0.0.1:8547` (`labelmint-devnet`),
//! contract addresses from `deployments/<chainId>.json` (written by
//! `labelmint-deploy`), the local store `.labelmint/store`. The key comes from
//! `LABELMINT_PRIVATE_KEY` or `--keystore FILE` (password in
//! `LABELMINT_KEYSTORE_PASSWORD`). `--storage 0g --zg-node URL
//! [--zg-indexer URL]` puts and gets payloads on 0G instead.

use std::{collections::BTreeMap, path::Path, time::Duration};

pub mod court;

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use anyhow::{anyhow, bail, Context, Result};
use labelmint_quality::audit::{audit, AuditConfig, BatchFile, JobKind, OnChainBatch, TaskLabel};
use labelmint_zg::Storage;

use crate::{
    market::{unpack_tasks, IMarket},
    registry::IRegistry,
};

/// Usage of the on-chain subcommands.
pub const USAGE: &str = "on-chain (options: --rpc URL, --keystore FILE, --deployments DIR, --market ADDR, --registry ADDR, --store DIR, --storage local|0g, --zg-node URL, --zg-indexer URL):
       labelmint job create --data-root R --tasks N --reward WEI --terms ID [--schema categorical|bbox|polygon|text] [--classes C] [--claim-secs S] [--deadline-secs S] [--review-secs S] [--max-held M] [--metadata H]
       labelmint arbiter register [--token ADDR] --fee WEI --bond WEI [--dispute-secs S] [--ruling-secs S]   (offer to arbitrate; prints the terms id)
       labelmint job status <jobId>
       labelmint job export <jobId> --format jsonl-chat|jsonl-instruction|jsonl-completion --classes a,b,... [--instruction TEXT] --out FILE   (categorical text jobs: majority of approved votes)
       labelmint task claim <jobId> <t1,t2,...>
       labelmint task submit <jobId> --batch FILE [--sign-only OUT]     (one signature for all the batch's tasks)
       labelmint task relay FILE                                        (submit someone's signed batch, paying the gas)
       labelmint review approve <jobId> <batchId,...> | review reject <jobId> <batchId> --tasks t1,t2 [--reason N]
       labelmint review dispute <jobId> <batchId>   (the annotator, bonding the job's dispute bond)
       labelmint review rule <jobId> <batchId> --overturn|--uphold   (the job's arbiter)
       labelmint review settle <jobId> <batchId,...>   (anyone, once the dispute or ruling window passed)
       labelmint audit <jobId> [--json]
       labelmint dataset publish --root R --job J --format coco|jsonl-chat|jsonl-instruction|jsonl-completion --price WEI [--metadata H]
       labelmint dataset buy <datasetId> [--for ADDR] | dataset download <datasetId> --out FILE [--size BYTES]
       labelmint finetune models|start|status|download --provider URL ... (start: --dataset <id> --model NAME --fee WEI [--params JSON] [--nonce N]; status: <taskId> [--wait [--poll-ms N]]; download: <taskId> --out FILE [--expect-root R] [--size BYTES])";

/// Parsed `--flag value` options and positional arguments.
pub struct Args {
    positional: Vec<String>,
    flags: BTreeMap<String, String>,
}

impl Args {
    /// Splits `args`; flags without a value (`--json`, `--wait`) get "true".
    pub fn parse(args: &[&str]) -> Self {
        let mut positional = Vec::new();
        let mut flags = BTreeMap::new();
        let mut i = 0;
        while i < args.len() {
            if let Some(name) = args[i].strip_prefix("--") {
                let value = args.get(i + 1).filter(|v| !v.starts_with("--"));
                flags.insert(
                    name.to_string(),
                    value.map_or("true".to_string(), |v| (*v).to_string()),
                );
                i += if value.is_some() { 2 } else { 1 };
            } else {
                positional.push(args[i].to_string());
                i += 1;
            }
        }
        Self { positional, flags }
    }

    fn flag(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }

    fn need(&self, name: &str) -> Result<&str> {
        self.flag(name)
            .ok_or_else(|| anyhow!("missing --{name}\n{USAGE}"))
    }

    fn pos(&self, i: usize, what: &str) -> Result<&str> {
        self.positional
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| anyhow!("missing {what}\n{USAGE}"))
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T> {
        self.flag(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| anyhow!("--{name}: not a number: {v}"))
        })
    }
}

/// Comma-separated task or batch ids (at least one).
fn ids<T: std::str::FromStr>(text: &str) -> Result<Vec<T>> {
    let list: Vec<T> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| anyhow!("not an id: {s}")))
        .collect::<Result<_>>()?;
    if list.is_empty() {
        bail!("no id in {text:?}: give one or more, comma-separated");
    }
    Ok(list)
}

/// Creates `path` for writing, failing if anything exists there (no
/// following of a planted symlink), readable and writable by the owner
/// only (0600 on Unix): for secrets and for files in shared folders.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A new private file (see [`create_private`]) in the system's temporary
/// folder, under a name no one can claim first; returns its path and handle.
pub fn private_temp_file(prefix: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!(
            "{prefix}-{}-{n}-{:x}.json",
            std::process::id(),
            keccak_u64(nanos, n)
        ));
        match create_private(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}

/// 64 bits of keccak over the clock and a counter: a name nobody guesses
/// from the process id alone.
fn keccak_u64(nanos: u128, n: u64) -> u64 {
    let mut buf = nanos.to_be_bytes().to_vec();
    buf.extend_from_slice(&n.to_be_bytes());
    let h = alloy_primitives::keccak256(buf);
    u64::from_be_bytes(h[..8].try_into().unwrap_or_default())
}

/// A connection to the chain with a signer and the contract addresses.
pub struct Chain {
    provider: DynProvider,
    /// The signer's address.
    pub from: Address,
    signer: PrivateKeySigner,
    /// Chain id.
    pub chain_id: u64,
    /// AnnotationMarket address.
    pub market: Address,
    /// DatasetRegistry address.
    pub registry: Address,
    /// QualityCourt address (zero when the deployment has none).
    pub court: Address,
    /// QualityHub address (zero when the deployment has none).
    pub hub: Address,
    rt: tokio::runtime::Runtime,
}

impl Chain {
    /// Connects with the options in `a`.
    pub fn connect(a: &Args) -> Result<Self> {
        let rpc = a.flag("rpc").unwrap_or("http://127.0.0.1:8547");
        let signer = labelmint_deploy::load_signer(a.flag("keystore").map(Path::new))
            .context("signing key (set LABELMINT_PRIVATE_KEY or pass --keystore)")?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let url: url::Url = rpc.parse().with_context(|| format!("--rpc {rpc}"))?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(url)
            .erased();
        let chain_id = rt
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id()).await
            })
            .map_err(|_| {
                anyhow!("{rpc} did not answer within 10 s (is labelmint-devnet running?)")
            })?
            .with_context(|| format!("{rpc} is unreachable"))?;
        let manifest = labelmint_deploy::read_manifest(
            Path::new(a.flag("deployments").unwrap_or("deployments")),
            chain_id,
        );
        let address = |flag: &str, name: &str| -> Result<Address> {
            if let Some(v) = a.flag(flag) {
                return v.parse().with_context(|| format!("--{flag}"));
            }
            manifest
                .contracts
                .get(name)
                .map(|d| d.address)
                .ok_or_else(|| {
                    anyhow!("no {name} for chain {chain_id}: run labelmint-deploy or pass --{flag}")
                })
        };
        Ok(Self {
            from: signer.address(),
            market: address("market", "AnnotationMarket")?,
            registry: address("registry", "DatasetRegistry").unwrap_or(Address::ZERO),
            court: address("court", "QualityCourt").unwrap_or(Address::ZERO),
            hub: address("hub", "QualityHub").unwrap_or(Address::ZERO),
            provider,
            signer,
            chain_id,
            rt,
        })
    }

    /// Reads a view.
    pub fn call<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return> {
        let tx = TransactionRequest::default()
            .to(to)
            .input(call.abi_encode().into());
        let out = self
            .rt
            .block_on(async { self.provider.call(tx).await })
            .map_err(|e| {
                anyhow!(explain(
                    &e.to_string(),
                    e.as_error_resp()
                        .and_then(alloy_json_rpc::ErrorPayload::as_revert_data)
                ))
            })?;
        C::abi_decode_returns(&out).map_err(|e| anyhow!("cannot decode {}: {e}", C::SIGNATURE))
    }

    /// Sends a transaction; fails with the decoded custom error on revert.
    pub fn send<C: SolCall>(
        &self,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<alloy_rpc_types_eth::TransactionReceipt> {
        let tx = TransactionRequest::default()
            .to(to)
            .input(call.abi_encode().into())
            .value(value);
        let receipt = self.rt.block_on(async {
            let pending = self.provider.send_transaction(tx).await.map_err(|e| {
                anyhow!(
                    "{}: {}",
                    C::SIGNATURE,
                    explain(
                        &e.to_string(),
                        e.as_error_resp()
                            .and_then(alloy_json_rpc::ErrorPayload::as_revert_data)
                    )
                )
            })?;
            pending
                .with_timeout(Some(Duration::from_mins(1)))
                .get_receipt()
                .await
                .map_err(|e| anyhow!("{}: no receipt: {e}", C::SIGNATURE))
        })?;
        if !receipt.status() {
            bail!(
                "{} reverted in block {:?}",
                C::SIGNATURE,
                receipt.block_number
            );
        }
        Ok(receipt)
    }

    fn logs<E: SolEvent>(&self, address: Address, topic1: B256) -> Result<Vec<(E, Option<u64>)>> {
        let filter = Filter::new()
            .address(address)
            .event_signature(E::SIGNATURE_HASH)
            .topic1(topic1)
            .from_block(0u64);
        let logs = self.rt.block_on(self.provider.get_logs(&filter))?;
        logs.iter()
            .map(|l| {
                Ok((
                    E::decode_log(&l.inner)
                        .map_err(|e| anyhow!("bad {} log: {e}", E::SIGNATURE))?
                        .data,
                    l.block_number,
                ))
            })
            .collect()
    }

    /// The latest block's timestamp (deadlines are in chain time).
    pub fn now(&self) -> Result<u64> {
        self.timestamp(alloy_rpc_types_eth::BlockNumberOrTag::Latest)
    }

    fn block_time(&self, block: u64) -> Result<u64> {
        self.timestamp(block.into())
    }

    fn timestamp(&self, block: alloy_rpc_types_eth::BlockNumberOrTag) -> Result<u64> {
        let b = self
            .rt
            .block_on(async { self.provider.get_block_by_number(block).await })?
            .ok_or_else(|| anyhow!("block {block} not found"))?;
        Ok(b.header.timestamp)
    }
}

/// A readable reason for an RPC failure: the decoded custom error when the
/// revert data is one of ours.
fn explain(text: &str, data: Option<Bytes>) -> String {
    // `Name(Name { field: … })` → `Name { field: … }`
    let tidy = |debug: String| match debug.split_once('(') {
        Some((outer, inner)) if inner.starts_with(outer) => inner[..inner.len() - 1].to_string(),
        _ => debug,
    };
    if let Some(d) = data {
        if let Ok(e) = IMarket::IAnnotationMarketErrors::abi_decode(&d) {
            return format!("reverted with {}", tidy(format!("{e:?}")));
        }
        if let Ok(e) = IRegistry::IDatasetRegistryErrors::abi_decode(&d) {
            return format!("reverted with {}", tidy(format!("{e:?}")));
        }
        if let Ok(e) = crate::court::ICourt::IQualityCourtErrors::abi_decode(&d) {
            return format!("reverted with {}", tidy(format!("{e:?}")));
        }
        return format!("reverted with data {d}");
    }
    text.to_string()
}

/// The storage backend chosen by `--storage`.
fn storage(a: &Args) -> Result<Box<dyn Storage>> {
    match a.flag("storage").unwrap_or("local") {
        "local" => Ok(Box::new(labelmint_storage::LocalStore::open(
            a.flag("store").unwrap_or(".labelmint/store"),
        )?)),
        "0g" => Ok(Box::new(labelmint_zg::ZgStorage::new(
            a.need("zg-node")?,
            a.flag("zg-indexer"),
            labelmint_zg::Retry::default(),
            labelmint_zg::transfer::UploadOptions::default(),
        )?)),
        other => bail!("--storage {other}: use local or 0g"),
    }
}

fn schema(name: &str) -> Result<u8> {
    Ok(match name {
        "categorical" => 0,
        "bbox" => 1,
        "polygon" => 2,
        "text" => 3,
        _ => bail!("--schema {name}: categorical, bbox, polygon or text"),
    })
}

fn kind_of(schema: u8) -> JobKind {
    match schema {
        0 => JobKind::Categorical,
        3 => JobKind::Text,
        _ => JobKind::Geometry,
    }
}

/// One submitted batch as the market's events record it.
struct Submitted {
    batch: OnChainBatch,
    id: U256,
}

/// Every batch of `job`, with claim times from `TasksClaimed`.
fn batches(c: &Chain, job: U256) -> Result<Vec<Submitted>> {
    let topic = B256::from(job);
    let claims = c.logs::<IMarket::TasksClaimed>(c.market, topic)?;
    let mut claimed: Vec<(Address, u64, Vec<u32>)> = Vec::new();
    for (e, block) in claims {
        let at = match block {
            Some(b) => c.block_time(b)?,
            None => 0,
        };
        claimed.push((e.annotator, at, unpack_tasks(&e.tasks)));
    }
    let mut out = Vec::new();
    for (e, _) in c.logs::<IMarket::LabelsSubmitted>(c.market, topic)? {
        let tasks = unpack_tasks(&e.tasks);
        let claimed_at = claimed
            .iter()
            .filter(|(a, at, t)| {
                *a == e.annotator && *at <= e.submittedAt && tasks.iter().all(|x| t.contains(x))
            })
            .map(|(_, at, _)| *at)
            .max();
        out.push(Submitted {
            id: e.batchId,
            batch: OnChainBatch {
                batch_id: e.batchId.saturating_to::<u64>(),
                annotator: e.annotator,
                tasks,
                payload: e.payload.to_vec(),
                submitted_at: e.submittedAt,
                claimed_at,
            },
        });
    }
    Ok(out)
}

/// Per task, the majority class of the job's approved votes (tasks of
/// batches a `BatchReviewed` approved, plus rejections overturned in a
/// `RejectionSettled`); tasks without a strict majority are left out and
/// counted.
fn approved_consensus(
    c: &Chain,
    job: U256,
    tasks: u32,
    classes: u16,
) -> Result<(Vec<(u32, u16)>, usize)> {
    let topic = B256::from(job);
    let submitted = batches(c, job)?;
    let mut accepted: std::collections::BTreeSet<(U256, u32)> = std::collections::BTreeSet::new();
    let mut rejected: BTreeMap<U256, Vec<u32>> = BTreeMap::new();
    for (e, _) in c.logs::<IMarket::BatchReviewed>(c.market, topic)? {
        let Some(s) = submitted.iter().find(|s| s.id == e.batchId) else {
            continue;
        };
        for (i, &t) in s.batch.tasks.iter().enumerate() {
            if e.verdicts.get(i).copied().unwrap_or(0) == 0 {
                accepted.insert((e.batchId, t));
            } else {
                rejected.entry(e.batchId).or_default().push(t);
            }
        }
    }
    for (e, _) in c.logs::<IMarket::RejectionSettled>(c.market, topic)? {
        if e.outcome == 3 || e.outcome == 4 {
            for t in rejected.remove(&e.batchId).unwrap_or_default() {
                accepted.insert((e.batchId, t));
            }
        }
    }
    let mut answers = std::collections::BTreeMap::new();
    let mut annotators = std::collections::BTreeMap::new();
    for s in submitted {
        if s.batch.payload.len() != s.batch.tasks.len() {
            continue;
        }
        let next = annotators.len() as u32;
        let who = *annotators.entry(s.batch.annotator).or_insert(next);
        for (&t, &l) in s.batch.tasks.iter().zip(&s.batch.payload) {
            if accepted.contains(&(s.id, t)) {
                answers.insert((t, who), u16::from(l));
            }
        }
    }
    let items = answers
        .into_iter()
        .map(|((task, annotator), label)| labelmint_quality::Response {
            task,
            annotator,
            label,
        })
        .collect();
    let r =
        labelmint_quality::Responses::new(tasks, annotators.len() as u32, classes.max(2), items)?;
    let mv = labelmint_quality::majority_vote(&r);
    let labels: Vec<(u32, u16)> = mv
        .labels
        .iter()
        .zip(&mv.tied)
        .enumerate()
        .filter_map(|(t, (l, tied))| {
            if *tied {
                None
            } else {
                l.map(|l| (t as u32, l))
            }
        })
        .collect();
    let left = tasks as usize - labels.len();
    Ok((labels, left))
}

/// The rejection of batch `batch` of `job` as the events record it: the
/// rejected tasks from `BatchReviewed` and `LabelsSubmitted`, and the time
/// that counts (the dispute's when `RejectionDisputed` exists, else the
/// review's).
fn rejection(c: &Chain, job: U256, batch: U256) -> Result<crate::market::Rejection> {
    let topic = B256::from(job);
    let submitted = batches(c, job)?;
    let s = submitted
        .iter()
        .find(|s| s.id == batch)
        .ok_or_else(|| anyhow!("no batch {batch} in job {job}"))?;
    let review = c
        .logs::<IMarket::BatchReviewed>(c.market, topic)?
        .into_iter()
        .map(|(e, _)| e)
        .find(|e| e.batchId == batch && e.rejected > 0)
        .ok_or_else(|| anyhow!("batch {batch} of job {job} has no rejection"))?;
    let tasks = s
        .batch
        .tasks
        .iter()
        .zip(review.verdicts.iter())
        .filter(|(_, &v)| v != 0)
        .map(|(&t, _)| t)
        .collect();
    let mut r = crate::market::Rejection {
        job,
        batch,
        annotator: review.annotator,
        at: review.reviewedAt,
        tasks,
        disputed: false,
    };
    if let Some((d, _)) = c
        .logs::<IMarket::RejectionDisputed>(c.market, topic)?
        .into_iter()
        .find(|(d, _)| d.batchId == batch)
    {
        r.at = d.disputedAt;
        r.disputed = true;
    }
    Ok(r)
}

/// The job's `getJob`, or a clear error for an unknown id.
fn job(c: &Chain, id: U256) -> Result<IMarket::getJobReturn> {
    let j = c.call(c.market, &IMarket::getJobCall { jobId: id })?;
    if j.status == 0 {
        bail!("job {id} does not exist on chain {}", c.chain_id);
    }
    Ok(j)
}

/// Runs `labelmint <cmd> <rest…>` for the on-chain commands.
#[allow(clippy::too_many_lines)]
pub fn run(cmd: &str, rest: &[&str]) -> Result<()> {
    let a = Args::parse(rest);
    let sub = a.positional.first().map(String::as_str).unwrap_or_default();
    if cmd == "finetune" {
        return finetune(&a, sub);
    }
    if cmd == "court" {
        return court::run(&a, sub);
    }
    let c = Chain::connect(&a)?;
    match (cmd, sub) {
        ("job", "create") => {
            let tasks: u32 = a.need("tasks")?.parse().context("--tasks")?;
            let reward: u128 = a.need("reward")?.parse().context("--reward")?;
            let schema = schema(a.flag("schema").unwrap_or("categorical"))?;
            let now = c.now()?;
            let call = IMarket::createJobCall {
                dataRoot: a.need("data-root")?.parse().context("--data-root")?,
                metadataHash: a
                    .flag("metadata")
                    .map_or(Ok(B256::ZERO), str::parse)
                    .context("--metadata")?,
                token: Address::ZERO,
                rewardPerTask: reward,
                taskCount: tasks,
                schema,
                numClasses: a.num("classes", if schema == 0 { 2 } else { 0 })?,
                claimDuration: a.num("claim-secs", 1_800)?,
                submitDeadline: now
                    .checked_add(a.num::<u64>("deadline-secs", 7 * 86_400)?)
                    .context("--deadline-secs: too far in the future")?,
                reviewWindow: a.num("review-secs", 86_400)?,
                maxHeld: a.num("max-held", 256)?,
                arbiterTerms: a.need("terms")?.parse().context("--terms")?,
            };
            let escrow = U256::from(reward).saturating_mul(U256::from(tasks));
            c.send(c.market, &call, escrow)?;
            let id = c.call(c.market, &IMarket::jobCountCall {})?;
            println!("{id}");
            eprintln!("job {id}: {tasks} tasks × {reward} wei escrowed ({escrow} wei)");
        }
        ("arbiter", "register") => {
            let call = IMarket::registerArbiterTermsCall {
                token: a
                    .flag("token")
                    .map_or(Ok(Address::ZERO), str::parse)
                    .context("--token")?,
                fee: a.need("fee")?.parse().context("--fee")?,
                bond: a.need("bond")?.parse().context("--bond")?,
                disputeWindow: a.num("dispute-secs", 2 * 86_400)?,
                rulingWindow: a.num("ruling-secs", 3 * 86_400)?,
            };
            let r = c.send(c.market, &call, U256::ZERO)?;
            let id = r
                .inner
                .logs()
                .iter()
                .find_map(|l| IMarket::ArbiterTermsRegistered::decode_log_data(l.data()).ok())
                .map(|e| e.termsId)
                .ok_or_else(|| anyhow!("no ArbiterTermsRegistered in the receipt"))?;
            println!("{id}");
            eprintln!(
                "terms {id}: {} arbitrates for {} wei a dispute",
                c.from, call.fee
            );
        }
        ("job", "status") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let j = job(&c, id)?;
            let status = ["none", "open", "completed", "cancelled"]
                .get(usize::from(j.status))
                .copied()
                .unwrap_or("?");
            let view = serde_json::json!({
                "job": id.to_string(), "status": status, "creator": j.creator, "token": j.token,
                "rewardPerTask": j.rewardPerTask.to_string(), "tasks": j.taskCount,
                "schema": j.schema, "classes": j.numClasses, "dataRoot": j.dataRoot, "metadataHash": j.metadataHash,
                "claimSeconds": j.claimDuration, "submitDeadline": j.submitDeadline, "reviewSeconds": j.reviewWindow,
                "maxHeld": j.maxHeld, "reserved": j.reserved, "approved": j.approved, "batches": j.batches,
                "escrow": j.escrow.to_string(),
            });
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        ("job", "export") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let j = job(&c, id)?;
            if j.schema != 0 {
                bail!("job {id} is not categorical: export its geometry or text labels with `labelmint export <dataRoot> --labels FILE`");
            }
            let classes: Vec<String> = a.need("classes")?.split(',').map(str::to_string).collect();
            if classes.len() != usize::from(j.numClasses) {
                bail!(
                    "--classes names {} classes, job {id} has {}",
                    classes.len(),
                    j.numClasses
                );
            }
            let (labels, ties) = approved_consensus(&c, id, j.taskCount, j.numClasses)?;
            let file = serde_json::json!({
                "classes": classes,
                "instruction": a.flag("instruction").unwrap_or("Classify the text."),
                "labels": labels.iter().map(|(t, l)| serde_json::json!({"task": t, "label": l})).collect::<Vec<_>>(),
            });
            let (tmp, mut handle) = private_temp_file("labelmint-job")?;
            let written = std::io::Write::write_all(&mut handle, &serde_json::to_vec(&file)?);
            drop(handle);
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
            let store =
                labelmint_storage::LocalStore::open(a.flag("store").unwrap_or(".labelmint/store"))?;
            let out = a.need("out")?;
            let result = crate::export::run(
                &store,
                &j.dataRoot.to_string(),
                &tmp,
                a.need("format")?,
                Path::new(out),
            );
            let _ = std::fs::remove_file(&tmp);
            println!("{}", result?);
            eprintln!("{} tasks labelled by the majority of approved votes ({ties} tied or unapproved tasks left out) -> {out}", labels.len());
        }
        ("task", "claim") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let task_ids: Vec<u32> = ids(a.pos(2, "<task ids>")?)?;
            c.send(
                c.market,
                &IMarket::claimTasksCall {
                    jobId: id,
                    taskIds: task_ids.clone(),
                },
                U256::ZERO,
            )?;
            let r = c.call(
                c.market,
                &IMarket::annotatorRecordCall {
                    jobId: id,
                    annotator: c.from,
                },
            )?;
            println!(
                "claimed {} tasks of job {id} until {}",
                task_ids.len(),
                r.claimExpiry
            );
        }
        ("task", "submit") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let j = job(&c, id)?;
            let (task_ids, payload) = batch_payload(&a, &c, id, j.schema)?;
            if let Some(out) = a.flag("sign-only") {
                // The first unused bit of the annotator's first nonce word.
                let bits = c.call(
                    c.market,
                    &IMarket::nonceBitmapCall {
                        annotator: c.from,
                        wordPos: U256::ZERO,
                    },
                )?;
                let free = (0..256usize)
                    .find(|&i| !bits.bit(i))
                    .ok_or_else(|| anyhow!("nonce word 0 is used up"))?;
                let nonce = U256::from(free);
                let deadline = U256::from(j.submitDeadline);
                let batch = crate::market::SubmitBatch {
                    annotator: c.from,
                    jobId: id,
                    taskIds: task_ids.clone(),
                    payload: payload.clone(),
                    nonce,
                    deadline,
                };
                let key = B256::from_slice(&c.signer.to_bytes()[..]);
                let signature = crate::market::sign_batch(&key, c.market, c.chain_id, &batch)?;
                let signed = serde_json::json!({
                    "annotator": c.from, "jobId": id.to_string(), "taskIds": task_ids, "payload": payload,
                    "nonce": nonce.to_string(), "deadline": deadline.to_string(), "signature": signature,
                    "market": c.market, "chainId": c.chain_id,
                });
                std::fs::write(out, serde_json::to_vec_pretty(&signed)?)?;
                eprintln!(
                    "signed {} tasks for a relayer: {out} (nonce {nonce})",
                    task_ids.len()
                );
                return Ok(());
            }
            c.send(
                c.market,
                &IMarket::submitBatchCall {
                    jobId: id,
                    taskIds: task_ids.clone(),
                    payload,
                },
                U256::ZERO,
            )?;
            let count = c
                .call(c.market, &IMarket::getJobCall { jobId: id })?
                .batches;
            println!(
                "submitted {} tasks of job {id} (batches on the job: {count})",
                task_ids.len()
            );
        }
        ("task", "relay") => {
            let text = std::fs::read(a.pos(1, "<signed batch file>")?)?;
            let s: serde_json::Value =
                serde_json::from_slice(&text).context("signed batch file")?;
            let field = |k: &str| {
                s[k].as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("signed batch file: missing {k}"))
            };
            let call = IMarket::submitBatchBySigCall {
                annotator: field("annotator")?.parse()?,
                jobId: field("jobId")?.parse()?,
                taskIds: serde_json::from_value(s["taskIds"].clone())?,
                payload: field("payload")?.parse()?,
                nonce: field("nonce")?.parse()?,
                deadline: field("deadline")?.parse()?,
                signature: field("signature")?.parse()?,
            };
            c.send(c.market, &call, U256::ZERO)?;
            println!(
                "relayed {} tasks of job {} for {}",
                call.taskIds.len(),
                call.jobId,
                call.annotator
            );
        }
        ("review", "dispute") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let batch: U256 = a.pos(2, "<batchId>")?.parse()?;
            let r = rejection(&c, id, batch)?;
            if r.disputed {
                bail!("batch {batch} of job {id} is already disputed");
            }
            let terms = c.call(c.market, &IMarket::disputeTermsCall { jobId: id })?;
            let value = if job(&c, id)?.token.is_zero() {
                U256::from(terms.disputeBond)
            } else {
                U256::ZERO
            };
            c.send(c.market, &r.dispute_call(), value)?;
            println!(
                "disputed the rejection of {} tasks of batch {batch}: bond {} wei; {} rules",
                r.tasks.len(),
                terms.disputeBond,
                terms.arbiter
            );
        }
        ("review", "rule") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let batch: U256 = a.pos(2, "<batchId>")?.parse()?;
            let overturn = match (a.flag("overturn"), a.flag("uphold")) {
                (Some(_), None) => true,
                (None, Some(_)) => false,
                _ => bail!("review rule: pass exactly one of --overturn or --uphold"),
            };
            let r = rejection(&c, id, batch)?;
            if !r.disputed {
                bail!("batch {batch} of job {id} is not disputed");
            }
            c.send(c.market, &r.rule_call(overturn), U256::ZERO)?;
            println!(
                "batch {batch}: rejection {}",
                if overturn {
                    "overturned, the annotator is paid"
                } else {
                    "upheld, the tasks reopen"
                }
            );
        }
        ("review", "settle") => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let wanted: Vec<U256> = ids(a.pos(2, "<batch ids>")?)?;
            let list: Vec<crate::market::Rejection> = wanted
                .iter()
                .map(|b| rejection(&c, id, *b))
                .collect::<Result<_>>()?;
            c.send(
                c.market,
                &crate::market::settle_rejections_call(&list),
                U256::ZERO,
            )?;
            println!("settled {} rejections of job {id}", list.len());
        }
        ("review", verdict @ ("approve" | "reject")) => {
            let id: U256 = a.pos(1, "<jobId>")?.parse()?;
            let wanted: Vec<U256> = ids(a.pos(2, "<batch ids>")?)?;
            let all = batches(&c, id)?;
            let pick = |b: &U256| {
                all.iter()
                    .find(|s| s.id == *b)
                    .ok_or_else(|| anyhow!("no batch {b} in job {id}"))
            };
            let chosen: Vec<&Submitted> = if verdict == "approve" {
                wanted.iter().map(pick).collect::<Result<_>>()?
            } else {
                let [first] = wanted.as_slice() else {
                    bail!("review reject takes one batch id (approve takes several)");
                };
                vec![pick(first)?]
            };
            let mut verdicts: Vec<u8> = Vec::new();
            let mut value = U256::ZERO;
            if verdict == "reject" {
                let rejected: Vec<u32> = ids(a.need("tasks")?)?;
                let reason: u8 = a.num("reason", 1)?;
                if reason == 0 {
                    bail!("--reason must be non-zero (0 means approve)");
                }
                verdicts = chosen[0]
                    .batch
                    .tasks
                    .iter()
                    .map(|t| if rejected.contains(t) { reason } else { 0 })
                    .collect();
                if verdicts.iter().all(|&v| v == 0) {
                    bail!("--tasks names no task of batch {}", chosen[0].id);
                }
                let j = job(&c, id)?;
                if j.token.is_zero() {
                    let terms = c.call(c.market, &IMarket::disputeTermsCall { jobId: id })?;
                    value = U256::from(terms.arbiterFee);
                }
            }
            let call = IMarket::reviewBatchesCall {
                jobId: id,
                batchIds: chosen.iter().map(|s| s.id).collect(),
                annotators: chosen.iter().map(|s| s.batch.annotator).collect(),
                submittedAts: chosen.iter().map(|s| s.batch.submitted_at).collect(),
                taskCounts: chosen.iter().map(|s| s.batch.tasks.len() as u32).collect(),
                taskIds: chosen.iter().flat_map(|s| s.batch.tasks.clone()).collect(),
                verdicts: verdicts.clone().into(),
            };
            c.send(c.market, &call, value)?;
            if verdict == "approve" {
                println!("approved {} batches of job {id}", chosen.len());
            } else {
                let n = verdicts.iter().filter(|&&v| v != 0).count();
                println!(
                    "batch {}: {n} tasks rejected (held until the dispute window ends; arbiter fee {value} wei deposited), the rest approved",
                    chosen[0].id
                );
            }
        }
        ("audit", _) => {
            let id: U256 = a.pos(0, "<jobId>")?.parse()?;
            let j = job(&c, id)?;
            let store = storage(&a)?;
            let list: Vec<OnChainBatch> = batches(&c, id)?.into_iter().map(|s| s.batch).collect();
            let report = audit(
                id.saturating_to::<u64>(),
                kind_of(j.schema),
                j.numClasses.max(2),
                &list,
                |r| store.get(r).ok(),
                &AuditConfig::default(),
            );
            if a.flag("json").is_some() {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.table());
            }
        }
        ("dataset", "publish") => {
            let format = match a.need("format")? {
                "coco" => 0,
                "jsonl-chat" => 1,
                "jsonl-instruction" => 2,
                "jsonl-completion" => 3,
                f => bail!("--format {f}: coco, jsonl-chat, jsonl-instruction or jsonl-completion"),
            };
            let call = IRegistry::publishCall {
                rootHash: a.need("root")?.parse().context("--root")?,
                metadataHash: a
                    .flag("metadata")
                    .map_or(Ok(B256::ZERO), str::parse)
                    .context("--metadata")?,
                format,
                price: a.need("price")?.parse().context("--price")?,
                paymentToken: Address::ZERO,
                source: if a.flag("job").is_some() {
                    c.market
                } else {
                    Address::ZERO
                },
                sourceJobId: a.num("job", U256::ZERO)?,
                previousVersion: a.num("previous", U256::ZERO)?,
                carryLicenses: false,
            };
            c.send(c.registry, &call, U256::ZERO)?;
            let id = c.call(c.registry, &IRegistry::datasetCountCall {})?;
            println!("{id}");
        }
        ("dataset", "buy") => {
            let id: U256 = a.pos(1, "<datasetId>")?.parse()?;
            let d = c.call(c.registry, &IRegistry::getDatasetCall { datasetId: id })?;
            if d.publisher == Address::ZERO {
                bail!("dataset {id} does not exist");
            }
            if d.paymentToken != Address::ZERO {
                bail!("dataset {id} is priced in token {}: ERC-20 purchase from the CLI is not built yet (use purchaseWithPermit)", d.paymentToken);
            }
            let licensee = a
                .flag("for")
                .map_or(Ok(c.from), str::parse)
                .context("--for")?;
            c.send(
                c.registry,
                &IRegistry::purchaseCall {
                    datasetId: id,
                    licensee,
                    token: d.paymentToken,
                    maxPrice: d.price,
                },
                U256::from(d.price),
            )?;
            println!("licensed dataset {id} to {licensee} for {} wei", d.price);
        }
        ("dataset", "download") => {
            let id: U256 = a.pos(1, "<datasetId>")?.parse()?;
            let out = a.need("out")?;
            let d = c.call(c.registry, &IRegistry::getDatasetCall { datasetId: id })?;
            if d.publisher == Address::ZERO {
                bail!("dataset {id} does not exist");
            }
            // The registry records no size; --size (from the publisher's
            // listing) binds the trailing bytes the root alone does not.
            let store = storage(&a)?;
            let bytes = match a.flag("size") {
                Some(n) => store.get_sized(&d.rootHash, n.parse().context("--size")?),
                None => store.get(&d.rootHash),
            }
            .with_context(|| format!("fetching {}", d.rootHash))?;
            let actual = labelmint_storage::root_of_bytes(&bytes)?;
            if actual != d.rootHash {
                bail!(
                    "downloaded bytes have root {actual}, the registry records {}",
                    d.rootHash
                );
            }
            std::fs::write(out, &bytes)?;
            let licensed = c.call(
                c.registry,
                &IRegistry::hasLicenseCall {
                    datasetId: id,
                    account: c.from,
                },
            )?;
            println!(
                "{} bytes verified against {} -> {out}",
                bytes.len(),
                d.rootHash
            );
            if !licensed {
                eprintln!(
                    "note: {} holds no licence for dataset {id}; buy one before use",
                    c.from
                );
            }
        }
        _ => bail!("{USAGE}"),
    }
    Ok(())
}

/// The task ids and on-chain payload of `--batch FILE`: for categorical
/// jobs `{"tasks": [...], "labels": [class, ...]}` (labels go on chain as
/// bytes); otherwise `{"tasks": [...], "labels": [{"shapes": [...]}|{"text": "..."}]}`,
/// stored as a [`BatchFile`] whose 0G root is the on-chain commitment.
fn batch_payload(a: &Args, c: &Chain, job: U256, schema: u8) -> Result<(Vec<u32>, Bytes)> {
    let path = a.need("batch")?;
    let text = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{path} is not JSON"))?;
    let tasks: Vec<u32> = serde_json::from_value(v["tasks"].clone())
        .with_context(|| format!("{path}: \"tasks\" must be a list of task ids"))?;
    if schema == 0 {
        let labels: Vec<u8> = serde_json::from_value(v["labels"].clone())
            .with_context(|| format!("{path}: \"labels\" must be class numbers"))?;
        if labels.len() != tasks.len() {
            bail!("{path}: {} labels for {} tasks", labels.len(), tasks.len());
        }
        return Ok((tasks, labels.into()));
    }
    let labels: Vec<TaskLabel> = serde_json::from_value(v["labels"].clone()).with_context(|| format!("{path}: \"labels\" must be {{\"shapes\": [...]}} or {{\"text\": \"...\"}} per task"))?;
    if labels.len() != tasks.len() {
        bail!("{path}: {} labels for {} tasks", labels.len(), tasks.len());
    }
    let file = BatchFile {
        job_id: job.try_into().context("job id over 64 bits")?,
        annotator: c.from,
        tasks: tasks.clone(),
        labels,
    };
    let bytes = serde_json::to_vec(&file)?;
    let root = storage(a)?.put(&bytes)?;
    eprintln!("batch payload stored under {root}");
    Ok((tasks, Bytes::from(root.to_vec())))
}

/// `labelmint finetune models|start|status|download`.
#[allow(clippy::too_many_lines)]
fn finetune(a: &Args, sub: &str) -> Result<()> {
    use labelmint_zg::finetune::{address_of, Broker, TaskRequest};
    let broker = Broker::new(a.need("provider")?, labelmint_zg::Retry::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let key = || -> Result<k256::ecdsa::SigningKey> {
        let signer = labelmint_deploy::load_signer(a.flag("keystore").map(Path::new))?;
        Ok(k256::ecdsa::SigningKey::from_slice(&signer.to_bytes()[..])?)
    };
    match sub {
        "models" => {
            for m in rt.block_on(broker.models())? {
                println!("{}\t{}\t{}\t{}", m.name, m.hash, m.data_type, m.description);
            }
        }
        "start" => {
            let k = key()?;
            let user = address_of(&k);
            let c = Chain::connect(a)?;
            let id: U256 = a.need("dataset")?.parse().context("--dataset")?;
            let d = c.call(c.registry, &IRegistry::getDatasetCall { datasetId: id })?;
            if d.publisher == Address::ZERO {
                bail!("dataset {id} does not exist");
            }
            if !c.call(
                c.registry,
                &IRegistry::hasLicenseCall {
                    datasetId: id,
                    account: user,
                },
            )? {
                bail!("{user} holds no licence for dataset {id}: run `labelmint dataset buy {id}` first");
            }
            let name = a.need("model")?;
            let models = rt.block_on(broker.models())?;
            let model = models.iter().find(|m| m.name == name).ok_or_else(|| {
                anyhow!(
                    "the provider has no model {name} (it has: {})",
                    models
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            // The broker SDK's nonce: milliseconds × 10,000 + 40 (the
            // provider wants it above its on-chain account's nonce).
            let nonce = a.flag("nonce").map_or_else(
                || {
                    Ok(U256::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)?
                            .as_millis(),
                    ) * U256::from(10_000)
                        + U256::from(40))
                },
                |n| n.parse::<U256>().map_err(anyhow::Error::from),
            )?;
            let request = TaskRequest {
                pre_trained_model_hash: model.hash,
                dataset_hash: d.rootHash,
                training_params: a
                    .flag("params")
                    .unwrap_or(r#"{"num_train_epochs": 3}"#)
                    .to_string(),
                fee: a.need("fee")?.parse().context("--fee")?,
                nonce,
            };
            let task = rt.block_on(broker.create_task(&k, &request))?;
            println!("{}", task.id);
            eprintln!(
                "fine-tuning task {} created: {} on dataset {} ({})",
                task.id, name, id, d.rootHash
            );
        }
        "download" => {
            let user = address_of(&key()?);
            let id = a.pos(1, "<taskId>")?;
            let out = a.need("out")?;
            let task = rt.block_on(broker.task(user, id))?;
            let Some(root) = task.output_root_hash else {
                bail!(
                    "task {id} has delivered no model yet (state {})",
                    task.progress
                );
            };
            // The root comes from the provider: checking the bytes against
            // it proves only that the provider named these bytes. "Verified"
            // needs a root the buyer trusts (--expect-root).
            let expected: Option<B256> = a
                .flag("expect-root")
                .map(str::parse)
                .transpose()
                .context("--expect-root")?;
            if let Some(want) = expected {
                if want != root {
                    bail!(
                        "the provider delivered {root}, not the expected {want}: nothing written"
                    );
                }
            }
            let store = storage(a)?;
            let bytes = match a.flag("size") {
                Some(n) => store.get_sized(&root, n.parse().context("--size")?),
                None => store.get(&root),
            }
            .with_context(|| format!("fetching the model {root}"))?;
            std::fs::write(out, &bytes)?;
            if expected.is_some() {
                println!(
                    "{} bytes of the fine-tuned model verified against {root} (the root you expected) -> {out}",
                    bytes.len()
                );
            } else {
                println!(
                    "{} bytes of the fine-tuned model the provider names {root} -> {out} (not verified: pass --expect-root R with a root you trust)",
                    bytes.len()
                );
            }
        }
        "status" => {
            let user = address_of(&key()?);
            let id = a.pos(1, "<taskId>")?;
            let task = if a.flag("wait").is_some() {
                rt.block_on(broker.wait(
                    user,
                    id,
                    false,
                    Duration::from_millis(a.num("poll-ms", 5_000)?),
                    Duration::from_hours(6),
                    |s| eprintln!("  {s}"),
                ))?
            } else {
                rt.block_on(broker.task(user, id))?
            };
            println!("{}", serde_json::to_string_pretty(&task)?);
        }
        _ => bail!("{USAGE}"),
    }
    Ok(())
}
