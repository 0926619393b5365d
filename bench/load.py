"""Load test: N agents (20 by default) work the inbox at once in one Chromium, each in its own
browser context and signed in as their own user, against a real `clamor run` server on a
store of 1 M synthetic mentions (clamor.benchmark's builder), while the demo collector feeds
new mentions every few seconds and the scheduler analyses and files them.

Each agent loops over a desk's work: pick a view (all waiting, mine, unassigned), open a case,
choose a holding-reply template, assign it to themself, set its status, mark it responded;
every other case, open it again from their promises and resolve it; now and then filter the
list by language and complaints, and visit the Overview. (Agents do not see the Explore
page's search: the inbox filters are their search.)

Every interaction is timed from the click until its result shows (the element or toast the
agent waits for) and the Streamlit run that drew it has ended (the app's script state, as
Streamlit's own end-to-end tests read it, or the run's last message from the server where a
busy browser never showed the run: see Agent._settle). Errors are counted: exception
boxes, error boxes, timeouts (60 s), browser console errors, a lost connection. One agent
alone first does every kind of interaction: the baseline of this run. The table gives per
kind the count, p50, p95, max and errors, and p95 with N agents against p95 alone. Also
reported: the server's peak RSS, its CPU and its wait for a CPU (the machine may be shared),
the browser's CPU, mentions collected, analysed and filed during the run, every confirmed
action looked up in the audit log afterwards (lost updates), and the load average.

Usage: python bench/load.py [--sessions 20] [--minutes 5] [--mentions 1000000] [--store DIR]
           [--keep] [--json] [--think S] [--feed-every S] [--baseline-rounds R]
           [--server-env STREAMLIT_RUNNER_POST_SCRIPT_GC=false] [--browser-nice N]
Writes bench/results/load.json (--output). Exits 1 if any error happened.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/load.py`
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DB_NAME = "clamor.duckdb"
# The demo config's agents own the synthetic store's cases (clamor.benchmark files them to
# these names), so their "Mine" is full from the start; more agents join the teams.
LOAD_TEAMS = (("Care Europe", ("en", "el")), ("Care Middle East", ("fa", "ar", "en")),
              ("Care Asia", ("th", "en")), ("Loyalty", ("en",)))
RESULTS = ROOT / "bench" / "results" / "load.json"


# -- the store, its users, its config and the stream the collector replays --------------------

def agent_names(config, sessions: int) -> list[str]:
    """One user per session: the demo config's agents first, then "Load Agent NN"."""
    names = [p.name for p in config.people if p.role == "agent"][:sessions]
    names += [f"Load Agent {i:02d}" for i in range(len(names) + 1, sessions + 1)]
    return names


def write_config(folder: Path, sessions: int, stream: Path, poll_seconds: float) -> Path:
    """The demo brand's config with the demo source replaying `stream` every poll_seconds and
    the extra agents as people of the teams (on shift around the clock, so least-loaded
    routing gives them new cases too)."""
    from clamor.config import DEMO_CONFIG, load_config

    text = DEMO_CONFIG.read_text(encoding="utf-8")
    demo = (f"[sources.demo]\nenabled = true\npoll_minutes = {poll_seconds / 60:.4f}\n"
            f"stream = {json.dumps(str(stream))}\n")
    text, found = re.subn(r"(?ms)^\[sources\.demo\]\n.*?(?=^\[)", demo + "\n", text, count=1)
    if not found:
        raise RuntimeError(f"{DEMO_CONFIG} has no [sources.demo] section to point at the "
                           "load stream")
    base = load_config(DEMO_CONFIG)
    extra = agent_names(base, sessions)[len([p for p in base.people if p.role == "agent"]):]
    for i, name in enumerate(extra):
        team, langs = LOAD_TEAMS[i % len(LOAD_TEAMS)]
        text += (f"\n[[people]]\nname = {json.dumps(name)}\nteam = {json.dumps(team)}\n"
                 f"languages = {json.dumps(list(langs))}\nshift = \"24/7\"\n")
    path = folder / "load.toml"
    path.write_text(text, encoding="utf-8")
    load_config(path)  # a broken config fails here, with the key named
    return path


def write_stream(folder: Path, token: str, every_seconds: float) -> Path:
    """The bundled demo stream (five languages, threads, the brand's replies) as new posts,
    one every `every_seconds` from the collector's first run, with ids of this run."""
    from collectors.replay import bundled_stream

    lines = sorted(bundled_stream(), key=lambda line: line["offset_minutes"])
    ids = {line["native_id"] for line in lines}

    def renamed(native):
        return f"{token}-{native}" if native in ids else native

    path = folder / "stream.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i, line in enumerate(lines):
            line = dict(line, offset_minutes=round((i + 1) * every_seconds / 60, 4))
            for key in ("native_id", "in_reply_to", "conversation_id"):
                line[key] = renamed(line.get(key))
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def prepare_store(db: Path, config_path: Path, mentions: int, sessions: int, password: str,
                  progress) -> dict:
    """Build the store if it is not there (clamor.benchmark.build_store), add one agent user
    per session, mark the demo desk's history as done (the synthetic year is the history)
    and restart the demo collector's cursor. Returns the store's size."""
    from clamor import auth, benchmark
    from clamor.config import load_config
    from clamor.demo import desk
    from clamor.store import Store

    config = load_config(config_path)
    built = None
    if not db.exists():
        built = benchmark.build_store(db, mentions, config, progress=progress)
        built.pop("end", None)
    store = Store(db)
    try:
        existing = {name for name, _, _ in auth.users(store)}
        for name in agent_names(config, sessions):
            if name in existing:
                auth.set_password(store, name, password)
            else:
                auth.add_user(store, name, "agent", password)
        if "Admin" not in existing:
            auth.add_user(store, "Admin", "admin", password)
        with store.transaction() as con:
            con.execute("DELETE FROM cursors WHERE source = ? AND query = ?", [*desk.MARKER])
            con.execute("INSERT INTO cursors VALUES (?, ?, ?, ?)",
                        [*desk.MARKER, "0", dt.datetime.now(dt.timezone.utc)])
            con.execute("DELETE FROM cursors WHERE source = 'demo' AND query = ''")
        (count,) = store.query_rows("SELECT count(*) FROM mentions")[0]
        (waiting,) = store.query_rows("SELECT count(*) FROM cases WHERE status IN ('new', "
                                      "'acknowledged', 'in_progress', 'waiting_on_customer')")[0]
    finally:
        store.close()
    return {"store_mentions": int(count), "store_open_cases": int(waiting),
            "store_built_s": round(built["build_s"], 1) if built else None}


# -- the server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`clamor run --demo` on its own port (the demo source is the one that runs without
    credentials); stopped with its whole process group."""

    def __init__(self, db: Path, config: Path, log: Path, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = open(log, "w", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("CLAMOR_DB", "CLAMOR_CONFIG")}
        env.update(extra_env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clamor.cli", "run", "--demo", "--port", str(self.port),
             "--host", "127.0.0.1", "--db", str(db), "--config", str(config)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
            cwd=str(ROOT))
        self.started = time.monotonic()

    def wait_up(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                return
            except OSError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start; its log says:\n"
                                       + self.log_path.read_text()[-3000:]) from exc
                time.sleep(0.3)

    def pids(self) -> list[int]:
        """The process group: `clamor run` and the Streamlit server it starts."""
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == self.process.pid:  # pgid
                    out.append(int(entry.name))
        return out

    def usage(self) -> dict:
        """Peak RSS (VmHWM) and CPU seconds of the group's largest process: the server."""
        best = {"peak_rss_mb": 0.0, "rss_mb": 0.0, "cpu_s": 0.0, "threads": 0}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            hwm = int(values.get("VmHWM", "0 kB").split()[0]) / 1024
            if hwm > best["peak_rss_mb"]:
                best = {"peak_rss_mb": hwm,
                        "rss_mb": int(values.get("VmRSS", "0 kB").split()[0]) / 1024,
                        "cpu_s": (int(stat[11]) + int(stat[12])) / tick,
                        "threads": int(values.get("Threads", "0").strip()),
                        "runqueue_wait_s": _runqueue_wait_s(pid)}
        return best

    def stop(self) -> None:
        pgid = self.process.pid
        if self.process.poll() is None:
            try:
                os.killpg(pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.process.wait()
        deadline = time.monotonic() + 30  # the database is free once the whole group is gone
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self.log.closed:
            self.log.close()


def _runqueue_wait_s(pid: int) -> float:
    """Seconds the process's threads spent ready to run but waiting for a CPU
    (/proc/PID/task/*/schedstat, second field): how much other work on the machine held
    the server back."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def browser_cpu(root: int, skip_group: int | None) -> dict[int, float]:
    """CPU seconds of each of `root`'s descendants outside the server's process group: the
    Playwright driver, Chromium and its renderers."""
    parent, cpu, group = {}, {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            parent[pid], group[pid] = int(fields[1]), int(fields[2])
            cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    out = {}
    for pid in cpu:
        p = parent.get(pid)
        while p and p != root and p in parent:
            p = parent[p]
        if p == root and pid != root and group[pid] != skip_group:
            out[pid] = cpu[pid]
    return out


def lower_priority(pids, nice: int) -> None:
    """Run these processes (and the session each leads: Chromium's renderers to come) at
    `nice`. With the kernel's autogroups a niceness counts only inside a session, and
    Playwright starts Chromium in one of its own: that session's is set too (not this
    script's own, which is the terminal's)."""
    ours = os.getsid(0)
    for pid in pids:
        try:
            if os.getsid(pid) != ours:
                Path(f"/proc/{pid}/autogroup").write_text(str(nice))
        except OSError:
            pass  # gone, or no autogroups here: the process's own niceness is what counts
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except OSError:
            pass  # gone meanwhile


# -- one agent in the browser -----------------------------------------------------------------

# The app's script state, as Streamlit's own end-to-end tests read it: the stApp element's
# data-test-script-state attribute ("running" while a run or fragment run is in progress).
# Every change is logged with its time, so an interaction ends when the last run it caused
# ended, not when a poll happened to notice.
MARK_JS = """() => {
  let log = window.__clamorLoad;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!log || log.app !== app) {
    log = window.__clamorLoad = {app, state: null, changes: [], toasts: []};
    const note = () => {
      const state = app ? app.getAttribute('data-test-script-state') : null;
      if (state !== log.state) { log.state = state; log.changes.push([performance.now(), state]); }
    };
    note();
    if (app) new MutationObserver(note).observe(app, {attributes: true,
      attributeFilter: ['data-test-script-state']});
    // Toasts vanish after a few seconds, maybe before the page settles: note each one seen.
    const shown = new Set();
    new MutationObserver(() => {
      for (const toast of document.querySelectorAll('[data-testid="stToast"]')) {
        if (!shown.has(toast)) { shown.add(toast); log.toasts.push([performance.now(),
                                                                    toast.innerText]); }
      }
    }).observe(document.body, {childList: true, subtree: true});
  }
  return performance.now();
}"""
SETTLED_JS = """([t0, quiet, idleAtClick]) => {
  const log = window.__clamorLoad;
  if (!log || !log.changes.length) return false;
  // A run after the click: the page showed it running, or its messages came once the page
  // was idle (at the click, or when the run going on then ended). A lone message is a
  // heartbeat's answer; a run sends a dozen at least.
  const idle = idleAtClick ? t0
    : (log.changes.find(([t, s]) => t >= t0 && s === 'notRunning') || [null])[0];
  const frames = idle === null ? []
    : (window.__clamorFrames || []).filter(([t]) => t >= idle);
  const ran = log.changes.some(([t, s]) => t >= t0 && s !== 'notRunning') || frames.length >= 3;
  const [last, state] = log.changes[log.changes.length - 1];
  const end = frames.length ? Math.max(last, frames[frames.length - 1][0]) : last;
  if (!ran || state !== 'notRunning' || performance.now() - end < quiet) return false;
  return end;
}"""
# Every message the server sends the page, timed as it arrives (before Streamlit handles it):
# installed before the app's script opens its WebSocket. What the page's script state shows
# is React's last render, and React draws once for all it handles in one task: a run whose
# messages arrive together (a busy browser) may never show "running" at all.
FRAMES_INIT_JS = """(() => {
  const Native = window.WebSocket;
  const frames = window.__clamorFrames = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const data = event.data;
        frames.push([performance.now(), data ? (data.byteLength ?? data.size ?? data.length) : 0]);
        if (frames.length > 4000) frames.splice(0, 2000);
      });
    }
  };
})();"""
FRAMES_JS = """(t0) => {
  const frames = (window.__clamorFrames || []).filter(([t]) => t >= t0);
  const changes = ((window.__clamorLoad || {}).changes || []).filter(([t]) => t >= t0);
  return {frames: frames.length, first_frame_ms: frames.length ? frames[0][0] - t0 : null,
          running_shown_ms: changes.filter(([, s]) => s !== 'notRunning')
                                   .map(([t]) => t - t0)[0] ?? null};
}"""
TOAST_JS = """([t0, text]) => (window.__clamorLoad.toasts || []).some(
  ([t, shown]) => t >= t0 && shown.includes(text))"""
QUIET_MS = 400  # no new run for this long after one ended: the page has settled
SHORT_QUIET_MS = 150  # the same once the expected element shows (st.rerun's gap is shorter)
PICK_WAIT_MS = 3_000  # for an option in an open list, before looking whether it closed
PICK_TRIES = 6
# A refusal that two agents on one case can rightly meet (the other one resolved it first).
CONFLICT = re.compile(r"reopen it before|is (resolved|ignored)")


class FlowError(Exception):
    """The interaction failed (already recorded); the agent recovers and goes on."""


@dataclass(frozen=True)
class Toast:
    """The interaction is done when a toast with this text has shown (it may be gone)."""

    text: str


class TimeUp(Exception):
    """The run's time is over: the agent stops where it is."""


@dataclass
class Agent:
    browser: object
    url: str
    name: str
    password: str
    index: int
    deadline: float
    think_s: float
    rounds: int | None = None  # stop after this many rounds of work (None: at the deadline)
    shots: Path | None = None  # a screenshot of the page at each error goes here
    phase: str = ""
    timeout_s: float = 60.0  # an interaction that takes longer is a timeout error
    records: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    done: list = field(default_factory=list)     # (case, event kind) the audit log must hold
    conflicts: int = 0
    page: object = None
    kind: str = "start"
    running_at_click: bool | None = None  # the page was running when the click came
    console: list = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    # -- timing and errors

    async def timed(self, kind: str, trigger, expected=None, timeout: float | None = None
                    ) -> float:
        from playwright.async_api import Error as PlaywrightError

        page = self.page
        self.kind = kind
        self.console.clear()
        started = time.monotonic()
        if started > self.deadline:
            raise TimeUp
        timeout = timeout or self.timeout_s
        try:
            t0 = await page.evaluate(MARK_JS)
            self.running_at_click = await page.evaluate(
                "() => window.__clamorLoad.state !== 'notRunning'")
            # The whole interaction, the click's wait for its element included, within
            # `timeout`.
            await asyncio.wait_for(trigger(), timeout)
            ms = await self._settle(t0, expected, timeout - (time.monotonic() - started))
        except (PlaywrightError, asyncio.TimeoutError) as exc:
            wall = (time.monotonic() - started) * 1000
            what = "timeout" if "Timeout" in type(exc).__name__ or "Timeout" in str(exc)[:80] \
                else "browser"
            first = (str(exc).splitlines() or [f"{timeout:.0f} s passed"])[0]
            self._record(kind, wall, f"{what}: {first[:300]}")
            raise FlowError(kind) from None
        problems = await self._problems()
        self._record(kind, ms, "; ".join(problems) if problems else None)
        try:  # the server's messages after the click, and when the page showed a run
            self.records[-1].update(await page.evaluate(FRAMES_JS, t0))
        except PlaywrightError:
            pass
        if problems:
            raise FlowError(kind)
        return ms

    async def _settle(self, t0: float, expected, timeout: float) -> float:
        """When the click's result showed and the run that showed it ended: a run started
        after the click, the expected element (or toast) is there, and the app is not
        running. Without an expected element: no run for QUIET_MS. (An auto-refresh that
        starts later is not waited for: on a busy server refreshes can follow each other
        without a pause.)

        A run is seen by the page's script state or by the server's messages once the page
        was idle (at the click, or after the run going on then): a busy browser handles a
        short run's messages in one task, and React then draws only the end, so the page
        never shows "running". Waiting for that waited for the next auto-refresh instead:
        ~4 % of interactions took 8-26 s under load while their results had come in 0.3-3 s
        (their messages' arrival times). The end is then the run's last message (the
        drawing after it not counted)."""
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(1.0, (deadline - time.monotonic()) * 1000)

        if isinstance(expected, Toast):
            await self.page.wait_for_function(TOAST_JS, arg=[t0, expected.text], polling=50,
                                              timeout=left())
        elif expected is not None:
            await expected.first.wait_for(state="visible", timeout=left())
        handle = await self.page.wait_for_function(
            SETTLED_JS, arg=[t0, QUIET_MS if expected is None else SHORT_QUIET_MS,
                             not self.running_at_click],
            polling=50, timeout=left())
        return float(await handle.json_value()) - t0

    async def _problems(self) -> list[str]:
        page = self.page
        out = []
        for text in await page.locator('[data-testid="stException"]').all_inner_texts():
            out.append(f"exception box: {text.strip()[:300]}")
        for text in await page.locator('[data-testid="stAlertContentError"]').all_inner_texts():
            if CONFLICT.search(text):
                self.conflicts += 1
                continue
            out.append(f"error box: {text.strip()[:300]}")
        state = await page.locator('[data-testid="stApp"]').get_attribute(
            "data-test-connection-state")
        if state and state != "CONNECTED":
            out.append(f"connection {state}")
        out += [f"console: {c}" for c in self.console]
        return out

    def _record(self, kind: str, ms: float, error: str | None) -> None:
        self.records.append({"kind": kind, "ms": round(ms, 1), "error": error,
                             "session": self.index, "at": round(time.time(), 3),
                             "running_at_click": self.running_at_click})
        if error:
            self.errors.append({"session": self.index, "agent": self.name, "kind": kind,
                                "error": error, "at": round(time.time(), 3)})

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console.append(message.text[:300])

    def _on_page_error(self, error) -> None:
        self.console.append(f"page error: {str(error)[:300]}")

    async def think(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeUp
        if self.think_s > 0:
            await asyncio.sleep(self.think_s * self.rng.uniform(0.5, 1.5))

    # -- the work

    async def run(self) -> None:
        context = await self.browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            await context.add_init_script(FRAMES_INIT_JS)
            self.page = await context.new_page()
            self.page.on("console", self._on_console)
            self.page.on("pageerror", self._on_page_error)
            self.page.set_default_timeout(self.timeout_s * 1000)  # as the interactions'
            await self.sign_in()
            round_ = 0
            while time.monotonic() < self.deadline and (self.rounds is None
                                                        or round_ < self.rounds):
                try:
                    await self.work(round_)
                except FlowError:
                    await self.screenshot()
                    await self.recover()
                except TimeUp:
                    raise
                except Exception as exc:  # noqa: BLE001 — a page not as expected: record it
                    first = (str(exc).splitlines() or [""])[0]
                    self._record(f"flow:{self.kind}", 0.0, f"{type(exc).__name__}: {first}"[:300])
                    await self.screenshot()
                    await self.recover()
                round_ += 1
        except (FlowError, TimeUp):
            pass  # out of time, or signing in failed: recorded, this agent stops
        finally:
            await context.close()

    async def sign_in(self) -> None:
        page = self.page
        self.kind = "sign_in"
        started = time.monotonic()
        try:
            await page.goto(self.url, wait_until="domcontentloaded", timeout=60_000)
            await page.get_by_role("textbox", name="Name").fill(self.name, timeout=60_000)
            await page.get_by_role("textbox", name="Password").fill(self.password)
        except Exception as exc:  # noqa: BLE001 — any failure to load is an error to record
            self._record("sign_in", (time.monotonic() - started) * 1000,
                         f"sign-in page: {str(exc).splitlines()[0][:300]}")
            raise FlowError("sign_in") from None
        await self.timed("sign_in",
                         page.get_by_role("button", name="Sign in").click,
                         page.get_by_role("radio", name=re.compile(r"^Waiting for a reply")))

    async def screenshot(self) -> None:
        if self.shots is None or len(self.errors) > 5:
            return
        self.shots.mkdir(parents=True, exist_ok=True)
        name = f"{self.phase}-{self.index:02d}-{len(self.errors)}-{self.kind}.png"
        try:
            await self.page.screenshot(path=str(self.shots / name), timeout=10_000)
        except Exception:  # noqa: BLE001 — a screenshot is a help, never a failure
            pass

    async def recover(self) -> None:
        """After an error: load the app again and sign in (a new Streamlit session)."""
        if time.monotonic() >= self.deadline:
            return
        await asyncio.sleep(1)
        try:
            await self.sign_in()
        except FlowError:
            await asyncio.sleep(2)

    async def work(self, round_: int) -> None:
        """One case: pick a view, open a case, choose a template, assign it to oneself, set it
        in progress, mark it responded; every other case: open it from one's promises and
        resolve it. Now and then a filter, and a visit to the Overview and back."""
        page = self.page
        if round_ % 4 == 3:
            await self.timed("open_overview",
                             page.get_by_role("link", name="Overview").click,
                             page.get_by_role("heading", name="Overview"))
            await self.think()
            await self.timed("open_inbox", page.get_by_role("link", name="Inbox").click,
                             page.get_by_role("radio", name=re.compile(
                                 r"^Waiting for a reply")))
        await self.view("waiting")
        scope = ("all", "mine", "unassigned")[round_ % 3]
        await self.scope(scope)
        if round_ % 3 == 2:
            await self.filter_round()
        cards = page.locator("div[class*='st-key-mention-']")
        if await cards.count() == 0 and scope != "all":
            await self.scope("all")
        count = await cards.count()
        if count == 0:
            await asyncio.sleep(2)
            return
        await self.think()
        heading = page.get_by_role("heading", name=re.compile(r"^Case C-\d+"))
        if scope == "mine":
            await self.timed("open_case", page.get_by_role(
                "button", name=re.compile("^Open the most urgent")).click, heading)
        else:
            card = cards.nth((self.index * 2 + round_) % min(count, 40))
            await self.timed("open_case",
                             card.get_by_role("button", name="Open & reply").click, heading)
        case = re.search(r"C-\d+", await heading.first.inner_text()).group(0)
        if not await page.get_by_role("button", name=re.compile("^Mark responded")).count():
            # Someone else closed it meanwhile: the panel offers a reopen instead.
            self.conflicts += 1
            await self.timed("close_case", page.get_by_role(
                "button", name=re.compile("^Close")).click)
            return
        await self.think()
        await self.choose_template()
        await self.think()
        await self.choose("Assign to", self.name)
        await self.timed("assign", page.get_by_role("button", name="Assign", exact=True).click,
                         self.toast(f"Assigned {case} to {self.name}"))
        self.done.append((case, "assigned"))
        await self.think()
        # A real change of status (setting the status it has records nothing).
        status = "waiting on customer" if await page.get_by_text(
            re.compile(r"^in progress · owner")).count() else "in progress"
        await self.choose("Status", status)
        await self.timed("set_status", page.get_by_role("button", name="Set status").click,
                         self.toast(f"{case} is {status}"))
        self.done.append((case, "status"))
        await self.think()
        promised = await page.get_by_text("This reply promises an answer within").count()
        await self.timed("mark_responded",
                         page.get_by_role("button", name=re.compile("^Mark responded")).click,
                         self.toast(f"Responded · case {case}"))
        self.done.append((case, "responded"))
        if promised and round_ % 2 == 0:
            await self.think()
            await self.scope("mine")
            await self.view("promises")
            promise = page.locator(f"div[class*='st-key-promise-{case}']")
            await promise.first.wait_for(state="visible", timeout=30_000)
            await self.timed("open_case", promise.get_by_role("button", name="Open").click,
                             page.get_by_role("heading", name=f"Case {case}"))
            await self.think()
            await self.timed("resolve",
                             page.get_by_role("button", name="Resolve", exact=True).click,
                             self.toast(f"Resolved {case}"))
            self.done.append((case, "resolved"))
        await self.think()

    def toast(self, text: str) -> "Toast":
        return Toast(text)

    async def view(self, name: str) -> None:
        """The list's view: waiting, promises or follow-ups (a segmented control)."""
        label = re.compile({"waiting": r"^Waiting for a reply", "promises": r"^Promises \(",
                            "follow_ups": r"^Follow-ups due"}[name])
        chosen = self.page.locator(
            'button[data-variant="segmented_control"][aria-checked="true"]', has_text=label)
        if await chosen.count():
            return
        await self.timed("switch_view", self.page.get_by_role("radio", name=label).click,
                         chosen)

    async def scope(self, name: str) -> None:
        """Show: all waiting, mine, my team, unassigned (a radio in the sidebar)."""
        label = re.compile("^" + {"all": "All waiting", "mine": "Mine", "team": "My team",
                                  "unassigned": "Unassigned"}[name] + "$")
        chosen = self.page.locator('[data-testid="stRadioOption"][data-selected="true"]',
                                   has_text=label)
        if await chosen.count():
            return
        await self.timed("switch_scope", self.page.locator(
            '[data-testid="stRadioOption"]', has_text=label).first.click, chosen)

    async def open_list(self, box) -> None:
        """Open a selectbox's list of options. A click that lands while the page redraws
        can leave it closed: try again, as a person would."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        options = self.page.get_by_role("option")
        for attempt in range(3):
            if attempt == 0:
                await box.click()
            else:  # from the keyboard: a click can land while the sticky panel scrolls
                await box.focus()
                await box.press("ArrowDown")
            try:
                await options.first.wait_for(state="visible", timeout=10_000)
                return
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                await self.page.keyboard.press("Tab")  # leave the box, then click again

    async def pick(self, box, wanted, typed: str | None = None) -> None:
        """Click the option `wanted` in `box`'s open list. A person sees within a few seconds
        that the list closed under the pointer (a run going on redrew the box) and opens it
        again (typing `typed` again, if they had typed it): waiting for the option instead
        made one choice in ~400 interactions take 17 s, and one a 60-s timeout."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        for attempt in range(PICK_TRIES):
            try:
                await wanted.click(timeout=PICK_WAIT_MS)
                return
            except PlaywrightTimeout:
                if attempt == PICK_TRIES - 1:
                    raise
                if not await wanted.is_visible():
                    await self.open_list(box)
                    if typed is not None:
                        await box.fill(typed)

    async def choose(self, label: str, option: str) -> None:
        """Pick a selectbox option by typing it, as a keyboard user does. A list that
        closed before the click (the page redrew meanwhile) is opened again, as a person
        would: the time it takes counts in the interaction's."""
        box = self.page.get_by_label(label, exact=True)
        wanted = self.page.get_by_role("option", name=option, exact=True)
        await self.open_list(box)
        await box.fill(option)
        await self.timed("choose", lambda: self.pick(box, wanted, option))

    async def choose_template(self) -> None:
        """Another holding-reply template than the one offered first, when there is one."""
        page = self.page
        box = page.get_by_label("Template", exact=True)
        await self.open_list(box)
        options = page.get_by_role("option")
        others = [(await options.nth(i).inner_text()).strip()
                  for i in range(await options.count())
                  if await options.nth(i).get_attribute("aria-selected") != "true"]
        if not others:
            await page.keyboard.press("Escape")
            return
        wanted = page.get_by_role("option", name=self.rng.choice(others), exact=True).first
        await self.timed("choose_template", lambda: self.pick(box, wanted),
                         page.get_by_role("textbox", name="Reply text (edit freely)"))

    async def filter_round(self) -> None:
        """Filter the list by a language and by complaints, then clear both."""
        page = self.page
        language = self.rng.choice(["English", "Persian", "Arabic", "Thai", "Greek"])
        box = page.get_by_label("Language", exact=True)
        await self.open_list(box)
        await self.timed("filter", page.get_by_role("option", name=language, exact=True).click)
        await page.keyboard.press("Escape")
        await self.think()
        toggle = page.locator('[data-testid="stCheckbox"]', has_text="Complaints only")
        await self.timed("filter", toggle.locator("label").first.click)
        await self.think()
        await self.timed("filter", toggle.locator("label").first.click)
        clear = page.locator('[data-testid="stMultiSelect"]').filter(
            has=page.get_by_text("Language", exact=True)).get_by_role("button", name="Clear all")
        await self.timed("filter", clear.first.click)


# -- phases, figures, the report ----------------------------------------------------------------

async def warm_up(url: str) -> None:
    """Load the sign-in page once, untimed: the server's first visitor opens the store and
    starts the scheduler, which is start-up, not an agent's wait."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url, wait_until="domcontentloaded", timeout=120_000)
            await page.get_by_role("textbox", name="Name").wait_for(timeout=120_000)
        finally:
            await browser.close()


async def run_phase(url: str, names: list[str], password: str, seconds: float,
                    think_s: float, seed: int, rounds: int | None = None,
                    shots: Path | None = None, phase: str = "",
                    timeout_s: float = 60.0, browser_nice: int = 0,
                    server_group: int | None = None) -> list[Agent]:
    """len(names) agents at once in one Chromium, each in its own context, for `seconds`
    (or, alone, `rounds` rounds of work within them); the browser at `browser_nice`."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if browser_nice:
            lower_priority(browser_cpu(os.getpid(), server_group), browser_nice)
        try:
            deadline = time.monotonic() + seconds
            agents = [Agent(browser, url, name, password, i, deadline, think_s, rounds,
                            shots, phase, timeout_s, rng=random.Random(seed * 1000 + i))
                      for i, name in enumerate(names)]

            async def staggered(agent: Agent) -> None:
                # Agents arrive over a few seconds, as a shift does, not in one instant.
                await asyncio.sleep(agent.index * min(0.5, seconds / 20 / max(len(names), 1)))
                await agent.run()

            await asyncio.gather(*(staggered(a) for a in agents))
        finally:
            await browser.close()
    return agents


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # nearest rank, as the app's percentiles
    return round(ordered[int(rank) - 1], 1)


def summarise(agents: list[Agent], seconds: float) -> dict:
    records = [r for a in agents for r in a.records]
    kinds: dict[str, list] = {}
    for r in records:
        kinds.setdefault(r["kind"], []).append(r)
    out = {}
    for kind, rows in sorted(kinds.items()):
        ok = [r["ms"] for r in rows if not r["error"]]
        out[kind] = {"count": len(rows), "p50_ms": _p(ok, 50), "p95_ms": _p(ok, 95),
                     "max_ms": max(ok) if ok else None,
                     "errors": sum(1 for r in rows if r["error"])}
    ok = [r["ms"] for r in records if not r["error"]]
    return {"sessions": len(agents), "seconds": round(seconds, 1), "interactions": out,
            "all": {"count": len(records), "p50_ms": _p(ok, 50), "p95_ms": _p(ok, 95),
                    "max_ms": max(ok) if ok else None,
                    "errors": sum(1 for r in records if r["error"])},
            "per_minute": round(len(records) / seconds * 60, 1) if seconds else None,
            "conflicts": sum(a.conflicts for a in agents),
            "cases_worked": sum(1 for a in agents for _, k in a.done if k == "responded"),
            # Every interaction (kind, ms, error, session, when): the distribution behind
            # the percentiles.
            "records": sorted(records, key=lambda r: r["at"])}


def audit_check(db: Path, agents: list[Agent], since: dt.datetime, token: str) -> dict:
    """After the server stopped: every action an agent saw confirmed is in the audit log
    (no lost update), and what the collector brought in was analysed and filed."""
    from clamor.store import Store

    store = Store(db)
    try:
        events = store.query_rows(
            "SELECT case_id, kind, actor, count(*) FROM events WHERE happened_at >= ? "
            "GROUP BY ALL", [since])
        have = {(c, k, a): n for c, k, a, n in events}
        wanted: dict[tuple, int] = {}
        for agent in agents:
            for case, kind in agent.done:
                wanted[(case, kind, agent.name)] = wanted.get((case, kind, agent.name), 0) + 1
        missing = [{"case": c, "kind": k, "actor": a, "confirmed": n, "in_audit":
                    have.get((c, k, a), 0)} for (c, k, a), n in wanted.items()
                   if have.get((c, k, a), 0) < n]
        resolved = [case for agent in agents for case, kind in agent.done if kind == "resolved"]
        not_resolved = store.query_rows(
            "SELECT id, status FROM cases WHERE list_contains(?, id) AND status <> 'resolved'",
            [resolved]) if resolved else []
        like = f"{token}-%"
        (collected,) = store.query_rows(
            "SELECT count(*) FROM mentions WHERE native_id LIKE ?", [like])[0]
        (analysed,) = store.query_rows(
            "SELECT count(*) FROM mentions m JOIN analysis a ON a.mention_id = m.id "
            "WHERE m.native_id LIKE ?", [like])[0]
        (filed,) = store.query_rows(
            "SELECT count(*) FROM mentions m JOIN case_mentions f ON f.mention_id = m.id "
            "WHERE m.native_id LIKE ?", [like])[0]
        (new_cases,) = store.query_rows(
            "SELECT count(*) FROM cases c JOIN mentions m ON m.id = c.mention_id "
            "WHERE m.native_id LIKE ?", [like])[0]
        runs = store.query_rows(
            "SELECT count(*), count(*) FILTER (WHERE status <> 'ok') FROM collector_runs "
            "WHERE source = 'demo' AND started_at >= ?", [since])[0]
    finally:
        store.close()
    return {"actions_confirmed": sum(wanted.values()), "actions_missing_in_audit": missing,
            "resolved_but_not_resolved_now": [list(r) for r in not_resolved],
            "collected": int(collected), "analysed": int(analysed), "filed": int(filed),
            "new_cases": int(new_cases), "collector_runs": int(runs[0]),
            "collector_runs_failed": int(runs[1])}


def _commit() -> str | None:
    """The commit, with "+changes" when the working tree differs from it (what ran)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(ROOT),
                              capture_output=True, text=True, timeout=10)
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 cwd=str(ROOT), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return (commit + ("+changes" if changed.stdout.strip() else "")) or None


def _fmt(value, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.0f}{unit}"


def table(result: dict) -> str:
    base, load = result["baseline"], result["load"]
    n = load["sessions"]
    lines = [
        f"Clamor load test: {n} agents at once for {load['seconds']:.0f} s on a store of "
        f"{result['store_mentions']:,} mentions, collector feeding one post every "
        f"{result['feed_every_s']:g} s; think time ~{result['think_s']:g} s; "
        f"{result['cpu_count']} cores"
        + (f"; browsers at nice {result['browser_nice']}" if result.get("browser_nice") else "")
        + f"; commit {result.get('commit') or '?'}",
        "",
        f"{'interaction':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}"
        f"{'1 alone p95':>13}{'p95 ratio':>11}",
    ]
    kinds = sorted(set(load["interactions"]) | set(base["interactions"]))
    for kind in [*kinds, "all"]:
        row = load["all"] if kind == "all" else load["interactions"].get(kind, {})
        one = base["all"] if kind == "all" else base["interactions"].get(kind, {})
        ratio = result["p95_ratio"].get(kind)
        lines.append(f"{kind:<16}{row.get('count', 0):>7}{_fmt(row.get('p50_ms')):>9}"
                     f"{_fmt(row.get('p95_ms')):>9}{_fmt(row.get('max_ms')):>9}"
                     f"{row.get('errors', 0):>8}{_fmt(one.get('p95_ms')):>13}"
                     f"{'—' if ratio is None else f'{ratio:.2f}×':>11}")
    srv, check = result["server"], result["check"]
    lines += [
        "",
        f"interactions/min: {load['per_minute']} with {n} agents, {base['per_minute']} alone; "
        f"cases answered: {load['cases_worked']} ({base['cases_worked']} alone); "
        f"agents meeting a case another agent closed: {load['conflicts']}",
        f"server: peak RSS {srv['peak_rss_mb']:,.0f} MB; CPU {srv['cpu_share_load']:.0%} of a "
        f"core during the {n}-agent run ({srv['cpu_share_baseline']:.0%} alone), waiting for a "
        f"CPU {srv['runqueue_wait_share_load']:.0%} ({srv['runqueue_wait_share_baseline']:.0%} "
        f"alone); browser CPU {result['browser']['cpu_share_load']:.0%} of a core "
        f"({result['browser']['cpu_share_baseline']:.0%} alone)",
        f"collector: {check['collected']} mentions collected, {check['analysed']} analysed, "
        f"{check['filed']} filed ({check['new_cases']} new cases) in "
        f"{check['collector_runs']} runs ({check['collector_runs_failed']} failed)",
        f"audit: {check['actions_confirmed']} confirmed actions, "
        f"{len(check['actions_missing_in_audit'])} missing; resolved cases not resolved "
        f"now: {len(check['resolved_but_not_resolved_now'])}",
        f"load average (1/5/15 min): before {result['loadavg_before']}, peak 1-min during "
        f"{result['loadavg_peak']}, after {result['loadavg_after']}",
        f"errors: {result['error_count']}",
    ]
    for err in result["errors"][:10]:
        lines.append(f"  [{err['phase']}] {err['agent']} {err['kind']}: {err['error'][:160]}")
    return "\n".join(lines)


class Sampler:
    """The load average's peak and the browser's CPU (its processes come and go with each
    phase, so their CPU time is read while they live), every two seconds, in a thread."""

    def __init__(self, server: Server, every: float = 2.0):
        import threading

        self.server, self.every = server, every
        self.peak = 0.0
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        self.peak = max(self.peak, os.getloadavg()[0])
        self.seen.update(browser_cpu(os.getpid(), self.server.process.pid))

    def browser_cpu_s(self) -> float:
        self.sample()
        return sum(self.seen.values())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/load.py", description="N agents at once in Chromium against a real "
        "server on a synthetic store while the collector runs; times every interaction.")
    parser.add_argument("--sessions", type=int, default=20, help="agents at once (20)")
    parser.add_argument("--minutes", type=float, default=5.0,
                        help="how long the N-agent run lasts (5)")
    parser.add_argument("--baseline-rounds", type=int, default=4,
                        help="rounds of work one agent does alone first, the baseline (4: "
                             "every kind of interaction)")
    parser.add_argument("--baseline-minutes", type=float, default=4.0,
                        help="at most this long (4)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the server, to try a setting "
                             "(e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=false); repeatable")
    parser.add_argument("--mentions", type=int, default=1_000_000,
                        help="mentions in the synthetic store (1,000,000)")
    parser.add_argument("--store", metavar="DIR",
                        help="build the store in DIR, or reuse the one there; kept")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds an agent pauses between interactions, ±50 %% (1)")
    parser.add_argument("--feed-every", type=float, default=3.0,
                        help="seconds between new posts in the collector's stream (3)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds after which an interaction counts as a timeout (60)")
    parser.add_argument("--browser-nice", type=int, default=0, metavar="N",
                        help="run the browsers at this niceness (0): with 10 or more the "
                             "server comes first for the CPUs, as on a machine of its own "
                             "with the agents' browsers on theirs")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    parser.add_argument("--output", default=str(RESULTS), help=f"JSON file ({RESULTS})")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.minutes <= 0:
        parser.error("--sessions must be at least 1 and --minutes more than 0")
    baseline_minutes = args.baseline_minutes
    server_env = dict(item.split("=", 1) for item in args.server_env if "=" in item)

    def progress(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    def terminated(*_) -> None:  # `kill` stops the run as Ctrl+C does: the server stops too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    folder = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="clamor-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    token = f"load{int(time.time())}"
    password = "load-test-password"
    server = None
    sampler = None
    result: dict = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": _commit(), "cpu_count": os.cpu_count(), "think_s": args.think,
        "feed_every_s": args.feed_every, "server_env": server_env, "timeout_s": args.timeout,
        "browser_nice": args.browser_nice,
        "store": str(folder) if args.store or args.keep else None,
        "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        stream = write_stream(folder, token, args.feed_every)
        config = write_config(folder, args.sessions, stream, poll_seconds=6)
        db = folder / DB_NAME
        progress(f"store: {db} ({'reused' if db.exists() else f'building {args.mentions:,}'})")
        result.update(prepare_store(db, config, args.mentions, args.sessions, password,
                                    progress))
        from clamor.config import load_config

        names = agent_names(load_config(config), args.sessions)
        shots = folder / "errors" if args.store or args.keep else None
        if shots is not None:
            shutil.rmtree(shots, ignore_errors=True)
        since = dt.datetime.now(dt.timezone.utc)
        server = Server(db, config, folder / "server.log", server_env)
        server.wait_up()
        sampler = Sampler(server)
        asyncio.run(warm_up(server.url))
        progress(f"server on {server.url}; one agent alone for {args.baseline_rounds} rounds "
                 f"(at most {baseline_minutes * 60:.0f} s)…")
        u0, bcpu0, t0 = server.usage(), sampler.browser_cpu_s(), time.monotonic()
        alone = asyncio.run(run_phase(server.url, names[:1], password, baseline_minutes * 60,
                                      args.think, seed=1, rounds=args.baseline_rounds,
                                      shots=shots, phase="baseline", timeout_s=args.timeout,
                                      browser_nice=args.browser_nice,
                                      server_group=server.process.pid))
        u1, bcpu1, t1 = server.usage(), sampler.browser_cpu_s(), time.monotonic()
        progress(f"{args.sessions} agents at once for {args.minutes * 60:.0f} s…")
        crowd = asyncio.run(run_phase(server.url, names, password, args.minutes * 60,
                                      args.think, seed=2, shots=shots, phase="load",
                                      timeout_s=args.timeout,
                                      browser_nice=args.browser_nice,
                                      server_group=server.process.pid))
        u2, bcpu2, t2 = server.usage(), sampler.browser_cpu_s(), time.monotonic()
        result["server"] = {
            "peak_rss_mb": round(u2["peak_rss_mb"], 1), "threads": u2["threads"],
            "cpu_share_baseline": round((u1["cpu_s"] - u0["cpu_s"]) / (t1 - t0), 3),
            "cpu_share_load": round((u2["cpu_s"] - u1["cpu_s"]) / (t2 - t1), 3),
            # Summed over the server's threads: ready to run, but the CPUs were busy.
            "runqueue_wait_share_baseline": round(
                (u1["runqueue_wait_s"] - u0["runqueue_wait_s"]) / (t1 - t0), 3),
            "runqueue_wait_share_load": round(
                (u2["runqueue_wait_s"] - u1["runqueue_wait_s"]) / (t2 - t1), 3)}
        result["browser"] = {"cpu_share_baseline": round((bcpu1 - bcpu0) / (t1 - t0), 3),
                             "cpu_share_load": round((bcpu2 - bcpu1) / (t2 - t1), 3)}
        result["baseline"] = summarise(alone, t1 - t0)
        result["load"] = summarise(crowd, t2 - t1)
        sampler.stop()
        result["loadavg_peak"] = round(sampler.peak, 2)
        server.stop()
        result["check"] = audit_check(db, alone + crowd, since, token)
        result["errors"] = [{"phase": phase, **e} for phase, agents in
                            (("baseline", alone), ("load", crowd))
                            for a in agents for e in a.errors]
        result["server_log_errors"] = [
            line[:300] for line in (folder / "server.log").read_text(
                encoding="utf-8", errors="replace").splitlines()
            if "Traceback" in line or line.startswith(("ERROR", "CRITICAL"))][:20]
    except KeyboardInterrupt:
        progress("interrupted: stopping the server")
        raise
    finally:
        if sampler is not None:
            sampler.stop()
        if server is not None:
            server.stop()
        if not args.store and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result["p95_ratio"] = {}
    for kind in [*result["load"]["interactions"], "all"]:
        one = (result["baseline"]["all"] if kind == "all"
               else result["baseline"]["interactions"].get(kind, {})).get("p95_ms")
        many = (result["load"]["all"] if kind == "all"
                else result["load"]["interactions"][kind]).get("p95_ms")
        result["p95_ratio"][kind] = round(many / one, 2) if one and many else None
    check = result["check"]
    result["error_count"] = (len(result["errors"]) + len(check["actions_missing_in_audit"])
                             + len(check["resolved_but_not_resolved_now"])
                             + check["collector_runs_failed"] + len(result["server_log_errors"]))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False) if args.json else table(result), flush=True)
    return 1 if result["error_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
