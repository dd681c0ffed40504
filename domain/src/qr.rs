//! QR codes for phones to scan off the screen (two-factor set-up, QRIS payments), drawn as SVG
//! data URLs so a page shows them with a plain `<img>` and no script.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `text` as a QR code at least `min_pixels` wide; `None` when it is too long for one.
pub fn svg_data_url(text: &str, min_pixels: u32) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(min_pixels, min_pixels)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_qris_string_becomes_an_svg_qr_code_big_enough_to_scan() {
        use base64::Engine;
        let url = super::svg_data_url("SANDBOX-QRIS|SBX-1|INV-202611-00001|83250", 240)
            .unwrap_or_default();
        let encoded = url
            .strip_prefix("data:image/svg+xml;base64,")
            .unwrap_or_default();
        let svg = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_default();
        let svg = String::from_utf8(svg).unwrap_or_default();
        assert!(svg.contains("<svg"), "{url}");
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|width| width.parse().ok())
            .unwrap_or_default();
        assert!(width >= 240, "big enough to scan from a screen: {width}");
    }
}
