"""Recorded responses of one real sandbox sync, replayed through the real client and sync engine with failures
injected (the monotonicity property test's transport).

:class:`Recorder` is a transport adapter in front of the sandbox: it forwards every request and keeps each answer
(status, headers, body) by URL. :class:`Replay` serves them again, fast and in-process; a request it never saw
(a parent re-read after a 404, a retry with a smaller page) goes to the live sandbox. ``Replay.faults`` maps a
recorded read (its URL without ``limit``) to how it fails: an HTTP status with Okta's error body, a timeout, a
body that is not JSON, a body of the wrong shape, or a page cut in half. A failed read fails every time it is
asked (retries included)."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

# how a read fails (the fault kinds of the property test)
ERROR_CODES = {400: "E0000001", 403: "E0000006", 404: "E0000007", 500: "E0000009", 503: "E0000010"}
KINDS = ("404", "403", "500", "400", "503", "timeout", "not_json", "wrong_shape", "truncated")


def read_key(url: str) -> str:
    """A read, whatever page size it was asked with: the URL without ``limit``."""
    parts = urlsplit(url)
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "limit"))
    return urlunsplit(("", "", parts.path, query, ""))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _response(request: requests.PreparedRequest, answer: Answer) -> requests.Response:
    resp = requests.Response()
    resp.status_code = answer.status
    resp.headers = CaseInsensitiveDict(answer.headers)
    resp.raw = io.BytesIO(answer.body)
    resp.url = request.url or ""
    resp.request = request
    resp.encoding = "utf-8"
    resp.reason = "OK" if answer.status < 400 else "Error"
    return resp


class Recorder(HTTPAdapter):
    """Forwards to the sandbox and records every answer by URL."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, Answer] = {}
        self.order: list[str] = []
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["stream"] = False
        resp = super().send(request, **kwargs)
        answer = Answer(resp.status_code, dict(resp.headers), resp.content)
        with self._lock:
            if request.url not in self.answers:
                self.order.append(request.url or "")
            self.answers[request.url or ""] = answer
        return _response(request, answer)


@dataclass
class Replay(BaseAdapter):
    """Serves recorded answers; ``faults`` (read key -> kind) makes reads fail."""

    answers: dict[str, Answer]
    live: HTTPAdapter = field(default_factory=HTTPAdapter)
    faults: dict[str, str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    live_asked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        url = request.url or ""
        self.asked.append(url)
        kind = self.faults.get(read_key(url))
        if kind == "timeout":
            raise requests.exceptions.ReadTimeout(f"read timed out (injected) on {urlsplit(url).path}",
                                                  request=request)
        answer = self.answers.get(url)
        if answer is None:
            self.live_asked.append(url)
            resp = self.live.send(request, stream=False, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
            answer = Answer(resp.status_code, dict(resp.headers), resp.content)
        if kind is None:
            return _response(request, answer)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("link", "content-length")}
        headers["Content-Type"] = "application/json"
        if kind.isdigit():
            status = int(kind)
            body = json.dumps({"errorCode": ERROR_CODES[status], "errorSummary": f"injected {status}",
                               "errorLink": ERROR_CODES[status], "errorId": "oaeINJECTED", "errorCauses": []})
            return _response(request, Answer(status, headers, body.encode()))
        if kind == "not_json":
            return _response(request, Answer(200, headers, b"<html><body>Service unavailable</body></html>"))
        if kind == "wrong_shape":  # a list where an object is due, an object where a list is
            try:
                shape: Any = json.loads(answer.body)
            except ValueError:
                shape = None
            body = b'{"unexpected": "object"}' if isinstance(shape, list) else b'["unexpected"]'
            return _response(request, Answer(200, headers, body))
        if kind == "truncated":
            return _response(request, Answer(200, dict(answer.headers), answer.body[: max(1, len(answer.body) // 2)]))
        raise ValueError(f"unknown fault kind {kind!r}")

    def close(self) -> None:
        self.live.close()


def results_by_key(messages: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], set[str]]:
    """(check id, resource type, uid, parent uid) -> the statuses of the results about it."""
    out: dict[tuple[str, str, str, str], set[str]] = {}
    for m in messages:
        if m.get("type") == "RECORD" and m["record"]["kind"] == "check_result":
            d = m["record"]["data"]
            r = d.get("resource") or {}
            key = (d["check_id"], str(r.get("type")), str(r.get("uid")), str(r.get("parent_uid") or ""))
            out.setdefault(key, set()).add(d["status"])
    return out
