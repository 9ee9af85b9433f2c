//! Neutralising untrusted text before it reaches a terminal or an XML file.
//!
//! Display names, Graph messages and evidence are controlled by whoever can name an object in
//! the tenant. An ESC (or another C0/C1 control, or DEL) printed raw can move the cursor,
//! rewrite earlier lines or retitle the terminal; in XML 1.0 some characters are not allowed
//! at all. Controls are shown as visible `\x1b`-style escapes instead.

use intune_audit_checks::{Affected, Finding, Report, WaiverState};
use serde_json::Value;
use std::fmt::Write;

/// Controls shown as `\xNN`, keeping newlines and tabs (the layout of multi-line text).
pub fn visible(s: &str) -> String {
    escape_controls(s, |c| c == '\n' || c == '\t')
}

/// Controls shown as `\xNN`, newlines and tabs included: for names, ids and one-line messages.
pub fn visible_line(s: &str) -> String {
    escape_controls(s, |_| false)
}

/// Text XML 1.0 accepts: controls as in [`visible`], and the noncharacters U+FFFE and U+FFFF
/// (which XML forbids) as U+FFFD.
pub fn xml(s: &str) -> String {
    visible(s)
        .chars()
        .map(|c| match c {
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn escape_controls(s: &str, keep: impl Fn(char) -> bool) -> String {
    if !s.chars().any(|c| c.is_control() && !keep(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && !keep(c) {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` characters; longer text is cut and ends with "…".
pub fn elide(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

/// A copy of the report with every string passed through `text` (free text) or `name`
/// (names, ids: one line).
pub fn report(r: &Report, text: fn(&str) -> String, name: fn(&str) -> String) -> Report {
    let mut out = r.clone();
    out.tenant.name = name(&r.tenant.name);
    out.tenant.id = name(&r.tenant.id);
    out.collected_at = name(&r.collected_at);
    out.tool_version = name(&r.tool_version);
    for f in &mut out.findings {
        finding(f, text, name);
    }
    for w in &mut out.waivers {
        waiver(w, text, name);
    }
    // Raw reasons and names in the failure history come from Graph: one line each.
    if let Some(f) = &r.failures {
        let mut v = serde_json::to_value(f).unwrap_or_default();
        json(&mut v, name);
        out.failures = serde_json::from_value(v).ok();
    }
    out
}

fn finding(f: &mut Finding, text: fn(&str) -> String, name: fn(&str) -> String) {
    f.check = name(&f.check);
    f.title = text(&f.title);
    f.description = text(&f.description);
    f.summary = text(&f.summary);
    for s in &mut f.article_sections {
        *s = name(s);
    }
    for r in &mut f.references {
        r.title = text(&r.title);
        r.url = name(&r.url);
        r.heading = text(&r.heading);
    }
    for a in &mut f.affected {
        affected(a, name);
    }
    for code in &mut f.error_codes {
        *code = name(code);
    }
    for step in &mut f.remediation {
        *step = text(step);
    }
    f.reason = f.reason.as_deref().map(text);
    for p in &mut f.permissions {
        *p = name(p);
    }
    json(&mut f.evidence, text);
    if let Some(w) = &mut f.waiver {
        w.reason = text(&w.reason);
        w.expires = name(&w.expires);
        w.source = name(&w.source);
        for o in &mut w.objects {
            *o = name(o);
        }
    }
}

fn affected(a: &mut Affected, name: fn(&str) -> String) {
    a.id = name(&a.id);
    a.name = name(&a.name);
    a.undetermined = a.undetermined.as_deref().map(name);
}

fn waiver(w: &mut WaiverState, text: fn(&str) -> String, name: fn(&str) -> String) {
    w.check = name(&w.check);
    w.reason = text(&w.reason);
    w.expires = name(&w.expires);
    w.state = name(&w.state);
    w.source = name(&w.source);
    for o in &mut w.objects {
        *o = name(o);
    }
}

/// Every string (and key) of a JSON value.
fn json(v: &mut Value, text: fn(&str) -> String) {
    match v {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(|x| json(x, text)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut x) in old {
                json(&mut x, text);
                map.insert(text(&k), x);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(visible("del\u{7f} csi\u{9b}"), "del\\x7f csi\\x9b");
        assert_eq!(visible("two\nlines\tok\r"), "two\nlines\tok\\x0d");
        assert_eq!(visible_line("two\nlines"), "two\\x0alines");
        assert_eq!(visible("plain – ünïcode"), "plain – ünïcode");
    }

    #[test]
    fn xml_text_has_no_forbidden_characters() {
        assert_eq!(
            xml("a\u{FFFE}b\u{FFFF}c\u{0}d"),
            "a\u{FFFD}b\u{FFFD}c\\x00d"
        );
    }

    #[test]
    fn long_text_is_elided() {
        assert_eq!(elide("abcdef", 3), "abc…");
        assert_eq!(elide("abc", 3), "abc");
        assert_eq!(elide("ééééé", 2), "éé…");
    }
}
