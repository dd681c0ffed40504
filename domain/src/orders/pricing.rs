//! What an order costs: the plan's monthly price for the period, the period's discount, a
//! coupon, and PPN on what is left. Integer rupiah only; a discounted price rounds down (in the
//! customer's favour, as the catalog shows it), tax rounds half up as the tax office rounds.

use model::Language;
pub use model::billing::Line;
pub use model::orders::{CouponKind, Quote};

/// A coupon as the price sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponTerms {
    pub code: String,
    pub kind: CouponKind,
    pub amount: i64,
}

/// What an invoice's first line bills.
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    /// A new service: `Cloud 2G · web-1 (3 months)`.
    Service { plan: &'a str, hostname: &'a str },
    /// Another period of a service.
    Renewal { plan: &'a str, hostname: &'a str },
    /// The prorated difference of a move to another plan for the rest of the paid period.
    Resize {
        hostname: &'a str,
        from: &'a str,
        to: &'a str,
        remaining_days: i64,
        period_days: i64,
    },
}

/// What is being priced.
pub struct PriceInput<'a> {
    pub item: Item<'a>,
    /// The customer's: lines are written once, as the invoice is issued, in their language.
    pub language: Language,
    pub monthly_price: i64,
    pub months: i64,
    pub period_discount_percent: i64,
    pub coupon: Option<&'a CouponTerms>,
    pub tax_rate_bp: i64,
}

pub fn quote(input: &PriceInput<'_>) -> Quote {
    let subtotal = input.monthly_price.saturating_mul(input.months);
    let words = Words(input.language);
    let mut lines = vec![Line {
        description: words.item(input.item, input.months),
        quantity: input.months,
        unit_price: input.monthly_price,
        amount: subtotal,
    }];
    let period_discount = percent_of(subtotal, input.period_discount_percent);
    if period_discount > 0 {
        lines.push(discount_line(
            words.period_discount(input.months, input.period_discount_percent),
            period_discount,
        ));
    }
    let after_period = subtotal - period_discount;
    let coupon_discount = match input.coupon {
        Some(coupon) => {
            let off = match coupon.kind {
                CouponKind::Percent => percent_of(after_period, coupon.amount),
                CouponKind::Fixed => coupon.amount.clamp(0, after_period),
            };
            if off > 0 {
                lines.push(discount_line(words.coupon(&coupon.code), off));
            }
            off
        }
        None => 0,
    };
    let taxable = after_period - coupon_discount;
    let tax = (taxable.saturating_mul(input.tax_rate_bp) + 5_000) / 10_000;
    Quote {
        lines,
        subtotal,
        discount: period_discount + coupon_discount,
        period_discount,
        coupon_discount,
        tax_rate_bp: input.tax_rate_bp,
        tax,
        total: taxable + tax,
    }
}

/// What `percent` off `amount` takes away, so that what is left rounds down.
fn percent_of(amount: i64, percent: i64) -> i64 {
    amount - amount.saturating_mul(100 - percent.clamp(0, 100)) / 100
}

/// Invoice lines' words in one language, counts with their plural: Indonesian nouns keep one
/// form (`1 bulan`, `3 bulan`), English ones take an s after any count but one.
#[derive(Clone, Copy, Debug)]
pub struct Words(pub Language);

impl Words {
    pub fn months(self, count: i64) -> String {
        match self.0 {
            Language::Id => format!("{count} bulan"),
            Language::En => english_count(count, "month", "months"),
        }
    }

    pub fn days(self, count: i64) -> String {
        match self.0 {
            Language::Id => format!("{count} hari"),
            Language::En => english_count(count, "day", "days"),
        }
    }

    fn item(self, item: Item<'_>, months: i64) -> String {
        let period = self.months(months);
        let (renewal, to_word, of_word) = match self.0 {
            Language::Id => ("perpanjangan", "ke", "dari"),
            Language::En => ("renewal", "to", "of"),
        };
        match item {
            Item::Service { plan, hostname } => format!("{plan} · {hostname} ({period})"),
            Item::Renewal { plan, hostname } => {
                format!("{plan} · {hostname} ({period}, {renewal})")
            }
            Item::Resize {
                hostname,
                from,
                to,
                remaining_days,
                period_days,
            } => {
                let days = self.days(period_days);
                format!("{hostname} · {from} {to_word} {to} ({remaining_days} {of_word} {days})")
            }
        }
    }

    fn period_discount(self, months: i64, percent: i64) -> String {
        let period = self.months(months);
        match self.0 {
            Language::Id => format!("Diskon {period}: {percent} %"),
            Language::En => format!("{period}: {percent} % off"),
        }
    }

    fn coupon(self, code: &str) -> String {
        match self.0 {
            Language::Id => format!("Kupon {code}"),
            Language::En => format!("Coupon {code}"),
        }
    }

    /// A credit top-up invoice's one line.
    pub fn top_up(self) -> &'static str {
        match self.0 {
            Language::Id => "Isi ulang kredit",
            Language::En => "Credit top-up",
        }
    }
}

fn english_count(count: i64, one: &str, other: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { other })
}

fn discount_line(description: String, off: i64) -> Line {
    Line {
        description,
        quantity: 1,
        unit_price: -off,
        amount: -off,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(months: i64, discount: i64, coupon: Option<&CouponTerms>) -> PriceInput<'_> {
        PriceInput {
            item: Item::Service {
                plan: "Cloud 2G",
                hostname: "web-1",
            },
            language: Language::En,
            monthly_price: 75_000,
            months,
            period_discount_percent: discount,
            coupon,
            tax_rate_bp: 1_100,
        }
    }

    #[test]
    fn one_month_pays_price_and_ppn() {
        let quote = quote(&input(1, 0, None));
        assert_eq!(
            (quote.subtotal, quote.discount, quote.tax, quote.total),
            (75_000, 0, 8_250, 83_250)
        );
        assert_eq!(quote.lines.len(), 1);
    }

    #[test]
    fn period_discount_then_coupon_then_tax() {
        let coupon = CouponTerms {
            code: "HEMAT10".into(),
            kind: CouponKind::Percent,
            amount: 10,
        };
        let quote = quote(&input(12, 15, Some(&coupon)));
        // 900 000, −135 000 for the year, −76 500 coupon, 688 500 taxed at 11 %.
        assert_eq!(quote.subtotal, 900_000);
        assert_eq!(quote.discount, 135_000 + 76_500);
        assert_eq!(quote.tax, 75_735);
        assert_eq!(quote.total, 688_500 + 75_735);
        let amounts: Vec<i64> = quote.lines.iter().map(|line| line.amount).collect();
        assert_eq!(amounts, [900_000, -135_000, -76_500]);
        assert_eq!(amounts.iter().sum::<i64>() + quote.tax, quote.total);
    }

    #[test]
    fn a_fixed_coupon_never_goes_below_zero() {
        let coupon = CouponTerms {
            code: "GRATIS".into(),
            kind: CouponKind::Fixed,
            amount: 1_000_000,
        };
        let quote = quote(&input(1, 0, Some(&coupon)));
        assert_eq!((quote.discount, quote.tax, quote.total), (75_000, 0, 0));
        let full = CouponTerms {
            code: "FULL".into(),
            kind: CouponKind::Percent,
            amount: 100,
        };
        assert_eq!(super::quote(&input(3, 5, Some(&full))).total, 0);
    }

    #[test]
    fn a_discounted_price_rounds_down_like_the_catalog() {
        let pricing = crate::catalog::Pricing {
            price_idr_monthly: 33_333,
            discount_3m_percent: 7,
            discount_6m_percent: 0,
            discount_12m_percent: 0,
        };
        let mut odd = input(3, 7, None);
        odd.monthly_price = pricing.price_idr_monthly;
        let quote = quote(&odd);
        assert_eq!(
            quote.subtotal - quote.discount,
            pricing.price_for_months(3).unwrap()
        );
    }

    #[test]
    fn lines_are_written_in_the_customers_language_with_plurals() {
        let coupon = CouponTerms {
            code: "HEMAT10".into(),
            kind: CouponKind::Percent,
            amount: 10,
        };
        let descriptions = |input: &PriceInput<'_>| -> Vec<String> {
            quote(input)
                .lines
                .into_iter()
                .map(|line| line.description)
                .collect()
        };
        assert_eq!(
            descriptions(&input(1, 0, None)),
            ["Cloud 2G · web-1 (1 month)"]
        );
        assert_eq!(
            descriptions(&input(3, 5, Some(&coupon))),
            [
                "Cloud 2G · web-1 (3 months)",
                "3 months: 5 % off",
                "Coupon HEMAT10"
            ]
        );
        let mut indonesian = input(12, 15, Some(&coupon));
        indonesian.language = Language::Id;
        indonesian.item = Item::Renewal {
            plan: "Cloud 2G",
            hostname: "web-1",
        };
        assert_eq!(
            descriptions(&indonesian),
            [
                "Cloud 2G · web-1 (12 bulan, perpanjangan)",
                "Diskon 12 bulan: 15 %",
                "Kupon HEMAT10"
            ]
        );
        let resize = Item::Resize {
            hostname: "web-1",
            from: "Cloud 1G",
            to: "Cloud 2G",
            remaining_days: 1,
            period_days: 30,
        };
        assert_eq!(
            Words(Language::En).item(resize, 1),
            "web-1 · Cloud 1G to Cloud 2G (1 of 30 days)"
        );
        assert_eq!(
            Words(Language::Id).item(resize, 1),
            "web-1 · Cloud 1G ke Cloud 2G (1 dari 30 hari)"
        );
        assert_eq!(Words(Language::En).days(1), "1 day");
        assert_eq!(Words(Language::Id).top_up(), "Isi ulang kredit");
    }

    #[test]
    fn tax_rounds_half_up() {
        let mut odd = input(1, 0, None);
        odd.monthly_price = 50; // 5.5 rupiah of tax
        assert_eq!(quote(&odd).tax, 6);
        odd.monthly_price = 45; // 4.95
        assert_eq!(quote(&odd).tax, 5);
        odd.monthly_price = 40; // 4.4
        assert_eq!(quote(&odd).tax, 4);
    }
}
