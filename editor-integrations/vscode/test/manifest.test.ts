// package.json as VS Code reads it: the `ptvsd-remote` debugger, the launch.json schema of every
// attach argument (completion and validation), the snippets, the settings.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from './harness';
import { configurationErrors, debuggerContribution, EXTENSION_DIR, Json, manifest, snippetConfiguration } from './launchSchema';

/** Every attach argument of ptvsd-dap (shared/docs/clarifications.md, "Arguments and names"). */
const VOCABULARY = [
    'url', 'host', 'port', 'transport', 'path', 'secret', 'site', 'webDebugConfig', 'pathMappings', 'localRoot',
    'remoteRoot', 'redirectOutput', 'debugOptions', 'django', 'stopOnAttach', 'justMyCode', 'connectTimeout', 'keepAlive',
    'longStopWarning', 'caFile', 'insecure', 'legacyTls', 'instance',
];
/** The arguments the adapter does not implement yet: their descriptions say so. */
const PLANNED: string[] = [];
const PLANNED_MARK = 'Planned: not implemented yet';

const attach: Json = debuggerContribution.configurationAttributes.attach;
const base = { type: 'ptvsd-remote', request: 'attach', name: 'x' };

describe('package.json', () => {
    it('contributes the ptvsd-remote debugger for Python, activated when such a session starts', () => {
        assert.equal(debuggerContribution.type, 'ptvsd-remote');
        assert.deepEqual(debuggerContribution.languages, ['python']);
        assert.ok(manifest.activationEvents.includes('onDebugResolve:ptvsd-remote'));
        assert.deepEqual(Object.keys(debuggerContribution.configurationAttributes), ['attach'], 'attach is the only request');
        assert.ok(fs.existsSync(path.join(EXTENSION_DIR, manifest.main)), `main ${manifest.main} is not built`);
        assert.ok(manifest.contributes.breakpoints.some((b: Json) => b.language === 'python'), 'breakpoints can be set in Python files');
    });

    it('describes every attach argument, and no other', () => {
        assert.deepEqual(Object.keys(attach.properties).sort(), [...VOCABULARY].sort());
        for (const [name, schema] of Object.entries<Json>(attach.properties)) {
            assert.ok(typeof schema.description === 'string' && schema.description.length >= 40, `${name}: a real description`);
            assert.ok(schema.type, `${name}: a type, for validation`);
        }
    });

    it('says which arguments are planned', () => {
        for (const name of VOCABULARY) {
            const description: string = attach.properties[name].description;
            if (PLANNED.includes(name)) {
                assert.ok(description.startsWith(PLANNED_MARK), `${name} is planned: its description must start with "${PLANNED_MARK}"`);
            } else {
                assert.ok(!description.startsWith(PLANNED_MARK), `${name} is implemented: its description must not say planned`);
            }
        }
        const transport = attach.properties.transport;
        assert.deepEqual(transport.enum, ['tcp', 'tcps', 'ws', 'wss']);
        assert.doesNotMatch(transport.enumDescriptions[transport.enum.indexOf('tcps')], /Planned/);
        assert.doesNotMatch(transport.description, /planned/);
    });

    it("marks as planned exactly the arguments the adapter's src/config does not read", () => {
        // Drift check: when the adapter learns an argument, its description must lose "planned".
        const dir = path.join(REPO, 'src', 'config');
        const source = fs
            .readdirSync(dir, { recursive: true, encoding: 'utf8' })
            .filter((f) => f.endsWith('.rs'))
            .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
            .join('\n');
        for (const name of VOCABULARY) {
            const read = source.includes(`"${name}"`);
            if (PLANNED.includes(name)) {
                assert.ok(!read, `src/config reads '${name}' now: drop "${PLANNED_MARK}" from its description in package.json (and from PLANNED here)`);
            } else {
                assert.ok(read, `src/config does not read '${name}': is it still implemented?`);
            }
        }
    });

    it('accepts the configurations users write', () => {
        const good: Json[] = [
            { ...base, url: 'wss://s3cret@mysite.azurewebsites.net/ptvsd' },
            { ...base, url: 'tcp://s3cret@127.0.0.1:5678', pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: '/srv/app' }] },
            { ...base, host: '10.0.0.5', port: 5678, secret: 's3cret', localRoot: '${workspaceFolder}', remoteRoot: '/srv/app' },
            { ...base, host: 'relay', port: '${input:port}', transport: 'ws', path: '/ptvsd', redirectOutput: false },
            { ...base, site: 'mysite', webDebugConfig: '${workspaceFolder}/web.debug.config', connectTimeout: 90 },
            { ...base, url: 'wss://mysite.azurewebsites.net', secret: 's', debugOptions: ['DebugStdLib'], django: true, justMyCode: false, stopOnAttach: true, caFile: '~/ca.pem', insecure: false },
            { ...base, url: 'tcp://h', preLaunchTask: 'build', presentation: { group: 'remote' } },
            { ...base, site: 'mysite', localRoot: '${workspaceFolder}/app' },
            { ...base, site: 'mysite', instance: 2 },
            { ...base, site: 'mysite', instance: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF' },
            { ...base, site: 'mysite.azurewebsites.net', secret: 's', remoteRoot: 'D:\\home\\site\\wwwroot\\app' },
        ];
        for (const config of good) {
            assert.deepEqual(configurationErrors(config), [], JSON.stringify(config));
        }
    });

    it('flags the mistakes users make', () => {
        const bad: [string, Json][] = [
            ['no address', { ...base }],
            ['a misspelt argument', { ...base, url: 'tcp://h', secrett: 'x' }],
            ['an unknown transport', { ...base, host: 'h', transport: 'udp' }],
            ['port 0', { ...base, host: 'h', port: 0 }],
            ['localRoot alone', { ...base, url: 'tcp://h', localRoot: '/a' }],
            ['a mapping without remoteRoot', { ...base, url: 'tcp://h', pathMappings: [{ localRoot: '/a' }] }],
            ['a debug option that does not exist', { ...base, url: 'tcp://h', debugOptions: ['StopOnEntry'] }],
            ['redirectOutput as text', { ...base, url: 'tcp://h', redirectOutput: 'yes' }],
            ['site with url', { ...base, site: 'mysite', url: 'wss://mysite.azurewebsites.net/ptvsd' }],
            ['site with a port', { ...base, site: 'mysite', port: 8443 }],
            ['a connectTimeout of 0', { ...base, url: 'tcp://h', connectTimeout: 0 }],
            ['a connectTimeout over 600 s', { ...base, url: 'tcp://h', connectTimeout: 601 }],
            ['an instance that is not an ARRAffinity value', { ...base, site: 'mysite', instance: 'ARRAffinity=abc' }],
            ['an instance number 0', { ...base, site: 'mysite', instance: 0 }],
        ];
        for (const [what, config] of bad) {
            assert.notDeepEqual(configurationErrors(config), [], `${what} must be flagged: ${JSON.stringify(config)}`);
        }
    });

    it('offers the three snippets, each a valid configuration', () => {
        const snippets: Json[] = debuggerContribution.configurationSnippets;
        const byLabel = (part: string): Json => {
            const s = snippets.find((x) => x.label.includes(part));
            assert.ok(s, `no snippet labelled "${part}"`);
            assert.ok(s.description, `snippet "${s.label}" needs a description`);
            return snippetConfiguration(s.body);
        };
        const appService = byLabel('App Service (site + web.debug.config)');
        assert.equal(appService.site, 'mysite');
        assert.equal(appService.webDebugConfig, '${workspaceFolder}/web.debug.config');
        assert.deepEqual(appService.pathMappings, [{ localRoot: '${workspaceFolder}', remoteRoot: 'D:\\home\\site\\wwwroot' }]);
        const ws = byLabel('WebSocket URL');
        assert.equal(ws.url, 'wss://secret@mysite.azurewebsites.net/ptvsd');
        const tcp = byLabel('TCP host/port');
        assert.deepEqual([tcp.host, tcp.port, tcp.secret], ['127.0.0.1', 5678, 's3cret']);
        assert.equal(snippets.length, 3);
        for (const s of snippets) {
            const config = snippetConfiguration(s.body);
            assert.equal(config.type, 'ptvsd-remote');
            assert.equal(config.request, 'attach');
            assert.deepEqual(configurationErrors(config), [], `snippet "${s.label}": ${JSON.stringify(config)}`);
        }
        for (const config of debuggerContribution.initialConfigurations) {
            assert.deepEqual(configurationErrors(config), [], `initial configuration: ${JSON.stringify(config)}`);
        }
    });

    it('has the settings the descriptor factory reads', () => {
        const props = manifest.contributes.configuration.properties;
        assert.equal(props['ptvsd-dap.path'].type, 'string');
        assert.equal(props['ptvsd-dap.logFile'].type, 'string');
        assert.deepEqual(props['ptvsd-dap.logLevel'].enum, ['error', 'warn', 'info', 'debug', 'trace']);
        assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['ptvsd-dap.path', 'ptvsd-dap.logFile']);
    });

    it('targets a VS Code no older than its API typings', () => {
        const typings = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8')).version;
        assert.equal(manifest.engines.vscode, `^${typings}`);
    });
});
