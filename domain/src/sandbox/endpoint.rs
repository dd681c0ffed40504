//! Where a sandbox screen is reached, built-in or VM: both the screens and the VMs hand these
//! out, so they live apart from either.

use std::fmt;
use std::io;

const PASSWORD_LENGTH: usize = 8;

/// Where a screen listens (always on 127.0.0.1) and its VNC password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScreenEndpoint {
    pub port: u16,
    pub password: String,
}

// The password stays out of logs.
impl fmt::Debug for ScreenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScreenEndpoint")
            .field("port", &self.port)
            .field("password", &"…")
            .finish()
    }
}

/// VNC Authentication uses only a password's first eight characters.
pub(crate) fn random_password() -> io::Result<String> {
    let mut password = crate::secrets::generate_password().map_err(io::Error::other)?;
    password.truncate(PASSWORD_LENGTH);
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_eight_alphanumerics_and_differ() {
        let first = random_password().ok().unwrap_or_default();
        let second = random_password().ok().unwrap_or_default();
        assert_eq!(first.len(), PASSWORD_LENGTH);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, second);
    }
}
