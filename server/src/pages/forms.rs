//! Forms the pages post for what needs no signature (approving an application, saving a
//! draft, setting up a second factor, creating a user): plain HTML forms that work with
//! no script. Each is read in the API's order: the session (and that its account may use
//! the form) before any byte of the body; the body, bounded; then its `csrf` field, which
//! must be the session's CSRF token, so a form posted from another site does nothing.
//! A form that did what it said sends the reader back to its page (303, so that a reload
//! does not post it again) with word of what was done; a refused one shows its page again
//! with the problem beside the field concerned and what the reader typed kept.

use super::page::{Page, PageError};
use super::signed_in::{Who, account};
use crate::auth::{self, Caller};
use crate::domain::said::Said;
use crate::error::{AppError, ProblemType};
use crate::routes::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::BTreeMap;

/// The most bytes an ordinary form posts: a reason of 2,000 Chinese characters is 18 KB
/// percent-encoded.
pub(super) const FORM_BYTES: usize = 32 * 1024;

/// What a form may say was done, by the message `done.<word>` says it with.
pub(super) const DONE: [&str; 8] = [
    "followed",
    "unfollowed",
    "approved",
    "rejected",
    "retry",
    "user_created",
    "totp_on",
    "draft_saved",
];

/// A form a signed-in reader posted, authenticated and with its CSRF token checked.
pub(super) struct Posted {
    /// Who posted it.
    pub caller: Caller,
    fields: Vec<(String, String)>,
}

/// Whether a form's account needs its second factor set up to use it (the form that sets
/// it up does not).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Factor {
    Required,
    NotYet,
}

impl Posted {
    /// Reads the form `request` posts, of at most `limit` bytes, for an account that
    /// `allowed` lets in (`why` says who may); `Err` is the answer to give instead: to
    /// log in first, or an error page.
    pub(super) async fn read(
        page: &Page,
        state: &web::Data<AppState>,
        (request, payload): (&HttpRequest, web::Payload),
        who: Who,
        factor: Factor,
        limit: usize,
    ) -> Result<Posted, PageError> {
        let caller = account(page, state, request, who).await?;
        let refuse = |e: AppError| page.error(e);
        if factor == Factor::Required {
            caller.check_totp().map_err(refuse)?;
        }
        let body = crate::routes::intake::read_body(request, payload, limit)
            .await
            .map_err(refuse)?;
        let fields: Vec<(String, String)> = std::str::from_utf8(&body)
            .ok()
            .and_then(|text| crate::routes::intake::query(text).ok())
            .ok_or_else(|| {
                refuse(AppError::bad_request(
                    ProblemType::InvalidBody,
                    crate::said!(
                        "form.unreadable",
                        "the form could not be read: post it from its page"
                    ),
                ))
            })?;
        let posted = Posted { caller, fields };
        let credentials = auth::Credentials {
            authorization: None,
            session: None,
            csrf: Some(posted.get("csrf").to_owned()),
        };
        posted.caller.check_csrf(&credentials).map_err(|_| {
            refuse(AppError::new(
                StatusCode::FORBIDDEN,
                ProblemType::Csrf,
                crate::said!(
                    "form.csrf",
                    "this form is not one this site gave you: go back to its page, reload it and send it again"
                ),
            ))
        })?;
        Ok(posted)
    }

    /// The field `name` (the first, if it came more than once), or "".
    pub(super) fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every field, in the order posted.
    pub(super) fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// What the reader typed into `names`, to show again.
    pub(super) fn values(&self, names: &[&str]) -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), self.get(n).to_owned()))
            .collect()
    }
}

/// Back to `path` (a path of this site), saying `done` (one of [`DONE`]).
pub(super) fn done(path: &str, done: &'static str) -> HttpResponse {
    debug_assert!(DONE.contains(&done));
    let separator = if path.contains('?') { '&' } else { '?' };
    HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("{path}{separator}done={done}")))
        .finish()
}

/// What a page says was done, from its `done` query parameter (only a word of [`DONE`]).
pub(super) fn done_word(query: &[(String, String)]) -> Option<&'static str> {
    let asked = query.iter().find(|(k, _)| k == "done")?;
    DONE.iter().copied().find(|d| *d == asked.1)
}

/// A refused form, shown on its page: which form, the field concerned (if the problem
/// names one of the form's), the problem, and what the reader typed.
#[derive(serde::Serialize, Debug)]
pub(super) struct Refusal {
    /// The form's id in the page.
    pub form: String,
    /// The field concerned, if any.
    pub field: Option<String>,
    /// The problem type's slug (its title is `problem.<slug>` in the reader's language).
    pub problem: &'static str,
    /// What the server said of this case.
    pub detail: String,
    /// What the reader typed, by field.
    pub values: BTreeMap<String, String>,
    /// The sentence, with its key (`detail` is it in the reader's language).
    #[serde(skip)]
    said: Said,
    #[serde(skip)]
    status: StatusCode,
}

impl Refusal {
    /// `error`, refusing form `form` whose fields are `fields`; its field is the one the
    /// detail names (`body.email` for `email`), else the one it starts with (the API names
    /// the field first), or the one the problem is about.
    pub(super) fn new(form: &str, error: &AppError, fields: &[&str], posted: &Posted) -> Refusal {
        let named = error.detail.arg("field").and_then(|named| {
            fields
                .iter()
                .find(|f| named == **f || named.strip_suffix(**f).is_some_and(|p| p.ends_with('.')))
        });
        let first = error
            .detail
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .next()
            .unwrap_or_default();
        let field = named
            .or_else(|| fields.iter().find(|f| **f == first))
            .or_else(|| match error.kind {
                ProblemType::WeakPassword => fields.iter().find(|f| **f == "password"),
                ProblemType::TotpMismatch => fields.iter().find(|f| **f == "code"),
                _ if error.status == StatusCode::CONFLICT
                    && error.detail.contains("already has an account") =>
                {
                    fields.iter().find(|f| **f == "email")
                }
                _ => None,
            })
            .map(|f| (*f).to_owned());
        Refusal {
            form: form.to_owned(),
            field,
            problem: error.kind.slug(),
            detail: error.detail.text().to_owned(),
            said: error.detail.clone(),
            values: posted.values(fields),
            status: error.status,
        }
    }

    /// The refusal, said at the top of its page when its form is not among `shown` (the
    /// forms the page shows: another administrator decided the application meanwhile,
    /// say).
    pub(super) fn unless_shown(mut self, shown: &[String]) -> Refusal {
        if !shown.contains(&self.form) {
            self.form = "page".to_owned();
            self.field = None;
        }
        self
    }

    /// The refusal in the reader's language.
    pub(super) fn localised(mut self, page: &Page) -> Refusal {
        self.detail = page.said(&self.said);
        self
    }

    /// The status the page showing it answers with.
    pub(super) fn status(&self) -> StatusCode {
        self.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::types::{OrganisationKind, Role};

    fn posted(fields: &[(&str, &str)]) -> Posted {
        Posted {
            caller: Caller {
                user_id: 1,
                organisation: "platform".into(),
                organisation_kind: OrganisationKind::Platform,
                role: Role::PlatformAdmin,
                email: "a@example.org".into(),
                totp_enabled: true,
                csrf: Some("token".into()),
            },
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_refusal_names_the_field_its_problem_is_about_and_keeps_what_was_typed() {
        let form = posted(&[("email", "x@"), ("display_name", "Ann"), ("password", "p")]);
        let fields = ["email", "display_name", "password"];
        let refusal = |e: AppError| Refusal::new("new-user", &e, &fields, &form);
        let bad = refusal(AppError::invalid(
            ProblemType::InvalidUser,
            "email is not an e-mail address",
        ));
        assert_eq!(bad.field.as_deref(), Some("email"));
        assert_eq!(bad.values["display_name"], "Ann");
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let weak = refusal(AppError::invalid(ProblemType::WeakPassword, "too short"));
        assert_eq!(weak.field.as_deref(), Some("password"));
        let taken = refusal(AppError::conflict("x@ already has an account"));
        assert_eq!(taken.field.as_deref(), Some("email"));
        let other = refusal(AppError::forbidden("not yours"));
        assert_eq!((other.field, other.problem), (None, "forbidden"));
        // A keyed refusal names its field, wherever the sentence puts it.
        let named = refusal(AppError::invalid(
            ProblemType::InvalidBody,
            Said::keyed(
                "t.long",
                "too long".into(),
                vec![("field", "administrator.display_name".into())],
            ),
        ));
        assert_eq!(named.field.as_deref(), Some("display_name"));
        let unlike = refusal(AppError::invalid(
            ProblemType::InvalidBody,
            Said::keyed(
                "t.long",
                "too long".into(),
                vec![("field", "body.xemail".into())],
            ),
        ));
        assert_eq!(unlike.field, None);
    }

    #[test]
    fn only_known_words_say_what_was_done() {
        let query = |v: &str| vec![("done".to_owned(), v.to_owned())];
        assert_eq!(done_word(&query("approved")), Some("approved"));
        assert_eq!(done_word(&query("<script>")), None);
        assert_eq!(done_word(&[]), None);
        let answer = done("/admin?x=1", "retry");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            answer.headers().get(LOCATION).unwrap(),
            "/admin?x=1&done=retry"
        );
        let renderer = super::super::render::Renderer::load().expect("loads");
        for word in DONE {
            for lang in super::super::i18n::Lang::ALL {
                let key = format!("done.{word}");
                assert!(renderer.messages().get(lang, &key).is_some(), "{key}");
            }
        }
    }
}
