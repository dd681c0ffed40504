//! The company, address and NPWP a business customer needs on its tax invoices. Each invoice
//! copies them as it is issued ([`crate::billing::invoices::issue`]); a change reaches the
//! invoices not yet paid too, since those are not final, and never a paid one.

use chrono::Utc;

use super::{AccountError, Accounts, User};
use crate::caller::Caller;
use crate::error::Code;
use crate::tx_run;
use model::accounts::BillingDetails;
use model::inputs::{InvalidNpwp, Npwp};
use model::status::InvoiceStatus;

/// What the customer typed; empty fields clear what was there.
#[derive(Clone, Copy, Debug, Default)]
pub struct BillingDetailsUpdate<'a> {
    pub company: Option<&'a str>,
    pub address: Option<&'a str>,
    pub npwp: Option<&'a str>,
}

const COMPANY_MAX_CHARS: usize = 200;
const ADDRESS_MAX_CHARS: usize = 500;
const ADDRESS_MAX_LINES: usize = 6;

impl From<InvalidNpwp> for AccountError {
    fn from(_: InvalidNpwp) -> Self {
        AccountError::invalid("npwp", InvalidNpwp::CODE, InvalidNpwp::MESSAGE)
    }
}

impl BillingDetailsUpdate<'_> {
    /// The details as they are stored and printed: trimmed, the address one line per line of
    /// the letterhead, the NPWP in its written form.
    pub fn parse(self) -> Result<BillingDetails, AccountError> {
        let filled = |raw: Option<&str>| {
            raw.map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let company = filled(self.company);
        if company.as_deref().is_some_and(|company| {
            company.chars().count() > COMPANY_MAX_CHARS || company.chars().any(char::is_control)
        }) {
            return Err(AccountError::invalid(
                "company",
                Code::CompanyNameInvalid,
                "enter a company name of up to 200 characters",
            ));
        }
        let address = filled(self.address).map(|address| {
            address
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        });
        if address.as_deref().is_some_and(|address| {
            address.chars().count() > ADDRESS_MAX_CHARS
                || address.lines().count() > ADDRESS_MAX_LINES
                || address.chars().any(|c| c.is_control() && c != '\n')
        }) {
            return Err(AccountError::invalid(
                "address",
                Code::BillingAddressInvalid,
                "enter an address of up to 6 lines and 500 characters",
            ));
        }
        let npwp = filled(self.npwp)
            .map(|npwp| Npwp::parse(&npwp).map(Npwp::into_string))
            .transpose()?;
        Ok(BillingDetails {
            company,
            address,
            npwp,
        })
    }
}

impl Accounts {
    /// Saves the caller's billing details and prints them on their unpaid invoices.
    pub async fn update_billing_details(
        &self,
        caller: &Caller,
        update: BillingDetailsUpdate<'_>,
    ) -> Result<User, AccountError> {
        let details = update.parse()?;
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE users SET company_name = $1, billing_address = $2, npwp = $3, \
                 updated_at = $4 WHERE id = $5",
            )
            .bind(&details.company)
            .bind(&details.address)
            .bind(&details.npwp)
            .bind(now)
            .bind(caller.user_id)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE invoices SET customer_company = $1, customer_address = $2, \
                 customer_npwp = $3, updated_at = $4 WHERE user_id = $5 AND status = $6",
            )
            .bind(&details.company)
            .bind(&details.address)
            .bind(&details.npwp)
            .bind(now)
            .bind(caller.user_id)
            .bind(InvoiceStatus::Unpaid.as_str())
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?.public();
        tx.commit().await?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(company: &str, address: &str, npwp: &str) -> Result<BillingDetails, Code> {
        BillingDetailsUpdate {
            company: Some(company),
            address: Some(address),
            npwp: Some(npwp),
        }
        .parse()
        .map_err(|error| error.code())
    }

    #[test]
    fn details_are_tidied_for_the_letterhead() {
        assert_eq!(
            parsed(
                "  PT Maju Jaya ",
                " Jl. Sudirman 1 \r\n\r\n  Jakarta 10220 ",
                "012345678901000"
            ),
            Ok(BillingDetails {
                company: Some("PT Maju Jaya".to_owned()),
                address: Some("Jl. Sudirman 1\nJakarta 10220".to_owned()),
                npwp: Some("01.234.567.8-901.000".to_owned()),
            })
        );
        assert_eq!(parsed(" ", "", "  "), Ok(BillingDetails::default()));
    }

    #[test]
    fn bad_details_say_which_field() {
        assert_eq!(
            parsed(&"x".repeat(201), "", ""),
            Err(Code::CompanyNameInvalid)
        );
        assert_eq!(parsed("PT\u{7}", "", ""), Err(Code::CompanyNameInvalid));
        assert_eq!(
            parsed("", "1\n2\n3\n4\n5\n6\n7", ""),
            Err(Code::BillingAddressInvalid)
        );
        assert_eq!(
            parsed("", &"x".repeat(501), ""),
            Err(Code::BillingAddressInvalid)
        );
        assert_eq!(parsed("", "", "0123"), Err(Code::NpwpInvalid));
    }
}
