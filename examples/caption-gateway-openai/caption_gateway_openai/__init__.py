"""A caption gateway provider for any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint.

Installed next to the gateway, it registers the ``openai`` provider in the
``caption_gateway.providers`` entry-point group (see ``pyproject.toml``); the gateway finds it
with no change to its own code. See :mod:`caption_gateway_openai.provider` for the settings.
"""

from caption_gateway_openai.provider import OpenAIParams, OpenAIProvider

__all__ = ["OpenAIParams", "OpenAIProvider"]
