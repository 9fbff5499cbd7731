"""Entity resolution: fictional fixtures for each rule, and the shared seed story when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsweave.entities import EntityIndex, Mention, resolve_entities, romanization_key, spelling_variant
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc

FIXTURES = Path(__file__).parent / "fixtures" / "entities"
SEEDS = Path(__file__).parents[1].parent / "shared" / "seeds"


def _load(paths: list[Path]) -> list[Article]:
    out = []
    for p in paths:
        result = to_article(RawDoc(source=str(p), text=p.read_text()))
        assert not isinstance(result, Exception), result
        out.append(result[0])
    return out


def _fixtures(*names: str, translated: str | None = None) -> list[Article]:
    articles = _load([FIXTURES / f"{n}.txt" for n in names])
    for a in articles:
        if translated and a.source.endswith(f"{translated}.txt"):
            a.flags.append("machine-translation-signs")
    return articles


def _ids_of(index: EntityIndex, surface: str) -> set[str]:
    """Entity ids of every mention written exactly `surface`."""
    return {m.entity for m in index.mentions if m.text == surface}


def _person(index: EntityIndex, name: str):  # noqa: ANN202 - Entity
    hits = [e for e in index.entities if e.name == name and e.type == "PERSON"]
    assert len(hits) == 1, (name, [e.name for e in index.entities if e.type == "PERSON"])
    return hits[0]


@pytest.fixture(scope="module")
def story() -> tuple[list[Article], EntityIndex]:
    articles = _fixtures("a1_talks", "a2_stalling", "a3_mayor", "a4_brother")
    return articles, resolve_entities(articles)


def test_name_token_helpers() -> None:
    assert romanization_key("Chao") == romanization_key("Zhao")
    assert romanization_key("Zhou") != romanization_key("Zhao")
    assert spelling_variant("Jack", "Jake") and spelling_variant("Li", "Liu")
    assert not spelling_variant("Joe", "Jake") and not spelling_variant("Marta", "Anders")


def test_surname_only_mentions_resolve(story: tuple[list[Article], EntityIndex]) -> None:
    articles, index = story
    anselm = _person(index, "Piet Anselm")
    # "Mr Anselm" in an article that never gives his full name, "Anselm" (tagged ORG) in one that does.
    assert _ids_of(index, "Anselm") == {anselm.id}
    assert set(anselm.articles) >= {articles[0].id, articles[1].id, articles[2].id}
    assert index.lookup("Mr Anselm") is anselm
    assert index.lookup("Brandvik").name == "Ilse Brandvik"


def test_misspelled_first_name_merges(story: tuple[list[Article], EntityIndex]) -> None:
    _, index = story
    reinholt = _person(index, "Tomas Reinholt")
    assert "Thomas Reinholt" in reinholt.aliases
    assert _ids_of(index, "Thomas Reinholt") == {reinholt.id}
    assert index.lookup("Thomas Reinholt") is reinholt
    assert "Thomas Reinholt" in index.garbled_variants()[reinholt.articles[1]]


def test_people_sharing_a_surname_stay_apart(story: tuple[list[Article], EntityIndex]) -> None:
    articles, index = story
    marta, anders = _person(index, "Marta Kollberg"), _person(index, "Anders Kollberg")
    erik, oskar = _person(index, "Erik Lund"), _person(index, "Oskar Lund")
    assert marta.id != anders.id and erik.id != oskar.id
    hanna, jonas = _person(index, "Hanna Velde"), _person(index, "Jonas Velde")  # a president and her adviser
    assert hanna.id != jonas.id
    # A lone surname is resolved within its article, and left alone where it is ambiguous.
    assert index.lookup("Lund", articles[2].id) is erik
    assert index.lookup("Lund") is None and index.lookup("Kollberg") is None
    # "Foreign Minister Kollberg": the Kollberg holding that role, not her brother the coach.
    assert index.lookup("Kollberg", articles[1].id) is marta
    assert articles[1].id in marta.articles and articles[1].id not in anders.articles


def test_spokespeople_sharing_a_role_stay_apart(story: tuple[list[Article], EntityIndex]) -> None:
    articles, index = story
    ilse, oskar = _person(index, "Ilse Brandvik"), _person(index, "Oskar Lund")
    assert ilse.id != oskar.id
    assert index.lookup("the spokesman") is None  # two spokespeople: a role alone names neither
    assert index.lookup("the foreign ministry spokeswoman") is ilse
    assert index.lookup("the government spokesman", articles[1].id) is oskar
    # The role-only mention in the text resolves to her, and entity_of finds it by its span.
    role_mentions = [m for m in index.mentions if m.text.lower() == "the foreign ministry spokeswoman"]
    assert len(role_mentions) == 1
    m = role_mentions[0]
    assert index.entity_of(m.article, m.sentence, m.start, m.end) is ilse


def test_roles_attached(story: tuple[list[Article], EntityIndex]) -> None:
    _, index = story
    assert "Valdorian Foreign Minister" in _person(index, "Marta Kollberg").roles
    assert "Estovan envoy" in _person(index, "Piet Anselm").roles
    assert "a spokeswoman for the Valdorian foreign ministry" in _person(index, "Ilse Brandvik").roles
    assert "the mayor of Tarnby" in _person(index, "Erik Lund").roles
    assert "a football coach in Tarnby" in _person(index, "Anders Kollberg").roles
    assert "national security adviser" in _person(index, "Jonas Velde").roles
    first = next(m for m in index.mentions if m.text == "Marta Kollberg")
    assert isinstance(first, Mention) and first.role == "Valdorian Foreign Minister"


def test_romanized_surname_in_same_article(story: tuple[list[Article], EntityIndex]) -> None:
    _, index = story
    zhang = _person(index, "Zhang Meiling")
    assert _ids_of(index, "Chang") == {zhang.id}


def test_garbled_given_name_merges_only_from_machine_translation() -> None:
    plain = resolve_entities(_fixtures("a1_talks", "a3_mayor", "a5_translated"))
    assert {e.name for e in plain.entities if e.type == "PERSON"} >= {"Wen Haoran", "Wen Takashi"}
    assert all("Wen Takashi" not in v for v in plain.garbled_variants().values())
    articles = _fixtures("a1_talks", "a3_mayor", "a5_translated", translated="a5_translated")
    index = resolve_entities(articles)
    wen = _person(index, "Wen Haoran")  # the spelling in more articles wins
    assert "Wen Takashi" in wen.aliases
    assert _ids_of(index, "Wen") == {wen.id}
    assert index.garbled_variants()[articles[2].id] == ["Wen Takashi"]


def test_stable_ids_and_entity_of(story: tuple[list[Article], EntityIndex]) -> None:
    articles, index = story
    again = resolve_entities(list(reversed(articles)))
    assert {e.id for e in again.entities} == {e.id for e in index.entities}
    for m in index.mentions[:20]:
        assert index.entity_of(m.article, m.sentence, m.start, m.end).id == m.entity
    for e in index.entities:
        assert e.name in e.aliases and e.mentions == sum(1 for m in index.mentions if m.entity == e.id)


# -- the shared seed story -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> tuple[list[Article], EntityIndex]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present")
    articles = _load(sorted(SEEDS.glob("*.txt")))
    return articles, resolve_entities(articles)


@pytest.mark.parametrize("name, variants", [
    ("Jake Sullivan", {"Jake Sullivan", "Jack Sullivan", "Sullivan"}),
    ("Yang Jiechi", {"Yang Jiechi", "Yang Kiyoshi", "Yang", "Jiechi"}),
    ("Liu Pengyu", {"Liu Pengyu", "Li Pengyu", "Liu"}),
    ("Zhao Lijian", {"Zhao Lijian", "Chao"}),
])
def test_seed_people_are_one_entity(seeds: tuple[list[Article], EntityIndex], name: str,
                                    variants: set[str]) -> None:
    _, index = seeds
    entity = _person(index, name)
    assert variants <= set(entity.aliases)
    for v in variants:
        assert _ids_of(index, v) == {entity.id}, v
        assert index.lookup(v) is entity


@pytest.mark.parametrize("a, b", [("Xi Jinping", "Yang Jiechi"), ("Liu Pengyu", "Zhao Lijian"),
                                  ("Joe Biden", "Jake Sullivan")])
def test_seed_people_stay_apart(seeds: tuple[list[Article], EntityIndex], a: str, b: str) -> None:
    _, index = seeds
    assert _person(index, a).id != _person(index, b).id


def test_seed_roles_and_flags(seeds: tuple[list[Article], EntityIndex]) -> None:
    articles, index = seeds
    assert "Chinese Foreign Ministry spokesman" in _person(index, "Zhao Lijian").roles
    # "Chinese embassy spokesman in Washington" once landed on CNN, which the tagger took for a person once.
    assert not [(e.name, e.roles) for e in index.entities if e.type != "PERSON" and e.roles]
    assert "a spokesman for the embassy of China in Washington" in _person(index, "Liu Pengyu").roles
    assert index.lookup("the U.S. national security adviser") is _person(index, "Jake Sullivan")
    # No ORG for the mis-tagged title in "U.S. National Security Adviser Jake Sullivan".
    assert not any(e.type == "ORG" and e.name.removeprefix("U.S. ") == "National Security"
                   for e in index.entities)
    assert len(_person(index, "Jake Sullivan").articles) == 5
    # "Communist Party of China's ...": the tagger's span ends on "of"; the name does not.
    assert not [e.name for e in index.entities if e.name.split()[-1].lower() in ("of", "and", "the")]
    garbled = index.garbled_variants()
    by_file = {Path(a.source).name[:3]: a.id for a in articles}
    assert "Jack Sullivan" in garbled[by_file["000"]] and "Jiechi" in garbled[by_file["000"]]
    assert garbled[by_file["001"]] == ["Yang Kiyoshi"]
    assert garbled[by_file["002"]] == ["Li Pengyu"]
    assert garbled[by_file["004"]] == ["Chao"]
    assert by_file["003"] not in garbled


def test_a_name_with_a_role_beside_it_is_a_person_even_when_tagged_org() -> None:
    # en_core_web_sm tags "Wieland" ORG here (and drops "Tomasz"); the appositive role says who it is.
    text = ("Tomasz Wieland, a senior fellow at the Stavik Centre for Global Affairs, said Norvessa had little "
            "reason to risk its trade with Valdoria for Drevania's sake.\n\n"
            '"Stavik has said again and again that more weapons only make it worse," Wieland said.')
    (article,) = [to_article(RawDoc(source="wieland.txt", text=text))[0]]
    index = resolve_entities([article])
    person = _person(index, "Tomasz Wieland")
    assert "Wieland" in person.aliases and any("senior fellow" in r for r in person.roles)
    assert not [e for e in index.entities if e.type == "ORG" and "Wieland" in e.name]


def test_a_medium_tagged_person_is_not_a_person() -> None:
    text = ("Harbour strike enters second week\n\n"
            "Mayor Lena Ortiz said on Twitter that the harbour would reopen on Friday.\n\n"
            "Ortiz met the union's leader, Pieter Vandam, on Monday.")
    index = resolve_entities([to_article(RawDoc(source="medium.txt", text=text))[0]])
    people = {e.name for e in index.entities if e.type == "PERSON"}
    assert "Twitter" not in people and "Lena Ortiz" in people


def test_roles_from_a_machine_translated_copy_only_when_no_other_article_gives_one() -> None:
    def article(text: str, source: str, mt: bool = False) -> Article:
        result = to_article(RawDoc(source=source, text=text))
        assert not isinstance(result, Exception), result
        if mt:
            result[0].flags.append("machine-translation-signs")
        return result[0]

    clean = article("Jonas Velde, Valdoria's national security adviser, met Estovan envoy Piet Anselm on Monday. "
                    "Velde said the talks were useful.", "clean.txt")
    spun = article("Jonas Velde, Valdoria's nationwide safety adviser, stated the talks with Estovan envoy Piet Anselm "
                   "have been helpful. Velde stated extra talks would observe.", "spun.txt", mt=True)
    both = resolve_entities([clean, spun])
    roles = _person(both, "Jonas Velde").roles
    assert any("national security adviser" in r for r in roles) and not any("nationwide" in r for r in roles)
    alone = resolve_entities([spun])
    assert any("nationwide safety adviser" in r for r in _person(alone, "Jonas Velde").roles)


def _plain(text: str, source: str) -> Article:
    result = to_article(RawDoc(source=source, text=text))
    assert not isinstance(result, Exception), result
    return result[0]


def test_a_lone_surname_of_a_person_named_elsewhere_is_that_person():
    # "Price" opens its sentences, where the small model tags it a common noun; the second article never
    # gives his first name.
    a = _plain("State Department spokesman Ned Price said on Tuesday that the talks in Emberg would resume "
               "next week.\n\nPrice added that the delegation had asked for more time to study the draft.", "a.txt")
    b = _plain("Price told reporters that the United States welcomed the decision of both delegations to "
               "return to the table.\n\nPrice rose sharply in the market, traders said.", "b.txt")
    index = resolve_entities([a, b])
    price = _person(index, "Ned Price")
    assert set(price.articles) == {a.id, b.id}
    assert {m.sentence for m in index.mentions if m.entity == price.id and m.article == b.id} == {0}


def test_a_surname_with_a_reflexive_is_a_person_not_an_organisation():
    a = _plain("Diplomatic sources in Rome do not rule out a conversation with Draghi himself, although it is "
               "not on the agenda of the visit.", "a.txt")
    index = resolve_entities([a])
    assert [e.type for e in index.entities if e.name == "Draghi"] == ["PERSON"]


def test_a_role_names_what_a_person_is_and_never_comes_from_inside_a_quotation():
    a = _plain('Mayor Lena Ortiz spoke at the harbour on Monday. "I hope the voters say, President Ortiz, thank '
               'you," she told reporters. Ortiz has been under pressure for weeks \u2014 events that can limit her '
               'time in the council.', "a.txt")
    index = resolve_entities([a])
    ortiz = _person(index, "Lena Ortiz")
    assert ortiz.roles == ["Mayor"], ortiz.roles


def test_types_are_shown_only_with_support_in_the_text():
    from newsweave.entities import _acronym, _foreign_place_shaped, _product_shaped

    assert _product_shaped("iPhone") and _product_shaped("Trent 900") and not _product_shaped("Valmora Bank")
    assert _acronym("NYPD") and _acronym("AFL-CIO") and not _acronym("IE") and not _acronym("HEMPSTEAD")
    assert _foreign_place_shaped(("col", "de", "port")) and not _foreign_place_shaped(("banco", "de", "espana"))


def test_names_the_small_model_mistypes_take_the_type_the_text_supports():
    from newsweave.entities import _person_shaped

    a = _plain("The Verdant Party said on Monday that its candidate would run. Police removed two members of the "
               "Verdant Party from the hall. In her book, Harbour Lights, the mayor wrote about the strike. The "
               "Marisport Flight 447 landed safely in Emberg.", "a.txt")
    index = resolve_entities([a])
    types = {e.name: e.type for e in index.entities}
    assert len([n for n in types if "Verdant Party" in n]) == 1, types
    assert types.get("Harbour Lights", "MISC") == "MISC" and types.get("Marisport Flight", "MISC") == "MISC", types
    assert _person_shaped("Elton Brand") and not _person_shaped("Morgan Stanley")
    assert not _person_shaped("General Motors") and not _person_shaped("Verdant Party")
