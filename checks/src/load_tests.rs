//! The streaming loader against the tree loader (the reference): the same envelope, tenant and
//! audit on the samples and on odd but valid inputs; on malformed inputs a rejection, and the
//! same error (kind, resource, index, field) through [`load::from_slice`].

use crate::load::{self, Loaded};
use crate::settings::Settings;
use crate::snapshot::SnapshotError;
use serde_json::{json, Value};

fn sample(name: &str) -> String {
    let path = format!(
        "{}/../examples/tenants/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Everything a consumer reads: the envelope, the typed tenant (`Directory` prints sorted),
/// and the audit's report.
fn fingerprint(l: &Loaded) -> (String, String, String) {
    let settings = Settings {
        preview: true,
        ..Settings::default()
    };
    let report = crate::audit_tenant(&l.envelope, &l.tenant, &settings, "test");
    (
        format!("{:?}", l.envelope),
        format!("{:?}", l.tenant),
        serde_json::to_string(&report).expect("report serializes"),
    )
}

/// The streaming loader accepts `text` and agrees with the tree loader.
fn assert_same(text: &str) -> Loaded {
    let tree = Loaded::from_json_tree(text).expect("the tree loader accepts it");
    let streamed = load::stream_slice(text.as_bytes()).expect("the streaming loader accepts it");
    let from_reader = load::stream(text.as_bytes()).expect("from a reader too");
    assert_eq!(fingerprint(&streamed), fingerprint(&tree));
    assert_eq!(fingerprint(&from_reader), fingerprint(&tree));
    streamed
}

/// The streaming loader rejects `text`; `from_slice` then gives the tree loader's error.
fn rejected(text: &str) -> SnapshotError {
    assert!(load::stream_slice(text.as_bytes()).is_err(), "accepted");
    assert!(
        load::stream(text.as_bytes()).is_err(),
        "accepted from a reader"
    );
    let tree = Loaded::from_json_tree(text).expect_err("the tree loader accepts it");
    let err = load::from_slice(text.as_bytes()).expect_err("from_slice accepts it");
    assert_eq!(err.to_string(), tree.to_string());
    err
}

fn broken() -> Value {
    serde_json::from_str(&sample("broken")).expect("sample parses")
}

/// The `users` entry of a pretty-printed snapshot (four spaces in: a resource, not the `users`
/// condition of a Conditional Access policy), and the same with a `forbidden` status first.
const USERS_ENTRY: &str = "\n    \"users\": {";
const FORBIDDEN_USERS_ENTRY: &str = "\n    \"users\": {\"status\": \"forbidden\",";

fn text(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("serializes")
}

#[test]
fn both_samples_load_the_same_both_ways() {
    for name in ["broken", "healthy"] {
        let loaded = assert_same(&sample(name));
        assert!(loaded.tenant.users.get().is_ok_and(|u| !u.is_empty()));
        assert!(loaded.tenant.group_members.is_ok());
    }
}

#[test]
fn collect_key_order_status_after_items_and_unknown_keys_load_the_same() {
    let mut v = broken();
    // Status after items (the samples' sorted order) with a resource that was not read.
    v["resources"]["users"]["status"] = json!("forbidden");
    // A newer collector: unknown top-level key, resource, entry field and item fields.
    v["collector_host"] = json!({"os": "linux", "nested": [1, [2, {"x": null}]]});
    v["resources"]["futurePolicies"] =
        json!({"path": "/v1.0/x", "status": "ok", "items": [{"id": 1}, [true]]});
    v["resources"]["devices"]["pageCount"] = json!(3);
    v["resources"]["devices"]["items"][0]["isManaged"] = json!(true);
    let loaded = assert_same(&text(&v));
    assert!(loaded.tenant.users.get().is_err());
    assert!(loaded.envelope.resources.contains_key("futurePolicies"));
}

/// Items of a resource that was not read are never typed: with the status first (as
/// `collect` writes it) they are skipped; after them (sorted keys), the streaming loader stops
/// and the tree loader reads the file, as it always did.
#[test]
fn malformed_items_of_a_resource_not_read_do_not_matter() {
    let mut v = broken();
    v["resources"]["users"]["status"] = json!("forbidden");
    v["resources"]["users"]["items"][0]["accountEnabled"] = json!("yes");
    let sorted = text(&v);
    assert!(load::stream_slice(sorted.as_bytes()).is_err());
    let tree = Loaded::from_json_tree(&sorted).expect("the tree loader accepts it");
    let loaded = load::from_slice(sorted.as_bytes()).expect("read the tree way");
    assert_eq!(fingerprint(&loaded), fingerprint(&tree));
    let status_first = sorted.replacen(USERS_ENTRY, FORBIDDEN_USERS_ENTRY, 1);
    let loaded = assert_same(&status_first);
    assert!(loaded.tenant.users.get().is_err());
}

/// A repeated `status` that ends as `ok` after the items went by as not read: the tree keeps
/// the last status and types the items; the streaming loader must not read them as none.
#[test]
fn a_repeated_status_ending_ok_after_skipped_items_is_read_the_tree_way() {
    let t = text(&broken()).replacen(USERS_ENTRY, FORBIDDEN_USERS_ENTRY, 1);
    // Sorted keys: items come before the entry's own `"status": "ok"`.
    assert!(load::stream_slice(t.as_bytes()).is_err());
    let loaded = load::from_slice(t.as_bytes()).expect("read the tree way");
    assert!(loaded.tenant.users.get().is_ok_and(|u| !u.is_empty()));
}

#[test]
fn an_entry_without_items_is_read_as_empty_and_a_missing_entry_as_not_collected() {
    let mut v = broken();
    let users = v["resources"]["users"]
        .as_object_mut()
        .expect("users entry");
    users.remove("items");
    v["resources"]
        .as_object_mut()
        .expect("resources")
        .remove("managedDevices");
    let loaded = assert_same(&text(&v));
    assert_eq!(loaded.tenant.users.get().map(Vec::len).ok(), Some(0));
    assert!(loaded.tenant.managed_devices.get().is_err());
}

#[test]
fn a_repeated_resource_key_keeps_the_last_as_a_json_tree_does() {
    let v = broken();
    let users = text(&v["resources"]["users"]);
    let one_user = json!({"path": "/v1.0/users", "status": "ok", "items": [{"id": "u-1"}]});
    let whole = text(&v);
    // `"users": {...}` appears once; repeat the entry key with a one-user entry after it.
    let repeated = whole.replacen(
        "\"resources\": {",
        &format!("\"resources\": {{\n\"users\": {users},"),
        1,
    );
    let repeated = repeated.replacen(
        "\"resources\": {",
        &format!("\"resources\": {{\n\"users\": {one_user},"),
        1,
    );
    let loaded = assert_same(&repeated);
    assert!(loaded.tenant.users.get().is_ok_and(|u| !u.is_empty()));
}

#[test]
fn a_duplicated_item_property_is_read_the_tree_way() {
    let mut v = broken();
    v["resources"]["users"]["items"][0]["displayName"] = json!("__first__");
    let t = text(&v).replacen(
        "\"displayName\": \"__first__\"",
        "\"displayName\": \"__first__\", \"displayName\": \"Adele Vance\"",
        1,
    );
    assert!(load::stream_slice(t.as_bytes()).is_err());
    let tree = Loaded::from_json_tree(&t).expect("a tree keeps the last");
    let loaded = load::from_slice(t.as_bytes()).expect("read the tree way");
    assert_eq!(fingerprint(&loaded), fingerprint(&tree));
}

#[test]
fn a_shape_error_names_resource_index_and_field_as_before() {
    let mut v = broken();
    v["resources"]["users"]["items"][2]["assignedPlans"] =
        json!([{"servicePlanId": "x", "capabilityStatus": 5}]);
    match rejected(&text(&v)) {
        SnapshotError::Shape {
            resource,
            index,
            field,
            ..
        } => {
            assert_eq!(
                (resource.as_str(), index, field.as_str()),
                ("users", 2, "assignedPlans[0].capabilityStatus")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_first_resource_in_typing_order_is_named_when_several_are_malformed() {
    let mut v = broken();
    // autopilotEvents comes first in the file, managedDevices first in the typing order.
    v["resources"]["autopilotEvents"]["items"][0]["eventDateTime"] = json!(7);
    v["resources"]["managedDevices"]["items"][1]["deviceName"] = json!(false);
    match rejected(&text(&v)) {
        SnapshotError::Shape {
            resource,
            index,
            field,
            ..
        } => assert_eq!(
            (resource.as_str(), index, field.as_str()),
            ("managedDevices", 1, "deviceName")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_truncated_file_is_not_json_even_after_a_shape_error() {
    let mut v = broken();
    v["resources"]["autopilotEvents"]["items"][0]["eventDateTime"] = json!(7);
    let t = text(&v);
    let cut = &t[..t.len() * 2 / 3];
    assert!(matches!(rejected(cut), SnapshotError::NotJson(m) if m.contains("EOF")));
    assert!(matches!(
        rejected(&t[..t.len() / 2]),
        SnapshotError::NotJson(_)
    ));
    assert!(matches!(rejected(""), SnapshotError::NotJson(_)));
    assert!(
        matches!(rejected(&format!("{t} x")), SnapshotError::NotJson(m) if m.contains("trailing"))
    );
}

/// A change that breaks a snapshot.
type Break = fn(&mut Value);

#[test]
fn envelope_errors_are_the_tree_loaders() {
    let cases: [(&str, Break); 6] = [
        ("schema", |v| v["schema"] = json!("something/else")),
        ("version", |v| v["version"] = json!(2)),
        ("status", |v| {
            v["resources"]["users"]["status"] = json!("weird")
        }),
        ("items", |v| {
            v["resources"]["users"]["items"] = json!({"id": "u"})
        }),
        ("date", |v| v["collected_at"] = json!("yesterday")),
        ("resources", |v| v["resources"] = json!([])),
    ];
    for (what, break_it) in cases {
        let mut v = broken();
        break_it(&mut v);
        let err = rejected(&text(&v));
        let kind_ok = match what {
            "schema" => matches!(err, SnapshotError::WrongSchema { .. }),
            "version" => matches!(err, SnapshotError::UnsupportedVersion { found: 2 }),
            "date" => matches!(err, SnapshotError::BadDate(_)),
            "status" | "items" => {
                matches!(&err, SnapshotError::Envelope { path, .. } if path == &format!("resources.users.{what}"))
            }
            _ => matches!(err, SnapshotError::Envelope { .. }),
        };
        assert!(kind_ok, "{what}: {err:?}");
    }
    assert!(matches!(
        rejected("[1, 2]"),
        SnapshotError::WrongSchema { .. }
    ));
}

/// The one documented leniency: a value no check reads that `serde_json`'s tree refuses.
#[test]
fn an_unread_number_beyond_f64_is_skipped_not_rejected() {
    let mut v = broken();
    v["resources"]["users"]["items"][0]["futureCounter"] = json!("__big__");
    let t = text(&v).replacen("\"__big__\"", "1e400", 1);
    assert!(matches!(
        Loaded::from_json_tree(&t),
        Err(SnapshotError::NotJson(m)) if m.contains("number out of range")
    ));
    let streamed = load::stream_slice(t.as_bytes()).expect("skipped");
    v["resources"]["users"]["items"][0]
        .as_object_mut()
        .expect("user")
        .remove("futureCounter");
    assert_eq!(
        fingerprint(&streamed),
        fingerprint(&Loaded::from_json_tree(&text(&v)).expect("loads"))
    );
}

#[test]
fn find_raw_returns_the_first_matching_item_of_the_resource_only() {
    let v = broken();
    let t = text(&v);
    let user = &v["resources"]["users"]["items"][1];
    let id = user["id"].as_str().expect("id").to_ascii_uppercase();
    let found = load::find_raw(t.as_bytes(), crate::Resource::Users, &id);
    assert_eq!(found.as_ref(), Some(user));
    assert_eq!(
        load::find_raw(t.as_bytes(), crate::Resource::ManagedDevices, &id),
        None
    );
    assert_eq!(load::find_raw(&b"{"[..], crate::Resource::Users, &id), None);
}

/// The two loaders on a snapshot file of any size, e.g. one the benchmark collected:
/// `SNAPSHOT_FILE=/path/snapshot.json cargo test -p intune-audit-checks --lib -- --ignored
/// a_snapshot_file`. Ignored by default: it needs the file.
#[test]
#[ignore]
fn a_snapshot_file_loads_the_same_both_ways() {
    let path = std::env::var("SNAPSHOT_FILE").expect("SNAPSHOT_FILE names a snapshot");
    let file = std::fs::File::open(&path).expect("the snapshot opens");
    let streamed =
        load::stream(std::io::BufReader::new(file)).expect("the streaming loader accepts it");
    let text = std::fs::read_to_string(&path).expect("the snapshot reads");
    let tree = Loaded::from_json_tree(&text).expect("the tree loader accepts it");
    assert_eq!(fingerprint(&streamed), fingerprint(&tree));
}
