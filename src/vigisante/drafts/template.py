"""The small template language of the drafts: data that admins edit, so nothing executes.

Only two constructs, checked when a template is saved:
- ``{{ name }}`` puts a fact (see ``facts.FACTS``) in the text. A fact the report does not
  give yet is written as a visible marker ("[TO COMPLETE: ...]") and listed as a gap;
- ``{% if name %}...{% else %}...{% endif %}`` (``if not name`` too) keeps a passage when a
  condition holds (``facts.CONDITIONS``) or when a fact is given. Blocks may nest.
Anything else between braces is an error, so a typo never reaches an authority silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

TOKEN = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TemplateError(ValueError):
    """A template that cannot be used: the message says where and why."""


@dataclass
class _If:
    name: str
    negate: bool
    then: list = field(default_factory=list)
    otherwise: list = field(default_factory=list)
    in_else: bool = False


@dataclass(frozen=True)
class _Var:
    name: str


def _line(body: str, pos: int) -> int:
    return body.count("\n", 0, pos) + 1


def parse(body: str, *, facts: Iterable[str], conditions: Iterable[str]) -> list:
    """The template as a tree of text, variables and conditional blocks; TemplateError if not
    valid (unknown name, unbalanced block, stray brace)."""
    facts, conditions = set(facts), set(conditions)
    root: list = []
    stack: list[_If] = []

    def sink() -> list:
        if not stack:
            return root
        top = stack[-1]
        return top.otherwise if top.in_else else top.then

    pos = 0
    for m in TOKEN.finditer(body):
        sink().append(body[pos:m.start()])
        pos = m.end()
        where = _line(body, m.start())
        if m.group(1) is not None:
            name = m.group(1).strip()
            if name not in facts:
                raise TemplateError(f"line {where}: unknown fact {{{{ {name} }}}}")
            sink().append(_Var(name))
            continue
        words = m.group(2).split()
        if words[:1] == ["if"] and len(words) in (2, 3):
            negate = len(words) == 3
            if negate and words[1] != "not":
                raise TemplateError(f"line {where}: write {{% if name %}} or {{% if not name %}}")
            name = words[-1]
            if not NAME.match(name) or name not in facts | conditions:
                raise TemplateError(f"line {where}: unknown condition {name!r}")
            block = _If(name, negate)
            sink().append(block)
            stack.append(block)
        elif words == ["else"]:
            if not stack or stack[-1].in_else:
                raise TemplateError(f"line {where}: {{% else %}} outside an {{% if %}}")
            stack[-1].in_else = True
        elif words == ["endif"]:
            if not stack:
                raise TemplateError(f"line {where}: {{% endif %}} without {{% if %}}")
            stack.pop()
        else:
            raise TemplateError(f"line {where}: unknown tag {{% {' '.join(words)} %}}")
    if stack:
        raise TemplateError(f"{{% if {stack[-1].name} %}} is never closed by {{% endif %}}")
    tail = body[pos:]
    if "{{" in tail or "{%" in tail:
        raise TemplateError(f"line {_line(body, pos)}: an opening brace is never closed")
    root.append(tail)
    return root


def render(tree: list, *, values: Mapping[str, str | None], conditions: Mapping[str, bool],
           marker: Callable[[str], str]) -> tuple[str, list[str]]:
    """The text, and the names of the facts it needed but does not have (in order, once)."""
    out: list[str] = []
    gaps: list[str] = []

    def walk(nodes: list) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, _Var):
                value = values.get(node.name)
                if value is None:
                    out.append(marker(node.name))
                    if node.name not in gaps:
                        gaps.append(node.name)
                else:
                    out.append(value)
            else:
                held = (conditions[node.name] if node.name in conditions
                        else values.get(node.name) not in (None, ""))
                walk(node.otherwise if held == node.negate else node.then)

    walk(tree)
    text = re.sub(r"\n{3,}", "\n\n", "".join(out)).strip() + "\n"
    # A fact that ends a sentence, placed before the template's own full stop.
    text = re.sub(r"(?<![.])\.\.(?![.])", ".", text)
    return text, gaps
