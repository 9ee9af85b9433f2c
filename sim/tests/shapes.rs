//! Tenant shapes: deterministic per (seed, shape, index), the default shape unchanged, the mixed
//! names really mixed, group sizes and the Autopilot share as the shape says. No timing here.

use intune_audit_sim::tenant::Big;
use intune_audit_sim::{Naming, Shape, Sizes, Tenant, SHAPES};
use serde_json::{json, Value};

/// FNV-1a over the serialized values: a digest that does not depend on the Rust version.
fn digest<'a>(values: impl IntoIterator<Item = &'a Value>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for b in v.to_string().bytes().chain([b'\n']) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

const BIGS: [Big; 4] = [
    Big::Users,
    Big::Devices,
    Big::ManagedDevices,
    Big::Autopilot,
];

/// The first items of every generated collection and the group members. (The small resources
/// are the shipped broken sample's, so they change whenever a check adds to the sample: they
/// are compared between the default shape and the unshaped tenant instead.)
fn tenant_digest(t: &Tenant) -> Vec<u64> {
    let mut out = Vec::new();
    for big in BIGS {
        let items: Vec<Value> = (0..t.len(big).min(200)).map(|i| t.item(big, i)).collect();
        out.push(digest(&items));
    }
    // Entra devices past the managed ones are the Autopilot devices' objects.
    let m = t.len(Big::ManagedDevices);
    let tail: Vec<Value> = (m..t.len(Big::Devices).min(m + 50))
        .map(|i| t.item(Big::Devices, i))
        .collect();
    out.push(digest(&tail));
    let members: Vec<Value> = t
        .groups
        .iter()
        .flat_map(|g| (0..t.member_count(g).min(100)).filter_map(|k| t.member(g, k)))
        .collect();
    out.push(digest(&members));
    out
}

/// The small resources (the events excepted: their times follow the clock).
fn small_resources(t: &Tenant) -> Vec<(String, Vec<Value>)> {
    t.small
        .iter()
        .filter(|(k, _)| !k.ends_with("Events"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn shaped(seed: u64, users: usize, name: &str) -> Tenant {
    let shape = Shape::preset(name).unwrap();
    Tenant::shaped(seed, Sizes::shaped(users, &shape), shape)
}

/// Digests taken from the generator before shapes existed (commit 2f190fb): the default shape
/// must serve the same bytes, or every figure measured before would stop being comparable.
#[test]
fn the_default_shape_is_byte_identical_to_the_tenant_before_shapes() {
    let before: [u64; 6] = [
        17246242664360629971,
        7005243350863233434,
        14944709858669079499,
        7219756595289673242,
        7514996014593535999,
        1351516016102509811,
    ];
    let t = Tenant::new(20261124, Sizes::per_user(1000));
    assert_eq!(tenant_digest(&t), before);
    let default = shaped(20261124, 1000, "default");
    assert_eq!(tenant_digest(&default), before);
    assert_eq!(small_resources(&default), small_resources(&t));
    assert_eq!(
        Sizes::per_user(1000),
        Sizes::shaped(1000, &Shape::default())
    );
    // The events stream keeps its length: one of each kind per 4 users.
    assert_eq!(t.small["troubleshootingEvents"].len(), 250);
    assert_eq!(t.small["autopilotEvents"].len(), 250);
}

#[test]
fn every_shape_is_deterministic_per_seed_shape_and_index() {
    for name in SHAPES {
        let a = shaped(11, 500, name);
        let b = shaped(11, 500, name);
        let c = shaped(12, 500, name);
        assert_eq!(tenant_digest(&a), tenant_digest(&b), "{name}");
        assert_ne!(tenant_digest(&a), tenant_digest(&c), "{name}");
        for big in BIGS {
            let last = a.len(big) - 1;
            for i in [0, 1, 77, last] {
                assert_eq!(a.item(big, i), b.item(big, i), "{name} {big:?} {i}");
            }
        }
    }
    // Another shape is another tenant, item for item.
    let d = shaped(11, 500, "default");
    let m = shaped(11, 500, "mixed-names");
    assert_ne!(d.device_name(1), m.device_name(1));
    assert_eq!(d.item(Big::Users, 1), m.item(Big::Users, 1));
    assert!(Shape::preset("no-such-shape").is_none());
}

fn scheme(name: &str) -> &'static str {
    let prefixes = [
        ("CTS-", "cts"),
        ("DESKTOP-", "desktop"),
        ("CONTOSO-", "contoso"),
        ("contoso-", "contoso-lower"),
        ("PF", "serial"),
        ("5CG", "serial"),
        ("SM-", "model"),
    ];
    if name.contains('\'') {
        return "personal";
    }
    prefixes
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map_or("other", |(_, s)| s)
}

#[test]
fn mixed_names_are_mixed_and_in_no_order() {
    let t = shaped(20261124, 1000, "mixed-names");
    assert_eq!(t.shape.naming, Naming::Mixed);
    let names: Vec<String> = (0..1000).map(|k| t.device_name(k)).collect();
    let mut counts = std::collections::BTreeMap::new();
    for n in &names {
        *counts.entry(scheme(n)).or_insert(0) += 1;
    }
    for s in ["cts", "desktop", "contoso", "serial", "personal"] {
        assert!(counts.get(s).copied().unwrap_or(0) >= 20, "{s}: {counts:?}");
    }
    assert!(names.iter().any(|n| n.ends_with("'s iPhone")), "{counts:?}");
    // Not sorted, not by index: neighbours go up about as often as down.
    let up = names
        .windows(2)
        .filter(|w| w[0].to_lowercase() < w[1].to_lowercase())
        .count();
    assert!((300..700).contains(&up), "{up} of 999 pairs ascend");
    // The Windows devices' schemes do not follow the index: consecutive Windows devices differ.
    let windows: Vec<&str> = (0..1000)
        .filter(|k| k % 6 < 4)
        .map(|k| scheme(&names[k]))
        .collect();
    let changes = windows.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changes > windows.len() / 2, "{changes}");
    // The managed device carries the Entra object's name.
    assert_eq!(
        t.item(Big::ManagedDevices, 5)["deviceName"],
        json!(names[5])
    );
    // The default shape keeps its four prefixes.
    let d = shaped(20261124, 1000, "default");
    assert!(
        (0..1000).all(|k| ["DESKTOP-", "LAPTOP-", "iPhone-", "Galaxy-"]
            .iter()
            .any(|p| d.device_name(k).starts_with(p)))
    );
}

#[test]
fn device_counts_and_the_autopilot_share_follow_the_shape() {
    let users = 1000;
    let heavy = shaped(3, users, "autopilot-heavy");
    assert_eq!(heavy.len(Big::Autopilot), 700);
    assert_eq!(shaped(3, users, "default").len(Big::Autopilot), 200);
    let many = shaped(3, users, "many-devices");
    assert_eq!(many.len(Big::ManagedDevices), 10 * users);
    assert_eq!(many.len(Big::Devices), 10 * users + 200);
    // Each user owns ten managed devices.
    let owners: std::collections::BTreeSet<String> = (0..10)
        .map(|j| many.item(Big::ManagedDevices, j)["userId"].to_string())
        .collect();
    assert_eq!(owners.len(), 1);
    let worst = shaped(3, users, "worst");
    assert_eq!(
        (worst.len(Big::Autopilot), worst.len(Big::ManagedDevices)),
        (700, 10 * users)
    );
    let mut s = Shape::default();
    s.set("--autopilot-share", "0.1").unwrap();
    assert_eq!(Sizes::shaped(users, &s).autopilot_devices, 100);
    assert!(s.set("--autopilot-share", "0.9").is_err());
    assert!(s.set("--devices-per-user", "11").is_err());
    assert!(s.set("--devices-per-user", "2.5").is_err());
    s.set("--devices-per-user", "3").unwrap();
    assert_eq!(Sizes::shaped(users, &s).managed_devices, 3 * users);
    assert!(s.set("--groups", "51").is_err());
    assert!(s.set("--naming", "odd").is_err());
    // Events: one per 4 users by default, one per user in `events`.
    let ev = shaped(3, users, "events");
    assert_eq!(ev.small["troubleshootingEvents"].len(), users);
    assert_eq!(ev.small["autopilotEvents"].len(), users);
}

#[test]
fn targeted_groups_follow_the_shape_and_the_configuration_names_them() {
    let users = 2000;
    let t = shaped(5, users, "many-groups");
    let extra: Vec<_> = t
        .groups
        .iter()
        .filter(|g| g.display_name.starts_with("Enrollment wave"))
        .collect();
    assert_eq!(extra.len(), 50);
    assert_eq!(
        t.member_count(extra[0]),
        users,
        "the first holds every user"
    );
    for g in &extra[1..] {
        assert_eq!(t.member_count(g), users / 50, "{}", g.display_name);
    }
    // The first member list really is every user, in order.
    assert_eq!(
        t.member(extra[0], users - 1).unwrap()["id"],
        t.item(Big::Users, users - 1)["id"]
    );
    assert!(t.member(extra[0], users).is_none());
    // One enrollment restriction targets all fifty, so the collector reads them.
    let referenced = intune_audit_sim::floor::referenced_groups(&t);
    for g in &extra {
        assert!(referenced.contains(&g.id.to_ascii_lowercase()), "{}", g.id);
    }
    let d = shaped(5, users, "default");
    assert_eq!(
        referenced.len(),
        intune_audit_sim::floor::referenced_groups(&d).len() + 50
    );
    // The largest group is capped by the shape.
    let mut s = Shape::preset("many-groups").unwrap();
    s.set("--largest-group", "300").unwrap();
    let capped = Tenant::shaped(5, Sizes::shaped(users, &s), s);
    let first = capped
        .groups
        .iter()
        .find(|g| g.display_name == "Enrollment wave 01")
        .unwrap();
    assert_eq!(capped.member_count(first), 300);
}
