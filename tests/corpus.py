"""The UDHR corpus (../shared/corpus/udhr) as pack sources: one pack per language, one
page per article. Test and benchmark data only; Satchel never needs it at run time."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from support import CORPUS

NS = {"u": "http://efele.net/udhr"}
NO_SPACE_SCRIPTS = {"Hans", "Hant", "Jpan", "Thai", "Khmr", "Mymr", "Tibt", "Laoo"}


@dataclass
class Article:
    path: str
    title: str
    text: str


@dataclass
class Language:
    key: str          # e.g. "cmn_hans"
    tag: str          # BCP 47, e.g. "zh-Hans"
    script: str
    title: str
    articles: list[Article]

    @property
    def pack_id(self) -> str:
        return "org.test.udhr-" + re.sub(r"[^a-z0-9]+", "-", self.key.lower())

    @property
    def no_spaces(self) -> bool:
        return self.script in NO_SPACE_SCRIPTS


def _text(elem: ET.Element) -> str:
    return " ".join(" ".join(p.itertext()).strip() for p in elem.iter("{http://efele.net/udhr}para"))


def load_language(path: Path) -> Language:
    root = ET.parse(path).getroot()
    key = path.stem.removeprefix("udhr_")
    tag = root.get("{http://www.w3.org/XML/1998/namespace}lang") or "und"
    tag = tag.replace("_", "-")
    if not re.match(r"^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$", tag):
        tag = "und"
    script = root.get("iso15924") or ""
    title = (root.findtext("u:title", default=key, namespaces=NS) or key).strip()
    articles = []
    pre = root.find("u:preamble", NS)
    if pre is not None:
        articles.append(Article("pages/preamble.md", (pre.findtext("u:title", "", NS) or "Preamble").strip(), _text(pre)))
    for art in root.findall("u:article", NS):
        n = int(art.get("number", "0"))
        articles.append(Article(f"pages/article-{n:02d}.md",
                                (art.findtext("u:title", "", NS) or f"Article {n}").strip(), _text(art)))
    return Language(key, tag, script, title, articles)


def languages() -> list[Language]:
    return [load_language(p) for p in sorted(CORPUS.glob("udhr_*.xml"))]


def write_language_source(lang: Language, folder: Path, version: int = 1) -> Path:
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    for a in lang.articles:
        title = a.title or a.path
        (folder / a.path).write_text(f"# {title}\n\n{a.text}\n", encoding="utf-8")
    pages = ", ".join(f'"{a.path}"' for a in lang.articles)
    safe_title = lang.title.replace('"', "'")
    (folder / "pack.toml").write_text(
        f'[pack]\nid = "{lang.pack_id}"\nversion = {version}\ntitle = "{safe_title}"\n'
        f'language = "{lang.tag}"\nkind = "guide"\n\n[[chapters]]\ntitle = "UDHR"\npages = [{pages}]\n',
        encoding="utf-8")
    return folder
