"""Traceability: for each actionable article, the BPMN steps and code checks that enforce it and the
tests that prove it. Steps are the flow elements of processes/*.bpmn carrying the Spiff extension
property `articles`; checks are the functions marked with services.enforcement.enforces; tests are the
test functions whose names end with the article (`..._DES_2`)."""
from __future__ import annotations

import ast
import pkgutil
import re
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from lxml import etree

from services import articles as article_data
from services.enforcement import ENFORCEMENTS, Enforcement

ROOT = Path(__file__).resolve().parent.parent
PROCESSES_DIR = ROOT / "processes"
TESTS_DIR = ROOT / "tests"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ARTICLES_PROPERTY = "articles"

COVERED, NO_ENFORCER, NO_TEST = "covered", "no_enforcer", "no_test"

# `test_manifest_needs_two_distinct_escorts_DES_2`, `..._CNET_5_UNET_7`: one or more trailing articles.
_KEYS = "|".join(article_data.REGULATIONS)
_TEST_SUFFIX = re.compile(rf"((?:_(?:{_KEYS})_\d+)+)$")
_TEST_ARTICLE = re.compile(rf"_({_KEYS})_(\d+)")


@dataclass(frozen=True)
class BpmnStep:
    """A flow element of a BPMN process that names the articles it enforces."""
    process_id: str
    element_id: str
    element_name: str
    element_type: str  # the BPMN tag: userTask, serviceTask, exclusiveGateway, …
    articles: tuple[str, ...]  # as written, e.g. ("UNET.7", "DES.3(4)")
    source: str  # the file, relative to the repository when it lives there


@dataclass(frozen=True)
class Proof:
    file: str  # relative to the repository, e.g. tests/test_carry_out_api.py
    function: str  # test_x, or TestClass::test_x
    articles: tuple[str, ...]

    @property
    def node_id(self) -> str:
        return f"{self.file}::{self.function}"


@dataclass(frozen=True)
class UnknownArticle:
    article: str
    source: str  # "bpmn", "code" or "test"
    where: str


@dataclass
class ArticleTrace:
    article: article_data.Article
    steps: list[BpmnStep] = field(default_factory=list)
    checks: list[Enforcement] = field(default_factory=list)
    tests: list[Proof] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.steps and not self.checks:
            return NO_ENFORCER
        if not self.tests:
            return NO_TEST
        return COVERED


@dataclass
class Matrix:
    rows: list[ArticleTrace]
    unknown: list[UnknownArticle]

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.status == COVERED)

    def gaps(self) -> dict[str, str]:
        """Article → status, for every article not covered."""
        return {r.article.id: r.status for r in self.rows if r.status != COVERED}


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# --- BPMN steps ---------------------------------------------------------------------------------------

def bpmn_steps(bpmn_xml: str | bytes, source: str = "<string>") -> list[BpmnStep]:
    """The elements of one BPMN document that carry an `articles` property, in document order."""
    data = bpmn_xml.encode("utf-8") if isinstance(bpmn_xml, str) else bpmn_xml
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    found = []
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") != ARTICLES_PROPERTY:
            continue
        # property → spiffworkflow:properties → bpmn:extensionElements → the element it describes
        extension = prop.getparent().getparent() if prop.getparent() is not None else None
        element = extension.getparent() if extension is not None else None
        if element is None:
            continue
        process_tag = f"{{{BPMN_NS}}}process"
        process = element if element.tag == process_tag else next(element.iterancestors(process_tag), None)
        found.append(BpmnStep(
            process_id=process.get("id") if process is not None else "",
            element_id=element.get("id", ""),
            element_name=" ".join((element.get("name") or "").split()),
            element_type=etree.QName(element).localname,
            articles=tuple(article_data.split_ids(prop.get("value", ""))),
            source=source,
        ))
    return found


def process_file_xml(process_id: str, directory: Path = PROCESSES_DIR) -> str | None:
    """The BPMN of processes/<process_id>.bpmn, for a procedure not published yet; None if there is none."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", process_id):
        return None
    path = Path(directory) / f"{process_id}.bpmn"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def bpmn_steps_in(directory: Path = PROCESSES_DIR) -> list[BpmnStep]:
    steps = []
    for path in sorted(Path(directory).glob("*.bpmn")):
        steps.extend(bpmn_steps(path.read_bytes(), _relative(path)))
    return steps


# --- code checks --------------------------------------------------------------------------------------

_DISCOVERED = False


def code_checks() -> list[Enforcement]:
    """The enforcement registry, after importing every module under services/ (each registers its own
    checks on import, so a new module needs no list to be edited)."""
    global _DISCOVERED
    if not _DISCOVERED:
        import services
        from services import steps

        steps.load_all()
        for module in pkgutil.walk_packages(services.__path__, "services."):
            import_module(module.name)
        _DISCOVERED = True
    return list(dict.fromkeys(ENFORCEMENTS))  # without repeats, in registration order


# --- tests --------------------------------------------------------------------------------------------

def articles_in_test_name(name: str) -> tuple[str, ...]:
    """The articles a test function's name ends with: `test_x_CNET_5_UNET_7` → ("CNET.5", "UNET.7")."""
    suffix = _TEST_SUFFIX.search(name)
    if not suffix:
        return ()
    return tuple(f"{key}.{number}" for key, number in _TEST_ARTICLE.findall(suffix.group(1)))


def _test_functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node.name
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                    yield f"{node.name}::{item.name}"


def proofs_in_tests(directory: Path = TESTS_DIR) -> list[Proof]:
    """Test functions under `directory` (recursively) whose names end with an article."""
    proofs = []
    for path in sorted(Path(directory).rglob("*.py")):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except SyntaxError:
            continue  # a file being written; the test run itself will report it
        for function in _test_functions(tree):
            named = articles_in_test_name(function.rsplit("::", 1)[-1])
            if named:
                proofs.append(Proof(_relative(path), function, named))
    return proofs


# --- the matrix ---------------------------------------------------------------------------------------

def unknown_articles(steps: list[BpmnStep], checks: list[Enforcement],
                     tests: list[Proof] = ()) -> list[UnknownArticle]:
    """Articles named by a step, a check or a test that the seven regulations do not contain."""
    unknown = []
    for step in steps:
        unknown += [UnknownArticle(a, "bpmn", f"{step.source}#{step.element_id}")
                    for a in step.articles if not article_data.is_known(a)]
    unknown += [UnknownArticle(c.article, "code", c.where) for c in checks if not article_data.is_known(c.article)]
    for test in tests:
        unknown += [UnknownArticle(a, "test", test.node_id) for a in test.articles if not article_data.is_known(a)]
    return unknown


def build_matrix(steps: list[BpmnStep], checks: list[Enforcement], tests: list[Proof]) -> Matrix:
    rows = {a.id: ArticleTrace(a) for a in article_data.ARTICLES.values()}
    for step in steps:
        for a in dict.fromkeys(article_data.normalize(x) for x in step.articles):
            if a in rows:
                rows[a].steps.append(step)
    for check in checks:
        a = article_data.normalize(check.article)
        if a in rows:
            rows[a].checks.append(check)
    for test in tests:
        for a in dict.fromkeys(article_data.normalize(x) for x in test.articles):
            if a in rows:
                rows[a].tests.append(test)
    return Matrix(list(rows.values()), unknown_articles(steps, checks, tests))


def matrix(processes_dir: Path = PROCESSES_DIR, tests_dir: Path = TESTS_DIR) -> Matrix:
    """The traceability matrix of the code as it stands: processes/, the enforcement registry, tests/."""
    return build_matrix(bpmn_steps_in(processes_dir), code_checks(), proofs_in_tests(tests_dir))
