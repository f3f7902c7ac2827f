//! The QualityHub's bindings, generated from `abi/QualityHub.sol`.

#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/QualityHub.sol"
    );
}
pub use bindings::*;
pub use IQualityHub as IHub;
