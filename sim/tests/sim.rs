//! The simulator's Graph semantics: paging, `$top` caps, `$select`, `$expand`, `$filter`
//! ranges, `$count`, throttling with fractional Retry-After, `$batch`, determinism.
//! Loopback only, zero latency, no timing assertions.

use intune_audit::graph::partition;
use intune_audit_sim::{Latency, Sim, SimConfig, Sizes, Tenant};
use serde_json::{json, Value};
use std::collections::HashSet;

fn fast(seed: u64, users: usize) -> SimConfig {
    let mut c = SimConfig::new(seed, Sizes::per_user(users));
    c.latency = Latency {
        token_ms: 0.0,
        single_ms: 0.0,
        dir_base_ms: 0.0,
        dir_per_item_ms: 0.0,
        intune_base_ms: 0.0,
        intune_per_item_ms: 0.0,
        batch_overhead_ms: 0.0,
        sigma: 0.0,
        time_scale: 1.0,
    };
    c
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(sim: &Sim) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: sim.base.clone(),
        }
    }
    async fn get_with(&self, url: &str, eventual: bool) -> (u16, Option<String>, String) {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.base)
        };
        let mut rb = self
            .http
            .get(url)
            .header("authorization", "Bearer sim-access-token");
        if eventual {
            rb = rb.header("ConsistencyLevel", "eventual");
        }
        let r = rb.send().await.expect("loopback answers");
        let status = r.status().as_u16();
        let ra = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, ra, r.text().await.expect("body"))
    }
    async fn get(&self, url: &str) -> (u16, Value) {
        let (s, _, body) = self.get_with(url, false).await;
        (s, serde_json::from_str(&body).unwrap_or(Value::Null))
    }
    async fn all_pages(&self, first: &str) -> (usize, Vec<Value>) {
        let mut url = first.to_string();
        let mut pages = 0;
        let mut items = Vec::new();
        loop {
            let (s, v) = self.get(&url).await;
            assert_eq!(s, 200, "{url}: {v}");
            pages += 1;
            items.extend(v["value"].as_array().cloned().unwrap_or_default());
            match v["@odata.nextLink"].as_str() {
                Some(n) => url = n.to_string(),
                None => return (pages, items),
            }
        }
    }
}

#[tokio::test]
async fn users_page_at_999_with_select_applied_and_top_capped() {
    let sim = Sim::start(fast(1, 2500), 0).await.unwrap();
    let c = Client::new(&sim);
    let (pages, items) = c
        .all_pages("/v1.0/users?$select=id,userPrincipalName,assignedPlans&$top=999")
        .await;
    assert_eq!(pages, 3, "2,500 users at 999 per page");
    assert_eq!(items.len(), 2500);
    let ids: HashSet<&str> = items.iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(ids.len(), 2500, "no duplicates across pages");
    let keys: Vec<&String> = items[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "$select keeps only what was named: {keys:?}");
    // Without $top, a directory page holds 100; above 999 is a 400 as on Graph.
    let (_, v) = c.get("/v1.0/users").await;
    assert_eq!(v["value"].as_array().unwrap().len(), 100);
    assert!(
        v["value"][0].get("givenName").is_some(),
        "no $select: every property"
    );
    let (s, v) = c.get("/v1.0/users?$top=1000").await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "Request_UnsupportedQuery");
    // Intune: $top above the maximum is capped at 1000; 5,000 managed devices are 5 pages.
    let (s, v) = c
        .get("/v1.0/deviceManagement/managedDevices?$select=id&$top=5000")
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 1000);
    let (pages, items) = c
        .all_pages("/v1.0/deviceManagement/managedDevices?$select=id,deviceName")
        .await;
    assert_eq!((pages, items.len()), (5, 5000));
    let counts = sim.stats.counts();
    assert!(counts.pages >= 3 + 1 + 1 + 5, "{counts:?}");
    assert!(counts.bytes > 0);
}

#[tokio::test]
async fn expand_caps_device_pages_at_100_and_returns_owners_only_when_expanded() {
    let sim = Sim::start(fast(2, 200), 0).await.unwrap();
    let c = Client::new(&sim);
    let (_, v) = c
        .get("/v1.0/devices?$select=id,displayName&$expand=registeredOwners($select=id)&$top=999")
        .await;
    let page = v["value"].as_array().unwrap();
    assert_eq!(page.len(), 100, "$expand caps directory pages at 100");
    assert!(page[0]["registeredOwners"].is_array());
    let (_, v) = c.get("/v1.0/devices?$select=id,displayName").await;
    assert!(v["value"][0].get("registeredOwners").is_none());
    let (_, v) = c
        .get("/beta/deviceManagement/deviceEnrollmentConfigurations")
        .await;
    assert!(v["value"][0].get("assignments").is_none());
    let (_, v) = c
        .get("/beta/deviceManagement/deviceEnrollmentConfigurations?$expand=assignments")
        .await;
    assert!(v["value"][0]["assignments"].is_array());
}

#[tokio::test]
async fn count_needs_consistency_level_and_filter_ranges_partition_devices_exactly() {
    let sim = Sim::start(fast(3, 600), 0).await.unwrap();
    let c = Client::new(&sim);
    let (s, _, _) = c.get_with("/v1.0/devices/$count", false).await;
    assert_eq!(s, 400, "$count without ConsistencyLevel");
    let (s, _, body) = c.get_with("/v1.0/devices/$count", true).await;
    assert_eq!(s, 200);
    let total: usize = body.trim().parse().unwrap();
    assert_eq!(total, 600 * 2 + 120);
    let (s, _, body) = c
        .get_with("/v1.0/users?$count=true&$select=id&$top=999", true)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["@odata.count"],
        600
    );

    // The collector's ranges, cut at a sample page's quantiles, cover every device.
    let base = "/v1.0/devices?$select=id,displayName&$expand=registeredOwners($select=id)&$top=100";
    let (_, first) = c.get(base).await;
    let sample: Vec<String> = first["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["displayName"].as_str().unwrap().to_string())
        .collect();
    let bounds = partition::sample_cuts(&sample, 4);
    assert_eq!(bounds.len(), 4);
    let mut seen: HashSet<String> = HashSet::new();
    let mut requests = 0;
    // Synthesised cut points (what counting adds) are ranges like any other.
    let mut synthesised = partition::between(Some(&bounds[1]), Some(&bounds[2]), 3);
    synthesised.extend(bounds.iter().cloned());
    synthesised.sort();
    for f in partition::filters("displayName", &synthesised) {
        let enc: String = f
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (pages, items) = c.all_pages(&format!("{base}&$filter={enc}")).await;
        requests += pages;
        for d in items {
            seen.insert(d["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen.len(), total, "the ranges miss nothing");
    assert!(requests <= total.div_ceil(100) + 9, "{requests} requests");
    let (s, v) = c.get("/v1.0/devices?$filter=deviceId ge 'a'").await;
    assert_eq!(s, 400, "{v}");
}

#[tokio::test]
async fn throttling_answers_429_with_a_fractional_retry_after_once_over_budget() {
    let mut cfg = fast(4, 50);
    cfg.throttling.directory_ru = 5.0;
    cfg.throttling.intune_devices = 2.0;
    let sim = Sim::start(cfg, 0).await.unwrap();
    let c = Client::new(&sim);
    // /users with $select costs 2 − 1 = 1 RU: five fit, the sixth is throttled.
    for _ in 0..5 {
        let (s, _, _) = c.get_with("/v1.0/users?$select=id&$top=999", false).await;
        assert_eq!(s, 200);
    }
    let (s, ra, body) = c.get_with("/v1.0/users?$select=id&$top=999", false).await;
    assert_eq!(s, 429, "{body}");
    let ra = ra.expect("Retry-After");
    assert!(ra.contains('.'), "fractional Retry-After: {ra}");
    assert!(ra.parse::<f64>().unwrap() > 0.0);
    // Intune devices is its own family.
    let url = "/v1.0/deviceManagement/managedDevices?$select=id";
    assert_eq!(c.get(url).await.0, 200);
    assert_eq!(c.get(url).await.0, 200);
    assert_eq!(c.get(url).await.0, 429);
    let n = sim.stats.counts();
    assert_eq!(n.throttled, 2);
    assert_eq!(n.requests, 9);
    assert_eq!(n.resource_units, 6);
}

#[tokio::test]
async fn batch_answers_each_sub_request_and_refuses_more_than_20() {
    let mut cfg = fast(5, 100);
    cfg.throttling.directory_ru = 12.0;
    let sim = Sim::start(cfg, 0).await.unwrap();
    let t = Tenant::new(5, Sizes::per_user(100));
    let g = t.groups[0].id.clone();
    let http = reqwest::Client::new();
    let post = |body: Value| {
        let http = http.clone();
        let url = format!("{}/v1.0/$batch", sim.base);
        async move {
            let r = http
                .post(url)
                .header("authorization", "Bearer sim-access-token")
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"}))
        .collect();
    assert_eq!(post(json!({"requests": too_many})).await.0, 400);

    // Mixed: a group, its members, an unknown group, a bad path, then enough transitiveMembers
    // reads (5 RU each) to run out of the 12-RU budget.
    let mut reqs = vec![
        json!({"id": "g", "method": "GET", "url": format!("/groups/{g}?$select=id,displayName")}),
        json!({"id": "missing", "method": "GET", "url": "/groups/00000000-0000-4000-8000-000000000000"}),
        json!({"id": "bad", "method": "GET", "url": "/nowhere"}),
    ];
    for i in 0..4 {
        reqs.push(json!({"id": format!("m{i}"), "method": "GET", "url": format!("/groups/{g}/transitiveMembers?$top=999")}));
    }
    let (s, v) = post(json!({"requests": reqs})).await;
    assert_eq!(s, 200);
    let by_id = |id: &str| {
        v["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("g")["status"], 200);
    assert_eq!(by_id("g")["body"]["id"], json!(g));
    assert_eq!(by_id("missing")["status"], 404);
    assert_eq!(by_id("bad")["status"], 404);
    let statuses: Vec<u64> = (0..4)
        .map(|i| by_id(&format!("m{i}"))["status"].as_u64().unwrap())
        .collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );
    let throttled = (0..4)
        .map(|i| by_id(&format!("m{i}")))
        .find(|r| r["status"] == 429)
        .unwrap();
    assert!(throttled["headers"]["Retry-After"]
        .as_str()
        .unwrap()
        .contains('.'));
    let n = sim.stats.counts();
    assert_eq!((n.batches, n.sub_requests), (2, 7));
    assert!(n.throttled >= 1);
}

#[tokio::test]
async fn a_seed_gives_the_same_tenant_and_another_seed_another() {
    let a = Tenant::new(7, Sizes::per_user(300));
    let b = Tenant::new(7, Sizes::per_user(300));
    let c = Tenant::new(8, Sizes::per_user(300));
    use intune_audit_sim::tenant::Big;
    for big in [
        Big::Users,
        Big::Devices,
        Big::ManagedDevices,
        Big::Autopilot,
    ] {
        for i in [0, 1, 59, a.len(big) - 1] {
            assert_eq!(a.item(big, i), b.item(big, i));
        }
        assert_ne!(a.item(big, 1)["id"], c.item(big, 1)["id"]);
    }
    // Served bytes are identical for the same seed.
    let s1 = Sim::start(fast(7, 300), 0).await.unwrap();
    let s2 = Sim::start(fast(7, 300), 0).await.unwrap();
    let url = "/v1.0/deviceManagement/managedDevices?$select=id,deviceName,userId";
    let (_, v1) = Client::new(&s1).all_pages(url).await;
    let (_, v2) = Client::new(&s2).all_pages(url).await;
    assert_eq!(v1, v2);
    // Some users are broken on purpose: no Intune licence, a suspended plan.
    let no_intune = (0..300)
        .map(|i| a.item(Big::Users, i))
        .filter(|u| {
            !u["assignedPlans"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["service"] == "SCO")
        })
        .count();
    assert!(no_intune > 0);
}

#[tokio::test]
async fn nested_groups_list_the_inner_group_and_its_members() {
    let sim = Sim::start(fast(9, 1000), 0).await.unwrap();
    let t = Tenant::new(9, Sizes::per_user(1000));
    let sales = t.groups.iter().find(|g| g.display_name == "Sales").unwrap();
    let c = Client::new(&sim);
    let (pages, items) = c
        .all_pages(&format!(
            "/v1.0/groups/{}/transitiveMembers?$select=id&$top=100",
            sales.id
        ))
        .await;
    assert_eq!(items.len(), 1 + 200);
    assert_eq!(pages, 3);
    assert_eq!(items[0]["@odata.type"], "#microsoft.graph.group");
    assert!(items[0].get("displayName").is_none(), "$select=id");
}
