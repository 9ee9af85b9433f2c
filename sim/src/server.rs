//! The HTTP side: a token endpoint and Graph's semantics for every path the request plan uses.
//!
//! - `$select` (others dropped; `@odata.type` kept), `$expand` (expandable properties are only
//!   returned when expanded), `$top` with Graph's maximum per endpoint (directory 999, or 100
//!   with `$expand`; Intune 1000), `@odata.nextLink` with an opaque `$skiptoken`;
//! - `$filter` on Entra devices' `displayName` (`ge`, `le`, `eq 'x'`, `eq null`,
//!   `startswith(displayName,'x')`, joined by `and`) — the forms partitioned paging uses;
//! - `/$count` and `$count=true`, both only with `ConsistencyLevel: eventual`;
//! - `$batch` of 1–20 GETs, each sub-request throttled and answered on its own;
//! - latency per kind of call and the throttling budgets of [`crate::model`], with counters.

use crate::model::{resource_units, Call, Family, Latency, Throttling, TokenBucket};
use crate::tenant::{select, Big, Shape as TenantShape, Sizes, Tenant};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use intune_audit::graph::plan::{Bucket, Shape, PLAN};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything the simulator is told.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub sizes: Sizes,
    /// What kind of tenant (default: the shape every earlier figure was measured on).
    pub shape: TenantShape,
    pub latency: Latency,
    pub throttling: Throttling,
}

impl SimConfig {
    pub fn new(seed: u64, sizes: Sizes) -> SimConfig {
        SimConfig {
            seed,
            sizes,
            shape: TenantShape::default(),
            latency: Latency::default(),
            throttling: Throttling::default(),
        }
    }
}

/// Counters the benchmark reads.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests to Graph (a `$batch` POST counts once), token requests excluded.
    pub requests: AtomicU64,
    pub token_requests: AtomicU64,
    pub batches: AtomicU64,
    pub sub_requests: AtomicU64,
    /// Collection pages served (top-level and inside `$batch`).
    pub pages: AtomicU64,
    pub items: AtomicU64,
    /// Response body bytes.
    pub bytes: AtomicU64,
    /// 429 answers (top-level and sub-requests).
    pub throttled: AtomicU64,
    pub unavailable: AtomicU64,
    pub resource_units: AtomicU64,
    /// Requests for the failure history (troubleshooting and Autopilot events), and when the
    /// first was received and the last answered (ms since the Unix epoch).
    pub event_requests: AtomicU64,
    pub event_first_ms: AtomicU64,
    pub event_last_ms: AtomicU64,
    /// The latencies drawn for each chain of [`CHAINS`], summed (µs): each chain's length in
    /// this run, which the random draws make differ from its mean.
    pub chain_us: [AtomicU64; CHAINS.len()],
}

/// The collections read as one nextLink chain each (no `$filter` splits them), by path.
pub const CHAINS: [&str; 5] = [
    "/deviceManagement/managedDevices",
    "/deviceManagement/autopilotEvents",
    "/deviceManagement/troubleshootingEvents",
    "/deviceManagement/windowsAutopilotDeviceIdentities",
    "/users",
];

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A plain copy of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub token_requests: u64,
    pub batches: u64,
    pub sub_requests: u64,
    pub pages: u64,
    pub items: u64,
    pub bytes: u64,
    pub throttled: u64,
    pub unavailable: u64,
    pub resource_units: u64,
    pub event_requests: u64,
    /// From the first failure-history request to the last answer.
    pub event_span_ms: u64,
    /// The longest of [`CHAINS`] as drawn in this run (µs of latency, summed), and its path.
    pub longest_chain_us: u64,
    pub longest_chain: &'static str,
}

impl Stats {
    pub fn counts(&self) -> Counts {
        Counts {
            requests: self.requests.load(Relaxed),
            token_requests: self.token_requests.load(Relaxed),
            batches: self.batches.load(Relaxed),
            sub_requests: self.sub_requests.load(Relaxed),
            pages: self.pages.load(Relaxed),
            items: self.items.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            throttled: self.throttled.load(Relaxed),
            unavailable: self.unavailable.load(Relaxed),
            resource_units: self.resource_units.load(Relaxed),
            event_requests: self.event_requests.load(Relaxed),
            event_span_ms: self
                .event_last_ms
                .load(Relaxed)
                .saturating_sub(self.event_first_ms.load(Relaxed)),
            longest_chain_us: self.longest_chain().1,
            longest_chain: self.longest_chain().0,
        }
    }
    fn longest_chain(&self) -> (&'static str, u64) {
        CHAINS
            .iter()
            .zip(&self.chain_us)
            .map(|(p, us)| (*p, us.load(Relaxed)))
            .max_by_key(|(_, us)| *us)
            .unwrap_or(("", 0))
    }

    pub fn reset(&self) {
        for c in &self.chain_us {
            c.store(0, Relaxed);
        }
        for c in [
            &self.requests,
            &self.token_requests,
            &self.batches,
            &self.sub_requests,
            &self.pages,
            &self.items,
            &self.bytes,
            &self.throttled,
            &self.unavailable,
            &self.resource_units,
            &self.event_requests,
            &self.event_first_ms,
            &self.event_last_ms,
        ] {
            c.store(0, Relaxed);
        }
    }
}

impl Counts {
    pub fn to_json(&self) -> Value {
        json!({"requests": self.requests, "token_requests": self.token_requests, "batches": self.batches,
            "sub_requests": self.sub_requests, "pages": self.pages, "items": self.items, "bytes": self.bytes,
            "throttled": self.throttled, "unavailable": self.unavailable, "resource_units": self.resource_units,
            "event_requests": self.event_requests, "event_span_ms": self.event_span_ms,
            "longest_chain_us": self.longest_chain_us, "longest_chain": self.longest_chain})
    }
}

struct State {
    tenant: Tenant,
    cfg: SimConfig,
    base: String,
    stats: Arc<Stats>,
    buckets: [TokenBucket; 3],
    rng: Mutex<fastrand::Rng>,
}

/// A running simulator on 127.0.0.1.
pub struct Sim {
    pub base: String,
    pub stats: Arc<Stats>,
    pub tenant_id: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sim {
    /// Binds `127.0.0.1:port` (0 = a free port) and serves until dropped.
    pub async fn start(cfg: SimConfig, port: u16) -> std::io::Result<Sim> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let t = &cfg.throttling;
        let scale = cfg.latency.time_scale.max(1e-6);
        let dir_w = Duration::from_secs_f64(t.directory_window_s * scale);
        let int_w = Duration::from_secs_f64(t.intune_window_s * scale);
        let stats = Arc::new(Stats::default());
        let tenant = Tenant::shaped(cfg.seed, cfg.sizes, cfg.shape);
        let tenant_id = tenant.tenant_id.clone();
        let state = Arc::new(State {
            tenant,
            buckets: [
                TokenBucket::new(t.directory_ru, dir_w),
                TokenBucket::new(t.intune_devices, int_w),
                TokenBucket::new(t.intune_enrollment, int_w),
            ],
            rng: Mutex::new(fastrand::Rng::with_seed(cfg.seed ^ 0x5eed)),
            cfg,
            base: base.clone(),
            stats: stats.clone(),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let _ = stream.set_nodelay(true);
                let st = state.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let svc = hyper::service::service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(st, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                });
            }
        });
        Ok(Sim {
            base,
            stats,
            tenant_id,
            task,
        })
    }
}

/// One answer before it is sent.
struct Answer {
    status: u16,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    call: Call,
    content_type: &'static str,
}

impl Answer {
    fn json(status: u16, v: &Value, call: Call) -> Answer {
        Answer {
            status,
            body: serde_json::to_vec(v).unwrap_or_default(),
            headers: Vec::new(),
            call,
            content_type: "application/json",
        }
    }
    fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::json(
            status,
            &json!({"error": {"code": code, "message": message, "innerError": {"request-id": "sim"}}}),
            Call::Single,
        )
    }
}

fn reply(a: Answer) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(a.status)
        .header("content-type", a.content_type);
    for (k, v) in &a.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::from(a.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn handle(st: Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let header = |k: &str| {
        req.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let auth = header("authorization");
    let eventual = header("consistencylevel").eq_ignore_ascii_case("eventual");
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = target.split('?').next().unwrap_or("").to_string();
    if method == hyper::Method::GET && path == "/_sim/stats" {
        return reply(Answer::json(
            200,
            &st.stats.counts().to_json(),
            Call::Single,
        ));
    }
    if method == hyper::Method::POST && path.ends_with("/oauth2/v2.0/token") {
        st.stats.token_requests.fetch_add(1, Relaxed);
        let d = draw(&st, Call::Token);
        tokio::time::sleep(d).await;
        let text = String::from_utf8_lossy(&body);
        if !text.contains("grant_type=") {
            return reply(Answer::json(
                400,
                &json!({"error": "invalid_request", "error_description": "AADSTS900144: grant_type is missing"}),
                Call::Token,
            ));
        }
        return reply(Answer::json(
            200,
            &json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "sim-access-token"}),
            Call::Token,
        ));
    }
    st.stats.requests.fetch_add(1, Relaxed);
    if !auth.starts_with("Bearer sim-") {
        return reply(Answer::error(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty or invalid.",
        ));
    }
    let answer = if method == hyper::Method::POST
        && (path == "/v1.0/$batch" || path == "/beta/$batch")
    {
        let version = if path.starts_with("/beta") {
            "/beta"
        } else {
            "/v1.0"
        };
        st.stats.batches.fetch_add(1, Relaxed);
        let (a, latency) = batch(&st, version, &body);
        tokio::time::sleep(latency).await;
        a
    } else if method == hyper::Method::GET {
        let event = path.ends_with("/troubleshootingEvents") || path.ends_with("/autopilotEvents");
        if event {
            st.stats.event_requests.fetch_add(1, Relaxed);
            let _ = st
                .stats
                .event_first_ms
                .compare_exchange(0, now_ms(), Relaxed, Relaxed);
        }
        let a = get(&st, &target, eventual);
        let latency = draw(&st, a.call);
        let chain = CHAINS.iter().position(|c| path.ends_with(c));
        if let (Some(i), false) = (chain, target.contains("$filter=")) {
            let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            st.stats.chain_us[i].fetch_add(us, Relaxed);
        }
        tokio::time::sleep(latency).await;
        if event {
            st.stats.event_last_ms.fetch_max(now_ms(), Relaxed);
        }
        a
    } else {
        Answer::error(
            405,
            "Request_BadRequest",
            "The simulator serves GET and $batch only.",
        )
    };
    st.stats.bytes.fetch_add(answer.body.len() as u64, Relaxed);
    reply(answer)
}

fn draw(st: &State, call: Call) -> Duration {
    let mut rng = st.rng.lock().unwrap_or_else(|e| e.into_inner());
    st.cfg.latency.draw(call, &mut rng)
}

/// Decodes `%XX` escapes (a `+` stays a `+`).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The OData query of one request.
#[derive(Debug, Default)]
struct Query {
    select: Option<Vec<String>>,
    expand: Option<String>,
    top: Option<usize>,
    filter: Option<String>,
    count: bool,
    skip: usize,
    /// The raw query without `$skiptoken`, for the nextLink.
    raw_rest: String,
}

fn parse_query(q: &str) -> Result<Query, Answer> {
    let mut out = Query::default();
    let mut rest = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let key = percent_decode(k);
        let val = percent_decode(v);
        match key.as_str() {
            "$skiptoken" => {
                out.skip = val
                    .strip_prefix("sim")
                    .and_then(|h| usize::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        Answer::error(400, "Request_BadRequest", "Invalid $skiptoken.")
                    })?;
                continue;
            }
            "$select" => out.select = Some(val.split(',').map(|s| s.trim().to_string()).collect()),
            "$expand" => out.expand = Some(val),
            "$top" => {
                let t: usize = val
                    .parse()
                    .map_err(|_| Answer::error(400, "Request_BadRequest", "Invalid $top value."))?;
                out.top = Some(t);
            }
            "$filter" => out.filter = Some(val),
            "$count" => out.count = val.eq_ignore_ascii_case("true"),
            _ => {}
        }
        rest.push(part.to_string());
    }
    out.raw_rest = rest.join("&");
    Ok(out)
}

/// Where a path leads.
enum Source {
    Big(Big),
    Small(&'static str),
    Singleton(&'static str),
    Group(String),
    Members(String),
}

fn big_of(key: &str) -> Option<Big> {
    match key {
        "users" => Some(Big::Users),
        "devices" => Some(Big::Devices),
        "managedDevices" => Some(Big::ManagedDevices),
        "windowsAutopilotDeviceIdentities" => Some(Big::Autopilot),
        _ => None,
    }
}

fn family_of(b: Bucket) -> Family {
    match b {
        Bucket::Directory => Family::Directory,
        Bucket::IntuneDevices => Family::IntuneDevices,
        Bucket::IntuneEnrollment => Family::IntuneEnrollment,
    }
}

fn route(path: &str) -> Option<(Source, Family)> {
    if let Some(rest) = path.strip_prefix("/v1.0/groups/") {
        return match rest.split_once('/') {
            None => Some((Source::Group(rest.to_string()), Family::Directory)),
            Some((id, "transitiveMembers")) => {
                Some((Source::Members(id.to_string()), Family::Directory))
            }
            Some(_) => None,
        };
    }
    let row = PLAN.iter().find(|r| {
        r.shape != Shape::GroupFanOut && path == format!("/{}{}", r.version.segment(), r.path)
    })?;
    let key = row.resource.key();
    let src = match (row.shape, big_of(key)) {
        (Shape::Singleton, _) => Source::Singleton(key),
        (_, Some(b)) => Source::Big(b),
        _ => Source::Small(key),
    };
    Some((src, family_of(row.bucket)))
}

/// Properties Graph returns only when `$expand`ed.
fn expandable(src: &Source) -> &'static [&'static str] {
    match src {
        Source::Big(Big::Devices) => &["registeredOwners"],
        Source::Small(
            "deviceEnrollmentConfigurations"
            | "windowsAutopilotDeploymentProfiles"
            | "deviceConfigurations",
        ) => &["assignments"],
        Source::Small("mobileDeviceManagementPolicies" | "mobileAppManagementPolicies") => {
            &["includedGroups"]
        }
        Source::Small("configurationPolicies") => &["assignments", "settings"],
        Source::Small("mobileApps") => &["assignments"],
        _ => &[],
    }
}

/// Answers one GET (top-level or inside a `$batch`), throttling included.
fn get(st: &State, target: &str, eventual: bool) -> Answer {
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let (path, counting) = match path.strip_suffix("/$count") {
        Some(p) => (p, true),
        None => (path, false),
    };
    let query = match parse_query(q) {
        Ok(q) => q,
        Err(a) => return a,
    };
    let Some((src, family)) = route(path) else {
        return Answer::error(
            404,
            "Request_ResourceNotFound",
            &format!("Resource not found for the segment '{path}'."),
        );
    };
    // Throttling first: Graph charges the request before it serves it.
    if let Some(a) = throttle(st, family, path, &query) {
        return a;
    }
    if (counting || query.count) && family == Family::Directory && !eventual {
        return Answer::error(
            400,
            "Request_BadRequest",
            "$count requires the ConsistencyLevel header set to eventual.",
        );
    }
    let t = &st.tenant;
    let app_id = match (&src, query.filter.as_deref()) {
        (Source::Small("servicePrincipals"), Some(f)) => match app_id_filter(f) {
            Some(a) => Some(a),
            None => {
                return Answer::error(
                    400,
                    "Request_UnsupportedQuery",
                    "The simulator supports $filter on servicePrincipals appId eq only.",
                )
            }
        },
        _ => None,
    };
    let filter = match query
        .filter
        .as_deref()
        .filter(|_| app_id.is_none())
        .map(parse_filter)
        .transpose()
    {
        Ok(f) => f,
        Err(e) => return Answer::error(400, "Request_UnsupportedQuery", &e),
    };
    if filter.is_some() && !matches!(src, Source::Big(Big::Devices)) {
        return Answer::error(
            400,
            "Request_UnsupportedQuery",
            "The simulator supports $filter on /devices displayName only.",
        );
    }
    if counting {
        let n = match &src {
            Source::Big(b) => match &filter {
                None => t.len(*b),
                Some(f) => (0..t.len(*b))
                    .filter(|k| f.matches(&t.device_name(*k)))
                    .count(),
            },
            Source::Small(k) => t.small.get(*k).map_or(0, Vec::len),
            Source::Members(id) => t.group(id).map_or(0, |g| t.member_count(g)),
            _ => return Answer::error(400, "Request_BadRequest", "$count is not supported here."),
        };
        return Answer {
            status: 200,
            body: n.to_string().into_bytes(),
            headers: Vec::new(),
            call: Call::Single,
            content_type: "text/plain",
        };
    }
    let expand = query.expand.clone().unwrap_or_default();
    // Expanded navigation properties come back whatever `$select` says.
    let keep: Option<Vec<String>> = query.select.clone().map(|mut f| {
        f.extend(
            expandable(&src)
                .iter()
                .filter(|e| expand.contains(**e))
                .map(|e| e.to_string()),
        );
        f
    });
    let strip = |mut v: Value| {
        if let Value::Object(m) = &mut v {
            for f in expandable(&src) {
                if !expand.contains(f) {
                    m.remove(*f);
                }
            }
        }
        select(v, keep.as_deref())
    };
    let directory = family == Family::Directory;
    let (default_page, max_page) = match (&src, directory) {
        // Graph returns Autopilot events 50 at a time (Autopilot known issues); the
        // troubleshooting events' page size is not documented: Intune's usual 1000 is assumed.
        (Source::Small("autopilotEvents"), _) => (50, 50),
        (Source::Small("troubleshootingEvents"), _) => (1000, 1000),
        (Source::Small(_), _) => (usize::MAX, usize::MAX),
        (_, true) if query.expand.is_some() => (100, 100),
        (_, true) => (100, 999),
        (_, false) => (1000, 1000),
    };
    if directory && query.top.is_some_and(|t| t == 0 || t > 999) {
        return Answer::error(
            400,
            "Request_UnsupportedQuery",
            &format!(
                "Invalid page size specified: '{}'. Must be between 1 and 999 inclusive.",
                query.top.unwrap_or(0)
            ),
        );
    }
    let page = query.top.unwrap_or(default_page).min(max_page).max(1);
    let mut items: Vec<Value> = Vec::new();
    let mut next: Option<usize> = None;
    let mut total: Option<usize> = None;
    let call;
    match &src {
        Source::Singleton(k) => {
            let v = t
                .small
                .get(*k)
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or(json!({}));
            return Answer::json(200, &strip(v), Call::Single);
        }
        Source::Group(id) => {
            let Some(g) = t.group(id) else {
                return Answer::error(
                    404,
                    "Request_ResourceNotFound",
                    &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
                );
            };
            let v = json!({"id": g.id, "displayName": g.display_name, "securityEnabled": true, "mailEnabled": false,
                "groupTypes": [], "description": format!("{} (simulated)", g.display_name)});
            return Answer::json(200, &strip(v), Call::Single);
        }
        Source::Small(k) => {
            let all: Vec<&Value> = t
                .small
                .get(*k)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter(|v| {
                    app_id.as_deref().is_none_or(|a| {
                        v["appId"]
                            .as_str()
                            .is_some_and(|x| x.eq_ignore_ascii_case(a))
                    })
                })
                .collect();
            let end = query.skip.saturating_add(page).min(all.len());
            let start = query.skip.min(end);
            items = all[start..end]
                .iter()
                .map(|v| strip((*v).clone()))
                .collect();
            if end < all.len() {
                next = Some(end);
            }
            total = Some(all.len());
            call = if directory {
                Call::DirectoryPage(items.len())
            } else {
                Call::IntunePage(items.len())
            };
        }
        Source::Members(id) => {
            let Some(g) = t.group(id) else {
                return Answer::error(
                    404,
                    "Request_ResourceNotFound",
                    &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
                );
            };
            let n = t.member_count(g);
            let end = query.skip.saturating_add(page).min(n);
            for k in query.skip..end {
                if let Some(v) = t.member(g, k) {
                    items.push(strip(v));
                }
            }
            if end < n {
                next = Some(end);
            }
            total = Some(n);
            call = Call::DirectoryPage(items.len());
        }
        Source::Big(b) => {
            let n = t.len(*b);
            let mut k = query.skip;
            match &filter {
                None => {
                    let end = k.saturating_add(page).min(n);
                    items = (k..end).map(|i| strip(t.item(*b, i))).collect();
                    k = end;
                }
                Some(f) => {
                    while k < n && items.len() < page {
                        if f.matches(&t.device_name(k)) {
                            items.push(strip(t.item(*b, k)));
                        }
                        k += 1;
                    }
                    // The next page starts at the next match: no nextLink to an empty page.
                    while k < n && !f.matches(&t.device_name(k)) {
                        k += 1;
                    }
                }
            }
            if k < n {
                next = Some(k);
            }
            if query.count && query.skip == 0 {
                total = Some(match &filter {
                    None => n,
                    Some(f) => (0..n).filter(|i| f.matches(&t.device_name(*i))).count(),
                });
            }
            call = if directory {
                Call::DirectoryPage(items.len())
            } else {
                Call::IntunePage(items.len())
            };
        }
    }
    st.stats.pages.fetch_add(1, Relaxed);
    st.stats.items.fetch_add(items.len() as u64, Relaxed);
    let version = if path.starts_with("/beta") {
        "beta"
    } else {
        "v1.0"
    };
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/{version}/$metadata#{}",
            st.base,
            path.rsplit('/').next().unwrap_or("")
        )),
    );
    if query.count && query.skip == 0 {
        if let Some(n) = total {
            body.insert("@odata.count".into(), json!(n));
        }
    }
    if let Some(n) = next {
        let sep = if query.raw_rest.is_empty() { "" } else { "&" };
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{path}?{}{sep}$skiptoken=sim{n:x}",
                st.base, query.raw_rest
            )),
        );
    }
    body.insert("value".into(), Value::Array(items));
    Answer::json(200, &Value::Object(body), call)
}

/// Charges the request to its family; a 429 with a fractional Retry-After when over budget.
fn throttle(st: &State, family: Family, path: &str, q: &Query) -> Option<Answer> {
    let t = &st.cfg.throttling;
    let scale = st.cfg.latency.time_scale.max(1e-6);
    let (r429, r503) = {
        let mut rng = st.rng.lock().unwrap_or_else(|e| e.into_inner());
        (rng.f64(), rng.f64())
    };
    if r503 < t.random_503 {
        st.stats.unavailable.fetch_add(1, Relaxed);
        let mut a = Answer::error(
            503,
            "ServiceUnavailable",
            "The service is temporarily unavailable.",
        );
        a.headers.push((
            "Retry-After".into(),
            format!("{:.3}", (0.5 + r503 * 2.0) * scale),
        ));
        return Some(a);
    }
    let mut wait = None;
    let mut ru = 1;
    if t.enabled {
        let cost = match family {
            Family::Directory => {
                ru = resource_units(path, q.select.is_some(), q.expand.is_some(), q.top);
                st.resource_units_charge(ru);
                f64::from(ru)
            }
            _ => 1.0,
        };
        if let Err(w) = st.buckets[family.index()].take(cost) {
            wait = Some(w);
        }
    }
    if wait.is_none() && r429 < t.random_429 {
        wait = Some(Duration::from_secs_f64(
            (1.0 + r429 * 4.0 / t.random_429.max(1e-9)).min(5.0) * scale,
        ));
    }
    let w = wait?;
    st.stats.throttled.fetch_add(1, Relaxed);
    let mut a = Answer::error(
        429,
        "TooManyRequests",
        "Too many requests. Please retry after the Retry-After interval.",
    );
    let secs = w.as_secs_f64().max(0.001);
    a.headers.push(("Retry-After".into(), format!("{secs:.3}")));
    let scope = match family {
        Family::Directory => "Tenant_Application/Read/Directory",
        Family::IntuneDevices => "Application/Read/IntuneDevices",
        Family::IntuneEnrollment => "Application/Read/IntuneEnrollment",
    };
    a.headers.push(("x-ms-throttle-scope".into(), scope.into()));
    if family == Family::Directory {
        a.headers
            .push(("x-ms-resource-unit".into(), ru.to_string()));
    }
    Some(a)
}

impl State {
    fn resource_units_charge(&self, ru: u32) {
        self.stats.resource_units.fetch_add(u64::from(ru), Relaxed);
    }
}

/// `$batch`: 1–20 GETs answered independently; latency is the slowest sub-request + overhead.
fn batch(st: &State, version: &str, body: &[u8]) -> (Answer, Duration) {
    let overhead = Duration::from_secs_f64(
        st.cfg.latency.batch_overhead_ms * st.cfg.latency.time_scale / 1000.0,
    );
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return (
            Answer::error(400, "BadRequest", "Invalid batch payload."),
            overhead,
        );
    };
    let reqs = v["requests"].as_array().cloned().unwrap_or_default();
    if reqs.is_empty() || reqs.len() > 20 {
        return (
            Answer::error(
                400,
                "BadRequest",
                "The number of batch requests must be between 1 and 20.",
            ),
            overhead,
        );
    }
    let mut slowest = Duration::ZERO;
    let mut responses = Vec::new();
    for r in reqs.iter().rev() {
        st.stats.sub_requests.fetch_add(1, Relaxed);
        let id = r["id"].as_str().unwrap_or("").to_string();
        let method = r["method"].as_str().unwrap_or("");
        let url = r["url"].as_str().unwrap_or("");
        let eventual = r
            .pointer("/headers/ConsistencyLevel")
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("eventual"));
        let a = if method != "GET" {
            Answer::error(405, "BadRequest", "The simulator is read-only.")
        } else if !url.starts_with('/') {
            Answer::error(400, "BadRequest", "A batch URL must be relative.")
        } else {
            get(st, &format!("{version}{url}"), eventual)
        };
        slowest = slowest.max(draw(st, a.call));
        let headers: serde_json::Map<String, Value> = a
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let body: Value = serde_json::from_slice(&a.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&a.body).into_owned()));
        responses.push(json!({"id": id, "status": a.status, "headers": headers, "body": body}));
    }
    (
        Answer::json(200, &json!({"responses": responses}), Call::Single),
        slowest + overhead,
    )
}

/// A `$filter` on `displayName`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Ge(String),
    Le(String),
    Eq(String),
    EqNull,
    StartsWith(String),
    And(Vec<Filter>),
}

impl Filter {
    /// Directory string comparison is case-insensitive.
    pub fn matches(&self, name: &str) -> bool {
        let n = name.to_lowercase();
        match self {
            Filter::Ge(x) => n >= x.to_lowercase(),
            Filter::Le(x) => n <= x.to_lowercase(),
            Filter::Eq(x) => n == x.to_lowercase(),
            Filter::EqNull => name.is_empty(),
            Filter::StartsWith(x) => n.starts_with(&x.to_lowercase()),
            Filter::And(v) => v.iter().all(|f| f.matches(name)),
        }
    }
}

/// Parses `term (and term)*` where a term is `displayName ge|le|eq 'x'`, `displayName eq null`
/// or `startswith(displayName,'x')`. Anything else is an unsupported query, as on Graph.
/// `appId eq '…'`: the one filter the simulator serves on service principals.
fn app_id_filter(f: &str) -> Option<String> {
    let rest = f.trim().strip_prefix("appId eq '")?;
    rest.strip_suffix('\'').map(str::to_string)
}

pub fn parse_filter(s: &str) -> Result<Filter, String> {
    let mut terms = Vec::new();
    let mut rest = s.trim();
    loop {
        let (term, after) = parse_term(rest)?;
        terms.push(term);
        let after = after.trim_start();
        if after.is_empty() {
            break;
        }
        let lower = after.to_ascii_lowercase();
        if let Some(r) = lower.strip_prefix("and ") {
            rest = &after[after.len() - r.len()..];
            continue;
        }
        return Err(format!(
            "Unsupported or invalid query filter clause near '{after}'."
        ));
    }
    Ok(if terms.len() == 1 {
        terms.remove(0)
    } else {
        Filter::And(terms)
    })
}

fn parse_term(s: &str) -> Result<(Filter, &str), String> {
    let s = s.trim_start();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("startswith(displayname,") {
        let (lit, rest) = literal(s["startswith(displayName,".len()..].trim_start())?;
        let rest = rest.trim_start().strip_prefix(')').ok_or("expected ')'")?;
        return Ok((Filter::StartsWith(lit), rest));
    }
    let rest = lower
        .strip_prefix("displayname ")
        .map(|r| &s[s.len() - r.len()..])
        .ok_or_else(|| format!("Unsupported property in filter clause '{s}'."))?
        .trim_start();
    let (op, rest) = rest.split_at(rest.find(' ').unwrap_or(rest.len()));
    let rest = rest.trim_start();
    if op == "eq" && rest.to_ascii_lowercase().starts_with("null") {
        return Ok((Filter::EqNull, &rest[4..]));
    }
    let (lit, rest) = literal(rest)?;
    let f = match op {
        "ge" => Filter::Ge(lit),
        "le" => Filter::Le(lit),
        "eq" => Filter::Eq(lit),
        other => return Err(format!("Unsupported operator '{other}' on displayName.")),
    };
    Ok((f, rest))
}

/// A single-quoted OData string (`''` is a quote).
fn literal(s: &str) -> Result<(String, &str), String> {
    let body = s.strip_prefix('\'').ok_or("expected a quoted string")?;
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|(_, c)| *c) == Some('\'') {
                out.push('\'');
                chars.next();
                continue;
            }
            return Ok((out, &body[i + 1..]));
        }
        out.push(c);
    }
    Err("unterminated string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_match() {
        let f = parse_filter("displayName ge 'desktop-a' and displayName le 'desktop-m'").unwrap();
        assert!(f.matches("DESKTOP-C123"));
        assert!(!f.matches("LAPTOP-1"));
        assert_eq!(parse_filter("displayName eq null").unwrap(), Filter::EqNull);
        assert_eq!(
            parse_filter("startswith(displayName,'o''brien')").unwrap(),
            Filter::StartsWith("o'brien".into())
        );
        assert!(parse_filter("deviceId ge 'x'").is_err());
        assert_eq!(percent_decode("a%20b%27c+"), "a b'c+");
    }
}
