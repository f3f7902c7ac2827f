//! The QualityHub's bindings, generated from `abi/QualityHub.sol`, and the
//! encodings its batch calls take: packed task ids and the commitment.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};

#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/QualityHub.sol"
    );
}
pub use bindings::*;
pub use IQualityHub as IHub;

/// Task ids as the hub's batch calls take them: packed big-endian uint32.
pub fn pack_tasks(tasks: &[u32]) -> Bytes {
    tasks.iter().flat_map(|t| t.to_be_bytes()).collect()
}

/// `keccak256(jobId ‖ annotator ‖ labels ‖ salt)`: what `commitBatch` takes
/// and what `revealBatch` opens (the job id as 32 bytes, the address as 20,
/// one byte per label).
pub fn commitment(job: U256, annotator: Address, labels: &[u8], salt: B256) -> B256 {
    let mut pre = job.to_be_bytes::<32>().to_vec();
    pre.extend_from_slice(annotator.as_slice());
    pre.extend_from_slice(labels);
    pre.extend_from_slice(salt.as_slice());
    keccak256(pre)
}

/// `keccak256(creator ‖ tasks ‖ labels ‖ salt)`: the gold key's commitment
/// `createJob` takes and `revealGold` opens (the creator's 20 bytes, the
/// gold task ids packed as big-endian uint32, one byte per label, the salt).
pub fn gold_commitment(creator: Address, tasks: &[u32], labels: &[u8], salt: B256) -> B256 {
    let mut pre = creator.to_vec();
    pre.extend_from_slice(&pack_tasks(tasks));
    pre.extend_from_slice(labels);
    pre.extend_from_slice(salt.as_slice());
    keccak256(pre)
}

/// Difficulty classes as `createWeightedJob` takes them: per class its end
/// (big-endian uint32, exclusive) and its weight.
pub fn pack_difficulty(classes: &[(u32, u8)]) -> Bytes {
    classes
        .iter()
        .flat_map(|(end, w)| {
            let mut c = end.to_be_bytes().to_vec();
            c.push(*w);
            c
        })
        .collect()
}

/// `createWeightedJob` with the parameters of `c` and `difficulty`.
pub fn weighted(c: IHub::createJobCall, difficulty: Bytes) -> IHub::createWeightedJobCall {
    IHub::createWeightedJobCall {
        dataRoot: c.dataRoot,
        rewardPerVote: c.rewardPerVote,
        taskCount: c.taskCount,
        replication: c.replication,
        numClasses: c.numClasses,
        quorumBps: c.quorumBps,
        commitDuration: c.commitDuration,
        revealDuration: c.revealDuration,
        settleDuration: c.settleDuration,
        stakePerVote: c.stakePerVote,
        slashBps: c.slashBps,
        minReputationBps: c.minReputationBps,
        arbiterTerms: c.arbiterTerms,
        goldCommitment: c.goldCommitment,
        goldTasks: c.goldTasks,
        difficulty,
    }
}
