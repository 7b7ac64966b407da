"""Put a dead worker's unacknowledged tasks back on the queue, once a second, as a live worker does.

Each Celery worker on Redis sweeps the broker's "unacked" set and requeues every message it
delivered more than the visibility timeout ago and that nobody acknowledged (kombu's
``QoS.restore_visible``). Kombu 5.7 runs that sweep every ``unacked_restore_interval`` ×
``unacked_restore_throttle`` seconds, which the settings set to 1 × 1. The kombu pinned in
pyproject.toml (5.5) ignores those two options and sweeps every 100 s, longer than the whole
cluster test; with it, this process runs the same kombu call once a second from the web host.
With a kombu that honours the options it exits at once and the workers' own sweep is tested.

Usage: ``python cluster/sweep.py BROKER_URL VISIBILITY_TIMEOUT`` (runs until killed).
"""

from __future__ import annotations

import sys
import time

from kombu import Connection
from kombu.transport import redis as kombu_redis


def main() -> None:
    url, timeout = sys.argv[1], int(sys.argv[2])
    if "unacked_restore_interval" in kombu_redis.Channel.from_transport_options:
        print("sweep: the workers sweep themselves (kombu honours unacked_restore_interval)", flush=True)
        return
    print("sweep: kombu sweeps every 100 s; requeueing expired unacked tasks every second", flush=True)
    with Connection(url, transport_options={"visibility_timeout": timeout}) as connection:
        channel = connection.default_channel
        while True:
            # interval=1: scan on every call (a worker's own call skips 9 of 10).
            channel.qos.restore_visible(num=100, interval=1)  # type: ignore[attr-defined]
            time.sleep(1)


if __name__ == "__main__":
    main()
