#!/usr/bin/env python3
"""Records real byte streams for the fuzz corpus.

For each ptvsd release (2.2.0 and 3.0.0 speak protocol 6; 3.1.0 and 3.2.1 speak JSON), this
starts tests/fixtures/app.py under that release's ptvsd, puts a TCP man-in-the-middle in front of
it, and drives a real debug session through the real adapter (ptvsd-dap speaking DAP over stdio):
initialize, attach, breakpoints, a hit, threads, stack, scopes, variables (expanded), evaluate
(a success and a Python error), output, a second thread, continue, disconnect.

It writes, per release, into the output directory:
  <release>.wire  every byte the debuggee sent to the adapter (greeting, handshake, session)
  <release>.cmd   every byte the adapter sent to the debuggee (for reference only)
  <release>.dap   every byte the editor (this script) sent to the adapter

Usage: python3 fuzz/capture.py [--adapter target/debug/ptvsd-dap] [--cache DIR] OUT_DIR
The cache directory holds the ptvsd-<version> venvs made by scripts/setup-test-env.sh (by default
its output). make_corpus (src/bin/make_corpus.rs) turns the captures into the fuzz corpus.
"""

import argparse
import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
APP = os.path.join(FIXTURES, "app.py")
RELEASES = ["2.2.0", "3.0.0", "3.1.0", "3.2.1"]
TIMEOUT = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something listens on 127.0.0.1:port, read from /proc/net/tcp (connecting to
    ptvsd's port would start a handshake, and abandoning one wedges its attach server)."""
    want = ":%04X" % port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(want) and fields[3] == "0A":
                return True
    return False


def marker_line(marker):
    with open(APP) as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("# @" + marker):
                return number
    raise SystemExit("no marker " + marker)


class Recorder:
    """A one-connection TCP man-in-the-middle that records both directions."""

    def __init__(self, target_port, wire_path, cmd_path):
        self.target_port = target_port
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.wire = open(wire_path, "wb")
        self.cmd = open(cmd_path, "wb")
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        client, _ = self.server.accept()
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        a = threading.Thread(target=self._pump, args=(upstream, client, self.wire), daemon=True)
        b = threading.Thread(target=self._pump, args=(client, upstream, self.cmd), daemon=True)
        a.start()
        b.start()
        a.join()
        b.join()

    @staticmethod
    def _pump(src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                record.write(data)
                record.flush()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.thread.join(timeout=10)
        self.server.close()
        self.wire.close()
        self.cmd.close()


class Dap:
    """A minimal DAP client over the adapter's stdio that records what it sends."""

    def __init__(self, adapter, dap_path, log_path):
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([adapter], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.record = open(dap_path, "wb")
        self.seq = 0
        self.messages = queue.Queue()
        self.pending = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                byte = out.read(1)
                if not byte:
                    self.messages.put(None)
                    return
                header += byte
            length = next(int(line.split(b":")[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length"))
            self.messages.put(json.loads(out.read(length)))

    def send(self, command, arguments=None):
        self.seq += 1
        message = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        body = json.dumps(message).encode()
        frame = b"Content-Length: %d\r\n\r\n" % len(body) + body
        self.record.write(frame)
        self.record.flush()
        self.proc.stdin.write(frame)
        self.proc.stdin.flush()
        return self.seq

    def wait(self, predicate, what):
        for i, message in enumerate(self.pending):
            if predicate(message):
                return self.pending.pop(i)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                message = self.messages.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                break
            if message is None:
                raise SystemExit("the adapter closed its output while waiting for " + what)
            if predicate(message):
                return message
            self.pending.append(message)
        raise SystemExit("timed out waiting for " + what)

    def request(self, command, arguments=None):
        seq = self.send(command, arguments)
        response = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, command)
        return response

    def event(self, name, predicate=lambda m: True):
        return self.wait(lambda m: m.get("type") == "event" and m.get("event") == name and predicate(m), name + " event")

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.record.close()
        self.log.close()


def capture(release, adapter, cache, out_dir):
    python = os.path.join(cache, "ptvsd-" + release, "bin", "python")
    port, secret = free_port(), "s" + secrets.token_hex(6)
    debuggee = subprocess.Popen(
        [python, "-u", "-m", "ptvsd", "--port", str(port), "--interface", "127.0.0.1", "--secret", secret, APP],
        cwd=FIXTURES,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in iter(debuggee.stdout.readline, b"")], daemon=True).start()

    def run(command):
        debuggee.stdin.write(command.encode() + b"\n")
        debuggee.stdin.flush()

    def done(command):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                if lines.get(timeout=1).decode(errors="replace").strip() == "done " + command:
                    return
            except queue.Empty:
                pass
        raise SystemExit("%s: the debuggee did not finish %r" % (release, command))

    deadline = time.time() + TIMEOUT
    while not listening(port):
        if debuggee.poll() is not None or time.time() > deadline:
            raise SystemExit("%s: ptvsd did not listen" % release)
        time.sleep(0.1)

    base = os.path.join(out_dir, release)
    recorder = Recorder(port, base + ".wire", base + ".cmd")
    dap = Dap(adapter, base + ".dap", base + ".adapter.log")
    try:
        dap.request("initialize", {"clientID": "capture", "adapterID": "ptvsd", "linesStartAt1": True,
                                   "columnsStartAt1": True, "pathFormat": "path", "supportsVariableType": True})
        attach = dap.request("attach", {"url": "tcp://%s@127.0.0.1:%d" % (secret, recorder.port)})
        assert attach["success"], attach
        dap.event("initialized")
        bp = marker_line("bp_work")
        dap.request("setBreakpoints", {"source": {"path": APP}, "breakpoints": [{"line": bp}, {"line": marker_line("after_work"), "condition": "n > 100"}]})
        dap.request("setExceptionBreakpoints", {"filters": ["uncaught"]})
        dap.request("configurationDone")

        run("print héllo wörld ✓")
        done("print")
        run("hit")
        stopped = dap.event("stopped")
        tid = stopped["body"]["threadId"]
        dap.request("threads")
        frames = dap.request("stackTrace", {"threadId": tid})["body"]["stackFrames"]
        fid = frames[0]["id"]
        scopes = dap.request("scopes", {"frameId": fid})["body"]["scopes"]
        variables = dap.request("variables", {"variablesReference": scopes[0]["variablesReference"]})["body"]["variables"]
        for v in variables:
            if v.get("variablesReference"):
                children = dap.request("variables", {"variablesReference": v["variablesReference"]})["body"]["variables"]
                for c in children:
                    if c.get("variablesReference"):
                        dap.request("variables", {"variablesReference": c["variablesReference"]})
        for expression in ["n * 2", "obj.inner.value", "1/0", "undefined_name", "'é' * 3", "list(range(50))"]:
            dap.request("evaluate", {"expression": expression, "frameId": fid, "context": "repl"})
        dap.request("next", {"threadId": tid})
        dap.event("stopped")
        dap.request("stackTrace", {"threadId": tid})
        dap.request("continue", {"threadId": tid})
        done("hit")

        run("thread")
        stopped = dap.event("stopped")
        dap.request("stackTrace", {"threadId": stopped["body"]["threadId"]})
        dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        done("thread")

        run("call")
        stopped = dap.event("stopped")
        dap.request("stepOut", {"threadId": stopped["body"]["threadId"]})
        dap.event("stopped")
        dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        done("call")

        dap.request("setBreakpoints", {"source": {"path": APP}, "breakpoints": []})
        dap.request("disconnect", {"terminateDebuggee": False})
    finally:
        dap.close()
        recorder.close()
        try:
            debuggee.stdin.close()
        except OSError:
            pass
        try:
            debuggee.wait(timeout=10)
        except subprocess.TimeoutExpired:
            debuggee.kill()
            debuggee.wait()
    sizes = {ext: os.path.getsize(base + ext) for ext in (".wire", ".cmd", ".dap")}
    print("%s: %s" % (release, ", ".join("%s %d bytes" % (ext[1:], n) for ext, n in sizes.items())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--adapter", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "ptvsd-dap"))
    parser.add_argument("--cache")
    parser.add_argument("--release", action="append", choices=RELEASES)
    args = parser.parse_args()
    cache = args.cache or subprocess.check_output(["bash", os.path.join(ROOT, "scripts", "setup-test-env.sh")], text=True).strip()
    os.makedirs(args.out_dir, exist_ok=True)
    for release in args.release or RELEASES:
        capture(release, args.adapter, cache, args.out_dir)


if __name__ == "__main__":
    main()
