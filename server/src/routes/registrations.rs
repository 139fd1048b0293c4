//! Suppliers register themselves. The applicant signs an `organisation.registered`
//! statement for its organisation with its own key, which proves it holds the key, and
//! names its first administrator. A platform administrator reviews the application: on
//! approval the platform logs `organisation.registered` and `key.registered` (the
//! applicant's key, as the organisation's administrator), signed by the platform's key,
//! and the administrator's account is created; a rejection gives a reason. Nothing is
//! on the log before approval.

use crate::auth::{self, Credentials};
use crate::db::blocking;
use crate::db::schema::{organisations, participant_keys, registrations};
use crate::domain::Kind as _;
use crate::domain::directory::OrganisationRegistered;
use crate::domain::types::OrganisationKind;
use crate::error::{AppError, AppResult, ProblemType};
use crate::routes::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use vitrine_ledger::statement::SignedStatement;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Administrator {
    email: String,
    display_name: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Application {
    /// `organisation.registered` for the supplier, signed by the key it registers.
    statement: Value,
    administrator: Administrator,
}

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::invalid(ProblemType::InvalidRegistration, detail)
}

/// The applicant's statement, checked: one signature, valid, by the key to register,
/// over a supplier's `organisation.registered` whose subject is its id.
fn checked_statement(value: Value) -> AppResult<(SignedStatement, [u8; 32])> {
    let signed = SignedStatement::from_value(value).map_err(|e| {
        invalid(format!(
            "statement must be a signed statement, as vitrine sign prints it: {e}"
        ))
    })?;
    signed
        .verify()
        .map_err(|e| invalid(format!("statement: {e}")))?;
    let [signature] = signed.signatures() else {
        return Err(invalid(
            "statement: sign it with the organisation's key alone (vitrine sign --key)",
        ));
    };
    let statement = signed.statement();
    if statement.kind() != "organisation.registered" {
        return Err(invalid(
            "statement: its kind must be organisation.registered",
        ));
    }
    OrganisationRegistered
        .check_body(statement.body())
        .map_err(|e| invalid(format!("statement: {e}")))?;
    let kind = statement.body()["kind"]
        .as_str()
        .and_then(OrganisationKind::parse);
    if kind != Some(OrganisationKind::Supplier) {
        return Err(invalid(
            "statement: suppliers register themselves (body.kind \"supplier\"); other organisations are registered by the platform",
        ));
    }
    if statement.body()["id"].as_str() != Some(statement.subject()) {
        return Err(invalid("statement: its subject must be body.id"));
    }
    Ok((signed.clone(), signature.public_key))
}

/// Applies to register a supplier (no account needed; ten a minute per address).
pub(super) async fn apply(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    state
        .registration_limit
        .check(request.peer_addr().map(|a| a.ip()))?;
    let body = crate::routes::intake::read_body(&request, payload, 64 * 1024).await?;
    let application: Application = crate::routes::intake::json(&body)?;
    let (signed, public_key) = checked_statement(application.statement)?;
    let Administrator {
        email,
        display_name,
        password,
    } = application.administrator;
    let email = auth::email_address(&email)
        .ok_or_else(|| invalid("administrator.email is not an e-mail address"))?;
    let display_name = display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(invalid(
            "administrator.display_name must be 1 to 200 characters",
        ));
    }
    auth::check_new_password(&password, &email)
        .map_err(|m| AppError::invalid(ProblemType::WeakPassword, m))?;
    let statement = signed.statement();
    let body = statement.body();
    let id = statement.subject().to_owned();
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    let credit_code = body["credit_code"].as_str().unwrap_or_default().to_owned();
    let proof = signed.to_value();
    let created = blocking(&state.pool, move |conn| {
        if organisations::table.find(&id).count().get_result::<i64>(conn)? > 0 {
            return Err(AppError::conflict(format!(
                "organisation {id} is already registered"
            )));
        }
        let holder: Option<String> = organisations::table
            .filter(organisations::credit_code.eq(&credit_code))
            .select(organisations::id)
            .first(conn)
            .optional()?;
        if let Some(holder) = holder {
            return Err(AppError::conflict(format!(
                "credit code {credit_code} is already registered to organisation {holder}"
            )));
        }
        let key_taken: i64 = participant_keys::table
            .find(public_key.to_vec())
            .count()
            .get_result(conn)?;
        if key_taken > 0 {
            return Err(AppError::conflict(
                "the key is already registered: make a new one (vitrine keygen)",
            ));
        }
        // Whether the address has an account is not said here (anyone could ask): the
        // approval checks it.
        // Hashed only once nothing else refuses the application: argon2id is costly.
        let password_hash = auth::hash_password(&password).map_err(AppError::internal)?;
        let inserted = diesel::insert_into(registrations::table)
            .values((
                registrations::organisation_id.eq(&id),
                registrations::name.eq(&name),
                registrations::credit_code.eq(&credit_code),
                registrations::public_key.eq(public_key.to_vec()),
                registrations::proof.eq(&proof),
                registrations::admin_email.eq(&email),
                registrations::admin_name.eq(&display_name),
                registrations::password_hash.eq(&password_hash),
            ))
            .returning(registrations::id)
            .get_result::<i64>(conn);
        match inserted {
            Ok(number) => Ok((number, id)),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Err(AppError::conflict(
                "an application with this organisation id, credit code or key is already waiting for review",
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    let (number, organisation) = created;
    Ok(HttpResponse::Created().json(json!({
        "id": number,
        "organisation": organisation,
        "status": "pending",
    })))
}

/// Who reviews applications.
const REVIEWERS: &str = "applications are reviewed by platform administrators";

#[derive(Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
}

type Row = (
    i64,
    String,
    String,
    String,
    Vec<u8>,
    String,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
);

/// Applications, oldest first; `?status=pending|approved|rejected`.
pub(super) async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let wanted = query.into_inner().status;
    if wanted
        .as_deref()
        .is_some_and(|s| !["pending", "approved", "rejected"].contains(&s))
    {
        return Err(AppError::bad_request(
            ProblemType::InvalidQuery,
            "status must be pending, approved or rejected",
        ));
    }
    let credentials = Credentials::of(&request);
    let rows: Vec<Row> = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, false, REVIEWERS)?;
        let mut listing = registrations::table
            .order(registrations::id)
            .limit(500)
            .select((
                registrations::id,
                registrations::organisation_id,
                registrations::name,
                registrations::credit_code,
                registrations::public_key,
                registrations::admin_email,
                registrations::admin_name,
                registrations::status,
                registrations::reason,
                registrations::created_at,
            ))
            .into_boxed();
        if let Some(status) = wanted {
            listing = listing.filter(registrations::status.eq(status));
        }
        Ok(listing.load(conn)?)
    })
    .await?;
    let applications: Vec<Value> = rows
        .into_iter()
        .map(
            |(id, organisation, name, code, key, email, admin, status, reason, at)| {
                json!({
                    "id": id,
                    "organisation": organisation,
                    "name": name,
                    "credit_code": code,
                    "public_key": BASE64.encode(key),
                    "administrator": {"email": email, "display_name": admin},
                    "status": status,
                    "reason": reason,
                    "created_at": at.to_rfc3339_opts(SecondsFormat::Secs, true),
                })
            },
        )
        .collect();
    Ok(HttpResponse::Ok().json(json!({"registrations": applications})))
}

/// A pending application, for a platform administrator.
struct Pending {
    organisation: String,
    name: String,
    credit_code: String,
    public_key: Vec<u8>,
    email: String,
    admin_name: String,
    password_hash: String,
    /// Whether the organisation and the key are already on the log (an earlier approval
    /// that stopped half-way).
    organisation_logged: bool,
    key_logged: bool,
}

fn pending(conn: &mut PgConnection, id: i64) -> AppResult<Pending> {
    type Fields = (
        String,
        String,
        String,
        Vec<u8>,
        String,
        String,
        String,
        String,
    );
    let (organisation, name, credit_code, public_key, email, admin_name, password_hash, status): Fields =
        registrations::table
            .find(id)
            .select((
                registrations::organisation_id,
                registrations::name,
                registrations::credit_code,
                registrations::public_key,
                registrations::admin_email,
                registrations::admin_name,
                registrations::password_hash,
                registrations::status,
            ))
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("there is no application {id}")))?;
    if status != "pending" {
        return Err(AppError::conflict(format!(
            "application {id} is already {status}"
        )));
    }
    // The same credit code means the same legal person: then the organisation on the
    // log is the applicant's.
    let logged_code: Option<Option<String>> = organisations::table
        .find(&organisation)
        .select(organisations::credit_code)
        .first(conn)
        .optional()?;
    let organisation_logged = match logged_code {
        None => false,
        Some(code) if code.as_deref() == Some(credit_code.as_str()) => true,
        Some(_) => {
            return Err(AppError::conflict(format!(
                "organisation {organisation} has been registered by someone else since: reject the application"
            )));
        }
    };
    let key_owner: Option<String> = participant_keys::table
        .find(&public_key)
        .select(participant_keys::organisation_id)
        .first(conn)
        .optional()?;
    let key_logged = match key_owner {
        None => false,
        Some(owner) if owner == organisation => true,
        Some(_) => {
            return Err(AppError::conflict(
                "the applicant's key has been registered to another organisation since: reject the application",
            ));
        }
    };
    auth::check_address_free(conn, &email).map_err(|e| {
        AppError::conflict(format!(
            "{}: reject the application, and the applicant may apply again with another address",
            e.detail
        ))
    })?;
    Ok(Pending {
        organisation,
        name,
        credit_code,
        public_key,
        email,
        admin_name,
        password_hash,
        organisation_logged,
        key_logged,
    })
}

/// Signs a statement with the platform's key and logs it.
pub(super) async fn log_as_platform(
    state: &AppState,
    kind: &str,
    subject: &str,
    body: Value,
) -> AppResult<u64> {
    let sequenced = crate::log::platform::log(
        &state.sequencer,
        &state.platform_signer,
        kind,
        subject,
        body,
    )
    .await?;
    Ok(sequenced.index)
}

/// Approves an application: logs the organisation and its key, creates the account.
pub(super) async fn approve(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let credentials = Credentials::of(&request);
    // One approval at a time: two applications may name one address, and each approval
    // checks it is free before logging anything.
    static APPROVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _approving = APPROVING.lock().await;
    let (caller, application) = blocking(&state.pool, move |conn| {
        let caller = auth::require_platform_admin(conn, &credentials, true, REVIEWERS)?;
        Ok((caller, pending(conn, id)?))
    })
    .await?;
    if !state.sequencer.status.ready.load(Ordering::SeqCst) {
        return Err(AppError::unavailable(
            "this process is not the sequencer; approve through the one that is",
        ));
    }
    if !application.organisation_logged {
        log_as_platform(
            &state,
            "organisation.registered",
            &application.organisation,
            json!({
                "id": application.organisation,
                "name": application.name,
                "kind": "supplier",
                "credit_code": application.credit_code,
            }),
        )
        .await?;
    }
    if !application.key_logged {
        log_as_platform(
            &state,
            "key.registered",
            &application.organisation,
            json!({
                "organisation": application.organisation,
                "public_key": BASE64.encode(&application.public_key),
                "role": "organisation_admin",
            }),
        )
        .await?;
    }
    let user = blocking(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let user = auth::insert_user(
                conn,
                &application.organisation,
                &application.email,
                &application.admin_name,
                "organisation_admin",
                &application.password_hash,
            )?;
            let decided = diesel::update(
                registrations::table
                    .find(id)
                    .filter(registrations::status.eq("pending")),
            )
            .set((
                registrations::status.eq("approved"),
                registrations::decided_at.eq(diesel::dsl::now),
                registrations::decided_by.eq(caller.user_id),
            ))
            .execute(conn)?;
            if decided == 0 {
                return Err(AppError::conflict(format!(
                    "application {id} was decided meanwhile"
                )));
            }
            Ok(user)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"id": id, "status": "approved", "administrator": user})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejection {
    reason: String,
}

/// Rejects an application, with a reason.
pub(super) async fn reject(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    // Who asks is checked before the body is read.
    let credentials = Credentials::of(&request);
    let caller = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, true, REVIEWERS)
    })
    .await?;
    let body = crate::routes::intake::read_body(&request, payload, 8 * 1024).await?;
    let rejection: Rejection = crate::routes::intake::json(&body)?;
    let reason = rejection.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2_000 {
        return Err(invalid("reason must be 1 to 2000 characters"));
    }
    blocking(&state.pool, move |conn| {
        let decided = diesel::update(
            registrations::table
                .find(id)
                .filter(registrations::status.eq("pending")),
        )
        .set((
            registrations::status.eq("rejected"),
            registrations::reason.eq(&reason),
            registrations::decided_at.eq(diesel::dsl::now),
            registrations::decided_by.eq(caller.user_id),
        ))
        .execute(conn)?;
        if decided == 0 {
            return Err(AppError::not_found(format!(
                "there is no pending application {id}"
            )));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"id": id, "status": "rejected"})))
}
