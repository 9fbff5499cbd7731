"""Each language by what can read it: sentence splitting and dates by the article's language, and no
English model run over another language (the stages return nothing rather than junk)."""

from __future__ import annotations

from newsweave.claims import find_claims
from newsweave.clean import split_sentences
from newsweave.entities import resolve_entities
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.summarize import key_facts, summarize
from newsweave.timeline import build_timeline, resolve

GERMAN = (
    "Die Aufsicht hat am Montag, den 13. März 2023 die Valmora Sparbank geschlossen. Nicht alle Kunden wurden "
    "rechtzeitig informiert, sagte Ministerin Ilse Brandt.\n\n"
    "Zum Zeitpunkt des Zusammenbruchs hatte die Bank rund 200 Milliarden Euro an Einlagen. Im März 2023 "
    "wurde ein neuer Rettungsplan vorgestellt."
)
CHINESE = "瓦尔莫拉储蓄银行于2023年3月10日被关闭。部长布兰特表示，客户的存款是安全的。监管机构正在调查。"


def _article(text: str, language: str) -> Article:
    result = to_article(RawDoc(source=f"{language}.txt", text=text, language=language, published="2023-03-14"))
    assert not isinstance(result, Exception), result
    return result[0]


def test_german_sentences_do_not_split_at_an_ordinal_date():
    sentences, _ = split_sentences([GERMAN.split("\n\n")[0]], "de")
    assert sentences[0] == "Die Aufsicht hat am Montag, den 13. März 2023 die Valmora Sparbank geschlossen."
    assert len(sentences) == 2


def test_chinese_sentences_split_at_full_stops_without_being_told_the_language():
    sentences, _ = split_sentences([CHINESE])
    assert sentences == ["瓦尔莫拉储蓄银行于2023年3月10日被关闭。", "部长布兰特表示，客户的存款是安全的。",
                         "监管机构正在调查。"]


def test_dates_are_read_by_their_language():
    assert resolve("März 2023", "2023-03-14", language="de") == ("2023-03-01", "month")
    assert resolve("13. März 2023", None, language="de") == ("2023-03-13", "day")
    assert resolve("Posted Mar 10, 2023", "2023-03-14") == ("2023-03-10", "day")
    entries = build_timeline([_article(GERMAN, "de"), _article(CHINESE, "zh")])
    got = {(e.date, e.precision) for e in entries}
    assert ("2023-03-13", "day") in got and ("2023-03-01", "month") in got and ("2023-03-10", "day") in got
    assert not any(e.date and e.date.endswith("12-01") for e in entries)


def test_no_english_model_runs_over_other_languages():
    arts = [_article(GERMAN, "de"), _article(CHINESE, "zh")]
    index = resolve_entities(arts)
    assert index.entities == [] and index.mentions == []
    assert find_claims(arts, [], index) == []
    assert summarize(arts, [], []) == []
    assert key_facts(arts, [], [], []) == []
