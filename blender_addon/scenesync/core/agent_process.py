"""The agent as a child process, and the thread that reads it.

Blender's Python must never block its main thread on the agent and must never
touch bpy from another thread, so a daemon thread reads the agent's stdout and
queues each decoded message; the main thread drains the queue from its timer.
Another thread drains stderr, keeping the last lines for the error shown when
the agent dies (an unread stderr pipe would eventually block the agent).
"""
from __future__ import annotations

import collections
import os
import queue
import shlex
import shutil
import subprocess
import threading

from . import node_runtime
from . import protocol as P


def split_command(cmd: str) -> list:
    """The agent command as argv; a Windows path keeps its backslashes."""
    argv = shlex.split(cmd, posix=(os.name != 'nt'))
    if argv:
        # Blender's Popen does not search PATHEXT on Windows (scenesync.cmd).
        argv[0] = shutil.which(argv[0]) or argv[0]
    return argv


def agent_argv(cmd: str, url: str, room: str, name: str, file_id: str = '') -> list:
    """The command (empty: just the flags, for the bundled agent) with the connection flags."""
    argv = (split_command(cmd) if cmd.strip() else []) + ['--url', url, '--room', room]
    if name:
        argv += ['--name', name]
    if file_id:
        argv += ['--file-id', file_id]
    return argv


class StartError(Exception):
    """The agent could not be started; the message says what to do."""


PREFS_HINT = 'Set the Agent command in the add-on preferences (Edit > Preferences > Add-ons > scenesync)'


class AgentProcess:
    def __init__(self, argv: list, token: str = '', env=None):
        e = dict(os.environ if env is None else env)
        if token:
            # Through the environment, not argv: other users can list argv.
            e['SCENESYNC_TOKEN'] = token
        flags = getattr(subprocess, 'CREATE_NO_WINDOW', 0)
        self.argv = argv
        self.queue = queue.Queue()
        self.stderr_tail = collections.deque(maxlen=20)
        self.bytes_out = self.lines_out = self.bytes_in = self.lines_in = 0
        self._lock = threading.Lock()
        self._stopping = False
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=e, creationflags=flags,
        )
        self._reader = threading.Thread(target=self._read, name='scenesync-agent-out', daemon=True)
        self._reader.start()
        threading.Thread(target=self._read_err, name='scenesync-agent-err', daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.bytes_in += len(raw)
            self.lines_in += 1
            m = P.decode(raw.decode('utf-8', 'replace'))
            if m is not None:
                self.queue.put(m)
        code = self.proc.wait()
        if not self._stopping:
            self.queue.put({'type': '_exit', 'code': code, 'message': exit_message(self.argv, code, list(self.stderr_tail))})

    def _read_err(self) -> None:
        for raw in self.proc.stderr:
            line = raw.decode('utf-8', 'replace').strip()
            if line:
                self.stderr_tail.append(line[:500])

    def send(self, line: bytes) -> None:
        with self._lock:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        self.bytes_out += len(line)
        self.lines_out += 1

    def poll(self, limit: int = 10_000) -> list:
        out = []
        try:
            while len(out) < limit:
                out.append(self.queue.get_nowait())
        except queue.Empty:
            pass
        return out

    def wait_message(self, timeout: float):
        """Blocks for the next message (tests and benchmarks only; never on Blender's main thread loop)."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 3.0) -> None:
        """Closes stdin, which makes the agent close its journal and exit."""
        self._stopping = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def exit_message(argv: list, code, stderr: list) -> str:
    """Why the agent stopped, in words, with what to do about it."""
    text = ' '.join(stderr)
    lines = [l.strip() for l in stderr if l.strip()]
    # Node prints its stack after the error: the line that names it matters, not the last.
    last = next((l for l in lines if 'Error' in l and not l.startswith('at ')), lines[-1] if lines else '')
    said = last.rstrip('.') if last else ''
    if 'Cannot find module' in text or 'ERR_MODULE_NOT_FOUND' in text or 'Cannot find package' in text:
        return f'The agent could not start: {said}. {PREFS_HINT}: it must start `scenesync agent` (for example node /path/to/scenesync/dist/cli/main.js agent).'
    if 'unknown flag' in text or 'usage' in text.lower():
        return f'The agent refused its arguments ({said}). The scenesync command may be older than the add-on: update both. {PREFS_HINT}.'
    return f'The agent stopped (exit code {code})' + (f': {said}' if said else '') + '. If that keeps happening, check the Agent command in the add-on preferences.'


def start(cmd: str, url: str, room: str, name: str, token: str = '', file_id: str = '',
          node: str = '', package_dir: str = '') -> AgentProcess:
    """Starts the agent: the one inside the add-on (run by Node.js), or `cmd` when set."""
    if split_command(cmd):
        argv = agent_argv(cmd, url, room, name, file_id)
    else:
        try:
            base = node_runtime.agent_command(node, package_dir)
        except node_runtime.NodeError as e:
            raise StartError(str(e)) from None
        argv = base + agent_argv('', url, room, name, file_id)
    try:
        return AgentProcess(argv, token)
    except FileNotFoundError:
        raise StartError(f'Cannot start the agent: the program {argv[0]!r} was not found. {PREFS_HINT}: '
                         'for example node /path/to/scenesync/dist/cli/main.js agent, with full paths.') from None
    except PermissionError:
        raise StartError(f'Cannot start the agent: {argv[0]!r} is not a program this user may run. {PREFS_HINT}.') from None
    except OSError as e:
        raise StartError(f'Cannot start the agent ({argv[0]!r}): {e.strerror or e}. {PREFS_HINT}.') from None
