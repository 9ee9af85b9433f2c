//! Retry policy: which responses are retried, how long to wait, and the per-bucket gate that a
//! 429 closes for every request of its throttling family.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request on transient failures (502, 504, no answer), the first included.
    /// Throttling (429, 503, a `$batch` 424) is retried until [`RetryPolicy::deadline`] instead.
    pub max_attempts: u32,
    /// How long after the client starts a throttled request may still be retried: throttling
    /// slows a run down but only fails it once this much time has gone by.
    pub deadline: Duration,
    /// First backoff step when Graph gives no Retry-After.
    pub base_delay: Duration,
    /// Largest backoff step.
    pub max_delay: Duration,
    /// Largest Retry-After honoured (longer values are capped).
    pub max_retry_after: Duration,
    /// Timeout of one HTTP request (connect + response).
    pub timeout: Duration,
    /// Requests in flight per bucket at the start; the bucket widens up to [`WIDEN`] times this
    /// while Graph does not throttle it and halves when it does (see [`Gate`]).
    pub concurrency: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            deadline: Duration::from_secs(30 * 60),
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

/// Whether a status is throttling (retried until the deadline, not a number of times): 429,
/// 503 (Graph's "temporarily unavailable", sent under load) and a `$batch` sub-request's 424
/// (its dependency was throttled).
pub fn is_throttling(status: u16) -> bool {
    matches!(status, 429 | 503 | 424)
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

/// How far a bucket's concurrency may widen: up to this many times the configured one.
pub const WIDEN: usize = 4;

/// One throttling bucket: a concurrency that follows the bucket's budget, a pause that a 429
/// sets for everyone, and a pacer that spaces requests once the bucket has been throttled.
///
/// Concurrency is additive-increase, multiplicative-decrease: it starts at the configured
/// width, grows by one request in flight each time as many requests as are in flight have
/// succeeded without throttling (up to [`WIDEN`] times the start), and halves (not below one)
/// at each throttling episode. A fixed cap would leave Graph's budgets unused on a large read
/// (the Entra device ranges wait on the directory bucket's slots) and a wide one would spend
/// them at once on a small tenant's budget.
#[derive(Debug)]
pub struct Gate {
    paused_until: Mutex<Option<Instant>>,
    permits: Semaphore,
    width: Mutex<Width>,
    pace: Mutex<Pace>,
}

/// The concurrency of one bucket.
#[derive(Debug)]
struct Width {
    /// Requests allowed in flight now.
    limit: usize,
    /// The most it may grow to.
    max: usize,
    /// Successes since the last widening.
    streak: usize,
    /// Permits to drop as they come back (a narrowing that found them in use).
    debt: usize,
}

/// Client-side pacing of one bucket (graph-client.md §3.5): a token bucket whose rate starts
/// unlimited, is set from the budget observed when Graph first throttles (the units that
/// succeeded in the last [`OBSERVE`], halved), halves again at each later throttling episode
/// (never below one request per Retry-After) and grows back with every success. Graph's Retry-After pauses the whole bucket; the pacer
/// then spreads the waiting requests out instead of letting them all retry at once (which
/// spent their attempts on 429s and, at tiny budgets, lost group memberships).
#[derive(Debug)]
struct Pace {
    /// Units (requests; a `$batch` counts its sub-requests) per second; `None` = unpaced.
    rate: Option<f64>,
    /// When the next unit may start.
    next: Instant,
    /// Units that succeeded recently, oldest first.
    recent: VecDeque<(Instant, u32)>,
    /// End of the current throttling episode: 429s before it cut the rate only once.
    episode_until: Option<Instant>,
}

impl Pace {
    /// Whether a throttling episode is under way at `now`.
    fn in_episode(&self, now: Instant) -> bool {
        self.episode_until.is_some_and(|until| now < until)
    }
}

/// The window over which the budget is observed.
pub const OBSERVE: Duration = Duration::from_secs(10);
/// The slowest pace (units per second): a request every 20 s at worst.
const MIN_RATE: f64 = 0.05;
/// Above this pace the bucket is unpaced again.
const MAX_RATE: f64 = 5_000.0;
/// Growth of the pace per unit that succeeds (1 %).
const GROWTH: f64 = 0.01;

impl Gate {
    pub fn new(concurrency: usize) -> Gate {
        let start = concurrency.max(1);
        Gate {
            paused_until: Mutex::new(None),
            permits: Semaphore::new(start),
            width: Mutex::new(Width {
                limit: start,
                max: start * WIDEN,
                streak: 0,
                debt: 0,
            }),
            pace: Mutex::new(Pace {
                rate: None,
                next: Instant::now(),
                recent: VecDeque::new(),
                episode_until: None,
            }),
        }
    }

    /// Waits for the bucket to be open, a slot to be free and the pacer's turn for `units`
    /// units (1 for a GET, the sub-requests of a `$batch`).
    pub async fn enter(&self, units: u32) -> SemaphorePermit<'_> {
        let permit = loop {
            self.wait_open().await;
            // The semaphore is never closed, so acquire cannot fail; fall back to waiting again.
            let Ok(permit) = self.permits.acquire().await else {
                continue;
            };
            // A narrowing owed this slot: it is dropped, not used.
            let Some(permit) = self.repay(permit) else {
                continue;
            };
            // A 429 may have closed the bucket while we queued for the slot.
            if self.pause_left().is_none() {
                break permit;
            }
        };
        let turn = self.reserve(units);
        if !turn.is_zero() {
            tokio::time::sleep(turn).await;
        }
        permit
    }

    /// The permit back, unless a narrowing is still owed one: then it is forgotten.
    fn repay<'a>(&self, permit: SemaphorePermit<'a>) -> Option<SemaphorePermit<'a>> {
        let mut w = self.width.lock().unwrap_or_else(|e| e.into_inner());
        if w.debt == 0 {
            return Some(permit);
        }
        w.debt -= 1;
        permit.forget();
        None
    }

    /// Requests allowed in flight now.
    pub fn width(&self) -> usize {
        self.width.lock().unwrap_or_else(|e| e.into_inner()).limit
    }

    /// One more request in flight after `limit` successes in a row, up to the maximum.
    fn widen(&self) {
        let mut w = self.width.lock().unwrap_or_else(|e| e.into_inner());
        w.streak += 1;
        if w.streak < w.limit || w.limit >= w.max {
            return;
        }
        w.streak = 0;
        w.limit += 1;
        if w.debt > 0 {
            w.debt -= 1;
        } else {
            self.permits.add_permits(1);
        }
    }

    /// Half as many requests in flight (not below one); the slots in use are dropped as they
    /// come back.
    fn narrow(&self) {
        let mut w = self.width.lock().unwrap_or_else(|e| e.into_inner());
        let to = (w.limit / 2).max(1);
        let cut = w.limit - to;
        w.limit = to;
        w.streak = 0;
        let forgotten = self.permits.forget_permits(cut);
        w.debt += cut - forgotten;
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

    /// The wait before `units` may start, booking them.
    fn reserve(&self, units: u32) -> Duration {
        let mut p = self.pace.lock().unwrap_or_else(|e| e.into_inner());
        let Some(rate) = p.rate else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let start = p.next.max(now);
        p.next = start + Duration::from_secs_f64(f64::from(units.max(1)) / rate);
        start - now
    }

    /// `units` succeeded: the pace grows back and the bucket may widen.
    pub fn succeeded(&self, units: u32) {
        if units == 0 {
            return;
        }
        let mut p = self.pace.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let throttling = p.in_episode(now);
        p.recent.push_back((now, units));
        while p
            .recent
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > OBSERVE)
        {
            p.recent.pop_front();
        }
        if let Some(rate) = p.rate {
            let grown = rate * (1.0 + GROWTH * f64::from(units.min(20)));
            p.rate = (grown <= MAX_RATE).then_some(grown);
        }
        drop(p);
        // No widening while Graph is throttling the bucket.
        if !throttling {
            self.widen();
        }
    }

    /// Graph throttled the bucket and asked for `retry_after`: pause everyone that long, and
    /// cut the pace once per episode.
    pub fn throttled(&self, retry_after: Duration) {
        self.pause(retry_after);
        let mut p = self.pace.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if p.in_episode(now) {
            return;
        }
        p.episode_until = Some(now + retry_after.max(Duration::from_millis(100)));
        self.narrow();
        let cut = match p.rate {
            Some(rate) => rate / 2.0,
            None => {
                // The budget observed: what succeeded since the oldest success we remember.
                let units: u32 = p.recent.iter().map(|(_, u)| *u).sum();
                let span = p
                    .recent
                    .front()
                    .map(|(t, _)| now.duration_since(*t))
                    .unwrap_or(OBSERVE)
                    .max(Duration::from_secs(1));
                f64::from(units) / span.as_secs_f64() / 2.0
            }
        };
        // Never slower than one request per Retry-After: Graph said that much would fit.
        let floor = 1.0 / retry_after.as_secs_f64().max(0.001);
        p.rate = Some(cut.max(floor).clamp(MIN_RATE, MAX_RATE));
        p.next = p.next.max(now + retry_after);
    }

    /// The current pace in units per second (`None`: unpaced).
    pub fn rate(&self) -> Option<f64> {
        self.pace.lock().unwrap_or_else(|e| e.into_inner()).rate
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
        let (a, b) = tokio::join!(gate.enter(1), gate.enter(1));
        drop((a, b));
        assert!(start.elapsed() >= Duration::from_millis(75));
    }

    #[tokio::test]
    async fn a_throttled_bucket_is_paced_from_the_budget_it_observed() {
        let gate = Gate::new(4);
        assert_eq!(gate.rate(), None, "unpaced until Graph throttles");
        for _ in 0..40 {
            gate.succeeded(1);
        }
        gate.throttled(Duration::from_millis(100));
        // 40 units within well under a second count as 40 per second; paced at half that.
        let rate = gate.rate().expect("paced after a 429");
        assert!((19.0..=21.0).contains(&rate), "{rate}");
        // More 429s of the same episode do not cut again.
        gate.throttled(Duration::from_millis(100));
        assert_eq!(gate.rate(), Some(rate));
        tokio::time::sleep(Duration::from_millis(120)).await;
        let start = Instant::now();
        for _ in 0..5 {
            drop(gate.enter(1).await);
        }
        // Five requests at 20 per second take about 200 ms (the first starts at once).
        assert!(
            start.elapsed() >= Duration::from_millis(180),
            "{:?}",
            start.elapsed()
        );
        // A later episode halves the pace, but not below one request per Retry-After;
        // successes grow it back.
        gate.throttled(Duration::from_secs(1));
        let halved = gate.rate().unwrap_or(0.0);
        assert!((9.0..=11.0).contains(&halved), "{halved}");
        gate.succeeded(10);
        assert!(gate.rate().unwrap_or(0.0) > halved);
        let slow = Gate::new(1);
        slow.throttled(Duration::from_millis(1));
        assert!(
            slow.rate().unwrap_or(0.0) >= 999.0,
            "a 1 ms Retry-After barely paces"
        );
    }

    #[tokio::test]
    async fn concurrency_widens_while_unthrottled_and_halves_when_throttled() {
        let gate = Gate::new(2);
        assert_eq!(gate.width(), 2);
        // Two successes per step at width 2, three at 3, …: widening is additive.
        for _ in 0..(2 + 3 + 4) {
            gate.succeeded(1);
        }
        assert_eq!(gate.width(), 5);
        let held: Vec<_> = futures_util::future::join_all((0..5).map(|_| gate.enter(1))).await;
        assert_eq!(held.len(), 5, "five requests in flight at width 5");
        // Throttled while all five are in flight: width 2, and the slots coming back are
        // dropped until only two are in use.
        gate.throttled(Duration::from_millis(1));
        assert_eq!(gate.width(), 2);
        drop(held);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let a = gate.enter(1).await;
        let b = gate.enter(1).await;
        let third = tokio::time::timeout(Duration::from_millis(50), gate.enter(1)).await;
        assert!(third.is_err(), "a third request got in at width 2");
        drop((a, b));
        // Not during the throttling episode; after it, never wider than WIDEN times the start.
        gate.succeeded(1);
        assert_eq!(gate.width(), 2);
        tokio::time::sleep(Duration::from_millis(120)).await;
        for _ in 0..1000 {
            gate.succeeded(1);
        }
        assert_eq!(gate.width(), 2 * WIDEN);
        let one = Gate::new(1);
        one.throttled(Duration::from_millis(1));
        assert_eq!(one.width(), 1);
    }

    #[test]
    fn throttling_statuses_are_retried_by_deadline() {
        for s in [429, 503, 424] {
            assert!(is_throttling(s), "{s}");
        }
        for s in [400, 401, 403, 404, 500, 502, 504] {
            assert!(!is_throttling(s), "{s}");
        }
    }
}
