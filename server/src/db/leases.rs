//! `sequencer_lease`: where the process that sequences the log can be reached.

use super::schema::sequencer_lease;
use diesel::prelude::*;

/// Records that this process (at `url`) sequences the log.
pub fn record(conn: &mut PgConnection, url: &str) -> QueryResult<()> {
    let holder = format!("pid {}", std::process::id());
    diesel::insert_into(sequencer_lease::table)
        .values((
            sequencer_lease::id.eq(1),
            sequencer_lease::url.eq(url),
            sequencer_lease::holder.eq(&holder),
        ))
        .on_conflict(sequencer_lease::id)
        .do_update()
        .set((
            sequencer_lease::url.eq(url),
            sequencer_lease::holder.eq(&holder),
            sequencer_lease::acquired_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The address of the process that sequences, if one ever did.
pub fn sequencer_url(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    sequencer_lease::table
        .select(sequencer_lease::url)
        .first(conn)
        .optional()
}
