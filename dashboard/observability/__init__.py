"""Operations' view of the app: Prometheus metrics, structured logs and request ids.

- :mod:`.metrics`: the event metrics (counters, histograms) and the multi-process folder;
  services import it to count what they do.
- :mod:`.collector`: what is read from the database at scrape time.
- :mod:`.exposition`: the scrape's text, and the loopback metrics port.
- :mod:`.web`: the Flask hooks (request ids, request metrics, ``/metrics`` and who may read it).
- :mod:`.logs`: JSON or console log lines, with a redaction net.
- :mod:`.request_id`: the request and job ids log lines carry.

Nothing is imported here: services import :mod:`.metrics` alone, without Flask.
"""
