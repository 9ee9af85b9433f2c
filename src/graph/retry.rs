//! Retry policy: which responses are retried, how long to wait, and the per-bucket gate that a
//! 429 closes for every request of its throttling family.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff step when Graph gives no Retry-After.
    pub base_delay: Duration,
    /// Largest backoff step.
    pub max_delay: Duration,
    /// Largest Retry-After honoured (longer values are capped).
    pub max_retry_after: Duration,
    /// Timeout of one HTTP request (connect + response).
    pub timeout: Duration,
    /// Requests in flight per bucket.
    pub concurrency: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            timeout: Duration::from_secs(60),
            concurrency: 4,
        }
    }
}

impl RetryPolicy {
    /// Capped exponential backoff with jitter for retry number `retry` (0-based): a delay in
    /// `[step/2, step]` where `step = min(max_delay, base * 2^retry)`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(20));
        let step = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// The wait before the next attempt: Retry-After when Graph sent one (capped), else backoff.
    pub fn delay(&self, retry_after: Option<Duration>, retry: u32) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => self.backoff(retry),
        }
    }
}

/// Whether a status is worth retrying: throttling and transient gateway failures.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses `Retry-After`: delta seconds (Graph sends fractions, e.g. `2.128`) or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// One throttling bucket: bounded concurrency plus a pause that a 429 sets for everyone.
#[derive(Debug)]
pub struct Gate {
    paused_until: Mutex<Option<Instant>>,
    permits: Semaphore,
}

impl Gate {
    pub fn new(concurrency: usize) -> Gate {
        Gate {
            paused_until: Mutex::new(None),
            permits: Semaphore::new(concurrency.max(1)),
        }
    }

    /// Waits for the bucket to be open and a slot to be free.
    pub async fn enter(&self) -> SemaphorePermit<'_> {
        loop {
            self.wait_open().await;
            // The semaphore is never closed, so acquire cannot fail; fall back to waiting again.
            let Ok(permit) = self.permits.acquire().await else {
                continue;
            };
            // A 429 may have closed the bucket while we queued for the slot.
            if self.pause_left().is_none() {
                return permit;
            }
        }
    }

    async fn wait_open(&self) {
        while let Some(left) = self.pause_left() {
            tokio::time::sleep(left).await;
        }
    }

    fn pause_left(&self) -> Option<Duration> {
        let guard = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let until = (*guard)?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    /// Closes the bucket for `d` (never shortens an existing pause).
    pub fn pause(&self, d: Duration) {
        let mut guard = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let until = Instant::now() + d;
        if guard.is_none_or(|u| u < until) {
            *guard = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_fractions_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 2.128 ", now),
            Some(Duration::from_millis(2128))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for retry in 0..40 {
            let d = p.backoff(retry);
            let step = (100u64 << retry.min(20)).min(1000);
            assert!(d >= Duration::from_millis(step / 2), "{retry}: {d:?}");
            assert!(d <= Duration::from_millis(step), "{retry}: {d:?}");
        }
        assert_eq!(
            p.delay(Some(Duration::from_secs(9999)), 0),
            p.max_retry_after
        );
    }

    #[tokio::test]
    async fn a_pause_holds_every_request_of_the_bucket() {
        let gate = Gate::new(2);
        gate.pause(Duration::from_millis(80));
        let start = Instant::now();
        let (a, b) = tokio::join!(gate.enter(), gate.enter());
        drop((a, b));
        assert!(start.elapsed() >= Duration::from_millis(75));
    }
}
