"""Plugins that fail the gateway's checks in the usual ways.

``broken-import`` cannot be imported, ``needs-extra`` needs a package that is not installed,
``incomplete`` lacks ``check`` and ``fetch``, and ``upload`` claims an id the gateway already has.
"""

from providers.base import Provider, Submission


class NeedsExtra(Provider):
    requires = ("caption_gateway_missing_sdk",)
    install_hint = "pip install caption-gateway-broken[sdk]"
    synchronous = True

    def submit(self, job) -> Submission:
        raise RuntimeError("never called: the plugin is disabled")


class Incomplete(Provider):
    """A remote provider that forgot check and fetch."""

    def submit(self, job) -> Submission:
        raise RuntimeError("never called: the plugin is disabled")


class UploadImpostor(NeedsExtra):
    requires = ()
