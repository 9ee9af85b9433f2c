//! Small text helpers shared by the Graph client, sign-in, commands and renderers (a leaf:
//! it imports nothing of the crate).

/// First line, at most 300 characters: Graph messages go into one-line errors and snapshots.
/// A lone carriage return ends a line too (printed raw, it would overwrite the line).
pub fn one_line(s: &str) -> String {
    let line = s
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut out: String = line.chars().take(300).collect();
    if line.chars().count() > 300 {
        out.push('…');
    }
    out
}

pub fn codes_or_dash(codes: &[impl AsRef<str>]) -> String {
    if codes.is_empty() {
        "-".into()
    } else {
        codes
            .iter()
            .map(|c| c.as_ref())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
