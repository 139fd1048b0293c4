//! What a page handler starts from ([`Page`]: the reader's language and where they are)
//! and what it answers: a rendered page or a rendered error page.

use super::i18n::{self, Lang};
use super::render::Renderer;
use crate::domain::said::Said;
use crate::error::AppError;
use crate::routes::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, VARY};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use minijinja::{Value, context};
use vitrine_ledger::time::Timestamp;

/// What every page handler starts from: the reader's language, the renderer and where the
/// reader is (for the language switch's way back).
pub struct Page {
    renderer: web::Data<Renderer>,
    /// The reader's language.
    pub lang: Lang,
    path: String,
    checkpoint_key: String,
    /// Whether the reader presents a session cookie (checked where it matters).
    signed_in: bool,
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Page, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Page::of(request))
    }
}

impl Page {
    /// The page `request` asks for.
    pub fn of(request: &HttpRequest) -> Result<Page, actix_web::Error> {
        let renderer = request.app_data::<web::Data<Renderer>>().cloned();
        let state = request.app_data::<web::Data<AppState>>();
        let (Some(renderer), Some(state)) = (renderer, state) else {
            return Err(actix_web::error::ErrorInternalServerError(
                "the pages are not configured",
            ));
        };
        let cookie = request.cookie(i18n::LANG_COOKIE);
        let accept = request
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = Lang::negotiate(cookie.as_ref().map(|c| c.value()), accept);
        let path = match request.query_string() {
            "" => request.path().to_owned(),
            q => format!("{}?{q}", request.path()),
        };
        let signed_in = request.cookie(crate::auth::SESSION_COOKIE).is_some();
        Ok(Page {
            signed_in,
            renderer,
            lang,
            path,
            checkpoint_key: state.log_key.to_verifier_key(),
        })
    }
}

/// A page's answer: the page, or an error page.
pub type PageResult = Result<HttpResponse, PageError>;

impl Page {
    /// The context every template sees, merged with the page's own.
    fn context(&self, ctx: Value) -> Value {
        let lang = self.lang;
        let other = Lang::ALL.into_iter().filter(|l| *l != lang);
        context! {
            ..ctx,
            ..context! {
                lang => lang.tag(),
                other_langs => other.map(|l| l.tag()).collect::<Vec<_>>(),
                here => self.path.clone(),
                checkpoint_key => self.checkpoint_key.clone(),
                script_messages => self.renderer.messages.for_scripts(lang),
                now => Timestamp::now().to_string(),
                signed_in => self.signed_in,
            }
        }
    }

    /// The page `template` with `ctx`, answered 200.
    pub fn render(&self, template: &str, ctx: Value) -> PageResult {
        self.render_status(StatusCode::OK, template, ctx)
    }

    /// The page `template` with `ctx`, answered with `status`.
    pub fn render_status(&self, status: StatusCode, template: &str, ctx: Value) -> PageResult {
        match self.renderer.render(template, self.context(ctx)) {
            Ok(html) => {
                let mut response = html_response(status, html);
                if self.signed_in {
                    // A signed-in page holds the session's CSRF token and private data.
                    response.headers_mut().insert(
                        CACHE_CONTROL,
                        actix_web::http::header::HeaderValue::from_static("private, no-store"),
                    );
                }
                Ok(response)
            }
            Err(e) => Err(self.error(AppError::internal(format!("rendering {template}: {e:#}")))),
        }
    }

    /// A refusal's sentence in the reader's language.
    pub fn said(&self, said: &Said) -> String {
        self.renderer.messages.said(self.lang, said)
    }

    /// The error page for `error`, in the reader's language: the problem's title, and the
    /// detail where it tells the reader something (never for internal errors).
    pub fn error(&self, error: AppError) -> PageError {
        let detail =
            (error.status != StatusCode::INTERNAL_SERVER_ERROR).then(|| self.said(&error.detail));
        let ctx = self.context(context! {
            status => error.status.as_u16(),
            problem => error.kind.slug(),
            detail => detail,
        });
        let html = self.renderer.render("error.html", ctx).unwrap_or_else(|e| {
            tracing::error!(error = %e, "rendering the error page");
            "<!doctype html><title>Error</title><p>The server failed.</p>".to_owned()
        });
        PageError {
            status: error.status,
            html,
            redirect: None,
        }
    }
}

fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        // The language comes from these; a cache must not serve one reader's to another.
        .insert_header((VARY, "Accept-Language, Cookie"))
        .body(html)
}

/// An error page, rendered already; or, for a reader who must log in first, the way
/// there.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    html: String,
    /// Where to send the reader instead (303), with a cookie to set on the way.
    redirect: Option<Box<(String, Option<Cookie<'static>>)>>,
}

impl PageError {
    /// Sends the reader to `location` (a path of this site), setting `cookie` if given.
    pub(crate) fn see_other(location: String, cookie: Option<Cookie<'static>>) -> PageError {
        PageError {
            status: StatusCode::SEE_OTHER,
            html: String::new(),
            redirect: Some(Box::new((location, cookie))),
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "page error {}", self.status)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        match self.redirect.as_deref() {
            Some((location, cookie)) => {
                let mut answer = HttpResponse::SeeOther();
                if let Some(cookie) = cookie {
                    answer.cookie(cookie.clone());
                }
                answer
                    .insert_header((actix_web::http::header::LOCATION, location.clone()))
                    .finish()
            }
            None => html_response(self.status, self.html.clone()),
        }
    }
}

/// The language cookie: remembered for a year, sent to this site only.
pub(crate) fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(i18n::LANG_COOKIE, lang.tag())
        .path("/")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .finish()
}

/// `text` escaped for a query string's value.
pub(super) fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
