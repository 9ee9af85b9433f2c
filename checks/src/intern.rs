//! Shared strings for the values a large tenant repeats on every item: an operating system, a
//! model, a service plan id. A 100k-user tenant holds "Windows" 200,000 times, each a separate
//! allocation; interned, every item points at one copy (issue 15, item 2: the typed model is
//! most of `audit`'s memory). Only low-cardinality fields are interned: ids and names stay
//! plain strings, or the pool would hold every value once more.

use serde::de::{self, Visitor};
use serde::Deserializer;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

/// An interned string: reads like `&str` (`as_deref()` on an `Option<Sym>` gives
/// `Option<&str>`), costs one pointer per item.
pub type Sym = Arc<str>;

thread_local! {
    /// One pool per loading thread (the loaders type large resources on several threads); a
    /// value may be held once per thread, which is still once per resource.
    static POOL: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::new());
}

/// The shared copy of `s`.
pub fn intern(s: &str) -> Sym {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if let Some(hit) = pool.get(s) {
            return Arc::clone(hit);
        }
        let sym: Sym = Arc::from(s);
        pool.insert(Arc::clone(&sym));
        sym
    })
}

/// `deserialize_with` for an optional interned string (absent or `null` → `None`). The string
/// is looked up where the parser holds it: no copy is made for a value already in the pool.
pub fn opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Sym>, D::Error> {
    d.deserialize_option(OptSym)
}

struct OptSym;

impl<'de> Visitor<'de> for OptSym {
    type Value = Option<Sym>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<Sym>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Sym>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Sym>, D::Error> {
        d.deserialize_str(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Sym>, E> {
        Ok(Some(intern(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_copy() {
        let a = intern("Windows");
        let b = intern(&String::from("Windows"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "Windows");
        assert!(!Arc::ptr_eq(&a, &intern("windows")));
    }

    #[test]
    fn optional_values_deserialize_from_strings_escapes_and_null() {
        #[derive(serde::Deserialize)]
        struct Item {
            #[serde(default, deserialize_with = "opt")]
            os: Option<Sym>,
        }
        let parse = |s: &str| serde_json::from_str::<Item>(s).map(|i| i.os);
        assert_eq!(
            parse(r#"{"os":"Windows"}"#).unwrap().as_deref(),
            Some("Windows")
        );
        assert_eq!(
            parse(r#"{"os":"Win\"dows"}"#).unwrap().as_deref(),
            Some("Win\"dows")
        );
        assert_eq!(parse(r#"{"os":null}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert!(parse(r#"{"os":7}"#).is_err());
        // The tree loader's path: from a JSON value.
        let tree = serde_json::json!({"os": "Windows"});
        let item: Item = serde_json::from_value(tree).unwrap();
        assert_eq!(item.os.as_deref(), Some("Windows"));
        let null: Item = serde_json::from_value(serde_json::json!({"os": null})).unwrap();
        assert_eq!(null.os, None);
    }
}
