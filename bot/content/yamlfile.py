"""Read an owner's YAML file keeping line numbers, so every problem can name its line."""
from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from bot.content.problems import Problem, did_you_mean

SUPPORTED_VERSION = 1


def value_line(node, key) -> int:
    """1-based line where the text of `node[key]` starts (block scalars start below their key)."""
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    line = line_of(node, key)
    return line + 1 if isinstance(node[key], (LiteralScalarString, FoldedScalarString)) else line


def line_of(node, key=None) -> int:
    """1-based line of `node[key]` (or of the node itself) in its file."""
    try:
        if key is not None and isinstance(node, (CommentedMap, CommentedSeq)):
            return node.lc.key(key)[0] + 1 if isinstance(node, CommentedMap) else node.lc.item(key)[0] + 1
        return node.lc.line + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 1


def load_yaml(path: Path, rel: str, problems: list[Problem]) -> CommentedMap | None:
    """Parse `path`; on failure add a Problem and return None. Checks `version: 1`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(rel, 1, "file is missing"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, 1, f"not UTF-8 text ({exc.reason})"))
        return None
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            message += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        problems.append(Problem(rel, line, message))
        return None
    if not isinstance(data, CommentedMap):
        problems.append(Problem(rel, 1, "expected a mapping at the top of the file"))
        return None
    version = data.get("version")
    if version != SUPPORTED_VERSION:
        problems.append(
            Problem(rel, line_of(data, "version") if "version" in data else 1,
                    f"version must be {SUPPORTED_VERSION}, got {version!r}")
        )
        return None
    return data


def per_language(value, languages: tuple[str, ...], rel: str, line: int, problems: list[Problem]) -> dict:
    """A plain value (the default language) or a mapping {en: ..., es: ...}: {lang: value}."""
    if isinstance(value, CommentedMap):
        unknown = [k for k in value if k not in languages]
        for lang in unknown:
            problems.append(Problem(rel, line_of(value, lang),
                                    f"unknown language `{lang}`{did_you_mean(str(lang), languages)}; "
                                    f"languages are set in flows/settings.yaml"))
        found = {str(k): v for k, v in value.items() if k in languages}
        if languages[0] not in found:
            problems.append(Problem(rel, line, f"missing the default language `{languages[0]}`"))
        return found
    return {languages[0]: value} if value is not None else {}
