//! Validation of every message the adapter sends against the DAP JSON schema
//! (`tests/fixtures/debugAdapterProtocol.json`, from microsoft/debug-adapter-protocol), plus the
//! few rules beyond the schema that the editors we serve depend on (docs: editor-clients.md).
//!
//! A compact validator for the subset of JSON Schema that the DAP schema uses: `$ref`, `allOf`,
//! `oneOf`, `type` (a name or a list), `enum`, `properties`, `required`, `additionalProperties`,
//! `items`, `minimum`/`maximum`, and `format` int32/uint32 as integer ranges. `_enum`
//! (suggested values) and descriptions are ignored. `null` fails every `type` that does not list
//! "null", and a `null` in a property the schema does not declare is reported too.

use serde_json::Value;
use std::sync::OnceLock;

pub fn dap_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = super::fixture_path("debugAdapterProtocol.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    })
}

fn definition(name: &str) -> Option<&'static Value> {
    dap_schema().get("definitions")?.get(name)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The schema definition a message is checked against: `<Command>Response` for a successful
/// response (`Response` for an unknown command), `ErrorResponse` for a failed one,
/// `<Event>Event` (`Event` for a custom event), `<Command>Request` for a reverse request.
pub fn definition_name(msg: &Value) -> Result<String, String> {
    let kind = msg.get("type").and_then(Value::as_str).ok_or("message without a string `type`")?;
    let pick = |specific: String, generic: &str| {
        if definition(&specific).is_some() {
            specific
        } else {
            generic.to_string()
        }
    };
    match kind {
        "response" => {
            if msg.get("success") == Some(&Value::Bool(false)) {
                return Ok("ErrorResponse".into());
            }
            let cmd = msg.get("command").and_then(Value::as_str).unwrap_or("");
            Ok(pick(format!("{}Response", capitalize(cmd)), "Response"))
        }
        "event" => {
            let ev = msg.get("event").and_then(Value::as_str).unwrap_or("");
            Ok(pick(format!("{}Event", capitalize(ev)), "Event"))
        }
        "request" => {
            let cmd = msg.get("command").and_then(Value::as_str).unwrap_or("");
            Ok(pick(format!("{}Request", capitalize(cmd)), "Request"))
        }
        other => Err(format!("unknown message type {other:?}")),
    }
}

/// All schema errors of a message sent by the adapter (empty when valid).
pub fn validate_message(msg: &Value) -> Vec<String> {
    let name = match definition_name(msg) {
        Ok(n) => n,
        Err(e) => return vec![e],
    };
    let mut errors = Vec::new();
    let def = definition(&name).expect("definition exists");
    check(def, msg, &format!("{name}:$"), &mut errors);
    errors
}

/// Rules beyond the schema that Helix and nvim-dap depend on (editor-clients.md).
pub fn editor_rules(msg: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let kind = msg.get("type").and_then(Value::as_str).unwrap_or("");
    let cmd = msg.get("command").and_then(Value::as_str).unwrap_or("");
    if kind == "response" {
        let body = msg.get("body");
        if msg.get("success") == Some(&Value::Bool(false)) {
            let text = body.and_then(|b| b.get("error")).and_then(|e| e.get("format")).and_then(Value::as_str);
            if text.is_none_or(|t| t.trim().is_empty()) {
                errors.push("failed response without readable `body.error.format` (Helix shows the body)".into());
            }
            if msg.get("message").and_then(Value::as_str).is_none_or(|m| m.trim().is_empty()) {
                errors.push("failed response without a `message`".into());
            }
        } else {
            if matches!(cmd, "next" | "stepIn" | "stepOut" | "terminate") && !matches!(body, None | Some(Value::Null)) {
                errors.push(format!("`{cmd}` response with a body {body:?}: Helix accepts none (or null)"));
            }
            if cmd == "continue" && !matches!(body, Some(Value::Object(_))) {
                errors.push("`continue` response needs an object body (Helix)".into());
            }
            if cmd == "stackTrace" {
                for f in body.and_then(|b| b.get("stackFrames")).and_then(Value::as_array).into_iter().flatten() {
                    if f.get("line").and_then(Value::as_i64).is_some_and(|l| l <= 0) {
                        errors.push(format!("stack frame with line <= 0 (Helix panics): {f}"));
                    }
                }
            }
        }
    }
    if kind == "event" && msg.get("event").and_then(Value::as_str) == Some("stopped") {
        let b = msg.get("body");
        let has_tid = b.and_then(|b| b.get("threadId")).is_some();
        let all = b.and_then(|b| b.get("allThreadsStopped")) == Some(&Value::Bool(true));
        if !has_tid && !all {
            errors.push("`stopped` needs `threadId` or `allThreadsStopped: true` (Helix)".into());
        }
    }
    errors
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!("{}...", &s[..s.char_indices().take_while(|(i, _)| *i < 120).last().map_or(0, |(i, _)| i)])
    } else {
        s
    }
}

/// Checks `v` against `schema`, appending "path: problem" lines to `errors`.
pub fn check(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    check_value(schema, v, path, errors, true)
}

/// `whole` is true for the outermost schema applied to `v` (not a `$ref`/`allOf` part of it):
/// only there are the properties declared by all the parts known, for the undeclared-null rule.
fn check_value(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>, whole: bool) {
    let Some(obj) = schema.as_object() else { return };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        match r.strip_prefix("#/definitions/").and_then(definition) {
            Some(def) => check_value(def, v, path, errors, false),
            None => errors.push(format!("{path}: unresolvable $ref {r}")),
        }
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        for s in all {
            check_value(s, v, path, errors, false);
        }
    }
    if let Some(one) = obj.get("oneOf").and_then(Value::as_array) {
        let ok = one
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                check_value(s, v, path, &mut e, false);
                e.is_empty()
            })
            .count();
        if ok != 1 {
            errors.push(format!("{path}: matches {ok} of the oneOf alternatives, not 1: {}", short(v)));
        }
    }
    if let Some(t) = obj.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.is_empty() && !types.iter().any(|t| type_matches(t, v)) {
            errors.push(format!("{path}: expected {}, got {}", types.join("|"), short(v)));
            return;
        }
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{path}: {} is not one of {}", short(v), Value::Array(e.clone())));
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = obj.get("minimum").and_then(Value::as_f64) {
            if n < min {
                errors.push(format!("{path}: {n} is below the minimum {min}"));
            }
        }
        if let Some(max) = obj.get("maximum").and_then(Value::as_f64) {
            if n > max {
                errors.push(format!("{path}: {n} is above the maximum {max}"));
            }
        }
        let range = match obj.get("format").and_then(Value::as_str) {
            Some("int32") => Some((i32::MIN as f64, i32::MAX as f64)),
            Some("uint32") => Some((0.0, u32::MAX as f64)),
            _ => None,
        };
        if let Some((lo, hi)) = range {
            if n < lo || n > hi {
                errors.push(format!("{path}: {n} does not fit the schema's format {:?}", obj["format"]));
            }
        }
    }
    if let Some(map) = v.as_object() {
        let props = obj.get("properties").and_then(Value::as_object);
        if let Some(props) = props {
            for (k, s) in props {
                if let Some(child) = map.get(k) {
                    check(s, child, &format!("{path}.{k}"), errors);
                }
            }
        }
        if let Some(req) = obj.get("required").and_then(Value::as_array) {
            for k in req.iter().filter_map(Value::as_str) {
                if !map.contains_key(k) {
                    errors.push(format!("{path}: missing required property `{k}`"));
                }
            }
        }
        let declared = |k: &str| props.is_some_and(|p| p.contains_key(k));
        match obj.get("additionalProperties") {
            Some(Value::Bool(false)) => {
                for k in map.keys().filter(|k| !declared(k)) {
                    errors.push(format!("{path}: property `{k}` is not allowed"));
                }
            }
            Some(s @ Value::Object(_)) => {
                for (k, child) in map.iter().filter(|(k, _)| !declared(k)) {
                    check(s, child, &format!("{path}.{k}"), errors);
                }
            }
            _ => {}
        }
        if whole
            && (props.is_some() || obj.contains_key("allOf") || obj.contains_key("$ref"))
            && !matches!(obj.get("additionalProperties"), Some(Value::Bool(true) | Value::Object(_)))
        {
            for (k, child) in map.iter() {
                if child.is_null() && !declared_anywhere(schema, k) {
                    errors.push(format!("{path}.{k}: null in a property the schema does not declare"));
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (obj.get("items"), v.as_array()) {
        for (i, child) in arr.iter().enumerate() {
            check(items, child, &format!("{path}[{i}]"), errors);
        }
    }
}

/// True if `key` is declared by `schema` or any schema it pulls in through `$ref`/`allOf`.
fn declared_anywhere(schema: &Value, key: &str) -> bool {
    fn walk(s: &Value, key: &str, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        if s.get("properties").and_then(|p| p.get(key)).is_some() {
            return true;
        }
        if let Some(def) =
            s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")).and_then(definition)
        {
            if walk(def, key, depth + 1) {
                return true;
            }
        }
        s.get("allOf").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| walk(x, key, depth + 1)))
    }
    walk(schema, key, 0)
}
