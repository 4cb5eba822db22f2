"""Measured quality: tagwire's stages against human-labelled data (``tagwire eval``)."""
