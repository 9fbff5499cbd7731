"""Markdown and HTML briefs: every section shown, hostile article text never executable."""

from __future__ import annotations

import re

import lxml.html
import pytest

from newsweave import brief as brief_json
from newsweave.model import (
    Article,
    Brief,
    Citation,
    Claim,
    CopyRelation,
    Dispute,
    Entity,
    KeyFact,
    Quote,
    Story,
    StoryBrief,
    SummarySentence,
    TimelineEntry,
)
from newsweave.render import collapse_repeats, disputes, entity_groups, safe_url, speakers, to_html, to_markdown

HOSTILE = '<script>alert(1)</script>'
ATTR = '" onmouseover="alert(2)" x="'
JS_URL = "javascript:alert(3)"


def hostile_brief() -> Brief:
    a = Article(id="a1", source=f"{HOSTILE}.txt", text="", url=JS_URL, outlet=f"Evil {ATTR}",
                title=f"Title {HOSTILE} {ATTR}", published="2023-05-16",
                sentences=[f"The mayor said {HOSTILE} in the hall.", f"Officials denied it {ATTR} firmly.",
                           "Click [here](javascript:alert(4)) <img src=x onerror=alert(5)>."],
                flags=[f"flag {HOSTILE}"])
    b = Article(id="b2", source="b.txt", text="", url="https://example.org/news?id=1", outlet="Good News",
                title="A fine title", published="2023-05-17", sentences=["The mayor spoke in the hall."])
    story = Story("s1", ["a1", "b2"], headline=f"Headline {HOSTILE}", independent_sources=2,
                  start="2023-05-16", end="2023-05-17")
    sb = StoryBrief(
        story=story,
        summary=[SummarySentence(a.sentences[0], [Citation("a1", 0)], [Citation("b2", 0)],
                                 flags=["disputed"]),
                 SummarySentence(a.sentences[1], [Citation("a1", 1)], flags=["dispute"])],
        key_facts=[KeyFact(a.sentences[2], 2, [Citation("a1", 2), Citation("b2", 0)])],
        entities=[Entity("e1", f"Mayor {HOSTILE}", "PERSON", [f"Mayor {HOSTILE}"], [f"mayor {ATTR}"],
                         ["a1"])],
        quotes=[Quote("e1", f"Mayor {HOSTILE}", f"we will {HOSTILE}", "direct", "said", "a1", 0),
                Quote("e1", "the mayor", "the hall is open", "reported", "said", "b2", 0),
                Quote(None, f"Crowd {ATTR}", "no comment", "direct", None, "a1", 1)],
        claims=[Claim("c1", f"The mayor said {HOSTILE}", ["a1"], 1, [f"Mayor {ATTR}"],
                      [Dispute(None, f"Officials {ATTR}", "denies", a.sentences[1], "a1", 1)],
                      [Citation("a1", 0)])],
        timeline=[TimelineEntry("2023-05-15", a.sentences[0], "a1", 0, expression=f"Monday {HOSTILE}"),
                  TimelineEntry("2022-10-01", b.sentences[0], "b2", 0, expression="last October",
                                precision="month"),
                  TimelineEntry(None, a.sentences[2], "a1", 2)],
    )
    return Brief([a, b], [CopyRelation("a1", "b2", "rewrite", 0.5)], [sb], "2023-05-18T00:00:00+00:00")


@pytest.fixture(scope="module")
def doc():
    return brief_json.to_dict(hostile_brief())


def test_html_has_no_injected_script_attribute_or_link(doc):
    html = to_html(doc)
    tree = lxml.html.fromstring(html)
    scripts = tree.xpath("//script")
    assert len(scripts) == 1 and not scripts[0].get("src") and "alert" not in scripts[0].text
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            if name in ("href", "src", "action", "formaction"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), value
    assert not tree.xpath("//img|//iframe|//object|//embed|//link[@href]")
    assert not tree.xpath("//*[@src]")
    # The hostile text is shown as text, not dropped.
    assert HOSTILE in tree.text_content()
    hrefs = [x.get("href") for x in tree.xpath("//a[@href]")]
    assert "https://example.org/news?id=1" in hrefs
    assert all(h.startswith(("#", "https://")) for h in hrefs)


def test_html_shows_every_section_and_resolves_citations(doc):
    tree = lxml.html.fromstring(to_html(doc))
    text = tree.text_content()
    for heading in ("Summary", "Key facts", "Disputed", "Who said what", "People and organisations",
                    "Timeline", "Sources"):
        assert heading in [h.text_content() for h in tree.xpath("//h3")], heading
    ids = {el.get("id") for el in tree.xpath("//*[@id]")}
    for a in tree.xpath("//a[@class='cite']"):
        assert a.get("href")[1:] in ids and a.get("data-target") in ids
        assert a.get("title")  # the cited sentence, readable without scripts
    assert "2022-10" in text and "undated" in text and "last October" in text
    # Quotes grouped by speaker with role: the mayor's two quotes under one heading.
    speakers = tree.xpath("//div[@class='speaker']")
    assert len(speakers) == 2 and len(speakers[0].xpath(".//li")) == 2
    assert "mayor" in speakers[0].text_content()
    assert "rewrite" in text and "flag" in text
    assert tree.xpath("//meta[@name='viewport']") and not tree.xpath("//link|//*[@src]")


def test_markdown_is_inert(doc):
    md = to_markdown(doc)
    assert "<script" not in md and "<img" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md) and "javascript:alert(3)" not in md
    assert "&lt;script&gt;" in md
    for heading in ("### Summary", "### Key facts", "### Disputed", "### Who said what",
                    "### People and organisations", "### Timeline", "### Sources"):
        assert heading in md
    assert "<https://example.org/news?id=1>" in md
    assert "[A1:0]" in md and "2 independent sources" in md


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a", True), ("http://x.y/", True), ("javascript:alert(1)", False),
    (" JavaScript:alert(1)", False), ("data:text/html,x", False), ("//evil.org", False),
    ('https://x.org/"onmouseover=alert(1)', False), (None, False), ("/relative", False),
])
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) == ok


def test_contract_still_valid(doc):
    assert brief_json.validate(doc) == []


def test_a_quote_repeated_by_copies_is_shown_once_from_the_original() -> None:
    arts = {
        "orig": {"id": "orig", "copies": []},
        "spun": {"id": "spun", "copies": [{"of": "orig", "kind": "rewrite", "share": 0.9,
                                           "evidence": [[0, 0, 0.9], [2, 1, 0.8]]}]},
        "other": {"id": "other", "copies": []},
    }
    story = {"entities": [{"id": "e1", "name": "Mara Holm", "roles": ["mayor"]}], "quotes": [
        # The spun copy's wording comes first; the original's sentence 1 is what it rewords.
        {"speaker": "e1", "speaker_name": "Holm", "text": "Our companions see it the identical method",
         "kind": "direct", "cue": "said", "article": "spun", "sentence": 2},
        {"speaker": "e1", "speaker_name": "Holm", "text": "Our partners see it the same way",
         "kind": "direct", "cue": "said", "article": "orig", "sentence": 1},
        # An independent report with the same words from the same press conference: one line, two sources.
        {"speaker": "e1", "speaker_name": "Mara Holm", "text": "Our partners see it the same way.",
         "kind": "direct", "cue": "said", "article": "other", "sentence": 4},
        {"speaker": "e1", "speaker_name": "Holm", "text": "The bridge opens in May",
         "kind": "direct", "cue": "said", "article": "spun", "sentence": 3},
    ]}
    (group,) = speakers(story, arts)
    assert [(q["article"], q["sentence"]) for q in group["quotes"]] == [("orig", 1), ("spun", 3)]
    assert group["quotes"][0]["also"] == [{"article": "spun", "sentence": 2}, {"article": "other", "sentence": 4}]
    # Without the articles (no copy alignment) only the word-for-word repeat is merged.
    assert len(speakers(story)[0]["quotes"]) == 3


def test_two_quotes_of_one_copied_sentence_cite_it_once() -> None:
    arts = {"orig": {"id": "orig", "copies": []},
            "spun": {"id": "spun", "copies": [{"of": "orig", "kind": "rewrite", "share": 0.9,
                                               "evidence": [[0, 0, 0.9], [1, 1, 0.7]]}]}}
    said = {"speaker": "e1", "speaker_name": "Norvessa", "kind": "reported", "cue": "said"}
    story = {"entities": [{"id": "e1", "name": "Norvessa", "roles": []}], "quotes": [
        {**said, "text": "Emberg had set out its position, urged Valdoria to stop", "article": "orig", "sentence": 1},
        {**said, "text": "set out Norvessa's principled place", "article": "spun", "sentence": 1},
        {**said, "text": "cease spreading false data", "article": "spun", "sentence": 1},
    ]}
    (group,) = speakers(story, arts)
    assert [(q["sentence"], q["also"]) for q in group["quotes"]] == [(1, [{"article": "spun", "sentence": 1}])]


def test_a_spun_copy_of_a_quote_is_folded_by_its_place_between_aligned_sentences() -> None:
    # Quoted words are never copy evidence, so only sentences 0 and 3 of the copy are aligned (to 0 and 3).
    arts = {"orig": {"id": "orig", "copies": []},
            "spun": {"id": "spun", "copies": [{"of": "orig", "kind": "rewrite", "share": 0.9,
                                               "evidence": [[0, 0, 0.9], [3, 3, 0.8]]}]}}
    said = {"speaker": "e1", "speaker_name": "Lenz", "kind": "direct", "cue": "said"}
    quotes = [
        {**said, "text": "I told him this is a decision with consequences", "article": "orig", "sentence": 1},
        {**said, "text": "Our partners see it the same way", "article": "orig", "sentence": 2},
        {**said, "text": "I informed him this is a choice with penalties", "article": "spun", "sentence": 1},
        {**said, "text": "Our companions see it the identical method", "article": "spun", "sentence": 2},
    ]
    story = {"entities": [{"id": "e1", "name": "Dario Lenz", "roles": []}], "quotes": quotes}
    (group,) = speakers(story, arts)
    assert [(q["sentence"], q["also"]) for q in group["quotes"]] == [
        (1, [{"article": "spun", "sentence": 1}]), (2, [{"article": "spun", "sentence": 2}])]
    # The copy dropped one of the two quotes: which one it kept is unknown, so nothing is folded.
    story["quotes"] = quotes[:3]
    assert len(speakers(story, arts)[0]["quotes"]) == 3


def test_entities_are_shown_people_first_then_by_kind() -> None:
    story = {"entities": [
        {"id": "g", "name": "Valmora", "type": "GPE", "aliases": ["Valmora"], "roles": []},
        {"id": "o", "name": "Harbour Board", "type": "ORG", "aliases": ["Harbour Board", "the Board"], "roles": []},
        {"id": "p", "name": "Mara Holm", "type": "PERSON", "aliases": ["Mara Holm", "Holm"], "roles": ["mayor"]},
        {"id": "x", "name": "Lune Day", "type": "EVENT", "aliases": ["Lune Day"], "roles": []},
    ]}
    groups = entity_groups(story)
    assert [(h, [e["id"] for e in g]) for h, g in groups] == [
        ("People", ["p"]), ("Organisations", ["o"]), ("Places", ["g"]), ("Other", ["x"])]


def test_a_denial_repeated_by_an_exact_copy_is_listed_once() -> None:
    arts = {"orig": {"id": "orig", "copies": []},
            "copy": {"id": "copy", "copies": [{"of": "orig", "kind": "exact", "share": 1.0,
                                               "evidence": [[0, 0, 1.0], [1, 1, 1.0]]}]}}
    denial = {"by": None, "by_name": "Ilan Marek", "relation": "denies", "text": "Marek said he had never heard of it."}
    claim = {"disputes": [{**denial, "article": "copy", "sentence": 1}, {**denial, "article": "orig", "sentence": 1},
                          {**denial, "by_name": "Petrov", "text": "Petrov called it misinformation.",
                           "article": "orig", "sentence": 3}]}
    shown = disputes(claim, arts)
    assert [(d["article"], d["sentence"], d["also"]) for d in shown] == [
        ("orig", 1, [{"article": "copy", "sentence": 1}]), ("orig", 3, [])]


def test_markdown_shows_a_denial_verb_before_what_was_denied() -> None:
    brief = hostile_brief()
    brief.stories[0].quotes.append(
        Quote(None, "Oskar Brandt", "his country had sought help", "reported", "denied", "b2", 0))
    md = to_markdown(brief_json.to_dict(brief))
    assert "*denied* his country had sought help" in md  # not "Oskar Brandt: his country had sought help"
    assert "the hall is open" in md and "*said*" not in md


def _two_stories() -> dict:
    brief = hostile_brief()
    sb = brief.stories[0]
    other = Article(id="c3", source="c.txt", text="", outlet="Other", title="Another story",
                    published="2023-06-01", sentences=["The bridge reopened on Friday."])
    second = StoryBrief(story=Story("s2", ["c3"], headline="Bridge reopens", independent_sources=1),
                        summary=[SummarySentence(other.sentences[0], [Citation("c3", 0)])])
    return brief_json.to_dict(Brief([*brief.articles, other], brief.copies, [sb, second], brief.generated_at))


def test_stored_parts_render_the_same_brief_and_only_changed_stories_again(monkeypatch) -> None:
    from newsweave import render

    doc = _two_stories()
    parts = render.Parts()
    html, md = to_html(doc, parts), to_markdown(doc, parts)
    assert (html, md) == (to_html(doc), to_markdown(doc))
    stored = render.Parts(dict(parts.used))
    rendered: list[str] = []
    real = render._md_story

    def counting(s, arts, short):  # noqa: ANN001, ANN202
        rendered.append(s["id"])
        return real(s, arts, short)

    monkeypatch.setattr(render, "_md_story", counting)
    assert to_markdown(doc, stored) == md and rendered == []
    # an article's sentence changed: its story is rendered again (never shown stale), the other one is not
    doc["articles"][2]["sentences"] = ["The bridge reopened on Saturday."]
    again = to_markdown(doc, render.Parts(dict(parts.used)))
    assert rendered == ["s2"] and again.split("## Bridge")[0] == md.split("## Bridge")[0]
    assert "Saturday" in to_html(doc, render.Parts(dict(parts.used))) and "Saturday" not in html


def test_parts_survive_a_write_and_a_broken_file(tmp_path) -> None:
    from newsweave import api, render

    doc = _two_stories()
    api.write_brief(doc, tmp_path)
    first = (tmp_path / "brief.html").read_text(encoding="utf-8")
    parts = render.Parts.load(tmp_path / api.PARTS_FILE)
    assert len(parts.stored) == 4  # two stories, md and html
    assert any("<" in text for text in parts.stored.values())
    saved = (tmp_path / api.PARTS_FILE).read_bytes()
    for broken in (saved[:-1], b'{"md": "a JSON document, as they were once kept"}', "é".encode() * 3):
        (tmp_path / api.PARTS_FILE).write_bytes(broken)
        assert render.Parts.load(tmp_path / api.PARTS_FILE).stored == {}
    (tmp_path / api.PARTS_FILE).write_bytes(b"{not json")
    (tmp_path / api.STAMP_FILE).unlink()
    api.write_brief(doc, tmp_path)  # a damaged cache is only a cache
    assert (tmp_path / "brief.html").read_text(encoding="utf-8") == first


def test_the_same_brief_leaves_the_files_as_they_are(tmp_path) -> None:
    from newsweave import api

    doc = _two_stories()
    paths = api.write_brief(doc, tmp_path)
    first = {k: p.read_bytes() for k, p in paths.items()}
    api.write_brief({**doc, "generated_at": "2099-01-01T00:00:00+00:00"}, tmp_path)
    assert {k: p.read_bytes() for k, p in paths.items()} == first  # only the time differs: kept
    paths["md"].unlink()  # a file gone: all written again
    api.write_brief(doc, tmp_path)
    assert {k: p.read_bytes() for k, p in paths.items()} == first
    paths["html"].write_text("edited by hand", encoding="utf-8")
    api.write_brief(doc, tmp_path)
    assert paths["html"].read_bytes() == first["html"]
    doc["articles"][2]["sentences"] = ["The bridge reopened on Saturday."]
    api.write_brief(doc, tmp_path)  # the brief changed: never left stale
    assert b"Saturday" in paths["html"].read_bytes() and b"Saturday" in paths["json"].read_bytes()


def test_plain_and_from_plain_round_trip_a_story_brief() -> None:
    from dataclasses import asdict

    from newsweave.model import from_plain, plain

    sb = hostile_brief().stories[0]
    data = plain(sb)
    assert data == brief_json.orjson.loads(brief_json.orjson.dumps(asdict(sb)))
    assert from_plain(StoryBrief, data) == sb


def test_two_statements_of_one_sentence_do_not_cite_it_as_their_own_also() -> None:
    def origin(article: str, sentence: int) -> tuple[str, int]:
        return (article, sentence)

    items = [{"article": "a", "sentence": 4, "text": "both sides wanted to keep lines open"},
             {"article": "a", "sentence": 4, "text": "both sides wanted to keep lines open"},
             {"article": "b", "sentence": 2, "text": "both sides wanted to keep lines open"}]
    out = collapse_repeats(items, origin)
    assert len(out) == 1 and out[0]["also"] == [{"article": "b", "sentence": 2}], out


def test_parts_are_read_back_as_written(tmp_path) -> None:
    from newsweave import render

    parts = render.Parts()
    for key, text in {"html1": "<p>Zürich — 北京 \u2028 \"quoted\"</p>\n", "md1": "", "md2": "line\\n"}.items():
        parts.get(key, lambda text=text: text)
    parts.save(tmp_path / "parts")
    assert render.Parts.load(tmp_path / "parts").stored == parts.used
