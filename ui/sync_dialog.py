"""Sync over Tor in the desktop app: the repositories the library follows, how to reach
Tor, and one "Sync now" that shows Tor's bootstrap percentage, what is new with sizes,
progress per pack, Cancel, and one translated sentence for each way it can fail.

Guarantees:
- Nothing connects until the person presses "Sync now"; the dialog never syncs by itself.
- The work runs in sync/ (the same `sync_all` as `satchel sync`) on a QThread; the GUI
  thread only shows what the worker reports through queued signals.
- Cancel, closing the dialog, a lock or a panic (which close every dialog) stop the
  work without waiting: the tor Satchel started for it is killed at once, and what
  arrived of a download stays in the vault for the next sync.
- Addresses and the connection choice are kept inside the vault (settings), never in
  QSettings; text from a repository or a pack is shown through `clean()` in plain items.
- A trainer's share line pasted as the address is followed only once its signing key is
  trusted: the dialog shows the key's fingerprint to compare with the one the trainer
  reads aloud, and trusts it only on Yes.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from ui.i18n import N_, tr
from ui.qt import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QRadioButton,
    QSpinBox,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QThread,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.widgets import clean, label, push

SETTING = "sync.connection"      # {"mode": "own"|"socks", "port": int, "bridges": [...], "use_bridges": bool}
_RUNNING: set[Any] = set()       # jobs outlive a closed dialog until their thread ends

# One translated sentence per way a sync can fail, by the error's type (sync.errors).
FAILURES = {
    "TorBlocked": N_("Tor could not connect. The network may be blocking Tor: try bridges."),
    "TorNotFound": N_("Satchel cannot find the Tor program. Install tor, or start Tor Browser and use its "
                      "connection."),
    "TorFailed": N_("Tor stopped while connecting. Check the bridge lines, or try again."),
    "SocksUnreachable": N_("Nothing answers at that Tor port. Start Tor Browser, or let Satchel start its own "
                           "Tor."),
    "NeedsOwnTor": N_("This needs the Tor that Satchel starts itself."),
    "BadBridge": N_("A bridge line is not valid. Check it and try again."),
    "RepositoryUnreachable": N_("The repository could not be reached. It may be offline; try again later."),
    "IndexRefused": N_("The repository's list of packs was refused: it is not signed by a key you trust, or it "
                       "is older than one already seen."),
    "TransferFailed": N_("The repository's answer broke the rules; nothing from it was used."),
    "HttpStatusError": N_("The repository answered with an error."),
    "Redirected": N_("The repository tried to send Satchel elsewhere; Satchel never follows that."),
    "TooLarge": N_("The repository sent more than its list of packs states; it was not taken."),
    "Stalled": N_("The download was interrupted. What arrived is kept; the next sync continues from there."),
    "TransferCancelled": N_("Cancelled. What arrived is kept; the next sync continues from there."),
    "PackRejected": N_("Refused: the pack did not pass verification. Nothing of it was kept."),
    "UntrustedSigner": N_("Refused: the pack is not signed by a key you trust."),
    "VersionRefused": N_("Refused: you already have this version or a newer one."),
    "BadRepositoryUrl": N_("That is not an onion repository address (http://….onion/)."),
    "BadShareLine": N_("That share line is not right; copy it again."),
}
UNREACHABLE_KINDS = {"RepositoryUnreachable", "TransferFailed", "HttpStatusError", "Redirected", "TooLarge",
                     "Stalled", "RangeIgnored"}


def failure_sentence(kind: str | None) -> str:
    """The translated sentence for an error class name (the sync's own sentence is English
    and says more than a person needs here)."""
    if kind in FAILURES:
        return tr(FAILURES[kind])
    if kind in UNREACHABLE_KINDS:
        return tr(FAILURES["TransferFailed"])
    return tr("Something went wrong; nothing was changed.")


def _kind(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        if cls.__name__ in FAILURES:
            return cls.__name__
    return type(exc).__name__


def _mb(n: int) -> str:
    return tr("{size} MB", size=f"{n / 1_000_000:.1f}")


class _Job(QThread):
    """Connect, then sync every followed repository; reports through queued signals."""

    torProgress = Signal(int)              # noqa: N815 (Qt naming)
    repoState = Signal(str, str)           # noqa: N815
    planned = Signal(str, object, object)
    packProgress = Signal(str, str, int, int, str)  # noqa: N815
    packDone = Signal(object)              # noqa: N815
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, vault: Any, choice: dict[str, Any], tor_extra: dict[str, list[str]] | None) -> None:
        super().__init__()
        self.vault = vault
        self.choice = choice
        self.tor_extra = tor_extra
        self.cancel = threading.Event()
        self.connection: Any = None
        self.finished.connect(self._forget)

    def _forget(self) -> None:
        self.wait()
        _RUNNING.discard(self)

    def stop_now(self) -> None:
        """Cancel, and kill the tor started for this job at once (lock, panic, close)."""
        self.cancel.set()
        connection = self.connection
        if connection is not None and hasattr(connection, "kill"):
            with contextlib.suppress(Exception):
                connection.kill()

    def run(self) -> None:
        from content_packs.bridges import parse_bridges
        from sync.http import SocksEndpoint
        from sync.online import Listener, sync_all
        from sync.tor import open_connection
        from sync.torproc import ManagedTor

        job = self

        class Relay(Listener):
            def tor(self, percent: int, tag: str) -> None:
                job.torProgress.emit(percent)

            def repository(self, url: str, state: str) -> None:
                job.repoState.emit(url, state)

            def planned(self, url: str, items: list[Any], warning: str | None) -> None:
                job.planned.emit(url, items, warning)

            def progress(self, url: str, item: Any, done: int, total: int, phase: str) -> None:
                job.packProgress.emit(url, item.entry.id, int(done), int(total), phase)

            def pack_done(self, outcome: Any) -> None:
                job.packDone.emit(outcome)

        try:
            c = self.choice
            bridges = parse_bridges(c.get("bridges", [])) if c.get("use_bridges") else []
            if c.get("mode") == "socks":
                self.connection = open_connection(self.vault.home, socks=SocksEndpoint("127.0.0.1", int(c["port"])),
                                                  progress=Relay().tor)
            else:
                # Kept before it starts, so that a lock can kill it even while it bootstraps.
                self.connection = ManagedTor(self.vault.home, None, bridges, Relay().tor, self.cancel,
                                             extra=self.tor_extra)
                self.connection.start()
            try:
                report = sync_all(self.vault, self.connection, None, Relay(), self.cancel)
            finally:
                self.connection.close()
        except Exception as exc:
            self.failed.emit(exc)
            return
        self.succeeded.emit(report)


class SyncDialog(QDialog):
    """Follow repositories and sync them over Tor."""

    def __init__(self, vault: Any, parent: QWidget | None = None,
                 tor_extra: dict[str, list[str]] | None = None) -> None:
        super().__init__(parent)
        self.vault = vault
        self.tor_extra = tor_extra          # torrc lines of a private test network, else None
        self.job: _Job | None = None
        self.report: Any = None
        self.question: Any = None           # "Trust the trainer's key?" while it is open
        self.setWindowTitle(tr("Sync over Tor"))

        self.repo_table = self._table([tr("Repository"), tr("State")])
        self.address = QLineEdit()
        self.address.setPlaceholderText("http://….onion/")
        self.address.setAccessibleName(tr("Address of a repository"))
        self.follow_button = push(tr("Follow"))
        self.unfollow_button = push(tr("Stop following"))
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.follow_button)
        row.addWidget(self.unfollow_button)
        repos = QGroupBox(tr("Repositories you follow"))
        col = QVBoxLayout(repos)
        col.addWidget(self.repo_table, 1)
        col.addLayout(row)

        self.own_radio = QRadioButton(tr("Satchel starts its own Tor"))
        self.socks_radio = QRadioButton(tr("Use Tor Browser or another Tor on this computer, at port"))
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(9150)
        self.port.setAccessibleName(tr("Tor port"))
        group = QButtonGroup(self)
        group.addButton(self.own_radio)
        group.addButton(self.socks_radio)
        self.own_radio.setChecked(True)
        self.use_bridges = QCheckBox(tr("Use bridges (when the network blocks Tor)"))
        self.bridges = QPlainTextEdit()
        self.bridges.setAccessibleName(tr("Bridge lines"))
        self.bridges.setPlaceholderText("obfs4 192.0.2.3:443 … cert=… iat-mode=0")
        self.bridges.setMaximumHeight(80)
        self.pack_bridges_button = push(tr("Use the bridges carried by my packs"))
        socks_row = QHBoxLayout()
        socks_row.addWidget(self.socks_radio)
        socks_row.addWidget(self.port)
        socks_row.addStretch(1)
        connection = QGroupBox(tr("Connection"))
        ccol = QVBoxLayout(connection)
        ccol.addWidget(self.own_radio)
        ccol.addLayout(socks_row)
        ccol.addWidget(self.use_bridges)
        ccol.addWidget(self.bridges)
        ccol.addWidget(self.pack_bridges_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.pack_table = self._table([tr("Pack"), tr("Version"), tr("Size"), tr("Progress")])
        self.tor_state = label(tr("Not connected."), selectable=True)
        self.status = label("", selectable=True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(tr("Progress"))
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.sync_button = push(tr("Sync now"), default=True)
        self.cancel_button = push(tr("Cancel"))
        self.cancel_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.sync_button)
        bottom.addWidget(self.cancel_button)

        main = QVBoxLayout(self)
        main.addWidget(repos, 1)
        main.addWidget(connection)
        main.addWidget(label(tr("What's new")))
        main.addWidget(self.pack_table, 1)
        main.addWidget(self.tor_state)
        main.addWidget(self.status)
        main.addLayout(bottom)
        self.resize(760, 640)

        self.follow_button.clicked.connect(self.follow)
        self.unfollow_button.clicked.connect(self.unfollow)
        self.pack_bridges_button.clicked.connect(self.add_pack_bridges)
        self.sync_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self._rows: dict[str, int] = {}
        self._load()

    # -- what the vault keeps ------------------------------------------------------------

    def _load(self) -> None:
        from sync.follow import list_repositories

        choice = self.vault.get_setting(SETTING, {})
        if isinstance(choice, dict):
            self.socks_radio.setChecked(choice.get("mode") == "socks")
            self.own_radio.setChecked(choice.get("mode") != "socks")
            if isinstance(choice.get("port"), int) and 1 <= choice["port"] <= 65535:
                self.port.setValue(choice["port"])
            self.use_bridges.setChecked(choice.get("use_bridges") is True)
            lines = choice.get("bridges")
            if isinstance(lines, list):
                self.bridges.setPlainText("\n".join(clean(x, 1500) for x in lines if isinstance(x, str)))
        self.repo_table.setRowCount(0)
        for r in list_repositories(self.vault):
            row = self.repo_table.rowCount()
            self.repo_table.insertRow(row)
            self._cell(self.repo_table, row, 0, str(r.url)).setData(Qt.ItemDataRole.UserRole, str(r.url))
            self._cell(self.repo_table, row, 1, tr("Reached before") if r.index_version else tr("Never reached"))

    def choice(self) -> dict[str, Any]:
        from content_packs.bridges import split_lines

        return {"mode": "socks" if self.socks_radio.isChecked() else "own", "port": self.port.value(),
                "use_bridges": self.use_bridges.isChecked(),
                "bridges": [x.strip() for x in split_lines(self.bridges.toPlainText()) if x.strip()]}

    def follow(self) -> None:
        from sync.follow import add_repository
        from sync.shareline import looks_like_share_line

        if looks_like_share_line(self.address.text()):
            self._follow_share(self.address.text())
            return
        try:
            add_repository(self.vault, self.address.text())
        except Exception as exc:
            self.status.setText(failure_sentence(_kind(exc)))
            return
        self.address.clear()
        self._load()
        self.status.setText(tr("Following it now; press Sync now to fetch its packs over Tor."))

    def _follow_share(self, text: str) -> None:
        """A trainer's share line: followed once its signing key is trusted, after the
        person compared the fingerprint with the one the trainer reads aloud."""
        from app.trust import TrustStore
        from sync.shareline import parse_share_line
        from ui.qt import QMessageBox

        try:
            line = parse_share_line(text)
        except Exception as exc:
            self.status.setText(failure_sentence(_kind(exc)))
            return
        store = TrustStore(self.vault)
        key = line.signer
        grant = store.grant_for(key.key_id_hex)
        if grant is not None and not grant.revoked and grant.key.raw == key.raw:
            self._add_share(line)
            return
        if store.key_id_clash(key) is not None or (grant is not None and grant.revoked):
            self.status.setText(tr("This share's key cannot be trusted: it was revoked, or another key uses the "
                                   "same key id."))
            return
        box = QMessageBox(QMessageBox.Icon.Question, tr("Trust the trainer's key?"),
                          tr("This share is signed by the trainer's key {key_id}. Compare this fingerprint with "
                             "the one the trainer reads aloud, group by group:\n\n{fingerprint}\n\nTrust this "
                             "key and follow the share?", key_id=key.key_id_hex, fingerprint=key.fingerprint()),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: self._trust_answered(line, result == QMessageBox.StandardButton.Yes))
        self.question = box
        box.open()

    def _trust_answered(self, line: Any, yes: bool) -> None:
        from app.trust import TrustStore

        self.question = None
        if not yes:
            self.status.setText(tr("The share was not added: its key is not trusted. Compare the fingerprint with "
                                   "the one the trainer reads aloud, then try again."))
            return
        TrustStore(self.vault).add_manual(line.signer)
        self._add_share(line)

    def _add_share(self, line: Any) -> None:
        from sync.follow import add_repository

        add_repository(self.vault, str(line.url), client_key=line.client_key_b64, signer=line.signer.key_id_hex)
        self.address.clear()
        self._load()
        self.status.setText(tr("Following the trainer's share now; press Sync now to fetch its packs over Tor."))

    def unfollow(self) -> None:
        from sync.follow import remove_repository

        row = self.repo_table.currentRow()
        item = self.repo_table.item(row, 0) if row >= 0 else None
        if item is None:
            self.status.setText(tr("Choose a repository first."))
            return
        remove_repository(self.vault, item.data(Qt.ItemDataRole.UserRole))
        self._load()

    def add_pack_bridges(self) -> None:
        from sync.online import pack_bridges

        lines = [b.line for b in pack_bridges(self.vault)]
        if not lines:
            self.status.setText(tr("No pack in your library carries bridge lines."))
            return
        current = [x for x in self.bridges.toPlainText().splitlines() if x.strip()]
        self.bridges.setPlainText("\n".join(dict.fromkeys(current + lines)))
        self.use_bridges.setChecked(True)

    # -- the sync ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.job is not None:
            return
        if self.repo_table.rowCount() == 0:
            self.status.setText(tr("You follow no repositories yet. Add the address of one above."))
            return
        try:
            choice = self.choice()
            if choice["use_bridges"]:
                from content_packs.bridges import parse_bridges

                parse_bridges(choice["bridges"])
        except Exception as exc:
            self.status.setText(failure_sentence(_kind(exc)))
            return
        self.vault.set_setting(SETTING, choice)
        self.pack_table.setRowCount(0)
        self._rows.clear()
        self.report = None
        job = self.job = _Job(self.vault, choice, self.tor_extra)
        job.torProgress.connect(self._tor_progress)
        job.repoState.connect(self._repo_state)
        job.planned.connect(self._planned)
        job.packProgress.connect(self._pack_progress)
        job.packDone.connect(self._pack_done)
        job.succeeded.connect(lambda report: self._finished(job, report, None))
        job.failed.connect(lambda exc: self._finished(job, None, exc))
        _RUNNING.add(job)
        self._set_busy(True)
        self.tor_state.setText(tr("Connecting to Tor…"))
        self.status.setText("")
        job.start()

    def _tor_progress(self, percent: int) -> None:
        self.tor_state.setText(tr("Connected to Tor.") if percent >= 100 else
                               tr("Connecting to Tor: {percent} %", percent=percent))
        self.progress.setValue(percent)

    def _repo_row(self, url: str) -> int:
        for row in range(self.repo_table.rowCount()):
            item = self.repo_table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == url:
                return row
        return -1

    def _repo_state(self, url: str, state: str) -> None:
        row = self._repo_row(url)
        if row >= 0 and state in ("connecting", "reached"):
            self._cell(self.repo_table, row, 1, tr("Reaching it over Tor…") if state == "connecting" else
                       tr("Reached"))

    def _planned(self, url: str, items: list[Any], warning: str | None) -> None:
        for item in items:
            if not item.wanted:
                continue
            row = self.pack_table.rowCount()
            self.pack_table.insertRow(row)
            self._rows[item.entry.id] = row
            self._cell(self.pack_table, row, 0, item.entry.id)
            self._cell(self.pack_table, row, 1, str(item.entry.version))
            self._cell(self.pack_table, row, 2, _mb(item.entry.size))
            self._cell(self.pack_table, row, 3, tr("Waiting"))
        if warning:
            self.status.setText(tr("A repository's list of packs has expired: it may be frozen or blocked, so "
                                   "newer packs may exist that Satchel cannot see."))

    def _pack_progress(self, url: str, pack_id: str, done: int, total: int, phase: str) -> None:
        row = self._rows.get(pack_id)
        if row is None:
            return
        pct = 100 * done // total if total else 100
        text = tr("Downloading: {percent} %", percent=pct) if phase == "download" else \
            tr("Checking and importing: {percent} %", percent=pct)
        self._cell(self.pack_table, row, 3, text)
        self.progress.setValue(pct)

    def _pack_done(self, outcome: Any) -> None:
        row = self._rows.get(outcome.id)
        if row is None:
            return
        if outcome.error is not None:
            text = failure_sentence(outcome.error_kind)
        elif outcome.status == "updated":
            text = tr("Updated (only what changed was fetched)") if outcome.rebuilt else tr("Updated")
        else:
            text = tr("Installed")
        self._cell(self.pack_table, row, 3, text)

    def _finished(self, job: _Job, report: Any, exc: BaseException | None) -> None:
        if job is not self.job:
            return
        self.job = None
        self._set_busy(False)
        self.tor_state.setText(tr("Not connected."))
        if exc is not None:
            self.report = getattr(exc, "report", None)
            self.status.setText(failure_sentence(_kind(exc)))
            self._load_states()
            return
        self.report = report
        self.progress.setValue(100)
        lines = []
        for r in report.repositories:
            row = self._repo_row(r.url)
            if r.error is not None:
                lines.append(failure_sentence(r.error_kind))
                if row >= 0:
                    self._cell(self.repo_table, row, 1, failure_sentence(r.error_kind))
        if report.nothing_new:
            lines.insert(0, tr("Nothing new: you have everything your repositories offer."))
        else:
            lines.insert(0, tr("{installed} pack(s) installed or updated, {failed} failed.",
                               installed=len(report.imported), failed=len(report.failed)))
        if any(r.warning for r in report.repositories):
            lines.append(tr("A repository's list of packs has expired: it may be frozen or blocked, so newer "
                            "packs may exist that Satchel cannot see."))
        self.status.setText("\n".join(dict.fromkeys(lines)))

    def _load_states(self) -> None:
        for row in range(self.pack_table.rowCount()):
            item = self.pack_table.item(row, 3)
            if item is not None and item.text() == tr("Waiting"):
                item.setText(tr("Not fetched"))

    def _set_busy(self, busy: bool) -> None:
        # The worker holds the vault while it imports: nothing else touches it meanwhile.
        for w in (self.sync_button, self.follow_button, self.unfollow_button, self.pack_bridges_button):
            w.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.stop_now()

    def busy(self) -> bool:
        return self.job is not None

    def done(self, result: int) -> None:  # lock and panic close dialogs this way
        if self.job is not None:
            self.job.stop_now()
            self.job = None
        super().done(result)

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _cell(table: QTableWidget, row: int, col: int, text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(clean(text, 300))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        table.setItem(row, col, item)
        return item

    @staticmethod
    def _table(headers: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.verticalHeader().setVisible(False)
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return t

