//! Short-lived signed access tokens (JWT, HS256, with a `kid` so keys can rotate); the opaque
//! refresh tokens beside them are [`crate::secrets::random_token`]s.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AccountError, Role};

pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(15);
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::days(30);
const ISSUER: &str = "webrana";

/// One HMAC key and the id that names it in token headers.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key id is derived from the secret, so the same secret always gets the same id.
    pub fn new(secret: Vec<u8>) -> Self {
        let digest = Sha256::digest(&secret);
        let kid = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Self { kid, secret }
    }
}

/// The key that signs new tokens, and older keys still accepted while their tokens live out.
#[derive(Clone, Debug)]
pub struct JwtKeys {
    current: SigningKey,
    previous: Vec<SigningKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Session id: checked on every request, so a revoked session ends at once.
    pub sid: i64,
    pub role: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

impl JwtKeys {
    pub fn new(current: SigningKey, previous: Vec<SigningKey>) -> Self {
        Self { current, previous }
    }

    pub fn current_kid(&self) -> &str {
        &self.current.kid
    }

    pub fn issue(
        &self,
        user_id: i64,
        session_id: i64,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<String, AccountError> {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            sid: session_id,
            role: role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_LIFETIME).timestamp(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.kid.clone());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(&self.current.secret),
        )
        .map_err(|_| AccountError::Signing)
    }

    /// Accepts only HS256 tokens signed by a known key id, from us, not expired.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AccountError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| AccountError::Unauthenticated)?;
        let kid = header.kid.ok_or(AccountError::Unauthenticated)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.kid == kid)
            .ok_or(AccountError::Unauthenticated)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<AccessClaims>(
            token,
            &DecodingKey::from_secret(&key.secret),
            &validation,
        )
        .map(|data| data.claims)
        .map_err(|_| AccountError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            SigningKey::new(b"current-secret-of-at-least-32-bytes!".to_vec()),
            vec![],
        )
    }

    #[test]
    fn tokens_round_trip_and_carry_the_kid() {
        let keys = keys();
        let token = keys.issue(7, 11, Role::Admin, Utc::now()).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(keys.current_kid()));
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid, claims.role.as_str()),
            ("7", 11, "admin")
        );
    }

    #[test]
    fn rotated_keys_still_verify_until_dropped() {
        let old = keys();
        let token = old.issue(1, 1, Role::Customer, Utc::now()).unwrap();
        let old_key = SigningKey::new(b"current-secret-of-at-least-32-bytes!".to_vec());
        let rotated = JwtKeys::new(
            SigningKey::new(b"a-brand-new-secret-of-32-bytes-or-more".to_vec()),
            vec![old_key],
        );
        assert!(rotated.verify(&token).is_ok());
        let dropped = JwtKeys::new(
            SigningKey::new(b"a-brand-new-secret-of-32-bytes-or-more".to_vec()),
            vec![],
        );
        assert!(matches!(
            dropped.verify(&token),
            Err(AccountError::Unauthenticated)
        ));
    }

    #[test]
    fn forged_tampered_and_expired_tokens_are_refused() {
        let keys = keys();
        let token = keys.issue(1, 1, Role::Customer, Utc::now()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();

        // alg: none, no signature.
        let none_header = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
            keys.current_kid()
        ));
        assert!(
            keys.verify(&format!("{none_header}.{}.", parts[1]))
                .is_err()
        );

        // Payload changed to claim admin, signature kept.
        let claims = keys.verify(&token).unwrap();
        let forged = AccessClaims {
            role: "admin".into(),
            ..claims
        };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert!(
            keys.verify(&format!("{}.{forged_payload}.{}", parts[0], parts[2]))
                .is_err()
        );

        // Signed with another key under our kid.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(keys.current_kid().to_owned());
        let other =
            jsonwebtoken::encode(&header, &forged, &EncodingKey::from_secret(b"not-our-key"))
                .unwrap();
        assert!(keys.verify(&other).is_err());

        // Expired a second ago.
        let expired = keys
            .issue(
                1,
                1,
                Role::Customer,
                Utc::now() - ACCESS_TOKEN_LIFETIME - Duration::seconds(1),
            )
            .unwrap();
        assert!(keys.verify(&expired).is_err());
    }
}
