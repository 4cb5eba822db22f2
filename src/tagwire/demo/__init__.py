"""The bundled sample: fictional outlets' feeds and pages, served on 127.0.0.1 for the demo."""
