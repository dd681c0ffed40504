//! The built-in screen's font: 8x8 glyphs drawn doubled in height into 8x16 cells, and the
//! reverse, reading a drawn screen back into text (for tests at every level).

/// A text cell in pixels.
pub(super) const CELL_WIDTH: usize = 8;
pub(super) const CELL_HEIGHT: usize = 16;

/// The 8 rows of a character, bit 0 leftmost.
pub(super) fn glyph(character: u8) -> [u8; 8] {
    font8x8::legacy::BASIC_LEGACY
        .get(usize::from(character))
        .copied()
        .unwrap_or([0; 8])
}

/// Reads a framebuffer drawn by this screen back into text, one String per text row (trailing
/// spaces trimmed), by matching each 8x16 cell against the font. For tests at every level.
///
/// A cell that matches no character, straight or in inverse video (the cursor), reads as `?`.
#[cfg(any(test, feature = "testing"))]
pub fn screen_text(rgba: &[u8], width: u16, height: u16) -> Vec<String> {
    let width = usize::from(width);
    let lit = |x: usize, y: usize| -> bool {
        let at = (y * width + x) * 4;
        rgba.get(at..at + 3)
            .is_some_and(|rgb| rgb.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 0x60)
    };
    let printable = 0x20u8..=0x7e;
    let mut lines = Vec::new();
    for row in 0..usize::from(height) / CELL_HEIGHT {
        let mut line = String::new();
        for column in 0..width / CELL_WIDTH {
            let mut cell = [0u8; CELL_HEIGHT];
            for (y, bits) in cell.iter_mut().enumerate() {
                for x in 0..CELL_WIDTH {
                    if lit(column * CELL_WIDTH + x, row * CELL_HEIGHT + y) {
                        *bits |= 1 << x;
                    }
                }
            }
            let drawn = |glyph: [u8; 8], inverse: bool| {
                cell.iter()
                    .enumerate()
                    .all(|(y, &bits)| bits == if inverse { !glyph[y / 2] } else { glyph[y / 2] })
            };
            let character = printable
                .clone()
                .find(|&c| drawn(glyph(c), false))
                .or_else(|| printable.clone().find(|&c| drawn(glyph(c), true)))
                .unwrap_or(b'?');
            line.push(char::from(character));
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_glyphs_are_distinct_so_text_reads_back() {
        let glyphs: Vec<[u8; 8]> = (0x20u8..=0x7e).map(glyph).collect();
        for (index, first) in glyphs.iter().enumerate() {
            for second in &glyphs[index + 1..] {
                assert_ne!(first, second);
            }
            assert!(!glyphs.contains(&first.map(|bits| !bits)));
        }
    }

    #[test]
    fn screen_text_never_panics_on_odd_input() {
        assert_eq!(screen_text(&[], 640, 400).len(), 25);
        assert_eq!(screen_text(&[255; 100], 7, 15), Vec::<String>::new());
        let garbage: Vec<u8> = (0..16 * 8 * 4).map(|n| (n * 37 % 256) as u8).collect();
        assert_eq!(screen_text(&garbage, 8, 16), vec!["?".to_owned()]);
    }
}
