"""Which code enforces which article: a registry the compliance page reads beside the BPMN's own
`articles` properties."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Enforcement:
    article: str
    where: str  # module.function
    what_zh: str
    what_en: str


ENFORCEMENTS: list[Enforcement] = []


def enforces(*articles: str, what_zh: str, what_en: str):
    """Mark a function as enforcing `articles`; the function is returned unchanged."""
    def mark(fn):
        where = f"{fn.__module__}.{fn.__qualname__}"
        ENFORCEMENTS.extend(Enforcement(a, where, what_zh, what_en) for a in articles)
        return fn
    return mark
