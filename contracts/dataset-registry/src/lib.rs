//! # DatasetRegistry
//!
//! Turns labelled work into a sellable, verifiable asset: a dataset package's
//! storage root is published once, linked to the AnnotationMarket job it came
//! from, licensed per buyer, and every sale pays the job's annotators a
//! royalty pro rata to their approved tasks. An Arbitrum Stylus program
//! written with stylus-sdk 0.10.
//!
//! ## Rules
//! - **Provenance is enforced by reading the job's source**: the market, the
//!   QualityHub or the QualityCourt (any enabled contract answering
//!   `jobSource` / `acceptedLabels`). Only the source job's creator may
//!   publish from it, only once the job is settled (its accepted labels can no
//!   longer change), and the record links the job's data root. `source` and
//!   `sourceJobId` zero mark an external dataset, which pays no royalty.
//! - **Roots are per publisher**: a publisher lists a package root once, and
//!   nobody else's listing of the same root can block or take it, so knowing
//!   a root in advance is worth nothing.
//! - **Versions** link a predecessor by the same publisher from the same
//!   source job (or both external); a version may carry the predecessor's
//!   licences, so a licence root always pays the same job's annotators.
//! - **Licences** are recorded per licensee and licence root (version bought,
//!   time). A buyer may buy for another address and names the token and the
//!   highest price it accepts, so a price change cannot be front-run into its
//!   purchase. Overpaid ETH is credited to the buyer, never kept.
//! - **Money**: of every sale a platform fee (0 by default, at most 10 %) goes
//!   to the configured recipient, the royalty share (20 % by default, fixed per
//!   dataset at publication) of the rest to the annotators, the remainder to the
//!   publisher. Royalties use cumulative-per-share accounting per (source,
//!   job, token): a sale adds `(royalty + carried remainder) / shares` to the
//!   pool and carries the new remainder to the next sale, so a purchase costs
//!   the same for 3 or 3,000 annotators, small prices still reach them, and
//!   `paid out + withdrawable + carried = received` to the wei. Everything is
//!   pull-based (`withdraw`, `withdrawRoyalties`).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod interface;
mod registry;

pub use interface::*;
pub use registry::DatasetRegistry;

/// Basis points in a whole.
pub const BPS: u16 = 10_000;
/// Highest platform fee: 10 %.
pub const MAX_FEE_BPS: u16 = 1_000;
/// Annotators' royalty share set at construction: 20 % of every sale after the fee.
pub const DEFAULT_ROYALTY_BPS: u16 = 2_000;
/// Dataset formats: COCO JSON, and the three JSONL schemas.
pub const FORMAT_COCO: u8 = 0;
/// JSONL chat (`{"messages": [...]}`).
pub const FORMAT_JSONL_CHAT: u8 = 1;
/// JSONL instruction (`{"instruction", "input", "output"}`).
pub const FORMAT_JSONL_INSTRUCTION: u8 = 2;
/// JSONL completion (`{"text"}`).
pub const FORMAT_JSONL_COMPLETION: u8 = 3;
