"""Quizzes: multiple-choice questions written in plain Markdown.

A quiz page is a page whose file name ends in `.quiz.md`. Its first heading is the
quiz title; each second-level heading is a question, followed by its choices as a task
list (`- [x]` marks the one right answer, `- [ ]` the others) and optionally a block
quote with an explanation shown after answering:

    ## Which passphrase is strongest?
    - [ ] password123
    - [x] four random words from a dice list
    - [ ] your date of birth

    > Length and randomness matter more than odd characters.

`parse_quiz` never raises on a page from outside; `quiz_problems` lists what a trainer
must fix, with line numbers, and `satchel pack build` refuses a quiz that has any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

QUIZ_SUFFIX = ".quiz.md"
MAX_CHOICES = 12
MAX_QUESTIONS = 200

_CHOICE = re.compile(r"^\s{0,3}[-*+]\s+\[([ xX])\]\s+(.*\S)\s*$")
_H1 = re.compile(r"^\s{0,3}#\s+(.*?)\s*#*\s*$")
_H2 = re.compile(r"^\s{0,3}##\s+(.*?)\s*#*\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")


@dataclass
class Question:
    text: str
    choices: list[str] = field(default_factory=list)
    correct: int = -1
    explanation: str = ""
    line: int = 0


@dataclass
class Quiz:
    title: str
    intro: str
    questions: list[Question]


def is_quiz_path(path: str) -> bool:
    return path.lower().endswith(QUIZ_SUFFIX)


def _parse(markdown: str) -> tuple[Quiz, list[str]]:
    problems: list[str] = []
    title = ""
    intro: list[str] = []
    questions: list[Question] = []
    current: Question | None = None
    explanation: list[str] = []
    in_fence = False

    def finish() -> None:
        nonlocal current, explanation
        if current is None:
            return
        current.explanation = " ".join(s for s in explanation if s).strip()
        marked = [i for i, _ in enumerate(current.choices) if i in _marks]
        if len(current.choices) < 2:
            problems.append(f"line {current.line}: a question needs at least two choices")
        elif len(current.choices) > MAX_CHOICES:
            problems.append(f"line {current.line}: a question may have at most {MAX_CHOICES} choices")
        if len(marked) != 1:
            problems.append(f"line {current.line}: mark exactly one choice as right with [x]")
        else:
            current.correct = marked[0]
        questions.append(current)
        current, explanation = None, []
        _marks.clear()

    _marks: set[int] = set()
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        if (m := _H2.match(line)) is not None:
            finish()
            current = Question(text=m.group(1), line=number)
            continue
        if (m := _H1.match(line)) is not None and not title and current is None:
            title = m.group(1)
            continue
        if current is None:
            if line.strip():
                intro.append(line.strip())
            continue
        if (m := _CHOICE.match(line)) is not None:
            if m.group(1).lower() == "x":
                _marks.add(len(current.choices))
            current.choices.append(m.group(2))
        elif (m := _QUOTE.match(line)) is not None:
            explanation.append(m.group(1).strip())
    finish()
    if not questions:
        problems.append("a quiz needs at least one question (a '## ' heading followed by choices)")
    if len(questions) > MAX_QUESTIONS:
        problems.append(f"a quiz may have at most {MAX_QUESTIONS} questions")
    return Quiz(title, " ".join(intro), questions[:MAX_QUESTIONS]), problems


def parse_quiz(markdown: str) -> Quiz:
    """The quiz in a page; questions that are not well-formed are left out."""
    quiz, _ = _parse(markdown)
    quiz.questions = [q for q in quiz.questions if 2 <= len(q.choices) <= MAX_CHOICES and q.correct >= 0]
    return quiz


def quiz_problems(markdown: str) -> list[str]:
    """What is wrong with a quiz page, for the trainer who wrote it (empty if nothing)."""
    return _parse(markdown)[1]
