//! Reading the per-check fixture cases in `checks/tests/fixtures/checks/<check-id>/<case>.json`
//! (format: `docs/fixtures.md`).
//!
//! Shared by the golden test (`checks/tests/golden.rs`) and the crate's own tests (registry and
//! metamorphic), so that every one of them expands a case the same way. The including module
//! must have `Resource` and `Settings` of this crate in scope.

use super::{Resource, Settings};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The made-up tenant every case runs in (the id the test builders use too).
pub const TENANT_ID: &str = "11111111-2222-3333-4444-555555555555";
/// "Now" for a case that does not set `collected_at`.
pub const COLLECTED_AT: &str = "2026-11-20T08:00:00Z";

/// File-name prefixes and the finding status each one promises, longest first.
pub const PREFIXES: &[(&str, &str)] = &[
    ("not-evaluated", "not_evaluated"),
    ("not-applicable", "not_applicable"),
    ("pass", "pass"),
    ("fail", "fail"),
    ("warn", "warn"),
];

/// One fixture case, expanded.
pub struct Case {
    pub check: String,
    /// The file name without `.json`, e.g. `fail-default-blocks`.
    pub name: String,
    pub path: PathBuf,
    /// The status the file name promises (`pass`, `fail`, `warn`, `not_evaluated`, `not_applicable`).
    pub expected: &'static str,
    pub description: String,
    /// A complete snapshot document (schema, version, tenant, collected_at, resources).
    pub snapshot: Value,
    pub settings: Settings,
}

/// `checks/tests/fixtures/checks`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checks")
}

/// The status a case's file name promises: `pass`, `pass-…`, `not-evaluated-…`, ….
pub fn expected_status(case_name: &str) -> Option<&'static str> {
    PREFIXES.iter().find_map(|(prefix, status)| {
        let rest = case_name.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('-')).then_some(*status)
    })
}

/// The check folders, sorted, with their case files (sorted).
pub fn case_files() -> Vec<(String, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(fixtures_dir()) else {
        return out;
    };
    for dir in dirs.filter_map(Result::ok) {
        let path = dir.path();
        if !path.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        out.push((dir.file_name().to_string_lossy().into_owned(), files));
    }
    out.sort();
    out
}

/// Every case of every check, expanded. Panics on a malformed case, naming the file.
pub fn all_cases() -> Vec<Case> {
    case_files()
        .into_iter()
        .flat_map(|(check, files)| files.into_iter().map(move |f| load(&check, &f)))
        .collect()
}

/// Reads and expands one case file.
pub fn load(check: &str, path: &Path) -> Case {
    let shown = path.display();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let expected = expected_status(&name).unwrap_or_else(|| {
        panic!("{shown}: the file name must start with pass, fail, warn, not-evaluated or not-applicable")
    });
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let (snapshot, settings, description) =
        expand(&case).unwrap_or_else(|e| panic!("{shown}: {e}"));
    Case {
        check: check.to_string(),
        name,
        path: path.to_path_buf(),
        expected,
        description,
        snapshot,
        settings,
    }
}

/// Wraps a partial snapshot (`description`?, `collected_at`?, `resources`, `settings`?) into a
/// full snapshot document. A resource left out stays "not collected".
pub fn expand(case: &Value) -> Result<(Value, Settings, String), String> {
    let obj = case.as_object().ok_or("a case is a JSON object")?;
    for key in obj.keys() {
        if !["description", "collected_at", "resources", "settings"].contains(&key.as_str()) {
            return Err(format!("unknown key {key:?}"));
        }
    }
    let mut resources = Map::new();
    let given = obj
        .get("resources")
        .and_then(Value::as_object)
        .ok_or("`resources` (an object) is required")?;
    for (key, entry) in given {
        if Resource::from_key(key).is_none() {
            return Err(format!("unknown resource {key:?}"));
        }
        let mut entry = entry
            .as_object()
            .ok_or_else(|| format!("resources.{key} is not an object"))?
            .clone();
        entry
            .entry("path")
            .or_insert_with(|| json!(format!("/fixture/{key}")));
        resources.insert(key.clone(), Value::Object(entry));
    }
    let snapshot = json!({
        "schema": "intune-audit/snapshot",
        "version": 1,
        "tenant": {"id": TENANT_ID, "name": "Contoso"},
        "cloud": "global",
        "collected_at": obj.get("collected_at").cloned().unwrap_or(json!(COLLECTED_AT)),
        "tool_version": "test",
        "resources": resources,
    });
    let settings = settings(obj.get("settings"))?;
    let description = obj
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok((snapshot, settings, description))
}

/// The `settings` of a case, with the keys of `intune-audit.toml`.
fn settings(value: Option<&Value>) -> Result<Settings, String> {
    // Preview checks are part of the golden record too (`"preview": false` tests the default).
    let mut s = Settings {
        preview: true,
        ..Settings::default()
    };
    let Some(value) = value else { return Ok(s) };
    let obj = value.as_object().ok_or("`settings` is an object")?;
    let int = |v: &Value, k: &str| v.as_i64().ok_or(format!("settings.{k} is an integer"));
    let strings = |v: &Value, k: &str| {
        v.as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(String::from)).collect())
            .ok_or(format!("settings.{k} is a list of strings"))
    };
    for (k, v) in obj {
        match k.as_str() {
            "device_limit_margin" => s.device_limit_margin = int(v, k)?,
            "device_quota_margin" => s.device_quota_margin = int(v, k)?,
            "connector_stale_days" => s.connector_stale_days = int(v, k)?,
            "disabled" => s.disabled = strings(v, k)?,
            "expected_mdm_scope_groups" => s.expected_mdm_scope_groups = Some(strings(v, k)?),
            "naming_prefix" => {
                s.naming_prefix = Some(
                    v.as_str()
                        .ok_or("settings.naming_prefix is a string")?
                        .into(),
                )
            }
            "preview" => s.preview = v.as_bool().ok_or("settings.preview is true or false")?,
            other => return Err(format!("unknown setting {other:?}")),
        }
    }
    Ok(s)
}
