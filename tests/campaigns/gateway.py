"""A real SMS gateway for the tests: an HTTP server in a thread that checks each request's signature, keeps
every request, answers one message id per idempotency key (a repeat is not delivered again), and posts
signed delivery receipts and replies back to our callback over HTTP. No mock object anywhere."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from origination.sms import signature_of, signature_verify

KEY = "test-gateway-key-0123456789"


class Gateway:
    def __init__(self, key: str = KEY) -> None:
        self.key = key
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.requests_per_key: Counter[str] = Counter()
        self.delivered: dict[str, str] = {}  # idempotency key -> message id: what reached a handset
        self.bad_signatures = 0
        self.fail_next = 0  # answer this many requests with 503
        self.reject_next = 0  # answer this many with 400
        self.delay = 0.0  # seconds before each answer
        self.timing_out = False  # with a delay: the sender has gone, deliver nothing
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not signature_verify(
                    key=gateway.key,
                    timestamp=self.headers.get("X-Timestamp", ""),
                    signature=self.headers.get("X-Signature", ""),
                    body=body,
                ):
                    with gateway.lock:
                        gateway.bad_signatures += 1
                    return self._answer(401, {"error": "bad signature"})
                data = json.loads(body)
                with gateway.lock:
                    gateway.requests.append(data)
                    gateway.requests_per_key[data["idempotency_key"]] += 1
                if gateway.delay:
                    time.sleep(gateway.delay)
                    if gateway.timing_out:
                        return self._answer(504, {"error": "too late"})
                with gateway.lock:
                    if gateway.fail_next:
                        gateway.fail_next -= 1
                        status, answer = 503, {"error": "busy"}
                    elif gateway.reject_next:
                        gateway.reject_next -= 1
                        status, answer = 400, {"error": "bad number"}
                    else:
                        key = data["idempotency_key"]
                        message_id = gateway.delivered.setdefault(key, f"gw-{len(gateway.delivered) + 1}")
                        status, answer = 200, {"message_id": message_id}
                self._answer(status, answer)

            def _answer(self, status: int, answer: dict[str, Any]) -> None:
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender timed out and left

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Gateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def post_back(self, callback_url: str, body: dict[str, Any], *, key: str | None = None) -> tuple[int, Any]:
        """Post a signed callback (receipts, replies) to our endpoint, as the real gateway does."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the test's own live server
            callback_url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Timestamp": timestamp,
                "X-Signature": signature_of(key or self.key, timestamp, payload),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def receipts(self, failed: set[str] = frozenset()) -> list[dict[str, str]]:  # type: ignore[assignment]
        """A receipt for every message delivered: ``failed`` names idempotency keys that failed on the handset."""
        return [
            {
                "message_id": message_id,
                "status": "failed" if key in failed else "delivered",
                "error": "空号" if key in failed else "",
            }
            for key, message_id in self.delivered.items()
        ]
