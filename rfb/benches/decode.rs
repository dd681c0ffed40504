//! Decode speed of `rfb::Client` per encoding, native. For each encoding a 1280x720 desktop
//! (gradient wallpaper, a terminal and a document window with anti-aliased text, a photo,
//! a taskbar) is encoded once, four variants with different text, by the simple encoders
//! below; then a fresh client, after its handshake, is fed the frames in 64 KiB chunks (the
//! proxy's frame size) over and over for about `--seconds` (2) per encoding. Reported: frames
//! per second, MB/s of decoded pixels (changed area * 4 bytes) and MB/s of encoded input
//! (MB = 10^6 bytes). Each encoding's output is first checked pixel for pixel against the
//! scene. Run it with `scripts/bench-console`; the figures go to `docs/benchmarks.md`.

// A bench reports and panics on what it cannot do, like a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use rfb::{Client, Config};

const WIDTH: usize = 1280;
const HEIGHT: usize = 720;
const VARIANTS: usize = 4;
/// What one WebSocket message from the proxy carries at most (its `RELAY_CHUNK`).
const CHUNK: usize = 64 * 1024;

const RAW: i32 = 0;
const COPY_RECT: i32 = 1;
const RRE: i32 = 2;
const HEXTILE: i32 = 5;
const ZRLE: i32 = 16;

type Rgb = [u8; 3];

fn main() {
    let seconds = parse_seconds();
    let scenes: Vec<Scene> = (0..VARIANTS).map(Scene::desktop).collect();
    println!(
        "{WIDTH}x{HEIGHT} desktop, {VARIANTS} frames per pass, fed in {} KiB chunks, ~{seconds} s per encoding",
        CHUNK / 1024
    );
    println!(
        "\n| encoding | input per frame | of Raw | frames/s | decoded pixels | encoded input |\n|---|---|---|---|---|---|"
    );
    let raw_frame_len = raw_update(&scenes[0]).len();

    let mut benches = vec![
        Bench::full_frames("Raw", &scenes, raw_update),
        Bench::copy_rect(&scenes[0]),
        Bench::full_frames("RRE", &scenes, rre_update),
        Bench::full_frames("Hextile", &scenes, hextile_update),
    ];
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    benches.push(Bench::full_frames("ZRLE", &scenes, |scene| {
        zrle_update(scene, &mut zlib)
    }));

    for bench in &benches {
        bench.verify();
        let measured = bench.measure(Duration::from_secs_f64(seconds));
        let input_per_frame = bench.input_len() as f64 / bench.frames.len() as f64;
        let seconds = measured.time.as_secs_f64();
        println!(
            "| {} | {} | {:.2} % | {:.0} | {} | {} |",
            bench.name,
            if input_per_frame < 10_000.0 {
                format!("{input_per_frame:.0} B")
            } else {
                format!("{:.0} KB", input_per_frame / 1e3)
            },
            100.0 * input_per_frame / raw_frame_len as f64,
            measured.frames as f64 / seconds,
            megabytes_per_second(measured.passes * bench.decoded_per_pass, seconds),
            megabytes_per_second(measured.passes * bench.input_len(), seconds),
        );
    }
}

fn megabytes_per_second(bytes: usize, seconds: f64) -> String {
    let rate = bytes as f64 / 1e6 / seconds;
    // CopyRect moves megabytes of pixels on a few bytes of input.
    if rate < 10.0 {
        format!("{rate:.2} MB/s")
    } else {
        format!("{rate:.0} MB/s")
    }
}

fn parse_seconds() -> f64 {
    let mut seconds = 2.0;
    let mut args = std::env::args().skip(1);
    while let Some(name) = args.next() {
        match name.as_str() {
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .filter(|&value: &f64| value > 0.0)
                    .unwrap_or_else(|| usage("--seconds needs a positive number"));
            }
            other => usage(&format!("unknown option {other}")),
        }
    }
    seconds
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: decode [--seconds S]");
    std::process::exit(2)
}

/// An RGB screen.
#[derive(Clone, PartialEq)]
struct Scene {
    pixels: Vec<Rgb>,
}

impl Scene {
    fn desktop(variant: usize) -> Self {
        let mut scene = Scene {
            pixels: vec![[0; 3]; WIDTH * HEIGHT],
        };
        // Wallpaper: a vertical gradient, one colour a row.
        for y in 0..HEIGHT {
            let t = (y * 255 / HEIGHT) as u8;
            scene.fill(0, y, WIDTH, 1, [20 + t / 5, 40 + t / 3, 90 + t / 2]);
        }
        // Terminal: title bar, dark body, light text.
        scene.fill(60, 40, 640, 24, [60, 90, 160]);
        scene.text(68, 44, 30, 1, [255, 255, 255], [60, 90, 160], variant);
        scene.fill(60, 64, 640, 396, [24, 24, 24]);
        scene.text(66, 68, 78, 24, [200, 200, 200], [24, 24, 24], variant + 10);
        // Document window: title bar, white page with dark text, a photo and buttons.
        scene.fill(560, 120, 660, 24, [70, 70, 80]);
        scene.text(568, 124, 40, 1, [240, 240, 240], [70, 70, 80], variant + 20);
        scene.fill(560, 144, 660, 516, [255, 255, 255]);
        scene.text(
            580,
            160,
            78,
            12,
            [30, 30, 30],
            [255, 255, 255],
            variant + 30,
        );
        scene.photo(580, 360, 320, 200, variant);
        scene.text(
            920,
            360,
            35,
            12,
            [30, 30, 30],
            [255, 255, 255],
            variant + 40,
        );
        for (index, colour) in [[0, 120, 215], [230, 230, 230], [200, 40, 40]]
            .into_iter()
            .enumerate()
        {
            scene.fill(920 + index * 96, 600, 88, 32, colour);
        }
        // Taskbar with icons and a clock.
        scene.fill(0, 688, WIDTH, 32, [40, 40, 48]);
        for index in 0..10 {
            let colour = [(index * 40) as u8, (200 - index * 15) as u8, 120];
            scene.fill(8 + index * 32, 692, 24, 24, colour);
        }
        scene.text(1200, 696, 8, 1, [230, 230, 230], [40, 40, 48], variant + 50);
        scene
    }

    fn at(&self, x: usize, y: usize) -> Rgb {
        self.pixels[y * WIDTH + x]
    }

    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, colour: Rgb) {
        for row in y..y + height {
            self.pixels[row * WIDTH + x..row * WIDTH + x + width].fill(colour);
        }
    }

    /// Lines of 8x16 glyph cells: random strokes in a 6x10 core, anti-aliased edges (two
    /// blends of ink and paper), words of varying length.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: usize,
        y: usize,
        columns: usize,
        lines: usize,
        ink: Rgb,
        paper: Rgb,
        seed: usize,
    ) {
        let blend = |amount: u32| -> Rgb {
            std::array::from_fn(|channel| {
                ((u32::from(ink[channel]) * amount + u32::from(paper[channel]) * (3 - amount)) / 3)
                    as u8
            })
        };
        let shades = [blend(1), blend(2), ink];
        for line in 0..lines {
            // Lines end at different lengths, like prose and shell output.
            let length = columns - hash(seed, line, 0, 1) % (columns / 2);
            for column in 0..length {
                let cell = hash(seed, line, column, 2);
                if cell.is_multiple_of(6) {
                    continue;
                }
                for gy in 3..13 {
                    for gx in 1..7 {
                        let bits = hash(cell, gx, gy, 3);
                        if bits.is_multiple_of(3) {
                            let shade = shades[(bits / 3) % 3];
                            self.pixels[(y + line * 16 + gy) * WIDTH + x + column * 8 + gx] = shade;
                        }
                    }
                }
            }
        }
    }

    /// A photo: smooth colour fields with slight sensor noise, so nearly every pixel differs.
    fn photo(&mut self, x: usize, y: usize, width: usize, height: usize, variant: usize) {
        for row in 0..height {
            for column in 0..width {
                let noise = (hash(variant, column, row, 4) % 9) as i32 - 4;
                let channel = |base: i32| (base + noise).clamp(0, 255) as u8;
                let cx = column as i32 - 160;
                let cy = row as i32 - 100;
                let radial = (cx * cx + cy * cy) / 200;
                self.pixels[(y + row) * WIDTH + x + column] = [
                    channel(40 + column as i32 / 2),
                    channel(180 - radial.min(160)),
                    channel(60 + row as i32 / 2 + variant as i32 * 8),
                ];
            }
        }
    }

    fn rgba(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|&[red, green, blue]| [red, green, blue, 255])
            .collect()
    }
}

/// A cheap, well-mixed deterministic hash (splitmix64 finaliser).
fn hash(a: usize, b: usize, c: usize, d: usize) -> usize {
    let mut z = (a as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(((b as u64) << 32) ^ ((c as u64) << 8) ^ d as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as usize
}

// Encoders. A pixel goes out in the format the client asks for: R, G, B, padding.

fn pixel(bytes: &mut Vec<u8>, [red, green, blue]: Rgb) {
    bytes.extend_from_slice(&[red, green, blue, 0]);
}

fn update(rects: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = vec![0, 0];
    bytes.extend_from_slice(&(rects.len() as u16).to_be_bytes());
    for rect in rects {
        bytes.extend_from_slice(rect);
    }
    bytes
}

fn rect_header(x: usize, y: usize, width: usize, height: usize, encoding: i32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for value in [x, y, width, height] {
        bytes.extend_from_slice(&(value as u16).to_be_bytes());
    }
    bytes.extend_from_slice(&encoding.to_be_bytes());
    bytes
}

fn raw_update(scene: &Scene) -> Vec<u8> {
    let mut rect = rect_header(0, 0, WIDTH, HEIGHT, RAW);
    for &colour in &scene.pixels {
        pixel(&mut rect, colour);
    }
    update(&[rect])
}

/// A rectangle of the scene, for the tile encoders.
#[derive(Clone, Copy)]
struct Area {
    x: usize,
    y: usize,
    width: usize,
    height: usize,
}

impl Area {
    /// The screen cut into `side`-sized tiles, row by row, as servers and Hextile/ZRLE do.
    fn tiles(width: usize, height: usize, side: usize) -> impl Iterator<Item = Area> {
        (0..height).step_by(side).flat_map(move |y| {
            (0..width).step_by(side).map(move |x| Area {
                x,
                y,
                width: side.min(width - x),
                height: side.min(height - y),
            })
        })
    }

    fn pixels<'a>(&self, scene: &'a Scene) -> impl Iterator<Item = Rgb> + 'a {
        let Area {
            x,
            y,
            width,
            height,
        } = *self;
        (y..y + height).flat_map(move |row| (x..x + width).map(move |column| scene.at(column, row)))
    }

    /// The commonest colour, the natural background.
    fn background(&self, scene: &Scene) -> Rgb {
        let mut counts: HashMap<Rgb, usize> = HashMap::new();
        for colour in self.pixels(scene) {
            *counts.entry(colour).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|&(colour, count)| (count, colour))
            .map(|(colour, _)| colour)
            .unwrap()
    }

    /// The pixels that are not `background`, as runs along each row, a run merged with the
    /// same run on the row above: (x, y, width, height, colour), relative to the area.
    fn subrects(&self, scene: &Scene, background: Rgb) -> Vec<(usize, usize, usize, usize, Rgb)> {
        let mut subrects: Vec<(usize, usize, usize, usize, Rgb)> = Vec::new();
        let mut above: HashMap<(usize, usize, Rgb), usize> = HashMap::new();
        for row in 0..self.height {
            let mut this_row = HashMap::new();
            let mut column = 0;
            while column < self.width {
                let colour = scene.at(self.x + column, self.y + row);
                let start = column;
                while column < self.width && scene.at(self.x + column, self.y + row) == colour {
                    column += 1;
                }
                if colour == background {
                    continue;
                }
                let key = (start, column - start, colour);
                let index = match above.get(&key) {
                    Some(&index) => {
                        subrects[index].3 += 1;
                        index
                    }
                    None => {
                        subrects.push((start, row, column - start, 1, colour));
                        subrects.len() - 1
                    }
                };
                this_row.insert(key, index);
            }
            above = this_row;
        }
        subrects
    }
}

/// RRE, one rectangle per 64x64 tile (servers split large areas before RRE-encoding them).
fn rre_update(scene: &Scene) -> Vec<u8> {
    let rects: Vec<Vec<u8>> = Area::tiles(WIDTH, HEIGHT, 64)
        .map(|area| {
            let background = area.background(scene);
            let subrects = area.subrects(scene, background);
            let mut rect = rect_header(area.x, area.y, area.width, area.height, RRE);
            rect.extend_from_slice(&(subrects.len() as u32).to_be_bytes());
            pixel(&mut rect, background);
            for (x, y, width, height, colour) in subrects {
                pixel(&mut rect, colour);
                for value in [x, y, width, height] {
                    rect.extend_from_slice(&(value as u16).to_be_bytes());
                }
            }
            rect
        })
        .collect();
    update(&rects)
}

const HEXTILE_RAW: u8 = 1;
const HEXTILE_BACKGROUND: u8 = 2;
const HEXTILE_FOREGROUND: u8 = 4;
const HEXTILE_ANY_SUBRECTS: u8 = 8;
const HEXTILE_COLOURED: u8 = 16;

/// Hextile, the whole screen as one rectangle: per 16x16 tile a fill, one-colour or coloured
/// sub-rectangles, or raw pixels, whichever is smallest.
fn hextile_update(scene: &Scene) -> Vec<u8> {
    let mut rect = rect_header(0, 0, WIDTH, HEIGHT, HEXTILE);
    // The background the decoder carries from the previous tile; none after a raw tile.
    let mut carried: Option<Rgb> = None;
    for area in Area::tiles(WIDTH, HEIGHT, 16) {
        let background = area.background(scene);
        let subrects = area.subrects(scene, background);
        let raw_len = 1 + area.width * area.height * 4;
        let one_colour = subrects
            .first()
            .is_some_and(|first| subrects.iter().all(|subrect| subrect.4 == first.4));
        let subrects_len = if subrects.is_empty() {
            0
        } else if one_colour {
            4 + 1 + 2 * subrects.len()
        } else {
            1 + 6 * subrects.len()
        };
        let needs_background = carried != Some(background);
        let encoded_len = 1 + if needs_background { 4 } else { 0 } + subrects_len;
        if subrects.len() > 255 || encoded_len >= raw_len {
            rect.push(HEXTILE_RAW);
            for colour in area.pixels(scene) {
                pixel(&mut rect, colour);
            }
            carried = None;
            continue;
        }
        let mut flags = 0;
        if needs_background {
            flags |= HEXTILE_BACKGROUND;
        }
        if !subrects.is_empty() {
            flags |= HEXTILE_ANY_SUBRECTS;
            flags |= if one_colour {
                HEXTILE_FOREGROUND
            } else {
                HEXTILE_COLOURED
            };
        }
        rect.push(flags);
        if needs_background {
            pixel(&mut rect, background);
        }
        if let Some(first) = subrects.first().filter(|_| one_colour) {
            pixel(&mut rect, first.4);
        }
        if !subrects.is_empty() {
            rect.push(subrects.len() as u8);
        }
        for (x, y, width, height, colour) in subrects {
            if !one_colour {
                pixel(&mut rect, colour);
            }
            rect.push(((x << 4) | y) as u8);
            rect.push((((width - 1) << 4) | (height - 1)) as u8);
        }
        carried = Some(background);
    }
    update(&[rect])
}

/// ZRLE, the whole screen as one rectangle: per 64x64 tile solid, packed palette, plain RLE,
/// palette RLE or raw, whichever is smallest; one zlib stream across all frames.
fn zrle_update(scene: &Scene, zlib: &mut ZlibEncoder<Vec<u8>>) -> Vec<u8> {
    let mut tiles = Vec::new();
    for area in Area::tiles(WIDTH, HEIGHT, 64) {
        zrle_tile(
            &area.pixels(scene).collect::<Vec<_>>(),
            area.width,
            &mut tiles,
        );
    }
    zlib.write_all(&tiles).unwrap();
    // A sync flush ends the rectangle's data on a byte boundary, as a ZRLE server does.
    zlib.flush().unwrap();
    let compressed = std::mem::take(zlib.get_mut());
    let mut rect = rect_header(0, 0, WIDTH, HEIGHT, ZRLE);
    rect.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
    rect.extend_from_slice(&compressed);
    update(&[rect])
}

fn zrle_tile(pixels: &[Rgb], width: usize, out: &mut Vec<u8>) {
    let mut palette: Vec<Rgb> = Vec::new();
    for &colour in pixels {
        if palette.len() <= 127 && !palette.contains(&colour) {
            palette.push(colour);
        }
    }
    if palette.len() == 1 {
        out.push(1);
        out.extend_from_slice(&palette[0]);
        return;
    }
    let mut runs: Vec<(Rgb, usize)> = Vec::new();
    for &colour in pixels {
        match runs.last_mut() {
            Some((last, length)) if *last == colour => *length += 1,
            _ => runs.push((colour, 1)),
        }
    }
    let run_length_len = |length: usize| (length - 1) / 255 + 1;
    let raw_len = 3 * pixels.len();
    let plain_rle_len: usize = runs.iter().map(|&(_, n)| 3 + run_length_len(n)).sum();
    let fits_palette = palette.len() <= 127;
    let palette_rle_len = if fits_palette {
        3 * palette.len()
            + runs
                .iter()
                .map(|&(_, n)| if n == 1 { 1 } else { 1 + run_length_len(n) })
                .sum::<usize>()
    } else {
        usize::MAX
    };
    let bits = match palette.len() {
        2 => 1,
        3..=4 => 2,
        5..=16 => 4,
        _ => 0,
    };
    let height = pixels.len() / width;
    let packed_len = if bits > 0 {
        3 * palette.len() + height * (width * bits).div_ceil(8)
    } else {
        usize::MAX
    };
    let smallest = raw_len
        .min(plain_rle_len)
        .min(palette_rle_len)
        .min(packed_len);
    let index = |colour: &Rgb| palette.iter().position(|entry| entry == colour).unwrap() as u8;
    let push_run_length = |out: &mut Vec<u8>, length: usize| {
        let mut left = length - 1;
        while left >= 255 {
            out.push(255);
            left -= 255;
        }
        out.push(left as u8);
    };
    if smallest == packed_len {
        out.push(palette.len() as u8);
        for colour in &palette {
            out.extend_from_slice(colour);
        }
        for row in pixels.chunks(width) {
            let mut packed = vec![0u8; (width * bits).div_ceil(8)];
            for (column, colour) in row.iter().enumerate() {
                let per_byte = 8 / bits;
                let shift = 8 - bits * (column % per_byte + 1);
                packed[column / per_byte] |= index(colour) << shift;
            }
            out.extend_from_slice(&packed);
        }
    } else if smallest == palette_rle_len {
        out.push(128 + palette.len() as u8);
        for colour in &palette {
            out.extend_from_slice(colour);
        }
        for (colour, length) in &runs {
            if *length == 1 {
                out.push(index(colour));
            } else {
                out.push(128 | index(colour));
                push_run_length(out, *length);
            }
        }
    } else if smallest == plain_rle_len {
        out.push(128);
        for (colour, length) in &runs {
            out.extend_from_slice(colour);
            push_run_length(out, *length);
        }
    } else {
        out.push(0);
        for colour in pixels {
            out.extend_from_slice(colour);
        }
    }
}

/// A 3.8 server offering None, success, and a ServerInit for the desktop.
fn handshake() -> Vec<u8> {
    let mut bytes = b"RFB 003.008\n".to_vec();
    bytes.extend_from_slice(&[1, 1]);
    bytes.extend_from_slice(&0u32.to_be_bytes());
    bytes.extend_from_slice(&(WIDTH as u16).to_be_bytes());
    bytes.extend_from_slice(&(HEIGHT as u16).to_be_bytes());
    // The server's native format; the client replaces it with its own.
    bytes.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    let name = b"decode bench";
    bytes.extend_from_slice(&(name.len() as u32).to_be_bytes());
    bytes.extend_from_slice(name);
    bytes
}

struct Bench {
    name: &'static str,
    /// Fed once, untimed, after the handshake (the screen CopyRect copies from).
    setup: Vec<u8>,
    frames: Vec<Vec<u8>>,
    /// Changed pixels a pass decodes, at 4 bytes each.
    decoded_per_pass: usize,
    /// The framebuffer after a pass.
    expected: Vec<u8>,
}

struct Measured {
    passes: usize,
    frames: usize,
    time: Duration,
}

impl Bench {
    fn full_frames(
        name: &'static str,
        scenes: &[Scene],
        mut encode: impl FnMut(&Scene) -> Vec<u8>,
    ) -> Self {
        Bench {
            name,
            setup: Vec::new(),
            frames: scenes.iter().map(&mut encode).collect(),
            decoded_per_pass: scenes.len() * WIDTH * HEIGHT * 4,
            expected: scenes.last().unwrap().rgba(),
        }
    }

    /// Scrolling: the screen less 16 rows moved up by 16 rows, then back down, in turn.
    fn copy_rect(scene: &Scene) -> Self {
        let scroll = |destination_y: usize, source_y: usize| {
            let mut rect = rect_header(0, destination_y, WIDTH, HEIGHT - 16, COPY_RECT);
            rect.extend_from_slice(&0u16.to_be_bytes());
            rect.extend_from_slice(&(source_y as u16).to_be_bytes());
            update(&[rect])
        };
        let frames: Vec<Vec<u8>> = (0..VARIANTS)
            .map(|index| {
                if index % 2 == 0 {
                    scroll(0, 16)
                } else {
                    scroll(16, 0)
                }
            })
            .collect();
        // What the scrolls leave: each reads the screen as it was before it.
        let mut expected = scene.clone();
        for index in 0..VARIANTS {
            let (destination, source) = if index % 2 == 0 { (0, 16) } else { (16, 0) };
            let before = expected.clone();
            for row in 0..HEIGHT - 16 {
                expected.pixels[(destination + row) * WIDTH..(destination + row + 1) * WIDTH]
                    .copy_from_slice(
                        &before.pixels[(source + row) * WIDTH..(source + row + 1) * WIDTH],
                    );
            }
        }
        Bench {
            name: "CopyRect",
            setup: raw_update(scene),
            frames,
            decoded_per_pass: VARIANTS * WIDTH * (HEIGHT - 16) * 4,
            expected: expected.rgba(),
        }
    }

    fn input_len(&self) -> usize {
        self.frames.iter().map(Vec::len).sum()
    }

    fn connected_client(&self) -> Client {
        let mut client = Client::new(Config::default());
        client.feed(&handshake()).unwrap();
        client.feed(&self.setup).unwrap();
        assert!(client.is_connected());
        while client.next_event().is_some() {}
        client.take_outgoing();
        client
    }

    fn feed_frames(&self, client: &mut Client) {
        for frame in &self.frames {
            for chunk in frame.chunks(CHUNK) {
                client.feed(chunk).unwrap();
                // A viewer handles events and sends requests after every message.
                while client.next_event().is_some() {}
                client.take_outgoing();
            }
        }
    }

    fn verify(&self) {
        let mut client = self.connected_client();
        self.feed_frames(&mut client);
        assert!(
            client.framebuffer().rgba() == self.expected.as_slice(),
            "{}: the decoded screen differs from the scene",
            self.name
        );
    }

    fn measure(&self, at_least: Duration) -> Measured {
        let mut measured = Measured {
            passes: 0,
            frames: 0,
            time: Duration::ZERO,
        };
        while measured.time < at_least {
            let mut client = self.connected_client();
            let started = Instant::now();
            self.feed_frames(&mut client);
            measured.time += started.elapsed();
            measured.passes += 1;
            measured.frames += self.frames.len();
        }
        measured
    }
}
