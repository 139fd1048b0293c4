//! The OpenAPI document of the HTTP API.

use crate::error::ProblemType;
use actix_web::HttpResponse;
use serde_json::{Value, json};

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}

/// The OpenAPI document.
pub fn spec() -> Value {
    let mut schemas = serde_json::Map::new();
    // The body of every statement kind, named after the kind, as the kind declares it.
    let registry = crate::domain::Registry::new();
    for name in registry.names() {
        if let Some(kind) = registry.get(name) {
            schemas.insert(name.to_owned(), kind.body_schema());
        }
    }
    let mut spec = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Vitrine",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Signed statements in a publicly verifiable log. Formats: DESIGN.md, \"The log\"; the log itself is served as C2SP tlog-tiles under /log/.",
        },
        "paths": {
            "/api/v1/statements": {"post": {
                "summary": "Append a signed statement; answers its receipt. Idempotent: the same signed statement again answers 200 with the same entry.",
                "description": "The body of each kind is the schema named after the kind in components/schemas (e.g. `tender.published`), which also says who signs it and when. Anonymous kinds (bid.committed, bid.withdrawn, enquiry.asked) need a bidder representative's session or API token.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignedStatement"}}}},
                "responses": {
                    "201": {"description": "Appended", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "200": {"description": "Already in the log", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "400": problem("invalid-json: not JSON, or duplicate member names"),
                    "403": problem("unauthorized-signer: a key is unknown, revoked, or not allowed to sign this kind; forbidden or csrf: an anonymous kind (a sealed bid, a question) sent by an account that may not bid, or by a session without its CSRF token"),
                    "409": problem("rule-violation: the statement breaks a rule of the current state"),
                    "413": problem("too-large: the entry would exceed 65,535 bytes"),
                    "422": problem("invalid-statement, floating-point, unsigned, bad-signature, unknown-kind, invalid-body, clock-skew"),
                    "503": problem("unavailable: the sequencer is not ready"),
                },
            }},
            "/api/v1/entries/{index}": {"get": {"summary": "An entry, its leaf hash and logged_at.", "parameters": [{"name": "index", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}], "responses": {"200": {"description": "The entry"}, "404": problem("not-found")}}},
            "/api/v1/entries/{index}/receipt": {"get": {"summary": "A receipt proving the entry against the newest checkpoint.", "parameters": [{"name": "index", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}], "responses": {"200": {"description": "The receipt", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}}, "404": problem("not-found")}}},
            "/api/v1/entries/{index}/proof": {"get": {"summary": "The same receipt as a C2SP tlog-proof file (index, inclusion proof, checkpoint).", "parameters": [{"name": "index", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}], "responses": {"200": {"description": "The proof", "content": {"text/plain": {}}}, "400": problem("invalid-index"), "404": problem("not-found")}}},
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
            "/api/v1/funds": {"get": {"summary": "Charity funds, newest first; filter by charity and status; page with next_before. Amounts are decimal strings.", "parameters": [
                {"name": "charity", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "status", "in": "query", "required": false, "schema": {"type": "string", "enum": ["open", "closed"]}},
                {"name": "before", "in": "query", "required": false, "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                "responses": {"200": {"description": "A page of funds"}, "400": problem("invalid-query")}}},
            "/api/v1/funds/{id}": {"get": {"summary": "A fund: its purpose, period, approval policy, balance and totals, disclosures and disclosure calendar (民政部令第81号: what is due, done, late or overdue), money in by channel and out by recipient.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The fund"}, "404": problem("not-found")}}},
            "/api/v1/funds/{id}/donations": {
                "get": {"summary": "A fund's donations, oldest first (their numbers are the order of first in, first out): amount, what is left of it, channel and reference, the donor's commitment, and their name only if they agreed to be named. Page with after=next_after.", "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    {"name": "entry", "in": "query", "required": false, "schema": {"type": "integer"}, "description": "Only the donation logged by this entry (a donor's receipt names its entry)."}],
                    "responses": {"200": {"description": "A page of donations"}, "400": problem("invalid-query"), "404": problem("not-found")}},
                "post": {"summary": "Record a donation (a charity's officer or administrator, session with CSRF token or API token): {statement: a signed donation.recorded about this fund, donor: {data: {...}, salt: 64 hex digits, public_name?}}. The donor's data and salt go to the vault (off the log, erasable); they must open the statement's body.donor commitment. Answers the receipt, the donation's number and the donor receipt's URL.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["statement"], "properties": {"statement": {"$ref": "#/components/schemas/SignedStatement"}, "donor": {"type": "object", "required": ["data", "salt"], "properties": {"data": {"type": "object"}, "salt": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "public_name": {"type": "string", "minLength": 1, "maxLength": 200}}, "additionalProperties": false}}, "additionalProperties": false}}}},
                    "responses": {"201": {"description": "Recorded"}, "200": {"description": "Already in the log"}, "400": problem("invalid-json"), "401": problem("unauthenticated"), "403": problem("forbidden, csrf or totp-required; unauthorized-signer"), "404": problem("not-found"), "409": problem("rule-violation"), "413": problem("too-large"), "422": problem("invalid-body, invalid-statement, bad-signature, unknown-kind, clock-skew, invalid-text"), "503": problem("unavailable")}}},
            "/api/v1/funds/{id}/donations/{seq}": {"get": {"summary": "Where a donation went: the disbursements that took from it (first in, first out), how much each, their evidence, approvals and acknowledgements; for a disbursement to another fund, `continues` traces the donation it became there (up to 8 funds on). The parts come in the order they were paid, at most `limit` in all across funds; `more` says a donation had more, and `next_after` is the entry to page on from with after=next_after.", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "seq", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
                {"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}, "description": "The entry of the last part shown (the trace's next_after)."},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                "responses": {"200": {"description": "The trace"}, "400": problem("invalid-index or invalid-query"), "404": problem("not-found")}}},
            "/api/v1/funds/{id}/donations/{seq}/receipt": {"get": {"summary": "The donor's receipt, for the fund's own charity's officers to give the donor: a C2SP tlog-proof (text) of the donation's entry whose extra data is the JCS of {entry, donor, salt}, so the donor can check it offline (`vitrine check-donation`) and prove the gift without revealing anyone else. Once the donor's data is erased, the receipt no longer opens the commitment.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "seq", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}], "responses": {"200": {"description": "The receipt", "content": {"text/plain": {}}}, "400": problem("invalid-index"), "401": problem("unauthenticated"), "403": problem("forbidden or totp-required"), "404": problem("not-found")}}},
            "/api/v1/funds/{id}/disbursements": {"get": {"summary": "A fund's disbursements in the order proposed: amount, recipient, purpose, evidence, approvals, execution and acknowledgement. Until one is paid, `approvals_active` counts its approvals by keys still active, `payable` says whether they meet the policy, and an approval by a key revoked since says `revoked: true`.", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
                "responses": {"200": {"description": "A page of disbursements"}, "400": problem("invalid-query"), "404": problem("not-found")}},
                "post": {"summary": "Propose a disbursement (a charity's officer or administrator, session with CSRF token or API token): {statement: a signed disbursement.proposed about this fund, person?: {data: {...}, salt: 64 hex digits}}. For a disbursement to a person, their data and salt go to the vault (off the log, erasable, as a donor's); they must open body.recipient.person. Answers the receipt and the disbursement's number.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["statement"], "properties": {"statement": {"$ref": "#/components/schemas/SignedStatement"}, "person": {"type": "object", "required": ["data", "salt"], "properties": {"data": {"type": "object"}, "salt": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}, "additionalProperties": false}}, "additionalProperties": false}}}},
                    "responses": {"201": {"description": "Proposed"}, "200": {"description": "Already in the log"}, "400": problem("invalid-json"), "401": problem("unauthenticated"), "403": problem("forbidden, csrf or totp-required; unauthorized-signer"), "404": problem("not-found"), "409": problem("rule-violation"), "413": problem("too-large"), "422": problem("invalid-body, invalid-statement, bad-signature, unknown-kind, clock-skew, invalid-text"), "503": problem("unavailable")}}},
            "/api/v1/funds/{id}/disbursements/{seq}": {"get": {"summary": "Where a disbursement's money came from: the donations it took from, oldest first, and how much of each (a transfer from another fund names that fund and disbursement). Page with after=next_after.", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "seq", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
                {"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}],
                "responses": {"200": {"description": "The trace"}, "400": problem("invalid-index or invalid-query"), "404": problem("not-found")}}},
            "/api/v1/funds/{id}/ledger": {"get": {"summary": "A fund's money in and out and its balance at the end of each day (UTC), oldest first (the newest 20,000 days).", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The ledger"}, "404": problem("not-found")}}},
            "/api/v1/funds/{id}/export.json": {"get": {"summary": "Every transaction of the fund in log order, streamed: IATI transaction types (1 Incoming Funds, 3 Disbursement), provider and receiver activity ids for transfers between funds.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The export", "content": {"application/json": {}}}, "404": problem("not-found")}}},
            "/api/v1/funds/{id}/export.csv": {"get": {"summary": "The same as CSV (UTF-8, one header line).", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The export", "content": {"text/csv": {}}}, "404": problem("not-found")}}},
            "/api/v1/donors/{commitment}/erase": {"post": {"summary": "Erase a donor's personal data from the vault (PIPL, GDPR): by the charity's administrator or a platform administrator. The log, its proofs and every trace stay valid: they carry only the commitment.", "parameters": [{"name": "commitment", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}], "responses": {"200": {"description": "Erased (or erased already): when"}, "400": problem("invalid-query"), "401": problem("unauthenticated"), "403": problem("csrf or totp-required"), "404": problem("not-found")}}},
            "/api/v1/ocds/releases": {"get": {"summary": "OCDS 1.1 release package: every release after entry `since`, in log order (the feed and the bulk dump; follow links.next).", "parameters": [
                {"name": "since", "in": "query", "required": false, "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
                "responses": {"200": {"description": "A release package"}, "400": problem("invalid-query")}}},
            "/api/v1/ocds/releases.jsonl": {"get": {"summary": "The bulk download: every OCDS release after entry `since`, in log order, one release per line (JSON Lines), streamed; it ends at the log's size when it started.", "parameters": [{"name": "since", "in": "query", "schema": {"type": "integer"}}], "responses": {"200": {"description": "Releases", "content": {"application/x-ndjson": {}}}}}},
            "/api/v1/ocds/tenders/{id}/releases": {"get": {"summary": "A tender's OCDS releases, one per log entry that changed it.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "A release package"}, "404": problem("not-found")}}},
            "/api/v1/ocds/tenders/{id}/record": {"get": {"summary": "A tender's OCDS record, with its compiled release.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "A record package"}, "404": problem("not-found")}}},
            "/api/v1/session": {
                "post": {"summary": "Log in: {email, password, totp?}. Sets the HttpOnly, SameSite=Strict session cookie and answers the CSRF token that changes made with it must carry in X-CSRF-Token.", "responses": {"200": {"description": "The user and the CSRF token"}, "401": problem("unauthenticated or totp-required"), "429": problem("rate-limited: too many attempts from this address (a locked account answers like a wrong password, 401)")}},
                "delete": {"summary": "Log out.", "responses": {"204": {"description": "Logged out"}, "401": problem("unauthenticated"), "403": problem("csrf")}}},
            "/api/v1/me": {"get": {"summary": "The caller (session cookie or Authorization: Bearer token).", "responses": {"200": {"description": "The user"}, "401": problem("unauthenticated")}}},
            "/api/v1/me/tokens": {
                "post": {"summary": "A new API token {name}; shown once.", "responses": {"201": {"description": "The token"}, "401": problem("unauthenticated"), "403": problem("csrf or totp-required")}},
                "get": {"summary": "The caller's API tokens (without their secrets).", "responses": {"200": {"description": "The tokens"}, "401": problem("unauthenticated")}}},
            "/api/v1/me/tokens/{id}": {"delete": {"summary": "Revoke an API token.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"204": {"description": "Revoked"}, "404": problem("not-found")}}},
            "/api/v1/me/totp": {"post": {"summary": "Start TOTP enrolment: a secret and an otpauth URI for an authenticator app.", "responses": {"201": {"description": "The secret"}, "409": problem("conflict: already set up")}}},
            "/api/v1/me/totp/confirm": {"post": {"summary": "Confirm TOTP with a current code {code}; from then on logging in needs one.", "responses": {"204": {"description": "Enabled"}, "422": problem("totp-mismatch")}}},
            "/api/v1/me/statements": {"get": {"summary": "The anonymous statements (sealed bids, withdrawals, questions) the caller's organisation sent: private to it.", "responses": {"200": {"description": "The statements"}, "401": problem("unauthenticated")}}},
            "/api/v1/me/notifications": {"get": {"summary": "The caller's notifications, newest first: an amendment, an answer, an award or a cancellation of a tender its organisation bid on or asked about. Each has the entry, the tender and a summary in zh and en; `unread` counts those not yet read.", "parameters": [
                {"name": "unread", "in": "query", "schema": {"type": "boolean"}},
                {"name": "before", "in": "query", "schema": {"type": "integer"}, "description": "Older than this notification (next_before of the previous page)."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}],
                "responses": {"200": {"description": "The notifications"}, "400": problem("invalid-query"), "401": problem("unauthenticated")}}},
            "/api/v1/me/notifications/{id}/read": {"post": {"summary": "Mark one of the caller's notifications read.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"204": {"description": "Read"}, "401": problem("unauthenticated"), "403": problem("csrf"), "404": problem("not-found")}}},
            "/api/v1/drafts": {"get": {"summary": "The caller's organisation's tenders in draft, newest first (a buyer's procurement officers and administrators). Each says whether it is ready to publish and what is missing.", "responses": {"200": {"description": "The drafts"}, "401": problem("unauthenticated"), "403": problem("forbidden")}}},
            "/api/v1/drafts/{id}": {
                "get": {"summary": "A draft: private to its buyer; not on the log.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The draft, with `ready` and `problems`"}, "403": problem("forbidden"), "404": problem("not-found")}},
                "put": {"summary": "Save a draft, complete or not: the body of a tender.published statement (`id` and `buyer` are filled in). Publish it by signing its body as tender.published; once logged, the draft is gone.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"201": {"description": "Created"}, "200": {"description": "Updated"}, "403": problem("forbidden or csrf"), "409": problem("conflict: the id is taken or already published"), "422": problem("invalid-body")}},
                "delete": {"summary": "Throw a draft away.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"204": {"description": "Deleted"}, "404": problem("not-found")}}},
            "/api/v1/registrations": {
                "post": {"summary": "A supplier applies to register (no account needed; ten a minute per address): {statement, administrator: {email, display_name, password}}, where statement is organisation.registered for the supplier (with its credit code) signed by the key it registers, alone. Nothing is logged until a platform administrator approves.", "responses": {"201": {"description": "Pending review"}, "409": problem("conflict: the id, credit code or key is taken or already waiting (whether the address has an account is not said: the approval checks it)"), "422": problem("invalid-registration or weak-password"), "429": problem("rate-limited")}},
                "get": {"summary": "Applications, oldest first, for platform administrators; ?status=pending|approved|rejected.", "responses": {"200": {"description": "The applications"}, "401": problem("unauthenticated"), "403": problem("forbidden")}}},
            "/api/v1/registrations/{id}/approve": {"post": {"summary": "Approve: the platform logs organisation.registered and key.registered (the applicant's key as its organisation_admin), and the administrator's account is created.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"200": {"description": "Approved"}, "403": problem("forbidden"), "404": problem("not-found"), "409": problem("conflict: already decided, or the administrator's address already has an account; rule-violation: the id or key was taken on the log meanwhile")}}},
            "/api/v1/registrations/{id}/reject": {"post": {"summary": "Reject, with {reason}.", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"200": {"description": "Rejected"}, "403": problem("forbidden"), "404": problem("not-found")}}},
            "/api/v1/users": {"post": {"summary": "Create a user {organisation, email, display_name, role, password}: by a platform administrator, or by an organisation's administrator for their own organisation.", "responses": {"201": {"description": "Created"}, "403": problem("forbidden"), "409": problem("conflict: the address is taken"), "422": problem("invalid-user or weak-password")}}},
            "/api/v1/documents": {"post": {"summary": "Upload a document (any account; the body is the content, Content-Type its media type, at most 20 MiB). Addressed by its SHA-256: the same content twice is one document.", "responses": {"201": {"description": "Stored: its sha256 and URL"}, "200": {"description": "Already stored"}, "401": problem("unauthenticated"), "403": problem("csrf"), "413": problem("too-large"), "422": problem("invalid-document")}}},
            "/api/v1/documents/{sha256}": {"get": {"summary": "A document's content. Public once a logged statement names it (a tender's documents, a revealed bid's, a report, a contract); before that, only its uploader's organisation can read it.", "parameters": [{"name": "sha256", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}], "responses": {"200": {"description": "The content"}, "404": problem("not-found")}}},
            "/api/v1/outbox/consumers": {"get": {"summary": "The outbox's consumers (in-app notifications; later search, mail, webhooks), for platform administrators: each one's cursor, rows still to handle, the failed attempts at its next row with when it is tried again and why it failed, and its dead letters.", "responses": {"200": {"description": "The consumers"}, "401": problem("unauthenticated"), "403": problem("forbidden or totp-required")}}},
            "/api/v1/outbox/dead-letters": {"get": {"summary": "Outbox rows a consumer gave up on after its retries, for platform administrators: the entries each announces, the attempts made, the last error, and who last asked for a retry (a user id). By consumer and row, a page at a time: pass the previous page's `next` as `after_consumer` and `after_outbox_id`.", "parameters": [{"name": "consumer", "in": "query", "required": false, "schema": {"type": "string"}}, {"name": "after_consumer", "in": "query", "required": false, "schema": {"type": "string"}}, {"name": "after_outbox_id", "in": "query", "required": false, "schema": {"type": "integer", "format": "int64"}}, {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}], "responses": {"200": {"description": "The dead letters, and where the next page starts (null on the last)"}, "400": problem("invalid-query"), "401": problem("unauthenticated"), "403": problem("forbidden or totp-required")}}},
            "/api/v1/outbox/dead-letters/{consumer}/{outbox_id}/retry": {"post": {"summary": "Ask for a dead letter to be tried again: its consumer tries it first on its next pass, and it is gone once handled; if it fails again it stays, with the new error.", "parameters": [{"name": "consumer", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "outbox_id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"202": {"description": "Retry requested"}, "404": problem("not-found: no such dead letter")}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document.", "responses": {"200": {"description": "The OpenAPI document"}}}},
            "/api/v1/log": {"get": {"summary": "The log's origin, checkpoint verifier key, platform key, size and statement kinds.", "responses": {"200": {"description": "The log"}}}},
            "/log/checkpoint": {"get": {"summary": "The newest signed checkpoint (C2SP tlog-checkpoint).", "responses": {"200": {"description": "The checkpoint", "content": {"text/plain": {}}}}}},
            "/log/tile/{path}": {"get": {"summary": "Hash tiles and entry bundles (C2SP tlog-tiles).", "parameters": [{"name": "path", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The tile", "content": {"application/octet-stream": {}}}, "404": problem("not-found")}}},
            "/healthz": {"get": {"summary": "The process is alive.", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "The database answers.", "responses": {"200": {"description": "ready"}, "503": problem("unavailable")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {"200": {"description": "metrics", "content": {"text/plain": {}}}}}},
        },
        "components": {"schemas": {
            "Problem": problem_schema(),
            "KeyedDetail": {"type": "object", "required": ["key", "args"], "description": "A keyed sentence: its message key, its arguments, and the keyed sentence its `why` argument is, if it is one.", "properties": {
                "key": {"type": "string"},
                "args": {"type": "object", "additionalProperties": {"type": "string"}},
                "why": {"$ref": "#/components/schemas/KeyedDetail"}}},
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
            "Money": {"type": "object", "required": ["amount", "currency"], "additionalProperties": false, "properties": {
                "amount": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,4})?$", "description": "A decimal string, e.g. \"1234.50\""},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"}}},
        }},
    });
    if let Some(Value::Object(components)) = spec.pointer_mut("/components/schemas") {
        components.extend(schemas);
    }
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        complete(paths);
    }
    spec
}

/// RFC 9457 problem details, whose `type` is one of [`ProblemType::ALL`], each with its
/// fixed title.
fn problem_schema() -> Value {
    let types: Vec<String> = ProblemType::ALL.iter().map(|t| t.uri()).collect();
    let described: Vec<String> = ProblemType::ALL
        .iter()
        .map(|t| format!("`{}`: {}", t.slug(), t.title()))
        .collect();
    json!({
        "type": "object",
        "description": format!("RFC 9457 problem details. Problem types (the `type` URI ends with the slug; `title` is the type's): {}.", described.join("; ")),
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri", "enum": types},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What happened in this case, in English."},
            "detail_key": {"type": "string", "description": "The detail's message key, when it has one: a client in another language says it from its own messages (Vitrine's pages use `frontend/locales/<lang>/details.json`, under `detail.<key>`)."},
            "detail_args": {"type": "object", "additionalProperties": {"type": "string"}, "description": "The detail's arguments by name, present with `detail_key`: each `{name}` of the message is replaced by its value (`field`, when there is one, names the field concerned)."},
            "detail_why": {"$ref": "#/components/schemas/KeyedDetail", "description": "When the detail's `why` argument is a keyed sentence of its own: that sentence, to be said in the client's language too."},
        },
    })
}

/// Whether an operation needs an account (a session cookie or an API token).
fn needs_account(path: &str, method: &str) -> bool {
    [
        "/api/v1/me",
        "/api/v1/drafts",
        "/api/v1/users",
        "/api/v1/registrations/",
        "/api/v1/outbox",
    ]
    .iter()
    .any(|p| path.starts_with(p))
        || (path == "/api/v1/registrations" && method == "get")
        || (path == "/api/v1/documents" && method == "post")
        || (path == "/api/v1/session" && method == "delete")
}

/// Adds to every operation the answers the server's plumbing gives whatever the handler:
/// a parameter not of its type (400), a body that is not JSON, too large or too slow
/// (400, 413, 408), no account or no CSRF token (401, 403). An operation's own entry for
/// a status wins.
fn complete(paths: &mut serde_json::Map<String, Value>) {
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let has_parameters = operation["parameters"]
                .as_array()
                .is_some_and(|p| !p.is_empty());
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status)
                    .or_insert_with(|| problem(description));
            };
            if has_parameters {
                add(
                    "400",
                    "invalid-text, invalid-query or invalid-index: a parameter that is not of its type, repeated, not in its one canonical form, or with U+0000",
                );
            }
            // Any path or query with U+0000 is refused before routing.
            add("400", "invalid-text: U+0000 in the path or the query");
            if matches!(method.as_str(), "post" | "put") {
                add(
                    "400",
                    "invalid-json: the body is not JSON of the expected shape",
                );
                add("408", "request-timeout: the body did not arrive in time");
                add("413", "too-large: the body is over the limit");
            }
            if needs_account(path, method) {
                add(
                    "401",
                    "unauthenticated: no session or API token, or an unknown or expired one",
                );
                if method != "get" {
                    add(
                        "403",
                        "csrf, totp-required or forbidden: a session without its CSRF token, an account without its second factor, or a role that may not",
                    );
                }
            }
        }
    }
}

/// The methods the document lists for `path` (a concrete request path), if any
/// operation's path template matches it: what a 405's `Allow` names.
pub fn methods_of(path: &str) -> Option<Vec<String>> {
    static TEMPLATES: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        spec()["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(template, item)| {
                        let methods = item
                            .as_object()
                            .map(|m| m.keys().map(|k| k.to_uppercase()).collect())
                            .unwrap_or_default();
                        (template.clone(), methods)
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    templates
        .iter()
        .find(|(template, _)| matches_template(template, path))
        .map(|(_, methods)| methods.clone())
}

/// Whether `path` fits `template`: `{name}` stands for one non-empty segment, and a last
/// `{path}` for the rest.
fn matches_template(template: &str, path: &str) -> bool {
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some("{path}"), Some(segment)) => return !segment.is_empty(),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return false;
                }
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(matches_template(
            "/api/v1/entries/{index}",
            "/api/v1/entries/7"
        ));
        assert!(!matches_template(
            "/api/v1/entries/{index}",
            "/api/v1/entries/"
        ));
        assert!(!matches_template(
            "/api/v1/entries/{index}",
            "/api/v1/entries/7/x"
        ));
        assert!(matches_template("/log/tile/{path}", "/log/tile/0/000"));
        assert!(!matches_template("/api/v1/tenders", "/api/v1/tenders/x"));
        assert_eq!(
            methods_of("/api/v1/drafts/x"),
            Some(vec!["DELETE".into(), "GET".into(), "PUT".into()])
        );
        assert_eq!(methods_of("/nowhere"), None);
    }
}
