//! The session's rules, tested against a fake ptvsd through the real codec and the real event
//! loop (no Python): what the adapter sends the debuggee, and what the editor hears, in the
//! states where a wrong command would wedge or kill ptvsd (docs/protocol.md §11).

mod fake;

use serde_json::json;

use fake::{attached, disconnect, initialized, running, FakePtvsd};

/// A request waiting on the debuggee is answered when the link closes: here a `setBreakpoints`
/// inside its reply window, which used to be forgotten (the editor waited for good).
#[tokio::test]
async fn set_breakpoints_is_answered_when_the_link_closes_before_ptvsd_confirms() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = attached(&fake).await;
    let seq = editor
        .send("setBreakpoints", json!({"source": {"path": "/srv/app/views.py"}, "breakpoints": [{"line": 12}]}))
        .await;
    link.expect("legacySetBreakpoint").await;
    link.cut();
    let response = editor.response(seq).await;
    assert_eq!(response["success"], false, "{response}");
    let message = response["message"].as_str().unwrap_or_default();
    assert!(message.contains("session ended") && message.contains("connection to the debuggee"), "{message}");
    editor.event("terminated").await;
    let disconnect = editor.request("disconnect", json!({})).await;
    assert_eq!(disconnect["success"], true);
    editor.until_end().await;
    session.await.expect("the session ends");
}

/// Every way out detaches in-protocol before the link closes (§9.13): the editor's
/// `disconnect`, the editor going away, and data the adapter cannot read.
#[tokio::test]
async fn disconnect_detaches_before_closing() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = attached(&fake).await;
    let seq = editor.send("disconnect", json!({})).await;
    link.detach().await;
    assert_eq!(editor.response(seq).await["success"], true);
    editor.until_end().await;
    session.await.expect("the session ends");
}

#[tokio::test]
async fn the_editor_going_away_detaches() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = attached(&fake).await;
    editor.close_input().await;
    link.detach().await;
    session.await.expect("the session ends");
}

#[tokio::test]
async fn unreadable_data_from_the_debuggee_detaches() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = attached(&fake).await;
    link.raw(b"Content-Length: 5\r\n\r\n{oops").await;
    link.detach().await;
    editor.event_where("output", |body| body["output"].as_str().is_some_and(|text| text.contains("cannot read"))).await;
    editor.event("terminated").await;
    editor.request("disconnect", json!({})).await;
    editor.until_end().await;
    session.await.expect("the session ends");
}

/// A `brka` while the program is stopped leaves a flag in ptvsd that fakes a later pause
/// (§9.5): a second `pause` while stopped sends nothing.
#[tokio::test]
async fn no_break_all_while_stopped() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = running(&fake).await;
    assert_eq!(editor.request("pause", json!({"threadId": 1})).await["success"], true);
    link.expect("legacyBreakAll").await;
    link.frames(fake::TID, "/srv/app/main.py", 11).await;
    link.event("legacyAsyncBreak", json!({"threadId": fake::TID})).await;
    let stopped = editor.event("stopped").await;
    assert_eq!(stopped["body"]["reason"], "pause");
    assert_eq!(editor.request("pause", json!({"threadId": 1})).await["success"], true);
    editor.request("continue", json!({"threadId": stopped["body"]["threadId"]})).await;
    link.expect("legacyResumeAll").await;
    let break_alls = link.names().iter().filter(|name| *name == "legacyBreakAll").count();
    assert_eq!(break_alls, 1, "{:?}", link.names());
    disconnect(editor, link, session).await;
}

/// Every `REQH` is answered, exactly once, with the name it came with (§9.8): from the local
/// copy when one may be read, "everything handled" at once for a file that is no source.
#[tokio::test]
async fn every_handler_request_is_answered_once() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = attached(&fake).await;
    editor.request("setExceptionBreakpoints", json!({"filters": ["uncaught"]})).await;
    link.expect("legacySetExceptionInfo").await;
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/app.py");
    for file in ["/proc/self/pagemap", source, "/dev/zero"] {
        link.event("legacyRequestHandlers", json!({"fileName": file})).await;
        let answer = link.expect("legacySetExceptionHandlerInfo").await;
        assert_eq!(answer["arguments"]["fileName"], file);
        let statements = answer["arguments"]["statements"].as_array().cloned().unwrap_or_default();
        let catch_all = statements.len() == 1 && statements[0]["expressions"] == json!(["*"]);
        assert_eq!(catch_all, file != source, "{file}: {statements:?}");
    }
    // One that comes as the session ends is answered too, before or while it detaches.
    link.event("legacyRequestHandlers", json!({"fileName": "/srv/app/other.py"})).await;
    editor.send("disconnect", json!({})).await;
    link.detach().await;
    let names = link.names();
    let answers = names.iter().filter(|name| *name == "legacySetExceptionHandlerInfo").count();
    assert_eq!(answers, 4, "{names:?}");
    editor.until_end().await;
    session.await.expect("the session ends");
}

/// An attached session whose program runs (the attach stop passed), and the stop of the
/// fake's thread after a `pause`: its DAP thread id.
async fn paused(editor: &mut fake::Editor, link: &mut fake::FakeLink) -> serde_json::Value {
    editor.request("pause", json!({"threadId": 1})).await;
    link.expect("legacyBreakAll").await;
    link.frames(fake::TID, "/srv/app/main.py", 11).await;
    link.event("legacyAsyncBreak", json!({"threadId": fake::TID})).await;
    editor.event("stopped").await["body"]["threadId"].clone()
}

/// A step on a thread that is not blocked kills ptvsd's debugger loop (§9.4): refused with the
/// reason, and sent once the thread is paused.
#[tokio::test]
async fn steps_only_on_blocked_threads() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = running(&fake).await;
    let threads = editor.request("threads", json!({})).await;
    let thread_id = threads["body"]["threads"][0]["id"].clone();
    let refused = editor.request("next", json!({"threadId": thread_id})).await;
    assert_eq!(refused["success"], false);
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("is running")), "{refused}");
    let stopped = paused(&mut editor, &mut link).await;
    assert_eq!(editor.request("next", json!({"threadId": stopped})).await["success"], true);
    link.expect("legacyStepOver").await;
    let steps = link.names().iter().filter(|name| name.starts_with("legacyStep")).count();
    assert_eq!(steps, 1, "{:?}", link.names());
    disconnect(editor, link, session).await;
}

/// Overlapping evaluations kill ptvsd's debugger loop (§9.9): the second is sent only once the
/// first has been answered, and each editor request gets its own answer.
#[tokio::test]
async fn one_evaluation_at_a_time() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = running(&fake).await;
    let thread_id = paused(&mut editor, &mut link).await;
    let frames = editor.request("stackTrace", json!({"threadId": thread_id})).await;
    let frame_id = frames["body"]["stackFrames"][0]["id"].clone();
    let first = editor.send("evaluate", json!({"expression": "a", "frameId": frame_id, "context": "watch"})).await;
    let second = editor.send("evaluate", json!({"expression": "b", "frameId": frame_id, "context": "watch"})).await;
    let sent = link.expect("legacyExecuteText").await;
    link.respond(&sent, json!({})).await;
    assert_eq!(sent["arguments"]["text"], "a");
    // Both requests have reached the session once a later one is answered.
    editor.request("threads", json!({})).await;
    let early = link.command_within(std::time::Duration::from_millis(200)).await;
    assert!(early.is_none(), "sent while the first evaluation runs: {early:?}");
    let obj = json!({"objRepr": "1", "typeName": "int", "length": 0, "flags": 0});
    link.event("legacyExecutionResult", json!({"executionId": sent["arguments"]["executionId"], "obj": obj})).await;
    assert_eq!(editor.response(first).await["body"]["result"], "1");
    assert_eq!(link.answer_evaluation("2").await["arguments"]["text"], "b");
    assert_eq!(editor.response(second).await["body"]["result"], "2");
    disconnect(editor, link, session).await;
}

/// On an exception stop the other threads run on (§8.3): on 3.1/3.2 a running thread's stack is
/// fetched (`thrf`) when the editor asks for it, and the stopped thread's comes from its frames.
#[tokio::test]
async fn running_threads_stacks_are_fetched_on_3_2() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = running(&fake).await;
    let raiser = fake::TID + 1;
    link.event("legacyThreadCreate", json!({"threadId": raiser})).await;
    link.frames_named(raiser, Some("raiser"), "/srv/app/views.py", 40).await;
    let data = json!({"typename": "ValueError", "message": "bad 7"});
    link.event("legacyException", json!({"threadId": raiser, "data": data})).await;
    let stopped = editor.event("stopped").await;
    assert_eq!(stopped["body"]["reason"], "exception");
    let threads = editor.request("threads", json!({})).await;
    let main = threads["body"]["threads"]
        .as_array()
        .and_then(|threads| threads.iter().find(|thread| thread["id"] != stopped["body"]["threadId"]))
        .map(|thread| thread["id"].clone())
        .unwrap_or_default();
    let own = editor.request("stackTrace", json!({"threadId": stopped["body"]["threadId"]})).await;
    assert_eq!(own["body"]["stackFrames"][0]["line"], 40, "{own}");
    let asked = editor.send("stackTrace", json!({"threadId": main})).await;
    let thrf = link.expect("legacyGetThreadFrames").await;
    assert_eq!(thrf["arguments"]["threadId"], fake::TID);
    link.frames_named(fake::TID, None, "/srv/app/main.py", 27).await;
    let fetched = editor.response(asked).await;
    assert_eq!(fetched["body"]["stackFrames"][0]["line"], 27, "{fetched}");
    let thrfs = link.names().iter().filter(|name| *name == "legacyGetThreadFrames").count();
    assert_eq!(thrfs, 1, "{:?}", link.names());
    disconnect(editor, link, session).await;
}

/// Requests that need the debuggee are refused by the dispatcher before `attach`, naming the
/// request; the ones that do not are answered.
#[tokio::test]
async fn requests_for_the_debuggee_before_attach_say_so() {
    let (mut editor, session) = initialized().await;
    for (command, arguments) in [("threads", json!({})), ("stackTrace", json!({"threadId": 1}))] {
        let refused = editor.request(command, arguments).await;
        let message = refused["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("'{command}' needs an attached debuggee")), "{refused}");
    }
    let missing = editor.request("scopes", json!({})).await;
    assert!(missing["message"].as_str().is_some_and(|m| m.contains("frameId")), "{missing}");
    assert_eq!(editor.request("disconnect", json!({})).await["success"], true);
    editor.until_end().await;
    session.await.expect("the session ends");
}

/// ptvsd detaching on its own (the program exits) ends the attached phase from inside an event
/// handler: the evaluation waiting on it fails saying why, and the editor hears the end.
#[tokio::test]
async fn the_program_exiting_fails_what_waits_and_ends_the_session() {
    let fake = FakePtvsd::listen().await;
    let (mut editor, mut link, session) = running(&fake).await;
    let thread_id = paused(&mut editor, &mut link).await;
    let frames = editor.request("stackTrace", json!({"threadId": thread_id})).await;
    let frame_id = frames["body"]["stackFrames"][0]["id"].clone();
    let waiting = editor.send("evaluate", json!({"expression": "slow()", "frameId": frame_id})).await;
    link.expect("legacyExecuteText").await;
    link.event("legacyDetach", json!({})).await;
    editor.event_where("output", |body| body["output"].as_str().is_some_and(|t| t.contains("ptvsd detached"))).await;
    let failed = editor.response(waiting).await;
    assert_eq!(failed["success"], false);
    let message = failed["message"].as_str().unwrap_or_default();
    assert!(message.contains("the debug session ended: the program is exiting"), "{failed}");
    editor.event("terminated").await;
    let after = editor.request("threads", json!({})).await;
    assert!(after["message"].as_str().is_some_and(|m| m.contains("has ended")), "{after}");
    assert_eq!(editor.request("disconnect", json!({})).await["success"], true);
    editor.until_end().await;
    session.await.expect("the session ends");
}
