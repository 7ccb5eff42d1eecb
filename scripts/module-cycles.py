#!/usr/bin/env python3
"""Fails when the modules of a crate depend on each other in a cycle.

Every `crate::…` and `super::…` path in a file (use lines and inline paths) is an edge from the
file's module to the longest module prefix the path names. An edge between two modules is lifted to
the two siblings under their closest common ancestor (a parent using its child, or a child its
parent, is not a dependency between siblings), and each set of siblings must form a graph without
cycles. Usage: scripts/module-cycles.py crates/core/src
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def module_of(root: Path, file: Path) -> tuple:
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def test_module(text: str) -> str:
    """The file without `#[cfg(test)]` items: tests may reach anywhere."""
    out, skip, depth = [], False, 0
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("#[cfg(test)]"):
            # skip the next item (a `mod x;` line or a braced block)
            i += 1
            depth = 0
            started = False
            while i < len(lines):
                depth += lines[i].count("{") - lines[i].count("}")
                started = started or "{" in lines[i]
                i += 1
                if (started and depth <= 0) or (not started and lines[i - 1].rstrip().endswith(";")):
                    break
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def paths(text: str):
    for m in GROUP.finditer(text):
        base = m.group(1) + m.group(2)
        for item in m.group(3).split(","):
            item = item.strip().split(" as ")[0].strip()
            if not item:
                continue
            inner = re.match(r"([A-Za-z_][A-Za-z0-9_:]*)", item)
            if inner:
                yield base + "::" + inner.group(1).rstrip(":")
    for m in PATH.finditer(text):
        yield m.group(0)


def resolve(module: tuple, path: str, modules: set) -> tuple:
    segs = path.split("::")
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    else:
        base, rest = module, segs
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    target = base
    for seg in rest:
        if target + (seg,) not in modules:
            break
        target = target + (seg,)
    return target


def test_files(root: Path, files) -> set:
    """Modules declared under `#[cfg(test)]` (`mod tests;`) and everything below them."""
    tests = set()
    for f in files:
        module = module_of(root, f)
        for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_0-9]+)\s*;", f.read_text()):
            tests.add(module + (m.group(1),))
    return tests


def main(root: str, stages: list) -> int:
    root = Path(root)
    files = sorted(root.rglob("*.rs"))
    modules = {module_of(root, f) for f in files}
    tests = test_files(root, files)
    files = [f for f in files if not any(module_of(root, f)[: len(t)] == t for t in tests)]
    edges = {}
    for f in files:
        module = module_of(root, f)
        text = test_module(strip_comments(f.read_text()))
        for p in paths(text):
            target = resolve(module, p, modules)
            if target == module:
                continue
            common = 0
            while common < min(len(module), len(target)) and module[common] == target[common]:
                common += 1
            if common == len(module) or common == len(target):
                continue  # parent and descendant
            a, b = module[: common + 1], target[: common + 1]
            edges.setdefault(a, {}).setdefault(b, set()).add(f"{f.relative_to(root)} -> {p}")
    cycles = find_cycles(edges)
    for component in cycles:
        cycle = shortest_cycle(component, edges)
        print("module cycle: " + " -> ".join("::".join(m) for m in cycle + [cycle[0]]))
        for a, b in zip(cycle, cycle[1:] + [cycle[0]]):
            for why in sorted(edges[a][b])[:3]:
                print(f"    {why}")
    backwards = [
        (a, b, why)
        for a, targets in edges.items()
        for b, why in targets.items()
        if len(a) == 1 and len(b) == 1 and a[0] in stages and b[0] in stages
        and stages.index(a[0]) < stages.index(b[0])
    ]
    for a, b, why in backwards:
        print(f"stage {a[0]} imports the later stage {b[0]}:")
        for line in sorted(why)[:3]:
            print(f"    {line}")
    if cycles or backwards:
        return 1
    order = f", stages in order ({' -> '.join(stages)})" if stages else ""
    print(f"module-cycles: {len(modules)} modules of {root}, no cycles{order}")
    return 0


def shortest_cycle(component, edges):
    """The shortest cycle through the first module of a strongly connected component."""
    start, members = component[0], set(component)
    paths, queue = {start: [start]}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, {})):
            if w == start:
                return paths[v]
            if w in members and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return component


def find_cycles(edges):
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    stage_list = []
    if "--stages" in args:
        i = args.index("--stages")
        stage_list = args[i + 1].split(",")
        del args[i : i + 2]
    sys.exit(main(args[0] if args else "crates/core/src", stage_list))
