//! Every lifecycle as a status enum with its one table of legal moves. Code that changes a
//! status asks the table first, so a move the table does not list cannot happen anywhere.
//!
//! Each enum travels (serde, the database's TEXT column) as the snake_case name [`Status::as_str`]
//! gives it; [`statuses!`] writes that name once per variant, so the wire form, the stored form
//! and `parse` cannot drift apart.

mod instance;
mod invoice;
mod job;
mod order;
mod payment;
mod resize;

pub use instance::InstanceStatus;
pub use invoice::InvoiceStatus;
pub use job::JobState;
pub use order::OrderStatus;
pub use payment::PaymentStatus;
pub use resize::ResizeStatus;

/// What every lifecycle's status offers, so the server can move any of them with one
/// compare-and-set.
pub trait Status: Copy + Eq + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static {
    /// What has this status, for messages: `invoice`, `payment`…
    const SUBJECT: &'static str;
    /// Every status, in the order of its life.
    const ALL: &'static [Self];

    /// The stored and serialised name.
    fn as_str(self) -> &'static str;

    /// Whether something in this status may move to `next`; never to itself.
    fn can_become(self, next: Self) -> bool;

    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|status| status.as_str() == text)
    }

    /// No way out: nothing more happens to it.
    fn is_final(self) -> bool {
        Self::ALL.iter().all(|next| !self.can_become(*next))
    }
}

/// A name that is no status of its lifecycle (a column holding something this build does not
/// know).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownStatus {
    pub subject: &'static str,
    pub text: String,
}

impl std::fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no {} status `{}`", self.subject, self.text)
    }
}

impl std::error::Error for UnknownStatus {}

/// Defines a status enum from its variants and their stored names, with [`Status`] (its
/// `can_become` is the enum's own inherent table), `Display`, serde as the name, and
/// `TryFrom<String>` (what the server decodes a TEXT column with).
macro_rules! statuses {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $subject:literal {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                <Self as $crate::status::Status>::parse(text)
            }

            /// No way out: nothing more happens to it.
            pub fn is_final(self) -> bool {
                <Self as $crate::status::Status>::is_final(self)
            }
        }

        impl $crate::status::Status for $name {
            const SUBJECT: &'static str = $subject;
            const ALL: &'static [Self] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn can_become(self, next: Self) -> bool {
                $name::can_become(self, next)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::status::UnknownStatus;

            fn try_from(text: String) -> Result<Self, $crate::status::UnknownStatus> {
                Self::parse(&text).ok_or($crate::status::UnknownStatus {
                    subject: $subject,
                    text,
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|status| status.as_str()).collect();
                    serde::de::Error::custom(format_args!(
                        "no {} status `{text}`, expected one of {}",
                        $subject,
                        names.join(", ")
                    ))
                })
            }
        }
    };
}

pub(crate) use statuses;

/// What every lifecycle's tests check of its table, whatever the lifecycle.
#[cfg(test)]
pub(crate) fn check_table<S>(happy_path: &[(S, S)], finals: &[S])
where
    S: Status + serde::Serialize + serde::de::DeserializeOwned + TryFrom<String>,
{
    for (from, to) in happy_path {
        assert!(from.can_become(*to), "{from} → {to}");
    }
    for status in S::ALL {
        assert!(!status.can_become(*status), "{status} → itself");
        assert_eq!(
            status.is_final(),
            finals.contains(status),
            "{status} final?"
        );
        assert_eq!(S::parse(status.as_str()), Some(*status));
        assert!(S::try_from(status.as_str().to_owned()).is_ok_and(|read| read == *status));
        let json = serde_json::to_string(status).unwrap_or_default();
        assert_eq!(
            json,
            format!("\"{status}\""),
            "the wire form is the stored name"
        );
        assert!(serde_json::from_str::<S>(&json).is_ok_and(|read| read == *status));
    }
    for from in finals {
        for to in S::ALL {
            assert!(!from.can_become(*to), "{from} → {to}");
        }
    }
    assert_eq!(S::parse("shipped"), None);
    assert!(S::try_from("shipped".to_owned()).is_err());
    assert!(serde_json::from_str::<S>("\"shipped\"").is_err());
}
