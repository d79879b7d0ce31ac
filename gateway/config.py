"""Configuration: ``config.yaml`` defaults, an optional file over them, then the environment.

Environment names are ``GATEWAY_`` plus the key path joined with ``_`` (``redis.url`` →
``GATEWAY_REDIS_URL``); values are parsed as YAML. Only keys that exist in the defaults (and
settings of providers listed under ``providers:``) can be set, so a typo is an error, not a
silently ignored variable. Secrets (``GATEWAY_API_KEYS``, ``GATEWAY_SECRET_KEY``) only ever come
from the environment.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

import formats
from gateway.keys import KeyConfigError, load_keys, valid_limit

ENV_PREFIX = "GATEWAY_"
SECRET_KEYS = ("api_keys", "secret_key")
#: Provider settings with these words in their names are secrets: refused in a file.
SECRET_SETTING = re.compile(r"key|secret|password|token", re.IGNORECASE)
OTHER_VARIABLES = frozenset({ENV_PREFIX + "CONFIG", ENV_PREFIX + "API_KEYS", ENV_PREFIX + "SECRET_KEY"})
# settings that must be above zero; every other number must not be negative
POSITIVE = (
    ("api", "max_body_bytes"), ("api", "max_upload_bytes"), ("api", "max_queue_length"), ("media", "max_bytes"),
    ("media", "connect_timeout_s"), ("media", "read_timeout_s"), ("media", "download_timeout_s"),
    ("workers", "job_timeout_s"), ("workers", "maintenance_interval_s"), ("workers", "heartbeat_interval_s"),
    ("webhooks", "timeout_s"), ("api", "list_page_size"), ("jobs", "retention_interval_s"),
    ("jobs", "retention_batch"), ("redis", "socket_timeout_s"),
)  # fmt: skip


class ConfigError(ValueError):
    """The configuration is unusable; the message lists every problem found."""


def default_config_path() -> Path:
    """The bundled ``config.yaml``: beside the source tree, or installed under share/."""
    beside = Path(__file__).resolve().parent.parent / "config.yaml"
    if beside.exists():
        return beside
    return Path(sys.prefix) / "share" / "caption-gateway" / "config.yaml"


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _env_name(path: tuple[str, ...]) -> str:
    return ENV_PREFIX + "_".join(p.upper().replace("-", "_") for p in path)


def _leaves(tree: Mapping[str, Any], path: tuple[str, ...] = ()):
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _yaml_value(name: str, raw: str) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid configuration:\n  - {name} is not a YAML value: {exc}") from None


def env_overrides(tree: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The overrides the environment makes to ``tree`` (known keys and provider settings).

    A ``GATEWAY_`` variable that names no setting is an error: a typo must not be ignored.
    """
    over: dict[str, Any] = {}
    used = set(OTHER_VARIABLES)
    for path, _ in _leaves(tree):
        name = _env_name(path)
        if name in environ:
            _set(over, path, _yaml_value(name, environ[name]))
            used.add(name)
    for provider_id in tree.get("providers") or {}:
        prefix = _env_name(("providers", provider_id)) + "_"
        for name, raw in environ.items():
            if name.startswith(prefix):
                _set(over, ("providers", provider_id, name[len(prefix) :].lower()), _yaml_value(name, raw))
                used.add(name)
    unknown = sorted(n for n in environ if n.startswith(ENV_PREFIX) and n not in used)
    if unknown:
        hint = "no such setting (a provider's settings need the provider listed under providers: in the config)"
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(f"{n}: {hint}" for n in unknown))
    if environ.get(ENV_PREFIX + "API_KEYS"):
        over["api_keys"] = [k.strip() for k in environ[ENV_PREFIX + "API_KEYS"].split(",") if k.strip()]
    if environ.get(ENV_PREFIX + "SECRET_KEY"):
        over["secret_key"] = environ[ENV_PREFIX + "SECRET_KEY"]
    return over


def _unknown_keys(defaults: Mapping[str, Any], given: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[str]:
    """Keys of a config file that name no setting (provider settings are the provider's own)."""
    problems = []
    for key, value in given.items():
        here = (*path, str(key))
        if not path and key in SECRET_KEYS:
            problems.append(f"{key}: secrets are read only from the environment ({_env_name((key,))})")
        elif key not in defaults:
            problems.append(f"{'.'.join(here)}: no such setting")
        elif isinstance(value, Mapping) and isinstance(defaults[key], Mapping) and here != ("providers",):
            problems.extend(_unknown_keys(defaults[key], value, here))
    if not path and isinstance(given.get("providers"), Mapping):
        problems.extend(_provider_secrets_in_file(given["providers"]))
    return problems


def _provider_secrets_in_file(providers: Mapping[str, Any]) -> list[str]:
    """Provider settings that look like secrets (keys, passwords, tokens) belong in the environment."""
    problems = []
    for provider_id, settings in providers.items():
        for name in settings if isinstance(settings, Mapping) else ():
            if SECRET_SETTING.search(str(name)):
                where = _env_name(("providers", str(provider_id), str(name)))
                problems.append(f"providers.{provider_id}.{name}: secrets are read only from the environment ({where})")
    return problems


def _read_file(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"invalid configuration:\n  - {ENV_PREFIX}CONFIG={path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"invalid configuration:\n  - {ENV_PREFIX}CONFIG={path}: not a mapping of settings")
    return dict(data)


def _type_problems(defaults: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    problems = []
    for path, default in _leaves(defaults):
        if path[0] == "providers" or default is None:
            continue
        value: Any = config
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        expected = type(default)
        # timeouts may have a fraction of a second even where the default is whole
        if expected is int and path[-1].endswith("timeout_s") and path[-1] != "job_timeout_s":
            expected = float
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if expected in (int, float) and isinstance(value, bool):
            ok = False
        if not ok:
            name = "number" if expected is float else expected.__name__
            problems.append(f"{'.'.join(path)} ({_env_name(path)}) must be {name}, got {value!r}")
    return problems


def _key_problems(config: Mapping[str, Any]) -> list[str]:
    """Named keys and rate limits (:mod:`gateway.keys`)."""
    try:
        ring = load_keys(config.get("api_keys") or [], config["api"]["keys_file"])
    except KeyConfigError as exc:
        return exc.problems
    problems = []
    if not ring:
        problems.append("no API key: set GATEWAY_API_KEYS (comma-separated) or api.keys_file")
    if not valid_limit(config["api"]["rate_limit"]):
        problems.append(f"api.rate_limit (GATEWAY_API_RATE_LIMIT): {config['api']['rate_limit']!r} is not a limit")
    return problems


def _value_problems(config: Mapping[str, Any]) -> list[str]:
    problems = _key_problems(config)
    if len(config.get("secret_key") or "") < 16:
        problems.append("GATEWAY_SECRET_KEY must be set to at least 16 characters")
    if config["storage"]["backend"] not in ("local", "s3"):
        problems.append("storage.backend must be 'local' or 's3'")
    if config["storage"]["backend"] == "s3" and not config["storage"]["s3"]["bucket"]:
        problems.append("storage.s3.bucket is required when storage.backend is s3")
    if config["logging"]["format"] not in ("json", "text"):
        problems.append("logging.format (GATEWAY_LOGGING_FORMAT) must be 'json' or 'text'")
    if str(config["logging"]["level"]).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append("logging.level (GATEWAY_LOGGING_LEVEL) must be DEBUG, INFO, WARNING or ERROR")
    for section in ("media", "metrics"):
        for net in config[section]["allow_networks"]:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                problems.append(f"{section}.allow_networks: {net!r} is not a CIDR network")
    for path, value in _leaves(config):
        if path[0] in ("providers", *SECRET_KEYS) or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if path in POSITIVE and value <= 0:
            problems.append(f"{'.'.join(path)} ({_env_name(path)}) must be positive")
        elif value < 0:
            problems.append(f"{'.'.join(path)} ({_env_name(path)}) must not be negative")
    try:
        formats.get_profile(config["captions"]["style"])
    except (ValueError, TypeError) as exc:
        problems.append(f"captions.style (GATEWAY_CAPTIONS_STYLE): {exc}")
    if not str(config["public_url"]).startswith(("http://", "https://")):
        problems.append("public_url must be an http(s) URL")
    return problems


def load_config(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The validated configuration: defaults, ``GATEWAY_CONFIG`` file, environment, ``overrides``."""
    environ = os.environ if environ is None else environ
    with open(default_config_path(), encoding="utf-8") as fh:
        defaults = yaml.safe_load(fh)
    defaults.update({"api_keys": [], "secret_key": ""})
    config = defaults
    problems = []
    if environ.get(ENV_PREFIX + "CONFIG"):
        site = _read_file(environ[ENV_PREFIX + "CONFIG"])
        problems += _unknown_keys(defaults, site)
        config = deep_merge(config, site)
    config = deep_merge(config, env_overrides(config, environ))
    config = deep_merge(config, overrides or {})
    problems += _type_problems(defaults, config) or _value_problems(config)
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))
    return config
