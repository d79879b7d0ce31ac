"""Flask extensions, unbound until ``create_app`` calls ``init_app``."""

from flask_smorest import Api

from gateway.openapi import GatewayErrorSchema


class GatewayApi(Api):
    """flask-smorest's Api, documenting the error body the gateway sends (with NYT's ``error``)."""

    ERROR_SCHEMA = GatewayErrorSchema


api = GatewayApi()
