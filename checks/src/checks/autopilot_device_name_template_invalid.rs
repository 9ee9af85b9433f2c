use crate::autopilot::profile_affected;
use crate::catalog::Area;
use crate::context::Ctx;
use crate::declare_check;
use crate::model::AutopilotProfile;
use crate::references::WINDOWS_ENROLLMENT_ERRORS;
use crate::report::{Outcome, Severity};
use crate::snapshot::Resource;
use crate::tenant::NotEvaluated;
use serde::Serialize;
use serde_json::{json, Value};

declare_check! {
    /// An Autopilot profile's device name template breaks Windows' naming rules.
    ///
    /// ## What it checks
    /// The "Apply device name template" of every Microsoft Entra join Autopilot profile (hybrid
    /// join profiles do not use it: their names come from the Domain Join configuration). A
    /// template may only use the macros `%SERIAL%` (upper case) and `%RAND:x%` (x random digits,
    /// x at least 1); its literal characters may only be letters, digits and hyphens (no spaces);
    /// the resulting name must be at most 15 characters and must not be digits only. It fails on
    /// any of these. It warns when `%SERIAL%` with the longest serial number among the collected
    /// Autopilot devices would make the name longer than 15 characters, and when a naming prefix is
    /// configured (`naming_prefix`) and the template does not start with it. An empty template is
    /// fine: the device keeps the name Windows gives it.
    ///
    /// ## Why enrollment fails
    /// Intune reports *"An error occurred while creating Autopilot profile"* and the profile is not
    /// applied, so devices run the deployment without it. The article's own example is a
    /// lower-case macro: `%serial%` instead of `%SERIAL%`. No error code is shown.
    ///
    /// ## Remediation
    /// 1. In the Intune admin center open Devices > Enrollment > Windows > Deployment profiles and open the profile named in the finding.
    /// 2. Under Properties > Out-of-box experience (OOBE), edit "Apply device name template".
    /// 3. Use only letters, digits and hyphens, with the macros written exactly `%SERIAL%` or `%RAND:x%` (for example `CTS-%RAND:6%`), include at least one letter, and keep the result at 15 characters or fewer, counting the full serial number for `%SERIAL%`.
    /// 4. Save the profile and check that the Autopilot devices show the profile as assigned before you deploy them again.
    ///
    /// ## Known limitations
    /// How Windows shortens a `%SERIAL%` name that would exceed 15 characters is not documented;
    /// truncated names of devices with similar serial numbers can collide, so that case is a
    /// warning. Serial lengths are read from the Autopilot device list; when it was not collected,
    /// only the template itself is judged.
    pub META = CheckMeta {
        id: "autopilot-device-name-template-invalid",
        since: "0.1.0",
        preview: false,
        title: "Autopilot device name template breaks the naming rules",
        severity: Severity::High,
        area: Area::Autopilot,
        error_codes: &[],
        article_sections: &["an-error-occurred-while-creating-autopilot-profile"],
        resources: &[
            Resource::WindowsAutopilotDeploymentProfiles,
            Resource::WindowsAutopilotDeviceIdentities,
        ],
        in_article: true,
        references: &[
            WINDOWS_ENROLLMENT_ERRORS.at("An error occurred while creating Autopilot profile.")
        ],
    };
}

/// The longest name Windows accepts (the NetBIOS limit).
const MAX_NAME: usize = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Level {
    Fail,
    Warn,
}

#[derive(Debug, Clone, Serialize)]
struct Problem {
    level: Level,
    rule: &'static str,
    detail: String,
}

impl Problem {
    fn fail(rule: &'static str, detail: String) -> Self {
        Problem {
            level: Level::Fail,
            rule,
            detail,
        }
    }
    fn warn(rule: &'static str, detail: String) -> Self {
        Problem {
            level: Level::Warn,
            rule,
            detail,
        }
    }
}

/// A template taken apart.
#[derive(Debug, Default)]
struct Parsed {
    /// The literal characters (outside macros).
    literal: String,
    rand_digits: usize,
    serials: usize,
    problems: Vec<Problem>,
}

fn check_literal(text: &str, parsed: &mut Parsed) {
    parsed.literal.push_str(text);
}

fn parse(template: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut rest = template;
    while let Some(open) = rest.find('%') {
        check_literal(&rest[..open], &mut parsed);
        let after = &rest[open + 1..];
        let Some(close) = after.find('%') else {
            parsed.problems.push(Problem::fail(
                "unbalanced %",
                format!("'%{after}' has no closing '%': only %SERIAL% and %RAND:x% may use '%'"),
            ));
            check_literal(after, &mut parsed);
            rest = "";
            break;
        };
        let name = &after[..close];
        rest = &after[close + 1..];
        if name == "SERIAL" {
            parsed.serials += 1;
        } else if let Some(digits) = name
            .strip_prefix("RAND:")
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        {
            let n = digits.parse::<usize>().unwrap_or(usize::MAX);
            if n == 0 {
                parsed.problems.push(Problem::fail(
                    "%RAND:x% needs x >= 1",
                    format!("'%{name}%' inserts no digits"),
                ));
            }
            parsed.rand_digits = parsed.rand_digits.saturating_add(n);
        } else if name.eq_ignore_ascii_case("SERIAL")
            || name.to_ascii_uppercase().starts_with("RAND:")
        {
            parsed.problems.push(Problem::fail(
                "macros must be upper case",
                format!(
                    "'%{name}%' must be written '%{}%'",
                    name.to_ascii_uppercase()
                ),
            ));
        } else {
            parsed.problems.push(Problem::fail(
                "unknown macro",
                format!("'%{name}%' is not a macro: only %SERIAL% and %RAND:x% are supported"),
            ));
        }
    }
    check_literal(rest, &mut parsed);

    let mut bad: Vec<char> = Vec::new();
    for c in parsed.literal.chars() {
        if !c.is_ascii_alphanumeric() && c != '-' && !bad.contains(&c) {
            bad.push(c);
        }
    }
    if bad.contains(&' ') {
        parsed.problems.push(Problem::fail(
            "no spaces",
            "the template contains a space".into(),
        ));
    }
    let others: Vec<String> = bad
        .iter()
        .filter(|c| **c != ' ')
        .map(|c| format!("'{c}'"))
        .collect();
    if !others.is_empty() {
        parsed.problems.push(Problem::fail(
            "letters, digits and hyphens only",
            format!("the template contains {}", others.join(", ")),
        ));
    }
    let fixed = parsed
        .literal
        .chars()
        .count()
        .saturating_add(parsed.rand_digits);
    if fixed > MAX_NAME {
        parsed.problems.push(Problem::fail(
            "at most 15 characters",
            format!(
                "the name is {fixed} characters{}",
                if parsed.serials > 0 {
                    " before the serial number is added"
                } else {
                    ""
                }
            ),
        ));
    }
    if parsed.serials == 0 && !parsed.literal.chars().any(|c| c.is_ascii_alphabetic()) {
        parsed.problems.push(Problem::fail(
            "not digits only",
            "the name would contain no letter (only digits and hyphens)".into(),
        ));
    }
    parsed
}

/// The problems of one Entra join profile's template.
fn judge(template: &str, longest_serial: Option<&str>, prefix: Option<&str>) -> Vec<Problem> {
    let parsed = parse(template);
    let mut problems = parsed.problems;
    let fixed = parsed
        .literal
        .chars()
        .count()
        .saturating_add(parsed.rand_digits);
    if let (true, Some(serial)) = (parsed.serials > 0 && fixed <= MAX_NAME, longest_serial) {
        let total = fixed + parsed.serials * serial.chars().count();
        if total > MAX_NAME {
            problems.push(Problem::warn(
                "at most 15 characters",
                format!(
                    "with serial number '{serial}' ({} characters) the name would be {total} characters; how Windows shortens it is not documented and shortened names can collide",
                    serial.chars().count()
                ),
            ));
        }
    }
    if let Some(prefix) = prefix.filter(|p| !p.is_empty()) {
        let starts = template
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix));
        if !starts {
            problems.push(Problem::warn(
                "naming prefix",
                format!("the template does not start with the configured prefix '{prefix}'"),
            ));
        }
    }
    problems
}

pub fn evaluate(cx: &Ctx) -> Result<Outcome, NotEvaluated> {
    let (t, s) = (cx.tenant, cx.settings);
    let profiles = t.autopilot_profiles.get()?;
    if profiles.is_empty() {
        return Ok(Outcome::not_applicable(
            "The tenant has no Autopilot deployment profiles",
        ));
    }
    let entra: Vec<&AutopilotProfile> = profiles.iter().filter(|p| !p.is_hybrid()).collect();
    let hybrid = profiles.len() - entra.len();
    if entra.is_empty() {
        return Ok(Outcome::not_applicable(format!(
            "{} is a hybrid join profile, which does not use a device name template",
            crate::report::every_cap(hybrid, "Autopilot profile")
        )));
    }
    // Serial lengths are optional: without the device list only the template is judged.
    let longest_serial: Option<&str> = t.autopilot_devices.get().ok().and_then(|devices| {
        devices
            .iter()
            .filter_map(|d| d.serial_number.as_deref().map(str::trim))
            .filter(|s| !s.is_empty())
            .max_by_key(|s| s.chars().count())
    });
    let serials_collected = t.autopilot_devices.is_ok();

    let mut judged: Vec<(&AutopilotProfile, &str, Vec<Problem>)> = Vec::new();
    let mut without_template = 0usize;
    for p in &entra {
        let template = p.device_name_template.as_deref().unwrap_or("").trim();
        if template.is_empty() {
            without_template += 1;
            continue;
        }
        let problems = judge(template, longest_serial, s.naming_prefix.as_deref());
        judged.push((p, template, problems));
    }
    let with_problems: Vec<&(&AutopilotProfile, &str, Vec<Problem>)> = judged
        .iter()
        .filter(|(_, _, problems)| !problems.is_empty())
        .collect();
    let evidence = json!({
        "entra_join_profiles": entra.len(),
        "hybrid_profiles_skipped": hybrid,
        "profiles_without_template": without_template,
        "templates_checked": judged.len(),
        "naming_prefix": s.naming_prefix,
        "longest_serial": longest_serial.map(|s| json!({"serial_number": s, "length": s.chars().count()})),
        "serial_lengths_checked": serials_collected,
        "profiles": with_problems.iter().map(|(p, template, problems)| json!({
            "id": p.id, "name": p.name(), "template": template, "problems": problems,
        })).collect::<Vec<Value>>(),
    });
    if with_problems.is_empty() {
        return Ok(Outcome::pass(format!(
            "The naming rules are met by {} of {} ({} set no template){}",
            crate::report::count(judged.len(), "device name template"),
            crate::report::count(entra.len(), "Microsoft Entra join profile"),
            crate::report::count(without_template, "profile"),
            if serials_collected {
                ""
            } else {
                "; serial lengths not checked: Autopilot devices were not collected"
            }
        ))
        .with_evidence(evidence));
    }
    let failing = with_problems
        .iter()
        .any(|(_, _, problems)| problems.iter().any(|p| p.level == Level::Fail));
    let described: Vec<String> = with_problems
        .iter()
        .map(|(p, template, problems)| {
            let details: Vec<&str> = problems
                .iter()
                .filter(|x| !failing || x.level == Level::Fail)
                .map(|x| x.detail.as_str())
                .collect();
            format!("'{}' ('{template}': {})", p.name(), details.join("; "))
        })
        .collect();
    let affected = with_problems
        .iter()
        .map(|(p, _, _)| profile_affected(p))
        .collect();
    let outcome = if failing {
        let n = with_problems
            .iter()
            .filter(|(_, _, problems)| problems.iter().any(|p| p.level == Level::Fail))
            .count();
        Outcome::fail(format!(
            "Intune rejects the device name template of {}: {}",
            crate::report::count(n, "Autopilot profile"),
            described.join(", ")
        ))
    } else {
        Outcome::warn(format!(
            "The device name template of {} may produce bad names: {}",
            crate::report::count(with_problems.len(), "Autopilot profile"),
            described.join(", ")
        ))
    };
    Ok(outcome.with_affected(affected).with_evidence(evidence))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::FindingStatus;
    use crate::testkit::*;

    const ID: &str = "autopilot-device-name-template-invalid";

    fn run(profiles: Vec<Value>) -> crate::report::Finding {
        base(profiles).run(ID)
    }

    fn base(profiles: Vec<Value>) -> Fixture {
        Fixture::new()
            .with(Resource::WindowsAutopilotDeploymentProfiles, profiles)
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![autopilot_device(
                    "ap1",
                    "5CG1234XYZ",
                    "did-1",
                    "",
                    "EliteBook 840",
                )],
            )
    }

    fn entra(id: &str, template: Option<&str>) -> Value {
        autopilot_profile(
            id,
            false,
            false,
            "2025-01-01T00:00:00Z",
            template,
            vec![all_devices_target()],
        )
    }

    fn rules(template: &str) -> Vec<&'static str> {
        judge(template, None, None)
            .into_iter()
            .map(|p| p.rule)
            .collect()
    }

    #[test]
    fn valid_and_empty_templates_pass() {
        let f = run(vec![
            entra("ok", Some("CTS-%RAND:6%")),
            entra("serial", Some("CTS-%SERIAL%")),
            entra("none", None),
            entra("blank", Some("")),
        ]);
        assert_eq!(f.status, FindingStatus::Pass, "{}", f.summary);
        assert_eq!(f.evidence["templates_checked"], 2);
        assert_eq!(f.evidence["profiles_without_template"], 2);
    }

    #[test]
    fn each_rule_is_recognised() {
        assert!(rules("CTS-%RAND:6%").is_empty());
        assert_eq!(rules("CTS-%serial%"), ["macros must be upper case"]);
        assert_eq!(rules("CTS-%Rand:4%"), ["macros must be upper case"]);
        assert_eq!(rules("CTS-%ASELECT:4%"), ["unknown macro"]);
        assert_eq!(rules("CTS-%SERIAL"), ["unbalanced %"]);
        assert_eq!(rules("CTS %RAND:4%"), ["no spaces"]);
        assert_eq!(rules("CTS_%RAND:4%"), ["letters, digits and hyphens only"]);
        assert_eq!(rules("CONTOSO-LAB-%RAND:6%"), ["at most 15 characters"]);
        assert_eq!(rules("1234-%RAND:4%"), ["not digits only"]);
        assert_eq!(rules("CTS-%RAND:0%"), ["%RAND:x% needs x >= 1"]);
        assert_eq!(rules("%RAND:15%"), ["not digits only"]);
        assert_eq!(rules("A%RAND:15%"), ["at most 15 characters"]);
        assert!(rules("%SERIAL%").is_empty(), "a serial may contain letters");
    }

    #[test]
    fn broken_templates_fail_and_name_the_profiles() {
        let f = run(vec![
            entra("lower", Some("%serial%")),
            entra("long", Some("CONTOSO-LAB-%RAND:6%")),
            entra("ok", Some("CTS-%RAND:6%")),
        ]);
        assert_eq!(f.status, FindingStatus::Fail);
        assert_eq!(affected_ids(&f), ["long", "lower"]);
        assert!(
            f.summary.contains("'%serial%' must be written '%SERIAL%'"),
            "{}",
            f.summary
        );
        assert_eq!(f.evidence["profiles"][0]["template"], "%serial%");
    }

    #[test]
    fn long_serial_overflow_warns() {
        let f = base(vec![entra("ser", Some("CONTOSO-%SERIAL%"))])
            .with(
                Resource::WindowsAutopilotDeviceIdentities,
                vec![
                    autopilot_device("ap1", "ABC123", "did-1", "", "EliteBook 840"),
                    autopilot_device("ap2", "5CG1234XYZ", "did-2", "", "EliteBook 840"),
                ],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["ser"]);
        assert_eq!(f.evidence["longest_serial"]["serial_number"], "5CG1234XYZ");
        assert_eq!(f.evidence["profiles"][0]["problems"][0]["level"], "warn");
    }

    #[test]
    fn serial_lengths_are_skipped_when_devices_were_not_collected() {
        let f = Fixture::new()
            .with(
                Resource::WindowsAutopilotDeploymentProfiles,
                vec![entra("ser", Some("CONTOSO-%SERIAL%"))],
            )
            .run(ID);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["serial_lengths_checked"], false);
        assert!(f.summary.contains("serial lengths not checked"));
    }

    #[test]
    fn naming_prefix_mismatch_warns() {
        let mut fx = base(vec![
            entra("ok", Some("CTS-%RAND:6%")),
            entra("other", Some("LAB-%RAND:6%")),
        ]);
        fx.settings.naming_prefix = Some("CTS-".into());
        let f = fx.run(ID);
        assert_eq!(f.status, FindingStatus::Warn);
        assert_eq!(affected_ids(&f), ["other"]);
    }

    #[test]
    fn hybrid_profiles_are_skipped() {
        let hybrid = autopilot_profile(
            "hy",
            true,
            false,
            "2025-01-01T00:00:00Z",
            Some("bad name%"),
            vec![],
        );
        let f = run(vec![hybrid.clone(), entra("ok", Some("CTS-%RAND:6%"))]);
        assert_eq!(f.status, FindingStatus::Pass);
        assert_eq!(f.evidence["hybrid_profiles_skipped"], 1);
        let f = run(vec![hybrid]);
        assert_eq!(f.status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_applicable_without_profiles() {
        assert_eq!(run(vec![]).status, FindingStatus::NotApplicable);
    }

    #[test]
    fn not_evaluated_without_profiles_collected() {
        let f = Fixture::new()
            .forbidden(Resource::WindowsAutopilotDeploymentProfiles)
            .run(ID);
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert_eq!(f.permissions, ["DeviceManagementServiceConfig.Read.All"]);
    }
}
