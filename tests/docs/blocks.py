"""The fenced code blocks of the documentation that the tests run: README.md, python/README.md
and docs/*.md. Shared by tests/python/test_docs.py (Python, JSON and console blocks) and by the
build, which compiles the C++ blocks into one program (`python3 blocks.py cpp OUT.cpp`)."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\s*$", re.M | re.S)


def documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "python" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(language: str = None) -> list[tuple[Path, int, str, str]]:
    """(file, line, language, text) of every fenced block, in document order."""
    found = []
    for path in documents():
        text = path.read_text()
        for m in FENCE.finditer(text):
            if language is None or m.group(1) == language:
                found.append((path, text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2)))
    return found


def cpp_program() -> str:
    """Every C++ block as a function of one program (its #include lines hoisted); main runs them."""
    includes, functions = [], []
    for k, (path, line, _, text) in enumerate(blocks("cpp")):
        body = []
        for row in text.splitlines():
            (includes if row.startswith("#include") else body).append(row)
        functions.append(f"// {path.relative_to(ROOT)}:{line}\nvoid block_{k}() {{\n" +
                         "\n".join("  " + r for r in body) + "\n}\n")
    calls = "".join(f"  block_{k}();\n" for k in range(len(functions)))
    return ("// Generated from the documentation's C++ blocks by tests/docs/blocks.py: do not edit.\n" +
            "\n".join(sorted(set(includes))) + "\n\n" + "\n".join(functions) +
            "\nint main() {\n" + calls + "  return 0;\n}\n")


if __name__ == "__main__" and sys.argv[1:2] == ["cpp"]:
    out = Path(sys.argv[2])
    program = cpp_program()
    if not out.exists() or out.read_text() != program:
        out.write_text(program)
