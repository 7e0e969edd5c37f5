from blueprints.main.routes import bp  # noqa: F401
