//! Accounts over HTTP against a real PostgreSQL: logging in and out, session cookies and
//! their CSRF tokens, API tokens, the TOTP second factor, lock-out and the login rate
//! limit, and who may create users. Every refusal is a problem document.

use crate::common::app::{PASSWORD, TestApp, spawn_app};
use crate::common::base32_decode;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

async fn session_request(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Value,
    session: &str,
    csrf: Option<&str>,
) -> (u16, Value) {
    let mut headers = vec![("cookie", session)];
    if let Some(csrf) = csrf {
        headers.push(("x-csrf-token", csrf));
    }
    app.request(method, path, body.to_string().into_bytes(), &headers)
        .await
}

async fn login_raw(app: &TestApp, email: &str, password: &str, totp: Option<&str>) -> (u16, Value) {
    let mut form = json!({"email": email, "password": password});
    if let Some(code) = totp {
        form["totp"] = json!(code);
    }
    app.request(
        "POST",
        "/api/v1/session",
        form.to_string().into_bytes(),
        &[],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_tokens_and_csrf() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[41; 32]);
    app.register("sup-x", "supplier", &key, "bidder_representative")
        .await;
    app.user("sup-x", "Rep@Sup-X.example", "bidder_representative")
        .await;

    // Wrong password and unknown address read the same.
    let (code, wrong) = login_raw(&app, "rep@sup-x.example", "not the password", None).await;
    assert_eq!(code, 401);
    let (code, unknown) = login_raw(&app, "nobody@sup-x.example", PASSWORD, None).await;
    assert_eq!(code, 401);
    assert_eq!(wrong["detail"], unknown["detail"]);

    // The session cookie is HttpOnly and SameSite=Strict; the address is case-blind.
    let (code, headers, body) = app
        .request_full(
            "POST",
            "/api/v1/session",
            json!({"email": "REP@sup-x.example", "password": PASSWORD})
                .to_string()
                .into_bytes(),
            &[],
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let cookie = headers
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: {cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["organisation"], "sup-x");

    let (code, me) = session_request(&app, "GET", "/api/v1/me", Value::Null, &session, None).await;
    assert_eq!(code, 200);
    assert_eq!(me["email"], "rep@sup-x.example");

    // A change with the cookie needs the CSRF token; a wrong one is refused as well.
    let name = json!({"name": "ci"});
    let (code, body) = session_request(
        &app,
        "POST",
        "/api/v1/me/tokens",
        name.clone(),
        &session,
        None,
    )
    .await;
    assert_eq!(
        (code, body["type"].as_str()),
        (403, Some("https://vitrine.dev/problems/csrf"))
    );
    let (code, _) = session_request(
        &app,
        "POST",
        "/api/v1/me/tokens",
        name.clone(),
        &session,
        Some("x"),
    )
    .await;
    assert_eq!(code, 403);
    let (code, _, tokens) = app
        .request_full(
            "GET",
            "/api/v1/me/tokens",
            Vec::new(),
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(tokens["tokens"], json!([]), "a refused change made a token");
    let (code, created) = session_request(
        &app,
        "POST",
        "/api/v1/me/tokens",
        name,
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("vtk_"));

    // The API token works without CSRF; once revoked, it does not.
    let bearer = format!("Bearer {token}");
    let (code, _) = app
        .request(
            "GET",
            "/api/v1/me",
            Vec::new(),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(code, 200);
    let id = created["id"].as_i64().unwrap();
    let (code, _) = app
        .request(
            "DELETE",
            &format!("/api/v1/me/tokens/{id}"),
            Vec::new(),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(code, 204);
    let (code, body) = app
        .request(
            "GET",
            "/api/v1/me",
            Vec::new(),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(code, 401, "{body}");

    // Logging out needs a session; it ends it.
    let (code, _) = app
        .request("DELETE", "/api/v1/session", Vec::new(), &[])
        .await;
    assert_eq!(code, 401);
    let (code, _) = session_request(
        &app,
        "DELETE",
        "/api/v1/session",
        Value::Null,
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 204);
    let (code, _) = session_request(&app, "GET", "/api/v1/me", Value::Null, &session, None).await;
    assert_eq!(code, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_out_and_the_login_rate_limit() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[42; 32]);
    app.register("sup-y", "supplier", &key, "bidder_representative")
        .await;
    app.user("sup-y", "rep@sup-y.example", "bidder_representative")
        .await;
    for _ in 0..5 {
        let (code, _) = login_raw(&app, "rep@sup-y.example", "guess guess guess", None).await;
        assert_eq!(code, 401);
    }
    // Locked: even the right password is refused for now, with the answer an address
    // without an account gets, so a lock tells nobody that the account exists.
    let (code, locked) = login_raw(&app, "rep@sup-y.example", PASSWORD, None).await;
    assert_eq!(code, 401, "{locked}");
    let (code, nobody) = login_raw(&app, "nobody@example.org", "whatever whatever", None).await;
    assert_eq!(code, 401);
    assert_eq!(locked, nobody);
    assert!(
        locked["detail"]
            .as_str()
            .unwrap()
            .contains("locked for 15 minutes"),
        "{locked}"
    );
    let locked_until: Option<chrono::DateTime<chrono::Utc>> = {
        use diesel::prelude::*;
        let mut conn = PgConnection::establish(&app.database_url).unwrap();
        vitrine_server::db::schema::users::table
            .filter(vitrine_server::db::schema::users::email.eq("rep@sup-y.example"))
            .select(vitrine_server::db::schema::users::locked_until)
            .first(&mut conn)
            .unwrap()
    };
    assert!(locked_until.is_some_and(|t| t > chrono::Utc::now()));
    // Ten attempts a minute from one address; the eleventh is refused before any check.
    for _ in 0..3 {
        let (code, _) = login_raw(&app, "nobody@example.org", "whatever whatever", None).await;
        assert_eq!(code, 401);
    }
    let (code, body) = login_raw(&app, "nobody@example.org", "whatever whatever", None).await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(body["type"], "https://vitrine.dev/problems/rate-limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn officers_need_a_second_factor() {
    let app = spawn_app().await;
    let key = SigningKey::from_bytes(&[43; 32]);
    app.register("buyer-z", "buyer", &key, "procurement_officer")
        .await;
    app.user("buyer-z", "officer@buyer-z.example", "procurement_officer")
        .await;
    let (code, body) = login_raw(&app, "officer@buyer-z.example", PASSWORD, None).await;
    assert_eq!(code, 200);
    assert_eq!(body["totp_required"], true);
    let (session, csrf) = app.log_in("officer@buyer-z.example", PASSWORD, None).await;
    // Until it is set up, the officer cannot act.
    let (code, body) = session_request(
        &app,
        "POST",
        "/api/v1/me/tokens",
        json!({"name": "x"}),
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 403);
    assert_eq!(body["type"], "https://vitrine.dev/problems/totp-required");
    let (code, enrolment) = session_request(
        &app,
        "POST",
        "/api/v1/me/totp",
        Value::Null,
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 201, "{enrolment}");
    let secret = base32_decode(enrolment["secret"].as_str().unwrap());
    assert!(
        enrolment["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let (code, _) = session_request(
        &app,
        "POST",
        "/api/v1/me/totp/confirm",
        json!({"code": "000000"}),
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 422);
    let now = chrono::Utc::now().timestamp();
    let code_now = format!(
        "{:06}",
        vitrine_server::auth::totp(&secret, vitrine_server::auth::totp_step(now))
    );
    let (code, body) = session_request(
        &app,
        "POST",
        "/api/v1/me/totp/confirm",
        json!({"code": code_now}),
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 204, "{body}");
    let (code, _) = session_request(
        &app,
        "POST",
        "/api/v1/me/totp",
        Value::Null,
        &session,
        Some(&csrf),
    )
    .await;
    assert_eq!(code, 409, "a second factor is already set up");
    // Now logging in needs a fresh code: none, the one already used, then the next.
    let (code, body) = login_raw(&app, "officer@buyer-z.example", PASSWORD, None).await;
    assert_eq!(
        (code, body["type"].as_str()),
        (401, Some("https://vitrine.dev/problems/totp-required"))
    );
    let (code, _) = login_raw(&app, "officer@buyer-z.example", PASSWORD, Some(&code_now)).await;
    assert_eq!(code, 401, "a code works once");
    let next = format!(
        "{:06}",
        vitrine_server::auth::totp(&secret, vitrine_server::auth::totp_step(now) + 1)
    );
    let (code, body) = login_raw(&app, "officer@buyer-z.example", PASSWORD, Some(&next)).await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn who_may_create_users() {
    let app = spawn_app().await;
    let a = SigningKey::from_bytes(&[44; 32]);
    let b = SigningKey::from_bytes(&[45; 32]);
    app.register("sup-a", "supplier", &a, "organisation_admin")
        .await;
    app.register("sup-b", "supplier", &b, "organisation_admin")
        .await;
    let token = app
        .api_token("sup-a", "admin@sup-a.example", "organisation_admin")
        .await;
    let bearer = format!("Bearer {token}");
    let create = |organisation: &str, email: &str, role: &str, password: &str| {
        json!({"organisation": organisation, "email": email, "display_name": "新用户", "role": role, "password": password})
            .to_string()
            .into_bytes()
    };
    let headers = [("authorization", bearer.as_str())];
    let (code, _) = app
        .request(
            "POST",
            "/api/v1/users",
            create(
                "sup-b",
                "x@sup-b.example",
                "bidder_representative",
                PASSWORD,
            ),
            &headers,
        )
        .await;
    assert_eq!(code, 403, "an administrator of another organisation");
    let (code, body) = app
        .request(
            "POST",
            "/api/v1/users",
            create("sup-a", "x@sup-a.example", "bidder_representative", "short"),
            &headers,
        )
        .await;
    assert_eq!(
        (code, body["type"].as_str()),
        (422, Some("https://vitrine.dev/problems/weak-password"))
    );
    let (code, _) = app
        .request(
            "POST",
            "/api/v1/users",
            create("sup-a", "x@sup-a.example", "supervisor", PASSWORD),
            &headers,
        )
        .await;
    assert_eq!(code, 422, "a supplier has no supervisor");
    let (code, body) = app
        .request(
            "POST",
            "/api/v1/users",
            create(
                "sup-a",
                "x@sup-a.example",
                "bidder_representative",
                PASSWORD,
            ),
            &headers,
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let (code, _) = app
        .request(
            "POST",
            "/api/v1/users",
            create(
                "sup-a",
                "X@sup-a.example",
                "bidder_representative",
                PASSWORD,
            ),
            &headers,
        )
        .await;
    assert_eq!(code, 409, "the address is taken");
    let (code, _) = login_raw(&app, "x@sup-a.example", PASSWORD, None).await;
    assert_eq!(code, 200);
    // An administrator of the platform's own organisation makes its staff, but no
    // platform administrator: only those make more of themselves.
    let platform_admin = app
        .api_token(
            "platform",
            "org-admin@platform.example",
            "organisation_admin",
        )
        .await;
    let bearer = format!("Bearer {platform_admin}");
    let (code, body) = app
        .request(
            "POST",
            "/api/v1/users",
            create(
                "platform",
                "root@platform.example",
                "platform_admin",
                PASSWORD,
            ),
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(code, 403, "{body}");
    let (code, _) = login_raw(&app, "root@platform.example", PASSWORD, None).await;
    assert_eq!(code, 401, "and made no account");
}

/// A request with an `Authorization` header; answers the status and the answer.
async fn authorised(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Vec<u8>,
    authorization: &str,
) -> (u16, Value) {
    app.request(method, path, body, &[("authorization", authorization)])
        .await
}

/// Posts an application to register; answers the status and the answer.
async fn apply(app: &TestApp, statement: &Value, email: &str, password: &str) -> (u16, Value) {
    let application = json!({
        "statement": statement,
        "administrator": {"email": email, "display_name": "王经理", "password": password},
    });
    app.request(
        "POST",
        "/api/v1/registrations",
        application.to_string().into_bytes(),
        &[],
    )
    .await
}

/// Applications in the table: a refusal must leave it alone.
async fn applications(app: &TestApp) -> i64 {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        vitrine_server::db::schema::registrations::table
            .count()
            .get_result(&mut conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// An application naming an organisation's id and (public) credit code, filed before the
/// platform registers that organisation, must not make its applicant that organisation's
/// administrator when it is approved later: the approval is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_application_never_takes_over_an_organisation_registered_since() {
    let app = spawn_app().await;
    let reviewer = app
        .api_token("platform", "reviewer@platform.example", "platform_admin")
        .await;
    let reviewer = format!("Bearer {reviewer}");
    let code = crate::common::app::credit_code_for("xm-czj");
    let evil = SigningKey::from_bytes(&[160; 32]);
    let claim =
        json!({"id": "xm-czj", "name": "厦门市财政局", "kind": "supplier", "credit_code": code});
    let statement = crate::common::signed("organisation.registered", "xm-czj", claim, &[&evil]);
    let (status, filed) = apply(&app, &statement, "evil@evil.example", PASSWORD).await;
    assert_eq!(status, 201, "{filed}");
    // The platform then registers the real organisation, a buyer with that code.
    let buyer =
        json!({"id": "xm-czj", "name": "厦门市财政局", "kind": "buyer", "credit_code": code});
    let registered =
        crate::common::signed("organisation.registered", "xm-czj", buyer, &[&app.admin]);
    assert_eq!(app.post(&registered).await.0, 201);
    let before = app.snapshot().await;
    let approve = format!("/api/v1/registrations/{}/approve", filed["id"]);
    let (status, refused) = authorised(&app, "POST", &approve, Vec::new(), &reviewer).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("not by this application"),
        "{refused}"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "the refused approval changed the tables"
    );
    let (_, organisation) = app.get("/api/v1/organisations/xm-czj").await;
    assert_eq!(organisation["kind"], "buyer");
    assert_eq!(
        organisation["keys"].as_array().map(Vec::len),
        Some(0),
        "{organisation}"
    );
    let (status, _) = login_raw(&app, "evil@evil.example", PASSWORD, None).await;
    assert_eq!(status, 401, "no account was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn suppliers_apply_and_the_platform_approves() {
    let app = spawn_app().await;
    let reviewer = app
        .api_token("platform", "reviewer@platform.example", "platform_admin")
        .await;
    let reviewer = format!("Bearer {reviewer}");
    app.register(
        "sup-old",
        "supplier",
        &SigningKey::from_bytes(&[151; 32]),
        "bidder_representative",
    )
    .await;
    let key = SigningKey::from_bytes(&[150; 32]);
    let body = |id: &str, kind: &str| json!({"id": id, "name": "福建新材料有限公司", "kind": kind, "credit_code": crate::common::app::credit_code_for(id)});
    let statement = crate::common::signed(
        "organisation.registered",
        "sup-new",
        body("sup-new", "supplier"),
        &[&key],
    );
    let password = "correct horse battery staple";

    // Refusals, each a problem that stores nothing.
    let mut tampered = statement.clone();
    tampered["statement"]["body"]["name"] = json!("别的公司");
    let mut bad_code = body("sup-new", "supplier");
    let code = bad_code["credit_code"].as_str().unwrap().to_owned();
    let wrong_check = if code.ends_with('0') { "1" } else { "0" };
    bad_code["credit_code"] = json!(format!("{}{wrong_check}", &code[..17]));
    let other_key = SigningKey::from_bytes(&[152; 32]);
    for (statement, email, password, status, needle) in [
        (tampered, "boss@new.example", password, 422, "signature"),
        (
            crate::common::signed("organisation.registered", "sup-new", bad_code, &[&key]),
            "boss@new.example",
            password,
            422,
            "credit_code",
        ),
        (
            crate::common::signed(
                "organisation.registered",
                "bur-new",
                body("bur-new", "buyer"),
                &[&key],
            ),
            "boss@new.example",
            password,
            422,
            "suppliers register themselves",
        ),
        (
            crate::common::signed(
                "organisation.registered",
                "sup-new",
                body("sup-new", "supplier"),
                &[&key, &other_key],
            ),
            "boss@new.example",
            password,
            422,
            "alone",
        ),
        (
            statement.clone(),
            "boss@new.example",
            "short",
            422,
            "at least",
        ),
        (
            crate::common::signed(
                "organisation.registered",
                "sup-old",
                body("sup-old", "supplier"),
                &[&key],
            ),
            "boss@new.example",
            password,
            409,
            "already registered",
        ),
    ] {
        let (code, problem) = apply(&app, &statement, email, password).await;
        assert_eq!(code, status, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(needle),
            "expected {needle:?} in {problem}"
        );
        assert_eq!(applications(&app).await, 0);
    }

    // The application waits for review; the applicant cannot log in yet.
    let (code, answer) = apply(&app, &statement, "Boss@New.example", password).await;
    assert_eq!(code, 201, "{answer}");
    assert_eq!(answer["status"], "pending");
    let number = answer["id"].as_i64().unwrap();
    let (code, problem) = apply(&app, &statement, "other@new.example", password).await;
    assert_eq!(code, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("waiting for review")
    );
    assert_eq!(
        login_raw(&app, "boss@new.example", password, None).await.0,
        401
    );

    // Only platform administrators review.
    let bidder = app
        .api_token("sup-old", "rep@sup-old.example", "bidder_representative")
        .await;
    let bidder = format!("Bearer {bidder}");
    let approve = format!("/api/v1/registrations/{number}/approve");
    assert_eq!(
        authorised(&app, "POST", &approve, Vec::new(), &bidder)
            .await
            .0,
        403
    );
    assert_eq!(app.request("POST", &approve, Vec::new(), &[]).await.0, 401);
    let (code, listed) = authorised(
        &app,
        "GET",
        "/api/v1/registrations?status=pending",
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(code, 200, "{listed}");
    let listed = &listed["registrations"][0];
    assert_eq!(listed["organisation"], "sup-new");
    assert_eq!(listed["administrator"]["email"], "boss@new.example");
    assert_eq!(
        listed["public_key"],
        crate::common::base64(key.verifying_key().as_bytes())
    );

    // Approved: the organisation and its key are on the log, and the account works.
    let (code, approved) = authorised(&app, "POST", &approve, Vec::new(), &reviewer).await;
    assert_eq!(code, 200, "{approved}");
    let (code, organisation) = app.get("/api/v1/organisations/sup-new").await;
    assert_eq!(code, 200, "{organisation}");
    assert_eq!(organisation["kind"], "supplier");
    assert_eq!(organisation["keys"][0]["role"], "organisation_admin");
    assert_eq!(
        login_raw(&app, "boss@new.example", password, None).await.0,
        200
    );
    // The applicant's key acts for it: it registers a bidder's key.
    app.register_key(
        "sup-new",
        &SigningKey::from_bytes(&[153; 32]),
        "bidder_representative",
        &key,
    )
    .await;
    let (code, problem) = authorised(&app, "POST", &approve, Vec::new(), &reviewer).await;
    assert_eq!(code, 409, "{problem}");

    // Rejected, with a reason, once.
    let (code, answer) = apply(
        &app,
        &crate::common::signed(
            "organisation.registered",
            "sup-rej",
            body("sup-rej", "supplier"),
            &[&other_key],
        ),
        "boss@rej.example",
        password,
    )
    .await;
    assert_eq!(code, 201, "{answer}");
    let reject = format!("/api/v1/registrations/{}/reject", answer["id"]);
    // A rejection needs a reason; without one the application stays pending.
    for (bad, status) in [(json!({"reason": "  "}), 422), (json!({}), 400)] {
        let (code, problem) = authorised(
            &app,
            "POST",
            &reject,
            bad.to_string().into_bytes(),
            &reviewer,
        )
        .await;
        assert_eq!(code, status, "{problem}");
    }
    let (_, pending) = authorised(
        &app,
        "GET",
        "/api/v1/registrations?status=pending",
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(pending["registrations"][0]["organisation"], "sup-rej");
    let (code, problem) = authorised(
        &app,
        "GET",
        "/api/v1/registrations?status=maybe",
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(code, 400, "{problem}");
    // Whoever is not a reviewer learns nothing of the query, bad or not.
    for query in ["status=maybe", "status=pending&status=rejected"] {
        let path = format!("/api/v1/registrations?{query}");
        let (code, problem) = app.request("GET", &path, Vec::new(), &[]).await;
        assert_eq!(code, 401, "{query}: {problem}");
    }
    let reason = json!({"reason": "营业执照信息与信用代码不符"})
        .to_string()
        .into_bytes();
    for expected in [200, 404] {
        let (code, answer) = authorised(&app, "POST", &reject, reason.clone(), &reviewer).await;
        assert_eq!(code, expected, "{answer}");
    }
    let (_, rejected) = authorised(
        &app,
        "GET",
        "/api/v1/registrations?status=rejected",
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(
        rejected["registrations"][0]["reason"],
        "营业执照信息与信用代码不符"
    );
    assert_eq!(app.get("/api/v1/organisations/sup-rej").await.0, 404);
    app.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_application_does_not_tell_whether_an_address_has_an_account() {
    let app = spawn_app().await;
    let reviewer = app
        .api_token("platform", "reviewer@platform.example", "platform_admin")
        .await;
    let reviewer = format!("Bearer {reviewer}");
    app.user("platform", "taken@vitrine.example", "platform_admin")
        .await;
    let password = "correct horse battery staple";
    let application = |id: &str, seed: u8| {
        crate::common::signed(
            "organisation.registered",
            id,
            json!({"id": id, "name": "福建新材料有限公司", "kind": "supplier", "credit_code": crate::common::app::credit_code_for(id)}),
            &[&SigningKey::from_bytes(&[seed; 32])],
        )
    };
    // The same answer for an address with an account and one without, twice over.
    let (code, taken) = apply(
        &app,
        &application("sup-t", 160),
        "taken@vitrine.example",
        password,
    )
    .await;
    assert_eq!(code, 201, "{taken}");
    let (code, fresh) = apply(
        &app,
        &application("sup-f", 161),
        "fresh@vitrine.example",
        password,
    )
    .await;
    assert_eq!(code, 201, "{fresh}");
    let (code, again) = apply(
        &app,
        &application("sup-g", 162),
        "fresh@vitrine.example",
        password,
    )
    .await;
    assert_eq!(code, 201, "{again}");
    let shape = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (keys, v["status"].clone())
    };
    assert_eq!(shape(&taken), shape(&fresh));
    assert_eq!(shape(&taken), shape(&again));

    // The reviewer learns it, and approving logs nothing.
    let (_, log) = app.get("/api/v1/log").await;
    let (code, problem) = authorised(
        &app,
        "POST",
        &format!("/api/v1/registrations/{}/approve", taken["id"]),
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(code, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("already has an account"),
        "{problem}"
    );
    let (_, after) = app.get("/api/v1/log").await;
    assert_eq!(log["size"], after["size"]);
    assert_eq!(app.get("/api/v1/organisations/sup-t").await.0, 404);
    // The first of two applications with one address is approved; then the second is not.
    let (code, approved) = authorised(
        &app,
        "POST",
        &format!("/api/v1/registrations/{}/approve", fresh["id"]),
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(code, 200, "{approved}");
    let (code, _) = authorised(
        &app,
        "POST",
        &format!("/api/v1/registrations/{}/approve", again["id"]),
        Vec::new(),
        &reviewer,
    )
    .await;
    assert_eq!(code, 409);
    assert_eq!(app.get("/api/v1/organisations/sup-g").await.0, 404);
}
