//! Verdicts under uncertainty: what one subject's data settles, and how a check's subjects add
//! up to its status.
//!
//! A subject (user, device, Autopilot device) either surely passes, surely fails, or is
//! *unsettled*: some possible outcome fails and the data cannot tell which one Intune applies
//! (assignment filter, target type not understood, assignments or members not collected,
//! referenced object missing, enum value not known, property absent). The rule every check
//! follows:
//! - fail: some subject surely fails;
//! - warn ("at risk"): no subject surely fails, some may;
//! - pass: every possible outcome of every subject passes;
//! - not_evaluated: nothing could be settled (the check returns `NotEvaluated`).
//!
//! Adding uncertainty to a tenant can therefore only move a verdict towards warn or
//! not_evaluated, never to pass.

use crate::report::{count, Affected};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One subject's verdict, or one possible outcome of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Pass,
    Fail,
    /// The data cannot settle it; the reason names what is missing.
    Unknown(String),
}

impl Judged {
    /// `Fail` when `failing`, else `Pass`.
    pub fn fails_if(failing: bool) -> Judged {
        if failing {
            Judged::Fail
        } else {
            Judged::Pass
        }
    }

    /// Reads a property that may be absent: absent is unknown, never false.
    pub fn from_flag(flag: Option<bool>, absent: impl FnOnce() -> String) -> Judged {
        match flag {
            Some(f) => Judged::fails_if(f),
            None => Judged::Unknown(absent()),
        }
    }
}

/// Combines the possible outcomes of one subject. `outcomes` pairs each outcome with why it
/// is only possible (`None`: it applies for sure if nothing before it does). The subject
/// surely fails only when every possible outcome fails; it surely passes only when every one
/// passes; otherwise it is unsettled, with the first reason met.
pub fn over_possibilities(outcomes: impl IntoIterator<Item = (Judged, Option<String>)>) -> Judged {
    let (mut any_pass, mut any_fail) = (false, false);
    let mut reason: Option<String> = None;
    let mut possible_reason: Option<String> = None;
    for (judged, why) in outcomes {
        if possible_reason.is_none() {
            possible_reason = why;
        }
        match judged {
            Judged::Pass => any_pass = true,
            Judged::Fail => any_fail = true,
            Judged::Unknown(r) => {
                reason.get_or_insert(r);
            }
        }
    }
    match (reason, any_pass, any_fail) {
        (Some(r), _, _) => Judged::Unknown(r),
        (None, true, true) => Judged::Unknown(
            possible_reason
                .unwrap_or_else(|| "the data does not settle which setting applies".into()),
        ),
        (None, _, true) => Judged::Fail,
        (None, _, false) => Judged::Pass,
    }
}

/// How many subjects of each kind a check saw; the at-risk ones keep their reason.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub failed: Vec<Affected>,
    pub at_risk: Vec<(Affected, String)>,
    pub passed: usize,
}

/// How many at-risk subjects the evidence names, per reason.
const SAMPLE: usize = 5;

impl Tally {
    pub fn add(&mut self, subject: Affected, judged: Judged) {
        match judged {
            Judged::Pass => self.passed += 1,
            Judged::Fail => self.failed.push(subject),
            Judged::Unknown(why) => self.at_risk.push((subject, why)),
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed.len() + self.at_risk.len()
    }

    /// Every subject was settled.
    pub fn is_settled(&self) -> bool {
        self.at_risk.is_empty()
    }

    /// The at-risk subjects, each named with its reason.
    pub fn at_risk_affected(&self) -> Vec<Affected> {
        self.at_risk
            .iter()
            .map(|(a, why)| a.clone().undetermined(why.clone()))
            .collect()
    }

    /// The reasons subjects are unsettled, with counts and a few names each (evidence).
    pub fn undetermined_evidence(&self) -> Value {
        let mut by_reason: BTreeMap<&str, Vec<&Affected>> = BTreeMap::new();
        for (a, why) in &self.at_risk {
            by_reason.entry(why.as_str()).or_default().push(a);
        }
        Value::Array(
            by_reason
                .into_iter()
                .map(|(why, subjects)| {
                    json!({
                        "why": why,
                        "count": subjects.len(),
                        "sample": subjects.iter().take(SAMPLE).map(|a| &a.name).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    }

    /// "3 users (2 more at risk: the members of group 'X' were not collected)".
    pub fn at_risk_clause(&self, noun: &str) -> String {
        match self.at_risk.first() {
            None => String::new(),
            Some((_, why)) if self.distinct_reasons() == 1 => {
                format!("{} at risk: {why}", count(self.at_risk.len(), noun))
            }
            Some((_, why)) => format!(
                "{} at risk ({} reasons, e.g. {why})",
                count(self.at_risk.len(), noun),
                self.distinct_reasons()
            ),
        }
    }

    /// The first `n` names of the failed subjects, joined: "SER-1, SER-2".
    pub fn failed_names(&self, n: usize) -> String {
        let names: Vec<&str> = self
            .failed
            .iter()
            .take(n)
            .map(|a| a.name.as_str())
            .collect();
        names.join(", ")
    }

    /// The usual outcome: fail naming the failed subjects (and listing the at-risk ones), warn
    /// when only at-risk subjects remain, pass otherwise. Each summary is built only when used.
    pub fn outcome(
        self,
        evidence: Value,
        fail: impl FnOnce(&Tally) -> String,
        warn: impl FnOnce(&Tally) -> String,
        pass: impl FnOnce(&Tally) -> String,
    ) -> crate::report::Outcome {
        use crate::report::Outcome;
        let outcome = if !self.failed.is_empty() {
            let mut affected = self.failed.clone();
            affected.extend(self.at_risk_affected());
            Outcome::fail(fail(&self)).with_affected(affected)
        } else if !self.is_settled() {
            Outcome::warn(warn(&self)).with_affected(self.at_risk_affected())
        } else {
            Outcome::pass(pass(&self))
        };
        outcome.with_evidence(evidence)
    }

    fn distinct_reasons(&self) -> usize {
        let mut reasons: Vec<&str> = self.at_risk.iter().map(|(_, w)| w.as_str()).collect();
        reasons.sort_unstable();
        reasons.dedup();
        reasons.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(outcomes: &[(Judged, Option<&str>)]) -> Judged {
        over_possibilities(
            outcomes
                .iter()
                .map(|(j, w)| (j.clone(), w.map(String::from))),
        )
    }

    #[test]
    fn a_subject_fails_only_when_every_possibility_fails() {
        assert_eq!(j(&[(Judged::Fail, None)]), Judged::Fail);
        assert_eq!(
            j(&[(Judged::Fail, Some("filter")), (Judged::Fail, None)]),
            Judged::Fail
        );
        assert_eq!(
            j(&[(Judged::Pass, Some("filter")), (Judged::Fail, None)]),
            Judged::Unknown("filter".into())
        );
        assert_eq!(
            j(&[(Judged::Fail, Some("filter")), (Judged::Pass, None)]),
            Judged::Unknown("filter".into())
        );
        assert_eq!(
            j(&[(Judged::Pass, Some("filter")), (Judged::Pass, None)]),
            Judged::Pass
        );
        assert_eq!(
            j(&[(Judged::Unknown("absent".into()), None)]),
            Judged::Unknown("absent".into())
        );
    }

    #[test]
    fn tally_groups_reasons() {
        let mut t = Tally::default();
        let a = |id: &str| Affected::new(crate::report::AffectedKind::User, id, id);
        t.add(a("u1"), Judged::Pass);
        t.add(a("u2"), Judged::Unknown("filter f".into()));
        t.add(a("u3"), Judged::Unknown("filter f".into()));
        t.add(a("u4"), Judged::Fail);
        assert_eq!(t.total(), 4);
        assert_eq!(t.undetermined_evidence()[0]["count"], 2);
        assert_eq!(t.at_risk_clause("user"), "2 users at risk: filter f");
        assert_eq!(
            t.at_risk_affected()[0].undetermined.as_deref(),
            Some("filter f")
        );
    }
}
