//! Accounts, personal API tokens, browser sessions and sign-in throttling.
//!
//! Passwords are hashed with Argon2id (RustCrypto `argon2`, its default cost: 19 MiB, 2 passes,
//! 1 lane — OWASP's recommended minimum). Tokens and session ids are 256 random bits, given out
//! once and stored only as SHA-256 hashes (they are random, so a fast hash is enough).

use super::{Account, App, Error, Principal, permission::Action};
use crate::private::{AuditRow, Role, TokenRow, UserRow, now_s};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;

/// How sessions expire and sign-ins are throttled (`[accounts]` in the configuration file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountSettings {
    /// A session unused this long ends.
    pub session_idle_minutes: f64,
    /// A session ends this long after sign-in, however much it is used.
    pub session_max_hours: f64,
    /// Failed sign-ins to one account within `throttle_minutes` before it is refused for the rest
    /// of that time.
    pub failures_per_account: u32,
    /// Failed sign-ins from one client address within `throttle_minutes` before it is refused.
    pub failures_per_address: u32,
    pub throttle_minutes: f64,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            session_idle_minutes: 60.0,
            session_max_hours: 12.0,
            failures_per_account: 5,
            failures_per_address: 20,
            throttle_minutes: 15.0,
        }
    }
}

/// A successful sign-in: the session id for the cookie and the CSRF token for writes.
#[derive(Debug)]
pub struct Login {
    pub session: String,
    pub csrf: String,
    pub account: Account,
    /// Seconds the cookie lives at most.
    pub max_age_s: u64,
}

/// A request authenticated by its session cookie.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub principal: Principal,
    /// What a write must send back in `X-CSRF-Token`.
    pub csrf: String,
    pub session_id: i64,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes a new password; refuses one that is too short or too long to be a password.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::Invalid(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters and at most {MAX_PASSWORD_BYTES} bytes; this one has {chars} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("the password cannot be hashed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of no one's password: checked when the account does not exist, so that a wrong name
/// takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no account has this password").expect("hashable"))
}

/// 32 random bytes as hex.
fn secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Names of accounts: what people type at the login page.
fn check_name(name: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&name.chars().count())
        && !name.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!("{name:?}: a name has 1 to 64 characters and no spaces")))
    }
}

/// Failed sign-ins per account and per address, in memory.
#[derive(Default)]
pub(super) struct Throttle {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl Throttle {
    /// Seconds until `key` may try again, if it has used up its `allowed` failures.
    fn wait(&self, key: &str, allowed: u32, window_s: i64, now: i64) -> Option<u64> {
        let failures = self.failures.lock();
        let (count, since) = failures.get(key).copied()?;
        (count >= allowed && now - since < window_s).then(|| (window_s - (now - since)).max(1) as u64)
    }

    fn fail(&self, key: String, window_s: i64, now: i64) {
        let mut failures = self.failures.lock();
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| now - *since < window_s);
        }
        let entry = failures.entry(key).or_insert((0, now));
        if now - entry.1 >= window_s {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    fn clear(&self, key: &str) {
        self.failures.lock().remove(key);
    }
}

impl App {
    /// The account of the staff token from the configuration: no row of its own.
    fn staff_token_account() -> Account {
        Account { id: 0, name: "staff-token".into(), role: Role::Staff, scope: Vec::new() }
    }

    /// Adds an account (admins and the console).
    pub fn add_user(
        &self,
        principal: &Principal,
        name: &str,
        role: Role,
        scope: &[i64],
        password: &str,
    ) -> Result<UserRow, Error> {
        self.authorize(principal, Action::ManageAccounts)?;
        check_name(name)?;
        let index = self.store.read();
        if let Some(id) = scope.iter().find(|id| index.area(crate::model::AreaId(**id)).is_none()) {
            return Err(Error::Invalid(format!("scope: no area {id}")));
        }
        let hash = hash_password(password)?;
        Ok(self.private.add_user(name, role, scope, &hash, &principal.audit("user.add", None, vec![]))?)
    }

    /// Sets an account's password (admins and the console); its sessions end.
    pub fn set_password(&self, principal: &Principal, name: &str, password: &str) -> Result<UserRow, Error> {
        self.authorize(principal, Action::ManageAccounts)?;
        let hash = hash_password(password)?;
        Ok(self.private.change_user(
            name,
            Some(&hash),
            None,
            &principal.audit("user.passwd", None, vec![]),
        )?)
    }

    /// Disables or re-enables an account; disabling ends its sessions and revokes its tokens.
    pub fn set_disabled(&self, principal: &Principal, name: &str, disabled: bool) -> Result<UserRow, Error> {
        self.authorize(principal, Action::ManageAccounts)?;
        let action = if disabled { "user.disable" } else { "user.enable" };
        Ok(self.private.change_user(name, None, Some(disabled), &principal.audit(action, None, vec![]))?)
    }

    /// Every account (admins and the console).
    pub fn users(&self, principal: &Principal) -> Result<Vec<UserRow>, Error> {
        self.authorize(principal, Action::ManageAccounts)?;
        Ok(self.private.users()?)
    }

    /// Account changes, sign-ins and tokens from the audit log (admins).
    pub fn account_audit(&self, principal: &Principal) -> Result<Vec<AuditRow>, Error> {
        self.authorize(principal, Action::ManageAccounts)?;
        Ok(self.private.account_audit()?)
    }

    /// A new personal API token named `token_name`, for the caller — or, for admins and the
    /// console, for the account `for_account`. The secret is returned once and never stored.
    pub fn create_token(
        &self,
        principal: &Principal,
        for_account: Option<&str>,
        token_name: &str,
    ) -> Result<(i64, String), Error> {
        let owner = match for_account {
            Some(name) => {
                self.authorize(principal, Action::ManageAccounts)?;
                self.private
                    .user_by_name(name)?
                    .ok_or_else(|| Error::NotFound(format!("no account {name:?}")))?
                    .id
            }
            None => self.own_account(principal)?.id,
        };
        crate::model::limits::check_text(token_name, 100)
            .map_err(|e| Error::Invalid(format!("name: {e}")))?;
        let secret = format!("sasaeai_{}", secret());
        let id = self.private.add_token(
            owner,
            token_name,
            &digest(&secret),
            &principal.audit("token.create", None, vec![]),
        )?;
        Ok((id, secret))
    }

    /// The caller's tokens.
    pub fn tokens(&self, principal: &Principal) -> Result<Vec<TokenRow>, Error> {
        Ok(self.private.tokens(self.own_account(principal)?.id)?)
    }

    /// Revokes one of the caller's tokens.
    pub fn revoke_token(&self, principal: &Principal, token_id: i64) -> Result<(), Error> {
        let owner = self.own_account(principal)?.id;
        match self.private.revoke_token(owner, token_id, &principal.audit("token.revoke", None, vec![]))? {
            true => Ok(()),
            false => Err(Error::NotFound(format!("no token {token_id} of yours"))),
        }
    }

    /// The caller's own account (not the console, not the configured staff token).
    fn own_account<'p>(&self, principal: &'p Principal) -> Result<&'p Account, Error> {
        self.authorize(principal, Action::OwnAccount)?;
        match principal.signed_in() {
            Some(a) if a.id > 0 => Ok(a),
            _ => Err(Error::Forbidden("this needs an account of your own".into())),
        }
    }

    /// Signs in with a name and password from `client`. Every failure answers the same
    /// [`Error::BadLogin`]; too many failures per account or per address answer
    /// [`Error::Throttled`] without checking the password.
    pub fn login(&self, name: &str, password: &str, client: Option<IpAddr>) -> Result<Login, Error> {
        let now = now_s();
        let window_s = (self.accounts.throttle_minutes * 60.0) as i64;
        let account_key = format!("account:{name}");
        let address_key = client.map(|c| format!("address:{c}"));
        let waits = [
            self.throttle.wait(&account_key, self.accounts.failures_per_account, window_s, now),
            address_key
                .as_deref()
                .and_then(|k| self.throttle.wait(k, self.accounts.failures_per_address, window_s, now)),
        ];
        if let Some(retry_after_s) = waits.into_iter().flatten().max() {
            return Err(Error::Throttled { retry_after_s });
        }
        let user = self.private.user_by_name(name)?;
        let hash = user.as_ref().and_then(|u| u.password_hash.as_deref()).unwrap_or(decoy_hash());
        // No password is that long: refused without hashing it (hashing costs in proportion).
        let verified = password.len() <= MAX_PASSWORD_BYTES && verify_password(password, hash);
        let anonymous = Principal::anonymous(client);
        let Some(user) = user.filter(|u| verified && !u.disabled) else {
            self.throttle.fail(account_key, window_s, now);
            if let Some(key) = address_key {
                self.throttle.fail(key, window_s, now);
            }
            let attempted: String = name.chars().take(64).collect();
            let entry = crate::private::AuditEntry::new(
                &attempted,
                "login.fail",
                None,
                vec![],
                anonymous.client.map(|c| c.to_string()),
            );
            self.private.append_audit(&entry)?;
            return Err(Error::BadLogin);
        };
        self.throttle.clear(&account_key);
        let (session, csrf) = (secret(), secret());
        let account = Account::from(user);
        let principal = Principal::account(account.clone(), client);
        let max_age_s = (self.accounts.session_max_hours * 3600.0) as u64;
        let stale_before = now - max_age_s as i64;
        let audit = principal.audit("login.ok", None, vec![]);
        self.private.add_session(account.id, &digest(&session), &csrf, stale_before, &audit)?;
        Ok(Login { session, csrf, account, max_age_s })
    }

    /// The caller a bearer token stands for: the configured staff token, or a live personal token
    /// of an active account.
    pub fn from_bearer(&self, token: &str, client: Option<IpAddr>) -> Result<Principal, Error> {
        if self.staff_token.as_deref().is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes())) {
            return Ok(Principal::account(Self::staff_token_account(), client));
        }
        match self.private.token_user(&digest(token))? {
            Some(user) => Ok(Principal::account(user.into(), client)),
            None => Err(Error::Unauthenticated),
        }
    }

    /// The caller a session cookie stands for, if the session is live; an expired session is ended.
    pub fn from_session(&self, session: &str, client: Option<IpAddr>) -> Result<Option<SessionAuth>, Error> {
        let Some((row, user)) = self.private.session(&digest(session))? else { return Ok(None) };
        let now = now_s();
        let idle_s = (self.accounts.session_idle_minutes * 60.0) as i64;
        let max_s = (self.accounts.session_max_hours * 3600.0) as i64;
        if now - row.seen >= idle_s.max(1) || now - row.created >= max_s.max(1) {
            let entry =
                crate::private::AuditEntry::new(&user.name, "session.expire", None, vec![user.id], None);
            self.private.end_session(row.id, Some(&entry))?;
            return Ok(None);
        }
        // Writing the last use on every request would make every read a write; a quarter of the
        // idle time (at most a minute) late is precise enough for expiry.
        if now - row.seen >= (idle_s / 4).clamp(1, 60) {
            self.private.touch_session(row.id, now)?;
        }
        let principal = Principal::account(user.into(), client);
        Ok(Some(SessionAuth { principal, csrf: row.csrf, session_id: row.id }))
    }

    /// Ends a session (logout).
    pub fn logout(&self, auth: &SessionAuth) -> Result<(), Error> {
        let entry = auth.principal.audit("session.logout", None, vec![]);
        Ok(self.private.end_session(auth.session_id, Some(&entry))?)
    }
}

/// Compares in constant time (the `subtle` crate), so response time says nothing about how much of
/// a guess matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn throttle_counts_failures_within_the_window() {
        let t = Throttle::default();
        for _ in 0..3 {
            t.fail("k".into(), 60, 1000);
        }
        assert_eq!(t.wait("k", 3, 60, 1010), Some(50));
        assert_eq!(t.wait("k", 4, 60, 1010), None);
        assert_eq!(t.wait("k", 3, 60, 1061), None);
    }
}
