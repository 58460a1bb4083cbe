"""The library's layering, read from its source: no import cycle (module
level or inside functions), and the model families import none of the
layers above them."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "video_inference"


def _module_name(path: pathlib.Path) -> str:
  parts = path.relative_to(ROOT).with_suffix("").parts
  return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
  """Module -> the library modules it imports, anywhere in its code."""
  modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
  graph = {}
  for name, path in modules.items():
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
      if isinstance(node, ast.Import):
        imported.update(alias.name for alias in node.names)
      elif isinstance(node, ast.ImportFrom) and node.module:
        for alias in node.names:
          full = f"{node.module}.{alias.name}"
          imported.add(full if full in modules else node.module)
    graph[name] = {target for target in imported if target in modules
                   and target != name}
  return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
  """One import cycle as [a, b, ..., a], or [] where there is none."""
  state, stack = {}, []

  def visit(node):
    state[node] = "open"
    stack.append(node)
    for target in sorted(graph[node]):
      if state.get(target) == "open":
        return stack[stack.index(target):] + [target]
      if target not in state:
        cycle = visit(target)
        if cycle:
          return cycle
    state[node] = "done"
    stack.pop()
    return []

  for node in sorted(graph):
    if node not in state:
      cycle = visit(node)
      if cycle:
        return cycle
  return []


def test_the_library_has_no_import_cycle():
  assert find_cycle(import_graph()) == []


def test_the_cycle_finder_finds_one():
  graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
  assert find_cycle(graph) == ["a", "b", "c", "a"]
  assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_models_import_no_layer_above_them():
  above = ("video_inference.train", "video_inference.modes",
           "video_inference.evaluation", "video_inference.runs",
           "video_inference.main", "video_inference.sample")
  offenders = {module: sorted(t for t in targets if t.startswith(above))
               for module, targets in import_graph().items()
               if module.startswith("video_inference.models")}
  assert {m: t for m, t in offenders.items() if t} == {}
