"""An API client as a farm-management system or a mill's software would be: bearer token,
problem details, `Idempotency-Key` on every write, retries after a dropped connection, and
a journal of every write the registry acknowledged, to read back afterwards.

Requests of one chain take the web servers in turn (`Servers`), so that a record written
through one server is read, changed and checked through the other."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

TIMEOUT = 60.0  # seconds for one request: an import's upload or a large issuance included
ATTEMPTS = 5
FOLLOW_SECONDS = 600.0  # a job is given this long to finish
#: Statuses after which the same request may be sent again unchanged: rate limits, and a
#: proxy or server that is not there; and a 409 whose problem type is request-in-progress.
RETRY_STATUS = frozenset({429, 502, 503, 504})
IN_PROGRESS = "/problems/request-in-progress"
DROPPED = (requests.ConnectionError, requests.Timeout)


class Servers:
    """The web servers' base URLs, taken in turn by each request (thread-safe)."""

    def __init__(self, bases: list[str], start: int = 0) -> None:
        if not bases:
            raise ValueError("give at least one server")
        self.bases = [b.rstrip("/") for b in bases]
        self._turn = start
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            base = self.bases[self._turn % len(self.bases)]
            self._turn += 1
        return base


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: parsed JSON (or text), the headers and the server that gave it, and
    the bytes as they came (a file)."""

    status: int
    body: Any
    headers: Mapping[str, str]
    server: str
    replayed: bool = False
    content: bytes = b""

    def __getitem__(self, name: str) -> Any:
        return self.body[name]


class Refused(Exception):
    """The registry answered something the chain did not expect."""

    def __init__(self, what: str, answer: Answer) -> None:
        super().__init__(f"{what}: HTTP {answer.status} from {answer.server}: {answer.body!r:.600}")
        self.answer = answer


@dataclass
class Write:
    """A write the registry acknowledged (2xx): what it made, and what must hold of it when
    it is read back. `log` lists the transparency-log entries the answer named, each as
    (index, type, {field of the entry: value})."""

    kind: str
    key: str
    chain: str
    facts: dict[str, Any] = field(default_factory=dict)
    log: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    server: str = ""


class Journal:
    """Every acknowledged write of every chain (thread-safe), and the chains' failures."""

    def __init__(self) -> None:
        self.writes: list[Write] = []
        self.failures: list[str] = []
        self.requests = 0
        self.retries = 0
        self._lock = threading.Lock()

    def add(self, write: Write) -> Write:
        with self._lock:
            self.writes.append(write)
        return write

    def failed(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)

    def count(self, retried: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.retries += retried

    def of(self, kind: str) -> Iterator[Write]:
        return (w for w in self.writes if w.kind == kind)

    def save(self, path: Path) -> None:
        data = {"writes": [asdict(w) for w in self.writes], "failures": self.failures}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, path: Path) -> Journal:
        data = json.loads(path.read_text())
        journal = cls()
        for w in data["writes"]:
            w["log"] = [tuple(entry) for entry in w["log"]]
            journal.writes.append(Write(**w))
        journal.failures = list(data["failures"])
        return journal


class Client:
    """One organisation's API token over the servers; one per chain and actor (a requests
    session is not shared between threads)."""

    def __init__(self, servers: Servers, token: str | None, journal: Journal) -> None:
        self.servers = servers
        self.journal = journal
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def get(
        self, path: str, base: str | None = None, params: Mapping[str, Any] | None = None
    ) -> Answer:
        """A read, on `base` or on the next server; `params` go in the query string."""
        return self._send("GET", path, base=base, params=params)

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        files: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        """A write with its own Idempotency-Key, sent again unchanged (to the next server)
        when the connection drops or the registry asks to wait: where the endpoint keeps
        keys (docs/api.md) a retry never writes twice."""
        headers = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        return self._send("POST", path, json=body, files=files, params=params, headers=headers)

    def _send(self, method: str, path: str, base: str | None = None, **kwargs: Any) -> Answer:
        url = path if path.startswith("http") else None
        for attempt in range(ATTEMPTS):
            server = base or self.servers.next()
            self.journal.count(retried=attempt > 0)
            try:
                response = self.http.request(
                    method, url or server + path, timeout=TIMEOUT, **_rewound(kwargs)
                )
            except DROPPED:
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
                continue
            answer = _answer(response, server)
            if not _again(answer) or attempt == ATTEMPTS - 1:
                return answer
            time.sleep(_wait(response, attempt))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()


def _rewound(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Files are read by each send: start each attempt at their beginning."""
    for value in (kwargs.get("files") or {}).values():
        handle = value[1] if isinstance(value, tuple) else value
        if hasattr(handle, "seek"):
            handle.seek(0)
    return kwargs


def _answer(response: requests.Response, server: str) -> Answer:
    kind = response.headers.get("Content-Type", "")
    body: Any = response.json() if "json" in kind else None
    if body is None and kind.startswith("text/"):
        body = response.text
    return Answer(
        response.status_code,
        body,
        dict(response.headers),
        server,
        response.headers.get("Idempotent-Replayed") == "true",
        response.content,
    )


def _again(answer: Answer) -> bool:
    if answer.status == 409 and isinstance(answer.body, dict):
        return str(answer.body.get("type", "")).endswith(IN_PROGRESS)
    return answer.status in RETRY_STATUS


def _wait(response: requests.Response, attempt: int) -> float:
    after = response.headers.get("Retry-After", "")
    return float(after) if after.isdigit() else 0.25 * 2**attempt


def job_url(answer: Answer) -> str:
    """Where a 202 says its job can be followed (`Location`: /api/v1/jobs/<id>)."""
    return str(answer.headers.get("Location") or f"/api/v1/jobs/{answer.body['id']}")


def follow(client: Client, answer: Answer, seconds: float = FOLLOW_SECONDS) -> dict[str, Any]:
    """What a write made: its answer's body (2xx), or, when the registry took it as a job
    (202), the job's result once the job is done."""
    if answer.status != 202:
        return dict(answer.body)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = expect("follow the job", client.get(job_url(answer)), 200)
        if found["status"] == "failed":
            raise Refused("the job failed", found)
        if found["status"] == "done":
            return dict(found["result"])
        time.sleep(0.5)
    raise Refused(f"the job did not finish in {seconds:.0f} s", answer)


def expect(what: str, answer: Answer, *statuses: int) -> Answer:
    """The answer, if its status is one of `statuses`; else the chain stops here."""
    if answer.status not in statuses:
        raise Refused(what, answer)
    return answer
