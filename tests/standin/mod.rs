//! A loopback Microsoft Graph stand-in for tests: a token endpoint (client secret, certificate
//! assertion, federated assertion, device code, refresh), the GitHub Actions OIDC and App
//! Service managed identity endpoints, and Graph itself serving any [`Snapshot`]'s resources at
//! the request plan's paths with `@odata.nextLink` paging and `$batch`. Faults (throttling,
//! 5xx, 403, malformed bodies, token expiry) are scripted per resource.
//!
//! Test-only. It binds 127.0.0.1 on a free port and serves until the test ends.

#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use intune_audit::graph::plan::{Shape, PLAN};
use intune_audit_checks::snapshot::Status;
use intune_audit_checks::{Resource, Snapshot};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT_ID: &str = "22222222-3333-4444-5555-666666666666";
pub const GH_REQUEST_TOKEN: &str = "gh-request-token-for-tests";
pub const GH_FEDERATED: &str = "gh-federated-jwt-for-tests";
pub const MSI_HEADER: &str = "msi-header-for-tests";

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Step {
    pub status: u16,
    pub retry_after: Option<String>,
    /// Raw body; `None` = a Graph error envelope for non-2xx, or the real data for 2xx.
    pub body: Option<String>,
}

impl Step {
    pub fn status(status: u16) -> Step {
        Step {
            status,
            retry_after: None,
            body: None,
        }
    }
    pub fn throttled(retry_after: &str) -> Step {
        Step {
            status: 429,
            retry_after: Some(retry_after.into()),
            body: None,
        }
    }
    pub fn malformed() -> Step {
        Step {
            status: 200,
            retry_after: None,
            body: Some("{\"value\": [ {\"id\": tru".into()),
        }
    }
}

/// How the token endpoint checks the client.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    Secret(String),
    Certificate {
        public_key_pem: String,
        x5t_s256: String,
    },
    /// A federated assertion that must be sent verbatim.
    Assertion(String),
    /// Accept anything (for tests about Graph, not sign-in).
    Any,
}

pub struct Config {
    pub snapshot: Snapshot,
    pub page_size: usize,
    pub client_auth: ClientAuth,
    /// Token lifetime in seconds.
    pub expires_in: u64,
    /// After this many Graph GETs, every token issued so far is rejected as expired.
    pub expire_tokens_after: Option<usize>,
    /// The caller is app-only: MDM/MAM policies answer 401 "Unsupported app-only call".
    pub app_only: bool,
    /// Graph rejects every token as invalid (401 InvalidAuthenticationToken), even fresh ones.
    pub reject_all_tokens: bool,
    /// Scripted answers per resource key (or `groups:{id}` for a group's sub-requests),
    /// consumed one per request.
    pub script: HashMap<String, VecDeque<Step>>,
    /// Answers given on every request to a resource key.
    pub always: HashMap<String, Step>,
    /// Device code: how many polls answer `authorization_pending` first.
    pub device_pending: usize,
    /// Device code: the devicecode endpoint refuses with this (error, error code).
    pub device_refusal: Option<(String, i64)>,
    /// Device code: polls answer `expired_token`.
    pub device_expired: bool,
    /// The token endpoint's answer to every request, e.g. 500 (a failing token endpoint).
    pub token_failure: Option<u16>,
}

impl Config {
    pub fn new(snapshot: Snapshot) -> Config {
        Config {
            snapshot,
            page_size: 3,
            client_auth: ClientAuth::Any,
            expires_in: 3600,
            expire_tokens_after: None,
            app_only: false,
            reject_all_tokens: false,
            script: HashMap::new(),
            always: HashMap::new(),
            device_pending: 1,
            device_refusal: None,
            device_expired: false,
            token_failure: None,
        }
    }
    pub fn script(mut self, key: &str, steps: Vec<Step>) -> Config {
        self.script.insert(key.into(), steps.into());
        self
    }
    pub fn with_secret(mut self, secret: &str) -> Config {
        self.client_auth = ClientAuth::Secret(secret.into());
        self
    }
    pub fn always(mut self, key: &str, step: Step) -> Config {
        self.always.insert(key.into(), step);
        self
    }
}

/// What the stand-in saw.
#[derive(Default)]
pub struct Log {
    /// `(method, path and query)` of every HTTP request, and of every `$batch` sub-request
    /// as `("batch:GET", url)`.
    pub requests: Vec<(String, String)>,
    pub token_requests: usize,
    pub tokens_issued: usize,
    pub graph_gets: usize,
    /// Token-endpoint problems found (a wrong claim, a missing field): must stay empty.
    pub violations: Vec<String>,
    /// Tokens rejected as expired.
    pub expired_rejections: usize,
    pub gh_oidc_requests: usize,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub code_verifiers: Vec<String>,
    /// The tenant segment of every token request (`/{tenant}/oauth2/v2.0/token`).
    pub token_tenants: Vec<String>,
}

/// `Some(tenant)` for `/{tenant}/oauth2/v2.0/token`.
fn token_path_tenant(path: &str) -> Option<&str> {
    let tenant = path.strip_prefix('/')?.strip_suffix("/oauth2/v2.0/token")?;
    (!tenant.is_empty() && !tenant.contains('/')).then_some(tenant)
}

struct State {
    config: Config,
    base: String,
    valid: HashSet<String>,
    log: Log,
    device_polls: usize,
}

pub struct StandIn {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl StandIn {
    /// The flags that point a live command at this stand-in with the test client: fast
    /// retries (2 ms base) and a short timeout, so failure paths finish quickly.
    pub fn connection_args(&self) -> Vec<String> {
        [
            "--graph-url",
            &self.base,
            "--login-url",
            &self.base,
            "--tenant",
            TENANT,
            "--client-id",
            CLIENT_ID,
            "--retry-base-ms",
            "2",
            "--timeout",
            "10",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    }

    pub async fn start(config: Config) -> StandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            config,
            base: base.clone(),
            valid: HashSet::new(),
            log: Log::default(),
            device_polls: 0,
        }));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let st = st.clone();
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
        StandIn { base, state }
    }

    pub fn log<T>(&self, f: impl FnOnce(&Log) -> T) -> T {
        f(&self.state.lock().unwrap().log)
    }

    /// A token the stand-in accepts, as if issued elsewhere (for --access-token-file, az).
    pub fn issue_token(&self) -> String {
        issue(&mut self.state.lock().unwrap())
    }

    pub fn token_url(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/token", self.base)
    }
}

fn reply(status: u16, body: String, headers: &[(&str, String)]) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(Full::new(Bytes::from(body))).unwrap()
}

fn graph_error(_status: u16, code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message, "innerError": {"request-id": "r"}}})
        .to_string()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut st = state.lock().unwrap();
    st.log.requests.push((method.clone(), target.clone()));
    let path = target.split('?').next().unwrap_or("").to_string();
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };

    // Any tenant segment: a many-tenant run points each tenant's sign-in at its own stand-in.
    if let Some(tenant) = token_path_tenant(&path) {
        if method == "POST" {
            st.log.token_tenants.push(tenant.to_string());
            return token_endpoint(&mut st, &form(&body));
        }
    }
    if method == "POST" && path == format!("/{TENANT}/oauth2/v2.0/devicecode") {
        let f = form(&body);
        st.log
            .scopes
            .push(f.get("scope").cloned().unwrap_or_default());
        if let Some((error, code)) = st.config.device_refusal.clone() {
            return reply(400, json!({"error": error, "error_description": format!("AADSTS{code}: Access has been blocked by Conditional Access policies."), "error_codes": [code]}).to_string(), &[]);
        }
        return reply(200, json!({"device_code": "dc-123", "user_code": "ABCD-EFGH", "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900, "interval": 0, "message": "To sign in, open https://microsoft.com/devicelogin and enter the code ABCD-EFGH."}).to_string(), &[]);
    }
    if method == "GET" && path == "/gh-oidc" {
        st.log.gh_oidc_requests += 1;
        let ok_aud = target.contains("audience=api%3A%2F%2FAzureADTokenExchange");
        if header("authorization") != format!("Bearer {GH_REQUEST_TOKEN}") || !ok_aud {
            st.log.violations.push(format!(
                "GitHub OIDC request: bad token or audience ({target})"
            ));
            return reply(401, "{}".into(), &[]);
        }
        return reply(200, json!({"value": GH_FEDERATED}).to_string(), &[]);
    }
    if method == "GET" && path == "/msi" {
        if header("x-identity-header") != MSI_HEADER
            || !target.contains("resource=https%3A%2F%2Fgraph.microsoft.com")
        {
            st.log.violations.push(format!(
                "managed identity request: bad header or resource ({target})"
            ));
            return reply(400, json!({"error": "invalid_request"}).to_string(), &[]);
        }
        let tok = issue(&mut st);
        let on = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        return reply(200, json!({"access_token": tok, "expires_on": on.to_string(), "resource": "https://graph.microsoft.com", "token_type": "Bearer"}).to_string(), &[]);
    }
    // Graph: bearer check first.
    let token = header("authorization")
        .strip_prefix("Bearer ")
        .unwrap_or("")
        .to_string();
    if !st.valid.contains(&token) || st.config.reject_all_tokens {
        st.log.expired_rejections += 1;
        return reply(
            401,
            graph_error(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            ),
            &[],
        );
    }
    if method == "POST" && (path == "/v1.0/$batch" || path == "/beta/$batch") {
        return batch(&mut st, &body);
    }
    if method != "GET" {
        st.log.violations.push(format!(
            "{method} {target}: Graph was sent a method other than GET"
        ));
        return reply(
            405,
            graph_error(405, "Request_BadRequest", "method not allowed"),
            &[],
        );
    }
    st.log.graph_gets += 1;
    if let Some(n) = st.config.expire_tokens_after {
        if st.log.graph_gets == n {
            st.valid.clear();
            st.log.expired_rejections += 1;
            return reply(
                401,
                graph_error(
                    401,
                    "InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired.",
                ),
                &[],
            );
        }
    }
    let (status, body, extra) = serve_get(&mut st, &target);
    let hdrs: Vec<(&str, String)> = extra.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    reply(status, body, &hdrs)
}

fn issue(st: &mut State) -> String {
    st.log.tokens_issued += 1;
    let tok = format!("stand-in-access-token-{}", st.log.tokens_issued);
    st.valid.insert(tok.clone());
    tok
}

fn token_endpoint(st: &mut State, f: &HashMap<String, String>) -> Response<Full<Bytes>> {
    st.log.token_requests += 1;
    if let Some(s) = st.config.token_failure {
        return reply(s, json!({"error": "temporarily_unavailable", "error_description": "AADSTS90033: A transient error has occurred."}).to_string(), &[]);
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let grant = get("grant_type");
    st.log.grant_types.push(grant.clone());
    st.log.scopes.push(get("scope"));
    let ok = |st: &mut State| {
        let tok = issue(st);
        let expires = st.config.expires_in;
        reply(200, json!({"token_type": "Bearer", "expires_in": expires, "ext_expires_in": expires, "access_token": tok,
            "refresh_token": if grant == "client_credentials" { Value::Null } else { json!("stand-in-refresh-token") }}).to_string(), &[])
    };
    let invalid_client = |desc: &str| {
        reply(401, json!({"error": "invalid_client", "error_description": format!("{desc}\r\nTrace ID: 1\r\nCorrelation ID: 2"), "error_codes": [7000215]}).to_string(), &[])
    };
    match grant.as_str() {
        "client_credentials" => {
            if get("client_id") != CLIENT_ID {
                st.log
                    .violations
                    .push(format!("client_id {:?}", get("client_id")));
                return reply(400, json!({"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."}).to_string(), &[]);
            }
            if get("scope") != "https://graph.microsoft.com/.default" {
                st.log.violations.push(format!("scope {:?}", get("scope")));
            }
            match st.config.client_auth.clone() {
                ClientAuth::Any => ok(st),
                ClientAuth::Secret(s) => {
                    if get("client_secret") == s {
                        ok(st)
                    } else {
                        invalid_client("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
                    }
                }
                ClientAuth::Assertion(a) => {
                    if get("client_assertion_type")
                        != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                    {
                        st.log.violations.push("client_assertion_type".into());
                    }
                    if get("client_assertion") == a {
                        ok(st)
                    } else {
                        invalid_client("AADSTS700213: No matching federated identity record found.")
                    }
                }
                ClientAuth::Certificate {
                    public_key_pem,
                    x5t_s256,
                } => {
                    let aud = format!("{}/{TENANT}/oauth2/v2.0/token", st.base);
                    match verify_assertion(
                        &get("client_assertion"),
                        &get("client_assertion_type"),
                        &public_key_pem,
                        &x5t_s256,
                        &aud,
                    ) {
                        Ok(()) => ok(st),
                        Err(e) => {
                            st.log.violations.push(format!("client assertion: {e}"));
                            invalid_client(
                                "AADSTS700027: Client assertion failed signature validation.",
                            )
                        }
                    }
                }
            }
        }
        "authorization_code" => {
            if get("code") != "auth-code-123"
                || !get("redirect_uri").starts_with("http://localhost:")
            {
                st.log.violations.push(format!(
                    "authorization_code grant: code/redirect_uri {:?}",
                    get("redirect_uri")
                ));
            }
            st.log.code_verifiers.push(get("code_verifier"));
            ok(st)
        }
        "refresh_token" => {
            if get("refresh_token") == "stand-in-refresh-token" {
                ok(st)
            } else {
                // Entra's answer to a revoked or expired refresh token.
                reply(400, json!({"error": "invalid_grant", "error_description": "AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: 1\r\nCorrelation ID: 2", "error_codes": [700082]}).to_string(), &[])
            }
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            if get("device_code") != "dc-123" {
                st.log.violations.push("device_code".into());
            }
            if st.config.device_expired {
                return reply(400, json!({"error": "expired_token", "error_description": "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired."}).to_string(), &[]);
            }
            st.device_polls += 1;
            if st.device_polls <= st.config.device_pending {
                return reply(400, json!({"error": "authorization_pending", "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending."}).to_string(), &[]);
            }
            ok(st)
        }
        other => {
            st.log.violations.push(format!("grant_type {other:?}"));
            reply(
                400,
                json!({"error": "unsupported_grant_type"}).to_string(),
                &[],
            )
        }
    }
}

fn verify_assertion(
    assertion: &str,
    kind: &str,
    public_key_pem: &str,
    x5t_s256: &str,
    aud: &str,
) -> Result<(), String> {
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
    if kind != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return Err(format!("client_assertion_type {kind:?}"));
    }
    let header = decode_header(assertion).map_err(|e| format!("header: {e}"))?;
    if header.alg != Algorithm::PS256 {
        return Err(format!("alg {:?}", header.alg));
    }
    if header.x5t_s256.as_deref() != Some(x5t_s256) {
        return Err(format!("x5t#S256 {:?}", header.x5t_s256));
    }
    let key = DecodingKey::from_rsa_pem(public_key_pem.as_bytes()).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::PS256);
    v.set_audience(&[aud]);
    v.set_issuer(&[CLIENT_ID]);
    v.sub = Some(CLIENT_ID.into());
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let data =
        decode::<Value>(assertion, &key, &v).map_err(|e| format!("signature/claims: {e}"))?;
    let c = data.claims;
    let jti = c.get("jti").and_then(Value::as_str).unwrap_or("");
    if uuid_like(jti).is_none() {
        return Err(format!("jti {jti:?}"));
    }
    let (nbf, exp) = (
        c["nbf"].as_u64().unwrap_or(0),
        c["exp"].as_u64().unwrap_or(0),
    );
    if exp <= nbf || exp - nbf > 600 || c.get("iat").and_then(Value::as_u64) != Some(nbf) {
        return Err("nbf/iat/exp".into());
    }
    Ok(())
}

fn uuid_like(s: &str) -> Option<()> {
    (s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4).then_some(())
}

/// Parses `$skiptoken` and `$top` and checks the plan's `$select` / `$expand` were sent.
fn page_params(query: &str) -> (usize, Option<usize>, String) {
    let pairs: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let skip = get("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0);
    let top = get("$top").and_then(|s| s.parse().ok());
    let base_query: Vec<String> = query
        .split('&')
        .filter(|p| !p.starts_with("$skiptoken="))
        .map(str::to_string)
        .collect();
    (skip, top, base_query.join("&"))
}

/// The next scripted answer for `key`; `{base}` in a scripted body becomes the stand-in's URL.
fn next_step(st: &mut State, key: &str) -> Option<Step> {
    let scripted = st.config.script.get_mut(key).and_then(|q| q.pop_front());
    let mut step = scripted.or_else(|| st.config.always.get(key).cloned())?;
    step.body = step.body.map(|b| b.replace("{base}", &st.base));
    Some(step)
}

fn step_answer(step: Step) -> (u16, String, Vec<(String, String)>) {
    let mut h = Vec::new();
    if let Some(r) = &step.retry_after {
        h.push(("Retry-After".to_string(), r.clone()));
    }
    let body = step.body.unwrap_or_else(|| match step.status {
        429 => graph_error(429, "TooManyRequests", "Too many requests."),
        403 => graph_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ),
        404 => graph_error(404, "Request_ResourceNotFound", "Resource not found."),
        s => graph_error(s, "UnknownError", "Something went wrong on the stand-in."),
    });
    (step.status, body, h)
}

/// Answers a Graph GET: `(status, body, headers)`.
fn serve_get(st: &mut State, target: &str) -> (u16, String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (skip, top, base_query) = page_params(query);
    if top.is_some_and(|t| t == 0 || t > 999) {
        return (
            400,
            graph_error(
                400,
                "Request_UnsupportedQuery",
                "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
            ),
            vec![],
        );
    }
    let page = top.unwrap_or(usize::MAX).min(st.config.page_size);
    if let Some(found) = subject_get(st, path, query) {
        return match found {
            Ok(Subject::One(v)) => (200, v.to_string(), vec![]),
            Ok(Subject::Many(all)) => (
                200,
                paged(&st.base, path, &base_query, &all, skip, page),
                vec![],
            ),
            Err(status) => step_answer(Step::status(status)),
        };
    }
    // Groups (the $batch fan-out and its next pages).
    if let Some(rest) = path.strip_prefix("/v1.0/groups/") {
        let (id, members) = match rest.split_once('/') {
            Some((id, "transitiveMembers")) => (id.to_string(), true),
            Some(_) => {
                return (
                    404,
                    graph_error(404, "Request_ResourceNotFound", "no such path"),
                    vec![],
                )
            }
            None => (rest.to_string(), false),
        };
        if let Some(step) = next_step(st, &format!("groups:{id}")) {
            return step_answer(step);
        }
        let group = st
            .config
            .snapshot
            .entry(Resource::GroupMembers)
            .and_then(|e| {
                e.items.iter().find(|g| {
                    g["id"]
                        .as_str()
                        .is_some_and(|g| g.eq_ignore_ascii_case(&id))
                })
            })
            .cloned();
        let Some(group) = group else {
            return (
                404,
                graph_error(
                    404,
                    "Request_ResourceNotFound",
                    &format!("Resource '{id}' does not exist"),
                ),
                vec![],
            );
        };
        if !members {
            return (
                200,
                json!({"id": group["id"], "displayName": group["displayName"]}).to_string(),
                vec![],
            );
        }
        let all = group["members"].as_array().cloned().unwrap_or_default();
        return (
            200,
            paged(&st.base, path, &base_query, &all, skip, page),
            vec![],
        );
    }
    let Some(row) = PLAN.iter().find(|r| {
        r.shape != Shape::GroupFanOut && path == format!("/{}{}", r.version.segment(), r.path)
    }) else {
        return (
            404,
            graph_error(
                404,
                "Request_ResourceNotFound",
                &format!("stand-in: no resource at {path}"),
            ),
            vec![],
        );
    };
    let key = row.resource.key();
    if skip == 0 {
        // The plan's query must be sent as the plan says.
        let expected = row.relative_url();
        let expected_query = expected.split_once('?').map(|(_, q)| q).unwrap_or("");
        if base_query != expected_query {
            st.log.violations.push(format!(
                "{key}: query {base_query:?} is not the plan's {expected_query:?}"
            ));
        }
    }
    if let Some(step) = next_step(st, key) {
        if step.status != 200 || step.body.is_some() {
            return step_answer(step);
        }
    }
    if row.resource.delegated_only() && st.config.app_only {
        return (
            401,
            graph_error(401, "UnknownError", "Unsupported app-only call."),
            vec![],
        );
    }
    let Some(entry) = st.config.snapshot.entry(row.resource).cloned() else {
        return (
            404,
            graph_error(404, "Request_ResourceNotFound", "not in this snapshot"),
            vec![],
        );
    };
    match entry.status {
        Status::Ok => {}
        Status::Forbidden => return step_answer(Step::status(403)),
        Status::NotFound => return step_answer(Step::status(404)),
        Status::Error => return step_answer(Step::status(500)),
    }
    if row.shape == Shape::Singleton {
        return (
            200,
            entry
                .items
                .first()
                .cloned()
                .unwrap_or(json!({}))
                .to_string(),
            vec![],
        );
    }
    (
        200,
        paged(&st.base, path, &base_query, &entry.items, skip, page),
        vec![],
    )
}

fn paged(
    base: &str,
    path: &str,
    base_query: &str,
    all: &[Value],
    skip: usize,
    page: usize,
) -> String {
    let start = skip.min(all.len());
    let end = start.saturating_add(page).min(all.len());
    let mut body =
        json!({"@odata.context": format!("{base}/v1.0/$metadata"), "value": all[start..end]});
    if end < all.len() {
        let sep = if base_query.is_empty() { "" } else { "&" };
        body["@odata.nextLink"] = json!(format!("{base}{path}?{base_query}{sep}$skiptoken={end}"));
    }
    body.to_string()
}

fn batch(st: &mut State, body: &[u8]) -> Response<Full<Bytes>> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return reply(
            400,
            graph_error(400, "BadRequest", "Invalid batch payload."),
            &[],
        );
    };
    let reqs = v["requests"].as_array().cloned().unwrap_or_default();
    if reqs.is_empty() || reqs.len() > 20 {
        st.log
            .violations
            .push(format!("$batch with {} requests", reqs.len()));
        return reply(
            400,
            graph_error(400, "BadRequest", "A batch must hold 1 to 20 requests."),
            &[],
        );
    }
    let mut responses = Vec::new();
    for r in reqs.iter().rev() {
        let id = r["id"].as_str().unwrap_or("").to_string();
        let m = r["method"].as_str().unwrap_or("").to_string();
        let url = r["url"].as_str().unwrap_or("").to_string();
        st.log.requests.push((format!("batch:{m}"), url.clone()));
        if m != "GET" {
            st.log
                .violations
                .push(format!("$batch sub-request {id} uses {m}"));
            responses.push(json!({"id": id, "status": 405, "body": {"error": {"code": "BadRequest", "message": "read-only stand-in"}}}));
            continue;
        }
        st.log.graph_gets += 1;
        let (status, body, headers) = serve_get(st, &format!("/v1.0{url}"));
        let h: serde_json::Map<String, Value> =
            headers.into_iter().map(|(k, v)| (k, json!(v))).collect();
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        responses.push(json!({"id": id, "status": status, "headers": h, "body": body}));
    }
    reply(200, json!({"responses": responses}).to_string(), &[])
}

/// What live `diagnose` asks about one user or device.
enum Subject {
    One(Value),
    Many(Vec<Value>),
}

fn items(st: &State, r: Resource) -> Vec<Value> {
    st.config
        .snapshot
        .entry(r)
        .map(|e| e.items.clone())
        .unwrap_or_default()
}

fn is(v: &Value, key: &str, want: &str) -> bool {
    v[key]
        .as_str()
        .is_some_and(|x| x.eq_ignore_ascii_case(want))
}

/// The groups (id, displayName) an object is a transitive member of.
fn groups_of(st: &State, id: &str) -> Vec<Value> {
    items(st, Resource::GroupMembers)
        .into_iter()
        .filter(|g| g["members"].as_array().is_some_and(|m| m.iter().any(|m| is(m, "id", id))))
        .map(|g| json!({"@odata.type": "#microsoft.graph.group", "id": g["id"], "displayName": g["displayName"]}))
        .collect()
}

/// The value of `$filter=KEY eq 'V'` or `contains(KEY,'V')` in a raw query.
fn filter_value(query: &str, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{query}"))
        .ok()?
        .query_pairs()
        .into_owned()
        .collect();
    let filter = pairs.iter().find(|(k, _)| k == "$filter")?.1.clone();
    let rest = filter
        .strip_prefix(&format!("{key} eq '"))
        .or_else(|| filter.strip_prefix(&format!("contains({key},'")))?;
    let end = rest.rfind('\'')?;
    Some(rest[..end].replace("''", "'"))
}

/// The per-subject reads of live `diagnose`; `None` for every other path.
fn subject_get(st: &State, path: &str, query: &str) -> Option<Result<Subject, u16>> {
    let decoded = percent_decode(path);
    let segs: Vec<&str> = decoded.trim_start_matches('/').split('/').collect();
    let one = |v: Option<Value>| Some(v.map(Subject::One).ok_or(404));
    let many = |v: Vec<Value>| Some(Ok(Subject::Many(v)));
    match segs.as_slice() {
        ["v1.0", "users", key] => one(items(st, Resource::Users)
            .into_iter()
            .find(|u| is(u, "id", key) || is(u, "userPrincipalName", key))),
        ["v1.0", "users" | "devices", id, "transitiveMemberOf", "microsoft.graph.group"] => {
            many(groups_of(st, id))
        }
        ["v1.0", "users", id, "managedDevices"] => many(
            items(st, Resource::ManagedDevices)
                .into_iter()
                .filter(|d| is(d, "userId", id))
                .collect(),
        ),
        ["v1.0", "users", id, "ownedDevices", "microsoft.graph.device"] => many(
            items(st, Resource::Devices)
                .into_iter()
                .filter(|d| {
                    d["registeredOwners"]
                        .as_array()
                        .is_some_and(|o| o.iter().any(|o| is(o, "id", id)))
                })
                .map(|mut d| {
                    d.as_object_mut().map(|m| m.remove("registeredOwners"));
                    d
                })
                .collect(),
        ),
        ["v1.0", "devices", id] => one(items(st, Resource::Devices)
            .into_iter()
            .find(|d| is(d, "id", id))),
        ["v1.0", "devices"] => {
            let want = filter_value(query, "deviceId")?;
            many(
                items(st, Resource::Devices)
                    .into_iter()
                    .filter(|d| is(d, "deviceId", &want))
                    .collect(),
            )
        }
        ["v1.0", "deviceManagement", "managedDevices", id] => {
            one(items(st, Resource::ManagedDevices)
                .into_iter()
                .find(|d| is(d, "id", id)))
        }
        ["v1.0", "deviceManagement", "managedDevices"] => {
            let want = filter_value(query, "serialNumber")?;
            many(
                items(st, Resource::ManagedDevices)
                    .into_iter()
                    .filter(|d| is(d, "serialNumber", &want))
                    .collect(),
            )
        }
        ["beta", "deviceManagement", "windowsAutopilotDeviceIdentities", id] => {
            one(items(st, Resource::WindowsAutopilotDeviceIdentities)
                .into_iter()
                .find(|d| is(d, "id", id)))
        }
        ["beta", "deviceManagement", "windowsAutopilotDeviceIdentities"] => {
            let want = filter_value(query, "serialNumber")?.to_ascii_lowercase();
            many(
                items(st, Resource::WindowsAutopilotDeviceIdentities)
                    .into_iter()
                    .filter(|d| {
                        d["serialNumber"]
                            .as_str()
                            .is_some_and(|s| s.to_ascii_lowercase().contains(&want))
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

fn percent_decode(s: &str) -> String {
    reqwest::Url::parse(&format!("http://x/?p={s}"))
        .ok()
        .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
        .unwrap_or_else(|| s.to_string())
}

/// The binary's exit code and output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON; panics with stderr when it is not (a test failure, with the reason).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", self.stderr))
    }
}

/// Runs the binary with a clean credential environment plus `env`.
pub async fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_intune-audit"));
    cmd.args(args);
    // Delegated sign-ins in tests never touch the machine's credential store; the token-cache
    // tests turn the cache back on with a file store of their own.
    cmd.env("INTUNE_AUDIT_NO_TOKEN_CACHE", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("AZURE_")
            || k.starts_with("ACTIONS_")
            || k.starts_with("IDENTITY_")
            || k == "MSI_ENDPOINT"
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
    if let Some(text) = stdin {
        let mut si = child.stdin.take().unwrap();
        si.write_all(text.as_bytes()).await.unwrap();
        drop(si);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("finishes within a minute")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}
