//! Live `diagnose`: reads only what one user's or one device's question needs — the tenant's
//! small configuration collections (enrollment configurations, scopes, registration policy,
//! Autopilot profiles, SKUs, domains), the subject's own objects and memberships — never the
//! tenant's users, devices or group members. The result is an ordinary [`Snapshot`] in which
//! the per-object resources hold only the subject's objects and `groupMembers` holds the
//! referenced groups with only the subject's objects as members, so the same checks and the
//! same `diagnose` logic run on it as on a full snapshot.
//!
//! Requests, in three dependent rounds (each round in parallel):
//! 1. 13 configuration reads + the subject lookups (user by UPN or id; device by serial, or by
//!    id as Autopilot id, Intune id, Entra device id and Entra object id);
//! 2. the user's groups, Intune devices and owned Entra devices; the Autopilot identity's
//!    Entra device and Intune record;
//! 3. the Autopilot identities of the user's Intune devices (by serial), the groups of every
//!    Entra device involved, and the Autopilot device's assigned user.

use crate::auth::AuthError;
use crate::graph::client::{GraphClient, GraphError};
use crate::graph::collect::{
    collect_one, failed_entry, now_rfc3339, referenced_groups, tenant_info, CollectOptions,
};
use crate::graph::plan::{self, Bucket, Shape, PLAN};
use futures_util::future::join_all;
use indicatif::ProgressBar;
use intune_audit_checks::model::{ODATA_DEVICE, ODATA_USER};
use intune_audit_checks::snapshot::{ResourceEntry, SNAPSHOT_SCHEMA, SNAPSHOT_VERSION};
use intune_audit_checks::{Resource, Snapshot};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Who the question is about.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub user: Option<String>,
    pub device: Option<String>,
}

/// The resources read tenant-wide: small configuration collections.
const CONFIGURATION: [Resource; 16] = [
    Resource::Organization,
    Resource::Domains,
    Resource::SubscribedSkus,
    Resource::DeviceEnrollmentConfigurations,
    Resource::MobileDeviceManagementPolicies,
    Resource::MobileAppManagementPolicies,
    Resource::DeviceRegistrationPolicy,
    Resource::WindowsAutopilotDeploymentProfiles,
    Resource::DomainJoinConnectors,
    // Imports are few (they are cleaned up), and a failed import names no device to look up.
    Resource::ImportedWindowsAutopilotDeviceIdentities,
    // Tenant-wide settings that decide one subject's enrollment: corporate identifiers (their
    // presence, not one device's entry, matters), Conditional Access and device restrictions.
    Resource::ImportedDeviceIdentities,
    Resource::ConditionalAccessPolicies,
    Resource::DeviceConfigurations,
    // Device preparation policies (one family, kept client-side), the one service principal,
    // and the apps (type, name, assignments): the ESP and device preparation checks are
    // tenant-wide, so a diagnosis reads them whole.
    Resource::ConfigurationPolicies,
    Resource::ServicePrincipals,
    Resource::MobileApps,
];

/// Objects read for one resource, or the first failure that lost some of them.
#[derive(Default)]
struct Gathered {
    items: Vec<Value>,
    failure: Option<GraphError>,
    paths: Vec<String>,
}

impl Gathered {
    fn add(&mut self, path: String, result: Result<Vec<Value>, GraphError>) {
        self.paths.push(path);
        match result {
            Ok(items) => {
                for item in items {
                    let id = item.get("id").cloned();
                    if id.is_none() || !self.items.iter().any(|i| i.get("id") == id.as_ref()) {
                        self.items.push(item);
                    }
                }
            }
            // A subject that does not exist is an answer, not a failure.
            Err(e) if e.status() == Some(404) => {}
            Err(e) => {
                self.failure.get_or_insert(e);
            }
        }
    }

    fn entry(self, resource: Resource, opts: &CollectOptions) -> ResourceEntry {
        let req = plan::request(resource);
        let path = format!("diagnose: {}", self.paths.join(" ; "));
        match self.failure {
            Some(e) => failed_entry(resource, req.permission, req.bucket, path, &e, opts.method),
            None => ResourceEntry::ok(path, self.items),
        }
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An OData string literal inside a URL: quotes doubled, then percent-encoded.
fn literal(s: &str) -> String {
    enc(&s.replace('\'', "''"))
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn select_of(resource: Resource) -> &'static str {
    plan::request(resource).select
}

struct Reader<'a> {
    client: &'a GraphClient,
}

impl Reader<'_> {
    fn url(&self, relative: &str) -> String {
        format!("{}{relative}", self.client.base())
    }

    /// One object (a 404 is left to [`Gathered::add`]: no such object).
    async fn one(
        &self,
        bucket: Bucket,
        relative: String,
    ) -> (String, Result<Vec<Value>, GraphError>) {
        let r = match self
            .client
            .get_json(bucket, &self.url(&relative), false)
            .await
        {
            Ok(v @ Value::Object(_)) => Ok(vec![v]),
            Ok(_) => Err(GraphError::Malformed("expected a JSON object".into())),
            Err(e) => Err(e),
        };
        (relative, r)
    }

    /// Every page of a collection.
    async fn all(
        &self,
        bucket: Bucket,
        relative: String,
    ) -> (String, Result<Vec<Value>, GraphError>) {
        let mut items = Vec::new();
        let r = self
            .client
            .for_each_page(bucket, &self.url(&relative), false, |page| {
                items.extend(page)
            })
            .await
            .map(|()| items);
        (relative, r)
    }

    async fn user(&self, key: &str) -> (String, Result<Vec<Value>, GraphError>) {
        let select = select_of(Resource::Users);
        self.one(
            Bucket::Directory,
            format!("/v1.0/users/{}?$select={select}", enc(key)),
        )
        .await
    }

    async fn groups_of(&self, kind: &str, id: &str) -> (String, Result<Vec<Value>, GraphError>) {
        let url = format!(
            "/v1.0/{kind}/{}/transitiveMemberOf/microsoft.graph.group?$select=id,displayName&$top={}",
            enc(id),
            plan::DIRECTORY_MAX_TOP
        );
        self.all(Bucket::Directory, url).await
    }

    async fn entra_device_by_device_id(
        &self,
        device_id: &str,
    ) -> (String, Result<Vec<Value>, GraphError>) {
        let url = format!(
            "/v1.0/devices?$filter=deviceId%20eq%20'{}'&$select={}&$expand=registeredOwners($select=id)",
            literal(device_id),
            select_of(Resource::Devices)
        );
        self.all(Bucket::Directory, url).await
    }

    async fn autopilot_by_serial(&self, serial: &str) -> (String, Result<Vec<Value>, GraphError>) {
        let url = format!(
            "/beta/deviceManagement/windowsAutopilotDeviceIdentities?$filter=contains(serialNumber,'{}')&$select={}",
            literal(serial),
            select_of(Resource::WindowsAutopilotDeviceIdentities)
        );
        let (path, r) = self.all(Bucket::IntuneEnrollment, url).await;
        // `contains` matches parts of serials too: keep the exact ones.
        let r = r.map(|items| {
            items
                .into_iter()
                .filter(|i| str_of(i, "serialNumber").eq_ignore_ascii_case(serial))
                .collect()
        });
        (path, r)
    }
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// What the rounds have found so far.
#[derive(Default)]
struct Found {
    users: Gathered,
    managed: Gathered,
    entra: Gathered,
    autopilot: Gathered,
    /// Object id → the ids and names of its groups (`None`: could not be read).
    memberships: BTreeMap<String, Result<Vec<Value>, GraphError>>,
    membership_paths: Vec<String>,
}

/// Reads what `subject` needs. `Err` only when signing in fails.
pub async fn collect_for(
    client: &GraphClient,
    opts: &CollectOptions,
    subject: &Subject,
) -> Result<Snapshot, AuthError> {
    let reader = Reader { client };
    let hidden = ProgressBar::hidden();
    // Round 1: configuration and the subject lookups.
    let config = join_all(CONFIGURATION.iter().map(|r| {
        let req = plan::request(*r);
        let bar = &hidden;
        async move {
            (
                req.resource,
                collect_one(client, req, bar, opts.method).await,
            )
        }
    }));
    let (config, user, device) = tokio::join!(
        config,
        async {
            match &subject.user {
                Some(u) => Some(reader.user(u).await),
                None => None,
            }
        },
        device_lookups(&reader, subject.device.as_deref())
    );
    let mut resources: BTreeMap<String, ResourceEntry> = BTreeMap::new();
    for (resource, entry) in config {
        resources.insert(resource.key().to_string(), entry?);
    }
    let mut found = Found::default();
    if let Some((path, r)) = user {
        found.users.add(path, r);
    }
    for (resource, path, r) in device {
        found.gathered(resource).add(path, r);
    }

    // Round 2: the user's own objects; the Autopilot identity's Entra device and Intune record.
    round_two(&reader, &mut found).await;
    // Round 3: Autopilot identities of the user's devices, the assigned user, every group.
    round_three(&reader, &mut found).await;
    check_auth(&found)?;

    let groups = referenced_groups(&resources);
    resources.insert(
        Resource::GroupMembers.key().to_string(),
        group_members(&groups, &found, opts),
    );
    let Found {
        users,
        managed,
        entra,
        autopilot,
        ..
    } = found;
    for (resource, gathered) in [
        (Resource::Users, users),
        (Resource::ManagedDevices, managed),
        (Resource::Devices, entra),
        (Resource::WindowsAutopilotDeviceIdentities, autopilot),
    ] {
        resources.insert(resource.key().to_string(), gathered.entry(resource, opts));
    }
    // The failure history is not read here: Graph documents no filter on the event streams, so
    // one subject's failures would cost the whole tenant's pages. Diagnose says "not collected".
    debug_assert!(PLAN
        .iter()
        .filter(|r| r.shape != Shape::GroupFanOut && !r.resource.is_event_stream())
        .all(|r| resources.contains_key(r.resource.key())));
    let collected_at = now_rfc3339();
    Ok(Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        version: SNAPSHOT_VERSION,
        tenant: tenant_info(&resources, opts.fallback_tenant.as_deref()),
        cloud: opts.cloud.clone(),
        collected_at,
        tool_version: opts.tool_version.clone(),
        resources,
    })
}

impl Found {
    fn gathered(&mut self, resource: Resource) -> &mut Gathered {
        match resource {
            Resource::Users => &mut self.users,
            Resource::ManagedDevices => &mut self.managed,
            Resource::Devices => &mut self.entra,
            _ => &mut self.autopilot,
        }
    }
}

type Lookup = (Resource, String, Result<Vec<Value>, GraphError>);

/// A serial: the Autopilot identity and Intune records with it. A GUID: the object it names,
/// whichever kind it is.
async fn device_lookups(reader: &Reader<'_>, device: Option<&str>) -> Vec<Lookup> {
    let Some(key) = device.map(str::trim) else {
        return Vec::new();
    };
    let managed_select = select_of(Resource::ManagedDevices);
    let autopilot_select = select_of(Resource::WindowsAutopilotDeviceIdentities);
    if !is_guid(key) {
        let (a, m) = tokio::join!(
            reader.autopilot_by_serial(key),
            reader.all(
                Bucket::IntuneDevices,
                format!(
                    "/v1.0/deviceManagement/managedDevices?$filter=serialNumber%20eq%20'{}'&$select={managed_select}",
                    literal(key)
                )
            )
        );
        return vec![
            (Resource::WindowsAutopilotDeviceIdentities, a.0, a.1),
            (Resource::ManagedDevices, m.0, m.1),
        ];
    }
    let (a, m, e, o) = tokio::join!(
        reader.one(
            Bucket::IntuneEnrollment,
            format!("/beta/deviceManagement/windowsAutopilotDeviceIdentities/{key}?$select={autopilot_select}")
        ),
        reader.one(
            Bucket::IntuneDevices,
            format!("/v1.0/deviceManagement/managedDevices/{key}?$select={managed_select}")
        ),
        reader.entra_device_by_device_id(key),
        reader.one(
            Bucket::Directory,
            format!(
                "/v1.0/devices/{key}?$select={}&$expand=registeredOwners($select=id)",
                select_of(Resource::Devices)
            )
        )
    );
    vec![
        (Resource::WindowsAutopilotDeviceIdentities, a.0, a.1),
        (Resource::ManagedDevices, m.0, m.1),
        (Resource::Devices, e.0, e.1),
        (Resource::Devices, o.0, o.1),
    ]
}

async fn round_two(reader: &Reader<'_>, found: &mut Found) {
    let user_id = found
        .users
        .items
        .first()
        .map(|u| str_of(u, "id").to_string());
    let entra_ids: Vec<String> = found
        .autopilot
        .items
        .iter()
        .chain(found.managed.items.iter())
        .flat_map(|d| [str_of(d, "azureAdDeviceId"), str_of(d, "azureADDeviceId")])
        .filter(|id| !id.is_empty() && *id != "00000000-0000-0000-0000-000000000000")
        .map(str::to_string)
        .filter(|id| {
            !found
                .entra
                .items
                .iter()
                .any(|e| str_of(e, "deviceId") == id)
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let managed_ids: Vec<String> = found
        .autopilot
        .items
        .iter()
        .map(|a| str_of(a, "managedDeviceId").to_string())
        .filter(|id| !id.is_empty() && !found.managed.items.iter().any(|m| str_of(m, "id") == id))
        .collect();
    let managed_select = select_of(Resource::ManagedDevices);
    let user_reads = async {
        let Some(id) = &user_id else {
            return None;
        };
        let (groups, devices, owned) = tokio::join!(
            reader.groups_of("users", id),
            reader.all(
                Bucket::IntuneDevices,
                format!(
                    "/v1.0/users/{}/managedDevices?$select={managed_select}",
                    enc(id)
                )
            ),
            reader.all(
                Bucket::Directory,
                format!(
                    "/v1.0/users/{}/ownedDevices/microsoft.graph.device?$select={}",
                    enc(id),
                    select_of(Resource::Devices)
                )
            )
        );
        Some((id.clone(), groups, devices, owned))
    };
    let entra_reads = join_all(
        entra_ids
            .iter()
            .map(|id| reader.entra_device_by_device_id(id)),
    );
    let managed_reads = join_all(managed_ids.iter().map(|id| {
        reader.one(
            Bucket::IntuneDevices,
            format!("/v1.0/deviceManagement/managedDevices/{id}?$select={managed_select}"),
        )
    }));
    let (user, entra, managed) = tokio::join!(user_reads, entra_reads, managed_reads);
    if let Some((id, groups, devices, owned)) = user {
        found.membership_paths.push(groups.0);
        found.memberships.insert(id.clone(), groups.1);
        found.managed.add(devices.0, devices.1);
        // ownedDevices is the inverse of registeredOwners: say so on each device, as the
        // tenant-wide read's `$expand=registeredOwners` would.
        let (owned_path, owned) = owned;
        let owned = owned.map(|items| {
            items
                .into_iter()
                .map(|mut d| {
                    d["registeredOwners"] = json!([{"@odata.type": ODATA_USER, "id": id}]);
                    d
                })
                .collect()
        });
        found.entra.add(owned_path, owned);
    }
    for (path, r) in entra {
        found.entra.add(path, r);
    }
    for (path, r) in managed {
        found.managed.add(path, r);
    }
}

async fn round_three(reader: &Reader<'_>, found: &mut Found) {
    let known_serials: BTreeSet<String> = found
        .autopilot
        .items
        .iter()
        .map(|a| str_of(a, "serialNumber").to_ascii_lowercase())
        .collect();
    let serials: BTreeSet<String> = found
        .managed
        .items
        .iter()
        .filter(|m| str_of(m, "operatingSystem").eq_ignore_ascii_case("windows"))
        .map(|m| str_of(m, "serialNumber").to_string())
        .filter(|s| !s.is_empty() && !known_serials.contains(&s.to_ascii_lowercase()))
        .collect();
    let assigned_user: Option<String> = found
        .autopilot
        .items
        .iter()
        .map(|a| str_of(a, "userPrincipalName").to_string())
        .find(|u| !u.is_empty())
        .filter(|upn| {
            !found
                .users
                .items
                .iter()
                .any(|u| str_of(u, "userPrincipalName").eq_ignore_ascii_case(upn))
        });
    let device_objects: Vec<String> = found
        .entra
        .items
        .iter()
        .map(|d| str_of(d, "id").to_string())
        .filter(|id| !id.is_empty() && !found.memberships.contains_key(id))
        .collect();
    let autopilot = join_all(serials.iter().map(|s| reader.autopilot_by_serial(s)));
    let groups = join_all(
        device_objects
            .iter()
            .map(|id| reader.groups_of("devices", id)),
    );
    let user = async {
        match &assigned_user {
            Some(upn) => {
                let (path, r) = reader.user(upn).await;
                let groups = match r.as_ref().ok().and_then(|u| u.first()) {
                    Some(u) => Some(reader.groups_of("users", str_of(u, "id")).await),
                    None => None,
                };
                Some(((path, r), groups))
            }
            None => None,
        }
    };
    let (autopilot, groups, user) = tokio::join!(autopilot, groups, user);
    for (path, r) in autopilot {
        found.autopilot.add(path, r);
    }
    for (id, (path, r)) in device_objects.into_iter().zip(groups) {
        found.membership_paths.push(path);
        found.memberships.insert(id, r);
    }
    if let Some(((path, r), groups)) = user {
        let id = r
            .as_ref()
            .ok()
            .and_then(|u| u.first())
            .map(|u| str_of(u, "id").to_string());
        found.users.add(path, r);
        if let (Some(id), Some((path, r))) = (id, groups) {
            found.membership_paths.push(path);
            found.memberships.insert(id, r);
        }
    }
}

/// A sign-in failure anywhere stops the run, as in a full collection.
fn check_auth(found: &Found) -> Result<(), AuthError> {
    let failures = [&found.users, &found.managed, &found.entra, &found.autopilot]
        .into_iter()
        .filter_map(|g| g.failure.as_ref())
        .chain(found.memberships.values().filter_map(|r| r.as_ref().err()));
    for f in failures {
        if let GraphError::Auth(e) = f {
            return Err(e.clone());
        }
    }
    Ok(())
}

/// The referenced groups with the subject's objects as their only members.
fn group_members(groups: &[String], found: &Found, opts: &CollectOptions) -> ResourceEntry {
    let req = plan::request(Resource::GroupMembers);
    let path = format!("diagnose: {}", found.membership_paths.join(" ; "));
    if let Some(e) = found.memberships.values().find_map(|r| r.as_ref().err()) {
        return failed_entry(
            Resource::GroupMembers,
            req.permission,
            req.bucket,
            path,
            e,
            opts.method,
        );
    }
    let kind_of = |id: &str| {
        if found.users.items.iter().any(|u| str_of(u, "id") == id) {
            ODATA_USER
        } else {
            ODATA_DEVICE
        }
    };
    let items = groups
        .iter()
        .map(|g| {
            let mut name = Value::Null;
            let mut members = Vec::new();
            for (object, memberships) in &found.memberships {
                let Ok(list) = memberships else { continue };
                if let Some(hit) = list
                    .iter()
                    .find(|m| str_of(m, "id").eq_ignore_ascii_case(g))
                {
                    name = hit.get("displayName").cloned().unwrap_or(Value::Null);
                    members.push(json!({"@odata.type": kind_of(object), "id": object}));
                }
            }
            json!({"id": g, "displayName": name, "members": members})
        })
        .collect();
    let mut entry = ResourceEntry::ok(path, items);
    entry.message = Some(
        "members narrowed to the diagnosed user and devices (live diagnose reads only their memberships)"
            .into(),
    );
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_literals() {
        assert!(is_guid("0f4c2a1e-8b3d-4e5f-9a6b-7c8d9e0f1a2b"));
        assert!(!is_guid("5CG1234XYZ"));
        assert!(!is_guid("0f4c2a1e-8b3d-4e5f-9a6b-7c8d9e0f1a2"));
        assert_eq!(literal("O'Neil 1"), "O%27%27Neil%201");
        assert_eq!(enc("adele@contoso.com"), "adele@contoso.com");
        assert_eq!(enc("a#b/c"), "a%23b%2Fc");
    }
}
