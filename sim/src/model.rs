//! The latency and throttling model (graph-client.md §3 and §6). Every number is configurable.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Median latencies in milliseconds and their spread.
#[derive(Debug, Clone)]
pub struct Latency {
    pub token_ms: f64,
    pub single_ms: f64,
    /// A directory page costs `dir_base_ms + dir_per_item_ms × items` (999 items → 400 ms).
    pub dir_base_ms: f64,
    pub dir_per_item_ms: f64,
    /// An Intune page costs `intune_base_ms + intune_per_item_ms × items` (1000 items → 800 ms).
    pub intune_base_ms: f64,
    pub intune_per_item_ms: f64,
    /// `$batch` = its slowest sub-request + this.
    pub batch_overhead_ms: f64,
    /// σ of the log-normal spread around the median (0 = fixed latencies).
    pub sigma: f64,
    /// Multiplies every latency and every throttling window (1.0 = the model as published).
    pub time_scale: f64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            token_ms: 150.0,
            single_ms: 120.0,
            dir_base_ms: 130.0,
            dir_per_item_ms: 0.27,
            intune_base_ms: 200.0,
            intune_per_item_ms: 0.6,
            batch_overhead_ms: 50.0,
            sigma: 0.6,
            time_scale: 1.0,
        }
    }
}

/// What kind of call a request is, for its latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Call {
    Token,
    Single,
    DirectoryPage(usize),
    IntunePage(usize),
}

impl Latency {
    /// The median of a call, in milliseconds (unscaled).
    pub fn median_ms(&self, call: Call) -> f64 {
        match call {
            Call::Token => self.token_ms,
            Call::Single => self.single_ms,
            Call::DirectoryPage(n) => self.dir_base_ms + self.dir_per_item_ms * n as f64,
            Call::IntunePage(n) => self.intune_base_ms + self.intune_per_item_ms * n as f64,
        }
    }

    /// The mean of the log-normal spread relative to its median: `exp(σ²/2)`.
    pub fn mean_factor(&self) -> f64 {
        (self.sigma * self.sigma / 2.0).exp()
    }

    /// One draw: median × exp(σ·Z), scaled.
    pub fn draw(&self, call: Call, rng: &mut fastrand::Rng) -> Duration {
        let z = normal(rng);
        let ms = self.median_ms(call) * (self.sigma * z).exp() * self.time_scale;
        Duration::from_secs_f64((ms / 1000.0).clamp(0.0, 60.0))
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = rng.f64().max(1e-12);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Graph's throttling families as the simulator enforces them.
#[derive(Debug, Clone)]
pub struct Throttling {
    pub enabled: bool,
    /// Directory resource units per window (8,000 / 10 s for a tenant over 500 users).
    pub directory_ru: f64,
    pub directory_window_s: f64,
    /// Intune devices family: requests per window (2,000 / 20 s).
    pub intune_devices: f64,
    /// Intune enrollment and configuration families: requests per window (1,000 / 20 s).
    pub intune_enrollment: f64,
    pub intune_window_s: f64,
    /// Random faults: the share of Graph requests answered 429 / 503 regardless of budget.
    pub random_429: f64,
    pub random_503: f64,
}

impl Default for Throttling {
    fn default() -> Self {
        Throttling {
            enabled: true,
            directory_ru: 8000.0,
            directory_window_s: 10.0,
            intune_devices: 2000.0,
            intune_enrollment: 1000.0,
            intune_window_s: 20.0,
            random_429: 0.0,
            random_503: 0.0,
        }
    }
}

/// A throttling family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Directory,
    IntuneDevices,
    IntuneEnrollment,
}

impl Family {
    pub fn index(self) -> usize {
        match self {
            Family::Directory => 0,
            Family::IntuneDevices => 1,
            Family::IntuneEnrollment => 2,
        }
    }
}

/// A token bucket: `capacity` units refilled evenly over `window`.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(capacity: f64, window: Duration) -> TokenBucket {
        TokenBucket {
            capacity,
            per_sec: capacity / window.as_secs_f64().max(1e-6),
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Takes `cost` units, or says how long until they are there.
    pub fn take(&self, cost: f64) -> Result<(), Duration> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let elapsed = now.duration_since(s.1).as_secs_f64();
        s.0 = (s.0 + elapsed * self.per_sec).min(self.capacity);
        s.1 = now;
        if s.0 >= cost {
            s.0 -= cost;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((cost - s.0) / self.per_sec))
        }
    }
}

/// Resource units of a directory GET (learn.microsoft.com/graph/throttling-limits): a base cost
/// per endpoint, −1 with `$select`, +1 with `$expand`, −1 with `$top` under 20, never below 1.
pub fn resource_units(path: &str, select: bool, expand: bool, top: Option<usize>) -> u32 {
    let tail = path.trim_start_matches("/v1.0").trim_start_matches("/beta");
    let base: i32 = if tail == "/users" {
        2
    } else if tail.ends_with("/transitiveMembers") {
        5
    } else if tail.ends_with("/members") || tail == "/subscribedSkus" {
        3
    } else {
        1
    };
    let mut cost = base;
    if select {
        cost -= 1;
    }
    if expand {
        cost += 1;
    }
    if top.is_some_and(|t| t < 20) {
        cost -= 1;
    }
    cost.max(1) as u32
}
