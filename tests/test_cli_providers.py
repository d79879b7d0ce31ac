"""``caption-gateway providers``: every installed provider, who supplied it, enabled or why not, its params;
the same as ``GET /providers``. Plugins that fail (tests/broken_provider) are listed and the others work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from gateway import create_app
from gateway.cli import main
from gateway.config import load_config

API_KEY = "cli-test-key-0123456789"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The environment of a gateway whose configuration lists ``providers`` (written to a file)."""

    def configure(providers: dict, **env: str) -> None:
        (tmp_path / "config.yaml").write_text(yaml.safe_dump({"providers": providers}))
        for name in [n for n in os.environ if n.startswith("GATEWAY_PROVIDERS_")]:  # the session's, for one
            monkeypatch.delenv(name)
        settings = {
            "GATEWAY_CONFIG": str(tmp_path / "config.yaml"),
            "GATEWAY_API_KEYS": API_KEY,
            "GATEWAY_SECRET_KEY": "cli-test-secret-0123456789",
            "GATEWAY_STORAGE_LOCAL_ROOT": str(tmp_path / "storage"),
            **env,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)

    return configure


def blocks(output: str) -> dict[str, str]:
    """The printed listing as ``{id: its block of lines}``."""
    found: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        if not line.startswith(" "):
            current = line.split(":", 1)[0]
            found[current] = ""
        if current is not None:
            found[current] += line + "\n"
    return found


def test_lists_each_provider_with_its_distribution_state_reason_and_params(configured, capsys):
    configured({"demo": {"base_url": "http://127.0.0.1:9"}})
    assert main(["providers"]) == 0
    listing = blocks(capsys.readouterr().out)
    assert listing["demo"] == (
        "demo: enabled (caption-gateway-demo 0.1.0)\n    params: priority (string), use_callback (boolean)\n"
    )
    # the plugins that fail are listed with why, and every other provider still works
    assert "disabled (caption-gateway-broken 0.1.0)" in listing["broken-import"]
    assert "reason: cannot import" in listing["broken-import"]
    assert "reason: missing optional dependency" in listing["needs-extra"]
    assert "reason: missing methods" in listing["incomplete"]
    assert "also registered by caption-gateway-broken: ignored" in listing["upload"]
    for provider in ("upload", "whisper"):
        assert listing[provider].startswith(f"{provider}: enabled (caption-gateway 0.1.0)")


def test_an_external_plugin_says_which_setting_is_missing_and_where_to_set_it(configured, capsys):
    pytest.importorskip("caption_gateway_openai", reason="pip install -e examples/caption-gateway-openai")
    configured({})
    assert main(["providers"]) == 0
    openai = blocks(capsys.readouterr().out)["openai"]
    assert openai.startswith("openai: enabled (caption-gateway-openai 0.1.0)")
    assert "not configured: missing setting api_key (GATEWAY_PROVIDERS_OPENAI_API_KEY)" in openai
    assert "not under providers: in the configuration" in openai and "(openai: {})" in openai
    assert "params: model (string), vocabulary (array)" in openai

    configured({"openai": {"model": "whisper-1"}}, GATEWAY_PROVIDERS_OPENAI_API_KEY="sk-cli-test")
    assert main(["providers"]) == 0
    printed = capsys.readouterr().out
    assert "not configured" not in blocks(printed)["openai"] and "sk-cli-test" not in printed


def test_json_is_what_get_providers_answers(configured, capsys):
    configured({"demo": {}})
    assert main(["providers", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    answered = create_app(load_config()).test_client().get("/providers", headers={"X-Api-Key": API_KEY})
    assert answered.status_code == 200
    assert printed == answered.get_json()
    demo = next(p for p in printed if p["id"] == "demo")
    assert demo["configured"] is True and demo["distribution"] == "caption-gateway-demo 0.1.0"
    assert set(demo["params_schema"]["properties"]) == {"priority", "use_callback"}
