//! The retry schedule of one request's deliveries, as an object: how many attempts, how long to
//! wait between them (the target's `Retry-After`, clamped, else exponential backoff with
//! jitter), and whether another attempt still fits the request's time budget.

use std::time::{Duration, Instant};

use rand::Rng;

use super::outcome::MAX_RETRY_AFTER;

/// Attempts, backoff and budget of one request's deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per pair in one request.
    pub attempts: u32,
    /// The first wait; doubled after each attempt.
    pub backoff: Duration,
    /// Time for all attempts of one request.
    pub budget: Duration,
}

impl RetryPolicy {
    /// When the budget of a request starting now runs out (an hour from now if the budget is
    /// too large to add).
    pub fn deadline(&self) -> Instant {
        let now = Instant::now();
        now.checked_add(self.budget)
            .unwrap_or_else(|| now + Duration::from_secs(3600))
    }

    /// The wait before attempt `tries + 1`: the target's `Retry-After` (clamped to a day), else
    /// `backoff × 2^(tries-1)` with ±25 % jitter.
    pub fn wait(&self, tries: u32, retry_after_secs: Option<u64>) -> Duration {
        if let Some(secs) = retry_after_secs {
            return Duration::from_secs(secs).min(MAX_RETRY_AFTER);
        }
        let exp = self
            .backoff
            .saturating_mul(1 << tries.saturating_sub(1).min(10));
        let jitter = rand::rng().random_range(0.75..=1.25);
        exp.mul_f64(jitter)
    }

    /// Whether attempt `tries + 1`, after `wait`, may start before `deadline`.
    pub fn again(&self, tries: u32, wait: Duration, deadline: Instant) -> bool {
        tries < self.attempts
            && Instant::now()
                .checked_add(wait)
                .is_some_and(|t| t < deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(500),
            budget: Duration::from_secs(20),
        }
    }

    #[test]
    fn retry_after_is_honoured_and_clamped() {
        assert_eq!(policy().wait(1, Some(7)), Duration::from_secs(7));
        assert_eq!(policy().wait(1, Some(u64::MAX)), MAX_RETRY_AFTER);
    }

    #[test]
    fn backoff_doubles_within_jitter() {
        for tries in 1..=4 {
            let base = 500u64 << (tries - 1);
            let wait = policy().wait(tries, None).as_millis() as u64;
            assert!(
                wait >= base * 3 / 4 && wait <= base * 5 / 4,
                "{tries}: {wait}"
            );
        }
    }

    #[test]
    fn attempts_and_budget_bound_the_retries() {
        let p = policy();
        let deadline = p.deadline();
        assert!(p.again(1, Duration::from_millis(500), deadline));
        assert!(!p.again(3, Duration::from_millis(500), deadline));
        assert!(!p.again(1, Duration::from_secs(60), deadline));
        let huge = RetryPolicy {
            budget: Duration::MAX,
            ..p
        };
        assert!(huge.deadline() > Instant::now());
    }
}
