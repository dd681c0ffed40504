//! Tripay's wire format: the envelope, the channel and transaction records and the callback,
//! read leniently (numbers sometimes come as strings, optional fields are left out).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::*;

/// Reads a callback body, after [`verify_callback`] has accepted it. Numbers may come as
/// strings, `is_closed_payment` as 0/1, `paid_at` as Unix seconds or null; optional fields may
/// be missing. A body that cannot be read is an error, never a panic.
pub fn parse_callback(raw_body: &[u8]) -> Result<CallbackPayment, TripayError> {
    let raw: RawCallback = serde_json::from_slice(raw_body)
        .map_err(|error| TripayError::Malformed(format!("the callback: {error}")))?;
    let missing = |field: &str| TripayError::Malformed(format!("the callback has no `{field}`"));
    let reference = raw.reference.ok_or_else(|| missing("reference"))?;
    let total_amount = raw.total_amount.ok_or_else(|| missing("total_amount"))?;
    let status = raw.status.ok_or_else(|| missing("status"))?;
    let status = PaymentStatus::parse(&status).ok_or_else(|| {
        TripayError::Malformed(format!(
            "the callback's status `{status}` is not one we know"
        ))
    })?;
    let fee_merchant = raw.fee_merchant.unwrap_or(0);
    Ok(CallbackPayment {
        reference,
        merchant_ref: raw.merchant_ref.unwrap_or_default(),
        payment_method: raw
            .payment_method_code
            .or(raw.payment_method)
            .unwrap_or_default(),
        total_amount,
        fee_merchant,
        fee_customer: raw.fee_customer.unwrap_or(0),
        amount_received: raw
            .amount_received
            .unwrap_or(total_amount.saturating_sub(fee_merchant)),
        is_closed_payment: raw.is_closed_payment.unwrap_or(true),
        status,
        paid_at: raw.paid_at,
        note: raw.note,
    })
}

// --- Tripay's shapes, read leniently ------------------------------------------------------

#[derive(Deserialize)]
pub(super) struct Envelope {
    #[serde(default, deserialize_with = "lenient::bool")]
    pub(super) success: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) data: Option<Value>,
}

#[derive(Deserialize)]
pub(super) struct RawChannel {
    #[serde(default, deserialize_with = "lenient::string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    group: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    kind: Option<String>,
    #[serde(default)]
    fee_customer: Option<RawFee>,
    #[serde(default)]
    fee_merchant: Option<RawFee>,
    #[serde(default, deserialize_with = "lenient::int")]
    minimum_fee: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    maximum_fee: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    minimum_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    maximum_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    icon_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    active: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct RawFee {
    #[serde(default, deserialize_with = "lenient::int")]
    flat: Option<i64>,
    #[serde(default, deserialize_with = "lenient::float")]
    percent: Option<f64>,
}

impl RawChannel {
    pub(super) fn into_channel(self) -> PaymentChannel {
        let fee = self.fee_customer;
        let merchant_fee = self.fee_merchant;
        let code = self.code.unwrap_or_default();
        PaymentChannel {
            name: self.name.unwrap_or_else(|| code.clone()),
            code,
            group: self.group.unwrap_or_default(),
            // Tripay's checkout page works for every channel, so an unknown kind is sent there.
            kind: match self.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("direct") => ChannelKind::Direct,
                _ => ChannelKind::Redirect,
            },
            // A list entry is a channel on offer unless it says otherwise.
            active: self.active.unwrap_or(true),
            fee_flat: fee.as_ref().and_then(|fee| fee.flat).unwrap_or(0),
            fee_percent: fee.as_ref().and_then(|fee| fee.percent).unwrap_or(0.0),
            merchant_fee_flat: merchant_fee.as_ref().and_then(|fee| fee.flat).unwrap_or(0),
            merchant_fee_percent: merchant_fee
                .as_ref()
                .and_then(|fee| fee.percent)
                .unwrap_or(0.0),
            minimum_fee: self.minimum_fee,
            maximum_fee: self.maximum_fee,
            minimum_amount: self.minimum_amount,
            maximum_amount: self.maximum_amount,
            icon_url: self.icon_url.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct RawTransaction {
    #[serde(default, deserialize_with = "lenient::string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    merchant_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    payment_method: Option<String>,
    /// What the customer pays, fee included.
    #[serde(default, deserialize_with = "lenient::int")]
    amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_merchant: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_customer: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    amount_received: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pay_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pay_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    checkout_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    qr_string: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    qr_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    expired_time: Option<DateTime<Utc>>,
    /// The list's name for `expired_time`.
    #[serde(default, deserialize_with = "lenient::time")]
    expired_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    paid_at: Option<DateTime<Utc>>,
    #[serde(default)]
    instructions: Option<Vec<RawInstruction>>,
}

#[derive(Deserialize)]
pub(super) struct RawInstruction {
    #[serde(default, deserialize_with = "lenient::string")]
    title: Option<String>,
    #[serde(default)]
    steps: Option<Vec<String>>,
}

impl RawTransaction {
    pub(super) fn into_transaction(self) -> Result<Transaction, TripayError> {
        let missing =
            |field: &str| TripayError::Malformed(format!("a transaction without `{field}`"));
        let reference = self.reference.ok_or_else(|| missing("reference"))?;
        let total_amount = self.amount.ok_or_else(|| missing("amount"))?;
        let status = self.status.ok_or_else(|| missing("status"))?;
        let status = PaymentStatus::parse(&status).ok_or_else(|| {
            TripayError::Malformed(format!(
                "transaction {reference} has the status `{status}`, not one we know"
            ))
        })?;
        let expired_time = self
            .expired_time
            .or(self.expired_at)
            .ok_or_else(|| missing("expired_time"))?;
        let fee_customer = self.fee_customer.unwrap_or(0);
        let fee_merchant = self.fee_merchant.unwrap_or(0);
        Ok(Transaction {
            merchant_ref: self.merchant_ref.unwrap_or_default(),
            payment_method: self.payment_method.unwrap_or_default(),
            amount: total_amount.saturating_sub(fee_customer),
            fee_customer,
            total_amount,
            fee_merchant,
            amount_received: self
                .amount_received
                .unwrap_or(total_amount.saturating_sub(fee_merchant)),
            pay_code: self.pay_code,
            qr_string: self.qr_string,
            qr_url: self.qr_url,
            checkout_url: self.checkout_url.unwrap_or_default(),
            pay_url: self.pay_url,
            status,
            expired_time,
            paid_at: self.paid_at,
            instructions: self
                .instructions
                .unwrap_or_default()
                .into_iter()
                .map(|instruction| Instruction {
                    title: instruction.title.unwrap_or_default(),
                    steps: instruction.steps.unwrap_or_default(),
                })
                .collect(),
            reference,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct RawCallback {
    #[serde(default, deserialize_with = "lenient::string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    merchant_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    payment_method: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    payment_method_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    total_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_merchant: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_customer: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    amount_received: Option<i64>,
    #[serde(default, deserialize_with = "lenient::bool")]
    is_closed_payment: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    paid_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::string")]
    note: Option<String>,
}

/// Field readers that take what Tripay sends: numbers as numbers or strings, flags as booleans
/// or 0/1, `null` and `""` as absent. Anything else is an error, never a guess.
pub(super) mod lenient {
    use chrono::{DateTime, Utc};
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_json::Value;

    pub fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        int_of(&Value::deserialize(deserializer)?).map_err(D::Error::custom)
    }

    pub fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            Value::Number(number) => Ok(number.as_f64()),
            Value::String(text) if text.trim().is_empty() => Ok(None),
            Value::String(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite())
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("expected a number, got \"{text}\""))),
            other => Err(D::Error::custom(format!("expected a number, got {other}"))),
        }
    }

    pub fn bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let flag = match &value {
            Value::Null => return Ok(None),
            Value::Bool(flag) => Some(*flag),
            Value::Number(number) => match number.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "" => return Ok(None),
                "1" | "true" => Some(true),
                "0" | "false" => Some(false),
                _ => None,
            },
            _ => None,
        };
        flag.map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected true/false or 1/0, got {value}")))
    }

    pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            Value::String(text) if text.is_empty() => Ok(None),
            Value::String(text) => Ok(Some(text)),
            // A pay code sometimes comes as a bare number.
            Value::Number(number) => Ok(Some(number.to_string())),
            other => Err(D::Error::custom(format!("expected a string, got {other}"))),
        }
    }

    /// Unix seconds; `0` is "not yet", as `null` is.
    pub fn time<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        match int_of(&Value::deserialize(deserializer)?).map_err(D::Error::custom)? {
            None | Some(0) => Ok(None),
            Some(seconds) => DateTime::from_timestamp(seconds, 0)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{seconds} is not a time"))),
        }
    }

    /// A whole number of rupiah (or seconds): `154250`, `"154250"`, `154250.0`, `"154250.00"`.
    /// A fraction is an error: money here has none.
    pub fn int_of(value: &Value) -> Result<Option<i64>, String> {
        let whole = |number: f64| {
            (number.is_finite() && number.fract() == 0.0 && number.abs() < 9.0e15)
                .then_some(number as i64)
        };
        match value {
            Value::Null => Ok(None),
            Value::Number(number) => number
                .as_i64()
                .or_else(|| number.as_f64().and_then(whole))
                .map(Some)
                .ok_or_else(|| format!("expected a whole number, got {number}")),
            Value::String(text) => {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                text.parse::<i64>()
                    .ok()
                    .or_else(|| text.parse::<f64>().ok().and_then(whole))
                    .map(Some)
                    .ok_or_else(|| format!("expected a whole number, got \"{text}\""))
            }
            other => Err(format!("expected a whole number, got {other}")),
        }
    }
}
