//! The requests the adapter serves, read by `command` into typed arguments. A missing or
//! malformed argument fails the request with a message that names it; a command the adapter
//! does not know is [`Served::Unknown`]. Only the fields the adapter reads are declared (unknown
//! keys are ignored); `setBreakpoints` uses dap-types' arguments as they are.

use serde::Deserialize;
use serde_json::Value;

use super::message::{Request, RequestError};

/// A request, by command, with its arguments.
#[derive(Debug)]
pub enum Served {
    Initialize(InitializeArguments),
    /// The attach configuration, validated by `config::attach`.
    Attach(Value),
    Launch,
    Disconnect,
    Terminate,
    /// A request only an attached debuggee can answer.
    Debuggee(DebuggeeRequest),
    Unknown,
}

/// The requests that need an attached debuggee.
#[derive(Debug)]
pub enum DebuggeeRequest {
    ConfigurationDone,
    SetBreakpoints(dap_types::SetBreakpointsArguments),
    SetExceptionBreakpoints(SetExceptionBreakpointsArguments),
    Threads,
    StackTrace(StackTraceArguments),
    Scopes(ScopesArguments),
    Variables(VariablesArguments),
    Evaluate(EvaluateArguments),
    SetVariable(SetVariableArguments),
    SetExpression(SetExpressionArguments),
    ExceptionInfo(ThreadArguments),
    Modules(ModulesArguments),
    LoadedSources,
    Source(SourceArguments),
    Completions(CompletionsArguments),
    GotoTargets(GotoTargetsArguments),
    Goto(GotoArguments),
    Continue(ContinueArguments),
    Step(Step, StepArguments),
    Pause,
}

/// Which step: `next`, `stepIn` or `stepOut`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Over,
    In,
    Out,
}

impl Served {
    pub fn parse(request: &Request) -> Result<Served, RequestError> {
        use DebuggeeRequest as On;
        let on_debuggee = match request.command.as_str() {
            "initialize" => return Ok(Served::Initialize(request.arguments()?)),
            "attach" => return Ok(Served::Attach(request.arguments.clone())),
            "launch" => return Ok(Served::Launch),
            "disconnect" => return Ok(Served::Disconnect),
            "terminate" => return Ok(Served::Terminate),
            "configurationDone" => On::ConfigurationDone,
            "setBreakpoints" => On::SetBreakpoints(request.arguments()?),
            "setExceptionBreakpoints" => On::SetExceptionBreakpoints(request.arguments()?),
            "threads" => On::Threads,
            "stackTrace" => On::StackTrace(request.arguments()?),
            "scopes" => On::Scopes(request.arguments()?),
            "variables" => On::Variables(request.arguments()?),
            "evaluate" => On::Evaluate(request.arguments()?),
            "setVariable" => On::SetVariable(request.arguments()?),
            "setExpression" => On::SetExpression(request.arguments()?),
            "exceptionInfo" => On::ExceptionInfo(request.arguments()?),
            "modules" => On::Modules(request.arguments()?),
            "loadedSources" => On::LoadedSources,
            "source" => On::Source(request.arguments()?),
            "completions" => On::Completions(request.arguments()?),
            "gotoTargets" => On::GotoTargets(request.arguments()?),
            "goto" => On::Goto(request.arguments()?),
            "continue" => On::Continue(request.arguments()?),
            "next" => On::Step(Step::Over, request.arguments()?),
            "stepIn" => On::Step(Step::In, request.arguments()?),
            "stepOut" => On::Step(Step::Out, request.arguments()?),
            "pause" => On::Pause,
            _ => return Ok(Served::Unknown),
        };
        Ok(Served::Debuggee(on_debuggee))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InitializeArguments {
    #[serde(rename = "clientID")]
    pub client_id: Option<String>,
    #[serde(rename = "supportsProgressReporting")]
    pub supports_progress_reporting: Option<bool>,
    #[serde(rename = "columnsStartAt1")]
    pub columns_start_at_1: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetExceptionBreakpointsArguments {
    #[serde(default)]
    pub filters: Vec<String>,
    #[serde(default)]
    pub filter_options: Vec<ExceptionFilterOptions>,
    #[serde(default)]
    pub exception_options: Vec<ExceptionOptions>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionFilterOptions {
    pub filter_id: String,
    pub condition: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionOptions {
    #[serde(default)]
    pub path: Vec<ExceptionPathSegment>,
    pub break_mode: String,
}

#[derive(Debug, Deserialize)]
pub struct ExceptionPathSegment {
    #[serde(default)]
    pub negate: bool,
    #[serde(default)]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackTraceArguments {
    pub thread_id: u64,
    pub start_frame: Option<u64>,
    pub levels: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopesArguments {
    pub frame_id: u64,
}

/// `format`: only `hex` is honoured.
#[derive(Debug, Default, Deserialize)]
pub struct ValueFormat {
    #[serde(default)]
    pub hex: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariablesArguments {
    pub variables_reference: u64,
    pub filter: Option<VariablesFilter>,
    pub start: Option<u64>,
    pub count: Option<u64>,
    #[serde(default)]
    pub format: ValueFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum VariablesFilter {
    Indexed,
    Named,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateArguments {
    pub expression: String,
    pub frame_id: Option<u64>,
    pub context: Option<String>,
    #[serde(default)]
    pub format: ValueFormat,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetVariableArguments {
    pub variables_reference: u64,
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub format: ValueFormat,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetExpressionArguments {
    pub expression: String,
    pub value: String,
    pub frame_id: Option<u64>,
    #[serde(default)]
    pub format: ValueFormat,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadArguments {
    pub thread_id: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModulesArguments {
    pub start_module: Option<u64>,
    pub module_count: Option<u64>,
}

/// The fields of a DAP `Source` the adapter reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    pub path: Option<String>,
    pub source_reference: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceArguments {
    pub source_reference: Option<u64>,
    pub source: Option<SourceRef>,
}

impl SourceArguments {
    /// `source.sourceReference`, or the older top-level `sourceReference`.
    pub fn reference(&self) -> Option<u64> {
        self.source_reference.or_else(|| self.source.as_ref().and_then(|source| source.source_reference))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionsArguments {
    pub text: String,
    pub column: Option<u64>,
    pub line: Option<u64>,
    pub frame_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GotoTargetsArguments {
    pub source: SourceRef,
    pub line: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GotoArguments {
    pub thread_id: u64,
    pub target_id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContinueArguments {
    pub thread_id: Option<u64>,
    #[serde(default)]
    pub single_thread: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepArguments {
    pub thread_id: u64,
    #[serde(default)]
    pub single_thread: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(command: &str, arguments: Value) -> Request {
        Request { seq: 1, command: command.to_string(), arguments }
    }

    #[test]
    fn requests_are_read_by_command() {
        let parsed = Served::parse(&request("stackTrace", json!({"threadId": 3, "levels": 20, "extra": true})));
        assert!(matches!(
            parsed,
            Ok(Served::Debuggee(DebuggeeRequest::StackTrace(StackTraceArguments {
                thread_id: 3,
                levels: Some(20),
                ..
            })))
        ));
        let parsed = Served::parse(&request("next", json!({"threadId": 1})));
        assert!(matches!(
            parsed,
            Ok(Served::Debuggee(DebuggeeRequest::Step(
                Step::Over,
                StepArguments { thread_id: 1, single_thread: false }
            )))
        ));
        assert!(matches!(
            Served::parse(&request("threads", Value::Null)),
            Ok(Served::Debuggee(DebuggeeRequest::Threads))
        ));
        assert!(matches!(Served::parse(&request("readMemory", json!({}))), Ok(Served::Unknown)));
        let parsed = Served::parse(&request(
            "variables",
            json!({"variablesReference": 7, "filter": "indexed", "format": {"hex": true}}),
        ));
        assert!(matches!(
            parsed,
            Ok(Served::Debuggee(DebuggeeRequest::Variables(VariablesArguments {
                filter: Some(VariablesFilter::Indexed),
                format: ValueFormat { hex: true },
                ..
            })))
        ));
    }

    #[test]
    fn a_missing_or_malformed_argument_is_named() {
        let missing = Served::parse(&request("stackTrace", json!({}))).err().map(|error| error.message);
        assert!(
            missing.as_deref().is_some_and(|m| m.contains("'stackTrace'") && m.contains("threadId")),
            "{missing:?}"
        );
        let malformed = Served::parse(&request("scopes", json!({"frameId": "one"}))).err().map(|error| error.message);
        assert!(
            malformed.as_deref().is_some_and(|m| m.contains("'scopes'") && m.contains("invalid type")),
            "{malformed:?}"
        );
    }
}
