//! Passwords and tokens.
//!
//! Passwords are hashed with argon2id (PHC string, random salt). Hashing is deliberately expensive (19 MiB of
//! memory and tens of milliseconds of CPU per hash), so it runs only through [`Passwords`]: a fixed number of
//! hashers, each with its memory allocated once and reused, and a bounded queue in front of them. A flood of
//! logins therefore costs bounded memory and is answered "busy" instead of piling up (issue 13, finding 2).
//!
//! A bearer token is 32 random bytes, shown to the client once; only its SHA-256 is stored, so a database
//! leak does not leak live sessions. Every request looks its session up in the database, which makes logout
//! and force-logout effective at once on every instance that shares the database.

use crate::error::ApiError;
use crate::store::UserRow;
use anyhow::anyhow;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use siaga_core::role::Role;
use siaga_core::scope::{Account, Scope};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// The longest password accepted, in bytes (argon2 takes any length; this bounds the work per request).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// The argon2id parameters of new hashes: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn params() -> Params {
    Params::default()
}

/// Hashes `password` into a PHC string, using `memory` as argon2's working memory.
fn hash_with(password: &[u8], memory: &mut [Block]) -> anyhow::Result<String> {
    let params = params();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_buf)
        .map_err(|e| anyhow!("decoding salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt_bytes, &mut out, memory)
        .map_err(|e| anyhow!("hashing password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow!("hash parameters: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow!("hash output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`, using `memory` as argon2's working memory (a hash stored
/// with larger parameters than the current ones gets memory of its own). A malformed hash never matches; the
/// comparison is constant-time.
fn verify_with(password: &[u8], phc: &str, memory: &mut [Block]) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let hashed = if params.block_count() <= memory.len() {
        argon2.hash_password_into_with_memory(password, salt, &mut out, memory)
    } else {
        argon2.hash_password_into(password, salt, &mut out)
    };
    // `Output`'s equality is constant-time.
    hashed.is_ok() && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Hashes a password into a PHC string (allocating its own memory; requests go through [`Passwords`]).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    hash_with(
        password.as_bytes(),
        &mut vec![Block::default(); params().block_count()],
    )
}

/// Whether `password` matches the stored PHC string (allocating its own memory; requests go through
/// [`Passwords`]). A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    verify_with(
        password.as_bytes(),
        phc,
        &mut vec![Block::default(); params().block_count()],
    )
}

/// Why [`Passwords`] did not answer.
#[derive(Debug)]
pub enum HashError {
    /// Every hasher is busy and the queue is full: try again in a moment.
    Busy,
    /// The hash could not be computed (a bug).
    Failed(anyhow::Error),
}

/// The bounded password hashers of one instance: at most `concurrency` hashes at once, each with working
/// memory allocated once and reused, and at most `queue` callers waiting for one. A caller beyond that is
/// told [`HashError::Busy`] at once. The permit travels with the hash onto the blocking pool, so a client that
/// hangs up does not free a hasher that is still working.
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Callers waiting for a permit.
    waiting: AtomicUsize,
    queue: usize,
    /// Working memory of idle hashers (at most `concurrency` buffers of 19 MiB ever exist).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// The hash an unknown username is checked against, so it costs what a known one costs.
    dummy: OnceCell<String>,
}

impl Passwords {
    /// Hashers for `concurrency` hashes at once (0: one per CPU core) and `queue` waiting callers.
    pub fn new(concurrency: usize, queue: usize) -> Passwords {
        let concurrency = match concurrency {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        };
        Passwords {
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            queue,
            memory: Arc::default(),
            dummy: OnceCell::new(),
        }
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move |memory| hash_with(password.as_bytes(), memory))
            .await?
            .map_err(HashError::Failed)
    }

    /// Whether `password` matches `phc`; with `None` (no such user) it is checked against a dummy hash of the
    /// same cost, and never matches.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, HashError> {
        let (phc, real) = match phc {
            Some(phc) => (phc, true),
            None => (self.dummy().await?.to_owned(), false),
        };
        let matches = self
            .run(move |memory| verify_with(password.as_bytes(), &phc, memory))
            .await?;
        Ok(matches && real)
    }

    async fn dummy(&self) -> Result<&str, HashError> {
        self.dummy
            .get_or_try_init(|| self.hash(random_password()))
            .await
            .map(String::as_str)
    }

    /// Runs `job` on the blocking pool with a permit and a hasher's memory.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let _waiting = Waiting::enter(&self.waiting, self.queue)?;
                Arc::clone(&self.permits)
                    .acquire_owned()
                    .await
                    .map_err(|e| HashError::Failed(e.into()))?
            }
        };
        let pool = Arc::clone(&self.memory);
        tokio::task::spawn_blocking(move || {
            let taken = pool.lock().ok().and_then(|mut idle| idle.pop());
            let mut memory =
                taken.unwrap_or_else(|| vec![Block::default(); params().block_count()]);
            let result = job(&mut memory);
            if let Ok(mut idle) = pool.lock() {
                idle.push(memory);
            }
            drop(permit);
            result
        })
        .await
        .map_err(|e| HashError::Failed(e.into()))
    }
}

/// One caller in the queue of [`Passwords`]; leaving (also by cancellation) frees its place.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(waiting: &'a AtomicUsize, queue: usize) -> Result<Waiting<'a>, HashError> {
        if waiting.fetch_add(1, Ordering::SeqCst) >= queue {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(HashError::Busy);
        }
        Ok(Waiting(waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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

/// The most common passwords (eight characters or more, lower-cased); sources and licences are named in the
/// file's header.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Refuses passwords that are easy to guess; no composition rules (NIST SP 800-63B, 5.1.1.2): at least 8
/// characters and at most [`MAX_PASSWORD_BYTES`], not only spaces, not one character repeated, not the
/// username, and not one of the most common passwords (compared without case).
pub fn check_password_strength(password: &str, username: &str) -> Result<(), &'static str> {
    if password.trim().is_empty() {
        return Err("password must not be only spaces");
    }
    if password.chars().count() < 8 {
        return Err("password must be at least 8 characters");
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err("password must be at most 256 bytes");
    }
    let folded = password.trim().to_lowercase();
    let mut chars = folded.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err("password must not be one character repeated");
    }
    if folded == username.trim().to_lowercase() {
        return Err("password must not be the username");
    }
    if COMMON_PASSWORDS.contains(folded.as_str()) {
        return Err("this password is one of the most common passwords; choose another");
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
    fn weak_passwords_are_refused() {
        for weak in [
            "12345678",
            "password",
            "Password",
            "PASSWORD1",
            "        ",
            "\t\t\t\t\t\t\t\t",
            "aaaaaaaaaa",
            "bismillah",
            "short",
            "operator7",
        ] {
            assert!(
                check_password_strength(weak, "operator7").is_err(),
                "{weak:?} was accepted"
            );
        }
        for fine in [
            "siaga112",
            "panjang-sekali",
            "kuda lari cepat",
            "Rahasia-112!",
        ] {
            assert_eq!(check_password_strength(fine, "operator7"), Ok(()), "{fine}");
        }
        assert!(check_password_strength(&"x1".repeat(129), "u").is_err());
        assert!(COMMON_PASSWORDS.len() > 3000);
        assert!(COMMON_PASSWORDS.iter().all(|p| p.chars().count() >= 8));
    }

    #[tokio::test]
    async fn the_hashers_verify_and_refuse_when_full() {
        let passwords = Passwords::new(1, 0);
        let h = passwords.hash("rahasia-112".into()).await.unwrap();
        assert!(
            passwords
                .verify("rahasia-112".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("rahasia-113".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("rahasia-112".into(), None).await.unwrap());
        assert!(verify_password("rahasia-112", &h));
        // One hasher and no queue: of several at once, some are told to come back.
        let (a, b, c) = tokio::join!(
            passwords.verify("x".into(), Some(h.clone())),
            passwords.verify("y".into(), Some(h.clone())),
            passwords.verify("z".into(), Some(h.clone())),
        );
        let busy = [a, b, c]
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        assert!(busy >= 2, "{busy} of 3 refused");
        // At most one buffer of working memory was ever allocated.
        assert!(passwords.memory.lock().unwrap().len() <= 1);
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
