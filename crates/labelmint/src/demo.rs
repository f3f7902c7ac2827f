//! `labelmint demo`: the whole marketplace on the embedded chain.
//!
//! The RewardToken and the AnnotationMarket (two programs: the market and
//! its extension) are deployed the way `cargo stylus deploy` does it (one
//! StylusDeployer transaction each that creates, activates and constructs).
//! A creator escrows a 12-task labeling job in RewardToken with a permit in
//! the same call, naming an expert as arbiter; one annotator claims and
//! submits, another signs a batch that a relayer submits (no gas for the
//! annotator), a third submits directly; the creator approves with one
//! rejection, paying at once and depositing the arbiter's fee; the annotator
//! disputes with a bond and the expert overturns the rejection; after the
//! review window anyone settles the rest; the job completes with its escrow
//! fully paid out. The creator publishes the dataset package in the
//! DatasetRegistry (provenance read from the market), a buyer licenses it for
//! a fine-tuning service, the annotators withdraw their royalties and the
//! creator the proceeds. Then one job of every other quality mode: a
//! consensus job on the QualityHub (majority), and on the QualityCourt a box
//! job (optimistic, audited and disputed), a weighted vote whose weights are
//! the hub's on-chain reputations (weighted), and an expert's verdicts
//! (expert); an incident pause of the token ends it.

use std::fmt::Write as _;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use anyhow::{anyhow, Result};
use labelmint_devnet::{Devnet, Receipt};

use crate::{
    artifacts,
    market::{
        review_batches_call, sign_batch, AnnotationMarketConstructor, Batch, IMarket, JobSpec,
        MarketWasm, Rejection, SubmitBatch,
    },
    sign_permit, IRewardToken, Permit, RewardTokenConstructor,
};

/// One line of the report.
struct Step {
    what: String,
    receipt: Receipt,
}

/// Formats token base units (18 decimals) as a decimal string.
fn tokens(v: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let whole = v / unit;
    let frac = (v % unit) / U256::from(10u64).pow(U256::from(14));
    format!("{whole}.{frac:0>4}")
}

fn short(a: Address) -> String {
    let s = a.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// Sends one demo step to a contract, records it, fails on a revert.
fn transact(
    chain: &mut Devnet,
    steps: &mut Vec<Step>,
    to: Address,
    from: Address,
    value: U256,
    what: String,
    data: Vec<u8>,
) -> Result<Receipt> {
    let receipt = chain
        .send(
            from,
            Some(to),
            value,
            data,
            labelmint_devnet::chain::DEFAULT_TX_GAS,
        )
        .map_err(|e| anyhow!("{what}: {e}"))?;
    steps.push(Step {
        what,
        receipt: receipt.clone(),
    });
    if !receipt.success {
        return Err(anyhow!(
            "step reverted: 0x{}",
            alloy_primitives::hex::encode(&receipt.output)
        ));
    }
    Ok(receipt)
}

/// Runs the demo and returns the report text.
#[allow(clippy::too_many_lines)]
pub fn run() -> Result<String> {
    let mut out = String::new();
    let (wasm, rebuilt) = artifacts::program("reward_token")?;
    let market_wasm = MarketWasm::load()?;
    let (registry_wasm, _) = artifacts::program("dataset_registry")?;
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let creator = chain.account(1);
    let annotators = [chain.account(2), chain.account(3), chain.account(4)];
    let relayer = chain.account(5);

    writeln!(
        out,
        "labelmint demo — embedded Stylus devnet (revm + wasmi), chain id {}",
        chain.chain_id()
    )?;
    writeln!(
        out,
        "RewardToken program: {} bytes of wasm ({}), {} bytes deployed (brotli)",
        wasm.len(),
        if rebuilt {
            "just built"
        } else {
            "reused from target/stylus"
        },
        labelmint_wasm::to_stylus_code(&wasm).len()
    )?;
    writeln!(
        out,
        "AnnotationMarket programs: {} + {} bytes of wasm (market + extension), {} + {} bytes deployed (brotli)",
        market_wasm.market.len(),
        market_wasm.extension.len(),
        labelmint_wasm::to_stylus_code(&market_wasm.market).len(),
        labelmint_wasm::to_stylus_code(&market_wasm.extension).len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "accounts: admin {}, job creator {}, annotators {}, {}, {}, relayer {}",
        short(admin),
        short(creator),
        short(annotators[0]),
        short(annotators[1]),
        short(annotators[2]),
        short(relayer)
    )?;
    writeln!(out)?;

    let mut steps: Vec<Step> = Vec::new();
    let unit = U256::from(10u64).pow(U256::from(18));

    // 1. Deploy like cargo-stylus: StylusDeployer creates, activates, constructs.
    let args = RewardTokenConstructor::constructorCall {
        name: "labelmint Reward".into(),
        symbol: "LMR".into(),
        decimals: 18,
        cap: unit * U256::from(1_000_000u64),
        admin,
    }
    .abi_encode();
    let (token, receipt) = chain
        .deploy_via_deployer(admin, &wasm, &args, U256::ZERO, B256::ZERO, unit)
        .map_err(|e| anyhow!("deploy: {e}"))?;
    steps.push(Step {
        what: format!("deploy + activate + construct RewardToken at {token} (StylusDeployer)"),
        receipt,
    });

    let balances = |chain: &mut Devnet| -> Result<Vec<(String, U256)>> {
        let mut v = Vec::new();
        for (name, who) in [
            ("job creator", creator),
            ("annotator 1", annotators[0]),
            ("annotator 2", annotators[1]),
            ("annotator 3", annotators[2]),
        ] {
            let b = chain
                .read(token, &IRewardToken::balanceOfCall { account: who })
                .map_err(|e| anyhow!("balanceOf: {e}"))?;
            v.push((name.to_string(), b));
        }
        Ok(v)
    };
    let before = balances(&mut chain)?;

    let send = |chain: &mut Devnet,
                steps: &mut Vec<Step>,
                from: Address,
                what: String,
                data: Vec<u8>|
     -> Result<()> {
        let receipt = chain
            .send(
                from,
                Some(token),
                U256::ZERO,
                data,
                labelmint_devnet::chain::DEFAULT_TX_GAS,
            )
            .map_err(|e| anyhow!("{what}: {e}"))?;
        steps.push(Step { what, receipt });
        Ok(())
    };

    // 2. Fund the job creator's bounty budget.
    send(
        &mut chain,
        &mut steps,
        admin,
        "mint 1,000 LMR bounty budget to the job creator".into(),
        IRewardToken::mintCall {
            to: creator,
            value: unit * U256::from(1_000u64),
        }
        .abi_encode(),
    )?;

    // 3. The market, deployed the same way: its extension (no constructor),
    // then the market pointing at it.
    let (extension, receipt) = chain
        .deploy_via_deployer_with(
            admin,
            &market_wasm.extension,
            &[],
            U256::ZERO,
            B256::ZERO,
            unit,
        )
        .map_err(|e| anyhow!("deploy market extension: {e}"))?;
    steps.push(Step {
        what: format!(
            "deploy + activate AnnotationMarket extension at {extension} (StylusDeployer)"
        ),
        receipt,
    });
    let market_args =
        AnnotationMarketConstructor::constructorCall { admin, extension }.abi_encode();
    let (market, receipt) = chain
        .deploy_via_deployer(
            admin,
            &market_wasm.market,
            &market_args,
            U256::ZERO,
            B256::ZERO,
            unit,
        )
        .map_err(|e| anyhow!("deploy market: {e}"))?;
    steps.push(Step {
        what: format!(
            "deploy + activate + construct AnnotationMarket at {market} (StylusDeployer)"
        ),
        receipt,
    });
    let to_market = |chain: &mut Devnet,
                     steps: &mut Vec<Step>,
                     from: Address,
                     what: String,
                     data: Vec<u8>|
     -> Result<Receipt> {
        transact(chain, steps, market, from, U256::ZERO, what, data)
    };

    // 4. An expert (account 8) offers to arbitrate LMR jobs; a 12-task
    // categorical job paid in LMR names those terms, its escrow pulled with
    // a permit.
    let expert = chain.account(8);
    chain.set_balance(expert, unit);
    let (arbiter_fee, dispute_bond) = (10u128.pow(18), 2 * 10u128.pow(18));
    let r = to_market(
        &mut chain,
        &mut steps,
        expert,
        "an expert offers to arbitrate LMR jobs: fee 1 LMR, bond 2 LMR, 2 days to dispute, 3 to rule".into(),
        IMarket::registerArbiterTermsCall {
            token,
            fee: arbiter_fee,
            bond: dispute_bond,
            disputeWindow: 2 * 24 * 3600,
            rulingWindow: 3 * 24 * 3600,
        }
        .abi_encode(),
    )?;
    let terms = IMarket::registerArbiterTermsCall::abi_decode_returns(&r.output)?;
    let spec = JobSpec {
        token,
        reward: 10 * 10u128.pow(18),
        tasks: 12,
        review_window: 24 * 3600,
        terms,
        ..JobSpec::default()
    };
    let creator_key = chain.accounts()[1].key;
    let deadline = U256::from(chain.timestamp() + 3_600);
    let permit = sign_permit(
        &creator_key,
        token,
        chain.chain_id(),
        Permit {
            owner: creator,
            spender: market,
            value: spec.escrow(),
            nonce: U256::ZERO,
            deadline,
        },
    )?;
    let create = spec.call_with_permit(chain.timestamp(), &permit);
    let r = to_market(
        &mut chain,
        &mut steps,
        creator,
        "mode review: creator escrows a 12-task job, 10 LMR per task, under the expert's terms (permit + transferFrom in one call)".into(),
        create.abi_encode(),
    )?;
    let job = IMarket::createJobCall::abi_decode_returns(&r.output)?;

    // 5. Annotator 1 claims six tasks and submits their labels.
    let first: Vec<u32> = (0..6).collect();
    to_market(
        &mut chain,
        &mut steps,
        annotators[0],
        "annotator 1 claims tasks 0-5 (30-minute reservation)".into(),
        IMarket::claimTasksCall {
            jobId: job,
            taskIds: first.clone(),
        }
        .abi_encode(),
    )?;
    let r = to_market(
        &mut chain,
        &mut steps,
        annotators[0],
        "annotator 1 submits 6 labels in one batch".into(),
        IMarket::submitBatchCall {
            jobId: job,
            taskIds: first,
            payload: vec![0u8, 1, 2, 3, 0, 1].into(),
        }
        .abi_encode(),
    )?;
    let batch1 = Batch::from_logs(&r.logs).ok_or_else(|| anyhow!("no batch"))?;

    // 6. Annotator 2 signs a batch; the relayer pays the gas.
    let second: Vec<u32> = (6..9).collect();
    let labels = vec![3u8, 2, 1];
    let sig_deadline = U256::from(chain.timestamp() + 600);
    let nonce = U256::from(0x5eed_u64);
    let signed = SubmitBatch {
        annotator: annotators[1],
        jobId: job,
        taskIds: second.clone(),
        payload: labels.clone().into(),
        nonce,
        deadline: sig_deadline,
    };
    let key2 = chain.accounts()[3].key;
    let signature = sign_batch(&key2, market, chain.chain_id(), &signed)?;
    let r = to_market(
        &mut chain,
        &mut steps,
        relayer,
        "relayer submits annotator 2's signed batch of 3 (annotator pays no gas; unordered nonce)"
            .into(),
        IMarket::submitBatchBySigCall {
            annotator: annotators[1],
            jobId: job,
            taskIds: second,
            payload: labels.into(),
            nonce,
            deadline: sig_deadline,
            signature,
        }
        .abi_encode(),
    )?;
    let batch2 = Batch::from_logs(&r.logs).ok_or_else(|| anyhow!("no batch"))?;

    // 7. Annotator 3 takes the last three tasks directly.
    let r = to_market(
        &mut chain,
        &mut steps,
        annotators[2],
        "annotator 3 labels tasks 9-11 (claim and submit in one call)".into(),
        IMarket::submitBatchCall {
            jobId: job,
            taskIds: vec![9, 10, 11],
            payload: vec![3u8, 0, 1].into(),
        }
        .abi_encode(),
    )?;
    let batch3 = Batch::from_logs(&r.logs).ok_or_else(|| anyhow!("no batch"))?;

    // 8. The creator reviews batch 1: task 3 rejected, five approved and
    // paid; the rejection holds task 3's reward and the arbiter's fee.
    send(
        &mut chain,
        &mut steps,
        creator,
        "creator approves the market for arbiter-fee deposits (1 LMR each)".into(),
        IRewardToken::approveCall {
            spender: market,
            value: U256::from(arbiter_fee),
        }
        .abi_encode(),
    )?;
    let r = to_market(
        &mut chain,
        &mut steps,
        creator,
        "creator approves 5 of annotator 1's labels, rejects task 3 (reason 2): 50 LMR paid at once, 1 LMR fee deposited".into(),
        review_batches_call(std::slice::from_ref(&batch1), &[0, 0, 0, 2, 0, 0]).abi_encode(),
    )?;
    let rejection =
        Rejection::from_review(&batch1, &r.logs).ok_or_else(|| anyhow!("no rejection"))?;

    // 9. Annotator 1 disputes; the expert overturns the rejection.
    send(
        &mut chain,
        &mut steps,
        annotators[0],
        "annotator 1 approves the market for the dispute bond (2 LMR)".into(),
        IRewardToken::approveCall {
            spender: market,
            value: U256::from(dispute_bond),
        }
        .abi_encode(),
    )?;
    let r = to_market(
        &mut chain,
        &mut steps,
        annotators[0],
        "annotator 1 disputes the rejection of task 3, bonding 2 LMR".into(),
        rejection.dispute_call().abi_encode(),
    )?;
    let disputed = rejection
        .disputed(&r.logs)
        .ok_or_else(|| anyhow!("no dispute"))?;
    to_market(
        &mut chain,
        &mut steps,
        expert,
        "the expert finds the label right and overturns: task 3 paid (10 LMR), bond back, fee to the expert".into(),
        disputed.rule_call(true).abi_encode(),
    )?;

    // 10. The creator goes quiet; after the review window anyone settles.
    chain.warp(24 * 3600 + 1);
    to_market(
        &mut chain,
        &mut steps,
        relayer,
        "after the 24 h review window, anyone approves the 2 pending batches: paid, job complete"
            .into(),
        review_batches_call(&[batch2, batch3], &[]).abi_encode(),
    )?;
    let info = chain
        .read(market, &IMarket::getJobCall { jobId: job })
        .map_err(|e| anyhow!("getJob: {e}"))?;
    if info.status != 2 || !info.escrow.is_zero() {
        return Err(anyhow!("the demo job did not complete"));
    }

    // 11. The finished dataset: published with provenance, sold, royalties out.
    let registry_args =
        crate::registry::DatasetRegistryConstructor::constructorCall { admin, market }.abi_encode();
    let (registry, receipt) = chain
        .deploy_via_deployer(
            admin,
            &registry_wasm,
            &registry_args,
            U256::ZERO,
            B256::ZERO,
            unit,
        )
        .map_err(|e| anyhow!("deploy registry: {e}"))?;
    steps.push(Step {
        what: format!(
            "deploy + activate + construct DatasetRegistry at {registry} (StylusDeployer)"
        ),
        receipt,
    });
    let to_registry =
        |chain: &mut Devnet,
         steps: &mut Vec<Step>,
         from: Address,
         value: U256,
         what: String,
         data: Vec<u8>|
         -> Result<Receipt> { transact(chain, steps, registry, from, value, what, data) };
    let publication = crate::registry::Publication {
        source: market,
        job,
        price: unit.saturating_to::<u128>() / 10,
        ..crate::registry::Publication::default()
    };
    let r = to_registry(
        &mut chain,
        &mut steps,
        creator,
        U256::ZERO,
        "creator publishes the COCO package (root hash) from job 1: provenance read from the market".into(),
        publication.call().abi_encode(),
    )?;
    let dataset = crate::registry::IRegistry::publishCall::abi_decode_returns(&r.output)?;
    let buyer = chain.account(7);
    let trainer = chain.account(8);
    to_registry(
        &mut chain,
        &mut steps,
        buyer,
        U256::from(publication.price),
        "a buyer licenses it for a fine-tuning service (0.1 ETH; 20 % to the 3 annotators)".into(),
        crate::registry::IRegistry::purchaseCall {
            datasetId: dataset,
            licensee: trainer,
            token: Address::ZERO,
            maxPrice: publication.price,
        }
        .abi_encode(),
    )?;
    let eth_before: Vec<U256> = annotators.iter().map(|a| chain.balance(*a)).collect();
    for (i, a) in annotators.iter().enumerate() {
        to_registry(
            &mut chain,
            &mut steps,
            *a,
            U256::ZERO,
            format!(
                "annotator {} withdraws its royalty (pro rata to approved tasks)",
                i + 1
            ),
            crate::registry::IRegistry::withdrawRoyaltiesCall {
                source: market,
                jobId: job,
                token: Address::ZERO,
                to: *a,
            }
            .abi_encode(),
        )?;
    }
    to_registry(
        &mut chain,
        &mut steps,
        creator,
        U256::ZERO,
        "creator withdraws the sale proceeds".into(),
        crate::registry::IRegistry::withdrawRoyaltiesCall {
            source: market,
            jobId: job,
            token: Address::ZERO,
            to: creator,
        }
        .abi_encode(),
    )?;
    let royalties: Vec<U256> = annotators
        .iter()
        .zip(&eth_before)
        .map(|(a, before)| chain.balance(*a).saturating_sub(*before))
        .collect();
    let licensed = chain
        .read(
            registry,
            &crate::registry::IRegistry::hasLicenseCall {
                datasetId: dataset,
                account: trainer,
            },
        )
        .map_err(|e| anyhow!("hasLicense: {e}"))?;

    // 12. A consensus job on the QualityHub, paid in LMR: stakes per vote,
    // commit–reveal, a gold task revealed first, a tie escalated to the
    // expert, payouts to the agreeing votes, slashes shared.
    let hub_wasm = crate::hub::HubWasm::load()?;
    let (hub_ext, receipts) = chain
        .deploy_wasm(admin, &hub_wasm.extension, None)
        .map_err(|e| anyhow!("deploy hub extension: {e}"))?;
    for (receipt, what) in receipts.into_iter().zip(["deploy", "activate"]) {
        steps.push(Step {
            what: format!("{what} QualityHub extension at {hub_ext} (no constructor)"),
            receipt,
        });
    }
    let hub_args = crate::hub::QualityHubConstructor::constructorCall {
        stake_token: token,
        registry: market,
        extension: hub_ext,
    }
    .abi_encode();
    let (hub, receipt) = chain
        .deploy_via_deployer(
            admin,
            &hub_wasm.hub,
            &hub_args,
            U256::ZERO,
            B256::ZERO,
            unit,
        )
        .map_err(|e| anyhow!("deploy hub: {e}"))?;
    steps.push(Step {
        what: format!(
            "deploy + activate + construct QualityHub at {hub} (StylusDeployer; stakes and pays LMR, arbiters from the market's registry)"
        ),
        receipt,
    });
    let vote_reward = 1_000_000_000_000_000u128;
    let r = to_market(
        &mut chain,
        &mut steps,
        expert,
        "the expert offers hub terms in LMR: fee 0.001 LMR per task, one hour to rule".into(),
        IMarket::registerArbiterTermsCall {
            token,
            fee: vote_reward,
            bond: vote_reward,
            disputeWindow: 3_600,
            rulingWindow: 3_600,
        }
        .abi_encode(),
    )?;
    let hub_terms = IMarket::registerArbiterTermsCall::abi_decode_returns(&r.output)?;
    let stake = unit / U256::from(100);
    for (i, a) in annotators.iter().enumerate() {
        send(
            &mut chain,
            &mut steps,
            *a,
            format!(
                "annotator {} approves the hub for its stake (0.01 LMR)",
                i + 1
            ),
            IRewardToken::approveCall {
                spender: hub,
                value: stake,
            }
            .abi_encode(),
        )?;
        transact(
            &mut chain,
            &mut steps,
            hub,
            *a,
            U256::ZERO,
            format!("annotator {} stakes 0.01 LMR", i + 1),
            crate::hub::IHub::stakeCall { amount: stake.to() }.abi_encode(),
        )?;
    }
    let spec = crate::hub::HubJob {
        tasks: 4,
        classes: 3,
        reward: vote_reward,
        stake: 2 * vote_reward,
        terms: hub_terms,
        fee: vote_reward,
        gold: vec![(0, 2)],
        ..crate::hub::HubJob::default()
    };
    send(
        &mut chain,
        &mut steps,
        creator,
        "creator approves the hub for the escrow and the gold bond (0.014 LMR)".into(),
        IRewardToken::approveCall {
            spender: hub,
            value: spec.deposit(),
        }
        .abi_encode(),
    )?;
    transact(
        &mut chain,
        &mut steps,
        hub,
        creator,
        U256::ZERO,
        "mode majority: creator escrows a consensus job: 4 tasks × 3 votes × 0.001 LMR, task 0 secretly gold (bond 0.002 LMR)"
            .into(),
        spec.call(creator).abi_encode(),
    )?;
    let hub_job = U256::from(1);
    let ballots: [[u8; 4]; 3] = [[2, 1, 0, 1], [2, 1, 0, 2], [2, 0, 0, 0]];
    let mut votes = Vec::new();
    for (i, (a, labels)) in annotators.iter().zip(ballots).enumerate() {
        let salt = B256::repeat_byte(0x40 + i as u8);
        let commitment = crate::hub::commitment(hub_job, *a, &labels, salt);
        transact(
            &mut chain,
            &mut steps,
            hub,
            *a,
            U256::ZERO,
            format!(
                "annotator {} commits 4 hidden labels (locks 4 × 0.002 LMR)",
                i + 1
            ),
            crate::hub::IHub::commitBatchCall {
                jobId: hub_job,
                tasks: crate::hub::pack_tasks(&[0, 1, 2, 3]),
                commitment,
            }
            .abi_encode(),
        )?;
        votes.push(crate::hub::Vote {
            job: hub_job,
            batch: U256::from(i + 1),
            annotator: *a,
            tasks: vec![0, 1, 2, 3],
            labels: labels.to_vec(),
            salt,
        });
    }
    chain.warp(u64::from(spec.commit));
    transact(
        &mut chain,
        &mut steps,
        hub,
        creator,
        U256::ZERO,
        "creator reveals the gold key first (task 0 = class 2)".into(),
        spec.reveal_gold(hub_job).abi_encode(),
    )?;
    for (i, v) in votes.iter().enumerate() {
        transact(
            &mut chain,
            &mut steps,
            hub,
            v.annotator,
            U256::ZERO,
            format!("annotator {} reveals its labels and salt", i + 1),
            crate::hub::IHub::revealBatchCall {
                jobId: hub_job,
                batchId: v.batch,
                tasks: crate::hub::pack_tasks(&v.tasks),
                labels: v.labels.clone().into(),
                salt: v.salt,
            }
            .abi_encode(),
        )?;
    }
    chain.warp(u64::from(spec.reveal));
    transact(
        &mut chain,
        &mut steps,
        hub,
        expert,
        U256::ZERO,
        "task 3 split three ways (no consensus): the expert labels it class 1, its fee from the task's bounty".into(),
        crate::hub::IHub::ruleTasksCall {
            jobId: hub_job,
            tasks: crate::hub::pack_tasks(&[3]),
            labels: vec![1u8].into(),
        }
        .abi_encode(),
    )?;
    let mut settled = Vec::new();
    for (i, v) in votes.iter().enumerate() {
        let r = transact(
            &mut chain,
            &mut steps,
            hub,
            relayer,
            U256::ZERO,
            format!(
                "a keeper settles annotator {}'s batch (10 % of any slash to the keeper)",
                i + 1
            ),
            crate::hub::IHub::settleBatchCall {
                jobId: hub_job,
                batchId: v.batch,
                annotator: v.annotator,
                tasks: crate::hub::pack_tasks(&v.tasks),
                labels: v.labels.clone().into(),
            }
            .abi_encode(),
        )?;
        let e = r
            .logs
            .iter()
            .find_map(|l| crate::hub::IHub::BatchSettled::decode_log_data(&l.data).ok())
            .ok_or_else(|| anyhow!("no BatchSettled"))?;
        settled.push(e);
    }
    chain.warp(3_600 + u64::from(spec.settle));
    transact(
        &mut chain,
        &mut steps,
        hub,
        relayer,
        U256::ZERO,
        "anyone closes the job: the rest of the escrow and the gold bond are credited to the creator".into(),
        crate::hub::IHub::closeJobCall { jobId: hub_job }.abi_encode(),
    )?;
    transact(
        &mut chain,
        &mut steps,
        hub,
        annotators[0],
        U256::ZERO,
        "annotator 1 claims its share of the slashed stake".into(),
        crate::hub::IHub::claimSlashShareCall { jobId: hub_job }.abi_encode(),
    )?;
    transact(
        &mut chain,
        &mut steps,
        hub,
        annotators[0],
        U256::ZERO,
        "annotator 1 withdraws its pay and slash share (LMR)".into(),
        crate::hub::IHub::withdrawCall { to: annotators[0] }.abi_encode(),
    )?;

    // 13. A bounding-box job judged off chain on the QualityCourt: the
    // oracle posts an IoU result, annotator 3 disputes it, the expert
    // overturns it, everyone claims by Merkle proof.
    let court_run = court_demo(
        &mut chain,
        &mut steps,
        market,
        hub,
        creator,
        relayer,
        &annotators,
    )?;

    // 14. Incident: pause blocks transfers (named revert), unpause restores.
    send(
        &mut chain,
        &mut steps,
        admin,
        "pauser pauses the token".into(),
        IRewardToken::pauseCall {}.abi_encode(),
    )?;
    send(
        &mut chain,
        &mut steps,
        creator,
        "transfer while paused (expected to revert: EnforcedPause)".into(),
        IRewardToken::transferCall {
            to: annotators[1],
            value: unit,
        }
        .abi_encode(),
    )?;
    send(
        &mut chain,
        &mut steps,
        admin,
        "pauser unpauses".into(),
        IRewardToken::unpauseCall {}.abi_encode(),
    )?;

    let after = balances(&mut chain)?;

    writeln!(out, "| # | step | tx | status | gas |")?;
    writeln!(out, "|---|---|---|---|---:|")?;
    let mut total = 0u64;
    for (i, s) in steps.iter().enumerate() {
        let status = if s.receipt.success {
            "ok".to_string()
        } else if s.receipt.reverted_with(&IRewardToken::EnforcedPause {}) {
            "reverted: EnforcedPause()".to_string()
        } else {
            format!("failed {:?}", s.receipt.halt)
        };
        let hash = s.receipt.tx_hash.to_string();
        writeln!(
            out,
            "| {} | {} | {}… | {status} | {} |",
            i + 1,
            s.what,
            &hash[..12],
            s.receipt.gas_used
        )?;
        total += s.receipt.gas_used;
    }
    writeln!(out, "|   | total | | | {total} |")?;
    writeln!(out)?;
    writeln!(out, "| holder | LMR before | LMR after |")?;
    writeln!(out, "|---|---:|---:|")?;
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        writeln!(out, "| {name} | {} | {} |", tokens(*b), tokens(*a))?;
    }
    let supply = chain
        .read(token, &IRewardToken::totalSupplyCall {})
        .map_err(|e| anyhow!("totalSupply: {e}"))?;
    writeln!(out)?;
    writeln!(
        out,
        "total supply {} LMR; every step above is a real transaction on the embedded chain.",
        tokens(supply)
    )?;
    writeln!(
        out,
        "job {job}: status completed, {} tasks approved in {} batches (one rejection overturned by the expert), escrow left 0.",
        info.approved, info.batches
    )?;
    writeln!(
        out,
        "dataset {dataset}: licence held by the fine-tuning service: {licensed}; royalties paid to annotators 1-3 (wei): {}, {}, {}.",
        royalties[0], royalties[1], royalties[2]
    )?;
    for (i, e) in settled.iter().enumerate() {
        writeln!(
            out,
            "consensus job: annotator {} agreed on {} of 4 tasks, paid {} LMR-wei, slashed {} LMR-wei{}.",
            i + 1,
            e.agreed,
            e.paid,
            e.slashed,
            if e.goldFailed { " (gold failed)" } else { "" }
        )?;
    }
    writeln!(out, "{court_run}")?;
    if steps.iter().filter(|s| !s.receipt.success).count() != 1 {
        return Err(anyhow!("unexpected failures in the demo:\n{out}"));
    }
    Ok(out)
}

/// Step 12 of the demo: a geometry job on the QualityCourt. Returns the
/// summary line.
#[allow(clippy::too_many_lines)] // one story, told step by step
fn court_demo(
    chain: &mut Devnet,
    steps: &mut Vec<Step>,
    market: Address,
    hub: Address,
    creator: Address,
    oracle: Address,
    annotators: &[Address; 3],
) -> Result<String> {
    use crate::court::{geometry_payouts, CourtJob, Difficulty, ICourt, PayoutTree, SeedChain};
    use labelmint_quality::geometry::{geometry_consensus, GeoLabel, Shape};

    let expert = chain.account(6);
    let court_wasm = crate::court::CourtWasm::load()?;
    let (court_ext, receipts) = chain
        .deploy_wasm(creator, &court_wasm.extension, None)
        .map_err(|e| anyhow!("deploy court extension: {e}"))?;
    for (receipt, what) in receipts.into_iter().zip(["deploy", "activate"]) {
        steps.push(Step {
            what: format!("{what} QualityCourt extension at {court_ext} (no constructor)"),
            receipt,
        });
    }
    let args = crate::court::QualityCourtConstructor::constructorCall {
        registry: market,
        extension: court_ext,
    }
    .abi_encode();
    let (court, receipt) = chain
        .deploy_via_deployer(
            creator,
            &court_wasm.court,
            &args,
            U256::ZERO,
            B256::ZERO,
            U256::from(10u64).pow(U256::from(18)),
        )
        .map_err(|e| anyhow!("deploy court: {e}"))?;
    steps.push(Step {
        what: format!(
            "deploy + activate + construct QualityCourt at {court} (StylusDeployer; arbiters from the market's registry)"
        ),
        receipt,
    });
    // Boxes on 4 images: annotator 2 is 1 px off annotator 1, annotator 3
    // is 2 px off on images 0 and 2 and 6 px off on images 1 and 3.
    let labels: Vec<GeoLabel> = (0..4u32)
        .flat_map(|t| {
            (0..3u32).map(move |a| {
                let shift = [0.0, 1.0, if t % 2 == 1 { 6.0 } else { 2.0 }][a as usize];
                GeoLabel {
                    task: t,
                    annotator: a,
                    category: 0,
                    shape: Shape::Bbox([10.0 + 5.0 * f64::from(t) + shift, 20.0, 50.0, 40.0]),
                }
            })
        })
        .collect();
    let per_box = 1_000_000_000_000_000u128;
    let r = transact(
        chain,
        steps,
        market,
        expert,
        U256::ZERO,
        "account 6, an expert, offers ETH terms: fee 0.001 ETH, bond 0.001 ETH, 1 h to dispute, 1 day to rule".into(),
        crate::market::IMarket::registerArbiterTermsCall {
            token: Address::ZERO,
            fee: per_box,
            bond: per_box,
            disputeWindow: 3_600,
            rulingWindow: 86_400,
        }
        .abi_encode(),
    )?;
    let terms = crate::market::IMarket::registerArbiterTermsCall::abi_decode_returns(&r.output)?;
    let bond = per_box;
    let seeds = SeedChain::new(alloy_primitives::keccak256(b"creator's audit secret"), 4);
    let spec = CourtJob {
        audit_bps: 2_000,
        seed: seeds.commitment(),
        ..CourtJob::new(oracle, terms)
    };
    transact(
        chain,
        steps,
        court,
        creator,
        U256::from(20 * per_box),
        "mode optimistic: creator escrows 0.02 ETH for a box job judged off chain: relayer = oracle, account 6 = expert, 20 % audits".into(),
        spec.call().abi_encode(),
    )?;
    let job = U256::from(1);
    let result = U256::from(1);
    let strict = geometry_consensus(&labels, 3, 0.9, 2);
    let posted = PayoutTree::new(
        job,
        result,
        geometry_payouts(&strict, annotators, per_box, &Difficulty::default())?,
    )?;
    transact(
        chain,
        steps,
        court,
        oracle,
        U256::ZERO,
        format!(
            "oracle posts the IoU result as a Merkle root (threshold 0.9 by mistake: annotator 3 matched {} of 4), at most 12 boxes' pay",
            strict.annotators[2].matched
        ),
        posted.post_call_max(B256::ZERO, 12 * per_box).abi_encode(),
    )?;
    let audited = seeds.sampled(1, posted.root(), spec.audit_bps);
    transact(
        chain,
        steps,
        court,
        creator,
        U256::ZERO,
        format!(
            "creator reveals audit link 1: {}",
            if audited {
                "sampled for audit"
            } else {
                "not sampled"
            }
        ),
        ICourt::revealSeedCall {
            jobId: job,
            resultId: result,
            seed: seeds.link(1),
        }
        .abi_encode(),
    )?;
    transact(
        chain,
        steps,
        court,
        annotators[2],
        U256::from(bond),
        "annotator 3 disputes the result with a 0.001 ETH bond".into(),
        ICourt::disputeCall {
            jobId: job,
            resultId: result,
        }
        .abi_encode(),
    )?;
    let fair = geometry_consensus(&labels, 3, 0.5, 2);
    let fixed = PayoutTree::new(
        job,
        result,
        geometry_payouts(&fair, annotators, per_box, &Difficulty::default())?,
    )?;
    transact(
        chain,
        steps,
        court,
        expert,
        U256::ZERO,
        format!(
            "expert re-judges at the job's IoU 0.5 and overturns (annotator 3: {} of 4); bond returned, the job pays the fee",
            fair.annotators[2].matched
        ),
        ICourt::ruleCall {
            jobId: job,
            resultId: result,
            overturn: true,
            root: fixed.root(),
            total: fixed.total(),
            leaves: fixed.leaves(),
            details: B256::ZERO,
        }
        .abi_encode(),
    )?;
    for i in 0..fixed.leaves() {
        transact(
            chain,
            steps,
            court,
            oracle,
            U256::ZERO,
            format!(
                "anyone claims annotator {}'s leaf with its Merkle proof",
                i + 1
            ),
            fixed.claim_call(i).abi_encode(),
        )?;
    }
    transact(
        chain,
        steps,
        court,
        creator,
        U256::ZERO,
        "creator closes the job: every unreserved wei is credited back".into(),
        ICourt::closeJobCall { jobId: job }.abi_encode(),
    )?;
    let before = chain.balance(annotators[2]);
    transact(
        chain,
        steps,
        court,
        annotators[2],
        U256::ZERO,
        "annotator 3 withdraws its pay and its bond".into(),
        ICourt::withdrawCall { to: annotators[2] }.abi_encode(),
    )?;
    // The devnet's gas price is zero: the balance change is the withdrawal.
    let received = chain.balance(annotators[2]).saturating_sub(before);
    if received != U256::from(fixed.payouts[2].payout + bond) {
        return Err(anyhow!(
            "annotator 3 received {received}, not its pay and bond"
        ));
    }
    let weighted = weighted_and_expert_jobs(
        chain, steps, court, hub, creator, oracle, terms, per_box, annotators,
    )?;
    let mut credits = U256::ZERO;
    for who in [
        creator,
        oracle,
        expert,
        chain.account(9),
        annotators[0],
        annotators[1],
        annotators[2],
    ] {
        credits += chain
            .read(court, &ICourt::creditOfCall { account: who })
            .map_err(|e| anyhow!("creditOf: {e}"))?;
    }
    if credits != chain.balance(court) {
        return Err(anyhow!(
            "court books do not balance: credits {credits}, held {}",
            chain.balance(court)
        ));
    }
    Ok(format!(
        "court job (mode optimistic): the oracle's root paid annotator 3 for {} of 4 boxes; after the dispute the expert's root paid {} (+ bond back: {received} wei withdrawn). {weighted} The court still holds {} wei, all of it credits awaiting withdrawal.",
        strict.annotators[2].matched,
        fair.annotators[2].matched,
        chain.balance(court)
    ))
}

/// After the dispute hour each annotator claims its leaf of `tree`; then
/// the creator closes the job (`closing` describes it).
fn claim_and_close(
    chain: &mut Devnet,
    steps: &mut Vec<Step>,
    court: Address,
    creator: Address,
    annotators: &[Address; 3],
    tree: &crate::court::PayoutTree,
    closing: &str,
) -> Result<()> {
    chain.warp(3_601);
    for (i, p) in tree.payouts.iter().enumerate() {
        transact(
            chain,
            steps,
            court,
            annotators[i],
            U256::ZERO,
            format!(
                "annotator {} claims {} wei for {} labels, undisputed after the hour",
                i + 1,
                p.payout,
                p.labels
            ),
            tree.claim_call(i as u32).abi_encode(),
        )?;
    }
    transact(
        chain,
        steps,
        court,
        creator,
        U256::ZERO,
        closing.into(),
        crate::court::ICourt::closeJobCall { jobId: tree.job }.abi_encode(),
    )?;
    Ok(())
}

/// Court jobs 2 and 3: mode weighted (the oracle posts the vote weighted by
/// the hub's on-chain reputations) and mode expert (a named expert posts
/// its verdicts); each result claimed after the dispute window, each job
/// closed. Returns a one-line summary.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
fn weighted_and_expert_jobs(
    chain: &mut Devnet,
    steps: &mut Vec<Step>,
    court: Address,
    hub: Address,
    creator: Address,
    oracle: Address,
    terms: u32,
    fee: u128,
    annotators: &[Address; 3],
) -> Result<String> {
    use crate::court::{plan_payouts, CourtJob, Payout, PayoutTree};
    use labelmint_quality::payout::{weighted_payouts, Policy, Reputation};

    // Mode weighted: 4 text tasks × 3 votes, 0.001 ETH a task.
    let per_task = 1_000_000_000_000_000u128;
    transact(
        chain,
        steps,
        court,
        creator,
        U256::from(4 * per_task + fee),
        "mode weighted: creator escrows 4 tasks × 0.001 ETH (+ one arbiter fee) for a reputation-weighted vote posted by the oracle".into(),
        CourtJob::new(oracle, terms).call().abi_encode(),
    )?;
    let job = U256::from(2);
    // Annotator 3 is alone on tasks 1 and 3.
    let ballots = [[0u16, 1, 2, 0], [0, 1, 2, 0], [0, 2, 2, 1]];
    let votes: Vec<labelmint_quality::Response> = ballots
        .iter()
        .enumerate()
        .flat_map(|(a, b)| {
            b.iter()
                .enumerate()
                .map(move |(t, &label)| labelmint_quality::Response {
                    task: t as u32,
                    annotator: a as u32,
                    label,
                })
        })
        .collect();
    let responses = labelmint_quality::Responses::new(4, 3, 3, votes)?;
    let reps: Vec<Reputation> = annotators
        .iter()
        .map(|&who| {
            let r = chain
                .read(hub, &crate::hub::IHub::reputationOfCall { annotator: who })
                .map_err(|e| anyhow!("reputationOf: {e}"))?;
            Ok(Reputation {
                judged: r.judged,
                score_bps: u32::from(r.scoreBps),
            })
        })
        .collect::<Result<_>>()?;
    let plan = weighted_payouts(
        &responses,
        &reps,
        per_task,
        &std::collections::BTreeMap::new(),
        &Policy::default(),
    )?;
    let tree = PayoutTree::new(job, U256::from(1), plan_payouts(&plan, annotators))?;
    transact(
        chain,
        steps,
        court,
        oracle,
        U256::ZERO,
        format!(
            "oracle posts the weighted vote (weights from the hub's reputations: {} / {} / {} bps): {} wei in all",
            reps[0].score_bps,
            reps[1].score_bps,
            reps[2].score_bps,
            tree.total()
        ),
        tree.post_call(B256::ZERO).abi_encode(),
    )?;
    claim_and_close(
        chain,
        steps,
        court,
        creator,
        annotators,
        &tree,
        "creator closes the weighted job (the unpaid share back to its credit)",
    )?;

    // Mode expert: account 9 verifies 4 labels and posts its verdicts.
    let reviewer = chain.account(9);
    transact(
        chain,
        steps,
        court,
        creator,
        U256::from(4 * per_task + fee),
        "mode expert: creator escrows 4 labels × 0.001 ETH (+ one arbiter fee); account 9 is the expert who verifies them".into(),
        CourtJob::new(reviewer, terms).call().abi_encode(),
    )?;
    let job = U256::from(3);
    // Annotator 1 labelled tasks 0-1 (both accepted), annotator 2 tasks
    // 2-3 (task 3 rejected): verdict bit i = task i accepted.
    let payouts = vec![
        Payout {
            annotator: annotators[0],
            payout: 2 * per_task,
            labels: 2,
            verdicts: B256::with_last_byte(0b0011),
        },
        Payout {
            annotator: annotators[1],
            payout: per_task,
            labels: 1,
            verdicts: B256::with_last_byte(0b0100),
        },
    ];
    let tree = PayoutTree::new(job, U256::from(1), payouts)?;
    transact(
        chain,
        steps,
        court,
        reviewer,
        U256::ZERO,
        "the expert posts its verdicts: 3 of 4 labels accepted".into(),
        tree.post_call(B256::ZERO).abi_encode(),
    )?;
    claim_and_close(
        chain,
        steps,
        court,
        creator,
        annotators,
        &tree,
        "creator closes the expert job: the rejected label's pay returns",
    )?;
    Ok(format!(
        "Weighted job: reputations {} / {} / {} bps weighted the votes; annotator 3, alone on two tasks, got {} of the {} wei paid. Expert job: 3 of 4 labels accepted and paid.",
        reps[0].score_bps,
        reps[1].score_bps,
        reps[2].score_bps,
        plan.pay[2],
        plan.total()
    ))
}
