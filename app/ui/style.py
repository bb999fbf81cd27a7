"""Colours, the stylesheet and small painting helpers shared by the window."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.models.enums import AppointmentStatus as S

ACCENT = "#2563eb"
INK = "#0f172a"
MUTED = "#64748b"
LINE = "#e2e8f0"

STATUS_COLOURS: dict[S, str] = {
    S.SCHEDULED: "#2563eb",
    S.CONFIRMED: "#059669",
    S.COMPLETED: "#475569",
    S.CANCELLED: "#dc2626",
    S.RESCHEDULED: "#94a3b8",
    S.NO_SHOW: "#d97706",
}


def status_colour(status: S) -> QColor:
    return QColor(STATUS_COLOURS[status])


def tint(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


STYLE = f"""
QMainWindow, QWidget#page {{ background: #f8fafc; }}
QListWidget#nav {{ background: {INK}; color: #cbd5e1; border: none; font-size: 14px;
                   padding-top: 14px; outline: 0; }}
QListWidget#nav::item {{ padding: 11px 20px; border-left: 3px solid transparent; }}
QListWidget#nav::item:selected {{ background: #1e293b; color: white;
                                  border-left: 3px solid {ACCENT}; }}
QListWidget#nav::item:hover:!selected {{ background: #172033; }}
QLabel#brand {{ background: {INK}; color: white; font-size: 16px; font-weight: 600;
                padding: 18px 20px 4px 20px; }}
QLabel#pageTitle {{ font-size: 20px; font-weight: 600; color: {INK}; }}
QLabel#period {{ font-size: 15px; font-weight: 600; color: {INK}; padding: 0 8px; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#strong {{ font-weight: 600; color: {INK}; }}
QLabel#sectionTitle {{ font-size: 13px; font-weight: 600; color: {INK}; padding-top: 6px; }}
QLabel#error {{ color: #b91c1c; }}
QLabel#warning {{ color: #b45309; }}
QPushButton {{ padding: 5px 12px; border: 1px solid #cbd5e1; border-radius: 6px;
               background: white; color: {INK}; }}
QPushButton:hover {{ background: #f1f5f9; }}
QPushButton:checked {{ background: #dbeafe; border-color: {ACCENT}; color: #1e40af; }}
QPushButton:disabled {{ color: #94a3b8; background: #f8fafc; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border-color: {ACCENT};
                       font-weight: 600; }}
QPushButton#primary:hover {{ background: #1d4ed8; }}
QPushButton#primary:disabled {{ background: #f8fafc; color: #94a3b8; border-color: #e2e8f0; }}
QPushButton#danger {{ color: #b91c1c; }}
QPushButton#danger:disabled {{ color: #94a3b8; }}
QToolButton#status {{ padding: 5px 12px; border-radius: 12px; font-weight: 600;
                      color: white; }}
QToolButton#status::menu-indicator {{ image: none; width: 0px; }}
QTableView, QTreeView, QListWidget#list {{ background: white; border: 1px solid {LINE};
                                          border-radius: 6px; }}
QTableView {{ outline: 0; }}
QHeaderView::section {{ background: #f1f5f9; border: none; padding: 6px;
                        color: {MUTED}; font-weight: 600; }}
QFrame#card {{ background: white; border: 1px solid {LINE}; border-radius: 8px; }}
QLabel#reach_working, QLabel#reach_problem, QLabel#reach_not_set_up {{
    border-radius: 10px; padding: 2px 10px; font-weight: 600; }}
QLabel#reach_working {{ color: #047857; background: #d1fae5; }}
QLabel#reach_problem {{ color: #b91c1c; background: #fee2e2; }}
QLabel#reach_not_set_up {{ color: {MUTED}; background: #f1f5f9; }}
QScrollArea#side, QScrollArea#side > QWidget > QWidget {{ background: transparent; }}
QLabel#loading, QLabel#hint {{ background: white; color: {MUTED};
                               border: 1px solid {LINE}; border-radius: 12px;
                               padding: 5px 14px; }}
QLabel#loading {{ font-weight: 600; }}
QTabWidget::pane {{ border: 1px solid {LINE}; border-radius: 6px; background: white; }}
QScrollBar:vertical {{ background: transparent; width: 12px; margin: 0; border: none; }}
QScrollBar:horizontal {{ background: transparent; height: 12px; margin: 0; border: none; }}
QScrollBar::handle {{ background: #cbd5e1; border-radius: 4px; }}
QScrollBar::handle:hover, QScrollBar::handle:pressed {{ background: #94a3b8; }}
QScrollBar::handle:disabled {{ background: transparent; }}
QScrollBar::handle:vertical {{ min-height: 32px; margin: 2px; }}
QScrollBar::handle:horizontal {{ min-width: 32px; margin: 2px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none;
                                              background: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
"""
# The scroll bars are drawn by the style sheet above, flat, as today's apps draw
# them: the platform's own redrew its gradients on every change of a list (1.4-1.9 ms
# a list, against 0.06 ms). Tables select whole rows: no dotted frame is drawn
# round the one cell that has the keyboard's focus.

# The free times of a chosen service: a hue no status uses (green is Confirmado).
FREE_COLOUR = "#eab308"
