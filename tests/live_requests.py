"""Counts the requests the live server (a thread of this process) is still handling.

A browser can leave a request running when a test ends (a closed page's last navigation, a prefetch);
flushing the database under it fails on SQLite ("couldn't be flushed"), so teardown waits for zero.
"""

from __future__ import annotations

import threading
import time


class RequestsInFlight:
    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def connect(self) -> None:
        from django.core.signals import request_finished, request_started

        request_started.connect(self.started, dispatch_uid="tests-requests-in-flight-start")
        request_finished.connect(self.finished, dispatch_uid="tests-requests-in-flight-end")

    def started(self, **_: object) -> None:
        with self.changed:
            self.count += 1

    def finished(self, **_: object) -> None:
        with self.changed:
            self.count = max(0, self.count - 1)
            self.changed.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True


REQUESTS_IN_FLIGHT = RequestsInFlight()
