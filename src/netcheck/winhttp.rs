//! The WinHTTP (machine) proxy: what `netsh winhttp set proxy` stores and what SYSTEM services,
//! and so a device in OOBE, use. It lives in the binary registry value
//! `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections\WinHttpSettings`.
//!
//! Layout (all numbers 32-bit little-endian), as Microsoft's KB 4494447 "Use Group Policy to
//! apply WinHTTP proxy settings to clients" shows it for direct access
//! (`1800000000000000010000000000000000000000`) and as a public parser and writer of the value
//! reads it (github.com/stephannn/WinHttpProxySettings, `WinHttpProxySettings.cs`: version,
//! counter, flags, then length-prefixed proxy and bypass strings):
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | structure version (`0x18`, `0x28`, …) |
//! | 4 | change counter |
//! | 8 | flags: `0x1` direct (always set), `0x2` named proxy, `0x4` auto-config URL, `0x8` auto-detect |
//! | 12 | length N of the proxy server list, then N bytes (ASCII) |
//! | 12+4+N | length M of the bypass list, then M bytes (ASCII) |
//!
//! Anything after the bypass list (an auto-config URL in the Internet Explorer variant) is not
//! used by WinHTTP's static proxy and is ignored. The parser here is pure and portable (tested
//! on every platform with byte fixtures); only [`read_registry`] touches the registry, and only
//! on Windows.

use super::proxy::{NoProxy, Proxy};

/// Where the value lives, for messages.
pub const REGISTRY_VALUE: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections\WinHttpSettings";

/// Flag bit: a named proxy is set.
const PROXY_TYPE_PROXY: u32 = 0x2;

/// The WinHTTP proxy setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WinHttpProxy {
    /// `Direct access (no proxy server).`
    Direct,
    /// A named proxy: the server list (`host:port`, or `http=…;https=…`) and the bypass list
    /// (`;`-separated; `<local>` means every name without a dot).
    Named { server: String, bypass: String },
}

/// Reads the `WinHttpSettings` blob. A blob too short for what its lengths announce, or text
/// that is not ASCII, is an error (never a guess, never a panic).
pub fn parse(blob: &[u8]) -> Result<WinHttpProxy, String> {
    let mut at = 0usize;
    let _version = u32_at(blob, &mut at, "version")?;
    let _counter = u32_at(blob, &mut at, "counter")?;
    let flags = u32_at(blob, &mut at, "flags")?;
    let server = string_at(blob, &mut at, "proxy server")?;
    let bypass = string_at(blob, &mut at, "bypass list")?;
    if flags & PROXY_TYPE_PROXY == 0 || server.trim().is_empty() {
        return Ok(WinHttpProxy::Direct);
    }
    Ok(WinHttpProxy::Named {
        server: server.trim().to_string(),
        bypass: bypass.trim().to_string(),
    })
}

fn u32_at(blob: &[u8], at: &mut usize, what: &str) -> Result<u32, String> {
    let end = at.checked_add(4).filter(|e| *e <= blob.len());
    let bytes = end
        .and_then(|e| blob.get(*at..e))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .ok_or_else(|| format!("WinHttpSettings is too short for the {what} at byte {at}"))?;
    *at += 4;
    Ok(u32::from_le_bytes(bytes))
}

fn string_at(blob: &[u8], at: &mut usize, what: &str) -> Result<String, String> {
    let len = u32_at(blob, at, &format!("length of the {what}"))? as usize;
    let bytes = at
        .checked_add(len)
        .and_then(|end| blob.get(*at..end))
        .ok_or_else(|| {
            format!(
                "WinHttpSettings announces a {len}-byte {what} but has {} byte(s) left",
                blob.len().saturating_sub(*at)
            )
        })?;
    if !bytes.is_ascii() {
        return Err(format!("WinHttpSettings: the {what} is not ASCII text"));
    }
    *at += len;
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// The proxy netcheck should use for HTTPS from a WinHTTP server list: the `https=` entry of a
/// per-scheme list, else the single entry (`host:port`, the port defaulting to 80).
pub fn https_proxy(server: &str) -> Result<Proxy, String> {
    let entries: Vec<&str> = server
        .split([';', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let per_scheme = entries.iter().any(|e| e.contains('='));
    let pick = if per_scheme {
        entries
            .iter()
            .find_map(|e| e.strip_prefix("https="))
            .ok_or_else(|| format!("the WinHTTP proxy list {server:?} has no https= entry"))?
    } else {
        entries
            .first()
            .copied()
            .ok_or_else(|| "the WinHTTP proxy list is empty".to_string())?
    };
    Proxy::parse(pick)
}

/// The WinHTTP bypass list as `NO_PROXY` entries, and the entries that cannot be expressed
/// so (wildcards other than a leading `*.`). `<local>` (names without a dot) matches none of
/// the endpoints netcheck probes, which are all fully qualified, and is dropped.
pub fn bypass_list(bypass: &str) -> (NoProxy, Vec<String>) {
    let mut kept = Vec::new();
    let mut unsupported = Vec::new();
    for e in bypass
        .split([';', ' ', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if e.eq_ignore_ascii_case("<local>") {
            continue;
        }
        let rest = e.strip_prefix("*.").unwrap_or(e);
        if rest.contains('*') || rest.contains('?') {
            unsupported.push(e.to_string());
        } else {
            kept.push(if rest.len() < e.len() {
                format!(".{rest}")
            } else {
                rest.to_string()
            });
        }
    }
    (NoProxy::parse(&kept.join(",")), unsupported)
}

/// The raw `WinHttpSettings` value, `None` when it is not set.
#[cfg(windows)]
pub fn read_registry() -> Result<Option<Vec<u8>>, String> {
    use winreg::enums::{RegType, HKEY_LOCAL_MACHINE};
    use winreg::RegKey;
    const KEY: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
    let key = match RegKey::predef(HKEY_LOCAL_MACHINE).open_subkey(KEY) {
        Ok(k) => k,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open HKLM\\{KEY}: {e}")),
    };
    match key.get_raw_value("WinHttpSettings") {
        Ok(v) if v.vtype == RegType::REG_BINARY => Ok(Some(v.bytes)),
        Ok(v) => Err(format!("{REGISTRY_VALUE} is {:?}, not REG_BINARY", v.vtype)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {REGISTRY_VALUE}: {e}")),
    }
}

/// Not Windows: there is no WinHTTP proxy.
#[cfg(not(windows))]
pub fn read_registry() -> Result<Option<Vec<u8>>, String> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob as `netsh winhttp set proxy` writes it: version 0x28, counter, flags, the two
    /// length-prefixed strings, then (as Windows 10 pads it) zeros.
    fn blob(flags: u32, server: &str, bypass: &str) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(0x28u32.to_le_bytes());
        b.extend(3u32.to_le_bytes());
        b.extend(flags.to_le_bytes());
        b.extend((server.len() as u32).to_le_bytes());
        b.extend(server.as_bytes());
        b.extend((bypass.len() as u32).to_le_bytes());
        b.extend(bypass.as_bytes());
        b.extend([0u8; 8]);
        b
    }

    #[test]
    fn the_documented_direct_access_value_is_direct() {
        // KB 4494447: "Data (for Direct Access or No Proxy): 1800000000000000010000000000000000000000"
        let hex = "1800000000000000010000000000000000000000";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(parse(&bytes), Ok(WinHttpProxy::Direct));
    }

    #[test]
    fn a_named_proxy_with_a_bypass_list() {
        let b = blob(
            0x3,
            "proxy.contoso.com:8080",
            "localhost;*.contoso.com;<local>",
        );
        let WinHttpProxy::Named { server, bypass } = parse(&b).unwrap() else {
            panic!("named proxy expected");
        };
        assert_eq!(server, "proxy.contoso.com:8080");
        let p = https_proxy(&server).unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.contoso.com", 8080));
        let (no_proxy, unsupported) = bypass_list(&bypass);
        assert!(unsupported.is_empty());
        assert!(no_proxy.bypasses("localhost"));
        assert!(no_proxy.bypasses("intranet.contoso.com"));
        assert!(!no_proxy.bypasses("login.microsoftonline.com"));
    }

    #[test]
    fn per_scheme_lists_use_the_https_entry() {
        let p = https_proxy("http=myproxy;https=sproxy:88").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("sproxy", 88));
        assert!(https_proxy("http=myproxy:80").is_err());
        let p = https_proxy("myproxy").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("myproxy", 80));
    }

    #[test]
    fn wildcards_it_cannot_express_are_named() {
        let (no_proxy, unsupported) = bypass_list("10.*;*contoso*;fabrikam.com");
        assert_eq!(unsupported, ["10.*", "*contoso*"]);
        assert!(no_proxy.bypasses("fabrikam.com"));
    }

    #[test]
    fn a_proxy_flag_without_a_server_is_direct() {
        assert_eq!(parse(&blob(0x3, "", "")), Ok(WinHttpProxy::Direct));
        // Flag 0x1 only: a leftover server string is not in use.
        assert_eq!(parse(&blob(0x1, "old:80", "")), Ok(WinHttpProxy::Direct));
    }

    #[test]
    fn short_or_malformed_blobs_are_errors_not_panics() {
        let good = blob(0x3, "proxy.contoso.com:8080", "localhost");
        // Every truncation of a valid blob that cuts into its fields is an error.
        let fields_end = 12 + 4 + 22 + 4 + 9;
        for len in 0..fields_end {
            assert!(parse(&good[..len]).is_err(), "{len} bytes parsed");
        }
        // A length that points past the end, even near u32::MAX.
        let mut huge = good.clone();
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&huge).unwrap_err().contains("announces"));
        // Not ASCII.
        assert!(parse(&blob(0x3, "prøxy:80", "")).is_err());
        // Random bytes never panic.
        let mut seed = 0x2545_f491u32;
        for _ in 0..2000 {
            let len = (seed % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            let _ = parse(&bytes);
        }
    }
}
