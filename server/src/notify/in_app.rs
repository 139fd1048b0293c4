//! In-app notifications: bidders are told when a tender they bid on or asked about is
//! amended, has a question answered, is awarded or is cancelled.
//!
//! Who bid stays hidden until the deadline, so the log cannot say whom to tell: the
//! platform's private record of who sent each anonymous statement (`private_authors`)
//! can. The notifier is an outbox consumer. It reads the batches the sequencer logged, in
//! order, after its cursor, and writes the notifications and its new cursor in one
//! transaction, so a crash neither loses nor repeats one. It runs in every server process;
//! the cursor's row lock lets one at a time work.

use crate::db::DbPool;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text};
use serde_json::{Value, json};
use std::time::Duration;
use vitrine_ledger::statement::Entry;

/// The notifier's name in `outbox_cursors`.
pub const CONSUMER: &str = "notifications";

/// The statement kinds that tell the bidders of a tender something.
pub const KINDS: [&str; 4] = [
    "tender.amended",
    "enquiry.answered",
    "award.made",
    "tender.cancelled",
];

/// Outbox rows handled in one transaction.
const BATCH_ROWS: i64 = 200;

#[derive(QueryableByName)]
struct Cursor {
    #[diesel(sql_type = BigInt)]
    last_outbox_id: i64,
}

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
}

#[derive(QueryableByName)]
struct Logged {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    entry: Vec<u8>,
}

#[derive(QueryableByName)]
struct Title {
    #[diesel(sql_type = Nullable<Jsonb>)]
    title: Option<Value>,
}

/// Runs until the process ends: a pass every `interval`, and passes back to back while
/// there is a backlog.
pub async fn run(pool: DbPool, interval: Duration) {
    loop {
        let pool = pool.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            pass(&mut conn).map_err(|e| e.to_string())
        })
        .await;
        match outcome {
            Ok(Ok(Pass { more: true, .. })) => continue,
            Ok(Ok(Pass { notified, .. })) if notified > 0 => {
                tracing::info!(notified, "notifications written");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "notification pass failed; retrying"),
            Err(e) => tracing::warn!(error = %e, "notification pass panicked; retrying"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Notifications written.
    pub notified: usize,
    /// Whether outbox rows are left for another pass.
    pub more: bool,
}

/// Handles the outbox rows after the cursor, up to [`BATCH_ROWS`], in one transaction.
pub fn pass(conn: &mut PgConnection) -> QueryResult<Pass> {
    conn.transaction(|conn| {
        let Some(cursor) = diesel::sql_query(
            "SELECT last_outbox_id FROM outbox_cursors WHERE consumer = $1 FOR UPDATE SKIP LOCKED",
        )
        .bind::<Text, _>(CONSUMER)
        .get_result::<Cursor>(conn)
        .optional()?
        else {
            // Another process is at it (the migration made the row).
            return Ok(Pass {
                notified: 0,
                more: false,
            });
        };
        let rows: Vec<Pending> = diesel::sql_query(
            "SELECT id, payload FROM outbox
             WHERE id > $1 AND topic = 'entries.logged' ORDER BY id LIMIT $2",
        )
        .bind::<BigInt, _>(cursor.last_outbox_id)
        .bind::<BigInt, _>(BATCH_ROWS)
        .load(conn)?;
        let Some(last_row) = rows.last().map(|r| r.id) else {
            return Ok(Pass {
                notified: 0,
                more: false,
            });
        };
        let first = rows
            .iter()
            .filter_map(|r| r.payload["first"].as_i64())
            .min();
        let last = rows.iter().filter_map(|r| r.payload["last"].as_i64()).max();
        let mut notified = 0;
        if let (Some(first), Some(last)) = (first, last) {
            let logged: Vec<Logged> = diesel::sql_query(
                "SELECT idx, kind, subject, entry FROM log_entries
                 WHERE idx BETWEEN $1 AND $2 AND kind = ANY($3) ORDER BY idx",
            )
            .bind::<BigInt, _>(first)
            .bind::<BigInt, _>(last)
            .bind::<Array<Text>, _>(KINDS.to_vec())
            .load(conn)?;
            for entry in &logged {
                notified += notify(conn, entry)?;
            }
        }
        diesel::sql_query("UPDATE outbox_cursors SET last_outbox_id = $2 WHERE consumer = $1")
            .bind::<Text, _>(CONSUMER)
            .bind::<BigInt, _>(last_row)
            .execute(conn)?;
        Ok(Pass {
            notified,
            more: rows.len() as i64 == BATCH_ROWS,
        })
    })
}

/// Tells every bidder representative and administrator of each organisation that sent an
/// anonymous statement (a sealed bid, a question) about the tender before this entry.
fn notify(conn: &mut PgConnection, logged: &Logged) -> QueryResult<usize> {
    let Ok(entry) = Entry::parse(&logged.entry) else {
        tracing::error!(index = logged.idx, "a logged entry does not parse");
        return Ok(0);
    };
    let title =
        diesel::sql_query("SELECT state->'tender'->'title' AS title FROM tenders WHERE id = $1")
            .bind::<Text, _>(&logged.subject)
            .get_result::<Title>(conn)
            .optional()?
            .and_then(|t| t.title)
            .unwrap_or(Value::Null);
    let summary = summary(
        &logged.kind,
        &logged.subject,
        &title,
        entry.signed().statement().body(),
    );
    diesel::sql_query(
        "INSERT INTO notifications (user_id, entry_idx, kind, tender_id, summary)
         SELECT u.id, $2, $3, $1, $4 FROM users u
         WHERE u.role IN ('bidder_representative', 'organisation_admin')
           AND u.organisation_id IN (
               SELECT pa.organisation_id FROM private_authors pa
               JOIN log_entries l ON l.idx = pa.entry_idx
               WHERE l.subject = $1 AND l.idx < $2)
         ON CONFLICT (user_id, entry_idx) DO NOTHING",
    )
    .bind::<Text, _>(&logged.subject)
    .bind::<BigInt, _>(logged.idx)
    .bind::<Text, _>(&logged.kind)
    .bind::<Jsonb, _>(summary)
    .execute(conn)
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
