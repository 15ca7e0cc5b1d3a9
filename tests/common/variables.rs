//! Reading the `variables` an adapter answered, as the end-to-end tests check them.

use serde_json::Value;

/// The variable called `name`; `[0]`/`0` and `['a']`/`'a'` are the same name.
pub fn var<'a>(vars: &'a [Value], name: &str) -> &'a Value {
    let norm = |s: &str| s.trim().trim_start_matches('[').trim_end_matches(']').to_string();
    vars.iter()
        .find(|v| v["name"].as_str().is_some_and(|n| norm(n) == norm(name)))
        .unwrap_or_else(|| panic!("no variable {name:?} in {}", Value::Array(vars.to_vec())))
}

/// The shown value of the variable called `name`.
pub fn value_of(vars: &[Value], name: &str) -> String {
    var(vars, name)["value"].as_str().unwrap_or_default().to_string()
}

/// Its `variablesReference` (-1 when it has none).
pub fn reference(v: &Value) -> i64 {
    v["variablesReference"].as_i64().unwrap_or(-1)
}
