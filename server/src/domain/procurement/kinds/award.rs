//! The award: lowest price or weighted scoring, with its evaluation report.

use super::prelude::*;
use crate::domain::said::Said;

/// `award.made`: the buyer awards a revealed bid; the standstill period begins.
pub struct AwardMade;

impl Kind for AwardMade {
    fn name(&self) -> &'static str {
        "award.made"
    }

    fn body_schema(&self) -> Value {
        shape::object(
            "The award, during evaluation; opens the standstill. Signed by the buyer's officer; the report uploaded first.",
            &["commitment", "evaluation_report_sha256"],
            json!({
        "commitment": shape::commitment(), "evaluation_report_sha256": shape::hex_hash("SHA-256 of the evaluation report"),
        "scores": {"type": "object", "description": "Scored tenders: for every revealed bid, its total score (0 to 10000, hundredths of a point), or, when the tender has criteria, its points (0 to 100) per criterion other than the price", "additionalProperties": {"description": "an integer, or an object of points per criterion"}}}),
        )
    }

    fn check_body(&self, body: &Value) -> Result<(), Said> {
        AwardMadeBody::parse(body).map(drop)
    }

    fn prefetch(&self, statement: &Statement) -> Vec<StateKey> {
        // A hint of what to fetch, read cheaply: the body is checked at intake and in
        // `decide`, not here.
        let report = &statement.body()["evaluation_report_sha256"];
        tender_and(statement, &document_hashes(report))
    }

    fn decide(
        &self,
        statement: &Statement,
        signers: &[Signer],
        state: &State<'_>,
        ctx: &Context,
    ) -> Result<Vec<Effect>, Refusal> {
        let tender = open_tender(state, statement)?;
        buyer_officer(signers, tender)?;
        if tender.status != Status::Evaluation {
            return Err(Refusal::Conflict(match tender.status {
                Status::Awarded | Status::Contracted => crate::said!(
                    "award.already_awarded",
                    "tender {tender} is already awarded (award {award})",
                    tender = tender.id,
                    award = tender.awards.last().map_or("?", |a| a.id.as_str()),
                ),
                other => crate::said!(
                    "award.not_in_evaluation",
                    "awards are made during evaluation; tender {tender} is {status}",
                    tender = tender.id,
                    status = other.as_str(),
                ),
            }));
        }
        let body = AwardMadeBody::parse(statement.body()).map_err(Refusal::Invalid)?;
        let commitment = body.commitment;
        let bid = tender.bid(&commitment).ok_or_else(|| {
            Refusal::Conflict(crate::said!(
                "award.not_a_bid",
                "{commitment} is not a bid of tender {tender}: only a bidder can be awarded",
                commitment = commitment,
                tender = tender.id,
            ))
        })?;
        let Some(revealed) = bid
            .revealed
            .as_ref()
            .filter(|_| bid.status == BidStatus::Revealed)
        else {
            return Err(Refusal::Conflict(crate::said!(
                "award.bid_not_revealed",
                "bid {commitment} is {bid_status}: only a revealed bid that stands can be awarded",
                commitment = commitment,
                bid_status = bid.status.as_str(),
            )));
        };
        let price = Money::from_value(&revealed.price).map_err(|e| {
            Refusal::Invalid(crate::said!(
                "award.bid_price",
                "the bid's price: {why}",
                why = e
            ))
        })?;
        if tender.tender.lowest_price()
            && let Some(lower) = tender.bids.iter().find(|b| {
                b.status == BidStatus::Revealed
                    && b.revealed
                        .as_ref()
                        .and_then(|r| Money::from_value(&r.price).ok())
                        .is_some_and(|p| minor_units(&p) < minor_units(&price))
            })
        {
            return Err(Refusal::Conflict(crate::said!(
                "award.lower_bid",
                "tender {tender} is awarded at the lowest price, and bid {commitment} is lower: disqualify it, with a reason, first",
                tender = tender.id,
                commitment = lower.commitment,
            )));
        }
        let scores = if tender.tender.scored() {
            let Some(given) = body.scores else {
                return Err(Refusal::Invalid(crate::said!(
                    "award.scores_missing",
                    "tender is awarded by scores: body.scores must give every revealed bid its score"
                )));
            };
            let standing: Vec<(&str, i128)> = tender
                .bids
                .iter()
                .filter(|b| b.status == BidStatus::Revealed)
                .filter_map(|b| {
                    let price = Money::from_value(&b.revealed.as_ref()?.price).ok()?;
                    Some((b.commitment.as_str(), minor_units(&price)))
                })
                .collect();
            // Each bid's total, and what is published with the award.
            let (totals, published): (std::collections::BTreeMap<String, u64>, Value) = if tender
                .tender
                .has_criteria()
            {
                let criteria = criteria(tender.tender.document()).map_err(Refusal::Invalid)?;
                let weighted = weighted_totals(&criteria, &standing, given)?;
                (
                    weighted.iter().map(|(c, (t, _))| (c.clone(), *t)).collect(),
                    Value::Object(weighted.into_iter().map(|(c, (_, d))| (c, d)).collect()),
                )
            } else {
                let scores = scores(given).map_err(Refusal::Invalid)?;
                if let Some((unscored, _)) = standing.iter().find(|(c, _)| !scores.contains_key(*c))
                {
                    return Err(Refusal::Invalid(crate::said!(
                        "award.no_score",
                        "body.scores has no score for revealed bid {commitment}",
                        commitment = unscored,
                    )));
                }
                if let Some(stray) = scores
                    .keys()
                    .find(|c| !standing.iter().any(|(s, _)| s == c))
                {
                    return Err(Refusal::Invalid(crate::said!(
                        "award.stray_score",
                        "body.scores scores {commitment}, which is not a revealed bid that stands",
                        commitment = stray,
                    )));
                }
                let published = json!(scores);
                (scores, published)
            };
            let best = totals.values().max().copied().unwrap_or(0);
            let this = totals.get(&commitment).copied().unwrap_or(0);
            if this < best {
                return Err(Refusal::Conflict(crate::said!(
                    "award.not_highest_score",
                    "the award must go to the highest score ({best}); bid {commitment} scored {score}",
                    best = best,
                    commitment = commitment,
                    score = this,
                )));
            }
            Some(published)
        } else if body.scores.is_some() {
            return Err(Refusal::Invalid(crate::said!(
                "award.scores_not_applicable",
                "tender is awarded at the lowest price: body.scores does not apply"
            )));
        } else {
            None
        };
        uploaded(
            state,
            &[body.evaluation_report.0],
            "the evaluation report",
            signers,
        )?;
        let periods = tender.times()?;
        let standstill_end = Timestamp::from_unix(
            ctx.logged_at.unix_seconds() + periods.standstill_seconds as i64,
            (ctx.logged_at.unix_nanos() % 1_000_000_000) as u32,
        )
        .map_err(|e| Refusal::Invalid(e.to_string().into()))?;
        Ok(change(
            ctx,
            &tender.id,
            TenderChange::Awarded(AwardState {
                id: format!("award-{}", tender.awards.len() + 1),
                commitment,
                supplier: revealed.bidder.clone(),
                lots: revealed.bid["lots"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                value: revealed.price.clone(),
                scores,
                evaluation_report_sha256: body.evaluation_report.to_hex(),
                status: "pending".into(),
                awarded_idx: ctx.index,
                date: ctx.logged_at.to_string(),
                standstill_end: standstill_end.to_string(),
            }),
        ))
    }
}

/// The body of an `award.made`.
struct AwardMadeBody<'a> {
    /// The commitment of the bid awarded.
    commitment: String,
    /// SHA-256 of the evaluation report (`evaluation_report_sha256`).
    evaluation_report: Hash,
    /// `body.scores` as given, if given: each bid's total score, or its points per
    /// criterion. Its shape is checked here; what it must say depends on the tender
    /// (scored or not, with criteria or not), which decide checks.
    scores: Option<&'a Value>,
}

impl<'a> AwardMadeBody<'a> {
    /// Checks the body of an `award.made` and reads it.
    fn parse(body: &'a Value) -> Result<Self, Said> {
        only(body, &["commitment", "evaluation_report_sha256", "scores"])?;
        let commitment = hex_hash(body, "commitment")?;
        let evaluation_report = hash(body, "evaluation_report_sha256")?;
        let given = body.get("scores");
        match given {
            None => {}
            // Points per criterion, for tenders with weighted criteria: checked against
            // the tender's criteria when the award is decided.
            Some(Value::Object(map)) if map.values().any(Value::is_object) => {
                if let Some(c) = map.keys().find(|c| Hash::from_hex(c).is_err()) {
                    return Err(crate::said!(
                        "award.score_not_commitment",
                        "body.scores: {commitment} is not a commitment",
                        commitment = format!("{c:?}"),
                    ));
                }
            }
            Some(totals) => {
                scores(totals)?;
            }
        }
        Ok(AwardMadeBody {
            commitment,
            evaluation_report,
            scores: given,
        })
    }
}

/// One criterion of a weighted evaluation.
pub(super) struct Criterion {
    id: String,
    /// Its share of the total, in percent.
    weight: u64,
    /// Whether the platform scores it from the bids' prices.
    price: bool,
}

/// `body.criteria` of a scored tender: 1 to 20 criteria with distinct ids and integer
/// weights summing to 100, at most one of them the price (`"price": true`).
pub(super) fn criteria(body: &Value) -> Result<Vec<Criterion>, Said> {
    let Some(Value::Array(list)) = body.get("criteria") else {
        return Err(crate::said!(
            "award.criteria_not_array",
            "body.criteria must be an array of criteria"
        ));
    };
    if list.is_empty() || list.len() > 20 {
        return Err(crate::said!(
            "award.criteria_count",
            "body.criteria must hold 1 to 20 criteria"
        ));
    }
    let mut out: Vec<Criterion> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let within = |e: Said| {
            crate::said!(
                "body.invalid",
                "{field}: {why}",
                field = format!("body.criteria[{i}]"),
                why = e
            )
            .because(e)
        };
        only(c, &["id", "title", "weight", "price"]).map_err(within)?;
        let id = identifier(c, "id").map_err(within)?;
        if out.iter().any(|o| o.id == id) {
            return Err(crate::said!(
                "award.criterion_twice",
                "body.criteria: criterion {criterion} appears twice",
                criterion = id,
            ));
        }
        bilingual(c, "title", 300).map_err(|e| {
            crate::said!(
                "award.criterion_invalid",
                "criterion {criterion}: {why}",
                criterion = id,
                why = e
            )
            .because(e)
        })?;
        let weight = c["weight"]
            .as_u64()
            .filter(|w| (1..=100).contains(w))
            .ok_or_else(|| {
                crate::said!(
                    "award.criterion_weight",
                    "criterion {criterion}: weight must be an integer from 1 to 100 (percent)",
                    criterion = id,
                )
            })?;
        let price = match c.get("price") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(crate::said!(
                    "award.criterion_price_flag",
                    "criterion {criterion}: price must be true or false",
                    criterion = id,
                ));
            }
        };
        out.push(Criterion { id, weight, price });
    }
    let total: u64 = out.iter().map(|c| c.weight).sum();
    if total != 100 {
        return Err(crate::said!(
            "award.criteria_weights",
            "body.criteria: the weights sum to {total}, not 100",
            total = total,
        ));
    }
    if out.iter().filter(|c| c.price).count() > 1 {
        return Err(crate::said!(
            "award.criteria_one_price",
            "body.criteria: at most one criterion is the price"
        ));
    }
    Ok(out)
}

/// The weighted totals of the standing bids: for each criterion the committee's points
/// (0 to 100, from `scores`), or for the price criterion the platform's (the lowest price
/// over the bid's, times 100); the total is the weighted sum. All in hundredths of a
/// point, so the totals are out of 10000. Answers {commitment: {"total", "criteria"}}.
fn weighted_totals(
    criteria: &[Criterion],
    standing: &[(&str, i128)],
    given: &Value,
) -> Result<std::collections::BTreeMap<String, (u64, Value)>, Refusal> {
    let Value::Object(given) = given else {
        return Err(Refusal::Invalid(crate::said!(
            "award.scores_not_points",
            "body.scores must map each revealed bid's commitment to its points per criterion"
        )));
    };
    if let Some(stray) = given.keys().find(|c| !standing.iter().any(|(s, _)| s == c)) {
        return Err(Refusal::Invalid(crate::said!(
            "award.stray_score",
            "body.scores scores {commitment}, which is not a revealed bid that stands",
            commitment = stray,
        )));
    }
    let lowest = standing.iter().map(|(_, p)| *p).min().unwrap_or(0);
    let mut totals = std::collections::BTreeMap::new();
    for (commitment, price) in standing {
        let points = given.get(*commitment).ok_or_else(|| {
            Refusal::Invalid(crate::said!(
                "award.no_points",
                "body.scores has no points for revealed bid {commitment}",
                commitment = commitment,
            ))
        })?;
        let Value::Object(points) = points else {
            return Err(Refusal::Invalid(crate::said!(
                "award.points_not_map",
                "{field} must map each criterion to its points",
                field = format!("body.scores.{commitment}"),
            )));
        };
        if let Some(stray) = points
            .keys()
            .find(|k| !criteria.iter().any(|c| &c.id == *k && !c.price))
        {
            return Err(Refusal::Invalid(crate::said!(
                "award.points_no_criterion",
                "{field}: no such criterion, or the price, which the platform scores from the bids",
                field = format!("body.scores.{commitment}.{stray}"),
            )));
        }
        let mut total: u128 = 0;
        let mut detail = serde_json::Map::new();
        for criterion in criteria {
            let hundredths: u128 = if criterion.price {
                if *price <= 0 {
                    0
                } else {
                    (lowest.max(0) as u128 * 10_000) / *price as u128
                }
            } else {
                let given = points
                    .get(&criterion.id)
                    .and_then(Value::as_u64)
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| {
                        Refusal::Invalid(crate::said!(
                            "award.points_range",
                            "{field} must be an integer from 0 to 100",
                            field = format!("body.scores.{commitment}.{}", criterion.id),
                        ))
                    })?;
                u128::from(given) * 100
            };
            detail.insert(criterion.id.clone(), json!(hundredths as u64));
            total += u128::from(criterion.weight) * hundredths;
        }
        let total = (total / 100) as u64;
        totals.insert(
            (*commitment).to_owned(),
            (total, json!({"total": total, "criteria": detail})),
        );
    }
    Ok(totals)
}

/// `body.scores` as totals: each revealed bid's score, an integer from 0 to 10000
/// (hundredths of a point out of 100).
fn scores(scores: &Value) -> Result<std::collections::BTreeMap<String, u64>, Said> {
    let Value::Object(map) = scores else {
        return Err(crate::said!(
            "award.scores_not_map",
            "body.scores must map each revealed bid's commitment to its score"
        ));
    };
    let mut out = std::collections::BTreeMap::new();
    for (commitment, score) in map {
        Hash::from_hex(commitment).map_err(|_| {
            crate::said!(
                "award.score_not_commitment",
                "body.scores: {commitment} is not a commitment",
                commitment = format!("{commitment:?}"),
            )
        })?;
        let score = score.as_u64().filter(|s| *s <= 10_000).ok_or_else(|| {
            crate::said!(
                "award.score_range",
                "{field} must be an integer from 0 to 10000",
                field = format!("body.scores.{commitment}"),
            )
        })?;
        out.insert(commitment.clone(), score);
    }
    Ok(out)
}
