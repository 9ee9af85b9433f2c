use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::{AppKind, InstallIntent, MobileApp};
use crate::references::AUTOPILOT_FAQ;
use crate::report::{count, Affected, AffectedKind, Outcome, Severity};
use crate::snapshot::Resource;
use crate::targeting::{classify, Target};
use crate::tenant::NotEvaluated;
use crate::verdict::{Judged, Tally};
use serde_json::json;

declare_check! {
    /// Line-of-business MSI apps and Win32 apps are both required on the same devices.
    ///
    /// ## What it checks
    /// The Intune apps and their assignments (`mobileApps?$expand=assignments`). For every
    /// line-of-business MSI app (`windowsMobileMSI`) with a required assignment it looks for a
    /// Win32 app (`win32LobApp`) required on the same devices. It fails when both are required
    /// for all devices, both for all users, or both for the same group; it warns when they are
    /// required for different groups (whether the groups share devices is not collected), or
    /// when an app's type, intent or assignments cannot be read. It passes when no such pair
    /// exists, and is not applicable when no Enrollment Status Page is shown.
    ///
    /// ## Why enrollment fails
    /// The Enrollment Status Page does not support mixing line-of-business MSI and Win32 apps:
    /// both install through the Windows Installer, and when one starts while the other runs the
    /// page fails with *"Another installation is in progress, please try again later."*
    ///
    /// ## Remediation
    /// 1. Repackage the line-of-business MSI apps named in the finding as Win32 apps (.intunewin) and assign those instead.
    /// 2. Or stop requiring one of the two kinds on the devices that go through the Enrollment Status Page.
    ///
    /// ## Known limitations
    /// Group membership of app assignments is not collected, so two different groups count as
    /// possibly overlapping, and assignment filters are not evaluated. Whether an app is tracked
    /// by a given Enrollment Status Page profile is not judged: any required app may install
    /// while the page is shown.
    pub META = CheckMeta {
        id: "esp-mixes-lob-and-win32",
        since: "0.2.0",
        preview: true,
        title: "Line-of-business MSI apps and Win32 apps are both required on the same devices",
        severity: Severity::Medium,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["the-enrollment-status-page-times-out"],
        resources: &[Resource::MobileApps, Resource::DeviceEnrollmentConfigurations],
        in_article: false,
        references: &[AUTOPILOT_FAQ.at("Why is the error message \"Another installation is in progress, please try again later\" occurring during the ESP of a Windows Autopilot deployment?")],
    };
}

/// The required inclusions of an app, or why they cannot be read.
fn required_targets(app: &MobileApp) -> Result<Vec<Target>, String> {
    let assignments = app
        .assignments
        .as_ref()
        .ok_or_else(|| format!("the assignments of app '{}' were not collected", app.name()))?;
    let mut targets = Vec::new();
    for a in assignments {
        match a.intent.as_ref() {
            Some(InstallIntent::Required) => targets.push(classify(&a.target).0),
            Some(InstallIntent::Unknown(raw)) => {
                return Err(format!("install intent '{raw}' is not understood"))
            }
            None => {
                return Err(format!(
                    "an assignment of app '{}' has no intent",
                    app.name()
                ))
            }
            Some(_) => {}
        }
    }
    Ok(targets)
}

/// Whether two required inclusions reach the same devices.
fn overlap(a: &Target, b: &Target) -> Judged {
    match (a, b) {
        (Target::Exclusion(_), _) | (_, Target::Exclusion(_)) => Judged::Pass,
        (Target::AllDevices, _) | (_, Target::AllDevices) => Judged::Fail,
        (Target::AllUsers, Target::AllUsers) => Judged::Fail,
        (Target::Group(x), Target::Group(y)) if x.eq_ignore_ascii_case(y) => Judged::Fail,
        _ => Judged::Unknown(
            "required for different targets: whether they reach the same devices is not collected"
                .into(),
        ),
    }
}

/// One MSI app against every Win32 app: fails when it surely shares devices with one.
fn judge(msi: &[Target], win32: &[(String, Vec<Target>)]) -> (Judged, Vec<String>) {
    let mut unknown = None;
    let mut with = Vec::new();
    for (name, targets) in win32 {
        for (a, b) in msi.iter().flat_map(|a| targets.iter().map(move |b| (a, b))) {
            match overlap(a, b) {
                Judged::Fail => {
                    with.push(name.clone());
                    break;
                }
                Judged::Unknown(why) => unknown = unknown.or(Some(why)),
                Judged::Pass => {}
            }
        }
    }
    match (with.is_empty(), unknown) {
        (false, _) => (Judged::Fail, with),
        (true, Some(why)) => (Judged::Unknown(why), with),
        (true, None) => (Judged::Pass, with),
    }
}

/// Whether some Enrollment Status Page is shown (`None`: not known — not collected, or no
/// profile listed, not even the default one every tenant has).
fn esp_shown(cx: &Ctx) -> Option<bool> {
    let configs = cx.tenant.enrollment_configurations.get().ok()?;
    let mut esps = configs
        .iter()
        .filter(|c| c.is_enrollment_status_page())
        .peekable();
    esps.peek()?;
    Some(esps.any(|c| c.show_installation_progress != Some(false)))
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let apps = cx.tenant.mobile_apps.get()?;
    if esp_shown(cx) == Some(false) {
        return Ok(Outcome::not_applicable(
            "No Enrollment Status Page profile shows the page",
        ));
    }
    let mut tally = Tally::default();
    let mut win32 = Vec::new();
    let mut msi = Vec::new();
    for app in apps {
        let subject = Affected::new(AffectedKind::App, &app.id, app.name());
        match (app.kind(), required_targets(app)) {
            (AppKind::Other, _) => {}
            (_, Err(why)) => tally.add(subject, Judged::Unknown(why)),
            (_, Ok(t)) if t.is_empty() => {}
            (AppKind::Unknown, Ok(_)) => tally.add(
                subject,
                Judged::Unknown("a required app without @odata.type: its kind is unknown".into()),
            ),
            (AppKind::Win32, Ok(t)) => win32.push((app.name().to_string(), t)),
            (AppKind::LobMsi, Ok(t)) => msi.push((subject, t)),
        }
    }
    let (msi_count, win32_count) = (msi.len(), win32.len());
    let mut pairs = Vec::new();
    for (subject, targets) in msi {
        let (judged, with) = judge(&targets, &win32);
        if !with.is_empty() {
            pairs.push(json!({"msi": subject.name, "win32": with}));
        }
        tally.add(subject, judged);
    }
    let evidence = json!({
        "requiredMsiApps": msi_count,
        "requiredWin32Apps": win32_count,
        "sameDevices": pairs,
        "undetermined": tally.undetermined_evidence(),
    });
    Ok(tally.outcome(
        evidence,
        |t| {
            format!(
                "{} required on the same devices as Win32 apps ({}): the Enrollment Status Page can fail with \"Another installation is in progress\"",
                count(t.failed.len(), "line-of-business MSI app"),
                t.failed_names(5)
            )
        },
        |t| t.at_risk_clause("app"),
        |_| {
            format!(
                "No line-of-business MSI app is required on the same devices as a Win32 app ({}, {})",
                count(msi_count, "required MSI app"),
                count(win32_count, "required Win32 app")
            )
        },
    ))
}
