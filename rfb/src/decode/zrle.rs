//! ZRLE: a u32 length and that much zlib data, inflating to 64x64 tiles of palette and
//! run-length coded pixels. The zlib stream runs across every ZRLE rectangle of the connection
//! (the server flushes, never resets it), so one inflater lives as long as the client.

use flate2::{Decompress, FlushDecompress, Status};

use super::invalid;
use crate::framebuffer::{Framebuffer, Rgba};
use crate::reader::{Interrupt, Reader, Step};
use crate::{Error, Rect};

const TILE_SIDE: u16 = 64;
/// Compressed pixels: the three colour bytes of the 32-bit pixel, R, G, B.
const CPIXEL_BYTES: usize = 3;
const LARGEST_PACKED_PALETTE: u8 = 16;
const PLAIN_RLE: u8 = 128;
const MAX_PALETTE: usize = 127;
const INFLATE_CHUNK: usize = 64 * 1024;

pub(crate) struct ZrleDecoder {
    inflater: Decompress,
    inflated: Vec<u8>,
}

impl std::fmt::Debug for ZrleDecoder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ZrleDecoder")
            .field("total_in", &self.inflater.total_in())
            .finish_non_exhaustive()
    }
}

impl Default for ZrleDecoder {
    fn default() -> Self {
        ZrleDecoder {
            inflater: Decompress::new(true),
            inflated: Vec::new(),
        }
    }
}

/// The most inflated bytes a well-formed rectangle can need: per tile a sub-encoding byte and a
/// full palette, and per pixel at most 4 bytes (plain RLE runs of one: a pixel and a length).
/// Inflating past this can only be a decompression bomb.
pub(crate) fn max_inflated_len(rect: Rect) -> usize {
    let tiles =
        usize::from(rect.width.div_ceil(TILE_SIDE)) * usize::from(rect.height.div_ceil(TILE_SIDE));
    tiles * (1 + MAX_PALETTE * CPIXEL_BYTES) + rect.area() * (CPIXEL_BYTES + 1)
}

/// zlib never grows data by more than a few bytes per 16 KiB block, so compressed data twice
/// the largest possible inflated size is certainly hostile.
pub(crate) fn max_compressed_len(rect: Rect) -> usize {
    max_inflated_len(rect) * 2 + 1024
}

impl ZrleDecoder {
    pub(crate) fn decode(
        &mut self,
        compressed: &[u8],
        rect: Rect,
        framebuffer: &mut Framebuffer,
    ) -> Result<(), Error> {
        self.inflate(compressed, max_inflated_len(rect))?;
        let mut tiles = Reader::new(&self.inflated);
        for tile_y in (0..rect.height).step_by(usize::from(TILE_SIDE)) {
            for tile_x in (0..rect.width).step_by(usize::from(TILE_SIDE)) {
                let tile = Rect {
                    x: rect.x + tile_x,
                    y: rect.y + tile_y,
                    width: TILE_SIDE.min(rect.width - tile_x),
                    height: TILE_SIDE.min(rect.height - tile_y),
                };
                decode_tile(&mut tiles, tile, framebuffer).map_err(
                    |interrupt| match interrupt {
                        Interrupt::Incomplete => Error::InvalidEncodingData {
                            encoding: "ZRLE",
                            detail: "tile data ends early",
                        },
                        Interrupt::Fatal(error) => error,
                    },
                )?;
            }
        }
        if tiles.remaining() != 0 {
            return Err(Error::InvalidEncodingData {
                encoding: "ZRLE",
                detail: "data left over after the last tile",
            });
        }
        Ok(())
    }

    fn inflate(&mut self, mut compressed: &[u8], limit: usize) -> Result<(), Error> {
        self.inflated.clear();
        loop {
            let room_wanted = (limit + 1 - self.inflated.len()).min(INFLATE_CHUNK);
            if self.inflated.capacity() - self.inflated.len() < room_wanted {
                self.inflated.reserve_exact(room_wanted);
            }
            let (in_before, out_before) = (self.inflater.total_in(), self.inflater.total_out());
            let status = self
                .inflater
                .decompress_vec(compressed, &mut self.inflated, FlushDecompress::Sync)
                .map_err(|error| Error::Zlib(error.to_string()))?;
            let consumed = (self.inflater.total_in() - in_before) as usize;
            let produced = self.inflater.total_out() - out_before;
            compressed = &compressed[consumed..];
            if self.inflated.len() > limit {
                return Err(Error::TooLong {
                    what: "inflated ZRLE rectangle",
                    length: self.inflated.len() as u64,
                    limit: limit as u64,
                });
            }
            if status == Status::StreamEnd || (consumed == 0 && produced == 0) {
                break;
            }
        }
        if !compressed.is_empty() {
            return Err(Error::InvalidEncodingData {
                encoding: "ZRLE",
                detail: "zlib data left over after inflating",
            });
        }
        Ok(())
    }
}

fn cpixel(reader: &mut Reader<'_>) -> Step<Rgba> {
    let [red, green, blue] = reader.array::<3>()?;
    Ok([red, green, blue, 255])
}

fn palette(reader: &mut Reader<'_>, size: usize) -> Step<Vec<Rgba>> {
    (0..size).map(|_| cpixel(reader)).collect()
}

/// Paints pixel number `index` (row-major within the tile).
fn put(framebuffer: &mut Framebuffer, tile: Rect, index: usize, colour: Rgba) {
    let width = usize::from(tile.width);
    framebuffer.set_pixel(
        tile.x + (index % width) as u16,
        tile.y + (index / width) as u16,
        colour,
    );
}

fn decode_tile(reader: &mut Reader<'_>, tile: Rect, framebuffer: &mut Framebuffer) -> Step<()> {
    let pixels = tile.area();
    match reader.u8()? {
        0 => {
            let row_bytes = usize::from(tile.width) * CPIXEL_BYTES;
            for row in 0..tile.height {
                framebuffer.put_run(tile.x, tile.y + row, reader.bytes(row_bytes)?, CPIXEL_BYTES);
            }
        }
        1 => framebuffer.fill(tile, cpixel(reader)?),
        size @ 2..=LARGEST_PACKED_PALETTE => {
            let colours = palette(reader, usize::from(size))?;
            let bits: usize = match size {
                2 => 1,
                3..=4 => 2,
                _ => 4,
            };
            let row_bytes = (usize::from(tile.width) * bits).div_ceil(8);
            for row in 0..usize::from(tile.height) {
                let packed = reader.bytes(row_bytes)?;
                for column in 0..usize::from(tile.width) {
                    let bit_offset = column * bits;
                    let byte = packed[bit_offset / 8];
                    let shift = 8 - bits - bit_offset % 8;
                    let index = usize::from(byte >> shift) & ((1 << bits) - 1);
                    let colour = *colours
                        .get(index)
                        .ok_or_else(|| invalid("ZRLE", "palette index out of range"))?;
                    put(
                        framebuffer,
                        tile,
                        row * usize::from(tile.width) + column,
                        colour,
                    );
                }
            }
        }
        PLAIN_RLE => {
            let mut done = 0;
            while done < pixels {
                let colour = cpixel(reader)?;
                let length = run_length(reader, pixels - done)?;
                for index in done..done + length {
                    put(framebuffer, tile, index, colour);
                }
                done += length;
            }
        }
        subencoding @ 130..=255 => {
            let colours = palette(reader, usize::from(subencoding - PLAIN_RLE))?;
            let mut done = 0;
            while done < pixels {
                let code = reader.u8()?;
                let colour = *colours
                    .get(usize::from(code & 0x7F))
                    .ok_or_else(|| invalid("ZRLE", "palette index out of range"))?;
                let length = if code & 0x80 != 0 {
                    run_length(reader, pixels - done)?
                } else {
                    1
                };
                for index in done..done + length {
                    put(framebuffer, tile, index, colour);
                }
                done += length;
            }
        }
        _ => return Err(invalid("ZRLE", "unused sub-encoding")),
    }
    Ok(())
}

/// A run length is one plus the sum of its bytes, where every byte but the last is 255.
fn run_length(reader: &mut Reader<'_>, pixels_left: usize) -> Step<usize> {
    let mut length = 1usize;
    loop {
        let byte = reader.u8()?;
        length += usize::from(byte);
        if length > pixels_left {
            return Err(invalid("ZRLE", "run longer than the rest of the tile"));
        }
        if byte != 255 {
            return Ok(length);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile_rect(width: u16, height: u16) -> Rect {
        Rect {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// The bomb limit must never refuse what a conforming server can send.
    #[test]
    fn inflated_limit_admits_the_largest_legal_tiles() {
        let pixels = 64 * 64;
        let plain_rle_runs_of_one = 1 + pixels * (CPIXEL_BYTES + 1);
        let palette_rle_explicit_runs_of_one = 1 + MAX_PALETTE * CPIXEL_BYTES + pixels * 2;
        let raw = 1 + pixels * CPIXEL_BYTES;
        let limit = max_inflated_len(tile_rect(64, 64));
        assert!(plain_rle_runs_of_one <= limit);
        assert!(palette_rle_explicit_runs_of_one <= limit);
        assert!(raw <= limit);
        // Edge tiles: a 65x1 rectangle is two tiles, each with its own palette.
        assert!(
            2 * (1 + MAX_PALETTE * CPIXEL_BYTES) + 65 * 2 <= max_inflated_len(tile_rect(65, 1))
        );
    }

    #[test]
    fn run_lengths_continue_through_255_bytes() {
        let mut reader = Reader::new(&[255, 255, 3]);
        assert_eq!(run_length(&mut reader, 1000).ok(), Some(1 + 255 + 255 + 3));
        let mut reader = Reader::new(&[255, 255, 3]);
        assert!(matches!(
            run_length(&mut reader, 300),
            Err(Interrupt::Fatal(_))
        ));
    }
}
