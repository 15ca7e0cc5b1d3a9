// A stand-in for the parts of the `vscode` API the extension uses, so that the extension's own
// code (activation, the descriptor factory) runs under plain node. `install()` makes
// `require('vscode')` load this module.

import Module = require('module');

/** Settings by full key (`ptvsd-dap.path`). */
export const settings: Record<string, unknown> = {};

/** The folder the extension is installed in (`context.extensionPath`): a package's `bin/` is there. */
export const installed = { extensionPath: '/nonexistent/ptvsd-dap-extension' };

export const registered: { type: string; factory: unknown }[] = [];
export const providers: { type: string; provider: unknown }[] = [];

export class DebugAdapterExecutable {
    constructor(
        readonly command: string,
        readonly args: string[] = [],
        readonly options?: { env?: Record<string, string>; cwd?: string },
    ) {}
}

export const debug = {
    registerDebugConfigurationProvider(type: string, provider: unknown): { dispose(): void } {
        providers.push({ type, provider });
        return { dispose: () => undefined };
    },
    registerDebugAdapterDescriptorFactory(type: string, factory: unknown): { dispose(): void } {
        registered.push({ type, factory });
        return { dispose: () => undefined };
    },
};

/** Error messages shown, with their buttons; `errorChoice` is the button the user clicks. */
export const shown: { message: string; items: string[] }[] = [];
export const ui: { errorChoice: string | undefined } = { errorChoice: undefined };
/** Commands run, with their arguments. */
export const executed: unknown[][] = [];

export const window = {
    showErrorMessage(message: string, ...items: string[]): Promise<string | undefined> {
        shown.push({ message, items });
        return Promise.resolve(ui.errorChoice);
    },
};

export const commands = {
    executeCommand(...args: unknown[]): Promise<unknown> {
        executed.push(args);
        return Promise.resolve(undefined);
    },
};

export const workspace = {
    getConfiguration(section: string): { get<V>(key: string, fallback?: V): V | undefined } {
        return {
            get<V>(key: string, fallback?: V): V | undefined {
                const value = settings[`${section}.${key}`];
                return value === undefined ? fallback : (value as V);
            },
        };
    },
};

let moduleInstalled = false;

export function install(): void {
    if (moduleInstalled) {
        return;
    }
    moduleInstalled = true;
    const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
    const original = loader._resolveFilename;
    loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
        return request === 'vscode' ? __filename : original.call(this, request, ...rest);
    };
}

export interface FakeSession {
    id: string;
    type: string;
    name: string;
    workspaceFolder?: { uri: { fsPath: string } };
    configuration: Record<string, unknown>;
}

function activated(type: string): { factory: { createDebugAdapterDescriptor(s: unknown, e: unknown): unknown }; provider: Provider } {
    install();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const extension = require('../src/extension') as typeof import('../src/extension');
    registered.length = 0;
    providers.length = 0;
    const subscriptions: { dispose(): void }[] = [];
    const context = { subscriptions, extensionPath: installed.extensionPath };
    extension.activate(context as unknown as import('vscode').ExtensionContext);
    const factory = registered.find((r) => r.type === type);
    const provider = providers.find((p) => p.type === type);
    if (!factory || !provider) {
        throw new Error(`the extension registered no descriptor factory or no configuration provider for '${type}'`);
    }
    return { factory: factory.factory as never, provider: provider.provider as Provider };
}

type Configuration = Record<string, unknown>;

interface Provider {
    resolveDebugConfiguration(folder: unknown, config: Configuration): Configuration | null | undefined;
    resolveDebugConfigurationWithSubstitutedVariables(folder: unknown, config: Configuration): Configuration | undefined;
}

function workspaceFolder(folder: string | undefined): unknown {
    return folder === undefined ? undefined : { uri: { fsPath: folder }, name: 'w', index: 0 };
}

/** Activates the extension (from out/src) and returns its descriptor for a session, as VS Code would ask. */
export function descriptorFor(session: FakeSession): DebugAdapterExecutable {
    const descriptor = activated(session.type).factory.createDebugAdapterDescriptor(session, undefined);
    if (!(descriptor instanceof DebugAdapterExecutable)) {
        throw new Error(`the descriptor is not a DebugAdapterExecutable: ${JSON.stringify(descriptor)}`);
    }
    return descriptor;
}

/** The extension's resolveDebugConfiguration, as VS Code calls it before substituting variables. */
export function resolveConfiguration(folder: string | undefined, config: Configuration): Configuration | null | undefined {
    return activated('ptvsd-remote').provider.resolveDebugConfiguration(workspaceFolder(folder), JSON.parse(JSON.stringify(config)));
}

/** The extension's last say before VS Code starts the adapter (undefined: the session does not start). */
export function resolveSubstituted(folder: string | undefined, config: Configuration): Configuration | undefined {
    return activated('ptvsd-remote').provider.resolveDebugConfigurationWithSubstitutedVariables(workspaceFolder(folder), config);
}
