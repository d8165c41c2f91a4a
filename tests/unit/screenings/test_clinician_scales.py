"""The clinician-observed withdrawal scales' ranges and band edges, by the cut-offs cited in clinician.py: COWS
(Wesson & Ling 2003) and CIWA-Ar (Sullivan et al. 1989, the <=9 / 10-15 / >=16 convention)."""

from __future__ import annotations

import pytest

from caseapp.screenings.clinician import CIWA_AR, COWS, Scale


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "none"),
        (4, "none"),
        (5, "mild"),
        (12, "mild"),
        (13, "moderate"),
        (24, "moderate"),
        (25, "moderately_severe"),
        (36, "moderately_severe"),
        (37, "severe"),
        (48, "severe"),
    ],
)
def test_cows_band_edges(score: int, band: str) -> None:
    assert COWS.band_for(score).code == band


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "minimal"), (9, "minimal"), (10, "mild_moderate"), (15, "mild_moderate"), (16, "severe"), (67, "severe")],
)
def test_ciwa_ar_band_edges(score: int, band: str) -> None:
    assert CIWA_AR.band_for(score).code == band


@pytest.mark.parametrize(("scale", "top"), [(COWS, 48), (CIWA_AR, 67)])
def test_each_scale_covers_its_range_once_and_nothing_outside(scale: Scale, top: int) -> None:
    assert scale.max_score == top
    covered = [s for band in scale.bands for s in range(band.low, band.high + 1)]
    assert covered == list(range(top + 1))
    for outside in (-1, top + 1):
        with pytest.raises(ValueError, match="out of range"):
            scale.band_for(outside)
