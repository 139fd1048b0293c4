//! The language switch: remembers the reader's choice in a cookie and goes back.

use super::i18n::Lang;
use super::page::{Page, PageResult, lang_cookie};
use crate::error::{AppError, ProblemType};
use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use actix_web::web;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct Choice {
    set: String,
    next: Option<String>,
}

/// Where to go back to: a path of this site only, never another site (`//host`, `/\host`).
pub(super) fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 2048
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => "/",
    }
}

/// `GET /language?set=en&next=/tenders`.
pub(super) async fn choose(page: Page, query: web::Query<Choice>) -> PageResult {
    let lang = Lang::parse(&query.set).ok_or_else(|| {
        page.error(AppError::bad_request(
            ProblemType::InvalidQuery,
            crate::said!(
                "page.language",
                "{language} is not a language of this site (zh-CN, en)",
                language = format!("{:?}", query.set),
            ),
        ))
    })?;
    Ok(HttpResponse::SeeOther()
        .cookie(lang_cookie(lang))
        .insert_header((LOCATION, local_path(query.next.as_deref())))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn the_way_back_stays_on_this_site() {
        for (next, want) in [
            (Some("/tenders?status=complete"), "/tenders?status=complete"),
            (Some("/"), "/"),
            (None, "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example/"), "/"),
            (Some("/a\r\nSet-Cookie: x=1"), "/"),
            (Some("tenders"), "/"),
        ] {
            assert_eq!(local_path(next), want, "{next:?}");
        }
    }
}
