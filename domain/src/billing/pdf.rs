//! An invoice as a PDF, made here with printpdf (no browser): the same content as the printable
//! invoice page (seller, buyer with their company and NPWP, dates, lines, discount, PPN, total,
//! status and note), in the reader's language. The PDF's standard Helvetica needs no embedded
//! font; it writes Windows-1252, so a letter outside it prints as `?`.

use std::sync::LazyLock;

use model::Language;
use model::Rupiah;
use model::billing::{InvoicePage, Purpose};
use model::money::tax_percent;
use model::status::InvoiceStatus;
use model::time::{Precision, TimeZone, local_text};
use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

/// A4, in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Where the facts beside the buyer, and the totals, start.
const RIGHT_COLUMN: f32 = 330.0;

pub const CONTENT_TYPE: &str = "application/pdf";

/// The file name a download or an e-mail attachment gets.
pub fn file_name(invoice_number: &str) -> String {
    format!("{invoice_number}.pdf")
}

/// The words on the paper, as the invoice page has them in each language; the e-mail that
/// shows an invoice uses the same ones.
pub(crate) struct Labels {
    title: &'static str,
    billed_to: &'static str,
    issued: &'static str,
    due: &'static str,
    billed_for: &'static str,
    order: &'static str,
    paid_at: &'static str,
    description: &'static str,
    quantity: &'static str,
    unit_price: &'static str,
    amount: &'static str,
    subtotal: &'static str,
    discount: &'static str,
    tax: &'static str,
    total: &'static str,
    pub(crate) credit_applied: &'static str,
    credit_refunded: &'static str,
    footer: &'static str,
    page: &'static str,
    /// Before a tax rate's fraction (`11,5` or `11.5`).
    pub(crate) decimal: char,
    purpose: fn(Purpose) -> &'static str,
    status: fn(InvoiceStatus) -> &'static str,
}

const INDONESIAN: Labels = Labels {
    title: "TAGIHAN",
    billed_to: "DITAGIHKAN KEPADA",
    issued: "Diterbitkan",
    due: "Bayar sebelum",
    billed_for: "Untuk",
    order: "Pesanan",
    paid_at: "Dibayar",
    description: "Keterangan",
    quantity: "Jml",
    unit_price: "Harga satuan",
    amount: "Jumlah",
    subtotal: "Subtotal",
    discount: "Diskon",
    tax: "PPN",
    total: "Total",
    credit_applied: "Dibayar dari kredit",
    credit_refunded: "Dikembalikan ke kredit",
    footer: "Jumlah dalam rupiah (IDR), total sudah termasuk PPN. Terima kasih atas kepercayaan Anda.",
    page: "Halaman",
    decimal: ',',
    purpose: |purpose| match purpose {
        Purpose::New => "Server baru",
        Purpose::Renewal => "Perpanjangan",
        Purpose::Resize => "Ganti paket",
        Purpose::TopUp => "Isi ulang kredit",
    },
    status: |status| match status {
        InvoiceStatus::Unpaid => "BELUM DIBAYAR",
        InvoiceStatus::Paid => "LUNAS",
        InvoiceStatus::Expired => "KEDALUWARSA",
        InvoiceStatus::Cancelled => "DIBATALKAN",
        InvoiceStatus::Refunded => "DIKEMBALIKAN",
    },
};

const ENGLISH: Labels = Labels {
    title: "INVOICE",
    billed_to: "BILLED TO",
    issued: "Issued",
    due: "Pay before",
    billed_for: "For",
    order: "Order",
    paid_at: "Paid",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price",
    amount: "Amount",
    subtotal: "Subtotal",
    discount: "Discount",
    tax: "VAT (PPN)",
    total: "Total",
    credit_applied: "Paid from credit",
    credit_refunded: "Refunded to credit",
    footer: "Amounts in Indonesian rupiah (IDR), VAT (PPN) included in the total. Thank you for your business.",
    page: "Page",
    decimal: '.',
    purpose: |purpose| match purpose {
        Purpose::New => "New server",
        Purpose::Renewal => "Renewal",
        Purpose::Resize => "Plan change",
        Purpose::TopUp => "Credit top-up",
    },
    status: |status| match status {
        InvoiceStatus::Unpaid => "UNPAID",
        InvoiceStatus::Paid => "PAID",
        InvoiceStatus::Expired => "EXPIRED",
        InvoiceStatus::Cancelled => "CANCELLED",
        InvoiceStatus::Refunded => "REFUNDED",
    },
};

pub(crate) fn labels(language: Language) -> &'static Labels {
    match language {
        Language::Id => &INDONESIAN,
        Language::En => &ENGLISH,
    }
}

/// The invoice `page` as a PDF document, in `language`.
pub fn render(page: &InvoicePage, language: Language, time_zone: TimeZone) -> Vec<u8> {
    let labels = labels(language);
    let invoice = &page.invoice;
    let mut sheet = Sheet::new();

    // The seller on the left, the document's title, number and status on the right.
    let seller = &page.seller;
    sheet.text(
        MARGIN,
        0.0,
        Face::Bold,
        15.0,
        &seller.legal_name,
        Align::Left,
    );
    let mut left = 18.0;
    for line in seller
        .address
        .lines()
        .filter(|line| !line.trim().is_empty())
    {
        sheet.text(MARGIN, left, Face::Regular, 9.0, line.trim(), Align::Left);
        left += 12.0;
    }
    if !seller.npwp.is_empty() {
        sheet.text(
            MARGIN,
            left,
            Face::Regular,
            9.0,
            &format!("NPWP {}", seller.npwp),
            Align::Left,
        );
        left += 12.0;
    }
    sheet.text(RIGHT, 0.0, Face::Bold, 20.0, labels.title, Align::Right);
    sheet.text(
        RIGHT,
        22.0,
        Face::Regular,
        10.0,
        &invoice.number,
        Align::Right,
    );
    sheet.text(
        RIGHT,
        36.0,
        Face::Bold,
        10.0,
        (labels.status)(invoice.shown_status()),
        Align::Right,
    );
    sheet.advance(left.max(50.0) + 6.0);
    sheet.rule(0.75);
    sheet.advance(18.0);

    // The buyer on the left, the invoice's dates and order on the right.
    let buyer = &invoice.buyer;
    let mut buyer_lines: Vec<(Face, String)> = vec![(Face::Bold, invoice.customer_name.clone())];
    if let Some(company) = &buyer.company {
        buyer_lines.push((Face::Bold, company.clone()));
    }
    if let Some(address) = &buyer.address {
        buyer_lines.extend(address.lines().map(|line| (Face::Regular, line.to_owned())));
    }
    if let Some(npwp) = &buyer.npwp {
        buyer_lines.push((Face::Regular, format!("NPWP {npwp}")));
    }
    buyer_lines.push((Face::Regular, invoice.customer_email.clone()));
    sheet.label(MARGIN, 0.0, labels.billed_to);
    let mut left = 14.0;
    for (face, line) in &buyer_lines {
        sheet.text(MARGIN, left, *face, 10.0, line, Align::Left);
        left += 13.0;
    }
    let mut facts = vec![(
        labels.issued,
        local_text(invoice.issued_at, time_zone, Precision::Minute),
    )];
    // A deadline only means something while the invoice can still be paid.
    if invoice.status == InvoiceStatus::Unpaid {
        facts.push((
            labels.due,
            local_text(invoice.expires_at, time_zone, Precision::Minute),
        ));
    }
    facts.push((
        labels.billed_for,
        (labels.purpose)(invoice.purpose).to_owned(),
    ));
    if let Some(order_id) = invoice.order_id {
        facts.push((labels.order, format!("#{order_id}")));
    }
    if let Some(paid_at) = invoice.paid_at {
        let via = invoice
            .paid_via
            .as_deref()
            .map(|via| format!(" · {via}"))
            .unwrap_or_default();
        facts.push((
            labels.paid_at,
            format!("{}{via}", local_text(paid_at, time_zone, Precision::Minute)),
        ));
    }
    let mut right = 0.0;
    for (label, value) in &facts {
        sheet.text(RIGHT_COLUMN, right, Face::Regular, 9.0, label, Align::Left);
        sheet.text(RIGHT, right, Face::Bold, 9.0, value, Align::Right);
        right += 14.0;
    }
    sheet.advance(f32::max(left, right) + 16.0);

    // The lines, as a table; a long description wraps within its column.
    let columns = [MARGIN, 345.0, 440.0, RIGHT];
    sheet.text(
        columns[0],
        0.0,
        Face::Bold,
        9.0,
        labels.description,
        Align::Left,
    );
    sheet.text(
        columns[1],
        0.0,
        Face::Bold,
        9.0,
        labels.quantity,
        Align::Right,
    );
    sheet.text(
        columns[2],
        0.0,
        Face::Bold,
        9.0,
        labels.unit_price,
        Align::Right,
    );
    sheet.text(
        columns[3],
        0.0,
        Face::Bold,
        9.0,
        labels.amount,
        Align::Right,
    );
    sheet.advance(6.0);
    sheet.rule(0.5);
    sheet.advance(14.0);
    for line in &page.lines {
        let wrapped = wrap(&line.description, Face::Regular, 10.0, 260.0);
        sheet.make_room(wrapped.len() as f32 * 13.0 + 6.0);
        for (row, text) in wrapped.iter().enumerate() {
            sheet.text(
                columns[0],
                row as f32 * 13.0,
                Face::Regular,
                10.0,
                text,
                Align::Left,
            );
        }
        sheet.text(
            columns[1],
            0.0,
            Face::Regular,
            10.0,
            &line.quantity.to_string(),
            Align::Right,
        );
        sheet.text(
            columns[2],
            0.0,
            Face::Regular,
            10.0,
            &Rupiah(line.unit_price).to_string(),
            Align::Right,
        );
        sheet.text(
            columns[3],
            0.0,
            Face::Regular,
            10.0,
            &Rupiah(line.amount).to_string(),
            Align::Right,
        );
        sheet.advance(wrapped.len() as f32 * 13.0 + 6.0);
    }
    sheet.rule(0.5);
    sheet.advance(16.0);

    // The totals, under the amounts.
    let mut totals = vec![(labels.subtotal.to_owned(), invoice.subtotal, Face::Regular)];
    if invoice.discount > 0 {
        totals.push((labels.discount.to_owned(), -invoice.discount, Face::Regular));
    }
    totals.push((
        format!(
            "{} {}%",
            labels.tax,
            tax_percent(invoice.tax_rate_bp, labels.decimal)
        ),
        invoice.tax,
        Face::Regular,
    ));
    totals.push((labels.total.to_owned(), invoice.total, Face::Bold));
    sheet.make_room(totals.len() as f32 * 15.0 + 10.0);
    for (index, (label, amount, face)) in totals.iter().enumerate() {
        let size = if *face == Face::Bold { 12.0 } else { 10.0 };
        if index + 1 == totals.len() {
            sheet.advance(2.0);
            sheet.rule_from(RIGHT_COLUMN, 0.5);
            sheet.advance(14.0);
        }
        sheet.text(RIGHT_COLUMN, 0.0, *face, size, label, Align::Left);
        sheet.text(
            RIGHT,
            0.0,
            *face,
            size,
            &Rupiah(*amount).to_string(),
            Align::Right,
        );
        sheet.advance(15.0);
    }
    // What the customer's credit paid, and what went back to it, under the total.
    for (label, amount) in [
        (labels.credit_applied, -invoice.credit_applied),
        (labels.credit_refunded, invoice.credit_refunded),
    ] {
        if amount != 0 {
            sheet.make_room(15.0);
            sheet.text(RIGHT_COLUMN, 0.0, Face::Regular, 10.0, label, Align::Left);
            let amount = Rupiah(amount).to_string();
            sheet.text(RIGHT, 0.0, Face::Regular, 10.0, &amount, Align::Right);
            sheet.advance(15.0);
        }
    }

    if let Some(note) = &invoice.note {
        sheet.advance(12.0);
        for text in wrap(note, Face::Regular, 9.0, RIGHT - MARGIN) {
            sheet.make_room(12.0);
            sheet.text(MARGIN, 0.0, Face::Regular, 9.0, &text, Align::Left);
            sheet.advance(12.0);
        }
    }
    sheet.advance(20.0);
    for text in wrap(labels.footer, Face::Regular, 8.0, RIGHT - MARGIN) {
        sheet.make_room(11.0);
        sheet.label(MARGIN, 0.0, &text);
        sheet.advance(11.0);
    }
    sheet.finish(&invoice.number, labels.page)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn builtin(self) -> BuiltinFont {
        match self {
            Self::Regular => BuiltinFont::Helvetica,
            Self::Bold => BuiltinFont::HelveticaBold,
        }
    }

    /// The face's glyph widths, which printpdf carries for its standard fonts.
    fn metrics(self) -> &'static ParsedFont {
        static REGULAR: LazyLock<ParsedFont> = LazyLock::new(|| parsed(BuiltinFont::Helvetica));
        static BOLD: LazyLock<ParsedFont> = LazyLock::new(|| parsed(BuiltinFont::HelveticaBold));
        match self {
            Self::Regular => &REGULAR,
            Self::Bold => &BOLD,
        }
    }

    /// How wide `text` is at `size` points, with `?` standing for what the font cannot show.
    fn width(self, text: &str, size: f32) -> f32 {
        let font = self.metrics();
        let em = f32::from(font.units_per_em.max(1));
        let advance = |c: char| {
            font.lookup_glyph_index(u32::from(c))
                .and_then(|glyph| font.get_glyph_width(glyph))
                .map(|units| f32::from(units) / em)
        };
        let ems: f32 = text
            .chars()
            .map(|c| match c {
                // printpdf's copies of the fonts carry no glyph for the space: Helvetica's, in
                // both weights, is 278/1000 of an em.
                ' ' => 0.278,
                c => advance(c).or_else(|| advance('?')).unwrap_or(0.0),
            })
            .sum();
        ems * size
    }
}

fn parsed(font: BuiltinFont) -> ParsedFont {
    // The fonts are compiled into printpdf; the unit tests measure both.
    #[allow(clippy::expect_used)]
    font.get_parsed_font()
        .expect("printpdf's standard fonts parse")
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    /// `x` is where the text ends.
    Right,
}

/// `text` broken at spaces into lines no wider than `width` points (a word longer than that
/// stays whole on its own line).
fn wrap(text: &str, face: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && face.width(&candidate, size) > width {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}

/// The pages being written, top to bottom: `y` is how far below the top margin the current
/// row is, and every position given is relative to that row.
struct Sheet {
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
}

impl Sheet {
    fn new() -> Self {
        Self {
            pages: Vec::new(),
            ops: Vec::new(),
            y: 0.0,
        }
    }

    /// PDF coordinates run up from the bottom of the page.
    fn point(&self, x: f32, below: f32) -> Point {
        Point {
            x: Pt(x),
            y: Pt(PAGE_HEIGHT - MARGIN - self.y - below),
        }
    }

    fn advance(&mut self, by: f32) {
        self.y += by;
    }

    /// Starts a new page when `height` more would run past the bottom margin.
    fn make_room(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - 2.0 * MARGIN - 20.0 {
            self.pages.push(std::mem::take(&mut self.ops));
            self.y = 0.0;
        }
    }

    fn text(&mut self, x: f32, below: f32, face: Face, size: f32, text: &str, align: Align) {
        self.colored_text(x, below, face, size, text, align, 0.1);
    }

    /// A small grey heading.
    fn label(&mut self, x: f32, below: f32, text: &str) {
        self.colored_text(x, below, Face::Regular, 8.0, text, Align::Left, 0.4);
    }

    #[allow(clippy::too_many_arguments)]
    fn colored_text(
        &mut self,
        x: f32,
        below: f32,
        face: Face,
        size: f32,
        text: &str,
        align: Align,
        grey: f32,
    ) {
        let start = match align {
            Align::Left => x,
            Align::Right => x - face.width(text, size),
        };
        let pos = self.point(start, below);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor {
                col: Color::Rgb(Rgb {
                    r: grey,
                    g: grey,
                    b: grey,
                    icc_profile: None,
                }),
            },
            Op::SetFont {
                font: PdfFontHandle::Builtin(face.builtin()),
                size: Pt(size),
            },
            Op::SetTextCursor { pos },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A horizontal rule across the page at the current row.
    fn rule(&mut self, thickness: f32) {
        self.rule_from(MARGIN, thickness);
    }

    fn rule_from(&mut self, x: f32, thickness: f32) {
        let (from, to) = (self.point(x, 0.0), self.point(RIGHT, 0.0));
        self.ops.extend([
            Op::SetOutlineColor {
                col: Color::Rgb(Rgb {
                    r: 0.75,
                    g: 0.75,
                    b: 0.75,
                    icc_profile: None,
                }),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: from,
                            bezier: false,
                        },
                        LinePoint {
                            p: to,
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }

    /// The document, each page of several numbered at its foot.
    fn finish(mut self, title: &str, page_word: &str) -> Vec<u8> {
        self.pages.push(self.ops);
        let count = self.pages.len();
        let pages = self
            .pages
            .into_iter()
            .enumerate()
            .map(|(index, mut ops)| {
                if count > 1 {
                    let mut footer = Sheet::new();
                    footer.y = PAGE_HEIGHT - 2.0 * MARGIN;
                    footer.label(
                        MARGIN,
                        0.0,
                        &format!("{title} · {page_word} {}/{count}", index + 1),
                    );
                    ops.extend(footer.ops);
                }
                PdfPage::new(Mm::from(Pt(PAGE_WIDTH)), Mm::from(Pt(PAGE_HEIGHT)), ops)
            })
            .collect();
        PdfDocument::new(title)
            .with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone as _, Utc};
    use model::accounts::BillingDetails;
    use model::billing::{Invoice, Line, Seller};
    use model::ids::{InvoiceId, OrderId, UserId};

    fn page(lines: Vec<Line>) -> InvoicePage {
        let issued = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap();
        InvoicePage {
            invoice: Invoice {
                id: InvoiceId(12),
                number: "INV-202612-00012".into(),
                user_id: UserId(3),
                order_id: Some(OrderId(9)),
                purpose: Purpose::Renewal,
                period_months: 12,
                subtotal: 900_000,
                discount: 90_000,
                tax_rate_bp: 1_150,
                tax: 93_150,
                total: 903_150,
                status: InvoiceStatus::Paid,
                overdue: false,
                customer_name: "Budi Santoso".into(),
                customer_email: "budi@example.co.id".into(),
                buyer: BillingDetails {
                    company: Some("PT Maju Jaya".into()),
                    address: Some("Jl. Sudirman 1\nJakarta 10220".into()),
                    npwp: Some("3171012345678901".into()),
                },
                issued_at: issued,
                expires_at: issued + chrono::Duration::days(1),
                paid_at: Some(issued + chrono::Duration::hours(2)),
                paid_via: Some("tripay".into()),
                note: Some("Dibayar lewat QRIS".into()),
                credit_applied: 0,
                credit_refunded: 0,
            },
            lines,
            payments: Vec::new(),
            seller: Seller {
                legal_name: "PT Webrana Awan Nusantara".into(),
                address: "Jl. Jenderal Sudirman Kav. 1\nJakarta Pusat 10220".into(),
                npwp: "01.234.567.8-901.000".into(),
            },
            mine: true,
        }
    }

    fn line(description: &str, amount: i64) -> Line {
        Line {
            description: description.into(),
            quantity: 1,
            unit_price: amount,
            amount,
        }
    }

    #[test]
    fn the_pdf_says_what_the_invoice_page_says() {
        let lines = vec![
            line("VPS Business 2 GB · web-1 (12 months)", 900_000),
            line("Period discount", -90_000),
        ];
        let indonesian =
            crate::testing::pdf_text(&render(&page(lines.clone()), Language::Id, TimeZone::Utc));
        for expected in [
            "PT Webrana Awan Nusantara",
            "Jakarta Pusat 10220",
            "NPWP 01.234.567.8-901.000",
            "TAGIHAN",
            "INV-202612-00012",
            "LUNAS",
            "Budi Santoso",
            "PT Maju Jaya",
            "Jl. Sudirman 1",
            "NPWP 3171012345678901",
            "budi@example.co.id",
            "Perpanjangan",
            "#9",
            "2026-12-07 11:30 UTC · tripay",
            "VPS Business 2 GB · web-1 (12 months)",
            "Rp 900.000",
            "-Rp 90.000",
            "Diskon",
            "PPN 11,5%",
            "Rp 93.150",
            "Total",
            "Rp 903.150",
            "Dibayar lewat QRIS",
        ] {
            assert!(
                indonesian.contains(expected),
                "{expected} missing from:\n{indonesian}"
            );
        }
        let english = crate::testing::pdf_text(&render(&page(lines), Language::En, TimeZone::Utc));
        for expected in [
            "INVOICE",
            "PAID",
            "BILLED TO",
            "Renewal",
            "Discount",
            "VAT (PPN) 11.5%",
        ] {
            assert!(
                english.contains(expected),
                "{expected} missing from:\n{english}"
            );
        }
    }

    #[test]
    fn credit_paid_and_refunded_stand_under_the_total_and_a_top_up_names_no_order() {
        let mut top_up = page(vec![line("Credit top-up", 250_000)]);
        top_up.invoice.order_id = None;
        top_up.invoice.purpose = Purpose::TopUp;
        let text = crate::testing::pdf_text(&render(&top_up, Language::En, TimeZone::Utc));
        assert!(text.contains("Credit top-up"), "{text}");
        assert!(!text.contains("Order"), "{text}");
        assert!(!text.contains("Paid from credit"), "{text}");

        let mut partly = page(vec![line("VPS Business 2 GB", 900_000)]);
        partly.invoice.credit_applied = 400_000;
        partly.invoice.credit_refunded = 100_000;
        let text = crate::testing::pdf_text(&render(&partly, Language::Id, TimeZone::Utc));
        assert!(text.contains("Dibayar dari kredit"), "{text}");
        assert!(text.contains("-Rp 400.000"), "{text}");
        assert!(text.contains("Dikembalikan ke kredit"), "{text}");
        assert!(text.contains("Rp 100.000"), "{text}");
    }

    #[test]
    fn only_an_unpaid_invoice_names_a_deadline() {
        let mut unpaid = page(vec![line("VPS Business 2 GB", 900_000)]);
        unpaid.invoice.status = InvoiceStatus::Unpaid;
        unpaid.invoice.paid_at = None;
        let text = crate::testing::pdf_text(&render(&unpaid, Language::En, TimeZone::Utc));
        assert!(text.contains("Pay before"), "{text}");
        assert!(text.contains("2026-12-08 09:30 UTC"), "{text}");
        let in_bali = crate::testing::pdf_text(&render(&unpaid, Language::En, TimeZone::Wita));
        assert!(
            in_bali.contains("2026-12-08 17:30 WITA"),
            "the reader's clock: {in_bali}"
        );
        let paid =
            crate::testing::pdf_text(&render(&page(Vec::new()), Language::En, TimeZone::Utc));
        assert!(!paid.contains("Pay before"), "{paid}");
        assert!(!paid.contains("2026-12-08 09:30"), "{paid}");
    }

    #[test]
    fn many_lines_run_onto_numbered_pages() {
        let lines = (1..=40)
            .map(|n| line(&format!("Line {n}"), 15_000))
            .collect();
        let text = crate::testing::pdf_text(&render(&page(lines), Language::En, TimeZone::Utc));
        assert_eq!(text.matches('\u{c}').count(), 2, "two pages:\n{text}");
        assert!(text.contains("INV-202612-00012 · Page 1/2"), "{text}");
        assert!(text.contains("INV-202612-00012 · Page 2/2"), "{text}");
        assert!(text.contains("Line 40"), "{text}");
    }

    #[test]
    fn both_faces_measure_text() {
        let regular = Face::Regular.width("Rp 1.234.567", 10.0);
        let bold = Face::Bold.width("Rp 1.234.567", 10.0);
        assert!((50.0..70.0).contains(&regular), "{regular}");
        assert!(bold > regular, "{bold} > {regular}");
        // What the font cannot show is measured as the `?` it prints.
        assert_eq!(
            Face::Regular.width("ł", 10.0),
            Face::Regular.width("?", 10.0)
        );
        assert!((Face::Bold.width("a b", 10.0) - Face::Bold.width("ab", 10.0) - 2.78).abs() < 0.01);
    }

    #[test]
    fn long_text_wraps_at_spaces() {
        let lines = wrap(
            "VPS Business 8 GB · Jakarta · Ubuntu 24.04 LTS (12 months) with a long note",
            Face::Regular,
            10.0,
            150.0,
        );
        assert!(lines.len() > 1, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|line| Face::Regular.width(line, 10.0) <= 150.0)
        );
        assert_eq!(
            lines.join(" "),
            "VPS Business 8 GB · Jakarta · Ubuntu 24.04 LTS (12 months) with a long note"
        );
        assert_eq!(wrap("a\nb", Face::Regular, 10.0, 100.0), ["a", "b"]);
    }
}
