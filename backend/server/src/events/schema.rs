//! `docs/events.schema.json`, generated from the types: the live stream's frames as one JSON Schema document.
//!
//! The schemas come from the same `utoipa::ToSchema` derives that put [`DomainEvent`] into the OpenAPI document
//! (and so into the map client's generated `schema.d.ts`); this module only re-homes them under `$defs` and
//! adds the stream's envelope and prose. `siaga events-schema` prints the document, and a test fails when the
//! committed file differs from it.

use super::DomainEvent;
use crate::live::event::{ClientPositionFrame, ControlFrame, EventEnvelope};
use serde_json::{Value, json};
use utoipa::OpenApi;

/// The committed document's path, relative to the repository root.
pub const PATH: &str = "docs/events.schema.json";

#[derive(OpenApi)]
#[openapi(components(schemas(DomainEvent, EventEnvelope, ControlFrame, ClientPositionFrame)))]
struct StreamDoc;

const DESCRIPTION: &str = "Every server frame is one JSON text message with a string `type`. Domain events \
(`EventFrame`: the `EventEnvelope` fields beside one `DomainEvent`) come from the durable event log and carry `seq` \
(strictly increasing on a connection, possibly with gaps: events the user may not see are skipped) and `at` (ms \
since the epoch, when the change was committed). Control frames (`ControlFrame`: hello, resync_required, \
position_ack, error) describe the connection. A client remembers the `seq` of the last domain event it applied and \
reconnects with `?resume_from=<seq>`. Unknown `type`s must be ignored (newer servers may add types). Close codes: \
1001 server shutting down (reason `server shutting down; resume from <seq>`), 1011 internal error, 4001 session \
ended (log in again), 4002 slow consumer (reason `slow consumer; resume from <seq>`), 4003 idle timeout. Audience: \
supervisors and admins see every event inside their region scope (users.region_code; events without region_code \
are visible to every scope); call takers see call.* and incident.* events inside their region scope; dispatchers \
see events whose agency list is empty (NULL: every agency) or names their agency (OPD); responders see only events \
about their own unit. Client to server: `ClientPositionFrame`, answered with position_ack or error.";

/// The whole document, as committed at [`PATH`].
pub fn document() -> Value {
    let doc = StreamDoc::openapi();
    let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
    let mut defs = serde_json::to_value(schemas).unwrap_or_else(|_| json!({}));
    rehome_refs(&mut defs);
    if let Some(map) = defs.as_object_mut() {
        map.insert(
            "EventFrame".into(),
            json!({
                "description": "A domain event as sent on the stream: the envelope's fields beside the event's.",
                "allOf": [{"$ref": "#/$defs/EventEnvelope"}, {"$ref": "#/$defs/DomainEvent"}],
            }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://siaga.example/schemas/events.schema.json",
        "title": "Siaga live stream frames (GET /api/v1/ws)",
        "description": DESCRIPTION,
        "oneOf": [{"$ref": "#/$defs/EventFrame"}, {"$ref": "#/$defs/ControlFrame"}],
        "$defs": defs,
    })
}

/// The document as the committed file's text (pretty, with a final newline).
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// OpenAPI components refer to `#/components/schemas/X`; a standalone JSON Schema to `#/$defs/X`.
fn rehome_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "$ref"
                    && let Value::String(r) = child
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    *r = format!("#/$defs/{name}");
                } else {
                    rehome_refs(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rehome_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventKind;

    #[test]
    fn the_committed_schema_is_generated_from_the_types() {
        let committed = include_str!("../../../../docs/events.schema.json");
        let generated = document_text();
        assert!(
            committed == generated,
            "docs/events.schema.json is stale: regenerate it with `siaga events-schema > docs/events.schema.json`"
        );
    }

    #[test]
    fn the_schema_names_every_event_kind_and_control_frame() {
        let text = document().to_string();
        for kind in EventKind::ALL {
            assert!(
                text.contains(&format!("\"{}\"", kind.as_str())),
                "schema lacks {}",
                kind.as_str()
            );
        }
        for control in [
            "hello",
            "resync_required",
            "position_ack",
            "error",
            "position",
        ] {
            assert!(
                text.contains(&format!("\"{control}\"")),
                "schema lacks {control}"
            );
        }
    }
}
