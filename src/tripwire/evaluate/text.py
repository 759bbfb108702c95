"""Small, fast text helpers shared by the built-in evaluators (no models, no network)."""

from __future__ import annotations

import re
from functools import lru_cache

_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
WORD = re.compile(r"\w+(?:['\u2019]\w+)?")
_ALNUM = re.compile(r"[^\W_]")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?:\s?%)?")

_STOPWORD_TEXT = {
    "en": """the a an and or but if of to in on at for with by from as is are was were be been
        being it its this that these those i you he she we they me him her us them my your our
        their not no do does did have has had will would can could should may might must shall
        there here what which who whom whose when where why how all any some so than then too yes
        very just also about into over after before up down out more most such only own same""",
    "es": """el la los las un una y o pero de del a en con por para es son fue ser que se no lo
        le su sus como más muy ya este esta estos estas al porque cuando también hay mi tu
        cómo qué puedo puede está están hola gracias yo usted eso esto donde dónde hace""",
    "fr": """le la les un une et ou mais de des du à au aux en dans avec pour par est sont été
        être que qui ne pas se ce cette ces il elle nous vous ils elles son sa ses plus très
        sur je comment quoi peux peut bonjour merci avec mon ma mes vos votre où fait""",
    "de": """der die das den dem des ein eine einen und oder aber von zu in im mit für auf ist
        sind war sein nicht kein keine sich es sie wir ihr ich du auch noch nur wie wenn dass
        kann können hallo danke mein meine was warum wo""",
    "it": """il lo la i gli le un una e o ma di del della a in con per è sono era essere che non
        si questo questa anche più molto come quando perché mi ti ci posso può ciao grazie
        sono dove cosa""",
    "pt": """o a os as um uma e ou mas de do da dos das em no na com por para é são foi ser que
        não se seu sua mais muito como quando também eu você nós posso pode olá obrigado
        onde isso""",
    "nl": """de het een en of maar van in op met voor door is zijn was niet geen zich dat die
        ook nog wel als wanneer ik jij wij zij""",
}
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(text.split()) for lang, text in _STOPWORD_TEXT.items()
}
ALL_STOPWORDS = frozenset().union(*STOPWORDS.values())
# A word shared by several languages says little about which one a text is in.
_WEIGHT = {word: 1.0 / sum(word in stops for stops in STOPWORDS.values()) for word in ALL_STOPWORDS}


def sentences(text: str) -> list[str]:
    """Split on sentence ends and line breaks; keeps only pieces with a word character."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and _ALNUM.search(s)]


def words(text: str) -> list[str]:
    return WORD.findall(text)


def lower_words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude suffix stripper: enough to match "refunds" with "refund" and "billed" with "bill"."""
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "ed", "es", "ly", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=131072)
def term(word: str) -> str:
    """The stemmed term for a lower-case word, or "" for stop words and one-letter words."""
    if len(word) < 2 or word in ALL_STOPWORDS:
        return ""
    return stem(word)


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words that carry meaning (no stop words, no one-letter words)."""
    return list(filter(None, map(term, WORD.findall(text.lower()))))


def numbers(text: str) -> set[str]:
    """Numbers written in the text, normalised ("1,200" -> "1200", "15 %" -> "15%")."""
    found = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(",", "").replace(" ", "").lstrip("+")
        if value.endswith(".0"):
            value = value[:-2]
        found.add(value)
    return found


def detect_language(text: str, min_weight: float = 2.0) -> str | None:
    """The stop-word profile that matches best, or None when the text is too short to tell."""
    tokens = lower_words(text[:2000])
    if len(tokens) < 4:
        return None
    totals = dict.fromkeys(STOPWORDS, 0.0)
    for token in tokens:
        weight = _WEIGHT.get(token)
        if weight is not None:
            for lang, stops in STOPWORDS.items():
                if token in stops:
                    totals[lang] += weight
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < min_weight or top < 1.5 * second:
        return None
    return best
