//! Functions, events and custom errors of the QualityCourt, declared once in
//! Solidity syntax: the single source of its selectors and of
//! `abi/QualityCourt.{sol,json}`.
#![allow(missing_docs)] // items are documented in Solidity syntax below
#![allow(clippy::too_many_arguments)]

use stylus_sdk::alloy_sol_types::sol;

macro_rules! declare_interface {
    ($(#[$attr:meta])*) => {
        sol! {
            $(#[$attr])*
            #[sol(all_derives)]
            interface IQualityCourt {
                /// Creates a job judged off chain and escrows msg.value (ETH, > 0). `oracle` posts per-batch results; the arbiter of
                /// terms `arbiterTerms` (registered by the arbiter in the AnnotationMarket, for ETH; neither the creator nor the
                /// oracle) rules on disputes and audits: results can be disputed within its dispute window with its bond, and it
                /// rules within its ruling window; the loser of a dispute pays its fee. `auditBps` of the results are sampled for
                /// its review with the creator's seed chain: `seedCommitment = keccak256^n(s)`, revealed one link per result.
                function createJob(bytes32 dataRoot, address oracle, uint32 arbiterTerms, uint16 auditBps, bytes32 seedCommitment) external payable returns (uint256 jobId);
                /// Adds msg.value to a job's escrow (anyone, job open).
                function fund(uint256 jobId) external payable;
                /// Posts a batch result (the oracle, job open): `root` is the Merkle root (sorted-pair keccak256) of the leaves
                /// `keccak256(abi.encodePacked(jobId, resultId, index, annotator, payout, labels, verdicts))` (uint256, uint256,
                /// uint32, address, uint128, uint32, bytes32); `total` is the sum of the payouts, `maxTotal` (at least `total`,
                /// below 2^96) the most a ruling may set it to, `labels` each annotator's accepted labels (its royalty shares).
                /// Reserves `maxTotal + arbiterFee` of the escrow.
                function postResult(uint256 jobId, bytes32 root, uint128 total, uint128 maxTotal, uint32 leaves, bytes32 details) external returns (uint256 resultId);
                /// Reveals the next link of the creator's seed chain for `resultId` (anyone; results in posting order):
                /// `keccak256(seed)` must equal the previous link. Revealed within the challenge window, it decides whether the result is
                /// audited (`keccak256(seed, root) mod 10,000 < auditBps`); a result whose link is not revealed in time is audited.
                function revealSeed(uint256 jobId, uint256 resultId, bytes32 seed) external;
                /// Disputes a result within its challenge window (anyone, typically an annotator), with msg.value == disputeBond.
                function dispute(uint256 jobId, uint256 resultId) external payable;
                /// The arbiter's ruling on a disputed or audited result, within the ruling window. `overturn` replaces the result
                /// with (root, total ≤ maxTotal, leaves, details): the job pays the fee and the bond is returned; upheld, the bond pays
                /// the fee and the rest joins the job's escrow. An audit's fee is the job's. The result is final.
                function rule(uint256 jobId, uint256 resultId, bool overturn, bytes32 root, uint128 total, uint32 leaves, bytes32 details) external;
                /// Settles a result whose window has passed (anyone): final if nobody disputed and no audit is due; void (reserve
                /// released, bond returned) if a dispute or audit was not ruled in time. Claims finalize on their own.
                function finalize(uint256 jobId, uint256 resultId) external;
                /// Credits `annotator` with `payout` from a final result (anyone), once per leaf; its `labels` count as accepted.
                function claim(uint256 jobId, uint256 resultId, uint32 index, address annotator, uint128 payout, uint32 labels, bytes32 verdicts, bytes32[] proof) external;
                /// Releases what a final result left unclaimed 90 days after it became final (anyone).
                function expire(uint256 jobId, uint256 resultId) external;
                /// The creator closes the job (no more results; refused while a result is posted or in review) and is credited
                /// with every unreserved wei; calling it again sweeps what later claims and expiries release.
                function closeJob(uint256 jobId) external returns (uint256 refund);
                /// Sends the caller's ETH credit to `to`.
                function withdraw(address to) external returns (uint256 amount);
                /// Number of jobs; ids run from 1.
                function jobCount() external view returns (uint256);
                /// A job's terms and accounts. Status 0 none, 1 open, 2 closed. `escrow` includes `reserved`.
                function getJob(uint256 jobId) external view returns (address creator, address oracle, address arbiter, bytes32 dataRoot, uint128 arbiterFee, uint128 disputeBond, uint32 challengeWindow, uint32 rulingWindow, uint16 auditBps, uint8 status, uint32 results, uint32 seedsRevealed, bytes32 seedHead, uint128 escrow, uint128 reserved);
                /// A job's progress: its arbiter terms, results posted or in review (`live`), results whose leaves may still be
                /// claimed (`pending`, live included), and the labels accepted by claims.
                function jobProgress(uint256 jobId) external view returns (uint32 arbiterTerms, uint32 live, uint32 pending, uint32 accepted);
                /// A result. State 1 posted, 2 in review (disputed, or its audit is due), 3 final, 4 void, 5 expired; audit 0 seed not revealed, 1 revealed and not
                /// sampled, 2 sampled. `deadline`: end of the challenge window, or of the ruling window once disputed/audited, or
                /// the claim period once final. `claimed`: leaves claimed.
                function getResult(uint256 jobId, uint256 resultId) external view returns (bytes32 root, bytes32 details, uint128 total, uint128 paid, uint32 leaves, uint8 state, uint8 audit, uint64 challengeEnd, uint64 deadline, address disputer, uint128 maxTotal, uint32 claimed);
                /// The leaf the oracle commits to for one annotator's payout.
                function leafOf(uint256 jobId, uint256 resultId, uint32 index, address annotator, uint128 payout, uint32 labels, bytes32 verdicts) external pure returns (bytes32);
                /// Whether leaf `index` of a result has been claimed.
                function isClaimed(uint256 jobId, uint256 resultId, uint32 index) external view returns (bool);
                /// ETH credit of `account`.
                function creditOf(address account) external view returns (uint256 amount);
                /// The job-source view a dataset registry reads: creator, payment token (ETH), data root, whether the accepted labels
                /// are final (closed, and no result can still be claimed) and how many there are.
                function jobSource(uint256 jobId) external view returns (address creator, address token, bytes32 dataRoot, bool settled, uint32 accepted);
                /// Labels of `annotator` accepted by claims on the job (its royalty shares).
                function acceptedLabels(uint256 jobId, address annotator) external view returns (uint32 accepted);

                event JobCreated(uint256 indexed jobId, address indexed creator, address indexed arbiter, address oracle, bytes32 dataRoot, uint256 escrow, uint32 arbiterTerms);
                event JobFunded(uint256 indexed jobId, address indexed from, uint256 amount);
                event ResultPosted(uint256 indexed jobId, uint256 indexed resultId, bytes32 root, uint128 total, uint128 maxTotal, uint32 leaves, bytes32 details, uint64 challengeEnd);
                event SeedRevealed(uint256 indexed jobId, uint256 indexed resultId, bytes32 seed, bool audited);
                event Disputed(uint256 indexed jobId, uint256 indexed resultId, address indexed disputer, uint128 bond, uint64 rulingEnd);
                event AuditDue(uint256 indexed jobId, uint256 indexed resultId, uint64 rulingEnd);
                /// `fee` went to the arbiter (from the bond when upheld, from the escrow otherwise).
                event Ruled(uint256 indexed jobId, uint256 indexed resultId, bool overturned, bytes32 root, uint128 total, uint128 fee);
                event Finalized(uint256 indexed jobId, uint256 indexed resultId);
                /// Reason 1: a dispute was not ruled in time; 2: an audit was not ruled in time.
                event Voided(uint256 indexed jobId, uint256 indexed resultId, uint8 reason);
                event Claimed(uint256 indexed jobId, uint256 indexed resultId, address indexed annotator, uint32 index, uint128 payout, uint32 labels);
                event Expired(uint256 indexed jobId, uint256 indexed resultId, uint128 released);
                event JobClosed(uint256 indexed jobId, uint256 refund);
                event Withdrawn(address indexed account, address to, uint256 amount);

                /// A parameter is out of range: 1 oracle, 2 arbiter terms (none, not for ETH, or the creator or oracle as arbiter),
                /// 6 audit rate or seed, 7 escrow, 8 result (zero root or leaves, maxTotal below total or above 2^96), 9 escrow overflow.
                error InvalidParameter(uint8 field);
                error JobNotFound(uint256 jobId);
                error ResultNotFound(uint256 resultId);
                /// The caller lacks the role: 1 creator, 2 oracle, 3 arbiter.
                error Unauthorized(address caller, uint8 role);
                error JobIsClosed(uint256 jobId);
                error InsufficientEscrow(uint256 available, uint256 required);
                /// The result is not in a state that allows the call (see getResult).
                error WrongState(uint256 resultId, uint8 state);
                error TooEarly(uint64 opensAt);
                error TooLate(uint64 deadline);
                error WrongBond(uint256 expected, uint256 received);
                error SeedMismatch();
                error SeedOutOfOrder(uint256 expectedResultId);
                error InvalidProof();
                error AlreadyClaimed(uint32 index);
                error PayoutExceedsTotal(uint256 paid, uint256 total);
                /// A ruling's total is above the result's `maxTotal`.
                error TotalAboveMaximum(uint256 total, uint256 maxTotal);
                /// `live` results are posted or in review: the job cannot close yet.
                error ResultsPending(uint32 live);
                error NothingToWithdraw();
                error WithdrawFailed(address to);
                error InvalidCalldata();
                error UnknownFunction(bytes4 selector);
                error NotPayable();
            }
        }
    };
}

#[cfg(feature = "export-abi")]
declare_interface!(#[sol(abi)]);
#[cfg(not(feature = "export-abi"))]
declare_interface!();

pub use IQualityCourt::*;

/// JSON ABI of every function, event and custom error of the court.
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    IQualityCourt::abi::contract()
}
