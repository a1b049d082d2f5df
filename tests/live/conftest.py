"""Live-mode tests start real processes with the helpers in live/scripts/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "live" / "scripts"))
