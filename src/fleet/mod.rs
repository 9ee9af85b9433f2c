//! Many tenants in one run (`audit --tenants FILE`) and across machines (`--shard K/N`, then
//! `intune-audit merge`): the tenant list, the shard a tenant falls in, and the summary every
//! run writes beside the tenants' own reports. The per-tenant audit itself is the ordinary one
//! (`commands::audit`); this module knows nothing of Graph or of the checks.

pub mod list;
pub mod report;
pub mod summary;

pub use list::{Shard, TenantEntry};
pub use summary::{Summary, TenantOutcome, TenantResult};
