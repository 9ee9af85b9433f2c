//! The current Microsoft pages checks follow: one constant per page, so that a check's
//! `references` name a page and the heading under which it documents the cause. Headings are
//! those of the pages as read for `shared/COVERAGE.md`.

use crate::catalog::Reference;

/// A page: its title and canonical Learn URL.
pub struct Page {
    pub title: &'static str,
    pub url: &'static str,
}

impl Page {
    /// A reference to `heading` on this page.
    pub const fn at(&self, heading: &'static str) -> Reference {
        Reference {
            title: self.title,
            url: self.url,
            heading,
        }
    }
}

pub const WINDOWS_ENROLLMENT_ERRORS: Page = Page {
    title: "Troubleshoot Windows device enrollment errors in Intune",
    url: "https://learn.microsoft.com/en-us/troubleshoot/mem/intune/device-enrollment/troubleshoot-windows-enrollment-errors",
};
pub const USER_CANNOT_ENROLL: Page = Page {
    title: "Windows user is not authorized to enroll",
    url: "https://learn.microsoft.com/en-us/troubleshoot/mem/intune/device-enrollment/windows-user-cannot-enroll",
};
pub const AUTO_ENROLLMENT: Page = Page {
    title: "Troubleshoot Windows auto-enrollment issues in Intune",
    url: "https://learn.microsoft.com/en-us/troubleshoot/mem/intune/device-enrollment/troubleshoot-windows-auto-enrollment",
};
pub const DEVICE_ENROLLMENT: Page = Page {
    title: "Troubleshoot device enrollment in Microsoft Intune",
    url: "https://learn.microsoft.com/en-us/troubleshoot/mem/intune/device-enrollment/troubleshoot-device-enrollment-in-intune",
};
pub const RESTRICTIONS: Page = Page {
    title: "Overview of enrollment restrictions - Microsoft Intune",
    url: "https://learn.microsoft.com/en-us/intune/device-enrollment/restrictions",
};
pub const PLATFORM_RESTRICTIONS: Page = Page {
    title: "Create device platform restrictions - Microsoft Intune",
    url: "https://learn.microsoft.com/en-us/intune/device-enrollment/create-platform-restrictions",
};
pub const LIMITS: Page = Page {
    title: "Intune and Microsoft Entra device limits",
    url: "https://learn.microsoft.com/en-us/intune/device-enrollment/limits-intune-entra",
};
pub const AUTOMATIC_MDM: Page = Page {
    title: "Enable Windows automatic enrollment - Microsoft Intune",
    url: "https://learn.microsoft.com/en-us/intune/device-enrollment/windows/enable-automatic-mdm",
};
pub const AUTOPILOT_FAQ: Page = Page {
    title: "Windows Autopilot troubleshooting FAQ",
    url: "https://learn.microsoft.com/en-us/autopilot/troubleshooting-faq",
};
pub const APPLOCKER_CSP: Page = Page {
    title: "AppLocker CSP",
    url: "https://learn.microsoft.com/en-us/windows/client-management/mdm/applocker-csp",
};
pub const AUTOPILOT_KNOWN_ISSUES: Page = Page {
    title: "Windows Autopilot known issues",
    url: "https://learn.microsoft.com/en-us/autopilot/known-issues",
};
pub const AUTOPILOT_DEVICE_ENROLLMENT: Page = Page {
    title: "Troubleshoot Windows Autopilot device import and enrollment",
    url: "https://learn.microsoft.com/en-us/autopilot/troubleshoot-device-enrollment",
};
pub const AUTOPILOT_SELF_DEPLOYING: Page = Page {
    title: "Windows Autopilot self-deploying mode",
    url: "https://learn.microsoft.com/en-us/autopilot/self-deploying",
};
pub const CORPORATE_IDENTIFIERS: Page = Page {
    title: "Add corporate identifiers - Microsoft Intune",
    url: "https://learn.microsoft.com/en-us/intune/device-enrollment/add-corporate-identifiers",
};
pub const DEVICE_PREPARATION_FAQ: Page = Page {
    title: "Windows Autopilot device preparation troubleshooting FAQ",
    url: "https://learn.microsoft.com/en-us/autopilot/device-preparation/troubleshooting-faq",
};
pub const DEVICE_PREPARATION_KNOWN_ISSUES: Page = Page {
    title: "Windows Autopilot device preparation known issues",
    url: "https://learn.microsoft.com/en-us/autopilot/device-preparation/known-issues",
};
pub const DEVICE_PREPARATION_DEVICE_GROUP: Page = Page {
    title: "User-driven Microsoft Entra join: Create a device group",
    url: "https://learn.microsoft.com/en-us/autopilot/device-preparation/tutorial/user-driven/entra-join-device-group",
};
