"""Share packs over Tor from the desktop app (a trainer's workshop): choose the packs (or
everything signed with one's own key), give the secret key and its passphrase, choose
how long, press "Start sharing"; then the dialog shows plainly that sharing is on, until
when, the share line with a Copy button and its QR code, the fingerprint to read aloud,
and how often each pack was fetched whole.

Guarantees:
- Nothing is shared until the person presses "Start sharing"; opening the dialog only
  lists the library.
- Starting (reading the key, Tor's bootstrap, publishing) runs in sync/ (the same
  `start_share` as `satchel share start`) on a QThread with a progress bar and Cancel;
  the GUI thread only shows what the worker reports through queued signals.
- The passphrase field is cleared when it is read; the secret key signs the index once
  on the worker and is dropped. The key file's path is kept inside the vault (settings),
  never in QSettings.
- The share outlives the dialog (closing it does not stop sharing; the main window then
  shows "Sharing is on"), but not the session: a lock or a panic stops it at once
  (sync.share, through the vault), and closes this dialog like every other.
- Pack titles are text from outside, shown through `clean()` in plain items.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from ui.i18n import N_, tr
from ui.qt import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDate,
    QDateEdit,
    QDialog,
    QFontDatabase,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QObject,
    QProgressBar,
    QRadioButton,
    QStackedWidget,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QThread,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.widgets import PassphraseField, clean, heading, label, push

KEY_PATH_SETTING = "share.key_path"
MAX_KEY_FILE = 64 * 1024
_SHARES: set[Any] = set()        # running shares outlive a closed dialog (never the session)
_JOBS: set[Any] = set()          # and so does a start that is still running

FAILURES = {
    "KeyUnreadable": N_("Satchel could not open your secret key: check the file and its passphrase."),
    "NothingToShare": N_("None of your packs is signed by this key. Tick the packs to share instead."),
    "ShareAlreadyRunning": N_("A share is already running from this library."),
    "ShareKeyMismatch": N_("Your persistent share is signed with another key. Use that key, or revoke the share to "
                           "start a new one."),
    "SharePublishFailed": N_("Tor could not publish the share. Check the connection and try again."),
    "TorBlocked": N_("Tor could not connect. The network may be blocking Tor: try bridges."),
    "TorNotFound": N_("Satchel cannot find the Tor program. Install tor, or start Tor Browser and use its "
                      "connection."),
    "TorFailed": N_("Tor stopped while connecting. Check the bridge lines, or try again."),
    "TransferCancelled": N_("Cancelled. Nothing is being shared."),
}
ENDINGS = {
    "ended": N_("The share reached its end date and stopped."),
    "tor": N_("The share stopped: its Tor connection ended."),
    "failed": N_("The share stopped after an unexpected error."),
}


class KeyUnreadable(Exception):
    """The secret key file could not be read or opened with the passphrase given."""


def failure_sentence(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        if cls.__name__ in FAILURES:
            return tr(FAILURES[cls.__name__])
    return tr("Something went wrong; nothing is being shared.")


class ShareEvents(QObject):
    """Tells the main window when a share starts or stops (from any thread)."""

    changed = Signal()


_events: ShareEvents | None = None


def events() -> ShareEvents:
    global _events
    if _events is None:
        _events = ShareEvents()
    return _events


def current_share(vault: Any) -> Any:
    """The share running from `vault`, if any."""
    return next((s for s in list(_SHARES) if s.vault is vault and s.running), None)


def _stopped(share: Any) -> None:
    """A share stopped (on its own thread, or the locking one): forget it, tell the window."""
    _SHARES.discard(share)
    events().changed.emit()


def _read_key(path: Path, passphrase: str) -> Any:
    from crypto import minisign
    from crypto.minisign import MinisignError

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_KEY_FILE + 1)
        if len(data) > MAX_KEY_FILE:
            raise KeyUnreadable()
        text = data.decode("utf-8")
        return minisign.secret_key_from_text(text, passphrase if minisign.key_needs_passphrase(text) else None)
    except (OSError, UnicodeDecodeError, MinisignError):
        raise KeyUnreadable() from None


class _StartJob(QThread):
    """Read the key, start Satchel's own tor, publish the share; reports through signals."""

    progress = Signal(int, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, vault: Any, key_path: Path, passphrase: str, pack_ids: list[str], until: int | None,
                 persistent: bool, tor_extra: dict[str, list[str]] | None) -> None:
        super().__init__()
        self.vault, self.key_path, self.passphrase = vault, key_path, passphrase
        self.pack_ids, self.until, self.persistent, self.tor_extra = pack_ids, until, persistent, tor_extra
        self.cancel = threading.Event()
        self.tor: Any = None
        self.finished.connect(lambda: _JOBS.discard(self))

    def stop_now(self) -> None:
        """Cancel, and kill the tor started for this share at once (lock, panic, close)."""
        self.cancel.set()
        tor = self.tor
        if tor is not None:
            with contextlib.suppress(Exception):
                tor.kill()

    def _hold(self, tor: Any) -> None:
        self.tor = tor

    def run(self) -> None:
        from sync.errors import TransferCancelled
        from sync.share import open_host, start_share
        from sync.share_store import choose_packs
        from sync.tor import Progress

        report: Progress = lambda percent, phase: self.progress.emit(int(percent), phase)  # noqa: E731
        try:
            key = _read_key(self.key_path, self.passphrase)
            self.passphrase = ""
            choose_packs(self.vault, self.pack_ids, key.public.key_id_hex)   # before reaching Tor
            bridges = _sync_bridges(self.vault)
            host = open_host(self.vault.home, bridges=bridges, progress=report, cancel=self.cancel,
                             extra=self.tor_extra, hold=self._hold)
            if self.cancel.is_set():
                host.close()
                raise TransferCancelled("cancelled")
            share = start_share(self.vault, key, self.pack_ids, host=host, until=self.until,
                                persistent=self.persistent, progress=report)
            del key
            if self.cancel.is_set():
                share.stop()
                raise TransferCancelled("cancelled")
        except Exception as exc:
            # Cancel kills the tor being started, which then reports that it stopped.
            self.failed.emit(TransferCancelled("cancelled") if self.cancel.is_set() else exc)
            return
        self.succeeded.emit(share)


def _sync_bridges(vault: Any) -> list[Any]:
    """The bridges set in "Sync over Tor", if the person turned them on there."""
    from content_packs.bridges import BadBridge, parse_bridges

    choice = vault.get_setting("sync.connection", {})
    if not isinstance(choice, dict) or choice.get("use_bridges") is not True:
        return []
    lines = [x for x in choice.get("bridges", []) if isinstance(x, str)]
    try:
        return parse_bridges(lines)
    except BadBridge:
        return []


class ShareDialog(QDialog):
    """Start, watch and stop a share of packs over Tor."""

    def __init__(self, vault: Any, parent: QWidget | None = None, session: Any = None,
                 tor_extra: dict[str, list[str]] | None = None) -> None:
        super().__init__(parent)
        self.vault = vault
        self.session = session
        self.tor_extra = tor_extra          # torrc lines of a private test network, else None
        self.job: _StartJob | None = None
        self.share: Any = None
        self.setWindowTitle(tr("Share packs over Tor"))
        self.pages = QStackedWidget()
        self.pages.addWidget(self._setup_page())
        self.pages.addWidget(self._sharing_page())
        main = QVBoxLayout(self)
        main.addWidget(self.pages, 1)
        self.resize(720, 680)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._refresh)
        self._load()
        running = current_share(vault)
        if running is not None:
            self._show_share(running)

    # -- the set-up page -------------------------------------------------------------

    def _setup_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.addWidget(label(tr("Participants who have the share line can fetch the packs you choose, over Tor, "
                               "while Satchel shares them. Nothing is shared until you press Start sharing.")))
        self.everything_radio = QRadioButton(tr("Everything I have signed (with the key below)"))
        self.chosen_radio = QRadioButton(tr("Only the packs I tick"))
        group = QButtonGroup(self)
        group.addButton(self.everything_radio)
        group.addButton(self.chosen_radio)
        self.everything_radio.setChecked(True)
        self.pack_list = QListWidget()
        self.pack_list.setAccessibleName(tr("Packs to share"))
        self.pack_list.setEnabled(False)
        self.chosen_radio.toggled.connect(self.pack_list.setEnabled)
        packs = QGroupBox(tr("What to share"))
        pcol = QVBoxLayout(packs)
        pcol.addWidget(self.everything_radio)
        pcol.addWidget(self.chosen_radio)
        pcol.addWidget(self.pack_list, 1)
        col.addWidget(packs, 1)

        self.key_path = QLineEdit()
        self.key_path.setAccessibleName(tr("Your secret key file"))
        self.key_button = push(tr("Choose…"))
        self.key_button.clicked.connect(self._choose_key)
        self.passphrase = PassphraseField(tr("Passphrase of your secret key"))
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_path, 1)
        key_row.addWidget(self.key_button)
        keys = QGroupBox(tr("Your secret key file (it signs the list of packs, and is not kept)"))
        kcol = QVBoxLayout(keys)
        kcol.addLayout(key_row)
        kcol.addWidget(label(tr("Passphrase of your secret key")))
        kcol.addWidget(self.passphrase)
        col.addWidget(keys)

        self.while_radio = QRadioButton(tr("While Satchel runs"))
        self.until_radio = QRadioButton(tr("Until this day:"))
        when = QButtonGroup(self)
        when.addButton(self.while_radio)
        when.addButton(self.until_radio)
        self.while_radio.setChecked(True)
        self.until_date = QDateEdit()
        self.until_date.setCalendarPopup(True)
        self.until_date.setAccessibleName(tr("Last day of the share"))
        today = QDate.currentDate()
        self.until_date.setMinimumDate(today)
        self.until_date.setMaximumDate(today.addDays(365))
        self.until_date.setDate(today.addDays(7))
        self.persistent_box = QCheckBox(tr("Keep the same share line next time (persistent)"))
        until_row = QHBoxLayout()
        until_row.addWidget(self.until_radio)
        until_row.addWidget(self.until_date)
        until_row.addStretch(1)
        how_long = QGroupBox(tr("How long"))
        hcol = QVBoxLayout(how_long)
        hcol.addWidget(self.while_radio)
        hcol.addLayout(until_row)
        hcol.addWidget(self.persistent_box)
        col.addWidget(how_long)

        self.progress = QProgressBar()
        self.progress.setAccessibleName(tr("Progress"))
        self.progress.setRange(0, 100)
        self.status = label("", selectable=True)
        self.start_button = push(tr("Start sharing"), default=True)
        self.cancel_button = push(tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.start_button)
        bottom.addWidget(self.cancel_button)
        col.addWidget(self.status)
        col.addLayout(bottom)
        return page

    def _load(self) -> None:
        from app.library import list_packs

        self.pack_list.clear()
        for info in list_packs(self.vault):
            item = QListWidgetItem(tr("{title} ({pack})", title=clean(info.title, 200), pack=clean(info.id, 130)))
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.pack_list.addItem(item)
        kept = self.vault.get_setting(KEY_PATH_SETTING)
        if isinstance(kept, str) and len(kept) < 4096:
            self.key_path.setText(kept)

    def _choose_key(self) -> None:
        from ui.filepicker import SECRET, pick

        pick(self, SECRET, lambda paths: self.key_path.setText(str(paths[0])))

    def ticked(self) -> list[str]:
        out = []
        for row in range(self.pack_list.count()):
            item = self.pack_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def _until(self) -> int | None:
        if not self.until_radio.isChecked():
            return None
        day = self.until_date.date().toPython()
        return int(datetime.combine(day, dtime(23, 59, 59)).timestamp())

    def start(self) -> None:
        if self.job is not None or current_share(self.vault) is not None:
            return
        pack_ids = self.ticked() if self.chosen_radio.isChecked() else []
        if self.chosen_radio.isChecked() and not pack_ids:
            self.status.setText(tr("Tick at least one pack to share."))
            return
        path = self.key_path.text().strip()
        if not path:
            self.status.setText(tr("Choose your secret key file first."))
            return
        self.vault.set_setting(KEY_PATH_SETTING, path)
        job = self.job = _StartJob(self.vault, Path(path), self.passphrase.take(), pack_ids, self._until(),
                                   self.persistent_box.isChecked(), self.tor_extra)
        job.progress.connect(self._progress)
        job.succeeded.connect(lambda share: self._started(job, share))
        job.failed.connect(lambda exc: self._failed(job, exc))
        _JOBS.add(job)
        self._set_busy(True)
        self.status.setText(tr("Opening your key…"))
        job.start()

    def _progress(self, percent: int, phase: str) -> None:
        self.progress.setValue(percent)
        self.status.setText(tr("Publishing the share on Tor…") if phase == "publishing" else
                            tr("Connecting to Tor: {percent} %", percent=percent))

    def _failed(self, job: _StartJob, exc: BaseException) -> None:
        if job is not self.job:
            return
        self.job = None
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.setText(failure_sentence(exc))

    def _started(self, job: _StartJob, share: Any) -> None:
        _SHARES.add(share)
        share.on_stop = _stopped
        events().changed.emit()
        if job is not self.job:      # the dialog went away meanwhile: the share runs on
            return
        self.job = None
        self._set_busy(False)
        self._show_share(share)

    def _set_busy(self, busy: bool) -> None:
        for w in (self.start_button, self.key_button, self.pack_list, self.everything_radio, self.chosen_radio):
            w.setEnabled(not busy)
        self.pack_list.setEnabled(not busy and self.chosen_radio.isChecked())
        self.cancel_button.setEnabled(busy)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.stop_now()

    # -- the sharing page --------------------------------------------------------------

    def _sharing_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        self.state = heading(tr("Sharing is on"), 1)
        self.until_label = label("")
        col.addWidget(self.state)
        col.addWidget(self.until_label)
        col.addWidget(label(tr("The share line is a secret: anyone who has it can fetch these packs. Show the QR "
                               "code only to participants; a photo of the screen captures it.")))
        self.line = QLineEdit()
        self.line.setReadOnly(True)
        self.line.setAccessibleName(tr("Share line"))
        self.line.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = push(tr("Copy line"))
        self.copy_button.clicked.connect(self._copy)
        row = QHBoxLayout()
        row.addWidget(self.line, 1)
        row.addWidget(self.copy_button)
        col.addLayout(row)
        self.qr = QLabel()
        self.qr.setAccessibleName(tr("QR code of the share line"))
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.qr)
        self.fingerprint = label("", selectable=True)
        col.addWidget(self.fingerprint)
        self.visits = label("")
        col.addWidget(self.visits)
        self.counts = QTableWidget(0, 2)
        self.counts.setHorizontalHeaderLabels([tr("Pack"), tr("Fetched whole")])
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.verticalHeader().setVisible(False)
        self.counts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.counts.setAccessibleName(tr("How often each pack was fetched"))
        col.addWidget(self.counts, 1)
        col.addWidget(label(tr("Satchel counts downloads only: it keeps no address and no time of any participant.")))
        self.ended = label("", selectable=True)
        col.addWidget(self.ended)
        self.stop_button = push(tr("Stop sharing"))
        self.revoke_button = push(tr("Revoke the line and stop"))
        self.stop_button.clicked.connect(self.stop)
        self.revoke_button.clicked.connect(self.revoke)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(self.stop_button)
        col.addLayout(buttons)
        return page

    def _show_share(self, share: Any) -> None:
        from ui.qrcode import qr_pixmap

        self.share = share
        status = share.status()
        if status.line is None:
            return
        self.line.setText(status.line)
        self.line.setCursorPosition(0)
        self.qr.setPixmap(qr_pixmap(status.line))
        self.fingerprint.setText(tr("Read this fingerprint aloud, so that participants can check your key: "
                                    "{fingerprint}", fingerprint=share.line.signer.fingerprint()))
        if status.until:
            day = datetime.fromtimestamp(status.until).strftime("%Y-%m-%d %H:%M")
            text = tr("Until {date}.", date=day)
        else:
            text = tr("Until you stop it or quit Satchel.")
        if status.persistent:
            text += " " + tr("Persistent: the same line works next time, until you revoke it.")
        # Locking stops the share at once (its keys leave memory); a trainer in a workshop
        # should know the idle lock will do that too, and where to lengthen it.
        prefs = getattr(self.session, "prefs", None)
        minutes = max(1, int(getattr(prefs, "autolock_s", 300)) // 60)
        text += " " + tr("Locking Satchel stops the share; it locks itself after {minutes} minute(s) without "
                         "use (see Settings).", minutes=minutes)
        self.until_label.setText(text)
        self.revoke_button.setVisible(bool(status.persistent))
        self.state.setText(tr("Sharing is on"))
        self.ended.setText("")
        self.stop_button.setEnabled(True)
        self.pages.setCurrentIndex(1)
        self._refresh()
        self.timer.start()

    def _refresh(self) -> None:
        share = self.share
        if share is None:
            return
        status = share.status()
        self.visits.setText(tr("The list of packs was fetched {count} time(s).", count=status.visits))
        self.counts.setRowCount(len(status.packs))
        for row, pack_id in enumerate(status.packs):
            for col, text in enumerate((clean(pack_id, 130), str(status.fetched.get(pack_id, 0)))):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.counts.setItem(row, col, item)
        if not status.running:
            self._show_stopped(status.reason)

    def _show_stopped(self, reason: str | None) -> None:
        self.timer.stop()
        self.state.setText(tr("Sharing is off"))
        self.line.clear()
        self.qr.clear()
        self.stop_button.setEnabled(False)
        self.revoke_button.setEnabled(False)
        self.ended.setText(tr(ENDINGS[reason]) if reason in ENDINGS else tr("The share stopped."))

    def _copy(self) -> None:
        from ui.qt import QApplication

        text = self.line.text()
        if not text:
            return
        if self.session is not None:
            self.session.clipboard.copy(text)    # taken back when Satchel locks
        else:
            QApplication.clipboard().setText(text)

    def stop(self) -> None:
        share = self.share
        if share is not None:
            share.stop()
            self._refresh()

    def revoke(self) -> None:
        from sync.share_store import revoke_share

        self.stop()
        revoke_share(self.vault)
        self.ended.setText(tr("The line is revoked: it reaches nothing any more. A new persistent share gets a new "
                              "line."))

    def busy(self) -> bool:
        return self.job is not None

    def done(self, result: int) -> None:  # lock and panic close dialogs this way
        self.timer.stop()
        if self.job is not None:
            self.job.stop_now()
            self.job = None
        super().done(result)
