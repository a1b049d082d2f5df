"""The Azure trace samples that scenarios/azure-sample.yaml replays are exactly what
scenarios/data/make-azure-sample.py writes by the rule its docstring states."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

DATA = REPO / "scenarios" / "data"
FILES = ("azure2019-invocations.csv", "azure2019-durations.csv", "azure2021-invocations.csv")


def test_the_generator_writes_the_committed_samples(tmp_path):
    subprocess.run([sys.executable, str(DATA / "make-azure-sample.py"), str(tmp_path)], check=True, timeout=60)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_the_2019_sample_follows_the_stated_rule():
    rows = (DATA / "azure2019-invocations.csv").read_text().splitlines()
    assert rows[0].split(",")[:5] == ["HashOwner", "HashApp", "HashFunction", "Trigger", "1"]
    assert rows[0].split(",")[-1] == "60"
    counts = [int(c) for c in rows[1 + 5].split(",")[4:]]  # function 5: http, (20 + 25) * (60 + m) // 60
    assert counts == [45 * (60 + m) // 60 for m in range(60)]
