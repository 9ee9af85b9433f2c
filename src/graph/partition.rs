//! Splitting a long directory collection into `displayName` ranges of about equal size.
//!
//! A sample of names (the first page) gives the first cut points; Graph's own counts then
//! measure every interval between them (`/devices/$count?$filter=…`, in `$batch`es), an
//! interval heavier than its share is cut again at strings spread between its ends, and the
//! counted intervals are finally merged into ranges of about `total / parts` items. Counting
//! needs no assumption about Graph's order of items (the first page need not be a fair sample)
//! nor about its collation (the counts come from the server). Pure logic; the requests are in
//! `collect.rs`.
//!
//! Coverage never depends on the counts: for bounds `b1 … bk` in any order, the ranges
//! `p le b1`, `p ge b1 and p le b2`, …, `p ge bk` and `p eq null` hold every item under any
//! total order the server compares with (take the largest `bi` at or below a value). A value
//! equal to a bound falls in two ranges; the caller de-duplicates by id.

/// How many counted intervals a range is made of, at least: the finer the grid, the closer
/// the merged ranges come to equal sizes.
pub const GRID_PER_RANGE: usize = 3;
/// Cut points tried inside one heavy interval per counting round.
const SPLITS_PER_ROUND: usize = 8;
/// Counting rounds at most (each one `$batch` round trip before the ranges start).
pub const ROUNDS: usize = 3;
/// Length of a synthesised cut point, in characters after the common prefix.
const DEPTH: usize = 10;

/// An interval between two cut points (`None` = unbounded), with its count once Graph gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub lo: Option<String>,
    pub hi: Option<String>,
    pub count: Option<u64>,
}

/// The `$filter` that counts (or reads) an interval: `le hi`, `ge lo and le hi`, `ge lo`.
pub fn interval_filter(property: &str, lo: Option<&str>, hi: Option<&str>) -> String {
    match (lo, hi) {
        (None, Some(h)) => format!("{property} le {}", literal(h)),
        (Some(l), Some(h)) => format!(
            "{property} ge {} and {property} le {}",
            literal(l),
            literal(h)
        ),
        (Some(l), None) => format!("{property} ge {}", literal(l)),
        (None, None) => format!("{property} ne null"),
    }
}

/// The `$filter`s of a partitioned read: ranges of `property` cut at `bounds`, plus
/// `eq null`; empty when there are no bounds.
pub fn filters(property: &str, bounds: &[String]) -> Vec<String> {
    if bounds.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = intervals(bounds)
        .iter()
        .map(|i| interval_filter(property, i.lo.as_deref(), i.hi.as_deref()))
        .collect();
    out.push(format!("{property} eq null"));
    out
}

/// An OData string literal: single-quoted, quotes doubled.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The intervals between consecutive `cuts` (sorted, distinct), unbounded at both ends.
pub fn intervals(cuts: &[String]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut lo: Option<String> = None;
    for c in cuts {
        out.push(Interval {
            lo: lo.take(),
            hi: Some(c.clone()),
            count: None,
        });
        lo = Some(c.clone());
    }
    out.push(Interval {
        lo,
        hi: None,
        count: None,
    });
    out
}

/// `n` cut points at the quantiles of a sample of values, lowercased, each name weighted by
/// how often it occurs, then de-duplicated. A cut is not the sampled name itself but the name
/// less its last character, just below it: names repeat ("iPhone", "Lee's iPhone"), and a
/// bound equal to a name shared by a thousand devices would read all of them twice.
pub fn sample_cuts(sample: &[String], n: usize) -> Vec<String> {
    let mut v: Vec<String> = sample
        .iter()
        .map(|s| s.to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    if v.len() < 2 || n == 0 {
        return Vec::new();
    }
    let mut cuts: Vec<String> = (1..=n)
        .map(|j| just_below(&v[j * v.len() / (n + 1)]))
        .collect();
    cuts.dedup();
    cuts
}

/// The name less its last character (the name itself when that leaves nothing).
fn just_below(name: &str) -> String {
    match name.char_indices().last() {
        Some((i, _)) if i > 0 => name[..i].to_string(),
        _ => name.to_string(),
    }
}

/// The characters synthesised cut points are made of, in byte order.
const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// The position of a character on a scale of `ALPHABET.len() + 2` steps: 0 below the
/// alphabet, `1..=36` its characters, 37 above it.
fn digit(c: Option<u8>) -> u128 {
    match c {
        None => 0,
        Some(b) => match ALPHABET.binary_search(&b) {
            Ok(i) => i as u128 + 1,
            Err(0) => 0,
            Err(i) if i >= ALPHABET.len() => ALPHABET.len() as u128 + 1,
            // Between two characters of the alphabet (e.g. ':' between '9' and 'a'): the
            // lower one, so the position never overshoots the string.
            Err(i) => i as u128,
        },
    }
}

const BASE: u128 = ALPHABET.len() as u128 + 2;

/// A string's position after `skip` bytes, as a `DEPTH`-digit number in base `BASE`.
fn position(s: &[u8], skip: usize) -> u128 {
    (0..DEPTH).fold(0, |acc, i| acc * BASE + digit(s.get(skip + i).copied()))
}

/// The string of a position (after `prefix`): its digits until the first 0, those above the
/// alphabet as `~`.
fn string_at(prefix: &str, mut pos: u128) -> String {
    let mut digits = [0u8; DEPTH];
    for d in digits.iter_mut().rev() {
        *d = (pos % BASE) as u8;
        pos /= BASE;
    }
    let mut out = prefix.to_string();
    for d in digits {
        match d {
            0 => break,
            d if (d as usize) <= ALPHABET.len() => out.push(ALPHABET[d as usize - 1] as char),
            _ => out.push('~'),
        }
    }
    out
}

/// Up to `n` distinct strings spread evenly between `lo` and `hi` (lowercased; `None` = the
/// open end), each strictly between them in byte order. Empty when there is no room.
pub fn between(lo: Option<&str>, hi: Option<&str>, n: usize) -> Vec<String> {
    let lo = lo.map(str::to_lowercase).unwrap_or_default();
    let hi = hi.map(str::to_lowercase);
    let common = match &hi {
        Some(h) => lo
            .bytes()
            .zip(h.bytes())
            .take_while(|(a, b)| a == b)
            .count(),
        None => 0,
    };
    // Cut at a character boundary of both strings.
    let common = (0..=common)
        .rev()
        .find(|&i| lo.is_char_boundary(i) && hi.as_ref().is_none_or(|h| h.is_char_boundary(i)))
        .unwrap_or(0);
    let prefix = &lo[..common];
    let a = position(lo.as_bytes(), common);
    let b = match &hi {
        Some(h) => position(h.as_bytes(), common),
        None => BASE.pow(DEPTH as u32) - 1,
    };
    if b <= a + 1 {
        return Vec::new();
    }
    let mut out: Vec<String> = (1..=n as u128)
        .map(|k| string_at(prefix, a + (b - a) * k / (n as u128 + 1)))
        .filter(|s| *s > lo && hi.as_ref().is_none_or(|h| s < h))
        .collect();
    out.dedup();
    out
}

/// The intervals still too heavy for `target` items, split at strings between their ends
/// (counts unknown again); the others unchanged. `None` when nothing is left to split.
pub fn refine(intervals: &[Interval], target: u64) -> Option<Vec<Interval>> {
    let mut changed = false;
    let mut out = Vec::with_capacity(intervals.len());
    for i in intervals {
        let heavy = i.count.is_some_and(|c| c > target.max(1));
        let cuts = if heavy {
            let pieces = i.count.unwrap_or(0).div_ceil(target.max(1)) as usize;
            between(
                i.lo.as_deref(),
                i.hi.as_deref(),
                pieces.saturating_sub(1).clamp(1, SPLITS_PER_ROUND),
            )
        } else {
            Vec::new()
        };
        if cuts.is_empty() {
            out.push(i.clone());
            continue;
        }
        changed = true;
        let mut lo = i.lo.clone();
        for c in cuts {
            out.push(Interval {
                lo: lo.replace(c.clone()),
                hi: Some(c),
                count: None,
            });
        }
        out.push(Interval {
            lo,
            hi: i.hi.clone(),
            count: None,
        });
    }
    changed.then_some(out)
}

/// Merges consecutive counted intervals into at most `parts` ranges whose largest is as small
/// as it can be (the read ends with its largest range), and returns their bounds. An interval
/// Graph did not count weighs as the average of the others.
pub fn merge(intervals: &[Interval], parts: usize) -> Vec<String> {
    let counted: Vec<u64> = intervals.iter().filter_map(|i| i.count).collect();
    let average = match counted.len() {
        0 => 1,
        n => counted.iter().sum::<u64>() / n as u64,
    };
    let weights: Vec<u64> = intervals
        .iter()
        .map(|i| i.count.unwrap_or(average))
        .collect();
    let total: u64 = weights.iter().sum();
    if parts < 2 || total == 0 {
        return Vec::new();
    }
    // The smallest capacity that a greedy fill fits in `parts` ranges.
    let (mut lo, mut hi) = (weights.iter().copied().max().unwrap_or(0), total);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if fill(&weights, mid).len() + 1 > parts {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    fill(&weights, lo)
        .into_iter()
        .filter_map(|end| intervals[end].hi.clone())
        .collect()
}

/// The indices of the intervals that close a range when ranges are filled up to `capacity`.
fn fill(weights: &[u64], capacity: u64) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut acc = 0u64;
    for (i, w) in weights.iter().enumerate() {
        if acc > 0 && acc + w > capacity {
            ends.push(i - 1);
            acc = 0;
        }
        acc += w;
    }
    ends
}

/// Cut points for `parts` ranges of about `total / parts` items each: the sample's quantiles
/// on a grid of `GRID_PER_RANGE` intervals per range, every interval counted (`count` is given
/// the intervals without a count and answers their counts in order, `None` where Graph gave
/// none), heavy intervals cut again for up to `ROUNDS` rounds, then [`merge`]d. When the first
/// round counts nothing (Graph refuses `$count` with a filter), the sample's quantiles alone.
pub async fn plan<E, F, Fut>(
    sample: &[String],
    total: u64,
    parts: usize,
    mut count: F,
) -> Result<Vec<String>, E>
where
    F: FnMut(Vec<Interval>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Option<u64>>, E>>,
{
    if parts < 2 {
        return Ok(Vec::new());
    }
    let grid = parts * GRID_PER_RANGE;
    let mut all = intervals(&sample_cuts(sample, grid - 1));
    let target = total.div_ceil(grid as u64);
    for round in 0..ROUNDS {
        let todo: Vec<usize> = (0..all.len()).filter(|&i| all[i].count.is_none()).collect();
        let counts = count(todo.iter().map(|&i| all[i].clone()).collect()).await?;
        let mut answered = false;
        for (i, c) in todo.into_iter().zip(counts) {
            answered |= c.is_some();
            all[i].count = c;
        }
        if !answered && round == 0 {
            return Ok(sample_cuts(sample, parts - 1));
        }
        if round + 1 == ROUNDS {
            break;
        }
        match refine(&all, target) {
            Some(finer) => all = finer,
            None => break,
        }
    }
    Ok(merge(&all, parts))
}

/// A `$count` answer: a number, a numeric string, or (inside a `$batch`) base64 of one.
pub fn parse_count(body: &serde_json::Value) -> Option<u64> {
    use base64::Engine;
    match body {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok().or_else(|| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok()?;
            std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn filters_cover_every_name_and_quote_literals() {
        let bounds = s(&["desktop-9", "laptop-5"]);
        assert_eq!(
            filters("displayName", &bounds),
            vec![
                "displayName le 'desktop-9'",
                "displayName ge 'desktop-9' and displayName le 'laptop-5'",
                "displayName ge 'laptop-5'",
                "displayName eq null",
            ]
        );
        assert_eq!(
            filters("displayName", &s(&["o'brien"]))[0],
            "displayName le 'o''brien'"
        );
        assert!(filters("displayName", &[]).is_empty());
    }

    #[test]
    fn sample_cuts_weigh_repeated_names() {
        // Six of ten names are the same: a fair split puts a cut at it, not at the rare ones.
        let sample = s(&[
            "a",
            "b",
            "Lee's iPhone",
            "lee's iphone",
            "lee's iphone",
            "lee's iphone",
            "lee's iphone",
            "lee's iphone",
            "x",
            "",
        ]);
        // The cut is just below the name, so the name's devices are all in one range.
        assert_eq!(sample_cuts(&sample, 1), s(&["lee's iphon"]));
        assert_eq!(sample_cuts(&sample, 3), s(&["lee's iphon"]));
        assert_eq!(sample_cuts(&s(&["a", "b", "c"]), 1), s(&["b"]));
        assert!(sample_cuts(&s(&["only"]), 3).is_empty());
    }

    #[test]
    fn between_spreads_strictly_inside() {
        let cuts = between(Some("cts-a"), Some("desktop"), 4);
        assert_eq!(cuts.len(), 4, "{cuts:?}");
        let mut sorted = cuts.clone();
        sorted.sort();
        assert_eq!(sorted, cuts);
        assert!(cuts
            .iter()
            .all(|c| c.as_str() > "cts-a" && c.as_str() < "desktop"));
        // Shared prefixes are kept; an open end reaches past the alphabet.
        let deep = between(Some("pf1000"), Some("pf2000"), 3);
        assert!(deep.iter().all(|c| c.starts_with("pf")), "{deep:?}");
        assert!(!between(Some("zz"), None, 3).is_empty());
        assert!(!between(None, Some("b"), 3).is_empty());
        // No room between neighbours.
        assert!(between(Some("a"), Some("a0"), 3).is_empty());
        // Non-ASCII ends never split a character.
        let u = between(Some("ädele"), Some("öscar"), 3);
        assert!(
            u.iter()
                .all(|c| c.as_str() > "ädele" && c.as_str() < "öscar"),
            "{u:?}"
        );
    }

    #[test]
    fn refine_splits_only_heavy_intervals() {
        let iv = vec![
            Interval {
                lo: None,
                hi: Some("d".into()),
                count: Some(50),
            },
            Interval {
                lo: Some("d".into()),
                hi: Some("m".into()),
                count: Some(400),
            },
            Interval {
                lo: Some("m".into()),
                hi: None,
                count: None,
            },
        ];
        let r = refine(&iv, 100).expect("the heavy interval is split");
        assert_eq!(r[0], iv[0]);
        assert_eq!(r.last(), iv.last());
        // 400 / 100 → four pieces: three cuts between d and m.
        assert_eq!(r.len(), 2 + 4);
        assert_eq!(r[1].lo.as_deref(), Some("d"));
        assert_eq!(r[4].hi.as_deref(), Some("m"));
        assert!(r[1..5].iter().all(|i| i.count.is_none()));
        assert!(refine(&r[..1], 100).is_none());
    }

    #[test]
    fn merge_balances_counted_intervals() {
        let counts = [10, 10, 10, 10, 40, 5, 5, 10];
        let cuts = s(&["b", "c", "d", "e", "f", "g", "h"]);
        let mut iv = intervals(&cuts);
        for (i, c) in iv.iter_mut().zip(counts) {
            i.count = Some(c);
        }
        // 100 items in 3 ranges: 40 | 40 | 20 (a..e, e..f, f..).
        assert_eq!(merge(&iv, 3), s(&["e", "f"]));
        assert_eq!(merge(&iv, 2), s(&["e"]));
        assert!(merge(&iv, 1).is_empty());
    }

    #[test]
    fn counts_parse_in_every_form_graph_sends() {
        use serde_json::json;
        assert_eq!(parse_count(&json!(42)), Some(42));
        assert_eq!(parse_count(&json!("42")), Some(42));
        assert_eq!(parse_count(&json!("NDI=")), Some(42));
        assert_eq!(parse_count(&json!({"error": {}})), None);
        assert_eq!(parse_count(&json!("x")), None);
    }
}
