"""Golden model of the ``pim_ctrl`` DRAM-PIM command scheduler.

Pure Python, no third-party dependencies. The specification of this family is a set of
*rules* every emitted command stream must obey, not one exact schedule, so the golden model
is a checker plus a reference scheduler:

* :class:`PimChecker` -- the spec. It holds the DRAM's bank state (idle / active row, the
  cycle of the last ACT, PRE and REF) and the requests the controller has accepted but not
  yet served, and checks every command of every channel in every cycle: the timing rules
  (tRCD, tRAS, tRP, tRFC), the refresh schedule (REF ``k`` of a channel in cycles
  ``[k*tREFI, k*tREFI + ref_window]``, all banks precharged), the open-row policy (no ACT or
  PRE the requests do not need), per-bank in-order service, the ``busy`` output and the
  minimum queue capacity behind ``req_ready``. Any legal controller passes it.
* :class:`ReferenceScheduler` -- a cycle-accurate model of the *generated RTL's* policy
  (per-bank FIFOs, round-robin among banks, PRE-only while a refresh is pending). It is one
  legal schedule; unit tests use it to exercise the checker, and to estimate throughput.

Cycle convention: cycle 0 is the first clock cycle in which ``rst`` is low; a command
"issued in cycle c" is the value on the ``cmd*`` outputs during cycle c (sampled by the
DRAM at the rising edge that ends it); a request "accepted in cycle c" had ``req_valid``
and ``req_ready`` high in cycle c. A request can be served from cycle c+1 on.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

# command encodings (the 3-bit cmd field of a channel)
NOP, ACT, PRE, MAC, RDOUT, REF = 0, 1, 2, 3, 4, 5
CMD_NAMES = {NOP: "NOP", ACT: "ACT", PRE: "PRE", MAC: "MAC", RDOUT: "RDOUT", REF: "REF"}
CMD_W = 3

# request opcodes (req_op)
OP_MAC, OP_READOUT = 0, 1
OP_NAMES = {OP_MAC: "MAC", OP_READOUT: "READOUT"}

NEVER = -(1 << 40)   # "long ago": the cycle of an event that has not happened


@dataclass(frozen=True)
class Timing:
    """DRAM timing parameters in clock cycles."""

    tRCD: int   # ACT -> MAC on that bank
    tRP: int    # PRE -> ACT on that bank, PRE -> REF
    tRAS: int   # ACT -> PRE on that bank
    tRFC: int   # REF -> any command on that channel
    tREFI: int  # refresh interval

    @classmethod
    def from_params(cls, p: Mapping[str, int]) -> "Timing":
        return cls(p["tRCD"], p["tRP"], p["tRAS"], p["tRFC"], p["tREFI"])


def ref_window(timing: Timing, banks: int) -> int:
    """Cycles a due refresh may wait: REF ``k`` is legal in ``[k*tREFI, k*tREFI + window]``."""
    return timing.tRAS + timing.tRP + banks


@dataclass(frozen=True)
class Request:
    op: int
    ch: int
    bank: int
    row: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.op == OP_READOUT:
            return f"READOUT(ch={self.ch}, bank={self.bank})"
        return f"MAC(ch={self.ch}, bank={self.bank}, row={self.row}, col={self.col})"


@dataclass(frozen=True)
class Command:
    cmd: int
    bank: int = 0
    row: int = 0
    col: int = 0

    def __str__(self) -> str:
        name = CMD_NAMES.get(self.cmd, f"cmd{self.cmd}")
        if self.cmd == ACT:
            return f"ACT(bank={self.bank}, row={self.row})"
        if self.cmd == MAC:
            return f"MAC(bank={self.bank}, col={self.col})"
        if self.cmd in (PRE, RDOUT):
            return f"{name}(bank={self.bank})"
        return name


@dataclass
class _Bank:
    open: bool = False
    row: int = 0
    act: int = NEVER     # cycle of the last ACT
    pre: int = NEVER     # cycle of the last PRE


@dataclass
class _Pending:
    req: Request
    accepted: int        # cycle it was accepted in


@dataclass
class Stats:
    commands: dict[int, int] = field(default_factory=lambda: {c: 0 for c in CMD_NAMES})
    served: int = 0
    ref_cycles: list[list[int]] = field(default_factory=list)   # per channel, REF issue cycles
    last_serve: int = -1                                        # cycle of the last MAC/RDOUT


class PimChecker:
    """Checks a controller's command streams against the ``pim_ctrl`` rules.

    Per cycle: optionally :meth:`check_ready` / :meth:`check_busy` with the cycle's outputs,
    then :meth:`step` with the commands of every channel and the request accepted in that
    cycle (or None). Every method returns a list of violation messages (empty = legal).
    """

    def __init__(self, channels: int, banks: int, qdepth: int, timing: Timing) -> None:
        self.channels, self.banks, self.qdepth, self.t = channels, banks, qdepth, timing
        self.window = ref_window(timing, banks)
        self.reset()

    @classmethod
    def from_params(cls, p: Mapping[str, int]) -> "PimChecker":
        return cls(p["CHANNELS"], p["BANKS"], p["QDEPTH"], Timing.from_params(p))

    def reset(self) -> None:
        """DRAM and controller reset: every bank precharged, nothing pending, cycle 0 next."""
        self.cycle = 0
        self.state = [[_Bank() for _ in range(self.banks)] for _ in range(self.channels)]
        self.pending = [[deque() for _ in range(self.banks)] for _ in range(self.channels)]
        self.refs_done = [0] * self.channels
        self.last_ref = [NEVER] * self.channels
        self.overdue_reported = [0] * self.channels
        self.stats = Stats(ref_cycles=[[] for _ in range(self.channels)])

    # ------------------------------------------------------------------ queries
    def outstanding(self, ch: int, bank: int) -> int:
        """Requests to (ch, bank) accepted in earlier cycles and not yet served."""
        return len(self.pending[ch][bank])

    @property
    def busy(self) -> bool:
        return any(q for banks in self.pending for q in banks)

    def refs_due(self, cycle: int | None = None) -> int:
        """Refreshes due per channel by ``cycle``: REF ``k`` (k >= 1) is due at ``k*tREFI``."""
        c = self.cycle if cycle is None else cycle
        return c // self.t.tREFI if c >= 0 else 0

    def ref_pending(self, ch: int) -> bool:
        return self.refs_done[ch] < self.refs_due()

    def head(self, ch: int, bank: int) -> Request | None:
        q = self.pending[ch][bank]
        return q[0].req if q else None

    def describe(self, ch: int) -> str:
        """Bank states of a channel, for messages."""
        parts = []
        for b, s in enumerate(self.state[ch]):
            st = f"open row {s.row} (ACT@{s.act})" if s.open else "idle" + (f" (PRE@{s.pre})" if s.pre > NEVER else "")
            h = self.head(ch, b)
            parts.append(f"bank {b}: {st}, {len(self.pending[ch][b])} pending" + (f", next {h}" if h else ""))
        ref = f"refresh {self.refs_done[ch] + 1} due@{(self.refs_done[ch] + 1) * self.t.tREFI}"
        return f"ch{ch} [{ref}; last REF@{self.last_ref[ch] if self.last_ref[ch] > NEVER else '-'}] " + "; ".join(parts)

    # ------------------------------------------------------------------ per-cycle checks
    def check_ready(self, req: Request, ready: bool) -> list[str]:
        """A request to a bank with fewer than QDEPTH outstanding requests must be accepted."""
        n = self.outstanding(req.ch, req.bank)
        if not ready and n < self.qdepth:
            return [f"cycle {self.cycle}: req_ready is 0 for {req} although that bank has only {n} "
                    f"outstanding request(s) (< QDEPTH={self.qdepth})"]
        return []

    def check_busy(self, busy: bool) -> list[str]:
        if bool(busy) != self.busy:
            n = sum(len(q) for banks in self.pending for q in banks)
            return [f"cycle {self.cycle}: busy is {int(busy)} but {n} accepted request(s) are unserved"]
        return []

    def step(self, cmds: Sequence[Command], accepted: Request | None = None) -> list[str]:
        """Check and apply one cycle: ``cmds[ch]`` is channel ch's command in this cycle."""
        if len(cmds) != self.channels:
            raise ValueError(f"step: need {self.channels} commands, got {len(cmds)}")
        errs: list[str] = []
        c = self.cycle
        for ch in range(self.channels):
            errs += self._check_overdue(ch, c)
        for ch, cmd in enumerate(cmds):
            errs += [f"cycle {c}: ch{ch} {cmd}: {m} -- {self.describe(ch)}" for m in self._command(ch, cmd, c)]
        if accepted is not None:
            self.pending[accepted.ch][accepted.bank].append(_Pending(accepted, c))
        self.cycle += 1
        return errs

    def finish(self) -> list[str]:
        """End-of-run checks: every accepted request served, no refresh overdue now."""
        errs = []
        for ch in range(self.channels):
            errs += self._check_overdue(ch, self.cycle)
            for b in range(self.banks):
                for p in self.pending[ch][b]:
                    errs.append(f"cycle {self.cycle}: {p.req} accepted in cycle {p.accepted} was never served")
        return errs

    # ------------------------------------------------------------------ rules
    def _check_overdue(self, ch: int, c: int) -> list[str]:
        k = self.refs_done[ch] + 1                     # the next refresh of this channel
        deadline = k * self.t.tREFI + self.window
        if c > deadline and self.overdue_reported[ch] < k:
            self.overdue_reported[ch] = k
            return [f"cycle {c}: ch{ch}: refresh {k} (due in cycle {k * self.t.tREFI}) was not issued by "
                    f"its deadline, cycle {deadline} (due + tRAS + tRP + BANKS) -- {self.describe(ch)}"]
        return []

    def _command(self, ch: int, cmd: Command, c: int) -> list[str]:
        t = self.t
        if cmd.cmd == NOP:
            return []
        if cmd.cmd not in CMD_NAMES:
            return [f"illegal command code {cmd.cmd}"]
        self.stats.commands[cmd.cmd] += 1
        errs: list[str] = []
        if c - self.last_ref[ch] < t.tRFC:
            errs.append(f"command during tRFC: REF in cycle {self.last_ref[ch]}, tRFC={t.tRFC}")
        if cmd.cmd == REF:
            return errs + self._ref(ch, c)
        if not 0 <= cmd.bank < self.banks:
            return errs + [f"bank {cmd.bank} does not exist (BANKS={self.banks})"]
        bank = self.state[ch][cmd.bank]
        head = self.head(ch, cmd.bank)
        pending_ref = self.ref_pending(ch)
        if cmd.cmd == ACT:
            if bank.open:
                errs.append(f"ACT to bank {cmd.bank} whose row {bank.row} is still open")
            elif c - bank.pre < t.tRP:
                errs.append(f"PRE->ACT {c - bank.pre} cycles < tRP={t.tRP} (PRE in cycle {bank.pre})")
            if pending_ref:
                errs.append("ACT while a refresh is due (a due refresh blocks new activations)")
            if head is None or head.op != OP_MAC:
                errs.append(f"ACT not needed: the bank's next request is {head or 'none'} (open-row policy)")
            elif head.row != cmd.row:
                errs.append(f"ACT opens row {cmd.row} but the bank's next request needs row {head.row}")
            bank.open, bank.row, bank.act = True, cmd.row, c
        elif cmd.cmd == PRE:
            if not bank.open:
                errs.append(f"PRE to bank {cmd.bank}, which is already precharged")
            else:
                if c - bank.act < t.tRAS:
                    errs.append(f"ACT->PRE {c - bank.act} cycles < tRAS={t.tRAS} (ACT in cycle {bank.act})")
                needed = pending_ref or (head is not None and head.op == OP_MAC and head.row != bank.row)
                if not needed:
                    errs.append(f"PRE not needed: no refresh due and the bank's next request is {head or 'none'} "
                                "(open-row policy keeps the row open)")
            bank.open, bank.pre = False, c
        elif cmd.cmd == MAC:
            if head is None or head.op != OP_MAC:
                errs.append(f"MAC but the bank's next request is {head or 'none'} (per-bank order)")
            elif not bank.open:
                errs.append(f"MAC to bank {cmd.bank}, which has no open row")
            else:
                if head.row != bank.row:
                    errs.append(f"MAC for {head} but the open row is {bank.row}")
                if head.col != cmd.col:
                    errs.append(f"MAC col {cmd.col} but the bank's next request {head} has col {head.col}")
                if c - bank.act < t.tRCD:
                    errs.append(f"ACT->MAC {c - bank.act} cycles < tRCD={t.tRCD} (ACT in cycle {bank.act})")
            self._serve(ch, cmd.bank, c)
        elif cmd.cmd == RDOUT:
            if head is None or head.op != OP_READOUT:
                errs.append(f"RDOUT but the bank's next request is {head or 'none'} (per-bank order)")
            self._serve(ch, cmd.bank, c)
        return errs

    def _ref(self, ch: int, c: int) -> list[str]:
        errs = []
        if not self.ref_pending(ch):
            errs.append(f"REF but no refresh is due (refresh {self.refs_done[ch] + 1} is due in cycle "
                        f"{(self.refs_done[ch] + 1) * self.t.tREFI})")
        for b, s in enumerate(self.state[ch]):
            if s.open:
                errs.append(f"REF while bank {b} has row {s.row} open")
            elif c - s.pre < self.t.tRP:
                errs.append(f"PRE->REF on bank {b}: {c - s.pre} cycles < tRP={self.t.tRP}")
        self.refs_done[ch] += 1
        self.last_ref[ch] = c
        self.stats.ref_cycles[ch].append(c)
        for s in self.state[ch]:
            s.open = False
        return errs

    def _serve(self, ch: int, bank: int, c: int) -> None:
        q = self.pending[ch][bank]
        if q:
            q.popleft()
        self.stats.served += 1
        self.stats.last_serve = c


# ---------------------------------------------------------------------- reference schedule
@dataclass
class _RefBank:
    queue: deque = field(default_factory=deque)
    open: bool = False
    row: int = 0
    rcd: int = 0        # cycles until a MAC is allowed (0 = now)
    ras: int = 0        # cycles until a PRE is allowed
    rp: int = 0         # cycles until an ACT / REF is allowed


class ReferenceScheduler:
    """Cycle-accurate model of the generated RTL's scheduling policy (one legal schedule).

    Per channel: one FIFO of QDEPTH per bank; each bank offers at most one candidate
    command per cycle (its head request's next step: RDOUT; MAC on a row hit once tRCD has
    passed; PRE on a row miss once tRAS has passed; ACT on a closed bank once tRP has
    passed); a round-robin arbiter picks one bank per cycle. From the cycle a refresh is
    due, banks only offer PRE (open banks, tRAS met); REF goes out as soon as every bank is
    closed and tRP has passed; then nothing for tRFC cycles.

    Per cycle: :meth:`ready` / :meth:`commands` / :attr:`busy` give the outputs, then
    :meth:`tick` advances the rising edge.
    """

    def __init__(self, channels: int, banks: int, qdepth: int, timing: Timing) -> None:
        self.channels, self.banks, self.qdepth, self.t = channels, banks, qdepth, timing
        self.reset()

    @classmethod
    def from_params(cls, p: Mapping[str, int]) -> "ReferenceScheduler":
        return cls(p["CHANNELS"], p["BANKS"], p["QDEPTH"], Timing.from_params(p))

    def reset(self) -> None:
        self.bank = [[_RefBank() for _ in range(self.banks)] for _ in range(self.channels)]
        self.ref_cnt = [0] * self.channels
        self.ref_pending = [False] * self.channels
        self.rfc = [0] * self.channels
        self.rr = [0] * self.channels

    def ready(self, req: Request) -> bool:
        return len(self.bank[req.ch][req.bank].queue) < self.qdepth

    @property
    def busy(self) -> bool:
        return any(b.queue for chan in self.bank for b in chan)

    def _candidate(self, ch: int, b: int) -> Command | None:
        s = self.bank[ch][b]
        if self.rfc[ch]:
            return None
        if self.ref_pending[ch]:
            return Command(PRE, b) if s.open and s.ras == 0 else None
        if not s.queue:
            return None
        head: Request = s.queue[0]
        if head.op == OP_READOUT:
            return Command(RDOUT, b)
        if s.open and s.row == head.row:
            return Command(MAC, b, col=head.col) if s.rcd == 0 else None
        if s.open:
            return Command(PRE, b) if s.ras == 0 else None
        return Command(ACT, b, row=head.row) if s.rp == 0 else None

    def _choice(self, ch: int) -> Command:
        if self.ref_pending[ch] and not self.rfc[ch] and all(
                not s.open and s.rp == 0 for s in self.bank[ch]):
            return Command(REF)
        for i in range(self.banks):
            b = (self.rr[ch] + i) % self.banks
            cand = self._candidate(ch, b)
            if cand is not None:
                return cand
        return Command(NOP)

    def commands(self) -> list[Command]:
        return [self._choice(ch) for ch in range(self.channels)]

    def tick(self, accepted: Request | None = None, rst: bool = False) -> None:
        if rst:
            self.reset()
            return
        t = self.t
        for ch, cmd in enumerate(self.commands()):
            for s in self.bank[ch]:
                s.rcd, s.ras, s.rp = max(0, s.rcd - 1), max(0, s.ras - 1), max(0, s.rp - 1)
            self.rfc[ch] = max(0, self.rfc[ch] - 1)
            if cmd.cmd == REF:
                self.ref_pending[ch] = False
                self.rfc[ch] = t.tRFC - 1
            elif cmd.cmd != NOP:
                s = self.bank[ch][cmd.bank]
                if cmd.cmd == ACT:
                    s.open, s.row, s.rcd, s.ras = True, cmd.row, t.tRCD - 1, t.tRAS - 1
                elif cmd.cmd == PRE:
                    s.open, s.rp = False, t.tRP - 1
                else:
                    s.queue.popleft()
                self.rr[ch] = (cmd.bank + 1) % self.banks
            if self.ref_cnt[ch] == t.tREFI - 1:
                self.ref_cnt[ch] = 0
                self.ref_pending[ch] = True
            else:
                self.ref_cnt[ch] += 1
        if accepted is not None:
            self.bank[accepted.ch][accepted.bank].queue.append(accepted)


#: row misses spread over the banks must take at most this fraction of the serial bound
PARALLEL_FACTOR = 0.8


def row_cycle(timing: Timing) -> int:
    """Minimum cycles between two ACTs of ONE bank serving consecutive row misses.

    ACT -> MAC >= tRCD, the MAC and the PRE need separate cycles, ACT -> PRE >= tRAS, and
    PRE -> ACT >= tRP: ``max(tRAS, tRCD + 1) + tRP``.
    """
    return max(timing.tRAS, timing.tRCD + 1) + timing.tRP


def serial_cycles(reqs: Iterable[Request], timing: Timing) -> int:
    """A lower bound on the cycles a controller serving ONE request at a time would need.

    Per request: a READOUT or a row hit needs 1 cycle; a MAC to a closed bank needs
    tRCD + 1 (ACT, wait, MAC); a row miss needs tRP + tRCD + 1 (PRE, wait, ACT, wait, MAC).
    Row state is tracked per (channel, bank) in request order; refreshes are ignored.
    """
    open_row: dict[tuple[int, int], int] = {}
    total = 0
    for r in reqs:
        key = (r.ch, r.bank)
        if r.op == OP_READOUT or open_row.get(key) == r.row:
            total += 1
        elif key not in open_row:
            total += timing.tRCD + 1
        else:
            total += timing.tRP + timing.tRCD + 1
        if r.op == OP_MAC:
            open_row[key] = r.row
    return total


def parallelism_required(banks: int, timing: Timing) -> bool:
    """Whether the bank-parallelism rule applies: at least 2 banks, and overlapping banks can
    halve the serial time of a row miss (``tRP + tRCD + 1``) even though every miss needs 3
    command-bus cycles and each bank one :func:`row_cycle` per miss:
    ``2 * max(3, row_cycle / BANKS) <= tRP + tRCD + 1``."""
    if banks < 2:
        return False
    return 20 * max(3 * banks, row_cycle(timing)) <= 9 * (timing.tRP + timing.tRCD + 1) * banks


def refresh_blocked(chk: "PimChecker", ch: int, first: int, last: int) -> int:
    """Cycles of [first, last] inside some refresh's [due, REF + tRFC - 1] span on ``ch``
    (time no schedule can use for ACTs; the parallelism rule does not count it)."""
    t = chk.t
    total = 0
    for k, ref in enumerate(chk.stats.ref_cycles[ch], start=1):
        lo, hi = k * t.tREFI, ref + t.tRFC - 1
        total += max(0, min(hi, last) - max(lo, first) + 1)
    k = len(chk.stats.ref_cycles[ch]) + 1           # a refresh still pending at `last`
    if k * t.tREFI <= last:
        total += last - max(k * t.tREFI, first) + 1
    return total


def simulate_reference(params: Mapping[str, int], reqs: Sequence[Request], max_cycles: int = 100_000,
                       ) -> tuple[int, PimChecker]:
    """Run ``reqs`` (offered one per cycle, in order) through the reference scheduler with
    the checker attached; returns (cycles until idle, checker). Raises on any violation."""
    sched = ReferenceScheduler.from_params(params)
    chk = PimChecker.from_params(params)
    todo = deque(reqs)
    for _ in range(max_cycles):
        if not todo and not sched.busy:
            return chk.cycle, chk
        offer = todo[0] if todo else None
        accepted = offer if offer is not None and sched.ready(offer) else None
        errs = chk.check_busy(sched.busy)
        if offer is not None:
            errs += chk.check_ready(offer, sched.ready(offer))
        cmds = sched.commands()
        errs += chk.step(cmds, accepted)
        if errs:
            raise AssertionError("\n".join(errs))
        sched.tick(accepted)
        if accepted is not None:
            todo.popleft()
    raise AssertionError(f"reference scheduler did not finish in {max_cycles} cycles")
