"""Every exercise check of the course notebooks passes with the answer of notebooks/solutions.md and fails with a wrong one.

An exercise is an *answer cell* of a notebook source (notebooks/_build/NN_*.py): a code cell with `...   # your answer`
or `...   # your code` in it, which defines names (`x = ...`, `def f`, `class C`). Its *check cell* is the next
code cell that calls `check(`. The solution of an exercise is the item of solutions.md's section "## NN ·" that
defines those names: its ```python block, or, when the item has none, its backquoted one-line `name = value`; it
replaces the answer cell except for the cell's import lines.

The test builds each notebook from its source, puts the solutions in place of the answer cells, and executes it
once in quick mode (as `build_notebooks.py --execute --quick` does), with two cells added:

- first, a cell that wraps `ecapaddle.course.check` so that it records every call (and refuses an answer still
  left as `...`) before asserting as usual: a wrong solution stops the notebook there;
- after every check cell, a cell that calls each check made by that cell again with a deliberately wrong answer
  (`wrong`, below) and the expected value it computed, and asserts AssertionError; then, for an answer cell that
  assigns values (not code), runs the check cell again with one answer at a time replaced by a wrong value and
  asserts that it raises: a check that accepts anything, or computes its expected value from the answer, stops
  the notebook there.

The parsing and the wrong answers are tested without a kernel; the harness itself is tested on small notebooks
executed in this process (a wrong solution and a check that accepts anything must both be reported).
"""
import inspect
import re
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
import build_notebooks  # noqa: E402

SOURCES = sorted((NOTEBOOKS / "_build").glob("[0-9][0-9]_*.py"))
SOLUTIONS = NOTEBOOKS / "solutions.md"
ANSWER = re.compile(r"\.\.\.\s*#\s*your (answer|code)")
DEFINED = re.compile(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=(?!=)", re.MULTILINE)
FENCED = re.compile(r"```python\n(.*?)```", re.DOTALL)
INLINE = re.compile(r"`(\w+\s*=[^`=][^`]*)`")


def wrong(answer):
    """An answer that no check should accept in place of `answer` (numbers: off by more than any tolerance used)."""
    import numbers

    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    if isinstance(answer, bool):
        return not answer
    if isinstance(answer, numbers.Integral):
        return int(answer) + abs(int(answer)) + 1
    if isinstance(answer, numbers.Real):
        return float(answer) + abs(float(answer)) + 1.0
    if isinstance(answer, str):
        return answer + " (wrong)"
    if isinstance(answer, (set, frozenset)):
        return set(answer) ^ {"(wrong)"}
    if isinstance(answer, dict):
        return {**answer, "(wrong)": None}
    if isinstance(answer, (list, tuple)):
        items = [wrong(answer[0]), *answer[1:]] if answer else [0]
        return type(answer)(items)
    raise TypeError(f"no wrong answer known for a {type(answer).__name__}")


RECORDER = f'''# added by tests/test_exercises.py: record every exercise check
import ecapaddle.course as _exercise_course

_CHECK, _CALLS, _VERIFIED = _exercise_course.check, [], []


def _recording_check(answer, expected, what="answer", tolerance=1e-3):
    assert answer is not _exercise_course.NOT_ANSWERED, f"{{what}}: the solution left the answer as ..."
    _CALLS.append((answer, expected, what, tolerance))
    return _CHECK(answer, expected, what, tolerance)


_exercise_course.check = _recording_check

{inspect.getsource(wrong)}'''

VERIFY = '''# added by tests/test_exercises.py: the checks of the cell above, with wrong answers
assert _CALLS, "this check cell made no check"
for _answer, _expected, _what, _tolerance in _CALLS:
    try:
        _CHECK(wrong(_answer), _expected, _what, _tolerance)
    except AssertionError:
        continue
    raise AssertionError(f"{{_what}}: the wrong answer {{wrong(_answer)!r}} passed the check")
_VERIFIED.append(len(_CALLS))
for _name in {values!r}:                   # the answers that are values: the check cell again, one of them wrong
    _right = globals()[_name]
    globals()[_name] = wrong(_right)
    try:
        exec({check!r}, globals())
    except AssertionError:
        pass
    else:
        raise AssertionError(f"the check cell accepts {{_name}} = {{globals()[_name]!r}}")
    finally:
        globals()[_name] = _right
_CALLS.clear()
'''

FINISHED = '''# added by tests/test_exercises.py
assert not _CALLS, f"checks outside an exercise's check cell: {{[c[2] for c in _CALLS]}}"
assert len(_VERIFIED) == {n}, f"{{len(_VERIFIED)}} check cells verified, {n} expected"
'''


def defined_names(code):
    return {a or b for a, b in DEFINED.findall(code)}


def value_names(code):
    """The names an answer cell assigns a value to (not those of a `def` or `class`)."""
    return sorted(b for a, b in DEFINED.findall(code) if b)


def exercises(nb):
    """[(index of the answer cell, index of its check cell, names the answer cell defines)] of a notebook."""
    found = []
    cells = nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or not ANSWER.search(cell.source):
            continue
        names = defined_names(cell.source)
        check = next((j for j in range(i + 1, len(cells)) if cells[j].cell_type == "code" and "check(" in cells[j].source), None)
        found.append((i, check, names))
    return found


def solutions(number, text=None):
    """The solution code of each exercise item of section `number` of solutions.md, in order: its ```python blocks,
    or, for an item without one, its backquoted `name = value` lines."""
    text = SOLUTIONS.read_text(encoding="utf-8") if text is None else text
    section = re.search(rf"^## {number} ·.*?(?=^## \d\d ·|\Z)", text, re.MULTILINE | re.DOTALL)
    if section is None:
        return []
    items = re.split(r"^\d+\. ", section.group(0), flags=re.MULTILINE)[1:]
    codes = []
    for item in items:
        blocks = [re.sub(r"^   ", "", block, flags=re.MULTILINE) for block in FENCED.findall(item)]
        codes.append("\n".join(blocks) if blocks else "\n".join(INLINE.findall(item)))
    return codes


def solution_for(names, codes):
    """The one solution that defines all of `names`."""
    matches = [code for code in codes if names <= defined_names(code)]
    assert len(matches) == 1, f"{len(matches)} solutions define {sorted(names)}"
    return matches[0]


def with_solutions(source, solution_text=None):
    """The notebook of `source` with its answer cells replaced by the solutions and the verifying cells added."""
    import nbformat

    nb = build_notebooks.build(source)
    found = exercises(nb)
    codes = solutions(source.name[:2], solution_text)
    for answer, check, names in reversed(found):
        assert check is not None, f"{source.name}: the answer cell {answer} has no check cell after it"
        verify = VERIFY.format(values=value_names(nb.cells[answer].source), check=nb.cells[check].source)
        nb.cells.insert(check + 1, nbformat.v4.new_code_cell(verify))
        imports = [line for line in nb.cells[answer].source.splitlines() if line.startswith(("import ", "from "))]
        nb.cells[answer].source = "\n".join(imports + [solution_for(names, codes)])     # the cell's imports stay
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORDER))
    nb.cells.append(nbformat.v4.new_code_cell(FINISHED.format(n=len(found))))
    return nb


def run_in_process(nb):
    """Execute the code cells of `nb` in one namespace here (for notebooks without Jupyter-only code)."""
    namespace = {"__name__": "__exercise_test__"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), namespace)
    return namespace


# ---------------------------------------------------------------------------------------------- without a kernel

@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_exercise_has_a_check_and_one_solution(source):
    nb = build_notebooks.build(source)
    found = exercises(nb)
    assert 2 <= len(found) <= 4, f"{len(found)} exercises with an answer cell"
    codes = solutions(source.name[:2])
    for answer, check, names in found:
        assert names, f"answer cell {answer} defines no name"
        assert check is not None and not any(ANSWER.search(nb.cells[j].source) for j in range(answer + 1, check)), \
            f"answer cell {answer} ({sorted(names)}) has no check cell before the next exercise"
        assert solution_for(names, codes).strip()


@pytest.mark.parametrize("answer", [0, 3, -2, 19_500, 0.0, 0.5, -2.118, 1e-9, True, False, "bn2", (101, 100), [4, 5, 6],
                                    [], set(), {"a-seed1"}, {"x": 1}])
def test_a_wrong_answer_is_rejected_by_check(answer):
    from ecapaddle.course import check

    check(answer, answer, tolerance=0.02)                    # the largest relative tolerance of the notebooks
    with pytest.raises(AssertionError):
        check(wrong(answer), answer, tolerance=0.02)


def test_solutions_are_read_from_blocks_and_one_line_answers():
    text = ("## 07 · Test\n\n1. **A:** `a = 1` and `b = [2]`, so on.\n2. **B:**\n   ```python\n   def f(x):\n"
            "       return x + 1\n   ```\n   because.\n")
    codes = solutions("07", text)
    assert codes == ["a = 1\nb = [2]", "def f(x):\n    return x + 1\n"]
    assert solution_for({"a", "b"}, codes) == "a = 1\nb = [2]" and solution_for({"f"}, codes).startswith("def f")
    assert value_names("x = ...   # your answer\ny = ...\ndef f():\n    return ...") == ["x", "y"]


EXAMPLE = """# %%
from ecapaddle import course

# %% [markdown]
# **Exercise 1.** What is 2 + 2?

# %%
four = ...   # your answer: an int

# %%
course.check(four, {expected}, "Exercise 1: 2 + 2")
"""


@pytest.mark.parametrize("expected, answer, passes", [("2 + 2", "4", True), ("2 + 2", "5", False), ("four", "5", False)],
                         ids=["right", "wrong solution", "check accepts anything"])
def test_the_harness_reports_a_wrong_solution_and_a_check_that_accepts_anything(tmp_path, expected, answer, passes):
    import ecapaddle.course

    source = tmp_path / "07_example.py"
    source.write_text(EXAMPLE.format(expected=expected), encoding="utf-8")
    nb = with_solutions(source, f"## 07 · Example\n\n1. **2 + 2:** `four = {answer}`.\n")
    check = ecapaddle.course.check
    try:
        if passes:
            assert run_in_process(nb)["_VERIFIED"] == [1]
        else:
            with pytest.raises(AssertionError):
                run_in_process(nb)
    finally:
        ecapaddle.course.check = check                       # the recorder wrapped it in this process


# ---------------------------------------------------------------------------------------------- the notebooks

@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_solutions_pass_and_wrong_answers_fail(source, monkeypatch):
    monkeypatch.setenv("ECAPADDLE_MODE", "quick")            # the kernel inherits it: the notebooks' quick mode
    nb = with_solutions(source)
    build_notebooks.execute(nb, timeout=600)                 # raises CellExecutionError at the first failing cell
