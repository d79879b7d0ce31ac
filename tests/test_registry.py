"""Plugin discovery and validation: broken plugins are listed as disabled, never fatal."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import marshmallow as ma

from providers.base import Provider, Submission
from providers.registry import ENTRY_POINT_GROUP, discover, load_entry, validate_class


class Complete(Provider):
    """A remote provider with everything it needs."""

    def submit(self, job):
        return Submission({}, None)

    def check(self, job):
        return None

    def fetch(self, job):
        return None


class NoFetch(Provider):
    def submit(self, job):
        return Submission({}, None)

    def check(self, job):
        return None


class BadSchema(Complete):
    params_schema = dict


class BadQueue(Complete):
    queue = "gpu"


class NeedsMissingDependency(Complete):
    requires = ("surely_not_installed_module_xyz",)
    install_hint = "pip install caption-gateway-xyz"


class NotAProvider:
    pass


def ep(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, f"tests.test_registry:{target}", ENTRY_POINT_GROUP)


def test_a_complete_plugin_loads_with_its_id():
    entry = load_entry(ep("complete", "Complete"))
    assert entry.enabled and entry.cls.id == "complete"
    assert Complete.id == ""  # the plugin's own class is left alone


def test_validation_reasons():
    assert "missing methods: fetch" in validate_class("x", NoFetch)
    assert "marshmallow" in validate_class("x", BadSchema)
    assert "queue" in validate_class("x", BadQueue)
    assert "not name a subclass" in validate_class("x", NotAProvider)
    reason = validate_class("x", NeedsMissingDependency)
    assert "surely_not_installed_module_xyz" in reason and "pip install caption-gateway-xyz" in reason


def test_import_errors_become_disabled_entries():
    entry = load_entry(EntryPoint("ghost", "no_such_module_abc:Provider", ENTRY_POINT_GROUP))
    assert not entry.enabled and "cannot import" in entry.disabled_reason
    assert entry.describe()["enabled"] is False


def test_installed_plugins_are_found_through_entry_points():
    entries = {e.id: e for e in discover()}
    assert entries["demo"].enabled and entries["demo"].distribution.startswith("caption-gateway-demo")
    assert entries["upload"].enabled
    assert entries["whisper"].cls is not None or "faster_whisper" in entries["whisper"].disabled_reason


def test_synchronous_providers_need_only_submit():
    class Local(Provider):
        synchronous = True
        params_schema = ma.Schema

        def submit(self, job):
            return Submission({}, None)

    assert validate_class("local", Local) is None


def test_two_plugins_claiming_one_id_are_both_disabled(monkeypatch):
    import providers.registry as registry

    class FakeDist:
        def __init__(self, name):
            self.name, self.version = name, "1.0"

    def fake_entry_points(group):
        first = EntryPoint("twin", "tests.test_registry:Complete", group)
        second = EntryPoint("twin", "tests.test_registry:NoFetch", group)
        object.__setattr__(first, "dist", FakeDist("plugin-a"))
        object.__setattr__(second, "dist", FakeDist("plugin-b"))
        return [first, second]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    (entry,) = registry.discover()
    assert not entry.enabled and "registered more than once (plugin-a, plugin-b)" in entry.disabled_reason


def test_a_provider_that_refuses_its_settings_is_disabled_with_the_reason():
    from providers.registry import load_registry

    registry = load_registry({"tencent": {"event_mode": "sometimes"}})
    entry = registry.entries["tencent"]
    assert not entry.enabled
    assert "cannot be set up with its settings" in entry.disabled_reason and "sometimes" in entry.disabled_reason
    assert registry.get_class("upload") is not None  # the others still work
