//! The requests the adapter serves, read by `command` into dap-types' arguments
//! (`dap_types::StackTraceArguments`, ...). A missing or malformed argument fails the request
//! with a message that names it; a command the adapter does not know is [`Served::Unknown`].
//!
//! What dap-types lacks is here, and only here: the attach configuration (no DAP type; read by
//! `config::attach`), the three step requests as one [`Step`], and the defaults DAP gives
//! absent fields ([`hex`], [`source_reference`]). Requests whose arguments the adapter does not
//! read (`disconnect`, `terminate`, `configurationDone`, `threads`, `loadedSources`, `pause`)
//! are not parsed: a malformed `disconnect` must still detach.

use dap_types::{
    CompletionsArguments, ContinueArguments, EvaluateArguments, ExceptionInfoArguments, GotoArguments,
    GotoTargetsArguments, InitializeRequestArguments, ModulesArguments, NextArguments, ScopesArguments,
    SetBreakpointsArguments, SetExceptionBreakpointsArguments, SetExpressionArguments, SetVariableArguments,
    SourceArguments, StackTraceArguments, StepInArguments, StepOutArguments, ValueFormat, VariablesArguments,
};
use serde_json::Value;

use super::message::{Request, RequestError};

/// A request, by command, with its arguments.
#[derive(Debug)]
pub enum Served {
    Initialize(InitializeRequestArguments),
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
    SetBreakpoints(SetBreakpointsArguments),
    SetExceptionBreakpoints(SetExceptionBreakpointsArguments),
    Threads,
    StackTrace(StackTraceArguments),
    Scopes(ScopesArguments),
    Variables(VariablesArguments),
    Evaluate(EvaluateArguments),
    SetVariable(SetVariableArguments),
    SetExpression(SetExpressionArguments),
    ExceptionInfo(ExceptionInfoArguments),
    Modules(ModulesArguments),
    LoadedSources,
    Source(SourceArguments),
    Completions(CompletionsArguments),
    GotoTargets(GotoTargetsArguments),
    Goto(GotoArguments),
    Continue(ContinueArguments),
    Step(Step),
    Pause,
}

/// `next`, `stepIn` or `stepOut`, with its arguments: the adapter reads the same two of each.
#[derive(Debug)]
pub enum Step {
    Over(NextArguments),
    In(StepInArguments),
    Out(StepOutArguments),
}

impl Step {
    pub fn thread_id(&self) -> u64 {
        match self {
            Step::Over(arguments) => arguments.thread_id,
            Step::In(arguments) => arguments.thread_id,
            Step::Out(arguments) => arguments.thread_id,
        }
    }

    /// `singleThread`, false when absent.
    pub fn single_thread(&self) -> bool {
        let single_thread = match self {
            Step::Over(arguments) => arguments.single_thread,
            Step::In(arguments) => arguments.single_thread,
            Step::Out(arguments) => arguments.single_thread,
        };
        single_thread.unwrap_or(false)
    }
}

/// `format.hex`, false when absent (only `hex` of a value format is honoured).
pub fn hex(format: &Option<ValueFormat>) -> bool {
    format.as_ref().and_then(|format| format.hex).unwrap_or(false)
}

/// The source a `source` request names: `source.sourceReference`, else the older top-level one.
pub fn source_reference(arguments: &SourceArguments) -> u64 {
    arguments.source.as_ref().and_then(|source| source.source_reference).unwrap_or(arguments.source_reference)
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
            "next" => On::Step(Step::Over(request.arguments()?)),
            "stepIn" => On::Step(Step::In(request.arguments()?)),
            "stepOut" => On::Step(Step::Out(request.arguments()?)),
            "pause" => On::Pause,
            _ => return Ok(Served::Unknown),
        };
        Ok(Served::Debuggee(on_debuggee))
    }
}

#[cfg(test)]
mod tests {
    use dap_types::VariablesArgumentsFilter;
    use serde_json::json;

    use super::*;

    fn request(command: &str, arguments: Value) -> Request {
        Request { seq: 1, command: command.to_string(), arguments }
    }

    fn on_debuggee(command: &str, arguments: Value) -> Option<DebuggeeRequest> {
        match Served::parse(&request(command, arguments)) {
            Ok(Served::Debuggee(asked)) => Some(asked),
            _ => None,
        }
    }

    #[test]
    fn requests_are_read_by_command() {
        let parsed = on_debuggee("stackTrace", json!({"threadId": 3, "levels": 20, "extra": true}));
        assert!(matches!(
            parsed,
            Some(DebuggeeRequest::StackTrace(StackTraceArguments { thread_id: 3, levels: Some(20), .. }))
        ));
        let Some(DebuggeeRequest::Step(step)) = on_debuggee("next", json!({"threadId": 1})) else { panic!("next") };
        assert!(matches!(step, Step::Over(_)) && step.thread_id() == 1 && !step.single_thread());
        assert!(matches!(on_debuggee("threads", Value::Null), Some(DebuggeeRequest::Threads)));
        assert!(matches!(Served::parse(&request("readMemory", json!({}))), Ok(Served::Unknown)));
        let Some(DebuggeeRequest::Variables(variables)) =
            on_debuggee("variables", json!({"variablesReference": 7, "filter": "indexed", "format": {"hex": true}}))
        else {
            panic!("variables")
        };
        assert_eq!(variables.filter, Some(VariablesArgumentsFilter::Indexed));
        assert!(hex(&variables.format));
        let Some(DebuggeeRequest::Evaluate(evaluate)) = on_debuggee("evaluate", json!({"expression": "x"})) else {
            panic!("evaluate")
        };
        assert!(!hex(&evaluate.format) && evaluate.context.is_none(), "Helix sends no context");
        let Some(DebuggeeRequest::Source(source)) =
            on_debuggee("source", json!({"sourceReference": 0, "source": {"sourceReference": 4}}))
        else {
            panic!("source")
        };
        assert_eq!(source_reference(&source), 4);
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
        let negative = Served::parse(&request("continue", json!({"threadId": -1}))).err().map(|error| error.message);
        assert!(negative.as_deref().is_some_and(|m| m.contains("'continue'")), "{negative:?}");
        let mode = json!({"filters": [], "exceptionOptions": [{"breakMode": "sometimes"}]});
        let unknown_mode = Served::parse(&request("setExceptionBreakpoints", mode)).err().map(|error| error.message);
        assert!(unknown_mode.as_deref().is_some_and(|m| m.contains("sometimes")), "{unknown_mode:?}");
    }

    #[test]
    fn a_malformed_disconnect_still_ends_the_session() {
        let parsed = Served::parse(&request("disconnect", json!({"restart": "no"})));
        assert!(matches!(parsed, Ok(Served::Disconnect)));
    }
}
