//! The donor's trace page: a donor opens the receipt file their charity gave them (a C2SP
//! tlog-proof), and the page's script (`static/js/trace.js`) reads and checks it in the
//! browser, never sending the donor's data anywhere, then shows where the donation went.
//! Without scripts, the fund and the donation's number (the "code" on the receipt) lead to
//! the same trace.

use super::funds::is_id;
use super::page::{Page, PageResult};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use minijinja::context;
use std::collections::BTreeMap;

/// `GET /trace`: the form; with `fund` and `donation`, the way to that donation's trace.
pub(super) async fn form(page: Page, query: web::Query<Vec<(String, String)>>) -> PageResult {
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    for (name, value) in query.into_inner() {
        if let Some(field) = ["fund", "donation"].into_iter().find(|f| *f == name) {
            values.insert(field, value.trim().to_owned());
        }
    }
    if values.is_empty() {
        return page.render(
            "trace.html",
            context! { values, errors => BTreeMap::<&str, &str>::new() },
        );
    }
    let mut errors: BTreeMap<&str, &str> = BTreeMap::new();
    let fund = values.get("fund").cloned().unwrap_or_default();
    if !is_id(&fund) {
        errors.insert("fund", "trace.bad_fund");
    }
    let donation = values.get("donation").cloned().unwrap_or_default();
    let number = donation
        .trim_start_matches('#')
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1);
    if number.is_none() {
        errors.insert("donation", "trace.bad_number");
    }
    match number {
        Some(number) if errors.is_empty() => Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("/funds/{fund}/donations/{number}")))
            .finish()),
        _ => page.render_status(
            StatusCode::BAD_REQUEST,
            "trace.html",
            context! { values, errors },
        ),
    }
}
