//! The arithmetic of the connection, kept apart from the browser so it is tested natively.

use super::Ended;

/// A FramebufferUpdateRequest, not incremental, for the top-left pixel. The server must
/// answer it (an incremental request waits until something changes), so the time to its
/// answer is the screen's latency, and the answer costs a few bytes.
pub const PROBE: [u8; 10] = [3, 0, 0, 0, 0, 0, 0, 1, 0, 1];
/// Seconds between probes.
pub const PROBE_EVERY: u32 = 2;
/// An answer to a probe that changed no more than this many pixels was only the probe
/// (servers round the pixel up to a tile) and is not counted as a frame.
const PROBE_AREA: usize = 64 * 64;

/// Wheel movement, in pixels, that makes one wheel click; lines and pages are converted as
/// browsers scroll them.
const WHEEL_STEP: f64 = 50.0;
const WHEEL_LINE: f64 = 20.0;
const WHEEL_PAGE: f64 = 400.0;

pub fn close_reason(code: u16) -> Ended {
    match code {
        1000 => Ended::Normal,
        4401 => Ended::SignedOut,
        4408 => Ended::IdleTimeout,
        4502 => Ended::Unreachable,
        _ => Ended::Lost,
    }
}

pub fn probe_only(changed_area: usize) -> bool {
    changed_area <= PROBE_AREA
}

/// The WebSocket address for a same-origin path; anything else is refused.
pub fn socket_url(secure: bool, host: &str, path: &str) -> Option<String> {
    let same_origin = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    if !same_origin || host.is_empty() {
        return None;
    }
    let scheme = if secure { "wss" } else { "ws" };
    Some(format!("{scheme}://{host}{path}"))
}

/// Only web addresses open in the new tab, never `javascript:` or the like.
pub fn safe_link(url: &str) -> Option<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

/// The RGBA bytes of one rectangle of a `width`-pixel-wide framebuffer, row after row, or
/// `None` if the rectangle does not lie inside `rgba`.
pub fn rect_pixels(
    rgba: &[u8],
    width: u16,
    (x, y, rect_width, rect_height): (u16, u16, u16, u16),
) -> Option<Vec<u8>> {
    let row_bytes = usize::from(rect_width).checked_mul(4)?;
    if u32::from(x) + u32::from(rect_width) > u32::from(width) {
        return None;
    }
    let mut pixels = Vec::with_capacity(row_bytes.checked_mul(usize::from(rect_height))?);
    for row in 0..usize::from(rect_height) {
        let start = (usize::from(y) + row)
            .checked_mul(usize::from(width))?
            .checked_add(usize::from(x))?
            .checked_mul(4)?;
        pixels.extend_from_slice(rgba.get(start..start.checked_add(row_bytes)?)?);
    }
    Some(pixels)
}

/// A position on the canvas as the browser lays it out (CSS pixels from its edge, over a
/// side `css_size` long) to a framebuffer coordinate along a side `size` pixels long.
pub fn to_framebuffer(offset: f64, css_size: f64, size: u16) -> u16 {
    if size == 0 || !css_size.is_finite() || css_size <= 0.0 || !offset.is_finite() {
        return 0;
    }
    let scaled = (offset * f64::from(size) / css_size).floor();
    scaled.clamp(0.0, f64::from(size - 1)) as u16
}

/// `MouseEvent.buttons` (left 1, right 2, middle 4) to RFB's mask (left 1, middle 2, right 4).
pub fn rfb_buttons(buttons: u16) -> u8 {
    let left = buttons & 1;
    let right = (buttons & 2) << 1;
    let middle = (buttons & 4) >> 1;
    (left | middle | right) as u8
}

/// Adds a wheel event's vertical movement and answers the click it makes: -1 up, 1 down, or
/// 0 while the movement is still too small (touchpads send many small ones). At most one
/// click per event, as a mouse wheel's notch is one event.
pub fn wheel_step(accumulated: &mut f64, delta: f64, mode: u32) -> i8 {
    let pixels = match mode {
        1 => delta * WHEEL_LINE,
        2 => delta * WHEEL_PAGE,
        _ => delta,
    };
    if pixels == 0.0 || !pixels.is_finite() {
        return 0;
    }
    if *accumulated != 0.0 && accumulated.signum() != pixels.signum() {
        *accumulated = 0.0;
    }
    *accumulated += pixels;
    if accumulated.abs() < WHEEL_STEP {
        return 0;
    }
    let step = if *accumulated < 0.0 { -1 } else { 1 };
    *accumulated = 0.0;
    step
}

/// Milliseconds, whole, for the readout.
pub fn millis(elapsed: f64) -> u32 {
    elapsed.max(0.0).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes() {
        assert_eq!(close_reason(1000), Ended::Normal);
        assert_eq!(close_reason(4408), Ended::IdleTimeout);
        assert_eq!(close_reason(4401), Ended::SignedOut);
        assert_eq!(close_reason(4502), Ended::Unreachable);
        assert_eq!(close_reason(1006), Ended::Lost);
        assert_eq!(close_reason(1011), Ended::Lost);
    }

    #[test]
    fn socket_urls_stay_on_this_origin() {
        assert_eq!(
            socket_url(true, "webrana.id", "/ws/console/12?ticket=abc").as_deref(),
            Some("wss://webrana.id/ws/console/12?ticket=abc")
        );
        assert_eq!(
            socket_url(false, "127.0.0.1:3000", "/ws/console/1").as_deref(),
            Some("ws://127.0.0.1:3000/ws/console/1")
        );
        assert_eq!(socket_url(true, "webrana.id", "//evil.example/ws"), None);
        assert_eq!(socket_url(true, "webrana.id", "/\\evil.example"), None);
        assert_eq!(socket_url(true, "webrana.id", "wss://evil.example/"), None);
        assert_eq!(socket_url(true, "", "/ws/console/1"), None);
    }

    #[test]
    fn only_web_links_open() {
        assert_eq!(
            safe_link("https://panel.example/console?id=1").as_deref(),
            Some("https://panel.example/console?id=1")
        );
        assert_eq!(
            safe_link("HTTP://panel.example").as_deref(),
            Some("HTTP://panel.example")
        );
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(safe_link("/servers/1"), None);
        assert_eq!(safe_link("https:"), None);
    }

    #[test]
    fn rectangles_are_copied_row_by_row() {
        // A 3x2 framebuffer whose every byte is its own index.
        let rgba: Vec<u8> = (0..24).collect();
        assert_eq!(
            rect_pixels(&rgba, 3, (1, 0, 2, 2)),
            Some(vec![
                4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23
            ])
        );
        assert_eq!(rect_pixels(&rgba, 3, (0, 0, 3, 2)), Some(rgba.clone()));
        assert_eq!(
            rect_pixels(&rgba, 3, (2, 1, 1, 1)),
            Some(vec![20, 21, 22, 23])
        );
        assert_eq!(rect_pixels(&rgba, 3, (0, 0, 0, 0)), Some(Vec::new()));
    }

    #[test]
    fn rectangles_outside_the_framebuffer_are_refused() {
        let rgba: Vec<u8> = (0..24).collect();
        assert_eq!(rect_pixels(&rgba, 3, (2, 0, 2, 1)), None);
        assert_eq!(rect_pixels(&rgba, 3, (0, 1, 1, 2)), None);
        assert_eq!(
            rect_pixels(&rgba, u16::MAX, (u16::MAX, u16::MAX, u16::MAX, u16::MAX)),
            None
        );
    }

    #[test]
    fn canvas_positions_scale_to_the_framebuffer() {
        // Shown at half size: the middle of the shown canvas is the middle of the screen.
        assert_eq!(to_framebuffer(256.0, 512.0, 1024), 512);
        assert_eq!(to_framebuffer(0.0, 512.0, 1024), 0);
        assert_eq!(to_framebuffer(511.9, 512.0, 1024), 1023);
        // Outside the canvas (a drag that left it) stays on the edge.
        assert_eq!(to_framebuffer(-10.0, 512.0, 1024), 0);
        assert_eq!(to_framebuffer(600.0, 512.0, 1024), 1023);
        assert_eq!(to_framebuffer(10.0, 0.0, 1024), 0);
        assert_eq!(to_framebuffer(10.0, 100.0, 0), 0);
        assert_eq!(to_framebuffer(f64::NAN, 100.0, 10), 0);
    }

    #[test]
    fn buttons_are_reordered() {
        assert_eq!(rfb_buttons(0), 0);
        assert_eq!(rfb_buttons(1), 1);
        assert_eq!(rfb_buttons(2), 4);
        assert_eq!(rfb_buttons(4), 2);
        assert_eq!(rfb_buttons(7), 7);
        // Back and forward are not sent.
        assert_eq!(rfb_buttons(8 | 16 | 1), 1);
    }

    #[test]
    fn wheel_clicks() {
        let mut accumulated = 0.0;
        assert_eq!(wheel_step(&mut accumulated, 100.0, 0), 1);
        assert_eq!(wheel_step(&mut accumulated, -100.0, 0), -1);
        // Firefox scrolls three lines a notch.
        assert_eq!(wheel_step(&mut accumulated, 3.0, 1), 1);
        assert_eq!(wheel_step(&mut accumulated, -1.0, 2), -1);
        // A touchpad's small movements add up.
        assert_eq!(wheel_step(&mut accumulated, 20.0, 0), 0);
        assert_eq!(wheel_step(&mut accumulated, 20.0, 0), 0);
        assert_eq!(wheel_step(&mut accumulated, 20.0, 0), 1);
        // Turning back starts again.
        assert_eq!(wheel_step(&mut accumulated, 40.0, 0), 0);
        assert_eq!(wheel_step(&mut accumulated, -40.0, 0), 0);
        assert_eq!(wheel_step(&mut accumulated, -40.0, 0), -1);
        assert_eq!(wheel_step(&mut accumulated, 0.0, 0), 0);
        assert_eq!(wheel_step(&mut accumulated, f64::INFINITY, 0), 0);
    }

    #[test]
    fn probe_is_a_full_update_request_for_one_pixel() {
        assert_eq!(PROBE[0], 3, "FramebufferUpdateRequest");
        assert_eq!(PROBE[1], 0, "not incremental");
        assert_eq!(&PROBE[6..], &[0, 1, 0, 1], "1x1");
        assert!(probe_only(16));
        assert!(!probe_only(1024 * 768));
    }

    #[test]
    fn milliseconds() {
        assert_eq!(millis(12.4), 12);
        assert_eq!(millis(12.6), 13);
        assert_eq!(millis(-3.0), 0);
    }
}
