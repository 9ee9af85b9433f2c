//! Causes the tool cannot see from the tenant. They are in the catalog so that `explain` and
//! `diagnose` can give the device-side steps; they produce no audit findings.

/// A documented device-side cause of an enrollment error.
#[derive(Debug)]
pub struct DeviceCause {
    pub id: &'static str,
    pub title: &'static str,
    pub error_codes: &'static [&'static str],
    pub article_sections: &'static [&'static str],
    pub steps: &'static [&'static str],
}

pub const DEVICE_CAUSES: &[DeviceCause] = &[
    DeviceCause {
        id: "device-windows-home-edition",
        title: "The PC runs Windows Home, which cannot join Entra or enroll in Intune",
        error_codes: &["0x801C0003", "0x80180003", "0x80180022"],
        article_sections: &["this-user-is-not-authorized-to-enroll"],
        steps: &[
            "On the PC, open Settings > System > About and read the Windows edition.",
            "Upgrade Windows Home to Pro, Enterprise or Education, then enroll again.",
        ],
    },
    DeviceCause {
        id: "device-other-work-account-connected",
        title: "Another user already enrolled or joined this PC",
        error_codes: &["0x8018000A"],
        article_sections: &["the-device-is-already-enrolled"],
        steps: &[
            "Open Settings > Accounts > Access work or school and look for another work or school account.",
            "Sign in as that account, disconnect it, sign out, sign back in as the enrolling user and enroll again.",
        ],
    },
    DeviceCause {
        id: "device-configmgr-client-installed",
        title: "The Configuration Manager client agent is installed on the PC",
        error_codes: &["0x8018000A", "0x80180026"],
        article_sections: &["the-device-is-already-enrolled", "something-went-wrong"],
        steps: &[
            "Uninstall the Configuration Manager client (ccmsetup.exe /uninstall) or use co-management instead of a second enrollment.",
            "Enroll the PC again.",
        ],
    },
    DeviceCause {
        id: "device-legacy-pc-agent-installed",
        title: "The legacy Intune PC agent is installed, or is outdated",
        error_codes: &["0x80180026", "0x80CF4017"],
        article_sections: &["something-went-wrong", "the-software-cannot-be-installed", "the-account-certificate-is-not-valid-and-may-be-expired"],
        steps: &[
            "Uninstall the Intune PC client software (legacy agent) from the PC; Windows MDM enrollment replaces it.",
            "Where the agent must stay for now, install the current client software from the admin console, then retry.",
        ],
    },
    DeviceCause {
        id: "device-network-blocks-identity-provider",
        title: "A proxy or firewall blocks the identity provider or Autopilot services",
        error_codes: &["OOBEIDPS"],
        article_sections: &["something-went-wrong-oobeidps"],
        steps: &[
            "Run `intune-audit netcheck` from the same network segment to test every Autopilot, Entra and Intune endpoint.",
            "Allow the endpoints in the Windows Autopilot network requirements through the proxy without authentication or TLS inspection.",
        ],
    },
    DeviceCause {
        id: "device-tpm-not-upgraded",
        title: "The TPM supports 2.0 but still runs 1.2 firmware",
        error_codes: &["0x801C03EA"],
        article_sections: &["registering-your-device-for-mobile-management-failed3-0x801c03ea"],
        steps: &[
            "Run tpm.msc on the PC and read the Specification Version.",
            "Upgrade the TPM firmware to 2.0 with the manufacturer's tool, then retry the deployment.",
        ],
    },
    DeviceCause {
        id: "device-no-physical-tpm2",
        title: "Self-deploying mode needs a physical TPM 2.0 and Windows 10 1703+ (1809+ for hybrid join)",
        error_codes: &["0x800705B4"],
        article_sections: &["securing-your-hardware-failed-0x800705b4"],
        steps: &[
            "Check the PC has a physical TPM 2.0 (virtual TPMs and TPM 1.2 do not work in self-deploying mode).",
            "Check the Windows build is 1703 or later, or 1809 or later for hybrid join.",
            "Otherwise deploy it with a user-driven profile.",
        ],
    },
    DeviceCause {
        id: "device-domain-controller-unreachable",
        title: "Hybrid join: the PC cannot reach a domain controller, or the ODJ connector lacks rights on the OU",
        error_codes: &["0x80070774"],
        article_sections: &["something-went-wrong-error-code-80070774"],
        steps: &[
            "Check the PC reaches a domain controller during OOBE (VPN or on-premises network).",
            "On the server hosting the Intune Connector for Active Directory, look for event 30312/30132 in the ODJ Connector Service log.",
            "Delegate Create/Delete Computer objects (Full control) on the target OU to the connector's computer account.",
        ],
    },
    // Causes documented on Microsoft's current pages (docs/coverage-map.md): on the device, or
    // fixed by the admin outside Graph (Active Directory, DNS, Configuration Manager, the
    // connector server, the image).
    DeviceCause {
        id: "device-already-enrolled-or-cloned-image",
        title: "The PC was enrolled before, comes from a cloned image of an enrolled PC, or still holds the old account certificate",
        error_codes: &["0x8007064C"],
        article_sections: &["error-hr-0x8007064c-the-machine-is-already-enrolled"],
        steps: &[
            "Open the Certificates snap-in for the local computer (mmc > Add/Remove Snap-ins > Certificates > Computer account) and delete the Intune certificate issued by Sc_Online_Issuing under Personal > Certificates.",
            "Back up the registry, delete HKLM\\SOFTWARE\\Microsoft\\OnlineManagement with its subkeys, then enroll again.",
            "If enrollment still fails, delete HKCR\\Installer\\Products\\6985F0077D3EEB44AB6849B5D7913E95 and enroll again.",
            "If the PC was cloned, rebuild it from an image generalized with Sysprep before it was ever enrolled.",
        ],
    },
    DeviceCause {
        id: "device-enrolled-in-another-mdm",
        title: "Automatic enrollment: the PC is already enrolled in another MDM (task event 7016)",
        error_codes: &["0x8018000A"],
        article_sections: &["the-device-is-already-enrolled", "troubleshoot-the-auto-enrollment-task"],
        steps: &[
            "Open Settings > Accounts > Access work or school and look for an enrollment in another MDM service.",
            "Unenroll the PC from that service (or retire it there), then let the automatic enrollment task run again (gpupdate /force, or sign out and back in).",
        ],
    },
    DeviceCause {
        id: "device-mdm-blocked-by-policy",
        title: "MDM enrollment is blocked on the PC by Group Policy or by software that called SetManagedExternally",
        error_codes: &["0x80180026"],
        article_sections: &["something-went-wrong"],
        steps: &[
            "Run gpresult /h report.html on the PC and look for a policy that disables MDM enrollment.",
            "Remove that policy, or the management software that marked the PC as managed externally, then enroll again.",
        ],
    },
    DeviceCause {
        id: "device-legacy-agent-clock-or-proxy",
        title: "Legacy PC agent: the PC's clock is wrong, or its proxy settings block the Intune service",
        error_codes: &["0x80CF0437", "0x80240438", "0x80CF0438", "0x80CF402C"],
        article_sections: &["enrollment-error-codes"],
        steps: &[
            "For 0x80CF0437, set the PC's clock and time zone to the correct values.",
            "For the proxy codes, check the proxy settings of Internet Explorer and of Local System allow the Intune service and that the PC reaches the internet.",
            "The legacy agent is retired: prefer Windows MDM enrollment.",
        ],
    },
    DeviceCause {
        id: "device-legacy-agent-package-problem",
        title: "Legacy PC agent: the client package is out of date, incomplete or unsupported, or the computer is retired or already enrolled",
        error_codes: &[
            "0x80043001", "0x80CF3001", "0x80043004", "0x80CF3004", "0x80043005", "0x80CF3005",
            "0x80043007", "0x80CF3007", "0x80043008", "0x80CF3008", "0x80043009", "0x80CF3009",
            "0x8004300B", "0x80CF300B", "0x00000AB2",
        ],
        article_sections: &["enrollment-error-codes"],
        steps: &[
            "Out of date (…3001, …3004): download the current client software package and install it.",
            "Certificate file not found (…3007): extract every file of the package into one folder, rename nothing, then install.",
            "Retired (…3005): wait a few hours, remove older client software, then install again; already enrolled (…3009): retire the computer first.",
            "Unsupported Windows (…300B), service start failure (…3008) or 0xAB2: the retired agent can't run here; enroll the PC with Windows MDM instead, or contact Microsoft support.",
        ],
    },
    DeviceCause {
        id: "device-legacy-agent-restart-pending",
        title: "Legacy PC agent: a restart is pending, or Windows updates the client needs are missing",
        error_codes: &["0x8024D015", "0x00240005", "0x80070BC2", "0x80070BC9", "0x80CFD015", "0x80070032"],
        article_sections: &["enrollment-error-codes"],
        steps: &[
            "Restart the PC, then install the client software again.",
            "For 0x80070032, install the missing Windows updates first.",
        ],
    },
    DeviceCause {
        id: "device-tpm-attestation-fails",
        title: "TPM attestation fails in self-deploying or pre-provisioning mode (TPM firmware, Windows update or clock)",
        error_codes: &["0x81039001", "0x81039023", "0x81039024", "0x80070490"],
        article_sections: &[
            "tpm-attestation-failure-with-error-code-0x81039001",
            "tpm-attestation-failure-on-windows-11-error-code-0x81039023",
            "tpm-attestation-failure-on-windows-11-error-code-0x81039024",
            "tpm-attestation-isnt-working-on-amd-platforms-with-asp-ftpm",
            "tpm-attestation-isnt-working-on-some-platforms-with-infineon-slb9672-discrete-tpms",
            "windows-autopilot-device-provisioning-can-fail",
        ],
        steps: &[
            "Retry: 0x81039001 is often intermittent. After a failed pre-provisioning, start again from a clean install rather than the Reset button, whose retry can fail attestation.",
            "Fix the clock: at the start of OOBE connect to the network, press Shift+F10 and run w32tm /resync /force.",
            "0x81039023 on Windows 11: install the May 2022 cumulative update (KB5013943) or later; Intel Tiger Lake on Windows 10 21H2 needs KB5007253 or later.",
            "0x81039024, \"TPM attestation timed out\" (Infineon SLB9672 firmware 15.22), 0x80070490 (AMD fTPM) and ST Micro or Nuvoton RSA-3072 TPMs: update the TPM or UEFI firmware from the manufacturer.",
        ],
    },
    DeviceCause {
        id: "device-vm-too-small",
        title: "The virtual machine has fewer than 2 processors or less than 4 GB of memory",
        error_codes: &[],
        article_sections: &["virtual-machine-failing-at-preparing-your-device-for-mobile-management"],
        steps: &["Give the virtual machine at least 2 virtual processors and 4 GB of memory, then start the deployment again."],
    },
    DeviceCause {
        id: "device-signed-in-with-other-tenant-account",
        title: "The user signed in with an account of another tenant than the one the device is registered to",
        error_codes: &[],
        article_sections: &["that-username-looks-like-it-belongs-to-another-organization-try-signing-in-again-or-start-over-with-a-different-account"],
        steps: &[
            "Sign in with an account of the tenant the device is registered to in Windows Autopilot.",
            "Compare CloudAssignedTenantDomain and CloudAssignedTenantId with AadTenantId under HKLM\\SOFTWARE\\Microsoft\\Provisioning\\Diagnostics\\Autopilot; TenantMatched = 0 confirms the mismatch.",
            "If the device is registered in the wrong tenant, deregister it there and register it in the right one.",
        ],
    },
    DeviceCause {
        id: "device-autopilot-configuration-file-removed",
        title: "Autopilot for existing devices: Sysprep /generalize deleted AutopilotConfigurationFile.json, or the file isn't ANSI",
        error_codes: &[],
        article_sections: &["windows-autopilot-for-existing-devices-doesnt-work"],
        steps: &[
            "In the Configuration Manager task sequence, disable the Prepare Windows for Capture step (it runs Sysprep /generalize).",
            "Add a Run command-line step with C:\\Windows\\System32\\sysprep\\sysprep.exe /oobe /reboot.",
            "Save AutopilotConfigurationFile.json as ANSI/ASCII, not Unicode or UTF-8.",
        ],
    },
    DeviceCause {
        id: "device-provisioning-package-with-autopilot",
        title: "A provisioning package with join, enrollment or device-name settings is applied together with Autopilot",
        error_codes: &[],
        article_sections: &["using-a-provisioning-package-in-combination-with-windows-autopilot-can-cause-issues-especially-if-the-ppkg-contains-join-enrollment-or-device-name-information"],
        steps: &[
            "Remove the provisioning package, or its join, enrollment and device-name settings: Autopilot does those.",
            "Deploy the remaining settings through Intune after enrollment.",
        ],
    },
    DeviceCause {
        id: "device-windows-below-device-preparation-minimum",
        title: "Windows is older than Autopilot device preparation needs (Windows 11 24H2, or 23H2/22H2 with KB5035942)",
        error_codes: &[],
        article_sections: &["windows-autopilot-device-preparation-experience-never-launches-during-the-out-of-box-experience-oobe"],
        steps: &[
            "Check the build before first boot: Windows 11 24H2, or 23H2/22H2 with KB5035942 or later.",
            "Ask the OEM for devices with the update installed, or install Windows from media that has the latest cumulative update.",
        ],
    },
    DeviceCause {
        id: "device-joined-to-another-tenant",
        title: "The PC was joined to another tenant and not unjoined: the old tenant's data in CloudDomainJoin\\TenantInfo blocks the PRT",
        error_codes: &["0x8018002B"],
        article_sections: &["80180002b-error-during-windows-10-group-policy-based-auto-enrollment-to-intune"],
        steps: &[
            "Run dsregcmd /status: AzureAdPrt NO with a wrong TenantId or AuthCodeUrl confirms this cause.",
            "Run dsregcmd /leave in an elevated prompt, then delete the device in Microsoft Entra ID.",
            "Unjoin the PC from the domain, delete its computer object, join it again and run Start-ADSyncSyncCycle -PolicyType Delta.",
            "Check dsregcmd /status shows AzureAdJoined and DomainJoined YES; sign out and in until AzureAdPrt is YES with the right tenant, then run gpupdate /force.",
        ],
    },
    DeviceCause {
        id: "device-user-not-local-administrator",
        title: "Company Portal enrollment by a user who isn't a local administrator",
        error_codes: &[],
        article_sections: &["you-cant-enroll-a-windows-device-in-intune-with-a-non-administrator-account"],
        steps: &[
            "Enroll an already configured PC with an account in the local Administrators group, or",
            "enroll with Windows Autopilot or by joining a new PC to Microsoft Entra in the out-of-box experience (they use the system account).",
        ],
    },
    DeviceCause {
        id: "device-cloned-image-not-generalized",
        title: "The image was captured from an enrolled or joined PC, or not generalized with Sysprep",
        error_codes: &["0x80090016"],
        article_sections: &["sysprep-will-not-run-correctly-on-a-windows-10-device-that-has-been-mdm-enrolled", "tpm-errors"],
        steps: &[
            "Never capture an image from a PC that is Entra joined, hybrid joined, registered, co-managed or enrolled in Intune.",
            "Build images in a workgroup VM with a repeatable task sequence and run sysprep /generalize last.",
            "Reinstall the affected PCs from a generalized image, or reset them and let Windows Autopilot set them up.",
        ],
    },
    DeviceCause {
        id: "device-windows-update-for-hybrid-timeout",
        title: "Hybrid join Autopilot deployments time out (0x80004005): a Windows bug fixed by a cumulative update",
        error_codes: &["0x80004005"],
        article_sections: &["microsoft-entra-hybrid-join-autopilot-deployments-time-out-with-error-code-0x80004005"],
        steps: &["Deploy with KB5065789 (25H2), KB5065426 (24H2) or KB5070312 (23H2) or a later update installed, for example from updated installation media."],
    },
    DeviceCause {
        id: "device-autopilot-csv-hash-invalid",
        title: "The Autopilot CSV was changed by an editor, or its hardware hash isn't padded Base64",
        error_codes: &[],
        article_sections: &["when-trying-to-import-a-csv-file-with-a-device-hardware-hash-why-does-nothing-happen-when-selecting-import"],
        steps: &[
            "Edit the CSV only in Notepad: Excel and other editors add characters that break the format.",
            "If the import answers 400 'Edm.Binary', test the hash with [System.Convert]::FromBase64String and pad it (add '=', at most two; or replace '==' with 'A') until it decodes, then import again.",
        ],
    },
    DeviceCause {
        id: "device-autopilot-registered-elsewhere",
        title: "Autopilot import 806/808: the device is already registered in this tenant, another tenant or Microsoft Store for Business",
        error_codes: &["806", "808"],
        article_sections: &["error-806-or-808-when-you-import-windows-autopilot-device-csv-files-in-intune"],
        steps: &[
            "806: the device is already registered in this tenant; find it under Windows Autopilot devices instead of importing it again.",
            "808 or a Store for Business record: remove the device there (Store for Business > Manage > Devices > Remove devices) or have the other tenant deregister it, then import again.",
            "If no record can be found, open a Microsoft support request with the CSV, proof of ownership and an Mdmdiagnosticstool.exe -area Autopilot -cab log.",
        ],
    },
    DeviceCause {
        id: "device-autopilot-hash-not-registered",
        title: "Autopilot event 807/908: the hardware hash isn't registered, or the hardware differs from the registration",
        error_codes: &["807", "908"],
        article_sections: &["what-do-the-different-event-ids-mean-in-the-windows-autopilot-event-log-entries-in-event-viewer"],
        steps: &[
            "807: upload the device's hardware hash to Windows Autopilot, assign a profile and restart the device.",
            "908 (serial number or product key mismatch): deregister the device, register it again, then re-enroll.",
        ],
    },
    DeviceCause {
        id: "device-intune-connector-server-setup",
        title: "The Intune Connector for Active Directory can't be set up or run on its server (MSA, domain controllers, local policy, network)",
        error_codes: &["0x8007202F"],
        article_sections: &["troubleshooting-the-intune-connector-for-active-directory"],
        steps: &[
            "Update the connector to 6.2501.2000.5 or later (6.2504.2001.8 fixes 'MSA account is not valid'); uninstall the legacy connector.",
            "'Cannot start service ODJConnectorSvc': let domain controller replication finish, choose Configure MSA again, and grant the MSA Log on as a service where a policy restricts it.",
            "'A constraint violation occurred' (0x8007202F): raise the computer account limit on the OU for the connector's account.",
            "'The MSA account couldn't be granted permission': check the installing admin's rights and that the OU in ODJConnectorEnrollmentWizard.exe.config exists (ODJConnectorUI.log says which).",
            "'Navigation to the webpage was canceled': let the server reach the Intune and Autopilot endpoints over TLS 1.2.",
        ],
    },
    DeviceCause {
        id: "device-gpo-conflicts-with-autopilot",
        title: "On-premises Group Policy or registry settings break Autopilot autologon or pre-provisioning",
        error_codes: &[],
        article_sections: &["what-are-some-of-the-known-policies-that-conflict-with-windows-autopilot"],
        steps: &[
            "Run gpresult /h report.html on an affected PC.",
            "For pre-provisioning, leave these GPO settings off: Interactive logon message title and text, Require Windows Hello for Business or smart card, and the UAC prompt for credentials on the secure desktop.",
            "Don't apply 'Disallow changing of language/region/keyboard' during OOBE (hide those pages in the profile instead), and don't set AutoAdminLogon to 0.",
        ],
    },
    DeviceCause {
        id: "device-configmgr-cloud-management-not-configured",
        title: "Co-management: Configuration Manager tries Windows integrated authentication while the domain isn't federated",
        error_codes: &["0xCAA9001F", "AADSTS50155"],
        article_sections: &["mdm-enrollment-fails-with-error-0xcaa9001f-for-co-managed-windows-devices"],
        steps: &[
            "In Configuration Manager, configure Azure Services for Cloud Management.",
            "Enable both Active Directory User Discovery and Microsoft Entra User Discovery for the affected users.",
            "Watch CoManagementHandler.log: the client retries every 15 minutes.",
        ],
    },
    DeviceCause {
        id: "device-stale-enrollment-cname-records",
        title: "DNS still points EnterpriseEnrollment/EnterpriseRegistration CNAMEs at Microsoft after the Intune subscription ended",
        error_codes: &[],
        article_sections: &["devices-continue-to-try-to-enroll-in-a-canceled-intune-subscription"],
        steps: &[
            "For every verified domain run nslookup -type=cname enterpriseenrollment.<domain> and enterpriseregistration.<domain>.",
            "At the registrar, delete CNAMEs that point to manage.microsoft.com or EnterpriseRegistration.windows.net and add the new provider's records.",
        ],
    },
    DeviceCause {
        id: "device-adfs-multiple-domains",
        title: "AD FS 2.0 federates several top-level UPN suffixes without SupportMultipleDomain",
        error_codes: &[],
        article_sections: &["unable-to-sign-in-or-enroll-devices-when-you-have-multiple-verified-domains"],
        steps: &[
            "Install the AD FS 2.0 rollup and federate every top-level domain with the SupportMultipleDomain switch, or run one federation service per UPN suffix.",
        ],
    },
    DeviceCause {
        id: "device-auto-enrollment-gpo-not-applied",
        title: "Automatic enrollment never starts: the GPO doesn't reach the PC, the PC isn't hybrid joined, or Windows is too old",
        error_codes: &[],
        article_sections: &["troubleshoot-the-auto-enrollment-task"],
        steps: &[
            "Run dsregcmd /status: AzureAdJoined and DomainJoined must be YES, and AzureAdPrt YES for the signed-in user.",
            "Check with gpresult that 'Enable automatic MDM enrollment using default Microsoft Entra credentials' applies, and that the task exists under Task Scheduler > Microsoft > Windows > EnterpriseMgmt.",
            "Check Windows is version 1709 or later.",
        ],
    },
    DeviceCause {
        id: "device-comanagement-enrollment-conditions",
        title: "Co-management enrollment: the user didn't answer the MFA prompt, the PC has no Microsoft Entra token, or Windows is too old",
        error_codes: &["0x8018002A", "0x80180002", "0xCAA9004D", "0xCAA90014", "0xCAA20003", "0x80070032"],
        article_sections: &["enrollment-errors"],
        steps: &[
            "0x8018002A: have users sign in to Windows with multifactor authentication and answer the enrollment notification; Configuration Manager retries.",
            "0x80180002 and the ADAL errors: check with dsregcmd /status that the PC is hybrid joined, holds a PRT (AzureAdPrt YES) and reaches Microsoft Entra ID.",
            "0x80070032: upgrade Windows to 1709 or later.",
        ],
    },
    DeviceCause {
        id: "device-hybrid-join-scp-or-sync",
        title: "Hybrid join: the service connection point names the wrong tenant, or Entra Connect hasn't synced the computer yet",
        error_codes: &["0x801C003A", "0x801C03F2"],
        article_sections: &["http-errors", "sync-join-server-errors"],
        steps: &[
            "0x801c003a: check the service connection point in Active Directory holds the right Microsoft Entra tenant ID and the tenant has an active subscription.",
            "0x801c03f2: check the computer's OU is in Entra Connect's sync scope, wait for (or run) a sync, then join again.",
        ],
    },
    DeviceCause {
        id: "device-previously-entra-joined",
        title: "A device joined by Workplace Join is blocked because it was once Microsoft Entra joined to the tenant",
        error_codes: &[],
        article_sections: &["blocking-personal-windows-devices"],
        steps: &["Deregister the device and delete its old object in Microsoft Entra ID, then join it by Workplace Join again."],
    },
    DeviceCause {
        id: "device-autopilot-reset-failed",
        title: "Autopilot Reset fails (not an enrollment failure)",
        error_codes: &[],
        article_sections: &["why-does-windows-autopilot-reset-fail-immediately-with-an-error"],
        steps: &[
            "Sign in with an administrator account to see why, and reset manually.",
            "'Could not find the recovery environment': if the recovery environment is fine, enter administrator credentials to continue the reset.",
        ],
    },
];
