//! The protocol versions spoken, and the one table that maps what a peer announces onto them.
//! Client and server both use it, so a greeting means the same thing on either side.

use crate::Error;
use crate::reader::text_from_wire;

/// An RFB protocol version this crate speaks (the major is always 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V3_3,
    V3_7,
    V3_8,
}

impl Version {
    /// The version a 12-byte `RFB xxx.yyy\n` announcement stands for: the server's greeting
    /// read by a client, or the client's answer read by a server.
    pub fn from_wire(announced: &[u8; 12]) -> Result<Version, Error> {
        let bad = || Error::BadVersionString(text_from_wire(announced));
        let well_formed = announced.starts_with(b"RFB ")
            && announced[7] == b'.'
            && announced[11] == b'\n'
            && announced[4..7]
                .iter()
                .chain(&announced[8..11])
                .all(u8::is_ascii_digit);
        if !well_formed {
            return Err(bad());
        }
        let number = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'))
        };
        let (major, minor) = (number(&announced[4..7]), number(&announced[8..11]));
        match (major, minor) {
            // 3.5 was never published but some servers send it; UltraVNC sends 3.6. Both
            // speak 3.3.
            (3, 3..=6) => Ok(Version::V3_3),
            (3, 7) => Ok(Version::V3_7),
            // Apple's 3.889 and RealVNC's 4.x/5.x speak 3.8 to a 3.8 peer.
            (3, 8..) | (4.., _) => Ok(Version::V3_8),
            _ => Err(Error::UnsupportedVersion { major, minor }),
        }
    }

    /// How this version is announced on the wire.
    pub fn to_wire(self) -> &'static [u8; 12] {
        match self {
            Version::V3_3 => b"RFB 003.003\n",
            Version::V3_7 => b"RFB 003.007\n",
            Version::V3_8 => b"RFB 003.008\n",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_map_onto_the_versions_spoken() {
        let version = |text: &[u8; 12]| Version::from_wire(text);
        assert_eq!(version(b"RFB 003.008\n"), Ok(Version::V3_8));
        assert_eq!(version(b"RFB 003.007\n"), Ok(Version::V3_7));
        assert_eq!(version(b"RFB 003.003\n"), Ok(Version::V3_3));
        assert_eq!(version(b"RFB 003.005\n"), Ok(Version::V3_3));
        assert_eq!(version(b"RFB 003.006\n"), Ok(Version::V3_3));
        assert_eq!(version(b"RFB 003.889\n"), Ok(Version::V3_8));
        assert_eq!(version(b"RFB 004.001\n"), Ok(Version::V3_8));
        assert_eq!(version(b"RFB 005.000\n"), Ok(Version::V3_8));
        assert_eq!(
            version(b"RFB 003.002\n"),
            Err(Error::UnsupportedVersion { major: 3, minor: 2 })
        );
        assert_eq!(
            version(b"RFB 002.000\n"),
            Err(Error::UnsupportedVersion { major: 2, minor: 0 })
        );
        assert!(matches!(
            version(b"RFB 003.+08\n"),
            Err(Error::BadVersionString(_))
        ));
        assert!(matches!(
            version(b"GET / HTTP/1"),
            Err(Error::BadVersionString(_))
        ));
    }

    #[test]
    fn every_version_reads_back_from_its_own_announcement() {
        for version in [Version::V3_3, Version::V3_7, Version::V3_8] {
            assert_eq!(Version::from_wire(version.to_wire()), Ok(version));
        }
    }
}
