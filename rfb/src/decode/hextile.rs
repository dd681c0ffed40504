//! Hextile: the rectangle is cut into 16x16 tiles (smaller at the right and bottom edges), left
//! to right, top to bottom. Each tile is raw pixels or a background plus solid sub-rectangles.
//! Background and foreground colours carry over from one tile to the next.

use super::{BYTES_PER_PIXEL, invalid, pixel};
use crate::Rect;
use crate::framebuffer::{Framebuffer, Rgba};
use crate::reader::{Reader, Step};

const TILE_SIDE: u16 = 16;
const RAW: u8 = 1;
const BACKGROUND_SPECIFIED: u8 = 2;
const FOREGROUND_SPECIFIED: u8 = 4;
const ANY_SUBRECTS: u8 = 8;
const SUBRECTS_COLOURED: u8 = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HextileProgress {
    rect: Rect,
    next_tile: usize,
    background: Rgba,
    foreground: Rgba,
}

impl HextileProgress {
    pub(crate) fn new(rect: Rect) -> Self {
        HextileProgress {
            rect,
            next_tile: 0,
            // The first tile must specify its background; black is what an out-of-spec server
            // that omits it gets, instead of an error, as other clients do.
            background: [0, 0, 0, 255],
            foreground: [0, 0, 0, 255],
        }
    }

    fn columns(&self) -> usize {
        usize::from(self.rect.width.div_ceil(TILE_SIDE))
    }

    fn tile_count(&self) -> usize {
        self.columns() * usize::from(self.rect.height.div_ceil(TILE_SIDE))
    }

    fn tile(&self, index: usize) -> Rect {
        let column = (index % self.columns()) as u16;
        let row = (index / self.columns()) as u16;
        let x = column * TILE_SIDE;
        let y = row * TILE_SIDE;
        Rect {
            x: self.rect.x + x,
            y: self.rect.y + y,
            width: TILE_SIDE.min(self.rect.width - x),
            height: TILE_SIDE.min(self.rect.height - y),
        }
    }

    /// Decodes one whole tile; returns true after the last one.
    pub(crate) fn advance(
        &mut self,
        reader: &mut Reader<'_>,
        framebuffer: &mut Framebuffer,
    ) -> Step<bool> {
        if self.next_tile >= self.tile_count() {
            return Ok(true);
        }
        let tile = self.tile(self.next_tile);
        let subencoding = reader.u8()?;
        if subencoding & RAW != 0 {
            let pixels = reader.bytes(tile.area() * BYTES_PER_PIXEL)?;
            let row_bytes = usize::from(tile.width) * BYTES_PER_PIXEL;
            for (row, source) in (0..).zip(pixels.chunks_exact(row_bytes)) {
                framebuffer.put_run(tile.x, tile.y + row, source, BYTES_PER_PIXEL);
            }
        } else {
            // Read the whole tile before painting, so an incomplete tile changes nothing.
            let background = if subencoding & BACKGROUND_SPECIFIED != 0 {
                pixel(reader)?
            } else {
                self.background
            };
            let mut foreground = if subencoding & FOREGROUND_SPECIFIED != 0 {
                pixel(reader)?
            } else {
                self.foreground
            };
            let subrect_count = if subencoding & ANY_SUBRECTS != 0 {
                reader.u8()?
            } else {
                0
            };
            let coloured = subencoding & SUBRECTS_COLOURED != 0;
            let subrect_bytes = if coloured { BYTES_PER_PIXEL + 2 } else { 2 };
            let mut subrects =
                Reader::new(reader.bytes(usize::from(subrect_count) * subrect_bytes)?);

            framebuffer.fill(tile, background);
            for _ in 0..subrect_count {
                let colour = if coloured {
                    pixel(&mut subrects)?
                } else {
                    foreground
                };
                let position = subrects.u8()?;
                let size = subrects.u8()?;
                let x = u16::from(position >> 4);
                let y = u16::from(position & 0x0F);
                let width = u16::from(size >> 4) + 1;
                let height = u16::from(size & 0x0F) + 1;
                if x + width > tile.width || y + height > tile.height {
                    return Err(invalid("Hextile", "sub-rectangle outside its tile"));
                }
                framebuffer.fill(
                    Rect {
                        x: tile.x + x,
                        y: tile.y + y,
                        width,
                        height,
                    },
                    colour,
                );
                if coloured {
                    // The specification leaves the foreground undefined after coloured
                    // sub-rectangles; keeping the last colour matches TigerVNC's decoder.
                    foreground = colour;
                }
            }
            self.background = background;
            self.foreground = foreground;
        }
        self.next_tile += 1;
        Ok(self.next_tile == self.tile_count())
    }
}
