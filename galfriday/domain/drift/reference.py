"""A model's training reference: what each feature looked like in the data it was trained on.

Kept with the model version (as a JSON document in its metadata) so drift is always measured against the
model's own training data. Per feature: the PSI decile bins and shares, and an evenly spaced sample of the
training values (order statistics; at most 1,000) for the KS test on small windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from galfriday.domain.drift.psi import PsiReference
from galfriday.domain.drift.values import finite_values
from galfriday.errors import InvalidValueError

REFERENCE_SAMPLE = 1_000


@frozen
class FeatureReference:
    name: str
    psi: PsiReference
    sample: tuple[float, ...]
    """Evenly spaced order statistics of the training values, smallest first."""


@frozen
class TrainingReference:
    features: tuple[FeatureReference, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Sequence[float]], sample_size: int = REFERENCE_SAMPLE
    ) -> TrainingReference:
        """The reference of training columns, one per feature name (in the mapping's order)."""
        if sample_size < 2:
            raise InvalidValueError("sample_size", sample_size, "at least 2")
        if not columns:
            raise InvalidValueError("columns", columns, "at least one feature column")
        features = []
        for name, values in columns.items():
            data = sorted(finite_values(name, values))
            if not data:
                raise InvalidValueError(name, data, "at least one training value")
            features.append(
                FeatureReference(name, PsiReference.from_sample(data), _spaced(data, sample_size))
            )
        return cls(tuple(features))

    def to_document(self) -> dict[str, Any]:
        """A JSON-ready document (floats and lists only)."""
        return {
            "features": [
                {
                    "name": f.name,
                    "edges": list(f.psi.edges),
                    "proportions": list(f.psi.proportions),
                    "rows": f.psi.rows,
                    "sample": list(f.sample),
                }
                for f in self.features
            ]
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> TrainingReference:
        """Read `to_document`'s output back; `InvalidValueError` names what is missing or malformed."""
        try:
            return cls(
                tuple(
                    FeatureReference(
                        str(f["name"]),
                        PsiReference(
                            tuple(float(x) for x in f["edges"]),
                            tuple(float(x) for x in f["proportions"]),
                            int(f["rows"]),
                        ),
                        tuple(float(x) for x in f["sample"]),
                    )
                    for f in document["features"]
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValueError(
                "training reference", f"{type(exc).__name__}: {exc}", "a document written by to_document()"
            ) from None


def _spaced(data: list[float], size: int) -> tuple[float, ...]:
    n = len(data)
    if n <= size:
        return tuple(data)
    return tuple(data[round(i * (n - 1) / (size - 1))] for i in range(size))
