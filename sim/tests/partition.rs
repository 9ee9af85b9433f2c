//! Balanced `displayName` ranges (issue 15, item 1): the collector's range plan
//! (`intune_audit::graph::partition::plan`) against the simulator's tenant shapes, with every
//! interval counted the way Graph counts it (`$count` with the range's filter: the simulator's
//! own filter, case-insensitive). The first page is not a fair sample here — the Autopilot
//! devices' serials all come after the managed devices — so ranges cut at its quantiles alone
//! come out uneven; counted ones must not. No timing.

use intune_audit::graph::partition::{self, Interval};
use intune_audit_sim::server::parse_filter;
use intune_audit_sim::tenant::Big;
use intune_audit_sim::{Shape, Sizes, Tenant};
use std::convert::Infallible;

/// Entra devices per page (`$expand` caps a directory page at 100).
const PAGE: u64 = 100;

struct Devices {
    /// Every device's name, lowercased and sorted: the simulator's collation.
    sorted: Vec<String>,
    /// The names of the first page, as Graph serves them.
    first_page: Vec<String>,
}

fn devices(users: usize, shape: &str) -> Devices {
    let shape = Shape::preset(shape).expect("a preset shape");
    let t = Tenant::shaped(20261201, Sizes::shaped(users, &shape), shape);
    let names: Vec<String> = (0..t.len(Big::Devices)).map(|k| t.device_name(k)).collect();
    let first_page = names.iter().take(PAGE as usize).cloned().collect();
    let mut sorted: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    sorted.sort();
    Devices { sorted, first_page }
}

impl Devices {
    /// What `$count` with the interval's filter answers: counted through the simulator's
    /// filter parser on the filter the collector sends, by binary search on the sorted names.
    fn count(&self, i: &Interval) -> u64 {
        let filter = partition::interval_filter("displayName", i.lo.as_deref(), i.hi.as_deref());
        parse_filter(&filter).expect("the simulator parses the collector's filter");
        let from = i.lo.as_ref().map_or(0, |lo| {
            self.sorted.partition_point(|n| n < &lo.to_lowercase())
        });
        let to = i.hi.as_ref().map_or(self.sorted.len(), |hi| {
            self.sorted.partition_point(|n| n <= &hi.to_lowercase())
        });
        to.saturating_sub(from) as u64
    }

    fn total(&self) -> u64 {
        self.sorted.len() as u64
    }

    /// The number of ranges the collector asks for (`collect_partitioned`).
    fn parts(&self) -> usize {
        intune_audit::graph::plan::partition_count(self.total(), PAGE)
    }

    /// The sizes of the ranges cut at `bounds` (with `le`/`ge`: a name equal to a bound is
    /// in two).
    fn range_sizes(&self, bounds: &[String]) -> Vec<u64> {
        partition::intervals(bounds)
            .iter()
            .map(|i| self.count(i))
            .collect()
    }

    async fn plan(&self, counted_rounds: &mut usize) -> Vec<String> {
        partition::plan(&self.first_page, self.total(), self.parts(), |todo| {
            *counted_rounds += 1;
            let counts = todo.iter().map(|i| Some(self.count(i))).collect();
            async move { Ok::<_, Infallible>(counts) }
        })
        .await
        .expect("infallible")
    }
}

/// The largest range against an even split.
fn imbalance(sizes: &[u64], total: u64) -> f64 {
    let largest = sizes.iter().copied().max().unwrap_or(0) as f64;
    largest / (total as f64 / sizes.len() as f64)
}

async fn assert_balanced(users: usize, shape: &str) {
    let d = devices(users, shape);
    let mut rounds = 0;
    let bounds = d.plan(&mut rounds).await;
    assert!(rounds <= partition::ROUNDS, "{rounds} counting rounds");
    assert_eq!(bounds.len() + 1, d.parts(), "{shape}: {bounds:?}");
    let sizes = d.range_sizes(&bounds);
    let read: u64 = sizes.iter().sum();
    // Every name is in a range; names equal to a bound are read twice, and few are.
    assert!(read >= d.total(), "{shape}: {read} of {}", d.total());
    assert!(
        read - d.total() <= d.total() / 100,
        "{shape}: {} devices read twice",
        read - d.total()
    );
    let counted = imbalance(&sizes, d.total());
    assert!(
        counted <= 1.15,
        "{shape}: counted ranges {sizes:?} are {counted:.2}× an even split"
    );
    // The first page's quantiles alone (the collector before counting) fail the same bar:
    // the test measures the counting, not a lucky sample.
    let sampled = d.range_sizes(&partition::sample_cuts(&d.first_page, d.parts() - 1));
    let uncounted = imbalance(&sampled, d.total());
    eprintln!(
        "{shape}: {} devices, {} ranges; counted {:.2}× even ({}–{}), {} read twice; first page only {:.2}× ({}–{})",
        d.total(),
        sizes.len(),
        counted,
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0),
        read - d.total(),
        uncounted,
        sampled.iter().min().unwrap_or(&0),
        sampled.iter().max().unwrap_or(&0),
    );
    assert!(
        uncounted > 1.15,
        "{shape}: the sample alone already gives {sampled:?}"
    );
}

#[tokio::test]
async fn counted_ranges_are_even_on_mixed_names() {
    assert_balanced(10_000, "mixed-names").await;
}

#[tokio::test]
async fn counted_ranges_are_even_on_the_worst_shape() {
    assert_balanced(10_000, "worst").await;
}

#[tokio::test]
async fn counted_ranges_are_even_on_the_default_shape() {
    assert_balanced(10_000, "default").await;
}

/// Graph refusing `$count` with a filter leaves the first page's quantiles: ranges still cover
/// every device.
#[tokio::test]
async fn without_counts_the_sample_quantiles_still_cover_everything() {
    let d = devices(10_000, "mixed-names");
    let bounds = partition::plan(&d.first_page, d.total(), d.parts(), |todo| {
        let none = vec![None; todo.len()];
        async move { Ok::<_, Infallible>(none) }
    })
    .await
    .expect("infallible");
    assert_eq!(bounds, partition::sample_cuts(&d.first_page, d.parts() - 1));
    let read: u64 = d.range_sizes(&bounds).iter().sum();
    assert!(read >= d.total());
}
