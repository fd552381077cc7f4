"""Account protections: login throttling, bounded hashing, a password rule, Origin checks.

Throttling counts failed sign-ins per account and per client address in this process (a
sliding window); beyond the limit the answer is 429 with Retry-After, before any password is
hashed, so guessing is slow and cheap to refuse. Argon2 takes about 50 MB per hash: a semaphore
bounds how many run at once so that a burst of logins cannot exhaust memory.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

MAX_FAILURES = 5  # failed sign-ins per account or address within WINDOW
WINDOW = 15 * 60.0  # seconds
MAX_SIGNUPS = 10  # new accounts per address within WINDOW
HASH_SLOTS = 2  # concurrent argon2 computations
HASH_WAIT = 30.0  # seconds a request waits for a slot before 503

_COMMON = Path(__file__).with_name("common-passwords.txt")


class Throttle:
    """Failures per key in a sliding window (thread-safe, in memory, bounded)."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 if it may now."""
        now = time.monotonic()
        with self._lock:
            events = self._prune(key, now)
            if len(events) < self.limit:
                return 0
            return max(1, int(events[0] + self.window - now) + 1)

    def record(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._events) >= self.max_keys:  # forget the oldest keys, not the new one
                for old in list(self._events)[: self.max_keys // 10]:
                    del self._events[old]
            events = self._prune(key, now)
            events.append(now)
            self._events[key] = events

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class Guard:
    """The throttles of one application."""

    def __init__(self) -> None:
        self.failures = Throttle(MAX_FAILURES, WINDOW)
        self.signups = Throttle(MAX_SIGNUPS, WINDOW)

    def check_login(self, request: Request, username: str) -> None:
        """429 if the account or the address has failed too often lately."""
        wait = max(
            self.failures.retry_after(f"user:{username.lower()}"),
            self.failures.retry_after(f"addr:{client_address(request)}"),
        )
        if wait:
            too_many(wait, "too many failed sign-ins")

    def failed_login(self, request: Request, username: str) -> None:
        self.failures.record(f"user:{username.lower()}")
        self.failures.record(f"addr:{client_address(request)}")

    def good_login(self, username: str) -> None:
        self.failures.clear(f"user:{username.lower()}")

    def check_signup(self, request: Request) -> None:
        key = f"addr:{client_address(request)}"
        wait = self.signups.retry_after(key)
        if wait:
            too_many(wait, "too many new accounts from this address")
        self.signups.record(key)


def too_many(wait: int, what: str) -> None:
    raise HTTPException(429, f"{what}; try again in {wait} s", headers={"Retry-After": str(wait)})


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


_slots = threading.BoundedSemaphore(HASH_SLOTS)


@contextmanager
def hashing_slot() -> Iterator[None]:
    """One of HASH_SLOTS permits to run argon2; 503 if none frees up in HASH_WAIT seconds."""
    if not _slots.acquire(timeout=HASH_WAIT):
        raise HTTPException(503, "the server is busy; try again", headers={"Retry-After": "5"})
    try:
        yield
    finally:
        _slots.release()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def password_problem(username: str, password: str) -> str | None:
    """Why `password` is too weak, or None. Length is checked by the caller."""
    lowered = password.lower()
    if lowered in common_passwords():
        return "password: expected a password that is not on the list of common passwords"
    if len(set(password)) < 4:
        return "password: expected at least 4 different characters"
    if username and username.lower() in lowered:
        return "password: expected a password that does not contain the username"
    codes = [ord(c) for c in lowered]
    steps = {b - a for a, b in itertools.pairwise(codes)}
    if steps <= {1} or steps <= {-1}:
        return "password: expected more than a run of consecutive characters"
    return None


def check_origin(request: Request) -> None:
    """403 for a cross-site form post: its Origin (or Referer) is not this server."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "cross-site form posts are refused")
    if not origin or origin == "null":
        if origin == "null":
            raise HTTPException(403, "cross-site form posts are refused")
        return  # non-browser clients send none; browsers always send Origin on POST
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    if parts.netloc != host:
        raise HTTPException(403, "cross-site form posts are refused")
