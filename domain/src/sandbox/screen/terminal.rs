//! The built-in screen's text console: 80x25 cells behind a boot log, a login prompt and a
//! toy shell, and the frames a connection draws from it, in whatever 32-bit true-colour format
//! the viewer asked for.

use std::ops::Range;

use rfb::{PixelFormat, Rect};

use super::glyphs::{CELL_HEIGHT, CELL_WIDTH, glyph};

const COLUMNS: usize = 80;
const ROWS: usize = 25;
pub(super) const WIDTH: u16 = 640;
pub(super) const HEIGHT: u16 = 400;
/// The whole screen, in pixels.
pub(super) const SCREEN: Rect = Rect {
    x: 0,
    y: 0,
    width: WIDTH,
    height: HEIGHT,
};

/// Characters of one input line: three screen rows, more than any command here needs.
const MAX_INPUT: usize = 3 * COLUMNS;
/// Host names longer than this are cut, so the prompt keeps room for typing.
const MAX_HOSTNAME: usize = 64;

const BACKGROUND: [u8; 3] = [0, 0, 0];
const FOREGROUND: [u8; 3] = [0xc8, 0xc8, 0xc8];
const CURSOR: [u8; 3] = [0xf0, 0xf0, 0xf0];

const KEY_BACKSPACE: u32 = 0xff08;
const KEY_RETURN: u32 = 0xff0d;
const KEY_KP_ENTER: u32 = 0xff8d;

/// Whether pixels can be drawn in this format: 32 bits per pixel, true colour, every channel
/// inside the pixel.
pub(super) fn servable(format: &PixelFormat) -> bool {
    format.bits_per_pixel == 32 && format.true_colour && format.shift.iter().all(|&s| s < 32)
}

/// One pixel of an 8-bit-per-channel colour in a [`servable`] format.
fn encode(format: &PixelFormat, rgb: [u8; 3]) -> [u8; 4] {
    let mut pixel = 0u32;
    for ((channel, max), shift) in rgb.into_iter().zip(format.max).zip(format.shift) {
        let scaled = u32::from(channel) * u32::from(max) / 255;
        pixel |= scaled.checked_shl(u32::from(shift)).unwrap_or(0);
    }
    if format.big_endian {
        pixel.to_be_bytes()
    } else {
        pixel.to_le_bytes()
    }
}

/// The part of `area` inside `within`, if any.
pub(super) fn clip(area: Rect, within: Rect) -> Option<Rect> {
    let left = area.x.max(within.x);
    let top = area.y.max(within.y);
    let right = (u32::from(area.x) + u32::from(area.width))
        .min(u32::from(within.x) + u32::from(within.width));
    let bottom = (u32::from(area.y) + u32::from(area.height))
        .min(u32::from(within.y) + u32::from(within.height));
    let width = u16::try_from(right.checked_sub(u32::from(left))?).ok()?;
    let height = u16::try_from(bottom.checked_sub(u32::from(top))?).ok()?;
    (width > 0 && height > 0).then_some(Rect {
        x: left,
        y: top,
        width,
        height,
    })
}

/// The smallest rectangle holding both (each inside the screen, so nothing overflows).
pub(super) fn union(first: Rect, second: Rect) -> Rect {
    let left = first.x.min(second.x);
    let top = first.y.min(second.y);
    let right = (first.x + first.width).max(second.x + second.width);
    let bottom = (first.y + first.height).max(second.y + second.height);
    Rect {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    }
}

/// The pixels of a run of text rows, the full width of the screen.
fn rows_area(rows: Range<usize>) -> Rect {
    Rect {
        x: 0,
        y: u16::try_from(rows.start * CELL_HEIGHT).unwrap_or(HEIGHT),
        width: WIDTH,
        height: u16::try_from(rows.len() * CELL_HEIGHT).unwrap_or(0),
    }
}

/// What a connection needs to draw the screen, copied out so no lock is held while it writes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    cells: [[u8; COLUMNS]; ROWS],
    cursor: (usize, usize),
    generation: u64,
    row_changed: [u64; ROWS],
}

/// What one viewer has been sent: for each text row, the generation it was last sent whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Seen([u64; ROWS]);

impl Frame {
    /// Text rows changed since the viewer was sent them, as runs of adjacent rows.
    fn changed_rows(&self, seen: &Seen) -> Vec<Range<usize>> {
        let mut runs: Vec<Range<usize>> = Vec::new();
        for (row, (&changed, &sent)) in self.row_changed.iter().zip(&seen.0).enumerate() {
            if changed <= sent {
                continue;
            }
            match runs.last_mut() {
                Some(run) if run.end == row => run.end = row + 1,
                _ => runs.push(row..row + 1),
            }
        }
        runs
    }

    /// What changed since the viewer was sent it, inside `within`: the rows, cut to it.
    pub(super) fn changed_areas(&self, seen: &Seen, within: Rect) -> Vec<Rect> {
        self.changed_rows(seen)
            .into_iter()
            .filter_map(|rows| clip(rows_area(rows), within))
            .collect()
    }

    /// A FramebufferUpdate with one Raw rectangle per area (each inside the screen). Rows an
    /// area covers whole are noted in `seen`; parts of rows are sent again when they change.
    pub(super) fn update(&self, areas: &[Rect], format: &PixelFormat, seen: &mut Seen) -> Vec<u8> {
        let pixels: usize = areas.iter().map(Rect::area).sum();
        let mut message = Vec::with_capacity(4 + 12 * areas.len() + 4 * pixels);
        message.extend_from_slice(&[0, 0]);
        message.extend_from_slice(&u16::try_from(areas.len()).unwrap_or(0).to_be_bytes());
        for &area in areas {
            for field in [area.x, area.y, area.width, area.height] {
                message.extend_from_slice(&field.to_be_bytes());
            }
            message.extend_from_slice(&0i32.to_be_bytes());
            self.render(area, format, &mut message);
            if area.x == 0 && area.width == WIDTH {
                let top = usize::from(area.y).div_ceil(CELL_HEIGHT);
                let bottom = (usize::from(area.y) + usize::from(area.height)) / CELL_HEIGHT;
                for sent in seen.0.iter_mut().take(bottom).skip(top) {
                    *sent = self.generation;
                }
            }
        }
        message
    }

    /// Appends the pixels of `area`, row by row: each glyph row is doubled to make 8x16
    /// cells, and the cursor cell is drawn in inverse video.
    fn render(&self, area: Rect, format: &PixelFormat, out: &mut Vec<u8>) {
        let [background, foreground, cursor] =
            [BACKGROUND, FOREGROUND, CURSOR].map(|rgb| encode(format, rgb));
        let columns = usize::from(area.x)..usize::from(area.x) + usize::from(area.width);
        for y in usize::from(area.y)..usize::from(area.y) + usize::from(area.height) {
            let row = y / CELL_HEIGHT;
            let line = (y % CELL_HEIGHT) / 2;
            for x in columns.clone() {
                let column = x / CELL_WIDTH;
                let character = self
                    .cells
                    .get(row)
                    .and_then(|cells| cells.get(column))
                    .copied()
                    .unwrap_or(b' ');
                let on = (glyph(character)[line] >> (x % CELL_WIDTH)) & 1 == 1;
                let inverse = (row, column) == self.cursor;
                out.extend_from_slice(match (on, inverse) {
                    (true, false) => &foreground,
                    (false, false) | (true, true) => &background,
                    (false, true) => &cursor,
                });
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Login,
    Password { user: String },
    Shell { user: String },
}

/// The text console: 80x25 cells, a cursor, and the login/shell state behind it.
#[derive(Clone, Debug)]
pub(super) struct Terminal {
    pub(super) hostname: String,
    cells: [[u8; COLUMNS]; ROWS],
    row: usize,
    /// 0..=COLUMNS; COLUMNS means the row is full and the next character wraps.
    column: usize,
    /// Bumped by every change; rows remember the generation that last changed them.
    generation: u64,
    row_changed: [u64; ROWS],
    mode: Mode,
    input: String,
}

const BOOT_LOG: &[&str] = &[
    "[    0.000000] Linux version 6.1.0-sandbox (builder@webrana) (gcc 12.2.0) #1 SMP",
    "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz-6.1.0-sandbox root=/dev/vda1 ro",
    "[    0.000000] BIOS-provided physical RAM map: Webrana sandbox firmware",
    "[    0.004211] Memory: 1004312K/1048576K available (16384K kernel code)",
    "[    0.012034] smpboot: CPU0: Webrana Virtual CPU @ 2.40GHz (family: 0x6)",
    "[    0.104563] smp: Brought up 1 node, 1 CPU",
    "[    0.231104] clocksource: Switched to clocksource kvm-clock",
    "[    0.512877] virtio_blk virtio1: [vda] 52428800 512-byte logical blocks",
    "[    0.734650] VFS: Mounting root filesystem on vda1 (ext4)",
    "[    0.734902] EXT4-fs (vda1): mounted filesystem with ordered data mode",
];

const BOOT_LOG_END: &[&str] = &[
    "[    1.402900] webrana: the Webrana sandbox's simulated screen; no real machine",
    "[    2.118270] systemd[1]: Reached target Multi-User System.",
];

impl Terminal {
    pub(super) fn new(hostname: &str) -> Self {
        let hostname: String = hostname
            .chars()
            .take(MAX_HOSTNAME)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        let mut terminal = Self {
            hostname,
            cells: [[b' '; COLUMNS]; ROWS],
            row: 0,
            column: 0,
            generation: 1,
            row_changed: [1; ROWS],
            mode: Mode::Login,
            input: String::new(),
        };
        for line in BOOT_LOG {
            terminal.write(line);
            terminal.write("\n");
        }
        let hostname = terminal.hostname.clone();
        terminal.write(&format!(
            "[    1.021447] systemd[1]: Set hostname to <{hostname}>.\n\
             [    1.402318] eth0: link up, 1000 Mbps, DHCP lease for {hostname}\n"
        ));
        for line in BOOT_LOG_END {
            terminal.write(line);
            terminal.write("\n");
        }
        terminal.write("\n");
        terminal.login_prompt();
        terminal
    }

    pub(super) fn frame(&self) -> Frame {
        Frame {
            cells: self.cells,
            cursor: (self.row, self.column.min(COLUMNS - 1)),
            generation: self.generation,
            row_changed: self.row_changed,
        }
    }

    fn touch(&mut self, row: usize) {
        if let Some(changed) = self.row_changed.get_mut(row) {
            *changed = self.generation;
        }
    }

    fn touch_all(&mut self) {
        self.row_changed = [self.generation; ROWS];
    }

    fn write(&mut self, text: &str) {
        for byte in text.bytes() {
            if byte == b'\n' {
                self.newline();
            } else {
                self.put(if (0x20..=0x7e).contains(&byte) {
                    byte
                } else {
                    b'?'
                });
            }
        }
    }

    fn put(&mut self, character: u8) {
        if self.column >= COLUMNS {
            self.newline();
        }
        self.cells[self.row][self.column] = character;
        self.column += 1;
        self.touch(self.row);
    }

    fn newline(&mut self) {
        self.touch(self.row);
        self.column = 0;
        if self.row + 1 < ROWS {
            self.row += 1;
        } else {
            self.cells.rotate_left(1);
            self.cells[ROWS - 1] = [b' '; COLUMNS];
            self.touch_all();
        }
        self.touch(self.row);
    }

    /// Erases the character before the cursor, back across a wrapped row.
    fn backspace(&mut self) {
        self.touch(self.row);
        if self.column == 0 {
            if self.row == 0 {
                return;
            }
            self.row -= 1;
            self.column = COLUMNS;
        }
        self.column -= 1;
        self.cells[self.row][self.column] = b' ';
        self.touch(self.row);
    }

    fn clear(&mut self) {
        self.cells = [[b' '; COLUMNS]; ROWS];
        self.row = 0;
        self.column = 0;
        self.touch_all();
    }

    fn login_prompt(&mut self) {
        let prompt = format!("{} login: ", self.hostname);
        self.write(&prompt);
    }

    fn shell_prompt(&mut self, user: &str) {
        let sign = if user == "root" { '#' } else { '$' };
        let prompt = format!("{user}@{}:~{sign} ", self.hostname);
        self.write(&prompt);
    }

    /// Handles a key press (X11 keysym); true if the screen changed.
    pub(super) fn key(&mut self, keysym: u32) -> bool {
        self.generation += 1;
        let echo = !matches!(self.mode, Mode::Password { .. });
        match keysym {
            0x20..=0x7e => {
                let Ok(character) = u8::try_from(keysym) else {
                    return false;
                };
                if self.input.len() >= MAX_INPUT {
                    return false;
                }
                self.input.push(char::from(character));
                if echo {
                    self.put(character);
                }
                echo
            }
            KEY_BACKSPACE => {
                if self.input.pop().is_none() {
                    return false;
                }
                if echo {
                    self.backspace();
                }
                echo
            }
            KEY_RETURN | KEY_KP_ENTER => {
                let line = std::mem::take(&mut self.input);
                self.newline();
                self.submit(&line);
                true
            }
            _ => false,
        }
    }

    fn submit(&mut self, line: &str) {
        match std::mem::replace(&mut self.mode, Mode::Login) {
            Mode::Login => {
                let user = line.trim();
                if user.is_empty() {
                    self.login_prompt();
                } else {
                    self.mode = Mode::Password {
                        user: user.to_owned(),
                    };
                    self.write("Password: ");
                }
            }
            Mode::Password { user } => {
                let welcome = format!(
                    "\nWelcome to {} (Webrana sandbox)\n\
                     This console is simulated; type `help` for what it can do.\n\n",
                    self.hostname
                );
                self.write(&welcome);
                self.shell_prompt(&user);
                self.mode = Mode::Shell { user };
            }
            Mode::Shell { user } => {
                if self.run(line, &user) {
                    self.shell_prompt(&user);
                    self.mode = Mode::Shell { user };
                } else {
                    self.write("\n");
                    self.login_prompt();
                }
            }
        }
    }

    /// Runs one shell command; false when it logged out.
    fn run(&mut self, line: &str, user: &str) -> bool {
        let mut words = line.split_whitespace();
        let Some(command) = words.next() else {
            return true;
        };
        let arguments: Vec<&str> = words.collect();
        let output = match command {
            "echo" => arguments.join(" "),
            "hostname" => self.hostname.clone(),
            "uname" => match arguments.as_slice() {
                [] | ["-s"] => "Linux".to_owned(),
                ["-r"] => "6.1.0-sandbox".to_owned(),
                _ => format!(
                    "Linux {} 6.1.0-sandbox #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
                    self.hostname
                ),
            },
            "whoami" => user.to_owned(),
            "help" => "This simulated shell knows: echo TEXT, hostname, uname [-a], whoami,\n\
                       clear, help, exit (or logout)."
                .to_owned(),
            "clear" => {
                self.clear();
                return true;
            }
            "exit" | "logout" => return false,
            unknown => format!("-sh: {unknown}: command not found"),
        };
        self.write(&output);
        self.write("\n");
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::glyphs::screen_text;

    /// Little-endian with red in the low byte: RGBX in memory, what `screen_text` reads.
    const RGBX: PixelFormat = PixelFormat::RGBX;
    const SERVER: PixelFormat = PixelFormat::BGRX;

    fn rgba(terminal: &Terminal) -> Vec<u8> {
        let mut pixels = Vec::new();
        terminal.frame().render(SCREEN, &RGBX, &mut pixels);
        pixels
    }

    fn text(terminal: &Terminal) -> Vec<String> {
        terminal
            .cells
            .iter()
            .map(|row| String::from_utf8_lossy(row).trim_end().to_owned())
            .collect()
    }

    fn type_line(terminal: &mut Terminal, line: &str) {
        for byte in line.bytes() {
            terminal.key(u32::from(byte));
        }
        terminal.key(KEY_RETURN);
    }

    fn logged_in(user: &str) -> Terminal {
        let mut terminal = Terminal::new("web-1");
        type_line(&mut terminal, user);
        type_line(&mut terminal, "secret");
        terminal
    }

    fn last_line(terminal: &Terminal) -> String {
        text(terminal)[terminal.row].clone()
    }

    #[test]
    fn boots_to_a_login_prompt() {
        let terminal = Terminal::new("shop.example.test");
        let lines = text(&terminal);
        assert!(lines[0].starts_with("[    0.000000] Linux version 6.1.0-sandbox"));
        assert!(
            lines
                .iter()
                .any(|line| line.contains("Mounting root filesystem"))
        );
        assert!(
            lines
                .iter()
                .any(|line| line.contains("Webrana sandbox's simulated screen"))
        );
        assert!(lines.iter().any(|line| line.contains("shop.example.test")));
        assert_eq!(lines[terminal.row], "shop.example.test login:");
        assert_eq!(lines[terminal.row - 1], "");
        assert_eq!(terminal.column, "shop.example.test login: ".len());
        for line in BOOT_LOG.iter().chain(BOOT_LOG_END) {
            assert!(line.len() <= COLUMNS, "{line}");
        }
    }

    #[test]
    fn odd_host_names_are_made_printable_and_short() {
        let terminal = Terminal::new(&format!("bad\u{7}h\u{e9}st{}", "x".repeat(100)));
        assert!(terminal.hostname.starts_with("bad?h?st"));
        assert_eq!(terminal.hostname.len(), MAX_HOSTNAME);
    }

    #[test]
    fn screen_text_reads_back_the_rendered_screen_with_the_cursor() {
        let mut terminal = logged_in("root");
        type_line(&mut terminal, "echo Hello, World! ~{|}");
        terminal.key(u32::from(b'x'));
        let pixels = rgba(&terminal);
        assert_eq!(pixels.len(), usize::from(WIDTH) * usize::from(HEIGHT) * 4);
        assert_eq!(screen_text(&pixels, WIDTH, HEIGHT), text(&terminal));

        // The cursor is a light block after the `x`, the rest of the screen is black and grey.
        let (row, column) = (terminal.row, terminal.column);
        let at = |x: usize, y: usize| {
            let offset = (y * usize::from(WIDTH) + x) * 4;
            [pixels[offset], pixels[offset + 1], pixels[offset + 2]]
        };
        assert_eq!(at(column * 8 + 3, row * 16 + 8), CURSOR);
        assert_eq!(at(column * 8 + 3, (row + 1) * 16 + 8), BACKGROUND);
        assert_eq!(at(0, 0), BACKGROUND);
        let colours: std::collections::BTreeSet<[u8; 3]> =
            pixels.chunks(4).map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(colours, [BACKGROUND, FOREGROUND, CURSOR].into());
    }

    #[test]
    fn login_then_shell_commands() {
        let mut terminal = Terminal::new("web-1");
        type_line(&mut terminal, "");
        assert_eq!(last_line(&terminal), "web-1 login:");
        type_line(&mut terminal, "alice");
        assert_eq!(last_line(&terminal), "Password:");
        // The password is not echoed.
        for byte in b"hunter2" {
            assert!(!terminal.key(u32::from(*byte)));
        }
        assert_eq!(last_line(&terminal), "Password:");
        terminal.key(KEY_KP_ENTER);
        let lines = text(&terminal);
        assert!(lines.contains(&"Welcome to web-1 (Webrana sandbox)".to_owned()));
        assert!(!lines.iter().any(|line| line.contains("hunter2")));
        assert_eq!(last_line(&terminal), "alice@web-1:~$");

        let command = |terminal: &mut Terminal, line: &str| -> Vec<String> {
            let before = terminal.row;
            type_line(terminal, line);
            let lines = text(terminal);
            let start = lines[..=before]
                .iter()
                .rposition(|l| l.ends_with(line))
                .unwrap_or(before);
            lines[start + 1..terminal.row].to_vec()
        };
        assert_eq!(
            command(&mut terminal, "echo  hello   world"),
            ["hello world"]
        );
        assert_eq!(command(&mut terminal, "hostname"), ["web-1"]);
        assert_eq!(command(&mut terminal, "whoami"), ["alice"]);
        assert_eq!(
            command(&mut terminal, "uname -a"),
            ["Linux web-1 6.1.0-sandbox #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux"]
        );
        assert_eq!(command(&mut terminal, "uname"), ["Linux"]);
        assert_eq!(
            command(&mut terminal, "rm -rf /"),
            ["-sh: rm: command not found"]
        );
        assert!(command(&mut terminal, "help").concat().contains("whoami"));
        type_line(&mut terminal, "");
        assert_eq!(last_line(&terminal), "alice@web-1:~$");
        assert_eq!(text(&terminal)[terminal.row - 1], "alice@web-1:~$");

        type_line(&mut terminal, "clear");
        assert_eq!(text(&terminal)[0], "alice@web-1:~$");
        assert_eq!(
            (terminal.row, terminal.column),
            (0, "alice@web-1:~$ ".len())
        );
        assert!(text(&terminal)[1..].iter().all(String::is_empty));

        type_line(&mut terminal, "exit");
        assert_eq!(last_line(&terminal), "web-1 login:");
        assert_eq!(terminal.mode, Mode::Login);
    }

    #[test]
    fn root_gets_a_hash_prompt() {
        let terminal = logged_in("root");
        assert_eq!(last_line(&terminal), "root@web-1:~#");
        let mut terminal = logged_in("admin");
        type_line(&mut terminal, "logout");
        type_line(&mut terminal, "root");
        type_line(&mut terminal, "x");
        assert_eq!(last_line(&terminal), "root@web-1:~#");
    }

    #[test]
    fn backspace_edits_the_line_and_stops_at_the_prompt() {
        let mut terminal = logged_in("root");
        for byte in b"echo hx" {
            terminal.key(u32::from(*byte));
        }
        assert!(terminal.key(KEY_BACKSPACE));
        assert_eq!(last_line(&terminal), "root@web-1:~# echo h");
        for byte in b"i" {
            terminal.key(u32::from(*byte));
        }
        for _ in 0..20 {
            terminal.key(KEY_BACKSPACE);
        }
        assert_eq!(last_line(&terminal), "root@web-1:~#");
        assert!(!terminal.key(KEY_BACKSPACE));
        type_line(&mut terminal, "echo ok");
        assert_eq!(text(&terminal)[terminal.row - 1], "ok");

        // In the password field BackSpace edits what was typed, unseen.
        let mut terminal = Terminal::new("web-1");
        type_line(&mut terminal, "root");
        for byte in b"ab" {
            terminal.key(u32::from(*byte));
        }
        assert!(!terminal.key(KEY_BACKSPACE));
        assert_eq!(terminal.input, "a");
    }

    #[test]
    fn other_keys_and_key_ups_change_nothing() {
        let mut terminal = logged_in("root");
        let before = text(&terminal);
        for keysym in [
            0xff1b,
            0xff09,
            0xffe1,
            0xff51,
            0x7f,
            0x1f,
            0x0100_00e9,
            u32::MAX,
        ] {
            assert!(!terminal.key(keysym), "{keysym:#x}");
        }
        assert_eq!(text(&terminal), before);
    }

    #[test]
    fn long_lines_wrap_and_backspace_crosses_back() {
        let mut terminal = logged_in("root");
        let prompt = "root@web-1:~# ".len();
        let typed = "echo ".to_owned() + &"y".repeat(COLUMNS);
        for byte in typed.bytes() {
            terminal.key(u32::from(byte));
        }
        let row = terminal.row;
        assert_eq!(terminal.column, prompt + typed.len() - COLUMNS);
        assert_eq!(text(&terminal)[row - 1].len(), COLUMNS);
        for _ in 0..terminal.column + 1 {
            terminal.key(KEY_BACKSPACE);
        }
        assert_eq!((terminal.row, terminal.column), (row - 1, COLUMNS - 1));
        assert_eq!(text(&terminal)[row], "");

        // Input stops at its cap instead of filling the screen.
        for _ in 0..2 * MAX_INPUT {
            terminal.key(u32::from(b'z'));
        }
        assert_eq!(terminal.input.len(), MAX_INPUT);
    }

    #[test]
    fn a_full_screen_scrolls() {
        let mut terminal = logged_in("root");
        for n in 0..30 {
            type_line(&mut terminal, &format!("echo line {n}"));
        }
        let lines = text(&terminal);
        assert_eq!(terminal.row, ROWS - 1);
        assert_eq!(lines[ROWS - 1], "root@web-1:~#");
        assert_eq!(lines[ROWS - 2], "line 29");
        assert_eq!(lines[ROWS - 3], "root@web-1:~# echo line 29");
        assert_eq!(lines[1], "line 18");
        assert_eq!(lines[0], "root@web-1:~# echo line 18");
    }

    #[test]
    fn rows_remember_when_they_changed() {
        let spans = |terminal: &Terminal, seen: u64| -> Vec<(usize, usize)> {
            terminal
                .frame()
                .changed_rows(&Seen([seen; ROWS]))
                .into_iter()
                .map(|run| (run.start, run.end))
                .collect()
        };
        let mut terminal = logged_in("root");
        let seen = terminal.frame().generation;
        assert!(spans(&terminal, seen).is_empty());
        terminal.key(u32::from(b'a'));
        assert_eq!(spans(&terminal, seen), [(terminal.row, terminal.row + 1)]);
        let seen = terminal.frame().generation;
        terminal.key(KEY_RETURN);
        let row = terminal.row;
        // The command's row, the error and the new prompt.
        assert_eq!(spans(&terminal, seen), [(row - 2, row + 1)]);
        // A scroll changes every row.
        for _ in 0..ROWS {
            terminal.key(KEY_RETURN);
        }
        let seen = terminal.frame().generation;
        terminal.key(KEY_RETURN);
        assert_eq!(spans(&terminal, seen), [(0, ROWS)]);
        assert_eq!(spans(&terminal, 0), [(0, ROWS)]);
    }

    #[test]
    fn updates_are_raw_rectangles_of_whole_rows() {
        let terminal = Terminal::new("web-1");
        let frame = terminal.frame();
        let mut seen = Seen::default();
        let update = frame.update(&[rows_area(0..2), rows_area(5..6)], &SERVER, &mut seen);
        assert_eq!(&update[..4], &[0, 0, 0, 2]);
        assert_eq!(&update[4..16], &[0, 0, 0, 0, 2, 128, 0, 32, 0, 0, 0, 0]);
        let second = 16 + 640 * 32 * 4;
        assert_eq!(
            &update[second..second + 12],
            &[0, 0, 0, 80, 2, 128, 0, 16, 0, 0, 0, 0]
        );
        assert_eq!(update.len(), second + 12 + 640 * 16 * 4);
        // Those rows are now the viewer's; the others still wait.
        assert_eq!(frame.changed_rows(&seen), [2..5, 6..ROWS]);
    }

    #[test]
    fn pixel_formats_are_honoured_or_refused() {
        assert!(servable(&SERVER));
        assert_eq!(encode(&SERVER, [1, 2, 3]), [3, 2, 1, 0]);
        assert_eq!(encode(&RGBX, [1, 2, 3]), [1, 2, 3, 0]);
        let big = PixelFormat {
            big_endian: true,
            ..SERVER
        };
        assert_eq!(encode(&big, [1, 2, 3]), [0, 1, 2, 3]);
        // 10 bits per channel.
        let deep = PixelFormat {
            big_endian: false,
            max: [1023, 1023, 1023],
            shift: [20, 10, 0],
            ..SERVER
        };
        assert_eq!(
            encode(&deep, [255, 0, 255]),
            (1023u32 << 20 | 1023).to_le_bytes()
        );

        let mut wire = SERVER.to_wire();
        wire[0] = 16;
        assert!(!servable(&PixelFormat::from_wire(&wire)));
        let mut wire = SERVER.to_wire();
        wire[3] = 0;
        assert!(!servable(&PixelFormat::from_wire(&wire)));
        let mut wire = SERVER.to_wire();
        wire[3] = 255;
        assert!(servable(&PixelFormat::from_wire(&wire)));
        wire[10] = 32;
        assert!(!servable(&PixelFormat::from_wire(&wire)));
    }

    #[test]
    fn a_requested_area_is_drawn_cut_to_the_screen() {
        let frame = Terminal::new("web-1").frame();
        let area = |x, y, width, height| Rect {
            x,
            y,
            width,
            height,
        };
        assert_eq!(
            clip(area(600, 380, 100, 100), SCREEN),
            Some(area(600, 380, 40, 20))
        );
        assert_eq!(clip(area(640, 0, 1, 1), SCREEN), None);
        assert_eq!(clip(area(5, 5, 0, 3), SCREEN), None);
        assert_eq!(clip(area(65535, 65535, 65535, 65535), SCREEN), None);
        assert_eq!(
            union(area(0, 0, 1, 1), area(10, 20, 5, 5)),
            area(0, 0, 15, 25)
        );

        // One pixel is one rectangle of one pixel, the same as that pixel of the whole screen.
        let whole = rgba(&Terminal::new("web-1"));
        let mut seen = Seen::default();
        let update = frame.update(&[area(3, 2, 1, 1)], &RGBX, &mut seen);
        assert_eq!(
            &update[..16],
            &[0, 0, 0, 1, 0, 3, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0]
        );
        let offset = (2 * usize::from(WIDTH) + 3) * 4;
        assert_eq!(&update[16..], &whole[offset..offset + 4]);
        // A part of a row does not make the row the viewer's.
        assert_eq!(seen, Seen::default());
        // Changes come cut to what is watched.
        let changed = frame.changed_areas(&seen, area(8, 0, 16, 400));
        assert_eq!(changed, [area(8, 0, 16, 400)]);
        // A full-width area of whole and half rows: only the whole ones count as sent.
        frame.update(&[area(0, 8, WIDTH, 40)], &RGBX, &mut seen);
        assert_eq!(frame.changed_rows(&seen), [0..1, 3..ROWS]);
    }
}
