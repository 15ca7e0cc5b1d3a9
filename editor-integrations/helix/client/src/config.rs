//! The debugger entry as Helix reads it: the sample `languages.toml` merged into Helix's built-in
//! one and deserialized with Helix's own types, and a template's arguments filled in from the
//! prompt answers the way `:debug-start` does.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use helix_core::syntax::config::{
    Configuration, DebugAdapterConfig, DebugConfigCompletion, DebugTemplate,
};
use serde_json::{to_value, Value};

/// The `[language.debugger]` of `language`, from Helix's built-in languages.toml merged with
/// `user_file` exactly as `helix_loader::config::user_lang_config` merges a user's file.
pub fn load_debugger(user_file: &Path, language: &str) -> Result<DebugAdapterConfig> {
    let text = std::fs::read_to_string(user_file)
        .with_context(|| format!("cannot read {}", user_file.display()))?;
    let user: toml::Value = toml::from_str(&text)
        .with_context(|| format!("{} is not valid TOML", user_file.display()))?;
    let merged =
        helix_loader::merge_toml_values(helix_loader::config::default_lang_config(), user, 3);
    let config: Configuration = merged.try_into().with_context(|| {
        format!(
            "Helix rejects the language configuration merged with {}",
            user_file.display()
        )
    })?;
    config
        .language
        .into_iter()
        .find(|lang| lang.language_id == language)
        .and_then(|lang| lang.debugger)
        .ok_or_else(|| {
            anyhow!(
                "{} gives language '{language}' no [language.debugger]",
                user_file.display()
            )
        })
}

/// The `attach`/`launch` arguments Helix sends for `template` after the prompts were answered
/// with `answers` (an empty answer takes the completion's default, as the prompt does), plus the
/// `cwd` Helix adds. Follows `dap_start_impl` in helix-term/src/commands/dap.rs.
pub fn start_arguments(template: &DebugTemplate, answers: &[String]) -> Result<Value> {
    let params: Vec<String> = answers
        .iter()
        .enumerate()
        .map(
            |(i, answer)| match (answer.is_empty(), template.completion.get(i)) {
                (true, Some(DebugConfigCompletion::Advanced(cfg))) => {
                    cfg.default.clone().unwrap_or_default()
                }
                _ => answer.clone(),
            },
        )
        .collect();
    let mut args: HashMap<&str, Value> = if template.completion.is_empty() {
        template
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    } else {
        let params = prepare_dap_params(template, &params);
        template
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), map_value(v, &params)))
            .collect()
    };
    args.insert("cwd", to_value(helix_stdx::env::current_working_dir())?);
    Ok(to_value(args)?)
}

// The two functions below are copied unchanged from helix-term/src/commands/dap.rs (private there).

fn prepare_dap_params(template: &DebugTemplate, params: &[String]) -> Vec<String> {
    params
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut param = x.to_string();
            if let Some(DebugConfigCompletion::Advanced(cfg)) = template.completion.get(i) {
                if matches!(cfg.completion.as_deref(), Some("filename" | "directory")) {
                    param = std::fs::canonicalize(x)
                        .ok()
                        .and_then(|pb| pb.into_os_string().into_string().ok())
                        .unwrap_or_else(|| x.to_string());
                }
            }
            param
        })
        .collect()
}

fn map_value(value: &Value, params: &[String]) -> Value {
    match value {
        Value::String(string) => {
            let mut string = string.clone();
            for (i, x) in params.iter().enumerate() {
                let pattern = format!("{{{}}}", i);
                string = string.replace(&pattern, x);
            }
            if let Ok(integer) = string.parse::<usize>() {
                to_value(integer).unwrap()
            } else {
                to_value(string).unwrap()
            }
        }
        Value::Array(array) => Value::Array(array.iter().map(|x| map_value(x, params)).collect()),
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), map_value(v, params)))
                .collect(),
        ),

        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    //! The templates of the sample languages.toml, filled in as Helix fills them.
    use super::*;
    use serde_json::json;

    fn template(name: &str) -> DebugTemplate {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../languages.toml");
        let debugger = load_debugger(&file, "python").expect("the sample languages.toml loads");
        assert_eq!(
            (debugger.transport.as_str(), debugger.command.as_str()),
            ("stdio", "ptvsd-dap")
        );
        debugger
            .templates
            .into_iter()
            .find(|t| t.name == name)
            .expect("template present")
    }

    fn answers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn cwd() -> String {
        std::fs::canonicalize(".")
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn attach_template_nests_the_path_mapping() {
        let args = start_arguments(
            &template("attach"),
            &answers(&["tcp://s3cret@10.0.0.5:5678", "", "/srv/app"]),
        )
        .unwrap();
        assert_eq!(args["url"], "tcp://s3cret@10.0.0.5:5678");
        // The inline table arrives nested; Enter at "local root" gives Helix's directory.
        assert_eq!(
            args["pathMappings"],
            json!([{"localRoot": cwd(), "remoteRoot": "/srv/app"}])
        );
        assert_eq!(args["cwd"], json!(helix_stdx::env::current_working_dir()));
        assert_eq!(args.as_object().unwrap().len(), 3, "{args}");
    }

    #[test]
    fn app_service_instance_template_sends_the_instance() {
        let args = start_arguments(
            &template("app-service-instance"),
            &answers(&["mysite", "s3cret", "2", ""]),
        )
        .unwrap();
        assert_eq!(args["url"], "wss://mysite.azurewebsites.net/ptvsd");
        // An instance number arrives as a number, which the adapter takes.
        assert_eq!(args["instance"], json!(2));
        let value = "ab".repeat(32);
        let args = start_arguments(
            &template("app-service-instance"),
            &answers(&["mysite", "s3cret", &value, ""]),
        )
        .unwrap();
        assert_eq!(args["instance"], json!(value));
    }

    #[test]
    fn app_service_template_turns_an_all_digit_secret_into_a_number() {
        let args =
            start_arguments(&template("app-service"), &answers(&["mysite", "007", ""])).unwrap();
        assert_eq!(args["url"], "wss://mysite.azurewebsites.net/ptvsd");
        // What the README warns about: `007` arrives as the number 7.
        assert_eq!(args["secret"], json!(7));
        assert_eq!(
            args["pathMappings"],
            json!([{"localRoot": cwd(), "remoteRoot": "D:\\home\\site\\wwwroot"}])
        );
    }
}
