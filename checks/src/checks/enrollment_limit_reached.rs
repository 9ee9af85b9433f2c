use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::devices::{is_limit_exempt_enrollment, AutopilotIndex};
use crate::model::EnrollmentConfiguration;
use crate::references::{DEVICE_ENROLLMENT, LIMITS, RESTRICTIONS, USER_CANNOT_ENROLL};
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

declare_check! {
    /// Users have reached (or nearly reached) their Intune device enrollment limit.
    ///
    /// ## What it checks
    /// For every user who could enroll, the device limit restriction Intune applies to them (the
    /// assigned limit configurations by priority, exclusions and nested groups included, else the
    /// default "All users and all devices" limit), and the number of Intune managed devices of any
    /// platform whose primary user they are. Devices the limit does not count are left out:
    /// Windows Autopilot devices (matched by Autopilot identity or serial number), Microsoft Entra
    /// join (out-of-box or from Settings), automatic (Group Policy / MDM scope), co-management,
    /// bulk (provisioning package) and device enrollment manager enrollments. A device whose
    /// enrollment type is absent may or may not count: a user it could push over the limit is at
    /// risk, not failed.
    /// It fails when a user has as many counted devices as their limit, and warns when a user is
    /// within the configured margin (`device_limit_margin`, default 1) of it. Users whose limit
    /// depends on an assignment filter are counted as undetermined.
    ///
    /// ## Why enrollment fails
    /// When a user's next enrollment would exceed the limit, Windows shows *"This user is not
    /// authorized to enroll" (0x801C0003 / 80180003)* or *"Looks like there are too many devices or
    /// users for this account" (0x80180013, MENROLL_E_DEVICECAPREACHED)*. The limit only stops
    /// user-driven MDM enrollment: Company Portal / bring-your-own-device enrollment and "Enroll
    /// only in device management" from Settings > Accounts > Access work or school (automatic
    /// enrollment a user starts with "Add work account" is not limited either: Microsoft Learn,
    /// "Intune and Microsoft Entra device limits"). Microsoft's current documentation says the limit can't be applied to Microsoft Entra
    /// joined devices (out-of-box or Settings join, bulk included), Windows Autopilot,
    /// co-management, Group Policy enrollment and device enrollment managers (Microsoft Learn,
    /// "Enrollment restrictions in Microsoft Intune", *Limitations*).
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > All devices, search for each user named in the finding, and retire or delete the devices they no longer use (old and duplicate records count against the limit).
    /// 2. Open Devices > Enrollment > Device limit restrictions and open the configuration named in the finding to see the limit that applies.
    /// 3. If the users need more devices, raise its Device limit (at most 15), or create a device limit restriction with a higher limit, assign it to a group of these users and give it a higher priority than the one that applies now.
    /// 4. Enroll corporate PCs through a path the limit does not count: Windows Autopilot, co-management, automatic enrollment by Group Policy, or bulk enrollment with a provisioning package.
    ///
    /// ## Known limitations
    /// Only devices whose primary user (`userId`) is the user are counted; a device enrolled by a
    /// user but reassigned to another primary user is counted for the new one. A device that was
    /// enrolled by Autopilot but is no longer registered in Autopilot is counted.
    pub META = CheckMeta {
        id: "enrollment-limit-reached",
        since: "0.1.0",
        preview: false,
        title: "Users at or near their Intune device enrollment limit",
        severity: Severity::High,
        area: Area::EnrollmentRestrictions,
        error_codes: &["0x801C0003", "0x80180003", "0x80180013"],
        article_sections: &["this-user-is-not-authorized-to-enroll"],
        resources: &[
            Resource::DeviceEnrollmentConfigurations,
            Resource::ManagedDevices,
            Resource::Users,
            Resource::GroupMembers,
            Resource::WindowsAutopilotDeviceIdentities,
        ],
        in_article: true,
        references: &[
            USER_CANNOT_ENROLL.at("Cause"),
            DEVICE_ENROLLMENT.at("Device cap reached"),
            RESTRICTIONS.at("Limitations"),
            LIMITS.at("Intune device limit restrictions"),
        ],
    };
}

const PATHS_AFFECTED: &[&str] = &[
    "Company Portal / bring-your-own-device user enrollment",
    "Enroll only in device management from Settings > Accounts > Access work or school",
];

const PATHS_NOT_AFFECTED: &[&str] = &[
    "Microsoft Entra join (out-of-box or from Settings, bulk included)",
    "Windows Autopilot",
    "co-management",
    "automatic enrollment by Group Policy",
    "device enrollment managers",
    "automatic enrollment a user starts with Add work account in Windows Settings",
];

/// One limit configuration and the users it applies to.
struct PerConfig<'a> {
    name: &'a str,
    priority: Option<i64>,
    limit: Option<i64>,
    users: usize,
    at: Vec<(Affected, usize)>,
    near: Vec<(Affected, usize)>,
}

fn user_list(users: &[(Affected, usize)]) -> Vec<Value> {
    users
        .iter()
        .map(|(a, n)| json!({"id": a.id, "name": a.name, "counted_devices": n}))
        .collect()
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether `counted` devices (plus `maybe` that may count) reach the configuration's limit.
fn at_limit(c: &EnrollmentConfiguration, counted: usize, maybe: usize) -> Judged {
    let Some(limit) = c.limit else {
        return Judged::Unknown(format!("'{}' has no limit value in the snapshot", c.name()));
    };
    if as_i64(counted) >= limit {
        Judged::Fail
    } else if as_i64(counted + maybe) >= limit {
        Judged::Unknown(format!(
            "devices whose enrollment type is absent may bring them to the limit of {limit}"
        ))
    } else {
        Judged::Pass
    }
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let (t, s) = (cx.tenant, cx.settings);
    let devices = t.managed_devices.get()?;
    let autopilot = t.autopilot_devices.get()?;
    let population = cx.population()?;
    let per_user = cx.limits()?;

    // The devices the limit counts, per primary user; those whose enrollment type is absent
    // may count.
    let autopilot = AutopilotIndex::new(autopilot);
    let mut counted: HashMap<String, usize> = HashMap::new();
    let mut maybe_counted: HashMap<String, usize> = HashMap::new();
    let (mut exempt_type, mut exempt_autopilot) = (0usize, 0usize);
    for d in devices {
        if is_limit_exempt_enrollment(d) {
            exempt_type += 1;
        } else if autopilot.contains(d) {
            exempt_autopilot += 1;
        } else if let Some(user) = d.user_id.as_deref().filter(|u| !u.is_empty()) {
            let map = if d.device_enrollment_type.is_some() {
                &mut counted
            } else {
                &mut maybe_counted
            };
            *map.entry(user.to_ascii_lowercase()).or_default() += 1;
        }
    }

    let margin = s.device_limit_margin.max(0);
    let mut per_config: BTreeMap<&str, PerConfig> = BTreeMap::new();
    let mut tally = Tally::default();
    for (user, resolution) in &per_user.users {
        let Some(resolution) = resolution else {
            continue;
        };
        let key = user.id.to_ascii_lowercase();
        let n = counted.get(&key).copied().unwrap_or(0);
        let maybe = maybe_counted.get(&key).copied().unwrap_or(0);
        let judged = resolution.judge(|c| at_limit(c, n, maybe));
        let who = Affected::new(AffectedKind::User, &user.id, user.name());
        let config = resolution.config;
        let entry = per_config.entry(&config.id).or_insert_with(|| PerConfig {
            name: config.name(),
            priority: config.priority,
            limit: config.limit,
            users: 0,
            at: Vec::new(),
            near: Vec::new(),
        });
        entry.users += 1;
        match (&judged, config.limit) {
            (Judged::Fail, _) => entry.at.push((who.clone(), n)),
            (Judged::Pass, Some(limit))
                if resolution.is_certain() && as_i64(n + maybe) >= limit - margin =>
            {
                entry.near.push((who.clone(), n + maybe))
            }
            _ => {}
        }
        tally.add(who, judged);
    }

    let at: usize = per_config.values().map(|c| c.at.len()).sum();
    let near: usize = per_config.values().map(|c| c.near.len()).sum();
    let mut evidence = json!({
        "population": population.evidence(),
        "users_undetermined": tally.undetermined_evidence(),
        "margin": margin,
        "devices": {
            "managed": devices.len(),
            "not_counted_enrollment_type": exempt_type,
            "not_counted_autopilot": exempt_autopilot,
        },
        "configurations": per_config.iter().map(|(id, c)| json!({
            "id": id, "name": c.name, "priority": c.priority, "limit": c.limit,
            "users_evaluated": c.users,
            "users_at_limit": user_list(&c.at),
            "users_near_limit": user_list(&c.near),
        })).collect::<Vec<_>>(),
        "paths_affected": PATHS_AFFECTED,
        "paths_not_affected": PATHS_NOT_AFFECTED,
    });
    let described = |pick: fn(&PerConfig) -> usize| -> String {
        per_config
            .values()
            .filter(|c| pick(c) > 0)
            .map(|c| {
                let limit = c
                    .limit
                    .map_or_else(|| "unknown".to_string(), |l| l.to_string());
                format!("'{}', limit {limit}: {}", c.name, count(pick(c), "user"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let at_described = described(|c| c.at.len());
    let near_described = described(|c| c.near.len());
    let at_risk_note = if tally.is_settled() {
        String::new()
    } else {
        format!("; {}", tally.at_risk_clause("more user"))
    };

    if at == 0 && near == 0 && tally.is_settled() {
        return Ok(Outcome::pass(format!(
            "{} evaluated is more than {} below their Intune device limit",
            crate::report::every_cap(tally.total(), "user"),
            count(margin as usize, "device")
        ))
        .with_evidence(evidence));
    }
    if at == 0 && near == 0 {
        return Ok(Outcome::warn(format!(
            "The Intune device limit may stop some of the {} evaluated: {}",
            count(tally.total(), "user"),
            tally.at_risk_clause("user")
        ))
        .with_affected(tally.at_risk_affected())
        .with_evidence(evidence));
    }
    evidence["security_tradeoff"] = json!(
        "A low device limit restrains how many devices one account can enroll, which hardening guides reward; \
         raising it for these users, or enrolling corporate PCs through Autopilot, co-management, Group Policy \
         or bulk enrollment (which the limit does not count), restores enrollment. Record a waiver if the limit is intended."
    );
    if at > 0 {
        let mut affected: Vec<Affected> = per_config
            .into_values()
            .flat_map(|c| c.at)
            .map(|(a, _)| a)
            .collect();
        affected.extend(tally.at_risk_affected());
        return Ok(Outcome::fail(format!(
            "{} reached their Intune device limit ({}): their next Company Portal or \
             Access work or school enrollment fails with 0x801C0003 / 0x80180013; \
             Entra join, Autopilot, co-management, Group Policy and device enrollment managers are not limited{}{}",
            if at == 1 { "1 user has".to_string() } else { format!("{at} users have") },
            at_described,
            if near > 0 {
                format!("; {near} more within {} of it", count(margin as usize, "device"))
            } else {
                String::new()
            },
            at_risk_note
        ))
        .with_affected(affected)
        .with_evidence(evidence));
    }
    let mut affected: Vec<Affected> = per_config
        .into_values()
        .flat_map(|c| c.near)
        .map(|(a, _)| a)
        .collect();
    affected.extend(tally.at_risk_affected());
    Ok(Outcome::warn(format!(
        "{} within {} of their Intune device limit ({}): \
         user-driven enrollment (Company Portal, Access work or school) fails once they reach it{at_risk_note}",
        if near == 1 { "1 user is".to_string() } else { format!("{near} users are") },
        count(margin as usize, "device"),
        near_described
    ))
    .with_affected(affected)
    .with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use crate::report::FindingStatus;
    use crate::snapshot::Resource;
    use crate::testkit::*;
    use serde_json::Value;

    const ID: &str = "enrollment-limit-reached";

    fn devices_of(user: &str, n: usize, enrollment_type: &str) -> Vec<Value> {
        (0..n)
            .map(|i| {
                managed_device(
                    &format!("{user}-{enrollment_type}-{i}"),
                    user,
                    "Windows",
                    "mdm",
                    enrollment_type,
                )
            })
            .collect()
    }

    fn base(configs: Vec<Value>, devices: Vec<Value>, autopilot: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(
                Resource::Users,
                vec![
                    user("u1", "adele@contoso.com"),
                    user("u2", "bob@contoso.com"),
                ],
            )
            .with(
                Resource::GroupMembers,
                vec![group("g-low", "Low limit", &[("user", "u2")])],
            )
            .with(Resource::DeviceEnrollmentConfigurations, configs)
            .with(Resource::ManagedDevices, devices)
            .with(Resource::WindowsAutopilotDeviceIdentities, autopilot)
    }

    #[test]
    fn passes_below_the_limit() {
        let f = base(
            vec![default_limit(5)],
            devices_of("u1", 3, "userEnrollment"),
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert!(f.affected.is_empty());
        assert_eq!(f.evidence["configurations"][0]["limit"], 5);
    }

    #[test]
    fn fails_for_the_user_at_the_limit() {
        let mut devices = devices_of("u1", 5, "userEnrollment");
        devices.push(managed_device(
            "ios-1",
            "u2",
            "iOS",
            "mdm",
            "userEnrollment",
        ));
        let f = base(vec![default_limit(5)], devices, vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u1"]);
        assert!(f.evidence["security_tradeoff"].is_string());
        assert!(f.evidence["paths_not_affected"]
            .as_array()
            .unwrap()
            .contains(&"Windows Autopilot".into()));
    }

    #[test]
    fn devices_of_all_platforms_count() {
        let mut devices = devices_of("u1", 3, "userEnrollment");
        devices.push(managed_device(
            "ios-1",
            "u1",
            "iOS",
            "mdm",
            "userEnrollment",
        ));
        devices.push(managed_device(
            "and-1",
            "u1",
            "Android",
            "mdm",
            "userEnrollment",
        ));
        let f = base(vec![default_limit(5)], devices, vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u1"]);
    }

    #[test]
    fn warns_within_the_margin() {
        let f = base(
            vec![default_limit(5)],
            devices_of("u2", 4, "userEnrollment"),
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["u2"]);
        assert_eq!(f.severity, crate::report::Severity::Medium);
    }

    #[test]
    fn assigned_lower_limit_applies_to_its_group() {
        let f = base(
            vec![
                default_limit(5),
                limit_config("low", 1, 2, vec![group_target("g-low")]),
            ],
            [
                devices_of("u1", 2, "userEnrollment"),
                devices_of("u2", 2, "userEnrollment"),
            ]
            .concat(),
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["u2"]);
        let low = f.evidence["configurations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "low")
            .unwrap()
            .clone();
        assert_eq!(low["limit"], 2);
        assert_eq!(low["users_at_limit"][0]["id"], "u2");
    }

    #[test]
    fn uncounted_enrollments_and_autopilot_devices_are_left_out() {
        let mut devices = [
            devices_of("u1", 1, "windowsAutoEnrollment"),
            devices_of("u1", 1, "windowsCoManagement"),
            devices_of("u1", 1, "windowsBulkUserless"),
            devices_of("u1", 1, "windowsBulkAzureDomainJoin"),
            devices_of("u1", 1, "windowsAzureADJoinUsingDeviceAuth"),
            devices_of("u1", 1, "windowsAzureADJoin"),
            devices_of("u1", 1, "deviceEnrollmentManager"),
            devices_of("u1", 2, "userEnrollment"),
        ]
        .concat();
        // One Autopilot device matched by serial, one by managed device id.
        devices[7]["serialNumber"] = "AP-SERIAL".into();
        let mut by_id = autopilot_device("ap2", "OTHER", "aad-x", "", "Surface");
        by_id["managedDeviceId"] = devices[8]["id"].clone();
        let f = base(
            vec![default_limit(3)],
            devices,
            vec![
                autopilot_device("ap1", "ap-serial", "aad-y", "", "Surface"),
                by_id,
            ],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["devices"]["not_counted_enrollment_type"], 7);
        assert_eq!(f.evidence["devices"]["not_counted_autopilot"], 2);
    }

    #[test]
    fn filtered_limit_is_undetermined_not_guessed() {
        let f = base(
            vec![
                default_limit(5),
                limit_config("low", 1, 1, vec![filtered_group_target("g-low", "flt-1")]),
            ],
            devices_of("u2", 1, "userEnrollment"),
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(f.evidence["users_undetermined"][0]["count"], 1);
        assert_eq!(affected_ids(&f), ["u2"]);
    }

    /// Microsoft Learn, "Enrollment restrictions in Microsoft Intune", Limitations: the device
    /// limit can't be applied to Microsoft Entra joined devices (the 2019 article implied OOBE
    /// Entra join fails at the limit).
    #[test]
    fn entra_joined_devices_do_not_count_and_oobe_join_is_not_named() {
        let f = base(
            vec![default_limit(3)],
            devices_of("u1", 5, "windowsAzureADJoin"),
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        let f = base(
            vec![default_limit(3)],
            devices_of("u1", 3, "userEnrollment"),
            vec![],
        )
        .run(ID);
        assert_eq!(f.status, FindingStatus::Fail);
        assert!(!f.summary.contains("OOBE"), "{}", f.summary);
        assert!(f.error_codes.contains(&"0x80180013".to_string()));
    }

    #[test]
    fn devices_without_an_enrollment_type_put_the_user_at_risk_not_at_fault() {
        let mut devices = devices_of("u1", 3, "userEnrollment");
        devices[2]
            .as_object_mut()
            .unwrap()
            .remove("deviceEnrollmentType");
        let f = base(vec![default_limit(3)], devices, vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::Warn, "{}", f.summary);
        assert_eq!(affected_ids(&f), ["u1"]);
    }

    #[test]
    fn not_evaluated_without_the_data() {
        let f = base(vec![default_limit(5)], vec![], vec![])
            .forbidden(Resource::ManagedDevices)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementManagedDevices.Read.All"]);
        let f = Fixture::new()
            .with(Resource::Users, vec![user("u1", "adele@contoso.com")])
            .with(Resource::GroupMembers, vec![])
            .with(
                Resource::DeviceEnrollmentConfigurations,
                vec![default_limit(5)],
            )
            .with(Resource::ManagedDevices, vec![])
            .run(ID);
        assert_eq!(
            f.status,
            FindingStatus::NotEvaluated,
            "Autopilot identities not collected"
        );
        let f = base(vec![], vec![], vec![]).run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated, "no default limit");
    }
}
