//! The collector: reads every resource of the plan into a [`Snapshot`].
//!
//! Resources are read in parallel (bounded per throttling bucket by the client); the group
//! memberships come after the resources that reference groups, first pages through `$batch`.
//! Each resource ends with its own status: one resource's failure never loses the others. Only
//! a sign-in failure stops the run.

use crate::auth::AuthError;
use crate::graph::checkpoint::{self, Checkpoint, Committed, Part, State};
use crate::graph::client::{self, BatchGet, GraphClient, GraphError};
use crate::graph::partition;
use crate::graph::plan::{self, ApiVersion, Bucket, Request, Shape, PLAN};
use crate::signin::AuthMethod;
use futures_util::future::join_all;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use intune_audit_checks::snapshot::{
    ResourceEntry, Status, TenantInfo, SNAPSHOT_SCHEMA, SNAPSHOT_VERSION,
};
use intune_audit_checks::targeting::{ALL_DEVICES_VIRTUAL_GROUP, ALL_USERS_VIRTUAL_GROUP};
use intune_audit_checks::{Resource, Snapshot};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What the collector needs to know besides the client.
pub struct CollectOptions {
    pub cloud: String,
    pub tool_version: String,
    /// Tenant id to record when `organization` cannot be read.
    pub fallback_tenant: Option<String>,
    pub method: AuthMethod,
    /// Show progress on stderr (only honoured when stderr is a terminal).
    pub progress: bool,
    /// The failure history window: events older than this many days are not kept.
    pub history_days: u32,
}

/// What the collector keeps of an event stream: events in the window, trimmed to the fields
/// the failure join reads; successful Autopilot deployments are dropped (nothing to join).
#[derive(Debug, Clone)]
pub struct EventWindow {
    since: time::OffsetDateTime,
}

impl EventWindow {
    pub fn new(days: u32) -> EventWindow {
        EventWindow::at(time::OffsetDateTime::now_utc(), days)
    }

    /// The window of `days` before `until`.
    pub fn at(until: time::OffsetDateTime, days: u32) -> EventWindow {
        EventWindow {
            since: until - time::Duration::days(i64::from(days)),
        }
    }

    /// The item to keep, trimmed, or `None`.
    pub fn keep(&self, resource: Resource, v: Value) -> Option<Value> {
        if !plan::keeps_item(resource, &v) {
            return None;
        }
        let Some(fields) = plan::kept_fields(resource) else {
            return Some(v);
        };
        let Value::Object(mut m) = v else {
            return None;
        };
        let when = m
            .get("eventDateTime")
            .and_then(Value::as_str)
            .and_then(intune_audit_checks::time::parse_rfc3339);
        // An event without a readable date is kept: the join decides.
        if when.is_some_and(|w| w < self.since) {
            return None;
        }
        if resource == Resource::AutopilotEvents
            && m.get("deploymentState").and_then(Value::as_str) == Some("success")
            && !["deviceSetupStatus", "accountSetupStatus"]
                .iter()
                .any(|k| m.get(*k).and_then(Value::as_str) == Some("failure"))
        {
            return None;
        }
        let mut out = serde_json::Map::new();
        for f in fields {
            if let Some(x) = m.remove(*f) {
                out.insert((*f).to_string(), x);
            }
        }
        Some(Value::Object(out))
    }
}

/// Progress bars on stderr when it is a terminal; silent otherwise.
struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let on = enabled && std::io::stderr().is_terminal();
        Progress {
            multi: on.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }
    fn bar(&self, name: &str) -> ProgressBar {
        match &self.multi {
            None => ProgressBar::hidden(),
            Some(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<36} {msg}") {
                    bar.set_style(style);
                }
                bar.set_prefix(name.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            }
        }
    }
}

/// How often a collection without a terminal says it is alive: 10 s, or
/// `INTUNE_AUDIT_PROGRESS_SECS`.
fn heartbeat_interval() -> std::time::Duration {
    let secs = std::env::var("INTUNE_AUDIT_PROGRESS_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(10.0);
    std::time::Duration::from_secs_f64(secs)
}

/// Runs `work`, calling `out` with a progress line every `interval` (when set) until it ends.
async fn with_heartbeat<F: std::future::Future>(
    interval: Option<std::time::Duration>,
    requests: &std::sync::atomic::AtomicU64,
    mut out: impl FnMut(String),
    work: F,
) -> F::Output {
    let Some(interval) = interval else {
        return work.await;
    };
    let started = std::time::Instant::now();
    let beat = async {
        let mut tick = tokio::time::interval(interval);
        tick.tick().await; // the first tick is immediate
        loop {
            tick.tick().await;
            out(format!(
                "intune-audit: collecting… {} Graph requests so far, {} s",
                requests.load(std::sync::atomic::Ordering::Relaxed),
                started.elapsed().as_secs()
            ));
        }
    };
    tokio::pin!(work);
    tokio::select! {
        done = &mut work => done,
        never = beat => never,
    }
}

/// Resources whose items are spooled to disk when the caller gives a spool folder: the large
/// collections (users, devices, managed devices, Autopilot devices, group memberships). They are
/// written as compact JSON page by page, so a 100k-user tenant never sits in memory as
/// `serde_json::Value`s (DESIGN.md, performance model).
pub const SPOOLED: [Resource; 5] = [
    Resource::Users,
    Resource::Devices,
    Resource::ManagedDevices,
    Resource::WindowsAutopilotDeviceIdentities,
    Resource::GroupMembers,
];

/// The resources whose items name the groups to read; the group phase starts as soon as they
/// are in, while the large collections are still paging.
const GROUP_SOURCES: [Resource; 8] = [
    Resource::DeviceEnrollmentConfigurations,
    Resource::ConfigurationPolicies,
    Resource::WindowsAutopilotDeploymentProfiles,
    Resource::MobileDeviceManagementPolicies,
    Resource::MobileAppManagementPolicies,
    Resource::DeviceRegistrationPolicy,
    Resource::ConditionalAccessPolicies,
    Resource::DeviceConfigurations,
];

/// A resource's items on disk: compact JSON values separated by `,\n` (the inside of a JSON
/// array), `count` of them.
#[derive(Debug)]
pub struct Spooled {
    pub path: PathBuf,
    pub count: usize,
}

/// A collection: the snapshot, and for spooled resources the file holding their items (their
/// entry in `snapshot` then has no items).
#[derive(Debug)]
pub struct Collected {
    pub snapshot: Snapshot,
    pub spooled: BTreeMap<String, Spooled>,
}

/// Where the items of one resource go: memory, or a spool file.
enum Sink {
    Memory(Vec<Value>),
    File {
        w: BufWriter<File>,
        path: PathBuf,
        count: usize,
        error: Option<std::io::Error>,
    },
}

impl Sink {
    fn new(spool: Option<&Path>, name: &str) -> Sink {
        Sink::open(spool, name, false)
    }

    /// A sink in `spool` (memory without one); `keep` keeps what an earlier run wrote there
    /// (a resume then cuts it back to its committed length with [`Sink::restore`]).
    fn open(spool: Option<&Path>, name: &str, keep: bool) -> Sink {
        let Some(dir) = spool else {
            return Sink::Memory(Vec::new());
        };
        let path = dir.join(format!("{name}.jsonl"));
        match checkpoint::create_private(&path, !keep) {
            Ok(f) => Sink::File {
                w: BufWriter::with_capacity(256 * 1024, f),
                path,
                count: 0,
                error: None,
            },
            // The folder is ours; if it fails, memory still works.
            Err(_) => Sink::Memory(Vec::new()),
        }
    }

    fn push(&mut self, v: Value) {
        match self {
            Sink::Memory(items) => items.push(v),
            Sink::File {
                w, count, error, ..
            } => {
                if error.is_some() {
                    return;
                }
                let r = (if *count > 0 {
                    w.write_all(b",\n")
                } else {
                    Ok(())
                })
                .and_then(|()| serde_json::to_writer(&mut *w, &v).map_err(std::io::Error::other));
                match r {
                    Ok(()) => *count += 1,
                    Err(e) => *error = Some(e),
                }
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Sink::Memory(items) => items.len(),
            Sink::File { count, .. } => *count,
        }
    }

    /// Flushes a spool file and says how much of it is written: what a checkpoint records.
    /// `None` for memory or a failed spool.
    fn commit(&mut self) -> Option<Committed> {
        let Sink::File {
            w, count, error, ..
        } = self
        else {
            return None;
        };
        if error.is_some() {
            return None;
        }
        match w.flush().and_then(|()| w.get_mut().stream_position()) {
            Ok(bytes) => Some(Committed {
                count: *count,
                bytes,
            }),
            Err(e) => {
                *error = Some(e);
                None
            }
        }
    }

    /// Continues a spool file from a checkpoint: cut back to its committed length (a killed
    /// run may have written part of a page after it), appending from there.
    fn restore(&mut self, c: Committed) -> std::io::Result<()> {
        let Sink::File {
            w, count, error, ..
        } = self
        else {
            return Err(std::io::Error::other("not a spool"));
        };
        w.flush()?;
        let f = w.get_mut();
        if f.metadata()?.len() < c.bytes {
            return Err(std::io::Error::other(
                "the spool is shorter than its checkpoint",
            ));
        }
        f.set_len(c.bytes)?;
        f.seek(SeekFrom::Start(c.bytes))?;
        *count = c.count;
        *error = None;
        Ok(())
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Sink::Memory(_) => None,
            Sink::File { path, .. } => Some(path),
        }
    }

    /// Drops what was written (a partitioned read falling back to a plain one).
    fn reset(&mut self) {
        match self {
            Sink::Memory(items) => items.clear(),
            Sink::File {
                w, count, error, ..
            } => {
                *count = 0;
                let r = w
                    .flush()
                    .and_then(|()| w.get_mut().set_len(0))
                    .and_then(|()| w.get_mut().seek(SeekFrom::Start(0)).map(|_| ()));
                if let Err(e) = r {
                    *error = Some(e);
                }
            }
        }
    }

    /// The items (memory) or the spool file, or a write error.
    fn finish(self) -> Result<(Vec<Value>, Option<Spooled>), String> {
        match self {
            Sink::Memory(items) => Ok((items, None)),
            Sink::File {
                mut w,
                path,
                count,
                error,
            } => {
                if let Some(e) = error {
                    return Err(format!("cannot spool to {}: {e}", path.display()));
                }
                w.flush()
                    .map_err(|e| format!("cannot spool to {}: {e}", path.display()))?;
                Ok((Vec::new(), Some(Spooled { path, count })))
            }
        }
    }
}

/// Reads the whole plan into memory. `Err` only when signing in fails.
pub async fn collect(client: &GraphClient, opts: &CollectOptions) -> Result<Snapshot, AuthError> {
    Ok(collect_with(client, opts, None, None).await?.snapshot)
}

/// Reads the whole plan; with `spool`, the large collections go to files in that folder.
/// With a `checkpoint` (whose folder is then the spool), every resource read to its end is
/// saved there and the large collections save their progress page by page; what it already
/// holds is kept and continued (`collect --resume`). `Err` only when signing in fails.
pub async fn collect_with(
    client: &GraphClient,
    opts: &CollectOptions,
    spool: Option<&Path>,
    checkpoint: Option<&Checkpoint>,
) -> Result<Collected, AuthError> {
    let spool = checkpoint.map(Checkpoint::dir).or(spool);
    let progress = Progress::new(opts.progress);
    let one = |req: &'static Request| {
        let bar = progress.bar(req.resource.key());
        async move {
            let key = req.resource.key();
            // With a checkpoint the event streams (long chains) are spooled too, so that
            // they resume page by page.
            let spooled = SPOOLED.contains(&req.resource)
                || (checkpoint.is_some() && req.resource.is_event_stream());
            let spool = spool.filter(|_| spooled);
            // The organization is always read again: the caller compares it with the
            // checkpoint's, so that a resume never mixes two tenants.
            let saved = checkpoint
                .filter(|_| req.resource != Resource::Organization)
                .and_then(|c| c.load(key));
            if let Some(done) = restore_done(saved.as_ref(), spool, key) {
                finish(&bar, Ok(&done.0));
                return Ok((req.resource, done.0, done.1));
            }
            let resuming = matches!(saved, Some(State::Chain { .. } | State::Partitioned { .. }));
            let sink = Sink::open(spool, key, resuming);
            let window = EventWindow::new(opts.history_days);
            let resume = Resume { checkpoint, saved };
            let entry =
                collect_one_into(client, req, sink, &bar, opts.method, &window, resume).await;
            if let (Some(cp), Ok(o)) = (checkpoint, &entry) {
                save_done(cp, key, o);
            }
            finish(&bar, entry.as_ref().map(|e| &e.0));
            entry.map(|(e, n)| (req.resource, e, n))
        }
    };
    let independent = PLAN
        .iter()
        .filter(|r| r.shape != Shape::GroupFanOut && !GROUP_SOURCES.contains(&r.resource));
    let sources = PLAN.iter().filter(|r| GROUP_SOURCES.contains(&r.resource));
    // The large collections page on while the group phase (which needs only the small
    // enrollment resources) runs beside them.
    // Memberships come from the checkpoint only with the groups that named them.
    let sources_done = checkpoint.is_some_and(|c| {
        GROUP_SOURCES
            .iter()
            .all(|r| matches!(c.load(r.key()), Some(State::Done { .. })))
    });
    let work = futures_util::future::join(join_all(independent.map(one)), async {
        let first = join_all(sources.map(one)).await;
        let mut map: BTreeMap<String, ResourceEntry> = BTreeMap::new();
        for (resource, entry, _) in first.iter().flatten() {
            map.insert(resource.key().to_string(), entry.0.clone());
        }
        let bar = progress.bar(Resource::GroupMembers.key());
        let key = Resource::GroupMembers.key();
        let members_spool = spool.filter(|_| SPOOLED.contains(&Resource::GroupMembers));
        let saved = checkpoint
            .filter(|_| sources_done)
            .and_then(|c| c.load(key));
        let r = match restore_done(saved.as_ref(), members_spool, key) {
            Some(done) => Ok(done),
            None => {
                let ids = referenced_groups(&map);
                let sink = Sink::new(members_spool, key);
                let r = collect_group_members(client, &ids, sink, spool, &bar).await;
                if let (Some(cp), Ok(o)) = (checkpoint, &r) {
                    save_done(cp, key, o);
                }
                r
            }
        };
        finish(&bar, r.as_ref().map(|e| &e.0));
        (first, r)
    });
    // Without a terminal there are no bars: a CI log gets a line every few seconds instead.
    let beat = (opts.progress && !std::io::stderr().is_terminal()).then(heartbeat_interval);
    let (rest, (first, groups)) =
        with_heartbeat(beat, &client.stats.requests, |l| eprintln!("{l}"), work).await;
    let mut resources: BTreeMap<String, ResourceEntry> = BTreeMap::new();
    let mut spooled: BTreeMap<String, Spooled> = BTreeMap::new();
    let group_entry = groups.map(|(e, n)| (Resource::GroupMembers, e, n));
    for r in rest
        .into_iter()
        .chain(first)
        .chain(std::iter::once(group_entry))
    {
        let (resource, (entry, file), _) = r?;
        if let Some(f) = file {
            spooled.insert(resource.key().to_string(), f);
        }
        resources.insert(resource.key().to_string(), entry);
    }

    let tenant = tenant_info(&resources, opts.fallback_tenant.as_deref());
    let collected_at = now_rfc3339();
    Ok(Collected {
        snapshot: Snapshot {
            schema: SNAPSHOT_SCHEMA.into(),
            version: SNAPSHOT_VERSION,
            tenant,
            cloud: opts.cloud.clone(),
            collected_at,
            tool_version: opts.tool_version.clone(),
            resources,
        },
        spooled,
    })
}

/// The collection time, as the snapshot records it.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// An entry, its spool file if any, and how many items it holds.
type Outcome = ((ResourceEntry, Option<Spooled>), usize);

/// What a checkpoint says of the resource being read.
struct Resume<'a> {
    checkpoint: Option<&'a Checkpoint>,
    saved: Option<State>,
}

impl Resume<'_> {
    fn none() -> Resume<'static> {
        Resume {
            checkpoint: None,
            saved: None,
        }
    }
}

/// A resource a checkpoint holds to its end, with its spool file cut back to the committed
/// length; `None` when it must be read (not done, or its spool is missing or short).
fn restore_done(saved: Option<&State>, spool: Option<&Path>, key: &str) -> Option<Outcome> {
    let Some(State::Done { entry, spool: kept }) = saved else {
        return None;
    };
    let Some(c) = kept else {
        return Some(((entry.clone(), None), entry.items.len()));
    };
    let path = spool?.join(format!("{key}.jsonl"));
    let f = std::fs::OpenOptions::new().write(true).open(&path).ok()?;
    if f.metadata().ok()?.len() < c.bytes || f.set_len(c.bytes).is_err() {
        return None;
    }
    let file = Spooled {
        path,
        count: c.count,
    };
    Some(((entry.clone(), Some(file)), c.count))
}

/// Records a resource read to its end (only `ok` ones: anything else is read again).
fn save_done(cp: &Checkpoint, key: &str, outcome: &Outcome) {
    let ((entry, file), _) = outcome;
    if entry.status != Status::Ok {
        return;
    }
    let spool = match file {
        None => None,
        Some(f) => match std::fs::metadata(&f.path) {
            Ok(m) => Some(Committed {
                count: f.count,
                bytes: m.len(),
            }),
            Err(_) => return,
        },
    };
    let entry = entry.clone();
    cp.save(key, &State::Done { entry, spool });
}

/// Graph no longer accepts a saved page link: its `$skiptoken` expired (directory reads answer
/// 400 `Directory_ExpiredPageToken`) or the link is gone (404, 410).
fn is_stale_link(e: &GraphError) -> bool {
    matches!(e.status(), Some(400 | 404 | 410))
}

fn finish(bar: &ProgressBar, entry: Result<&(ResourceEntry, Option<Spooled>), &AuthError>) {
    let msg = match entry {
        Ok((e, file)) => match e.status {
            Status::Ok => format!("{} items", file.as_ref().map_or(e.items.len(), |f| f.count)),
            Status::Forbidden => "forbidden".into(),
            Status::NotFound => "not found".into(),
            Status::Error => "error".into(),
        },
        Err(_) => "sign-in failed".into(),
    };
    bar.finish_with_message(msg);
}

/// Turns a finished sink into an ok entry (or an error entry if the spool failed).
fn ok_entry(resource: Resource, path: String, sink: Sink) -> Outcome {
    let n = sink.len();
    match sink.finish() {
        Ok((items, file)) => ((ResourceEntry::ok(path, items), file), n),
        Err(message) => (
            (
                ResourceEntry {
                    path,
                    status: Status::Error,
                    permission: None,
                    message: Some(format!("{resource}: {message}")),
                    items: Vec::new(),
                },
                None,
            ),
            0,
        ),
    }
}

/// Reads one plan row into memory (the targeted diagnose collector's entry point).
pub(crate) async fn collect_one(
    client: &GraphClient,
    req: &Request,
    bar: &ProgressBar,
    method: AuthMethod,
) -> Result<ResourceEntry, AuthError> {
    let window = EventWindow::new(30);
    let sink = Sink::Memory(Vec::new());
    collect_one_into(client, req, sink, bar, method, &window, Resume::none())
        .await
        .map(|((entry, _), _)| entry)
}

async fn collect_one_into(
    client: &GraphClient,
    req: &Request,
    mut sink: Sink,
    bar: &ProgressBar,
    method: AuthMethod,
    window: &EventWindow,
    resume: Resume<'_>,
) -> Result<Outcome, AuthError> {
    let path = req.relative_url();
    let url = format!("{}{path}", client.base());
    let chain = Chain {
        client,
        req,
        bar,
        window,
        checkpoint: resume.checkpoint,
    };
    let result = match req.shape {
        Shape::Singleton => client
            .get_json(req.bucket, &url, req.consistency_eventual)
            .await
            .and_then(|v| match v {
                Value::Object(_) => {
                    sink.push(v);
                    Ok(())
                }
                _ => Err(GraphError::Malformed("expected a JSON object".into())),
            }),
        _ if plan::partition_property(req.resource).is_some() => {
            collect_partitioned(&chain, &url, &mut sink, resume.saved).await
        }
        _ => chain.read(&url, &mut sink, resume.saved).await,
    };
    match result {
        Ok(()) => Ok(ok_entry(req.resource, path, sink)),
        Err(GraphError::Auth(e)) => Err(e),
        Err(e) => Ok((
            (
                failed_entry(req.resource, req.permission, req.bucket, path, &e, method),
                None,
            ),
            0,
        )),
    }
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One resource's nextLink chains, and what saving their progress needs.
struct Chain<'a> {
    client: &'a GraphClient,
    req: &'a Request,
    bar: &'a ProgressBar,
    window: &'a EventWindow,
    checkpoint: Option<&'a Checkpoint>,
}

impl Chain<'_> {
    /// Reads the chain from `first` into `sink`. A saved chain of the same first link goes on
    /// from its next link — or, if Graph no longer accepts that link, from `first` again.
    async fn read(
        &self,
        first: &str,
        sink: &mut Sink,
        saved: Option<State>,
    ) -> Result<(), GraphError> {
        if let Some(State::Chain {
            first: from,
            next,
            spool,
        }) = saved
        {
            if from == first && sink.restore(spool).is_ok() {
                match self.pages(first, &next, sink).await {
                    Err(e) if is_stale_link(&e) => self.stale(&e),
                    r => return r,
                }
            }
        }
        sink.reset();
        self.pages(first, first, sink).await
    }

    fn stale(&self, e: &GraphError) {
        let e = crate::render::safe::visible_line(&e.to_string());
        eprintln!(
            "intune-audit: {}: Graph no longer accepts the saved page link ({e}); reading it again from its first page",
            self.req.resource
        );
    }

    /// Pages from `from`, a link of the chain that starts at `first`; with a checkpoint, its
    /// progress is saved after every page.
    async fn pages(&self, first: &str, from: &str, sink: &mut Sink) -> Result<(), GraphError> {
        let (req, key) = (self.req, self.req.resource.key());
        let mut pages = 0u64;
        let on_page = |page: Vec<Value>, next: Option<&str>| {
            pages += 1;
            for v in page {
                if let Some(v) = self.window.keep(req.resource, v) {
                    sink.push(v);
                }
            }
            if let (Some(cp), Some(next)) = (self.checkpoint, next) {
                if let Some(spool) = sink.commit() {
                    let (first, next) = (first.to_string(), next.to_string());
                    cp.save(key, &State::Chain { first, next, spool });
                }
            }
            self.bar
                .set_message(format!("{pages} pages, {} items", sink.len()));
        };
        self.client
            .for_each_linked_page(req.bucket, from, req.consistency_eventual, on_page)
            .await
    }
}

/// Partitioned paging for a large directory collection whose nextLinks form one long chain
/// (Entra devices: `$expand` caps a page at 100): read the first page and `$count` together;
/// if the collection is large, cut it into ranges of its partition property of about equal
/// size — planned from the first page's values and Graph's counts of each interval
/// ([`partition::plan`]) — and page through the ranges side by side. Any failure of the
/// ranges (a Graph that refuses the `$filter`) falls back to the plain nextLink chain. A saved
/// partitioned read goes on range by range.
async fn collect_partitioned(
    chain: &Chain<'_>,
    url: &str,
    sink: &mut Sink,
    saved: Option<State>,
) -> Result<(), GraphError> {
    let (client, req) = (chain.client, chain.req);
    let Some(property) = plan::partition_property(req.resource) else {
        return Err(GraphError::Malformed("no partition property".into()));
    };
    match saved {
        Some(State::Partitioned { parts, spool }) => {
            let seen = sink.restore(spool).and_then(|()| match sink.path() {
                Some(p) => checkpoint::spooled_ids(p, spool.bytes),
                None => Err(std::io::Error::other("not a spool")),
            });
            if let Ok(seen) = seen {
                return read_parts(chain, url, parts, seen, sink, true).await;
            }
        }
        saved @ Some(State::Chain { .. }) => return chain.read(url, sink, saved).await,
        _ => {}
    }
    sink.reset();
    let count_url = format!(
        "{}/{}{}/$count",
        client.base(),
        req.version.segment(),
        req.path
    );
    let (first, count) = futures_util::future::join(
        client.get_json(req.bucket, url, req.consistency_eventual),
        client.get_json(req.bucket, &count_url, true),
    )
    .await;
    let first = first?;
    let items = first
        .get("value")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| GraphError::Malformed("not a Graph collection page".into()))?;
    let next = first
        .get("@odata.nextLink")
        .and_then(Value::as_str)
        .map(str::to_string);
    let total = match count {
        Ok(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())),
        Err(GraphError::Auth(e)) => return Err(GraphError::Auth(e)),
        Err(_) => None,
    };
    let page = req.top.unwrap_or(100).max(1) as u64;
    let parts = total.map_or(1, |n| plan::partition_count(n, page));
    let sample: Vec<String> = items
        .iter()
        .filter_map(|v| v.get(property).and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let bounds = match (next.is_some(), total) {
        (true, Some(total)) if parts > 1 => {
            partition::plan(&sample, total, parts, |todo| {
                count_intervals(chain, property, todo)
            })
            .await?
        }
        _ => Vec::new(),
    };
    if next.is_none() || bounds.is_empty() {
        // Small (or unpartitionable): the plain chain, keeping the first page.
        for v in items {
            sink.push(v);
        }
        if let Some(next) = next {
            chain.pages(url, &next, sink).await?;
        }
        return Ok(());
    }
    drop(items);
    let parts = partition::filters(property, &bounds)
        .iter()
        .map(|f| {
            let first = format!("{url}&$filter={}", encode_query_value(f));
            Part {
                next: Some(first.clone()),
                first,
            }
        })
        .collect();
    read_parts(chain, url, parts, HashSet::new(), sink, false).await
}

/// Asks Graph for the size of each interval (`$count` with the interval's filter, 20 to a
/// `$batch`, the batches side by side); `None` where Graph gave no count.
async fn count_intervals(
    chain: &Chain<'_>,
    property: &str,
    intervals: Vec<partition::Interval>,
) -> Result<Vec<Option<u64>>, GraphError> {
    let req = chain.req;
    let gets: Vec<BatchGet> = intervals
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let filter = partition::interval_filter(property, i.lo.as_deref(), i.hi.as_deref());
            let url = format!(
                "{}/$count?$filter={}",
                req.path,
                encode_query_value(&filter)
            );
            let mut get = BatchGet::new(n.to_string(), url);
            get.consistency_eventual = true;
            get
        })
        .collect();
    let batches = gets
        .chunks(client::BATCH_LIMIT)
        .map(|chunk| chain.client.batch(req.bucket, req.version, chunk.to_vec()));
    let mut counts = vec![None; intervals.len()];
    for answers in join_all(batches).await {
        let answers = match answers {
            Ok(a) => a,
            Err(GraphError::Auth(e)) => return Err(GraphError::Auth(e)),
            Err(_) => continue,
        };
        for (id, resp) in answers {
            let count = resp
                .is_success()
                .then(|| partition::parse_count(&resp.body))
                .flatten();
            if let Some(slot) = id.parse::<usize>().ok().and_then(|i| counts.get_mut(i)) {
                *slot = count;
            }
        }
    }
    Ok(counts)
}

/// The ranges of a partitioned read, with the spool they share and the ids already in it.
struct Parts<'s> {
    sink: &'s mut Sink,
    seen: HashSet<String>,
    parts: Vec<Part>,
}

impl Parts<'_> {
    fn take(&mut self, page: Vec<Value>) {
        for v in page {
            // Every id, not only names equal to a bound: the server's collation (case,
            // accents) decides which ranges overlap, not ours.
            if let Some(id) = v.get("id").and_then(Value::as_str) {
                if !self.seen.insert(id.to_string()) {
                    continue;
                }
            }
            self.sink.push(v);
        }
    }

    fn save(&mut self, cp: &Checkpoint, key: &str) {
        if let Some(spool) = self.sink.commit() {
            let parts = self.parts.clone();
            cp.save(key, &State::Partitioned { parts, spool });
        }
    }
}

/// Pages through the ranges not yet read to their end, side by side, each id once. A range
/// resumed from a link Graph no longer accepts starts again at its first page (the ids already
/// read are skipped). If any range fails, the plain chain from `url` instead.
async fn read_parts(
    chain: &Chain<'_>,
    url: &str,
    parts: Vec<Part>,
    seen: HashSet<String>,
    sink: &mut Sink,
    resumed: bool,
) -> Result<(), GraphError> {
    let todo: Vec<(usize, Part)> = parts
        .iter()
        .cloned()
        .enumerate()
        .filter(|(_, p)| p.next.is_some())
        .collect();
    let shared = RefCell::new(Parts {
        sink: &mut *sink,
        seen,
        parts,
    });
    let shared_ref = &shared;
    let runs = todo.into_iter().map(|(i, part)| async move {
        let next = part.next.clone().unwrap_or_default();
        match read_part(chain, shared_ref, i, &next).await {
            Err(e) if resumed && next != part.first && is_stale_link(&e) => {
                chain.stale(&e);
                read_part(chain, shared_ref, i, &part.first).await
            }
            r => r,
        }
    });
    let results = join_all(runs).await;
    drop(shared);
    let mut failure = None;
    for r in results {
        match r {
            Ok(()) => {}
            Err(GraphError::Auth(e)) => return Err(GraphError::Auth(e)),
            Err(e) => failure = Some(e),
        }
    }
    if failure.is_some() {
        // Fall back to the plain chain from the first page.
        sink.reset();
        return chain.pages(url, url, sink).await;
    }
    Ok(())
}

/// One range from `from`, its progress saved after every page.
async fn read_part(
    chain: &Chain<'_>,
    shared: &RefCell<Parts<'_>>,
    i: usize,
    from: &str,
) -> Result<(), GraphError> {
    let req = chain.req;
    let on_page = |page: Vec<Value>, next: Option<&str>| {
        let mut s = shared.borrow_mut();
        s.take(page);
        if let Some(p) = s.parts.get_mut(i) {
            p.next = next.map(str::to_string);
        }
        if let Some(cp) = chain.checkpoint {
            s.save(cp, req.resource.key());
        }
        let ranges = s.parts.len();
        chain
            .bar
            .set_message(format!("{ranges} ranges, {} items", s.sink.len()));
    };
    chain
        .client
        .for_each_linked_page(req.bucket, from, req.consistency_eventual, on_page)
        .await
}

/// The entry for a resource that could not be read.
pub(crate) fn failed_entry(
    resource: Resource,
    permission: &str,
    bucket: Bucket,
    path: String,
    err: &GraphError,
    method: AuthMethod,
) -> ResourceEntry {
    let (status, message) = match err.status() {
        // An expired or invalid token is no permission problem: granting would not help.
        Some(401) if err.is_rejected_token() => (Status::Error, rejected_token_message(resource, err)),
        Some(401 | 403) if resource.delegated_only() => (
            Status::Forbidden,
            format!(
                "Graph serves {resource} only to a delegated sign-in with Policy.Read.All (an app-only \
                 token gets 401 \"Unsupported app-only call\"); run with --device-code or --interactive \
                 as a Global Reader or Intune Administrator ({err})"
            ),
        ),
        Some(401 | 403) if method == AuthMethod::AzureCli && bucket != Bucket::Directory => (
            Status::Forbidden,
            format!(
                "the Azure CLI's token carries no Intune (DeviceManagement*) scopes; use an app \
                 registration or --device-code to read {resource} ({err})"
            ),
        ),
        Some(401 | 403) => (Status::Forbidden, format!("access denied; grant {permission} ({err})")),
        Some(404) => (Status::NotFound, err.to_string()),
        _ => (Status::Error, format!("{resource}: {err}")),
    };
    ResourceEntry {
        path,
        status: status.clone(),
        permission: (status == Status::Forbidden).then(|| permission.to_string()),
        message: Some(message),
        items: Vec::new(),
    }
}

/// The message of a resource whose read Graph refused because of the token itself.
fn rejected_token_message(resource: Resource, err: &GraphError) -> String {
    format!("{resource}: the access token was rejected (expired or invalid): sign in again ({err})")
}

/// A device restriction whose Microsoft Account Sign-In Assistant setting is not `notConfigured`.
fn signs_in_assistant_off(c: &Value) -> bool {
    c.get("microsoftAccountSignInAssistantSettings")
        .and_then(Value::as_str)
        .is_some_and(|v| v != "notConfigured")
}

/// A configuration with an OMA-URI setting (`omaSettings[].omaUri`) under the AppLocker CSP,
/// or one whose OMA-URIs cannot be read (the check counts it as at risk, so its groups matter).
fn sets_applocker(c: &Value) -> bool {
    let kind = c
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#'));
    if kind.is_some_and(|t| t != "microsoft.graph.windows10CustomConfiguration") {
        return false;
    }
    match c.get("omaSettings").and_then(Value::as_array) {
        None => kind.is_some(),
        Some(settings) => settings.iter().any(|s| {
            s.get("omaUri")
                .and_then(Value::as_str)
                .is_none_or(intune_audit_checks::model::is_applocker_oma_uri)
        }),
    }
}

/// Group ids that assignments, the MDM/MAM scopes, the device registration policy, the
/// Conditional Access policies' users condition, the device restrictions disabling the
/// Microsoft Account Sign-In Assistant and the custom profiles setting the AppLocker CSP name.
/// The elements of `item[key]` when it is an array.
fn array<'v>(item: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    item.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

pub fn referenced_groups(resources: &BTreeMap<String, ResourceEntry>) -> Vec<String> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let items = |r: Resource| {
        resources
            .get(r.key())
            .filter(|e| e.status == Status::Ok)
            .map(|e| e.items.as_slice())
            .unwrap_or(&[])
    };
    let mut add = |v: Option<&Value>| {
        if let Some(id) = v.and_then(Value::as_str) {
            let id = id.trim().to_ascii_lowercase();
            if !id.is_empty() && id != ALL_USERS_VIRTUAL_GROUP && id != ALL_DEVICES_VIRTUAL_GROUP {
                ids.insert(id);
            }
        }
    };
    // Of the device configurations, only the restrictions that disable the Microsoft Account
    // Sign-In Assistant and the custom profiles that set the AppLocker CSP: the other
    // configurations' groups are read by no check.
    let objected = items(Resource::DeviceConfigurations)
        .iter()
        .filter(|c| signs_in_assistant_off(c) || sets_applocker(c));
    let assigned = [
        Resource::DeviceEnrollmentConfigurations,
        Resource::WindowsAutopilotDeploymentProfiles,
        // Device preparation policies (the collector keeps no other configuration policy).
        Resource::ConfigurationPolicies,
    ]
    .into_iter()
    .flat_map(|r| items(r).iter())
    .chain(objected);
    for item in assigned {
        for a in array(item, "assignments") {
            add(a.pointer("/target/groupId"));
        }
    }
    for r in [
        Resource::MobileDeviceManagementPolicies,
        Resource::MobileAppManagementPolicies,
    ] {
        for g in items(r)
            .iter()
            .flat_map(|item| array(item, "includedGroups"))
        {
            add(g.get("id"));
        }
    }
    // Lists of group ids inside an item.
    let group_lists = [
        (
            Resource::ConditionalAccessPolicies,
            [
                "/conditions/users/includeGroups",
                "/conditions/users/excludeGroups",
            ],
        ),
        (
            Resource::DeviceRegistrationPolicy,
            [
                "/azureADJoin/allowedToJoin/groups",
                "/azureADRegistration/allowedToRegister/groups",
            ],
        ),
    ];
    for (resource, pointers) in group_lists {
        for item in items(resource) {
            let lists = pointers.iter().filter_map(|p| item.pointer(p));
            for g in lists.filter_map(Value::as_array).flatten() {
                add(Some(g));
            }
        }
    }
    ids.into_iter().collect()
}

/// Keeps what the checks read of a directory object reference.
fn member_ref(v: Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Value::Object(mut m) = v {
        for k in ["@odata.type", "id"] {
            if let Some(x) = m.remove(k) {
                out.insert(k.to_string(), x);
            }
        }
    }
    Value::Object(out)
}

/// How one group's read ended.
enum GroupRead {
    Item {
        id: Value,
        name: Value,
        members: Sink,
    },
    Forbidden(String),
    Failed(String),
}

async fn collect_group_members(
    client: &GraphClient,
    groups: &[String],
    mut sink: Sink,
    spool: Option<&Path>,
    bar: &ProgressBar,
) -> Result<Outcome, AuthError> {
    let req = plan::request(Resource::GroupMembers);
    let path = format!("/v1.0/$batch: {}", plan::GROUP_MEMBER_REQUESTS);
    let failed_outcome = |e: &GraphError| {
        (
            (
                failed_entry(
                    Resource::GroupMembers,
                    req.permission,
                    req.bucket,
                    path.clone(),
                    e,
                    AuthMethod::Auto,
                ),
                None,
            ),
            0,
        )
    };
    let mut batch: Vec<BatchGet> = Vec::with_capacity(groups.len() * 2);
    for (i, g) in groups.iter().enumerate() {
        let [group_url, members_url] = plan::group_member_requests(g);
        batch.push(BatchGet::new(format!("g{i}"), group_url));
        batch.push(BatchGet::new(format!("m{i}"), members_url));
    }
    let answers = if batch.is_empty() {
        Default::default()
    } else {
        match client.batch(Bucket::Directory, ApiVersion::V1, batch).await {
            Ok(a) => a,
            Err(GraphError::Auth(e)) => return Err(e),
            Err(e) => return Ok(failed_outcome(&e)),
        }
    };
    let done = std::cell::Cell::new(0usize);
    // Every group's further pages at once (each group is its own nextLink chain).
    let reads = groups.iter().enumerate().map(|(i, g)| {
        let group = answers.get(&format!("g{i}"));
        let members = answers.get(&format!("m{i}"));
        let done = &done;
        async move {
            let (Some(group), Some(members)) = (group, members) else {
                return Ok(GroupRead::Failed(format!("{g} (no answer in the $batch)")));
            };
            if group.status == 404 || members.status == 404 {
                // A deleted group still referenced by an assignment: it reaches nobody.
                return Ok(GroupRead::Item {
                    id: json!(g),
                    name: Value::Null,
                    members: Sink::Memory(Vec::new()),
                });
            }
            if let Some(r) = [group, members].into_iter().find(|r| !r.is_success()) {
                let rejected = r.status == 401 && r.error().is_rejected_token();
                return Ok(if matches!(r.status, 401 | 403) && !rejected {
                    GroupRead::Forbidden(g.clone())
                } else {
                    GroupRead::Failed(format!("{g} ({})", r.error()))
                });
            }
            let Some(first) = members.body.get("value").and_then(Value::as_array) else {
                return Ok(GroupRead::Failed(format!(
                    "{g} (malformed transitiveMembers page)"
                )));
            };
            let mut list = Sink::new(spool, &format!("group-{i}"));
            for v in first {
                list.push(member_ref(v.clone()));
            }
            if let Some(next) = members.body.get("@odata.nextLink").and_then(Value::as_str) {
                let r = client
                    .for_each_page(Bucket::Directory, next, false, |page| {
                        for v in page {
                            list.push(member_ref(v));
                        }
                    })
                    .await;
                match r {
                    Ok(()) => {}
                    Err(GraphError::Auth(e)) => return Err(e),
                    Err(e) if matches!(e.status(), Some(401 | 403)) && !e.is_rejected_token() => {
                        return Ok(GroupRead::Forbidden(g.clone()))
                    }
                    Err(e) => return Ok(GroupRead::Failed(format!("{g} ({e})"))),
                }
            }
            done.set(done.get() + 1);
            bar.set_message(format!("{} of {} groups", done.get(), groups.len()));
            Ok(GroupRead::Item {
                id: group.body.get("id").cloned().unwrap_or_else(|| json!(g)),
                name: group
                    .body
                    .get("displayName")
                    .cloned()
                    .unwrap_or(Value::Null),
                members: list,
            })
        }
    });
    let results = join_all(reads).await;
    let mut read = 0usize;
    let mut forbidden: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for r in results {
        match r? {
            GroupRead::Item { id, name, members } => {
                read += 1;
                match members.finish() {
                    Ok((items, None)) => {
                        sink.push(json!({"id": id, "displayName": name, "members": items}))
                    }
                    Ok((_, Some(file))) => {
                        // Spooled memberships are spliced into the group item on disk.
                        if let Err(e) = splice_group(&mut sink, &id, &name, &file) {
                            failed.push(format!("{} ({e})", id.as_str().unwrap_or("")));
                            read -= 1;
                        }
                        let _ = std::fs::remove_file(&file.path);
                    }
                    Err(e) => {
                        failed.push(format!("{} ({e})", id.as_str().unwrap_or("")));
                        read -= 1;
                    }
                }
            }
            GroupRead::Forbidden(g) => forbidden.push(g),
            GroupRead::Failed(f) => failed.push(f),
        }
    }
    if !groups.is_empty() && read == 0 && !forbidden.is_empty() && failed.is_empty() {
        return Ok((
            (
                ResourceEntry {
                    path,
                    status: Status::Forbidden,
                    permission: Some(req.permission.to_string()),
                    message: Some(format!(
                        "access denied to the members of every targeted group; grant {}",
                        req.permission
                    )),
                    items: Vec::new(),
                },
                None,
            ),
            0,
        ));
    }
    if !groups.is_empty() && read == 0 && !failed.is_empty() {
        return Ok((
            (
                ResourceEntry {
                    path,
                    status: Status::Error,
                    permission: None,
                    message: Some(format!(
                        "groupMembers: no group could be read: {}",
                        failed.join("; ")
                    )),
                    items: Vec::new(),
                },
                None,
            ),
            0,
        ));
    }
    let ((mut entry, file), n) = ok_entry(Resource::GroupMembers, path, sink);
    let mut notes: Vec<String> = Vec::new();
    if !forbidden.is_empty() {
        notes.push(format!(
            "access denied to {} group(s) (grant {}; hidden-membership groups also need Member.Read.Hidden): {}",
            forbidden.len(),
            req.permission,
            forbidden.join(", ")
        ));
    }
    if !failed.is_empty() {
        notes.push(format!(
            "{} group(s) could not be read: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    if !notes.is_empty() && entry.status == Status::Ok {
        entry.message = Some(notes.join("; "));
    }
    Ok(((entry, file), n))
}

/// Appends `{"id", "displayName", "members": [<spooled members>]}` to a spooled sink.
fn splice_group(
    sink: &mut Sink,
    id: &Value,
    name: &Value,
    members: &Spooled,
) -> std::io::Result<()> {
    let Sink::File { w, count, .. } = sink else {
        return Err(std::io::Error::other("not a spool"));
    };
    if *count > 0 {
        w.write_all(b",\n")?;
    }
    write!(
        w,
        "{{\"id\":{},\"displayName\":{},\"members\":[",
        serde_json::to_string(id).map_err(std::io::Error::other)?,
        serde_json::to_string(name).map_err(std::io::Error::other)?
    )?;
    let mut f = File::open(&members.path)?;
    std::io::copy(&mut f, w)?;
    w.write_all(b"]}")?;
    *count += 1;
    Ok(())
}

/// Writes a collection as a snapshot file (atomically for a regular file; see
/// [`crate::snapshot_io::write_with`]), streaming spooled items from disk.
pub fn write_snapshot(path: &Path, c: &Collected) -> anyhow::Result<()> {
    crate::snapshot_io::write_with(path, |out| {
        let mut w = BufWriter::with_capacity(1 << 20, out);
        write_snapshot_to(&mut w, c)?;
        w.flush()
    })
}

fn write_snapshot_to(w: &mut impl Write, c: &Collected) -> std::io::Result<()> {
    let s = &c.snapshot;
    let js = |v: &str| serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into());
    writeln!(w, "{{")?;
    writeln!(w, "  \"schema\": {},", js(&s.schema))?;
    writeln!(w, "  \"version\": {},", s.version)?;
    writeln!(
        w,
        "  \"tenant\": {{\"id\": {}, \"name\": {}}},",
        js(&s.tenant.id),
        js(&s.tenant.name)
    )?;
    writeln!(w, "  \"cloud\": {},", js(&s.cloud))?;
    writeln!(w, "  \"collected_at\": {},", js(&s.collected_at))?;
    writeln!(w, "  \"tool_version\": {},", js(&s.tool_version))?;
    writeln!(w, "  \"resources\": {{")?;
    let n = s.resources.len();
    for (i, (key, e)) in s.resources.iter().enumerate() {
        writeln!(w, "    {}: {{", js(key))?;
        writeln!(w, "      \"path\": {},", js(&e.path))?;
        let status = serde_json::to_string(&e.status).map_err(std::io::Error::other)?;
        writeln!(w, "      \"status\": {status},")?;
        if let Some(p) = &e.permission {
            writeln!(w, "      \"permission\": {},", js(p))?;
        }
        if let Some(m) = &e.message {
            writeln!(w, "      \"message\": {},", js(m))?;
        }
        write!(w, "      \"items\": [")?;
        match c.spooled.get(key) {
            Some(f) if f.count > 0 => {
                writeln!(w)?;
                let mut file = File::open(&f.path)?;
                std::io::copy(&mut file, w)?;
                write!(w, "\n      ")?;
            }
            Some(_) => {}
            None => {
                for (k, item) in e.items.iter().enumerate() {
                    w.write_all(if k == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut *w, item).map_err(std::io::Error::other)?;
                }
                if !e.items.is_empty() {
                    write!(w, "\n      ")?;
                }
            }
        }
        writeln!(w, "]")?;
        writeln!(w, "    }}{}", if i + 1 < n { "," } else { "" })?;
    }
    writeln!(w, "  }}")?;
    writeln!(w, "}}")?;
    Ok(())
}

pub(crate) fn tenant_info(
    resources: &BTreeMap<String, ResourceEntry>,
    fallback: Option<&str>,
) -> TenantInfo {
    let org = resources
        .get(Resource::Organization.key())
        .filter(|e| e.status == Status::Ok)
        .and_then(|e| e.items.first());
    let s = |k: &str| {
        org.and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    TenantInfo {
        id: s("id")
            .or_else(|| fallback.map(str::to_string))
            .unwrap_or_else(|| "unknown".into()),
        name: s("displayName").unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn a_collection_without_a_terminal_says_it_is_alive() {
        let requests = std::sync::atomic::AtomicU64::new(7);
        let mut lines = Vec::new();
        let work = tokio::time::sleep(std::time::Duration::from_millis(260));
        with_heartbeat(
            Some(std::time::Duration::from_millis(100)),
            &requests,
            |l| lines.push(l),
            work,
        )
        .await;
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("intune-audit: collecting… 7 Graph requests so far"));
        let mut none = Vec::new();
        with_heartbeat(None, &requests, |l| none.push(l), async {}).await;
        assert!(none.is_empty());
    }
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("a b'c&d"), "a%20b%27c%26d");
    }

    #[cfg(unix)]
    #[test]
    fn spool_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Sink::new(Some(dir.path()), "users");
        sink.push(json!({"id": "u1"}));
        let (_, file) = sink.finish().unwrap();
        let file = file.expect("spooled to a file");
        let mode = std::fs::metadata(&file.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    /// A killed run may have written pages (or half an item) after its last checkpoint: a
    /// resume cuts the spool back to the committed length and appends from there.
    #[test]
    fn a_restored_spool_drops_what_followed_its_last_committed_page() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Sink::new(Some(dir.path()), "users");
        sink.push(json!({"id": "u1"}));
        sink.push(json!({"id": "u2"}));
        let committed = sink.commit().expect("a spool commits");
        sink.push(json!({"id": "u3"}));
        drop(sink);
        let path = dir.path().join("users.jsonl");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b",\n{\"id\":\"u4").unwrap();
        drop(f);

        let mut sink = Sink::open(Some(dir.path()), "users", true);
        sink.restore(committed).unwrap();
        sink.push(json!({"id": "u5"}));
        let (_, file) = sink.finish().unwrap();
        assert_eq!(file.expect("spooled").count, 3);
        let text = std::fs::read_to_string(&path).unwrap();
        let items: Value = serde_json::from_str(&format!("[{text}]")).unwrap();
        assert_eq!(items, json!([{"id": "u1"}, {"id": "u2"}, {"id": "u5"}]));

        // A spool shorter than its checkpoint is read again, never trusted.
        std::fs::write(&path, "{\"id\":").unwrap();
        let mut sink = Sink::open(Some(dir.path()), "users", true);
        assert!(sink.restore(committed).is_err());
        let done = State::Done {
            entry: ResourceEntry::ok("/v1.0/users", Vec::new()),
            spool: Some(committed),
        };
        assert!(restore_done(Some(&done), Some(dir.path()), "users").is_none());
    }

    #[test]
    fn referenced_groups_skip_virtual_ids_and_dedupe() {
        let mut r = BTreeMap::new();
        r.insert(
            "deviceEnrollmentConfigurations".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![json!({"id":"c","assignments":[
                    {"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"AAA"}},
                    {"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":ALL_USERS_VIRTUAL_GROUP}},
                    {"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]})],
            ),
        );
        r.insert(
            "mobileDeviceManagementPolicies".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![json!({"id":"p","includedGroups":[{"id":"bbb"},{"id":"aaa"}]})],
            ),
        );
        r.insert(
            "deviceRegistrationPolicy".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![json!({"id":"deviceRegistrationPolicy","azureADJoin":{"allowedToJoin":{
                    "@odata.type":"#microsoft.graph.enumeratedDeviceRegistrationMembership","groups":["ccc"],"users":["u"]}}})],
            ),
        );
        assert_eq!(referenced_groups(&r), vec!["aaa", "bbb", "ccc"]);
        r.insert(
            "conditionalAccessPolicies".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![
                    json!({"id":"p","conditions":{"users":{"includeUsers":["All"],
                    "includeGroups":["DDD"],"excludeGroups":["eee"],"includeRoles":["r"]}}}),
                ],
            ),
        );
        // Only the device restrictions that disable the sign-in assistant send their groups.
        let restriction = |value: &str, group: &str| {
            json!({"@odata.type":"#microsoft.graph.windows10GeneralConfiguration","id":group,
                "microsoftAccountSignInAssistantSettings":value,"assignments":[
                {"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":group}}]})
        };
        r.insert(
            "deviceConfigurations".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![
                    restriction("disabled", "fff"),
                    restriction("notConfigured", "ggg"),
                ],
            ),
        );
        assert_eq!(
            referenced_groups(&r),
            vec!["aaa", "bbb", "ccc", "ddd", "eee", "fff"]
        );
        // Custom profiles send their groups only with an AppLocker OMA-URI (any letter case),
        // an OMA-URI without its URI, or OMA-URI settings not reported.
        let custom = |uri: Option<&str>, group: &str| {
            let mut setting = json!({"@odata.type":"#microsoft.graph.omaSettingString",
                "displayName":"rule","value":"<RuleCollection />"});
            if let Some(uri) = uri {
                setting["omaUri"] = json!(uri);
            }
            json!({"@odata.type":"#microsoft.graph.windows10CustomConfiguration","id":group,
                "omaSettings":[setting],"assignments":[
                {"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":group}}]})
        };
        let mut unreported = custom(None, "lll");
        unreported.as_object_mut().map(|m| m.remove("omaSettings"));
        let mut other = custom(Some("./Vendor/MSFT/AppLocker/X/EXE/Policy"), "mmm");
        other["@odata.type"] = json!("#microsoft.graph.windows10EndpointProtectionConfiguration");
        r.insert(
            "deviceConfigurations".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![
                    restriction("disabled", "fff"),
                    custom(
                        Some("./Vendor/MSFT/AppLocker/ApplicationLaunchRestrictions/G/EXE/Policy"),
                        "hhh",
                    ),
                    custom(Some("./device/vendor/msft/applocker/G/MSI/Policy"), "iii"),
                    custom(
                        Some("./Device/Vendor/MSFT/Policy/Config/Start/HideSleep"),
                        "jjj",
                    ),
                    custom(None, "kkk"),
                    unreported,
                    other,
                ],
            ),
        );
        assert_eq!(
            referenced_groups(&r),
            vec!["aaa", "bbb", "ccc", "ddd", "eee", "fff", "hhh", "iii", "kkk", "lll"]
        );
    }
}
