//! The HMAC-SHA256 signatures: of a new transaction (with the merchant's private key) and of a
//! callback body, checked in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(key: &str) -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

/// The `signature` of `transaction/create`: lower-case hex HMAC-SHA256, keyed by the private
/// key, of `merchant_code + merchant_ref + amount` (the amount in base 10, nothing between).
pub fn transaction_signature(
    private_key: &str,
    merchant_code: &str,
    merchant_ref: &str,
    amount: i64,
) -> String {
    let mut mac = mac(private_key);
    mac.update(format!("{merchant_code}{merchant_ref}{amount}").as_bytes());
    to_hex(&mac.finalize().into_bytes())
}

/// The `X-Callback-Signature` of a callback body: lower-case hex HMAC-SHA256 of the raw bytes,
/// keyed by the private key.
pub fn callback_signature(private_key: &str, raw_body: &[u8]) -> String {
    let mut mac = mac(private_key);
    mac.update(raw_body);
    to_hex(&mac.finalize().into_bytes())
}

/// Whether `signature_header` is the signature of `raw_body`, exactly as received (re-serialised
/// JSON does not match). Compared in constant time; either case of hex is accepted.
pub fn verify_callback(private_key: &str, raw_body: &[u8], signature_header: &str) -> bool {
    let Some(expected) = from_hex(signature_header.trim()) else {
        return false;
    };
    let mut mac = mac(private_key);
    mac.update(raw_body);
    mac.verify_slice(&expected).is_ok()
}

pub(super) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

pub(super) fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from((high << 4) | low).ok()
        })
        .collect()
}

// --- Callback -----------------------------------------------------------------------------
