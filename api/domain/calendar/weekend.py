"""The API's word for an empty calendar (the weekends themselves: store/weekends.py)."""

from __future__ import annotations

NO_WEEKEND = (
    "no race weekend is coming in the calendar; an administrator seeds one with `gridscore api-seed FEED`"
)
