"""A client that keeps submitting jobs while a test breaks something (Redis, a failover)."""

from __future__ import annotations

import base64
import threading
import time

from tests.support.stack import StackClient

SRT = b"1\n00:00:01,000 --> 00:00:02,000\nGood evening.\n"


def upload_job(parent_id: str) -> dict:
    """The body of an ``upload`` job (a small SRT): no remote service, no model."""
    file = {"name": "talk.srt", "file": base64.b64encode(SRT).decode()}
    return {"parent_id": parent_id, "provider": "upload", "caption_file": file}


class Submitter(threading.Thread):
    """Posts upload jobs one after another until stopped; keeps every answer."""

    def __init__(self, api: StackClient) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.answers: list[tuple[int, dict, dict]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stopped.is_set():
            number += 1
            response = self.api.post("/captions", json=upload_job(f"outage-{number}"))
            self.answers.append((response.status_code, response.json(), dict(response.headers)))
            time.sleep(0.05)

    def created(self) -> list[str]:
        return [body["id"] for status, body, _ in self.answers if status == 201]
