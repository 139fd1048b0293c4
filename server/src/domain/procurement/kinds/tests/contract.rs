//! `contract.signed` and `payment.recorded`.

use super::fixture::*;

fn money(amount: &str, currency: &str) -> Value {
    json!({"amount": amount, "currency": currency})
}

/// A complaint by acme against award-1, filed at 3150, then decided `decision` at 3160 if
/// given.
fn complained(decision: Option<&str>) -> World {
    let world = World::at(Stage::Awarded).then(
        &ComplaintFiled,
        TENDER,
        json!({"award": "award-1", "text": "评分有误"}),
        &[ACME],
        3_150,
        None,
    );
    match decision {
        None => world,
        Some(decision) => world.then(
            &ComplaintDecided,
            TENDER,
            json!({"complaint": "complaint-1", "decision": decision, "reason": "理由"}),
            &[SUPERVISOR],
            3_160,
            None,
        ),
    }
}

#[test]
fn contract_signed() {
    let awarded = World::at(Stage::Awarded);
    let contracted = World::at(Stage::Contracted);
    let cancelled = World::at(Stage::Awarded).cancel(3_150);
    let filed = complained(None);
    let upheld = complained(Some("upheld"));
    let dismissed = complained(Some("dismissed"));
    let body = |value: Value| json!({"award": "award-1", "value": value, "document_sha256": hex(CONTRACT_DOC)});
    let good = body(money("900000.00", "CNY"));
    let c = |name, world, body| {
        case(name, world, &ContractSigned, body)
            .signed(&[OFFICER, BETA])
            .at(AWARDED_AT + STANDSTILL)
    };
    let signed = |world: &World, value: Value, at: i64| {
        TenderChange::Contracted(ContractState {
            id: "contract-1".into(),
            award: "award-1".into(),
            supplier: "beta".into(),
            value,
            document_sha256: hex(CONTRACT_DOC),
            signed_idx: world.next(),
            date_signed: ts(at),
            payments: Vec::new(),
        })
    };
    run(vec![
        // The body's schema.
        c("an unknown member", &awarded, with(good.clone(), "lots", json!(["lot-1"])))
            .body("body.lots is not part of this kind"),
        c("no award", &awarded, without(good.clone(), "award")).body("body.award is missing"),
        c("an award id of 65 characters", &awarded, with(good.clone(), "award", json!(long(65))))
            .body("body.award must be at most 64 characters"),
        c("a value without a currency", &awarded, with(good.clone(), "value", json!({"amount": "1.00"})))
            .body("body.value: currency must be an ISO 4217 code"),
        c("a document hash that is not a hash", &awarded, with(good.clone(), "document_sha256", json!("contract.pdf")))
            .body("body.document_sha256 must be 64 lowercase hexadecimal digits"),
        // Who signs.
        c("signed by the supplier alone", &awarded, good.clone())
            .signed(&[BETA])
            .forbidden("needs a signature by a procurement officer of city"),
        c("signed by the buyer alone", &awarded, good.clone())
            .signed(&[OFFICER])
            .forbidden("a contract is signed by both parties: it needs a signature by beta, the supplier"),
        c("signed by the buyer and a bidder that was not awarded", &awarded, good.clone())
            .signed(&[OFFICER, ACME])
            .forbidden("it needs a signature by beta, the supplier"),
        c("signed by an unknown key", &awarded, good.clone())
            .signed(&[OFFICER, BETA, OT_SPARE])
            .forbidden("is not registered"),
        c("signed by a revoked key", &awarded, good.clone())
            .signed(&[REVOKED, BETA])
            .forbidden("was revoked"),
        // The tender and its award.
        c("a tender that does not exist", &awarded, good.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        c("a cancelled tender", &cancelled, good.clone())
            .conflict("tender ocds-vtest1-000001 is cancelled"),
        c("an award the tender does not have", &awarded, with(good.clone(), "award", json!("award-9")))
            .not_found("tender ocds-vtest1-000001 has no award award-9"),
        c("an award a complaint cancelled", &upheld, good.clone())
            .at(3_300)
            .conflict("award award-1 is cancelled"),
        c("an award already contracted", &contracted, good.clone())
            .at(3_300)
            .conflict("award award-1 is active"),
        c("signed before the standstill period ends", &awarded, good.clone())
            .at(AWARDED_AT + STANDSTILL - 1)
            .conflict("the standstill period of award award-1 ends at"),
        c("an award with a complaint not yet decided", &filed, good.clone())
            .at(3_300)
            .conflict("complaint complaint-1 against award award-1 is filed: the contract waits for the supervisor's decision"),
        c("a value above the award's", &awarded, body(money("900000.01", "CNY")))
            .conflict("the contract's value 900000.01 CNY exceeds the award's 900000.00 CNY"),
        c("a value in another currency", &awarded, body(money("1.00", "USD")))
            .conflict("the contract's value 1.00 USD exceeds the award's 900000.00 CNY"),
        c("a contract document nobody uploaded", &awarded, with(good.clone(), "document_sha256", json!(hex(NOBODY_DOC))))
            .conflict("of the contract is not uploaded by the signer's organisation"),
        // What it does.
        c("by both parties, as the standstill ends", &awarded, good.clone())
            .accepted(signed(&awarded, money("900000.00", "CNY"), AWARDED_AT + STANDSTILL)),
        c("for less than the award, after a dismissed complaint", &dismissed, body(money("850000", "CNY")))
            .at(3_300)
            .accepted(signed(&dismissed, money("850000", "CNY"), 3_300)),
    ]);
}

#[test]
fn payment_recorded() {
    let contracted = World::at(Stage::Contracted);
    let paid = World::at(Stage::Paid);
    let completed =
        World::at(Stage::Paid).then(&TenderCompleted, TENDER, json!({}), &[OFFICER], 3_400, None);
    let body =
        |amount: Value| json!({"contract": "contract-1", "amount": amount, "reference": "INV-2"});
    let good = body(money("400000.00", "CNY"));
    let p = |name, world, body| case(name, world, &PaymentRecorded, body).signed(&[OFFICER]);
    let payment = |world: &World, amount: Value, at: i64| TenderChange::Paid {
        contract: "contract-1".into(),
        payment: PaymentState {
            amount,
            reference: "INV-2".into(),
            recorded_idx: world.next(),
            date: ts(at),
        },
    };
    run(vec![
        p(
            "an unknown member",
            &contracted,
            with(good.clone(), "payee", json!("beta")),
        )
        .body("body.payee is not part of this kind"),
        p(
            "no contract",
            &contracted,
            without(good.clone(), "contract"),
        )
        .body("body.contract is missing"),
        p(
            "a contract id of 65 characters",
            &contracted,
            with(good.clone(), "contract", json!(long(65))),
        )
        .body("body.contract must be at most 64 characters"),
        p(
            "a negative amount",
            &contracted,
            body(money("-1.00", "CNY")),
        )
        .body("body.amount: amount \"-1.00\" is not a non-negative decimal"),
        p(
            "no reference",
            &contracted,
            without(good.clone(), "reference"),
        )
        .body("body.reference is missing"),
        p(
            "a reference of 201 characters",
            &contracted,
            with(good.clone(), "reference", json!(long(201))),
        )
        .body("body.reference must be at most 200 characters"),
        p("signed by the supplier", &contracted, good.clone())
            .signed(&[BETA])
            .forbidden("needs a signature by a procurement officer of city"),
        p("signed by an unknown key", &contracted, good.clone())
            .signed(&[OT_SPARE])
            .forbidden("is not registered"),
        p("signed by a revoked key", &contracted, good.clone())
            .signed(&[REVOKED])
            .forbidden("was revoked"),
        p("a tender that does not exist", &contracted, good.clone())
            .subject(NO_TENDER)
            .not_found("tender ocds-vtest1-999999 does not exist"),
        p("a completed tender", &completed, good.clone())
            .conflict("tender ocds-vtest1-000001 is complete"),
        p(
            "a contract the tender does not have",
            &contracted,
            with(good.clone(), "contract", json!("contract-9")),
        )
        .not_found("tender ocds-vtest1-000001 has no contract contract-9"),
        p(
            "a payment in another currency",
            &contracted,
            body(money("1.00", "USD")),
        )
        .conflict("contract contract-1 is in CNY, the payment in USD"),
        p(
            "a payment that with the earlier ones exceeds the contract's value",
            &paid,
            body(money("500000.0001", "CNY")),
        )
        .conflict("the payments would exceed contract contract-1's value of 900000.00 CNY"),
        p("a first payment", &contracted, good.clone())
            .at(3_250)
            .accepted(payment(&contracted, money("400000.00", "CNY"), 3_250)),
        p(
            "the rest of the contract's value",
            &paid,
            body(money("500000.00", "CNY")),
        )
        .at(3_350)
        .accepted(payment(&paid, money("500000.00", "CNY"), 3_350)),
    ]);
}
