//! The real application, in-process on port 0, for end-to-end tests over HTTP.

use super::{base64, fresh_database, signed, temp_dir, verify_over_http};
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::time::Duration;
use vitrine_ledger::checkpoint::CheckpointPolicy;
use vitrine_ledger::note::NoteVerifier;
use vitrine_server::Application;
use vitrine_server::config::Settings;

/// The password of the users tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// The real application on port 0 with a fresh database, and an administrator key.
pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub data_dir: std::path::PathBuf,
    pub client: ureq::Agent,
    pub checkpoint_key: NoteVerifier,
    pub admin: SigningKey,
    pub handle: actix_web::dev::ServerHandle,
    /// Its turn on the machine (see [`MACHINE`]), held while it lives.
    _turn: Box<dyn std::any::Any + Send + Sync>,
}

/// A table's name, its rows counted, and their digest.
pub type TableDigest = (String, i64, i64);

#[derive(QueryableByName)]
struct Digest {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    digest: i64,
}

/// The machine the tests share. A test that loads it for minutes (Schemathesis) has it to
/// itself, so that the others' real-time windows (a deadline seconds away, a standstill of
/// two) are not starved; every other test's app shares it. A test spawns one app: a second
/// one, asked for while a loud test waits, would wait for the first.
static MACHINE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

pub fn settings(database_url: Option<String>, data_dir: &std::path::Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_owned(),
        database_url,
        log_origin: "vitrine.test/log".into(),
        db_pool_size: 4,
        workers: 2,
        scheduler_interval_ms: 100,
        ..Settings::default()
    }
}

pub async fn spawn_app() -> TestApp {
    let turn = MACHINE.read().await;
    spawn(Box::new(turn)).await
}

/// An app for a test that loads the machine: no other test's app runs meanwhile.
pub async fn spawn_app_alone() -> TestApp {
    let turn = MACHINE.write().await;
    spawn(Box::new(turn)).await
}

async fn spawn(turn: Box<dyn std::any::Any + Send + Sync>) -> TestApp {
    let database_url = tokio::task::spawn_blocking(fresh_database).await.unwrap();
    let data_dir = temp_dir("app");
    let app = Application::build(settings(Some(database_url.clone()), &data_dir))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let checkpoint_key = NoteVerifier::parse(app.checkpoint_key()).unwrap();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let test = TestApp {
        base,
        database_url,
        data_dir,
        client,
        checkpoint_key,
        admin: SigningKey::from_bytes(&[200; 32]),
        handle,
        _turn: turn,
    };
    test.wait_ready().await;
    // The first administrator, registered by the platform key as `bootstrap-admin` does.
    let platform = vitrine_ledger::note::NoteSigner::parse(
        &std::fs::read_to_string(test.data_dir.join("platform.key")).unwrap(),
    )
    .unwrap();
    let admin_key = base64(test.admin.verifying_key().as_bytes());
    let (status, body) = test
        .post(&signed(
            "key.registered",
            "platform",
            json!({"organisation": "platform", "public_key": admin_key, "role": "platform_admin"}),
            &[platform.signing_key()],
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    test
}

impl TestApp {
    /// The same app's database and data directory, served now by the server at `base`
    /// (a restart), keeping its turn on the machine.
    pub fn served_by(self, base: String, handle: actix_web::dev::ServerHandle) -> TestApp {
        TestApp {
            base,
            handle,
            ..self
        }
    }

    pub async fn wait_ready(&self) {
        for _ in 0..100 {
            let (status, body) = self.get("/readyz").await;
            if status == 200 && body["sequencing"] == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not become ready");
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let (status, bytes) = self.get_bytes(path).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let client = self.client.clone();
        let url = format!("{}{path}", self.base);
        tokio::task::spawn_blocking(move || {
            let mut response = client.get(&url).call().unwrap();
            (
                response.status().as_u16(),
                response.body_mut().read_to_vec().unwrap(),
            )
        })
        .await
        .unwrap()
    }

    pub async fn post(&self, body: &Value) -> (u16, Value) {
        self.post_raw(body.to_string().into_bytes()).await
    }

    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, Value) {
        self.request("POST", "/api/v1/statements", body, &[]).await
    }

    /// Posts a statement with an API token.
    pub async fn post_as(&self, body: &Value, token: &str) -> (u16, Value) {
        let auth = format!("Bearer {token}");
        self.request(
            "POST",
            "/api/v1/statements",
            body.to_string().into_bytes(),
            &[("authorization", &auth)],
        )
        .await
    }

    /// Any request with extra headers; problems are checked to be RFC 9457 documents.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let (status, _, body) = self.request_full(method, path, body, headers).await;
        (status, body)
    }

    /// A request whose answer is not JSON (a document): status and headers.
    pub async fn request_full_raw(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let client = self.client.clone();
        let url = format!("{}{path}", self.base);
        let method = method.to_owned();
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut builder = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(&url);
            for (name, value) in &headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let mut response = client.run(builder.body(body).unwrap()).unwrap();
            let response_headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect();
            let status = response.status().as_u16();
            (
                status,
                response_headers,
                response.body_mut().read_to_vec().unwrap(),
            )
        })
        .await
        .unwrap()
    }

    /// The same, with the response's headers; JSON is the default content type.
    pub async fn request_full(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, Value) {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        let (status, response_headers, bytes) =
            self.request_full_raw(method, path, body, &all).await;
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        if status >= 400 {
            let content_type = response_headers
                .iter()
                .find(|(n, _)| n == "content-type")
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            assert_eq!(content_type, "application/problem+json", "{body}");
            assert_eq!(body["status"], json!(status));
            assert!(
                body["type"].as_str().unwrap().starts_with("https://"),
                "{body}"
            );
        }
        (status, response_headers, body)
    }

    /// Creates a user of `organisation` straight in the database (as `vitrine-server
    /// create-user` does), logs in over HTTP and makes an API token; returns the token.
    pub async fn api_token(&self, organisation: &str, email: &str, role: &str) -> String {
        self.user(organisation, email, role).await;
        let (session, csrf) = self.log_in(email, PASSWORD, None).await;
        if vitrine_server::auth::needs_totp(role) {
            // Officers and supervisors act only once their second factor is set up.
            let auth = [
                ("cookie", session.as_str()),
                ("x-csrf-token", csrf.as_str()),
            ];
            let (status, enrolment) = self
                .request("POST", "/api/v1/me/totp", Vec::new(), &auth)
                .await;
            assert_eq!(status, 201, "{enrolment}");
            let secret = super::base32_decode(enrolment["secret"].as_str().unwrap());
            let step = vitrine_server::auth::totp_step(chrono::Utc::now().timestamp());
            let code = format!("{:06}", vitrine_server::auth::totp(&secret, step));
            let (status, body) = self
                .request(
                    "POST",
                    "/api/v1/me/totp/confirm",
                    serde_json::to_vec(&serde_json::json!({"code": code})).unwrap(),
                    &auth,
                )
                .await;
            assert_eq!(status, 204, "{body}");
        }
        let (status, body) = self
            .request(
                "POST",
                "/api/v1/me/tokens",
                br#"{"name": "tests"}"#.to_vec(),
                &[("cookie", &session), ("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// The number a query (`SELECT count(*) AS count …`, or any `bigint` named `count`)
    /// answers, read straight from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        let (url, sql) = (self.database_url.clone(), sql.to_owned());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query(sql)
                .get_result::<crate::common::Count>(&mut conn)
                .unwrap()
                .count
        })
        .await
        .unwrap()
    }

    /// Creates a user with the password [`PASSWORD`]; returns its id.
    pub async fn user(&self, organisation: &str, email: &str, role: &str) -> i64 {
        let (url, organisation, email, role) = (
            self.database_url.clone(),
            organisation.to_owned(),
            email.to_owned(),
            role.to_owned(),
        );
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            vitrine_server::auth::create_user(
                &mut conn,
                &vitrine_server::auth::NewUser {
                    organisation: &organisation,
                    email: &email,
                    display_name: "测试用户",
                    role: &role,
                    password: PASSWORD,
                },
            )
            .unwrap()
        })
        .await
        .unwrap()
    }

    /// Logs in; returns the `cookie` header value and the CSRF token.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        totp: Option<&str>,
    ) -> (String, String) {
        let mut form = json!({"email": email, "password": password});
        if let Some(code) = totp {
            form["totp"] = json!(code);
        }
        let (status, headers, body) = self
            .request_full(
                "POST",
                "/api/v1/session",
                form.to_string().into_bytes(),
                &[],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let cookie = headers
            .iter()
            .find(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.split(';').next().unwrap().to_owned())
            .unwrap();
        (cookie, body["csrf_token"].as_str().unwrap().to_owned())
    }

    /// Registers an organisation and a key in it, signed by the administrator.
    pub async fn register(&self, organisation: &str, kind: &str, key: &SigningKey, role: &str) {
        let statement = signed(
            "organisation.registered",
            organisation,
            organisation_body(organisation, kind),
            &[&self.admin],
        );
        super::conforms_to_openapi(&statement);
        let (status, body) = self.post(&statement).await;
        assert!(
            status == 201
                || body["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("already registered"),
            "{body}"
        );
        self.register_key(organisation, key, role, &self.admin)
            .await;
    }

    pub async fn register_key(
        &self,
        organisation: &str,
        key: &SigningKey,
        role: &str,
        by: &SigningKey,
    ) {
        let statement = signed(
            "key.registered",
            organisation,
            json!({"organisation": organisation, "public_key": base64(key.verifying_key().as_bytes()), "role": role}),
            &[by],
        );
        let (status, body) = self.post(&statement).await;
        assert_eq!(status, 201, "{body}");
        super::conforms_to_openapi(&statement);
    }

    /// What the tables that the log feeds hold: each one's rows, counted and digested
    /// (an XOR of their rows' hashes), so that an insert, a delete or an update shows.
    pub async fn snapshot(&self) -> Vec<TableDigest> {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            [
                "log_entries",
                "log_tiles",
                "checkpoints",
                "outbox",
                "organisations",
                "participant_keys",
                "documents",
                "tenders",
                "ocds_releases",
                "private_authors",
                "tender_bids",
                "funds",
                "fund_donations",
                "fund_disbursements",
                "fund_allocations",
                "donor_vault",
            ]
            .iter()
            .map(|table| {
                diesel::sql_query(format!(
                    "SELECT '{table}' AS name, count(*) AS rows,
                            coalesce(bit_xor(hashtextextended(t::text, 0)), 0) AS digest
                     FROM {table} t"
                ))
                .get_result::<Digest>(&mut conn)
                .map(|d| (d.name, d.rows, d.digest))
                .unwrap()
            })
            .collect()
        })
        .await
        .unwrap()
    }

    /// Rebuilds every projection from the log and compares (`vitrine-server replay`).
    pub async fn replay(&self) -> vitrine_server::log::replay::ReplayReport {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            vitrine_server::log::replay::replay(
                &mut conn,
                &vitrine_server::domain::Registry::new(),
                10,
            )
            .unwrap()
        })
        .await
        .unwrap()
    }

    pub fn policy(&self) -> CheckpointPolicy {
        CheckpointPolicy::log_only(self.checkpoint_key.clone()).unwrap()
    }

    /// Verifies the whole log over HTTP, as `vitrine verify http://.../log` does.
    pub async fn verify(&self) -> vitrine_ledger::verify::LogReport {
        let (base, policy) = (self.base.clone(), self.policy());
        tokio::task::spawn_blocking(move || verify_over_http(&base, &policy))
            .await
            .unwrap()
    }
}

/// The body registering an organisation; suppliers get a valid credit code made from
/// their id.
pub fn organisation_body(organisation: &str, kind: &str) -> Value {
    let mut body =
        json!({"id": organisation, "name": format!("{organisation} 有限公司"), "kind": kind});
    if kind == "supplier" {
        body["credit_code"] = json!(credit_code_for(organisation));
    }
    body
}

/// A well-formed unified social credit code derived from `seed`.
pub fn credit_code_for(seed: &str) -> String {
    let digits = vitrine_ledger::hash::sha256(seed.as_bytes()).to_hex();
    let digits: String = digits
        .chars()
        .filter(char::is_ascii_digit)
        .take(9)
        .collect();
    let first17 = format!("91110000{digits:0>9}");
    let check = vitrine_server::domain::credit_code::check_character(&first17).unwrap();
    format!("{first17}{check}")
}
