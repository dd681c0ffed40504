//! From the browser's `KeyboardEvent.key` / `.code` to what a VNC server understands: X11 keysyms
//! (what the key means) and PC XT set-1 scancodes (which physical key it is, for servers that
//! take raw scancodes, like QEMU). Pure, so it is tested natively.

/// X11 keysyms the console sends by name.
pub mod sym {
    pub const BACKSPACE: u32 = 0xff08;
    pub const TAB: u32 = 0xff09;
    pub const RETURN: u32 = 0xff0d;
    pub const ESCAPE: u32 = 0xff1b;
    pub const DELETE: u32 = 0xffff;
    pub const SHIFT_L: u32 = 0xffe1;
    pub const CONTROL_L: u32 = 0xffe3;
    pub const ALT_L: u32 = 0xffe9;
}

/// XT scancodes the console sends by name.
pub mod scan {
    pub const SHIFT_L: u16 = 0x2a;
    pub const CONTROL_L: u16 = 0x1d;
    pub const ALT_L: u16 = 0x38;
    pub const DELETE: u16 = 0xe053;
}

/// The keysym for a key event, or `None` for keys a VNC server cannot be told about (dead keys,
/// IME composition, "Unidentified").
///
/// Modifiers and the numeric keypad are recognised by `code`, because only the physical key
/// says left from right and keypad from main row; everything else by `key`, so the customer's
/// own layout decides which character a key types.
pub fn keysym(key: &str, code: &str) -> Option<u32> {
    if let Some(sym) = by_code(key, code) {
        return Some(sym);
    }
    if let Some(sym) = named(key) {
        return Some(sym);
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => char_keysym(c),
        _ => None,
    }
}

/// The keysym that types `c`: Latin-1 characters are their own code points, other characters
/// the X11 Unicode keysym (`0x0100_0000 + code point`); control characters have none.
pub fn char_keysym(c: char) -> Option<u32> {
    let point = u32::from(c);
    match point {
        0x20..=0x7e | 0xa0..=0xff => Some(point),
        0..=0x1f | 0x7f..=0x9f => None,
        _ => Some(0x0100_0000 + point),
    }
}

fn by_code(key: &str, code: &str) -> Option<u32> {
    let sym = match code {
        "ShiftLeft" => 0xffe1,
        "ShiftRight" => 0xffe2,
        "ControlLeft" => 0xffe3,
        "ControlRight" => 0xffe4,
        "AltLeft" => 0xffe9,
        // On many European layouts the right Alt is AltGr, which picks third-level characters.
        "AltRight" if key == "AltGraph" => 0xfe03,
        "AltRight" => 0xffea,
        // Older browsers call the Windows/Command key "OS".
        "MetaLeft" | "OSLeft" => 0xffeb,
        "MetaRight" | "OSRight" => 0xffec,
        "CapsLock" => 0xffe5,
        "NumLock" => 0xff7f,
        "ScrollLock" => 0xff14,
        _ => return numpad(key, code),
    };
    Some(sym)
}

/// Keypad keys: digits while Num Lock is on, navigation keys while it is off (the browser tells
/// which through `key`).
fn numpad(key: &str, code: &str) -> Option<u32> {
    let digit = code.strip_prefix("Numpad").and_then(|rest| {
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some(d @ '0'..='9'), None) => d.to_digit(10),
            _ => None,
        }
    });
    if let Some(digit) = digit {
        let navigation = match key {
            "Insert" => Some(0xff9e),
            "End" => Some(0xff9c),
            "ArrowDown" => Some(0xff99),
            "PageDown" => Some(0xff9b),
            "ArrowLeft" => Some(0xff96),
            "Clear" => Some(0xff9d),
            "ArrowRight" => Some(0xff98),
            "Home" => Some(0xff95),
            "ArrowUp" => Some(0xff97),
            "PageUp" => Some(0xff9a),
            _ => None,
        };
        return Some(navigation.unwrap_or(0xffb0 + digit));
    }
    let sym = match code {
        "NumpadDecimal" if key == "Delete" => 0xff9f,
        "NumpadDecimal" => 0xffae,
        "NumpadComma" => 0xffac,
        "NumpadAdd" => 0xffab,
        "NumpadSubtract" => 0xffad,
        "NumpadMultiply" => 0xffaa,
        "NumpadDivide" => 0xffaf,
        "NumpadEnter" => 0xff8d,
        "NumpadEqual" => 0xffbd,
        _ => return None,
    };
    Some(sym)
}

fn named(key: &str) -> Option<u32> {
    if let Some(number) = key.strip_prefix('F').and_then(|n| n.parse::<u32>().ok()) {
        // F1 is 0xffbe and X11 numbers them on up to F35.
        return (1..=35).contains(&number).then_some(0xffbe + number - 1);
    }
    let sym = match key {
        "Enter" => sym::RETURN,
        "Backspace" => sym::BACKSPACE,
        "Tab" => sym::TAB,
        "Escape" => sym::ESCAPE,
        "Delete" => sym::DELETE,
        "Insert" => 0xff63,
        "Home" => 0xff50,
        "End" => 0xff57,
        "PageUp" => 0xff55,
        "PageDown" => 0xff56,
        "ArrowLeft" => 0xff51,
        "ArrowUp" => 0xff52,
        "ArrowRight" => 0xff53,
        "ArrowDown" => 0xff54,
        "Clear" => 0xff0b,
        "PrintScreen" => 0xff61,
        "Pause" => 0xff13,
        "ContextMenu" => 0xff67,
        "CapsLock" => 0xffe5,
        "NumLock" => 0xff7f,
        "ScrollLock" => 0xff14,
        "AltGraph" => 0xfe03,
        // Without a known `code` (virtual keyboards) the left-hand modifier is the safe guess.
        "Shift" => sym::SHIFT_L,
        "Control" => sym::CONTROL_L,
        "Alt" => sym::ALT_L,
        "Meta" | "OS" => 0xffeb,
        // Old Edge and IE.
        "Spacebar" => 0x20,
        _ => return None,
    };
    Some(sym)
}

/// The PC XT set-1 scancode of the physical key `code` names (US layout positions), extended
/// keys as `0xE0xx`, as [`rfb::Client::key_scancode`] takes them.
pub fn xt_scancode(code: &str) -> Option<u16> {
    let scancode = match code {
        "Escape" => 0x01,
        "Digit1" => 0x02,
        "Digit2" => 0x03,
        "Digit3" => 0x04,
        "Digit4" => 0x05,
        "Digit5" => 0x06,
        "Digit6" => 0x07,
        "Digit7" => 0x08,
        "Digit8" => 0x09,
        "Digit9" => 0x0a,
        "Digit0" => 0x0b,
        "Minus" => 0x0c,
        "Equal" => 0x0d,
        "Backspace" => 0x0e,
        "Tab" => 0x0f,
        "KeyQ" => 0x10,
        "KeyW" => 0x11,
        "KeyE" => 0x12,
        "KeyR" => 0x13,
        "KeyT" => 0x14,
        "KeyY" => 0x15,
        "KeyU" => 0x16,
        "KeyI" => 0x17,
        "KeyO" => 0x18,
        "KeyP" => 0x19,
        "BracketLeft" => 0x1a,
        "BracketRight" => 0x1b,
        "Enter" => 0x1c,
        "ControlLeft" => scan::CONTROL_L,
        "KeyA" => 0x1e,
        "KeyS" => 0x1f,
        "KeyD" => 0x20,
        "KeyF" => 0x21,
        "KeyG" => 0x22,
        "KeyH" => 0x23,
        "KeyJ" => 0x24,
        "KeyK" => 0x25,
        "KeyL" => 0x26,
        "Semicolon" => 0x27,
        "Quote" => 0x28,
        "Backquote" => 0x29,
        "ShiftLeft" => scan::SHIFT_L,
        "Backslash" => 0x2b,
        "KeyZ" => 0x2c,
        "KeyX" => 0x2d,
        "KeyC" => 0x2e,
        "KeyV" => 0x2f,
        "KeyB" => 0x30,
        "KeyN" => 0x31,
        "KeyM" => 0x32,
        "Comma" => 0x33,
        "Period" => 0x34,
        "Slash" => 0x35,
        "ShiftRight" => 0x36,
        "NumpadMultiply" => 0x37,
        "AltLeft" => scan::ALT_L,
        "Space" => 0x39,
        "CapsLock" => 0x3a,
        "F1" => 0x3b,
        "F2" => 0x3c,
        "F3" => 0x3d,
        "F4" => 0x3e,
        "F5" => 0x3f,
        "F6" => 0x40,
        "F7" => 0x41,
        "F8" => 0x42,
        "F9" => 0x43,
        "F10" => 0x44,
        "NumLock" => 0x45,
        "ScrollLock" => 0x46,
        "Numpad7" => 0x47,
        "Numpad8" => 0x48,
        "Numpad9" => 0x49,
        "NumpadSubtract" => 0x4a,
        "Numpad4" => 0x4b,
        "Numpad5" => 0x4c,
        "Numpad6" => 0x4d,
        "NumpadAdd" => 0x4e,
        "Numpad1" => 0x4f,
        "Numpad2" => 0x50,
        "Numpad3" => 0x51,
        "Numpad0" => 0x52,
        "NumpadDecimal" => 0x53,
        "IntlBackslash" => 0x56,
        "F11" => 0x57,
        "F12" => 0x58,
        "NumpadEqual" => 0x59,
        "KanaMode" => 0x70,
        "IntlRo" => 0x73,
        "Convert" => 0x79,
        "NonConvert" => 0x7b,
        "IntlYen" => 0x7d,
        "NumpadComma" => 0x7e,
        "MediaTrackPrevious" => 0xe010,
        "MediaTrackNext" => 0xe019,
        "NumpadEnter" => 0xe01c,
        "ControlRight" => 0xe01d,
        "AudioVolumeMute" => 0xe020,
        "MediaPlayPause" => 0xe022,
        "MediaStop" => 0xe024,
        "AudioVolumeDown" => 0xe02e,
        "AudioVolumeUp" => 0xe030,
        "NumpadDivide" => 0xe035,
        "PrintScreen" => 0xe037,
        "AltRight" => 0xe038,
        // Pause really sends E1 1D 45; QEMU numbers it E0 46 like Ctrl+Break.
        "Pause" => 0xe046,
        "Home" => 0xe047,
        "ArrowUp" => 0xe048,
        "PageUp" => 0xe049,
        "ArrowLeft" => 0xe04b,
        "ArrowRight" => 0xe04d,
        "End" => 0xe04f,
        "ArrowDown" => 0xe050,
        "PageDown" => 0xe051,
        "Insert" => 0xe052,
        "Delete" => scan::DELETE,
        "MetaLeft" | "OSLeft" => 0xe05b,
        "MetaRight" | "OSRight" => 0xe05c,
        "ContextMenu" => 0xe05d,
        "Power" => 0xe05e,
        "Sleep" => 0xe05f,
        "WakeUp" => 0xe063,
        _ => return None,
    };
    Some(scancode)
}

/// How a US keyboard types `c`: the key's scancode and whether Shift is held. Pasted text is
/// typed this way, since servers that read scancodes (QEMU) ignore a keysym's case and would
/// turn "A" into "a" without the Shift.
pub fn us_keystroke(c: char) -> Option<(u16, bool)> {
    const UNSHIFTED: &str = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./";
    const SHIFTED: &str = "~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>?";
    const CODES: [&str; 47] = [
        "Backquote",
        "Digit1",
        "Digit2",
        "Digit3",
        "Digit4",
        "Digit5",
        "Digit6",
        "Digit7",
        "Digit8",
        "Digit9",
        "Digit0",
        "Minus",
        "Equal",
        "KeyQ",
        "KeyW",
        "KeyE",
        "KeyR",
        "KeyT",
        "KeyY",
        "KeyU",
        "KeyI",
        "KeyO",
        "KeyP",
        "BracketLeft",
        "BracketRight",
        "Backslash",
        "KeyA",
        "KeyS",
        "KeyD",
        "KeyF",
        "KeyG",
        "KeyH",
        "KeyJ",
        "KeyK",
        "KeyL",
        "Semicolon",
        "Quote",
        "KeyZ",
        "KeyX",
        "KeyC",
        "KeyV",
        "KeyB",
        "KeyN",
        "KeyM",
        "Comma",
        "Period",
        "Slash",
    ];
    match c {
        ' ' => return Some((0x39, false)),
        '\n' => return Some((0x1c, false)),
        '\t' => return Some((0x0f, false)),
        _ => {}
    }
    let (index, shift) = match UNSHIFTED.chars().position(|u| u == c) {
        Some(index) => (index, false),
        None => (SHIFTED.chars().position(|s| s == c)?, true),
    };
    Some((xt_scancode(CODES.get(index)?)?, shift))
}

/// What pasting `text` types, character by character: the keysym and, for characters on a US
/// keyboard, the keystroke. A newline is Return and a tab is Tab; a carriage return (of CRLF) and
/// other control characters type nothing.
pub fn typed(text: &str) -> Vec<(u32, Option<(u16, bool)>)> {
    text.chars()
        .filter_map(|c| {
            let keysym = match c {
                '\n' => sym::RETURN,
                '\t' => sym::TAB,
                c => char_keysym(c)?,
            };
            Some((keysym, us_keystroke(c)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_digits_are_their_code_points() {
        assert_eq!(keysym("a", "KeyA"), Some(0x61));
        assert_eq!(keysym("z", "KeyZ"), Some(0x7a));
        assert_eq!(keysym("7", "Digit7"), Some(0x37));
        assert_eq!(keysym(" ", "Space"), Some(0x20));
    }

    #[test]
    fn shifted_characters_follow_the_key_not_the_code() {
        assert_eq!(keysym("A", "KeyA"), Some(0x41));
        assert_eq!(keysym("!", "Digit1"), Some(0x21));
        assert_eq!(keysym("{", "BracketLeft"), Some(0x7b));
        // A German layout's Z sits where the US Y is.
        assert_eq!(keysym("z", "KeyY"), Some(0x7a));
    }

    #[test]
    fn latin1_and_other_characters() {
        assert_eq!(keysym("é", "Quote"), Some(0xe9));
        assert_eq!(keysym("ß", "Minus"), Some(0xdf));
        assert_eq!(keysym("€", "KeyE"), Some(0x0100_20ac));
        assert_eq!(char_keysym('\u{7}'), None);
        assert_eq!(char_keysym('\u{85}'), None);
    }

    #[test]
    fn named_keys() {
        assert_eq!(keysym("Enter", "Enter"), Some(0xff0d));
        assert_eq!(keysym("Backspace", "Backspace"), Some(0xff08));
        assert_eq!(keysym("Tab", "Tab"), Some(0xff09));
        assert_eq!(keysym("Escape", "Escape"), Some(0xff1b));
        assert_eq!(keysym("Delete", "Delete"), Some(0xffff));
        assert_eq!(keysym("Insert", "Insert"), Some(0xff63));
        assert_eq!(keysym("Home", "Home"), Some(0xff50));
        assert_eq!(keysym("End", "End"), Some(0xff57));
        assert_eq!(keysym("PageUp", "PageUp"), Some(0xff55));
        assert_eq!(keysym("PageDown", "PageDown"), Some(0xff56));
        assert_eq!(keysym("ArrowLeft", "ArrowLeft"), Some(0xff51));
        assert_eq!(keysym("ArrowUp", "ArrowUp"), Some(0xff52));
        assert_eq!(keysym("ArrowRight", "ArrowRight"), Some(0xff53));
        assert_eq!(keysym("ArrowDown", "ArrowDown"), Some(0xff54));
        assert_eq!(keysym("F1", "F1"), Some(0xffbe));
        assert_eq!(keysym("F12", "F12"), Some(0xffc9));
        assert_eq!(keysym("F0", ""), None);
        assert_eq!(keysym("F36", ""), None);
    }

    #[test]
    fn modifiers_by_side() {
        assert_eq!(keysym("Shift", "ShiftLeft"), Some(0xffe1));
        assert_eq!(keysym("Shift", "ShiftRight"), Some(0xffe2));
        assert_eq!(keysym("Control", "ControlLeft"), Some(0xffe3));
        assert_eq!(keysym("Control", "ControlRight"), Some(0xffe4));
        assert_eq!(keysym("Alt", "AltLeft"), Some(0xffe9));
        assert_eq!(keysym("Alt", "AltRight"), Some(0xffea));
        assert_eq!(keysym("AltGraph", "AltRight"), Some(0xfe03));
        assert_eq!(keysym("Meta", "MetaLeft"), Some(0xffeb));
        assert_eq!(keysym("Meta", "MetaRight"), Some(0xffec));
        assert_eq!(keysym("CapsLock", "CapsLock"), Some(0xffe5));
        assert_eq!(keysym("Shift", ""), Some(0xffe1));
    }

    #[test]
    fn numpad_by_code() {
        assert_eq!(keysym("5", "Numpad5"), Some(0xffb5));
        assert_eq!(keysym("0", "Numpad0"), Some(0xffb0));
        assert_eq!(keysym("Home", "Numpad7"), Some(0xff95));
        assert_eq!(keysym("Enter", "NumpadEnter"), Some(0xff8d));
        assert_eq!(keysym("+", "NumpadAdd"), Some(0xffab));
        assert_eq!(keysym(".", "NumpadDecimal"), Some(0xffae));
        assert_eq!(keysym("Delete", "NumpadDecimal"), Some(0xff9f));
    }

    #[test]
    fn unknown_keys_have_no_keysym() {
        assert_eq!(keysym("Dead", "BracketLeft"), None);
        assert_eq!(keysym("Process", "KeyA"), None);
        assert_eq!(keysym("Unidentified", ""), None);
        assert_eq!(keysym("", ""), None);
        assert_eq!(keysym("👍🏽", ""), None);
    }

    #[test]
    fn scancodes() {
        assert_eq!(xt_scancode("KeyA"), Some(0x1e));
        assert_eq!(xt_scancode("Escape"), Some(0x01));
        assert_eq!(xt_scancode("Enter"), Some(0x1c));
        assert_eq!(xt_scancode("ShiftLeft"), Some(0x2a));
        assert_eq!(xt_scancode("F12"), Some(0x58));
        assert_eq!(xt_scancode("Numpad5"), Some(0x4c));
        assert_eq!(xt_scancode("NumpadEnter"), Some(0xe01c));
        assert_eq!(xt_scancode("ControlRight"), Some(0xe01d));
        assert_eq!(xt_scancode("Delete"), Some(0xe053));
        assert_eq!(xt_scancode("ArrowUp"), Some(0xe048));
        assert_eq!(xt_scancode("MetaLeft"), Some(0xe05b));
        assert_eq!(xt_scancode("Fn"), None);
        assert_eq!(xt_scancode(""), None);
    }

    #[test]
    fn us_keystrokes() {
        assert_eq!(us_keystroke('a'), Some((0x1e, false)));
        assert_eq!(us_keystroke('A'), Some((0x1e, true)));
        assert_eq!(us_keystroke('1'), Some((0x02, false)));
        assert_eq!(us_keystroke('!'), Some((0x02, true)));
        assert_eq!(us_keystroke('"'), Some((0x28, true)));
        assert_eq!(us_keystroke('\\'), Some((0x2b, false)));
        assert_eq!(us_keystroke('|'), Some((0x2b, true)));
        assert_eq!(us_keystroke('~'), Some((0x29, true)));
        assert_eq!(us_keystroke(' '), Some((0x39, false)));
        assert_eq!(us_keystroke('\n'), Some((0x1c, false)));
        assert_eq!(us_keystroke('é'), None);
    }

    #[test]
    fn pasted_text_becomes_keys() {
        assert_eq!(
            typed("Hi!\r\n\té"),
            vec![
                (0x48, Some((0x23, true))),
                (0x69, Some((0x17, false))),
                (0x21, Some((0x02, true))),
                (sym::RETURN, Some((0x1c, false))),
                (sym::TAB, Some((0x0f, false))),
                (0xe9, None),
            ]
        );
        assert!(typed("\u{1b}\r").is_empty());
    }
}
