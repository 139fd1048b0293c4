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
mod charity_desk;
mod charity_watch;
mod draft_form;
mod explorer;
mod files;
mod filters;
mod follows;
mod forms;
mod fund_charts;
mod fund_trace;
mod funds;
mod home;
pub mod i18n;
mod language;
mod organisations;
mod page;
mod render;
mod second_factor;
mod session;
mod signed_in;
mod supervision;
mod tenders;

pub use i18n::Lang;
pub use page::{Page, PageError, PageResult};
pub use render::Renderer;

/// The page routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    const GET: &str = "GET, HEAD";
    const GET_POST: &str = "GET, HEAD, POST";
    const POST: &str = "POST";
    cfg.service(page("/", GET).route(get().to(home::home)))
        .service(page("/tenders", GET).route(get().to(tenders::list)))
        .service(page("/tenders/{id}", GET).route(get().to(tenders::show)))
        .service(page("/tenders/{id}/bid", GET).route(get().to(bidding::workspace)))
        .service(page("/tenders/{id}/follow", POST).route(web::post().to(follows::follow)))
        .service(page("/tenders/{id}/unfollow", POST).route(web::post().to(follows::unfollow)))
        .service(page("/tenders/{id}/manage", GET).route(get().to(buyer::manage)))
        .service(page("/buyer", GET).route(get().to(buyer::desk)))
        .service(
            page("/buyer/drafts/{id}", GET_POST)
                .route(get().to(buyer::draft))
                .route(web::post().to(buyer::save_draft)),
        )
        .service(page("/charity", GET).route(get().to(charity_desk::desk)))
        .service(
            page("/charity/funds/{id}/donations", GET).route(get().to(charity_desk::donations)),
        )
        .service(page("/charity/funds/{id}/recorded", GET).route(get().to(charity_desk::recorded)))
        .service(
            page("/charity/funds/{id}/disbursements", GET)
                .route(get().to(charity_desk::disbursements)),
        )
        .service(
            page("/funds/{id}/disbursements/{seq}/acknowledge", GET)
                .route(get().to(charity_desk::acknowledge)),
        )
        .service(page("/supervision", GET).route(get().to(supervision::complaints)))
        .service(page("/supervision/charity", GET).route(get().to(charity_watch::view)))
        .service(page("/funds", GET).route(get().to(funds::list)))
        .service(page("/funds/{id}", GET).route(get().to(funds::show)))
        .service(page("/funds/{id}/donations/{seq}", GET).route(get().to(funds::donation)))
        .service(page("/funds/{id}/disbursements/{seq}", GET).route(get().to(funds::disbursement)))
        .service(page("/trace", GET).route(get().to(fund_trace::form)))
        .service(page("/admin", GET).route(get().to(admin::desk)))
        .service(
            page("/admin/applications/{id}/approve", POST).route(web::post().to(admin::approve)),
        )
        .service(page("/admin/applications/{id}/reject", POST).route(web::post().to(admin::reject)))
        .service(
            page("/admin/dead-letters/{consumer}/{outbox_id}/retry", POST)
                .route(web::post().to(admin::retry)),
        )
        .service(
            page("/admin/users", GET_POST)
                .route(get().to(admin::users))
                .route(web::post().to(admin::create_user)),
        )
        .service(page("/register", GET).route(get().to(bidding::register)))
        .service(page("/organisations/{id}", GET).route(get().to(organisations::show)))
        .service(page("/explorer", GET).route(get().to(explorer::overview)))
        .service(page("/entries/{index}", GET).route(get().to(explorer::entry)))
        .service(page("/consistency", GET).route(get().to(explorer::consistency_page)))
        .service(page("/language", GET).route(get().to(language::choose)))
        .service(
            page("/login", GET_POST)
                .route(get().to(session::form))
                .route(web::post().to(session::submit)),
        )
        .service(page("/logout", POST).route(web::post().to(session::logout)))
        .service(page("/me", GET).route(get().to(session::me)))
        .service(page("/me/totp", POST).route(web::post().to(second_factor::start)))
        .service(page("/me/totp/confirm", POST).route(web::post().to(second_factor::confirm)))
        .service(page("/static/{path:.*}", GET).route(get().to(files::serve)));
}

/// A GET route, which answers HEAD too (with the headers of GET and no body).
fn get() -> actix_web::Route {
    use actix_web::guard;
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A page's resource, answering `allow`'s methods: another method gets a 405 page that
/// says which it answers; a query or path that does not parse gets an error page in the
/// reader's language (the API's extractors answer problem documents).
fn page(path: &str, allow: &'static str) -> actix_web::Resource {
    use crate::error::{AppError, ProblemType};
    web::resource(path)
        .app_data(web::QueryConfig::default().error_handler(|e, request| {
            page_error(
                request,
                AppError::bad_request(ProblemType::InvalidQuery, e.to_string()),
            )
        }))
        .app_data(web::PathConfig::default().error_handler(|e, request| {
            page_error(
                request,
                AppError::not_found(crate::said!(
                    "page.no_such",
                    "there is no such page: {why}",
                    why = e
                )),
            )
        }))
        .default_service(web::to(
            move |page: Page, request: actix_web::HttpRequest| async move {
                let error =
                    AppError::method_not_allowed(request.path(), request.method().as_str(), allow);
                let mut response = actix_web::ResponseError::error_response(&page.error(error));
                response.headers_mut().insert(
                    actix_web::http::header::ALLOW,
                    actix_web::http::header::HeaderValue::from_static(allow),
                );
                response
            },
        ))
}

/// `error` as its error page for the reader of `request`.
fn page_error(request: &actix_web::HttpRequest, error: crate::error::AppError) -> actix_web::Error {
    match Page::of(request) {
        Ok(page) => page.error(error).into(),
        Err(e) => e,
    }
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
        let error = crate::error::AppError::not_found(crate::said!(
            "page.none_at",
            "there is no page at {path}",
            path = path
        ));
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
