"""Celery: the nightly season sync, price moves and notifications. Scoring never runs here.

- `gridscore worker` / `gridscore beat` (exactly one beat: a Redis lock keeps a second one waiting);
  `gridscore sync --season Y` runs the sync by hand, in-process, with the same code.
- Beat (UTC, every entry with `expires`): the sync at 03:00; every BEAT_CHECK_S, final sessions to
  notify, lock reminders and price moves.
- The engine calls `tasks.notify.announce_final(session_key)` once a session's final results are
  committed; beat's sweep finds the session anyway if that call is lost.
- Notifications go through a ledger (the `notification` table, store/notify_ledger.py): one row per
  (kind, session, user), each channel marked sent in the transaction that sends it.
"""
