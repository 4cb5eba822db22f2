"""WebSub (W3C Recommendation): find the hub a feed advertises, subscribe through the
guarded fetcher, answer the hub's verification at the callback, and hand each signed push
to the pipeline as if it had been polled. Polling goes on, only less often."""
