"""The main window: one screen at a time (first run, unlock, damaged, session) under a
bar that always shows the Wipe button (and Lock while unlocked).

Guarantees:
- Locking ends the session: its work is dropped, every dialog closes, every widget that
  showed content is emptied and deleted, the clipboard is cleared if Satchel filled it,
  pending writes are made and the vault is closed on the worker (its key forgotten).
- Keyboard: Tab follows reading order (ui/taborder.py) and never stops on Wipe; the
  menu bar and its keys come from ui/shortcuts.py; Ctrl+L locks and Ctrl+Shift+Delete
  wipes from any screen or dialog (ui/appfilter.py).
- Panic (button, Ctrl+Shift+Delete from any screen or dialog) starts app.wipe.panic_wipe
  at once (the key file goes first, within milliseconds; the window waits for it, and at
  most half a second for the rest), then ends the session without waiting for anything,
  closes every dialog, and wipes again after any work that was running (so nothing it
  writes survives); then shows the first-run screen or quits, as set. No confirmation
  unless the setting asks for one. A new vault is created only after every wipe ended.
- A duress unlock goes through exactly the same path as a normal one: the window cannot
  tell them apart. A vault without settings (new, or after duress) keeps the language
  and look shown on the unlock screen, so nothing visibly changes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ui import i18n, shortcuts
from ui.i18n import tr
from ui.qt import QApplication, QHBoxLayout, QMainWindow, QStackedWidget, QTimer, QVBoxLayout, QWidget
from ui.taborder import ReadingOrderTabs, never_tab
from ui.unlock import UnlockScreen
from ui.widgets import label, push

if TYPE_CHECKING:  # start-up stays lean: these load when first needed
    from app.home import Home
    from ui.ops import Op, Runner
    from ui.prefs import Prefs
    from ui.session import Session

log = logging.getLogger(__name__)
STEP_LANGUAGE, STEP_PASSPHRASE = 0, 1
ARM_DELAY_MS = 150
WIPE_WAIT_S = 0.5


class MainWindow(ReadingOrderTabs, QMainWindow):
    def __init__(self, home: Home, iter_time_ms: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.iter_time_ms = iter_time_ms
        self._runner: Runner | None = None
        self._clipboard: Any = None
        self.autolock: Any = None
        self.filter: Any = None
        self.session: Session | None = None
        self.view: Any = None
        self.screen: QWidget | None = None
        self._flow: Any = None
        self.failures = 0
        self.wipes = 0
        self.panic_confirm = False
        self.panic_after = "firstrun"
        self._panicking = False
        self._wipe_threads: list[Any] = []
        self._confirm: Any = None
        self._starter_op: Op | None = None
        self.usb_watcher: Any = None
        self._usb_dialog: Any = None

        from ui import theme

        theme.ensure()
        self.setWindowTitle("Satchel")
        self.brand = label("Satchel", wrap=False)
        self.lock_button = push("")
        self.lock_button.clicked.connect(self.lock)
        self.wipe_button = push("")
        self.wipe_button.setObjectName("panic")
        never_tab(self.wipe_button)  # no stray Tab and Space can reach it
        self.wipe_button.clicked.connect(self.panic)
        self.usb_button = push("")
        self.usb_button.clicked.connect(lambda: self.open_usb())
        self.sync_button = push("")
        self.sync_button.clicked.connect(lambda: self.open_sync())
        # Shown only while a share runs (it outlives its dialog): the window says so plainly.
        self.share_button = push("")
        self.share_button.setObjectName("sharing-on")
        self.share_button.clicked.connect(lambda: self.open_share())
        self.usb_button.setVisible(False)
        self.sync_button.setVisible(False)
        self.share_button.setVisible(False)
        bar = QHBoxLayout()
        bar.addWidget(self.brand)
        bar.addStretch(1)
        bar.addWidget(self.share_button)
        bar.addWidget(self.sync_button)
        bar.addWidget(self.usb_button)
        bar.addWidget(self.lock_button)
        bar.addWidget(self.wipe_button)
        self.stack = QStackedWidget()
        # Said in English when the interface language's own script has no font (Chinese
        # on a machine without a CJK font): words a reader can act on, not boxes.
        self.font_notice = label("")
        self.font_notice.setObjectName("font-notice")
        self.font_notice.setVisible(False)
        central = QWidget()
        col = QVBoxLayout(central)
        col.addLayout(bar)
        col.addWidget(self.font_notice)
        col.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        from ui.menubar import MenuBar

        self.menus = MenuBar(self)
        self._retranslate()
        self.resize(1000, 700)
        self.show_start()
        # Just after the window appears (long before a hand can reach a key; the Wipe button
        # works from the start): the panic key filter, whose first call costs PySide some
        # 30 ms of type set-up, and the wipe code, so a panic never waits for an import.
        QTimer.singleShot(ARM_DELAY_MS, self._arm)

    def _arm(self) -> None:
        from ui.appfilter import AppFilter

        if self.filter is None:
            # Ctrl+L and the panic keys: from any screen, menu or dialog.
            self.filter = AppFilter(
                self.panic, self._activity, self, can_lock=lambda: self.session is not None, on_lock=self.lock
            )
            QApplication.instance().installEventFilter(self.filter)
        if self.usb_watcher is None:
            from ui.usb_dialog import UsbWatcher

            # Sticks mounted while Satchel runs are offered as soon as the library is open.
            self.usb_watcher = UsbWatcher(interval=1.0, parent=self)
            self.usb_watcher.stickInserted.connect(self._stick_inserted)
            self.usb_watcher.start()
        __import__("app.wipe")

    # -- parts made when first needed ----------------------------------------------

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            from ui.errors import show_error
            from ui.ops import Runner

            self._runner = Runner(self)
            self._runner.failed.connect(lambda exc: show_error(self, exc))
        return self._runner

    @property
    def flow(self) -> Any:
        """The token of the first-run and unlock work (ended by a panic)."""
        if self._flow is None:
            from ui.ops import Token

            self._flow = Token("flow")
        return self._flow

    @property
    def clipboard(self) -> Any:
        if self._clipboard is None:
            from ui.clipboard import ClipboardGuard

            self._clipboard = ClipboardGuard(self)
        return self._clipboard

    def _activity(self) -> None:
        if self.autolock is not None:
            self.autolock.activity()

    def _autolock(self) -> Any:
        if self.autolock is None:
            from ui.autolock import AutoLock

            self.autolock = AutoLock(self)
            self.autolock.lock_requested.connect(lambda _reason: self.lock())
        return self.autolock

    def _retranslate(self) -> None:
        from ui.widgets import set_button_text

        set_button_text(self.lock_button, tr("Loc&k"), tr("Lock Satchel"))
        self.lock_button.setToolTip(shortcuts.tip("lock"))
        self.lock_button.setVisible(self.session is not None)
        self.usb_button.setVisible(self.session is not None)
        self.sync_button.setVisible(self.session is not None)
        set_button_text(self.usb_button, tr("&USB stick"))
        self.usb_button.setToolTip(shortcuts.tip("usb"))
        self.wipe_button.setText(tr("Wipe"))  # no mnemonic: only a deliberate gesture wipes
        set_button_text(self.sync_button, tr("Sync over Tor"))
        self.sync_button.setToolTip(shortcuts.tip("sync"))
        self.sync_button.setAccessibleName(tr("Sync over Tor"))
        self.share_button.setText(tr("Sharing is on"))
        self.share_button.setToolTip(shortcuts.tip("share"))
        self.wipe_button.setAccessibleName(tr("Wipe everything now"))
        self.wipe_button.setToolTip(shortcuts.tip("wipe", tr("Destroy the whole library at once")))
        self.menus.retranslate()
        from ui.fonts import interface_notice

        notice = interface_notice(i18n.language())
        self.font_notice.setText(notice)
        self.font_notice.setVisible(bool(notice))

    # -- screens -------------------------------------------------------------------

    def _set_screen(self, widget: QWidget) -> None:
        old, self.screen = self.screen, widget
        self.stack.addWidget(widget)
        self.stack.setCurrentWidget(widget)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self.lock_button.setVisible(self.session is not None)
        self.usb_button.setVisible(self.session is not None)
        self.sync_button.setVisible(self.session is not None)
        widget.setFocus()
        self.menus.refresh()

    def show_start(self) -> None:
        key, db = self.home.key_path.exists(), self.home.db_path.exists()
        if not key and not db:
            self.show_first_run()
        elif key and db:
            self.show_unlock()
        else:
            self.show_damaged()

    def show_first_run(self, step: int = STEP_LANGUAGE) -> None:
        from ui.firstrun import FirstRunScreen

        screen = FirstRunScreen(step)
        screen.language_chosen.connect(self._first_run_language)
        screen.create_requested.connect(self._create)
        screen.skip_samples.connect(lambda: self._starter_op.cancel() if self._starter_op else None)
        self._set_screen(screen)

    def show_unlock(self, message: str = "") -> None:
        screen = UnlockScreen()
        screen.unlock_requested.connect(self._unlock)
        screen.language_changed.connect(self._unlock_language)
        if message:
            screen.ready(message)
        self._set_screen(screen)

    def show_damaged(self) -> None:
        from ui.damaged import DamagedScreen

        screen = DamagedScreen(str(self.home.path), True)
        screen.retry.connect(self.show_start)
        screen.start_over.connect(self._start_over)
        self._set_screen(screen)

    def _first_run_language(self, lang: str) -> None:
        i18n.set_language(lang)
        self._retranslate()
        self.show_first_run(STEP_PASSPHRASE)

    def _unlock_language(self, lang: str) -> None:
        i18n.set_language(lang)
        self._retranslate()
        self.show_unlock()

    def _start_over(self) -> None:
        from ui.errors import show_error

        home = self.home
        self.runner.op(lambda _c: home.set_aside(), token=self.flow).success(
            lambda _r: self.show_first_run()
        ).failure(lambda e: show_error(self, e)).run()

    # -- creating and unlocking ----------------------------------------------------

    def _look(self) -> tuple[str, int, bool]:
        from ui import theme

        return (i18n.language(), *theme.current())

    def _create(self, passphrase: str, duress: str | None) -> None:
        from ui.flows import create_vault

        home, it, look = self.home, self.iter_time_ms, self._look()
        wipes = [t for t in self._wipe_threads if t.is_alive()]

        def work(ctx: Any) -> Any:
            for thread in wipes:  # never race a wipe still removing the old files
                thread.join()
            return create_vault(ctx, home, passphrase, duress, it, look)

        self.runner.op(work, token=self.flow).discard(lambda v: v.close()).success(self._created).failure(
            self._create_failed
        ).run()

    def _create_failed(self, exc: BaseException) -> None:
        from ui.errors import message_for, show_error
        from ui.firstrun import FirstRunScreen

        if isinstance(self.screen, FirstRunScreen):
            self.screen.failed(message_for(exc))
        else:
            show_error(self, exc)

    def _created(self, vault: Any) -> None:
        from ui.errors import show_error
        from ui.firstrun import FirstRunScreen
        from ui.flows import import_starter

        session = self._start_session(vault, show=False)
        screen = self.screen
        if isinstance(screen, FirstRunScreen):
            screen.set_stage(tr("Importing the sample library..."), can_skip=True)
            progress = screen.set_progress
        else:
            progress = None
        language = i18n.language()
        op = session.op(lambda ctx: import_starter(ctx, language))
        if progress is not None:
            op.on_progress(progress)

        def failed(exc: BaseException) -> None:
            show_error(self, exc)
            self._show_session()

        self._starter_op = op.success(lambda _n: self._show_session()).failure(failed).run()
        session.op(lambda c: c.vault.home.overwrite_in_place()).success(self._warn_disk).run()

    def _warn_disk(self, found: Any) -> None:
        """Right after the first run: one sentence if this disk may keep old key copies."""
        from ui.errors import show_error
        from ui.flows import disk_warning

        text = disk_warning(found)
        if text:
            show_error(self, text)

    def _unlock(self, passphrase: str) -> None:
        from ui.flows import unlock_vault

        home = self.home
        self.runner.op(lambda c: unlock_vault(c, home, passphrase), token=self.flow).discard(
            lambda v: v.close()
        ).success(self._unlocked).failure(self._unlock_failed).run()

    def _unlocked(self, vault: Any) -> None:
        self.failures = 0
        self._start_session(vault, show=True)

    def _unlock_failed(self, exc: BaseException) -> None:
        from app import errors as core
        from ui.errors import message_for

        screen = self.screen if isinstance(self.screen, UnlockScreen) else None
        if isinstance(exc, core.WrongPassphrase) and screen is not None:
            self.failures += 1
            screen.wrong(self.failures)
        elif isinstance(exc, core.NoVault) and not self.home.has_vault():
            self.show_first_run()
        elif isinstance(exc, (core.VaultDamaged, core.NoVault)):
            self.show_damaged()
        elif screen is not None:
            screen.ready(message_for(exc))

    # -- the session ---------------------------------------------------------------

    def _start_session(self, vault: Any, show: bool) -> Session:
        from ui.flows import load_prefs
        from ui.pageload import ALLOCATION_LIMIT_MB
        from ui.qt import QImageReader
        from ui.session import Session

        QImageReader.setAllocationLimit(ALLOCATION_LIMIT_MB)
        session = self.session = Session(self.runner, vault, self.clipboard)
        look = self._look()
        self._autolock().start(session.prefs.autolock_s)
        self._watch_platform()
        session.op(lambda c: load_prefs(c, look)).success(
            lambda prefs: self._prefs_loaded(session, prefs, show)
        ).run()
        self.lock_button.setVisible(True)
        self.usb_button.setVisible(True)
        self.sync_button.setVisible(True)
        return session

    def _prefs_loaded(self, session: Session, prefs: Prefs, show: bool) -> None:
        from ui import theme

        session.prefs = prefs
        self.panic_confirm, self.panic_after = prefs.panic_confirm, prefs.panic_after
        self.autolock.set_timeout(prefs.autolock_s)
        theme.apply(prefs.text_scale, prefs.high_contrast)
        if prefs.language and prefs.language != i18n.language():
            i18n.set_language(prefs.language)
            self._retranslate()
        if show:
            self._show_session()

    def _show_session(self, state: dict[str, Any] | None = None) -> None:
        from ui.sessionview import SessionView

        if self.session is None:
            return
        self._starter_op = None
        view = SessionView(self.session)
        view.settings_requested.connect(self.open_settings)
        view.stack.currentChanged.connect(lambda _i: self.menus.refresh())
        view.reader.changed.connect(self.menus.refresh)
        self.view = view
        self._set_screen(view)
        view.library.tree.setFocus()
        if state:
            view.restore(state)

    def _watch_platform(self) -> None:
        from ui import platform_lock

        platform_lock.watch(self.autolock.platform_event, int(self.winId()))

    def open_settings(self) -> Any:
        from ui.settings import SettingsDialog

        if self.session is None:
            return None
        dialog = SettingsDialog(self.session, self)
        dialog.changed.connect(self._setting_changed)
        dialog.open()
        return dialog

    def _setting_changed(self, name: str, value: Any) -> None:
        session = self.session
        if session is None:
            return
        if name == "language":
            i18n.set_language(value)
            self._retranslate()
            state = self.view.state() if self.view is not None else {}
            self._close_dialogs()
            self._show_session(state)
            self.open_settings()
        elif name in ("text_scale", "high_contrast"):
            from ui import theme

            theme.apply(session.prefs.text_scale, session.prefs.high_contrast)
        elif name == "autolock_s":
            self.autolock.set_timeout(value)
        elif name == "panic_confirm":
            self.panic_confirm = bool(value)
        elif name == "panic_after":
            self.panic_after = value

    def lock(self) -> None:
        if self.session is None or self._panicking:
            return
        writes = self.view.final_writes() if self.view is not None else []
        self._end_session(writes, panic=False)
        self.show_unlock()

    def _end_session(self, writes: list[Any], panic: bool) -> None:
        session, self.session = self.session, None
        self._starter_op = None
        if self.autolock is not None:
            self.autolock.stop()
        self._close_dialogs()
        if self.view is not None:
            self.view.teardown()
            self.view = None
        if self._clipboard is not None:
            self._clipboard.clear_ours()
        from ui.imagedecode import stop_shared_decoder

        stop_shared_decoder()   # no picture of the library stays in the decoding process
        if session is not None:
            session.end(writes, panic=panic)
        self.lock_button.setVisible(False)
        self.usb_button.setVisible(False)
        self.sync_button.setVisible(False)
        self.share_button.setVisible(False)

    def _close_dialogs(self) -> None:
        from ui.panic import close_dialogs

        close_dialogs(keep=self)

    # -- panic ---------------------------------------------------------------------

    def panic(self) -> None:
        if self._panicking:
            return
        if self.panic_confirm and self._confirm is None:
            self._ask_panic()
            return
        self.wipe_now()

    def _ask_panic(self) -> None:
        from ui.panic import ask_to_wipe

        self._confirm = ask_to_wipe(self, self.wipe_now, lambda: setattr(self, "_confirm", None))

    def wipe_now(self) -> None:
        """Destroy the vault now; everything else follows."""
        if self._panicking:
            return
        self._panicking = True
        try:
            from app.wipe import panic_wipe, wipe_in_background

            home_path = self.home.path
            # The key file goes first, within milliseconds; removing a large database can
            # take longer on some file systems, so the wipe runs on its own thread and this
            # one waits only briefly (the thread finishes even if Satchel quits).
            self._wipe_threads.append(wipe_in_background(home_path))
            self._wipe_threads[-1].join(WIPE_WAIT_S)
            flow, self._flow = self._flow, None
            if flow is not None:
                flow.end()
                self.runner.worker.drop(flow)
            self._end_session([], panic=True)
            self._confirm = None
            # Work that was running may still write; wipe again once it has stopped.
            self.runner.op(lambda _c: panic_wipe(home_path)).run()
            self.failures = 0
            self.wipes += 1
            log.info("wiped")
            if self.panic_after == "quit":
                self.close()
                QApplication.instance().quit()
                return
            self.show_first_run()
        finally:
            self._panicking = False

    # -- closing -------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        self.lock()
        if self.filter is not None:
            QApplication.instance().removeEventFilter(self.filter)
        super().closeEvent(event)

    # -- USB sticks -----------------------------------------------------------------

    def open_usb(self, path: str | None = None) -> Any:
        """The USB dialog (import from, copy to, check a stick); only while unlocked."""
        if self.session is None:
            return None
        from ui.qt import Qt
        from ui.usb_dialog import UsbDialog

        if self._usb_dialog is None or not self._usb_dialog.isVisible():
            dialog = UsbDialog(self.session.vault, self, session=self.session)
            dialog.imported.connect(self._usb_imported)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda *_: setattr(self, "_usb_dialog", None))
            if self.usb_watcher is not None:
                dialog.attach_watcher(self.usb_watcher)
            dialog.finished.connect(lambda *_: self._usb_closed())
            dialog.open()
            self._usb_dialog = dialog
        if path:
            self._usb_dialog.add_stick(path)
        return self._usb_dialog

    def open_sync(self) -> Any:
        """The Tor sync dialog; only while unlocked. It connects only when asked to."""
        if self.session is None:
            return None
        from ui.qt import Qt
        from ui.sync_dialog import SyncDialog

        dialog = SyncDialog(self.session.vault, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda *_: self._usb_closed())
        dialog.open()
        return dialog

    def open_share(self) -> Any:
        """The share dialog (a trainer shares packs over Tor); only while unlocked. It shares
        only when asked to; the share outlives the dialog, never the session."""
        if self.session is None:
            return None
        from ui.qt import Qt
        from ui.share_dialog import ShareDialog, events

        events().changed.connect(self._share_changed, Qt.ConnectionType.UniqueConnection)
        dialog = ShareDialog(self.session.vault, self, session=self.session)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _share_changed(self) -> None:
        from ui.share_dialog import current_share

        self.share_button.setVisible(self.session is not None and current_share(self.session.vault) is not None)

    def _usb_closed(self) -> None:
        # Packs may have arrived: show the library as it is now.
        if self.view is not None and hasattr(self.view, "library"):
            refresh = getattr(self.view.library, "refresh", None)
            if callable(refresh):
                refresh()

    def _usb_imported(self, report: Any) -> None:
        if self.view is not None:
            self.view.library.actions.show_report(report)   # "What's new"

    def _stick_inserted(self, path: str) -> None:
        if self.session is not None:
            self.open_usb(path)

    def shutdown(self) -> None:
        """After the event loop: let the worker finish (final writes, close), then stop it."""
        if self.usb_watcher is not None:
            self.usb_watcher.stop()
        if self._runner is not None:
            self._runner.shutdown()
        for thread in self._wipe_threads:
            thread.join()
        if self.wipes:
            from app.wipe import panic_wipe

            panic_wipe(self.home.path)
