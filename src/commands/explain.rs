//! `intune-audit explain`: a code, a message or a check id → causes, checks and fixes.

use crate::cli::{ExplainArgs, Format};
use crate::term::{bold_mark, markdown_to_text, wrap};
use crate::{render, EXIT_OK};
use anyhow::{bail, Result};
use intune_audit_checks::catalog::Check;
use intune_audit_checks::device_side::DeviceCause;
use intune_audit_checks::explain::{explain, Cause, Explanation};
use serde_json::{json, Value};
use std::fmt::Write;

pub fn run(args: &ExplainArgs) -> Result<i32> {
    let query = args.query.join(" ");
    let explanation = match explain(&query) {
        Ok(e) => e,
        Err(no) if no.suggestions.is_empty() => {
            bail!("nothing known matches {query:?} (`intune-audit checks` lists all)")
        }
        Err(no) => bail!(
            "nothing known matches {query:?}; nearest: {} (`intune-audit checks` lists all)",
            no.suggestions.join(", ")
        ),
    };
    let text = match args.format {
        Format::Json => render::json(&to_json(&query, &explanation)),
        // The query is echoed back: no control characters to the terminal.
        Format::Table => crate::term::apply_styles(&render::safe::visible(&to_text(
            &explanation,
            crate::term::width(),
        ))),
    };
    render::print_stdout(&text)?;
    Ok(EXIT_OK)
}

/// Terminal text wrapped at `width` columns: headings in bold (when colour is on), numbered
/// steps with a hanging indent, the check documentation rendered from its Markdown.
pub(crate) fn to_text(e: &Explanation, width: usize) -> String {
    let width = width.clamp(40, 120);
    let mut out = String::new();
    match e {
        Explanation::Code { code, sections } => {
            let _ = writeln!(
                out,
                "{code}: {} documented error{}\n",
                sections.len(),
                if sections.len() == 1 { "" } else { "s" }
            );
            if let Some(m) = intune_audit_checks::codes::code_message(code) {
                out.push_str(&wrap(m, width, &format!("{code} means: "), "  "));
                out.push('\n');
            }
            sections.iter().for_each(|c| cause_text(&mut out, c, width));
        }
        Explanation::Message { sections } => {
            sections.iter().for_each(|c| cause_text(&mut out, c, width))
        }
        Explanation::Check(c) => check_text(&mut out, c, width),
        Explanation::DeviceCause(d) => device_text(&mut out, d, "", width),
    }
    out
}

/// One numbered or bulleted line, wrapped with a hanging indent.
fn item(out: &mut String, indent: &str, marker: &str, text: &str, width: usize) {
    let lead = format!("{indent}{marker} ");
    let hang = " ".repeat(lead.chars().count());
    out.push_str(&wrap(text, width, &lead, &hang));
}

fn cause_text(out: &mut String, c: &Cause, width: usize) {
    let codes = if c.section.codes.is_empty() {
        "no code".to_string()
    } else {
        c.section.codes.join(", ")
    };
    let heading = format!("{} ({codes})", c.section.anchor);
    for line in wrap(&heading, width, "", "  ").lines() {
        let _ = writeln!(out, "{}", bold_mark(line));
    }
    let hang = " ".repeat(12);
    out.push_str(&wrap(c.section.message, width, "On screen:  ", &hang));
    // The sections of Microsoft's current pages have no Dutch text (the 2019 article lacks them).
    if !c.section.message_nl.is_empty() {
        out.push_str(&wrap(c.section.message_nl, width, "Dutch:      ", &hang));
    }
    if !c.checks.is_empty() {
        let _ = writeln!(
            out,
            "\nTenant-side causes (`intune-audit audit` checks them):"
        );
        for check in &c.checks {
            let line = format!(
                "{} [{}]: {}",
                check.id(),
                check.meta.severity.as_str(),
                check.meta.title
            );
            item(out, "  ", "-", &line, width);
            for (i, step) in check.remediation().iter().enumerate() {
                item(out, "      ", &format!("{}.", i + 1), &plain(step), width);
            }
            for r in check.meta.references {
                let _ = writeln!(
                    out,
                    "      Microsoft: {} — {} <{}>",
                    r.title, r.heading, r.url
                );
            }
        }
    }
    if !c.device_causes.is_empty() {
        let _ = writeln!(out, "\nDevice-side causes (check on the PC):");
        for d in &c.device_causes {
            device_text(out, d, "  ", width);
        }
    }
    if !c.documented.is_empty() {
        let _ = writeln!(
            out,
            "\nAlso documented, not checked (docs/coverage-map.md):"
        );
        for r in &c.documented {
            let note = if r.note.is_empty() {
                String::new()
            } else {
                format!(" — {}", r.note)
            };
            let _ = writeln!(out, "  - {}{note}", r.cause);
        }
    }
    out.push('\n');
}

fn device_text(out: &mut String, d: &DeviceCause, indent: &str, width: usize) {
    item(out, indent, "-", &format!("{}: {}", d.id, d.title), width);
    for (i, step) in d.steps.iter().enumerate() {
        item(
            out,
            &format!("{indent}    "),
            &format!("{}.", i + 1),
            &plain(step),
            width,
        );
    }
}

/// A step's inline Markdown (code spans, bold) as plain terminal text.
fn plain(step: &str) -> String {
    step.replace("**", "").replace('`', "")
}

fn check_text(out: &mut String, c: &Check, width: usize) {
    let m = c.meta;
    for line in wrap(&format!("{} — {}", m.id, m.title), width, "", "  ").lines() {
        let _ = writeln!(out, "{}", bold_mark(line));
    }
    let facts = format!(
        "Severity: {} · Error codes: {} · In the article: {}",
        m.severity.as_str(),
        crate::text::codes_or_dash(m.error_codes),
        if m.in_article {
            "yes"
        } else {
            "no (also worth checking)"
        }
    );
    out.push_str(&wrap(&facts, width, "", "  "));
    let field = |out: &mut String, label: &str, values: &[&str]| {
        out.push_str(&wrap(&values.join(", "), width, label, "  "));
    };
    field(out, "Article sections: ", m.article_sections);
    let reads: Vec<&str> = m.resources.iter().map(|r| r.key()).collect();
    field(out, "Reads: ", &reads);
    let permissions = c.permissions();
    let permissions: Vec<&str> = permissions.iter().map(|p| p.as_ref()).collect();
    field(out, "Permissions: ", &permissions);
    out.push('\n');
    out.push_str(&markdown_to_text(&c.doc(), width));
    if !m.references.is_empty() {
        let _ = writeln!(out, "\nMicrosoft documentation:");
        for r in m.references {
            item(
                out,
                "  ",
                "-",
                &format!("{} — {}: {}", r.title, r.heading, r.url),
                width,
            );
        }
    }
}

fn check_json(c: &Check) -> Value {
    json!({"id": c.id(), "title": c.meta.title, "severity": c.meta.severity, "error_codes": c.meta.error_codes,
           "article_sections": c.meta.article_sections, "remediation": c.remediation(), "permissions": c.permissions(),
           "doc": c.doc(), "references": references_json(c.meta.references)})
}

fn references_json(refs: &[intune_audit_checks::catalog::Reference]) -> Value {
    refs.iter()
        .map(|r| json!({"title": r.title, "url": r.url, "heading": r.heading}))
        .collect()
}

fn device_json(d: &DeviceCause) -> Value {
    json!({"id": d.id, "title": d.title, "error_codes": d.error_codes, "article_sections": d.article_sections, "steps": d.steps})
}

fn to_json(query: &str, e: &Explanation) -> Value {
    let causes = |sections: &[Cause]| -> Vec<Value> {
        sections.iter().map(|c| json!({
            "article_section": c.section.anchor, "error_codes": c.section.codes,
            "message": c.section.message, "message_nl": c.section.message_nl,
            "checks": c.checks.iter().map(|k| check_json(k)).collect::<Vec<_>>(),
            "device_causes": c.device_causes.iter().map(|d| device_json(d)).collect::<Vec<_>>(),
            "documented_causes": c.documented.iter().map(|r| json!({
                "row": r.row, "side": r.side.as_str(), "cause": r.cause, "note": r.note,
            })).collect::<Vec<_>>(),
        })).collect()
    };
    match e {
        Explanation::Code { code, sections } => {
            json!({"query": query, "kind": "code", "code": code,
                   "code_message": intune_audit_checks::codes::code_message(code),
                   "causes": causes(sections)})
        }
        Explanation::Message { sections } => {
            json!({"query": query, "kind": "message", "causes": causes(sections)})
        }
        Explanation::Check(c) => json!({"query": query, "kind": "check", "check": check_json(c)}),
        Explanation::DeviceCause(d) => {
            json!({"query": query, "kind": "device_cause", "device_cause": device_json(d)})
        }
    }
}
