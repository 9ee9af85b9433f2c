//! `netcheck`: from the site's network, can a device in OOBE reach what Windows Autopilot, Entra
//! join and Intune enrollment need? (A proxy or firewall in the way is the OOBEIDPS cause.)
//!
//! For each endpoint of [`endpoints::builtin`]: resolve, connect (directly, or with HTTP
//! CONNECT through `HTTPS_PROXY` unless `NO_PROXY` says otherwise), complete a TLS handshake
//! verified against the public roots and the host name, and say what a failure usually means.
//! Without `HTTPS_PROXY`, on Windows the WinHTTP machine proxy (`netsh winhttp`) is used, as
//! the device's SYSTEM context would.

pub mod choice;
pub mod endpoints;
pub mod probe;
pub mod proxy;
pub mod report;
pub mod tls;
pub mod winhttp;

pub use endpoints::{Endpoint, ProbeKind, Scenario};
pub use probe::{Options, ProbeResult, Resolver, Step, StepStatus, Verdict};
pub use report::{Report, Summary};
