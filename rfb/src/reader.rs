//! Reading big-endian fields from the bytes received so far.
//!
//! Parsers read through a [`Reader`] over the unread input; when the data runs out they return
//! [`Interrupt::Incomplete`] and the client keeps the input untouched until more arrives. Only a
//! parse that completes commits (consumes) what it read, so every parse step is all-or-nothing.

use crate::Error;

/// Why a parse step stopped before finishing.
#[derive(Debug)]
pub(crate) enum Interrupt {
    /// More bytes are needed; retry the same step after the next `feed`.
    Incomplete,
    /// The server broke the protocol.
    Fatal(Error),
}

impl From<Error> for Interrupt {
    fn from(error: Error) -> Self {
        Interrupt::Fatal(error)
    }
}

pub(crate) type Step<T> = Result<T, Interrupt>;

pub(crate) struct Reader<'a> {
    data: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, position: 0 }
    }

    /// How many bytes this reader has consumed.
    pub(crate) fn consumed(&self) -> usize {
        self.position
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.position
    }

    pub(crate) fn bytes(&mut self, count: usize) -> Step<&'a [u8]> {
        let end = self
            .position
            .checked_add(count)
            .ok_or(Interrupt::Incomplete)?;
        let slice = self
            .data
            .get(self.position..end)
            .ok_or(Interrupt::Incomplete)?;
        self.position = end;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Step<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Step<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Step<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Step<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Step<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub(crate) fn skip(&mut self, count: usize) -> Step<()> {
        self.bytes(count).map(|_| ())
    }
}

/// Reads a u32 length followed by that many bytes of text, refusing lengths above `limit`
/// before waiting for (and buffering) the text.
pub(crate) fn length_prefixed_text(
    reader: &mut Reader<'_>,
    what: &'static str,
    limit: usize,
) -> Step<String> {
    let length = reader.u32()?;
    check_length(what, u64::from(length), limit)?;
    Ok(text_from_wire(reader.bytes(length as usize)?))
}

pub(crate) fn check_length(what: &'static str, length: u64, limit: usize) -> Result<(), Error> {
    if length > limit as u64 {
        return Err(Error::TooLong {
            what,
            length,
            limit: limit as u64,
        });
    }
    Ok(())
}

/// Servers send names and reasons as UTF-8 (TigerVNC) or Latin-1 (older servers): take UTF-8
/// when the bytes are valid UTF-8, Latin-1 otherwise, so no byte is lost either way.
pub(crate) fn text_from_wire(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => latin1_to_string(bytes),
    }
}

pub(crate) fn latin1_to_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| char::from(byte)).collect()
}
