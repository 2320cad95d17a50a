"""Parameter optimisation: search spaces, objectives, walk-forward windows and run records."""

from crypto_trader.strategy.domain.optimisation.evaluation import (
    OutOfSample,
    Trial,
    TrialTask,
    backtest_out_of_sample,
    out_of_sample_metrics,
    run_trial,
    stitch,
    valid_params,
)
from crypto_trader.strategy.domain.optimisation.objective import OBJECTIVES, check_objective, score
from crypto_trader.strategy.domain.optimisation.run import (
    METHODS,
    OptimisationRun,
    WindowResult,
    best_trial,
    rank_trials,
)
from crypto_trader.strategy.domain.optimisation.search_space import (
    DEFAULT_GRID_CAP,
    Dimension,
    ParameterValue,
    SearchSpace,
    build_search_space,
    parse_dimension,
)
from crypto_trader.strategy.domain.optimisation.walk_forward import (
    WalkForwardConfig,
    Window,
    walk_forward_windows,
)

__all__ = [
    "DEFAULT_GRID_CAP",
    "METHODS",
    "OBJECTIVES",
    "Dimension",
    "OptimisationRun",
    "OutOfSample",
    "ParameterValue",
    "SearchSpace",
    "Trial",
    "TrialTask",
    "WalkForwardConfig",
    "Window",
    "WindowResult",
    "backtest_out_of_sample",
    "best_trial",
    "build_search_space",
    "check_objective",
    "out_of_sample_metrics",
    "parse_dimension",
    "rank_trials",
    "run_trial",
    "score",
    "stitch",
    "valid_params",
    "walk_forward_windows",
]
