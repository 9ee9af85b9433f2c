//! `intune-audit checks`: the catalog of checks and device-side causes.

use crate::cli::{CatalogArgs, Format};
use crate::text::codes_or_dash;
use crate::{render, EXIT_OK};
use anyhow::Result;
use comfy_table::Table;
use intune_audit_checks::checks::REGISTRY;
use intune_audit_checks::device_side::DEVICE_CAUSES;
use serde::Serialize;

/// One catalog row (the `checks --format json` contract).
#[derive(Debug, Serialize)]
pub struct CatalogEntry {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Option<&'static str>,
    pub error_codes: Vec<&'static str>,
    pub article_sections: Vec<&'static str>,
    pub tenant_side: bool,
    pub in_article: bool,
    pub resources: Vec<&'static str>,
    pub permissions: Vec<&'static str>,
    /// The version that introduced the check (`None` for device-side causes).
    pub since: Option<&'static str>,
    /// Runs only with `--preview`.
    pub preview: bool,
    /// Former ids this check still answers to.
    pub renamed_from: Vec<&'static str>,
}

pub fn entries() -> Vec<CatalogEntry> {
    let checks = REGISTRY.iter().map(|c| CatalogEntry {
        id: c.meta.id,
        title: c.meta.title,
        severity: Some(c.meta.severity.as_str()),
        error_codes: c.meta.error_codes.to_vec(),
        article_sections: c.meta.article_sections.to_vec(),
        tenant_side: true,
        in_article: c.meta.in_article,
        resources: c.meta.resources.iter().map(|r| r.key()).collect(),
        permissions: c.permissions(),
        since: Some(c.meta.since),
        preview: c.meta.preview,
        renamed_from: intune_audit_checks::catalog::RENAMED
            .iter()
            .filter(|(_, new)| *new == c.meta.id)
            .map(|(old, _)| *old)
            .collect(),
    });
    let device = DEVICE_CAUSES.iter().map(|d| CatalogEntry {
        id: d.id,
        title: d.title,
        severity: None,
        error_codes: d.error_codes.to_vec(),
        article_sections: d.article_sections.to_vec(),
        tenant_side: false,
        in_article: true,
        resources: vec![],
        permissions: vec![],
        since: None,
        preview: false,
        renamed_from: vec![],
    });
    checks.chain(device).collect()
}

pub fn run(args: &CatalogArgs) -> Result<i32> {
    let entries = entries();
    let text = match args.format {
        Format::Json => render::json(&entries),
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
            t.set_header(["Check", "Side", "Severity", "Error codes", "Title"]);
            for e in &entries {
                t.add_row([
                    e.id.to_string(),
                    if e.tenant_side { "tenant" } else { "device" }.to_string(),
                    e.severity.unwrap_or("-").to_string(),
                    codes_or_dash(&e.error_codes),
                    e.title.to_string(),
                ]);
            }
            format!("{t}\n{} tenant-side checks, {} device-side causes. `intune-audit explain ID` for details.\n",
                REGISTRY.len(), DEVICE_CAUSES.len())
        }
    };
    render::print_stdout(&text)?;
    Ok(EXIT_OK)
}

/// The catalog as a Markdown table, for the README (a test keeps the README in sync).
pub fn markdown() -> String {
    let mut out = String::from("| Check | Side | Severity | Error codes | Article section(s) | Permission(s) |\n|---|---|---|---|---|---|\n");
    for e in entries() {
        let title = if e.in_article {
            e.title.to_string()
        } else {
            format!("{} *(also worth checking)*", e.title)
        };
        out.push_str(&format!(
            "| `{}`<br>{} | {} | {} | {} | {} | {} |\n",
            e.id,
            title,
            if e.tenant_side { "tenant" } else { "device" },
            e.severity.unwrap_or("-"),
            codes_or_dash(&e.error_codes),
            e.article_sections.join("<br>"),
            if e.permissions.is_empty() {
                "-".to_string()
            } else {
                e.permissions.join("<br>")
            },
        ));
    }
    out
}
