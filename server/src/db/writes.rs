//! Several writes sent as one statement (data-modifying `WITH` clauses), so that a batch's
//! projection costs one round trip to the database instead of one per table: on a small
//! machine a round trip, not the work, is what a batch waits for. Every value is bound;
//! the clauses are the callers' fixed SQL.
//!
//! PostgreSQL runs every clause, to completion and with one snapshot, whether the main
//! query reads it or not; the clauses here never touch the same rows, and foreign keys are
//! checked once the whole statement has run (a fund opened in a batch takes its donations
//! in the same statement).

use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::BigInt;

type Query<'a> = BoxedSqlQuery<'a, Pg, SqlQuery>;
type Binder<'a> = Box<dyn FnOnce(Query<'a>) -> Query<'a> + 'a>;

/// Writes gathered for one statement.
#[derive(Default)]
pub struct Writes<'a> {
    clauses: Vec<String>,
    binders: Vec<Binder<'a>>,
    parameters: usize,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl<'a> Writes<'a> {
    /// Adds a write whose parameters are `$1`, `$2`, … in `sql` (numbered again here),
    /// bound by `bind` in that order. Returns the clause's name, for [`Writes::execute`]
    /// to count the rows it returns.
    pub fn add(&mut self, sql: &str, bind: impl FnOnce(Query<'a>) -> Query<'a> + 'a) -> String {
        let (sql, used) = renumber(sql, self.parameters);
        self.parameters += used;
        let name = format!("w{}", self.clauses.len());
        self.clauses.push(format!("{name} AS ({sql})"));
        self.binders.push(Box::new(bind));
        name
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Runs every write in one statement; answers how many rows the clause `counted`
    /// returned (0 without one).
    pub fn execute(self, conn: &mut PgConnection, counted: Option<&str>) -> QueryResult<i64> {
        if self.clauses.is_empty() {
            return Ok(0);
        }
        let main = match counted {
            Some(name) => format!("SELECT count(*) AS n FROM {name}"),
            None => "SELECT 0::bigint AS n".to_owned(),
        };
        let sql = format!("WITH {} {main}", self.clauses.join(", "));
        let mut query = diesel::sql_query(sql).into_boxed::<Pg>();
        for bind in self.binders {
            query = bind(query);
        }
        Ok(query.get_result::<Counted>(conn)?.n)
    }
}

/// `sql` with each `$n` made `$(n + offset)`, and the highest `n` it uses.
fn renumber(sql: &str, offset: usize) -> (String, usize) {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut highest = 0;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut n = 0usize;
        let mut digits = false;
        while let Some(&(_, d)) = chars.peek() {
            let Some(v) = d.to_digit(10) else { break };
            n = n * 10 + v as usize;
            digits = true;
            chars.next();
        }
        if digits {
            highest = highest.max(n);
            out.push_str(&(n + offset).to_string());
        }
    }
    (out, highest)
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn parameters_are_numbered_after_the_earlier_clauses() {
        assert_eq!(
            renumber("SELECT * FROM unnest($1::text[], $2::int[], $10::int[])", 3),
            (
                "SELECT * FROM unnest($4::text[], $5::int[], $13::int[])".to_owned(),
                10
            )
        );
        assert_eq!(renumber("SELECT 1", 7), ("SELECT 1".to_owned(), 0));
    }
}
