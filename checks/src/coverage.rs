//! Coverage of Microsoft's currently documented Windows enrollment failures: every row of the
//! research table (`COVERAGE.md`, rows R01–R96) mapped to the checks that cover it, the
//! device-side cause `explain` gives, or why nothing covers it. `docs/coverage-map.md` is
//! generated from [`ROWS`] (a test keeps it in sync: `UPDATE_COVERAGE=1 cargo test -p
//! intune-audit-checks coverage` rewrites it), and `explain` uses the rows to link sections of
//! the current pages to their causes.

/// Where the cause sits, as COVERAGE.md classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Tenant-side, visible in Microsoft Graph.
    Tenant,
    /// Tenant-side, but outside Graph (on-premises AD, Group Policy, DNS, ConfigMgr, connector).
    TenantOutsideGraph,
    /// On the device or with the user.
    Device,
    /// Both: a tenant-side and a device-side cause of the same error.
    TenantAndDevice,
    /// A service or Windows bug: no tenant cause.
    Service,
    /// Guidance only, not a failure cause.
    Info,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Tenant => "T",
            Side::TenantOutsideGraph => "T*",
            Side::Device => "D",
            Side::TenantAndDevice => "T+D",
            Side::Service => "S",
            Side::Info => "info",
        }
    }
}

/// One documented failure cause and what covers it.
#[derive(Debug)]
pub struct CoverageRow {
    /// The row of COVERAGE.md (`R01` …).
    pub row: &'static str,
    pub side: Side,
    /// The documented cause, in a line.
    pub cause: &'static str,
    /// Check ids (current, renamed or about to land) and device-side cause ids.
    pub covered_by: &'static [&'static str],
    /// `partly: …`, `explain only (…)`, `not covered — <reason>` or `N/A — <reason>`.
    pub note: &'static str,
    /// Canonical codes the documentation gives for it.
    pub codes: &'static [&'static str],
    /// Sections of the code index that document it (`explain` links them to `covered_by`).
    pub sections: &'static [&'static str],
}

/// How a row is covered, for the counts of the closing note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// A tenant-side check covers it (perhaps in part).
    Check,
    /// Only `explain` covers it: the steps of a device-side cause.
    ExplainOnly,
    /// Nothing covers it (the note says why), or it is not a failure cause.
    NotCovered,
}

impl CoverageRow {
    /// Whether `id` names a tenant-side check: registered, renamed, or `pending` (ids that
    /// land in parallel, before they are registered).
    fn is_check(id: &str, pending: &[&str]) -> bool {
        crate::run::find(id).is_some()
            || crate::catalog::current_id(id).is_some()
            || pending.contains(&id)
    }

    pub fn coverage(&self, pending: &[&str]) -> Coverage {
        if self.covered_by.iter().any(|id| Self::is_check(id, pending)) {
            Coverage::Check
        } else if !self.covered_by.is_empty() {
            Coverage::ExplainOnly
        } else {
            Coverage::NotCovered
        }
    }
}

/// The coverage map as a Markdown document (`docs/coverage-map.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Coverage map: Microsoft's documented Windows enrollment failures\n\n\
         <!-- Generated from checks/src/coverage.rs. Do not edit: run\n     \
         `UPDATE_COVERAGE=1 cargo test -p intune-audit-checks coverage` after changing the rows. -->\n\n\
         Every row of the research table (`COVERAGE.md`, rows R01–R96: each cause Microsoft's current\n\
         pages document, with its source) mapped to what covers it. **Side**: T = tenant-side and\n\
         visible in Graph, T* = tenant-side outside Graph (Active Directory, Group Policy, DNS,\n\
         Configuration Manager, the connector server), D = device or user, T+D = both, S = service or\n\
         Windows bug, info = guidance only. **Covered by**: check ids (`intune-audit explain <id>`),\n\
         device-side causes (`device-…`, steps given by `explain`), or why nothing covers it. Every code\n\
         listed is known to `intune-audit explain`.\n\n\
         | Row | Side | Cause | Covered by | Codes |\n|---|---|---|---|---|\n",
    );
    for r in ROWS {
        let mut covered: Vec<String> = r.covered_by.iter().map(|id| format!("`{id}`")).collect();
        if !r.note.is_empty() {
            covered.push(r.note.to_string());
        }
        let codes = if r.codes.is_empty() {
            "–".to_string()
        } else {
            r.codes.join(", ")
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.row,
            r.side.as_str(),
            r.cause.replace('|', "\\|"),
            covered.join("; ").replace('|', "\\|"),
            codes
        ));
    }
    out
}

pub const ROWS: &[CoverageRow] = &[
    CoverageRow {
        row: "R01",
        side: Side::Device,
        cause: "The PC was enrolled before, is cloned from an enrolled PC, or keeps the old account certificate",
        covered_by: &["device-already-enrolled-or-cloned-image"],
        note: "",
        codes: &["0x8007064C"],
        sections: &["error-hr-0x8007064c-the-machine-is-already-enrolled"],
    },
    CoverageRow {
        row: "R02",
        side: Side::Device,
        cause: "Another user already enrolled or joined the PC; or it is enrolled in another MDM",
        covered_by: &["device-other-work-account-connected", "device-enrolled-in-another-mdm", "device-configmgr-client-installed", "configmgr-client-devices"],
        note: "",
        codes: &["0x8018000A"],
        sections: &["the-device-is-already-enrolled", "troubleshoot-the-auto-enrollment-task"],
    },
    CoverageRow {
        row: "R03",
        side: Side::Tenant,
        cause: "The enrolling user has no valid Intune license",
        covered_by: &["users-without-intune-license"],
        note: "",
        codes: &["0x80180018"],
        sections: &["this-account-is-not-allowed-on-this-phone", "it-admin-needs-to-assign-license-for-access"],
    },
    CoverageRow {
        row: "R04",
        side: Side::Tenant,
        cause: "MDM for Microsoft 365 and Intune both in use, and the user has neither an Intune nor an Office 365 license",
        covered_by: &["users-without-intune-license"],
        note: "partly: the coexistence of MDM for Microsoft 365 isn't in Graph's documented data",
        codes: &[],
        sections: &["looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured"],
    },
    CoverageRow {
        row: "R05",
        side: Side::Tenant,
        cause: "MDM terms of use URL blank or not the default",
        covered_by: &["mdm-terms-of-use-url-invalid"],
        note: "",
        codes: &[],
        sections: &["looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured"],
    },
    CoverageRow {
        row: "R06",
        side: Side::Tenant,
        cause: "MDM discovery (or compliance) URL of the Microsoft Intune mobility app isn't the default",
        covered_by: &["mdm-discovery-url-invalid"],
        note: "",
        codes: &["0x8000FFFF"],
        sections: &["enrollment-errors"],
    },
    CoverageRow {
        row: "R07",
        side: Side::Tenant,
        cause: "MDM user scope set on the Microsoft Intune Enrollment entry instead of Microsoft Intune",
        covered_by: &["mdm-user-scope-none"],
        note: "partly: the finding doesn't point at the other entry",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R08",
        side: Side::Tenant,
        cause: "More than one MDM application configured for automatic enrollment",
        covered_by: &["multiple-mdm-applications-in-scope"],
        note: "",
        codes: &["0xC1036501"],
        sections: &["windows-autopilot-self-deploying-mode-fails-with-an-error-code"],
    },
    CoverageRow {
        row: "R09",
        side: Side::TenantAndDevice,
        cause: "Automatic MDM enrollment on while the legacy PC agent is installed; MDM blocked by Group Policy or SetManagedExternally",
        covered_by: &["auto-enrollment-with-legacy-agents", "device-legacy-pc-agent-installed", "device-mdm-blocked-by-policy"],
        note: "",
        codes: &["0x80180026"],
        sections: &["something-went-wrong"],
    },
    CoverageRow {
        row: "R10",
        side: Side::Device,
        cause: "Legacy Intune PC client software out of date",
        covered_by: &["legacy-pc-agent-devices", "device-legacy-pc-agent-installed"],
        note: "",
        codes: &["0x80CF4017"],
        sections: &["the-software-cannot-be-installed", "the-account-certificate-is-not-valid-and-may-be-expired"],
    },
    CoverageRow {
        row: "R11",
        side: Side::Tenant,
        cause: "Legacy agent: subscription seats exhausted, account in maintenance, deleted or suspended",
        covered_by: &["intune-seats-exhausted"],
        note: "partly: seats only; a suspended or deleted subscription isn't checked",
        codes: &["0x80043006", "0x80CF3006", "0x80043002", "0x80CF3002", "0x80043003", "0x80CF3003", "0x80CF0440"],
        sections: &["enrollment-error-codes"],
    },
    CoverageRow {
        row: "R12",
        side: Side::Device,
        cause: "Legacy agent: clock, proxy, outdated or incomplete package, pending restart, unsupported Windows",
        covered_by: &["device-legacy-agent-clock-or-proxy", "device-legacy-agent-package-problem", "device-legacy-agent-restart-pending"],
        note: "",
        codes: &["0x80CF0437", "0x80240438", "0x80CF0438", "0x80CF402C", "0x80043001", "0x80CF3001", "0x80043004", "0x80CF3004", "0x80043005", "0x80043007", "0x8024D015", "0x00240005", "0x80070BC2", "0x80070BC9", "0x80CFD015", "0x80070032", "0x80043008", "0x80043009", "0x8004300B", "0x00000AB2"],
        sections: &["enrollment-error-codes"],
    },
    CoverageRow {
        row: "R13",
        side: Side::Tenant,
        cause: "Windows (MDM) blocked in the default or a group-targeted platform restriction",
        covered_by: &["windows-mdm-platform-blocked", "windows-blocked-for-userless-enrollment"],
        note: "",
        codes: &["0x80180014", "0x80180015"],
        sections: &["your-organization-does-not-support-this-version-of-windows"],
    },
    CoverageRow {
        row: "R14",
        side: Side::Tenant,
        cause: "The provisioning package's package_GUID accounts may not join devices",
        covered_by: &["bulk-enrollment-accounts-cannot-join"],
        note: "",
        codes: &[],
        sections: &["a-setup-failure-has-occurred-during-bulk-enrollment"],
    },
    CoverageRow {
        row: "R15",
        side: Side::Tenant,
        cause: "UPN with an unverified or non-routable suffix",
        covered_by: &["upn-suffix-not-verified"],
        note: "",
        codes: &["0x8018002B"],
        sections: &["auto-mdm-enroll-failed"],
    },
    CoverageRow {
        row: "R16",
        side: Side::Tenant,
        cause: "MDM user scope is None",
        covered_by: &["mdm-user-scope-none"],
        note: "",
        codes: &["0x8018002B", "0x80180031"],
        sections: &["auto-mdm-enroll-failed"],
    },
    CoverageRow {
        row: "R17",
        side: Side::Tenant,
        cause: "User in both the MDM and the MAM (WIP) user scope",
        covered_by: &["mam-and-mdm-user-scope-overlap"],
        note: "",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R18",
        side: Side::Tenant,
        cause: "Autopilot device name template breaks the rules",
        covered_by: &["autopilot-device-name-template-invalid"],
        note: "",
        codes: &[],
        sections: &["an-error-occurred-while-creating-autopilot-profile"],
    },
    CoverageRow {
        row: "R19",
        side: Side::Device,
        cause: "Proxy or firewall blocks the identity provider, Entra or MSA URLs",
        covered_by: &["device-network-blocks-identity-provider"],
        note: "",
        codes: &["OOBEIDPS"],
        sections: &["something-went-wrong-oobeidps"],
    },
    CoverageRow {
        row: "R20",
        side: Side::Device,
        cause: "The device runs Windows Home",
        covered_by: &["device-windows-home-edition"],
        note: "",
        codes: &["0x801C0003", "0x80180003", "0x80180022"],
        sections: &["this-user-is-not-authorized-to-enroll", "autopilot-device-enrollment-failed-with-error-hresult--0x80180022"],
    },
    CoverageRow {
        row: "R21",
        side: Side::Device,
        cause: "TPM 2.0-capable chip still on 1.2, or attestation failure",
        covered_by: &["device-tpm-not-upgraded"],
        note: "",
        codes: &["0x801C03EA"],
        sections: &["registering-your-device-for-mobile-management-failed3-0x801c03ea"],
    },
    CoverageRow {
        row: "R22",
        side: Side::Tenant,
        cause: "Device in two groups assigned different Autopilot profiles",
        covered_by: &["autopilot-profile-conflict"],
        note: "",
        codes: &["0x801C03EA"],
        sections: &["registering-your-device-for-mobile-management-failed3-0x801c03ea"],
    },
    CoverageRow {
        row: "R23",
        side: Side::Device,
        cause: "No physical TPM 2.0 (VM, vTPM, TPM 1.2) or Windows too old for self-deploying or pre-provisioning",
        covered_by: &["device-no-physical-tpm2", "self-deploying-profile-on-virtual-machine"],
        note: "",
        codes: &["0x800705B4"],
        sections: &["securing-your-hardware-failed-0x800705b4"],
    },
    CoverageRow {
        row: "R24",
        side: Side::Tenant,
        cause: "Hybrid join Autopilot profile with an assigned user",
        covered_by: &["hybrid-profile-with-assigned-user"],
        note: "",
        codes: &["0x80070774"],
        sections: &["something-went-wrong-error-code-80070774"],
    },
    CoverageRow {
        row: "R25",
        side: Side::Tenant,
        cause: "The Entra device object created at Autopilot import was deleted",
        covered_by: &["autopilot-entra-object-missing"],
        note: "",
        codes: &["0x80070774", "0x801C03F3"],
        sections: &["something-went-wrong-error-code-80070774"],
    },
    CoverageRow {
        row: "R26",
        side: Side::TenantOutsideGraph,
        cause: "The connector's account lacks rights on the OU, or the OU's computer-account limit is reached",
        covered_by: &["device-domain-controller-unreachable"],
        note: "explain only (Active Directory)",
        codes: &["0x80070774"],
        sections: &["something-went-wrong-error-code-80070774"],
    },
    CoverageRow {
        row: "R27",
        side: Side::Device,
        cause: "A domain controller can't be reached",
        covered_by: &["device-domain-controller-unreachable"],
        note: "",
        codes: &["0x80070774"],
        sections: &["something-went-wrong-error-code-80070774"],
    },
    CoverageRow {
        row: "R28",
        side: Side::Tenant,
        cause: "The connector is installed in another AD domain than the devices are configured for",
        covered_by: &[],
        note: "not covered — the connector's domain isn't a documented Graph property; matching display names would guess",
        codes: &["0x80070774"],
        sections: &["why-are-windows-autopilot-hybrid-deployments-failing-during-esp-with-error-code-0x80070774"],
    },
    CoverageRow {
        row: "R29",
        side: Side::Tenant,
        cause: "Intune Connector for Active Directory older than 6.2501.2000.5",
        covered_by: &["hybrid-join-connector-unhealthy"],
        note: "partly: the version rule isn't checked yet",
        codes: &[],
        sections: &["troubleshooting-the-intune-connector-for-active-directory"],
    },
    CoverageRow {
        row: "R30",
        side: Side::TenantOutsideGraph,
        cause: "Connector server, AD replication or local policy problems",
        covered_by: &["device-intune-connector-server-setup", "hybrid-join-connector-unhealthy"],
        note: "the check sees only the symptom (connector in error or silent)",
        codes: &["0x8007202F"],
        sections: &["troubleshooting-the-intune-connector-for-active-directory"],
    },
    CoverageRow {
        row: "R31",
        side: Side::Info,
        cause: "Inactive connectors linger for 30 days",
        covered_by: &[],
        note: "N/A — guidance: inactive connectors beside an active one aren't a fault",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R32",
        side: Side::Tenant,
        cause: "ESP tracks Microsoft Store for Business apps while CA requires a compliant device on all cloud apps",
        covered_by: &[],
        note: "not covered — no check yet (Store for Business apps are retired)",
        codes: &[],
        sections: &["the-enrollment-status-page-times-out"],
    },
    CoverageRow {
        row: "R33",
        side: Side::Tenant,
        cause: "The user reached the Intune device limit",
        covered_by: &["enrollment-limit-reached"],
        note: "",
        codes: &["0x801C0003", "0x80180003", "0x80180013"],
        sections: &["this-user-is-not-authorized-to-enroll", "device-cap-reached"],
    },
    CoverageRow {
        row: "R34",
        side: Side::Tenant,
        cause: "Device type (platform) restriction blocks Windows",
        covered_by: &["windows-mdm-platform-blocked"],
        note: "",
        codes: &["0x801C0003", "0x80180003"],
        sections: &["this-user-is-not-authorized-to-enroll"],
    },
    CoverageRow {
        row: "R35",
        side: Side::Tenant,
        cause: "Users may join devices to Microsoft Entra ID is None, or the user isn't selected",
        covered_by: &["entra-join-not-allowed"],
        note: "",
        codes: &["0x801C0003"],
        sections: &["this-user-is-not-allowed-to-enroll"],
    },
    CoverageRow {
        row: "R36",
        side: Side::Tenant,
        cause: "The user exceeds the Entra maximum number of devices per user",
        covered_by: &["entra-device-quota-reached"],
        note: "",
        codes: &["0x801C000E"],
        sections: &[],
    },
    CoverageRow {
        row: "R37",
        side: Side::Tenant,
        cause: "Personally owned Windows blocked; OOBE/Settings Entra join has no per-device control",
        covered_by: &["windows-personal-enrollment-blocked"],
        note: "partly: not every Entra join path (OOBE, Settings, existing devices, device preparation) is judged",
        codes: &["0x80180014"],
        sections: &["your-organization-does-not-support-this-version-of-windows"],
    },
    CoverageRow {
        row: "R38",
        side: Side::Tenant,
        cause: "Windows corporate identifiers uploaded while personal Windows is blocked",
        covered_by: &["windows-corporate-identifiers-block-join"],
        note: "",
        codes: &["0x80180014"],
        sections: &["your-organization-does-not-support-this-version-of-windows", "windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe"],
    },
    CoverageRow {
        row: "R39",
        side: Side::Info,
        cause: "Device association is an alternative to corporate identifiers",
        covered_by: &[],
        note: "N/A — guidance for the corporate-identifier check",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R40",
        side: Side::Device,
        cause: "A Workplace-joined device was once Entra joined to the tenant",
        covered_by: &["device-previously-entra-joined"],
        note: "",
        codes: &[],
        sections: &["blocking-personal-windows-devices"],
    },
    CoverageRow {
        row: "R41",
        side: Side::Info,
        cause: "Restriction and assignment changes take up to 15 minutes",
        covered_by: &[],
        note: "N/A — caveat for the restriction checks",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R42",
        side: Side::Tenant,
        cause: "Windows restriction OS version bounds exclude the device",
        covered_by: &["windows-os-version-bounds-exclude-current"],
        note: "",
        codes: &[],
        sections: &["your-organization-does-not-support-this-version-of-windows"],
    },
    CoverageRow {
        row: "R43",
        side: Side::Tenant,
        cause: "Automatic MDM enrollment needs Entra ID P1 or P2",
        covered_by: &["mdm-scope-users-without-entra-p1"],
        note: "",
        codes: &[],
        sections: &["auto-mdm-enroll-failed"],
    },
    CoverageRow {
        row: "R44",
        side: Side::Tenant,
        cause: "MDM authority not set",
        covered_by: &["mdm-authority-not-intune"],
        note: "",
        codes: &[],
        sections: &["mdm-authority-not-defined"],
    },
    CoverageRow {
        row: "R45",
        side: Side::Tenant,
        cause: "Self-deploying or pre-provisioned device redeployed while its Intune record exists",
        covered_by: &["autopilot-redeploy-stale-intune-record"],
        note: "",
        codes: &["0x80180014"],
        sections: &["your-organization-does-not-support-this-version-of-windows"],
    },
    CoverageRow {
        row: "R46",
        side: Side::Device,
        cause: "Autopilot CSV edited by an editor, or hash not padded Base64",
        covered_by: &["device-autopilot-csv-hash-invalid"],
        note: "",
        codes: &[],
        sections: &["when-trying-to-import-a-csv-file-with-a-device-hardware-hash-why-does-nothing-happen-when-selecting-import"],
    },
    CoverageRow {
        row: "R47",
        side: Side::Tenant,
        cause: "Autopilot import: device already registered in this tenant, another tenant or Store for Business",
        covered_by: &["autopilot-import-failed", "device-autopilot-registered-elsewhere"],
        note: "",
        codes: &["806", "808"],
        sections: &["error-806-or-808-when-you-import-windows-autopilot-device-csv-files-in-intune"],
    },
    CoverageRow {
        row: "R48",
        side: Side::Tenant,
        cause: "Hardware change: the Autopilot device needs remediation (Fix pending / Attention required)",
        covered_by: &["autopilot-device-needs-remediation"],
        note: "",
        codes: &[],
        sections: &["why-is-the-windows-autopilot-profile-not-applied-after-a-hardware-change-occurred-on-a-device"],
    },
    CoverageRow {
        row: "R49",
        side: Side::TenantAndDevice,
        cause: "809 assigned profile deleted, 815 no profile (tenant); 807 hash not uploaded, 908 hardware differs (device)",
        covered_by: &["autopilot-devices-without-profile", "autopilot-profile-assignment-failed", "device-autopilot-hash-not-registered"],
        note: "",
        codes: &["807", "809", "815", "908"],
        sections: &["what-do-the-different-event-ids-mean-in-the-windows-autopilot-event-log-entries-in-event-viewer"],
    },
    CoverageRow {
        row: "R50",
        side: Side::Tenant,
        cause: "The Autopilot device's Entra object kept the registered (Workplace) trust type",
        covered_by: &["autopilot-device-registered-not-joined"],
        note: "",
        codes: &[],
        sections: &["why-is-the-join-type-for-a-device-showing-as-microsoft-entra-registered-instead-of-microsoft-entra-joined"],
    },
    CoverageRow {
        row: "R51",
        side: Side::Device,
        cause: "Autopilot Reset fails",
        covered_by: &["device-autopilot-reset-failed"],
        note: "N/A — Autopilot Reset, not enrollment; explain only",
        codes: &[],
        sections: &["why-does-windows-autopilot-reset-fail-immediately-with-an-error"],
    },
    CoverageRow {
        row: "R52",
        side: Side::Tenant,
        cause: "Conditional Access blocks the Intune Enrollment app (terms of use, device grant, block all apps except)",
        covered_by: &["ca-blocks-intune-enrollment"],
        note: "",
        codes: &[],
        sections: &["device-based-conditional-access-policies"],
    },
    CoverageRow {
        row: "R53",
        side: Side::Tenant,
        cause: "A device enrollment manager account is targeted by Conditional Access",
        covered_by: &[],
        note: "not covered — Graph documents no list of device enrollment managers",
        codes: &[],
        sections: &["device-cap-reached"],
    },
    CoverageRow {
        row: "R54",
        side: Side::Tenant,
        cause: "The Microsoft Intune Enrollment service principal is absent",
        covered_by: &[],
        note: "not covered — informational: it only prevents targeting the app in Conditional Access",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R55",
        side: Side::Tenant,
        cause: "Hybrid device compliance N/A until sign-in; BitLocker compliance without a grace period",
        covered_by: &[],
        note: "not covered — the compliance grace period isn't verified in Graph",
        codes: &[],
        sections: &["device-based-conditional-access-policies"],
    },
    CoverageRow {
        row: "R56",
        side: Side::Tenant,
        cause: "Device restriction disables the Microsoft Account sign-in assistant on Autopilot devices",
        covered_by: &["msa-sign-in-assistant-disabled"],
        note: "partly: device restriction profiles only; the settings catalog equivalent isn't read",
        codes: &[],
        sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
    },
    CoverageRow {
        row: "R57",
        side: Side::Tenant,
        cause: "PreferredAadTenantDomainName policy enabled",
        covered_by: &[],
        note: "not covered — the Graph property and its version are unconfirmed",
        codes: &[],
        sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
    },
    CoverageRow {
        row: "R58",
        side: Side::Tenant,
        cause: "DeviceLock password policies applied during device ESP",
        covered_by: &[],
        note: "not covered — too noisy: most password policies don't break Autopilot",
        codes: &[],
        sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
    },
    CoverageRow {
        row: "R59",
        side: Side::Tenant,
        cause: "AppLocker CSP applied during ESP",
        covered_by: &["applocker-csp-during-esp"],
        note: "preview, partly: custom (OMA-URI) profiles only; settings catalog AppLocker policies aren't read",
        codes: &[],
        sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
    },
    CoverageRow {
        row: "R60",
        side: Side::Tenant,
        cause: "Security-baseline UAC, VBS or password settings targeted at devices",
        covered_by: &[],
        note: "not covered — extra prompts, not an enrollment failure",
        codes: &[],
        sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
    },
    CoverageRow {
        row: "R61",
        side: Side::TenantOutsideGraph,
        cause: "Group Policy or registry settings break autologon or pre-provisioning",
        covered_by: &["device-gpo-conflicts-with-autopilot"],
        note: "explain only (Group Policy)",
        codes: &[],
        sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
    },
    CoverageRow {
        row: "R62",
        side: Side::Tenant,
        cause: "ESP mixes line-of-business MSI and Win32 apps",
        covered_by: &["esp-mixes-lob-and-win32"],
        note: "preview: app assignment groups are not expanded, so different groups count as possibly overlapping",
        codes: &[],
        sections: &["why-is-the-error-message-another-installation-is-in-progress-please-try-again-later-occurring-during-the-esp-of-a-windows-autopilot-deployment"],
    },
    CoverageRow {
        row: "R63",
        side: Side::Tenant,
        cause: "Microsoft 365 Apps with Teams and Win32 MSI apps install during ESP",
        covered_by: &[],
        note: "not covered — an intermittent timing conflict; no check yet",
        codes: &[],
        sections: &["during-the-esp-of-a-windows-autopilot-deployment-why-does-the-microsoft-365-click-to-run-version-of-office-fail-to-install-the-teams-machine-wide-installer-or-cause-other-win32-app-msi-based-installs-to-fail"],
    },
    CoverageRow {
        row: "R64",
        side: Side::Tenant,
        cause: "ESP blocking apps set in a profile targeted at user groups",
        covered_by: &["esp-blocking-apps-user-targeted"],
        note: "",
        codes: &[],
        sections: &["blocking-apps-specified-in-a-user-targeted-enrollment-status-profile-are-ignored-during-device-esp"],
    },
    CoverageRow {
        row: "R65",
        side: Side::Tenant,
        cause: "A policy needing a domain controller is assigned during hybrid pre-provisioning",
        covered_by: &[],
        note: "not covered — the docs don't say which policies need a domain controller",
        codes: &["0x800706FD"],
        sections: &["pre-provisioning-fails-for-microsoft-entra-hybrid-join-when-policy-conflict-resolution-requires-domain-controller-connectivity"],
    },
    CoverageRow {
        row: "R66",
        side: Side::Service,
        cause: "Hybrid Autopilot timeouts fixed by Windows cumulative updates",
        covered_by: &["device-windows-update-for-hybrid-timeout"],
        note: "explain only (Windows bug)",
        codes: &["0x80004005"],
        sections: &["microsoft-entra-hybrid-join-autopilot-deployments-time-out-with-error-code-0x80004005"],
    },
    CoverageRow {
        row: "R67",
        side: Side::Device,
        cause: "TPM attestation fails (firmware, Windows update, clock, retry after Reset)",
        covered_by: &["device-tpm-attestation-fails"],
        note: "",
        codes: &["0x81039001", "0x81039023", "0x81039024", "0x80070490"],
        sections: &["tpm-attestation-failure-with-error-code-0x81039001", "tpm-attestation-failure-on-windows-11-error-code-0x81039023", "tpm-attestation-failure-on-windows-11-error-code-0x81039024", "tpm-attestation-isnt-working-on-amd-platforms-with-asp-ftpm", "tpm-attestation-isnt-working-on-some-platforms-with-infineon-slb9672-discrete-tpms", "windows-autopilot-device-provisioning-can-fail"],
    },
    CoverageRow {
        row: "R68",
        side: Side::Device,
        cause: "The virtual machine has fewer than 2 processors or less than 4 GB of memory",
        covered_by: &["device-vm-too-small"],
        note: "",
        codes: &[],
        sections: &["virtual-machine-failing-at-preparing-your-device-for-mobile-management"],
    },
    CoverageRow {
        row: "R69",
        side: Side::Device,
        cause: "The user signs in with an account of another tenant than the device's",
        covered_by: &["device-signed-in-with-other-tenant-account"],
        note: "",
        codes: &[],
        sections: &["that-username-looks-like-it-belongs-to-another-organization-try-signing-in-again-or-start-over-with-a-different-account"],
    },
    CoverageRow {
        row: "R70",
        side: Side::Device,
        cause: "Autopilot for existing devices: the JSON file deleted by Sysprep or not ANSI",
        covered_by: &["device-autopilot-configuration-file-removed"],
        note: "",
        codes: &[],
        sections: &["windows-autopilot-for-existing-devices-doesnt-work"],
    },
    CoverageRow {
        row: "R71",
        side: Side::Device,
        cause: "A provisioning package with join, enrollment or name settings used with Autopilot",
        covered_by: &["device-provisioning-package-with-autopilot"],
        note: "",
        codes: &[],
        sections: &["using-a-provisioning-package-in-combination-with-windows-autopilot-can-cause-issues-especially-if-the-ppkg-contains-join-enrollment-or-device-name-information"],
    },
    CoverageRow {
        row: "R72",
        side: Side::Tenant,
        cause: "A registered device without a profile takes the default profile",
        covered_by: &["autopilot-devices-without-profile"],
        note: "",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R73",
        side: Side::Tenant,
        cause: "Self-deploying mode with hybrid join; EAS policies on self-deploying kiosks",
        covered_by: &[],
        note: "not covered — the portal prevents hybrid self-deploying profiles (unconfirmed); EAS kiosk policies aren't mapped",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R74",
        side: Side::Tenant,
        cause: "The Intune Provisioning Client service principal is missing",
        covered_by: &["intune-provisioning-client-missing"],
        note: "",
        codes: &[],
        sections: &["unable-to-find-intune-provisioning-client-with-appid-of-f1346770-5b25-470b-88bd-d5744ab7952c-when-trying-to-set-the-owner-of-the-windows-autopilot-device-preparation-policy-device-group"],
    },
    CoverageRow {
        row: "R75",
        side: Side::Tenant,
        cause: "The device-preparation device group isn't owned by the Intune Provisioning Client",
        covered_by: &[],
        note: "not covered — the policy's device group is returned only by the POST action retrieveJustInTimeConfiguration (no GET, no $expand); intune-provisioning-client-missing tells the admin what to verify by hand",
        codes: &[],
        sections: &["device-security-group-isnt-saving-in-windows-autopilot-device-preparation-policy", "device-isnt-being-added-to-the-device-group-specified-in-the-windows-autopilot-device-preparation-policy"],
    },
    CoverageRow {
        row: "R76",
        side: Side::Tenant,
        cause: "The device group is role-assignable, dynamic or deleted",
        covered_by: &[],
        note: "not covered — the policy's device group is returned only by the POST action retrieveJustInTimeConfiguration (no GET, no $expand); intune-provisioning-client-missing tells the admin what to verify by hand",
        codes: &[],
        sections: &["device-isnt-being-added-to-the-device-group-specified-in-the-windows-autopilot-device-preparation-policy"],
    },
    CoverageRow {
        row: "R77",
        side: Side::Tenant,
        cause: "The device-preparation policy has no device group",
        covered_by: &[],
        note: "not covered — the policy's device group is returned only by the POST action retrieveJustInTimeConfiguration (no GET, no $expand); intune-provisioning-client-missing tells the admin what to verify by hand",
        codes: &[],
        sections: &["windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe"],
    },
    CoverageRow {
        row: "R78",
        side: Side::Tenant,
        cause: "The policy's author lacks the Enrollment time device membership assignment permission",
        covered_by: &[],
        note: "not covered — Graph doesn't tie a policy to its author's RBAC role",
        codes: &[],
        sections: &["device-isnt-being-added-to-the-device-group-specified-in-the-windows-autopilot-device-preparation-policy"],
    },
    CoverageRow {
        row: "R79",
        side: Side::Tenant,
        cause: "The device is Autopilot-registered or has a profile, which wins over device preparation",
        covered_by: &[],
        note: "not covered — the admin's intent (profile or device preparation) is unknown",
        codes: &[],
        sections: &["windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe"],
    },
    CoverageRow {
        row: "R80",
        side: Side::Tenant,
        cause: "Users outside the policy's user group, the MDM user scope or the join permission",
        covered_by: &["device-prep-users-cannot-enroll", "mdm-user-scope-none", "entra-join-not-allowed", "mdm-scope-users-without-entra-p1"],
        note: "the policy's users against the MDM user scope and the join setting; the Entra P1 license is judged for all users",
        codes: &[],
        sections: &["windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe"],
    },
    CoverageRow {
        row: "R81",
        side: Side::Device,
        cause: "Windows older than device preparation needs",
        covered_by: &["device-windows-below-device-preparation-minimum"],
        note: "",
        codes: &[],
        sections: &["windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe"],
    },
    CoverageRow {
        row: "R82",
        side: Side::Tenant,
        cause: "Standard-user account type conflicts with the Entra local administrator setting",
        covered_by: &["device-prep-account-type-conflict"],
        note: "preview, warn only: the setting id and which value means Standard user are undocumented (third-party code disagrees)",
        codes: &[],
        sections: &["conflict-between-microsoft-entra-id-and-windows-autopilot-device-preparation-local-administrator-setting"],
    },
    CoverageRow {
        row: "R83",
        side: Side::Tenant,
        cause: "Apps or scripts not assigned to the device group, or not in System context",
        covered_by: &[],
        note: "not covered — which apps a policy allows (setting id undocumented) and its device group (POST only) cannot be read",
        codes: &[],
        sections: &["applications-or-powershell-scripts-arent-getting-installed"],
    },
    CoverageRow {
        row: "R84",
        side: Side::Tenant,
        cause: "A managed installer policy skips Win32, WinGet and catalog apps",
        covered_by: &[],
        note: "not covered — resolved by Microsoft (April 2026)",
        codes: &[],
        sections: &["win32-winget-and-enterprise-app-catalog-applications-are-skipped-when-managed-installer-policy-is-enabled"],
    },
    CoverageRow {
        row: "R85",
        side: Side::Info,
        cause: "Several device-preparation policies: the highest priority wins",
        covered_by: &[],
        note: "N/A — informational",
        codes: &[],
        sections: &[],
    },
    CoverageRow {
        row: "R86",
        side: Side::Device,
        cause: "The PC was joined to another tenant and not unjoined",
        covered_by: &["device-joined-to-another-tenant"],
        note: "",
        codes: &["0x8018002B"],
        sections: &["auto-mdm-enroll-failed", "80180002b-error-during-windows-10-group-policy-based-auto-enrollment-to-intune"],
    },
    CoverageRow {
        row: "R87",
        side: Side::Device,
        cause: "Company Portal enrollment by a user who isn't a local administrator",
        covered_by: &["device-user-not-local-administrator"],
        note: "",
        codes: &[],
        sections: &["you-cant-enroll-a-windows-device-in-intune-with-a-non-administrator-account"],
    },
    CoverageRow {
        row: "R88",
        side: Side::TenantOutsideGraph,
        cause: "Configuration Manager tries Windows integrated authentication while the domain isn't federated",
        covered_by: &["device-configmgr-cloud-management-not-configured"],
        note: "explain only (Configuration Manager)",
        codes: &["0xCAA9001F", "AADSTS50155"],
        sections: &["mdm-enrollment-fails-with-error-0xcaa9001f-for-co-managed-windows-devices"],
    },
    CoverageRow {
        row: "R89",
        side: Side::TenantOutsideGraph,
        cause: "Old EnterpriseEnrollment / EnterpriseRegistration CNAMEs still point at Microsoft",
        covered_by: &["device-stale-enrollment-cname-records"],
        note: "explain only (DNS)",
        codes: &[],
        sections: &["devices-continue-to-try-to-enroll-in-a-canceled-intune-subscription"],
    },
    CoverageRow {
        row: "R90",
        side: Side::Device,
        cause: "Image captured from an enrolled or joined PC, or not generalized",
        covered_by: &["device-cloned-image-not-generalized"],
        note: "",
        codes: &["0x80090016"],
        sections: &["sysprep-will-not-run-correctly-on-a-windows-10-device-that-has-been-mdm-enrolled", "tpm-errors"],
    },
    CoverageRow {
        row: "R91",
        side: Side::Tenant,
        cause: "Special characters in the organization name",
        covered_by: &[],
        note: "not covered — the docs don't say which characters; a check would guess",
        codes: &[],
        sections: &["unable-to-create-policy-or-enroll-devices-if-the-company-name-contains-special-characters"],
    },
    CoverageRow {
        row: "R92",
        side: Side::TenantOutsideGraph,
        cause: "AD FS 2.0 without SupportMultipleDomain for several top-level domains",
        covered_by: &["device-adfs-multiple-domains"],
        note: "explain only (AD FS)",
        codes: &[],
        sections: &["unable-to-sign-in-or-enroll-devices-when-you-have-multiple-verified-domains"],
    },
    CoverageRow {
        row: "R93",
        side: Side::TenantOutsideGraph,
        cause: "The auto-enrollment GPO isn't applied, the PC isn't hybrid joined, or Windows is older than 1709",
        covered_by: &["device-auto-enrollment-gpo-not-applied"],
        note: "explain only (Group Policy, Active Directory)",
        codes: &[],
        sections: &["troubleshoot-the-auto-enrollment-task"],
    },
    CoverageRow {
        row: "R94",
        side: Side::Device,
        cause: "Co-managed clients: MFA prompt ignored, no Entra token, old Windows, network",
        covered_by: &["device-comanagement-enrollment-conditions"],
        note: "",
        codes: &["0x8018002A", "0x80180002", "0xCAA9004D", "0xCAA90014", "0xCAA20003", "0x80070032"],
        sections: &["enrollment-errors"],
    },
    CoverageRow {
        row: "R95",
        side: Side::Service,
        cause: "No documented tenant cause (service side, or the user declined the terms of use)",
        covered_by: &[],
        note: "N/A — nothing in the tenant causes it",
        codes: &["0x80180019", "0x80180017"],
        sections: &["error-codes"],
    },
    CoverageRow {
        row: "R96",
        side: Side::TenantOutsideGraph,
        cause: "The SCP names the wrong tenant, or Entra Connect hasn't synced the device yet",
        covered_by: &["device-hybrid-join-scp-or-sync"],
        note: "explain only (Active Directory, Entra Connect)",
        codes: &["0x801C003A", "0x801C03F2"],
        sections: &["http-errors", "sync-join-server-errors"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;
    use crate::device_side::DEVICE_CAUSES;
    use std::collections::BTreeSet;

    /// Checks the lead engineer adds in parallel (issue 12), named by rows before they are
    /// registered on this branch. Empty this list once they are merged: the test below fails
    /// while a pending id is already registered.
    const PENDING: &[&str] = &[];

    fn is_device_cause(id: &str) -> bool {
        DEVICE_CAUSES.iter().any(|d| d.id == id)
    }

    /// `docs/coverage-map.md` is generated from [`ROWS`]; `UPDATE_COVERAGE=1` rewrites it.
    #[test]
    fn coverage_map_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/coverage-map.md");
        let expected = markdown();
        if std::env::var_os("UPDATE_COVERAGE").is_some() {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == expected,
            "docs/coverage-map.md is stale: run `UPDATE_COVERAGE=1 cargo test -p intune-audit-checks coverage`"
        );
    }

    #[test]
    fn rows_are_r01_to_r96_in_order() {
        let rows: Vec<&str> = ROWS.iter().map(|r| r.row).collect();
        let expected: Vec<String> = (1..=96).map(|i| format!("R{i:02}")).collect();
        assert_eq!(rows, expected);
        for r in ROWS {
            assert!(!r.cause.is_empty(), "{}: no cause", r.row);
        }
    }

    #[test]
    fn every_named_id_is_a_check_or_a_device_cause() {
        for r in ROWS {
            for id in r.covered_by {
                assert!(
                    CoverageRow::is_check(id, PENDING) || is_device_cause(id),
                    "{}: {id} is neither a registered (or renamed, or pending) check nor a device cause",
                    r.row
                );
            }
        }
        for id in PENDING {
            assert!(
                crate::run::find(id).is_none(),
                "{id} is registered now: remove it from PENDING"
            );
        }
        let named: BTreeSet<&str> = ROWS
            .iter()
            .flat_map(|r| r.covered_by.iter().copied())
            .collect();
        for d in DEVICE_CAUSES {
            assert!(named.contains(d.id), "{} is in no coverage row", d.id);
        }
    }

    #[test]
    fn every_code_and_section_resolves() {
        for r in ROWS {
            for c in r.codes {
                let code = codes::normalize(c);
                assert_eq!(code.as_deref(), Some(*c), "{}: {c} is not canonical", r.row);
                assert!(
                    !codes::sections_for_code(c).is_empty(),
                    "{}: {c} is in no section of the index",
                    r.row
                );
            }
            for s in r.sections {
                assert!(
                    codes::section(s).is_some(),
                    "{}: unknown section {s}",
                    r.row
                );
            }
        }
    }

    /// A tenant-side row names the check that covers it, or says why none does.
    #[test]
    fn tenant_rows_name_a_check_or_a_reason() {
        for r in ROWS.iter().filter(|r| r.side == Side::Tenant) {
            assert!(
                r.coverage(PENDING) == Coverage::Check || r.note.starts_with("not covered — "),
                "{}: name a check id or say \"not covered — <reason>\"",
                r.row
            );
        }
        for r in ROWS
            .iter()
            .filter(|r| r.coverage(PENDING) == Coverage::NotCovered)
        {
            assert!(
                r.note.starts_with("not covered — ") || r.note.starts_with("N/A — "),
                "{}: nothing covers it and the note gives no reason",
                r.row
            );
        }
        for r in ROWS.iter().filter(|r| r.side == Side::Device) {
            assert!(
                r.covered_by.iter().any(|id| is_device_cause(id)),
                "{}: a device-side row needs a device cause for explain",
                r.row
            );
        }
    }
}
