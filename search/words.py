"""Text to search terms, the same for a product and a query: case and width folded, English words stemmed
(Snowball, through PyStemmer), Chinese runs cut into words by jieba's dictionary (rjieba, its Rust port) in its
search mode, which also gives a long word's parts (墨绿色 -> 墨绿, 绿色, 墨绿色).

A dictionary, not overlapping character pairs: typed without spaces, 墨绿色运动鞋 gives the pair 色运, which a
plain teal sneaker's title 蓝绿色运动鞋 holds and a dotted forest-green one's 墨绿色波点运动鞋 does not, so pairs
ranked the teal sneaker first. And the catalog teaches the dictionary its own words: every short Chinese value of
a field (a colour 芥末黄, a category 水杯) becomes a word, or 芥末黄水杯 would be cut as 芥末 / 黄水 / 杯.
`bench/keywords.py` measures both ways on every colour and category query of the demo catalog.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import rjieba
import Stemmer

# Han (with extension A and compatibility ideographs), kana, Hangul
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:[-/.][^\W_{_CJK}]+)*")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_STEMMER = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Word:
    """One word of a query as the shopper typed it, with the terms it stands for."""

    text: str
    terms: tuple[str, ...]


def has_cjk(text: str) -> bool:
    """Whether the text holds Chinese, Japanese or Korean characters."""
    return bool(_CJK_RUN.search(text or ""))


def terms(text: str) -> list[str]:
    """Every search term of a text, in order, repeats kept (a product's term counts weigh in BM25)."""
    return [term for word in words(text) for term in word.terms]


def words(text: str) -> list[Word]:
    """The text's words, each with its terms."""
    normal = unicodedata.normalize("NFKC", text or "")
    folded = normal.casefold()
    shown = normal if len(normal) == len(folded) else folded  # casefolding rarely changes a length (ß -> ss)
    return [Word(shown[match.start():match.end()], _terms_of(match.group())) for match in _TOKEN.finditer(folded)]


_LEARNED: set[str] = set()
_LEARNING = threading.Lock()
_LEARNABLE = re.compile(rf"[{_CJK}]{{2,8}}")


def learn_words(values: Iterable[str]) -> bool:
    """Add the catalog's own Chinese words (short values such as 芥末黄 or 马克杯) to the dictionary; True when
    one was new, so that texts cut before are cut anew."""
    new = {value for value in values if _LEARNABLE.fullmatch(value) and value not in _LEARNED}
    if not new:
        return False
    with _LEARNING:
        for word in sorted(new):
            rjieba.add_word(word, None, None)
        _LEARNED.update(new)
        _terms_of.cache_clear()
    return True


def dictionary_words(run: str) -> tuple[str, ...]:
    """A Chinese run cut into words and their parts (jieba's search mode)."""
    return tuple(part for part in rjieba.cut_for_search(run) if part.strip())


def character_pairs(run: str) -> tuple[str, ...]:
    """A Chinese run as overlapping character pairs (the alternative `bench/keywords.py` measures)."""
    return (run,) if len(run) == 1 else tuple(run[i:i + 2] for i in range(len(run) - 1))


SEGMENTERS = {"dictionary": dictionary_words, "pairs": character_pairs}
_segment = dictionary_words


def use_segmenter(name: str) -> None:
    """Cut Chinese with another of SEGMENTERS from now on (for `bench/keywords.py`)."""
    global _segment
    _segment = SEGMENTERS[name]
    _terms_of.cache_clear()


@lru_cache(maxsize=65536)
def _terms_of(token: str) -> tuple[str, ...]:
    if _CJK_RUN.fullmatch(token):
        return _segment(token)
    parts = re.split(r"[-/.]", token)
    stems = [_STEMMER.stemWord(part) for part in parts]
    # A model number written "rx-100" is also found as "rx100", and the other way round
    return (*stems, "".join(parts)) if len(parts) > 1 else tuple(stems)


def matched_parts(word: Word, held: set[str]) -> list[str]:
    """The parts of a word that a product holds: the word itself for a Latin word; for a Chinese run, its longest
    held words (红色马克杯 -> 红色, 马克杯)."""
    if not _CJK_RUN.fullmatch(word.text):
        return [word.text] if held.intersection(word.terms) else []
    found = [term for term in dict.fromkeys(word.terms) if term in held]
    return [term for term in found if not any(term != other and term in other for other in found)]
