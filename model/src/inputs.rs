//! Inputs with a rule both sides apply: the browser checks a form before sending it, the server
//! checks again (and maps the refusal to its own error), and both use this one rule.

use std::fmt;

macro_rules! refusal {
    ($(#[$doc:meta])* $name:ident, $code:ident, $message:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;

        impl $name {
            /// The code the UI translates.
            pub const CODE: crate::error::Code = crate::error::Code::$code;
            /// What API clients read.
            pub const MESSAGE: &'static str = $message;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(Self::MESSAGE)
            }
        }

        impl std::error::Error for $name {}
    };
}

refusal!(
    /// Not an e-mail address [`Email::parse`] accepts.
    InvalidEmail,
    InvalidEmail,
    "enter a valid e-mail address"
);

refusal!(
    /// Not a host name [`Hostname::parse`] accepts.
    InvalidHostname,
    HostnameInvalid,
    "use letters, digits and hyphens (not at the start or end), dots between parts, up to 253 characters, e.g. web-1.example.id"
);

refusal!(
    /// Not a tax id [`Npwp::parse`] accepts.
    InvalidNpwp,
    NpwpInvalid,
    "enter an NPWP of 15 digits (01.234.567.8-901.000) or 16 digits"
);

/// A Nomor Pokok Wajib Pajak: the 15-digit form, written `01.234.567.8-901.000`, or the 16-digit
/// form (the NIK-based one used since 2024), written as its digits. Dots, dashes and spaces are
/// accepted on input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Npwp(String);

impl Npwp {
    pub fn parse(raw: &str) -> Result<Self, InvalidNpwp> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, '.' | '-' | ' '))
            .collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidNpwp);
        }
        match digits.len() {
            15 => Ok(Self(format!(
                "{}.{}.{}.{}-{}.{}",
                &digits[0..2],
                &digits[2..5],
                &digits[5..8],
                &digits[8..9],
                &digits[9..12],
                &digits[12..15]
            ))),
            16 => Ok(Self(digits)),
            _ => Err(InvalidNpwp),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Lower-cased, trimmed e-mail address with one `@`, a dotted domain and no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = raw.trim().to_lowercase();
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail);
        }
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(InvalidEmail);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, each up to
/// 63 characters, 253 in all; kept lower-case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hostname(String);

impl Hostname {
    pub fn parse(raw: &str) -> Result<Self, InvalidHostname> {
        let hostname = raw.trim().to_ascii_lowercase();
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if hostname.is_empty() || hostname.len() > 253 || !hostname.split('.').all(label_ok) {
            return Err(InvalidHostname);
        }
        Ok(Self(hostname))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Budi@Example.CO.id ").map(|email| email.as_str().to_owned()),
            Ok("budi@example.co.id".to_owned())
        );
        for bad in [
            "",
            "budi",
            "budi@",
            "@example.com",
            "budi@example",
            "bu di@example.com",
            "a@b@c.com",
            "budi@exa_mple.com",
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    #[test]
    fn npwps_are_written_the_way_the_tax_office_writes_them() {
        assert_eq!(
            Npwp::parse(" 012345678901000 ").map(Npwp::into_string),
            Ok("01.234.567.8-901.000".to_owned())
        );
        assert_eq!(
            Npwp::parse("01.234.567.8-901.000").map(Npwp::into_string),
            Ok("01.234.567.8-901.000".to_owned())
        );
        assert_eq!(
            Npwp::parse("3171 0123 4567 8901").map(Npwp::into_string),
            Ok("3171012345678901".to_owned())
        );
        for bad in [
            "",
            "0123",
            "01234567890100",
            "01234567890123456",
            "01.234.567.8-901.00A",
        ] {
            assert_eq!(Npwp::parse(bad), Err(InvalidNpwp), "{bad}");
        }
    }

    #[test]
    fn hostnames_are_lower_cased_and_checked() {
        assert_eq!(
            Hostname::parse(" Web-1.Example.id ").map(Hostname::into_string),
            Ok("web-1.example.id".to_owned())
        );
        assert_eq!(
            Hostname::parse("1a").map(Hostname::into_string),
            Ok("1a".to_owned())
        );
        for bad in ["", "-web", "web-", "web..id", "web_1", "wéb", "web 1", "."] {
            assert_eq!(Hostname::parse(bad), Err(InvalidHostname), "{bad}");
        }
        assert!(Hostname::parse(&"a".repeat(64)).is_err(), "a label over 63");
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        assert!(Hostname::parse(&long).is_err(), "over 253 in all");
        assert_eq!(InvalidHostname.to_string(), InvalidHostname::MESSAGE);
    }
}
