"""Training a learning policy (``sarsa``, ``q_learning``) in the simulator, as ``fogsched train`` does."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from . import _core
from ._results import PolicyLike, policy_spec
from ._scenario import ScenarioLike, as_scenario

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class TrainingResult:
    """What :func:`train` produced: the model file, the learning curve and the spec that replays it."""

    def __init__(self, model_path: Path, trained_policy: str, curve: pd.DataFrame, updates: int) -> None:
        self._model_path = model_path
        self._trained_policy = trained_policy
        self._curve = curve
        self._updates = updates

    @property
    def model_path(self) -> Path:
        """The model file (absolute): the model after the last episode."""
        return self._model_path

    @property
    def trained_policy(self) -> str:
        """The canonical spec of the policy as it was trained (every parameter, ``learn=true``)."""
        return self._trained_policy

    @property
    def curve(self) -> pd.DataFrame:
        """The learning curve, one row per episode, with the columns of ``fogsched train --curve``:
        ``episode``, ``seed``, ``invocations``, ``rejection_probability``, ``deadline_miss_rate``,
        ``forwarded_fraction``, ``probes_per_invocation``, ``reward_per_invocation``, ``updates``
        and ``wall_seconds``."""
        return self._curve

    @property
    def updates(self) -> int:
        """Table updates over all cameras and episodes."""
        return self._updates

    def policy(self, learn: bool = False) -> str:
        """The spec that runs the trained model: the trained parameters with ``model=`` this
        file and ``learn=false`` (greedy replay, for :func:`fogsched.run`) or, with
        ``learn=True``, exploring and learning on from it."""
        name, params = _core.split_policy_spec(self._trained_policy)
        values = {key: value for key, value in params}
        values["model"] = os.fspath(self._model_path)
        values["learn"] = learn
        return policy_spec({"name": name, **values})

    def __repr__(self) -> str:
        return (f"TrainingResult(model_path={os.fspath(self._model_path)!r}, episodes={len(self._curve)}, "
                f"policy={self._trained_policy!r})")


def train(scenario: ScenarioLike, policy: PolicyLike, episodes: int = 20, *,
          out: Union[str, os.PathLike[str]], replications: Optional[int] = None, seed: Optional[int] = None,
          duration: Optional[str] = None, threads: Optional[int] = None) -> TrainingResult:
    """Trains a learning policy in the simulator, like ``fogsched train``.

    Each of the ``episodes`` runs the scenario's duration as ``replications``
    replications (default: the scenario's), every one starting from the model so far;
    their tables are merged and the model file ``out`` is rewritten after every
    episode, so it always holds the model after the last finished one. The episodes'
    seeds are a stream apart from those :func:`run` evaluates on. ``scenario`` is a
    :class:`Scenario` (with its overrides, :meth:`Scenario.set`), a file path or a
    dict; ``seed`` and ``duration`` override the scenario's as in :func:`run`.
    ``threads`` (default: every core) does not change the results: one seed gives
    the same model file byte for byte. Training from ``model=FILE`` continues it.

    Returns a :class:`TrainingResult`: ``.model_path``, ``.curve`` (a DataFrame, one
    row per episode) and ``.policy()``, the spec replaying the model.

    The GIL is released while training; Ctrl-C stops it within a fraction of a
    second with ``KeyboardInterrupt`` (the model file holds the last finished
    episode). Raises :class:`fogsched.ScenarioError` and
    :class:`fogsched.PolicyError` with the CLI's messages (a policy that does not
    learn, or ``learn=false``, is a PolicyError); ValueError for a bad setting
    (``episodes`` below 1, a wrong ``duration``); RuntimeError when the model file
    cannot be written.
    """
    import pandas as pd

    model_path = Path(out).absolute()
    output = _core.train(as_scenario(scenario).document, policy_spec(policy), episodes, os.fspath(model_path),
                         replications=replications, seed=seed, threads=0 if threads is None else threads,
                         duration=duration)
    curve = pd.read_csv(io.StringIO(output["curve_csv"]))
    return TrainingResult(model_path, output["policy"], curve, output["updates"])


def plot_learning_curve(curve: pd.DataFrame, ax: Optional[Axes] = None) -> Figure:
    """The rejection probability and the reward per invocation of each episode (a
    :attr:`TrainingResult.curve`); see :func:`fogsched.plot.learning_curve`."""
    from .plot import learning_curve

    return learning_curve(curve, ax=ax)
