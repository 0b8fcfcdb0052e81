"""The statistics of model comparison, in pure Python (no numpy or scipy in the domain).

Shadow comparisons: McNemar on hit rate, Diebold-Mariano on Brier or log-loss differentials. Split
experiments: Welch on winsorised P&L, bootstrap intervals, Mann-Whitney as a sanity check, the two-proportion
z test, the sample-ratio check. Monitoring: always-valid confidence sequences, Benjamini-Hochberg, the SPRT
guardrail. `decision.conclude` turns the evidence into promote, stop or keep collecting under a policy.
Every statistic is tested against scipy; the algorithms and their sources are in each module's docstring.
"""

from galfriday.domain.statistics.alternative import Alternative
from galfriday.domain.statistics.bootstrap import BootstrapInterval, bootstrap_mean_difference
from galfriday.domain.statistics.confidence_sequence import (
    ConfidenceSequence,
    confidence_sequence,
    confidence_sequence_difference,
    confidence_sequence_paired,
)
from galfriday.domain.statistics.decision import (
    ComparisonEvidence,
    Conclusion,
    DecisionPolicy,
    Invalid,
    KeepCollecting,
    Promote,
    Stop,
    conclude,
)
from galfriday.domain.statistics.diebold_mariano import DieboldMarianoResult, diebold_mariano
from galfriday.domain.statistics.losses import brier_losses, log_losses
from galfriday.domain.statistics.mann_whitney import MannWhitneyResult, mann_whitney_u
from galfriday.domain.statistics.mcnemar import McNemarResult, mcnemar, mcnemar_from_counts
from galfriday.domain.statistics.multiple_testing import BenjaminiHochbergResult, benjamini_hochberg
from galfriday.domain.statistics.proportions import (
    TwoProportionResult,
    two_proportion_z_test,
    two_proportion_z_test_outcomes,
)
from galfriday.domain.statistics.sample_ratio import SampleRatioResult, sample_ratio_mismatch
from galfriday.domain.statistics.sprt import SprtDecision, SprtDesign, SprtState
from galfriday.domain.statistics.welch import WelchResult, welch_t_test, winsorize

__all__ = [
    "Alternative",
    "BenjaminiHochbergResult",
    "BootstrapInterval",
    "ComparisonEvidence",
    "Conclusion",
    "ConfidenceSequence",
    "DecisionPolicy",
    "DieboldMarianoResult",
    "Invalid",
    "KeepCollecting",
    "MannWhitneyResult",
    "McNemarResult",
    "Promote",
    "SampleRatioResult",
    "SprtDecision",
    "SprtDesign",
    "SprtState",
    "Stop",
    "TwoProportionResult",
    "WelchResult",
    "benjamini_hochberg",
    "bootstrap_mean_difference",
    "brier_losses",
    "conclude",
    "confidence_sequence",
    "confidence_sequence_difference",
    "confidence_sequence_paired",
    "diebold_mariano",
    "log_losses",
    "mann_whitney_u",
    "mcnemar",
    "mcnemar_from_counts",
    "sample_ratio_mismatch",
    "two_proportion_z_test",
    "two_proportion_z_test_outcomes",
    "welch_t_test",
    "winsorize",
]
