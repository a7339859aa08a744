"""Request timing for operators: every response says how long the server spent on it."""

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class _DatabaseClock:
    """Sums the time spent in database calls and counts them (a connection execute wrapper)."""

    def __init__(self) -> None:
        self.seconds, self.queries = 0.0, 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class ServerTimingMiddleware:
    """Add `Server-Timing: app;dur=<ms>, db;dur=<ms>;desc="<n> queries"`: the time from this
    middleware to the response and the part of it spent waiting on the database, so a load test
    (bench/load.py) or the browser's devtools can tell server time from network and queueing time,
    and the database's share from the web worker's own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clock = _DatabaseClock()
        started = time.perf_counter()
        with connection.execute_wrapper(clock):
            response = self.get_response(request)
        app_ms, db_ms = (time.perf_counter() - started) * 1000, clock.seconds * 1000
        response["Server-Timing"] = f'app;dur={app_ms:.2f}, db;dur={db_ms:.2f};desc="{clock.queries} queries"'
        return response
