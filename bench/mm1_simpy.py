"""M/M/1 FCFS queue in SimPy 2.3: the peer of bare_mm1 and `fluxosim queue`.

Poisson arrivals with mean interarrival 1 ms, exponential service with mean
0.9 ms, one server (utilization 0.9). Simulation time is in milliseconds.
Each customer is a Process that requests the server, holds for its service
time and releases it; a source Process creates the customers.

Usage: python3 mm1_simpy.py CUSTOMERS SEED
Prints one line in the same format as bare_mm1:
    customers=N events=E wall_s=W events_per_s=R mean_response_ms=M
E counts arrivals + departures (2 per customer), so events/s is comparable
with the other implementations. wall_s covers simulate() only.

Needs the SimPy 2 API (Debian's python3-simpy, run with /usr/bin/python3).
"""

import random
import sys
import time

from SimPy.Simulation import (Process, Resource, activate, hold, initialize,
                              now, release, request, simulate)

MEAN_INTERARRIVAL_MS = 1.0
MEAN_SERVICE_MS = 0.9


class Totals(object):
    def __init__(self):
        self.done = 0
        self.sum_response = 0.0


class Customer(Process):
    def serve(self, server, totals):
        arrived = now()
        yield request, self, server
        yield hold, self, random.expovariate(1.0 / MEAN_SERVICE_MS)
        yield release, self, server
        totals.done += 1
        totals.sum_response += now() - arrived


class Source(Process):
    def generate(self, count, server, totals):
        for _ in range(count):
            yield hold, self, random.expovariate(1.0 / MEAN_INTERARRIVAL_MS)
            c = Customer()
            activate(c, c.serve(server, totals))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: mm1_simpy.py CUSTOMERS SEED\n")
        return 2
    try:
        customers = int(argv[1])
        seed = int(argv[2])
    except ValueError:
        sys.stderr.write("mm1_simpy.py: CUSTOMERS and SEED must be integers\n")
        return 2
    if customers < 1:
        sys.stderr.write("mm1_simpy.py: CUSTOMERS must be >= 1\n")
        return 2

    random.seed(seed)
    initialize()
    server = Resource(capacity=1, name="server")
    totals = Totals()
    src = Source()
    activate(src, src.generate(customers, server, totals))

    t0 = time.monotonic()
    simulate(until=float("inf"))  # ends when the event list runs dry
    wall = time.monotonic() - t0

    if totals.done != customers:
        sys.stderr.write("mm1_simpy.py: only %d of %d customers departed\n"
                         % (totals.done, customers))
        return 1
    events = 2 * totals.done
    rate = events / wall if wall > 0 else 0.0
    print("customers=%d events=%d wall_s=%.6f events_per_s=%.6g "
          "mean_response_ms=%.6f"
          % (totals.done, events, wall, rate, totals.sum_response / totals.done))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
