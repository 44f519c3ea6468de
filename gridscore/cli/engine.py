"""`gridscore live`, `gridscore publish` and `gridscore record`: the MQTT side of the command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from gridscore.base.settings import Settings
from gridscore.cli import openf1 as openf1_cli

log = logging.getLogger(__name__)

SubParsers = argparse._SubParsersAction


def live(args: argparse.Namespace, settings: Settings) -> int:
    """Run the engine against MQTT_URL: Redis, Postgres and f1/scoring/... until SIGTERM or Ctrl-C."""
    from gridscore.base.error_tracking import init_error_tracking

    init_error_tracking(settings, "engine")

    from ingest.broker import BrokerConfig
    from ingest.receiver import TopicFilter

    source: tuple[BrokerConfig | None, TopicFilter | None] = (None, None)
    if args.source == "openf1":  # input from OpenF1's live broker; scores still to MQTT_URL
        from ingest.openf1_live import openf1_input

        try:
            settings, source_broker, topics = openf1_input(settings)
        except ValueError as exc:
            print(f"gridscore live: {exc}", file=sys.stderr)
            return 2
        source = (source_broker, topics)

    from dataflows.live import live_flow
    from dataflows.metrics import MetricsPortError, listen_for_metrics
    from dataflows.runner import run_flow
    from gridscore.base.services import running_services
    from ingest.mqtt import JournalStart
    from store.migrate import upgrade

    journal = Path(args.journal) if args.journal else settings.mqtt_journal or _under(settings, "journal")
    recovery = None if args.no_recovery else _recovery(args, settings)
    stop = threading.Event()
    try:  # first: a clash stops the engine before it starts anything
        metrics = listen_for_metrics(settings.metrics_port)
    except MetricsPortError as exc:
        print(
            f"gridscore live: METRICS_PORT={exc.port}: {exc}, by another engine on this machine perhaps. "
            "Give each engine its own METRICS_PORT, or 0 for a free one (logged), or -1 for no /metrics "
            "and no /health.",
            file=sys.stderr,
        )
        return 2
    with running_services(settings) as urls:
        # Inside: running_services makes SIGTERM a Ctrl-C for the embedded servers; the engine stops
        # gracefully instead (after the messages already received), and the servers stop after it.
        _stop_on_signals(stop)
        if not args.no_migrate:
            upgrade(urls.database_url)
        start = JournalStart.BEGINNING if recovery is not None else JournalStart.END
        parts = live_flow(settings, urls.database_url, urls.redis_url, journal, start, stop, *source)
        if metrics is not None:  # /metrics and /health (503 until the receiver runs)
            metrics.serve(parts.health.verdict)
        try:
            run_flow(
                parts.flow,
                epoch_interval=timedelta(milliseconds=settings.snapshot_interval_ms),
                recovery=recovery,
            )
        finally:
            parts.rejected.close()
    log.info("live engine stopped")
    return 0


def _recovery(args: argparse.Namespace, settings: Settings) -> Any:
    """Bytewax recovery in its folder (one partition, created on first use)."""
    from bytewax.recovery import RecoveryConfig, init_db_dir

    folder = (
        Path(args.recovery_dir)
        if args.recovery_dir
        else settings.recovery_dir or _under(settings, "recovery")
    )
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.glob("part-*.sqlite3")):
        init_db_dir(folder, 1)
    log.info("recovery state in %s", folder)
    return RecoveryConfig(str(folder))


def _under(settings: Settings, folder: str) -> Path:
    """DATA_DIR/journal/<client id>.jsonl or DATA_DIR/recovery/<client id>: one per engine."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in settings.mqtt_client_id)
    return settings.data_dir / folder / (f"{safe}.jsonl" if folder == "journal" else safe)


def _stop_on_signals(stop: threading.Event) -> None:
    """First SIGTERM/SIGINT: end the input, let the flow close its windows and finish. Second: exit."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("signal %d: stopping after the messages already received", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def publish(args: argparse.Namespace, settings: Settings) -> int:
    """Publish recorded feeds to the broker (QoS 1, topic and payload as recorded)."""
    from ingest.broker import BrokerConfig
    from ingest.publish import DEFAULT_MAX_RATE, DEFAULT_WINDOW, publish_feeds

    paths = [Path(p) for p in args.feeds]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"gridscore: no such feed file: {', '.join(missing)}")
    broker = BrokerConfig.from_settings(settings, args.broker, f"{settings.mqtt_client_id}-publish")
    try:
        done = publish_feeds(
            paths,
            broker,
            args.speed,
            args.prefix or settings.mqtt_input_prefix,
            args.max_gap,
            DEFAULT_MAX_RATE if args.max_rate is None else args.max_rate,
            args.window or DEFAULT_WINDOW,
        )
    except ConnectionError as exc:
        print(f"gridscore publish: {exc}", file=sys.stderr)
        return 1
    print(
        f"published {done.messages} messages in {done.seconds:.2f} s"
        + (f", skipped {done.skipped_lines} unreadable lines" if done.skipped_lines else "")
        + ("" if done.acknowledged else "; NOT all acknowledged by the broker"),
        file=sys.stderr,
    )
    return 0 if done.acknowledged else 1


def record(args: argparse.Namespace, settings: Settings) -> int:
    """Subscribe to the feed and write a recorded feed (JSON Lines) until the duration or idle time."""
    from ingest.broker import BrokerConfig
    from ingest.record import record_feed

    broker = BrokerConfig.from_settings(settings, args.broker, f"{settings.mqtt_client_id}-record")
    try:
        done = record_feed(
            Path(args.out),
            broker,
            args.prefix or settings.mqtt_input_prefix,
            duration=args.duration,
            until_idle=args.until_idle,
        )
    except (ConnectionError, RuntimeError, OSError) as exc:
        print(f"gridscore record: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"recorded {done.messages} messages to {args.out} in {done.seconds:.1f} s", file=sys.stderr)
    return 0


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _non_negative(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {raw}")
    return value


def add_commands(sub: SubParsers) -> None:
    p: Any = sub.add_parser("live", help=live.__doc__)
    p.add_argument(
        "--journal", default=None, help="journal file (default: DATA_DIR/journal/<client id>.jsonl)"
    )
    p.add_argument(
        "--recovery-dir", default=None, help="Bytewax recovery folder (default: DATA_DIR/recovery/..)"
    )
    p.add_argument("--no-recovery", action="store_true", help="no snapshots: a restart starts from scratch")
    p.add_argument("--no-migrate", action="store_true", help="skip the migrations (run `gridscore migrate`)")
    p.add_argument(
        "--source",
        choices=("mqtt", "openf1"),
        default="mqtt",
        help="mqtt: the feed on MQTT_URL; openf1: OpenF1's live broker (docs/openf1.md)",
    )

    p = sub.add_parser("publish", help=publish.__doc__)
    p.add_argument("feeds", nargs="+", metavar="FEED")
    p.add_argument("--speed", type=float, default=0.0, help="0: as fast as possible; 1: real time")
    p.add_argument("--broker", default=None, help="broker URL (default: MQTT_URL)")
    p.add_argument(
        "--prefix", default=None, help="publish v1/... under this prefix (default: MQTT_INPUT_PREFIX)"
    )
    p.add_argument("--max-gap", type=float, default=5.0, help="longest silence kept, in wall seconds")
    p.add_argument(
        "--max-rate",
        type=_non_negative,
        default=None,
        help="at most this many messages a second (default 1000; 0: no cap, only for a broker whose"
        " queues hold a whole feed, see docs/mqtt.md)",
    )
    p.add_argument(
        "--window",
        type=_positive_int,
        default=None,
        help="at most this many messages awaiting the broker's acknowledgement (default 10)",
    )

    p = sub.add_parser("record", help=record.__doc__)
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--broker", default=None, help="broker URL (default: MQTT_URL)")
    p.add_argument(
        "--prefix", default=None, help="topic prefix to record, written as v1/ (default: MQTT_INPUT_PREFIX)"
    )
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    stop.add_argument(
        "--until-idle", type=float, default=None, help="stop this many seconds after the last message"
    )

    openf1_cli.add_commands(sub)


COMMANDS = {"live": live, "publish": publish, "record": record, **openf1_cli.COMMANDS}
