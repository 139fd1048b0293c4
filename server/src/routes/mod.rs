//! The JSON API: [`configure`] is the one route table; each resource's handlers are in
//! their own file, thin (extract, authorise, call, answer). Reads go to the pool on
//! blocking threads; appends go to the sequencer.

use crate::error::{AppError, AppResult};
use actix_web::{HttpResponse, web};

pub mod accounts;
pub mod directory;
pub mod documents;
pub mod donations;
pub mod drafts;
pub mod funds;
pub mod health;
pub mod intake;
pub mod log;
pub mod ocds;
pub mod openapi;
pub mod outbox;
pub mod registrations;
pub mod state;
pub mod statements;
pub mod tenders;
pub mod uploads;

/// The route table: every path the server answers, and the handler of each.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/statements", web::post().to(statements::post))
            .route("/entries/{index}", web::get().to(log::get_entry))
            .route("/entries/{index}/receipt", web::get().to(log::get_receipt))
            .route("/entries/{index}/proof", web::get().to(log::get_proof))
            .route("/proofs/consistency", web::get().to(log::get_consistency))
            .route("/log", web::get().to(log::get_log_info))
            .route("/keys", web::get().to(directory::get_key))
            .route(
                "/organisations/{id}",
                web::get().to(directory::get_organisation),
            )
            .route("/tenders", web::get().to(tenders::list))
            .route("/tenders/{id}", web::get().to(tenders::get))
            .route("/funds", web::get().to(funds::list))
            .route("/funds/{id}", web::get().to(funds::get))
            .route("/funds/{id}/donations", web::get().to(funds::donations))
            .route("/funds/{id}/donations", web::post().to(donations::record))
            .route(
                "/funds/{id}/donations/{seq}",
                web::get().to(funds::donation),
            )
            .route(
                "/funds/{id}/donations/{seq}/receipt",
                web::get().to(donations::receipt),
            )
            .route(
                "/funds/{id}/disbursements",
                web::get().to(funds::disbursements),
            )
            .route(
                "/funds/{id}/disbursements",
                web::post().to(donations::propose),
            )
            .route(
                "/funds/{id}/disbursements/{seq}",
                web::get().to(funds::disbursement),
            )
            .route("/funds/{id}/ledger", web::get().to(funds::ledger))
            .route("/funds/{id}/export.json", web::get().to(funds::export_json))
            .route("/funds/{id}/export.csv", web::get().to(funds::export_csv))
            .route(
                "/donors/{commitment}/erase",
                web::post().to(donations::erase),
            )
            .route("/ocds/releases", web::get().to(ocds::feed))
            .route("/ocds/releases.jsonl", web::get().to(ocds::bulk))
            .route(
                "/ocds/tenders/{id}/releases",
                web::get().to(ocds::tender_releases),
            )
            .route("/ocds/tenders/{id}/record", web::get().to(ocds::record))
            .route("/documents", web::post().to(documents::upload))
            .route("/documents/{sha256}", web::get().to(documents::download))
            .route("/drafts", web::get().to(drafts::list))
            .route("/drafts/{id}", web::get().to(drafts::get))
            .route("/drafts/{id}", web::put().to(drafts::put))
            .route("/drafts/{id}", web::delete().to(drafts::delete))
            .route("/session", web::post().to(accounts::log_in))
            .route("/session", web::delete().to(accounts::log_out))
            .route("/me", web::get().to(accounts::me))
            .route("/me/tokens", web::post().to(accounts::create_token))
            .route("/me/tokens", web::get().to(accounts::list_tokens))
            .route("/me/tokens/{id}", web::delete().to(accounts::revoke_token))
            .route("/me/totp", web::post().to(accounts::start_totp))
            .route("/me/totp/confirm", web::post().to(accounts::confirm_totp))
            .route("/me/statements", web::get().to(accounts::my_statements))
            .route(
                "/me/notifications",
                web::get().to(accounts::my_notifications),
            )
            .route(
                "/me/notifications/{id}/read",
                web::post().to(accounts::read_notification),
            )
            .route("/users", web::post().to(accounts::create_user))
            .route("/registrations", web::post().to(registrations::apply))
            .route("/registrations", web::get().to(registrations::list))
            .route(
                "/registrations/{id}/approve",
                web::post().to(registrations::approve),
            )
            .route(
                "/registrations/{id}/reject",
                web::post().to(registrations::reject),
            )
            .route("/outbox/consumers", web::get().to(outbox::consumers))
            .route("/outbox/dead-letters", web::get().to(outbox::dead_letters))
            .route(
                "/outbox/dead-letters/{consumer}/{outbox_id}/retry",
                web::post().to(outbox::retry),
            )
            .route("/openapi.json", web::get().to(openapi::document)),
    )
    .service(
        // Entry bundles compress well; API answers are small and not worth the CPU.
        web::scope("/log")
            .wrap(actix_web::middleware::Compress::default())
            .route("/checkpoint", web::get().to(log::get_checkpoint))
            .route("/tile/{path:.*}", web::get().to(log::get_tile)),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/metrics", web::get().to(health::metrics));
}

/// No route took the request: 405 with `Allow` if the path is a resource that answers
/// other methods, else 404. (The application's default service, `pages::not_found`,
/// answers browsers with a page and everyone else with this.)
pub async fn not_found(request: actix_web::HttpRequest) -> AppResult<HttpResponse> {
    if let Some(methods) = crate::routes::openapi::methods_of(request.path())
        && !methods.iter().any(|m| m == request.method().as_str())
    {
        let allow = methods.join(", ");
        let problem =
            AppError::method_not_allowed(request.path(), request.method().as_str(), &allow);
        let mut response = actix_web::ResponseError::error_response(&problem);
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        return Ok(response);
    }
    Err(AppError::not_found(crate::said!(
        "intake.no_resource",
        "no resource at {method} {path}",
        method = request.method(),
        path = request.path(),
    )))
}
