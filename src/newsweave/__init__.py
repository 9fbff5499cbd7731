"""newsweave: turn a pile of news reports into one trustworthy, sourced account per story."""

from .api import assign_stories, find_copies, ingest, open_workspace, run, sample_corpus, to_dict, write_brief
from .model import Article, Brief, RawDoc
from .pipeline import Options
from .workspace import Workspace

__all__ = [
    "Article", "Brief", "Options", "RawDoc", "Workspace",
    "assign_stories", "find_copies", "ingest", "open_workspace", "run", "sample_corpus", "to_dict", "write_brief",
]
__version__ = "0.1.0"
