//! PIXEL_FORMAT, the 16 bytes that say how a pixel is laid out: in ServerInit (what the server
//! sends unasked) and in SetPixelFormat (what the client wants instead).

/// How one pixel is encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PixelFormat {
    pub bits_per_pixel: u8,
    pub depth: u8,
    pub big_endian: bool,
    /// False means colour-mapped (SetColourMapEntries), which this crate never asks for.
    pub true_colour: bool,
    /// Red, green, blue: the largest value of each channel and where it sits in the pixel.
    pub max: [u16; 3],
    pub shift: [u8; 3],
}

impl PixelFormat {
    /// What the client asks for: 32 bits per pixel, depth 24, little-endian, red in the lowest
    /// byte. On the wire each pixel is then the bytes R, G, B, unused — the order of canvas
    /// `ImageData`, so decoding a pixel is copying three bytes.
    pub const RGBX: PixelFormat = PixelFormat {
        bits_per_pixel: 32,
        depth: 24,
        big_endian: false,
        true_colour: true,
        max: [255, 255, 255],
        shift: [0, 8, 16],
    };

    /// What every server the project met announces (QEMU, TigerVNC, x11vnc): the same but
    /// blue in the lowest byte.
    pub const BGRX: PixelFormat = PixelFormat {
        shift: [16, 8, 0],
        ..PixelFormat::RGBX
    };

    pub fn to_wire(self) -> [u8; 16] {
        let [red_max, green_max, blue_max] = self.max.map(u16::to_be_bytes);
        let [red_shift, green_shift, blue_shift] = self.shift;
        [
            self.bits_per_pixel,
            self.depth,
            u8::from(self.big_endian),
            u8::from(self.true_colour),
            red_max[0],
            red_max[1],
            green_max[0],
            green_max[1],
            blue_max[0],
            blue_max[1],
            red_shift,
            green_shift,
            blue_shift,
            0,
            0,
            0,
        ]
    }

    pub fn from_wire(wire: &[u8; 16]) -> PixelFormat {
        let max = |at: usize| u16::from_be_bytes([wire[at], wire[at + 1]]);
        PixelFormat {
            bits_per_pixel: wire[0],
            depth: wire[1],
            // Flags are booleans: x11vnc sends 255 for true colour.
            big_endian: wire[2] != 0,
            true_colour: wire[3] != 0,
            max: [max(4), max(6), max(8)],
            shift: [wire[10], wire[11], wire[12]],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_and_flags_are_booleans() {
        assert_eq!(
            PixelFormat::BGRX.to_wire(),
            [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]
        );
        for format in [PixelFormat::RGBX, PixelFormat::BGRX] {
            assert_eq!(PixelFormat::from_wire(&format.to_wire()), format);
        }
        let mut x11vnc = PixelFormat::BGRX.to_wire();
        x11vnc[3] = 255;
        assert_eq!(PixelFormat::from_wire(&x11vnc), PixelFormat::BGRX);
    }
}
