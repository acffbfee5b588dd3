"""A multiple-choice quiz with immediate feedback.

Choosing an answer shows at once whether it is right, with the pack's explanation, and
emits `answered` so the reader stores it in the vault (on the worker). The answer then
locks: the choices are disabled, the right one marked ✓ and a wrong choice ✗, so the
score counts the first answer (app.progress.record_answer keeps the first one too).
Feedback says right or wrong in words, with a symbol and a colour readable on the
palette in use (never colour alone). Earlier answers are shown, locked, when the page
reopens. All quiz text comes from a pack: plain-text labels only, and '&' doubled on
buttons so a choice cannot invent a mnemonic.
"""

from __future__ import annotations

from typing import Any

from ui.i18n import tr
from ui.qt import (
    QButtonGroup,
    QFrame,
    QGroupBox,
    QLabel,
    QRadioButton,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.widgets import ToneLabel, button_text, clean, heading, isolate, label

RIGHT, WRONG = "✓", "✗"


class QuestionBox(QGroupBox):
    chosen = Signal(int, int)  # question index, choice index

    def __init__(self, index: int, question: Any, rtl: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.question = question
        self.rtl = rtl
        self.setTitle(tr("Question {number}", number=index + 1))
        box = QVBoxLayout(self)
        self.text = label(clean(question.text))
        box.addWidget(self.text)
        self.group = QButtonGroup(self)
        self.buttons: list[QRadioButton] = []
        for i, choice in enumerate(question.choices):
            b = QRadioButton(isolate(button_text(clean(choice)), rtl))
            b.setAccessibleName(clean(choice))
            self.group.addButton(b, i)
            self.buttons.append(b)
            box.addWidget(b)
        self.feedback = ToneLabel("")
        self.feedback.setAccessibleName(tr("Feedback"))
        box.addWidget(self.feedback)
        self.explanation: QLabel = label("")  # the pack's own words, in their own direction
        box.addWidget(self.explanation)
        self.group.idClicked.connect(lambda i: self._choose(i, emit=True))
        self.correct: bool | None = None

    def _choose(self, choice: int, emit: bool) -> None:
        if self.correct is not None:
            return  # answered: the first answer stands
        q = self.question
        self.correct = choice == q.correct
        if self.correct:
            text = f"{RIGHT} " + tr("Right.")
        else:
            text = f"{WRONG} " + tr(
                "Not quite. The right answer is: {answer}",
                answer=isolate(clean(q.choices[q.correct]), self.rtl),
            )
        self.feedback.setText(text)
        self.feedback.set_tone("good" if self.correct else "bad")
        self.explanation.setText(clean(q.explanation, limit=4000))
        self._lock(choice)
        if emit:
            self.chosen.emit(self.index, choice)

    def _lock(self, choice: int) -> None:
        right = self.question.correct
        for i, b in enumerate(self.buttons):
            mark = RIGHT if i == right else WRONG if i == choice else ""
            if mark:
                b.setText(f"{mark} " + isolate(button_text(clean(self.question.choices[i])), self.rtl))
                b.setAccessibleDescription(tr("The right answer") if i == right else tr("Your answer: not right"))
            b.setEnabled(False)

    def restore(self, answer: str) -> None:
        choices = [clean(c) for c in self.question.choices]
        if answer in self.question.choices:
            i = self.question.choices.index(answer)
        elif answer in choices:
            i = choices.index(answer)
        elif answer.isdigit() and int(answer) < len(choices):
            i = int(answer)
        else:
            return
        self.buttons[i].setChecked(True)
        self._choose(i, emit=False)


class QuizView(QScrollArea):
    answered = Signal(int, str, bool)  # question index, answer text, correct
    all_answered = Signal(int, int)  # right, total

    def __init__(
        self, quiz: Any, answers: dict[int, tuple[str, bool]], rtl: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName(tr("Quiz"))
        inner = QWidget()
        inner.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
        box = QVBoxLayout(inner)
        if quiz.title:
            box.addWidget(heading(clean(quiz.title), level=2))
        if getattr(quiz, "intro", ""):
            box.addWidget(label(clean(quiz.intro, limit=4000)))
        self.questions: list[QuestionBox] = []
        for i, q in enumerate(quiz.questions):
            qb = QuestionBox(i, q, rtl)
            qb.chosen.connect(self._chosen)
            self.questions.append(qb)
            box.addWidget(qb)
            if i in answers:
                qb.restore(answers[i][0])
        if not quiz.questions:
            box.addWidget(label(tr("This quiz has no questions that Satchel can show.")))
        self.score = label("")
        self.score.setAccessibleName(tr("Score"))
        box.addWidget(self.score)
        box.addStretch(1)
        self.setWidget(inner)
        self._update_score()

    def _chosen(self, index: int, choice: int) -> None:
        qb = self.questions[index]
        self.answered.emit(index, qb.question.choices[choice], bool(qb.correct))
        if self._update_score():
            right = sum(1 for q in self.questions if q.correct)
            self.all_answered.emit(right, len(self.questions))

    def _update_score(self) -> bool:
        answered = [q for q in self.questions if q.correct is not None]
        if self.questions and len(answered) == len(self.questions):
            right = sum(1 for q in answered if q.correct)
            self.score.setText(
                tr("Correct answers: {right} of {total}.", right=right, total=len(self.questions))
            )
            return True
        self.score.setText("")
        return False
