//! Values from the debuggee: variables, evaluate, setVariable/setExpression and logpoints.
//! Top-level variables come from the `THRF` cache; everything else is an `exec` or `chld` run
//! on a stopped thread, one at a time (§9.9).

pub(super) mod completions;
pub(super) mod evaluation;
pub(super) mod grouping;
pub(super) mod shorten;
pub(super) mod traceback;

use dap_types::requests;
use dap_types::{
    EvaluateArguments, EvaluateArgumentsContext, SetExpressionArguments, SetVariableArguments, SourceArguments,
    VariablesArguments, VariablesArgumentsFilter as VariablesFilter,
};

use self::evaluation::{ValueShape, Waiter, Work, EVALUATION_TIMEOUT};

use self::shorten::{shorten, ListedValues, Rest, EVALUATED_VALUE, WHOLE_VALUE};
use super::debuggee::handles::{FrameRef, VariableSource};
use super::debuggee::link::Link;
use super::requests::waiting::WaitsOn;
use super::{DebuggeeInput, Debugging};
use crate::dap::bodies;
use crate::dap::message::{body, Request, RequestError, ResponseBody};
use crate::dap::requests::{hex, source_reference};
use crate::wire::model::{Child, Command, Frame, FrameKind, Obj, ReprKind, Tid, FRAME_KIND_PYTHON};

type Reply = Result<ResponseBody, RequestError>;

impl Debugging<'_> {
    pub(super) fn variables(&mut self, request: Request, arguments: VariablesArguments) {
        if let Some(reply) = self.variables_or_queue(&request, &arguments) {
            self.editor.respond(&request, reply);
        }
    }

    /// `None` when the answer will come from the debuggee.
    fn variables_or_queue(&mut self, request: &Request, arguments: &VariablesArguments) -> Option<Reply> {
        let link = &mut *self.link;
        let reference = arguments.variables_reference;
        let start = arguments.start.unwrap_or(0) as usize;
        let count = arguments.count.filter(|c| *c > 0).unwrap_or(u64::MAX) as usize;
        let hex = hex(&arguments.format);
        match link.handles.variables(reference).cloned() {
            None => Some(Err(stale("variablesReference"))),
            Some(VariableSource::FrameLocals(frame)) => {
                let Some(thread_frame) = link.threads.get(frame.tid).and_then(|t| t.frames.get(frame.index)) else {
                    return Some(Err(stale("variablesReference")));
                };
                let (kind, children) = (thread_frame.kind, frame_children(thread_frame));
                let variables = lay_out(link, &frame, kind, hex, reference, children, start, count);
                Some(Ok(variables_body(variables)))
            }
            Some(VariableSource::Group { frame, kind, parent, group }) => {
                let listed = match link.handles.variables(parent) {
                    Some(VariableSource::FrameLocals(frame)) => {
                        link.threads.get(frame.tid).and_then(|t| t.frames.get(frame.index)).map(frame_children)
                    }
                    _ => link.handles.listed(parent).map(<[Child]>::to_vec),
                };
                let Some(listed) = listed else { return Some(Err(stale("variablesReference"))) };
                let members = grouping::members(&listed, group).into_iter().skip(start).take(count).collect();
                let variables = dap_children(link, &frame, kind, hex, reference, members);
                Some(Ok(variables_body(variables)))
            }
            Some(VariableSource::Children { frame, kind, expression, indexed }) => {
                if let Err(error) = evaluable(link, &frame) {
                    return Some(Err(error));
                }
                let (text, page) = match (indexed, arguments.filter) {
                    // A list or tuple has no named children worth a round trip.
                    (Some(_), Some(VariablesFilter::Named)) => return Some(Ok(variables_body(Vec::new()))),
                    // Pages, sliced in the debuggee: only what the editor shows crosses the link.
                    // Editors ask for 100 at a time, so a block of pages is fetched at once and the
                    // following pages are answered without a round trip.
                    (Some(length), Some(VariablesFilter::Indexed)) => {
                        let count = count.min(MAX_PAGE);
                        if let Some(children) = link.handles.cached_page(reference, start, count) {
                            let variables = dap_children(link, &frame, kind, hex, reference, children);
                            return Some(Ok(variables_body(variables)));
                        }
                        let end = (start as i64).saturating_add(count.max(PAGE_BLOCK) as i64).min(length);
                        (format!("({expression})[{start}:{end}]"), Some(Page { parent: expression, first: start }))
                    }
                    _ => (expression, None),
                };
                let start = if page.is_some() { 0 } else { start };
                let command = Command::EnumChildren {
                    text,
                    tid: frame.tid,
                    frame_id: frame.index as i64,
                    exec_id: 0,
                    frame_kind: kind,
                };
                let waiter = Waiter::Variables { seq: request.seq, frame, kind, start, count, hex, reference, page };
                link.evaluations.push(Work { command, waiter });
                self.editor.wait_on_debuggee(request.clone(), WaitsOn::Evaluation, None);
                self.pump_evaluations();
                None
            }
        }
    }

    pub(super) fn evaluate(&mut self, request: Request, arguments: EvaluateArguments) {
        let expression = arguments.expression;
        // "Copy Value": the whole repr, which ptvsd shortens for display; a raw view of the
        // repr string gives it uncut (ptvsd has raw views of strings only).
        let (text, repr_kind, shape) = match arguments.context {
            Some(EvaluateArgumentsContext::Clipboard) => {
                (format!("repr(({expression}\n))"), ReprKind::Raw, ValueShape::Copy)
            }
            _ => (expression.clone(), ReprKind::Normal, ValueShape::Evaluate),
        };
        let hex = hex(&arguments.format);
        let queued = self.queue_on_frame(&request, arguments.frame_id, text, repr_kind, |frame, kind| {
            Waiter::Evaluate { seq: request.seq, expression, frame, kind, shape, hex }
        });
        if let Err(error) = queued {
            self.editor.respond(&request, Err(error));
        }
    }

    /// `source` for a file with no local copy: read through the debuggee, on a stopped thread.
    pub(super) fn source(&mut self, request: Request, arguments: &SourceArguments) {
        let file = self.link.files.remote_sources.file(source_reference(arguments));
        let Some(file) = file.map(str::to_string) else {
            self.editor.respond(&request, Err(RequestError::new("no source is available for this reference")));
            return;
        };
        // The file's text, whatever its encoding; the path is a literal, never code.
        let text = format!("open({}, 'rb').read().decode('utf-8', 'replace')", python_string(&file));
        let queued = self.queue_on_frame(&request, None, text, ReprKind::Raw, |_, _| Waiter::Source {
            seq: request.seq,
            file: file.clone(),
        });
        if let Err(error) = queued {
            let message = format!("{file} has no local copy, and it can be read through the debuggee only while the program is paused ({})", error.message);
            self.editor.respond(&request, Err(RequestError::new(message)));
        }
    }

    /// `setVariable`: `exec "<target> = <value>"` in the frame of the variable, where `target`
    /// is its expression, then the target is evaluated again to show what the program now
    /// sees (§9.9).
    pub(super) fn set_variable(&mut self, request: Request, arguments: SetVariableArguments) {
        let queued = assignment_target(self.link, &arguments).and_then(|(frame_id, target)| {
            let hex = hex(&arguments.format);
            self.queue_assignment(&request, Some(frame_id), target, arguments.value, hex, ValueShape::SetVariable)
        });
        if let Err(error) = queued {
            self.editor.respond(&request, Err(error));
        }
    }

    /// `setExpression`: as `setVariable`, with the editor's expression as the target.
    pub(super) fn set_expression(&mut self, request: Request, arguments: SetExpressionArguments) {
        let SetExpressionArguments { expression, value, frame_id, format } = arguments;
        let shape = ValueShape::SetExpression;
        if let Err(error) = self.queue_assignment(&request, frame_id, expression, value, hex(&format), shape) {
            self.editor.respond(&request, Err(error));
        }
    }

    fn queue_assignment(
        &mut self,
        request: &Request,
        frame_id: Option<u64>,
        target: String,
        value: String,
        hex: bool,
        shape: ValueShape,
    ) -> Result<(), RequestError> {
        self.queue_on_frame(request, frame_id, format!("{target} = {value}"), ReprKind::Normal, |frame, kind| {
            Waiter::Assign { seq: request.seq, target, frame, kind, hex, shape }
        })
    }

    /// Queues an `exec` of `text` on the given frame (or the top frame of the first stopped
    /// thread) once it is safe there.
    pub(super) fn queue_on_frame(
        &mut self,
        request: &Request,
        frame_id: Option<u64>,
        text: String,
        repr_kind: ReprKind,
        waiter: impl FnOnce(FrameRef, FrameKind) -> Waiter,
    ) -> Result<(), RequestError> {
        let link = &mut *self.link;
        let frame = match frame_id {
            Some(id) => link.handles.frame(id).cloned().ok_or_else(|| stale("frameId"))?,
            None => FrameRef {
                tid: link.threads.first_blocked().ok_or_else(|| {
                    RequestError::new(format!(
                        "'{}' needs a paused program: stop at a breakpoint or pause first",
                        request.command
                    ))
                })?,
                index: 0,
            },
        };
        evaluable(link, &frame)?;
        let kind = link.threads.frame_kind(frame.tid, frame.index).unwrap_or(FRAME_KIND_PYTHON);
        let command = execute(text, frame.tid, frame.index as i64, kind, repr_kind);
        link.evaluations.push(Work { command, waiter: waiter(frame, kind) });
        self.editor.wait_on_debuggee(request.clone(), WaitsOn::Evaluation, None);
        self.pump_evaluations();
        Ok(())
    }

    /// Sends the next queued evaluation if the debuggee is free.
    pub(super) fn pump_evaluations(&mut self) {
        if let Some((exec_id, command)) = self.link.evaluations.next_to_send() {
            self.link.send(command);
            let timer = self.editor.after(EVALUATION_TIMEOUT, DebuggeeInput::EvaluationTimeout(exec_id));
            // The previous evaluation has been answered (or has timed out): its timer is moot.
            if let Some(previous) = self.link.evaluations.timer.replace(timer) {
                previous.abort();
            }
        }
    }

    /// A logpoint was hit: its message is evaluated on the stopped thread, printed, and the
    /// thread resumed, without the editor ever seeing a stop. It costs one round trip of pause.
    pub(super) fn run_logpoint(&mut self, tid: Tid, message: &str) {
        let link = &mut *self.link;
        let kind = link.threads.frame_kind(tid, 0).unwrap_or(FRAME_KIND_PYTHON);
        let command = execute(logpoint_expression(message), tid, 0, kind, ReprKind::Raw);
        link.evaluations.push(Work { command, waiter: Waiter::Logpoint { tid } });
        self.pump_evaluations();
    }

    pub(super) fn on_evaluated(&mut self, waiter: Waiter, result: Result<Obj, String>) {
        match waiter {
            Waiter::Evaluate { seq, expression, frame, kind, shape, hex } => {
                let reply = match result {
                    Ok(obj) => {
                        // Children of `a + b` would be asked for as `a + b.attr` (§4.3).
                        let variable = dap_variable(
                            self.link,
                            &frame,
                            kind,
                            String::new(),
                            None,
                            &obj,
                            Some(format!("({expression})")),
                            hex,
                        );
                        Ok(evaluated_body(shape, variable))
                    }
                    Err(text) => Err(RequestError::new(text)),
                };
                self.editor.answer_waiting(seq, reply);
            }
            Waiter::Assign { seq, target, frame, kind, hex, shape } => match result {
                Ok(_) => {
                    let command = execute(target.clone(), frame.tid, frame.index as i64, kind, ReprKind::Normal);
                    let waiter = Waiter::Evaluate { seq, expression: target, frame, kind, shape, hex };
                    self.link.evaluations.push(Work { command, waiter });
                    self.pump_evaluations();
                }
                Err(text) => self.editor.answer_waiting(seq, Err(RequestError::new(text))),
            },
            Waiter::Variables { seq, .. } => {
                let message = result.err().unwrap_or_else(|| "unexpected evaluation result".to_string());
                self.editor.answer_waiting(seq, Err(RequestError::new(message)));
            }
            Waiter::Source { seq, file } => {
                let reply = match result {
                    Ok(obj) => {
                        let content = shorten(obj.repr.unwrap_or_default(), WHOLE_VALUE, Rest::NotShown);
                        let mime_type = Some("text/x-python".to_string());
                        Ok(body::<requests::Source>(dap_types::SourceResponse { content, mime_type }))
                    }
                    Err(text) => Err(RequestError::new(format!("cannot read {file} in the debuggee: {text}"))),
                };
                self.editor.answer_waiting(seq, reply);
            }
            Waiter::Logpoint { tid } => {
                let text = match result {
                    Ok(obj) => obj.repr.unwrap_or_default(),
                    Err(error) => format!("<logpoint error: {error}>"),
                };
                self.editor.program_output(dap_types::OutputEventCategory::Console, format!("{text}\n"));
                self.resume_silently(tid);
            }
            Waiter::Completions { seq, query } => self.on_completions(seq, query, result),
            Waiter::Straggler { tid } => self.on_straggler_probe(tid, result),
            Waiter::AttachProbe { tid } => self.on_attach_probe(tid, result),
        }
    }

    pub(super) fn on_children(&mut self, waiter: Waiter, children: Vec<Child>) {
        let Waiter::Variables { seq, frame, kind, start, count, hex, reference, page } = waiter else {
            tracing::warn!("children arrived for an evaluation");
            return;
        };
        let link = &mut *self.link;
        let variables = match &page {
            Some(page) => {
                let block: Vec<Child> = children
                    .into_iter()
                    .map(|mut child| {
                        page.renumber(&mut child);
                        child
                    })
                    .collect();
                let shown = block.iter().take(count).cloned().collect();
                link.handles.cache_page(reference, page.first, block);
                dap_children(link, &frame, kind, hex, reference, shown)
            }
            None => lay_out(link, &frame, kind, hex, reference, children, start, count),
        };
        self.editor.answer_waiting(seq, Ok(variables_body(variables)));
    }

    pub(super) fn fail_waiter(&mut self, waiter: Waiter, message: String) {
        match waiter {
            Waiter::Evaluate { seq, .. }
            | Waiter::Variables { seq, .. }
            | Waiter::Assign { seq, .. }
            | Waiter::Source { seq, .. }
            | Waiter::Completions { seq, .. } => self.editor.answer_waiting(seq, Err(RequestError::new(message))),
            Waiter::Logpoint { tid } => self.resume_silently(tid),
            Waiter::AttachProbe { tid } => self.resume_after_attach_stop(tid),
            Waiter::Straggler { tid } => self.on_straggler_probe(tid, Err(message)),
        }
    }

    pub(super) fn on_evaluation_timeout(&mut self, exec_id: i64) {
        if let Some(waiter) = self.link.evaluations.time_out(exec_id) {
            let message = format!(
                "the debuggee did not answer within {} s (the expression may still be running)",
                EVALUATION_TIMEOUT.as_secs()
            );
            self.fail_waiter(waiter, message);
        }
    }
}

/// One level of variables as the editor lists it: the groups first, then the rest; `start`
/// and `count` page through that list. The children are kept so a group opens at once.
#[allow(clippy::too_many_arguments)]
fn lay_out(
    link: &mut Link,
    frame: &FrameRef,
    kind: FrameKind,
    hex: bool,
    reference: u64,
    children: Vec<Child>,
    start: usize,
    count: usize,
) -> Vec<dap_types::Variable> {
    let layout = grouping::layout(&children);
    link.handles.remember_listed(reference, children);
    let group_count = layout.groups.len();
    let mut rows: Vec<dap_types::Variable> = Vec::new();
    for (group, members) in layout.groups.into_iter().skip(start).take(count) {
        let source = VariableSource::Group { frame: frame.clone(), kind, parent: reference, group };
        let group_reference = link.handles.variables_reference(source);
        let mut row = bodies::variable(
            group.label().to_string(),
            String::new(),
            None,
            None,
            group_reference,
            Some(grouping::group_hint()),
        );
        row.named_variables = u64::try_from(members).ok();
        rows.push(row);
    }
    let plain = layout.plain.into_iter().skip(start.saturating_sub(group_count)).take(count - rows.len()).collect();
    rows.extend(dap_children(link, frame, kind, hex, reference, plain));
    rows
}

fn dap_children(
    link: &mut Link,
    frame: &FrameRef,
    kind: FrameKind,
    hex: bool,
    reference: u64,
    children: Vec<Child>,
) -> Vec<dap_types::Variable> {
    children
        .into_iter()
        .map(|child| {
            if let Some(expression) = &child.expression {
                link.handles.remember_child(reference, &child.name, expression);
            }
            let expression = child.expression.clone();
            dap_variable(link, frame, kind, child.name, expression.clone(), &child.obj, expression, hex)
        })
        .collect()
}

/// The frame id and the expression `setVariable` assigns to.
fn assignment_target(link: &mut Link, arguments: &SetVariableArguments) -> Result<(u64, String), RequestError> {
    let reference = arguments.variables_reference;
    let name = &arguments.name;
    let target = link.handles.assignable_expression(reference, name).ok_or_else(|| {
        RequestError::new(format!("'{name}' cannot be assigned: it has no expression the debuggee can evaluate"))
    })?;
    let frame = link
        .handles
        .variables(reference)
        .map(VariableSource::frame)
        .cloned()
        .ok_or_else(|| stale("variablesReference"))?;
    Ok((link.handles.frame_id(frame), target))
}

/// A `variables` answer, its values within what one message carries (`shorten.rs`).
fn variables_body(mut variables: Vec<dap_types::Variable>) -> ResponseBody {
    let mut budget = ListedValues::default();
    for variable in &mut variables {
        variable.value = budget.fit(std::mem::take(&mut variable.value));
    }
    body::<requests::Variables>(dap_types::VariablesResponse { variables })
}

/// The answer to `evaluate` (the result as the context allows it) or to `setVariable` and
/// `setExpression` (the value the program now sees).
fn evaluated_body(shape: ValueShape, variable: dap_types::Variable) -> ResponseBody {
    let dap_types::Variable { value, type_, variables_reference, .. } = variable;
    let result = |value, type_| {
        body::<requests::Evaluate>(dap_types::EvaluateResponse {
            result: value,
            type_,
            presentation_hint: None,
            variables_reference,
            named_variables: None,
            indexed_variables: None,
            memory_reference: None,
        })
    };
    match shape {
        ValueShape::Evaluate => result(shorten(value, EVALUATED_VALUE, Rest::CopyValue), type_),
        ValueShape::Copy => result(shorten(value, WHOLE_VALUE, Rest::NotShown), type_),
        ValueShape::SetVariable => body::<requests::SetVariable>(dap_types::SetVariableResponse {
            value: shorten(value, EVALUATED_VALUE, Rest::CopyValue),
            type_,
            variables_reference: Some(variables_reference),
            named_variables: None,
            indexed_variables: None,
            memory_reference: None,
        }),
        ValueShape::SetExpression => body::<requests::SetExpression>(dap_types::SetExpressionResponse {
            value: shorten(value, EVALUATED_VALUE, Rest::CopyValue),
            type_,
            presentation_hint: None,
            variables_reference: Some(variables_reference),
            named_variables: None,
            indexed_variables: None,
            memory_reference: None,
        }),
    }
}

/// A frame's variables as children whose expression is their own name.
fn frame_children(frame: &Frame) -> Vec<Child> {
    frame
        .variables
        .iter()
        .map(|v| Child { name: v.name.clone(), expression: Some(v.name.clone()), obj: v.obj.clone() })
        .collect()
}

/// An evaluation of `text` in a frame; its execution id is set when it is sent.
pub(super) fn execute(text: String, tid: Tid, frame_id: i64, frame_kind: FrameKind, repr_kind: ReprKind) -> Command {
    Command::Execute { text, tid, frame_id, exec_id: 0, frame_kind, repr_kind, module_name: None, print_result: false }
}

/// A Python expression for a logpoint message: `{expr}` parts are evaluated and joined with the
/// literal text (`{{`/`}}` escape braces), as debugpy does. The text is `unicode` on Python 2
/// (§12.1): `str()` of a non-ASCII `unicode` fails there, and its `str` values are UTF-8 bytes.
pub(super) fn logpoint_expression(message: &str) -> String {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                literal.push(c);
                chars.next();
            }
            ('{', _) => {
                let mut depth = 1;
                let mut expression = String::new();
                for c in chars.by_ref() {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    if depth == 0 {
                        break;
                    }
                    expression.push(c);
                }
                if !literal.is_empty() {
                    parts.push(text_literal(&std::mem::take(&mut literal)));
                }
                parts.push(format!("{AS_TEXT}({})", expression.trim()));
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() || parts.is_empty() {
        parts.push(text_literal(&literal));
    }
    format!("u''.join([{}])", parts.join(", "))
}

/// A value as text on Python 2 and 3: itself if text, else its `str()`, decoded from UTF-8 on
/// Python 2. Only its parameter and builtins inside, so the message's names stay in the frame.
const AS_TEXT: &str = "(lambda v: v if isinstance(v, type(u'')) else \
                       (lambda s: s if isinstance(s, type(u'')) else s.decode('utf-8', 'replace'))(str(v)))";

/// A text literal (`u"..."`: Python 2 reads `\u` escapes only in those).
fn text_literal(text: &str) -> String {
    format!("u{}", python_string(text))
}

/// A Python string literal for any text (JSON's escapes are valid in Python).
fn python_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".to_string())
}

fn stale(what: &str) -> RequestError {
    RequestError::new(format!("this {what} is no longer valid: the program has resumed since it was shown"))
}

/// Evaluating is only safe on a thread that is blocked, with a frame from its latest `THRF`
/// (a frame id past the stack kills the v6 loop, §9.9).
fn evaluable(link: &Link, frame: &FrameRef) -> Result<(), RequestError> {
    let thread = link.threads.get(frame.tid).ok_or_else(|| stale("frame"))?;
    if !thread.blocked {
        return Err(RequestError::new("that thread is running: evaluation needs it to be paused"));
    }
    if frame.index >= thread.frames.len() {
        return Err(stale("frame"));
    }
    if link.evaluations.is_stuck() {
        return Err(RequestError::new(
            "the debuggee has not finished an earlier evaluation, so nothing else can be evaluated until it does",
        ));
    }
    Ok(())
}

/// A DAP variable for a ptvsd object; `expandable_as` is the expression whose children it has.
#[allow(clippy::too_many_arguments)]
fn dap_variable(
    link: &mut Link,
    frame: &FrameRef,
    kind: FrameKind,
    name: String,
    evaluate_name: Option<String>,
    obj: &Obj,
    expandable_as: Option<String>,
    hex: bool,
) -> dap_types::Variable {
    let indexed = (matches!(obj.type_name.as_str(), "list" | "tuple") && obj.length > PAGED_FROM).then_some(obj.length);
    let reference = match expandable_as {
        Some(expression) if obj.is_expandable() => link.handles.variables_reference(VariableSource::Children {
            frame: frame.clone(),
            kind,
            expression,
            indexed,
        }),
        _ => 0,
    };
    let value = match (&obj.hex_repr, hex) {
        // VS dropped hex for booleans (`True` has hex `0x1`).
        (Some(hex_repr), true) if obj.type_name != "bool" => hex_repr.clone(),
        _ => obj.repr.clone().unwrap_or_default(),
    };
    let hint = grouping::hint(&name, obj);
    let mut variable = bodies::variable(name, value, Some(obj.type_name.clone()), evaluate_name, reference, hint);
    if reference != 0 {
        variable.indexed_variables = indexed.and_then(|length| u64::try_from(length).ok());
    }
    variable
}

/// Lists and tuples longer than this are shown in pages the editor asks for.
const PAGED_FROM: i64 = 100;
/// The most children one page asks ptvsd for (it stops at 10,000 anyway, §4.3).
const MAX_PAGE: usize = 1000;
/// How many items one round trip fetches for a paged list: ten of an editor's pages of 100.
const PAGE_BLOCK: usize = 1000;

/// A page of a long list: `(parent)[first:end]` enumerates as `[0]`, `[1]`, ...; shown as
/// `[first]`, `[first + 1]`, ... with expressions on the parent itself.
#[derive(Debug, Clone)]
pub struct Page {
    pub parent: String,
    pub first: usize,
}

impl Page {
    fn renumber(&self, child: &mut Child) {
        let index =
            child.name.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).and_then(|n| n.parse::<usize>().ok());
        if let Some(index) = index {
            let absolute = self.first + index;
            child.name = format!("[{absolute}]");
            child.expression = Some(format!("({})[{absolute}]", self.parent));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logpoint_messages_become_python() {
        let text = |expression: &str| format!("{AS_TEXT}({expression})");
        assert_eq!(logpoint_expression("n is {n}"), format!(r#"u''.join([u"n is ", {}])"#, text("n")));
        assert_eq!(
            logpoint_expression("{a}{ {'k': 1}['k'] }!"),
            format!(r#"u''.join([{}, {}, u"!"])"#, text("a"), text("{'k': 1}['k']"))
        );
        assert_eq!(logpoint_expression("braces {{ok}} \"q\" café"), r#"u''.join([u"braces {ok} \"q\" café"])"#);
        assert_eq!(logpoint_expression(""), r#"u''.join([u""])"#);
    }
}
