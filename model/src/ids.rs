//! One type per kind of id, so an order id cannot be passed where an invoice id is meant. On
//! the wire and in the database each is the plain integer it wraps.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    )*};
}

ids! {
    /// A customer's or an admin's account.
    UserId,
    OrderId,
    InvoiceId,
    PaymentId,
    /// A server as the customer knows it (the UI says "server", the code says "instance").
    InstanceId,
    PlanId,
    RegionId,
    ImageId,
    SshKeyId,
    CouponId,
    NotificationId,
    JobId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_plain_numbers() {
        let id = OrderId(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!("42".parse::<OrderId>(), Ok(id));
        assert!("forty-two".parse::<OrderId>().is_err());
        assert_eq!(i64::from(id), 42);
    }
}
