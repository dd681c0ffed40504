//! Rectangle decoders. Each writes into the [`Framebuffer`] only inside a rectangle that was
//! checked against it, and each either finishes or reports [`Interrupt::Incomplete`] without
//! side effects, so the client can retry after more bytes arrive.
//!
//! Pixels arrive in the format the client set ([`crate::PixelFormat::RGBX`]): four
//! bytes R, G, B, unused; ZRLE's compressed pixels drop the unused byte.

pub(crate) mod hextile;
pub(crate) mod zrle;

use crate::framebuffer::{Framebuffer, Rgba};
use crate::reader::{Interrupt, Reader, Step};
use crate::{CursorShape, Error, Limits, Rect};

pub(crate) const BYTES_PER_PIXEL: usize = 4;

pub(crate) fn pixel(reader: &mut Reader<'_>) -> Step<Rgba> {
    let [red, green, blue, _] = reader.array::<4>()?;
    Ok([red, green, blue, 255])
}

fn invalid(encoding: &'static str, detail: &'static str) -> Interrupt {
    Interrupt::Fatal(Error::InvalidEncodingData { encoding, detail })
}

/// Raw pixels are consumed as they arrive rather than buffered whole, so a full-screen Raw
/// update never needs a second framebuffer-sized buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawProgress {
    pub(crate) rect: Rect,
    pub(crate) pixels_done: usize,
}

impl RawProgress {
    /// Decodes every whole pixel available; returns true once the rectangle is complete.
    pub(crate) fn advance(
        &mut self,
        reader: &mut Reader<'_>,
        framebuffer: &mut Framebuffer,
    ) -> Step<bool> {
        let total = self.rect.area();
        let available = (reader.remaining() / BYTES_PER_PIXEL).min(total - self.pixels_done);
        if available == 0 {
            return Err(Interrupt::Incomplete);
        }
        let width = usize::from(self.rect.width);
        let mut left = available;
        while left > 0 {
            let column = self.pixels_done % width;
            let row = self.pixels_done / width;
            let run = left.min(width - column);
            let pixels = reader.bytes(run * BYTES_PER_PIXEL)?;
            framebuffer.put_run(
                self.rect.x + column as u16,
                self.rect.y + row as u16,
                pixels,
                BYTES_PER_PIXEL,
            );
            self.pixels_done += run;
            left -= run;
        }
        Ok(self.pixels_done == total)
    }
}

pub(crate) fn copy_rect(
    reader: &mut Reader<'_>,
    rect: Rect,
    framebuffer: &mut Framebuffer,
) -> Step<()> {
    let source_x = reader.u16()?;
    let source_y = reader.u16()?;
    framebuffer.check_contains(Rect {
        x: source_x,
        y: source_y,
        ..rect
    })?;
    framebuffer.copy_within(rect, source_x, source_y);
    Ok(())
}

/// RRE: a background colour, then sub-rectangles that are decoded one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RreProgress {
    pub(crate) rect: Rect,
    pub(crate) subrects_left: u32,
}

impl RreProgress {
    /// Reads the header and paints the background. A sub-rectangle covers at least one pixel,
    /// so more of them than the rectangle has pixels can only be hostile.
    pub(crate) fn start(
        reader: &mut Reader<'_>,
        rect: Rect,
        framebuffer: &mut Framebuffer,
    ) -> Step<RreProgress> {
        let subrects = reader.u32()?;
        let background = pixel(reader)?;
        if subrects as usize > rect.area() {
            return Err(invalid("RRE", "more sub-rectangles than pixels"));
        }
        framebuffer.fill(rect, background);
        Ok(RreProgress {
            rect,
            subrects_left: subrects,
        })
    }

    /// Decodes one sub-rectangle; returns true when none is left.
    pub(crate) fn advance(
        &mut self,
        reader: &mut Reader<'_>,
        framebuffer: &mut Framebuffer,
    ) -> Step<bool> {
        if self.subrects_left == 0 {
            return Ok(true);
        }
        let colour = pixel(reader)?;
        let [x, y, width, height] = [reader.u16()?, reader.u16()?, reader.u16()?, reader.u16()?];
        let inside = u32::from(x) + u32::from(width) <= u32::from(self.rect.width)
            && u32::from(y) + u32::from(height) <= u32::from(self.rect.height);
        if !inside {
            return Err(invalid("RRE", "sub-rectangle outside its rectangle"));
        }
        framebuffer.fill(
            Rect {
                x: self.rect.x + x,
                y: self.rect.y + y,
                width,
                height,
            },
            colour,
        );
        self.subrects_left -= 1;
        Ok(self.subrects_left == 0)
    }
}

/// Cursor pseudo-encoding: `width * height` pixels then a 1-bit mask, rows padded to a byte.
/// The rectangle's position is the hotspot. Masked-out pixels become transparent.
pub(crate) fn cursor(reader: &mut Reader<'_>, rect: Rect, limits: &Limits) -> Step<CursorShape> {
    if rect.width > limits.max_cursor_side || rect.height > limits.max_cursor_side {
        return Err(Interrupt::Fatal(Error::TooLong {
            what: "cursor side",
            length: u64::from(rect.width.max(rect.height)),
            limit: u64::from(limits.max_cursor_side),
        }));
    }
    let width = usize::from(rect.width);
    let pixels = reader.bytes(rect.area() * BYTES_PER_PIXEL)?;
    let mask_row_bytes = width.div_ceil(8);
    let mask = reader.bytes(mask_row_bytes * usize::from(rect.height))?;
    let mut rgba = Vec::with_capacity(rect.area() * 4);
    for (index, source) in pixels.chunks_exact(BYTES_PER_PIXEL).enumerate() {
        let (row, column) = (index / width, index % width);
        let mask_byte = mask[row * mask_row_bytes + column / 8];
        let visible = mask_byte & (0x80 >> (column % 8)) != 0;
        rgba.extend_from_slice(&[
            source[0],
            source[1],
            source[2],
            if visible { 255 } else { 0 },
        ]);
    }
    Ok(CursorShape {
        hotspot_x: rect.x,
        hotspot_y: rect.y,
        width: rect.width,
        height: rect.height,
        rgba,
    })
}
