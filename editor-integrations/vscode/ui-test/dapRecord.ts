// The DAP requests VS Code sent in one session, in order, from the recorder extension's JSON lines
// (ui-test/dap-recorder): what the real VS Code does, to compare with the stand-in's sessions.

import * as fs from 'fs';

interface Recorded {
    time: number;
    session: string;
    direction: 'to adapter' | 'from adapter' | 'error' | 'exit';
    message: { type?: string; command?: string; event?: string; arguments?: Record<string, unknown> };
}

/** The arguments worth seeing in a summary line (paging, contexts, filters), per command. */
const SHOWN: Record<string, string[]> = {
    initialize: ['clientID', 'adapterID', 'linesStartAt1', 'columnsStartAt1', 'pathFormat', 'supportsVariablePaging', 'supportsVariableType', 'supportsRunInTerminalRequest', 'supportsProgressReporting', 'supportsInvalidatedEvent', 'supportsMemoryReferences', 'supportsArgsCanBeInterpretedByShell', 'supportsStartDebuggingRequest', 'supportsANSIStyling'],
    attach: ['__sessionId', 'cwd', 'connectTimeout', 'pathMappings'],
    setBreakpoints: ['breakpoints', 'lines', 'sourceModified'],
    setExceptionBreakpoints: ['filters', 'filterOptions', 'exceptionOptions'],
    stackTrace: ['threadId', 'startFrame', 'levels', 'format'],
    scopes: ['frameId'],
    variables: ['variablesReference', 'filter', 'start', 'count', 'format'],
    evaluate: ['expression', 'frameId', 'context', 'format'],
    completions: ['text', 'column', 'line', 'frameId'],
    continue: ['threadId', 'singleThread'],
    next: ['threadId', 'granularity', 'singleThread'],
    disconnect: ['restart', 'terminateDebuggee', 'suspendDebuggee'],
    exceptionInfo: ['threadId'],
    source: ['sourceReference'],
};

/** One line per request of `session` (the launch configuration's name), with its arguments. */
export function summarizeRecord(file: string, session: string): string {
    let text = '';
    try {
        text = fs.readFileSync(file, 'utf8');
    } catch {
        return `(no DAP record at ${file})\n`;
    }
    const lines: string[] = [];
    let start: number | undefined;
    for (const line of text.split('\n')) {
        if (line.trim() === '') {
            continue;
        }
        let entry: Recorded;
        try {
            entry = JSON.parse(line) as Recorded;
        } catch {
            continue;
        }
        if (entry.session !== session) {
            continue;
        }
        start ??= entry.time;
        const at = `+${String(entry.time - start).padStart(6)} ms`;
        const m = entry.message;
        if (entry.direction === 'to adapter' && m.type === 'request' && m.command) {
            const args = m.arguments ?? {};
            const shown = (SHOWN[m.command] ?? []).filter((key) => key in args).map((key) => `${key}=${JSON.stringify(args[key])}`);
            lines.push(`${at} request ${m.command} ${shown.join(' ')}`.trimEnd());
        } else if (entry.direction === 'from adapter' && m.type === 'event' && m.event !== 'output' && m.event !== 'module') {
            lines.push(`${at}   event ${m.event}`);
        } else if (entry.direction === 'error' || entry.direction === 'exit') {
            lines.push(`${at}   ${entry.direction} ${JSON.stringify(m)}`);
        }
    }
    return lines.join('\n') + '\n';
}
