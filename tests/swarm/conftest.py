"""The swarm checks call the nodes with the live tests' helpers in live/scripts/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "live" / "scripts"))
