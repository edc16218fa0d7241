#!/usr/bin/env python3
"""The structural rules of keel, checked on the source tree.

CI runs this as the ctest `rules`. Each rule is one promise of
docs/architecture.md that a compiler would not notice breaking:

  cuda    CUDA stays in src/backend/cuda/: no file elsewhere includes a CUDA
          toolkit header (cuda*, cublas*, curand*, cusparse*, cufft*,
          cusolver*, nccl*, nvrtc*, nvml*, thrust/, cub/), and no .cu or
          .cuh file lives elsewhere. The CPU build must not need the toolkit.
  server  nothing under src/server/ includes a backend/ header: the server
          hands requests to the engine and never learns how an op runs.
  edges   an include from one module into another follows an edge that the
          `module-edges` block of docs/architecture.md allows. A module is a
          top-level folder of src/ (src/backend/cpu/ is module backend), or
          apps. An include "X/..." where X is a folder of src/ is an edge to X.

Usage:
  check_rules.py SOURCE_DIR           print file:line: [rule] message for each
                                      violation; exit 1 if there is one
  check_rules.py --report SOURCE_DIR  print the edges the code has today in the
                                      block's format, then the violations;
                                      exit 0 (for writing or reviewing the block)

Standard library only, so that it runs wherever CMake found a python3.
"""
import argparse
import pathlib
import re
import sys

SCANNED_FOLDERS = ("src", "apps", "tests", "bench", "tools")
SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh"}
CUDA_SUFFIXES = {".cu", ".cuh"}
CUDA_FOLDER = pathlib.PurePosixPath("src/backend/cuda")
SERVER_FOLDER = pathlib.PurePosixPath("src/server")
ARCHITECTURE_DOC = pathlib.PurePosixPath("docs/architecture.md")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
# The toolkit's headers by library prefix: <cuda_runtime.h>, <cuda/std/...>,
# <cublasLt.h>, <nccl.h>, ... and the two template libraries by folder.
CUDA_HEADER = re.compile(r"^(cuda|cublas|curand|cusparse|cufft|cusolver|nccl|nvrtc|nvml)|^(thrust|cub)/")
EDGES_FENCE = re.compile(r"^```text\s+module-edges\s*$")


class Violation:
    def __init__(self, path, line, rule, message):
        self.path, self.line, self.rule, self.message = path, line, rule, message

    def __str__(self):
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


class Include:
    """One #include line of one file."""

    def __init__(self, path, line, angled, target):
        self.path, self.line, self.angled, self.target = path, line, angled, target


def is_under(path, folder):
    return path == folder or folder in path.parents


def source_files(root):
    for folder in SCANNED_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for file in sorted(base.rglob("*")):
            if file.is_file() and file.suffix in SOURCE_SUFFIXES:
                yield pathlib.PurePosixPath(file.relative_to(root).as_posix())


def read_includes(root, path):
    text = (root / path).read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = INCLUDE.match(line)
        if match:
            yield Include(path, number, match.group(1) == "<", match.group(2).strip())


def module_of(path):
    """src/<module>/... is <module>; apps/... is apps; anything else has none."""
    parts = path.parts
    if len(parts) >= 3 and parts[0] == "src":
        return parts[1]
    if parts[0] == "apps":
        return "apps"
    return None


def resolves_in_tree(root, include):
    """The repository file a quoted include names relative to its own folder, if any."""
    if include.angled:
        return None
    candidate = (root / include.path.parent / include.target).resolve()
    if not candidate.is_file():
        return None
    try:
        return pathlib.PurePosixPath(candidate.relative_to(root.resolve()).as_posix())
    except ValueError:
        return None  # it climbed out of the repository


def target_module(root, include, src_modules):
    """The module an include reaches into, or None for a system or local header."""
    local = resolves_in_tree(root, include)
    if local is not None:
        return module_of(local)
    first, _, rest = include.target.partition("/")
    if rest and first in src_modules:
        return first
    return None


def parse_edges(root):
    """{module: set of modules it may include} from docs/architecture.md, the
    line of the block's fence, and the violations of the block itself."""
    doc = root / ARCHITECTURE_DOC
    if not doc.is_file():
        return None, 0, [Violation(ARCHITECTURE_DOC, 0, "edges", "missing: the module-edges block lives there")]
    lines = doc.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if EDGES_FENCE.match(line)), None)
    if start is None:
        return None, 0, [Violation(ARCHITECTURE_DOC, 0, "edges", "no ```text module-edges block")]
    edges, problems = {}, []
    for number in range(start + 1, len(lines)):
        line = lines[number].split("#", 1)[0].strip()
        if lines[number].startswith("```"):
            break
        if not line:
            continue
        module, colon, allowed = line.partition(":")
        if not colon:
            problems.append(Violation(ARCHITECTURE_DOC, number + 1, "edges", f"expected 'module: modules...', got '{line}'"))
            continue
        edges[module.strip()] = set(allowed.split())
    else:
        problems.append(Violation(ARCHITECTURE_DOC, start + 1, "edges", "the module-edges block is not closed"))
    problems += check_edges_point_down(edges, start + 1)
    return edges, start + 1, problems


def check_edges_point_down(edges, fence_line):
    """Edges point down only: the declared graph has no cycle, and the server
    is not allowed backend even on paper."""
    problems = []
    if "backend" in edges.get("server", set()):
        problems.append(Violation(ARCHITECTURE_DOC, fence_line, "server", "the module-edges block lets server include backend"))
    state = {}  # module -> "visiting" | "done"

    def visit(module, trail):
        if state.get(module) == "done":
            return
        if state.get(module) == "visiting":
            cycle = trail[trail.index(module):] + [module]
            problems.append(Violation(ARCHITECTURE_DOC, fence_line, "edges", "module-edges has a cycle: " + " -> ".join(cycle)))
            return
        state[module] = "visiting"
        for lower in sorted(edges.get(module, ())):
            visit(lower, trail + [module])
        state[module] = "done"

    for module in sorted(edges):
        visit(module, [])
    return problems


def check(root):
    """(violations, the edges the code has: {module: {module: first Include}})."""
    src_modules = {p.name for p in (root / "src").iterdir() if p.is_dir()} if (root / "src").is_dir() else set()
    allowed, fence_line, violations = parse_edges(root)
    found = {}
    for path in source_files(root):
        in_cuda = is_under(path, CUDA_FOLDER)
        if path.suffix in CUDA_SUFFIXES and not in_cuda:
            violations.append(Violation(path, 1, "cuda", f"a {path.suffix} file outside {CUDA_FOLDER}/"))
        module = module_of(path)
        for include in read_includes(root, path):
            local = resolves_in_tree(root, include)
            if not in_cuda and local is None and CUDA_HEADER.search(include.target):
                violations.append(Violation(path, include.line, "cuda",
                                            f"includes the CUDA header {include.target} outside {CUDA_FOLDER}/"))
            lower = target_module(root, include, src_modules)
            if is_under(path, SERVER_FOLDER) and lower == "backend":
                violations.append(Violation(path, include.line, "server", f"src/server/ includes {include.target}"))
            if module is None or lower is None or lower == module:
                continue
            found.setdefault(module, {}).setdefault(lower, include)
            if allowed is None:
                continue
            if module not in allowed:
                violations.append(Violation(path, include.line, "edges",
                                            f"module {module} has no line in the module-edges block of {ARCHITECTURE_DOC}"))
            elif lower not in allowed[module]:
                violations.append(Violation(path, include.line, "edges",
                                            f"{module} -> {lower} ({include.target}) is not an edge of {ARCHITECTURE_DOC}"))
    return violations, found


def print_report(found, violations):
    print("# the edges the code has (module: the modules it includes), for the module-edges block")
    for module in sorted(found):
        print(f"{module}: " + " ".join(sorted(found[module])))
    print()
    print("# an example include of each edge")
    for module in sorted(found):
        for lower, include in sorted(found[module].items()):
            print(f"{module} -> {lower}: {include.path}:{include.line} {include.target}")
    print()
    print(f"# {len(violations)} violation(s)")
    for violation in violations:
        print(violation)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source_dir", type=pathlib.Path, help="the repository root")
    parser.add_argument("--report", action="store_true", help="list the edges the code has; never fail")
    args = parser.parse_args()
    root = args.source_dir
    if not (root / "src").is_dir():
        print(f"check_rules: {root} has no src/ folder", file=sys.stderr)
        return 2
    violations, found = check(root)
    if args.report:
        print_report(found, violations)
        return 0
    for violation in violations:
        print(violation)
    if violations:
        print(f"check_rules: {len(violations)} violation(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
