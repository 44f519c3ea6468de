"""gridscore/base/services.py's ServiceUrls.describe (pure): the demo and `gridscore replay` say which servers
they use, embedded or the machine's, by name or address, never with a password."""

from __future__ import annotations

import signal

import pytest

from gridscore.base.services import ServiceUrls, stopping_on_signals

SOCKET_URL = "postgresql://postgres:@/postgres?host=/srv/app/.gridscore/postgres"


@pytest.mark.parametrize(
    ("urls", "words"),
    [
        pytest.param(
            ServiceUrls("postgresql://postgres@127.0.0.1:5432/test", "redis://127.0.0.1:6379/0"),
            "PostgreSQL at 127.0.0.1:5432/test, Redis at 127.0.0.1:6379/0",
            id="the-machine's",
        ),
        pytest.param(
            ServiceUrls(SOCKET_URL, "redis://127.0.0.1:16379/0", ("postgres", "redis")),
            "embedded PostgreSQL, embedded Valkey",
            id="embedded",
        ),
        pytest.param(
            ServiceUrls(SOCKET_URL, "redis://cache:6380/2", ("postgres",)),
            "embedded PostgreSQL, Redis at cache:6380/2",
            id="one-embedded",
        ),
        pytest.param(
            ServiceUrls(SOCKET_URL, "redis://127.0.0.1:16379/0"),
            "PostgreSQL at /srv/app/.gridscore/postgres/postgres (Unix socket), Redis at 127.0.0.1:16379/0",
            id="a-socket-given",
        ),
    ],
)
def test_the_servers_in_words(urls: ServiceUrls, words: str) -> None:
    assert urls.describe() == words


def test_no_password_in_the_words() -> None:
    urls = ServiceUrls("postgresql://app:s3cret@db:5432/gridscore", "redis://:hunter2@cache:6379/0")
    assert "s3cret" not in urls.describe()
    assert "hunter2" not in urls.describe()
    assert urls.describe() == "PostgreSQL at db:5432/gridscore, Redis at cache:6379/0"


def test_stop_signals_become_ctrl_c_inside_and_what_handled_them_before_comes_back() -> None:
    """Inside, SIGTERM and SIGHUP stop the command as Ctrl-C does (the embedded servers stop with it),
    whatever handled them before (coverage's SIGTERM hook under `make test`); on exit that comes back."""

    def before_handler(_signum: int, _frame: object) -> None:
        pass

    before = signal.signal(signal.SIGTERM, before_handler), signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        with stopping_on_signals():
            for signum in (signal.SIGTERM, signal.SIGHUP):
                with pytest.raises(KeyboardInterrupt):
                    signal.raise_signal(signum)
        assert signal.getsignal(signal.SIGTERM) is before_handler
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGHUP, before[1])
