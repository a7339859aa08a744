"""Request timing for operators: every response says how long the server spent on it."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ServerTimingMiddleware:
    """Add `Server-Timing: app;dur=<ms>`: the time from this middleware to the response, so a
    load test (bench/load.py) or the browser's devtools can tell server time from network and
    queueing time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response
