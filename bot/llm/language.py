"""Which language a request is written in, for the embedded model's few-shot prompts.

A base model writes in the language of the examples it is shown, not of the request:
asked "/caption café de manhã em Lisboa" after four English examples, it wrote English.
A completion form can hold one more example per language (`CompletionForm.languages`),
put last, nearest the request; this tells which one, if any. Cheap and offline: the
script for Japanese, Korean, Chinese, Cyrillic…; for Latin-script languages, their
own short function words and accents, which must clearly outnumber any other's (a
request with one "de" in it, like "de Niro", stays English), with more of its words
than English ones (a "crème brûlée" in an English request stays English)."""

from __future__ import annotations

import re

# Scripts that name their language on their own (kana before Han: Japanese uses both).
SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)
WORDS = {
    "en": "the and of to in my our is for with this on at a an your we".split(),
    "pt": "de da do das dos em no na nos nas com para uma um os que não meu minha nosso nossa "
    "ao às pelo pela".split(),
    "es": "el la los las de del en con para una un y que mi mis nuestro nuestra al por".split(),
    "fr": "le la les de du des en pour avec une un et mon ma mes au aux sur notre chez".split(),
    "de": "der die das und mit für ein eine einen im am auf zum zur von mein meine "
    "unser unsere dem den".split(),
}
ACCENTS = {"pt": "ãõâêôç", "es": "ñ¿¡", "fr": "èàùâêîôûçœ", "de": "äöüß"}
# Spellings only one of them has (Portuguese "manhã", "trabalho"; Spanish "calle").
SPELLINGS = {"pt": ("nh", "lh", "ção", "ções"), "es": ("ll", "ción", "cion")}
# Function words shared by several of them ("de", "la", "en") count for each: the
# winner must lead the runner-up by this much.
LEAD = 2


def language_of(text: str) -> str:
    """A language code ("pt", "ja"…), or "" for English or when it can't be told."""
    for code, script in SCRIPTS:
        if script.search(text):
            return code
    lowered = text.lower()
    words = re.findall(r"\w+", lowered)
    said = {code: sum(w in own for w in words) for code, own in WORDS.items()}
    scores = dict(said)
    for code, marks in ACCENTS.items():
        scores[code] += 2 * sum(c in marks for c in lowered)
    for code, spellings in SPELLINGS.items():
        scores[code] += sum(w.count(s) for w in words for s in spellings)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    # Accents and spellings alone name a dish or a place ("crème brûlée for dessert
    # tonight", "São Paulo"): the language's own words must outnumber English ones too.
    clear = top >= LEAD and top - second >= LEAD and said[best] > said["en"]
    return best if best != "en" and clear else ""
