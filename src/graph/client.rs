//! The read-only Graph client.
//!
//! Read-only by construction: the only requests this type can send are a GET of a Graph URL
//! and a POST to `{version}/$batch` whose sub-requests are GETs ([`BatchGet`] has no method
//! field; its JSON always says `"GET"`). The token POST lives in `auth`. There is no generic
//! `send(method, …)` anywhere; `tests/read_only.rs` checks both the wire and the source.

use crate::auth::{AuthError, Authenticator};
use crate::graph::plan::{ApiVersion, Bucket};
use crate::graph::retry::{is_retryable, is_throttling, parse_retry_after, Gate, RetryPolicy};
use crate::text::one_line;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Sub-requests per `$batch` (Graph's limit).
pub const BATCH_LIMIT: usize = 20;

/// Why a Graph read failed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status (after retries, for retryable ones).
    #[error("HTTP {status}{}: {message}", if code.is_empty() { String::new() } else { format!(" {code}") })]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    /// The body was not the JSON Graph documents.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// No answer: connection refused, timeout, TLS.
    #[error("no response from Graph: {0}")]
    Transport(String),
    /// A paging loop: Graph handed out a nextLink it had already given.
    #[error("Graph repeated the same @odata.nextLink; stopped paging instead of looping")]
    RepeatedNextLink,
    /// A nextLink to another host would receive our token.
    #[error("an @odata.nextLink points outside the Graph base URL ({0}); not followed")]
    ForeignNextLink(String),
    /// Signing in failed (fatal for the whole run).
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl GraphError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Graph rejected the access token itself (expired or invalid), as opposed to refusing a
    /// permission: signing in again is the fix, not a grant.
    pub fn is_rejected_token(&self) -> bool {
        match self {
            GraphError::Status {
                status: 401,
                code,
                message,
            } => is_rejected_token(code, message),
            _ => false,
        }
    }
}

/// A 401's code and message say the token was rejected (not "Unsupported app-only call").
pub fn is_rejected_token(code: &str, message: &str) -> bool {
    code == "InvalidAuthenticationToken" || message.contains("token is expired")
}

/// One page of a collection.
#[derive(Debug, Deserialize)]
pub struct Page {
    pub value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

/// Parses the body of a 2xx answer to a collection GET (what [`GraphClient::for_each_page`]
/// reads): JSON with a `value` array and an optional `@odata.nextLink`.
pub fn parse_page(body: &[u8]) -> Result<Page, GraphError> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| GraphError::Malformed(format!("the body is not JSON ({e})")))?;
    serde_json::from_value(json)
        .map_err(|e| GraphError::Malformed(format!("not a Graph collection page ({e})")))
}

/// Graph's error envelope: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorInner,
}
#[derive(Debug, Default, Deserialize)]
struct ErrorInner {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// `(code, message)` from an error body, tolerating any shape.
pub fn error_parts(body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => (one_line(&b.error.code), message_line(&b.error.message)),
        Err(_) => (String::new(), one_line(&String::from_utf8_lossy(body))),
    }
}

/// A Graph error message on one line. Intune puts its own JSON inside the message string
/// (`{"_version": 3, "Message": "An error has occurred - Operation ID …", …}`, often over
/// several lines, whose first line is `{`): its inner `Message` is what to show.
pub fn message_line(message: &str) -> String {
    let inner = message
        .trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str::<Value>(message.trim()).ok())
        .flatten()
        .and_then(|v| {
            ["Message", "message"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
        });
    one_line(inner.as_deref().unwrap_or(message))
}

fn error_parts_value(body: &Value) -> (String, String) {
    let e = body.get("error");
    let s = |k: &str| {
        e.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (one_line(&s("code")), message_line(&s("message")))
}

/// A GET inside a `$batch`. There is deliberately no way to give it another method.
#[derive(Debug, Clone)]
pub struct BatchGet {
    pub id: String,
    /// Relative to the batch's version, starting with `/` (e.g. `/groups/{id}?$select=id`).
    pub url: String,
    pub consistency_eventual: bool,
}

impl BatchGet {
    pub fn new(id: impl Into<String>, url: impl Into<String>) -> BatchGet {
        BatchGet {
            id: id.into(),
            url: url.into(),
            consistency_eventual: false,
        }
    }

    /// The JSON of the sub-request; the method is always GET.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::json!({"id": self.id, "method": "GET", "url": self.url});
        if self.consistency_eventual {
            v["headers"] = serde_json::json!({"ConsistencyLevel": "eventual"});
        }
        v
    }
}

/// The answer to one sub-request.
#[derive(Debug, Clone)]
pub struct BatchResponse {
    pub status: u16,
    pub body: Value,
}

impl BatchResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
    pub fn error(&self) -> GraphError {
        let (code, message) = error_parts_value(&self.body);
        GraphError::Status {
            status: self.status,
            code,
            message,
        }
    }
}

/// The two requests the client can make. Private: nothing outside this module builds requests.
enum ReadRequest<'a> {
    Get {
        url: &'a str,
        consistency_eventual: bool,
    },
    Batch {
        url: String,
        body: Value,
        /// Sub-requests: what the batch costs the bucket's pacer.
        units: u32,
    },
}

/// What one exchange ended with (after retries).
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// Counters for the progress line and the summary.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: std::sync::atomic::AtomicU64,
    pub retries: std::sync::atomic::AtomicU64,
    pub throttled: std::sync::atomic::AtomicU64,
}

pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    auth: Arc<Authenticator>,
    policy: RetryPolicy,
    gates: [Gate; 3],
    /// Throttled requests are retried until then ([`RetryPolicy::deadline`] from the start).
    deadline: tokio::time::Instant,
    pub stats: Stats,
}

impl GraphClient {
    pub fn new(
        base: &str,
        auth: Arc<Authenticator>,
        policy: RetryPolicy,
    ) -> Result<GraphClient, GraphError> {
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout.min(Duration::from_secs(20)))
            .user_agent(concat!("intune-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Transport(e.to_string()))?;
        let gates = [
            Gate::new(policy.concurrency),
            Gate::new(policy.concurrency),
            Gate::new(policy.concurrency),
        ];
        Ok(GraphClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
            deadline: tokio::time::Instant::now() + policy.deadline,
            policy,
            gates,
            stats: Stats::default(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    fn gate(&self, bucket: Bucket) -> &Gate {
        &self.gates[bucket.index()]
    }

    /// Whether a throttled request that must wait `wait` may still be retried: only while the
    /// wait ends before the deadline.
    fn throttled_retry_fits(&self, wait: Duration) -> bool {
        tokio::time::Instant::now() + wait <= self.deadline
    }

    /// Sends one request with retries, throttling and one token refresh on an expired token.
    async fn exchange(&self, bucket: Bucket, req: &ReadRequest<'_>) -> Result<Answer, GraphError> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut refreshed = false;
        let mut retry: u32 = 0;
        let mut token = self.auth.token().await?;
        let units = match req {
            ReadRequest::Get { .. } => 1,
            ReadRequest::Batch { units, .. } => *units,
        };
        loop {
            let permit = self.gate(bucket).enter(units).await;
            self.stats.requests.fetch_add(1, Relaxed);
            let mut headers = HeaderMap::new();
            let bearer = format!("Bearer {}", token.secret.expose_secret());
            let mut auth_value = HeaderValue::from_str(&bearer).map_err(|_| {
                GraphError::Auth(AuthError::new(
                    "the access token has characters a header cannot carry",
                ))
            })?;
            auth_value.set_sensitive(true);
            headers.insert(AUTHORIZATION, auth_value);
            if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
                headers.insert("client-request-id", v);
            }
            let builder = match req {
                ReadRequest::Get {
                    url,
                    consistency_eventual,
                } => {
                    if *consistency_eventual {
                        headers.insert("ConsistencyLevel", HeaderValue::from_static("eventual"));
                    }
                    self.http.get(*url).headers(headers)
                }
                ReadRequest::Batch { url, body, .. } => {
                    self.http.post(url).headers(headers).json(body)
                }
            };
            let (method, url) = match req {
                ReadRequest::Get { url, .. } => ("GET", *url),
                ReadRequest::Batch { url, .. } => ("POST", url.as_str()),
            };
            let started = std::time::Instant::now();
            let result = builder.send().await;
            drop(permit);
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    if retry + 1 < self.policy.max_attempts {
                        tokio::time::sleep(self.policy.backoff(retry)).await;
                        retry += 1;
                        self.stats.retries.fetch_add(1, Relaxed);
                        continue;
                    }
                    log::info!(
                        "{method} {} → {} after {} ms",
                        log_path(&self.base, url),
                        transport_message(&e),
                        started.elapsed().as_millis()
                    );
                    return Err(GraphError::Transport(transport_message(&e)));
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = match response.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    if retry + 1 < self.policy.max_attempts {
                        tokio::time::sleep(self.policy.backoff(retry)).await;
                        retry += 1;
                        self.stats.retries.fetch_add(1, Relaxed);
                        continue;
                    }
                    return Err(GraphError::Transport(transport_message(&e)));
                }
            };
            log::info!(
                "{method} {} → {status} in {} ms{}",
                log_path(&self.base, url),
                started.elapsed().as_millis(),
                if retry > 0 {
                    format!(" (attempt {})", retry + 1)
                } else {
                    String::new()
                }
            );
            if is_retryable(status) {
                let retry_after = headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let wait = self.policy.delay(retry_after, retry);
                // Throttling waits until the deadline; a failing gateway gets a few attempts.
                let again = if is_throttling(status) {
                    self.throttled_retry_fits(wait)
                } else {
                    retry + 1 < self.policy.max_attempts
                };
                if again {
                    if status == 429 {
                        self.stats.throttled.fetch_add(1, Relaxed);
                        self.gate(bucket).throttled(wait);
                    }
                    tokio::time::sleep(wait).await;
                    retry += 1;
                    self.stats.retries.fetch_add(1, Relaxed);
                    continue;
                }
                if is_throttling(status) {
                    log::info!(
                        "{method} {}: still throttled ({status}) at the deadline ({} s after the start); giving up",
                        log_path(&self.base, url),
                        self.policy.deadline.as_secs()
                    );
                }
            }
            if (200..300).contains(&status) {
                if let ReadRequest::Get { .. } = req {
                    self.gate(bucket).succeeded(1);
                }
            }
            if status == 401 && !refreshed && is_expired_token(&body) {
                refreshed = true;
                token = self.auth.refresh(token.generation).await?;
                continue;
            }
            return Ok(Answer { status, body });
        }
    }

    /// GETs one absolute URL below the base and parses the JSON body.
    pub async fn get_json(
        &self,
        bucket: Bucket,
        url: &str,
        consistency_eventual: bool,
    ) -> Result<Value, GraphError> {
        let body = self.get_body(bucket, url, consistency_eventual).await?;
        serde_json::from_slice(&body)
            .map_err(|e| GraphError::Malformed(format!("the body is not JSON ({e})")))
    }

    /// GETs one absolute URL below the base: the body of a 2xx answer, else the error.
    async fn get_body(
        &self,
        bucket: Bucket,
        url: &str,
        consistency_eventual: bool,
    ) -> Result<Vec<u8>, GraphError> {
        self.check_url(url)?;
        let answer = self
            .exchange(
                bucket,
                &ReadRequest::Get {
                    url,
                    consistency_eventual,
                },
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            let (code, message) = error_parts(&answer.body);
            return Err(GraphError::Status {
                status: answer.status,
                code,
                message,
            });
        }
        Ok(answer.body)
    }

    /// Pages through a collection from `first_url`, handing each page's items to `on_page`.
    /// Follows `@odata.nextLink` verbatim, re-sending `ConsistencyLevel`; a repeated nextLink
    /// is an error, not a loop.
    pub async fn for_each_page(
        &self,
        bucket: Bucket,
        first_url: &str,
        consistency_eventual: bool,
        mut on_page: impl FnMut(Vec<Value>),
    ) -> Result<(), GraphError> {
        self.for_each_linked_page(bucket, first_url, consistency_eventual, |items, _| {
            on_page(items)
        })
        .await
    }

    /// [`GraphClient::for_each_page`], handing `on_page` the page's nextLink too (`None` on
    /// the last page): a checkpoint records where to continue.
    pub async fn for_each_linked_page(
        &self,
        bucket: Bucket,
        first_url: &str,
        consistency_eventual: bool,
        mut on_page: impl FnMut(Vec<Value>, Option<&str>),
    ) -> Result<(), GraphError> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut url = first_url.to_string();
        loop {
            let body = self.get_body(bucket, &url, consistency_eventual).await?;
            let page = parse_page(&body)?;
            on_page(page.value, page.next_link.as_deref());
            match page.next_link {
                None => return Ok(()),
                Some(next) => {
                    if !seen.insert(next.clone()) || next == first_url {
                        return Err(GraphError::RepeatedNextLink);
                    }
                    url = next;
                }
            }
        }
    }

    /// Sends GETs through `{base}/{version}/$batch`, 20 at a time. Throttled sub-requests
    /// (429/503/424) are retried in a new batch after the largest Retry-After among them, until
    /// the deadline; 502/504 ones a few times.
    /// Returns every id's final answer.
    pub async fn batch(
        &self,
        bucket: Bucket,
        version: ApiVersion,
        requests: Vec<BatchGet>,
    ) -> Result<HashMap<String, BatchResponse>, GraphError> {
        let url = format!("{}/{}/$batch", self.base, version.segment());
        let mut out: HashMap<String, BatchResponse> = HashMap::new();
        for r in &requests {
            if !r.url.starts_with('/') || r.url.contains("://") {
                return Err(GraphError::Malformed(format!(
                    "batch sub-request {} must be a path below the Graph version, not {:?}",
                    r.id, r.url
                )));
            }
        }
        for chunk in requests.chunks(BATCH_LIMIT) {
            let mut pending: Vec<BatchGet> = chunk.to_vec();
            let mut retry: u32 = 0;
            let mut refreshed = false;
            while !pending.is_empty() {
                let body = serde_json::json!({
                    "requests": pending.iter().map(BatchGet::to_json).collect::<Vec<_>>()
                });
                let answer = self
                    .exchange(
                        bucket,
                        &ReadRequest::Batch {
                            url: url.clone(),
                            body,
                            units: u32::try_from(pending.len()).unwrap_or(u32::MAX),
                        },
                    )
                    .await?;
                if !(200..300).contains(&answer.status) {
                    let (code, message) = error_parts(&answer.body);
                    return Err(GraphError::Status {
                        status: answer.status,
                        code,
                        message,
                    });
                }
                let responses = parse_batch(&answer.body)?;
                let mut again: Vec<BatchGet> = Vec::new();
                let mut wait: Option<Duration> = None;
                let mut expired = false;
                // Sub-requests that got their final answer this round: while some do, the
                // batch is making progress under throttling and keeps its attempts (each such
                // round settles at least one of at most 20, so this stays bounded).
                let mut settled = 0usize;
                let mut sub_throttled = false;
                for req in pending {
                    let Some((resp, retry_after)) = responses.get(&req.id) else {
                        return Err(GraphError::Malformed(format!(
                            "the $batch answer has no response for sub-request {}",
                            req.id
                        )));
                    };
                    let throttled = is_retryable(resp.status) || resp.status == 424;
                    let token_expired = resp.status == 401
                        && !refreshed
                        && error_parts_value(&resp.body).0 == "InvalidAuthenticationToken";
                    let d = self.policy.delay(*retry_after, retry);
                    // Throttling waits until the deadline; a failing gateway gets a few attempts.
                    let retry_it = if is_throttling(resp.status) {
                        self.throttled_retry_fits(d)
                    } else {
                        throttled && retry + 1 < self.policy.max_attempts
                    };
                    if retry_it || token_expired {
                        if throttled {
                            wait = Some(wait.map_or(d, |w| w.max(d)));
                            sub_throttled |= resp.status == 429;
                        }
                        expired |= token_expired;
                        again.push(req);
                    } else {
                        settled += usize::from(!throttled);
                        out.insert(req.id.clone(), resp.clone());
                    }
                }
                if expired {
                    refreshed = true;
                    let token = self.auth.token().await?;
                    self.auth.refresh(token.generation).await?;
                }
                self.gate(bucket)
                    .succeeded(u32::try_from(settled).unwrap_or(u32::MAX));
                if let Some(w) = wait {
                    use std::sync::atomic::Ordering::Relaxed;
                    self.stats.throttled.fetch_add(1, Relaxed);
                    self.stats.retries.fetch_add(1, Relaxed);
                    if sub_throttled {
                        self.gate(bucket).throttled(w);
                    } else {
                        self.gate(bucket).pause(w);
                    }
                    tokio::time::sleep(w).await;
                    retry = if settled > 0 { 0 } else { retry + 1 };
                }
                pending = again;
            }
        }
        Ok(out)
    }

    /// Refuses URLs outside the Graph base: they would receive our token.
    fn check_url(&self, url: &str) -> Result<(), GraphError> {
        let inside = url
            .strip_prefix(&self.base)
            .is_some_and(|rest| rest.starts_with('/'));
        if inside {
            Ok(())
        } else {
            Err(GraphError::ForeignNextLink(url.to_string()))
        }
    }
}

/// Sub-responses of a `$batch` answer's body by id, each with its Retry-After.
pub fn parse_batch(
    body: &[u8],
) -> Result<HashMap<String, (BatchResponse, Option<Duration>)>, GraphError> {
    #[derive(Deserialize)]
    struct Envelope {
        responses: Vec<Sub>,
    }
    #[derive(Deserialize)]
    struct Sub {
        id: String,
        status: u16,
        #[serde(default)]
        headers: HashMap<String, Value>,
        #[serde(default)]
        body: Value,
    }
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|e| GraphError::Malformed(format!("not a $batch answer ({e})")))?;
    let mut out = HashMap::new();
    for sub in env.responses {
        let retry_after = sub
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, v)| match v {
                Value::String(s) => parse_retry_after(s, SystemTime::now()),
                Value::Number(n) => n
                    .as_f64()
                    .and_then(|f| parse_retry_after(&f.to_string(), SystemTime::now())),
                _ => None,
            });
        out.insert(
            sub.id,
            (
                BatchResponse {
                    status: sub.status,
                    body: sub.body,
                },
                retry_after,
            ),
        );
    }
    Ok(out)
}

/// Graph's 401 for an expired or invalid token (as opposed to "Unsupported app-only call").
/// A request's URL for the log: the path and query below the Graph base (never a header, so
/// never a token).
fn log_path<'a>(base: &str, url: &'a str) -> &'a str {
    url.strip_prefix(base).unwrap_or(url)
}

fn is_expired_token(body: &[u8]) -> bool {
    let (code, message) = error_parts(body);
    is_rejected_token(&code, &message)
}

/// A transport error without the request URL's query (which can be long) but with the cause.
fn transport_message(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "the request timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the connection failed".to_string()
    };
    if let Some(url) = e.url() {
        msg.push_str(&format!(
            " ({}://{})",
            url.scheme(),
            url.host_str().unwrap_or("")
        ));
        if let Some(port) = url.port() {
            msg.pop();
            msg.push_str(&format!(":{port})"));
        }
    }
    let mut source = std::error::Error::source(e);
    if let Some(s) = source.take() {
        let mut inner = s;
        while let Some(next) = inner.source() {
            inner = next;
        }
        msg.push_str(&format!(": {inner}"));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sub_requests_are_always_get() {
        let j = BatchGet::new("1", "/groups/x?$select=id").to_json();
        assert_eq!(j["method"], "GET");
        let mut b = BatchGet::new("2", "/users");
        b.consistency_eventual = true;
        assert_eq!(b.to_json()["headers"]["ConsistencyLevel"], "eventual");
    }

    #[test]
    fn error_bodies_become_one_line() {
        let (c, m) = error_parts(
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.\r\nmore"}}"#,
        );
        assert_eq!(c, "Authorization_RequestDenied");
        assert_eq!(m, "Insufficient privileges.");
        let (c, m) = error_parts(b"<html>bad gateway</html>");
        assert_eq!(c, "");
        assert_eq!(m, "<html>bad gateway</html>");
        assert!(is_expired_token(
            br#"{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}"#
        ));
        assert!(!is_expired_token(
            br#"{"error":{"code":"UnknownError","message":"Unsupported app-only call."}}"#
        ));
    }

    #[test]
    fn intune_json_inside_the_message_shows_its_inner_message() {
        let inner = "{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 1\",\r\n  \"CustomApiErrorPhrase\": \"\"\r\n}";
        let body = serde_json::json!({"error": {"code": "BadRequest", "message": inner}});
        let (c, m) = error_parts(body.to_string().as_bytes());
        assert_eq!(c, "BadRequest");
        assert!(m.starts_with("An error has occurred - Operation ID"), "{m}");
        let (_, m) = error_parts_value(&body);
        assert!(m.starts_with("An error has occurred"), "{m}");
        // Not JSON after all: the first line, as before.
        assert_eq!(message_line("{ not json\nmore"), "{ not json");
    }

    #[test]
    fn batch_answers_parse_with_retry_after() {
        let body = br#"{"responses":[
            {"id":"1","status":200,"body":{"id":"g"}},
            {"id":"2","status":429,"headers":{"Retry-After":"0.5"},"body":{"error":{"code":"TooManyRequests","message":"slow"}}}
        ]}"#;
        let m = parse_batch(body).unwrap();
        assert_eq!(m["1"].0.status, 200);
        assert_eq!(m["2"].1, Some(Duration::from_millis(500)));
        assert!(parse_batch(b"{}").is_err());
    }
}
