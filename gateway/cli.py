"""``caption-gateway``: run workers, run everything locally, check the configuration, list providers,
index the jobs an older gateway stored."""

from __future__ import annotations

import argparse
import json
import sys

from gateway.config import ConfigError, load_config
from gateway.devserver import MAX_RESTARTS, REDIS_PORT
from providers.base import QUEUES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caption-gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run an RQ worker for the gateway's queues")
    worker.add_argument("queues", nargs="*", default=["default"], choices=QUEUES)
    worker.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    worker.add_argument("--name", help="worker name (default: RQ's)")
    local = sub.add_parser("run-local", help="Redis, workers and the gateway on this machine (make run)")
    local.add_argument("--port", type=int, default=8000)
    local.add_argument("--var", default="var", help="folder for Redis data, storage, secrets and logs")
    local.add_argument("--redis-port", type=int, default=REDIS_PORT, help="port of the Redis it starts (or reuses)")
    local.add_argument(
        "--max-restarts", type=int, default=MAX_RESTARTS, help="restarts in a row of a process that keeps dying"
    )
    sub.add_parser("check-config", help="validate the configuration and print it (secrets hidden)")
    listing = sub.add_parser("providers", help="installed providers: who supplied each, enabled or why not, params")
    listing.add_argument("--json", action="store_true", help="print the JSON of GET /providers")
    sub.add_parser("reindex", help="add jobs stored before GET /jobs existed to its indexes (once, after upgrading)")
    args = parser.parse_args(argv)

    if args.command == "run-local":
        from gateway.devserver import run_local

        return run_local(args.port, args.var, args.redis_port, args.max_restarts)
    try:
        config = load_config()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check-config":
        shown = {**config, "api_keys": key_summary(config), "secret_key": "***"}
        print(json.dumps(shown, indent=2))
        return 0
    if args.command == "providers":
        return print_providers(config, as_json=args.json)
    if args.command == "reindex":
        from gateway.services import build_services

        print(f"{build_services(config).store.reindex()} jobs indexed")
        return 0
    from gateway.services import build_services, set_services
    from gateway.worker import run_worker

    services = build_services(config)
    set_services(services)
    return 0 if run_worker(services, args.queues, burst=args.burst, name=args.name) else 1


def key_summary(config: dict) -> list[str]:
    """Every API key by name and scopes, never the key itself."""
    from gateway.keys import load_keys

    ring = load_keys(config["api_keys"], config["api"]["keys_file"])
    return [f"{k.name}: {'+'.join(sorted(k.scopes))}" for k in ring.by_digest.values()]


def print_providers(config: dict, as_json: bool = False) -> int:
    """Print what ``GET /providers`` answers, taken from the API's own view so the two never differ."""
    from gateway import create_app
    from gateway.api.system import Providers

    with create_app(config).test_request_context("/providers"):
        listing = Providers().get().get_json()
    listed = set(config.get("providers") or {})
    print(json.dumps(listing, indent=2) if as_json else "\n".join(provider_lines(listing, listed)))
    return 0


def provider_lines(listing: list[dict], listed: set[str]) -> list[str]:
    """One block per provider: id, enabled or disabled, the distribution, then why and its params.

    ``listed``: the ids under ``providers:`` of the configuration, the only ones whose
    ``GATEWAY_PROVIDERS_<ID>_*`` variables are read."""
    lines = []
    for info in listing:
        lines.append(f"{info['id']}: {'enabled' if info['enabled'] else 'disabled'} ({info['distribution']})")
        if info.get("reason"):
            lines.append(f"    reason: {info['reason']}")
        env = f"GATEWAY_PROVIDERS_{info['id'].upper()}_"
        missing = [f"{name} ({env}{name.upper()})" for name in info.get("missing_settings") or []]
        if missing:
            lines.append(f"    not configured: missing setting {', '.join(missing)}")
        if info["enabled"] and info["id"] not in listed:
            lines.append(f"    not under providers: in the configuration, so {env}* is not read ({info['id']}: {{}})")
        if info["enabled"]:
            params = (info.get("params_schema") or {}).get("properties") or {}
            described = [f"{name} ({spec.get('type', 'any')})" for name, spec in params.items()]
            lines.append(f"    params: {', '.join(described) or 'none'}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
