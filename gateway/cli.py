"""``caption-gateway``: run workers, run everything locally, check the configuration."""

from __future__ import annotations

import argparse
import json
import sys

from gateway.config import ConfigError, load_config
from gateway.devserver import REDIS_PORT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caption-gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run an RQ worker for the gateway's queues")
    worker.add_argument("queues", nargs="*", default=["default"], choices=["default", "asr"])
    worker.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    worker.add_argument("--name", help="worker name (default: RQ's)")
    local = sub.add_parser("run-local", help="Redis, workers and the gateway on this machine (make run)")
    local.add_argument("--port", type=int, default=8000)
    local.add_argument("--var", default="var", help="folder for Redis data, storage, secrets and logs")
    local.add_argument("--redis-port", type=int, default=REDIS_PORT, help="port of the Redis it starts (or reuses)")
    sub.add_parser("check-config", help="validate the configuration and print it (secrets hidden)")
    args = parser.parse_args(argv)

    if args.command == "run-local":
        from gateway.devserver import run_local

        return run_local(args.port, args.var, args.redis_port)
    try:
        config = load_config()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check-config":
        shown = {**config, "api_keys": [f"{k[:4]}..." for k in config["api_keys"]], "secret_key": "***"}
        print(json.dumps(shown, indent=2))
        return 0
    from gateway.services import build_services, set_services
    from gateway.worker import run_worker

    services = build_services(config)
    set_services(services)
    return 0 if run_worker(services, args.queues, burst=args.burst, name=args.name) else 1


if __name__ == "__main__":
    sys.exit(main())
