//! The client's copy of the remote screen, as RGBA bytes ready for a canvas `ImageData`.

use crate::{Error, Rect};

/// Remote screen contents: `width * height` pixels, 4 bytes each (red, green, blue, alpha),
/// rows top to bottom. Alpha is always 255.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framebuffer {
    width: u16,
    height: u16,
    rgba: Vec<u8>,
}

/// One opaque pixel as it is stored in the framebuffer.
pub(crate) type Rgba = [u8; 4];

impl Framebuffer {
    pub(crate) fn new(width: u16, height: u16) -> Self {
        Framebuffer {
            width,
            height,
            rgba: opaque_black(usize::from(width) * usize::from(height)),
        }
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    /// All pixels, `width * height * 4` bytes.
    pub fn rgba(&self) -> &[u8] {
        &self.rgba
    }

    /// The pixel at (x, y), or `None` outside the framebuffer.
    pub fn pixel(&self, x: u16, y: u16) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let offset = self.offset(x, y);
        let mut pixel = [0; 4];
        pixel.copy_from_slice(&self.rgba[offset..offset + 4]);
        Some(pixel)
    }

    /// Resizing drops the old contents: servers repaint everything after a size change.
    pub(crate) fn resize(&mut self, width: u16, height: u16) {
        *self = Framebuffer::new(width, height);
    }

    /// Refuses rectangles that do not fit, so decoders can index without further checks.
    pub(crate) fn check_contains(&self, rect: Rect) -> Result<(), Error> {
        let fits_horizontally = u32::from(rect.x) + u32::from(rect.width) <= u32::from(self.width);
        let fits_vertically = u32::from(rect.y) + u32::from(rect.height) <= u32::from(self.height);
        if fits_horizontally && fits_vertically {
            Ok(())
        } else {
            Err(Error::RectangleOutOfBounds {
                x: rect.x,
                y: rect.y,
                width: rect.width,
                height: rect.height,
                fb_width: self.width,
                fb_height: self.height,
            })
        }
    }

    fn offset(&self, x: u16, y: u16) -> usize {
        (usize::from(y) * usize::from(self.width) + usize::from(x)) * 4
    }

    /// Callers have checked `rect` with [`Framebuffer::check_contains`].
    pub(crate) fn fill(&mut self, rect: Rect, colour: Rgba) {
        if rect.width == 0 {
            return;
        }
        for row in 0..rect.height {
            let start = self.offset(rect.x, rect.y + row);
            let end = start + usize::from(rect.width) * 4;
            for pixel in self.rgba[start..end].chunks_exact_mut(4) {
                pixel.copy_from_slice(&colour);
            }
        }
    }

    /// Paints a run of pixels from (x, y) rightwards, from wire pixels of `source_bytes_per_pixel`
    /// bytes (red, green, blue first); the run stays within one row of a checked rectangle.
    pub(crate) fn put_run(&mut self, x: u16, y: u16, source: &[u8], source_bytes_per_pixel: usize) {
        let start = self.offset(x, y);
        let pixels = source.len() / source_bytes_per_pixel;
        let target = &mut self.rgba[start..start + pixels * 4];
        for (to, from) in target
            .chunks_exact_mut(4)
            .zip(source.chunks_exact(source_bytes_per_pixel))
        {
            to[..3].copy_from_slice(&from[..3]);
            to[3] = 255;
        }
    }

    pub(crate) fn set_pixel(&mut self, x: u16, y: u16, colour: Rgba) {
        let offset = self.offset(x, y);
        self.rgba[offset..offset + 4].copy_from_slice(&colour);
    }

    /// Copies `rect`-sized pixels from (`source_x`, `source_y`) to `rect`; both areas have been
    /// checked. Rows are walked bottom-up when the areas overlap downwards (as when scrolling),
    /// so no source row is overwritten before it is read.
    pub(crate) fn copy_within(&mut self, rect: Rect, source_x: u16, source_y: u16) {
        let row_bytes = usize::from(rect.width) * 4;
        if row_bytes == 0 {
            return;
        }
        let copy_row = |framebuffer: &mut Self, row: u16| {
            let from = framebuffer.offset(source_x, source_y + row);
            let to = framebuffer.offset(rect.x, rect.y + row);
            framebuffer.rgba.copy_within(from..from + row_bytes, to);
        };
        if source_y < rect.y {
            for row in (0..rect.height).rev() {
                copy_row(self, row);
            }
        } else {
            for row in 0..rect.height {
                copy_row(self, row);
            }
        }
    }
}

fn opaque_black(pixels: usize) -> Vec<u8> {
    [0, 0, 0, 255].repeat(pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: Rgba = [255, 0, 0, 255];
    const BLUE: Rgba = [0, 0, 255, 255];

    fn rect(x: u16, y: u16, width: u16, height: u16) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn starts_opaque_black() {
        let framebuffer = Framebuffer::new(3, 2);
        assert_eq!(framebuffer.rgba().len(), 24);
        assert_eq!(framebuffer.pixel(2, 1), Some([0, 0, 0, 255]));
        assert_eq!(framebuffer.pixel(3, 0), None);
    }

    #[test]
    fn rejects_rectangles_that_overflow_either_edge() {
        let framebuffer = Framebuffer::new(10, 10);
        assert!(framebuffer.check_contains(rect(0, 0, 10, 10)).is_ok());
        assert!(framebuffer.check_contains(rect(10, 10, 0, 0)).is_ok());
        assert!(framebuffer.check_contains(rect(1, 0, 10, 1)).is_err());
        assert!(framebuffer.check_contains(rect(0, 9, 1, 2)).is_err());
        assert!(
            framebuffer
                .check_contains(rect(u16::MAX, u16::MAX, u16::MAX, u16::MAX))
                .is_err()
        );
    }

    #[test]
    fn overlapping_downward_copy_keeps_source_rows_intact() {
        let mut framebuffer = Framebuffer::new(1, 4);
        for (row, colour) in [RED, BLUE, RED, BLUE].into_iter().enumerate() {
            framebuffer.set_pixel(0, row as u16, colour);
        }
        framebuffer.copy_within(rect(0, 1, 1, 3), 0, 0);
        let column: Vec<_> = (0..4).map(|y| framebuffer.pixel(0, y).unwrap()).collect();
        assert_eq!(column, [RED, RED, BLUE, RED]);
    }

    #[test]
    fn overlapping_upward_copy_keeps_source_rows_intact() {
        let mut framebuffer = Framebuffer::new(1, 4);
        for (row, colour) in [RED, BLUE, RED, BLUE].into_iter().enumerate() {
            framebuffer.set_pixel(0, row as u16, colour);
        }
        framebuffer.copy_within(rect(0, 0, 1, 3), 0, 1);
        let column: Vec<_> = (0..4).map(|y| framebuffer.pixel(0, y).unwrap()).collect();
        assert_eq!(column, [BLUE, RED, BLUE, BLUE]);
    }
}
