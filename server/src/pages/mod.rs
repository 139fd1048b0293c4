//! The web pages: server-rendered HTML in zh-CN and en, one auto-escaping template engine
//! (minijinja) over `frontend/templates/`, static files from `frontend/static/`, messages
//! from `frontend/locales/`, all embedded in the binary. Every page works as plain HTML
//! forms; small scripts add signing, verification and local times. [`configure`] is the
//! pages' route table; each area's handlers are in their own file.

use actix_web::web;

mod admin;
pub mod assets;
mod bidding;
mod buyer;
mod explorer;
mod files;
mod filters;
mod home;
pub mod i18n;
mod language;
mod organisations;
mod page;
mod render;
mod session;
mod supervision;
mod tenders;

pub use i18n::Lang;
pub use page::{Page, PageError, PageResult};
pub use render::Renderer;

/// The page routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/tenders", web::get().to(tenders::list))
        .route("/tenders/{id}", web::get().to(tenders::show))
        .route("/tenders/{id}/bid", web::get().to(bidding::workspace))
        .route("/tenders/{id}/manage", web::get().to(buyer::manage))
        .route("/buyer", web::get().to(buyer::desk))
        .route("/buyer/drafts/{id}", web::get().to(buyer::draft))
        .route("/supervision", web::get().to(supervision::complaints))
        .route("/admin", web::get().to(admin::desk))
        .route("/register", web::get().to(bidding::register))
        .route("/organisations/{id}", web::get().to(organisations::show))
        .route("/explorer", web::get().to(explorer::overview))
        .route("/entries/{index}", web::get().to(explorer::entry))
        .route("/consistency", web::get().to(explorer::consistency_page))
        .route("/language", web::get().to(language::choose))
        .route("/login", web::get().to(session::form))
        .route("/login", web::post().to(session::submit))
        .route("/logout", web::post().to(session::logout))
        .route("/me", web::get().to(session::me))
        .route("/static/{path:.*}", web::get().to(files::serve));
}

/// No route took the request: a page for a browser asking outside the API and the log,
/// else the API's problem document (404, or 405 with `Allow`).
pub async fn not_found(page: Page, request: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let path = request.path();
    let wants_page = request.method() == actix_web::http::Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/log/")
        && request
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_page {
        let error = crate::error::AppError::not_found(format!("there is no page at {path}"));
        return actix_web::ResponseError::error_response(&page.error(error));
    }
    match crate::routes::not_found(request).await {
        Ok(response) => response,
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// The headers every answer carries: a strict Content-Security-Policy (nothing but this
/// origin's own files: no inline script or style, no framing), no MIME sniffing, and no
/// referrer outside the site.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];
