//! The evaluation context every check receives: the tenant, the settings, and the analyses
//! several checks share, each worked out once per run on first use (cargo-deny's `CheckCtx`,
//! clippy's `LateContext`). Checks run side by side, so the analyses are `OnceLock`s.
//!
//! Shared analyses keep the checks short and consistent: the enrolling population, the
//! Windows restriction and device limit that apply to each of its users, and every Autopilot
//! device's profile resolution. Each carries the uncertainty of its subjects (see
//! [`crate::verdict`]); a check only decides what the outcome means for it.

use crate::autopilot::{self, Autopilot};
use crate::population::{enrolling_users, Population};
use crate::settings::Settings;
use crate::targeting::{Ranked, Resolution};
use crate::tenant::{NotEvaluated, Tenant};
use std::sync::OnceLock;

/// One user of the population and the configuration that applies to them (`None` only when
/// the tenant lost its default configuration of that type).
pub type UserResolution<'t> = (&'t crate::model::User, Option<Resolution<'t>>);

pub struct Ctx<'t> {
    pub tenant: &'t Tenant,
    pub settings: &'t Settings,
    population: OnceLock<Result<Population<'t>, NotEvaluated>>,
    autopilot: OnceLock<Result<Autopilot<'t>, NotEvaluated>>,
    windows_restrictions: OnceLock<Result<PerUser<'t>, NotEvaluated>>,
    limits: OnceLock<Result<PerUser<'t>, NotEvaluated>>,
}

/// A ranking of configurations and its resolution for every user of the population.
pub struct PerUser<'t> {
    pub ranked: Ranked<'t>,
    pub users: Vec<UserResolution<'t>>,
}

impl<'t> Ctx<'t> {
    pub fn new(tenant: &'t Tenant, settings: &'t Settings) -> Self {
        Ctx {
            tenant,
            settings,
            population: OnceLock::new(),
            autopilot: OnceLock::new(),
            windows_restrictions: OnceLock::new(),
            limits: OnceLock::new(),
        }
    }

    /// The users whose enrollment the checks judge.
    pub fn population(&self) -> Result<&Population<'t>, NotEvaluated> {
        cached(&self.population, || enrolling_users(self.tenant))
    }

    /// Every Autopilot device's deployment profile resolution.
    pub fn autopilot(&self) -> Result<&Autopilot<'t>, NotEvaluated> {
        cached(&self.autopilot, || autopilot::resolve(self.tenant))
    }

    /// The Windows (MDM) platform restriction each user of the population gets.
    pub fn windows_restrictions(&self) -> Result<&PerUser<'t>, NotEvaluated> {
        cached(&self.windows_restrictions, || {
            self.per_user(Ranked::windows_restrictions, "platform restriction")
        })
    }

    /// The device limit configuration each user of the population gets.
    pub fn limits(&self) -> Result<&PerUser<'t>, NotEvaluated> {
        cached(&self.limits, || {
            self.per_user(Ranked::limits, "device limit")
        })
    }

    fn per_user(
        &self,
        rank: fn(&'t [crate::model::EnrollmentConfiguration]) -> Ranked<'t>,
        what: &str,
    ) -> Result<PerUser<'t>, NotEvaluated> {
        let configs = self.tenant.enrollment_configurations.get()?;
        let dir = self.tenant.group_members.get()?;
        let population = self.population()?;
        let ranked = rank(configs);
        if ranked.default.is_none() {
            return Err(NotEvaluated::new(format!(
                "the default {what} configuration is missing from deviceEnrollmentConfigurations"
            )));
        }
        let users = population
            .users
            .iter()
            .map(|u| (*u, ranked.resolve(&u.id, dir)))
            .collect();
        Ok(PerUser { ranked, users })
    }
}

/// Works an analysis out once; every caller gets the same result or the same reason.
fn cached<T>(
    slot: &OnceLock<Result<T, NotEvaluated>>,
    compute: impl FnOnce() -> Result<T, NotEvaluated>,
) -> Result<&T, NotEvaluated> {
    slot.get_or_init(compute).as_ref().map_err(Clone::clone)
}
