"""Real HTTP receivers for the alert-channel tests: a threaded server on 127.0.0.1 that keeps
every request and answers from a script (statuses in turn, headers, a delay, or hanging)."""

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    def json(self):
        return orjson.loads(self.body)


@dataclass
class Receiver:
    """`statuses` are answered in turn (the last one repeats); `hang` seconds of silence
    before answering; `answer_headers` go with every answer; `redirect_to` answers 302."""

    statuses: list[int] = field(default_factory=lambda: [200])
    hang: float = 0.0
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    requests: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received("POST", self.path, dict(self.headers.items()), body, time.monotonic())
                )
                if receiver.hang:
                    receiver._released.wait(receiver.hang)
                index = min(len(receiver.requests), len(receiver.statuses)) - 1
                # A client that gave up (or was killed) while we hung is no error of ours.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(receiver.statuses[index])
                    for name, value in receiver.answer_headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(receiver.answer_body)))
                    self.end_headers()
                    self.wfile.write(receiver.answer_body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
