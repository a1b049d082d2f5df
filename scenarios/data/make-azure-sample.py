#!/usr/bin/env python3
"""Writes small files in the formats of the public Azure Functions traces, for
scenarios/azure-sample.yaml and the tests (no copy of the real traces ships).

    scenarios/data/make-azure-sample.py [OUTDIR]     # default: this script's folder

Everything follows from the rules below (no clock, no system randomness: a seeded
generator whose random() is the same on every Python 3), so running it again writes
the same bytes.

azure2019-invocations.csv, azure2019-durations.csv (AzureFunctionsDataset2019 layout,
a sample that stops at minute 60): 16 functions k = 0..15; function k belongs to app
k // 2 of owner (k // 2) % 4; hashes are SHA-256 of "owner-O", "app-A", "function-K".
Invocations in minute m = 0..59, by k % 4:
  0 (timer):   6
  1 (http):    (20 + 5k) * (60 + m) // 60        (a morning ramp)
  2 (queue):   80 when (m // 5) % 4 == k % 3, else 2   (bursts of five minutes)
  3 (event):   1 when m % (k + 1) == 0, else 0
Duration percentiles (ms) of function k, with s = 300 + 150 * (k % 5):
  p0, p1, p25, p50, p75, p99, p100 = 0.2s, 0.3s, 0.6s, s, 1.5s, 3s, 4s;
  Average = the mean of that piecewise-linear distribution (rounded), Count = the
  day's invocations, Minimum = p0, Maximum = p100.

azure2021-invocations.csv (AzureFunctionsInvocationTrace2021 layout): 10 functions
j = 0..9 of 6 apps (app j % 6), over 600 s. Function j's starts are a Poisson stream
of rate (j + 1) / 30 per second from a generator seeded 2021 + j (gaps -ln(1 - u) / rate);
each invocation lasts base * (0.25 + 1.5 u^2) s with base = 0.2 + 0.1 * (j % 4) and u
the next draw. end_timestamp = start + duration; times with 3 decimals; rows sorted by
end_timestamp (then app, then func), as the published trace is.
"""
import hashlib
import math
import random
import sys
from pathlib import Path

MINUTES = 60
LEVELS = [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def minute_count(k: int, m: int) -> int:
    kind = k % 4
    if kind == 0:
        return 6
    if kind == 1:
        return (20 + 5 * k) * (60 + m) // 60
    if kind == 2:
        return 80 if (m // 5) % 4 == k % 3 else 2
    return 1 if m % (k + 1) == 0 else 0


def percentiles_ms(k: int) -> list[int]:
    s = 300 + 150 * (k % 5)
    return [round(s * f) for f in (0.2, 0.3, 0.6, 1.0, 1.5, 3.0, 4.0)]


def piecewise_linear_mean(values: list[int]) -> float:
    return sum((LEVELS[i + 1] - LEVELS[i]) * (values[i] + values[i + 1]) / 2 for i in range(len(values) - 1))


def write_2019(out: Path) -> None:
    minutes = ",".join(str(m) for m in range(1, MINUTES + 1))
    invocations = [f"HashOwner,HashApp,HashFunction,Trigger,{minutes}"]
    durations = ["HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
                 "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
                 "percentile_Average_99,percentile_Average_100"]
    triggers = ["timer", "http", "queue", "event"]
    for k in range(16):
        app = k // 2
        ids = [sha(f"owner-{app % 4}"), sha(f"app-{app}"), sha(f"function-{k}")]
        counts = [minute_count(k, m) for m in range(MINUTES)]
        invocations.append(",".join(ids + [triggers[k % 4]] + [str(c) for c in counts]))
        p = percentiles_ms(k)
        average = round(piecewise_linear_mean(p))
        durations.append(",".join(ids + [str(average), str(sum(counts)), str(p[0]), str(p[-1])] + [str(v) for v in p]))
    (out / "azure2019-invocations.csv").write_text("\n".join(invocations) + "\n")
    (out / "azure2019-durations.csv").write_text("\n".join(durations) + "\n")


def write_2021(out: Path) -> None:
    rows = []
    for j in range(10):
        rng = random.Random(2021 + j)
        rate = (j + 1) / 30
        base = 0.2 + 0.1 * (j % 4)
        app, func = sha(f"app2021-{j % 6}"), sha(f"function2021-{j}")
        start = 0.0
        while True:
            start += -math.log(1.0 - rng.random()) / rate
            if start >= 600:
                break
            u = rng.random()
            duration = round(base * (0.25 + 1.5 * u * u), 3)
            end = round(round(start, 3) + duration, 3)
            rows.append((end, app, func, duration))
    rows.sort()
    lines = ["app,func,end_timestamp,duration"] + [f"{a},{f},{e:.3f},{d:.3f}" for e, a, f, d in rows]
    (out / "azure2021-invocations.csv").write_text("\n".join(lines) + "\n")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    write_2019(out)
    write_2021(out)


if __name__ == "__main__":
    main()
