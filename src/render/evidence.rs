//! A finding's evidence (a JSON object) as readable key/value rows for people: keys in words
//! ("windows_platform_blocked" → "Windows platform blocked"), yes/no for booleans, lists joined,
//! nested objects as indented rows. The raw key stays with each row (shown on hover).

use serde_json::Value;

/// One row: a label, its raw key, the value as text (empty for a heading row whose children
/// follow) and its nesting depth.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub label: String,
    pub key: String,
    pub value: String,
    pub depth: usize,
}

/// Rows shown per finding; the rest is counted in a last row.
const MAX_ROWS: usize = 60;
/// Items of one list shown as rows.
const MAX_ITEMS: usize = 20;
/// Characters of one value.
const MAX_CHARS: usize = 600;
/// Nesting shown as rows; deeper values are shown inline.
const MAX_DEPTH: usize = 4;

/// The rows of an evidence value (an object; anything else is one "Value" row).
pub fn rows(evidence: &Value) -> Vec<Row> {
    let mut out = Vec::new();
    match evidence {
        Value::Object(map) if map.is_empty() => {}
        Value::Object(map) => {
            for (k, v) in map {
                push(&mut out, &humanize(k), k, v, 0);
            }
        }
        Value::Null => {}
        other => push(&mut out, "Value", "", other, 0),
    }
    if out.len() > MAX_ROWS {
        let more = out.len() - MAX_ROWS;
        out.truncate(MAX_ROWS);
        out.push(row(
            "…",
            "",
            &format!("{more} more rows in the JSON report"),
            0,
        ));
    }
    out
}

fn row(label: &str, key: &str, value: &str, depth: usize) -> Row {
    Row {
        label: label.to_string(),
        key: key.to_string(),
        value: super::safe::elide(value, MAX_CHARS),
        depth,
    }
}

fn push(out: &mut Vec<Row>, label: &str, key: &str, v: &Value, depth: usize) {
    if depth >= MAX_DEPTH || is_leaf_object(v) {
        out.push(row(label, key, &inline(v), depth));
        return;
    }
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push(row(label, key, "", depth));
            for (k, x) in map {
                push(out, &humanize(k), k, x, depth + 1);
            }
        }
        Value::Array(items) if items.iter().any(|x| x.is_object() || x.is_array()) => {
            out.push(row(label, key, &count(items.len()), depth));
            for (i, x) in items.iter().take(MAX_ITEMS).enumerate() {
                push(out, &format!("{}.", i + 1), "", x, depth + 1);
            }
            if items.len() > MAX_ITEMS {
                let more = format!("and {} more", items.len() - MAX_ITEMS);
                out.push(row("…", "", &more, depth + 1));
            }
        }
        other => out.push(row(label, key, &scalar(other), depth)),
    }
}

/// A small object of plain values or lists of them (a list item such as `{id, name, limit}`):
/// one row.
fn is_leaf_object(v: &Value) -> bool {
    let plain = |x: &Value| !x.is_object() && !x.is_array();
    v.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.len() <= 6
            && m.values().all(|x| match x {
                Value::Array(items) => items.iter().all(plain),
                other => plain(other),
            })
    })
}

/// A value on one line: objects as `Key: value · Key: value`, lists joined with commas.
fn inline(v: &Value) -> String {
    match v {
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(k, x)| format!("{}: {}", humanize(k), inline(x)))
            .collect::<Vec<_>>()
            .join(" · "),
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        }
        other => scalar(other),
    }
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 item".to_string()
    } else {
        format!("{n} items")
    }
}

/// A value that fits on one row: text as is, yes/no, numbers, "none" for null or an empty
/// list or object, lists of such values joined with commas.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "(empty)".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_string(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        Value::Object(_) => "none".to_string(),
    }
}

/// A key in words: `snake_case` and `camelCase` split, the first word capitalised, known
/// abbreviations in capitals.
pub fn humanize(key: &str) -> String {
    let words = split_words(key);
    let words: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| word(w, i == 0))
        .collect();
    if words.is_empty() {
        key.to_string()
    } else {
        words.join(" ")
    }
}

fn split_words(key: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c == '_' || c == '-' || c == ' ' || c == '.' {
            words.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    words
}

const ABBREVIATIONS: [&str; 14] = [
    "id", "ids", "url", "urls", "upn", "os", "mdm", "mam", "ad", "aad", "oobe", "sku", "tpm", "ztd",
];

fn word(w: &str, first: bool) -> String {
    let lower = w.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return match lower.as_str() {
            "ids" => "IDs".to_string(),
            "urls" => "URLs".to_string(),
            _ => lower.to_uppercase(),
        };
    }
    if !first {
        return lower;
    }
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}{}={}", "  ".repeat(r.depth), r.label, r.value))
            .collect()
    }

    #[test]
    fn keys_read_as_words() {
        assert_eq!(
            humanize("windows_platform_blocked"),
            "Windows platform blocked"
        );
        assert_eq!(humanize("termsOfUseUrl"), "Terms of use URL");
        assert_eq!(humanize("mam_appliesTo"), "MAM applies to");
        assert_eq!(humanize("policy_id"), "Policy ID");
        assert_eq!(humanize("_"), "_");
    }

    #[test]
    fn nested_evidence_becomes_indented_rows() {
        let e = json!({
            "default_configuration": {"id": "c1", "name": "All users", "windows_platform_blocked": false},
            "blocked_groups": ["g1", "g2"],
            "termsOfUseUrl": null,
            "profiles": [{"id": "p1", "missing": []}, {"id": "p2", "groups": [{"id": "g3"}]}],
            "count": 3,
            "deep": {"a": {"b": {"c": {"d": {"e": [1, {"f": true}]}}}, "x": 1}},
        });
        assert_eq!(
            flat(&rows(&e)),
            [
                "Blocked groups=g1, g2",
                "Count=3",
                "Deep=",
                "  A=",
                "    B=",
                "      C=",
                "        D=E: 1, F: yes",
                "    X=1",
                "Default configuration=ID: c1 · Name: All users · Windows platform blocked: no",
                "Profiles=2 items",
                "  1.=ID: p1 · Missing: none",
                "  2.=",
                "    Groups=1 item",
                "      1.=ID: g3",
                "    ID=p2",
                "Terms of use URL=none",
            ]
        );
    }

    #[test]
    fn long_lists_and_values_are_cut() {
        let items: Vec<_> = (0..25).map(|i| json!({"id": i})).collect();
        let r = rows(&json!({"list": items, "text": "x".repeat(700)}));
        assert!(r.iter().any(|r| r.value == "and 5 more"), "{r:?}");
        let text = r.iter().find(|r| r.key == "text").map(|r| r.value.clone());
        assert_eq!(text.map(|t| t.chars().count()), Some(601));
        let many: serde_json::Map<_, _> = (0..80).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let r = rows(&Value::Object(many));
        assert_eq!(r.len(), MAX_ROWS + 1);
        assert_eq!(r[MAX_ROWS].value, "20 more rows in the JSON report");
        assert!(rows(&json!({})).is_empty());
    }
}
