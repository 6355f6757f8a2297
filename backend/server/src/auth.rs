//! Passwords and tokens.
//!
//! Passwords are hashed with argon2id (PHC string, random salt). A bearer token is 32 random bytes, shown to
//! the client once; only its SHA-256 is stored, so a database leak does not leak live sessions. Every request
//! looks its session up in the database, which makes logout and force-logout effective at once on every
//! instance that shares the database.

use crate::error::ApiError;
use crate::store::UserRow;
use anyhow::anyhow;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use siaga_core::role::Role;
use siaga_core::scope::{Account, Scope};

/// The argon2id instance with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password into a PHC string.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("hashing password: {e}"))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random bearer token (64 hex characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A random password for one-time use (the first admin, or a reset).
pub fn random_password() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Minimum acceptable password: long enough to resist guessing; no composition rules (NIST 800-63B).
pub fn check_password_strength(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 8 {
        return Err("password must be at least 8 characters");
    }
    if password.len() > 256 {
        return Err("password must be at most 256 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash_password("rahasia-112").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("rahasia-112", &h));
        assert!(!verify_password("rahasia-113", &h));
        assert!(!verify_password("rahasia-112", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}

/// The authenticated user behind a request's bearer token.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user row.
    pub user: UserRow,
    /// The user's role, parsed.
    pub role: Role,
    /// SHA-256 of the presented token (identifies the session).
    pub token_hash: String,
}

impl Actor {
    /// 403 unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "role {} may not do this; allowed roles: {}",
                self.role,
                names.join(", ")
            )))
        }
    }

    /// What the actor may see and act on: the one scope rule (`siaga_core::scope`), which services check
    /// single subjects against and hand to the store as list filters.
    pub fn scope(&self) -> Scope {
        Scope::of(Account {
            role: self.role,
            user_id: &self.user.id,
            region: self.user.region_code.as_deref(),
            agency_id: self.user.agency_id.as_deref(),
            unit_id: self.user.unit_id.as_deref(),
        })
    }

    /// The agency a dispatcher or responder is bound to; `None` for roles that see every agency.
    pub fn agency_scope(&self) -> Option<&str> {
        if self.role.requires_agency() {
            // A dispatcher/responder without an agency sees nothing: an empty id matches no row.
            Some(self.user.agency_id.as_deref().unwrap_or(""))
        } else {
            None
        }
    }

    /// 403 unless the actor may act for `agency_id` (admins, supervisors and call takers may see all).
    pub fn require_agency(&self, agency_id: &str) -> Result<(), ApiError> {
        match self.agency_scope() {
            Some(own) if own != agency_id => Err(ApiError::forbidden(
                "this belongs to another agency (OPD) than yours",
            )),
            _ => Ok(()),
        }
    }

    /// 403 unless the actor's region scope (if any) contains `region_code` (same code or a child of it).
    pub fn require_region(&self, region_code: &str) -> Result<(), ApiError> {
        self.require_place(Some(region_code))
    }

    /// 403 unless the actor's region scope (if any) covers a place of region `region_code` (a place of no
    /// known region is the whole centre's).
    pub fn require_place(&self, region_code: Option<&str>) -> Result<(), ApiError> {
        if self.scope().covers_place(region_code) {
            Ok(())
        } else {
            Err(out_of_region())
        }
    }
}

/// The refusal of a subject outside the actor's region scope.
pub fn out_of_region() -> ApiError {
    ApiError::forbidden("this belongs to a region outside your scope")
}
