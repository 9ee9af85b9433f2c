//! The collector: reads every resource of the plan into a [`Snapshot`].
//!
//! Resources are read in parallel (bounded per throttling bucket by the client); the group
//! memberships come after the resources that reference groups, first pages through `$batch`.
//! Each resource ends with its own status: one resource's failure never loses the others. Only
//! a sign-in failure stops the run.

use crate::auth::AuthError;
use crate::cli_connect::AuthMethod;
use crate::graph::client::{BatchGet, GraphClient, GraphError};
use crate::graph::plan::{self, ApiVersion, Bucket, Request, Shape, PLAN};
use futures_util::future::join_all;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use intune_audit_checks::snapshot::{
    ResourceEntry, Status, TenantInfo, SNAPSHOT_SCHEMA, SNAPSHOT_VERSION,
};
use intune_audit_checks::targeting::{ALL_DEVICES_VIRTUAL_GROUP, ALL_USERS_VIRTUAL_GROUP};
use intune_audit_checks::{Resource, Snapshot};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;

/// What the collector needs to know besides the client.
pub struct CollectOptions {
    pub cloud: String,
    pub tool_version: String,
    /// Tenant id to record when `organization` cannot be read.
    pub fallback_tenant: Option<String>,
    pub method: AuthMethod,
    /// Show progress on stderr (only honoured when stderr is a terminal).
    pub progress: bool,
}

/// Progress bars on stderr when it is a terminal; silent otherwise.
struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let on = enabled && std::io::stderr().is_terminal();
        Progress {
            multi: on.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }
    fn bar(&self, name: &str) -> ProgressBar {
        match &self.multi {
            None => ProgressBar::hidden(),
            Some(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<36} {msg}") {
                    bar.set_style(style);
                }
                bar.set_prefix(name.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            }
        }
    }
}

/// Reads the whole plan. `Err` only when signing in fails.
pub async fn collect(client: &GraphClient, opts: &CollectOptions) -> Result<Snapshot, AuthError> {
    let progress = Progress::new(opts.progress);
    let first = PLAN.iter().filter(|r| r.shape != Shape::GroupFanOut);
    let results = join_all(first.map(|req| {
        let bar = progress.bar(req.resource.key());
        async move {
            let entry = collect_one(client, req, &bar, opts.method).await;
            finish(&bar, &entry);
            entry.map(|e| (req.resource, e))
        }
    }))
    .await;
    let mut resources: BTreeMap<String, ResourceEntry> = BTreeMap::new();
    for r in results {
        let (resource, entry) = r?;
        resources.insert(resource.key().to_string(), entry);
    }
    let bar = progress.bar(Resource::GroupMembers.key());
    let groups = referenced_groups(&resources);
    let entry = collect_group_members(client, &groups, &bar).await?;
    finish(&bar, &Ok(entry.clone()));
    resources.insert(Resource::GroupMembers.key().to_string(), entry);

    let tenant = tenant_info(&resources, opts.fallback_tenant.as_deref());
    let collected_at = now_rfc3339();
    Ok(Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        version: SNAPSHOT_VERSION,
        tenant,
        cloud: opts.cloud.clone(),
        collected_at,
        tool_version: opts.tool_version.clone(),
        resources,
    })
}

/// The collection time, as the snapshot records it.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

fn finish(bar: &ProgressBar, entry: &Result<ResourceEntry, AuthError>) {
    let msg = match entry {
        Ok(e) => match e.status {
            Status::Ok => format!("{} items", e.items.len()),
            Status::Forbidden => "forbidden".into(),
            Status::NotFound => "not found".into(),
            Status::Error => "error".into(),
        },
        Err(_) => "sign-in failed".into(),
    };
    bar.finish_with_message(msg);
}

pub(crate) async fn collect_one(
    client: &GraphClient,
    req: &Request,
    bar: &ProgressBar,
    method: AuthMethod,
) -> Result<ResourceEntry, AuthError> {
    let path = req.relative_url();
    let url = format!("{}{path}", client.base());
    let result = match req.shape {
        Shape::Singleton => client
            .get_json(req.bucket, &url, req.consistency_eventual)
            .await
            .and_then(|v| match v {
                Value::Object(_) => Ok(vec![v]),
                _ => Err(GraphError::Malformed("expected a JSON object".into())),
            }),
        _ => {
            let mut items: Vec<Value> = Vec::new();
            let mut pages = 0u64;
            client
                .for_each_page(req.bucket, &url, req.consistency_eventual, |page| {
                    pages += 1;
                    items.extend(page);
                    bar.set_message(format!("{pages} pages, {} items", items.len()));
                })
                .await
                .map(|()| items)
        }
    };
    match result {
        Ok(items) => Ok(ResourceEntry::ok(path, items)),
        Err(GraphError::Auth(e)) => Err(e),
        Err(e) => Ok(failed_entry(
            req.resource,
            req.permission,
            req.bucket,
            path,
            &e,
            method,
        )),
    }
}

/// The entry for a resource that could not be read.
pub(crate) fn failed_entry(
    resource: Resource,
    permission: &str,
    bucket: Bucket,
    path: String,
    err: &GraphError,
    method: AuthMethod,
) -> ResourceEntry {
    let (status, message) = match err.status() {
        Some(401 | 403) if resource.delegated_only() => (
            Status::Forbidden,
            format!(
                "Graph serves {resource} only to a delegated sign-in with Policy.Read.All (an app-only \
                 token gets 401 \"Unsupported app-only call\"); run with --device-code or --interactive \
                 as a Global Reader or Intune Administrator ({err})"
            ),
        ),
        Some(401 | 403) if method == AuthMethod::AzureCli && bucket != Bucket::Directory => (
            Status::Forbidden,
            format!(
                "the Azure CLI's token carries no Intune (DeviceManagement*) scopes; use an app \
                 registration or --device-code to read {resource} ({err})"
            ),
        ),
        Some(401 | 403) => (Status::Forbidden, format!("access denied; grant {permission} ({err})")),
        Some(404) => (Status::NotFound, err.to_string()),
        _ => (Status::Error, format!("{resource}: {err}")),
    };
    ResourceEntry {
        path,
        status: status.clone(),
        permission: (status == Status::Forbidden).then(|| permission.to_string()),
        message: Some(message),
        items: Vec::new(),
    }
}

/// Group ids that assignments, the MDM/MAM scopes and the device registration policy name.
pub fn referenced_groups(resources: &BTreeMap<String, ResourceEntry>) -> Vec<String> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let items = |r: Resource| {
        resources
            .get(r.key())
            .filter(|e| e.status == Status::Ok)
            .map(|e| e.items.as_slice())
            .unwrap_or(&[])
    };
    let mut add = |v: Option<&Value>| {
        if let Some(id) = v.and_then(Value::as_str) {
            let id = id.trim().to_ascii_lowercase();
            if !id.is_empty() && id != ALL_USERS_VIRTUAL_GROUP && id != ALL_DEVICES_VIRTUAL_GROUP {
                ids.insert(id);
            }
        }
    };
    for r in [
        Resource::DeviceEnrollmentConfigurations,
        Resource::WindowsAutopilotDeploymentProfiles,
    ] {
        for item in items(r) {
            for a in item
                .get("assignments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                add(a.pointer("/target/groupId"));
            }
        }
    }
    for r in [
        Resource::MobileDeviceManagementPolicies,
        Resource::MobileAppManagementPolicies,
    ] {
        for item in items(r) {
            for g in item
                .get("includedGroups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                add(g.get("id"));
            }
        }
    }
    for item in items(Resource::DeviceRegistrationPolicy) {
        for ptr in [
            "/azureADJoin/allowedToJoin/groups",
            "/azureADRegistration/allowedToRegister/groups",
        ] {
            for g in item
                .pointer(ptr)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                add(Some(g));
            }
        }
    }
    ids.into_iter().collect()
}

/// Keeps what the checks read of a directory object reference.
fn member_ref(v: Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Value::Object(mut m) = v {
        for k in ["@odata.type", "id"] {
            if let Some(x) = m.remove(k) {
                out.insert(k.to_string(), x);
            }
        }
    }
    Value::Object(out)
}

async fn collect_group_members(
    client: &GraphClient,
    groups: &[String],
    bar: &ProgressBar,
) -> Result<ResourceEntry, AuthError> {
    let req = plan::request(Resource::GroupMembers);
    let path = format!("/v1.0/$batch: {}", plan::GROUP_MEMBER_REQUESTS);
    let mut batch: Vec<BatchGet> = Vec::with_capacity(groups.len() * 2);
    for (i, g) in groups.iter().enumerate() {
        let [group_url, members_url] = plan::group_member_requests(g);
        batch.push(BatchGet::new(format!("g{i}"), group_url));
        batch.push(BatchGet::new(format!("m{i}"), members_url));
    }
    let answers = if batch.is_empty() {
        Default::default()
    } else {
        match client.batch(Bucket::Directory, ApiVersion::V1, batch).await {
            Ok(a) => a,
            Err(GraphError::Auth(e)) => return Err(e),
            Err(e) => {
                return Ok(failed_entry(
                    Resource::GroupMembers,
                    req.permission,
                    req.bucket,
                    path,
                    &e,
                    AuthMethod::Auto,
                ))
            }
        }
    };
    let mut items: Vec<Value> = Vec::new();
    let mut forbidden: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let (Some(group), Some(members)) =
            (answers.get(&format!("g{i}")), answers.get(&format!("m{i}")))
        else {
            failed.push(format!("{g} (no answer in the $batch)"));
            continue;
        };
        if group.status == 404 || members.status == 404 {
            // A deleted group still referenced by an assignment: it reaches nobody.
            items.push(json!({"id": g, "displayName": null, "members": []}));
            continue;
        }
        let bad = [group, members].into_iter().find(|r| !r.is_success());
        if let Some(r) = bad {
            if matches!(r.status, 401 | 403) {
                forbidden.push(g.clone());
            } else {
                failed.push(format!("{g} ({})", r.error()));
            }
            continue;
        }
        let mut list: Vec<Value> = members
            .body
            .get("value")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(member_ref)
            .collect();
        if members
            .body
            .get("value")
            .and_then(Value::as_array)
            .is_none()
        {
            failed.push(format!("{g} (malformed transitiveMembers page)"));
            continue;
        }
        if let Some(next) = members.body.get("@odata.nextLink").and_then(Value::as_str) {
            let mut more: Vec<Value> = Vec::new();
            let r = client
                .for_each_page(Bucket::Directory, next, false, |page| {
                    more.extend(page.into_iter().map(member_ref))
                })
                .await;
            match r {
                Ok(()) => list.extend(more),
                Err(GraphError::Auth(e)) => return Err(e),
                Err(e) if matches!(e.status(), Some(401 | 403)) => {
                    forbidden.push(g.clone());
                    continue;
                }
                Err(e) => {
                    failed.push(format!("{g} ({e})"));
                    continue;
                }
            }
        }
        items.push(json!({
            "id": group.body.get("id").cloned().unwrap_or_else(|| json!(g)),
            "displayName": group.body.get("displayName").cloned().unwrap_or(Value::Null),
            "members": list,
        }));
        bar.set_message(format!("{} of {} groups", items.len(), groups.len()));
    }
    if !groups.is_empty() && items.is_empty() && !forbidden.is_empty() && failed.is_empty() {
        return Ok(ResourceEntry {
            path,
            status: Status::Forbidden,
            permission: Some(req.permission.to_string()),
            message: Some(format!(
                "access denied to the members of every targeted group; grant {}",
                req.permission
            )),
            items: Vec::new(),
        });
    }
    if !groups.is_empty() && items.is_empty() && !failed.is_empty() {
        return Ok(ResourceEntry {
            path,
            status: Status::Error,
            permission: None,
            message: Some(format!(
                "groupMembers: no group could be read: {}",
                failed.join("; ")
            )),
            items: Vec::new(),
        });
    }
    let mut entry = ResourceEntry::ok(path, items);
    let mut notes: Vec<String> = Vec::new();
    if !forbidden.is_empty() {
        notes.push(format!(
            "access denied to {} group(s) (grant {}; hidden-membership groups also need Member.Read.Hidden): {}",
            forbidden.len(),
            req.permission,
            forbidden.join(", ")
        ));
    }
    if !failed.is_empty() {
        notes.push(format!(
            "{} group(s) could not be read: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    if !notes.is_empty() {
        entry.message = Some(notes.join("; "));
    }
    Ok(entry)
}

pub(crate) fn tenant_info(
    resources: &BTreeMap<String, ResourceEntry>,
    fallback: Option<&str>,
) -> TenantInfo {
    let org = resources
        .get(Resource::Organization.key())
        .filter(|e| e.status == Status::Ok)
        .and_then(|e| e.items.first());
    let s = |k: &str| {
        org.and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    TenantInfo {
        id: s("id")
            .or_else(|| fallback.map(str::to_string))
            .unwrap_or_else(|| "unknown".into()),
        name: s("displayName").unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referenced_groups_skip_virtual_ids_and_dedupe() {
        let mut r = BTreeMap::new();
        r.insert(
            "deviceEnrollmentConfigurations".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![json!({"id":"c","assignments":[
                    {"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"AAA"}},
                    {"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":ALL_USERS_VIRTUAL_GROUP}},
                    {"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]})],
            ),
        );
        r.insert(
            "mobileDeviceManagementPolicies".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![json!({"id":"p","includedGroups":[{"id":"bbb"},{"id":"aaa"}]})],
            ),
        );
        r.insert(
            "deviceRegistrationPolicy".to_string(),
            ResourceEntry::ok(
                "/x",
                vec![json!({"id":"deviceRegistrationPolicy","azureADJoin":{"allowedToJoin":{
                    "@odata.type":"#microsoft.graph.enumeratedDeviceRegistrationMembership","groups":["ccc"],"users":["u"]}}})],
            ),
        );
        assert_eq!(referenced_groups(&r), vec!["aaa", "bbb", "ccc"]);
    }
}
