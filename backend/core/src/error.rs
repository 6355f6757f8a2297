//! The one vocabulary of failures: every [`ErrorCode`] the API answers with, and its HTTP status, in one table.
//!
//! `code` is the machine-readable part of every API error body (`{ "error": { "code", "message", … } }`) and
//! the translation key in the map client, which reads the list from the OpenAPI document (`ErrorCode` in
//! `schema.d.ts`), so a new code fails the client's type check until both languages translate it.
//!
//! Every error type of this crate has a `code(&self) -> ErrorCode` method naming the code the API answers
//! when that error reaches a client: a refused value is [`ErrorCode::ValidationFailed`], a refused state change
//! is [`ErrorCode::InvalidTransition`]. The error's own variants carry the detail (which field, which rule).
//!
//! The status is a plain number ([`ErrorCode::http_status`]) so that this crate needs no HTTP crate; the
//! server's HTTP edge turns it into its status type.
//!
//! Invariant: codes are never renamed once shipped (the UI and stored audit records key on them); add new ones.

use crate::unit::string_enum;

string_enum! {
    /// Every error code the API can answer with.
    ErrorCode, UnknownErrorCode, "error code" {
        /// The request is malformed (bad query string, bad header).
        BadRequest => "bad_request",
        /// The body is not valid JSON or does not match the expected shape.
        InvalidJson => "invalid_json",
        /// A field has a value the domain refuses.
        ValidationFailed => "validation_failed",
        /// The body is larger than the configured limit.
        PayloadTooLarge => "payload_too_large",
        /// No bearer token, or an unknown one.
        Unauthenticated => "unauthenticated",
        /// The token's lifetime is over.
        TokenExpired => "token_expired",
        /// The session was ended (logout or a supervisor's force logout).
        SessionRevoked => "session_revoked",
        /// Wrong username or password.
        InvalidCredentials => "invalid_credentials",
        /// The user is disabled.
        AccountDisabled => "account_disabled",
        /// Authenticated, but the role or agency scope does not allow this.
        Forbidden => "forbidden",
        /// The account's password must be changed (`POST /api/v1/auth/password`) before anything else: a
        /// first admin's one-time password or a password an admin reset.
        PasswordChangeRequired => "password_change_required",
        /// No such resource (or not visible to this user).
        NotFound => "not_found",
        /// The write conflicts with existing data (e.g. a taken username).
        Conflict => "conflict",
        /// The resource is not in a state that allows this change.
        InvalidTransition => "invalid_transition",
        /// The same Idempotency-Key was used for a different request.
        IdempotencyKeyReused => "idempotency_key_reused",
        /// Unsupported content type.
        UnsupportedMediaType => "unsupported_media_type",
        /// Too many attempts; retry later.
        TooManyRequests => "too_many_requests",
        /// The server or its database is not able to answer right now.
        Unavailable => "unavailable",
        /// A bug; details are in the server log.
        Internal => "internal",
    }
}

impl ErrorCode {
    /// The HTTP status the API answers with for this code: the single place that decides it.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidJson => 400,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Unauthenticated
            | ErrorCode::TokenExpired
            | ErrorCode::SessionRevoked
            | ErrorCode::InvalidCredentials => 401,
            ErrorCode::AccountDisabled
            | ErrorCode::Forbidden
            | ErrorCode::PasswordChangeRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict | ErrorCode::InvalidTransition => 409,
            ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{c}"
            );
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(*c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.as_str())
            );
        }
    }

    #[test]
    fn every_code_is_a_client_or_server_error_status() {
        for c in ErrorCode::ALL {
            let status = c.http_status();
            let expected = if *c == ErrorCode::Internal || *c == ErrorCode::Unavailable {
                500..=599
            } else {
                400..=499
            };
            assert!(expected.contains(&status), "{c}: {status}");
        }
    }
}
