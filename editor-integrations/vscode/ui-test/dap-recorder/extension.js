// Records, as JSON lines, every DAP message VS Code and the ptvsd-remote adapter exchange, into
// the file named by PTVSD_DAP_UI_DAP_RECORD (set by the UI test on code-server). The attach
// arguments' secret-bearing fields are replaced before anything is written.
'use strict';
const fs = require('fs');
const vscode = require('vscode');

const SECRET_FIELDS = ['url', 'secret'];

function redact(message) {
    if (message && message.command === 'attach' && message.arguments) {
        const args = { ...message.arguments };
        for (const field of SECRET_FIELDS) {
            if (field in args) {
                args[field] = '<redacted>';
            }
        }
        return { ...message, arguments: args };
    }
    return message;
}

exports.activate = function activate(context) {
    const file = process.env.PTVSD_DAP_UI_DAP_RECORD;
    if (!file) {
        return;
    }
    const write = (session, direction, message) => {
        const line = { time: Date.now(), session: session.name, direction, message: redact(message) };
        fs.appendFileSync(file, JSON.stringify(line) + '\n');
    };
    context.subscriptions.push(
        vscode.debug.registerDebugAdapterTrackerFactory('ptvsd-remote', {
            createDebugAdapterTracker(session) {
                return {
                    onWillReceiveMessage: (message) => write(session, 'to adapter', message),
                    onDidSendMessage: (message) => write(session, 'from adapter', message),
                    onError: (error) => write(session, 'error', { error: String(error) }),
                    onExit: (code, signal) => write(session, 'exit', { code, signal }),
                };
            },
        }),
    );
};

exports.deactivate = function deactivate() {};
