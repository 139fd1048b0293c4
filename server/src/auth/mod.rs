//! Accounts: users of organisations, their passwords (argon2id), sessions (cookies with
//! CSRF tokens), API tokens for machines, TOTP second factors (RFC 6238, required of
//! procurement officers and supervisors), lock-out after failed logins and a rate limit
//! on login per address.
//!
//! Users are not on the log: the log names organisations and their signing keys, never
//! people (DESIGN.md, "No personal data in the log").

mod caller;
mod passwords;
mod rate_limit;
mod secrets;
mod sessions;
mod tokens;
mod totp;
mod users;

pub use caller::*;
pub use passwords::*;
pub use rate_limit::*;
pub use secrets::random_token;
pub use sessions::*;
pub use tokens::TokenLookups;
pub use totp::*;
pub use users::*;
