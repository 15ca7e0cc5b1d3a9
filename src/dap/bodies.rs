//! Constructors for the dap-types structs the adapter sends. dap-types derives no `Default`
//! for them, so every optional field is spelled out once, here, instead of at each use.

use dap_types::{
    Breakpoint, Module, ModuleId, OutputEvent, OutputEventCategory, Scope, Source, StackFrame, StoppedEvent,
    StoppedEventReason, Thread, Variable, VariablePresentationHint,
};

pub fn source(path: String) -> Source {
    let name = std::path::Path::new(&path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.clone());
    Source {
        name: Some(name),
        path: Some(path),
        source_reference: None,
        presentation_hint: None,
        origin: None,
        sources: None,
        adapter_data: None,
        checksums: None,
    }
}

/// Code that has no file, such as `<frozen codecs>`: named, without a path, de-emphasised.
pub fn pseudo_source(name: String) -> Source {
    Source {
        name: Some(name),
        path: None,
        source_reference: None,
        presentation_hint: Some(dap_types::SourcePresentationHint::Deemphasize),
        origin: Some("no source file".to_string()),
        sources: None,
        adapter_data: None,
        checksums: None,
    }
}

pub fn stack_frame(id: u64, name: String, source: Source, line: u64) -> StackFrame {
    StackFrame {
        id,
        name,
        source: Some(source),
        // Helix panics on line 0 in debug builds (editor-clients.md).
        line: line.max(1),
        column: 1,
        end_line: None,
        end_column: None,
        can_restart: Some(false),
        instruction_pointer_reference: None,
        module_id: None,
        presentation_hint: None,
    }
}

pub fn scope(name: &str, variables_reference: u64, named_variables: usize) -> Scope {
    Scope {
        name: name.to_string(),
        presentation_hint: Some(dap_types::ScopePresentationHint::Locals),
        variables_reference,
        named_variables: Some(named_variables as u64),
        indexed_variables: None,
        expensive: false,
        source: None,
        line: None,
        column: None,
        end_line: None,
        end_column: None,
    }
}

/// A variable as the editor shows it.
pub fn variable(
    name: String,
    value: String,
    type_name: Option<String>,
    evaluate_name: Option<String>,
    variables_reference: u64,
    presentation_hint: Option<VariablePresentationHint>,
) -> Variable {
    Variable {
        name,
        value,
        type_: type_name.filter(|t| !t.is_empty()),
        presentation_hint,
        evaluate_name,
        variables_reference,
        named_variables: None,
        indexed_variables: None,
        memory_reference: None,
    }
}

pub fn breakpoint(id: Option<u64>, verified: bool, message: Option<String>, line: u64) -> Breakpoint {
    Breakpoint {
        id,
        verified,
        message,
        source: None,
        line: Some(line),
        column: None,
        end_line: None,
        end_column: None,
        instruction_reference: None,
        offset: None,
        reason: None,
    }
}

pub fn thread(id: u64, name: String) -> Thread {
    Thread { id, name }
}

pub fn output(category: OutputEventCategory, text: String) -> OutputEvent {
    OutputEvent {
        category: Some(category),
        output: text,
        group: None,
        variables_reference: None,
        source: None,
        line: None,
        column: None,
        data: None,
    }
}

/// A module as ptvsd names it: by id and file only.
pub fn module(id: i64, name: String, path: String) -> Module {
    Module {
        id: u32::try_from(id).map_or_else(|_| ModuleId::String(id.to_string()), ModuleId::Number),
        name,
        path: Some(path),
        is_optimized: None,
        is_user_code: None,
        version: None,
        symbol_status: None,
        symbol_file_path: None,
        date_time_stamp: None,
        address_range: None,
    }
}

/// A stop of one thread; `description` is shown as its text too.
pub fn stopped(
    reason: StoppedEventReason,
    thread_id: u64,
    all_threads_stopped: bool,
    description: Option<String>,
    hit_breakpoint_ids: Option<Vec<u64>>,
) -> StoppedEvent {
    StoppedEvent {
        reason,
        text: description.clone(),
        description,
        thread_id: Some(thread_id),
        preserve_focus_hint: None,
        all_threads_stopped: Some(all_threads_stopped),
        hit_breakpoint_ids,
    }
}
