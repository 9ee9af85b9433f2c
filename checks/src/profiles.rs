//! Device configuration profiles that reach Autopilot devices: for the profiles a check objects
//! to, which registered devices each one reaches through the device's Microsoft Entra object —
//! surely, possibly (a filter, an unread group, an unknown target, All users), or not at all.
//! Shared by the checks on policies that conflict with Windows Autopilot.

use crate::model::{AutopilotDevice, DeviceConfiguration};
use crate::report::{Affected, AffectedKind};
use crate::targeting::{self, classify, Identity, Principal, Reach, Target};
use crate::tenant::{Directory, NotEvaluated, Tenant};
use crate::verdict::{Judged, Tally};
use std::collections::BTreeMap;

/// A profile a check objects to.
pub struct Objection<'c> {
    pub profile: &'c DeviceConfiguration,
    /// Why reaching a device is only a risk (the setting is not understood); `None`: sure.
    pub doubt: Option<String>,
}

/// The devices' verdicts, and per profile id its name and how many devices it surely reaches.
pub struct Reached<'c> {
    pub tally: Tally,
    pub hits: BTreeMap<&'c str, (&'c str, usize)>,
}

/// Judges every Autopilot device against the objected profiles (all pass when there are none,
/// without reading the directory).
pub fn autopilot_devices_reached<'c>(
    t: &'c Tenant,
    autopilot: &'c [AutopilotDevice],
    objections: &[Objection<'c>],
) -> Result<Reached<'c>, NotEvaluated> {
    let mut reached = Reached {
        tally: Tally::default(),
        hits: BTreeMap::new(),
    };
    if objections.is_empty() {
        reached.tally.passed = autopilot.len();
        return Ok(reached);
    }
    let dir = t.group_members.get()?;
    let index = targeting::device_id_index(t.devices.get()?);
    for d in autopilot {
        let id = targeting::autopilot_identity(d, &index);
        let judged = judge_device(objections, id, dir, &mut reached.hits);
        reached.tally.add(
            Affected::new(AffectedKind::AutopilotDevice, &d.id, d.name()),
            judged,
        );
    }
    Ok(reached)
}

/// Whether one profile reaches one device (`Fail` = surely, and surely objectionable).
fn judge_one(o: &Objection<'_>, id: Identity<'_>, dir: &Directory) -> Judged {
    let c = o.profile;
    let assignments = c.assignments.as_deref();
    let reach = targeting::reach(assignments, Principal::Device, id, dir);
    let to_all_users = assignments
        .into_iter()
        .flatten()
        .any(|a| classify(&a.target).0 == Target::AllUsers);
    let judged = match reach {
        Reach::Excluded { .. } => return Judged::Pass,
        Reach::Included { filter: None, .. } => Judged::Fail,
        Reach::Included {
            filter: Some(f), ..
        } => Judged::Unknown(format!("assignment filter {} ({})", f.id, f.mode)),
        Reach::Unknown { reason } => Judged::Unknown(reason),
        Reach::NotTargeted if to_all_users => Judged::Unknown(
            "assigned to All users: it applies to the PCs those users sign in to".into(),
        ),
        Reach::NotTargeted => return Judged::Pass,
    };
    let why = match (judged, &o.doubt) {
        (Judged::Fail, Some(doubt)) => doubt.clone(),
        (Judged::Unknown(why), _) => why,
        (other, _) => return other,
    };
    Judged::Unknown(format!("'{}': {why}", c.name()))
}

/// A device's verdict over every objected profile; counts the profiles that surely reach it.
fn judge_device<'c>(
    objections: &[Objection<'c>],
    id: Identity<'_>,
    dir: &Directory,
    hits: &mut BTreeMap<&'c str, (&'c str, usize)>,
) -> Judged {
    let mut unknown = None;
    let mut failed = false;
    for o in objections {
        match judge_one(o, id, dir) {
            Judged::Fail => {
                failed = true;
                let c = o.profile;
                hits.entry(c.id.as_str()).or_insert((c.name(), 0)).1 += 1;
            }
            Judged::Unknown(why) => {
                unknown.get_or_insert(why);
            }
            Judged::Pass => {}
        }
    }
    match (failed, unknown) {
        (true, _) => Judged::Fail,
        (false, Some(why)) => Judged::Unknown(why),
        (false, None) => Judged::Pass,
    }
}
