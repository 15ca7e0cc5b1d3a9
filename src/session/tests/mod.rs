//! The session's rules, tested against a fake ptvsd through the real codec and the real event
//! loop (no Python): what the adapter sends the debuggee, and what the editor hears, in the
//! states where a wrong command would wedge or kill ptvsd (docs/protocol.md §11).

mod fake;

use serde_json::json;

use fake::{attached, FakePtvsd};

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
    let (mut editor, mut link, session) = attached(&fake).await;
    editor.request("configurationDone", json!({})).await;
    link.pass_attach_stop().await;
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
    editor.send("disconnect", json!({})).await;
    link.detach().await;
    editor.until_end().await;
    session.await.expect("the session ends");
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
