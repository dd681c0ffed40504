//! The setup checklist an admin sees until the shop can take real orders: a plan on sale, the
//! seller's details on invoices, an SMTP server, Tripay and a real cloud. Each step's state is
//! read from what the installation has now, never stored, so it is done the moment it is.

use model::admin::{SetupState, SetupStep};

use crate::AppState;
use crate::caller::{Caller, NotAdmin};
use crate::catalog::CatalogError;
use crate::error::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Forbidden(#[from] NotAdmin),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl ErrorCode for SetupError {
    fn code(&self) -> Code {
        match self {
            Self::Forbidden(error) => error.code(),
            Self::Catalog(error) => error.code(),
        }
    }
}

/// Every step in the order a new shop takes them, with whether it is done; admins only.
pub async fn checklist(state: &AppState, caller: &Caller) -> Result<Vec<SetupState>, SetupError> {
    caller.require_admin()?;
    let on_sale = !state.catalog.public_plans().await?.is_empty();
    let seller = &state.orders.config().seller;
    let real_cloud = state
        .providers
        .all()
        .any(|provider| provider.name() != crate::sandbox::NAME);
    Ok(SetupStep::ALL
        .into_iter()
        .map(|step| SetupState {
            step,
            done: match step {
                SetupStep::PlanOnSale => on_sale,
                SetupStep::SellerDetails => {
                    !seller.address.trim().is_empty() && !seller.npwp.trim().is_empty()
                }
                SetupStep::Smtp => state.smtp_delivery,
                SetupStep::PaymentGateway => state.billing.takes_real_money(),
                SetupStep::CloudProvider => real_cloud,
            },
        })
        .collect())
}
