//! The netcheck report: a table for people, JSON for machines.

use super::probe::{ProbeResult, Step, StepStatus};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;
use std::fmt::Write;

/// The whole run, as printed with `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The proxy probed through (password hidden), if any.
    pub proxy: Option<String>,
    /// Where the proxy setting came from: `HTTPS_PROXY` (or the variable's name), `WinHTTP`,
    /// `WinHTTP: direct access`; `null` when nothing sets one.
    pub proxy_source: Option<String>,
    pub timeout_seconds: f64,
    pub summary: Summary,
    pub endpoints: Vec<ProbeResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub probed: usize,
    pub ok: usize,
    pub failed_required: usize,
    pub failed_optional: usize,
    pub not_probed: usize,
}

impl Summary {
    pub fn of(results: &[ProbeResult]) -> Summary {
        let failed = |required: bool| {
            results
                .iter()
                .filter(|r| r.verdict.is_failure() && r.endpoint.required == required)
                .count()
        };
        let not_probed = results
            .iter()
            .filter(|r| r.verdict == super::Verdict::NotProbed)
            .count();
        Summary {
            probed: results.len() - not_probed,
            ok: results
                .iter()
                .filter(|r| r.verdict == super::Verdict::Ok)
                .count(),
            failed_required: failed(true),
            failed_optional: failed(false),
            not_probed,
        }
    }
}

fn cell(step: &Step) -> String {
    match (step.status, step.ms) {
        (StepStatus::Ok, Some(ms)) => format!("ok {ms} ms"),
        (StepStatus::Ok, None) => "ok".into(),
        (StepStatus::Failed, _) => "FAILED".into(),
        (StepStatus::Skipped, _) => "-".into(),
    }
}

/// The table in `width` columns, then one paragraph per failure: what failed, what it
/// usually means.
pub fn table(report: &Report, width: u16) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "intune-audit netcheck — {} endpoint(s), timeout {} s per step, {}\n",
        report.endpoints.len(),
        report.timeout_seconds,
        match (&report.proxy, &report.proxy_source) {
            (Some(p), Some(from)) => format!("proxy {p} (from {from})"),
            (Some(p), None) => format!("proxy {p}"),
            (None, Some(from)) => format!("no proxy ({from})"),
            (None, None) => "no proxy".to_string(),
        }
    );
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(vec![
            "Endpoint", "Need", "Service", "DNS", "TCP", "TLS", "Time", "Verdict",
        ]);
    for r in &report.endpoints {
        let e = &r.endpoint;
        let need = format!(
            "{} ({})",
            if e.required { "required" } else { "optional" },
            e.scenarios
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let dns = if r.proxy.is_some() && r.dns.status == StepStatus::Ok {
            "by proxy".to_string()
        } else {
            cell(&r.dns)
        };
        t.add_row(vec![
            format!("{}:{}", e.host, e.port),
            need,
            e.service.clone(),
            dns,
            cell(&r.tcp),
            cell(&r.tls),
            format!("{} ms", r.ms),
            r.verdict.label().to_string(),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} ok, {} required failed, {} optional failed, {} not probed\n",
        s.ok, s.failed_required, s.failed_optional, s.not_probed
    );
    for r in report.endpoints.iter().filter(|r| r.verdict.is_failure()) {
        let e = &r.endpoint;
        let _ = writeln!(
            out,
            "{}:{} — {}{}",
            e.host,
            e.port,
            r.verdict.label(),
            if e.required { "" } else { " (optional)" }
        );
        let _ = writeln!(out, "  What failed:  {}", r.failure);
        if let Some(issuer) = &r.issuer {
            let _ = writeln!(out, "  Issuer seen:  {issuer}");
        }
        let _ = writeln!(out, "  Usually:      {}", r.meaning);
        let _ = writeln!(out, "  Needed by:    {} — {}\n", e.service, e.source);
    }
    for r in report
        .endpoints
        .iter()
        .filter(|r| r.verdict == super::Verdict::NotProbed)
    {
        let _ = writeln!(
            out,
            "{}:{} — not probed: {}",
            r.endpoint.host, r.endpoint.port, r.endpoint.note
        );
    }
    out
}
