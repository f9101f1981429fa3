//! Passwords (argon2id), one-time codes (TOTP, RFC 6238) and bearer/link tokens.
//!
//! Password hashing is memory-hard by design: each Argon2 hash fills 19 MiB.
//! A server hashes on a small fixed pool of threads ([`Passwords`]), each
//! owning one memory block that it reuses for every hash, fed through a
//! bounded queue: however many sign-in attempts arrive at once, at most
//! `workers` blocks exist, and attempts beyond the pool wait their turn
//! (throttling still refuses them first, `throttle.rs`). Allocating a fresh
//! block per attempt on tokio's blocking pool, as before, let memory grow
//! with every concurrent attempt and stay with the allocator's arenas.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};
use totp_rs::{Secret, TOTP};

/// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random number generator failed");
    b
}

/// Argon2 of `password` and `salt` into `out`, in `memory`: grown the first
/// time (or for a stored hash with a larger memory cost), then reused.
fn argon2_into(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt,
        out,
        &mut memory[..blocks],
    )
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
fn hash_with(password: &str, memory: &mut Vec<Block>) -> String {
    let salt = random_bytes::<16>();
    let mut out = [0u8; 32];
    let p = params();
    argon2_into(
        Algorithm::Argon2id,
        Version::V0x13,
        p.clone(),
        password.as_bytes(),
        &salt,
        &mut out,
        memory,
    )
    .expect("argon2 with valid parameters cannot fail");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&p).expect("valid parameters have a PHC form"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32 bytes is a valid output length")),
    }
    .to_string()
}

/// Whether `password` matches the stored PHC string, read for its own
/// algorithm, version, parameters and salt, compared in constant time.
/// With no stored hash (no such account, or not yet enrolled) the same work
/// is done against a fixed salt, so the answer takes the same time whether
/// or not the account exists.
fn verify_with(password: &str, stored: Option<&str>, memory: &mut Vec<Block>) -> bool {
    let Some(stored) = stored else {
        let mut out = [0u8; 32];
        let _ = argon2_into(
            Algorithm::Argon2id,
            Version::V0x13,
            params(),
            password.as_bytes(),
            b"no account has this salt",
            &mut out,
            memory,
        );
        return false;
    };
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(hash.algorithm),
        Params::try_from(&hash),
        hash.salt,
        hash.hash,
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    argon2_into(
        algorithm,
        version,
        params,
        password.as_bytes(),
        salt,
        out,
        memory,
    )
    .is_ok()
        && bool::from(out.ct_eq(expected))
}

/// Hashes a password with memory of its own, for one-off use (commands,
/// tests). CPU-heavy by design: call from a blocking thread. A server
/// hashes through [`Passwords`].
pub fn hash_password(password: &str) -> String {
    hash_with(password, &mut Vec::new())
}

/// Checks a password against a stored hash with memory of its own, for
/// one-off use; see [`Passwords::verify`].
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    verify_with(password, stored, &mut Vec::new())
}

/// Jobs waiting for a hashing thread, per thread, before callers wait to queue.
const QUEUE_PER_WORKER: usize = 16;

enum Job {
    Hash {
        password: String,
        reply: oneshot::Sender<String>,
    },
    Verify {
        password: String,
        stored: Option<String>,
        reply: oneshot::Sender<bool>,
    },
}

enum Answer {
    Hash(oneshot::Sender<String>, String),
    Verify(oneshot::Sender<bool>, bool),
}

/// What the pool has done, for tests.
#[derive(Default)]
struct Counters {
    busy: AtomicUsize,
    peak_busy: AtomicUsize,
    /// Times a thread grew its memory block.
    allocations: AtomicUsize,
}

/// Password hashing on a fixed number of threads, each owning one reused
/// Argon2 memory block (allocated at its first hash), fed through a bounded
/// queue. Dropping the last handle stops the threads and frees the blocks.
pub struct Passwords {
    queue: mpsc::Sender<Job>,
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    counters: Arc<Counters>,
}

/// A hashing thread stopped (it panicked); the request fails as an internal error.
#[derive(Debug, thiserror::Error)]
#[error("password hashing is not available")]
pub struct HashingStopped;

impl Passwords {
    /// Starts `workers` hashing threads (at least one).
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        let (queue, jobs) = mpsc::channel(workers * QUEUE_PER_WORKER);
        let jobs = Arc::new(Mutex::new(jobs));
        let counters = Arc::new(Counters::default());
        for n in 0..workers {
            let (jobs, counters) = (jobs.clone(), counters.clone());
            std::thread::Builder::new()
                .name(format!("bothy-passwords-{n}"))
                .spawn(move || work(&jobs, &counters))
                .expect("cannot start a password-hashing thread");
        }
        Self { queue, counters }
    }

    /// A new PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, HashingStopped> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Hash {
            password: password.to_string(),
            reply,
        };
        self.queue.send(job).await.map_err(|_| HashingStopped)?;
        answer.await.map_err(|_| HashingStopped)
    }

    /// Whether `password` matches `stored`; with no stored hash, the same
    /// work and false (see [`verify_password`]).
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, HashingStopped> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Verify {
            password: password.to_string(),
            stored: stored.map(str::to_string),
            reply,
        };
        self.queue.send(job).await.map_err(|_| HashingStopped)?;
        answer.await.map_err(|_| HashingStopped)
    }
}

/// One hashing thread: takes the next job, runs it in its own memory block,
/// replies; ends when every [`Passwords`] handle is gone.
fn work(jobs: &Mutex<mpsc::Receiver<Job>>, counters: &Counters) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // Idle threads queue on the lock; the one holding it waits for a job.
        let job = jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .blocking_recv();
        let Some(job) = job else { return };
        let busy = counters.busy.fetch_add(1, Ordering::SeqCst) + 1;
        counters.peak_busy.fetch_max(busy, Ordering::SeqCst);
        let had = memory.capacity();
        // The work first, the bookkeeping, then the answer: a caller that
        // has its answer sees this thread idle again.
        let answer = match job {
            Job::Hash { password, reply } => Answer::Hash(reply, hash_with(&password, &mut memory)),
            Job::Verify {
                password,
                stored,
                reply,
            } => Answer::Verify(
                reply,
                verify_with(&password, stored.as_deref(), &mut memory),
            ),
        };
        if memory.capacity() != had {
            counters.allocations.fetch_add(1, Ordering::SeqCst);
        }
        counters.busy.fetch_sub(1, Ordering::SeqCst);
        // A caller that stopped waiting is no error.
        let _ = match answer {
            Answer::Hash(reply, hash) => reply.send(hash).map_err(drop),
            Answer::Verify(reply, ok) => reply.send(ok).map_err(drop),
        };
    }
}

/// A new random token for a link or an API client, and the SHA-256 hash
/// that is stored. Tokens carry 256 bits, so a fast hash is enough: nobody
/// can guess one, and the database never holds a usable token.
pub fn new_token(prefix: &str) -> (String, String) {
    let token = format!("{prefix}{}", hex::encode(random_bytes::<32>()));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new TOTP secret, base32 as authenticator apps expect (160 bits, RFC 4226's recommendation).
pub fn new_totp_secret() -> String {
    Secret::Raw(random_bytes::<20>().to_vec())
        .to_encoded()
        .to_string()
}

fn totp(secret_b32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Bothy".to_string()),
        account.to_string(),
    )
    .ok()
}

/// The `otpauth://` URI an authenticator app reads.
pub fn totp_uri(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account).map(|t| t.get_url())
}

/// The current code for a secret (for demo accounts and tests).
pub fn totp_code(secret_b32: &str, unix_secs: u64) -> Option<String> {
    totp(secret_b32, "x").map(|t| t.generate(unix_secs))
}

/// If `code` is right for the time step before, at or after `unix_secs`
/// (allowing for a phone clock 30 s out), the step it matched. The caller
/// records the step so that a code cannot be used twice.
pub fn totp_matching_step(secret_b32: &str, code: &str, unix_secs: u64) -> Option<i64> {
    let t = totp(secret_b32, "x")?;
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = unix_secs / 30;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find_map(|s| {
            let expected = t.generate(s * 30);
            bool::from(expected.as_bytes().ct_eq(code.as_bytes())).then_some(s as i64)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("wrong horse battery", Some(&h)));
        assert!(!verify_password("a password that no account has", None));
        assert!(!verify_password("x", Some("not a hash")));
    }

    /// Hashes made by the argon2 crate's own `PasswordHasher`, as Bothy made
    /// them before the pool, and with other algorithms, versions and costs.
    #[test]
    fn hashes_from_the_argon2_crate_verify_and_ours_verify_there() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let stock = |algorithm, version, params| {
            Argon2::new(algorithm, version, params)
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string()
        };
        let hashes = [
            stock(Algorithm::Argon2id, Version::V0x13, params()),
            stock(
                Algorithm::Argon2i,
                Version::V0x13,
                Params::new(8 * 1024, 3, 2, Some(24)).unwrap(),
            ),
            stock(
                Algorithm::Argon2d,
                Version::V0x10,
                Params::new(4 * 1024, 1, 1, None).unwrap(),
            ),
        ];
        assert!(hashes[0].starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let mut memory = Vec::new();
        for h in &hashes {
            assert!(verify_with("correct horse", Some(h), &mut memory), "{h}");
            assert!(!verify_with("correct horsf", Some(h), &mut memory), "{h}");
        }
        // A hash made before this pool existed (the argon2 crate's
        // `hash_password`, OWASP parameters, this salt).
        const OLD: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$G/bFSWjBTx+oD5UAxzUD+cpH7AFcbWp48NzvOCVG3rM";
        assert_eq!(hashes[0], OLD);
        assert!(verify_with("correct horse", Some(OLD), &mut memory));
        let ours = hash_with("correct horse", &mut memory);
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
        // The memory grew once, to the largest cost seen, and was reused.
        assert_eq!(memory.len(), 19 * 1024);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_pool_bounds_concurrency_and_reuses_its_memory() {
        let pool = Arc::new(Passwords::new(2));
        let hash = pool.hash("correct horse battery").await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..12 {
            let (pool, hash) = (pool.clone(), hash.clone());
            tasks.spawn(async move {
                let password = if i % 3 == 0 {
                    "correct horse battery"
                } else {
                    "guess"
                };
                let stored = (i % 4 != 1).then_some(hash.as_str());
                let ok = pool.verify(password, stored).await.unwrap();
                (ok, password == "correct horse battery" && stored.is_some())
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (ok, expected) = done.unwrap();
            assert_eq!(ok, expected);
        }
        let c = &pool.counters;
        assert!(c.peak_busy.load(Ordering::SeqCst) <= 2);
        assert_eq!(c.busy.load(Ordering::SeqCst), 0);
        // One block per thread at most, however many attempts came at once.
        assert!(c.allocations.load(Ordering::SeqCst) <= 2);
    }

    #[test]
    fn totp_accepts_adjacent_steps_only() {
        let secret = new_totp_secret();
        let now = 1_800_000_000;
        let code = totp_code(&secret, now).unwrap();
        assert_eq!(
            totp_matching_step(&secret, &code, now),
            Some((now / 30) as i64)
        );
        assert!(totp_matching_step(&secret, &code, now + 30).is_some());
        assert!(totp_matching_step(&secret, &code, now + 95).is_none());
        assert!(totp_matching_step(&secret, "12345", now).is_none());
        assert!(
            totp_uri(&secret, "ann@example.org")
                .unwrap()
                .starts_with("otpauth://totp/")
        );
    }

    #[test]
    fn tokens_are_unique_and_only_their_hash_is_kept() {
        let (a, ha) = new_token("bothy_");
        let (b, _) = new_token("bothy_");
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), ha);
        assert!(!ha.contains(&a));
    }
}
