// The VS Code side of ptvsd-dap: the `ptvsd-remote` debug type runs the ptvsd-dap binary, which
// speaks DAP on stdio. The launch.json schema and snippets are in package.json.

import * as vscode from 'vscode';
import { adapterArgs, bundledAdapter, DEBUG_TYPE, findAdapter } from './adapterPath';

export function activate(context: vscode.ExtensionContext): void {
    context.subscriptions.push(
        vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new PtvsdDapConfigurationProvider()),
        vscode.debug.registerDebugAdapterDescriptorFactory(
            DEBUG_TYPE,
            new PtvsdDapDescriptorFactory(bundledAdapter(context.extensionPath)),
        ),
    );
}

export function deactivate(): void {
    // Nothing to release: VS Code owns the adapter processes.
}

export class PtvsdDapConfigurationProvider implements vscode.DebugConfigurationProvider {
    resolveDebugConfiguration(
        folder: vscode.WorkspaceFolder | undefined,
        config: vscode.DebugConfiguration,
    ): vscode.DebugConfiguration | null {
        if (!config.type && !config.request && !config.name) {
            // F5 without a launch.json: there is no remote to guess. null opens launch.json,
            // where the initial configuration and the snippets help write one.
            return null;
        }
        // The workspace folder, as `cwd`: the adapter takes relative webDebugConfig and caFile
        // paths from it, and maps it to D:\home\site\wwwroot for `site` (Helix sends `cwd` too).
        if (config.cwd === undefined && folder !== undefined) {
            config.cwd = folder.uri.fsPath;
        }
        return config;
    }
}

export class PtvsdDapDescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
    /** `bundled`: where a platform-specific package holds the binary (absent in other packages). */
    constructor(private readonly bundled: string) {}

    createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
        const folder = session.workspaceFolder;
        const settings = vscode.workspace.getConfiguration('ptvsd-dap', folder?.uri);
        // Throws AdapterNotFound with what to do; VS Code shows the message.
        const found = findAdapter({
            configured: settings.get<string>('path', ''),
            baseDir: folder?.uri.fsPath,
            bundled: this.bundled,
        });
        const args = adapterArgs(settings.get<string>('logFile', ''), settings.get<string>('logLevel', 'info'));
        return new vscode.DebugAdapterExecutable(found.path, args);
    }
}
