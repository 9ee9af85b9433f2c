//! Delegated sign-in for an admin at a keyboard: device code (RFC 8628 polling) and the
//! authorization code flow with PKCE on a loopback redirect.

use super::{AuthError, Authenticator, Grant, OAuthFailure};
use base64::Engine;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long the browser sign-in may take.
const INTERACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

fn policy_hint(f: &OAuthFailure, flow: &str) -> String {
    if f.blocked_by_policy() {
        format!(
            "{flow} sign-in was refused by the tenant's policy ({f}); many hardened tenants block the \
             device code flow with Conditional Access: use --interactive instead"
        )
    } else {
        format!("{flow} sign-in failed: {f}")
    }
}

/// Device code flow: the URL and code go to stderr; polls as the spec says.
pub async fn device_code(
    auth: &Authenticator,
    tenant: &str,
    client_id: &str,
) -> Result<Grant, AuthError> {
    let endpoints = auth.endpoints();
    let scope = endpoints.delegated_scopes();
    let form: Vec<(&str, String)> = vec![("client_id", client_id.into()), ("scope", scope)];
    let start = post_form_json(auth, &endpoints.device_code_url(tenant), &form)
        .await
        .map_err(|f| AuthError::new(policy_hint(&f, "device code")))?;
    let field = |k: &str| {
        start
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let number = |k: &str| match start.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let device_code = field("device_code");
    if device_code.is_empty() {
        return Err(AuthError::new(
            "device code sign-in failed: the answer has no device_code",
        ));
    }
    let message = field("message");
    if message.is_empty() {
        eprintln!(
            "intune-audit: to sign in, open {} and enter the code {}",
            field("verification_uri"),
            field("user_code")
        );
    } else {
        eprintln!("intune-audit: {message}");
    }
    let mut interval = Duration::from_secs(number("interval").unwrap_or(5));
    let deadline =
        Instant::now() + Duration::from_secs(number("expires_in").unwrap_or(900).min(3600));
    let token_url = endpoints.token_url(tenant);
    loop {
        tokio::time::sleep(interval).await;
        let form: Vec<(&str, String)> = vec![
            ("grant_type", DEVICE_CODE_GRANT.into()),
            ("client_id", client_id.into()),
            ("device_code", device_code.clone()),
        ];
        match auth.post_token(&token_url, &form).await {
            Ok(grant) => return Ok(grant),
            Err(f) => match f.error.as_str() {
                "authorization_pending" => {}
                "slow_down" => interval += Duration::from_secs(5),
                "expired_token" | "code_expired" => return Err(AuthError::new(
                    "device code sign-in: the code expired before the sign-in completed; run again",
                )),
                "authorization_declined" => {
                    return Err(AuthError::new("device code sign-in was declined"))
                }
                _ => return Err(AuthError::new(policy_hint(&f, "device code"))),
            },
        }
        if Instant::now() >= deadline {
            return Err(AuthError::new(
                "device code sign-in: the code expired before the sign-in completed; run again",
            ));
        }
    }
}

async fn post_form_json(
    auth: &Authenticator,
    url: &str,
    form: &[(&str, String)],
) -> Result<Value, OAuthFailure> {
    let response = auth
        .http
        .post(url)
        .form(form)
        .send()
        .await
        .map_err(|e| OAuthFailure::transport(url, &e))?;
    let status = response.status().as_u16();
    let value: Value = response.json().await.map_err(|_| OAuthFailure {
        status,
        error: "invalid_response".into(),
        description: format!("HTTP {status} without JSON"),
        codes: vec![],
    })?;
    if !(200..300).contains(&status) || value.get("error").is_some() {
        return Err(OAuthFailure::from_body(status, &value));
    }
    Ok(value)
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // aws-lc's system RNG; fall back to fastrand only if it is unavailable.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        buf.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
}

/// Authorization code + PKCE with a loopback redirect on `http://localhost:{port}/`.
pub async fn interactive(
    auth: &Authenticator,
    tenant: &str,
    client_id: &str,
    open_browser: bool,
) -> Result<Grant, AuthError> {
    let endpoints = auth.endpoints();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| {
            AuthError::new(format!(
                "cannot listen on a loopback port for the sign-in redirect: {e}"
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::new(format!("cannot listen on a loopback port: {e}")))?
        .port();
    let redirect_uri = format!("http://localhost:{port}/");
    let verifier = random_b64(32);
    let state = random_b64(16);
    let scope = endpoints.delegated_scopes();
    let mut url = reqwest::Url::parse(&endpoints.authorize_url(tenant))
        .map_err(|e| AuthError::new(format!("bad authorize URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_mode", "query")
        .append_pair("scope", &scope)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state)
        .append_pair("prompt", "select_account");
    eprintln!(
        "intune-audit: sign in in your browser; if it does not open, open this URL:\n  {url}"
    );
    if open_browser {
        open_url(url.as_str());
    }
    let (code, _) = tokio::time::timeout(INTERACTIVE_TIMEOUT, wait_for_redirect(&listener, &state))
        .await
        .map_err(|_| AuthError::new("browser sign-in timed out after 5 minutes"))??;
    let form: Vec<(&str, String)> = vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", client_id.into()),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
        ("scope", scope),
    ];
    auth.post_token(&endpoints.token_url(tenant), &form)
        .await
        .map_err(|f| AuthError::new(policy_hint(&f, "browser")))
}

/// Accepts redirects until one carries our `state`; answers the browser with a short page.
async fn wait_for_redirect(
    listener: &tokio::net::TcpListener,
    state: &str,
) -> Result<(String, ()), AuthError> {
    loop {
        let (mut sock, _) = listener
            .accept()
            .await
            .map_err(|e| AuthError::new(format!("sign-in redirect: {e}")))?;
        let mut buf = vec![0u8; 8192];
        let mut n = 0;
        while n < buf.len() {
            match sock.read(&mut buf[n..]).await {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    n += k;
                    if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        let head = String::from_utf8_lossy(&buf[..n]);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/");
        let params: Vec<(String, String)> =
            reqwest::Url::parse(&format!("http://localhost{target}"))
                .map(|u| u.query_pairs().into_owned().collect())
                .unwrap_or_default();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("state").as_deref() != Some(state) {
            respond(
                &mut sock,
                "This is not the sign-in this window is waiting for.",
            )
            .await;
            continue;
        }
        if let Some(err) = get("error") {
            respond(&mut sock, "Sign-in failed. You can close this tab.").await;
            let f = OAuthFailure {
                status: 400,
                error: err,
                description: crate::text::one_line(&get("error_description").unwrap_or_default()),
                codes: vec![],
            };
            return Err(AuthError::new(policy_hint(&f, "browser")));
        }
        match get("code") {
            Some(code) if !code.is_empty() => {
                respond(
                    &mut sock,
                    "Signed in to intune-audit. You can close this tab.",
                )
                .await;
                return Ok((code, ()));
            }
            _ => respond(&mut sock, "No authorization code in this request.").await,
        }
    }
}

async fn respond(sock: &mut tokio::net::TcpStream, text: &str) {
    let body =
        format!("<!doctype html><meta charset=utf-8><title>intune-audit</title><p>{text}</p>");
    let msg = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(msg.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// Best effort: the URL is printed anyway.
fn open_url(url: &str) {
    let mut cmd = if cfg!(target_os = "macos") {
        let mut c = std::process::Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("rundll32");
        c.args(["url.dll,FileProtocolHandler", url]);
        c
    } else {
        let mut c = std::process::Command::new("xdg-open");
        c.arg(url);
        c
    };
    let _ = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_base64url_sha256() {
        // SHA-256("abc") = ba7816bf…15ad, base64url without padding.
        assert_eq!(
            pkce_challenge("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        let v = random_b64(32);
        assert_eq!(v.len(), 43);
        assert_ne!(v, random_b64(32));
    }
}
