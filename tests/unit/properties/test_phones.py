"""Properties of phone normalisation: every way an advisor types a valid number gives one E.164, what advisors are
shown reads back as the same number, withheld spellings are None, and no text makes it fail with anything but a
ValidationError (a 422, never a 500)."""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import example, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from caseapp.callers.phones import WITHHELD, display, normalise_phone
from caseapp.errors import ValidationError
from tests.hypothesis_profiles import examples

UK_REGIONS = ("GB", "GG", "JE", "IM")  # +44: the UK and the Crown Dependencies
ABROAD = ("IE", "FR", "DE", "ES", "IT", "PL", "NL", "PT", "RO", "US", "CA", "IN", "PK", "NG", "ZA", "AU", "BR", "JP")
TYPES = (
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.UAN,
)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
#: decimal digits of other scripts (Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, fullwidth)
DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0xFF10)


def _seeds(regions: tuple[str, ...]) -> list[phonenumbers.PhoneNumber]:
    found = (phonenumbers.example_number_for_type(region, kind) for region in regions for kind in TYPES)
    return [number for number in found if number is not None]


@st.composite
def valid_numbers(draw: st.DrawFn, regions: tuple[str, ...]) -> phonenumbers.PhoneNumber:
    """A valid number of one of the regions: an example number with its last digits redrawn."""
    seed = draw(st.sampled_from(_seeds(regions)))
    nsn = phonenumbers.national_significant_number(seed)
    tail = draw(st.integers(min_value=1, max_value=min(4, len(nsn) - 2)))
    redrawn = nsn[:-tail] + draw(st.text("0123456789", min_size=tail, max_size=tail))
    number = phonenumbers.parse(f"+{seed.country_code}{redrawn}")
    if not phonenumbers.is_valid_number(number):
        return seed  # most redrawn tails are valid; this keeps the strategy from filtering
    return number


uk_numbers = valid_numbers(UK_REGIONS)
numbers_abroad = valid_numbers(ABROAD)


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@st.composite
def spaced(draw: st.DrawFn, digits: str) -> str:
    """The digits in groups, as people write them: spaces, dashes, dots, none, or the first group in brackets."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(digits) - 1), max_size=4)))
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    if draw(st.booleans()) and len(groups) > 1:
        groups[0] = f"({groups[0]})"
    text = groups[0]
    for group in groups[1:]:
        text += draw(st.sampled_from([" ", "-", ".", "  ", " - ", ""])) + group
    return text


@st.composite
def uk_spellings(draw: st.DrawFn, number: phonenumbers.PhoneNumber) -> str:
    nsn = phonenumbers.national_significant_number(number)
    prefix = draw(st.sampled_from(["0", "+44 ", "+44", "+44 (0)", "+44 0", "0044 ", "0044", "44 ", "44", "(+44) "]))
    padding = draw(st.sampled_from(["", " ", "\t", "  "]))
    return padding + prefix + draw(spaced(nsn)) + padding[::-1]


@st.composite
def spellings_abroad(draw: st.DrawFn, number: phonenumbers.PhoneNumber) -> str:
    code, nsn = str(number.country_code), phonenumbers.national_significant_number(number)
    prefixes = [f"+{code} ", f"+{code}", f"00{code} ", f"00 {code} "]
    if len(code + nsn) > 10:  # shorter digits without a + read as a UK number (or nothing)
        prefixes.append(f"{code} ")
    return draw(st.sampled_from(prefixes)) + draw(spaced(nsn))


def normalise_or_refusal(text: str) -> tuple[str | None, ValidationError | None]:
    """normalise_phone's answer, or the ValidationError it refused with (any other exception propagates)."""
    try:
        return normalise_phone(text), None
    except ValidationError as error:
        return None, error


def in_script(text: str, zero: int) -> str:
    return text.translate({ord(str(d)): chr(zero + d) for d in range(10)})


@given(uk_numbers.flatmap(lambda number: st.tuples(st.just(number), uk_spellings(number))))
@example((phonenumbers.parse("+447911123456"), "07911 123456"))  # Guernsey, dialled the UK way
@example((phonenumbers.parse("+442079460958"), "+44 (0)20 7946 0958"))
def test_normalise_phone_gives_one_e164_for_every_way_of_typing_a_uk_number(
    typed_number: tuple[phonenumbers.PhoneNumber, str],
) -> None:
    number, typed = typed_number

    assert normalise_phone(typed) == e164(number)


@given(st.data(), numbers_abroad)
def test_normalise_phone_gives_one_e164_for_every_way_of_typing_a_number_abroad(
    data: st.DataObject, number: phonenumbers.PhoneNumber
) -> None:
    typed = data.draw(spellings_abroad(number), label="typed")

    assert normalise_phone(typed) == e164(number)


@given(st.data(), st.one_of(uk_numbers, numbers_abroad), st.sampled_from(DIGIT_ZEROS))
def test_normalise_phone_reads_decimal_digits_of_any_script(
    data: st.DataObject, number: phonenumbers.PhoneNumber, zero: int
) -> None:
    spelling = uk_spellings(number) if number.country_code == 44 else spellings_abroad(number)
    typed = data.draw(spelling, label="typed")

    assert normalise_phone(in_script(typed, zero)) == normalise_phone(typed) == e164(number)


@given(st.one_of(uk_numbers, numbers_abroad))
def test_normalise_phone_reads_back_what_advisors_are_shown(number: phonenumbers.PhoneNumber) -> None:
    stored = e164(number)
    shown = display(stored)

    assert normalise_phone(shown) == stored
    # UK numbers (+44, the Crown Dependencies too) are shown the UK way; others with their country code
    assert shown.startswith("0") if number.country_code == 44 else shown.startswith(f"+{number.country_code} ")


@given(st.sampled_from(sorted(WITHHELD)), st.data())
def test_normalise_phone_gives_none_for_any_spelling_of_withheld(spelling: str, data: st.DataObject) -> None:
    cased = "".join(data.draw(st.sampled_from([ch.lower(), ch.upper()])) for ch in spelling)
    padding = data.draw(st.text(" \t\r\n\u00a0\u2003", max_size=3), label="padding")

    assert normalise_phone(padding + cased + padding) is None
    assert normalise_phone(None) is None


text_like_phone_input = st.text(
    st.one_of(
        st.sampled_from(list("+0123456789 ()-./#*x;=\t\n\x00")),
        st.characters(categories=["Nd", "No", "Nl"]),  # digits of every script, superscripts, fractions, numerals
        st.characters(),
    ),
    max_size=40,
)


@given(st.one_of(text_like_phone_input, st.text()))
@example("07811\x00606606")
@example("\x00")
@example("9" * 100_000)
@example("+" + "4" * 5_000)
@example("²07811606606")
@example("44²7811606606")
@example("٠٧٨١١٦٠٦٦٠٦")  # Arabic-Indic digits
@example("+44 7811 606606 ext. 12")
@example("0800 FLOWERS")
@example("+")
@example("(")
@example("00")
def test_normalise_phone_refuses_any_text_only_with_a_validation_error(text: str) -> None:
    result, refusal = normalise_or_refusal(text)

    if refusal is not None:
        assert refusal.fields == {"phone": [refusal.message]}  # a 422 that says which field
    elif result is not None:  # an answer is a valid number in canonical form; normalising it again changes nothing
        assert E164.fullmatch(result)
        assert phonenumbers.is_valid_number(phonenumbers.parse(result))
        assert normalise_phone(result) == result


@st.composite
def typing_slips(draw: st.DrawFn) -> str:
    """A valid number as someone types it, then up to two slips: a key pressed twice, missed or mistaken."""
    number = draw(st.one_of(uk_numbers, numbers_abroad))
    text = draw(uk_spellings(number) if number.country_code == 44 else spellings_abroad(number))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        at = draw(st.integers(min_value=0, max_value=len(text) - 1))
        key = draw(st.sampled_from("0123456789+ "))
        slip = draw(st.sampled_from(["twice", "missed", "mistaken", "extra"]))
        text = {
            "twice": text[: at + 1] + text[at:],
            "missed": text[:at] + text[at + 1 :],
            "mistaken": text[:at] + key + text[at + 1 :],
            "extra": text[:at] + key + text[at:],
        }[slip]
    return text


@examples(300)
@given(st.one_of(typing_slips(), st.text("0123456789+ ", min_size=1, max_size=20)))
@example("78 8000123450")  # Russia's trunk prefix is 8: +7 8 800… is +7 800…
def test_normalise_phone_answers_only_with_the_digits_typed(text: str) -> None:
    """An accepted number's digits are the digits typed, give or take the country's trunk prefix (0 in the UK), an
    international prefix (00) and the country code: a slip is refused or read as the number it spells, never turned
    into another one."""
    result, refusal = normalise_or_refusal(text)
    if refusal is not None:
        return
    if result is None:
        assert not text.strip()  # only an empty text is "withheld" here
        return
    number = phonenumbers.parse(result)
    typed = "".join(ch for ch in text if ch.isdigit())
    nsn, code = phonenumbers.national_significant_number(number), str(number.country_code)
    assert typed.endswith(nsn)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_number(number) or "")
    trunk = (metadata.national_prefix if metadata else None) or "0"
    assert typed[: -len(nsn)] in {"", "0", code, f"00{code}", f"{code}{trunk}", f"00{code}{trunk}"}
