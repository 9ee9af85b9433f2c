//! The affected-objects CSV (`--format csv`, `.csv`): one row per failing/warning finding ×
//! affected object, RFC 4180 quoting, formula cells defused, and the HTML pointing at it.

mod reports_support;
use intune_audit::render::affected;
use reports_support::*;

/// Parses the export the way a spreadsheet import would (BOM dropped, RFC 4180 quoting).
fn parse(text: &str) -> Vec<Vec<String>> {
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

fn broken_sample_report() -> intune_audit_checks::Report {
    let path = sample("broken").expect("examples/tenants/broken.json");
    let text = std::fs::read_to_string(path).unwrap();
    report(&serde_json::from_str(&text).unwrap(), None)
}

#[test]
fn one_row_per_problem_finding_and_affected_object() {
    let r = broken_sample_report();
    let text = affected::render(&r).unwrap();
    let rows = parse(&text);
    assert_eq!(rows[0], affected::HEADER);
    let expected: usize = r
        .findings
        .iter()
        .filter(|f| f.status.is_problem())
        .map(|f| f.affected.len())
        .sum();
    assert_eq!(rows.len() - 1, expected, "one row per finding × object");
    assert!(rows.iter().all(|row| row.len() == affected::HEADER.len()));
    assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\r'));
    // Every row names a failing or warning check of the report, with its status and severity.
    for row in &rows[1..] {
        let f = finding(&r, &row[0]);
        assert_eq!(
            (row[1].as_str(), row[2].as_str()),
            (f.status.as_str(), f.severity.as_str())
        );
        assert!(f.affected.iter().any(|a| a.id == row[5]), "{row:?}");
    }
    // Objects the data cannot settle are exported as "at risk", with why.
    let undetermined: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.status.is_problem())
        .flat_map(|f| f.affected.iter())
        .filter_map(|a| a.undetermined.as_deref())
        .collect();
    let at_risk: Vec<&str> = rows
        .iter()
        .filter(|row| row[7] == "at risk")
        .map(|row| row[8].as_str())
        .collect();
    assert_eq!(at_risk, undetermined);
    assert!(!at_risk.is_empty(), "the sample has objects at risk");
    assert!(rows[1..]
        .iter()
        .all(|row| ["affected", "at risk"].contains(&row[7].as_str())));
    // Exact rows: the first two of each check, and how many each check has.
    let mut shown = String::new();
    let mut per_check: Vec<(String, usize)> = Vec::new();
    for row in &rows[1..] {
        match per_check.last_mut() {
            Some((check, n)) if *check == row[0] => *n += 1,
            _ => per_check.push((row[0].clone(), 1)),
        }
        if per_check.last().is_some_and(|(_, n)| *n <= 2) {
            shown.push_str(&row.join(" | "));
            shown.push('\n');
        }
    }
    for (check, n) in &per_check {
        shown.push_str(&format!("{check}: {n} rows\n"));
    }
    insta::assert_snapshot!("affected_csv_broken_sample", shown);
}

#[test]
fn hostile_names_are_quoted_and_defused() {
    let mut r = broken_sample_report();
    let f = r
        .findings
        .iter_mut()
        .find(|f| f.status.is_problem() && f.affected.len() >= 4)
        .expect("a finding with four affected objects");
    let check = f.check.clone();
    f.affected.truncate(4);
    f.affected[0].name = "=cmd|' /C calc'!A0".into();
    f.affected[1].name = "Kiosk, \"lobby\"".into();
    f.affected[2].name = "two\nlines".into();
    f.affected[3].name = "@SUM(1+1)\u{1b}[2J".into();
    f.affected[3].id = "-1".into();
    let text = affected::render(&r).unwrap();
    let rows: Vec<Vec<String>> = parse(&text)
        .into_iter()
        .filter(|row| row[0] == check)
        .collect();
    let names: Vec<&str> = rows.iter().map(|row| row[6].as_str()).collect();
    assert_eq!(
        names,
        [
            "'=cmd|' /C calc'!A0",
            "Kiosk, \"lobby\"",
            "two\nlines",
            "'@SUM(1+1)\\x1b[2J"
        ]
    );
    assert_eq!(rows[3][5], "'-1");
    // On the wire: quoted where RFC 4180 needs it, quotes doubled.
    assert!(text.contains(",\"Kiosk, \"\"lobby\"\"\","), "{text}");
    assert!(text.contains(",\"two\nlines\","), "{text}");
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn csv_output_through_the_cli_and_the_html_points_at_it() {
    let dir = tempdir();
    let snap = sample("broken").expect("sample");
    let (html_path, csv_path) = (dir.path().join("r.html"), dir.path().join("affected.csv"));
    let out = bin()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .arg("--output")
        .arg(&html_path)
        .arg("--output")
        .arg(&csv_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv_text = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv_text, affected::render(&broken_sample_report()).unwrap());
    let page = std::fs::read_to_string(&html_path).unwrap();
    assert!(page.contains("more — see affected.csv for every affected object"));
    // --format csv on stdout.
    let out = bin()
        .args(["audit", "--format", "csv", "--snapshot"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), csv_text);
}

#[test]
fn a_healthy_tenant_exports_the_header_only() {
    let text = affected::render(&report(&healthy_snapshot(), None)).unwrap();
    assert_eq!(parse(&text), [affected::HEADER]);
}
