"""Configuration: defaults, file, environment overrides and validation messages."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, load_config

SECRETS = {"GATEWAY_API_KEYS": "k1, k2", "GATEWAY_SECRET_KEY": "s" * 32}


def test_defaults_and_environment_overrides():
    config = load_config(
        environ={
            **SECRETS,
            "GATEWAY_REDIS_URL": "redis://db:6379/2",
            "GATEWAY_API_MAX_QUEUE_LENGTH": "7",
            "GATEWAY_MEDIA_ALLOW_NETWORKS": "[10.0.0.0/8]",
            "GATEWAY_PROVIDERS_WHISPER_MODEL": "small.en",
        }
    )
    assert config["redis"]["url"] == "redis://db:6379/2"
    assert config["api"]["max_queue_length"] == 7
    assert config["media"]["allow_networks"] == ["10.0.0.0/8"]
    assert config["providers"]["whisper"]["model"] == "small.en"
    assert config["api_keys"] == ["k1", "k2"]
    assert config["storage"]["backend"] == "local"


def test_config_file_is_merged(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("storage:\n  s3:\n    bucket: newsroom-captions\nproviders:\n  acme:\n    region: x\n")
    environ = {**SECRETS, "GATEWAY_CONFIG": str(path), "GATEWAY_PROVIDERS_ACME_REGION": "eu"}
    environ["GATEWAY_PROVIDERS_ACME_KEY"] = "k"
    config = load_config(environ=environ)
    assert config["storage"]["s3"]["bucket"] == "newsroom-captions"
    assert config["providers"]["acme"] == {"region": "eu", "key": "k"}  # a provider listed takes its secrets


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "GATEWAY_API_KEYS"),
        ({"GATEWAY_API_KEYS": "k"}, "GATEWAY_SECRET_KEY"),
        ({**SECRETS, "GATEWAY_API_MAX_QUEUE_LENGTH": "x"}, "(GATEWAY_API_MAX_QUEUE_LENGTH) must be int"),
        ({**SECRETS, "GATEWAY_STORAGE_BACKEND": "s3"}, "storage.s3.bucket is required"),
        ({**SECRETS, "GATEWAY_STORAGE_BACKEND": "ftp"}, "storage.backend must be"),
        ({**SECRETS, "GATEWAY_MEDIA_ALLOW_NETWORKS": "[nonsense]"}, "not a CIDR network"),
        ({**SECRETS, "GATEWAY_API_MAX_BODY_BYTES": "0"}, "must be positive"),
        (
            {**SECRETS, "GATEWAY_WORKERS_TASK_RETRIES": "-1"},
            "workers.task_retries (GATEWAY_WORKERS_TASK_RETRIES) must not",
        ),
        (
            {**SECRETS, "GATEWAY_WEBHOOKS_TIMEOUT_S": "0"},
            "webhooks.timeout_s (GATEWAY_WEBHOOKS_TIMEOUT_S) must be posi",
        ),
        ({**SECRETS, "GATEWAY_REDIS_URLL": "redis://x"}, "GATEWAY_REDIS_URLL: no such setting"),
        ({**SECRETS, "GATEWAY_PROVIDERS_ACME_KEY": "x"}, "GATEWAY_PROVIDERS_ACME_KEY: no such setting"),
        ({**SECRETS, "GATEWAY_API_MAX_QUEUE_LENGTH": "[1, 2"}, "GATEWAY_API_MAX_QUEUE_LENGTH is not a YAML value"),
    ],
)
def test_bad_configuration_is_reported(environ, message):
    with pytest.raises(ConfigError, match="invalid configuration") as err:
        load_config(environ=environ)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("redis:\n  urll: redis://x\n", "redis.urll: no such setting"),
        ("storage:\n  backend: local\nstorgae: {}\n", "storgae: no such setting"),
        ("secret_key: in-a-file-0123456789\n", "secrets are read only from the environment"),
        ("providers:\n  3play:\n    api_key: k\n", "GATEWAY_PROVIDERS_3PLAY_API_KEY"),
        ("providers:\n  tencent:\n    sign_key: k\n", "providers.tencent.sign_key: secrets are read only"),
        ("- a list\n", "not a mapping of settings"),
        ("redis: [unclosed\n", "GATEWAY_CONFIG="),
    ],
)
def test_bad_config_file_is_reported(tmp_path, text, message):
    path = tmp_path / "site.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="invalid configuration") as err:
        load_config(environ={**SECRETS, "GATEWAY_CONFIG": str(path)})
    assert message in str(err.value)


def test_s3_addressing_style_from_the_environment():
    config = load_config(environ={**SECRETS, "GATEWAY_STORAGE_S3_ADDRESSING_STYLE": "path"})
    assert config["storage"]["s3"]["addressing_style"] == "path"
