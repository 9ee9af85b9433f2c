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
];
