"""The live flow: the replay dataflow fed by MQTT, on the live clock, into Redis, Postgres and MQTT.

MQTT (v1/#, QoS 1) -> journal -> assemble(LIVE clock)
    -> live: Redis (totals, ranks, standings), then f1/scoring/... (points, sessions, leagues, teams)
    -> final: Postgres (classified sessions)
    -> rejected: Redis counts, then f1/ingest/rejected
Teams: each meeting's rosters from Postgres, off the flow's path: the weekends in play are loaded
when the engine starts, any other when it first appears (its windows go without teams meanwhile).
Health: the source reports the receiver's state and the flow's progress to `health` (/health).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from bytewax.dataflow import Dataflow

from dataflows.assemble import Edges, assemble
from dataflows.config import ClockMode, flow_config
from dataflows.mqtt_sink import MqttOutputOptions, RejectedMqttPublisher, ScoringMqttSink
from dataflows.store_books import StoreTeamBooks
from gridscore.base.settings import Settings
from ingest.broker import BrokerConfig
from ingest.health import IngestHealth
from ingest.mqtt import JournalStart, MqttSource
from ingest.receiver import TopicFilter
from store.live import BookIndexPublisher


@dataclass(frozen=True, slots=True)
class LiveFlow:
    flow: Dataflow
    source: MqttSource
    rejected: RejectedMqttPublisher
    health: IngestHealth


def live_flow(
    settings: Settings,
    database_url: str,
    redis_url: str,
    journal: Path,
    start: JournalStart,
    stop: threading.Event,
    source_broker: BrokerConfig | None = None,
    source_topics: TopicFilter | None = None,
) -> LiveFlow:
    """source_broker/source_topics: input from another broker (OpenF1's) than the one scores go to."""
    broker = BrokerConfig.from_settings(settings)
    health = IngestHealth(journal, settings.ingest_stall_s)
    source = MqttSource(
        source_broker or broker,
        source_topics or f"{settings.mqtt_input_prefix}#",
        journal,
        start=start,
        stop=stop,
        log_format=settings.log_format,
        health=health,
    )
    rejected = RejectedMqttPublisher(
        broker.with_client_id(f"{broker.client_id}-rejected"), settings.mqtt_rejected_topic
    )
    scores = ScoringMqttSink(
        broker,
        MqttOutputOptions(
            prefix=settings.mqtt_output_prefix,
            league_top_n=settings.mqtt_league_top_n,
            bulk_interval_s=settings.mqtt_bulk_interval_ms / 1000,
            team_topics=settings.mqtt_team_topics,
            bulk_max_rate=settings.mqtt_bulk_max_rate,
        ),
    )
    config = flow_config(settings, ClockMode.LIVE)
    books = StoreTeamBooks(
        database_url, config.rules.team, background=True, on_loaded=BookIndexPublisher(redis_url)
    )
    books.preload()  # the weekends in play, on the loader's thread, while the engine starts
    flow = assemble(
        source,
        config,
        database_url,
        redis_url,
        books,
        notify=settings.notifications_enabled,
        edges=Edges(also_live=scores, also_rejected=rejected),
    )
    return LiveFlow(flow, source, rejected, health)
