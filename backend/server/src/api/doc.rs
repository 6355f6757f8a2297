//! Error responses every operation can give, added to the OpenAPI document in one place so that each
//! `#[utoipa::path]` lists only the statuses particular to it.
//!
//! What is added follows from the operation's shape, because the code paths that produce these statuses are
//! shared: the bearer extractor (401, and 403 for roles such as a gateway's that reach only a few routes),
//! the JSON body extractor (400 syntax, 413 size, 415 content type,
//! 422 shape), the query extractor (400), a path id that names nothing (404), and the request timeout and
//! the database being unreachable (503).

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// The [`Modify`] adding the shared error responses.
pub struct CommonErrors;

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| error_response(description));
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for op in ops.into_iter().flatten() {
                let params = op.parameters.as_deref().unwrap_or_default();
                let has_query = params
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                let has_path = params
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path));
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add(
                        op,
                        "401",
                        "no token, an unknown or expired token, or an ended session",
                    );
                    // Integration (gateway) accounts are refused everywhere but the call intake.
                    add(
                        op,
                        "403",
                        "the caller's role (or OPD, unit or region scope) may not do this",
                    );
                }
                if op.request_body.is_some() {
                    add(op, "400", "the body is not valid JSON");
                    add(op, "413", "the body is larger than the configured limit");
                    add(op, "415", "the body is not `application/json`");
                    add(op, "422", "the body does not have the expected shape");
                }
                if has_query {
                    add(
                        op,
                        "400",
                        "a query parameter is malformed; `field` names it",
                    );
                }
                if has_path {
                    add(op, "404", "no such resource");
                }
                add(
                    op,
                    "503",
                    "the database is unreachable or the request timed out; retry later",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Password fields follow the password policy (`auth::check_password_strength`: 8 characters to 256
    /// bytes), which belongs to the accounts, not to `limits`; the login's username is only looked up (one over
    /// 64 bytes is refused before any lookup or record).
    const UNBOUNDED_ON_PURPOSE: [(&str, &str); 6] = [
        ("LoginRequest", "username"),
        ("LoginRequest", "password"),
        ("ChangePasswordRequest", "current_password"),
        ("ChangePasswordRequest", "new_password"),
        ("CreateUserRequest", "password"),
        ("UpdateUserRequest", "password"),
    ];

    /// The schema `value` names, following a `$ref` into the components.
    fn resolve<'a>(doc: &'a Value, value: &'a Value) -> (&'a Value, Option<&'a str>) {
        match value["$ref"].as_str() {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                (&doc["components"]["schemas"][name], Some(name))
            }
            None => (value, None),
        }
    }

    /// Every string `schema` may hold is bounded: collects the paths of those that are not.
    fn unbounded(doc: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
        let (schema, name) = resolve(doc, schema);
        let holder = name.unwrap_or("");
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"string")
            && schema.get("maxLength").is_none()
            && schema.get("enum").is_none()
        {
            out.push(at.to_owned());
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for item in schema[key].as_array().into_iter().flatten() {
                unbounded(doc, item, at, out);
            }
        }
        if let Some(items) = schema.get("items") {
            unbounded(doc, items, &format!("{at}[]"), out);
        }
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            if !UNBOUNDED_ON_PURPOSE.contains(&(holder, field.as_str())) {
                unbounded(doc, property, &format!("{holder}.{field}"), out);
            }
        }
    }

    /// A text field added to a request body without a kind from `crate::limits` fails here: outside text is
    /// bounded where it enters, and the document says how far.
    #[test]
    fn every_text_of_every_json_request_body_is_bounded() {
        let (_, doc) = crate::api::api_routes();
        let doc = serde_json::to_value(&doc).unwrap();
        let mut found = Vec::new();
        let mut bodies = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let body = &op["requestBody"]["content"]["application/json"]["schema"];
                if !body.is_null() {
                    bodies += 1;
                    unbounded(&doc, body, &format!("{method} {path}"), &mut found);
                }
            }
        }
        assert!(bodies > 20, "only {bodies} JSON request bodies found");
        assert!(found.is_empty(), "text without a bound: {found:#?}");
    }
}
