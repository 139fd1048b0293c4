//! The geometry of a fund's two drawings, computed here and drawn by the template as
//! inline SVG (so every label goes through the template's escaping, and the page needs no
//! script): its balance over time, and its money in and out as a flow diagram whose bands
//! are as wide as their amounts.
//!
//! Coordinates are in the SVG's own units (its `viewBox`); amounts are the fund's units
//! (ten-thousandths), formatted as decimals for the labels. Nothing here is money
//! arithmetic: floating point only places things on the drawing.

use crate::db::funds::{ChannelTotal, LedgerRow, RecipientTotal};
use crate::domain::charity::money::amount;
use serde::Serialize;

/// The balance chart's width and height.
const CHART_WIDTH: f64 = 720.0;
const CHART_HEIGHT: f64 = 240.0;
/// Its margins: room for the amounts on the left and the dates below.
const CHART_LEFT: f64 = 110.0;
const CHART_RIGHT: f64 = 20.0;
const CHART_TOP: f64 = 16.0;
const CHART_BOTTOM: f64 = 36.0;
/// The most points (and rows of its table) the chart shows: past them, the days are
/// summed in periods of equal length, as many days each as it takes.
const MAX_POINTS: usize = 120;

/// A day of the chart, or a period of days.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChartPoint {
    /// Where it is drawn.
    pub x: String,
    #[allow(missing_docs)]
    pub y: String,
    /// The day (`YYYY-MM-DD`); for a period, its first day with money moved.
    pub day: String,
    /// For a period of more than one day with money moved: its last.
    pub until: Option<String>,
    /// The balance at its end, and what came in and went out that day (decimals).
    pub balance: String,
    #[allow(missing_docs)]
    pub money_in: String,
    #[allow(missing_docs)]
    pub money_out: String,
    #[allow(missing_docs)]
    pub donations: i64,
    #[allow(missing_docs)]
    pub disbursements: i64,
}

/// A line of the chart's scale.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tick {
    /// Where it is drawn (`y` for amounts, `x` for days).
    pub at: String,
    /// Its label: an amount (decimal) or a day.
    pub label: String,
}

/// The balance over time, by day.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BalanceChart {
    #[allow(missing_docs)]
    pub width: f64,
    #[allow(missing_docs)]
    pub height: f64,
    /// The plot's edges.
    pub left: f64,
    #[allow(missing_docs)]
    pub right: f64,
    #[allow(missing_docs)]
    pub top: f64,
    #[allow(missing_docs)]
    pub bottom: f64,
    /// Each day's end (or each period's, when there are more than [`MAX_POINTS`] days).
    pub points: Vec<ChartPoint>,
    /// How many days each point sums: 1, or the length of the periods.
    pub days_per_point: i64,
    /// The days with money moved.
    pub days_moved: usize,
    /// The balance as steps (it holds until the next day with money moved), from zero on
    /// the first day: an SVG path.
    pub line: String,
    /// The same, closed down to zero (the shaded area).
    pub area: String,
    /// The amounts on the left: zero, half the highest and the highest balance.
    pub amounts: Vec<Tick>,
    /// The first and the last day below (one if they are the same).
    pub days: Vec<Tick>,
    /// The highest balance (decimal) and the last.
    pub highest: String,
    #[allow(missing_docs)]
    pub last: String,
}

fn n(v: f64) -> String {
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// The day a ledger period starts (`2026-12-03T00:00:00Z` → `2026-12-03`).
fn day_of(period: &str) -> &str {
    period.get(..10).unwrap_or(period)
}

/// Days since the Unix epoch of `YYYY-MM-DD…` (0 if unreadable).
fn day_number(period: &str) -> i64 {
    vitrine_ledger::time::Timestamp::parse(&format!("{}T00:00:00Z", day_of(period)))
        .map(|t| t.unix_seconds() / 86_400)
        .unwrap_or(0)
}

/// The chart of `rows` (a fund's ledger by day, oldest first); `None` without any. The
/// line steps through every day, but draws the days that fall on one unit of the drawing
/// as one upright stroke from the lowest to the highest balance among them, so that its
/// length is bounded by the width whatever the days, and no peak is lost.
pub fn balance_chart(rows: &[LedgerRow]) -> Option<BalanceChart> {
    let first = rows.first()?;
    let last = rows.last()?;
    let (left, right) = (CHART_LEFT, CHART_WIDTH - CHART_RIGHT);
    let (top, bottom) = (CHART_TOP, CHART_HEIGHT - CHART_BOTTOM);
    let highest = rows.iter().map(|r| r.balance).max().unwrap_or(0).max(0);
    let start = day_number(&first.period);
    // One day more than the span, so that the last day's step has a width.
    let span = (day_number(&last.period) - start + 1).max(1) as f64;
    let x_of = |period: &str| left + (right - left) * (day_number(period) - start) as f64 / span;
    let y_of = |balance: i64| match highest {
        0 => bottom,
        h => bottom - (bottom - top) * balance.max(0) as f64 / h as f64,
    };
    let per_point = if rows.len() > MAX_POINTS {
        (span as u64).div_ceil(MAX_POINTS as u64) as i64
    } else {
        1
    };
    let period = |r: &LedgerRow| (day_number(&r.period) - start) / per_point;
    let points: Vec<ChartPoint> = rows
        .chunk_by(|a, b| period(a) == period(b))
        .map(|days| {
            let (first, last) = (&days[0], &days[days.len() - 1]);
            let sum = |of: fn(&LedgerRow) -> i64| days.iter().map(of).sum::<i64>();
            ChartPoint {
                // Each point is drawn at its (last) day's end, where its balance stands.
                x: n(x_of(&last.period) + (right - left) / span),
                y: n(y_of(last.balance)),
                day: day_of(&first.period).to_owned(),
                until: (days.len() > 1).then(|| day_of(&last.period).to_owned()),
                balance: amount(last.balance),
                money_in: amount(sum(|r| r.money_in)),
                money_out: amount(sum(|r| r.money_out)),
                donations: sum(|r| r.donations),
                disbursements: sum(|r| r.disbursements),
            }
        })
        .collect();
    let mut line = format!("M{} {}", n(left), n(bottom));
    // The unit of the drawing the last days fell on: its lowest, highest and last level.
    let mut stroke: Option<(i64, f64, f64, f64)> = None;
    let upright = |line: &mut String, (_, high, low, end): (i64, f64, f64, f64)| {
        if (high, low) != (end, end) {
            line.push_str(&format!(" V{} V{} V{}", n(high), n(low), n(end)));
        }
    };
    for r in rows {
        let (x, y) = (x_of(&r.period), y_of(r.balance));
        match &mut stroke {
            Some((unit, high, low, end)) if *unit == x.floor() as i64 => {
                (*high, *low, *end) = (high.min(y), low.max(y), y);
            }
            _ => {
                if let Some(done) = stroke {
                    upright(&mut line, done);
                }
                line.push_str(&format!(" H{} V{}", n(x), n(y)));
                stroke = Some((x.floor() as i64, y, y, y));
            }
        }
    }
    if let Some(done) = stroke {
        upright(&mut line, done);
    }
    line.push_str(&format!(" H{}", n(right)));
    let area = format!("{line} V{} Z", n(bottom));
    let amounts = [0, highest / 2, highest]
        .iter()
        .enumerate()
        .filter(|(i, v)| *i == 0 || **v > 0)
        .map(|(_, v)| Tick {
            at: n(y_of(*v)),
            label: amount(*v),
        })
        .collect::<Vec<_>>();
    let mut days = vec![Tick {
        at: n(left),
        label: day_of(&first.period).to_owned(),
    }];
    if day_of(&last.period) != day_of(&first.period) {
        days.push(Tick {
            at: n(right),
            label: day_of(&last.period).to_owned(),
        });
    }
    Some(BalanceChart {
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        left,
        right,
        top,
        bottom,
        points,
        days_per_point: per_point,
        days_moved: rows.len(),
        line,
        area,
        amounts,
        days,
        highest: amount(highest),
        last: amount(last.balance),
    })
}

/// The flow diagram's width, the height its bands share, and its columns.
const FLOW_WIDTH: f64 = 760.0;
const FLOW_BANDS: f64 = 280.0;
const FLOW_TOP: f64 = 28.0;
const NODE_WIDTH: f64 = 12.0;
const IN_X: f64 = 250.0;
const FUND_X: f64 = 374.0;
const OUT_X: f64 = 498.0;
/// Each side's node takes at least this much height (its label's two lines), with a gap
/// between nodes; a band is at least a hair wide, however small its amount.
const SLOT: f64 = 34.0;
const GAP: f64 = 8.0;
const HAIR: f64 = 1.0;
/// Labels are cut to this many characters (their full text is in the band's title).
const LABEL_CHARS: usize = 30;

/// What a band of the diagram is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BandKind {
    /// Money in by a channel (`name` is the channel).
    Channel,
    /// Money in from another fund, or out to one (`name` is the fund).
    Fund,
    /// Money out to an organisation.
    Organisation,
    /// Money out to a person, known by a commitment.
    Person,
    /// What the fund still holds.
    Balance,
    /// The rest, beyond the rows listed.
    Other,
}

/// A band: from its node on one side to its place on the fund's node.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Band {
    #[allow(missing_docs)]
    pub kind: BandKind,
    /// The channel, the fund's or organisation's id, or the person's commitment.
    pub name: String,
    /// `name`, cut for the label.
    pub label: String,
    /// How much (decimal), and in how many donations or disbursements.
    pub amount: String,
    #[allow(missing_docs)]
    pub count: i64,
    /// The band, as an SVG path.
    pub path: String,
    /// Its node on the side.
    pub node_x: String,
    #[allow(missing_docs)]
    pub node_y: String,
    #[allow(missing_docs)]
    pub node_height: String,
    /// Where its label's first line is, and its second.
    pub label_x: String,
    #[allow(missing_docs)]
    pub label_y: String,
    #[allow(missing_docs)]
    pub label_y2: String,
}

/// Money in (left), the fund (middle) and money out (right).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Flow {
    #[allow(missing_docs)]
    pub width: f64,
    #[allow(missing_docs)]
    pub height: String,
    /// The fund's node.
    pub fund_x: f64,
    #[allow(missing_docs)]
    pub fund_y: String,
    #[allow(missing_docs)]
    pub fund_height: String,
    #[allow(missing_docs)]
    pub node_width: f64,
    /// Where the fund's label is.
    pub fund_label_x: f64,
    #[allow(missing_docs)]
    pub fund_label_y: String,
    /// The bands in, and out (the balance the fund holds last).
    pub inputs: Vec<Band>,
    #[allow(missing_docs)]
    pub outputs: Vec<Band>,
    /// What came in, in all (decimal).
    pub received: String,
}

fn cut(text: &str) -> String {
    match text.chars().count() > LABEL_CHARS {
        true => format!(
            "{}…",
            text.chars().take(LABEL_CHARS - 1).collect::<String>()
        ),
        false => text.to_owned(),
    }
}

/// A side's node, before it is placed: kind, name, amount, count.
type Node = (BandKind, String, i64, i64);

/// The bands of one side, placed: each node in its slot, stacked from `top`; each band
/// from its node to its place on the fund's node (stacked from `fund_top`).
fn side(nodes: &[Node], scale: f64, top: f64, fund_top: f64, incoming: bool) -> Vec<Band> {
    let mut y = top;
    let mut at_fund = fund_top;
    let mut bands = Vec::with_capacity(nodes.len());
    for (kind, name, units, count) in nodes {
        let thickness = (*units as f64 * scale).max(HAIR);
        let slot = thickness.max(SLOT);
        let node_y = y + (slot - thickness) / 2.0;
        let (node_x, from_x, to_x) = match incoming {
            true => (IN_X, IN_X + NODE_WIDTH, FUND_X),
            false => (OUT_X, FUND_X + NODE_WIDTH, OUT_X),
        };
        // From (from_x, a..a+t) to (to_x, b..b+t): the fund's end of an incoming band is
        // on the right, the node's end of an outgoing band too.
        let (a, b) = match incoming {
            true => (node_y, at_fund),
            false => (at_fund, node_y),
        };
        let middle = (from_x + to_x) / 2.0;
        let path = format!(
            "M{x0} {a0} C{m} {a0} {m} {b0} {x1} {b0} L{x1} {b1} C{m} {b1} {m} {a1} {x0} {a1} Z",
            x0 = n(from_x),
            x1 = n(to_x),
            m = n(middle),
            a0 = n(a),
            a1 = n(a + thickness),
            b0 = n(b),
            b1 = n(b + thickness),
        );
        let label_x = match incoming {
            true => IN_X - 8.0,
            false => OUT_X + NODE_WIDTH + 8.0,
        };
        let centre = y + slot / 2.0;
        bands.push(Band {
            kind: *kind,
            name: name.clone(),
            label: cut(name),
            amount: amount(*units),
            count: *count,
            path,
            node_x: n(node_x),
            node_y: n(node_y),
            node_height: n(thickness),
            label_x: n(label_x),
            label_y: n(centre - 2.0),
            label_y2: n(centre + 13.0),
        });
        y += slot + GAP;
        at_fund += thickness;
    }
    bands
}

/// The height a side's nodes take.
fn side_height(nodes: &[Node], scale: f64) -> f64 {
    let slots: f64 = nodes
        .iter()
        .map(|(_, _, units, _)| (*units as f64 * scale).max(HAIR).max(SLOT))
        .sum();
    slots + GAP * nodes.len().saturating_sub(1) as f64
}

/// The flow diagram of a fund that received `received` and holds `balance` (units), from
/// its money in by channel and out by recipient; `None` before any money came in. Rows
/// beyond those listed (the queries list the largest 50) are one band of the rest.
pub fn flow(
    channels: &[ChannelTotal],
    recipients: &[RecipientTotal],
    received: i64,
    balance: i64,
) -> Option<Flow> {
    if received <= 0 {
        return None;
    }
    let mut inputs: Vec<Node> = channels
        .iter()
        .map(|c| match &c.source_fund {
            Some(fund) => (BandKind::Fund, fund.clone(), c.amount, c.count),
            None => (BandKind::Channel, c.channel.clone(), c.amount, c.count),
        })
        .collect();
    let listed_in: i64 = inputs.iter().map(|i| i.2).sum();
    if listed_in < received {
        inputs.push((BandKind::Other, String::new(), received - listed_in, 0));
    }
    let mut outputs: Vec<Node> = recipients
        .iter()
        .map(|r| {
            let kind = match r.recipient_kind.as_str() {
                "fund" => BandKind::Fund,
                "person" => BandKind::Person,
                _ => BandKind::Organisation,
            };
            (kind, r.recipient.clone(), r.amount, r.count)
        })
        .collect();
    let listed_out: i64 = outputs.iter().map(|o| o.2).sum();
    let disbursed = received - balance;
    if listed_out < disbursed {
        outputs.push((BandKind::Other, String::new(), disbursed - listed_out, 0));
    }
    if balance > 0 {
        outputs.push((BandKind::Balance, String::new(), balance, 0));
    }
    let scale = FLOW_BANDS / received as f64;
    let through = |nodes: &[Node]| -> f64 {
        nodes
            .iter()
            .map(|(_, _, units, _)| (*units as f64 * scale).max(HAIR))
            .sum()
    };
    let fund_height = through(&inputs).max(through(&outputs));
    let tallest = side_height(&inputs, scale)
        .max(side_height(&outputs, scale))
        .max(fund_height);
    let centred = |h: f64| FLOW_TOP + (tallest - h) / 2.0;
    let fund_y = centred(fund_height);
    let inputs = side(
        &inputs,
        scale,
        centred(side_height(&inputs, scale)),
        fund_y,
        true,
    );
    let outputs = side(
        &outputs,
        scale,
        centred(side_height(&outputs, scale)),
        fund_y,
        false,
    );
    Some(Flow {
        width: FLOW_WIDTH,
        height: n(FLOW_TOP + tallest + 12.0),
        fund_x: FUND_X,
        fund_y: n(fund_y),
        fund_height: n(fund_height),
        node_width: NODE_WIDTH,
        fund_label_x: FUND_X + NODE_WIDTH / 2.0,
        // On the heads' line, above the bands.
        fund_label_y: n(FLOW_TOP - 14.0),
        inputs,
        outputs,
        received: amount(received),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(period: &str, money_in: i64, money_out: i64, balance: i64) -> LedgerRow {
        LedgerRow {
            period: format!("{period}T00:00:00Z"),
            money_in,
            money_out,
            donations: i64::from(money_in > 0),
            disbursements: i64::from(money_out > 0),
            balance,
        }
    }

    #[test]
    fn the_chart_has_a_point_a_day_placed_by_date_and_balance() {
        assert_eq!(balance_chart(&[]), None);
        let rows = [
            day("2026-12-01", 1_000_000, 0, 1_000_000),
            day("2026-12-02", 500_000, 0, 1_500_000),
            day("2026-12-05", 0, 1_500_000, 0),
        ];
        let chart = balance_chart(&rows).unwrap();
        assert_eq!(chart.points.len(), 3);
        // Five days from the first to the end of the last: each day 118 units wide.
        let xs: Vec<&str> = chart.points.iter().map(|p| p.x.as_str()).collect();
        assert_eq!(xs, ["228", "346", "700"]);
        // The highest balance at the top, nothing at the bottom.
        let ys: Vec<&str> = chart.points.iter().map(|p| p.y.as_str()).collect();
        assert_eq!(ys, ["78.7", "16", "204"]);
        assert_eq!(chart.highest, "150.00");
        assert_eq!(chart.last, "0.00");
        assert_eq!(chart.points[1].money_in, "50.00");
        assert_eq!(chart.line, "M110 204 H110 V78.7 H228 V16 H582 V204 H700");
        assert!(chart.area.ends_with("H700 V204 Z"));
        let labels: Vec<&str> = chart.amounts.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0.00", "75.00", "150.00"]);
        let days: Vec<&str> = chart.days.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(days, ["2026-12-01", "2026-12-05"]);
        // One day alone still draws.
        let one = balance_chart(&rows[..1]).unwrap();
        assert_eq!((one.points.len(), one.days.len()), (1, 1));
        assert_eq!(one.points[0].x, "700");
        assert_eq!((chart.days_per_point, one.days_per_point), (1, 1));
    }

    #[test]
    fn years_of_days_are_summed_in_periods_and_the_line_keeps_every_peak() {
        // Three years of days, each with a donation of 1.00 and, but on day 501, a
        // disbursement taking it; day 501 keeps its money for a day (the peak), drawn on the
        // same unit of the width as day 500.
        let first = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut balance = 0;
        let rows: Vec<LedgerRow> = (0..1096)
            .map(|i| {
                let date = first + chrono::Days::new(i);
                let out = if i == 501 { 0 } else { 10_000 + balance };
                balance += 10_000 - out;
                day(&date.to_string(), 10_000, out, balance)
            })
            .collect();
        let chart = balance_chart(&rows).unwrap();
        assert_eq!(chart.days_per_point, 10, "1,096 days in at most 120 points");
        assert_eq!(chart.points.len(), 110);
        assert_eq!(chart.days_moved, 1096);
        assert_eq!(chart.points[0].day, "2026-01-01");
        assert_eq!(chart.points[0].until.as_deref(), Some("2026-01-10"));
        let total: i64 = chart.points.iter().map(|p| p.donations).sum();
        assert_eq!(total, 1096, "every day is in one period");
        assert_eq!(chart.points[50].money_in, "10.00");
        // The period of day 501 (2027-05-17) ends empty, after the day it held 1.00.
        assert_eq!(chart.points[50].balance, "0.00");
        assert_eq!(chart.highest, "1.00");
        assert!(
            // Day 500 at 379.2 and day 501 at 379.7: one upright stroke up to the peak.
            chart.line.contains(" H379.2 V204 V16 V204 V16 H380.2 V204"),
            "the peak is drawn: {}",
            chart.line
        );
        let strokes = chart.line.matches('H').count();
        assert!(strokes <= 600, "{strokes} steps for 590 units of width");
    }

    fn channel(name: &str, from: Option<&str>, units: i64) -> ChannelTotal {
        ChannelTotal {
            channel: name.into(),
            source_fund: from.map(Into::into),
            amount: units,
            count: 1,
        }
    }

    fn paid(kind: &str, to: &str, units: i64) -> RecipientTotal {
        RecipientTotal {
            recipient_kind: kind.into(),
            recipient: to.into(),
            amount: units,
            count: 1,
        }
    }

    /// A band's thickness at its two ends, read back from its path.
    fn ends(band: &Band) -> (f64, f64) {
        let numbers: Vec<f64> = band
            .path
            .split([' ', 'M', 'C', 'L', 'Z'])
            .filter_map(|t| t.parse().ok())
            .collect();
        // M x0 a0 C m a0 m b0 x1 b0 L x1 b1 C m b1 m a1 x0 a1
        let (a0, b0, b1, a1) = (numbers[1], numbers[7], numbers[9], numbers[15]);
        (a1 - a0, b1 - b0)
    }

    #[test]
    fn the_flow_bands_are_as_wide_as_their_amounts() {
        assert_eq!(flow(&[], &[], 0, 0), None);
        let channels = [
            channel("bank_transfer", None, 6_000_000),
            channel("fund", Some("other-fund"), 2_000_000),
        ];
        let recipients = [
            paid("organisation", "hospital", 3_000_000),
            paid("fund", "school", 1_000_000),
        ];
        // 800 in, 400 out: 400 still held.
        let diagram = flow(&channels, &recipients, 8_000_000, 4_000_000).unwrap();
        assert_eq!(diagram.inputs.len(), 2);
        assert_eq!(diagram.outputs.len(), 3);
        assert_eq!(diagram.outputs[2].kind, BandKind::Balance);
        assert_eq!(diagram.inputs[1].kind, BandKind::Fund);
        assert_eq!(diagram.outputs[1].name, "school");
        // 280 units of height for 800: 210 and 70 in, 105, 35 and 140 out.
        let widths: Vec<f64> = diagram
            .inputs
            .iter()
            .chain(&diagram.outputs)
            .map(|b| {
                let (a, b) = ends(b);
                assert!((a - b).abs() < 0.2, "a band keeps its width");
                a
            })
            .collect();
        let want = [210.0, 70.0, 105.0, 35.0, 140.0];
        for (got, want) in widths.iter().zip(want) {
            assert!((got - want).abs() < 0.2, "{widths:?}");
        }
        assert_eq!(diagram.fund_height, "280");
        assert_eq!(diagram.outputs[0].amount, "300.00");
        // Rows beyond those listed are one band of the rest; a tiny amount is a hair.
        let diagram = flow(&[channel("cash", None, 1)], &[], 8_000_001, 8_000_001).unwrap();
        assert_eq!(diagram.inputs.len(), 2);
        assert_eq!(diagram.inputs[1].kind, BandKind::Other);
        assert_eq!(diagram.inputs[1].amount, "800.00");
        assert_eq!(diagram.inputs[0].node_height, "1");
        assert_eq!(diagram.outputs.len(), 1);
        let long = "a-fund-with-a-very-long-identifier-indeed";
        let diagram = flow(&[channel("fund", Some(long), 10)], &[], 10, 10).unwrap();
        assert_eq!(diagram.inputs[0].label.chars().count(), LABEL_CHARS);
        assert_eq!(diagram.inputs[0].name, long);
    }
}
