"""Webhook alerts: a tag or a saved search whose new stories are POSTed, signed, to a URL.

``subscribe`` checks what an alert is made of; ``store.alerts`` finds each alert's new
stories and keeps the deliveries (one per alert and story); ``payload`` makes the signed
JSON body; ``deliver`` POSTs what is due through the guarded ``Fetcher`` and schedules
retries with backoff. docs/alerts.md tells receivers how to check the signature.
"""
