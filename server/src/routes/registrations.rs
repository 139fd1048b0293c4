//! Suppliers register themselves. The applicant signs an `organisation.registered`
//! statement for its organisation with its own key, which proves it holds the key, and
//! names its first administrator. A platform administrator reviews the application: on
//! approval the platform logs `organisation.registered` and `key.registered` (the
//! applicant's key, as the organisation's administrator), signed by the platform's key,
//! and the administrator's account is created; a rejection gives a reason. Nothing is
//! on the log before approval.

use crate::auth::{self, Caller, Credentials};
use crate::db::directory::Taken;
use crate::db::registrations::{self, Decision};
use crate::db::{blocking, directory};
use crate::domain::Kind as _;
use crate::domain::directory::{KeyRegistered, OrganisationRegistered, OrganisationRegisteredBody};
use crate::domain::said::Said;
use crate::domain::types::{OrganisationKind, Role};
use crate::error::{AppError, AppResult, ProblemType};
use crate::log::platform;
use crate::routes::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::SecondsFormat;
use diesel::Connection as _;
use diesel::pg::PgConnection;
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

fn invalid(detail: impl Into<Said>) -> AppError {
    AppError::invalid(ProblemType::InvalidRegistration, detail)
}

/// The applicant's statement, checked: one signature, valid, by the key to register,
/// over a supplier's `organisation.registered` whose subject is its id.
fn checked_statement(value: Value) -> AppResult<(SignedStatement, [u8; 32], Applicant)> {
    let signed = SignedStatement::from_value(value).map_err(|e| {
        invalid(crate::said!(
            "registration.not_signed",
            "statement must be a signed statement, as vitrine sign prints it: {why}",
            why = e
        ))
    })?;
    signed.verify().map_err(|e| invalid(refused_statement(e)))?;
    let [signature] = signed.signatures() else {
        return Err(invalid(crate::said!(
            "registration.one_signature",
            "statement: sign it with the organisation's key alone (vitrine sign --key)"
        )));
    };
    let statement = signed.statement();
    if statement.kind() != OrganisationRegistered.name() {
        return Err(invalid(crate::said!(
            "registration.kind",
            "statement: its kind must be organisation.registered"
        )));
    }
    // A keyed refusal of the body names its field (`body.credit_code`) and keeps its key.
    let body = OrganisationRegisteredBody::parse(statement.body()).map_err(|e| {
        invalid(match e.key() {
            Some(_) => e,
            None => refused_statement(e),
        })
    })?;
    if body.kind != OrganisationKind::Supplier {
        return Err(invalid(crate::said!(
            "registration.suppliers_only",
            "statement: suppliers register themselves (body.kind \"supplier\"); other organisations are registered by the platform"
        )));
    }
    if body.id != statement.subject() {
        return Err(invalid(crate::said!(
            "registration.subject",
            "statement: its subject must be body.id"
        )));
    }
    let applicant = Applicant {
        name: body.name.to_owned(),
        credit_code: body.credit_code.unwrap_or_default().to_owned(),
    };
    Ok((signed.clone(), signature.public_key, applicant))
}

/// The applicant's statement refused, with why.
fn refused_statement(why: impl std::fmt::Display) -> Said {
    crate::said!("registration.statement", "statement: {why}", why = why)
}

/// The organisation an application registers, from its statement.
struct Applicant {
    name: String,
    credit_code: String,
}

/// An application, checked and ready to file.
struct Checked {
    statement: SignedStatement,
    public_key: [u8; 32],
    applicant: Applicant,
    email: String,
    display_name: String,
    password: String,
}

impl Checked {
    fn parse(body: &[u8]) -> AppResult<Checked> {
        let application: Application = crate::routes::intake::json(body)?;
        let (statement, public_key, applicant) = checked_statement(application.statement)?;
        let Administrator {
            email,
            display_name,
            password,
        } = application.administrator;
        let email = auth::email_address(&email).ok_or_else(|| {
            invalid(crate::said!(
                "user.email",
                "{field} is not an e-mail address",
                field = "administrator.email"
            ))
        })?;
        let display_name = display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(invalid(crate::said!(
                "user.display_name",
                "{field} must be 1 to 200 characters",
                field = "administrator.display_name"
            )));
        }
        auth::check_new_password(&password, &email)
            .map_err(|m| AppError::invalid(ProblemType::WeakPassword, m))?;
        Ok(Checked {
            statement,
            public_key,
            applicant,
            email,
            display_name,
            password,
        })
    }

    /// Files the application unless what it registers is taken; its number.
    fn file(self, conn: &mut PgConnection) -> AppResult<i64> {
        let statement = self.statement.statement();
        let proof = self.statement.to_value();
        let (organisation, credit_code) = (statement.subject(), &self.applicant.credit_code);
        match directory::taken(conn, organisation, credit_code, &self.public_key)? {
            None => {}
            Some(Taken::Organisation) => {
                return Err(AppError::conflict(crate::said!(
                    "org.taken",
                    "organisation {organisation} is already registered",
                    organisation = organisation
                )));
            }
            Some(Taken::CreditCode(holder)) => {
                return Err(AppError::conflict(crate::said!(
                    "org.credit_code_taken",
                    "credit code {code} is already registered to organisation {organisation}",
                    code = credit_code,
                    organisation = holder,
                )));
            }
            Some(Taken::Key) => {
                return Err(AppError::conflict(crate::said!(
                    "registration.key_taken",
                    "the key is already registered: make a new one (vitrine keygen)"
                )));
            }
        }
        // Whether the address has an account is not said here (anyone could ask): the
        // approval checks it.
        // Hashed only once nothing else refuses the application: argon2id is costly.
        let password_hash = auth::hash_password(&self.password).map_err(AppError::internal)?;
        let new = registrations::NewApplication {
            organisation,
            name: &self.applicant.name,
            credit_code,
            public_key: &self.public_key,
            proof: &proof,
            admin_email: &self.email,
            admin_name: &self.display_name,
            password_hash: &password_hash,
        };
        registrations::insert(conn, &new)?.ok_or_else(|| {
            AppError::conflict(crate::said!(
                "registration.waiting",
                "an application with this organisation id, credit code or key is already waiting for review"
            ))
        })
    }
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
    let checked = Checked::parse(&body)?;
    let organisation = checked.statement.statement().subject().to_owned();
    let number = blocking(&state.pool, move |conn| checked.file(conn)).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": number,
        "organisation": organisation,
        "status": "pending",
    })))
}

/// Who reviews applications: the refusal of anyone else.
fn reviewers() -> Said {
    crate::said!(
        "registration.reviewers",
        "applications are reviewed by platform administrators"
    )
}

/// The statuses an application goes through.
const STATUSES: [&str; 3] = ["pending", "approved", "rejected"];

#[derive(Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
}

/// An application as the API and the pages list it.
pub(crate) fn listed(row: registrations::Listed) -> Value {
    json!({
        "id": row.id,
        "organisation": row.organisation,
        "name": row.name,
        "credit_code": row.credit_code,
        "public_key": BASE64.encode(row.public_key),
        "administrator": {"email": row.admin_email, "display_name": row.admin_name},
        "status": row.status,
        "reason": row.reason,
        "created_at": row.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// Applications, oldest first; `?status=pending|approved|rejected`.
pub(super) async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let credentials = Credentials::of(&request);
    let query_string = request.query_string().to_owned();
    let rows = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, false, reviewers())?;
        let wanted = crate::routes::intake::query::<ListQuery>(&query_string)?.status;
        if wanted.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
            return Err(AppError::bad_request(
                ProblemType::InvalidQuery,
                crate::said!(
                    "registration.status_query",
                    "status must be pending, approved or rejected"
                ),
            ));
        }
        Ok(registrations::list(conn, wanted.as_deref(), 500)?)
    })
    .await?;
    let applications: Vec<Value> = rows.into_iter().map(listed).collect();
    Ok(HttpResponse::Ok().json(json!({"registrations": applications})))
}

/// A pending application, for a platform administrator.
struct Pending {
    application: registrations::Application,
    /// Whether the organisation and the key are already on the log (an earlier approval
    /// that stopped half-way).
    organisation_logged: bool,
    key_logged: bool,
}

fn pending(conn: &mut PgConnection, id: i64) -> AppResult<Pending> {
    let application = registrations::find(conn, id)?.ok_or_else(|| {
        AppError::not_found(crate::said!(
            "registration.unknown",
            "there is no application {application}",
            application = id
        ))
    })?;
    match application.status.as_str() {
        "pending" => {}
        "approved" => {
            return Err(AppError::conflict(crate::said!(
                "registration.already_approved",
                "application {application} is already approved",
                application = id
            )));
        }
        "rejected" => {
            return Err(AppError::conflict(crate::said!(
                "registration.already_rejected",
                "application {application} is already rejected",
                application = id
            )));
        }
        other => {
            return Err(AppError::conflict(format!(
                "application {id} is already {other}"
            )));
        }
    }
    let organisation = &application.organisation;
    // Only an organisation this application's approval logged is the applicant's: the
    // same id and credit code (which are public) prove nothing.
    let organisation_logged = match directory::organisation(conn, organisation)? {
        None => false,
        Some(row) if application.organisation_idx == Some(row.registered_idx) => true,
        Some(_) => {
            return Err(AppError::conflict(crate::said!(
                "registration.organisation_since",
                "organisation {organisation} has been registered since, not by this application: reject the application",
                organisation = organisation
            )));
        }
    };
    let key_logged = match directory::key(conn, &application.public_key)? {
        None => false,
        Some(key) if organisation_logged && key.organisation == *organisation => true,
        Some(_) => {
            return Err(AppError::conflict(crate::said!(
                "registration.key_since",
                "the applicant's key has been registered to another organisation since: reject the application"
            )));
        }
    };
    // Taken meanwhile: the application cannot be approved. (A failure stays a failure.)
    auth::check_address_free(conn, &application.admin_email).map_err(|e| {
        let taken = e
            .detail
            .arg("email")
            .filter(|_| e.detail.key() == Some("user.taken"))
            .map(str::to_owned);
        match taken {
            Some(email) => AppError::conflict(crate::said!(
                "registration.address_taken",
                "{email} already has an account: reject the application, and the applicant may apply again with another address",
                email = email
            )),
            None => e,
        }
    })?;
    Ok(Pending {
        application,
        organisation_logged,
        key_logged,
    })
}

impl Pending {
    /// Logs, signed by the platform, what of application `id`'s organisation and its key
    /// is not on the log yet; the organisation's entry is recorded with the application
    /// at once.
    async fn log(&self, state: &AppState, id: i64) -> AppResult<()> {
        let application = &self.application;
        let organisation = &application.organisation;
        let mut statements = Vec::new();
        if !self.organisation_logged {
            statements.push((
                OrganisationRegistered.name(),
                json!({
                    "id": organisation,
                    "name": application.name,
                    "kind": OrganisationKind::Supplier.as_str(),
                    "credit_code": application.credit_code,
                }),
            ));
        }
        if !self.key_logged {
            statements.push((
                KeyRegistered.name(),
                json!({
                    "organisation": organisation,
                    "public_key": BASE64.encode(&application.public_key),
                    "role": Role::OrganisationAdmin.as_str(),
                }),
            ));
        }
        for (kind, body) in statements {
            let sequenced = platform::log(
                &state.sequencer,
                &state.platform_signer,
                kind,
                organisation,
                body,
            )
            .await?;
            if kind == OrganisationRegistered.name() {
                let index = sequenced.index as i64;
                blocking(&state.pool, move |conn| {
                    Ok(registrations::set_organisation_idx(conn, id, index)?)
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Creates the administrator's account and marks the application approved by
    /// `reviewer`; the new user's id.
    fn approve(self, conn: &mut PgConnection, id: i64, reviewer: i64) -> AppResult<i64> {
        let application = self.application;
        conn.transaction(|conn| {
            let user = auth::insert_user(
                conn,
                &application.organisation,
                &application.admin_email,
                &application.admin_name,
                Role::OrganisationAdmin.as_str(),
                &application.password_hash,
            )?;
            if !registrations::decide(conn, id, Decision::Approved, reviewer)? {
                return Err(AppError::conflict(crate::said!(
                    "registration.decided_meanwhile",
                    "application {application} was decided meanwhile",
                    application = id
                )));
            }
            Ok(user)
        })
    }
}

/// Approves an application: logs the organisation and its key, creates the account.
pub(super) async fn approve(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let credentials = Credentials::of(&request);
    let caller = blocking(&state.pool, move |conn| {
        auth::require_platform_admin(conn, &credentials, true, reviewers())
    })
    .await?;
    let user = approve_as(&state, caller, id).await?;
    Ok(HttpResponse::Ok().json(json!({"id": id, "status": "approved", "administrator": user})))
}

/// Approves application `id` for `caller`, a platform administrator allowed to act (the
/// caller's route checked it): logs what of its organisation and key is not on the log
/// yet, then creates the administrator's account; that account's id.
pub(crate) async fn approve_as(state: &AppState, caller: Caller, id: i64) -> AppResult<i64> {
    // One approval at a time: two applications may name one address, and each approval
    // checks it is free before logging anything.
    static APPROVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _approving = APPROVING.lock().await;
    let pending = blocking(&state.pool, move |conn| pending(conn, id)).await?;
    if !state.sequencer.status.ready.load(Ordering::SeqCst) {
        return Err(AppError::unavailable(crate::said!(
            "registration.not_sequencer",
            "this process is not the sequencer; approve through the one that is"
        )));
    }
    pending.log(state, id).await?;
    blocking(&state.pool, move |conn| {
        pending.approve(conn, id, caller.user_id)
    })
    .await
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
        auth::require_platform_admin(conn, &credentials, true, reviewers())
    })
    .await?;
    let body = crate::routes::intake::read_body(&request, payload, 8 * 1024).await?;
    let rejection: Rejection = crate::routes::intake::json(&body)?;
    reject_as(&state, caller, id, &rejection.reason).await?;
    Ok(HttpResponse::Ok().json(json!({"id": id, "status": "rejected"})))
}

/// Rejects application `id` for `caller`, a platform administrator allowed to act, with
/// `reason` (1 to 2000 characters once trimmed).
pub(crate) async fn reject_as(
    state: &AppState,
    caller: Caller,
    id: i64,
    reason: &str,
) -> AppResult<()> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2_000 {
        return Err(invalid(crate::said!(
            "registration.reason",
            "{field} must be 1 to 2000 characters",
            field = "reason"
        )));
    }
    blocking(&state.pool, move |conn| {
        let decision = Decision::Rejected(&reason);
        if !registrations::decide(conn, id, decision, caller.user_id)? {
            return Err(AppError::not_found(crate::said!(
                "registration.not_pending",
                "there is no pending application {application}",
                application = id
            )));
        }
        Ok(())
    })
    .await
}
