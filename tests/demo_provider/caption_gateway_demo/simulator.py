"""An HTTP simulator of the demo captioning service, for tests and local trials.

It speaks the wire protocol of ``caption_gateway_demo`` and has control routes
(``/_control/...``) that script its behaviour: how many status reads an order takes to
finish, errors to answer with, whether it calls back.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

SRT_TEMPLATE = (
    "1\n00:00:01,000 --> 00:00:03,500\nOrder {id}: the council met on Tuesday.\n\n"
    "2\n00:00:04,000 --> 00:00:06,000\nIt voted to fund the library & the pool.\n"
)


@dataclass
class Behaviour:
    reads_to_finish: int = 2  # status reads of an order before it completes
    fail_next: int = 0  # answer the next N API calls with 503
    reject_orders: str | None = None  # refuse new orders with this message (400)
    finish_as: str = "complete"  # or "failed"
    callbacks: bool = True
    order_delay_s: float = 0.0  # answer new orders this much later
    captions_delay_s: float = 0.0  # send finished captions this much later


@dataclass
class State:
    api_key: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)


def create_simulator(api_key: str = "demo-key") -> Flask:
    app = Flask("demo-simulator")
    state = State(api_key)
    app.config["STATE"] = state

    def callback(order: dict[str, Any]) -> None:
        if order.get("callback") and state.behaviour.callbacks:
            threading.Thread(
                target=lambda: requests.post(
                    order["callback"], json={"id": order["id"], "status": order["status"]}, timeout=5
                ),
                daemon=True,
            ).start()

    @app.before_request
    def gate():
        if request.path.startswith("/_control"):
            return None
        state.calls.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {state.api_key}":
            return jsonify(error="bad api key"), 401
        with state.lock:
            if state.behaviour.fail_next > 0:
                state.behaviour.fail_next -= 1
                return jsonify(error="temporarily unavailable"), 503
        return None

    @app.post("/v1/orders")
    def create_order():
        time.sleep(state.behaviour.order_delay_s)
        body = request.get_json()
        if state.behaviour.reject_orders:
            return jsonify(error=state.behaviour.reject_orders), 400
        if not body or not body.get("media_url"):
            return jsonify(error="media_url is required"), 400
        order = {"id": f"ord-{next(state.ids)}", "status": "pending", "progress": 0, "reads": 0, **body}
        state.orders[order["id"]] = order
        return jsonify({k: order[k] for k in ("id", "status", "progress")}), 201

    @app.get("/v1/orders/<order_id>")
    def get_order(order_id: str):
        order = state.orders.get(order_id)
        if order is None:
            return jsonify(error="no such order"), 404
        with state.lock:
            if order["status"] in ("pending", "in_progress"):
                order["reads"] += 1
                if order["reads"] >= state.behaviour.reads_to_finish:
                    order["status"] = state.behaviour.finish_as
                    order["progress"] = 100
                    if order["status"] == "failed":
                        order["error"] = "audio could not be transcribed"
                    callback(order)
                else:
                    order["status"] = "in_progress"
                    order["progress"] = int(100 * order["reads"] / state.behaviour.reads_to_finish)
        return jsonify({k: order.get(k) for k in ("id", "status", "progress", "error")})

    @app.get("/v1/orders/<order_id>/captions")
    def captions(order_id: str):
        order = state.orders.get(order_id)
        if order is None or order["status"] != "complete":
            return jsonify(error="captions not ready"), 404
        state.calls.append(("CAPTIONS_START", order_id))
        time.sleep(state.behaviour.captions_delay_s)
        state.calls.append(("CAPTIONS", order_id))
        return SRT_TEMPLATE.format(id=order_id), 200, {"Content-Type": "application/x-subrip"}

    @app.post("/v1/orders/<order_id>/cancel")
    def cancel(order_id: str):
        order = state.orders.get(order_id)
        if order is None:
            return jsonify(error="no such order"), 404
        if order["status"] in ("complete", "failed"):
            return jsonify(cancelled=False)
        order["status"] = "cancelled"
        return jsonify(cancelled=True)

    @app.post("/_control/behaviour")
    def set_behaviour():
        state.behaviour = Behaviour(**(request.get_json() or {}))
        return jsonify(ok=True)

    @app.post("/_control/complete/<order_id>")
    def complete_now(order_id: str):
        """Finish an order at once and call back, as the real service would."""
        order = state.orders[order_id]
        order["status"], order["progress"] = "complete", 100
        callback(order)
        return jsonify(ok=True)

    return app


class SimulatorServer:
    """The simulator on a loopback port, in a thread."""

    def __init__(self, api_key: str = "demo-key", port: int = 0) -> None:
        self.app = create_simulator(api_key)
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> State:
        return self.app.config["STATE"]

    def start(self) -> SimulatorServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
