//! Event logs to typed records.
//!
//! [`decode`] turns a log of a known program into its generated event enum
//! ([`Event`]); [`Event::record`] flattens it into a [`Record`]: the event's
//! name, the job, batch and dataset it concerns, every address it involves
//! (for per-address feeds) and its fields as JSON (amounts as decimal
//! strings, task lists unpacked). QualityHub events are flattened the same
//! way (jobs, batches, stakes, credits; labels as a list of class numbers),
//! Timelock events with their operation ids, calls and roles; QualityCourt
//! events decode too, their records carry the name only.

use alloy_primitives::{Address, LogData, U256};
use alloy_sol_types::SolEventInterface;
use serde::Serialize;
use serde_json::{json, Value};

use crate::{
    court::ICourt,
    hub::IHub,
    market::{unpack_tasks, IMarket::IAnnotationMarketEvents as M},
    registry::IRegistry::IDatasetRegistryEvents as R,
    revert::Program,
    timelock::ITimelock,
    token::IRewardToken::IRewardTokenEvents as T,
};

/// A decoded event of one of the programs.
#[derive(Clone, Debug)]
pub enum Event {
    /// An AnnotationMarket event.
    Market(M),
    /// A DatasetRegistry event.
    Registry(R),
    /// A RewardToken event.
    Token(T),
    /// A QualityHub event, with its name.
    Hub(IHub::IQualityHubEvents, &'static str),
    /// A QualityCourt event, with its name.
    Court(ICourt::IQualityCourtEvents, &'static str),
    /// A Timelock event, with its name.
    Timelock(ITimelock::ITimelockEvents, &'static str),
}

/// An event flattened for storage and feeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    /// The program that emitted it.
    pub program: Program,
    /// The event's name (`LabelsSubmitted`).
    pub name: &'static str,
    /// The job it concerns.
    pub job: Option<U256>,
    /// The batch it concerns.
    pub batch: Option<U256>,
    /// The dataset it concerns.
    pub dataset: Option<U256>,
    /// Every address it names (creator, annotator, payee, buyer, …).
    pub accounts: Vec<Address>,
    /// Its fields (amounts as decimal strings, tasks unpacked).
    pub fields: Value,
}

/// `log` decoded as an event of `program`; `None` for an event the program
/// does not declare or a malformed log.
pub fn decode(program: Program, log: &LogData) -> Option<Event> {
    let (topics, data) = (log.topics(), log.data.as_ref());
    Some(match program {
        Program::AnnotationMarket => Event::Market(M::decode_raw_log(topics, data).ok()?),
        Program::DatasetRegistry => Event::Registry(R::decode_raw_log(topics, data).ok()?),
        Program::RewardToken => Event::Token(T::decode_raw_log(topics, data).ok()?),
        Program::QualityHub => {
            type H = IHub::IQualityHubEvents;
            let name = H::name_by_selector(topics.first()?.0)?;
            Event::Hub(H::decode_raw_log(topics, data).ok()?, name)
        }
        Program::QualityCourt => {
            type C = ICourt::IQualityCourtEvents;
            let name = C::name_by_selector(topics.first()?.0)?;
            Event::Court(C::decode_raw_log(topics, data).ok()?, name)
        }
        Program::Timelock => {
            type L = ITimelock::ITimelockEvents;
            let name = L::name_by_selector(topics.first()?.0)?;
            Event::Timelock(L::decode_raw_log(topics, data).ok()?, name)
        }
    })
}

fn n(v: impl std::fmt::Display) -> Value {
    Value::String(v.to_string())
}

impl Event {
    /// The event flattened into a [`Record`].
    #[allow(clippy::too_many_lines)]
    pub fn record(&self) -> Record {
        let mut r = Record {
            program: Program::AnnotationMarket,
            name: "",
            job: None,
            batch: None,
            dataset: None,
            accounts: Vec::new(),
            fields: Value::Null,
        };
        match self {
            Self::Market(e) => market(e, &mut r),
            Self::Registry(e) => registry(e, &mut r),
            Self::Token(e) => {
                r.program = Program::RewardToken;
                match e {
                    T::Transfer(e) => {
                        r.name = "Transfer";
                        r.accounts = vec![e.from, e.to];
                        r.fields = json!({"from": e.from, "to": e.to, "value": n(e.value)});
                    }
                    T::Approval(e) => {
                        r.name = "Approval";
                        r.accounts = vec![e.owner, e.spender];
                        r.fields =
                            json!({"owner": e.owner, "spender": e.spender, "value": n(e.value)});
                    }
                    T::Paused(_) => r.name = "Paused",
                    T::Unpaused(_) => r.name = "Unpaused",
                    T::RoleGranted(_) => r.name = "RoleGranted",
                    T::RoleRevoked(_) => r.name = "RoleRevoked",
                }
            }
            Self::Hub(e, name) => {
                r.program = Program::QualityHub;
                r.name = name;
                hub(e, &mut r);
            }
            Self::Court(_, name) => {
                r.program = Program::QualityCourt;
                r.name = name;
            }
            Self::Timelock(e, name) => {
                r.program = Program::Timelock;
                r.name = name;
                timelock(e, &mut r);
            }
        }
        r
    }
}

#[allow(clippy::too_many_lines)]
fn market(e: &M, r: &mut Record) {
    r.program = Program::AnnotationMarket;
    match e {
        M::JobCreated(e) => {
            r.name = "JobCreated";
            r.job = Some(e.jobId);
            r.accounts = vec![e.creator];
            r.fields = json!({
                "jobId": n(e.jobId), "creator": e.creator, "token": e.token,
                "dataRoot": e.dataRoot, "metadataHash": e.metadataHash, "taskCount": e.taskCount,
                "rewardPerTask": n(e.rewardPerTask), "escrow": n(e.escrow),
                "arbiterTerms": e.arbiterTerms,
            });
        }
        M::JobDifficulty(e) => {
            r.name = "JobDifficulty";
            r.job = Some(e.jobId);
            r.fields = json!({"jobId": n(e.jobId), "difficulty": e.difficulty.to_vec()});
        }
        M::TasksClaimed(e) => {
            r.name = "TasksClaimed";
            r.job = Some(e.jobId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "annotator": e.annotator,
                "expiresAt": e.expiresAt, "tasks": unpack_tasks(&e.tasks)});
        }
        M::ClaimReleased(e) => {
            r.name = "ClaimReleased";
            r.job = Some(e.jobId);
            r.accounts = vec![e.annotator, e.by];
            r.fields = json!({"jobId": n(e.jobId), "annotator": e.annotator, "by": e.by,
                "tasks": unpack_tasks(&e.tasks)});
        }
        M::LabelsSubmitted(e) => {
            r.name = "LabelsSubmitted";
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId),
                "annotator": e.annotator, "submittedAt": e.submittedAt,
                "tasks": unpack_tasks(&e.tasks), "payload": e.payload});
        }
        M::BatchReviewed(e) => {
            r.name = "BatchReviewed";
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId),
                "annotator": e.annotator, "reviewedAt": e.reviewedAt, "approved": e.approved,
                "rejected": e.rejected, "amount": n(e.amount), "automatic": e.automatic,
                "verdicts": e.verdicts});
        }
        M::RejectionDisputed(e) => {
            r.name = "RejectionDisputed";
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId),
                "annotator": e.annotator, "disputedAt": e.disputedAt, "bond": n(e.bond)});
        }
        M::RejectionSettled(e) => {
            r.name = "RejectionSettled";
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId),
                "annotator": e.annotator, "outcome": e.outcome, "tasks": e.tasks});
        }
        M::RewardPaid(e) => {
            r.name = "RewardPaid";
            r.accounts = vec![e.to];
            r.fields = json!({"token": e.token, "to": e.to, "amount": n(e.amount)});
        }
        M::RewardCredited(e) => {
            r.name = "RewardCredited";
            r.accounts = vec![e.to];
            r.fields = json!({"token": e.token, "to": e.to, "amount": n(e.amount)});
        }
        M::Withdrawn(e) => {
            r.name = "Withdrawn";
            r.accounts = vec![e.to];
            r.fields = json!({"token": e.token, "to": e.to, "amount": n(e.amount)});
        }
        M::JobCompleted(e) => {
            r.name = "JobCompleted";
            r.job = Some(e.jobId);
            r.fields = json!({"jobId": n(e.jobId)});
        }
        M::JobCancelled(e) => {
            r.name = "JobCancelled";
            r.job = Some(e.jobId);
            r.accounts = vec![e.by];
            r.fields = json!({"jobId": n(e.jobId), "by": e.by, "refund": n(e.refund)});
        }
        M::EscrowRefunded(e) => {
            r.name = "EscrowRefunded";
            r.job = Some(e.jobId);
            r.fields = json!({"jobId": n(e.jobId), "amount": n(e.amount)});
        }
        M::ArbiterTermsRegistered(e) => {
            r.name = "ArbiterTermsRegistered";
            r.accounts = vec![e.arbiter];
            r.fields = json!({"termsId": e.termsId, "arbiter": e.arbiter, "token": e.token,
                "fee": n(e.fee), "bond": n(e.bond), "disputeWindow": e.disputeWindow,
                "rulingWindow": e.rulingWindow});
        }
        M::NoncesInvalidated(e) => {
            r.name = "NoncesInvalidated";
            r.accounts = vec![e.annotator];
            r.fields =
                json!({"annotator": e.annotator, "wordPos": n(e.wordPos), "mask": n(e.mask)});
        }
        M::Paused(_) => r.name = "Paused",
        M::Unpaused(_) => r.name = "Unpaused",
        M::PauserSet(e) => {
            r.name = "PauserSet";
            r.accounts = vec![e.account];
        }
        M::AdminTransferStarted(_) => r.name = "AdminTransferStarted",
        M::AdminTransferred(_) => r.name = "AdminTransferred",
    }
}

/// The accounts of a hub event: `main`, and `keeper` when it is not zero.
fn with_keeper(main: Address, keeper: Address) -> Vec<Address> {
    if keeper.is_zero() || keeper == main {
        vec![main]
    } else {
        vec![main, keeper]
    }
}

#[allow(clippy::too_many_lines)]
fn hub(e: &IHub::IQualityHubEvents, r: &mut Record) {
    use IHub::IQualityHubEvents as H;
    match e {
        H::JobCreated(e) => {
            r.job = Some(e.jobId);
            r.accounts = vec![e.creator];
            r.fields = json!({"jobId": n(e.jobId), "creator": e.creator, "dataRoot": e.dataRoot,
                "taskCount": e.taskCount, "replication": e.replication, "escrow": n(e.escrow),
                "arbiterTerms": e.arbiterTerms});
        }
        H::BatchCommitted(e) => {
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId), "annotator": e.annotator,
                "commitment": e.commitment, "tasks": unpack_tasks(&e.tasks), "locked": n(e.locked)});
        }
        H::BatchRevealed(e) => {
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = vec![e.annotator];
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId), "annotator": e.annotator,
                "labels": e.labels.to_vec()});
        }
        H::BatchSettled(e) => {
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = with_keeper(e.annotator, e.keeper);
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId), "annotator": e.annotator,
                "agreed": e.agreed, "disagreed": e.disagreed, "paid": n(e.paid), "slashed": n(e.slashed),
                "goldFailed": e.goldFailed, "keeper": e.keeper, "keeperShare": n(e.keeperShare)});
        }
        H::BatchForfeited(e) => {
            r.job = Some(e.jobId);
            r.batch = Some(e.batchId);
            r.accounts = with_keeper(e.annotator, e.keeper);
            r.fields = json!({"jobId": n(e.jobId), "batchId": n(e.batchId), "annotator": e.annotator,
                "slashed": n(e.slashed), "keeper": e.keeper, "keeperShare": n(e.keeperShare)});
        }
        H::GoldRevealed(e) => {
            r.job = Some(e.jobId);
            r.fields = json!({"jobId": n(e.jobId), "tasks": e.tasks});
        }
        H::JobDifficulty(e) => {
            r.job = Some(e.jobId);
            r.fields = json!({"jobId": n(e.jobId), "difficulty": e.difficulty.to_vec()});
        }
        H::JobClosed(e) => {
            r.job = Some(e.jobId);
            r.fields = json!({"jobId": n(e.jobId), "refund": n(e.refund), "slashPool": n(e.slashPool),
                "bondForfeited": e.bondForfeited});
        }
        H::TasksRuled(e) => {
            r.job = Some(e.jobId);
            r.accounts = vec![e.arbiter];
            r.fields = json!({"jobId": n(e.jobId), "arbiter": e.arbiter, "tasks": unpack_tasks(&e.tasks),
                "labels": e.labels.to_vec(), "fees": n(e.fees)});
        }
        H::SlashShareClaimed(e) => {
            r.job = Some(e.jobId);
            r.accounts = vec![e.account];
            r.fields = json!({"jobId": n(e.jobId), "account": e.account, "amount": n(e.amount)});
        }
        H::ReputationUpdated(e) => {
            r.accounts = vec![e.annotator];
            r.fields = json!({"annotator": e.annotator, "judged": e.judged, "agreed": e.agreed,
                "scoreBps": e.scoreBps, "valueAtStake": n(e.valueAtStake)});
        }
        H::Staked(e) => {
            r.accounts = vec![e.annotator];
            r.fields =
                json!({"annotator": e.annotator, "amount": n(e.amount), "staked": n(e.staked)});
        }
        H::UnstakeRequested(e) => {
            r.accounts = vec![e.annotator];
            r.fields =
                json!({"annotator": e.annotator, "amount": n(e.amount), "readyAt": e.readyAt});
        }
        H::StakeWithdrawn(e) => {
            r.accounts = vec![e.annotator];
            r.fields = json!({"annotator": e.annotator, "amount": n(e.amount)});
        }
        H::Withdrawn(e) => {
            r.accounts = vec![e.account, e.to];
            r.fields = json!({"account": e.account, "to": e.to, "amount": n(e.amount)});
        }
    }
}

fn registry(e: &R, r: &mut Record) {
    r.program = Program::DatasetRegistry;
    match e {
        R::DatasetPublished(e) => {
            r.name = "DatasetPublished";
            r.dataset = Some(e.datasetId);
            r.job = (!e.sourceJobId.is_zero()).then_some(e.sourceJobId);
            r.accounts = vec![e.publisher];
            r.fields = json!({"datasetId": n(e.datasetId), "publisher": e.publisher,
                "rootHash": e.rootHash, "source": e.source, "sourceJobId": n(e.sourceJobId),
                "dataRoot": e.dataRoot, "previousVersion": n(e.previousVersion),
                "format": e.format, "price": n(e.price), "paymentToken": e.paymentToken,
                "carryLicenses": e.carryLicenses});
        }
        R::LicensePurchased(e) => {
            r.name = "LicensePurchased";
            r.dataset = Some(e.datasetId);
            r.accounts = vec![e.buyer, e.licensee];
            r.fields = json!({"datasetId": n(e.datasetId), "buyer": e.buyer,
                "licensee": e.licensee, "price": n(e.price), "royalty": n(e.royalty),
                "fee": n(e.fee)});
        }
        R::PriceChanged(e) => {
            r.name = "PriceChanged";
            r.dataset = Some(e.datasetId);
            r.fields = json!({"datasetId": n(e.datasetId), "price": n(e.price)});
        }
        R::ListingChanged(e) => {
            r.name = "ListingChanged";
            r.dataset = Some(e.datasetId);
            r.fields = json!({"datasetId": n(e.datasetId), "listed": e.listed});
        }
        R::Credited(e) => {
            r.name = "Credited";
            r.accounts = vec![e.account];
            r.fields = json!({"token": e.token, "account": e.account, "amount": n(e.amount)});
        }
        R::RoyaltyWithdrawn(e) => {
            r.name = "RoyaltyWithdrawn";
            r.job = Some(e.jobId);
            r.accounts = vec![e.annotator, e.to];
            r.fields = json!({"jobId": n(e.jobId), "token": e.token, "annotator": e.annotator,
                "source": e.source, "to": e.to, "amount": n(e.amount)});
        }
        R::Withdrawn(e) => {
            r.name = "Withdrawn";
            r.accounts = vec![e.account, e.to];
            r.fields = json!({"token": e.token, "account": e.account, "to": e.to,
                "amount": n(e.amount)});
        }
        R::FeeChanged(_) => r.name = "FeeChanged",
        R::JobSourceSet(_) => r.name = "JobSourceSet",
        R::RoyaltyShareChanged(_) => r.name = "RoyaltyShareChanged",
        R::AdminTransferStarted(_) => r.name = "AdminTransferStarted",
        R::AdminTransferred(_) => r.name = "AdminTransferred",
    }
}

fn timelock(e: &ITimelock::ITimelockEvents, r: &mut Record) {
    use ITimelock::ITimelockEvents as L;
    match e {
        L::CallScheduled(e) => {
            r.accounts = vec![e.target];
            r.fields = json!({"id": e.id, "index": n(e.index), "target": e.target,
                "value": n(e.value), "data": e.data, "predecessor": e.predecessor, "delay": n(e.delay)});
        }
        L::CallExecuted(e) => {
            r.accounts = vec![e.target];
            r.fields = json!({"id": e.id, "index": n(e.index), "target": e.target,
                "value": n(e.value), "data": e.data});
        }
        L::Cancelled(e) => r.fields = json!({"id": e.id}),
        L::CallSalt(e) => r.fields = json!({"id": e.id, "salt": e.salt}),
        L::MinDelayChange(e) => {
            r.fields = json!({"oldDuration": n(e.oldDuration), "newDuration": n(e.newDuration)});
        }
        L::RoleGranted(e) => {
            r.accounts = vec![e.account, e.sender];
            r.fields = json!({"role": e.role, "account": e.account, "sender": e.sender});
        }
        L::RoleRevoked(e) => {
            r.accounts = vec![e.account, e.sender];
            r.fields = json!({"role": e.role, "account": e.account, "sender": e.sender});
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, B256};
    use alloy_sol_types::SolEvent;

    use super::*;
    use crate::market::{pack_tasks, IMarket};

    #[test]
    fn labels_submitted_becomes_a_record_with_unpacked_tasks() {
        let e = IMarket::LabelsSubmitted {
            jobId: U256::from(4),
            batchId: U256::from(2),
            annotator: Address::repeat_byte(9),
            submittedAt: 77,
            tasks: pack_tasks(&[1, 5]),
            payload: Bytes::from(vec![0, 1]),
        };
        let log = e.encode_log_data();
        let r = decode(Program::AnnotationMarket, &log)
            .expect("decodes")
            .record();
        assert_eq!(r.name, "LabelsSubmitted");
        assert_eq!(r.job, Some(U256::from(4)));
        assert_eq!(r.batch, Some(U256::from(2)));
        assert_eq!(r.accounts, vec![Address::repeat_byte(9)]);
        assert_eq!(r.fields["tasks"], json!([1, 5]));
    }

    #[test]
    fn hub_batch_committed_becomes_a_record_with_its_job_batch_and_tasks() {
        let e = IHub::BatchCommitted {
            jobId: U256::from(3),
            batchId: U256::from(7),
            annotator: Address::repeat_byte(5),
            commitment: B256::repeat_byte(0xc0),
            tasks: pack_tasks(&[0, 4]),
            locked: 40,
        };
        let r = decode(Program::QualityHub, &e.encode_log_data())
            .expect("decodes")
            .record();
        assert_eq!(r.name, "BatchCommitted");
        assert_eq!(r.program, Program::QualityHub);
        assert_eq!((r.job, r.batch), (Some(U256::from(3)), Some(U256::from(7))));
        assert_eq!(r.accounts, vec![Address::repeat_byte(5)]);
        assert_eq!(r.fields["tasks"], json!([0, 4]));
        assert_eq!(r.fields["locked"], json!("40"));
    }

    #[test]
    fn hub_batch_revealed_lists_its_labels_as_class_numbers() {
        let e = IHub::BatchRevealed {
            jobId: U256::from(1),
            batchId: U256::from(2),
            annotator: Address::repeat_byte(5),
            labels: Bytes::from(vec![1, 0, 1]),
        };
        let r = decode(Program::QualityHub, &e.encode_log_data())
            .expect("decodes")
            .record();
        assert_eq!(r.fields["labels"], json!([1, 0, 1]));
    }

    #[test]
    fn foreign_log_is_not_decoded() {
        let log = LogData::new_unchecked(vec![B256::repeat_byte(1)], Bytes::new());
        assert!(decode(Program::AnnotationMarket, &log).is_none());
    }
}
