//! Accounts, personal API tokens and browser sessions as rows. Tokens and session ids are stored as
//! SHA-256 hashes only; passwords as argon2 PHC strings made by [`crate::app`].

use super::audit::{AuditEntry, append};
use super::sql::{Row, Sql, args};
use super::{PrivateError, PrivateStore, now_s};
use serde::Serialize;

/// What an account may do; see [`crate::app::permission`] for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages accounts only; sees no support map.
    Admin,
    /// Ward staff: edits sites, imports data, sees overlays, never a person.
    Staff,
    /// 生活支援コーディネーター and the like: edits sites and facilitates groups in their areas.
    Coordinator,
    /// A resident: member of groups, draws their support maps.
    Resident,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Coordinator => "coordinator",
            Role::Resident => "resident",
        }
    }

    fn parse(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "staff" => Role::Staff,
            "coordinator" => Role::Coordinator,
            _ => Role::Resident,
        }
    }
}

/// An account.
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Area ids the account is limited to (wards for staff, areas for coordinators); empty: all.
    pub scope: Vec<i64>,
    pub disabled: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub revoked: bool,
}

/// A browser session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub csrf: String,
    pub created: i64,
    pub seen: i64,
}

/// Live tokens one account may hold.
pub const MAX_LIVE_TOKENS: usize = 100;

const USER: &str = "SELECT id, name, role, scope, disabled, password_hash FROM users";

fn user(r: &Row) -> Result<UserRow, PrivateError> {
    Ok(UserRow {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&r.get::<String>(2)?),
        scope: serde_json::from_str(&r.get::<String>(3)?).unwrap_or_default(),
        disabled: r.get(4)?,
        password_hash: r.get(5)?,
    })
}

fn user_named(sql: &mut dyn Sql, name: &str) -> Result<Option<UserRow>, PrivateError> {
    sql.query_opt(&format!("{USER} WHERE tenant = :tenant AND name = ?1"), args![name])?
        .map(|r| user(&r))
        .transpose()
}

fn user_with_id(sql: &mut dyn Sql, id: i64) -> Result<UserRow, PrivateError> {
    let row = sql.query_opt(&format!("{USER} WHERE tenant = :tenant AND id = ?1"), args![id])?;
    user(&row.ok_or_else(|| PrivateError::Missing(format!("account {id}")))?)
}

impl PrivateStore {
    /// Adds an account; its name must be new.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        scope: &[i64],
        password_hash: &str,
        audit: &AuditEntry,
    ) -> Result<UserRow, PrivateError> {
        self.write(|sql| {
            if user_named(sql, name)?.is_some() {
                return Err(PrivateError::Exists(format!("the account {name:?}")));
            }
            let id: i64 = sql.value(
                "INSERT INTO users (tenant, name, role, scope, password_hash, created) \
                 VALUES (:tenant, ?1, ?2, ?3, ?4, ?5) RETURNING id",
                args![
                    name,
                    role.as_str(),
                    serde_json::to_string(scope).expect("ids"),
                    password_hash,
                    now_s()
                ],
            )?;
            append(sql, &audit.about(None, vec![id]))?;
            user_with_id(sql, id)
        })
    }

    /// The account called `name`.
    pub fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, PrivateError> {
        self.read(|sql| user_named(sql, name))
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, PrivateError> {
        self.read(|sql| sql.rows(&format!("{USER} WHERE tenant = :tenant ORDER BY name"), &[], user))
    }

    /// Changes an account: a new password hash and/or disabled flag. Disabling or a new password
    /// ends the account's sessions; disabling also revokes its tokens.
    pub fn change_user(
        &self,
        name: &str,
        password_hash: Option<&str>,
        disabled: Option<bool>,
        audit: &AuditEntry,
    ) -> Result<UserRow, PrivateError> {
        self.write(|sql| {
            let found = user_named(sql, name)?
                .ok_or_else(|| PrivateError::Missing(format!("the account {name:?}")))?;
            if let Some(hash) = password_hash {
                sql.execute(
                    "UPDATE users SET password_hash = ?1 WHERE tenant = :tenant AND id = ?2",
                    args![hash, found.id],
                )?;
            }
            if let Some(disabled) = disabled {
                sql.execute(
                    "UPDATE users SET disabled = ?1 WHERE tenant = :tenant AND id = ?2",
                    args![disabled, found.id],
                )?;
                if disabled {
                    sql.execute(
                        "UPDATE tokens SET revoked = 1 WHERE tenant = :tenant AND user_id = ?1",
                        args![found.id],
                    )?;
                }
            }
            sql.execute(
                "UPDATE sessions SET revoked = 1 WHERE tenant = :tenant AND user_id = ?1",
                args![found.id],
            )?;
            append(sql, &audit.about(None, vec![found.id]))?;
            user_with_id(sql, found.id)
        })
    }

    /// Stores a new token's hash for `user_id`.
    pub fn add_token(
        &self,
        user_id: i64,
        name: &str,
        hash: &[u8; 32],
        audit: &AuditEntry,
    ) -> Result<i64, PrivateError> {
        self.write(|sql| {
            let live: i64 = sql.value(
                "SELECT count(*) FROM tokens WHERE tenant = :tenant AND user_id = ?1 AND revoked = 0",
                args![user_id],
            )?;
            if live >= MAX_LIVE_TOKENS as i64 {
                return Err(PrivateError::Refused(format!(
                    "an account holds at most {MAX_LIVE_TOKENS} live tokens; revoke one first"
                )));
            }
            let id: i64 = sql.value(
                "INSERT INTO tokens (tenant, user_id, name, hash, created) VALUES (:tenant, ?1, ?2, ?3, ?4) \
                 RETURNING id",
                args![user_id, name, &hash[..], now_s()],
            )?;
            append(sql, &audit.about(None, vec![user_id, id]))?;
            Ok(id)
        })
    }

    /// The active account whose live token hashes to `hash`.
    pub fn token_user(&self, hash: &[u8; 32]) -> Result<Option<UserRow>, PrivateError> {
        self.read(|sql| {
            let found = sql.query_opt(
                "SELECT u.id, u.name, u.role, u.scope, u.disabled, u.password_hash FROM tokens t \
                 JOIN users u ON u.tenant = t.tenant AND u.id = t.user_id \
                 WHERE t.tenant = :tenant AND t.hash = ?1 AND t.revoked = 0 AND u.disabled = 0",
                args![&hash[..]],
            )?;
            found.map(|r| user(&r)).transpose()
        })
    }

    /// The tokens of `user_id`, newest first.
    pub fn tokens(&self, user_id: i64) -> Result<Vec<TokenRow>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                "SELECT id, name, created, revoked FROM tokens WHERE tenant = :tenant AND user_id = ?1 \
                 ORDER BY id DESC",
                args![user_id],
                |r| {
                    Ok(TokenRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        created: super::iso8601(r.get(2)?),
                        revoked: r.get(3)?,
                    })
                },
            )
        })
    }

    /// Revokes token `token_id` of `user_id`; false when the user has no such token.
    pub fn revoke_token(
        &self,
        user_id: i64,
        token_id: i64,
        audit: &AuditEntry,
    ) -> Result<bool, PrivateError> {
        self.write(|sql| {
            let n = sql.execute(
                "UPDATE tokens SET revoked = 1 WHERE tenant = :tenant AND id = ?1 AND user_id = ?2 AND revoked = 0",
                args![token_id, user_id],
            )?;
            if n > 0 {
                append(sql, &audit.about(None, vec![user_id, token_id]))?;
            }
            Ok(n > 0)
        })
    }

    /// Starts a session for `user_id`, and forgets the account's ended sessions and those started
    /// before `stale_before` (past their absolute expiry), so the table holds live sessions only.
    pub fn add_session(
        &self,
        user_id: i64,
        hash: &[u8; 32],
        csrf: &str,
        stale_before: i64,
        audit: &AuditEntry,
    ) -> Result<(), PrivateError> {
        self.write(|sql| {
            let now = now_s();
            sql.execute(
                "DELETE FROM sessions WHERE tenant = :tenant AND user_id = ?1 AND (revoked = 1 OR created < ?2)",
                args![user_id, stale_before],
            )?;
            sql.execute(
                "INSERT INTO sessions (tenant, user_id, hash, csrf, created, seen) \
                 VALUES (:tenant, ?1, ?2, ?3, ?4, ?4)",
                args![user_id, &hash[..], csrf, now],
            )?;
            append(sql, &audit.about(None, vec![user_id]))
        })
    }

    /// The live session whose id hashes to `hash`, with its active account.
    pub fn session(&self, hash: &[u8; 32]) -> Result<Option<(SessionRow, UserRow)>, PrivateError> {
        self.read(|sql| {
            let found = sql.query_opt(
                "SELECT u.id, u.name, u.role, u.scope, u.disabled, u.password_hash, \
                 s.id, s.csrf, s.created, s.seen FROM sessions s \
                 JOIN users u ON u.tenant = s.tenant AND u.id = s.user_id \
                 WHERE s.tenant = :tenant AND s.hash = ?1 AND s.revoked = 0 AND u.disabled = 0",
                args![&hash[..]],
            )?;
            found
                .map(|r| {
                    let session =
                        SessionRow { id: r.get(6)?, csrf: r.get(7)?, created: r.get(8)?, seen: r.get(9)? };
                    Ok((session, user(&r)?))
                })
                .transpose()
        })
    }

    /// Records that session `id` was used at `now`.
    pub fn touch_session(&self, id: i64, now: i64) -> Result<(), PrivateError> {
        self.write(|sql| {
            sql.execute("UPDATE sessions SET seen = ?1 WHERE tenant = :tenant AND id = ?2", args![now, id])?;
            Ok(())
        })
    }

    /// Ends session `id` (logout, or found expired).
    pub fn end_session(&self, id: i64, audit: Option<&AuditEntry>) -> Result<(), PrivateError> {
        self.write(|sql| {
            sql.execute("UPDATE sessions SET revoked = 1 WHERE tenant = :tenant AND id = ?1", args![id])?;
            match audit {
                Some(entry) => append(sql, entry),
                None => Ok(()),
            }
        })
    }
}
