"""A plugin module that fails while importing, as one with a missing dependency does."""

import caption_gateway_sdk_that_does_not_exist  # noqa: F401
