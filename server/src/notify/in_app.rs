//! In-app notifications: bidders, and whoever follows the tender, are told when a tender
//! they bid on, asked about or follow is amended, has a question answered, is awarded or
//! is cancelled.
//!
//! Who bid stays hidden until the deadline, so the log cannot say whom to tell: the
//! platform's private record of who sent each anonymous statement (`private_authors`)
//! can. The notifier is an outbox consumer ([`crate::outbox`]): for each batch the
//! sequencer logged, it writes the notifications of the batch's entries in the
//! transaction that moves its cursor, so a crash neither loses nor repeats one.

use crate::db::notifications as queries;
use crate::db::outbox::OutboxRow;
use crate::domain::types::{OrganisationKind, Role};
use crate::outbox::Consumer;
use diesel::pg::PgConnection;
use serde_json::{Value, json};
use vitrine_ledger::statement::Entry;

/// The notifier's name in `outbox_cursors`.
pub const CONSUMER: &str = "notifications";

/// The statement kinds that tell the bidders and followers of a tender something.
pub const KINDS: [&str; 4] = [
    "tender.amended",
    "enquiry.answered",
    "award.made",
    "tender.cancelled",
];

/// The in-app notifier.
pub struct InApp;

impl Consumer for InApp {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    /// What was logged before the notifier existed is not news.
    fn starts_at_end(&self) -> bool {
        true
    }

    fn handle(&self, conn: &mut PgConnection, row: &OutboxRow) -> Result<usize, String> {
        let Some((first, last)) = row.entries() else {
            return Ok(0);
        };
        let logged =
            queries::entries_of_kinds(conn, first, last, &KINDS).map_err(|e| e.to_string())?;
        let mut notified = 0;
        for entry in &logged {
            notified += notify(conn, entry).map_err(|e| e.to_string())?;
        }
        Ok(notified)
    }
}

/// Tells every bidder representative and administrator of each organisation that sent an
/// anonymous statement (a sealed bid, a question) about the tender before this entry, and
/// every user who follows the tender.
fn notify(conn: &mut PgConnection, logged: &queries::Logged) -> diesel::QueryResult<usize> {
    let Ok(entry) = Entry::parse(&logged.entry) else {
        tracing::error!(index = logged.idx, "a logged entry does not parse");
        return Ok(0);
    };
    let title = queries::tender_title(conn, &logged.subject)?.unwrap_or(Value::Null);
    let summary = summary(
        &logged.kind,
        &logged.subject,
        &title,
        entry.signed().statement().body(),
    );
    // Those who may bid for their organisation hear about its bids.
    let roles: Vec<&str> = Role::OF_USERS
        .into_iter()
        .filter(|r| r.may_bid(OrganisationKind::Supplier))
        .map(Role::as_str)
        .collect();
    let senders = queries::notify_senders(
        conn,
        &logged.subject,
        logged.idx,
        &logged.kind,
        &summary,
        &roles,
    )?;
    let followers = crate::db::subscriptions::notify_followers(
        conn,
        &logged.subject,
        logged.idx,
        &logged.kind,
        &summary,
    )?;
    Ok(senders + followers)
}

/// What happened, in Chinese and in English.
pub fn summary(kind: &str, tender: &str, title: &Value, body: &Value) -> Value {
    let zh_title = title["zh"]
        .as_str()
        .or(title["en"].as_str())
        .unwrap_or(tender);
    let en_title = title["en"]
        .as_str()
        .or(title["zh"].as_str())
        .unwrap_or(tender);
    let reason = body["reason"].as_str().unwrap_or_default();
    match kind {
        "tender.amended" => {
            let changes = body["changes"].as_object();
            let fields = changes
                .map(|c| c.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            let deadline = changes
                .and_then(|c| c.get("tender_end"))
                .and_then(Value::as_str);
            let (zh_deadline, en_deadline) = match deadline {
                Some(d) => (
                    format!("投标截止时间改为 {d}。"),
                    format!(" The deadline is now {d}."),
                ),
                None => (String::new(), String::new()),
            };
            json!({
                "zh": format!("招标“{zh_title}”已变更（{fields}）：{reason}。{zh_deadline}截止前可撤回或替换已提交的投标。"),
                "en": format!("Tender “{en_title}” was amended ({fields}): {reason}.{en_deadline} Until the deadline you may withdraw or replace your bid."),
            })
        }
        "enquiry.answered" => {
            let answer = body["answer"].as_str().unwrap_or_default();
            json!({
                "zh": format!("招标“{zh_title}”的问题已答复：{answer}"),
                "en": format!("A question on tender “{en_title}” was answered: {answer}"),
            })
        }
        "award.made" => json!({
            "zh": format!("招标“{zh_title}”已授标。异议期内投标人可提出质疑。"),
            "en": format!("Tender “{en_title}” was awarded. Bidders may complain during the standstill period."),
        }),
        "tender.cancelled" => json!({
            "zh": format!("招标“{zh_title}”已取消：{reason}"),
            "en": format!("Tender “{en_title}” was cancelled: {reason}"),
        }),
        other => json!({"zh": other, "en": other}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amendments_name_what_changed_and_the_new_deadline() {
        let summary = summary(
            "tender.amended",
            "ocds-abcdef-1",
            &json!({"zh": "服务器采购", "en": "Servers"}),
            &json!({"changes": {"tender_end": "2026-12-01T09:00:00Z", "documents": []}, "reason": "补充技术参数"}),
        );
        let en = summary["en"].as_str().unwrap();
        assert!(
            en.contains("“Servers” was amended (documents, tender_end)"),
            "{en}"
        );
        assert!(
            en.contains("The deadline is now 2026-12-01T09:00:00Z."),
            "{en}"
        );
        let zh = summary["zh"].as_str().unwrap();
        assert!(zh.contains("投标截止时间改为 2026-12-01T09:00:00Z"), "{zh}");
        // A tender with only a Chinese title uses it in English too; no title, the id.
        let only_zh = super::summary(
            "tender.cancelled",
            "ocds-abcdef-1",
            &json!({"zh": "路灯维修"}),
            &json!({"reason": "预算取消"}),
        );
        assert_eq!(only_zh["en"], "Tender “路灯维修” was cancelled: 预算取消");
        let untitled = super::summary("award.made", "ocds-abcdef-1", &Value::Null, &json!({}));
        assert!(untitled["zh"].as_str().unwrap().contains("ocds-abcdef-1"));
    }
}
