"""Fictional articles about one story, shared by the summary, timeline, render and writer tests."""

from __future__ import annotations

from pathlib import Path

from newsweave.ingest import to_article
from newsweave.model import Article, Citation, Claim, CopyRelation, Dispute, RawDoc

SHARED = Path(__file__).parents[1].parent / "shared"

TEXTS = {
    "harbour": ("Harbour Times", "2023-05-16", "Port of Veldmar closes after chemical spill", """
The Port of Veldmar was closed on Monday after a tanker spilled 300 tonnes of solvent into the harbour.
Harbour master Ilse Brandt said the spill was contained within six hours.
The tanker Norda Queen had arrived from Tallinn last October and had been moored since then.
Environment minister Oskar Lind said the spill had killed thousands of fish.
Fishermen said they would stay ashore until the water is tested.
The port will reopen on Friday if tests come back clean.
"""),
    "courier": ("Veldmar Courier", "2023-05-16", "Solvent spill shuts Veldmar port", """
A tanker spilled 300 tonnes of solvent into Veldmar harbour on Monday, closing the port.
The harbour master, Ilse Brandt, said crews contained the spill within six hours.
Minister Oskar Lind said thousands of fish had died because of the spill.
The shipping company Norda Lines denied that any fish had died and said the solvent was harmless.
Divers from the coast guard inspected the hull yesterday.
"""),
    "wire": ("Nordic Wire", "2023-05-17", "Veldmar spill: company rejects minister's account", """
Norda Lines rejected the minister's claim that the spill had killed fish.
The company said independent tests showed no harm to marine life.
The port of Veldmar was closed on Monday after 300 tonnes of solvent leaked from the tanker Norda Queen.
Officials expect the port to reopen on Friday.
"""),
    # A near-verbatim copy of "harbour" with machine-translation damage.
    "mirror": ("Aggregator", "2023-05-17", "Port closes after spill", """
the Port of Veldmar was closed on Monday after a tanker spilled 300 tonnes of solvent into the harbour.
Harbour master Ilse Brandt said the spill was contained within six hours.
tanker Norda Queen arrived from Tallinn last October and moored.
Environment minister Oskar Lind said the spill had killed thousands of fish.
"""),
}


def make_articles() -> dict[str, Article]:
    out = {}
    for key, (outlet, date, title, text) in TEXTS.items():
        result = to_article(RawDoc(source=f"{key}.txt", text=text.strip(), title=title, outlet=outlet,
                                   published=date))
        assert isinstance(result, tuple), result
        out[key] = result[0]
    return out


def make_copies(arts: dict[str, Article]) -> list[CopyRelation]:
    return [CopyRelation(arts["mirror"].id, arts["harbour"].id, "near-verbatim", 0.9)]


def find(article: Article, needle: str) -> int:
    return next(i for i, s in enumerate(article.sentences) if needle in s)


def fish_claim(arts: dict[str, Article]) -> Claim:
    """The minister's claim that fish died, denied by the shipping company."""
    h, c, w = arts["harbour"], arts["courier"], arts["wire"]
    return Claim(
        id="c1", text="The spill killed thousands of fish.", articles=[h.id, c.id],
        independent_sources=2, attributed_to=["Oskar Lind"],
        citations=[Citation(h.id, find(h, "killed thousands")), Citation(c.id, find(c, "thousands of fish"))],
        disputes=[Dispute(None, "Norda Lines", "denies", c.sentences[find(c, "denied")], c.id,
                          find(c, "denied")),
                  Dispute(None, "Norda Lines", "denies", w.sentences[find(w, "rejected")], w.id,
                          find(w, "rejected"))])


def seed_articles() -> list[Article]:
    seeds = SHARED / "seeds"
    out = []
    for f in sorted(seeds.glob("*.txt")):
        result = to_article(RawDoc(source=str(f), text=f.read_text(encoding="utf-8")))
        if isinstance(result, tuple):
            out.append(result[0])
    return out
