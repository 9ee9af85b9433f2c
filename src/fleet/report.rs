//! The many-tenant summary as Markdown and as an HTML index linking each tenant's report.

use crate::fleet::summary::SUMMARY_FILE;
use crate::fleet::{Summary, TenantOutcome, TenantResult};
use crate::render::safe::visible_line;
use anyhow::Result;
use serde_json::json;
use std::path::{Path, PathBuf};

const INDEX: &str = include_str!("../render/templates/summary.html");

fn verdict(t: &TenantResult) -> &'static str {
    match (t.outcome, t.fails_run) {
        (TenantOutcome::Failed, _) => "not audited",
        (TenantOutcome::Audited, true) => "failing",
        (TenantOutcome::Audited, false) => "passing",
    }
}

/// `Contoso` or `Contoso (contoso.onmicrosoft.com)`.
fn label(t: &TenantResult) -> String {
    if t.name == t.id {
        visible_line(&t.name)
    } else {
        visible_line(&format!("{} ({})", t.name, t.id))
    }
}

fn md_cell(s: &str) -> String {
    visible_line(s).replace('|', "\\|")
}

pub fn markdown(s: &Summary) -> String {
    let mut out = format!(
        "# intune-audit: {} tenants\n\n{}.\n\nJudged at `--fail-on {}`{}; generated {}{}.\n\n",
        s.tenants.len(),
        s.headline(),
        s.fail_on,
        if s.fail_on_not_evaluated {
            " with `--fail-on-not-evaluated`"
        } else {
            ""
        },
        s.generated_at,
        if s.shards.is_empty() {
            String::new()
        } else {
            format!(", shards {}", s.shards.join(", "))
        }
    );
    out.push_str("| Tenant | Verdict | Fail | Warn | Not evaluated | Worst | Report |\n");
    out.push_str("|---|---|---:|---:|---:|---|---|\n");
    for t in &s.tenants {
        let report = match (link(t, "markdown"), &t.error) {
            (_, Some(e)) => md_cell(e),
            (Some(path), None) => format!("[report]({})", path.replace(' ', "%20")),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            md_cell(&label(t)),
            verdict(t),
            t.count("fail"),
            t.count("warn"),
            t.count("not_evaluated"),
            t.worst().map(|s| s.as_str()).unwrap_or("—"),
            report
        ));
    }
    out
}

/// A file's relative link, or none when it is not a plain relative path (a merged summary comes
/// from files anyone could have edited: no `javascript:` or other scheme reaches an href).
fn link<'a>(t: &'a TenantResult, kind: &str) -> Option<&'a str> {
    let path = t.files.get(kind)?;
    let scheme = path.split_once(':').is_some_and(|(s, _)| !s.contains('/'));
    (!scheme && !path.starts_with('/') && !path.starts_with('\\')).then_some(path.as_str())
}

pub fn html(s: &Summary) -> Result<String> {
    let rows: Vec<serde_json::Value> = s
        .tenants
        .iter()
        .map(|t| {
            json!({
                "name": visible_line(&t.name),
                "id": (t.name != t.id).then(|| visible_line(&t.id)),
                "verdict": verdict(t),
                "fail": t.count("fail"),
                "warn": t.count("warn"),
                "not_evaluated": t.count("not_evaluated"),
                "pass": t.count("pass"),
                "worst": t.worst().map(|s| s.as_str()),
                "error": t.error.as_deref().map(visible_line),
                "unread": t.unread.iter().map(|u| visible_line(u)).collect::<Vec<_>>(),
                "html": link(t, "html"),
                "markdown": link(t, "markdown"),
                "json": link(t, "json"),
                "csv": link(t, "csv"),
                "snapshot": link(t, "snapshot"),
            })
        })
        .collect();
    let context = json!({
        "headline": s.headline(),
        "fail_on": s.fail_on,
        "strict": s.fail_on_not_evaluated,
        "generated_at": s.generated_at,
        "shards": s.shards,
        "tool_version": s.tool_version,
        "tenants": rows,
    });
    let mut env = minijinja::Environment::new();
    env.add_template("summary.html", INDEX)?;
    Ok(env
        .get_template("summary.html")?
        .render(minijinja::value::Serde(context))?)
}

/// Writes `summary.json`, `summary.md` and `index.html` into `dir`; returns their paths.
pub fn write(summary: &Summary, dir: &Path) -> Result<Vec<PathBuf>> {
    let json = serde_json::to_string_pretty(summary)? + "\n";
    let files = [
        (dir.join(SUMMARY_FILE), json),
        (dir.join("summary.md"), markdown(summary)),
        (dir.join("index.html"), html(summary)?),
    ];
    for (path, text) in &files {
        crate::snapshot_io::write_atomic(path, text.as_bytes())?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Writes the summary into `dir`, ends the run with its verdict line, and gives the exit code.
pub fn conclude(summary: &Summary, dir: &Path) -> Result<i32> {
    let wrote = write(summary, dir)?;
    let code = summary.exit_code();
    crate::term::Verdict {
        counts: summary.headline(),
        exit: code,
        why: match code {
            crate::EXIT_ERROR => "a tenant could not be audited".into(),
            crate::EXIT_FINDINGS => format!("findings at or above {}", summary.fail_on),
            _ => format!("nothing failing at or above {}", summary.fail_on),
        },
        wrote,
    }
    .print();
    Ok(code)
}
