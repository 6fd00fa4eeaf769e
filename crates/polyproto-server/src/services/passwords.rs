//! Password hashing with argon2id on a fixed set of threads behind a bounded queue.
//!
//! Each hash costs tens of milliseconds of CPU and 19 MiB, by design. A flood of wrong
//! passwords must neither take every core nor grow memory: the hashes run on
//! `accounts.max_concurrent_password_hashes` threads of their own (default half the CPUs), so
//! their allocator arenas are reused, and at most `accounts.password_hash_queue` checks wait
//! for one; past that a check is refused at once with 503 `P2CORE_OVERLOADED` and
//! `Retry-After`, never an unbounded wait.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use polyproto_types::api::error::ErrorCode;
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::error::{Error, Result};

/// Work for a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// Seconds a refused check is told to wait before retrying.
const RETRY_AFTER_SECS: u64 = 1;

/// Hashes and verifies passwords. Clones share the threads, which end when the last clone is
/// dropped.
#[derive(Clone)]
pub(crate) struct Passwords {
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified against when the actor does not exist, so that
    /// unknown actors take as long as wrong passwords.
    decoy: Arc<String>,
}

impl Passwords {
    pub(crate) fn new(config: &Config) -> Self {
        let threads = config
            .accounts
            .max_concurrent_password_hashes
            .unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, |n| (usize::from(n) / 2).max(1))
            });
        let mut random = [0u8; 16];
        super::tokens::fill_random(&mut random);
        let decoy = Argon2::default()
            .hash_password(&random)
            .map(|h| h.to_string())
            .unwrap_or_default();
        Self {
            jobs: spawn_threads(threads, config.accounts.password_hash_queue),
            decoy: Arc::new(decoy),
        }
    }

    /// The argon2id PHC string of `password`.
    ///
    /// # Errors
    /// `Overloaded` when the queue is full.
    pub(crate) async fn hash(&self, password: String) -> Result<String> {
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| Error::internal("argon2 hash", e))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with no hash (unknown actor) it checks the decoy and
    /// answers false, taking the same time.
    ///
    /// # Errors
    /// `Overloaded` when the queue is full.
    pub(crate) async fn verify(&self, password: String, hash: Option<String>) -> Result<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.as_str().to_owned());
        let matches = self
            .run(move || {
                PasswordHash::new(&hash).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await?;
        Ok(known && matches)
    }

    /// Runs `work` on a hashing thread, or refuses when the queue is full.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have given up (its request was cancelled); nothing to tell then.
            let _ = done.send(work());
        });
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::new(
                ErrorCode::Overloaded,
                "too many password checks are waiting; retry shortly",
            )
            .with_retry_after(RETRY_AFTER_SECS),
            mpsc::error::TrySendError::Closed(_) => {
                Error::internal("password hashing", "the threads have stopped")
            }
        })?;
        result
            .await
            .map_err(|_| Error::internal("password hashing", "the work panicked"))
    }
}

/// `threads` threads taking jobs from a queue of `queue` places; they end when every sender
/// is dropped. A panicking job ends only itself.
fn spawn_threads(threads: usize, queue: usize) -> mpsc::Sender<Job> {
    let (jobs, receiver) = mpsc::channel::<Job>(queue);
    let receiver = Arc::new(Mutex::new(receiver));
    for n in 0..threads {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("password-hash-{n}"))
            .spawn(move || {
                loop {
                    let job = match receiver.lock() {
                        Ok(mut receiver) => receiver.blocking_recv(),
                        Err(_) => None,
                    };
                    let Some(job) = job else { break };
                    // The job's result channel closes on a panic, which answers a 500.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start a password-hashing thread");
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    use polyproto_types::api::error::ErrorCode;

    use super::{Passwords, spawn_threads};

    fn passwords(threads: usize, queue: usize) -> Passwords {
        Passwords {
            jobs: spawn_threads(threads, queue),
            decoy: Arc::new(String::new()),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_is_refused_at_once_and_work_goes_on_after() {
        let pool = passwords(1, 1);
        let started = Arc::new(Barrier::new(2));
        let release = Arc::new(Barrier::new(2));
        let (s, r) = (started.clone(), release.clone());
        let busy = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    s.wait();
                    r.wait();
                })
                .await
            }
        });
        started.wait();
        // The only thread is busy: the first check waits in the queue's one place, the next
        // is refused at once.
        let mut refused = None;
        for _ in 0..3 {
            match tokio::time::timeout(Duration::from_millis(50), pool.run(|| 0)).await {
                Ok(Err(e)) => {
                    refused = Some(e);
                    break;
                }
                Ok(Ok(_)) => panic!("the only thread is busy"),
                Err(_) => {}
            }
        }
        let refused = refused.expect("a full queue refuses");
        assert_eq!(refused.code(), &ErrorCode::Overloaded);
        release.wait();
        assert!(busy.await.is_ok_and(|done| done.is_ok()));
        // Once the thread has taken the queued check, there is room again.
        let mut after = None;
        for _ in 0..100 {
            after = pool.run(|| 7).await.ok();
            if after.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(after, Some(7), "work goes on");
    }

    #[tokio::test]
    async fn a_panicking_job_answers_an_error_and_the_thread_lives_on() {
        let pool = passwords(1, 4);
        let panicked = pool.run(|| panic!("on purpose")).await;
        assert_eq!(
            panicked.err().map(|e| e.code().clone()),
            Some(ErrorCode::Internal)
        );
        assert_eq!(pool.run(|| 1).await.ok(), Some(1));
    }
}
