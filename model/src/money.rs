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

/// A rate in basis points as a percentage: `11`, or `11,5` with `decimal` = `,`.
pub fn tax_percent(rate_bp: i64, decimal: char) -> String {
    let (whole, rest) = (rate_bp / 100, rate_bp % 100);
    if rest == 0 {
        whole.to_string()
    } else {
        format!(
            "{whole}{decimal}{}",
            format!("{rest:02}").trim_end_matches('0')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Rupiah, tax_percent};

    #[test]
    fn tax_rates_read_as_percentages() {
        assert_eq!(tax_percent(1_100, ','), "11");
        assert_eq!(tax_percent(1_200, ','), "12");
        assert_eq!(tax_percent(1_150, ','), "11,5");
        assert_eq!(tax_percent(1_125, '.'), "11.25");
        assert_eq!(tax_percent(0, ','), "0");
    }

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
