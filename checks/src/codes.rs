//! The error-code index: every error the vendor article documents, every spelling users paste,
//! the message on the screen (English and the article's Dutch), and the article section.
//! `explain` and `diagnose` look errors up here.

/// One section of the vendor's Windows enrollment troubleshooting article.
#[derive(Debug)]
pub struct Section {
    /// The article's `<a name="…">` anchor: the stable key findings carry.
    pub anchor: &'static str,
    /// Canonical codes (`0x801C0003`) or names (`OOBEIDPS`); empty where the article gives none.
    pub codes: &'static [&'static str],
    /// What the user sees, in English.
    pub message: &'static str,
    /// The same message as the Dutch article has it.
    pub message_nl: &'static str,
}

pub const SECTIONS: &[Section] = &[
    Section {
        anchor: "this-user-is-not-authorized-to-enroll",
        codes: &["0x801C0003", "0x80180003", "0x80180013", "0x801C000E", "0x80180022"],
        message: "Something went wrong. This user is not authorized to enroll. You can try to do this again or contact your system administrator with the error code 80180003 (0x801c0003).",
        message_nl: "Er is iets misgegaan. Deze gebruiker is niet gemachtigd om in te schrijven. U kunt dit opnieuw proberen of contact opnemen met de systeembeheerder met de foutcode 80180003 (0x801c0003).",
    },
    Section {
        anchor: "this-user-is-not-allowed-to-enroll",
        codes: &["0x801C0003"],
        message: "This user is not allowed to enroll. You can try to do this again or contact your system administrator with the error code 801c0003.",
        message_nl: "Deze gebruiker mag zich niet inschrijven. U kunt het opnieuw proberen of contact opnemen met uw systeembeheerder met de foutcode 801c0003.",
    },
    Section {
        anchor: "the-device-is-already-enrolled",
        codes: &["0x8018000A"],
        message: "Something went wrong. The device is already enrolled. You can contact your system administrator with the error code 8018000a.",
        message_nl: "Er is iets verkeerd gegaan. Het apparaat is al ingeschreven. U kunt contact opnemen met de systeembeheerder met de foutcode 8018000a.",
    },
    Section {
        anchor: "this-account-is-not-allowed-on-this-phone",
        codes: &["0x80180018"],
        message: "This account is not allowed on this phone. Make sure the information you entered is correct, then try again or ask your company for support.",
        message_nl: "Dit account is niet toegestaan op deze telefoon. Controleer of de informatie die u hebt ingevoerd juist is en probeer het opnieuw of vraag uw bedrijf om ondersteuning.",
    },
    Section {
        anchor: "looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured",
        codes: &[],
        message: "Looks like the MDM Terms of Use endpoint is not correctly configured.",
        message_nl: "Het eindpunt voor MDM-gebruiksvoorwaarden is niet juist geconfigureerd.",
    },
    Section {
        anchor: "something-went-wrong",
        codes: &["0x80180026"],
        message: "Something went wrong. Confirm you are using the correct sign-in information and that your organization uses this feature. You can try to do this again or contact your system administrator with the error code 80180026.",
        message_nl: "Er is iets misgegaan. Bevestig dat u de juiste aanmeldingsgegevens gebruikt en dat uw organisatie deze functie gebruikt. U kunt dit opnieuw proberen of contact opnemen met de systeembeheerder met de foutcode 80180026.",
    },
    Section {
        anchor: "the-software-cannot-be-installed",
        codes: &["0x80CF4017"],
        message: "The software cannot be installed, 0x80cf4017.",
        message_nl: "De software kan niet worden geïnstalleerd, 0x80cf4017.",
    },
    Section {
        anchor: "the-account-certificate-is-not-valid-and-may-be-expired",
        codes: &["0x80CF4017"],
        message: "The account certificate is not valid and may be expired, 0x80cf4017.",
        message_nl: "Het accountcertificaat is niet geldig en is mogelijk verlopen, 0x80cf4017.",
    },
    Section {
        anchor: "your-organization-does-not-support-this-version-of-windows",
        codes: &["0x80180014", "0x80180015"],
        message: "Something went wrong. Your organization does not support this version of Windows. (0x80180014)",
        message_nl: "Er is een probleem opgetreden. Deze versie van Windows wordt niet ondersteund in uw organisatie. (0x80180014)",
    },
    Section {
        anchor: "a-setup-failure-has-occurred-during-bulk-enrollment",
        codes: &[],
        message: "A setup failure has occurred during bulk enrollment.",
        message_nl: "Er is een fout opgetreden tijdens de bulkregistratie.",
    },
    Section {
        anchor: "auto-mdm-enroll-failed",
        codes: &["0x8018002B", "0x80180031", "0x8000FFFF", "0xC1036501"],
        message: "Auto MDM Enroll: Failed (Unknown Win32 Error code: 0x8018002b) — event 76 in DeviceManagement-Enterprise-Diagnostics-Provider/Admin.",
        message_nl: "Automatische MDM-inschrijving: mislukt (onbekende Win32-foutcode: 0x8018002b) — gebeurtenis 76.",
    },
    Section {
        anchor: "an-error-occurred-while-creating-autopilot-profile",
        codes: &[],
        message: "An error occurred while creating Autopilot profile.",
        message_nl: "Er is een fout opgetreden tijdens het maken van het Autopilot-profiel.",
    },
    Section {
        anchor: "something-went-wrong-oobeidps",
        codes: &["OOBEIDPS"],
        message: "Something went wrong. OOBEIDPS.",
        message_nl: "Er is iets misgegaan. OOBEIDPS.",
    },
    Section {
        anchor: "registering-your-device-for-mobile-management-failed3-0x801c03ea",
        codes: &["0x801C03EA"],
        message: "Registering your device for mobile management (Failed: 3, 0x801C03EA).",
        message_nl: "Uw apparaat registreren voor mobiel beheer (mislukt: 3, 0x801C03EA).",
    },
    Section {
        anchor: "securing-your-hardware-failed-0x800705b4",
        codes: &["0x800705B4"],
        message: "Securing your hardware (Failed: 0x800705b4). Joining your organization's network (Previous step failed). Registering your device for mobile management (Previous step failed).",
        message_nl: "Uw hardware beveiligen (mislukt: 0x800705b4).",
    },
    Section {
        anchor: "something-went-wrong-error-code-80070774",
        codes: &["0x80070774", "0x801C03F3"],
        message: "Something went wrong. Confirm you are using the correct sign-in information and that your organization uses this feature. You can try to do this again or contact your system administrator with the error code 80070774.",
        message_nl: "Er is iets misgegaan. Foutcode 80070774.",
    },
    Section {
        anchor: "prerequisites",
        codes: &[],
        message: "(No message: the article's prerequisites — a valid Intune license, the MDM authority, who and how many are affected, the enrollment method.)",
        message_nl: "(Vereisten: een geldige Intune-licentie, de MDM-instantie, het aantal betrokken gebruikers en apparaten, de inschrijvingsmethode.)",
    },    // Sections of Microsoft's current pages (docs/coverage-map.md maps every documented cause
    // to them). The anchor is the slug of the current page's heading: lower case, punctuation
    // dropped, spaces → hyphens; where the page puts the error under a generic heading
    // ("Cause"), the page's own title. The 2019 Dutch article has none of these sections, so
    // their Dutch message is empty.
    Section {
        anchor: "error-hr-0x8007064c-the-machine-is-already-enrolled",
        codes: &["0x8007064C"],
        message: "The machine is already enrolled. (The enrollment log shows error hr 0x8007064c.)",
        message_nl: "",
    },
    Section {
        anchor: "autopilot-device-enrollment-failed-with-error-hresult--0x80180022",
        codes: &["0x80180022"],
        message: "Autopilot device enrollment failed with error HRESULT = 0x80180022.",
        message_nl: "",
    },
    Section {
        anchor: "the-enrollment-status-page-times-out",
        codes: &[],
        message: "The Enrollment Status Page times out before the sign-in screen.",
        message_nl: "",
    },
    Section {
        anchor: "it-admin-needs-to-assign-license-for-access",
        codes: &[],
        message: "Your IT admin hasn't given you access to use this app. Get help from your IT admin or try again later.",
        message_nl: "",
    },
    Section {
        anchor: "mdm-authority-not-defined",
        codes: &[],
        message: "MDM authority not defined. Looks like your IT admin hasn't set an MDM authority. Get help from your IT admin or try again later.",
        message_nl: "",
    },
    Section {
        anchor: "device-cap-reached",
        codes: &[],
        message: "DeviceCapReached, or a general message such as \"Company Portal Temporarily Unavailable\".",
        message_nl: "",
    },
    Section {
        anchor: "enrollment-error-codes",
        codes: &[
            "0x80043001", "0x80CF3001", "0x80043002", "0x80CF3002", "0x80043003", "0x80CF3003",
            "0x80043004", "0x80CF3004", "0x80043005", "0x80CF3005", "0x80043006", "0x80CF3006",
            "0x80043007", "0x80CF3007", "0x80043008", "0x80CF3008", "0x80043009", "0x80CF3009",
            "0x8004300B", "0x80CF300B", "0x80CF0437", "0x80240438", "0x80CF0438", "0x80CF402C",
            "0x8024D015", "0x00240005", "0x80070BC2", "0x80070BC9", "0x80CFD015", "0x80070032",
            "0x00000AB2", "0x80CF0440",
        ],
        message: "The legacy Intune PC client software failed to enroll the computer (see the message of the code).",
        message_nl: "",
    },
    Section {
        anchor: "unable-to-create-policy-or-enroll-devices-if-the-company-name-contains-special-characters",
        codes: &[],
        message: "Unable to create policy or enroll devices if the company name contains special characters.",
        message_nl: "",
    },
    Section {
        anchor: "unable-to-sign-in-or-enroll-devices-when-you-have-multiple-verified-domains",
        codes: &[],
        message: "Unable to sign in or enroll devices when you have multiple verified domains: users with the UPN suffix of the second domain can't sign in to the portals or enroll.",
        message_nl: "",
    },
    Section {
        anchor: "enrollment-errors",
        codes: &["0x8000FFFF", "0x8018002A", "0x80180002", "0xCAA9004D", "0xCAA90014", "0xCAA20003", "0x80070032"],
        message: "Co-management enrollment error (Configuration Manager dashboard): see the message of the code.",
        message_nl: "",
    },
    Section {
        anchor: "windows-autopilot-self-deploying-mode-fails-with-an-error-code",
        codes: &["0xC1036501"],
        message: "The device can't do an automatic MDM enrollment because there are multiple MDM configurations in Microsoft Entra ID. (0xc1036501)",
        message_nl: "",
    },
    Section {
        anchor: "80180002b-error-during-windows-10-group-policy-based-auto-enrollment-to-intune",
        // The code is the article's auto-mdm-enroll-failed (its misprint); docs/coverage-map.md
        // links this page's cause there.
        codes: &[],
        message: "Auto MDM Enroll: Failed (Unknown Win32 Error code: 0x80180002b), and dsregcmd /status shows AzureAdPrt : NO with a wrong TenantId and AuthCodeUrl.",
        message_nl: "",
    },
    Section {
        anchor: "troubleshoot-the-auto-enrollment-task",
        codes: &[],
        message: "Automatic MDM enrollment never runs: no event 75 or 76 in DeviceManagement-Enterprise-Diagnostics-Provider/Admin, or the task reports event 7016 (the device is already enrolled in another MDM).",
        message_nl: "",
    },
    Section {
        anchor: "mdm-enrollment-fails-with-error-0xcaa9001f-for-co-managed-windows-devices",
        codes: &["0xCAA9001F", "AADSTS50155"],
        message: "MDM enrollment failed with error code 0xcaa9001f 'Integrated Windows authentication supported only in federation flow.' Will retry in 15 minutes...",
        message_nl: "",
    },
    Section {
        anchor: "you-cant-enroll-a-windows-device-in-intune-with-a-non-administrator-account",
        codes: &[],
        message: "You don't have the right privileges to perform this operation. Please talk to your admin.",
        message_nl: "",
    },
    Section {
        anchor: "devices-continue-to-try-to-enroll-in-a-canceled-intune-subscription",
        codes: &[],
        message: "Devices keep trying to enroll in Intune after the Intune subscription was canceled and another MDM provider was chosen.",
        message_nl: "",
    },
    Section {
        anchor: "sysprep-will-not-run-correctly-on-a-windows-10-device-that-has-been-mdm-enrolled",
        codes: &[],
        message: "Devices cloned from one image share the same device IDs and certificates and don't receive their configuration from the MDM server.",
        message_nl: "",
    },
    Section {
        anchor: "tpm-errors",
        codes: &["0x80090016"],
        message: "NTE_BAD_KEYSET (0x80090016): the TPM operation failed (for example, the key is missing after the image was cloned or the TPM was cleared).",
        message_nl: "",
    },
    Section {
        anchor: "http-errors",
        codes: &["0x801C003A"],
        message: "DSREG_DISCOVERY_TENANT_NOT_FOUND (0x801c003a): hybrid join discovery found no tenant.",
        message_nl: "",
    },
    Section {
        anchor: "sync-join-server-errors",
        codes: &["0x801C03F2"],
        message: "DirectoryError (0x801c03f2): The device object by the given id is not found.",
        message_nl: "",
    },
    Section {
        anchor: "error-806-or-808-when-you-import-windows-autopilot-device-csv-files-in-intune",
        codes: &["806", "808"],
        message: "Importing the Autopilot CSV fails: 806 - ZtdDeviceAlreadyAssigned (Device is already registered to the same Tenant) or 808 - ZtdDeviceAssignedToOtherTenant (Internal error).",
        message_nl: "",
    },
    Section {
        anchor: "when-trying-to-import-a-csv-file-with-a-device-hardware-hash-why-does-nothing-happen-when-selecting-import",
        codes: &[],
        message: "Nothing happens when importing the Autopilot CSV; a network trace shows error 400: Cannot convert the literal '[DEVICEHASH]' to the expected type 'Edm.Binary'.",
        message_nl: "",
    },
    Section {
        anchor: "why-is-the-windows-autopilot-profile-not-applied-after-a-hardware-change-occurred-on-a-device",
        codes: &[],
        message: "Fix pending / Attention required: We've detected a hardware change on this device. We're trying to automatically register the new hardware.",
        message_nl: "",
    },
    Section {
        anchor: "what-do-the-different-event-ids-mean-in-the-windows-autopilot-event-log-entries-in-event-viewer",
        codes: &["807", "809", "815", "908"],
        message: "Autopilot event log error (ModernDeployment-Diagnostics-Provider/Autopilot): see the message of the event id.",
        message_nl: "",
    },
    Section {
        anchor: "why-is-the-join-type-for-a-device-showing-as-microsoft-entra-registered-instead-of-microsoft-entra-joined",
        codes: &[],
        message: "The Autopilot device shows as \"Microsoft Entra registered\" instead of \"Microsoft Entra joined\".",
        message_nl: "",
    },
    Section {
        anchor: "why-does-windows-autopilot-reset-fail-immediately-with-an-error",
        codes: &[],
        message: "Ran into trouble. Please sign in with an administrator account to see why and reset manually.",
        message_nl: "",
    },
    Section {
        anchor: "why-are-windows-autopilot-hybrid-deployments-failing-during-esp-with-error-code-0x80070774",
        codes: &["0x80070774"],
        message: "Hybrid Autopilot deployment fails during the Enrollment Status Page with error 0x80070774.",
        message_nl: "",
    },
    Section {
        anchor: "troubleshooting-the-intune-connector-for-active-directory",
        codes: &["0x8007202F"],
        message: "The Intune Connector for Active Directory fails to install, configure or start (MSA account is not valid; Failed to create a managed service account - Element not found; Cannot start service ODJConnectorSvc; A constraint violation occurred).",
        message_nl: "",
    },
    Section {
        anchor: "what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot",
        codes: &[],
        message: "The Autopilot profile never downloads, autologon fails or the device restarts during the Enrollment Status Page because a policy conflicts with Autopilot.",
        message_nl: "",
    },
    Section {
        anchor: "why-is-the-error-message-another-installation-is-in-progress-please-try-again-later-occurring-during-the-esp-of-a-windows-autopilot-deployment",
        codes: &[],
        message: "Another installation is in progress, please try again later.",
        message_nl: "",
    },
    Section {
        anchor: "during-the-esp-of-a-windows-autopilot-deployment-why-does-the-microsoft-365-click-to-run-version-of-office-fail-to-install-the-teams-machine-wide-installer-or-cause-other-win32-app-msi-based-installs-to-fail",
        codes: &[],
        message: "During the Enrollment Status Page the Teams Machine-Wide Installer, or another Win32 MSI app, fails to install.",
        message_nl: "",
    },
    Section {
        anchor: "device-based-conditional-access-policies",
        codes: &[],
        message: "Enrollment is blocked during the out-of-box experience by a device-based Conditional Access policy.",
        message_nl: "",
    },
    Section {
        anchor: "blocking-apps-specified-in-a-user-targeted-enrollment-status-profile-are-ignored-during-device-esp",
        codes: &[],
        message: "Blocking apps specified in a user-targeted Enrollment Status Profile are ignored during device ESP.",
        message_nl: "",
    },
    Section {
        anchor: "pre-provisioning-fails-for-microsoft-entra-hybrid-join-when-policy-conflict-resolution-requires-domain-controller-connectivity",
        codes: &["0x800706FD"],
        message: "MDM PolicyManager: Merge string, Area: (UserRights), Policy: (DenyLocalLogOn), Result:(0x800706FD) The trust relationship between this workstation and the primary domain failed.",
        message_nl: "",
    },
    Section {
        anchor: "microsoft-entra-hybrid-join-autopilot-deployments-time-out-with-error-code-0x80004005",
        codes: &["0x80004005"],
        message: "Microsoft Entra hybrid join Autopilot deployments time out with error code 0x80004005.",
        message_nl: "",
    },
    Section {
        anchor: "tpm-attestation-failure-with-error-code-0x81039001",
        codes: &["0x81039001"],
        message: "TPM attestation failure with error code 0x81039001 E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED (Securing your hardware step).",
        message_nl: "",
    },
    Section {
        anchor: "tpm-attestation-failure-on-windows-11-error-code-0x81039023",
        codes: &["0x81039023"],
        message: "TPM attestation failure on Windows 11, error code 0x81039023.",
        message_nl: "",
    },
    Section {
        anchor: "tpm-attestation-failure-on-windows-11-error-code-0x81039024",
        codes: &["0x81039024"],
        message: "TPM attestation failure on Windows 11, error code 0x81039024 (known vulnerabilities detected in the TPM).",
        message_nl: "",
    },
    Section {
        anchor: "tpm-attestation-isnt-working-on-amd-platforms-with-asp-ftpm",
        codes: &["0x80070490"],
        message: "TPM attestation fails with error code 0x80070490 on AMD platforms with ASP firmware TPM.",
        message_nl: "",
    },
    Section {
        anchor: "tpm-attestation-isnt-working-on-some-platforms-with-infineon-slb9672-discrete-tpms",
        codes: &[],
        message: "Something happened, and TPM attestation timed out.",
        message_nl: "",
    },
    Section {
        anchor: "windows-autopilot-device-provisioning-can-fail",
        codes: &[],
        message: "Autopilot provisioning fails with TPM attestation errors or Enrollment Status Page timeouts because the device's real-time clock is off.",
        message_nl: "",
    },
    Section {
        anchor: "virtual-machine-failing-at-preparing-your-device-for-mobile-management",
        codes: &[],
        message: "A virtual machine stays at \"Preparing your device for mobile management\".",
        message_nl: "",
    },
    Section {
        anchor: "that-username-looks-like-it-belongs-to-another-organization-try-signing-in-again-or-start-over-with-a-different-account",
        codes: &[],
        message: "That username looks like it belongs to another organization. Try signing in again or start over with a different account.",
        message_nl: "",
    },
    Section {
        anchor: "windows-autopilot-for-existing-devices-doesnt-work",
        codes: &[],
        message: "Windows Autopilot for existing devices shows the screens the profile disables (such as the license agreement), or doesn't follow the Autopilot out-of-box experience.",
        message_nl: "",
    },
    Section {
        anchor: "using-a-provisioning-package-in-combination-with-windows-autopilot-can-cause-issues-especially-if-the-ppkg-contains-join-enrollment-or-device-name-information",
        codes: &[],
        message: "Using a provisioning package in combination with Windows Autopilot can cause issues, especially if the PPKG contains join, enrollment, or device name information.",
        message_nl: "",
    },
    Section {
        anchor: "blocking-personal-windows-devices",
        codes: &[],
        message: "A device joined by Workplace Join is blocked from enrolling because it was once Microsoft Entra joined to the tenant.",
        message_nl: "",
    },
    Section {
        anchor: "unable-to-find-intune-provisioning-client-with-appid-of-f1346770-5b25-470b-88bd-d5744ab7952c-when-trying-to-set-the-owner-of-the-windows-autopilot-device-preparation-policy-device-group",
        codes: &[],
        message: "Unable to find Intune Provisioning Client with AppID of f1346770-5b25-470b-88bd-d5744ab7952c when trying to set the owner of the Windows Autopilot device preparation policy device group.",
        message_nl: "",
    },
    Section {
        anchor: "device-security-group-isnt-saving-in-windows-autopilot-device-preparation-policy",
        codes: &[],
        message: "There was a problem with the device security group for <policy_name>. Check the group meets the requirements. / Failed to update security group device preparation setting: Updating security group for device preparation setting <policy_name> failed. Something went wrong. (Device group shows 0 groups assigned.)",
        message_nl: "",
    },
    Section {
        anchor: "device-isnt-being-added-to-the-device-group-specified-in-the-windows-autopilot-device-preparation-policy",
        codes: &[],
        message: "The device isn't added to the device group specified in the Windows Autopilot device preparation policy.",
        message_nl: "",
    },
    Section {
        anchor: "windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe",
        codes: &[],
        message: "The Windows Autopilot device preparation experience never launches during the out-of-box experience (OOBE).",
        message_nl: "",
    },
    Section {
        anchor: "applications-or-powershell-scripts-arent-getting-installed",
        codes: &[],
        message: "Applications or PowerShell scripts show Skipped in the Windows Autopilot device preparation deployment report.",
        message_nl: "",
    },
    Section {
        anchor: "conflict-between-microsoft-entra-id-and-windows-autopilot-device-preparation-local-administrator-setting",
        codes: &[],
        message: "Device preparation is skipped and the user reaches the desktop without the apps: the policy's standard-user account type conflicts with the Entra local administrator setting.",
        message_nl: "",
    },
    Section {
        anchor: "win32-winget-and-enterprise-app-catalog-applications-are-skipped-when-managed-installer-policy-is-enabled",
        codes: &[],
        message: "Win32, WinGet, and Enterprise App Catalog applications are skipped when Managed installer policy is enabled.",
        message_nl: "",
    },
    Section {
        anchor: "error-codes",
        codes: &["0x80180019", "0x80180017"],
        message: "Windows MDM enrollment error from the MDM service (see the message of the code).",
        message_nl: "",
    },
];

/// Symbolic names the documentation prints beside (or instead of) a code, mapped to the code:
/// `explain MENROLL_E_USERLICENSE` and `explain ZtdDeviceAlreadyAssigned` work.
const NAMES: &[(&str, &str)] = &[
    ("MENROLL_E_DEVICE_ALREADY_ENROLLED", "0x8018000A"),
    ("MENROLL_E_USERLICENSE", "0x80180018"),
    ("MENROLL_E_DEVICE_MANAGEMENT_BLOCKED", "0x80180026"),
    ("MENROLL_E_DEVICENOTSUPPORTED", "0x80180014"),
    ("MENROLL_E_NOTSUPPORTED", "0x80180015"),
    ("MENROLL_E_MDM_NOT_CONFIGURED", "0x8018002B"),
    ("MENROLL_E_DEVICECAPREACHED", "0x80180013"),
    ("MENROLL_E_PROV_CSP_MISC", "0x80180022"),
    ("MENROLL_E_ENROLLMENTDATAINVALID", "0x80180019"),
    ("MENROLL_E_INMAINTENANCE", "0x80180017"),
    ("MENROLL_E_DEVICE_AUTHENTICATION_ERROR", "0x80180002"),
    ("DSREG_E_DEVICE_AUTHORIZATION_ERROR", "0x801C0003"),
    ("DSREG_E_DEVICE_REGISTRATION_QUOTA_EXCCEEDED", "0x801C000E"),
    ("DSREG_DISCOVERY_TENANT_NOT_FOUND", "0x801C003A"),
    (
        "E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED",
        "0x81039001",
    ),
    ("NTE_BAD_KEYSET", "0x80090016"),
    ("ZtdDeviceAlreadyAssigned", "806"),
    ("ZtdDeviceIsNotRegistered", "807"),
    ("ZtdDeviceAssignedToOtherTenant", "808"),
    ("ZtdDeviceHasNoAssignedProfile", "809"),
    ("SerialNumberMismatch", "908"),
    ("ProductKeyIdMismatch", "908"),
    ("OOBEIDPS", "OOBEIDPS"),
    ("AADSTS50155", "AADSTS50155"),
];

/// Autopilot import error numbers and Autopilot event ids the documentation names. They are not
/// HRESULTs: their canonical form is the plain decimal number (`806`), and only these numbers
/// are codes, so that any other short number still means nothing.
const EVENT_NUMBERS: &[&str] = &["806", "807", "808", "809", "815", "908"];

/// The message of one code where a section documents several codes with different messages
/// (the legacy agent's table, the co-management table, the Autopilot event ids, the MENROLL
/// constants). `explain` shows it beside the section's message, and message look-ups search it.
pub const CODE_MESSAGES: &[(&str, &str)] = &[
    ("0x80CF0437", "The clock on the client computer isn't set to the correct time."),
    ("0x80240438", "Can't connect to the Intune service: check the client proxy settings (Internet Explorer and Local System)."),
    ("0x80CF0438", "Can't connect to the Intune service: check the client proxy settings (Internet Explorer and Local System)."),
    ("0x80CF402C", "Can't connect to the Intune service: check the client proxy settings."),
    ("0x80043001", "Enrollment package is out of date."),
    ("0x80CF3001", "Enrollment package is out of date."),
    ("0x80043004", "Enrollment package is out of date."),
    ("0x80CF3004", "Enrollment package is out of date."),
    ("0x80043002", "Account is in maintenance mode."),
    ("0x80CF3002", "Account is in maintenance mode."),
    ("0x80043003", "Account is deleted."),
    ("0x80CF3003", "Account is deleted."),
    ("0x80043005", "The client computer has been retired."),
    ("0x80CF3005", "The client computer has been retired."),
    ("0x80043006", "The maximum number of seats allowed for the account has been reached."),
    ("0x80CF3006", "The maximum number of seats allowed for the account has been reached."),
    ("0x80043007", "Couldn't find the certificate file in the same folder as the installer program."),
    ("0x80CF3007", "Couldn't find the certificate file in the same folder as the installer program."),
    ("0x8024D015", "The software can't be installed because a restart of the client computer is pending."),
    ("0x00240005", "The software can't be installed because a restart of the client computer is pending."),
    ("0x80070BC2", "The software can't be installed because a restart of the client computer is pending."),
    ("0x80070BC9", "The software can't be installed because a restart of the client computer is pending."),
    ("0x80CFD015", "The software can't be installed because a restart of the client computer is pending."),
    ("0x80070032", "One or more prerequisites for installing the client software weren't found on the client computer (co-management: the request is not supported, Windows 10 1709 or later only)."),
    ("0x80043008", "Failed to start the Microsoft Online Management Updates service."),
    ("0x80CF3008", "Failed to start the Microsoft Online Management Updates service."),
    ("0x80043009", "The client computer is already enrolled into the service."),
    ("0x80CF3009", "The client computer is already enrolled into the service."),
    ("0x8004300B", "The client software installation package can't run because the version of Windows that is running on the client isn't supported."),
    ("0x80CF300B", "The client software installation package can't run because the version of Windows that is running on the client isn't supported."),
    ("0x00000AB2", "The Windows Installer couldn't access VBScript run time for a custom action."),
    ("0x80CF0440", "The connection to the service endpoint terminated: the trial or paid account is suspended."),
    ("0x8000FFFF", "MDM enrollment hasn't been configured yet on Microsoft Entra ID, or the enrollment URL isn't expected."),
    ("0x8018002A", "The user canceled the operation (the multifactor authentication notification to enroll was not answered)."),
    ("0x80180002", "MENROLL_E_DEVICE_AUTHENTICATION_ERROR: the device couldn't get a Microsoft Entra token for the enrollment."),
    ("0xCAA9004D", "ADAL error during co-management enrollment: the user or device couldn't get a token from Microsoft Entra ID."),
    ("0xCAA90014", "ADAL error during co-management enrollment: the user or device couldn't get a token from Microsoft Entra ID."),
    ("0xCAA20003", "ADAL error during co-management enrollment: the user or device couldn't get a token from Microsoft Entra ID."),
    ("0x80180015", "MENROLL_E_NOTSUPPORTED: Mobile device management isn't supported. Check device restrictions."),
    ("0x80180013", "MENROLL_E_DEVICECAPREACHED: Looks like there are too many devices or users for this account."),
    ("0x801C000E", "DSREG_E_DEVICE_REGISTRATION_QUOTA_EXCCEEDED: Looks like there are too many devices or users for this account."),
    ("0x80180018", "MENROLL_E_USERLICENSE: License of user is in bad state blocking enrollment."),
    ("0x80180019", "MENROLL_E_ENROLLMENTDATAINVALID: Looks like the server isn't correctly configured."),
    ("0x80180017", "MENROLL_E_INMAINTENANCE: the MDM service is in maintenance."),
    ("0x8007202F", "System.DirectoryServices.DirectoryServicesCOMException (0x8007202F): A constraint violation occurred."),
    ("AADSTS50155", "AADSTS70002: Error validating credentials. AADSTS50155: Device is not authenticated."),
    ("806", "ZtdDeviceAlreadyAssigned: Device is already registered to the same Tenant."),
    ("808", "ZtdDeviceAssignedToOtherTenant: the device is registered in another tenant (Internal error)."),
    ("807", "ZtdDeviceIsNotRegistered: the device's hardware hash isn't uploaded."),
    ("809", "ZtdDeviceHasNoAssignedProfile - Assigned profile does not exist."),
    ("815", "ZtdDeviceHasNoAssignedProfile - No profile assigned to the device, and no default profile found in the tenant."),
    ("908", "SerialNumberMismatch / ProductKeyIdMismatch: the serial number or product key recorded in Windows Autopilot differs from the hardware."),
];

/// Other wordings of an existing section's message: what today's Microsoft pages, logs and
/// portals print for the same error. Message look-ups search them too.
pub const ALSO_SEEN: &[(&str, &str)] = &[
    ("the-device-is-already-enrolled", "Task Scheduler event 7016 with error 2149056522: the device is already enrolled in another MDM."),
    ("this-account-is-not-allowed-on-this-phone", "Something went wrong. Can't connect to the URL of your organization's MDM terms of use. Try again, or contact your system administrator with the problem information from this page."),
    ("looks-like-the-mdm-terms-of-use-endpoint-is-not-correctly-configured", "Something went wrong. Looks like we can't connect to the URL for your organization's MDM terms of use. Try again, or contact your system administrator with the problem information from this page."),
    ("something-went-wrong", "MENROLL_E_DEVICE_MANAGEMENT_BLOCKED: MDM was blocked, possibly by Group Policy or the SetManagedExternally function."),
    ("your-organization-does-not-support-this-version-of-windows", "MDM Enroll: Server Returned Fault/Code/Subcode/Value=(DeviceNotSupported) Fault/Reason/Text=(Enrollment blocked for AP device by SDM One Time Limit Check)"),
    ("your-organization-does-not-support-this-version-of-windows", "Corporate, but will be blocked by personal enrollment restriction."),
    ("registering-your-device-for-mobile-management-failed3-0x801c03ea", "TPM attestation failed, causing a failure to join Microsoft Entra ID with a device token."),
    ("securing-your-hardware-failed-0x800705b4", "Pre-provisioning gives an error screen (pre-provisioning isn't supported on a virtual machine)."),
    ("something-went-wrong-error-code-80070774", "The Autopilot object's associated Microsoft Entra device has been deleted."),
    ("something-went-wrong-error-code-80070774", "ODJ Connector Service event 30132: Failed to get the ODJ Blob. The ODJ connector does not have sufficient privileges."),
    ("this-user-is-not-authorized-to-enroll", "Looks like there are too many devices or users for this account."),
    ("device-cap-reached", "Company Portal Temporarily Unavailable"),
    ("troubleshooting-the-intune-connector-for-active-directory", "SeLogonAsServicePrivilegeMissing"),
    ("troubleshooting-the-intune-connector-for-active-directory", "The MSA account couldn't be granted permission to create computer objects in the following OUs."),
    ("troubleshooting-the-intune-connector-for-active-directory", "Navigation to the webpage was canceled / Can't connect securely to this page."),
    ("why-does-windows-autopilot-reset-fail-immediately-with-an-error", "Autopilot reset ran into trouble. Could not find the recovery environment."),
    ("windows-autopilot-for-existing-devices-doesnt-work", "Windows Autopilot for existing devices doesn't follow the Windows Autopilot OOBE experience."),
    ("error-codes", "rejectedTermsOfUse: the user declined the MDM terms of use."),
];

/// The message of one code, where the documentation gives it one (see [`CODE_MESSAGES`]).
pub fn code_message(code: &str) -> Option<&'static str> {
    CODE_MESSAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| *m)
}

/// Misprints the article itself contains, mapped to the code it means.
const MISPRINTS: &[(&str, &str)] = &[("801c003", "0x801C0003"), ("80180002b", "0x8018002B")];

/// Normalises whatever a user pastes into a canonical code: `0x801c0003`, `801C0003`,
/// `0x801c003` (the article's misprint) → `0x801C0003`; `oobeidps` → `OOBEIDPS`.
/// Returns `None` for text that is not shaped like a code.
pub fn normalize(input: &str) -> Option<String> {
    let t = input.trim().trim_matches(|c: char| {
        c == '(' || c == ')' || c == '"' || c == '\'' || c == ',' || c == '.'
    });
    let lower = t.to_ascii_lowercase();
    if lower == "oobeidps" {
        return Some("OOBEIDPS".into());
    }
    if let Some((_, code)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
        return Some(code.to_string());
    }
    if EVENT_NUMBERS.contains(&t) {
        return Some(t.to_string());
    }
    if let Some(code) = decimal_hresult(t) {
        return Some(code);
    }
    let prefixed = lower.starts_with("0x");
    let hex = lower.strip_prefix("0x").unwrap_or(&lower);
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    if let Some((_, canonical)) = MISPRINTS.iter().find(|(m, _)| *m == hex) {
        return Some(canonical.to_string());
    }
    // Without the 0x prefix only 8-digit hex is a code; with it, a short code such as the legacy
    // agent's 0xAB2 is padded to 8 digits.
    (hex.len() == 8 || (prefixed && hex.len() < 8))
        .then(|| format!("0x{:0>8}", hex.to_ascii_uppercase()))
}

/// ConfigMgr and the event logs print HRESULTs as decimals: unsigned (`2149056522`, ten digits)
/// or signed (`-2145648582`). Only values with the failure bit set are taken as codes.
fn decimal_hresult(t: &str) -> Option<String> {
    let (negative, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let value = if negative { -n } else { n };
    let unsigned = if negative {
        i32::try_from(value).ok()? as u32
    } else {
        u32::try_from(value).ok()?
    };
    (unsigned >= 0x8000_0000).then(|| format!("0x{unsigned:08X}"))
}

/// Sections that document `code` (canonical form).
pub fn sections_for_code(code: &str) -> Vec<&'static Section> {
    SECTIONS
        .iter()
        .filter(|s| s.codes.contains(&code))
        .collect()
}

pub fn section(anchor: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.anchor == anchor)
}

/// Every canonical code the index knows.
pub fn known_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = SECTIONS
        .iter()
        .flat_map(|s| s.codes.iter().copied())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Folds case, accents the Dutch text carries, and runs of non-alphanumerics, so that a
/// fragment copied from a screen matches however it was typed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'ë' | 'é' | 'è' | 'ê' => 'e',
            'ï' | 'í' => 'i',
            'ö' | 'ó' => 'o',
            'ü' | 'ú' => 'u',
            'á' | 'à' | 'ä' => 'a',
            other => other,
        };
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out.trim_end().to_string()
}

/// Sections whose message (English or Dutch) contains the fragment.
pub fn sections_for_message(fragment: &str) -> Vec<&'static Section> {
    let needle = fold(fragment);
    if needle.len() < 4 {
        return Vec::new();
    }
    SECTIONS
        .iter()
        .zip(folded_messages())
        .filter(|(_, texts)| texts.iter().any(|t| t.contains(&needle)))
        .map(|(s, _)| s)
        .collect()
}

/// Per section (in `SECTIONS` order), the folded texts a message fragment is matched against:
/// its message in English and Dutch, its anchor as words, the messages also seen with it and
/// those of its codes. Folded once per process: folding them for every query made each
/// `explain` cost milliseconds (found by the `explain` fuzz target's speed).
fn folded_messages() -> &'static [Vec<String>] {
    static FOLDED: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
    FOLDED.get_or_init(|| {
        SECTIONS
            .iter()
            .map(|s| {
                let mut texts = vec![
                    fold(s.message),
                    fold(s.message_nl),
                    fold(&s.anchor.replace('-', " ")),
                ];
                texts.extend(
                    ALSO_SEEN
                        .iter()
                        .filter(|(a, _)| *a == s.anchor)
                        .map(|(_, m)| fold(m)),
                );
                texts.extend(
                    CODE_MESSAGES
                        .iter()
                        .filter(|(c, _)| s.codes.contains(c))
                        .map(|(_, m)| fold(m)),
                );
                texts
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_normalises_to_one_code() {
        for s in [
            "0x801c0003",
            "801C0003",
            "0X801C0003",
            "0x801c003",
            " (0x801c0003) ",
        ] {
            assert_eq!(normalize(s).as_deref(), Some("0x801C0003"), "{s}");
        }
        assert_eq!(normalize("80180003").as_deref(), Some("0x80180003"));
        assert_eq!(normalize("8018002b").as_deref(), Some("0x8018002B"));
        assert_eq!(normalize("0x80180002b").as_deref(), Some("0x8018002B"));
        assert_eq!(normalize("oobeidps").as_deref(), Some("OOBEIDPS"));
        assert_eq!(normalize("hello"), None);
        assert_eq!(normalize("123"), None);
    }

    #[test]
    fn names_event_numbers_decimals_and_short_codes_normalise() {
        assert_eq!(normalize("806").as_deref(), Some("806"));
        assert_eq!(normalize("(808)").as_deref(), Some("808"));
        assert_eq!(
            normalize("ZtdDeviceAlreadyAssigned").as_deref(),
            Some("806")
        );
        assert_eq!(
            normalize("ztddeviceassignedtoothertenant").as_deref(),
            Some("808")
        );
        assert_eq!(
            normalize("MENROLL_E_USERLICENSE").as_deref(),
            Some("0x80180018")
        );
        assert_eq!(
            normalize("E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED").as_deref(),
            Some("0x81039001")
        );
        assert_eq!(normalize("2149056522").as_deref(), Some("0x8018000A"));
        assert_eq!(normalize("3400073247").as_deref(), Some("0xCAA9001F"));
        assert_eq!(normalize("-2145648582").as_deref(), Some("0x801C003A"));
        assert_eq!(normalize("0xAB2").as_deref(), Some("0x00000AB2"));
        assert_eq!(normalize("0xc1036501").as_deref(), Some("0xC1036501"));
        // Other short numbers and small decimals are still not codes.
        assert_eq!(normalize("805"), None);
        assert_eq!(normalize("1234567890"), None);
        for (code, _) in CODE_MESSAGES {
            assert_eq!(normalize(code).as_deref(), Some(*code), "{code}");
            assert!(
                !sections_for_code(code).is_empty(),
                "{code} is in no section"
            );
        }
        for (name, code) in NAMES {
            assert!(
                !sections_for_code(code).is_empty(),
                "{name} → {code} is in no section"
            );
        }
        for (anchor, _) in ALSO_SEEN {
            assert!(section(anchor).is_some(), "{anchor}");
        }
    }

    #[test]
    fn anchors_are_unique_slugs() {
        let mut seen = std::collections::BTreeSet::new();
        for s in SECTIONS {
            assert!(seen.insert(s.anchor), "duplicate anchor {}", s.anchor);
            assert!(
                s.anchor
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not a slug",
                s.anchor
            );
            for c in s.codes {
                assert_eq!(normalize(c).as_deref(), Some(*c), "{}: {c}", s.anchor);
            }
        }
    }

    #[test]
    fn current_messages_and_their_other_wordings_are_found() {
        let find =
            |q: &str| -> Vec<&str> { sections_for_message(q).iter().map(|s| s.anchor).collect() };
        assert!(find("belongs to another organization").contains(
            &"that-username-looks-like-it-belongs-to-another-organization-try-signing-in-again-or-start-over-with-a-different-account"
        ));
        assert_eq!(
            find("Another installation is in progress"),
            ["why-is-the-error-message-another-installation-is-in-progress-please-try-again-later-occurring-during-the-esp-of-a-windows-autopilot-deployment"]
        );
        assert!(
            find("Can't connect to the URL of your organization's MDM terms of use")
                .contains(&"this-account-is-not-allowed-on-this-phone")
        );
        assert!(find("account is in maintenance mode").contains(&"enrollment-error-codes"));
    }

    #[test]
    fn one_code_can_have_several_sections() {
        let anchors: Vec<_> = sections_for_code("0x801C0003")
            .iter()
            .map(|s| s.anchor)
            .collect();
        assert_eq!(
            anchors,
            [
                "this-user-is-not-authorized-to-enroll",
                "this-user-is-not-allowed-to-enroll"
            ]
        );
    }

    #[test]
    fn messages_match_in_english_and_dutch() {
        let en: Vec<_> = sections_for_message("not allowed on this phone")
            .iter()
            .map(|s| s.anchor)
            .collect();
        assert_eq!(en, ["this-account-is-not-allowed-on-this-phone"]);
        let nl: Vec<_> = sections_for_message("niet toegestaan op deze telefoon")
            .iter()
            .map(|s| s.anchor)
            .collect();
        assert_eq!(nl, ["this-account-is-not-allowed-on-this-phone"]);
        let accented: Vec<_> = sections_for_message("kan niet worden geinstalleerd")
            .iter()
            .map(|s| s.anchor)
            .collect();
        assert_eq!(accented, ["the-software-cannot-be-installed"]);
    }
}
