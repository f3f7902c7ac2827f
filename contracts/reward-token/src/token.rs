//! The RewardToken program: storage, public ABI and internal helpers.
//!
//! Private module so that the `user_entrypoint` the SDK generates here is not
//! part of the Rust API; `RewardToken` is re-exported from the crate root.

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, FixedBytes, B256, U256, U8};
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{StorageB256, StorageBool, StorageMap, StorageU256, StorageU8, StorageVec},
    stylus_core::calls::Call,
};

use crate::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, Approval,
    ECDSAInvalidSignature, ECDSAInvalidSignatureS, ERC20ExceededCap, ERC20InsufficientAllowance,
    ERC20InsufficientBalance, ERC20InvalidApprover, ERC20InvalidReceiver, ERC20InvalidSender,
    ERC20InvalidSpender, ERC2612ExpiredSignature, ERC2612InvalidSigner, EnforcedPause,
    ExpectedPause, Paused, Result, RewardTokenError, RewardTokenInvalidAdmin, RoleGranted,
    RoleRevoked, Transfer, Unpaused, DEFAULT_ADMIN_ROLE, ECRECOVER, EIP712_DOMAIN_TYPEHASH,
    EIP712_VERSION, EIP712_VERSION_HASH, MINTER_ROLE, PAUSER_ROLE, PERMIT_TYPEHASH,
    SECP256K1_HALF_N,
};

/// Storage of the RewardToken. Fields are private; read them through the
/// public view functions.
#[storage]
#[entrypoint]
pub struct RewardToken {
    /// Balance per holder.
    balances: StorageMap<Address, StorageU256>,
    /// Allowance per owner and spender.
    allowances: StorageMap<Address, StorageMap<Address, StorageU256>>,
    /// Sum of all balances.
    total_supply: StorageU256,
    /// Maximum total supply; zero means uncapped.
    cap: StorageU256,
    /// EIP-2612 nonce per owner.
    nonces: StorageMap<Address, StorageU256>,
    /// Role membership: role => account => member.
    roles: StorageMap<B256, StorageMap<Address, StorageBool>>,
    /// ERC-20 name, also the EIP-712 domain name.
    name: StoredString,
    /// ERC-20 symbol.
    symbol: StoredString,
    /// `keccak256(name)`, cached for the EIP-712 domain separator.
    hashed_name: StorageB256,
    /// ERC-20 decimals (packed with `paused` into one slot).
    decimals: StorageU8,
    /// Whether transfers, mints and burns are blocked.
    paused: StorageBool,
}

#[public]
impl RewardToken {
    /// Sets the metadata (once: the SDK forbids a second constructor run) and
    /// grants `admin` the admin, minter and pauser roles.
    ///
    /// # Arguments
    /// * `name`, `symbol`, `decimals` - ERC-20 metadata; `name` is also the
    ///   EIP-712 domain name.
    /// * `cap` - maximum total supply, `0` for uncapped.
    /// * `admin` - receives `DEFAULT_ADMIN_ROLE`, `MINTER_ROLE`, `PAUSER_ROLE`.
    ///
    /// # Errors
    /// * `RewardTokenInvalidAdmin` if `admin` is the zero address.
    ///
    /// # Events
    /// * `RoleGranted` for each of the three roles.
    #[constructor]
    pub fn constructor(
        &mut self,
        name: String,
        symbol: String,
        decimals: u8,
        cap: U256,
        admin: Address,
    ) -> Result<()> {
        if admin.is_zero() {
            return Err(RewardTokenError::InvalidAdmin(RewardTokenInvalidAdmin {
                admin,
            }));
        }
        let hashed_name = self.vm().native_keccak256(name.as_bytes());
        self.name.set(name.as_bytes());
        self.symbol.set(symbol.as_bytes());
        self.hashed_name.set(hashed_name);
        self.decimals.set(U8::from(decimals));
        self.cap.set(cap);
        for role in [DEFAULT_ADMIN_ROLE, MINTER_ROLE, PAUSER_ROLE] {
            self.grant(role, admin);
        }
        Ok(())
    }

    /// The token's name.
    pub fn name(&self) -> String {
        self.name.get()
    }

    /// The token's symbol.
    pub fn symbol(&self) -> String {
        self.symbol.get()
    }

    /// Number of decimals of the token's amounts.
    pub fn decimals(&self) -> u8 {
        self.decimals.get().to::<u8>()
    }

    /// Sum of all balances.
    pub fn total_supply(&self) -> U256 {
        self.total_supply.get()
    }

    /// Maximum total supply; `0` means uncapped.
    pub fn cap(&self) -> U256 {
        self.cap.get()
    }

    /// Balance of `account`.
    pub fn balance_of(&self, account: Address) -> U256 {
        self.balances.get(account)
    }

    /// What `spender` may still move out of `owner`'s balance.
    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances.getter(owner).get(spender)
    }

    /// Moves `value` from the caller to `to`.
    ///
    /// # Errors
    /// * `ERC20InvalidReceiver` if `to` is zero.
    /// * `ERC20InsufficientBalance` if the caller holds less than `value`.
    /// * `EnforcedPause` while paused.
    ///
    /// # Events
    /// * `Transfer(caller, to, value)`.
    pub fn transfer(&mut self, to: Address, value: U256) -> Result<bool> {
        let from = self.vm().msg_sender();
        self.transfer_internal(from, to, value)?;
        Ok(true)
    }

    /// Lets `spender` move up to `value` of the caller's tokens. `U256::MAX` is
    /// an infinite allowance.
    ///
    /// # Errors
    /// * `ERC20InvalidSpender` if `spender` is zero.
    ///
    /// # Events
    /// * `Approval(caller, spender, value)`.
    pub fn approve(&mut self, spender: Address, value: U256) -> Result<bool> {
        let owner = self.vm().msg_sender();
        self.approve_internal(owner, spender, value)?;
        Ok(true)
    }

    /// Moves `value` from `from` to `to` using the caller's allowance.
    ///
    /// # Errors
    /// * `ERC20InsufficientAllowance` if the caller's allowance is too small.
    /// * `ERC20InvalidApprover` if `from` is zero (as OpenZeppelin v5).
    /// * `ERC20InvalidReceiver` if `to` is zero.
    /// * `ERC20InsufficientBalance`, `EnforcedPause` as for `transfer`.
    ///
    /// # Events
    /// * `Transfer(from, to, value)`.
    pub fn transfer_from(&mut self, from: Address, to: Address, value: U256) -> Result<bool> {
        let spender = self.vm().msg_sender();
        let remaining = self.allowance_after_spending(from, spender, value)?;
        self.transfer_internal(from, to, value)?;
        self.set_remaining_allowance(from, spender, remaining);
        Ok(true)
    }

    /// Creates `value` new tokens for `to`.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller has `MINTER_ROLE`.
    /// * `ERC20InvalidReceiver` if `to` is zero.
    /// * `ERC20ExceededCap` if the supply would pass the cap (or overflow).
    /// * `EnforcedPause` while paused.
    ///
    /// # Events
    /// * `Transfer(0, to, value)`.
    pub fn mint(&mut self, to: Address, value: U256) -> Result<()> {
        self.only_role(MINTER_ROLE)?;
        if to.is_zero() {
            return Err(invalid_receiver(to));
        }
        self.update(Address::ZERO, to, value)
    }

    /// Destroys `value` of the caller's tokens.
    ///
    /// # Errors
    /// * `ERC20InsufficientBalance`, `EnforcedPause`.
    ///
    /// # Events
    /// * `Transfer(caller, 0, value)`.
    pub fn burn(&mut self, value: U256) -> Result<()> {
        let from = self.vm().msg_sender();
        self.update(from, Address::ZERO, value)
    }

    /// Destroys `value` of `account`'s tokens using the caller's allowance.
    ///
    /// # Errors
    /// * `ERC20InsufficientAllowance`, `ERC20InvalidApprover` (zero `account`,
    ///   as OpenZeppelin v5), `ERC20InsufficientBalance`, `EnforcedPause`.
    ///
    /// # Events
    /// * `Transfer(account, 0, value)`.
    pub fn burn_from(&mut self, account: Address, value: U256) -> Result<()> {
        let spender = self.vm().msg_sender();
        let remaining = self.allowance_after_spending(account, spender, value)?;
        if account.is_zero() {
            return Err(RewardTokenError::InvalidSender(ERC20InvalidSender {
                sender: account,
            }));
        }
        self.update(account, Address::ZERO, value)?;
        self.set_remaining_allowance(account, spender, remaining);
        Ok(())
    }

    /// Whether transfers, mints and burns are blocked.
    pub fn paused(&self) -> bool {
        self.paused.get()
    }

    /// Blocks transfers, mints and burns.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller has `PAUSER_ROLE`.
    /// * `EnforcedPause` if already paused.
    ///
    /// # Events
    /// * `Paused(caller)`.
    pub fn pause(&mut self) -> Result<()> {
        self.only_role(PAUSER_ROLE)?;
        self.when_not_paused()?;
        self.paused.set(true);
        let account = self.vm().msg_sender();
        self.vm().log(Paused { account });
        Ok(())
    }

    /// Lifts the pause.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller has `PAUSER_ROLE`.
    /// * `ExpectedPause` if not paused.
    ///
    /// # Events
    /// * `Unpaused(caller)`.
    pub fn unpause(&mut self) -> Result<()> {
        self.only_role(PAUSER_ROLE)?;
        if !self.paused.get() {
            return Err(RewardTokenError::ExpectedPause(ExpectedPause {}));
        }
        self.paused.set(false);
        let account = self.vm().msg_sender();
        self.vm().log(Unpaused { account });
        Ok(())
    }

    /// `bytes32(0)`: the role that administers every role.
    #[selector(name = "DEFAULT_ADMIN_ROLE")]
    pub fn default_admin_role(&self) -> B256 {
        DEFAULT_ADMIN_ROLE
    }

    /// `keccak256("MINTER_ROLE")`.
    #[selector(name = "MINTER_ROLE")]
    pub fn minter_role(&self) -> B256 {
        MINTER_ROLE
    }

    /// `keccak256("PAUSER_ROLE")`.
    #[selector(name = "PAUSER_ROLE")]
    pub fn pauser_role(&self) -> B256 {
        PAUSER_ROLE
    }

    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.roles.getter(role).get(account)
    }

    /// The role that administers `role`: always `DEFAULT_ADMIN_ROLE` here
    /// (role admins are fixed, so there is no `RoleAdminChanged`).
    pub fn get_role_admin(&self, role: B256) -> B256 {
        let _ = role;
        DEFAULT_ADMIN_ROLE
    }

    /// Grants `role` to `account`; a no-op (no event) if already held.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller has the role's admin role.
    ///
    /// # Events
    /// * `RoleGranted(role, account, caller)` when membership changes.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<()> {
        self.only_role(DEFAULT_ADMIN_ROLE)?;
        self.grant(role, account);
        Ok(())
    }

    /// Revokes `role` from `account`; a no-op (no event) if not held.
    ///
    /// # Errors
    /// * `AccessControlUnauthorizedAccount` unless the caller has the role's admin role.
    ///
    /// # Events
    /// * `RoleRevoked(role, account, caller)` when membership changes.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<()> {
        self.only_role(DEFAULT_ADMIN_ROLE)?;
        self.revoke(role, account);
        Ok(())
    }

    /// Gives up `role` held by the caller. `caller_confirmation` must equal the
    /// caller, guarding against renouncing by mistake.
    ///
    /// # Errors
    /// * `AccessControlBadConfirmation` if `caller_confirmation` is not the caller.
    ///
    /// # Events
    /// * `RoleRevoked(role, caller, caller)` when membership changes.
    pub fn renounce_role(&mut self, role: B256, caller_confirmation: Address) -> Result<()> {
        if caller_confirmation != self.vm().msg_sender() {
            return Err(RewardTokenError::BadConfirmation(
                AccessControlBadConfirmation {},
            ));
        }
        self.revoke(role, caller_confirmation);
        Ok(())
    }

    /// The next EIP-2612 nonce of `owner`.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.nonces.get(owner)
    }

    /// The EIP-712 domain separator for this chain and contract.
    #[selector(name = "DOMAIN_SEPARATOR")]
    pub fn domain_separator(&self) -> B256 {
        let mut buf = [0u8; 160];
        buf[..32].copy_from_slice(EIP712_DOMAIN_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(self.hashed_name.get().as_slice());
        buf[64..96].copy_from_slice(EIP712_VERSION_HASH.as_slice());
        buf[96..128].copy_from_slice(&U256::from(self.vm().chain_id()).to_be_bytes::<32>());
        buf[140..160].copy_from_slice(self.vm().contract_address().as_slice());
        self.vm().native_keccak256(&buf)
    }

    /// EIP-5267 description of the EIP-712 domain: fields `0x0f` (name,
    /// version, chainId, verifyingContract), no salt, no extensions.
    #[allow(clippy::type_complexity)]
    pub fn eip712_domain(
        &self,
    ) -> (
        FixedBytes<1>,
        String,
        String,
        U256,
        Address,
        B256,
        Vec<U256>,
    ) {
        (
            FixedBytes([0x0f]),
            self.name.get(),
            String::from(EIP712_VERSION),
            U256::from(self.vm().chain_id()),
            self.vm().contract_address(),
            B256::ZERO,
            Vec::new(),
        )
    }

    /// Sets `spender`'s allowance over `owner`'s tokens to `value` with
    /// `owner`'s EIP-712 signature (EIP-2612). Anyone may submit it.
    ///
    /// # Errors
    /// * `ERC2612ExpiredSignature` if `block.timestamp > deadline`.
    /// * `ECDSAInvalidSignatureS` for a high-`s` (malleable) signature.
    /// * `ECDSAInvalidSignature` if `v` is not 27/28 or nothing is recovered.
    /// * `ERC2612InvalidSigner` if the signer is not `owner` (this is also
    ///   what a replay yields, since the nonce has moved on).
    /// * `ERC20InvalidApprover` / `ERC20InvalidSpender` for zero addresses.
    ///
    /// # Events
    /// * `Approval(owner, spender, value)`.
    #[allow(clippy::too_many_arguments, clippy::many_single_char_names)]
    pub fn permit(
        &mut self,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        v: u8,
        r: B256,
        s: B256,
    ) -> Result<()> {
        if U256::from(self.vm().block_timestamp()) > deadline {
            return Err(RewardTokenError::ExpiredSignature(
                ERC2612ExpiredSignature { deadline },
            ));
        }
        let nonce = self.nonces.get(owner);

        let mut encoded = [0u8; 192];
        encoded[..32].copy_from_slice(PERMIT_TYPEHASH.as_slice());
        encoded[44..64].copy_from_slice(owner.as_slice());
        encoded[76..96].copy_from_slice(spender.as_slice());
        encoded[96..128].copy_from_slice(&value.to_be_bytes::<32>());
        encoded[128..160].copy_from_slice(&nonce.to_be_bytes::<32>());
        encoded[160..192].copy_from_slice(&deadline.to_be_bytes::<32>());
        let struct_hash = self.vm().native_keccak256(&encoded);

        let mut digest_input = [0u8; 66];
        digest_input[..2].copy_from_slice(&[0x19, 0x01]);
        digest_input[2..34].copy_from_slice(self.domain_separator().as_slice());
        digest_input[34..].copy_from_slice(struct_hash.as_slice());
        let digest = self.vm().native_keccak256(&digest_input);

        let signer = self.recover(digest, v, r, s)?;
        if signer != owner {
            return Err(RewardTokenError::InvalidSigner(ERC2612InvalidSigner {
                signer,
                owner,
            }));
        }
        self.approve_internal(owner, spender, value)?;
        // A nonce counts signatures: 2^256 of them cannot exist.
        self.nonces
            .setter(owner)
            .set(nonce.saturating_add(U256::from(1)));
        Ok(())
    }
}

/// A string written once and read whole: its byte length and its bytes in
/// 32-byte words. Unlike the SDK's `StorageString` it needs no 256-bit
/// division to address bytes, which keeps several KiB out of the program.
#[storage]
pub struct StoredString {
    /// Length in bytes.
    len: StorageU256,
    /// The bytes, zero-padded to whole words.
    words: StorageVec<StorageB256>,
}

impl StoredString {
    /// Replaces the content with `bytes`.
    fn set(&mut self, bytes: &[u8]) {
        self.len.set(U256::from(bytes.len()));
        self.words.erase();
        for chunk in bytes.chunks(32) {
            let mut word = B256::ZERO;
            word[..chunk.len()].copy_from_slice(chunk);
            self.words.push(word);
        }
    }

    /// The content as a string (the bytes were UTF-8 when set).
    fn get(&self) -> String {
        let len = self.len.get().to::<usize>();
        let mut bytes = Vec::with_capacity(len);
        for i in 0..self.words.len() {
            if let Some(word) = self.words.get(i) {
                bytes.extend_from_slice(word.as_slice());
            }
        }
        bytes.truncate(len);
        String::from_utf8(bytes).unwrap_or_default()
    }
}

impl RewardToken {
    /// Fails with `AccessControlUnauthorizedAccount` unless the caller holds `role`.
    fn only_role(&self, role: B256) -> Result<()> {
        let account = self.vm().msg_sender();
        if self.has_role(role, account) {
            Ok(())
        } else {
            Err(RewardTokenError::Unauthorized(
                AccessControlUnauthorizedAccount {
                    account,
                    neededRole: role,
                },
            ))
        }
    }

    /// Fails with `EnforcedPause` while paused.
    fn when_not_paused(&self) -> Result<()> {
        if self.paused.get() {
            Err(RewardTokenError::EnforcedPause(EnforcedPause {}))
        } else {
            Ok(())
        }
    }

    /// Adds `account` to `role`, emitting `RoleGranted` if it was not a member.
    fn grant(&mut self, role: B256, account: Address) {
        let mut members = self.roles.setter(role);
        let mut member = members.setter(account);
        if !member.get() {
            member.set(true);
            let sender = self.vm().msg_sender();
            self.vm().log(RoleGranted {
                role,
                account,
                sender,
            });
        }
    }

    /// Removes `account` from `role`, emitting `RoleRevoked` if it was a member.
    fn revoke(&mut self, role: B256, account: Address) {
        let mut members = self.roles.setter(role);
        let mut member = members.setter(account);
        if member.get() {
            member.set(false);
            let sender = self.vm().msg_sender();
            self.vm().log(RoleRevoked {
                role,
                account,
                sender,
            });
        }
    }

    /// Checks both ends, then moves tokens.
    fn transfer_internal(&mut self, from: Address, to: Address, value: U256) -> Result<()> {
        if from.is_zero() {
            return Err(RewardTokenError::InvalidSender(ERC20InvalidSender {
                sender: from,
            }));
        }
        if to.is_zero() {
            return Err(invalid_receiver(to));
        }
        self.update(from, to, value)
    }

    /// Moves `value` from `from` to `to`; a zero `from` mints, a zero `to`
    /// burns. The one place balances and supply change.
    fn update(&mut self, from: Address, to: Address, value: U256) -> Result<()> {
        self.when_not_paused()?;
        if from.is_zero() {
            let supply = self.total_supply.get();
            let cap = self.cap.get();
            let new_supply = supply.checked_add(value);
            match new_supply {
                Some(new_supply) if cap.is_zero() || new_supply <= cap => {
                    self.total_supply.set(new_supply);
                }
                _ => {
                    return Err(RewardTokenError::ExceededCap(ERC20ExceededCap {
                        increasedSupply: new_supply.unwrap_or(U256::MAX),
                        cap: if cap.is_zero() { U256::MAX } else { cap },
                    }));
                }
            }
        } else {
            let mut balance = self.balances.setter(from);
            let from_balance = balance.get();
            let Some(rest) = from_balance.checked_sub(value) else {
                return Err(RewardTokenError::InsufficientBalance(
                    ERC20InsufficientBalance {
                        sender: from,
                        balance: from_balance,
                        needed: value,
                    },
                ));
            };
            balance.set(rest);
        }

        if to.is_zero() {
            // value <= balance(from) <= total supply: cannot underflow.
            let supply = self.total_supply.get();
            self.total_supply.set(supply.saturating_sub(value));
        } else {
            // balance(to) + value <= total supply <= U256::MAX: cannot overflow.
            let mut balance = self.balances.setter(to);
            let to_balance = balance.get();
            balance.set(to_balance.saturating_add(value));
        }

        self.vm().log(Transfer { from, to, value });
        Ok(())
    }

    /// Sets an allowance and emits `Approval`.
    fn approve_internal(&mut self, owner: Address, spender: Address, value: U256) -> Result<()> {
        if owner.is_zero() {
            return Err(RewardTokenError::InvalidApprover(ERC20InvalidApprover {
                approver: owner,
            }));
        }
        if spender.is_zero() {
            return Err(RewardTokenError::InvalidSpender(ERC20InvalidSpender {
                spender,
            }));
        }
        self.allowances.setter(owner).setter(spender).set(value);
        self.vm().log(Approval {
            owner,
            spender,
            value,
        });
        Ok(())
    }

    /// What `spender`'s allowance over `owner`'s tokens becomes after spending
    /// `value`: `None` for an infinite (`U256::MAX`) allowance, which is never
    /// decremented. Reads only; the caller writes after the move succeeded.
    fn allowance_after_spending(
        &self,
        owner: Address,
        spender: Address,
        value: U256,
    ) -> Result<Option<U256>> {
        let current = self.allowances.getter(owner).get(spender);
        if current == U256::MAX {
            return Ok(None);
        }
        match current.checked_sub(value) {
            // OpenZeppelin v5 spends a finite allowance through `_approve`,
            // which refuses the zero owner: `transferFrom(0, …)` and
            // `burnFrom(0, …)` that pass the allowance check end here.
            Some(_) if owner.is_zero() => {
                Err(RewardTokenError::InvalidApprover(ERC20InvalidApprover {
                    approver: owner,
                }))
            }
            Some(rest) => Ok(Some(rest)),
            None => Err(RewardTokenError::InsufficientAllowance(
                ERC20InsufficientAllowance {
                    spender,
                    allowance: current,
                    needed: value,
                },
            )),
        }
    }

    /// Stores the allowance computed by `allowance_after_spending`.
    fn set_remaining_allowance(
        &mut self,
        owner: Address,
        spender: Address,
        remaining: Option<U256>,
    ) {
        if let Some(rest) = remaining {
            self.allowances.setter(owner).setter(spender).set(rest);
        }
    }

    /// Recovers the signer of `digest` through the `ecrecover` precompile,
    /// rejecting malleable and malformed signatures.
    #[allow(clippy::many_single_char_names)]
    fn recover(&self, digest: B256, v: u8, r: B256, s: B256) -> Result<Address> {
        if s > SECP256K1_HALF_N {
            return Err(RewardTokenError::InvalidSignatureS(
                ECDSAInvalidSignatureS { s },
            ));
        }
        let invalid = || RewardTokenError::InvalidSignature(ECDSAInvalidSignature {});
        if v != 27 && v != 28 {
            return Err(invalid());
        }
        let mut input = [0u8; 128];
        input[..32].copy_from_slice(digest.as_slice());
        input[63] = v;
        input[64..96].copy_from_slice(r.as_slice());
        input[96..].copy_from_slice(s.as_slice());
        let output =
            static_call(self.vm(), Call::new(), ECRECOVER, &input).map_err(|_| invalid())?;
        if output.len() != 32 {
            return Err(invalid());
        }
        let signer = Address::from_slice(&output[12..]);
        if signer.is_zero() {
            return Err(invalid());
        }
        Ok(signer)
    }
}

/// `ERC20InvalidReceiver(receiver)`.
fn invalid_receiver(receiver: Address) -> RewardTokenError {
    RewardTokenError::InvalidReceiver(ERC20InvalidReceiver { receiver })
}
