//! The DatasetRegistry: bindings generated from `abi/DatasetRegistry.sol`,
//! its constants and the `publish` call ([`Publication`]).

use alloy_primitives::{Address, B256, U256};

/// Dataset format: COCO JSON (image jobs).
pub const FORMAT_COCO: u8 = 0;
/// Dataset format: chat JSONL.
pub const FORMAT_JSONL_CHAT: u8 = 1;
/// Dataset format: instruction JSONL.
pub const FORMAT_JSONL_INSTRUCTION: u8 = 2;
/// Dataset format: completion JSONL.
pub const FORMAT_JSONL_COMPLETION: u8 = 3;

/// The format's name (`coco`, `jsonl-chat`, `jsonl-instruction`, `jsonl-completion`).
pub fn format_name(format: u8) -> &'static str {
    match format {
        FORMAT_COCO => "coco",
        FORMAT_JSONL_CHAT => "jsonl-chat",
        FORMAT_JSONL_INSTRUCTION => "jsonl-instruction",
        FORMAT_JSONL_COMPLETION => "jsonl-completion",
        _ => "unknown",
    }
}

/// The format of a name ([`format_name`]'s inverse).
pub fn format_of(name: &str) -> Option<u8> {
    Some(match name {
        "coco" => FORMAT_COCO,
        "jsonl-chat" => FORMAT_JSONL_CHAT,
        "jsonl-instruction" => FORMAT_JSONL_INSTRUCTION,
        "jsonl-completion" => FORMAT_JSONL_COMPLETION,
        _ => return None,
    })
}

#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/DatasetRegistry.sol"
    );
}
pub use bindings::*;
pub use IDatasetRegistry as IRegistry;

/// What `publish` needs, with defaults for a COCO dataset priced in ETH.
#[derive(Clone, Debug)]
pub struct Publication {
    /// Package root hash.
    pub root: B256,
    /// Description hash.
    pub metadata: B256,
    /// 0 COCO, 1 JSONL chat, 2 JSONL instruction, 3 JSONL completion.
    pub format: u8,
    /// Price per licence.
    pub price: u128,
    /// Currency (zero: ETH).
    pub token: Address,
    /// The job source (zero with a job: the market of this marketplace).
    pub source: Address,
    /// Source job (0: external).
    pub job: U256,
    /// Earlier version (0: none).
    pub previous: U256,
    /// Whether the earlier version's licences count.
    pub carry: bool,
}

impl Default for Publication {
    fn default() -> Self {
        Self {
            root: B256::repeat_byte(0xa1),
            metadata: B256::repeat_byte(0x5e),
            format: 0,
            price: 10_000_000_000_000_000,
            token: Address::ZERO,
            source: Address::ZERO,
            job: U256::ZERO,
            previous: U256::ZERO,
            carry: false,
        }
    }
}

impl Publication {
    /// The `publish` call.
    pub fn call(&self) -> IRegistry::publishCall {
        IRegistry::publishCall {
            rootHash: self.root,
            metadataHash: self.metadata,
            format: self.format,
            price: self.price,
            paymentToken: self.token,
            source: self.source,
            sourceJobId: self.job,
            previousVersion: self.previous,
            carryLicenses: self.carry,
        }
    }
}
