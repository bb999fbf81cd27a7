"""How fast the outbox sends on each channel: a token bucket per channel, set from
the provider's published limit and taught by its refusals.

Sending faster than a provider allows gains nothing: each refusal costs a round
trip and a pause. Meta publishes WhatsApp's throughput per business phone number
(80 messages a second by default, 1,000 after its automatic upgrade, inbound
messages included; above it the API answers 130429):
https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
Twilio queues messages and calls above a sender's rate rather than refusing them
(errors 30001 and 22005: https://www.twilio.com/docs/api/errors/30001,
https://www.twilio.com/docs/api/errors/22005), so SMS and calls start unpaced and
are only slowed if Twilio answers 429/20429; so are e-mail and push.

The pace is kept a little under the limit (MARGIN), and the bucket holds what
that margin leaves room for (two messages at Meta's 80/s, paced at 77.6/s): a
message that went late lets the next go at once instead of losing its turn, and
a provider's one-second window still never sees more than its limit (79 of 80).
With one token, a machine that composes messages about as fast as the pace
lost a tenth of it to turns missed by a millisecond. This is the generic cell
rate algorithm (ITU-T I.371): a message may go `tolerance` before its
theoretical time. A refusal sets the pace to what the provider took in the
second before it (less the margin); it is kept a minute, then grows slowly back
towards the published limit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

# Messages a second: Meta's default throughput per business phone number.
PUBLISHED: dict[str, float] = {"whatsapp": 80.0}
# Pace a little under the limit: the provider counts its window from its own
# clock, and a client's incoming messages share WhatsApp's.
MARGIN = 0.97
SLOWEST = 0.2  # messages a second: a refusal never stops a channel altogether
# A learned pace is kept a minute, then grows 10 % a minute without refusals (up
# to the published limit): a provider's limit rarely rises, and each probe above
# it costs a refusal.
HOLD, GROWTH = 60.0, 0.10


@dataclass
class Pace:
    """One channel's pace. `ceiling`: the published limit (messages/s, None when
    there is none); `learned`: the pace a refusal taught and when."""

    ceiling: float | None
    learned: float | None = None
    refused_at: float = 0.0
    next_at: float = 0.0  # time.monotonic() when the next message may go
    taken: deque[float] = field(default_factory=lambda: deque(maxlen=2000))

    def rate(self, now: float) -> float | None:
        """Messages a second allowed at `now` (None: unpaced)."""
        top = self.ceiling * MARGIN if self.ceiling is not None else None
        if self.learned is None:
            return top
        grown: float = self.learned * (1 + GROWTH) ** (
            max(0.0, now - self.refused_at - HOLD) / 60)
        return grown if top is None else min(top, grown)

    def wait(self, now: float) -> float:
        """Seconds to wait before the next message may go (0 when it may go now)."""
        rate = self.rate(now)
        return max(0.0, self.next_at - tolerance(rate) - now) if rate else 0.0

    def went(self, now: float) -> None:
        """A message is being sent at `now`: the next one waits its turn."""
        rate = self.rate(now)
        if rate:
            self.next_at = max(self.next_at, now) + 1.0 / rate

    def took(self, now: float) -> None:
        """The provider accepted a message at `now`."""
        self.taken.append(now)

    def refused(self, now: float) -> float:
        """The provider asked to slow down at `now`: the pace becomes what it took
        in the last second, less the margin (half the pace when it took nothing).
        Returns the new pace (messages/s)."""
        while self.taken and now - self.taken[0] >= 1.0:
            self.taken.popleft()
        accepted = len(self.taken)
        current = self.rate(now) or float(accepted or 1)
        learned = accepted * MARGIN if accepted else current / 2
        self.learned, self.refused_at = max(SLOWEST, min(current, learned)), now
        self.next_at = max(self.next_at, now + 1.0 / self.learned)
        return self.learned


def tolerance(rate: float) -> float:
    """Seconds a message may go before its even turn at `rate` (messages/s): room
    for the tokens the margin leaves under the limit the rate was set from, so
    that any one second holds at most rate + tokens <= rate / MARGIN messages."""
    tokens = max(1, math.floor(rate * (1 / MARGIN - 1) + 1e-9))
    return (tokens - 1) / rate


class Pacer:
    """The outbox's paces, one per channel, kept for a worker's life."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 published: dict[str, float] | None = None) -> None:
        self.clock = clock
        self.published = PUBLISHED if published is None else published
        self.paces: dict[str, Pace] = {}

    def of(self, channel: str) -> Pace:
        if channel not in self.paces:
            self.paces[channel] = Pace(self.published.get(channel))
        return self.paces[channel]

    def turn(self, channel: str) -> float:
        """Seconds the caller must wait before sending on `channel`; the turn is
        reserved, so call it once per message, then sleep that long."""
        pace, now = self.of(channel), self.clock()
        wait = pace.wait(now)
        pace.went(now + wait)
        return wait

    def took(self, channel: str) -> None:
        self.of(channel).took(self.clock())

    def refused(self, channel: str) -> float:
        return self.of(channel).refused(self.clock())
