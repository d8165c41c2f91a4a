"""Clinician-observed withdrawal scales: scored by a clinician, not asked by advisors; the helpline records the
total a clinician reports, and the band it falls in by the scale's published cut-offs.

- COWS, the Clinical Opiate Withdrawal Scale (Wesson & Ling 2003, J Psychoactive Drugs 35(2):253-259): 11 items,
  total 0-48; 5-12 mild, 13-24 moderate, 25-36 moderately severe, more than 36 severe (below 5: no active
  withdrawal).
- CIWA-Ar, the revised Clinical Institute Withdrawal Assessment for Alcohol (Sullivan et al. 1989, Br J Addict
  84(11):1353-1357): 10 items, total 0-67; the convention used here is 9 or less absent or minimal, 10-15 mild to
  moderate, 16 or more severe.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseapp.reference import Labelled
from caseapp.screenings.instruments import Band


class ClinicianScale(Labelled):
    COWS = "cows", "COWS (opiate withdrawal)"
    CIWA_AR = "ciwa_ar", "CIWA-Ar (alcohol withdrawal)"


@dataclass(frozen=True)
class Scale:
    code: ClinicianScale
    short: str
    name: str
    source: str
    bands: tuple[Band, ...]

    @property
    def max_score(self) -> int:
        return self.bands[-1].high

    def band_for(self, score: int) -> Band:
        """The band of a total within 0..max_score (ValueError otherwise)."""
        for band in self.bands:
            if band.low <= score <= band.high:
                return band
        raise ValueError(f"{self.code.value} score {score} is out of range")


COWS = Scale(
    ClinicianScale.COWS,
    "COWS",
    "Clinical Opiate Withdrawal Scale",
    "Wesson DR, Ling W. The Clinical Opiate Withdrawal Scale (COWS). J Psychoactive Drugs 2003;35(2):253-259.",
    (
        Band("none", "No active withdrawal", 0, 4),
        Band("mild", "Mild", 5, 12),
        Band("moderate", "Moderate", 13, 24),
        Band("moderately_severe", "Moderately severe", 25, 36),
        Band("severe", "Severe", 37, 48),
    ),
)
CIWA_AR = Scale(
    ClinicianScale.CIWA_AR,
    "CIWA-Ar",
    "Clinical Institute Withdrawal Assessment for Alcohol, revised",
    "Sullivan JT, Sykora K, Schneiderman J, Naranjo CA, Sellers EM. Assessment of alcohol withdrawal: the revised "
    "Clinical Institute Withdrawal Assessment for Alcohol scale (CIWA-Ar). Br J Addict 1989;84(11):1353-1357.",
    (
        Band("minimal", "Absent or minimal", 0, 9),
        Band("mild_moderate", "Mild to moderate", 10, 15),
        Band("severe", "Severe", 16, 67),
    ),
)
SCALES: dict[ClinicianScale, Scale] = {s.code: s for s in (COWS, CIWA_AR)}
