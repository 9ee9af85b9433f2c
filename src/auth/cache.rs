//! Sign in once: the refresh token of a delegated sign-in (device code, browser) kept in the
//! operating system's credential store (Windows Credential Manager, the macOS Keychain, the
//! Linux kernel keyring), so that the next `audit`, `collect` or `diagnose` renews it instead
//! of asking the user again.
//!
//! Only the refresh token is kept, never an access token, and only for the delegated flows.
//! One entry per login authority, tenant and client id (service `intune-audit`, account
//! `login.microsoftonline.com/<tenant>/<client id>`); the entry also names the user it belongs
//! to. A store that cannot be reached is a one-line notice, never a failure: the sign-in then
//! runs as if nothing were cached.

use crate::cloud::Endpoints;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The credential store's service name for every entry.
pub const SERVICE: &str = "intune-audit";

/// Tests only: a plain JSON file used instead of the credential store, so that separate runs
/// of the binary share a cache in a temporary folder. Never set it for real sign-ins.
pub const TEST_STORE_ENV: &str = "INTUNE_AUDIT_TEST_TOKEN_STORE_FILE";

/// Which sign-in a cached refresh token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    account: String,
}

impl CacheKey {
    /// The key for `tenant` and `client_id` at the login authority of `endpoints`.
    pub fn new(endpoints: &Endpoints, tenant: &str, client_id: &str) -> CacheKey {
        let authority = endpoints
            .login
            .split_once("://")
            .map_or(endpoints.login.as_str(), |(_, rest)| rest);
        CacheKey {
            account: format!(
                "{}/{}/{}",
                authority.trim_end_matches('/'),
                tenant.trim().to_ascii_lowercase(),
                client_id.trim().to_ascii_lowercase()
            ),
        }
    }

    /// The credential store's account name.
    pub fn account(&self) -> &str {
        &self.account
    }
}

/// Where entries live: the operating system's store, or a stand-in in tests.
pub trait TokenStore: Send + Sync {
    /// The entry's text, `None` when there is none.
    fn get(&self, account: &str) -> Result<Option<SecretString>, String>;
    fn set(&self, account: &str, value: &SecretString) -> Result<(), String>;
    /// Whether an entry was there to remove.
    fn remove(&self, account: &str) -> Result<bool, String>;
}

/// What one entry holds.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The signed-in user (from the access token's claims), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    refresh_token: String,
}

/// A cached sign-in, read back.
pub struct Cached {
    pub user: Option<String>,
    pub refresh_token: SecretString,
}

/// The cache of one sign-in: a store and the key of its entry. Every store error becomes one
/// notice on stderr (once per run) and is otherwise ignored.
pub struct TokenCache {
    store: Arc<dyn TokenStore>,
    key: CacheKey,
    warned: AtomicBool,
}

impl TokenCache {
    pub fn new(store: Arc<dyn TokenStore>, key: CacheKey) -> TokenCache {
        TokenCache {
            store,
            key,
            warned: AtomicBool::new(false),
        }
    }

    pub fn key(&self) -> &CacheKey {
        &self.key
    }

    fn notice(&self, what: &str, e: &str) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "intune-audit: the credential store is unavailable ({what}: {}); going on without the sign-in cache",
                crate::text::one_line(e)
            );
        }
    }

    /// The cached sign-in, if there is a readable one. An unreadable entry is removed.
    pub fn load(&self) -> Option<Cached> {
        let text = match self.store.get(self.key.account()) {
            Ok(t) => t?,
            Err(e) => {
                self.notice("reading", &e);
                return None;
            }
        };
        match serde_json::from_str::<Entry>(text.expose_secret()) {
            Ok(e) if !e.refresh_token.is_empty() => Some(Cached {
                user: e.user,
                refresh_token: SecretString::from(e.refresh_token),
            }),
            _ => {
                self.forget();
                None
            }
        }
    }

    /// Keeps `refresh_token` (of `user`) for the next run.
    pub fn save(&self, user: Option<String>, refresh_token: &SecretString) {
        let entry = Entry {
            user,
            refresh_token: refresh_token.expose_secret().to_string(),
        };
        let Ok(text) = serde_json::to_string(&entry) else {
            return;
        };
        if let Err(e) = self
            .store
            .set(self.key.account(), &SecretString::from(text))
        {
            self.notice("saving", &e);
        }
    }

    /// Removes the entry; whether there was one (`None` when the store cannot be reached).
    pub fn forget(&self) -> Option<bool> {
        match self.store.remove(self.key.account()) {
            Ok(removed) => Some(removed),
            Err(e) => {
                self.notice("removing", &e);
                None
            }
        }
    }
}

/// The store this run uses: the operating system's, or the test file of [`TEST_STORE_ENV`].
pub fn default_store() -> Arc<dyn TokenStore> {
    match std::env::var_os(TEST_STORE_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Arc::new(FileStore(path.into())),
        None => Arc::new(KeyringStore),
    }
}

/// The operating system's credential store, through the `keyring` crate's native backends.
pub struct KeyringStore;

impl KeyringStore {
    fn entry(account: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(SERVICE, account).map_err(|e| e.to_string())
    }
}

impl TokenStore for KeyringStore {
    fn get(&self, account: &str) -> Result<Option<SecretString>, String> {
        match Self::entry(account)?.get_secret() {
            Ok(bytes) => String::from_utf8(bytes)
                .map(|s| Some(SecretString::from(s)))
                .map_err(|_| "the entry is not text".to_string()),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn set(&self, account: &str, value: &SecretString) -> Result<(), String> {
        // Bytes, not a password: Windows stores passwords as UTF-16, doubling their size
        // against Credential Manager's 2560-byte limit.
        Self::entry(account)?
            .set_secret(value.expose_secret().as_bytes())
            .map_err(|e| e.to_string())
    }

    fn remove(&self, account: &str) -> Result<bool, String> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Tests only ([`TEST_STORE_ENV`]): entries in one JSON object in a file.
struct FileStore(std::path::PathBuf);

impl FileStore {
    fn read(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        match std::fs::read_to_string(&self.0) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Owner-only, like the credential stores it stands in for: it holds refresh tokens.
    fn write(&self, map: &serde_json::Map<String, serde_json::Value>) -> Result<(), String> {
        use std::io::Write;
        let text = serde_json::to_string(map).map_err(|e| e.to_string())?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options
            .open(&self.0)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| e.to_string())
    }
}

impl TokenStore for FileStore {
    fn get(&self, account: &str) -> Result<Option<SecretString>, String> {
        Ok(self
            .read()?
            .get(account)
            .and_then(|v| v.as_str())
            .map(|s| SecretString::from(s.to_string())))
    }

    fn set(&self, account: &str, value: &SecretString) -> Result<(), String> {
        let mut map = self.read()?;
        map.insert(account.into(), value.expose_secret().into());
        self.write(&map)
    }

    fn remove(&self, account: &str) -> Result<bool, String> {
        let mut map = self.read()?;
        let removed = map.remove(account).is_some();
        self.write(&map)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// An in-memory store that can be made to fail.
    #[derive(Default)]
    struct Memory {
        entries: Mutex<HashMap<String, String>>,
        broken: bool,
    }

    impl TokenStore for Memory {
        fn get(&self, account: &str) -> Result<Option<SecretString>, String> {
            if self.broken {
                return Err("no keyring".into());
            }
            let map = self.entries.lock().map_err(|e| e.to_string())?;
            Ok(map.get(account).map(|s| SecretString::from(s.clone())))
        }
        fn set(&self, account: &str, value: &SecretString) -> Result<(), String> {
            if self.broken {
                return Err("no keyring".into());
            }
            let mut map = self.entries.lock().map_err(|e| e.to_string())?;
            map.insert(account.into(), value.expose_secret().into());
            Ok(())
        }
        fn remove(&self, account: &str) -> Result<bool, String> {
            if self.broken {
                return Err("no keyring".into());
            }
            let mut map = self.entries.lock().map_err(|e| e.to_string())?;
            Ok(map.remove(account).is_some())
        }
    }

    fn key() -> CacheKey {
        let e = Endpoints::new(crate::cloud::Cloud::Global, None, None).unwrap();
        CacheKey::new(
            &e,
            "Contoso.onmicrosoft.com",
            "14D82EEC-204B-4C2F-B7E8-296A70DAB67E",
        )
    }

    #[test]
    fn the_key_names_authority_tenant_and_client() {
        assert_eq!(
            key().account(),
            "login.microsoftonline.com/contoso.onmicrosoft.com/14d82eec-204b-4c2f-b7e8-296a70dab67e"
        );
        let us = Endpoints::new(crate::cloud::Cloud::Usgov, None, None).unwrap();
        assert_ne!(CacheKey::new(&us, "contoso.onmicrosoft.com", "a"), key());
    }

    #[test]
    fn saves_loads_and_forgets_the_refresh_token() {
        let store = Arc::new(Memory::default());
        let cache = TokenCache::new(store.clone(), key());
        assert!(cache.load().is_none());
        cache.save(
            Some("adele@contoso.com".into()),
            &SecretString::from("rt-1"),
        );
        let stored = store.entries.lock().unwrap()[key().account()].clone();
        assert_eq!(
            stored,
            r#"{"user":"adele@contoso.com","refresh_token":"rt-1"}"#
        );
        let c = cache.load().unwrap();
        assert_eq!(c.user.as_deref(), Some("adele@contoso.com"));
        assert_eq!(c.refresh_token.expose_secret(), "rt-1");
        assert_eq!(cache.forget(), Some(true));
        assert_eq!(cache.forget(), Some(false));
        assert!(cache.load().is_none());
    }

    #[test]
    fn an_unreadable_entry_is_removed_and_a_broken_store_is_no_failure() {
        let store = Arc::new(Memory::default());
        store
            .entries
            .lock()
            .unwrap()
            .insert(key().account().into(), "not json".into());
        let cache = TokenCache::new(store.clone(), key());
        assert!(cache.load().is_none());
        assert!(store.entries.lock().unwrap().is_empty());

        let broken = TokenCache::new(
            Arc::new(Memory {
                broken: true,
                ..Memory::default()
            }),
            key(),
        );
        assert!(broken.load().is_none());
        broken.save(None, &SecretString::from("rt"));
        assert_eq!(broken.forget(), None);
    }

    /// The real store of this machine (Linux: the session keyring): run by hand with
    /// `cargo test --lib keyring_store -- --ignored`.
    #[test]
    #[ignore = "writes to this machine's credential store"]
    fn the_keyring_store_round_trips() {
        let account = format!("test/{}", uuid::Uuid::new_v4());
        let store = KeyringStore;
        assert!(store.get(&account).unwrap().is_none());
        store.set(&account, &SecretString::from("rt-x")).unwrap();
        assert_eq!(
            store.get(&account).unwrap().unwrap().expose_secret(),
            "rt-x"
        );
        assert!(store.remove(&account).unwrap());
        assert!(store.get(&account).unwrap().is_none());
    }

    #[test]
    fn the_test_file_store_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore(dir.path().join("tokens.json"));
        assert!(store.get("a").unwrap().is_none());
        store.set("a", &SecretString::from("x")).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose_secret(), "x");
        assert!(store.remove("a").unwrap());
        assert!(!store.remove("a").unwrap());
    }
}
