"""The room's log as the History panel shows it: a span from the first entry to
the last, a strip of markers (where many changes were made, where people
joined), and the entries near the moment being viewed, each in words ("ann
moved Suzanne").

A moment is ``{'time': ms}`` (a point the slider was dragged to) or
``{'seq': n, 'time': ms}`` (a log entry, reached by stepping); both mean the
scene after the last entry at or before it ([H1]), as the server's
``scene?at=`` reads it. The entries come a page at a time
(``timeline?before=&after=&limit=``), never the whole log.
"""
from __future__ import annotations

import bisect
import time

WHAT_WORDS = {
    'location': 'moved', 'rotation': 'rotated', 'rotation_mode': 'rotated', 'scale': 'scaled',
    'name': 'renamed', 'parent': 'reparented', 'visible': 'showed or hid', 'type': 'changed the type of',
    'created': 'created', 'deleted': 'deleted',
}


def clock(ms: float, with_date: bool = False) -> str:
    """A log time (ms since the epoch) as this computer's local time."""
    t = time.localtime(ms / 1000.0)
    return time.strftime('%Y-%m-%d %H:%M:%S' if with_date else '%H:%M:%S', t)


def duration(ms: float) -> str:
    s = max(0, int(round(ms / 1000.0)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f'{h}:{m:02d}:{s:02d}' if h else f'{m}:{s:02d}'


class Span:
    """The log's extent and the markers drawn along the slider."""

    def __init__(self, first=None, last=None, entries: int = 0, buckets=(), joins=()):
        self.first = first          # {'seq', 'time'} or None for a room with no entries
        self.last = last
        self.entries = entries
        self.buckets = list(buckets)
        self.joins = list(joins)

    @classmethod
    def from_summary(cls, d: dict) -> 'Span':
        return cls(d.get('first'), d.get('last'), int(d.get('entries') or 0), d.get('buckets') or [], d.get('joins') or [])

    @property
    def empty(self) -> bool:
        return not self.first or not self.last

    def grow(self, first, last) -> None:
        """A timeline page says where the log ends now (it grows while people edit)."""
        if first and (self.first is None or first['seq'] < self.first['seq']):
            self.first = first
        if last and (self.last is None or last['seq'] > self.last['seq']):
            self.last = last

    @property
    def start(self) -> float:
        return float(self.first['time']) if self.first else 0.0

    @property
    def end(self) -> float:
        return float(self.last['time']) if self.last else 0.0

    @property
    def spans_days(self) -> bool:
        return not self.empty and time.localtime(self.start / 1000).tm_yday != time.localtime(self.end / 1000).tm_yday

    def label(self, ms: float) -> str:
        return clock(ms, self.spans_days)

    def factor(self, ms: float) -> float:
        """Where a time sits on the slider (0 at the first entry, 1 at the last)."""
        width = self.end - self.start
        if width <= 0:
            return 1.0
        return min(1.0, max(0.0, (ms - self.start) / width))

    def time_at(self, f: float) -> int:
        return int(round(self.start + min(1.0, max(0.0, f)) * (self.end - self.start)))

    def markers(self, cells: int):
        """The strip under the slider: per cell (start ms, activity 0-3, who joined there)."""
        if self.empty or cells <= 0:
            return []
        out = [[self.time_at(i / cells), 0, []] for i in range(cells)]
        counts = [0] * cells
        for b in self.buckets:
            n = int(b.get('entries') or 0)
            if n:
                counts[self._cell(float(b.get('start', 0)), cells)] += n
        busiest = max(counts) or 1
        for i, n in enumerate(counts):
            # Three steps relative to the busiest cell: 'many changes' stands out.
            out[i][1] = 0 if n == 0 else 1 if n * 3 < busiest else 2 if n * 3 < busiest * 2 else 3
        for j in self.joins:
            cell = out[self._cell(float(j['time']), cells)]
            user = str(j.get('user') or 'someone')
            if user not in cell[2]:
                cell[2].append(user)
        return [tuple(c) for c in out]

    def _cell(self, ms: float, cells: int) -> int:
        return min(cells - 1, int(self.factor(ms) * cells))


def describe(entry: dict, limit: int = 3) -> str:
    """What one entry did, in words: 'moved Suzanne, posed Rig (hand.L)'."""
    parts = []
    for c in entry.get('changes') or []:
        name = c.get('name') or (c.get('id') or '?')[:8]
        what = c.get('what') or []
        bones = [w[5:] for w in what if w.startswith('pose.')]
        verbs = []
        for w in what:
            if w.startswith('pose.'):
                continue
            v = WHAT_WORDS.get(w, f'changed {w} of')
            if v not in verbs:
                verbs.append(v)
        if bones:
            verbs.append('posed')
        text = ' and '.join(verbs[:2]) + (' and more on' if len(verbs) > 2 else '') if verbs else 'changed'
        text += f' {name}'
        if bones:
            text += f' ({", ".join(bones[:3])}{", ..." if len(bones) > 3 else ""})'
        parts.append(text)
    if not parts:
        return 'no object changes'
    more = len(parts) - limit
    return ', '.join(parts[:limit]) + (f' and {more} more' if more > 0 else '')


class Entries:
    """Log entries fetched around the viewed moment, kept sorted by position."""

    def __init__(self, keep: int = 400):
        self.keep = keep
        self._seqs = []
        self._by_seq = {}

    def add(self, entries) -> None:
        for e in entries or []:
            s = int(e['seq'])
            if s not in self._by_seq:
                bisect.insort(self._seqs, s)
            self._by_seq[s] = e
        if len(self._seqs) > self.keep:
            # Keep memory flat over a long session: the oldest fetched go first.
            for s in self._seqs[:len(self._seqs) - self.keep]:
                del self._by_seq[s]
            self._seqs = self._seqs[len(self._seqs) - self.keep:]

    def clear(self) -> None:
        self._seqs, self._by_seq = [], {}

    def __len__(self):
        return len(self._seqs)

    def at_or_before(self, seq: int):
        i = bisect.bisect_right(self._seqs, seq)
        return self._by_seq[self._seqs[i - 1]] if i else None

    def after(self, seq: int):
        i = bisect.bisect_right(self._seqs, seq)
        return self._by_seq[self._seqs[i]] if i < len(self._seqs) else None

    def before(self, seq: int):
        i = bisect.bisect_left(self._seqs, seq)
        return self._by_seq[self._seqs[i - 1]] if i else None

    def around(self, seq: int, before: int = 4, after: int = 2) -> list:
        """Entries near a position, oldest first: the ones the panel lists."""
        i = bisect.bisect_right(self._seqs, seq)
        return [self._by_seq[s] for s in self._seqs[max(0, i - before):i + after]]

    def at_or_before_time(self, ms: float):
        """The last fetched entry at or before a time (entries' times never decrease along the log)."""
        best = None
        for s in self._seqs:
            e = self._by_seq[s]
            if e['time'] <= ms:
                best = e
            else:
                break
        return best
