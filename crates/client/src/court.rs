//! The QualityCourt's bindings, generated from `abi/QualityCourt.sol`.

#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/QualityCourt.sol"
    );
}
pub use bindings::*;
pub use IQualityCourt as ICourt;
