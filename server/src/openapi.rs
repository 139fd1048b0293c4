//! The OpenAPI document of the HTTP API.

use actix_web::HttpResponse;
use serde_json::{Value, json};

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Vitrine",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Signed statements in a publicly verifiable log. Formats: DESIGN.md, \"The log\"; the log itself is served as C2SP tlog-tiles under /log/.",
        },
        "paths": {
            "/api/v1/statements": {"post": {
                "summary": "Append a signed statement; answers its receipt. Idempotent: the same signed statement again answers 200 with the same entry.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignedStatement"}}}},
                "responses": {
                    "201": {"description": "Appended", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "200": {"description": "Already in the log", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "400": problem("invalid-json: not JSON, or duplicate member names"),
                    "403": problem("unauthorized-signer: a key is unknown, revoked, or not allowed to sign this kind"),
                    "409": problem("rule-violation: the statement breaks a rule of the current state"),
                    "413": problem("too-large: the entry would exceed 65,535 bytes"),
                    "422": problem("invalid-statement, floating-point, unsigned, bad-signature, unknown-kind, invalid-body, clock-skew"),
                    "503": problem("unavailable: the sequencer is not ready"),
                },
            }},
            "/api/v1/entries/{index}": {"get": {"summary": "An entry, its leaf hash and logged_at.", "parameters": [{"name": "index", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}], "responses": {"200": {"description": "The entry"}, "404": problem("not-found")}}},
            "/api/v1/entries/{index}/receipt": {"get": {"summary": "A receipt proving the entry against the newest checkpoint.", "parameters": [{"name": "index", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}], "responses": {"200": {"description": "The receipt", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}}, "404": problem("not-found")}}},
            "/api/v1/proofs/consistency": {"get": {"summary": "A consistency proof between two tree sizes (RFC 9162).", "parameters": [
                {"name": "from", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 0}},
                {"name": "to", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}}],
                "responses": {"200": {"description": "The proof"}, "400": problem("invalid-range")}}},
            "/api/v1/keys": {"get": {"summary": "A key in the directory.", "parameters": [{"name": "public_key", "in": "query", "required": true, "schema": {"type": "string", "format": "byte"}}], "responses": {"200": {"description": "The key"}, "404": problem("not-found")}}},
            "/api/v1/organisations/{id}": {"get": {"summary": "An organisation and its keys.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The organisation"}, "404": problem("not-found")}}},
            "/api/v1/tenders": {"get": {"summary": "Tenders, newest first; filter by status and buyer; page with next_before.", "parameters": [
                {"name": "status", "in": "query", "required": false, "schema": {"type": "string", "enum": ["active.enquiries", "active.tendering", "opening", "evaluation", "awarded", "contracted", "complete", "cancelled", "unsuccessful"]}},
                {"name": "buyer", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "before", "in": "query", "required": false, "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                "responses": {"200": {"description": "A page of tenders"}, "400": problem("invalid-query")}}},
            "/api/v1/tenders/{id}": {"get": {"summary": "A tender: its status, the tender as published, the number of bids (whose, only after the deadline), awards, contracts and payments.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The tender"}, "404": problem("not-found")}}},
            "/api/v1/ocds/releases": {"get": {"summary": "OCDS 1.1 release package: every release after entry `since`, in log order (the feed and the bulk dump; follow links.next).", "parameters": [
                {"name": "since", "in": "query", "required": false, "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
                "responses": {"200": {"description": "A release package"}, "400": problem("invalid-query")}}},
            "/api/v1/ocds/tenders/{id}/releases": {"get": {"summary": "A tender's OCDS releases, one per log entry that changed it.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "A release package"}, "404": problem("not-found")}}},
            "/api/v1/ocds/tenders/{id}/record": {"get": {"summary": "A tender's OCDS record, with its compiled release.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "A record package"}, "404": problem("not-found")}}},
            "/api/v1/session": {
                "post": {"summary": "Log in: {email, password, totp?}. Sets the HttpOnly, SameSite=Strict session cookie and answers the CSRF token that changes made with it must carry in X-CSRF-Token.", "responses": {"200": {"description": "The user and the CSRF token"}, "401": problem("unauthenticated or totp-required"), "429": problem("account-locked or rate-limited")}},
                "delete": {"summary": "Log out.", "responses": {"204": {"description": "Logged out"}, "401": problem("unauthenticated"), "403": problem("csrf")}}},
            "/api/v1/me": {"get": {"summary": "The caller (session cookie or Authorization: Bearer token).", "responses": {"200": {"description": "The user"}, "401": problem("unauthenticated")}}},
            "/api/v1/me/tokens": {
                "post": {"summary": "A new API token {name}; shown once.", "responses": {"201": {"description": "The token"}, "401": problem("unauthenticated"), "403": problem("csrf or totp-required")}},
                "get": {"summary": "The caller's API tokens (without their secrets).", "responses": {"200": {"description": "The tokens"}, "401": problem("unauthenticated")}}},
            "/api/v1/me/tokens/{id}": {"delete": {"summary": "Revoke an API token.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"204": {"description": "Revoked"}, "404": problem("not-found")}}},
            "/api/v1/me/totp": {"post": {"summary": "Start TOTP enrolment: a secret and an otpauth URI for an authenticator app.", "responses": {"201": {"description": "The secret"}, "409": problem("rule-violation: already set up")}}},
            "/api/v1/me/totp/confirm": {"post": {"summary": "Confirm TOTP with a current code {code}; from then on logging in needs one.", "responses": {"204": {"description": "Enabled"}, "422": problem("totp-mismatch")}}},
            "/api/v1/me/statements": {"get": {"summary": "The anonymous statements (sealed bids, withdrawals, questions) the caller's organisation sent: private to it.", "responses": {"200": {"description": "The statements"}, "401": problem("unauthenticated")}}},
            "/api/v1/me/notifications": {"get": {"summary": "The caller's notifications, newest first: an amendment, an answer, an award or a cancellation of a tender its organisation bid on or asked about. Each has the entry, the tender and a summary in zh and en; `unread` counts those not yet read.", "parameters": [
                {"name": "unread", "in": "query", "schema": {"type": "boolean"}},
                {"name": "before", "in": "query", "schema": {"type": "integer"}, "description": "Older than this notification (next_before of the previous page)."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}],
                "responses": {"200": {"description": "The notifications"}, "400": problem("invalid-query"), "401": problem("unauthenticated")}}},
            "/api/v1/me/notifications/{id}/read": {"post": {"summary": "Mark one of the caller's notifications read.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"204": {"description": "Read"}, "401": problem("unauthenticated"), "403": problem("csrf"), "404": problem("not-found")}}},
            "/api/v1/users": {"post": {"summary": "Create a user {organisation, email, display_name, role, password}: by a platform administrator, or by an organisation's administrator for their own organisation.", "responses": {"201": {"description": "Created"}, "403": problem("forbidden"), "409": problem("rule-violation: the address is taken"), "422": problem("invalid-user or weak-password")}}},
            "/api/v1/documents": {"post": {"summary": "Upload a document (any account; the body is the content, Content-Type its media type, at most 20 MiB). Addressed by its SHA-256: the same content twice is one document.", "responses": {"201": {"description": "Stored: its sha256 and URL"}, "200": {"description": "Already stored"}, "401": problem("unauthenticated"), "403": problem("csrf"), "413": problem("too-large"), "422": problem("invalid-document")}}},
            "/api/v1/documents/{sha256}": {"get": {"summary": "A document's content. Public once a logged statement names it (a tender's documents, a revealed bid's, a report, a contract); before that, only its uploader's organisation can read it.", "parameters": [{"name": "sha256", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}], "responses": {"200": {"description": "The content"}, "404": problem("not-found")}}},
            "/api/v1/log": {"get": {"summary": "The log's origin, checkpoint verifier key, platform key, size and statement kinds.", "responses": {"200": {"description": "The log"}}}},
            "/log/checkpoint": {"get": {"summary": "The newest signed checkpoint (C2SP tlog-checkpoint).", "responses": {"200": {"description": "The checkpoint", "content": {"text/plain": {}}}}}},
            "/log/tile/{path}": {"get": {"summary": "Hash tiles and entry bundles (C2SP tlog-tiles).", "parameters": [{"name": "path", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The tile", "content": {"application/octet-stream": {}}}, "404": problem("not-found")}}},
            "/healthz": {"get": {"summary": "The process is alive.", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "The database answers.", "responses": {"200": {"description": "ready"}, "503": problem("unavailable")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {"200": {"description": "metrics", "content": {"text/plain": {}}}}}},
        },
        "components": {"schemas": {
            "Problem": {"type": "object", "description": "RFC 9457 problem details", "required": ["type", "title", "status", "detail"], "properties": {
                "type": {"type": "string", "format": "uri"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}},
            "Statement": {"type": "object", "required": ["kind", "subject", "body", "issued_at"], "properties": {
                "kind": {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$"},
                "subject": {"type": "string", "minLength": 1, "maxLength": 256},
                "body": {"type": "object"},
                "issued_at": {"type": "string", "format": "date-time", "description": "RFC 3339 UTC with Z"}}},
            "SignedStatement": {"type": "object", "required": ["statement", "signatures"], "properties": {
                "statement": {"$ref": "#/components/schemas/Statement"},
                "signatures": {"type": "array", "minItems": 1, "maxItems": 16, "items": {"type": "object", "required": ["public_key", "sig"], "properties": {
                    "public_key": {"type": "string", "format": "byte"}, "sig": {"type": "string", "format": "byte", "description": "Ed25519 over \"vitrine/statement/v1\\n\" || JCS(statement)"}}}}}},
            "Receipt": {"type": "object", "required": ["index", "leaf_hash", "logged_at", "checkpoint", "inclusion_proof"], "properties": {
                "index": {"type": "integer"}, "leaf_hash": {"type": "string", "format": "byte"}, "logged_at": {"type": "string", "format": "date-time"},
                "checkpoint": {"type": "string", "description": "C2SP signed note"}, "inclusion_proof": {"type": "array", "items": {"type": "string", "format": "byte"}},
                "entry": {"type": "object"}}},
        }},
    }))
}
