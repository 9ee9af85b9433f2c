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
        codes: &["0x80180014"],
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
    },
];

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
    let hex = lower.strip_prefix("0x").unwrap_or(&lower);
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    if let Some((_, canonical)) = MISPRINTS.iter().find(|(m, _)| *m == hex) {
        return Some(canonical.to_string());
    }
    // Event logs print codes as signed decimals sometimes; the article uses hex only, so
    // only 8-digit hex is a code.
    (hex.len() == 8).then(|| format!("0x{}", hex.to_ascii_uppercase()))
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
        .filter(|s| {
            fold(s.message).contains(&needle)
                || fold(s.message_nl).contains(&needle)
                || fold(&s.anchor.replace('-', " ")).contains(&needle)
        })
        .collect()
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
