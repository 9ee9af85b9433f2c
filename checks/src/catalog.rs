//! Check metadata, the shape of a check, and running the registry over a tenant.

use crate::context::Ctx;
use crate::report::{Finding, FindingStatus, Outcome, Severity};
use crate::settings::Settings;
use crate::snapshot::Resource;
use crate::tenant::{NotEvaluated, Tenant};

/// What a check is, beside its logic. Declared with [`declare_check!`], whose doc comment (what
/// it checks, why enrollment fails, the fix) becomes `doc` at compile time.
#[derive(Debug)]
pub struct CheckMeta {
    /// Kebab-case, stable forever: reports, waivers and SARIF rule ids use it (a renamed id is
    /// kept working through [`RENAMED`]).
    pub id: &'static str,
    /// The doc comment, Markdown with `## What it checks`, `## Why enrollment fails`,
    /// `## Remediation` and optionally `## Known limitations`.
    pub doc: &'static str,
    /// The intune-audit version that introduced the check.
    pub since: &'static str,
    /// A preview check runs only with `--preview` (or `preview = true` in the configuration),
    /// so a new check does not fail every pipeline on upgrade.
    pub preview: bool,
    pub title: &'static str,
    pub severity: Severity,
    /// Where the check belongs in reports: JUnit suites, HTML charts, Markdown.
    pub area: Area,
    /// Canonical codes (`0x801C0003`) or names (`OOBEIDPS`).
    pub error_codes: &'static [&'static str],
    /// Anchors of the vendor article's sections (see `codes::SECTIONS`).
    pub article_sections: &'static [&'static str],
    /// Graph resources read; their least-privileged permissions are the check's permissions.
    pub resources: &'static [Resource],
    /// `false` for checks from the "also worth checking" list: not in the article, the same
    /// failures in practice.
    pub in_article: bool,
    /// The current Microsoft pages (and headings) that document the cause and its fix.
    pub references: &'static [Reference],
}

/// A section of a current Microsoft page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub title: &'static str,
    pub url: &'static str,
    pub heading: &'static str,
}

pub use crate::report::Area;

/// Declares a check's metadata with its doc comment, which is captured at compile time (like
/// clippy's `declare_clippy_lint!`):
///
/// ```ignore
/// declare_check! {
///     /// Title line.
///     ///
///     /// ## What it checks
///     /// …
///     pub META = CheckMeta { id: "some-check", since: "0.1.0", preview: false, … };
/// }
/// ```
#[macro_export]
macro_rules! declare_check {
    (
        $(#[doc = $doc:literal])*
        pub $name:ident = CheckMeta { $($field:ident : $value:expr),* $(,)? };
    ) => {
        pub const $name: $crate::catalog::CheckMeta = $crate::catalog::CheckMeta {
            doc: concat!($($doc, "\n"),*),
            $($field: $value),*
        };
    };
}

/// Check ids that were renamed: (old id, new id). Configurations, waivers and `explain` keep
/// working with the old id, with one warning.
pub const RENAMED: &[(&str, &str)] =
    &[("mam-user-scope-not-none", "mam-and-mdm-user-scope-overlap")];

/// The current id of a check id that may have been renamed.
pub fn current_id(id: &str) -> Option<&'static str> {
    RENAMED
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(id))
        .map(|(_, new)| *new)
}

pub type Evaluate = fn(&Ctx) -> Result<Outcome, NotEvaluated>;

/// A registered check: metadata and logic.
pub struct Check {
    pub meta: &'static CheckMeta,
    pub evaluate: Evaluate,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.meta.id).finish()
    }
}

impl Check {
    pub fn id(&self) -> &'static str {
        self.meta.id
    }

    /// The doc comment, as Markdown.
    pub fn doc(&self) -> String {
        self.meta
            .doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }

    /// The body of one `## Heading` of the doc comment.
    pub fn doc_section(&self, heading: &str) -> String {
        doc_section(&self.doc(), heading)
    }

    /// The "What it checks" prose as one paragraph (no Markdown emphasis), or the title.
    pub fn description(&self) -> String {
        let text = self.doc_section("What it checks");
        if text.is_empty() {
            return self.meta.title.to_string();
        }
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace('*', "")
    }

    /// The numbered or bulleted steps under `## Remediation`.
    pub fn remediation(&self) -> Vec<String> {
        list_items(&self.doc_section("Remediation"))
    }

    pub fn permissions(&self) -> Vec<&'static str> {
        let mut p: Vec<&'static str> = self.meta.resources.iter().map(|r| r.permission()).collect();
        p.sort_unstable();
        p.dedup();
        p
    }

    /// Runs the check on its own (tests, diagnose); `run_all` shares one context instead.
    pub fn run(&self, tenant: &Tenant, settings: &Settings) -> Finding {
        self.run_in(&Ctx::new(tenant, settings))
    }

    /// Runs the check; a panic-free `Err` becomes a `not_evaluated` finding.
    pub fn run_in(&self, cx: &Ctx) -> Finding {
        let meta = self.meta;
        let mut finding = Finding {
            check: meta.id.into(),
            area: Some(meta.area),
            description: self.description(),
            default_severity: Some(meta.severity),
            status: FindingStatus::NotEvaluated,
            severity: meta.severity,
            error_codes: meta.error_codes.iter().map(|c| c.to_string()).collect(),
            article_sections: meta
                .article_sections
                .iter()
                .map(|c| c.to_string())
                .collect(),
            title: meta.title.into(),
            summary: String::new(),
            affected: Vec::new(),
            affected_total: 0,
            evidence: serde_json::Value::Object(Default::default()),
            remediation: self.remediation(),
            references: meta
                .references
                .iter()
                .map(|r| crate::report::ReferenceLink {
                    title: r.title.into(),
                    url: r.url.into(),
                    heading: r.heading.into(),
                })
                .collect(),
            reason: None,
            permissions: Vec::new(),
            waived: false,
            waiver: None,
            observed: None,
        };
        match (self.evaluate)(cx) {
            Ok(outcome) => {
                finding.severity = match (outcome.severity, outcome.status) {
                    (Some(s), _) => s,
                    (None, FindingStatus::Warn) => meta.severity.lower(),
                    (None, _) => meta.severity,
                };
                finding.status = outcome.status;
                finding.summary = outcome.summary;
                finding.affected_total = outcome.affected.len();
                finding.affected = outcome.affected;
                finding.evidence = outcome.evidence;
            }
            Err(missing) => {
                finding.summary = format!("Not evaluated: {}", missing.reason);
                finding.reason = Some(missing.reason);
                finding.permissions = missing.permissions;
            }
        }
        finding
    }
}

/// The text under `## heading` up to the next `## `.
pub fn doc_section(doc: &str, heading: &str) -> String {
    let mut out = Vec::new();
    let mut inside = false;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            inside = h.trim().eq_ignore_ascii_case(heading);
            continue;
        }
        if inside {
            out.push(line);
        }
    }
    out.join("\n").trim().to_string()
}

/// Items of a Markdown list (`1.` or `-`), continuation lines joined.
pub fn list_items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let body = t.strip_prefix("- ").or_else(|| {
            t.split_once(". ")
                .filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
                .map(|(_, b)| b)
        });
        match (body, items.last_mut()) {
            (Some(b), _) => items.push(b.to_string()),
            (None, Some(last)) if !t.is_empty() => {
                last.push(' ');
                last.push_str(t);
            }
            _ => {}
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::declare_check! {
        /// Title line.
        ///
        /// ## What it checks
        /// A thing.
        ///
        /// ## Remediation
        /// 1. Open the portal.
        ///    Go on.
        /// 2. Save.
        pub SAMPLE = CheckMeta {
            id: "sample",
            since: "0.1.0",
            preview: false,
            title: "Sample",
            severity: Severity::Low,
            area: Area::Licensing,
            error_codes: &[],
            article_sections: &[],
            resources: &[],
            in_article: false,
            references: &[],
        };
    }

    #[test]
    fn doc_sections_and_steps_are_extracted() {
        fn never(_: &Ctx) -> Result<Outcome, NotEvaluated> {
            Err(NotEvaluated::new("test"))
        }
        let check = Check {
            meta: &SAMPLE,
            evaluate: never,
        };
        let doc = check.doc();
        assert!(doc.starts_with("Title line."), "{doc}");
        assert_eq!(doc_section(&doc, "What it checks"), "A thing.");
        assert_eq!(
            list_items(&doc_section(&doc, "Remediation")),
            vec!["Open the portal. Go on.", "Save."]
        );
    }
}
