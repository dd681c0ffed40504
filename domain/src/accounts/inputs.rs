//! Validated inputs, built once at the edge: a value of these types is known to be acceptable.

use super::AccountError;
use super::TimeZone;
use crate::error::Code;

/// The rule is shared with the browser's forms; a refusal here is the account's field error.
pub use model::inputs::Email;

impl From<model::inputs::InvalidEmail> for AccountError {
    fn from(_: model::inputs::InvalidEmail) -> Self {
        use model::inputs::InvalidEmail;
        AccountError::invalid("email", InvalidEmail::CODE, InvalidEmail::MESSAGE)
    }
}

/// A person's display name: 1–100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AccountError::invalid(
                "name",
                Code::InvalidName,
                "enter a name of 1 to 100 characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An Indonesian phone number in international form: `+62` and 8–13 more digits. Spaces and
/// dashes are accepted on input, and a leading `0` (domestic form) becomes `+62`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let national = compact
            .strip_prefix("+62")
            .or_else(|| compact.strip_prefix('0'))
            .unwrap_or("");
        if !(8..=13).contains(&national.len())
            || !national.starts_with(|c: char| ('1'..='9').contains(&c))
            || !national.chars().all(|c| c.is_ascii_digit())
        {
            return Err(AccountError::invalid(
                "phone",
                Code::InvalidPhone,
                "enter an Indonesian number such as +62 812 3456 7890",
            ));
        }
        Ok(Self(format!("+62{national}")))
    }

    /// `None` for an empty field, the parsed number otherwise.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, AccountError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => Self::parse(raw).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub use model::Language;

/// A time zone named by the profile form or an API client: one of [`TimeZone::ALL`].
pub fn time_zone(iana: &str) -> Result<TimeZone, AccountError> {
    TimeZone::from_iana(iana.trim()).ok_or_else(|| {
        AccountError::invalid(
            "time_zone",
            Code::TimeZoneUnknown,
            "choose WIB (Asia/Jakarta), WITA (Asia/Makassar), WIT (Asia/Jayapura) or UTC",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn a_refused_email_is_a_field_error_on_email() {
        let error = AccountError::from(Email::parse("budi@").unwrap_err());
        assert_eq!(
            (error.code(), error.field()),
            (Code::InvalidEmail, Some("email"))
        );
    }

    #[test]
    fn indonesian_phone_numbers_are_normalised() {
        assert_eq!(
            Phone::parse("+62 812-3456-7890").unwrap().as_str(),
            "+6281234567890"
        );
        assert_eq!(
            Phone::parse("081234567890").unwrap().as_str(),
            "+6281234567890"
        );
        for bad in [
            "+1 555 123 4567",
            "12345",
            "+62 0812 3456",
            "+62abc4567890",
            "+6281234567890123",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Phone::parse_optional(Some("  ")).unwrap(), None);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("  Siti Nurhaliza ").unwrap().as_str(),
            "Siti Nurhaliza"
        );
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
        assert!(PersonName::parse("bad\u{0}name").is_err());
    }
}
