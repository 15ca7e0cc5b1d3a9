// A DebugClient (from @vscode/debugadapter-testsupport) that starts the adapter the way VS Code
// starts a DebugAdapterExecutable (command + args, DAP on stdin/stdout), and checks every message
// the adapter writes: framing, sequence numbers, one response per request, the DAP JSON schema
// (tests/fixtures/debugAdapterProtocol.json), and that the debuggee's secret never appears.

import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol as P } from '@vscode/debugprotocol';
import Ajv04 from 'ajv-draft-04';
import { ValidateFunction } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { Exit, FIXTURES, Output, Spawned, T, within } from './harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** What VS Code sends in `initialize` (1.9x). */
export const VSCODE_INITIALIZE: P.InitializeRequestArguments = {
    clientID: 'vscode',
    clientName: 'Visual Studio Code',
    adapterID: 'ptvsd-remote',
    pathFormat: 'path',
    linesStartAt1: true,
    columnsStartAt1: true,
    supportsVariableType: true,
    supportsVariablePaging: true,
    supportsRunInTerminalRequest: true,
    locale: 'en',
    supportsProgressReporting: true,
    supportsInvalidatedEvent: true,
    supportsMemoryReferences: true,
    supportsArgsCanBeInterpretedByShell: true,
    supportsMemoryEvent: true,
    supportsStartDebuggingRequest: true,
};

// ---- the DAP schema

let dapAjv: Ajv04 | undefined;
const validators = new Map<string, ValidateFunction>();

function dapValidator(definition: string): ValidateFunction | undefined {
    if (!dapAjv) {
        const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'debugAdapterProtocol.json'), 'utf8'));
        delete schema.$schema;
        dapAjv = new Ajv04({ strict: false, allErrors: true });
        // The schema's integer formats, checked rather than ignored.
        const ranges: Record<string, [number, number]> = {
            int32: [-(2 ** 31), 2 ** 31 - 1],
            uint32: [0, 2 ** 32 - 1],
            int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
            uint64: [0, Number.MAX_SAFE_INTEGER],
        };
        for (const [name, [min, max]] of Object.entries(ranges)) {
            dapAjv.addFormat(name, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
        }
        dapAjv.addSchema(schema, 'dap');
    }
    if (!validators.has(definition)) {
        if (!dapAjv.getSchema(`dap#/definitions/${definition}`)) {
            return undefined;
        }
        validators.set(definition, dapAjv.compile({ $ref: `dap#/definitions/${definition}` }));
    }
    return validators.get(definition);
}

const upper = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Schema errors of one message the adapter sent (by its command or event name). */
export function dapSchemaErrors(message: Json): string[] {
    let definition = 'ProtocolMessage';
    if (message.type === 'event') {
        definition = dapValidator(`${upper(message.event)}Event`) ? `${upper(message.event)}Event` : 'Event';
    } else if (message.type === 'response') {
        if (message.success === false) {
            definition = 'ErrorResponse';
        } else {
            definition = dapValidator(`${upper(message.command)}Response`) ? `${upper(message.command)}Response` : 'Response';
        }
    }
    const validate = dapValidator(definition)!;
    if (validate(message)) {
        return [];
    }
    return (validate.errors ?? []).map((e) => `${definition}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

// ---- the client

export interface AdapterCommand {
    command: string;
    args: string[];
    env: NodeJS.ProcessEnv;
}

export class VsCodeClient extends DebugClient {
    /** Every message the adapter wrote, in order of arrival. */
    readonly received: Json[] = [];
    /** Every request sent, by seq. */
    private readonly sent = new Map<number, { command: string; answered: boolean }>();
    /** Everything found wrong with what the adapter wrote. */
    readonly problems: string[] = [];
    private readonly secrets: string[] = [];
    private proc: Spawned | undefined;
    private raw = Buffer.alloc(0);
    private lastSeq = 0;

    constructor(private readonly adapter: AdapterCommand) {
        super(adapter.command, '', 'ptvsd-remote');
        this.defaultTimeout = T;
    }

    /** The adapter must never write this (in messages or on stderr). */
    guardSecret(secret: string): void {
        this.secrets.push(secret);
    }

    get process(): Spawned {
        if (!this.proc) {
            throw new Error('adapter not started');
        }
        return this.proc;
    }

    get stderr(): Output {
        return this.process.stderr;
    }

    /** Starts the adapter as VS Code starts a DebugAdapterExecutable: its command and args, no shell. */
    override start(): Promise<void> {
        const proc = new Spawned(this.adapter.command, this.adapter.args, { env: this.adapter.env }, false, false);
        this.proc = proc;
        const toAdapter = new Writable({
            write: (chunk: Buffer, _encoding, callback): void => {
                this.noteRequest(chunk);
                // A write to an adapter that is gone fails with EPIPE: the request then fails
                // with the adapter's exit and stderr instead (see `gone`).
                proc.child.stdin!.write(chunk, () => callback());
            },
        });
        proc.child.stdin!.on('error', () => undefined);
        proc.child.stdout!.on('data', (chunk: Buffer) => this.frames(chunk));
        this.connect(proc.child.stdout!, toAdapter);
        return new Promise((resolve, reject) => {
            proc.child.once('spawn', () => resolve());
            proc.child.once('error', (error) => reject(new Error(`cannot start ${this.adapter.command}: ${error.message}`)));
        });
    }

    /** Resolves with the adapter's exit, or rejects after `ms`. */
    exit(ms: number): Promise<Exit> {
        return within(this.process.exited, ms, 'the adapter exiting');
    }

    kill(): void {
        this.proc?.kill();
    }

    /** A request with a deadline (DebugClient's own requests wait forever), failing at once if the adapter is gone. */
    request<R extends P.Response>(command: string, args: Json, ms = T): Promise<R> {
        return within(Promise.race([this.send(command, args) as Promise<R>, this.gone(command)]), ms, `the '${command}' response`);
    }

    /** A request that may fail: resolves with the raw response whatever `success` is. */
    rawRequest(command: string, args: Json, ms = T): Promise<P.Response> {
        const answered = new Promise<P.Response>((resolve) => {
            (this as unknown as { doSend(c: string, a: Json, clb: (r: P.Response) => void): void }).doSend(command, args, resolve);
        });
        return within(Promise.race([answered, this.gone(command)]), ms, `the '${command}' response`);
    }

    /** Rejects once the adapter has exited and its stdout is read to the end (no answer can come). */
    private gone(command: string): Promise<never> {
        const proc = this.process;
        return new Promise<never>((_, reject) => {
            const fail = (): void =>
                reject(new Error(`the adapter ended (${JSON.stringify(proc.exit)}) without answering '${command}'; its stderr:\n${proc.stderr.tail(2000)}`));
            if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
                if (proc.child.stdout!.readableEnded || proc.child.stdout!.destroyed) {
                    // Responses already read were dispatched before this request was sent.
                    setImmediate(fail);
                    return;
                }
            }
            proc.child.once('close', () => setImmediate(fail));
        });
    }

    /** Index in `received` of the first message matching `match` (-1 if none). */
    indexOf(match: (m: Json) => boolean): number {
        return this.received.findIndex(match);
    }

    /** The secret must appear nowhere the adapter wrote. */
    secretProblems(extraText = ''): string[] {
        const texts = [JSON.stringify(this.received), this.proc?.stderr.all() ?? '', extraText];
        return this.secrets.filter((s) => texts.some((t) => t.includes(s))).map((s) => `the secret ${s.slice(0, 4)}… leaked`);
    }

    private noteRequest(chunk: Buffer): void {
        const text = chunk.toString('utf8');
        const body = text.slice(text.indexOf('\r\n\r\n') + 4);
        const request = JSON.parse(body);
        this.sent.set(request.seq, { command: request.command, answered: false });
    }

    /** Frames what the adapter writes, independently of DebugClient's lenient reader. */
    private frames(chunk: Buffer): void {
        this.raw = Buffer.concat([this.raw, chunk]);
        for (;;) {
            const end = this.raw.indexOf('\r\n\r\n');
            if (end < 0) {
                return;
            }
            const header = this.raw.subarray(0, end).toString('latin1');
            const m = /^Content-Length: (\d+)$/.exec(header);
            if (!m) {
                this.problems.push(`header is not exactly 'Content-Length: N\\r\\n\\r\\n': ${JSON.stringify(header)}`);
                this.raw = Buffer.alloc(0);
                return;
            }
            const length = Number(m[1]);
            if (this.raw.length < end + 4 + length) {
                return;
            }
            const body = this.raw.subarray(end + 4, end + 4 + length).toString('utf8');
            this.raw = this.raw.subarray(end + 4 + length);
            this.check(body);
        }
    }

    private check(body: string): void {
        let message: Json;
        try {
            message = JSON.parse(body);
        } catch {
            this.problems.push(`not JSON: ${body.slice(0, 200)}`);
            return;
        }
        this.received.push(message);
        const what = message.type === 'event' ? `event '${message.event}'` : `${message.type} '${message.command}'`;
        if (message.seq !== this.lastSeq + 1) {
            this.problems.push(`${what}: seq ${message.seq} after ${this.lastSeq} (DAP: each message's seq is 1 more than the previous)`);
        }
        this.lastSeq = typeof message.seq === 'number' ? message.seq : this.lastSeq;
        for (const e of dapSchemaErrors(message)) {
            this.problems.push(`${what} does not match the DAP schema: ${e}: ${body.slice(0, 300)}`);
        }
        if (message.type === 'response') {
            const request = this.sent.get(message.request_seq);
            if (!request) {
                this.problems.push(`${what}: request_seq ${message.request_seq} was never sent`);
            } else if (request.answered) {
                this.problems.push(`${what}: request ${message.request_seq} answered twice`);
            } else if (request.command !== message.command) {
                this.problems.push(`${what}: answers request ${message.request_seq}, which was '${request.command}'`);
            }
            if (request) {
                request.answered = true;
            }
        }
    }
}
