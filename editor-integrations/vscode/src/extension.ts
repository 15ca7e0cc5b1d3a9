// The VS Code side of ptvsd-dap: the `ptvsd-remote` debug type runs the ptvsd-dap binary, which
// speaks DAP on stdio. The launch.json schema and snippets are in package.json.

import * as vscode from 'vscode';
import { AdapterNotFound, adapterArgs, bundledAdapter, DEBUG_TYPE, findAdapter, Found, SETTING_PATH } from './adapterPath';

/** The button of the "adapter not found" message: it opens the Settings editor at the setting. */
export const OPEN_SETTINGS = 'Open Settings';

export function activate(context: vscode.ExtensionContext): void {
    const bundled = bundledAdapter(context.extensionPath);
    context.subscriptions.push(
        vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new PtvsdDapConfigurationProvider(bundled)),
        vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new PtvsdDapDescriptorFactory(bundled)),
    );
}

export function deactivate(): void {
    // Nothing to release: VS Code owns the adapter processes.
}

/**
 * The adapter binary for a session in `folder`: the setting, the bundled binary, PATH. Throws
 * AdapterNotFound with what to do. `bundled`: where a platform-specific package holds the binary
 * (absent in other packages).
 */
function locateAdapter(folder: vscode.WorkspaceFolder | undefined, bundled: string): Found {
    const settings = vscode.workspace.getConfiguration('ptvsd-dap', folder?.uri);
    return findAdapter({ configured: settings.get<string>('path', ''), baseDir: folder?.uri.fsPath, bundled });
}

export class PtvsdDapConfigurationProvider implements vscode.DebugConfigurationProvider {
    constructor(private readonly bundled: string) {}

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

    /**
     * The last step before VS Code starts the adapter: without one, the session does not start
     * and the message offers the fix. (Failing later, in the descriptor factory, VS Code shows
     * its own dialog, whose one button opens launch.json, where the adapter is not set.)
     */
    resolveDebugConfigurationWithSubstitutedVariables(
        folder: vscode.WorkspaceFolder | undefined,
        config: vscode.DebugConfiguration,
    ): vscode.DebugConfiguration | undefined {
        try {
            locateAdapter(folder, this.bundled);
        } catch (error) {
            if (!(error instanceof AdapterNotFound)) {
                throw error;
            }
            void showAdapterNotFound(error.message);
            return undefined;
        }
        return config;
    }
}

async function showAdapterNotFound(message: string): Promise<void> {
    if ((await vscode.window.showErrorMessage(message, OPEN_SETTINGS)) === OPEN_SETTINGS) {
        await vscode.commands.executeCommand('workbench.action.openSettings', SETTING_PATH);
    }
}

export class PtvsdDapDescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
    /** `bundled`: where a platform-specific package holds the binary (absent in other packages). */
    constructor(private readonly bundled: string) {}

    createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
        const folder = session.workspaceFolder;
        // Checked just before by the configuration provider; a setting changed since then
        // throws AdapterNotFound with what to do, and VS Code shows the message.
        const found = locateAdapter(folder, this.bundled);
        const settings = vscode.workspace.getConfiguration('ptvsd-dap', folder?.uri);
        const args = adapterArgs(settings.get<string>('logFile', ''), settings.get<string>('logLevel', 'info'));
        return new vscode.DebugAdapterExecutable(found.path, args);
    }
}
