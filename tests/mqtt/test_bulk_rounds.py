"""League tops and team totals on MQTT at any number of leagues (dataflows/mqtt_bulk.py, a real broker):
a round sends at most what the rate allows in one interval, the changes beyond it go out in the next
rounds in turn, and a child told to stop abandons its round and exits (10M teams: millions of leagues
at 2,000 messages a second, and an engine that took minutes to exit after the race)."""

from __future__ import annotations

import logging

import pytest

from dataflows.mqtt_bulk import BulkRounds
from dataflows.mqtt_documents import league_tops
from dataflows.mqtt_options import MqttOutputOptions
from dataflows.mqtt_sink import BulkChild
from ingest.broker import BrokerConfig, Publisher
from scoring.outcomes import TeamScores
from scoring.teams import TeamBook, competition_ranks, league_standings
from tests.mqtt.conftest import Inbox, Prefixes

ASSETS = ["driver:A", "driver:B", "driver:C", "driver:D", "driver:E", "constructor:X", "constructor:Y"]
FIRST_LEAGUE = 1_000


def book_of(teams: int) -> TeamBook:
    """`teams` teams, each alone in a league of its own, and all of them in a league together."""
    rosters = [(n, ASSETS, [1 + n % 3, 1, 1, 1, 1, 1, 1]) for n in range(1, teams + 1)]
    memberships = [(FIRST_LEAGUE + n, n) for n in range(1, teams + 1)] + [(1, n) for n in range(1, teams + 1)]
    return TeamBook.from_rosters(rosters, memberships)


def scores(book: TeamBook, points: dict[str, int]) -> TeamScores:
    totals = book.totals(points)
    return TeamScores(book, totals, competition_ranks(totals), league_standings(book, totals))


def test_a_round_sends_at_most_what_the_rate_allows_in_an_interval_and_the_rest_in_turn(
    mqtt_url: str, prefixes: Prefixes
) -> None:
    options = MqttOutputOptions(
        prefix=prefixes.output, league_top_n=2, bulk_interval_s=0.01, bulk_max_rate=1_000, team_topics=True
    )
    assert options.round_cap == 10
    book = book_of(24)  # 25 leagues (24 of one team, the global one) and 24 teams: 49 topics
    inbox = Inbox.subscribe(mqtt_url, f"{prefixes.output}#")
    publisher = Publisher(BrokerConfig.from_url(mqtt_url, f"gridscore-{prefixes.run}-bulk"))
    try:
        rounds = BulkRounds(publisher, options)
        first = scores(book, {"driver:A": 10})
        assert [rounds.publish(7, 70, first) for _ in range(6)] == [10, 10, 10, 10, 9, 0]
        moved = scores(book, {"driver:A": 10, "driver:B": 1})  # every total moves by 1: 49 topics again
        sent = [rounds.publish(7, 70, moved) for _ in range(6)]
        assert sent == [10, 10, 10, 10, 9, 0]
        assert publisher.flush(10)

        leagues, teams = f"{prefixes.output}7/leagues/", f"{prefixes.output}7/teams/"
        inbox.wait_for(lambda i: len(i.snapshot()) >= 98, 20, "every topic twice")
        latest = inbox.latest()
        tops = league_tops(moved, 2)
        assert {topic: m.json() for topic, m in latest.items() if topic.startswith(leagues)} == {
            f"{leagues}{int(league)}": tops.document(row, 7, 70) for row, league in enumerate(tops.leagues)
        }
        team_topics = {topic: m.json() for topic, m in latest.items() if topic.startswith(teams)}
        assert len(team_topics) == 24
        for slot, team_id in enumerate(book.team_ids.tolist()):
            document = team_topics[f"{teams}{team_id}"]
            assert (document["points"], document["rank"]) == (int(moved.totals[slot]), int(moved.ranks[slot]))
        assert len(inbox.snapshot()) == 98  # nothing sent twice for the same state
    finally:
        publisher.close()
        inbox.close()


def test_a_change_waiting_for_its_turn_goes_out_with_its_newest_value(
    mqtt_url: str, prefixes: Prefixes
) -> None:
    """Capped rounds wrap around from where the last one stopped: a league changed twice before its
    turn is sent once, as it is now; one that changed after it was sent is sent again."""
    options = MqttOutputOptions(
        prefix=prefixes.output, league_top_n=1, bulk_interval_s=0.01, bulk_max_rate=500
    )
    assert options.round_cap == 5
    book = book_of(9)  # 10 leagues
    inbox = Inbox.subscribe(mqtt_url, f"{prefixes.output}#")
    publisher = Publisher(BrokerConfig.from_url(mqtt_url, f"gridscore-{prefixes.run}-bulk"))
    try:
        rounds = BulkRounds(publisher, options)
        assert rounds.publish(7, 70, scores(book, {"driver:A": 1})) == 5
        assert rounds.publish(7, 70, scores(book, {"driver:A": 2})) == 5  # the other 5, at 2
        assert rounds.publish(7, 70, scores(book, {"driver:A": 3})) == 5  # the first 5 again, at 3
        last = scores(book, {"driver:A": 3})
        assert rounds.publish(7, 70, last) == 5  # the rest, at 3
        assert rounds.publish(7, 70, last) == 0
        assert publisher.flush(10)
        inbox.wait_for(lambda i: len(i.snapshot()) >= 20, 20, "four rounds")
        points = {topic: m.json()["top"][0]["points"] for topic, m in inbox.latest().items()}
        assert len(points) == 10
        tops = league_tops(last, 1)
        assert points == {
            f"{prefixes.output}7/leagues/{int(league)}": int(tops.points[row, 0])
            for row, league in enumerate(tops.leagues)
        }
    finally:
        publisher.close()
        inbox.close()


def test_a_stopped_child_abandons_a_big_round_and_exits(
    mqtt_url: str, prefixes: Prefixes, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """20,001 leagues at 200 messages a second: a round of over a minute and a half. The child is told to
    stop once it has begun: it exits by itself (exit code 0, not killed) with most of the round unsent,
    and says so in its log."""
    options = MqttOutputOptions(
        prefix=prefixes.output, league_top_n=3, bulk_interval_s=600, bulk_max_rate=200
    )
    book = book_of(20_000)
    caplog.set_level(logging.INFO)  # the child logs at the engine's level, INFO as in production
    inbox = Inbox.subscribe(mqtt_url, f"{prefixes.output}#")
    child = BulkChild(BrokerConfig.from_url(mqtt_url, f"gridscore-{prefixes.run}-bulk"), options)
    try:
        child.send(7, 70, scores(book, {"driver:A": 10}))
        inbox.wait_for(lambda i: len(i.snapshot()) >= 20, 60, "the round under way")
        process = child.process
        assert process is not None
        child.stop()
        assert not process.is_alive()
        assert process.exitcode == 0, "the child stopped by itself, it was not killed"
    finally:
        child.stop()
        inbox.close()
    published = len(inbox.snapshot())
    assert published < 20_001 // 2, published
    logged = capfd.readouterr().err
    assert "round of league and team topics of meeting 7 abandoned after" in logged, logged[-2000:]
