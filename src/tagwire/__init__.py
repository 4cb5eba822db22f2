"""tagwire: follow the news as hashtags."""

__version__ = "0.1.0"
