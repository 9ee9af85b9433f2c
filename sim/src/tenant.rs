//! A synthetic tenant, generated on demand: item `i` of a collection is a pure function of the
//! seed, the sizes and `i`, so a 100k-user tenant never sits in memory as JSON.
//!
//! Large collections (users, Entra devices, Intune managed devices, Autopilot devices, group
//! memberships) are generated per item. The small ones (organization, domains, SKUs, enrollment
//! configurations, Autopilot profiles, MDM/MAM scopes, the device registration policy, ODJ
//! connectors) start from the shipped `broken` sample tenant, so every tenant-side check has
//! something to find, and are scaled to the sizes (SKU seat counts). A share of the generated
//! items is broken on purpose too (no Intune licence, a suspended plan, a UPN mismatch, Autopilot
//! devices without a profile, hybrid-joined devices).

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How big the tenant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub users: usize,
    pub managed_devices: usize,
    pub autopilot_devices: usize,
}

impl Sizes {
    /// The default shape: 2 managed devices and 0.2 Autopilot devices per user.
    pub fn per_user(users: usize) -> Sizes {
        Sizes::shaped(users, &Shape::default())
    }
    /// The counts a shape gives `users` users.
    pub fn shaped(users: usize, shape: &Shape) -> Sizes {
        Sizes {
            users,
            managed_devices: users * shape.devices_per_user,
            autopilot_devices: users * shape.autopilot_permille / 1000,
        }
    }
    /// Entra device objects: one per managed device plus one per Autopilot device.
    pub fn entra_devices(&self) -> usize {
        self.managed_devices + self.autopilot_devices
    }
}

/// How devices are named: what the collector's `displayName` range partitions have to cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `DESKTOP-`, `LAPTOP-`, `iPhone-`, `Galaxy-` by index, then 7 random characters.
    Default,
    /// A real tenant's mix, chosen by a hash of the index: `CTS-…`, `DESKTOP-…`,
    /// `CONTOSO-LT-…`, bare serials and personal names with an apostrophe ("Chen's iPhone").
    Mixed,
}

/// What kind of tenant: how devices are named and how many of each there are per user, how many
/// extra groups the enrollment configuration targets, how long the failure history is.
/// `Shape::default()` is the tenant every figure before shapes was measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub naming: Naming,
    /// Autopilot devices per 1,000 users (100–700; default 200).
    pub autopilot_permille: usize,
    /// Intune managed devices per user, each with its Entra object (1–10; default 2).
    pub devices_per_user: usize,
    /// Extra groups one enrollment configuration targets (0–50; default 0: the sample's ten).
    pub targeted_groups: usize,
    /// Members of the first extra group (capped at the user count; the others hold 1 user in 50).
    pub largest_group: usize,
    /// Enrollment failure events, and as many Autopilot events, per 1,000 users (default 250).
    pub events_permille: usize,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            naming: Naming::Default,
            autopilot_permille: 200,
            devices_per_user: 2,
            targeted_groups: 0,
            largest_group: 0,
            events_permille: 250,
        }
    }
}

/// The named shapes `bench --shape` and `graph-sim --shape` accept.
pub const SHAPES: &[&str] = &[
    "default",
    "mixed-names",
    "autopilot-heavy",
    "many-devices",
    "many-groups",
    "events",
    "stand-in",
    "worst",
];

impl Shape {
    /// A named preset; `worst` is all the others at once; `stand-in` is the tenant of the
    /// independent Graph stand-in that issue 15 measured on (mixed names, 0.68 Autopilot
    /// devices per user, one more targeted group of up to 68k users).
    pub fn preset(name: &str) -> Option<Shape> {
        let mut s = Shape::default();
        let all = name == "worst";
        if !SHAPES.contains(&name) {
            return None;
        }
        if all || name == "mixed-names" {
            s.naming = Naming::Mixed;
        }
        if all || name == "autopilot-heavy" {
            s.autopilot_permille = 700;
        }
        if all || name == "many-devices" {
            s.devices_per_user = 10;
        }
        if all || name == "many-groups" {
            s.targeted_groups = 50;
            s.largest_group = 100_000;
        }
        if all || name == "events" {
            s.events_permille = 1000;
        }
        if name == "stand-in" {
            s.naming = Naming::Mixed;
            s.autopilot_permille = 680;
            s.targeted_groups = 1;
            s.largest_group = 68_000;
        }
        Some(s)
    }

    /// Sets one property from a command-line flag (`--naming`, `--autopilot-share`,
    /// `--devices-per-user`, `--groups`, `--largest-group`, `--events-per-user`); the values
    /// are checked against the ranges above.
    pub fn set(&mut self, flag: &str, value: &str) -> Result<(), String> {
        let bad = || format!("bad value {value:?} for {flag}");
        let num = |lo: f64, hi: f64| -> Result<f64, String> {
            let v: f64 = value.parse().map_err(|_| bad())?;
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(format!("{flag} must be within {lo}..={hi}"))
            }
        };
        // Counts are whole numbers: "2.5 devices per user" is refused, not rounded.
        let count = |lo: usize, hi: usize| -> Result<usize, String> {
            let v: usize = value.parse().map_err(|_| bad())?;
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(format!("{flag} must be within {lo}..={hi}"))
            }
        };
        match flag {
            "--naming" => {
                self.naming = match value {
                    "default" => Naming::Default,
                    "mixed" => Naming::Mixed,
                    _ => return Err(bad()),
                }
            }
            "--autopilot-share" => {
                self.autopilot_permille = (num(0.1, 0.7)? * 1000.0).round() as usize
            }
            "--devices-per-user" => self.devices_per_user = count(1, 10)?,
            "--groups" => self.targeted_groups = count(0, 50)?,
            "--largest-group" => self.largest_group = count(0, 100_000)?,
            "--events-per-user" => {
                self.events_permille = (num(0.0, 10.0)? * 1000.0).round() as usize
            }
            _ => return Err(format!("unknown shape flag {flag}")),
        }
        Ok(())
    }

    /// The flags [`Shape::set`] accepts.
    pub const FLAGS: &'static [&'static str] = &[
        "--naming",
        "--autopilot-share",
        "--devices-per-user",
        "--groups",
        "--largest-group",
        "--events-per-user",
    ];
}

/// The big collections, generated per item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Big {
    Users,
    Devices,
    ManagedDevices,
    Autopilot,
}

/// Who a group's members are: every `modulus`-th item with one of `residues`, up to `cap`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub of: Big,
    pub modulus: usize,
    pub residues: Vec<usize>,
    pub cap: Option<usize>,
}

/// A group the configuration references, with nested groups first.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub nested: Vec<String>,
    pub rules: Vec<Rule>,
}

pub struct Tenant {
    pub seed: u64,
    pub sizes: Sizes,
    pub shape: Shape,
    /// Small resources by snapshot key, in Graph shape (expandable fields included).
    pub small: BTreeMap<String, Vec<Value>>,
    pub groups: Vec<Group>,
    pub tenant_id: String,
}

const TEMPLATE: &str = include_str!("../../examples/tenants/broken.json");

const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
const AAD_PREMIUM: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
const EXCHANGE_S_ENTERPRISE: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";

const FIRST: &[&str] = &[
    "adele",
    "alex",
    "allan",
    "bianca",
    "christie",
    "debra",
    "diego",
    "emily",
    "enrico",
    "grady",
    "henrietta",
    "irvin",
    "isaiah",
    "johanna",
    "joni",
    "lee",
    "lidia",
    "lynne",
    "megan",
    "miriam",
    "nestor",
    "patti",
    "pradeep",
    "raul",
    "sanne",
    "thijs",
    "wouter",
    "yara",
    "zeno",
    "fleur",
];
const LAST: &[&str] = &[
    "vance",
    "wilber",
    "beck",
    "pollard",
    "cline",
    "berger",
    "zbinden",
    "braun",
    "bogdanovic",
    "archie",
    "cermak",
    "mueller",
    "jansen",
    "lamb",
    "sherman",
    "gu",
    "holloway",
    "cox",
    "bowen",
    "hagen",
    "sullivan",
    "fernandez",
    "gupta",
    "ruiz",
];
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// splitmix64 over (seed, kind, index): the only source of variation.
pub fn mix(seed: u64, kind: u64, i: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(kind << 40)
        .wrapping_add(i)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A made-up GUID, stable per (seed, kind, index).
pub fn guid(seed: u64, kind: u64, i: u64) -> String {
    let a = mix(seed, kind, i);
    let b = mix(seed, kind | 0x100, i);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 + (b >> 62),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

const K_USER: u64 = 1;
const K_MANAGED: u64 = 3;
const K_ENTRA: u64 = 4;
const K_ENTRA_DEVICE_ID: u64 = 5;
const K_AUTOPILOT: u64 = 6;
const K_NAME: u64 = 11;
const K_EVENT: u64 = 20;
const K_GROUP: u64 = 30;
const K_CONFIG: u64 = 31;
/// Entra object index offset of the Autopilot devices' Entra objects.
const AP_OFFSET: u64 = 10_000_000;

fn plan(id: &str, status: &str) -> Value {
    let service = match id {
        INTUNE_A => "SCO",
        AAD_PREMIUM => "AADPremiumService",
        _ => "exchange",
    };
    json!({"assignedDateTime": "2024-07-01T09:12:44Z", "capabilityStatus": status, "service": service, "servicePlanId": id})
}

impl Tenant {
    /// The default shape's tenant.
    pub fn new(seed: u64, sizes: Sizes) -> Tenant {
        Tenant::shaped(seed, sizes, Shape::default())
    }

    /// A tenant of the given shape (the sizes usually come from [`Sizes::shaped`]).
    pub fn shaped(seed: u64, sizes: Sizes, shape: Shape) -> Tenant {
        let doc: Value = serde_json::from_str(TEMPLATE).unwrap_or(Value::Null);
        let tenant_id = doc
            .pointer("/tenant/id")
            .and_then(Value::as_str)
            .unwrap_or("8c1a4f2e-0b7d-4e39-9a61-5d2f3c4b6a70")
            .to_string();
        let mut small = BTreeMap::new();
        let mut groups = Vec::new();
        if let Some(res) = doc.get("resources").and_then(Value::as_object) {
            for (k, v) in res {
                let items = v
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                match k.as_str() {
                    "users" | "devices" | "managedDevices" | "windowsAutopilotDeviceIdentities" => {
                    }
                    "groupMembers" => {
                        for g in items {
                            let id = g["id"].as_str().unwrap_or_default().to_string();
                            let name = g["displayName"].as_str().unwrap_or_default().to_string();
                            groups.push(group_rules(id, name));
                        }
                    }
                    _ => {
                        small.insert(k.clone(), items);
                    }
                }
            }
        }
        // Nesting: "Sales" holds "Sales EMEA" (transitive members list both the group and its users).
        let emea = groups
            .iter()
            .find(|g| g.display_name == "Sales EMEA")
            .map(|g| g.id.clone());
        for g in &mut groups {
            if g.display_name == "Sales" {
                g.nested.extend(emea.clone());
            }
        }
        // Seats: the first SKU is a little short of the user count (a licensing finding).
        if let Some(skus) = small.get_mut("subscribedSkus") {
            let seats = sizes.users - sizes.users / 50;
            for (n, sku) in skus.iter_mut().enumerate() {
                if n == 0 {
                    sku["prepaidUnits"]["enabled"] = json!(seats);
                    sku["consumedUnits"] = json!(sizes.users - sizes.users / 250);
                }
            }
        }
        let mut t = Tenant {
            seed,
            sizes,
            shape,
            small,
            groups,
            tenant_id,
        };
        t.add_targeted_groups();
        t.small
            .insert("troubleshootingEvents".into(), t.troubleshooting_events());
        t.small
            .insert("autopilotEvents".into(), t.autopilot_events());
        t
    }

    /// Events of each kind: one per 4 users in the default shape.
    fn events(&self) -> usize {
        self.sizes.users * self.shape.events_permille / 1000
    }

    /// The shape's extra groups, all targeted by one more enrollment restriction (a copy of the
    /// sample's group-targeted one, with one assignment per group: Graph's
    /// `deviceEnrollmentConfiguration` `assignments`, as the sample has them).
    fn add_targeted_groups(&mut self) {
        let n = self.shape.targeted_groups;
        if n == 0 {
            return;
        }
        let ids: Vec<String> = (0..n).map(|g| guid(self.seed, K_GROUP, g as u64)).collect();
        for (g, id) in ids.iter().enumerate() {
            let rules = if g == 0 {
                vec![rule(Big::Users, 1, &[0], Some(self.shape.largest_group))]
            } else {
                vec![rule(Big::Users, 50, &[g % 50], None)]
            };
            self.groups.push(Group {
                id: id.clone(),
                display_name: format!("Enrollment wave {:02}", g + 1),
                nested: Vec::new(),
                rules,
            });
        }
        let Some(configs) = self.small.get_mut("deviceEnrollmentConfigurations") else {
            return;
        };
        let template = configs.iter().find(|c| {
            c.pointer("/assignments/0/target/groupId").is_some()
                && c["@odata.type"]
                    == "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration"
        });
        let Some(mut config) = template.cloned() else {
            return;
        };
        let priority = configs
            .iter()
            .filter_map(|c| c["priority"].as_u64())
            .max()
            .unwrap_or(0);
        let config_id = guid(self.seed, K_CONFIG, 0);
        let assignment = config["assignments"][0].clone();
        let assignments: Vec<Value> = ids
            .iter()
            .map(|id| {
                let mut a = assignment.clone();
                a["id"] = json!(format!("{config_id}_{id}"));
                a["target"]["groupId"] = json!(id);
                a
            })
            .collect();
        config["id"] = json!(config_id);
        config["displayName"] = json!("Windows - Enrollment waves");
        config["priority"] = json!(priority + 1);
        config["assignments"] = json!(assignments);
        configs.push(config);
    }

    /// One enrollment failure per 4 users over the last 30 days (50k events with the Autopilot
    /// ones at 100k users), in Graph's full shape: the collector trims them.
    fn troubleshooting_events(&self) -> Vec<Value> {
        const CATEGORIES: [&str; 6] = [
            "authorization",
            "enrollmentRestrictionsEnforced",
            "userValidation",
            "authentication",
            "clientDisconnected",
            "userAbandonment",
        ];
        let now = time::OffsetDateTime::now_utc();
        (0..self.events())
            .map(|k| {
                let r = mix(self.seed, K_EVENT, k as u64);
                let when = now - time::Duration::minutes((r % (30 * 24 * 60)) as i64);
                let user = self.user_id((r >> 20) as usize % self.sizes.users.max(1));
                json!({"@odata.type": "#microsoft.graph.enrollmentTroubleshootingEvent",
                    "id": guid(self.seed, K_EVENT, k as u64),
                    "eventDateTime": when.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "correlationId": guid(self.seed, K_EVENT + 1, k as u64), "managedDeviceIdentifier": "",
                    "operatingSystem": "Windows", "osVersion": "10.0.22631.4460", "userId": user, "deviceId": "",
                    "enrollmentType": "userEnrollment",
                    "failureCategory": CATEGORIES[(r >> 40) as usize % CATEGORIES.len()],
                    "failureReason": "Simulated failure"})
            })
            .collect()
    }

    /// One Autopilot deployment per 4 users, one in three failed.
    fn autopilot_events(&self) -> Vec<Value> {
        let now = time::OffsetDateTime::now_utc();
        let n_ap = self.sizes.autopilot_devices.max(1);
        (0..self.events())
            .map(|k| {
                let r = mix(self.seed, K_EVENT + 2, k as u64);
                let when = now - time::Duration::minutes((r % (30 * 24 * 60)) as i64);
                let at = when.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                let failed = r.is_multiple_of(3);
                let state = if failed { "failure" } else { "success" };
                json!({"@odata.type": "#microsoft.graph.deviceManagementAutopilotEvent",
                    "id": guid(self.seed, K_EVENT + 2, k as u64), "deviceId": guid(self.seed, K_EVENT + 3, k as u64),
                    "userId": "", "eventDateTime": at, "deviceRegisteredDateTime": "2026-03-02T11:00:00Z",
                    "enrollmentStartDateTime": at, "enrollmentType": "azureADJoinedWithAutopilotProfile",
                    "deviceSerialNumber": self.serial((r >> 20) as usize % n_ap), "managedDeviceName": "CTS-SIM",
                    "userPrincipalName": "", "windowsAutopilotDeploymentProfileDisplayName": "Standard - user-driven",
                    "enrollmentState": if failed { "failed" } else { "enrolled" },
                    "windows10EnrollmentCompletionPageConfigurationDisplayName": "All users and all devices",
                    "windows10EnrollmentCompletionPageConfigurationId": "default",
                    "deploymentState": state, "deviceSetupStatus": state, "accountSetupStatus": "notAttempted",
                    "osVersion": "10.0.22631.4460", "deploymentDuration": "PT21M3.5S", "deploymentTotalDuration": "PT25M1S",
                    "devicePreparationDuration": "PT1M", "deviceSetupDuration": "PT12M", "accountSetupDuration": "PT0S",
                    "deploymentStartDateTime": at, "deploymentEndDateTime": at, "targetedAppCount": 6,
                    "targetedPolicyCount": 9, "enrollmentFailureDetails": if failed { "0x800705b4" } else { "" }})
            })
            .collect()
    }

    pub fn len(&self, big: Big) -> usize {
        match big {
            Big::Users => self.sizes.users,
            Big::Devices => self.sizes.entra_devices(),
            Big::ManagedDevices => self.sizes.managed_devices,
            Big::Autopilot => self.sizes.autopilot_devices,
        }
    }

    pub fn is_empty(&self, big: Big) -> bool {
        self.len(big) == 0
    }

    /// Item `i` of a big collection with every property (expandable ones included).
    pub fn item(&self, big: Big, i: usize) -> Value {
        match big {
            Big::Users => self.user(i),
            Big::Devices => self.entra_device(i),
            Big::ManagedDevices => self.managed_device(i),
            Big::Autopilot => self.autopilot(i),
        }
    }

    fn upn(&self, i: usize) -> (String, String, String) {
        let r = mix(self.seed, K_USER, i as u64);
        let f = FIRST[(r % FIRST.len() as u64) as usize];
        let l = LAST[((r >> 16) % LAST.len() as u64) as usize];
        if is_guest(i) {
            return (
                f.into(),
                l.into(),
                format!("{f}.{l}{i}_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
            );
        }
        (f.into(), l.into(), format!("{f}.{l}{i}@contoso.com"))
    }

    pub fn user_id(&self, i: usize) -> String {
        guid(self.seed, K_USER, i as u64)
    }

    fn user(&self, i: usize) -> Value {
        let (f, l, upn) = self.upn(i);
        let synced = i.is_multiple_of(3);
        let guest = is_guest(i);
        let mut plans = vec![plan(EXCHANGE_S_ENTERPRISE, "Enabled")];
        if i % 37 != 4 {
            // Every 37th user has Office only: no Intune licence.
            plans.push(plan(
                INTUNE_A,
                if i % 53 == 5 { "Suspended" } else { "Enabled" },
            ));
        }
        plans.push(plan(AAD_PREMIUM, "Enabled"));
        let on_prem_upn = if !synced {
            Value::Null
        } else if i % 97 == 11 {
            json!(format!("{f}.{l}{i}@contoso.local"))
        } else {
            json!(upn)
        };
        json!({
            "id": self.user_id(i),
            "displayName": format!("{} {}", cap(&f), cap(&l)),
            "userPrincipalName": upn,
            "accountEnabled": i % 41 != 7,
            "userType": if guest { "Guest" } else { "Member" },
            "assignedPlans": if guest { json!([]) } else { json!(plans) },
            "onPremisesSyncEnabled": if synced { json!(true) } else { Value::Null },
            "onPremisesUserPrincipalName": on_prem_upn,
            "businessPhones": ["+1 425 555 0100"],
            "givenName": cap(&f), "surname": cap(&l), "jobTitle": "Account Manager",
            "mail": format!("{f}.{l}{i}@contoso.com"), "mobilePhone": null, "officeLocation": "Building 4",
            "preferredLanguage": "en-US", "department": "Sales", "companyName": "Contoso",
            "usageLocation": "US", "city": "Redmond", "country": "United States",
            "createdDateTime": "2023-05-10T08:00:00Z", "employeeId": format!("E{i:07}"),
            "proxyAddresses": [format!("SMTP:{f}.{l}{i}@contoso.com")],
        })
    }

    /// The owner (user index) of managed device `j`.
    fn owner_of(&self, j: usize) -> usize {
        if self.sizes.users == 0 {
            return 0;
        }
        (j as u128 * self.sizes.users as u128 / self.sizes.managed_devices.max(1) as u128) as usize
    }

    /// The display name of Entra device `k`: what `$filter` ranges compare.
    pub fn device_name(&self, k: usize) -> String {
        let m = self.sizes.managed_devices;
        if k >= m {
            return self.serial(k - m);
        }
        let r = mix(self.seed, K_NAME, k as u64);
        if self.shape.naming == Naming::Mixed {
            return self.mixed_name(k, r);
        }
        let prefix = match k % 6 {
            0..=2 => "DESKTOP-",
            3 => "LAPTOP-",
            4 => "iPhone-",
            _ => "Galaxy-",
        };
        let mut s = String::from(prefix);
        for n in 0..7 {
            s.push(ALNUM[((r >> (n * 6)) % ALNUM.len() as u64) as usize] as char);
        }
        s
    }

    /// A mixed-scheme name for managed device `k`, chosen by the hash `r`, never by the index.
    fn mixed_name(&self, k: usize, r: u64) -> String {
        let chars = |n: usize, shift: u32| -> String {
            (0..n)
                .map(|c| {
                    ALNUM[((r >> (shift + c as u32 * 5)) % ALNUM.len() as u64) as usize] as char
                })
                .collect()
        };
        let first = || {
            let (f, ..) = self.upn(self.owner_of(k));
            cap(&f)
        };
        let (os, ..) = Self::os(k);
        match (os, (r >> 58) % 8) {
            ("iOS", 0..=5) => format!("{}'s iPhone", first()),
            ("iOS", _) => "iPhone".to_string(),
            ("Android", 0..=5) => format!("{}'s Galaxy S24", first()),
            ("Android", _) => format!("SM-S921B-{}", chars(4, 8)),
            (_, 0 | 1) => format!("CTS-{}", chars(6, 8)),
            (_, 2) => format!("DESKTOP-{}", chars(7, 8)),
            (_, 3) => format!("CONTOSO-LT-{:05}", (r >> 8) % 100_000),
            (_, 4) => format!("{}'s Surface Laptop", first()),
            (_, 5) => format!("PF{}", chars(6, 8)),
            (_, 6) => format!("5CG{}", chars(7, 8)),
            _ => format!("contoso-ws-{}", chars(5, 8).to_ascii_lowercase()),
        }
    }

    fn os(
        j: usize,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        match j % 6 {
            0..=2 => (
                "Windows",
                "10.0.26100.2314",
                "Latitude 7450",
                "Dell Inc.",
                "windowsAzureADJoin",
            ),
            3 => (
                "Windows",
                "10.0.22631.4460",
                "Surface Laptop 5",
                "Microsoft Corporation",
                "windowsAutoEnrollment",
            ),
            4 => ("iOS", "18.1", "iPhone 15", "Apple", "userEnrollment"),
            _ => ("Android", "14", "Pixel 8", "Google", "userEnrollment"),
        }
    }

    fn managed_device(&self, j: usize) -> Value {
        let u = self.owner_of(j);
        let (_, _, upn) = self.upn(u);
        let (os, ver, model, maker, etype) = Self::os(j);
        let personal = os != "Windows" || j % 89 == 13;
        json!({
            "id": guid(self.seed, K_MANAGED, j as u64), "deviceName": self.device_name(j),
            "userId": self.user_id(u), "userPrincipalName": upn, "userDisplayName": upn.split('@').next().unwrap_or_default(),
            "operatingSystem": os, "osVersion": ver, "serialNumber": format!("SN{:09}", 100_000_000 + j),
            "model": model, "manufacturer": maker, "managementAgent": if j % 113 == 7 { "configurationManagerClientMdm" } else { "mdm" },
            "managedDeviceOwnerType": if personal { "personal" } else { "company" }, "deviceEnrollmentType": etype,
            "azureADDeviceId": guid(self.seed, K_ENTRA_DEVICE_ID, j as u64), "azureADRegistered": true,
            "complianceState": if j % 17 == 3 { "noncompliant" } else { "compliant" },
            "enrolledDateTime": format!("2026-0{}-1{}T09:30:00Z", 1 + j % 9, j % 10),
            "lastSyncDateTime": "2026-11-19T22:10:00Z", "jailBroken": "Unknown", "managementState": "managed",
            "easActivated": false, "easDeviceId": "", "emailAddress": upn, "phoneNumber": "", "imei": "", "meid": "",
            "wiFiMacAddress": "", "ethernetMacAddress": null, "subscriberCarrier": "", "totalStorageSpaceInBytes": 255_471_026_176u64,
            "freeStorageSpaceInBytes": 120_332_648_448u64, "isEncrypted": true, "isSupervised": false,
            "deviceRegistrationState": "registered", "exchangeAccessState": "none", "exchangeAccessStateReason": "none",
            "managedDeviceName": format!("{}_{}", upn.split('@').next().unwrap_or_default(), os), "partnerReportedThreatState": "unknown",
            "requireUserEnrollmentApproval": null, "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
            "androidSecurityPatchLevel": "", "physicalMemoryInBytes": 0, "deviceCategoryDisplayName": "Unknown",
            "notes": null, "enrollmentProfileName": null, "autopilotEnrolled": os == "Windows" && j.is_multiple_of(3),
        })
    }

    fn serial(&self, a: usize) -> String {
        format!(
            "{}{:08}",
            ["PF", "CZ", "5C"][a % 3],
            40_000_000 + (mix(self.seed, K_AUTOPILOT, a as u64) % 60_000_000)
        )
    }

    fn autopilot_entra_id(&self, a: usize) -> String {
        guid(self.seed, K_ENTRA, AP_OFFSET + a as u64)
    }

    fn entra_device(&self, k: usize) -> Value {
        let m = self.sizes.managed_devices;
        if k >= m {
            let a = k - m;
            return json!({"id": self.autopilot_entra_id(a),
                "deviceId": guid(self.seed, K_ENTRA_DEVICE_ID, AP_OFFSET + a as u64),
                "displayName": self.device_name(k), "operatingSystem": "Windows", "trustType": "AzureAd",
                "accountEnabled": true, "approximateLastSignInDateTime": null, "registrationDateTime": "2026-03-02T11:00:00Z",
                "isCompliant": null, "isManaged": false, "physicalIds": [format!("[ZTDID]:{}", guid(self.seed, K_AUTOPILOT, a as u64))],
                "registeredOwners": []});
        }
        let (os, ver, ..) = Self::os(k);
        let trust = match (os, k % 7) {
            ("Windows", 3) => "ServerAd",
            ("Windows", _) => "AzureAd",
            _ => "Workplace",
        };
        json!({"id": guid(self.seed, K_ENTRA, k as u64), "deviceId": guid(self.seed, K_ENTRA_DEVICE_ID, k as u64),
            "displayName": self.device_name(k), "operatingSystem": os, "operatingSystemVersion": ver, "trustType": trust,
            "accountEnabled": true, "approximateLastSignInDateTime": "2026-11-18T07:12:00Z", "registrationDateTime": "2025-09-01T10:00:00Z",
            "isCompliant": k % 17 != 3, "isManaged": true, "physicalIds": [],
            "registeredOwners": [{"@odata.type": "#microsoft.graph.user", "id": self.user_id(self.owner_of(k))}]})
    }

    fn autopilot(&self, a: usize) -> Value {
        let (tag, model, maker) = match a % 6 {
            0..=2 => ("Standard", "Latitude 7450", "Dell Inc."),
            3 | 4 => ("Kiosk", "Surface Go 4", "Microsoft Corporation"),
            _ => ("Branch", "EliteBook 840 G10", "HP"),
        };
        let status = if a % 29 == 3 {
            "notAssigned"
        } else if a % 31 == 5 {
            "failed"
        } else {
            "assignedInSync"
        };
        let device_id = guid(self.seed, K_ENTRA_DEVICE_ID, AP_OFFSET + a as u64);
        json!({"id": guid(self.seed, K_AUTOPILOT, a as u64), "deploymentProfileAssignmentStatus": status,
            "deploymentProfileAssignmentDetailedStatus": "none", "deploymentProfileAssignedDateTime": "2026-03-02T11:00:00Z",
            "groupTag": tag, "purchaseOrderIdentifier": "PO-4471", "serialNumber": self.serial(a), "productKey": "",
            "manufacturer": maker, "model": model, "enrollmentState": "notContacted", "lastContactedDateTime": "0001-01-01T00:00:00Z",
            "addressableUserName": "", "userPrincipalName": "", "resourceName": "", "skuNumber": "", "systemFamily": "",
            "azureActiveDirectoryDeviceId": device_id, "azureAdDeviceId": device_id,
            "managedDeviceId": "00000000-0000-0000-0000-000000000000", "displayName": "",
            "userlessEnrollmentStatus": "allowed", "remediationState": "noRemediationRequired"})
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    fn rule_len(&self, r: &Rule) -> usize {
        let n = self.len(r.of);
        let full = n / r.modulus * r.residues.len();
        let rem = r.residues.iter().filter(|x| **x < n % r.modulus).count();
        let len = full + rem;
        r.cap.map_or(len, |c| len.min(c))
    }

    /// Number of transitive members of a group.
    pub fn member_count(&self, g: &Group) -> usize {
        g.nested.len() + g.rules.iter().map(|r| self.rule_len(r)).sum::<usize>()
    }

    /// Transitive member `k` of a group: `{"@odata.type", "id"}` plus a few default properties.
    pub fn member(&self, g: &Group, mut k: usize) -> Option<Value> {
        if let Some(id) = g.nested.get(k) {
            return Some(
                json!({"@odata.type": "#microsoft.graph.group", "id": id, "displayName": self.group(id).map(|g| g.display_name.clone())}),
            );
        }
        k -= g.nested.len();
        for r in &g.rules {
            let len = self.rule_len(r);
            if k < len {
                let idx = k / r.residues.len() * r.modulus + r.residues[k % r.residues.len()];
                return Some(match r.of {
                    Big::Autopilot => {
                        json!({"@odata.type": "#microsoft.graph.device", "id": self.autopilot_entra_id(idx), "displayName": self.serial(idx)})
                    }
                    _ => {
                        json!({"@odata.type": "#microsoft.graph.user", "id": self.user_id(idx), "displayName": self.upn(idx).2})
                    }
                });
            }
            k -= len;
        }
        None
    }
}

fn is_guest(i: usize) -> bool {
    i % 250 == 249
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn rule(of: Big, modulus: usize, residues: &[usize], cap: Option<usize>) -> Rule {
    Rule {
        of,
        modulus,
        residues: residues.to_vec(),
        cap,
    }
}

/// Who is in the sample tenant's groups, by name; unknown names are empty groups.
fn group_rules(id: String, display_name: String) -> Group {
    let all_members: Vec<usize> = (0..249).collect();
    let rules = match display_name.as_str() {
        "All Staff" => vec![rule(Big::Users, 250, &all_members, None)],
        "Sales" => vec![rule(Big::Users, 10, &[0, 1], None)],
        "Sales EMEA" => vec![rule(Big::Users, 10, &[1], None)],
        "Contractors" => vec![rule(Big::Users, 10, &[2], None)],
        "Kiosk Operators" => vec![rule(Big::Users, 10, &[3], Some(12))],
        "Autopilot - Standard" => vec![rule(Big::Autopilot, 6, &[0, 1, 2], None)],
        "Autopilot - Kiosk" => vec![rule(Big::Autopilot, 6, &[3, 4], None)],
        "Autopilot - Branch Hybrid" => vec![rule(Big::Autopilot, 6, &[5], None)],
        "Device Joiners" => vec![rule(Big::Users, 1, &[0], Some(40))],
        "Intune Pilot" => vec![rule(Big::Users, 2, &[0], None)],
        _ => Vec::new(),
    };
    Group {
        id,
        display_name,
        nested: Vec::new(),
        rules,
    }
}

/// Keeps only the `$select`ed properties (and `@odata.type`); `None` keeps all.
pub fn select(v: Value, fields: Option<&[String]>) -> Value {
    let Some(fields) = fields else { return v };
    match v {
        Value::Object(m) => {
            let out: Map<String, Value> = m
                .into_iter()
                .filter(|(k, _)| k == "@odata.type" || fields.iter().any(|f| f == k))
                .collect();
            Value::Object(out)
        }
        other => other,
    }
}
