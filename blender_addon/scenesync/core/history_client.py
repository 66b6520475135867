"""The room's history from the server's HTTP API (docs/http-api.md), read on a
worker thread so Blender's main thread never waits on the network.

``HistoryApi`` makes the requests (urllib, blocking); ``Worker`` runs jobs that
use it on one daemon thread and hands their results to the main thread through
a queue, which the history timer drains, as the agent's output is drained.
Jobs go into named slots: a job submitted to a slot whose previous job has not
started yet replaces it, so dragging the slider fetches the moment it stopped
at rather than every moment it passed.

The server's address is the WebSocket URL the session uses, as http:// (or
https:// for wss://) on the same host, port and path; the token goes in
``Authorization: Bearer``, as the agent passes it on the WebSocket URL.
"""
from __future__ import annotations

import csv
import io
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

TIMEOUT = 15.0
PAGE = 500


def http_base(ws_url: str) -> str:
    """The HTTP address of the server behind a ws:// or wss:// URL (no trailing /)."""
    u = urllib.parse.urlsplit(ws_url.strip())
    if u.scheme not in ('ws', 'wss', 'http', 'https') or not u.netloc:
        raise HistoryError('bad_url', f'The Server address {ws_url!r} is not a ws:// address (for example ws://127.0.0.1:1234).')
    scheme = 'https' if u.scheme in ('wss', 'https') else 'http'
    return urllib.parse.urlunsplit((scheme, u.netloc, u.path.rstrip('/'), '', ''))


def at_param(moment) -> str:
    """A moment as the API's ``at``/``from``/``to``: a log position, or a time in ms as ISO 8601 UTC."""
    if 'seq' in moment and moment['seq'] is not None:
        return str(int(moment['seq']))
    ms = int(moment['time'])
    secs, milli = divmod(ms, 1000)
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(secs)) + f'.{milli:03d}Z'


class HistoryError(Exception):
    """A request that failed, with a message a person reads and a code tests check."""

    def __init__(self, code: str, message: str, status: int = 0):
        super().__init__(message)
        self.code = code
        self.status = status


class Cancelled(Exception):
    pass


def _server_says(body: bytes) -> str:
    try:
        d = json.loads(body)
        return str(d.get('error') or '') if isinstance(d, dict) else ''
    except ValueError:
        return body[:200].decode('utf-8', 'replace').strip()


class HistoryApi:
    """Blocking reads of one room's history. Call only from the worker thread."""

    def __init__(self, base: str, room: str, token: str = '', timeout: float = TIMEOUT):
        self.base = base
        self.room = room
        self.token = token
        self.timeout = timeout
        self.requests = 0       # how many requests were made (tests and benchmarks read it)

    def _open(self, path: str, params=None):
        q = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        url = f'{self.base}/rooms/{urllib.parse.quote(self.room, safe="")}{path}' + (f'?{q}' if q else '')
        req = urllib.request.Request(url, headers={'Accept': 'application/json'})
        if self.token:
            req.add_header('Authorization', f'Bearer {self.token}')
        self.requests += 1
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            said = _server_says(e.read())
            raise self._http_error(e.code, said) from None
        except urllib.error.URLError as e:
            reason = getattr(e.reason, 'strerror', None) or str(e.reason)
            raise HistoryError('unreachable', f'The server at {self.base} does not answer ({reason}). '
                               'Check the Server address and that the server runs.') from None
        except (TimeoutError, OSError) as e:
            raise HistoryError('unreachable', f'The server at {self.base} did not answer in time ({e}).') from None

    def _http_error(self, status: int, said: str) -> HistoryError:
        if status == 401:
            return HistoryError('token', f'The server refused the token ({said}). Paste a valid token in the add-on preferences.', status)
        if status == 403:
            return HistoryError('token', f'The token is not for room "{self.room}" ({said}).', status)
        if status == 404:
            return HistoryError('not_found', said or f'Room "{self.room}" has no history on this server.', status)
        if status == 503:
            return HistoryError('no_history', 'This server keeps no history (it runs without a projection).', status)
        return HistoryError('server', f'The server answered {status}: {said}', status)

    def get(self, path: str, params=None):
        with self._open(path, params) as r:
            body = r.read()
        try:
            return json.loads(body)
        except ValueError:
            raise HistoryError('server', f'The server answered something that is not JSON for {path}.') from None

    def summary(self, buckets: int = 200) -> dict:
        return self.get('/timeline/summary', {'buckets': buckets})

    def timeline(self, after=None, before=None, limit: int = PAGE) -> dict:
        """One page of the log, never the whole of it ([H2])."""
        return self.get('/timeline', {'after': after, 'before': before, 'limit': limit})

    def scene(self, moment=None) -> dict:
        return self.get('/scene', {'at': at_param(moment)} if moment else None)

    def object_history(self, oid: str, frm=None, to=None) -> dict:
        return self.get(f'/objects/{urllib.parse.quote(oid, safe="")}/history',
                        {'from': at_param(frm) if frm else None, 'to': at_param(to) if to else None})

    def data_geometry(self, data_id: str, seq: int) -> bytes:
        """A data block's geometry bytes at a position (the data-block routes, where the server has them)."""
        with self._open(f'/data/{urllib.parse.quote(data_id, safe="")}/geometry', {'at': str(int(seq))}) as r:
            return r.read()

    def samples_csv(self, frm, to, limit: int, check=None):
        """Every sample in [frm, to] as dicts (the CSV export, streamed and parsed
        row by row); raises ``HistoryError('too_long')`` past ``limit`` rows."""
        with self._open('/export', {'format': 'csv', 'from': at_param(frm), 'to': at_param(to) if to else None}) as r:
            rows = csv.DictReader(io.TextIOWrapper(r, encoding='utf-8', newline=''))
            out = []
            for row in rows:
                out.append(row)
                if len(out) > limit:
                    raise HistoryError('too_long', f'This range holds more than {limit:,} changes, too many to play at once. '
                                       'Choose a shorter range (Start and End).')
                if check is not None and len(out) % 4096 == 0:
                    check()
            return out


class Result:
    __slots__ = ('slot', 'job', 'ok', 'value', 'error', 'progress')

    def __init__(self, slot, job, ok=True, value=None, error=None, progress=None):
        self.slot, self.job, self.ok, self.value, self.error, self.progress = slot, job, ok, value, error, progress

    def __repr__(self):
        return f'Result({self.slot!r}, {self.job}, ok={self.ok}, progress={self.progress}, error={self.error!r})'


class Worker:
    """One thread running jobs ``fn(api, progress)``; results come back by ``poll``.

    ``progress(done, total)`` posts a progress result and raises ``Cancelled``
    once the job was cancelled. Errors become results with ``ok`` False and a
    message: a job never kills the thread."""

    def __init__(self, api: HistoryApi):
        self.api = api
        self.results = queue.Queue()
        self._cv = threading.Condition()
        self._slots = deque()          # slots with a pending job, oldest first
        self._pending = {}             # slot -> (job id, fn)
        self._cancelled = set()
        self._next = 1
        self._running = None
        self._closed = False
        self.latest = {}               # slot -> id of the newest job submitted there
        self._thread = threading.Thread(target=self._run, name='scenesync-history', daemon=True)
        self._thread.start()

    def submit(self, slot: str, fn) -> int:
        with self._cv:
            job = self._next
            self._next += 1
            if slot not in self._pending:
                self._slots.append(slot)
            self._pending[slot] = (job, fn)
            self.latest[slot] = job
            self._cv.notify()
            return job

    def cancel(self, slot: str) -> None:
        with self._cv:
            if slot in self._pending:
                self._pending.pop(slot)
                self._slots.remove(slot)
            if self._running is not None and self._running[0] == slot:
                self._cancelled.add(self._running[1])
            self.latest.pop(slot, None)

    def busy(self, slot: str) -> bool:
        with self._cv:
            return slot in self._pending or (self._running is not None and self._running[0] == slot)

    def poll(self, limit: int = 1000) -> list:
        """Results of the newest job of each slot (older ones are stale and dropped)."""
        out = []
        try:
            while len(out) < limit:
                r = self.results.get_nowait()
                if self.latest.get(r.slot) == r.job:
                    out.append(r)
        except queue.Empty:
            pass
        return out

    def wait(self, timeout: float):
        """Blocks for the next result (tests and benchmarks; never Blender's main loop)."""
        try:
            return self.results.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._pending.clear()
            self._slots.clear()
            if self._running is not None:
                self._cancelled.add(self._running[1])
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._slots and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                slot = self._slots.popleft()
                job, fn = self._pending.pop(slot)
                self._running = (slot, job)

            def progress(done, total, slot=slot, job=job):
                if job in self._cancelled:
                    raise Cancelled()
                self.results.put(Result(slot, job, progress=(done, total)))

            try:
                value = fn(self.api, progress)
                if job not in self._cancelled:
                    self.results.put(Result(slot, job, value=value))
            except Cancelled:
                pass
            except HistoryError as e:
                self.results.put(Result(slot, job, ok=False, error=str(e)))
            except Exception as e:  # a bug or a malformed answer: said, never fatal to the thread
                self.results.put(Result(slot, job, ok=False, error=f'{type(e).__name__}: {e}'))
            finally:
                with self._cv:
                    self._running = None
                    self._cancelled.discard(job)
