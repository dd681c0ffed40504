//! Money is whole rupiah: Indonesia prices have no cents, so an `i64` holds every amount exactly.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rupiah(pub i64);

impl fmt::Display for Rupiah {
    /// `Rp 1.250.000`: dots between thousands, as Indonesians write it, on Indonesian and
    /// English pages alike (the currency is Indonesian, so is its notation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let sign = if self.0 < 0 { "-" } else { "" };
        f.write_str(sign)?;
        f.write_str("Rp ")?;
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                f.write_str(".")?;
            }
            write!(f, "{digit}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Rupiah;

    #[test]
    fn rupiah_groups_thousands_with_dots() {
        assert_eq!(Rupiah(0).to_string(), "Rp 0");
        assert_eq!(Rupiah(999).to_string(), "Rp 999");
        assert_eq!(Rupiah(1_000).to_string(), "Rp 1.000");
        assert_eq!(Rupiah(75_000).to_string(), "Rp 75.000");
        assert_eq!(Rupiah(1_250_000).to_string(), "Rp 1.250.000");
        assert_eq!(Rupiah(-5_000).to_string(), "-Rp 5.000");
    }
}
