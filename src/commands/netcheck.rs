//! `intune-audit netcheck`: probe the enrollment endpoints from this network.

use crate::cli::{Format, NetcheckArgs};
use crate::netcheck::{self, endpoints, tls::Trust, Options, Report, Resolver, Summary};
use crate::{render, EXIT_FINDINGS, EXIT_OK};
use anyhow::{bail, Context, Result};
use std::time::Duration;

pub fn run(args: &NetcheckArgs) -> Result<i32> {
    let list = match &args.endpoints {
        Some(path) => endpoints::from_file(path)?,
        None => endpoints::builtin(),
    };
    let list = endpoints::filter(list, &args.scenario);
    if list.is_empty() {
        bail!("no endpoint to probe for the scenario(s) given");
    }
    let extra = match &args.trust_ca {
        Some(path) => Trust::read_pem(path)?,
        None => Vec::new(),
    };
    let trust = Trust::public(&extra).context("cannot set up TLS verification")?;
    let env = |k: &str| std::env::var(k).ok();
    let choice = netcheck::choice::ProxyChoice::pick(env, netcheck::winhttp::read_registry)
        .map_err(anyhow::Error::msg)?;
    if !choice.ignored_bypass.is_empty() {
        eprintln!(
            "intune-audit: WinHTTP bypass entries not understood, probed through the proxy: {}",
            render::safe::visible_line(&choice.ignored_bypass.join(";"))
        );
    }
    let proxy = choice.proxy.clone();
    let options = Options {
        timeout: Duration::from_secs_f64(args.timeout),
        concurrency: usize::from(args.concurrency),
        proxy: proxy.clone(),
        no_proxy: choice.no_proxy,
        trust,
        resolver: Resolver::System,
    };
    let results =
        netcheck::probe::run_blocking(list, options).context("cannot start the network runtime")?;
    let report = Report {
        proxy: proxy.map(|p| p.to_string()),
        proxy_source: choice.source,
        timeout_seconds: args.timeout,
        summary: Summary::of(&results),
        endpoints: results,
    };
    let text = match args.format {
        Format::Json => render::json(&report),
        Format::Table => netcheck::report::table(&report, crate::term::table_width()),
    };
    render::print_stdout(&text)?;
    let s = &report.summary;
    let code = if s.failed_required > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    crate::term::Verdict {
        counts: format!(
            "{} of {} endpoints ok, {} required failed, {} optional failed, {} not probed",
            s.ok, s.probed, s.failed_required, s.failed_optional, s.not_probed
        ),
        exit: code,
        why: if code == EXIT_OK {
            "every required endpoint reachable".into()
        } else {
            "a required endpoint failed".into()
        },
        wrote: Vec::new(),
    }
    .print();
    Ok(code)
}
