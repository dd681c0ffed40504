#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every encoding and pseudo-encoding, decoded from hand-built updates.

#[allow(dead_code)]
mod fixtures;

use fixtures::*;
use rfb::{Config, CursorShape, Error, Event, Limits, Rect};

const RED: [u8; 3] = [200, 10, 20];
const GREEN: [u8; 3] = [5, 180, 40];
const BLUE: [u8; 3] = [15, 25, 230];
const WHITE: [u8; 3] = [255, 255, 255];
const GREY: [u8; 3] = [90, 90, 90];

fn rect(x: u16, y: u16, width: u16, height: u16) -> Rect {
    Rect {
        x,
        y,
        width,
        height,
    }
}

/// Reads the framebuffer back as RGB triples, row by row, for compact comparisons.
fn rgb_area(outcome: &Outcome, area: Rect) -> Vec<[u8; 3]> {
    let mut pixels = Vec::new();
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let [red, green, blue, alpha] = pixel_at(outcome, x, y);
            assert_eq!(alpha, 255);
            pixels.push([red, green, blue]);
        }
    }
    pixels
}

#[test]
fn raw_pixels_land_where_the_rectangle_says() {
    let stream = update(&[raw_rect(1, 2, 2, 2, &[RED, GREEN, BLUE, WHITE])]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.events,
        [Event::FramebufferUpdated {
            rects: vec![rect(1, 2, 2, 2)]
        }]
    );
    assert_eq!(
        rgb_area(&outcome, rect(1, 2, 2, 2)),
        [RED, GREEN, BLUE, WHITE]
    );
    assert_eq!(
        pixel_at(&outcome, 0, 0),
        [0, 0, 0, 255],
        "untouched pixels stay black"
    );
    assert_eq!(outcome.outgoing, full_request(true, 4, 4));
}

#[test]
fn raw_full_screen_update_in_one_byte_chunks() {
    let colours: Vec<[u8; 3]> = (0..30u8)
        .map(|index| [index, index * 2, 255 - index])
        .collect();
    let stream = update(&[raw_rect(0, 0, 6, 5, &colours)]);
    let outcome = run_after_handshake(Config::default(), 6, 5, &stream);
    assert_eq!(rgb_area(&outcome, rect(0, 0, 6, 5)), colours);
}

/// Raw pixels are painted a row run at a time: chunks that end inside a pixel, inside a row or
/// across several rows of an inset rectangle must all paint the same, and nothing outside it.
#[test]
fn raw_inset_rectangle_in_chunks_that_split_pixels_and_rows() {
    let colours: Vec<[u8; 3]> = (0..35u8)
        .map(|index| [index * 7, 255 - index, index])
        .collect();
    let mut stream = handshake(9, 8);
    stream.extend(update(&[raw_rect(2, 1, 5, 7, &colours)]));
    let reference = run(Config::default(), &stream);
    assert_eq!(reference.error, None);
    assert_eq!(rgb_area(&reference, rect(2, 1, 5, 7)), colours);
    for (x, y) in [(1, 1), (7, 1), (2, 0), (6, 0), (0, 7), (8, 7)] {
        assert_eq!(pixel_at(&reference, x, y), [0, 0, 0, 255], "({x}, {y})");
    }
    for chunk_size in [1, 3, 5, 7, 19, 21, 45, 139] {
        assert_eq!(
            run_in_chunks(Config::default(), &stream, chunk_size),
            reference,
            "chunk size {chunk_size}"
        );
    }
}

#[test]
fn copy_rect_copies_from_the_current_framebuffer() {
    let mut copy = rect_header(2, 0, 2, 2, COPY_RECT);
    copy.extend(u16s(&[0, 0]));
    let stream = [
        update(&[raw_rect(0, 0, 2, 2, &[RED, GREEN, BLUE, WHITE])]),
        update(&[copy]),
    ]
    .concat();
    let outcome = run_after_handshake(Config::default(), 4, 2, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(
        rgb_area(&outcome, rect(0, 0, 4, 2)),
        [RED, GREEN, RED, GREEN, BLUE, WHITE, BLUE, WHITE]
    );
    assert_eq!(
        outcome.events[1],
        Event::FramebufferUpdated {
            rects: vec![rect(2, 0, 2, 2)]
        }
    );
}

#[test]
fn copy_rect_scrolling_within_the_screen() {
    // Scroll up by one row: the rows overlap.
    let mut copy = rect_header(0, 0, 1, 2, COPY_RECT);
    copy.extend(u16s(&[0, 1]));
    let stream = [
        update(&[raw_rect(0, 0, 1, 3, &[RED, GREEN, BLUE])]),
        update(&[copy]),
    ]
    .concat();
    let outcome = run_after_handshake(Config::default(), 1, 3, &stream);
    assert_eq!(rgb_area(&outcome, rect(0, 0, 1, 3)), [GREEN, BLUE, BLUE]);
}

#[test]
fn copy_rect_source_outside_the_framebuffer_is_an_error() {
    let mut copy = rect_header(0, 0, 2, 2, COPY_RECT);
    copy.extend(u16s(&[3, 0]));
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[copy]));
    assert!(matches!(
        outcome.error,
        Some(Error::RectangleOutOfBounds { x: 3, .. })
    ));
}

fn rre_rect(area: Rect, background: [u8; 3], subrects: &[([u8; 3], [u16; 4])]) -> Vec<u8> {
    let mut bytes = rect_header(area.x, area.y, area.width, area.height, RRE);
    bytes.extend_from_slice(&(subrects.len() as u32).to_be_bytes());
    bytes.extend(pixel(background));
    for (colour, geometry) in subrects {
        bytes.extend(pixel(*colour));
        bytes.extend(u16s(geometry));
    }
    bytes
}

#[test]
fn rre_background_and_subrectangles() {
    let stream = update(&[rre_rect(
        rect(1, 1, 4, 3),
        GREY,
        &[(RED, [0, 0, 2, 1]), (BLUE, [3, 1, 1, 2])],
    )]);
    let outcome = run_after_handshake(Config::default(), 6, 5, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(
        rgb_area(&outcome, rect(1, 1, 4, 3)),
        [
            RED, RED, GREY, GREY, //
            GREY, GREY, GREY, BLUE, //
            GREY, GREY, GREY, BLUE,
        ]
    );
    assert_eq!(pixel_at(&outcome, 0, 0), [0, 0, 0, 255]);
}

#[test]
fn rre_without_subrectangles_is_a_fill() {
    let stream = update(&[
        rre_rect(rect(0, 0, 2, 1), GREEN, &[]),
        raw_rect(0, 0, 1, 1, &[RED]),
    ]);
    let outcome = run_after_handshake(Config::default(), 2, 1, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(rgb_area(&outcome, rect(0, 0, 2, 1)), [RED, GREEN]);
}

#[test]
fn rre_subrectangle_outside_its_rectangle_is_an_error() {
    let stream = update(&[rre_rect(rect(0, 0, 4, 4), GREY, &[(RED, [3, 3, 2, 1])])]);
    let outcome = run_after_handshake(Config::default(), 8, 8, &stream);
    assert!(matches!(
        outcome.error,
        Some(Error::InvalidEncodingData {
            encoding: "RRE",
            ..
        })
    ));
}

#[test]
fn rre_with_more_subrectangles_than_pixels_fails_at_once() {
    let mut bytes = rect_header(0, 0, 2, 2, RRE);
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    bytes.extend(pixel(GREY));
    let outcome = run_after_handshake(Config::default(), 8, 8, &update_with_count(1, &[bytes]));
    assert!(matches!(
        outcome.error,
        Some(Error::InvalidEncodingData {
            encoding: "RRE",
            ..
        })
    ));
}

/// A 20x18 Hextile rectangle is 2x2 tiles of 16x16, 4x16, 16x2 and 4x2 pixels.
fn hextile_fixture() -> (Vec<u8>, Vec<[u8; 3]>) {
    let (width, height) = (20usize, 18usize);
    let mut expected = vec![[0u8; 3]; width * height];
    let mut paint = |x0: usize, y0: usize, w: usize, h: usize, colour: [u8; 3]| {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                expected[y * width + x] = colour;
            }
        }
    };
    let mut data = rect_header(0, 0, width as u16, height as u16, HEXTILE);

    // Tile 1 (0,0 16x16): background grey, foreground red, two plain sub-rectangles.
    data.push(2 | 4 | 8);
    data.extend(pixel(GREY));
    data.extend(pixel(RED));
    data.push(2);
    data.extend_from_slice(&[0x00, 0x31]); // at (0,0), 4x2
    data.extend_from_slice(&[0xF0, 0x0F]); // at (15,0), 1x16
    paint(0, 0, 16, 16, GREY);
    paint(0, 0, 4, 2, RED);
    paint(15, 0, 1, 16, RED);

    // Tile 2 (16,0 4x16): raw pixels.
    data.push(1);
    for index in 0..(4 * 16) {
        let colour = [index as u8, 100, 200 - index as u8];
        data.extend(pixel(colour));
        paint(16 + index % 4, index / 4, 1, 1, colour);
    }

    // Tile 3 (0,16 16x2): background carried over from tile 1 (not from the raw tile),
    // coloured sub-rectangles.
    data.push(8 | 16);
    data.push(2);
    data.extend(pixel(BLUE));
    data.extend_from_slice(&[0x20, 0x10]); // at (2,0), 2x1
    data.extend(pixel(WHITE));
    data.extend_from_slice(&[0x51, 0x00]); // at (5,1), 1x1
    paint(0, 16, 16, 2, GREY);
    paint(2, 16, 2, 1, BLUE);
    paint(5, 17, 1, 1, WHITE);

    // Tile 4 (16,16 4x2): no flags, so a plain fill with the carried background.
    data.push(0);
    paint(16, 16, 4, 2, GREY);
    (data, expected)
}

#[test]
fn hextile_tiles_with_every_sub_encoding() {
    let (data, expected) = hextile_fixture();
    let outcome = run_after_handshake(Config::default(), 20, 18, &update(&[data]));
    assert_eq!(outcome.error, None);
    assert_eq!(rgb_area(&outcome, rect(0, 0, 20, 18)), expected);
    assert_eq!(
        outcome.events,
        [Event::FramebufferUpdated {
            rects: vec![rect(0, 0, 20, 18)]
        }]
    );
}

#[test]
fn hextile_foreground_carries_to_the_next_tile() {
    let mut data = rect_header(0, 0, 32, 1, HEXTILE);
    data.extend([&[2u8 | 4][..], &pixel(GREY), &pixel(RED)].concat());
    data.extend_from_slice(&[8, 1, 0x10, 0x00]); // at (1,0), 1x1, carried red foreground
    let outcome = run_after_handshake(Config::default(), 32, 1, &update(&[data]));
    assert_eq!(outcome.error, None);
    assert_eq!(pixel_at(&outcome, 17, 0), rgba(RED));
    assert_eq!(pixel_at(&outcome, 16, 0), rgba(GREY));
}

#[test]
fn hextile_subrectangle_outside_the_edge_tile_is_an_error() {
    let mut data = rect_header(0, 0, 4, 4, HEXTILE);
    data.push(2 | 4 | 8);
    data.extend(pixel(GREY));
    data.extend(pixel(RED));
    data.extend_from_slice(&[1, 0x30, 0x10]); // at (3,0), 2x1: past the 4-pixel edge
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[data]));
    assert!(matches!(
        outcome.error,
        Some(Error::InvalidEncodingData {
            encoding: "Hextile",
            ..
        })
    ));
}

/// ZRLE tile data for a 70x66 rectangle: 4 tiles of 64x64, 6x64, 64x2 and 6x2.
fn zrle_fixture() -> (Vec<u8>, Vec<[u8; 3]>) {
    let (width, height) = (70usize, 66usize);
    let mut expected = vec![[0u8; 3]; width * height];
    let mut tiles = Vec::new();
    let cpixel = |colour: [u8; 3]| colour.to_vec();

    // Tile 1 (0,0 64x64): palette RLE with three colours: runs and single pixels.
    tiles.push(128 + 3);
    for colour in [RED, GREEN, BLUE] {
        tiles.extend(cpixel(colour));
    }
    // 300 red (run: 255 + 44 + 1), one green (single), then blue for the rest.
    tiles.extend_from_slice(&[0x80, 255, 44]);
    tiles.push(1);
    let blue_run = 64 * 64 - 301 - 1;
    tiles.push(0x82);
    tiles.extend(std::iter::repeat_n(255, blue_run / 255));
    tiles.push((blue_run % 255) as u8);
    for index in 0..64 * 64 {
        let colour = match index {
            0..300 => RED,
            300 => GREEN,
            _ => BLUE,
        };
        expected[(index / 64) * width + index % 64] = colour;
    }

    // Tile 2 (64,0 6x64): packed palette of 3 colours, 2 bits per pixel, rows padded.
    tiles.push(3);
    for colour in [WHITE, GREY, RED] {
        tiles.extend(cpixel(colour));
    }
    for row in 0..64 {
        // Indices per column: row % 3, then 0,1,2,0,1.
        let indices = [row % 3, 0, 1, 2, 0, 1];
        let mut packed = [0u8; 2];
        for (column, index) in indices.iter().enumerate() {
            packed[column / 4] |= (*index as u8) << (6 - 2 * (column % 4));
            expected[row * width + 64 + column] = [WHITE, GREY, RED][*index];
        }
        tiles.extend_from_slice(&packed);
    }

    // Tile 3 (0,64 64x2): plain RLE.
    tiles.push(128);
    tiles.extend(cpixel(GREEN));
    tiles.push(99); // 100 pixels
    tiles.extend(cpixel(WHITE));
    tiles.push(27); // 28 pixels
    for index in 0..128 {
        expected[(64 + index / 64) * width + index % 64] = if index < 100 { GREEN } else { WHITE };
    }

    // Tile 4 (64,64 6x2): raw CPIXELs.
    tiles.push(0);
    for index in 0..12 {
        let colour = [index as u8 * 20, 7, 9];
        tiles.extend(cpixel(colour));
        expected[(64 + index / 6) * width + 64 + index % 6] = colour;
    }
    (tiles, expected)
}

#[test]
fn zrle_tiles_across_tile_boundaries() {
    let (tiles, expected) = zrle_fixture();
    let mut stream = ZrleStream::default();
    let data = stream.rect(0, 0, 70, 66, &tiles);
    let outcome = run_after_handshake(Config::default(), 70, 66, &update(&[data]));
    assert_eq!(outcome.error, None);
    assert_eq!(rgb_area(&outcome, rect(0, 0, 70, 66)), expected);
}

#[test]
fn zrle_solid_and_packed_palettes_of_one_and_four_bits() {
    // One 9x2 rectangle per tile kind, painted side by side.
    let mut stream = ZrleStream::default();
    let solid = [&[1u8][..], &BLUE].concat();
    // Two colours, 1 bit per pixel: 9 pixels need 2 bytes per row.
    let two_colours = [
        &[2u8][..],
        &RED,
        &GREEN,
        &[0b1010_1010, 0b1000_0000],
        &[0b0101_0101, 0],
    ]
    .concat();
    // Five colours, 4 bits per pixel: 9 pixels need 5 bytes per row.
    let mut five_colours = vec![5u8];
    for colour in [RED, GREEN, BLUE, WHITE, GREY] {
        five_colours.extend_from_slice(&colour);
    }
    five_colours.extend_from_slice(&[0x01, 0x23, 0x40, 0x12, 0x30]);
    five_colours.extend_from_slice(&[0x44, 0x44, 0x44, 0x44, 0x40]);

    let updates = [
        update(&[stream.rect(0, 0, 9, 2, &solid)]),
        update(&[stream.rect(0, 2, 9, 2, &two_colours)]),
        update(&[stream.rect(0, 4, 9, 2, &five_colours)]),
    ]
    .concat();
    let outcome = run_after_handshake(Config::default(), 9, 6, &updates);
    assert_eq!(outcome.error, None);
    assert_eq!(rgb_area(&outcome, rect(0, 0, 9, 2)), vec![BLUE; 18]);
    assert_eq!(
        rgb_area(&outcome, rect(0, 2, 9, 1)),
        [GREEN, RED, GREEN, RED, GREEN, RED, GREEN, RED, GREEN]
    );
    assert_eq!(
        rgb_area(&outcome, rect(0, 3, 9, 1)),
        [RED, GREEN, RED, GREEN, RED, GREEN, RED, GREEN, RED]
    );
    assert_eq!(
        rgb_area(&outcome, rect(0, 4, 9, 1)),
        [RED, GREEN, BLUE, WHITE, GREY, RED, GREEN, BLUE, WHITE]
    );
    assert_eq!(rgb_area(&outcome, rect(0, 5, 9, 1)), vec![GREY; 9]);
}

fn zrle_error(tiles: &[u8], width: u16, height: u16) -> Option<Error> {
    let mut stream = ZrleStream::default();
    let data = stream.rect(0, 0, width, height, tiles);
    run_after_handshake(Config::default(), 64, 64, &update(&[data])).error
}

fn invalid_zrle(detail: &'static str) -> Option<Error> {
    Some(Error::InvalidEncodingData {
        encoding: "ZRLE",
        detail,
    })
}

#[test]
fn zrle_hostile_tiles_are_errors() {
    let palette_of_two = [&[2u8][..], &RED, &GREEN].concat();
    assert_eq!(
        zrle_error(&[&palette_of_two[..], &[0xFF]].concat(), 4, 1),
        None,
        "1-bit indices can only address the two colours"
    );
    let palette_rle = [&[130u8][..], &RED, &GREEN, &[0x05]].concat();
    assert_eq!(
        zrle_error(&palette_rle, 1, 1),
        invalid_zrle("palette index out of range")
    );
    let palette_of_three = [&[3u8][..], &RED, &GREEN, &BLUE, &[0b1100_0000]].concat();
    assert_eq!(
        zrle_error(&palette_of_three, 1, 1),
        invalid_zrle("palette index out of range")
    );
    let long_run = [&[128u8][..], &RED, &[4]].concat();
    assert_eq!(
        zrle_error(&long_run, 2, 2),
        invalid_zrle("run longer than the rest of the tile")
    );
    assert_eq!(zrle_error(&[17], 1, 1), invalid_zrle("unused sub-encoding"));
    assert_eq!(
        zrle_error(&[129], 1, 1),
        invalid_zrle("unused sub-encoding")
    );
    assert_eq!(
        zrle_error(&[1, 1, 2], 1, 1),
        invalid_zrle("tile data ends early")
    );
    assert_eq!(
        zrle_error(&[1, 1, 2, 3, 0], 1, 1),
        invalid_zrle("data left over after the last tile")
    );
}

#[test]
fn zrle_decompression_bomb_is_stopped() {
    // A 1x1 rectangle needs at most a few hundred inflated bytes; send a megabyte of zeros.
    let tiles = vec![0u8; 1 << 20];
    let error = zrle_error(&tiles, 1, 1);
    assert!(
        matches!(
            error,
            Some(Error::TooLong {
                what: "inflated ZRLE rectangle",
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn zrle_length_beyond_any_valid_rectangle_is_refused_before_it_arrives() {
    let mut data = rect_header(0, 0, 1, 1, ZRLE);
    data.extend_from_slice(&u32::MAX.to_be_bytes());
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[data]));
    assert!(matches!(
        outcome.error,
        Some(Error::TooLong {
            what: "ZRLE rectangle",
            ..
        })
    ));
}

#[test]
fn zrle_corrupt_zlib_data_is_an_error() {
    let mut data = rect_header(0, 0, 1, 1, ZRLE);
    data.extend_from_slice(&4u32.to_be_bytes());
    data.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[data]));
    assert!(
        matches!(outcome.error, Some(Error::Zlib(_))),
        "{:?}",
        outcome.error
    );
}

#[test]
fn cursor_shape_with_transparency_from_the_mask() {
    let mut data = rect_header(1, 0, 3, 2, CURSOR);
    for colour in [RED, GREEN, BLUE, WHITE, GREY, RED] {
        data.extend(pixel(colour));
    }
    data.extend_from_slice(&[0b1010_0000, 0b0110_0000]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[data]));
    assert_eq!(outcome.error, None);
    let visible = |colour: [u8; 3]| rgba(colour);
    let hidden = |colour: [u8; 3]| [colour[0], colour[1], colour[2], 0];
    let expected_rgba = [
        visible(RED),
        hidden(GREEN),
        visible(BLUE),
        hidden(WHITE),
        visible(GREY),
        visible(RED),
    ]
    .concat();
    assert_eq!(
        outcome.events,
        [Event::Cursor(CursorShape {
            hotspot_x: 1,
            hotspot_y: 0,
            width: 3,
            height: 2,
            rgba: expected_rgba,
        })]
    );
    assert_eq!(
        pixel_at(&outcome, 0, 0),
        [0, 0, 0, 255],
        "a cursor paints nothing"
    );
}

#[test]
fn empty_cursor_hides_the_pointer() {
    let outcome = run_after_handshake(
        Config::default(),
        4,
        4,
        &update(&[rect_header(0, 0, 0, 0, CURSOR)]),
    );
    assert_eq!(
        outcome.events,
        [Event::Cursor(CursorShape {
            hotspot_x: 0,
            hotspot_y: 0,
            width: 0,
            height: 0,
            rgba: vec![],
        })]
    );
}

#[test]
fn oversized_cursor_is_refused() {
    let data = rect_header(0, 0, 4000, 4000, CURSOR);
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[data]));
    assert!(matches!(
        outcome.error,
        Some(Error::TooLong {
            what: "cursor side",
            ..
        })
    ));
}

#[test]
fn desktop_size_resizes_and_asks_for_everything() {
    let stream = update(&[
        raw_rect(0, 0, 1, 1, &[RED]),
        rect_header(0, 0, 30, 20, DESKTOP_SIZE),
        raw_rect(29, 19, 1, 1, &[GREEN]),
    ]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.size, (30, 20));
    assert_eq!(
        outcome.events,
        [
            Event::Resized {
                width: 30,
                height: 20
            },
            Event::FramebufferUpdated {
                rects: vec![rect(29, 19, 1, 1)]
            }
        ]
    );
    assert_eq!(pixel_at(&outcome, 0, 0), [0, 0, 0, 255], "resizing clears");
    assert_eq!(pixel_at(&outcome, 29, 19), rgba(GREEN));
    assert_eq!(outcome.outgoing, full_request(false, 30, 20));
}

#[test]
fn desktop_size_above_the_limit_is_an_error() {
    let stream = update(&[rect_header(0, 0, 8193, 10, DESKTOP_SIZE)]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert!(matches!(
        outcome.error,
        Some(Error::FramebufferTooLarge { width: 8193, .. })
    ));
}

fn extended_desktop_size(reason: u16, status: u16, width: u16, height: u16) -> Vec<u8> {
    let mut data = rect_header(reason, status, width, height, EXTENDED_DESKTOP_SIZE);
    data.extend_from_slice(&[1, 0, 0, 0]);
    data.extend_from_slice(&7u32.to_be_bytes()); // screen id
    data.extend(u16s(&[0, 0, width, height]));
    data.extend_from_slice(&0u32.to_be_bytes()); // flags
    data
}

#[test]
fn extended_desktop_size_resizes_only_on_success_and_change() {
    let stream = [
        update(&[extended_desktop_size(0, 0, 4, 4)]), // same size: nothing to do
        update(&[extended_desktop_size(1, 3, 50, 50)]), // a refused request
        update(&[extended_desktop_size(0, 0, 12, 8)]),
    ]
    .concat();
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.events,
        [Event::Resized {
            width: 12,
            height: 8
        }]
    );
    assert_eq!(
        outcome.outgoing,
        [
            full_request(true, 4, 4),
            full_request(true, 4, 4),
            full_request(false, 12, 8)
        ]
        .concat()
    );
}

#[test]
fn last_rect_ends_an_update_of_unknown_length() {
    let stream = [
        update_with_count(
            0xFFFF,
            &[
                raw_rect(0, 0, 1, 1, &[RED]),
                rect_header(0, 0, 0, 0, LAST_RECT),
            ],
        ),
        vec![2],
    ]
    .concat();
    let outcome = run_after_handshake(Config::default(), 2, 2, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.events,
        [
            Event::FramebufferUpdated {
                rects: vec![rect(0, 0, 1, 1)]
            },
            Event::Bell
        ]
    );
}

#[test]
fn desktop_name_changes() {
    let mut data = rect_header(0, 0, 0, 0, DESKTOP_NAME);
    data.extend_from_slice(&6u32.to_be_bytes());
    data.extend_from_slice(b"vm-042");
    let outcome = run_after_handshake(Config::default(), 2, 2, &update(&[data]));
    assert_eq!(outcome.events, [Event::DesktopName("vm-042".to_owned())]);
}

#[test]
fn pixel_rectangle_outside_the_framebuffer_is_an_error() {
    let outcome = run_after_handshake(
        Config::default(),
        4,
        4,
        &update(&[raw_rect(3, 3, 2, 1, &[RED, RED])]),
    );
    assert_eq!(
        outcome.error,
        Some(Error::RectangleOutOfBounds {
            x: 3,
            y: 3,
            width: 2,
            height: 1,
            fb_width: 4,
            fb_height: 4
        })
    );
}

#[test]
fn encodings_the_client_cannot_decode_are_errors() {
    let outcome = run_after_handshake(
        Config::default(),
        4,
        4,
        &update(&[rect_header(0, 0, 1, 1, 7)]),
    );
    assert_eq!(outcome.error, Some(Error::UnsupportedEncoding(7)));
}

#[test]
fn empty_pixel_rectangles_report_nothing() {
    let stream = update(&[
        raw_rect(2, 2, 0, 0, &[]),
        rect_header(0, 0, 0, 3, HEXTILE),
        rre_rect(rect(1, 1, 0, 0), RED, &[]),
    ]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert!(outcome.events.is_empty());
    assert_eq!(outcome.outgoing, full_request(true, 4, 4));
}

/// One long session with every encoding and message, fed whole, byte by byte and in chunks of
/// every size up to 64: all must agree.
#[test]
fn a_whole_session_decodes_the_same_in_any_chunking() {
    let mut zrle = ZrleStream::default();
    let (hextile, _) = hextile_fixture();
    let (zrle_tiles, zrle_expected) = zrle_fixture();
    let mut copy = rect_header(70, 0, 10, 10, COPY_RECT);
    copy.extend(u16s(&[0, 0]));
    let mut messages = [
        update(&[rect_header(0, 0, 80, 70, DESKTOP_SIZE)]),
        vec![248, 0, 0, 0, 0x80, 0, 0, 0, 2, 9, 9],
        update(&[hextile, zrle.rect(0, 0, 70, 66, &zrle_tiles)]),
        vec![2, 3, 0, 0, 0, 0, 0, 0, 2, b'o', b'k'],
        update(&[
            copy,
            rre_rect(rect(70, 60, 10, 10), GREY, &[(RED, [1, 1, 2, 2])]),
            raw_rect(79, 69, 1, 1, &[WHITE]),
        ]),
    ]
    .concat();
    // A second ZRLE rectangle continues the same zlib stream.
    messages.extend(update(&[zrle.rect(0, 66, 2, 1, &[1, 9, 8, 7])]));

    let mut full = handshake(10, 10);
    full.extend_from_slice(&messages);
    let reference = run(Config::default(), &full);
    assert_eq!(reference.error, None);
    for chunk_size in 2..=64 {
        assert_eq!(
            run_in_chunks(Config::default(), &full, chunk_size),
            reference,
            "chunk size {chunk_size}"
        );
    }
    assert_eq!(reference.size, (80, 70));
    assert_eq!(pixel_at(&reference, 0, 66), rgba([9, 8, 7]));
    assert_eq!(pixel_at(&reference, 79, 69), rgba(WHITE));
    assert_eq!(pixel_at(&reference, 72, 62), rgba(RED));
    // The copy took the ZRLE tile's top-left 10x10 pixels.
    assert_eq!(pixel_at(&reference, 75, 5), rgba(zrle_expected[5 * 70 + 5]));
    assert!(
        reference
            .events
            .contains(&Event::ServerCutText("ok".to_owned()))
    );
}

#[test]
fn limits_are_configurable() {
    let config = Config {
        limits: Limits {
            max_width: 16,
            max_height: 16,
            ..Limits::default()
        },
        ..Config::default()
    };
    let outcome = run(config, &handshake(17, 2));
    assert!(matches!(
        outcome.error,
        Some(Error::FramebufferTooLarge { max_width: 16, .. })
    ));
}
