//! The streaming snapshot loader: reads a snapshot once, from a reader, typing each resource's
//! items into the model as they stream past. There is no JSON tree of the whole file: the
//! memory is the typed tenant plus one item at a time (issue 15).
//!
//! What it accepts is what [`Snapshot::from_json`] + [`Tenant::from_snapshot`] (the tree
//! loader, the reference) accept, with the same tenant. It keeps the envelope and each entry's
//! record (path, status, permission, message) as JSON values and validates them with the tree
//! loader's own code, so a newer collector's unknown keys and fields stay tolerated. It does not
//! reproduce the tree loader's error messages itself: on any failure it says [`Rejected`], and
//! the caller reads the input again with the tree loader for the exact error
//! ([`SnapshotError::Shape`] with resource, index and field path; a truncated file's position).
//! A file the streaming loader rejects but the tree loader accepts (an item with a duplicated
//! property, which a tree keeps the last of) is thus still read, the slow way.
//!
//! More lenient than the tree in one respect only, for values no check reads (an unknown
//! property, an unknown resource's items): `serde_json` skips them without converting them, so
//! a number beyond `f64`, a lone UTF-16 surrogate escape or nesting deeper than 128 there is
//! not an error (the tree loader rejects the whole file as not JSON).

use crate::snapshot::{Envelope, Resource, Snapshot, SnapshotError};
use crate::tenant::{with_item_type, Item, PerItemType, Tenant, TypedItems};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

/// A snapshot read and typed: what the audit, `diff`, `failures` and `diagnose` need.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub envelope: Envelope,
    pub tenant: Tenant,
}

impl Loaded {
    /// Types a snapshot held as a JSON tree (the reference loader; a live collection).
    pub fn from_snapshot(snapshot: &Snapshot) -> Result<Loaded, SnapshotError> {
        Ok(Loaded {
            tenant: Tenant::from_snapshot(snapshot)?,
            envelope: snapshot.envelope(),
        })
    }

    /// The tree loader on text: [`Snapshot::from_json`] then [`Tenant::from_snapshot`].
    pub fn from_json_tree(text: &str) -> Result<Loaded, SnapshotError> {
        Loaded::from_snapshot(&Snapshot::from_json(text)?)
    }
}

/// The streaming loader did not accept the input; the tree loader names the exact problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the streaming loader stopped: {0}")]
pub struct Rejected(pub String);

/// Reads a snapshot from `reader` (buffer it), typing items as they arrive.
pub fn stream<R: Read>(reader: R) -> Result<Loaded, Rejected> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    finish(&mut de)
}

/// [`stream`] over bytes in memory.
pub fn stream_slice(bytes: &[u8]) -> Result<Loaded, Rejected> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    finish(&mut de)
}

/// Streams `bytes`; on rejection, the tree loader's result (its exact error, or the tenant when
/// only the streaming loader refused, e.g. a duplicated property).
pub fn from_slice(bytes: &[u8]) -> Result<Loaded, SnapshotError> {
    stream_slice(bytes).or_else(|_| {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| SnapshotError::NotJson(format!("not UTF-8 text: {e}")))?;
        Loaded::from_json_tree(text)
    })
}

fn finish<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Result<Loaded, Rejected> {
    let mut items = TypedItems::default();
    let top = de
        .deserialize_map(Top { items: &mut items })
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| Rejected(e.to_string()))?;
    // The envelope without items goes through the tree loader's own checks.
    let snapshot = Snapshot::from_value(Value::Object(top)).map_err(|e| Rejected(e.to_string()))?;
    let envelope = snapshot.envelope();
    let tenant = Tenant::build(&envelope, items).map_err(|e| Rejected(e.to_string()))?;
    Ok(Loaded { envelope, tenant })
}

/// The top-level object: every key as a JSON value, except `resources`, whose items are typed
/// into `items` and replaced by `[]`. A repeated key keeps the last, as a JSON tree does.
struct Top<'a> {
    items: &'a mut TypedItems,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an intune-audit snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut top = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == "resources" {
                self.items.clear();
                map.next_value_seed(Resources { items: self.items })?
            } else {
                map.next_value::<Value>()?
            };
            top.insert(key, value);
        }
        Ok(top)
    }
}

/// `resources`: each entry's record as a JSON object, its items typed on the way.
struct Resources<'a> {
    items: &'a mut TypedItems,
}

impl<'de> DeserializeSeed<'de> for Resources<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Resources<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the resources object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let resource = Resource::from_key(&key);
            if let Some(r) = resource {
                self.items.remove(r);
            }
            let entry = map.next_value_seed(Entry {
                resource,
                items: self.items,
            })?;
            entries.insert(key, entry);
        }
        Ok(Value::Object(entries))
    }
}

/// One resource entry: `path`, `status`, `permission`, `message` (and anything newer) kept as
/// JSON; `items` typed when the resource is known and its status is not already something other
/// than `ok` (items of a resource that was not read are never typed, as in the tree loader).
struct Entry<'a> {
    resource: Option<Resource>,
    items: &'a mut TypedItems,
}

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a resource entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut record = Map::new();
        let mut skipped = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                let read = record.get("status").is_none_or(|s| s == "ok");
                skipped = !read;
                let resource = self.resource.filter(|_| read);
                map.next_value_seed(Items {
                    resource,
                    items: self.items,
                })?;
                record.insert(key, Value::Array(Vec::new()));
            } else {
                record.insert(key, map.next_value::<Value>()?);
            }
        }
        let ok = record.get("status").is_some_and(|s| s == "ok");
        if ok && skipped {
            // A repeated `status` ended as `ok` after the items were skipped: never "none".
            return Err(de::Error::custom("items skipped before the final status"));
        }
        if let (Some(r), false) = (self.resource, ok) {
            self.items.remove(r);
        }
        Ok(Value::Object(record))
    }
}

/// An `items` array: typed into the resource's `Vec<T>` ([`with_item_type`]), or skipped for a
/// resource this build does not read.
struct Items<'a> {
    resource: Option<Resource>,
    items: &'a mut TypedItems,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.resource {
            Some(resource) => with_item_type(
                resource,
                TypeSeq {
                    seq,
                    resource,
                    items: self.items,
                    de: PhantomData,
                },
            ),
            None => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    }
}

/// Types a sequence into `Vec<T>` for the resource's item type.
struct TypeSeq<'a, 'de, A> {
    seq: A,
    resource: Resource,
    items: &'a mut TypedItems,
    de: PhantomData<&'de ()>,
}

impl<'de, A: SeqAccess<'de>> PerItemType for TypeSeq<'_, 'de, A> {
    type Output = Result<(), A::Error>;

    fn run<T: Item>(mut self) -> Self::Output {
        let mut typed: Vec<T> = Vec::new();
        while let Some(item) = self.seq.next_element::<T>()? {
            typed.push(item);
        }
        typed.shrink_to_fit();
        self.items.put(self.resource, typed);
        Ok(())
    }
}

/// Finds the raw Graph object of one resource with `id` (case-insensitive; the first in its
/// entry) by streaming the snapshot again, one item at a time: `diagnose` shows a subject's raw
/// object without the file ever being a JSON tree. `None` when absent or unreadable.
pub fn find_raw<R: Read>(reader: R, resource: Resource, id: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut found = None;
    de.deserialize_map(FindTop {
        key: resource.key(),
        id,
        found: &mut found,
    })
    .ok()?;
    found
}

struct FindTop<'a> {
    key: &'static str,
    id: &'a str,
    found: &'a mut Option<Value>,
}

impl<'de> Visitor<'de> for FindTop<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an intune-audit snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key != "resources" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            *self.found = map.next_value_seed(FindIn {
                key: self.key,
                id: self.id,
                depth: 0,
            })?;
        }
        Ok(())
    }
}

/// Walks `resources` (depth 0), the entry under `key` (1) and its `items` (2).
struct FindIn<'a> {
    key: &'static str,
    id: &'a str,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for FindIn<'_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        if self.depth == 2 {
            d.deserialize_seq(self)
        } else {
            d.deserialize_map(self)
        }
    }
}

impl<'de> Visitor<'de> for FindIn<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the resources of a snapshot")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let wanted = if self.depth == 0 { self.key } else { "items" };
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == wanted {
                found = map.next_value_seed(FindIn {
                    depth: self.depth + 1,
                    ..self
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let mut found = None;
        while let Some(item) = seq.next_element::<Value>()? {
            let matches = item
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| !i.is_empty() && i.eq_ignore_ascii_case(self.id));
            if matches && found.is_none() {
                found = Some(item);
            }
        }
        Ok(found)
    }
}
