"""Codes from other systems in the words an agent would say.

The card shows what other systems recorded, and those systems speak in codes
(``app_biometric``, ``card.declined`` with ``amount: 61.5``, ``warmline.contacts``).
These functions turn the codes Warmline knows into words and fall back to the code
with its punctuation taken out, so an unknown code still reads as words.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from warmline.domain.labels import humanise

#: How a customer proved who they are.
METHOD_WORDS = {
    "app_biometric": "app, fingerprint or face",
    "app_pin": "app, PIN",
    "password": "password",
    "password_otp": "password and one-time code",
    "sms_otp": "one-time code by SMS",
    "email_otp": "one-time code by email",
    "voice_id": "voice recognition",
    "knowledge": "security questions",
    "security_questions": "security questions",
    "card_pin": "card and PIN",
    "id_document": "ID document",
    "continuation_code": "continuation code",
}

#: Systems that send events, by the source names Warmline itself uses or the demo's.
SOURCE_WORDS = {
    "warmline.contacts": "Warmline, when the contact started",
    "warmline.continuations": "Warmline, by continuation code",
    "warmline.channel_switch": "Warmline, on the channel switch",
    "warmline.branch": "Warmline, at the branch",
    "warmline.demo.simulator": "the demo simulator",
    "crm": "the CRM",
    "pbx": "the phone system",
    "ivr": "the phone menu",
    "chat-platform": "the chat platform",
    "mobile-app": "the mobile app",
    "core-banking": "core banking",
    "branch-system": "the branch system",
    "survey": "a survey",
}
_ACRONYMS = frozenset({"crm", "pbx", "ivr", "sms", "api", "erp", "id"})

#: ISO 639-1 codes of the languages customers most often write in, by name.
LANGUAGE_WORDS = {
    "ar": "Arabic", "bn": "Bengali", "cs": "Czech", "cy": "Welsh", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gu": "Gujarati", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "so": "Somali", "sv": "Swedish", "ta": "Tamil", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

_CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}
#: Attributes of an activity said as part of its sentence, in this order; the rest are
#: listed after it in words.
_PHRASED = ("merchant", "amount", "card_ending", "payee")


def method_words(method: str) -> str:
    """``app_biometric`` -> 'app, fingerprint or face'; a method carried by a continuation
    code (``app_biometric, by continuation code``) keeps its tail."""
    head, sep, tail = method.partition(", ")
    words = METHOD_WORDS.get(head) or humanise(head) or head
    return f"{words}{sep}{tail}"


def source_words(source: str | None) -> str:
    """``warmline.contacts`` -> 'Warmline, when the contact started'; ``chat-platform``
    -> 'the chat platform'; an unknown ``billing_v2`` -> 'billing v2'."""
    if not source:
        return "an unnamed system"
    known = SOURCE_WORDS.get(source)
    if known:
        return known
    words = source.replace("-", " ").replace("_", " ").replace(".", " ").split()
    return " ".join(w.upper() if w.lower() in _ACRONYMS else w for w in words) or source


def language_words(code: str | None) -> str | None:
    """``en`` -> 'English'; an unknown code stays as it is."""
    if not code:
        return None
    return LANGUAGE_WORDS.get(code.lower(), code)


def money(amount: Any, currency: str) -> str | None:
    """61.5 and 'GBP' -> '£61.50'; 14500 -> '£14,500'; 'CHF' -> '61.50 CHF'. None when
    ``amount`` is not a number."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    whole = value == value.to_integral_value()
    text = f"{value:,.0f}" if whole else f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"
    sign = _CURRENCY_SIGNS.get(currency.upper())
    return f"{sign}{text}" if sign else f"{text} {currency.upper()}"


def activity_words(
    name: str, attributes: Mapping[str, Any], currency: str
) -> tuple[str, list[str]]:
    """An activity as a sentence and the attributes it did not say, in words:
    ``card.declined`` with ``{"amount": 61.5, "merchant": "Fuel & Go"}`` ->
    ('card declined at Fuel & Go, £61.50', []). The amount's currency is the
    activity's own ``currency`` attribute, else ``currency``."""
    sentence = humanise(name) or name
    said: list[str] = []
    rest = dict(attributes)
    own_currency = str(rest.pop("currency", "") or currency)
    for key in _PHRASED:
        value = rest.get(key)
        if value is None or value == "":
            continue
        phrase = _phrase(key, value, own_currency)
        if phrase is None:
            continue
        rest.pop(key)
        if key == "merchant":
            sentence = f"{sentence} {phrase}"
        else:
            said.append(phrase)
    if said:
        sentence = f"{sentence}, {', '.join(said)}"
    others = [f"{humanise(str(k))}: {v}" for k, v in rest.items() if v not in (None, "")]
    return sentence, others


def _phrase(key: str, value: Any, currency: str) -> str | None:
    if key == "merchant":
        return f"at {value}"
    if key == "amount":
        return money(value, currency)
    if key == "card_ending":
        return f"card ending {value}"
    return f"to {value}"  # payee


#: Survey measures: what each asks, and the top of its scale.
FEEDBACK_WORDS = {
    "csat": ("satisfaction (CSAT)", 5),
    "nps": ("would recommend us (NPS)", 10),
    "ces": ("effort it took (CES)", 7),
}


def feedback_words(kind: str, score: int) -> str:
    """``csat``, 4 -> 'satisfaction (CSAT) 4 of 5'."""
    label, top = FEEDBACK_WORDS.get(kind, (humanise(kind) or kind, 0))
    return f"{label} {score} of {top}" if top else f"{label} {score}"
