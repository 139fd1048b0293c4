//! User accounts: created by an administrator, with a checked address, role and
//! password.

use super::passwords::*;
use crate::db::accounts;
use crate::domain::types::{OrganisationKind, Role};
use crate::error::{AppError, AppResult, ProblemType};
use diesel::pg::PgConnection;

/// Normalises an e-mail address (trimmed, lower case); `None` if it is not one.
pub fn email_address(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let plausible = email.contains('@')
        && email.len() <= 254
        && !email.starts_with('@')
        && !email.ends_with('@');
    plausible.then_some(email)
}

/// A user to create.
pub struct NewUser<'a> {
    /// The organisation, registered on the log.
    pub organisation: &'a str,
    /// The e-mail address (stored lower-case).
    pub email: &'a str,
    /// A name to show.
    pub display_name: &'a str,
    /// The name of one of [`Role::OF_USERS`].
    pub role: &'a str,
    /// The initial password.
    pub password: &'a str,
}

/// Creates a user; refuses unknown organisations and roles, weak passwords and taken
/// addresses with a problem each.
pub fn create_user(conn: &mut PgConnection, user: &NewUser<'_>) -> AppResult<i64> {
    let email = email_address(user.email).ok_or_else(|| {
        AppError::invalid(
            ProblemType::InvalidUser,
            crate::said!(
                "user.email",
                "{field} is not an e-mail address",
                field = "email"
            ),
        )
    })?;
    let Some(role) = Role::parse_of_user(user.role) else {
        return Err(AppError::invalid(
            ProblemType::InvalidUser,
            crate::said!(
                "user.role",
                "role must be one of {roles}",
                roles = Role::OF_USERS.map(Role::as_str).join(", "),
            ),
        ));
    };
    if user.display_name.trim().is_empty() || user.display_name.chars().count() > 200 {
        return Err(AppError::invalid(
            ProblemType::InvalidUser,
            crate::said!(
                "user.display_name",
                "{field} must be 1 to 200 characters",
                field = "display_name"
            ),
        ));
    }
    check_new_password(user.password, &email)
        .map_err(|m| AppError::invalid(ProblemType::WeakPassword, m))?;
    let kind = crate::db::directory::organisation(conn, user.organisation)?
        .and_then(|o| OrganisationKind::parse(&o.kind))
        .ok_or_else(|| {
            AppError::invalid(
                ProblemType::InvalidUser,
                crate::said!(
                    "user.organisation_unknown",
                    "organisation {organisation} is not registered on the log",
                    organisation = user.organisation,
                ),
            )
        })?;
    if !role.fits(kind) {
        return Err(AppError::invalid(
            ProblemType::InvalidUser,
            crate::said!(
                "user.role_unfit",
                "a {org_kind} organisation has no {role}",
                org_kind = kind,
                role = role,
            ),
        ));
    }
    let hash = hash_password(user.password).map_err(AppError::internal)?;
    insert_user(
        conn,
        user.organisation,
        &email,
        user.display_name.trim(),
        role.as_str(),
        &hash,
    )
}

/// Refuses an address that already has an account.
pub fn check_address_free(conn: &mut PgConnection, email: &str) -> AppResult<()> {
    if accounts::address_taken(conn, email)? {
        return Err(AppError::conflict(crate::said!(
            "user.taken",
            "{email} already has an account",
            email = email,
        )));
    }
    Ok(())
}

/// Inserts a checked user with an argon2id password hash; refuses a taken address.
pub fn insert_user(
    conn: &mut PgConnection,
    organisation: &str,
    email: &str,
    display_name: &str,
    role: &str,
    password_hash: &str,
) -> AppResult<i64> {
    check_address_free(conn, email)?;
    Ok(accounts::insert_user(
        conn,
        organisation,
        email,
        display_name,
        role,
        password_hash,
    )?)
}
