//! The tables, as diesel sees them (kept in step with `migrations/`).

diesel::table! {
    log_entries (idx) {
        idx -> Int8,
        leaf_hash -> Bytea,
        entry -> Bytea,
        statement_hash -> Bytea,
        kind -> Text,
        subject -> Text,
        logged_at -> Timestamptz,
    }
}

diesel::table! {
    log_tiles (level, idx) {
        level -> Int2,
        idx -> Int8,
        hashes -> Bytea,
    }
}

diesel::table! {
    checkpoints (size) {
        size -> Int8,
        root -> Bytea,
        note -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        entry_idx -> Int8,
        topic -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        registered_idx -> Int8,
        credit_code -> Nullable<Text>,
    }
}

diesel::table! {
    participant_keys (public_key) {
        public_key -> Bytea,
        organisation_id -> Text,
        role -> Text,
        registered_idx -> Int8,
        revoked_idx -> Nullable<Int8>,
    }
}

diesel::table! {
    documents (sha256) {
        sha256 -> Bytea,
        title -> Text,
        organisation_id -> Text,
        entry_idx -> Int8,
    }
}

diesel::table! {
    tenders (id) {
        id -> Text,
        buyer_id -> Text,
        status -> Text,
        title -> Text,
        category -> Text,
        region -> Text,
        procedure -> Text,
        value_amount -> Numeric,
        currency -> Text,
        tender_end -> Nullable<Timestamptz>,
        published_idx -> Int8,
        updated_idx -> Int8,
        state -> Jsonb,
        enquiry_end -> Nullable<Timestamptz>,
        reveal_end -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ocds_releases (entry_idx) {
        entry_idx -> Int8,
        ocid -> Text,
        release -> Jsonb,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        organisation_id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        totp_secret -> Nullable<Bytea>,
        totp_enabled -> Bool,
        totp_last_step -> Nullable<Int8>,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Bytea,
        user_id -> Int8,
        csrf_token -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        name -> Text,
        created_at -> Timestamptz,
        last_used -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    private_authors (entry_idx) {
        entry_idx -> Int8,
        organisation_id -> Text,
        user_id -> Int8,
    }
}

diesel::table! {
    registrations (id) {
        id -> Int8,
        organisation_id -> Text,
        name -> Text,
        credit_code -> Text,
        public_key -> Bytea,
        proof -> Jsonb,
        admin_email -> Text,
        admin_name -> Text,
        password_hash -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Int8>,
        organisation_idx -> Nullable<Int8>,
    }
}

diesel::table! {
    tender_drafts (buyer_id, id) {
        id -> Text,
        buyer_id -> Text,
        body -> Jsonb,
        updated_by -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Int8,
        entry_idx -> Int8,
        kind -> Text,
        tender_id -> Text,
        summary -> Jsonb,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    tender_bids (tender_id, commitment) {
        tender_id -> Text,
        commitment -> Text,
        position -> Int4,
        state -> Jsonb,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Bytea,
        content -> Bytea,
        media_type -> Text,
        uploaded_by -> Int8,
        organisation_id -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    blob_uploads (sha256, organisation_id) {
        sha256 -> Bytea,
        organisation_id -> Text,
        uploaded_by -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    referenced_documents (sha256) {
        sha256 -> Bytea,
        entry_idx -> Int8,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        target -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(users -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    log_entries,
    subscriptions,
    log_tiles,
    checkpoints,
    outbox,
    organisations,
    participant_keys,
    documents,
    tenders,
    ocds_releases,
    users,
    sessions,
    api_tokens,
    private_authors,
    tender_bids,
    blobs,
    blob_uploads,
    referenced_documents,
    notifications,
    tender_drafts,
    registrations,
);

diesel::table! {
    sequencer_lease (id) {
        id -> Int4,
        url -> Text,
        holder -> Text,
        acquired_at -> Timestamptz,
    }
}
