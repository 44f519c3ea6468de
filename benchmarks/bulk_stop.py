"""How long the engine's MQTT bulk publisher takes to close while its child publishes a big round of
league tops (a 10M engine took about two minutes to exit after the race, waiting for such a round).

    .venv/bin/python -m benchmarks.bulk_stop --teams 90000 --runs 3

N teams, each alone in a league of its own and all in a global one: N + 1 league tops, a round of
N / MQTT_BULK_MAX_RATE seconds for code that publishes them all. The publisher is closed once the
subscriber has seen `--under-way` of them; the figures are close()'s duration and the league
messages the broker delivered in all. It uses only BulkPublisher(broker, options), offer() and close(),
so PYTHONPATH=<an older checkout> times that code the same way, in the same period.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import uuid

import paho.mqtt.client as paho

from dataflows.mqtt_options import MqttOutputOptions
from dataflows.mqtt_sink import BulkPublisher
from gridscore.base.settings import Settings
from ingest.broker import BrokerConfig
from scoring.facts import SessionKind
from scoring.outcomes import ScoredWindow, TeamScores
from scoring.points import SessionPoints
from scoring.teams import TeamBook, competition_ranks
from scoring.weekend import SessionUpdate, WeekendUpdate

ASSETS = ["driver:A", "driver:B", "driver:C", "driver:D", "driver:E", "constructor:X", "constructor:Y"]
MEETING, SESSION = 999_001, 999_0014


def window(teams: int) -> ScoredWindow:
    """A classification's window (the publisher hands it over at once) with `teams` teams."""
    rosters = [(n, ASSETS, [1 + n % 5, 1, 1, 1, 1, 1, 1]) for n in range(1, teams + 1)]
    leagues = [(10_000 + n, n) for n in range(1, teams + 1)] + [(1, n) for n in range(1, teams + 1)]
    book = TeamBook.from_rosters(rosters, leagues)
    totals = book.totals({"driver:A": 7, "driver:B": 3})
    points = SessionPoints(SESSION, MEETING, SessionKind.RACE, True, {}, {})
    session = SessionUpdate(points, "Race", None, None, None, newly_final=True)
    weekend = WeekendUpdate(MEETING, session, {SESSION: session}, {}, {}, final=True)
    return ScoredWindow(weekend, TeamScores(book, totals, competition_ranks(totals)))


class Counter:
    """League tops delivered under a prefix, counted by a subscriber of its own."""

    def __init__(self, broker: BrokerConfig, prefix: str) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = broker.with_client_id(f"gridscore-bulk-stop-{uuid.uuid4().hex[:8]}").paho_client()
        self.client.on_connect = lambda c, *a: c.subscribe(f"{prefix}#", qos=1)
        self.client.on_subscribe = lambda *a: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError(f"no SUBACK from {broker.address}")

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.count += 1

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.count} of {count} league tops in {timeout:.0f} s")
            time.sleep(0.05)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def one_run(broker: BrokerConfig, scored: ScoredWindow, under_way: int, rate: int) -> dict[str, float]:
    prefix = f"bench-{uuid.uuid4().hex[:10]}/f1/scoring/"
    options = MqttOutputOptions(prefix=prefix, league_top_n=10, bulk_interval_s=5.0, bulk_max_rate=rate)
    counter = Counter(broker, prefix)
    publisher = BulkPublisher(broker.with_client_id(f"gridscore-bulk-stop-{uuid.uuid4().hex[:8]}"), options)
    try:
        publisher.offer(scored)
        counter.wait_for(under_way, 120)
        began = time.perf_counter()
        publisher.close()
        close_s = time.perf_counter() - began
        at_close = counter.count
        time.sleep(2.0)  # what the broker still delivers after close() returned
        return {"close_s": round(close_s, 3), "tops_at_close": at_close, "tops_in_all": counter.count}
    finally:
        counter.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk_stop", description=__doc__)
    parser.add_argument("--teams", type=int, default=90_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--under-way", type=int, default=500, help="league tops seen before close()")
    parser.add_argument("--rate", type=int, default=2_000, help="MQTT_BULK_MAX_RATE")
    args = parser.parse_args()
    settings = Settings.from_env()
    broker = BrokerConfig.from_settings(settings, client_id="gridscore-bulk-stop")
    load = os.getloadavg()
    scored = window(args.teams)
    runs = [one_run(broker, scored, args.under_way, args.rate) for _ in range(args.runs)]
    print(
        json.dumps(
            {
                "teams": args.teams,
                "leagues": args.teams + 1,
                "rate": args.rate,
                "close_s_median": statistics.median(r["close_s"] for r in runs),
                "runs": runs,
                "load_average_before": [round(x, 2) for x in load],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "pythonpath": os.environ.get("PYTHONPATH", ""),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
