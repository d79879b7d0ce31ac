"""Flask extensions, unbound until ``create_app`` calls ``init_app``."""

from flask_smorest import Api

api = Api()
