//! The affected-objects export (`--format csv`): one row per failing or warning finding ×
//! affected object, for a spreadsheet beside the HTML report (which lists only the first few
//! objects of a long list when printed).
//!
//! RFC 4180 CSV (CRLF line ends, fields quoted when they hold a comma, a quote or a line break),
//! UTF-8 with a byte-order mark so that Excel reads names as UTF-8. Names come from the tenant,
//! so a cell that a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is prefixed with `'`, and controls are shown as visible escapes.

use super::{kind_name, problems};
use intune_audit_checks::{Affected, Finding, Report};

/// The header row: the columns of the export, in order. `certainty` is `affected`, or
/// `at risk` when the data cannot settle the object; `why` is then the reason, else the
/// check's title (what is wrong).
pub const HEADER: [&str; 9] = [
    "check",
    "status",
    "severity",
    "waived",
    "object_kind",
    "object_id",
    "object_name",
    "certainty",
    "why",
];

/// The export of a report, with its byte-order mark and header row.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let report = &super::safe::report(report, super::safe::visible, super::safe::visible);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(HEADER)?;
    for finding in problems(report) {
        for object in &finding.affected {
            w.write_record(row(finding, object).iter().map(|c| defuse(c)))?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing the CSV: {}", e.error()))?;
    Ok(format!("\u{feff}{}", String::from_utf8(bytes)?))
}

/// The cells of one row, in [`HEADER`] order.
fn row(f: &Finding, a: &Affected) -> [String; 9] {
    let (certainty, why) = match &a.undetermined {
        Some(reason) => ("at risk", reason.clone()),
        None => ("affected", f.title.clone()),
    };
    [
        f.check.clone(),
        f.status.as_str().to_string(),
        f.severity.as_str().to_string(),
        if f.waived { "yes" } else { "no" }.to_string(),
        kind_name(a.kind).to_string(),
        a.id.clone(),
        a.name.clone(),
        certainty.to_string(),
        why,
    ]
}

/// A cell a spreadsheet would read as a formula gets a leading `'` (OWASP's CSV injection
/// advice: `=`, `+`, `-`, `@`, tab and carriage return start a formula in Excel or LibreOffice).
pub fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formula_starts_are_defused_and_others_kept() {
        assert_eq!(defuse("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(defuse("+1"), "'+1");
        assert_eq!(defuse("-2+3"), "'-2+3");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("\tx"), "'\tx");
        assert_eq!(defuse("a=b"), "a=b");
        assert_eq!(defuse(""), "");
        assert_eq!(defuse("Contoso PC-01"), "Contoso PC-01");
    }
}
