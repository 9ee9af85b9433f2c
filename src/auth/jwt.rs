//! Reading (not verifying) the claims of an access token: expiry, tenant, and whether it is an
//! app-only (`roles`) or delegated (`scp`) token. Used for messages, never for trust.

use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub scp: Option<String>,
    /// The signed-in user of a delegated token (`upn`, else `preferred_username`).
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
}

impl Claims {
    /// The signed-in user's name, when the token names one.
    pub fn user(&self) -> Option<String> {
        self.upn
            .clone()
            .or_else(|| self.preferred_username.clone())
            .filter(|u| !u.is_empty())
    }

    /// `Some(true)` for a delegated token, `Some(false)` for app-only, `None` when unknown.
    pub fn delegated(&self) -> Option<bool> {
        match (&self.scp, &self.roles) {
            (Some(_), _) => Some(true),
            (None, Some(_)) => Some(false),
            _ => None,
        }
    }
}

/// The payload of a JWT, if the text is one.
pub fn claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_claims_without_verifying() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let t = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"exp":1700000000,"tid":"t1","roles":["User.Read.All"]}"#)
        );
        let c = claims(&t).unwrap();
        assert_eq!(c.exp, Some(1_700_000_000));
        assert_eq!(c.tid.as_deref(), Some("t1"));
        assert_eq!(c.delegated(), Some(false));
        assert!(claims("not-a-jwt").is_none());
    }
}
