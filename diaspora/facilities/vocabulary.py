"""The registry's facility vocabulary read from a source's free text: category (type), tier,
ownership and setting, from keywords in English, French and Portuguese."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

# Categories from the source's own normalised English type (facility_type_9) ...
TYPE9_CATEGORIES = {
    "health post": "health_post",
    "community health unit": "community_health_unit",
    "health clinic": "clinic",
    "clinic": "clinic",
    "health centre": "health_centre",
    "health center": "health_centre",
    "polyclinic": "polyclinic",
    "maternity": "maternity",
    "hospital": "hospital",
    "health hut": "health_post",         # Senegal's cases de santé, Kenya's and others' huts
    "health station": "health_post",     # Ethiopia
    "dispensary": "health_post",
    "medical center": "health_centre",   # centres médicaux (those that operate: see below)
}
# Types the source's own English type misplaces: a "Federal Medical Centre" (Nigeria) or a
# centre médical with a surgical unit (CMA, Burkina Faso, Mali) is a hospital. Tried first.
TYPE_OVERRIDES = (
    ("federal medical cent", "hospital"), ("antenne chirurgicale", "hospital"),
    ("medico-chirurgical", "hospital"), ("medico chirurgical", "hospital"),
    ("clinic with maternity", "clinic"), ("clinic without maternity", "clinic"),
)
# ... and, when it is blank or unknown, keywords of the free-text type in English, French and
# Portuguese, tried in order (first match wins).
TYPE_KEYWORDS = (
    ("polyclini", "polyclinic"), ("policlíni", "polyclinic"), ("policlini", "polyclinic"),
    ("hospital", "hospital"), ("hôpital", "hospital"), ("hopital", "hospital"),
    ("centre hospitalier", "hospital"), ("chu", "hospital"), ("chr", "hospital"),
    ("maternit", "maternity"),
    ("community-based", "community_health_unit"), ("chps", "community_health_unit"),
    ("case de santé", "community_health_unit"),
    ("health cent", "health_centre"), ("centre de santé", "health_centre"),
    ("centro de saúde", "health_centre"), ("centro de saude", "health_centre"),
    ("clinic", "clinic"), ("clinique", "clinic"), ("clínica", "clinic"),
    ("health post", "health_post"), ("poste de santé", "health_post"),
    ("posto de saúde", "health_post"), ("posto de saude", "health_post"),
    ("dispensa", "health_post"),
    # Plurals and other spellings of the whole WHO list (Angola, Guinea-Bissau, South Sudan,
    # Cameroon, Chad, Burkina Faso ...; see tests/data/who-ssa-2019-vocabulary.csv).
    ("hospitai", "hospital"), ("postos", "health_post"), ("posto", "health_post"),
    ("health hut", "health_post"), ("health station", "health_post"),
    ("primary health care unit", "health_post"), ("public health unit", "health_centre"),
    ("unites de sante de village", "community_health_unit"),
    ("unite de sante de village", "community_health_unit"),
    ("medical cent", "health_centre"), ("centre medical", "health_centre"),
    ("centre medico", "health_centre"),
)
CATEGORY_TIERS = {"health_post": 1, "community_health_unit": 1, "clinic": 2, "health_centre": 2,
                  "maternity": 2, "polyclinic": 2, "hospital": 3}
OWNERSHIP_KEYWORDS = (
    ("not for profit", "ngo"), ("non lucratif", "ngo"), ("sans but lucratif", "ngo"),
    ("sem fins lucrativos", "ngo"), ("ngo", "ngo"), ("ong", "ngo"),
    ("cbo", "ngo"), ("community based", "ngo"),
    ("fbo", "faith_based"), ("faith", "faith_based"), ("mission", "faith_based"),
    ("chag", "faith_based"), ("church", "faith_based"), ("confession", "faith_based"),
    ("relig", "faith_based"),
    ("local authority", "local_authority"), ("municipal", "local_authority"),
    ("collectivit", "local_authority"),
    # Ministries of health and their acronyms (MoHSS Namibia, MoHL Guinea-Bissau's list,
    # MoHQL Lesotho..., MoHCDGEC Tanzania), governments and parastatals.
    ("moh", "public"), ("mohss", "public"), ("mohl", "public"), ("mohql", "public"),
    ("mohcdgec", "public"), ("mohsw", "public"), ("minsa", "public"), ("misau", "public"),
    ("govt", "public"), ("gov", "public"), ("parastatal", "public"),
    ("public", "public"), ("publique", "public"), ("públic", "public"), ("government", "public"),
    ("gouvern", "public"), ("ministry", "public"), ("minist", "public"), ("estado", "public"),
    ("private", "private"), ("privé", "private"), ("prive", "private"), ("privado", "private"),
)
SETTING_KEYWORDS = (("rural", "rural"), ("urban", "urban"), ("urbain", "urban"),
                    ("urbano", "urban"))


def fold(text: str | None) -> str:
    """Lower case, accents removed, whitespace collapsed: for keys and keyword matching."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    # Word by word (words repeat: "centre", "santé"): the same as folding the whole text, as
    # every step works per character and whitespace stays whitespace.
    return " ".join(filter(None, map(_fold_word, text.split())))


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


_FOLDED_TYPE_KEYWORDS = tuple((fold(k), v) for k, v in TYPE_KEYWORDS)
_FOLDED_TYPE_OVERRIDES = tuple((fold(k), v) for k, v in TYPE_OVERRIDES)
_PUNCTUATION = str.maketrans({mark: " " for mark in "-/.,;:()+&"})
_FOLDED_OWNERSHIP_KEYWORDS = tuple((fold(k), v) for k, v in OWNERSHIP_KEYWORDS)


def _first_keyword(text: str, table, default: str) -> str:
    """The value of the first keyword of ``table`` found in ``text`` (folded), else ``default``:
    the definition. ``_Keywords`` answers the same with a few C calls instead of a loop over the
    table (tests/test_facility_import.py compares them)."""
    words = set(text.translate(_PUNCTUATION).split())
    for keyword, value in table:
        # Short keywords (CHU, NGO, MoH) must be whole words; longer ones may be stems.
        if keyword in words if len(keyword) <= 4 else keyword in text:
            return value
    return default


class _Keywords:
    """``_first_keyword`` over one table, without splitting every text into words: a keyword
    not in the text at all is no word of it either, so the words are only made for a short
    keyword found in the text (rare: CHU, NGO, MoH)."""

    def __init__(self, table):
        self.entries = tuple((keyword, value, len(keyword) <= 4) for keyword, value in table)

    def first(self, text: str, default: str) -> str:
        words = None
        for keyword, value, short in self.entries:
            if keyword in text:
                if not short:
                    return value
                if words is None:
                    words = set(text.translate(_PUNCTUATION).split())
                if keyword in words:
                    return value
        return default


_TYPE_OVERRIDES = _Keywords(_FOLDED_TYPE_OVERRIDES)
_TYPE_KEYWORDS = _Keywords(_FOLDED_TYPE_KEYWORDS)
_OWNERSHIP_KEYWORDS = _Keywords(_FOLDED_OWNERSHIP_KEYWORDS)
_SETTING_KEYWORDS = _Keywords(SETTING_KEYWORDS)


@lru_cache(maxsize=4096)
def category_for(type9: str | None, facility_type: str | None) -> str:
    folded_type = fold(facility_type)
    override = _TYPE_OVERRIDES.first(folded_type, "")
    if override:
        return override
    category = TYPE9_CATEGORIES.get(fold(type9))
    if category:
        return category
    return _TYPE_KEYWORDS.first(folded_type, "other")


@lru_cache(maxsize=4096)
def ownership_for(text: str | None) -> str:
    if not text:
        return "unknown"
    return _OWNERSHIP_KEYWORDS.first(fold(text), "unknown")


@lru_cache(maxsize=4096)
def setting_for(facility_type: str | None) -> str:
    return _SETTING_KEYWORDS.first(fold(facility_type), "unknown")
