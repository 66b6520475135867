"""Which of our sends the agent has surely processed.

The agent reads our lines in order, but a remote change can reach it between
two of them. An ``object`` message for a key we just sent may therefore
describe the doc *before* our op (our op then overwrote it: ignore the message)
or *after* it (then it is the doc's truth: apply it). The message does not say
which. A ``scene`` reply we asked for does: the agent answers requests in line
order, so a reply reflects every line sent before the request.

So each line gets an index; each key remembers the index of the last line that
carried it. A remote value for a key is unambiguous iff that index is below the
bound of the message (the request index of the last reply received). An
ambiguous key is put aside as uncertain and a scene request settles it. This
costs a round trip only when someone else edits what we edited since the last
reply, which is rare outside two people dragging one object.
"""
from __future__ import annotations

from collections import deque

REQUEST_EVERY = 0.1


class InFlight:
    def __init__(self):
        self.line = 0                 # index the next line sent will have
        self.last_send = {}           # key -> index of the last line that carried it
        self.verified = 0             # lines below this were processed by the agent
        self.requests = deque()       # indices of scene requests not answered yet
        self.uncertain = set()        # keys whose remote value we put aside
        self._last_request = -1e18
        self._last_keyed = -1         # index of the last line that carried a key

    def queued(self, keys) -> None:
        """Marks keys as carried by the line about to be sent (ops are queued and
        sent as one batch, so a key is in flight from the moment it is queued)."""
        for k in keys:
            self.last_send[k] = self.line
            self._last_keyed = self.line

    def line_sent(self) -> int:
        idx = self.line
        self.line += 1
        return idx

    def ambiguous(self, key, bound: int) -> bool:
        return self.last_send.get(key, -1) >= bound

    def request_sent(self, now: float) -> int:
        idx = self.line_sent()
        self.requests.append(idx)
        self._last_request = now
        return idx

    def reply(self) -> int:
        """The bound of a scene reply: the index of the request it answers."""
        idx = self.requests.popleft()
        self.verified = max(self.verified, idx)
        if len(self.last_send) > 2048:
            self.last_send = {k: i for k, i in self.last_send.items() if i >= self.verified}
        return idx

    def needs_request(self, now: float) -> bool:
        if not self.uncertain or now - self._last_request < REQUEST_EVERY:
            return False
        if self.requests and self.requests[-1] > self._last_keyed:
            # A pending request was sent after every line that carried a key: it
            # settles them all (and thousands of uncertain keys are not looked at per tick).
            return False
        newest = max(self.last_send.get(k, -1) for k in self.uncertain)
        return not any(r > newest for r in self.requests)

    def forget(self, oid: str) -> None:
        self.uncertain = {k for k in self.uncertain if k[0] != oid}
