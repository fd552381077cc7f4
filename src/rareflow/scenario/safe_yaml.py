"""Bounded YAML parsing shared by the CLI loader and the web service.

PyYAML has no limits: 5,000 nested brackets cost seconds of CPU in its scanner (every flow
level keeps a possible simple key that is rescanned per token) and then a RecursionError in the
composer, an alias bomb of 1 KB expands to billions of nodes, an integer of 4,301 digits raises
Python's int-size ValueError, `1e400` becomes infinity and `"\\ud800"` makes a lone surrogate that
cannot be printed or stored. Here every one of those is refused while parsing, with a
`ScenarioError` naming file and line, long before any of them costs time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from rareflow.scenario.errors import ScenarioError

MAX_BYTES = 1_000_000  # a real scenario is a few KB
MAX_DEPTH = 64  # nesting of mappings and lists; real scenarios use about 5
MAX_NODES = 200_000  # values after expanding aliases
MAX_INT_DIGITS = 300  # far beyond any quantity, far below Python's 4,300-digit limit


def _mark_line(mark: yaml.Mark | None) -> int:
    return mark.line + 1 if mark is not None else 1


class LimitError(yaml.constructor.ConstructorError):
    """A limit of this module: its message already says what was expected."""


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader with depth limits, finite numbers and no lone surrogates.

    Implicit timestamps are off: '2025-04-04' stays text, parsed by the schema, so a day and a
    month are read the same way and errors quote what was written.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    # scanner: flow brackets are counted before the scanner's cost grows with them
    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise LimitError(
                None, None, f"expected at most {MAX_DEPTH} nested levels", self.get_mark()
            )
        super().fetch_flow_collection_start(TokenClass)

    # scanner: block indentation levels
    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= MAX_DEPTH:
            raise LimitError(
                None, None, f"expected at most {MAX_DEPTH} nested levels", self.get_mark()
            )
        return bool(super().add_indent(column))

    # composer: the recursion the depth limit protects
    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()
                raise LimitError(
                    None, None, f"expected at most {MAX_DEPTH} nested levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_scalar(self, node: Any) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str):
            bad = next((c for c in value if 0xD800 <= ord(c) <= 0xDFFF), None)
            if bad is not None:
                raise LimitError(
                    None,
                    None,
                    f"expected text without lone surrogates, got \\u{ord(bad):04x}",
                    node.start_mark,
                )
        return value

    def construct_yaml_int(self, node: Any) -> int:
        text = str(self.construct_scalar(node))
        if sum(c.isalnum() for c in text) > MAX_INT_DIGITS:
            raise LimitError(
                None,
                None,
                f"expected an integer of at most {MAX_INT_DIGITS} digits",
                node.start_mark,
            )
        return int(super().construct_yaml_int(node))

    def construct_yaml_float(self, node: Any) -> float:
        value = float(super().construct_yaml_float(node))
        if not math.isfinite(value):
            text = str(self.construct_scalar(node))
            raise LimitError(None, None, f"expected a finite number, got {text}", node.start_mark)
        return value


BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
BoundedLoader.add_constructor("tag:yaml.org,2002:float", BoundedLoader.construct_yaml_float)


def check_text(text: str, path: str | Path) -> None:
    """Size and characters, checked before any parsing."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        code = ord(text[exc.start])
        raise ScenarioError(
            f"expected text without lone surrogates, got \\u{code:04x}", path, line
        ) from None
    if size > MAX_BYTES:
        raise ScenarioError(f"expected at most {MAX_BYTES} bytes of YAML, got {size}", path)


def _expanded_size(node: yaml.Node, path: str | Path) -> None:
    """Count the values the node graph stands for once aliases are expanded (linear time)."""
    sizes: dict[int, int] = {}
    # post-order without recursion: aliases make a DAG, sizes are memoised per node
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if id(current) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.MappingNode):
            children = [n for pair in current.value for n in pair]
        elif isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        if not done:
            stack.append((current, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 0) for c in children)
        if total > MAX_NODES:
            raise ScenarioError(
                f"expected at most {MAX_NODES} values once aliases (*name) are expanded",
                path,
                _mark_line(current.start_mark),
            )
        sizes[id(current)] = total


def compose(text: str, path: str | Path) -> tuple[BoundedLoader, yaml.Node | None]:
    """The node tree of `text`, within every limit; the caller constructs and disposes."""
    check_text(text, path)
    try:
        # the reader checks the characters when it is made: a control character is a YAML error
        loader = BoundedLoader(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}".splitlines()[0], path, 1) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node, path)
    except yaml.MarkedYAMLError as exc:
        loader.dispose()
        raise yaml_error(exc, path) from None
    except yaml.YAMLError as exc:
        loader.dispose()
        raise ScenarioError(f"invalid YAML: {exc}", path, 1) from None
    except ScenarioError:
        loader.dispose()
        raise
    return loader, node


def yaml_error(exc: yaml.MarkedYAMLError, path: str | Path) -> ScenarioError:
    """A PyYAML error with a mark as the one-line scenario error."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "malformed"
    if isinstance(exc, LimitError):  # our own limits already say what was expected
        return ScenarioError(problem, path, _mark_line(mark))
    return ScenarioError(f"invalid YAML: {problem}", path, _mark_line(mark))


def load(text: str, path: str | Path) -> Any:
    """Plain data from `text` within every limit (no line numbers); ScenarioError otherwise."""
    loader, node = compose(text, path)
    try:
        return None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", path, 1) from None
    finally:
        loader.dispose()
