"""Phone numbers: anything an advisor might type → E.164 (phonenumbers, default region GB), or withheld."""

from __future__ import annotations

import phonenumbers

from caseapp.errors import ValidationError

DEFAULT_REGION = "GB"
#: what an advisor types (or a telephony system sends) for a number that was not presented
WITHHELD = frozenset(
    {"", "withheld", "private", "unknown", "anonymous", "number withheld", "no caller id", "restricted"}
)
INVALID_MESSAGE = "This is not a valid phone number. Check the digits, or leave it empty if the number was withheld."


def is_withheld(raw: str | None) -> bool:
    return raw is None or raw.strip().lower() in WITHHELD


def normalise_phone(raw: str | None, field: str = "phone") -> str | None:
    """E.164 for a valid number, None for a withheld one; ValidationError otherwise.

    `07811 606 606`, `+44 7811 606606`, `447811606606` and `0044 7811 606606` all give `+447811606606`.
    """
    if is_withheld(raw):
        return None
    assert raw is not None  # noqa: S101 - narrowed by is_withheld
    text = raw.strip()
    candidates = [text]
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith(("+", "0")) and len(digits) > 10:
        candidates.append("+" + digits)  # an international number typed without its +
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValidationError(INVALID_MESSAGE, fields={field: [INVALID_MESSAGE]})


def try_normalise(raw: str | None) -> str | None:
    """For search: E.164 when the text is a valid number, else None (never raises)."""
    try:
        return normalise_phone(raw)
    except ValidationError:
        return None


def display(e164: str | None) -> str:
    """How a stored number is shown to advisors: national format for UK numbers, international otherwise."""
    if not e164:
        return "Withheld"
    number = phonenumbers.parse(e164)
    # +44 covers the Crown Dependencies too (07911 12… is Guernsey): all are dialled the UK way
    uk = number.country_code == phonenumbers.country_code_for_region(DEFAULT_REGION)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if uk else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)


#: fewer national digits than this may be a number still being typed (UK numbers have ten, a few have nine)
_DIGITS_WHEN_COMPLETE = 10


def typing_state(raw: str | None) -> str:
    """What the repeat-caller banner says of a number as typed so far: `withheld`, `valid`, `incomplete` (it may yet
    become a number) or `invalid` (more digits cannot help, or letters that spell no "withheld")."""
    if is_withheld(raw):
        return "withheld"
    text = (raw or "").strip()
    if try_normalise(text) is not None:
        return "valid"
    if any(ch.isalpha() for ch in text):
        return "incomplete" if any(word.startswith(text.lower()) for word in WITHHELD if word) else "invalid"
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return "incomplete" if len(text) < 3 else "invalid"
    reason = phonenumbers.is_possible_number_with_reason(number)
    too_long = reason in (phonenumbers.ValidationResult.TOO_LONG, phonenumbers.ValidationResult.INVALID_COUNTRY_CODE)
    national = phonenumbers.national_significant_number(number)
    return "invalid" if too_long or len(national) >= _DIGITS_WHEN_COMPLETE else "incomplete"
