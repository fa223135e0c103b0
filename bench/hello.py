"""The benchmark's yardstick: Flask's hello world, served by gunicorn with the app's own settings, so
that the app's throughput reads as a share of what this machine, Python, Flask and gunicorn can do."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
