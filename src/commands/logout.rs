//! `intune-audit logout`: forgets the delegated sign-in kept in the credential store.

use crate::auth::cache::{default_store, CacheKey, TokenCache};
use crate::cli_connect::LogoutArgs;
use crate::cloud::Endpoints;
use anyhow::Result;

pub fn run(args: &LogoutArgs) -> Result<i32> {
    let endpoints = Endpoints::new(args.cloud, None, args.login_url.as_deref())?;
    let tenant = args.tenant.as_deref().unwrap_or("organizations");
    let client_id = args
        .client_id
        .as_deref()
        .unwrap_or(crate::auth::GRAPH_CLI_CLIENT_ID);
    let key = CacheKey::new(&endpoints, tenant, client_id);
    let cache = TokenCache::new(default_store(), key);
    let account = crate::render::safe::visible_line(cache.key().account());
    match cache.forget() {
        Some(true) => eprintln!("intune-audit: forgot the cached sign-in for {account}"),
        Some(false) => eprintln!("intune-audit: no cached sign-in for {account}"),
        // The store's notice has been printed: nothing could be removed, nothing is kept by us.
        None => return Ok(crate::EXIT_ERROR),
    }
    Ok(crate::EXIT_OK)
}
