"""The Appointee Portal: a Flask application factory and its blueprints."""
