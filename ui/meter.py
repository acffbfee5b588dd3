"""The passphrase strength meter shared by the first run and the passphrase dialogs.

Guarantees: the bar shows one step even at "Very weak" (an empty bar reads as "nothing
typed"), its colour follows the level (red, amber, green, each 3:1 or more against the
bar's background in the palette in use), and the level is always also said in words
next to it, so colour is never the only signal.
"""

from __future__ import annotations

from ui import contrast
from ui.i18n import N_, tr
from ui.qt import QApplication, QPalette, QProgressBar, QWidget
from ui.strength import Strength

LEVELS = (N_("Very weak"), N_("Weak"), N_("Fair"), N_("Good"), N_("Strong"))
STEPS = len(LEVELS)


def describe(strength: Strength | None) -> str:
    """The sentence beside the meter (a tip when nothing is typed yet)."""
    if strength is None:
        return tr("Tip: four or more ordinary words, in any language, make a strong passphrase.")
    level = tr(LEVELS[strength.score])
    if not strength.acceptable:
        return tr("Strength: {level}. Make it longer: add another word or two.", level=level)
    return tr("Strength: {level}.", level=level)


class StrengthMeter(QProgressBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, STEPS)
        self.setValue(0)
        self.setTextVisible(False)
        self.setAccessibleName(tr("Passphrase strength"))
        self.strength: Strength | None = None

    def show_strength(self, strength: Strength | None) -> None:
        """Show `strength` (None: nothing typed): score 0 fills one step of five."""
        self.strength = strength
        self.setValue(0 if strength is None else strength.score + 1)
        self.setAccessibleDescription(describe(strength))
        self._recolour()

    def _recolour(self) -> None:
        palette = QPalette(QApplication.palette())
        s = self.strength
        if s is not None:
            tones = (contrast.bad_colour, contrast.bad_colour, contrast.warn_colour, contrast.good_colour)
            tone = tones[min(s.score, 3)]
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                palette.setColor(group, QPalette.ColorRole.Highlight, tone(palette))
        self.setPalette(palette)

    def theme_changed(self) -> None:
        """Called by ui.theme.apply (Qt skips widgets that set their own palette)."""
        self._recolour()
