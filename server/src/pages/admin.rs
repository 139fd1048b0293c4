//! The administrators' desks: the platform's (applications to register, approved or
//! rejected; the outbox's workers with their dead letters, tried again) and the users
//! page (a platform administrator's, of every organisation; an organisation
//! administrator's, of their own), each action a plain form ([`super::forms`]).

use super::forms::{self, Factor, Posted, Refusal};
use super::page::{Page, PageResult};
use super::signed_in::{Who, account};
use crate::auth::{Caller, NewUser};
use crate::db::{accounts, blocking, outbox, registrations};
use crate::domain::types::{OrganisationKind, Role};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, web};
use minijinja::context;

const DESK: Who = Who {
    allowed: platform_admin,
    why: || {
        crate::said!(
            "page.desk_platform",
            "this desk is for platform administrators"
        )
    },
};
const USERS: Who = Who {
    allowed: user_admin,
    why: || {
        crate::said!(
            "page.desk_users",
            "users are managed by their organisation's administrators and the platform's"
        )
    },
};

fn platform_admin(role: Role, _: OrganisationKind) -> bool {
    role == Role::PlatformAdmin
}

fn user_admin(role: Role, _: OrganisationKind) -> bool {
    matches!(role, Role::PlatformAdmin | Role::OrganisationAdmin)
}

/// `GET /admin`.
pub(super) async fn desk(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let caller = account(&page, &state, &request, DESK).await?;
    desk_page(&page, &state, caller, forms::done_word(&query), None).await
}

/// The platform's desk, saying what was done or what was refused.
async fn desk_page(
    page: &Page,
    state: &web::Data<AppState>,
    caller: Caller,
    done: Option<&str>,
    refused: Option<Refusal>,
) -> PageResult {
    // As the API: a role that needs a second factor sees nothing here before it is on.
    let needs_totp = caller.role.needs_second_factor() && !caller.totp_enabled;
    let (applications, consumers, dead) = blocking(&state.pool, move |conn| {
        if needs_totp {
            return Ok((vec![], vec![], vec![]));
        }
        let applications: Vec<serde_json::Value> = registrations::list(conn, Some("pending"), 200)?
            .into_iter()
            .map(crate::routes::registrations::listed)
            .collect();
        let consumers = outbox::consumers(conn)?;
        let dead = outbox::dead_letters(conn, None, None, 100)?;
        Ok((applications, consumers, dead))
    })
    .await
    .map_err(|e| page.error(e))?;
    // The forms this page shows, for a refusal whose form is gone.
    let mut shown: Vec<String> = applications
        .iter()
        .flat_map(|a| {
            [
                format!("approve-{}", a["id"]),
                format!("reject-{}", a["id"]),
            ]
        })
        .collect();
    shown.extend(
        dead.iter()
            .filter(|d| d.retry_requested_at.is_none())
            .map(|d| format!("retry-{}-{}", d.consumer, d.outbox_id)),
    );
    let refused = refused.map(|r| r.unless_shown(&shown));
    let status = refused
        .as_ref()
        .map_or(actix_web::http::StatusCode::OK, Refusal::status);
    page.render_status(
        status,
        "admin.html",
        context! {
            applications, consumers, dead, done, refused,
            csrf => caller.csrf,
            needs_totp,
        },
    )
}

/// What the desk's forms do, once read.
enum Action {
    Approve(i64),
    Reject(i64),
    Retry(String, i64),
}

async fn act(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    action: Action,
) -> PageResult {
    let posted = Posted::read(
        &page,
        &state,
        (&request, payload),
        DESK,
        Factor::Required,
        forms::FORM_BYTES,
    )
    .await?;
    let caller = posted.caller.clone();
    let (form, fields, outcome) = match &action {
        Action::Approve(id) => (
            format!("approve-{id}"),
            &[][..],
            crate::routes::registrations::approve_as(&state, caller, *id)
                .await
                .map(|_| "approved"),
        ),
        Action::Reject(id) => (
            format!("reject-{id}"),
            &["reason"][..],
            crate::routes::registrations::reject_as(&state, caller, *id, posted.get("reason"))
                .await
                .map(|()| "rejected"),
        ),
        Action::Retry(consumer, outbox_id) => (
            format!("retry-{consumer}-{outbox_id}"),
            &[][..],
            crate::routes::outbox::retry_as(&state, caller, consumer.clone(), *outbox_id)
                .await
                .map(|()| "retry"),
        ),
    };
    match outcome {
        Ok(done) => Ok(forms::done("/admin", done)),
        Err(e) if e.status.is_server_error() => Err(page.error(e)),
        Err(e) => {
            let refused = Refusal::new(&form, &e, fields, &posted).localised(&page);
            desk_page(&page, &state, posted.caller, None, Some(refused)).await
        }
    }
}

/// `POST /admin/applications/{id}/approve`.
pub(super) async fn approve(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<i64>,
) -> PageResult {
    act(
        page,
        state,
        request,
        payload,
        Action::Approve(path.into_inner()),
    )
    .await
}

/// `POST /admin/applications/{id}/reject`, with a `reason`.
pub(super) async fn reject(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<i64>,
) -> PageResult {
    act(
        page,
        state,
        request,
        payload,
        Action::Reject(path.into_inner()),
    )
    .await
}

/// `POST /admin/dead-letters/{consumer}/{outbox_id}/retry`.
pub(super) async fn retry(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<(String, i64)>,
) -> PageResult {
    let (consumer, outbox_id) = path.into_inner();
    act(
        page,
        state,
        request,
        payload,
        Action::Retry(consumer, outbox_id),
    )
    .await
}

/// The most users the users page lists (the newest).
const USERS_SHOWN: i64 = 500;

/// The fields of the form that creates a user.
const USER_FIELDS: [&str; 5] = ["organisation", "email", "display_name", "role", "password"];

/// `GET /admin/users`.
pub(super) async fn users(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> PageResult {
    let caller = account(&page, &state, &request, USERS).await?;
    users_page(&page, &state, caller, forms::done_word(&query), None).await
}

/// The users page, saying what was done or what was refused.
async fn users_page(
    page: &Page,
    state: &web::Data<AppState>,
    caller: Caller,
    done: Option<&str>,
    refused: Option<Refusal>,
) -> PageResult {
    // An organisation's administrator sees and makes the users of their own.
    let own = (caller.role != Role::PlatformAdmin).then(|| caller.organisation.clone());
    // As the API: a role that needs a second factor sees nothing here before it is on.
    let needs_totp = caller.role.needs_second_factor() && !caller.totp_enabled;
    let users = blocking(&state.pool, move |conn| match needs_totp {
        true => Ok(vec![]),
        false => Ok(accounts::users(conn, own.as_deref(), USERS_SHOWN)?),
    })
    .await
    .map_err(|e| page.error(e))?;
    let roles: Vec<&str> = Role::OF_USERS
        .iter()
        .filter(|r| match caller.role {
            // Only the platform's administrators make more of themselves.
            Role::PlatformAdmin => true,
            _ => r.fits(caller.organisation_kind) && **r != Role::PlatformAdmin,
        })
        .map(|r| r.as_str())
        .collect();
    let status = refused
        .as_ref()
        .map_or(actix_web::http::StatusCode::OK, Refusal::status);
    page.render_status(
        status,
        "users.html",
        context! {
            users, roles, done, refused,
            all_organisations => caller.role == Role::PlatformAdmin,
            organisation => caller.organisation,
            csrf => caller.csrf,
            needs_totp,
            shown => USERS_SHOWN,
        },
    )
}

/// `POST /admin/users`: a new user.
pub(super) async fn create_user(
    page: Page,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let posted = Posted::read(
        &page,
        &state,
        (&request, payload),
        USERS,
        Factor::Required,
        forms::FORM_BYTES,
    )
    .await?;
    let caller = posted.caller.clone();
    let organisation = match caller.role {
        Role::PlatformAdmin => posted.get("organisation").trim().to_owned(),
        _ => caller.organisation.clone(),
    };
    let user: Vec<String> = ["email", "display_name", "role", "password"]
        .iter()
        .map(|f| posted.get(f).to_owned())
        .collect();
    let created = blocking(&state.pool, move |conn| {
        let new = NewUser {
            organisation: &organisation,
            email: user[0].trim(),
            display_name: &user[1],
            role: user[2].trim(),
            password: &user[3],
        };
        crate::routes::accounts::create_user_as(conn, &caller, &new)
    })
    .await;
    match created {
        Ok(_) => Ok(forms::done("/admin/users", "user_created")),
        Err(e) if e.status.is_server_error() => Err(page.error(e)),
        Err(e) => {
            let mut refused = Refusal::new("new-user", &e, &USER_FIELDS, &posted).localised(&page);
            // The password is never sent back.
            refused.values.remove("password");
            users_page(&page, &state, posted.caller, None, Some(refused)).await
        }
    }
}
