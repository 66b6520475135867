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

from . import protocol as P


def split_command(cmd: str) -> list:
    """The agent command as argv; a Windows path keeps its backslashes."""
    argv = shlex.split(cmd, posix=(os.name != 'nt'))
    if argv:
        # Blender's Popen does not search PATHEXT on Windows (scenesync.cmd).
        argv[0] = shutil.which(argv[0]) or argv[0]
    return argv


def agent_argv(cmd: str, url: str, room: str, name: str) -> list:
    argv = split_command(cmd) + ['--url', url, '--room', room]
    if name:
        argv += ['--name', name]
    return argv


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
            tail = ' | '.join(self.stderr_tail)
            self.queue.put({'type': '_exit', 'code': code,
                            'message': f'the agent exited (code {code})' + (f': {tail}' if tail else '')})

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


def start(cmd: str, url: str, room: str, name: str, token: str = '') -> AgentProcess:
    argv = agent_argv(cmd, url, room, name)
    if not argv:
        raise ValueError('the agent command is empty')
    return AgentProcess(argv, token)
