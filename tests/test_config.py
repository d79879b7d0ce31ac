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
    path.write_text("storage:\n  backend: s3\n  s3:\n    bucket: newsroom-captions\nproviders:\n  acme:\n    key: x\n")
    config = load_config(environ={**SECRETS, "GATEWAY_CONFIG": str(path), "GATEWAY_PROVIDERS_ACME_KEY": "from-env"})
    assert config["storage"]["s3"]["bucket"] == "newsroom-captions"
    assert config["providers"]["acme"]["key"] == "from-env"


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
    ],
)
def test_bad_configuration_is_reported(environ, message):
    with pytest.raises(ConfigError, match="invalid configuration") as err:
        load_config(environ=environ)
    assert message in str(err.value)
