"""Concurrent deliveries for the "the same webhook five times at once" tests: real threads, each
with its own database connection (closed after), so the writers truly race on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def at_once(send: Callable[[], T], times: int = 5) -> list[T]:
    def in_a_thread(_i):
        try:
            return send()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(in_a_thread, range(times)))
