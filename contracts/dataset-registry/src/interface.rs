//! Functions, events and custom errors of the DatasetRegistry, declared once
//! in Solidity syntax. The registry routes calls itself (see `registry.rs`);
//! this interface is the single source of its selectors and of
//! `abi/DatasetRegistry.{sol,json}`.
#![allow(missing_docs)] // items are documented in Solidity syntax below
#![allow(clippy::too_many_arguments)]

use stylus_sdk::alloy_sol_types::sol;

/// Declares the interface, optionally with `#[sol(abi)]`.
macro_rules! declare_interface {
    ($(#[$attr:meta])*) => {
        sol! {
            $(#[$attr])*
            #[sol(all_derives)]
            interface IDatasetRegistry {
                /// Publishes a dataset. With `source` and `sourceJobId` zero it is external (no provenance, no royalty); otherwise
                /// `source` must be an enabled job source, the caller that job's creator and the job settled. `previousVersion`
                /// links an earlier version by the same publisher from the same source job; `carryLicenses` lets its licences count here.
                function publish(bytes32 rootHash, bytes32 metadataHash, uint8 format, uint128 price, address paymentToken, address source, uint256 sourceJobId, uint256 previousVersion, bool carryLicenses) external returns (uint256 datasetId);
                /// The publisher changes the price (licences already sold are unaffected).
                function setPrice(uint256 datasetId, uint128 price) external;
                /// The publisher delists (false) or relists (true) the dataset.
                function setListed(uint256 datasetId, bool listed) external;
                /// Buys a licence for `licensee` (the caller or, for example, a training service), paying at most `maxPrice` in
                /// `token` (zero: ETH, msg.value >= price, the excess credited to the caller).
                function purchase(uint256 datasetId, address licensee, address token, uint128 maxPrice) external payable;
                /// `purchase` of an ERC-20 priced dataset with the buyer's EIP-2612 permit for `maxPrice`:
                /// `permit = abi.encode(deadline, v, r, s)`.
                function purchaseWithPermit(uint256 datasetId, address licensee, address token, uint128 maxPrice, bytes permit) external;
                /// An annotator of job `jobId` of `source` withdraws its royalties in `token` to `to`; the job's creator (the
                /// publisher of its datasets) withdraws its sale proceeds the same way.
                function withdrawRoyalties(address source, uint256 jobId, address token, address to) external returns (uint256 amount);
                /// Withdraws the caller's credited balance (external datasets' proceeds, fees, overpayments) of `token` to `to`.
                function withdraw(address token, address to) external returns (uint256 amount);
                /// Everything about a dataset.
                function getDataset(uint256 datasetId) external view returns (address publisher, bytes32 rootHash, bytes32 metadataHash, bytes32 dataRoot, uint8 format, uint128 price, address paymentToken, address source, uint256 sourceJobId, uint256 previousVersion, uint256 licenseRoot, bool isExternal, bool carryLicenses, bool listed, uint16 royaltyBps, uint16 feeBps, uint32 shares, uint64 publishedAt);
                /// The dataset `publisher` published with `rootHash` (0 if none).
                function datasetByRoot(address publisher, bytes32 rootHash) external view returns (uint256 datasetId);
                /// Number of datasets; ids run from 1.
                function datasetCount() external view returns (uint256 count);
                /// Whether `account` holds a licence valid for the dataset (directly, or carried over from an earlier version).
                function hasLicense(uint256 datasetId, address account) external view returns (bool licensed);
                /// The version `account` bought and when (zeros without a licence).
                function licenseOf(uint256 datasetId, address account) external view returns (uint256 purchasedVersion, uint64 purchasedAt);
                /// What `account` can withdraw from the pool of (`source`, `jobId`) in `token`: royalties, plus sale proceeds for the job's creator.
                function royaltyOf(address source, uint256 jobId, address token, address account) external view returns (uint256 amount);
                /// Withdrawable balance of `account` in `token`.
                function creditOf(address token, address account) external view returns (uint256 amount);
                /// A job source's index and whether new datasets may cite it (index 0: never registered).
                function jobSourceOf(address source) external view returns (uint8 index, bool enabled);
                /// The admin.
                function admin() external view returns (address account);
                /// The proposed admin, if any.
                function pendingAdmin() external view returns (address account);
                /// Platform fee (basis points, capped at 1,000) and its recipient; 0 by default.
                function fee() external view returns (address recipient, uint16 bps);
                /// Share of every sale (after the fee) that goes to the source job's annotators, in basis points.
                function royaltyBps() external view returns (uint16 bps);
                /// The admin sets the platform fee (applies to datasets published afterwards); the recipient is never zero.
                function setFee(address recipient, uint16 bps) external;
                /// The admin sets the annotators' royalty share (applies to datasets published afterwards).
                function setRoyaltyBps(uint16 bps) external;
                /// The admin enables or disables a job source (a contract answering `jobSource` and `acceptedLabels`).
                function setJobSource(address source, bool enabled) external;
                /// The admin proposes `newAdmin`.
                function transferAdmin(address newAdmin) external;
                /// The proposed admin accepts.
                function acceptAdmin() external;

                /// Dataset `datasetId` was published.
                event DatasetPublished(uint256 indexed datasetId, address indexed publisher, bytes32 indexed rootHash, address source, uint256 sourceJobId, bytes32 dataRoot, uint256 previousVersion, uint8 format, uint128 price, address paymentToken, bool carryLicenses);
                /// The price changed.
                event PriceChanged(uint256 indexed datasetId, uint128 price);
                /// The dataset was delisted (false) or relisted (true).
                event ListingChanged(uint256 indexed datasetId, bool listed);
                /// `buyer` bought a licence for `licensee`: `royalty` went to the annotators' pool, `fee` to the platform, the rest to the publisher.
                event LicensePurchased(uint256 indexed datasetId, address indexed buyer, address indexed licensee, uint256 price, uint256 royalty, uint256 fee);
                /// `amount` of `token` was credited to `account` (external datasets' proceeds, fee, overpayment). Proceeds of
                /// job-sourced datasets accrue in the job's pool (`price - royalty - fee` of `LicensePurchased`).
                event Credited(address indexed token, address indexed account, uint256 amount);
                /// An annotator (or the job's creator) withdrew royalties (or proceeds) of job `jobId` of `source`.
                event RoyaltyWithdrawn(uint256 indexed jobId, address indexed token, address indexed annotator, address source, address to, uint256 amount);
                /// `account` withdrew credited `amount` of `token` to `to`.
                event Withdrawn(address indexed token, address indexed account, address to, uint256 amount);
                /// The platform fee changed.
                event FeeChanged(address recipient, uint16 bps);
                /// The royalty share changed.
                event RoyaltyShareChanged(uint16 bps);
                /// A job source was enabled or disabled.
                event JobSourceSet(address indexed source, uint8 index, bool enabled);
                /// The admin proposed `newAdmin`.
                event AdminTransferStarted(address indexed previousAdmin, address indexed newAdmin);
                /// `newAdmin` accepted the admin role.
                event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);

                /// The caller may not do this.
                error Unauthorized(address account);
                /// Zero address where an account is required.
                error ZeroAddress();
                /// A parameter is out of range: 1 rootHash, 2 format, 3 previousVersion (another publisher's or another source
                /// job's), 4 fee, 5 royalty share, 6 permit blob, 7 a pool total above its bounds, 8 source and job (one zero).
                error InvalidParameter(uint8 field);
                /// `publisher` already published `rootHash` as `datasetId`.
                error RootAlreadyPublished(bytes32 rootHash, uint256 datasetId);
                /// Only the job's creator may publish from it.
                error NotJobCreator(uint256 jobId, address creator);
                /// The job's accepted labels are not final yet (or it has none).
                error JobNotSettled(uint256 jobId);
                /// `source` is not an enabled job source.
                error UnknownJobSource(address source);
                /// The job source could not be read.
                error SourceCallFailed(address source);
                /// No such dataset.
                error DatasetNotFound(uint256 datasetId);
                /// The dataset is delisted.
                error DatasetDelisted(uint256 datasetId);
                /// `licensee` already holds a licence valid for the dataset.
                error AlreadyLicensed(uint256 datasetId, address licensee);
                /// Less ETH than the price was sent.
                error InsufficientPayment(uint256 price, uint256 paid);
                /// The price is above the buyer's `maxPrice`.
                error PriceAboveMax(uint256 price, uint256 maxPrice);
                /// The dataset is priced in `token`, not in what the buyer named.
                error WrongToken(address token);
                /// A call to `token` failed, or its answer was not a successful ERC-20 answer.
                error TokenCallFailed(address token);
                /// The token delivered `received` instead of `expected`.
                error UnsupportedToken(address token, uint256 expected, uint256 received);
                /// Nothing to withdraw.
                error NothingToWithdraw();
                /// A withdrawal transfer failed (the balance stays).
                error WithdrawFailed(address token, address to);
                /// The calldata is too short, has an out-of-range value or a bad offset.
                error InvalidCalldata();
                /// No function has this selector.
                error UnknownFunction(bytes4 selector);
                /// ETH was sent to a function that does not take it.
                error NotPayable();
            }
        }
    };
}

#[cfg(feature = "export-abi")]
declare_interface!(#[sol(abi)]);
#[cfg(not(feature = "export-abi"))]
declare_interface!();

pub use IDatasetRegistry::*;

/// JSON ABI of every function, event and custom error of the registry.
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    IDatasetRegistry::abi::contract()
}

/// `cargo stylus export-abi` text for the functions: empty, because the
/// registry routes calls itself and declares its functions in the `sol!`
/// interface above, which `events_and_errors_abi` includes.
#[cfg(feature = "export-abi")]
pub fn functions_sol() -> String {
    String::new()
}

/// The constructor signature as `cargo stylus export-abi constructor` prints it.
#[cfg(feature = "export-abi")]
pub fn constructor_sol() -> String {
    use stylus_sdk::abi::export::GenerateAbi;
    struct Printer;
    impl core::fmt::Display for Printer {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            <crate::DatasetRegistry as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
