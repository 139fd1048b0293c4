//! Amounts as a fund counts them: whole ten-thousandths of the currency's unit (the
//! precision a statement's money carries), in `i64`, so that sums are exact to the fen.

use vitrine_ledger::bid::Money;

/// Units in one yuan (or one unit of any currency).
pub const UNITS: i64 = 10_000;

/// The most a fund holds or a statement moves: 100 trillion (10^14) in the currency, so
/// that no sum of a fund's money overflows and every amount fits the tables' `bigint`.
pub const MAX_UNITS: i64 = 100_000_000_000_000 * UNITS;

/// The units of `money`, or `None` if it is more than [`MAX_UNITS`]. (`Money` has
/// already checked its shape: digits, a point, at most four decimals.)
pub fn units(money: &Money) -> Option<i64> {
    let (whole, fraction) = money.amount.split_once('.').unwrap_or((&money.amount, ""));
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<4}").parse().ok()?;
    let units = whole.checked_mul(UNITS)?.checked_add(fraction)?;
    (units <= MAX_UNITS).then_some(units)
}

/// `units` as a decimal amount, with two decimals unless it has more: `1234.50`,
/// `0.0001`, `-3.00`.
pub fn amount(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let units = units.unsigned_abs();
    let whole = units / UNITS as u64;
    let fraction = units % UNITS as u64;
    if fraction.is_multiple_of(100) {
        format!("{sign}{whole}.{:02}", fraction / 100)
    } else {
        format!("{sign}{whole}.{fraction:04}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: &str) -> Money {
        Money {
            amount: amount.into(),
            currency: "CNY".into(),
        }
    }

    #[test]
    fn units_are_exact_and_bounded() {
        assert_eq!(units(&money("1234.5")), Some(12_345_000));
        assert_eq!(units(&money("0.01")), Some(100));
        assert_eq!(units(&money("0.0001")), Some(1));
        assert_eq!(units(&money("7")), Some(70_000));
        assert_eq!(units(&money("100000000000000")), Some(MAX_UNITS));
        assert_eq!(units(&money("100000000000000.0001")), None);
        assert_eq!(units(&money("999999999999999.9999")), None);
    }

    #[test]
    fn amounts_read_as_written() {
        assert_eq!(amount(12_345_000), "1234.50");
        assert_eq!(amount(100), "0.01");
        assert_eq!(amount(1), "0.0001");
        assert_eq!(amount(0), "0.00");
        assert_eq!(amount(-30_000), "-3.00");
        assert_eq!(amount(MAX_UNITS), "100000000000000.00");
        for text in ["1234.50", "0.01", "0.0001", "5.1234"] {
            assert_eq!(amount(units(&money(text)).unwrap()), text);
        }
    }
}
