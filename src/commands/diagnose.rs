//! `intune-audit diagnose`: one user, one device, one error code → every documented cause,
//! each with a verdict and the evidence.

use crate::cli::{DiagnoseArgs, Format};
use crate::graph::targeted::Subject;
use crate::live::collect_scoped;
use crate::{render, snapshot_io, EXIT_FINDINGS, EXIT_OK};
use anyhow::{anyhow, Result};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use intune_audit_checks::codes;
use intune_audit_checks::diagnose::{diagnose, diagnose_loaded, Diagnosis, Question, Verdict};
use intune_audit_checks::Settings;
use std::fmt::Write;

pub fn run(args: &DiagnoseArgs) -> Result<i32> {
    let error =
        match &args.error {
            Some(e) => Some(codes::normalize(e).ok_or_else(|| {
                anyhow!("{e:?} is not an error code (try `intune-audit explain`)")
            })?),
            None => None,
        };
    let question = Question {
        user: args.user.clone(),
        device: args.device.clone(),
        error,
    };
    let diagnosis = match &args.snapshot {
        // Typed in one pass; the subject's raw objects are read from the file again.
        Some(path) => diagnose_loaded(
            &snapshot_io::load_typed(path)?,
            &snapshot_io::FileObjects(path),
            &question,
            &Settings::default(),
        )?,
        None => {
            let subject = Subject {
                user: args.user.clone(),
                device: args.device.clone(),
            };
            let snapshot = collect_scoped(&args.connect.sign_in(), Some(&subject))?;
            diagnose(&snapshot, &question, &Settings::default())?
        }
    };
    let text = match args.format {
        Format::Json => render::json(&diagnosis),
        // Names from the tenant reach the terminal: no control characters.
        Format::Table => render::safe::visible(&to_text(&diagnosis)),
    };
    render::print_stdout(&text)?;
    let code = if diagnosis.will_fail() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    let count = |v: Verdict| diagnosis.causes.iter().filter(|c| c.verdict == v).count();
    crate::term::Verdict {
        counts: format!(
            "{} cause(s) will fail, {} at risk, {} cannot tell, {} fine",
            count(Verdict::WillFail),
            count(Verdict::AtRisk),
            count(Verdict::CannotTell),
            count(Verdict::Fine)
        ),
        exit: code,
        why: String::new(),
        wrote: Vec::new(),
    }
    .print();
    Ok(code)
}

fn to_text(d: &Diagnosis) -> String {
    let mut out = String::new();
    let subject = [
        d.user
            .as_ref()
            .and_then(|u| u["object"]["userPrincipalName"].as_str())
            .map(|u| format!("user {u}")),
        d.device
            .as_ref()
            .and_then(|v| {
                v["autopilot"]["serialNumber"]
                    .as_str()
                    .or(v["intune"]["deviceName"].as_str())
            })
            .map(|s| format!("device {s}")),
        d.error.as_ref().map(|e| format!("error {e}")),
    ];
    let subject: Vec<String> = subject.into_iter().flatten().collect();
    let _ = writeln!(
        out,
        "Diagnosis for {} — tenant {}, data collected {}\n",
        subject.join(", "),
        d.tenant.name,
        d.collected_at
    );
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        // The terminal's width when narrower (pipes and files keep 150).
        .set_width(crate::term::table_width().min(150));
    if let Some(f) = &d.recent_failures {
        recent_failures(&mut out, f);
    }
    t.set_header(["Verdict", "Cause (check)", "Error codes", "Evidence"]);
    let mut causes: Vec<_> = d.causes.iter().collect();
    causes.sort_by_key(|c| match c.verdict {
        Verdict::WillFail => 0,
        Verdict::AtRisk => 1,
        Verdict::CannotTell => 2,
        Verdict::Fine => 3,
    });
    for c in &causes {
        let f = &c.finding;
        let summary = f.reason.clone().unwrap_or_else(|| f.summary.clone());
        t.add_row([
            c.verdict.as_str().to_uppercase(),
            f.check.clone(),
            crate::text::codes_or_dash(&f.error_codes),
            summary,
        ]);
    }
    let _ = writeln!(out, "{t}");
    if let Some(what) = d
        .user
        .as_ref()
        .map(|u| &u["what_applies"])
        .filter(|w| !w.is_null())
    {
        let _ = writeln!(out, "\nWhat applies to this user:");
        for key in ["enrollment_limit", "windows_platform_restriction"] {
            let a = &what[key]["applies"];
            if let Some(name) = a["configuration"].as_str() {
                let _ = writeln!(
                    out,
                    "  {key}: '{name}' (priority {}) — {}",
                    a["priority"],
                    a["why"].as_str().unwrap_or("")
                );
            }
        }
        let _ = writeln!(
            out,
            "  limit {} / Intune devices enrolled {}; Windows restriction {}",
            what["enrollment_limit"]["limit"],
            what["enrollment_limit"]["intune_devices"],
            what["windows_platform_restriction"]["settings"]
        );
    }
    for c in causes
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::WillFail | Verdict::AtRisk))
    {
        let _ = writeln!(out, "\nFix for {}:", c.finding.check);
        for (i, step) in c.finding.remediation.iter().enumerate() {
            let _ = writeln!(out, "  {}. {step}", i + 1);
        }
    }
    if !d.device_steps.is_empty() {
        let _ = writeln!(out, "\nOn the device (the tenant cannot show these):");
        for s in &d.device_steps {
            let _ = writeln!(out, "  - {}", s.title);
            for (i, step) in s.steps.iter().enumerate() {
                let _ = writeln!(out, "      {}. {step}", i + 1);
            }
        }
    }
    out
}

/// The subject's recent failures first: what already broke, and the cause each one matches.
fn recent_failures(out: &mut String, f: &intune_audit_checks::report::ObservedFailures) {
    if f.status == "not_evaluated" {
        let _ = writeln!(
            out,
            "Recent failures: not evaluated (the failure history was not collected)\n"
        );
        return;
    }
    if f.events.is_empty() {
        let _ = writeln!(
            out,
            "Recent failures: none recorded in the last {} days\n",
            f.days
        );
        return;
    }
    let _ = writeln!(
        out,
        "Recent failures ({} in the last {} days):",
        f.counts.observed, f.days
    );
    for e in &f.events {
        let (raw, reason) = (e.raw_category(), e.raw_reason());
        let matches = if e.explained_by.is_empty() {
            "matches no finding (unexplained)".to_string()
        } else {
            format!("matches {}", e.explained_by.join(", "))
        };
        let _ = writeln!(
            out,
            "  - {} {} ({raw}) {}: {matches}",
            e.at,
            e.class,
            if reason.is_empty() {
                String::new()
            } else {
                format!("\"{reason}\"")
            }
        );
    }
    out.push('\n');
}
