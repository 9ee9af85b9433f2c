//! Microsoft Graph: the request plan, the read-only client and the collector.

pub mod checkpoint;
pub mod client;
pub mod collect;
pub mod partition;
pub mod permissions;
pub mod plan;
pub mod retry;
pub mod targeted;
