//! intune-audit-checks: the tenant model, Intune's targeting logic and one module per check.
//!
//! Pure and synchronous: no network, no filesystem, no clock (time comes from the snapshot).
//! The binary crate does the I/O; this crate turns a [`snapshot::Snapshot`] into findings.

pub mod autopilot;
pub mod catalog;
pub mod checks;
pub mod codes;
pub mod context;
pub mod coverage;
pub mod device_side;
pub mod devices;
pub mod diagnose;
pub mod drift;
pub mod explain;
pub mod failures;
pub mod intern;
pub mod licensing;
pub mod load;
pub mod model;
pub mod population;
pub mod profiles;
pub mod references;
pub mod report;
pub mod report_diff;
pub mod run;
pub mod settings;
pub mod snapshot;
pub mod targeting;
pub mod tenant;
pub mod time;
pub mod verdict;

#[cfg(test)]
#[allow(dead_code)]
#[path = "../tests/common/fixture_case.rs"]
pub(crate) mod fixture_case;
#[cfg(test)]
mod load_tests;
#[cfg(test)]
mod metamorphic_tests;
#[cfg(test)]
mod registry_tests;
#[cfg(test)]
#[allow(dead_code)]
pub(crate) mod testkit;

pub use catalog::{Area, Check, CheckMeta};
pub use load::Loaded;
pub use report::{
    Affected, AffectedKind, Finding, FindingStatus, Outcome, Report, Severity, WaiverRef,
    WaiverState,
};
pub use run::{find, run_all};
pub use settings::Settings;
pub use snapshot::{Envelope, Resource, Snapshot, SnapshotError};
pub use tenant::{NotEvaluated, Tenant};

/// Loads a snapshot, types it, runs every enabled check and builds the report.
pub fn audit(
    snapshot: &Snapshot,
    settings: &Settings,
    tool_version: &str,
) -> Result<Report, SnapshotError> {
    let tenant = Tenant::from_snapshot(snapshot)?;
    Ok(audit_tenant(
        &snapshot.envelope(),
        &tenant,
        settings,
        tool_version,
    ))
}

/// Runs every enabled check over a tenant already typed (by [`load`] or
/// [`Tenant::from_snapshot`]) from the snapshot whose envelope is `envelope`.
pub fn audit_tenant(
    envelope: &Envelope,
    tenant: &Tenant,
    settings: &Settings,
    tool_version: &str,
) -> Report {
    let mut findings = run_all(tenant, settings);
    let failures = failures::observe(tenant, &mut findings, settings.history_days);
    Report::new(
        report::TenantRef {
            id: envelope.tenant.id.clone(),
            name: envelope.tenant.name.clone(),
        },
        envelope.collected_at.clone(),
        tool_version.to_string(),
        findings,
    )
    .with_failures(failures)
}
