//! The ports of issue 25's e-mail change and known devices: moving an account from one address
//! to another (and back), and the devices an account signed in from.

use async_trait::async_trait;

use super::{Events, StoreResult};
use crate::clock::Epoch;
use crate::model::{KnownDevice, MovedAddress, User};

/// What moves with an account from `before.email` to `after.email`.
#[derive(Debug, Clone, Copy)]
pub struct AccountMove<'a> {
    /// The account as read, at the address it leaves (the write is conditional on its version).
    pub before: &'a User,
    /// The account as it is stored at its new address (at `before.version + 1`).
    pub after: &'a User,
    /// The account's passkey names (`HANDLE#…`, `CREDENTIAL#…`), re-pointed at the new address.
    pub passkey_names: &'a [String],
    /// The caller's own login, which follows the account to its new address: a surface-1
    /// session id (`session`) or a surface-2 refresh family id. Every other login is the use
    /// case's to end.
    pub caller_session: Option<&'a str>,
    pub caller_family: Option<&'a str>,
}

/// Accounts moving between addresses, in one atomic write each.
#[async_trait]
pub trait MoveStore: Send + Sync {
    /// An e-mail change: in one atomic write, removes the account from `before.email` (if it is
    /// still at `before.version`), stores `after` at `after.email` unless an account is there or
    /// another account's live [`MovedAddress`] reserves it (one of this account's own, or one
    /// expired at `moved.moved_at`, is removed),
    /// leaves `moved` at the old address, forgets both addresses' failed-login counters,
    /// re-points the passkey names and the caller's login, and commits `events`. `Conflict`
    /// when any condition fails: of two accounts moving onto one address (or a registration
    /// racing one), exactly one wins.
    async fn move_account(&self, mv: AccountMove<'_>, moved: &MovedAddress, events: Events<'_>) -> StoreResult<User>;

    /// A revert: as [`MoveStore::move_account`] back to `after.email` (= the reservation's
    /// address), consuming the reservation there if it still holds `nonce_hash` (`Conflict`
    /// otherwise: a nonce works once, however many race), leaving no reservation behind.
    async fn revert_account(&self, mv: AccountMove<'_>, nonce_hash: &str, events: Events<'_>) -> StoreResult<User>;

    /// The reservation left at an address an account moved away from, if any (expired ones
    /// included: the caller judges).
    async fn get_moved(&self, email: &str) -> StoreResult<Option<MovedAddress>>;
}

/// The devices each account signed in from.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Records a login from `device` in one write: stores it, or refreshes its network, last
    /// login and expiry. Answers whether it was known (stored, unexpired at `now`) before.
    async fn see_device(&self, device: &KnownDevice, now: Epoch) -> StoreResult<bool>;

    /// The account's devices (expired ones included: the caller judges), in key order.
    async fn list_devices(&self, user_id: &str) -> StoreResult<Vec<KnownDevice>>;

    /// Forgets every device of the account; returns how many.
    async fn forget_devices(&self, user_id: &str) -> StoreResult<usize>;
}
