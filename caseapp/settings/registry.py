"""Every service setting: its type, default, allowed range and what the admin page says of it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntegerSetting:
    name: str
    label: str
    hint: str
    default: int
    minimum: int
    maximum: int
    unit: str

    def problem(self, value: object) -> str | None:
        """Why `value` cannot be this setting's value, or None."""
        if isinstance(value, bool) or not isinstance(value, int):
            return f"Give a whole number of {self.unit}."
        if not self.minimum <= value <= self.maximum:
            return f"Give a number of {self.unit} from {self.minimum} to {self.maximum}."
        return None


FLAG_MAX_DAYS = IntegerSetting(
    name="flag_max_days",
    label="Longest a caller flag may last",
    hint="Flags already raised keep their expiry when this changes.",
    default=90,
    minimum=1,
    maximum=365,
    unit="days",
)

#: name → setting, in the order the admin page shows them
SETTINGS: dict[str, IntegerSetting] = {setting.name: setting for setting in (FLAG_MAX_DAYS,)}
