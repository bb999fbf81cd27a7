"""The client's pages: small, mobile-first, accessible, in Portuguese or English
(from Accept-Language), through the relay's own gettext catalogue (relay.i18n). No
inline script: the page works without JavaScript; the relay's own /push.js only
adds the push notifications' section (relay.push)."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from relay.i18n import translations

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;margin:0;
background:#f8fafc;color:#0f172a}main{max-width:26rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}.card{background:#fff;border:1px solid #e2e8f0;
border-radius:.8rem;padding:1.2rem;margin-bottom:1rem}.when{font-size:1.15rem;font-weight:600}
button{width:100%;font-size:1.05rem;padding:.9rem;border-radius:.6rem;border:0;margin:.4rem 0;
cursor:pointer}.confirm{background:#059669;color:#fff}.cancel{background:#fff;color:#b91c1c;
border:1px solid #fca5a5}textarea{width:100%;box-sizing:border-box;min-height:4rem;
font:inherit;padding:.5rem;border:1px solid #cbd5e1;border-radius:.4rem}
.muted{color:#64748b;font-size:.9rem}
"""


def language(accept: str | None) -> str:
    """The language in Accept-Language we speak with the highest weight (RFC 9110
    §12.5.4: q=0 means "not this one"), else Portuguese."""
    best, chosen = 0.0, "pt_BR"
    for part in (accept or "")[:1000].split(",")[:50]:
        code, *params = (x.strip().lower() for x in part.split(";"))
        weight = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    weight = float(param[2:])
                except ValueError:
                    weight = 0.0
        if not 0 < weight <= 1:
            continue
        ours = "pt_BR" if code.startswith("pt") else "en" if code.startswith("en") else None
        if ours and weight > best:  # on equal weights, the first listed wins
            best, chosen = weight, ours
    return chosen


def page(lang: str, title: str, body: str, status_word: str = "", head: str = "") -> str:
    """`head`: markup the relay adds to the head (the push part's manifest link)."""
    code = "pt-BR" if lang == "pt_BR" else "en"
    return (f'<!doctype html><html lang="{code}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style>{head}</head><body><main>{status_word}{body}</main>"
            f"</body></html>")


def session_page(lang: str, practice: str, start: datetime, zone: ZoneInfo,
                 token: str, extra: str = "", head: str = "") -> str:
    """The link's page; `extra`: markup the relay adds after the buttons (the push
    notifications' section, relay.push), `head` to its head (its manifest link)."""
    _ = translations(lang).gettext
    local = start.astimezone(zone)
    when = (f"{format_date(local.date(), 'full', locale=lang)}<br>"
            f"{format_time(local, 'short', locale=lang)}")
    # Translated outside the f-string: the catalog's extractor cannot see inside one.
    your_session, confirm = _("Your session"), _("Confirm")
    reason_label, cancel = _("Reason for cancelling (optional)"), _("Cancel")
    body = (f"<h1>{html.escape(practice)}</h1>"
            f'<div class="card"><div class="muted">{your_session}</div>'
            f'<div class="when">{when}</div></div>'
            f'<form method="post" action="/c/{html.escape(token)}">'
            f'<input type="hidden" name="action" value="confirm">'
            f'<button class="confirm" type="submit">{confirm}</button></form>'
            f'<form method="post" action="/c/{html.escape(token)}" id="cancel">'
            f'<input type="hidden" name="action" value="cancel">'
            f'<label class="muted" for="reason">{reason_label}</label>'
            f'<textarea id="reason" name="reason" maxlength="500"></textarea>'
            f'<button class="cancel" type="submit">{cancel}</button></form>{extra}')
    return page(lang, practice, body, head=head)


def gone_page(lang: str, practice: str, state: str, new_start: datetime | None,
              zone: ZoneInfo) -> str:
    """The page of a link whose session was moved or cancelled: what became of it,
    and no button (the link no longer speaks for a session that is due)."""
    w = words(lang)
    if state == "moved" and new_start is not None:
        local = new_start.astimezone(zone)
        when = (f"{format_date(local.date(), 'full', locale=lang)}, "
                f"{format_time(local, 'short', locale=lang)}")
        return message_page(lang, practice, w["moved"], w["moved_text"].format(when=when))
    if state == "gone":
        return message_page(lang, practice, w["gone"], w["gone_text"])
    return message_page(lang, practice, w["cancelled"], w["cancelled_text"])


def message_page(lang: str, practice: str, headline: str, text: str) -> str:
    body = (f"<h1>{html.escape(practice)}</h1><div class=\"card\"><p><strong>"
            f"{html.escape(headline)}</strong></p><p>{html.escape(text)}</p></div>")
    return page(lang, practice, body)


def words(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {
        "confirmed": _("Thank you! Your session is confirmed."),
        "already_confirmed": _("This session was already confirmed."),
        "cancel_requested": _("Your request to cancel was sent."),
        "cancel_text": _("The practice will get in touch about what happens next."),
        "already_cancel": _("Your request to cancel was already sent."),
        "see_you": _("See you then."),
        "not_found": _("This link is not valid."),
        "not_found_text": _("Check that the whole link was opened, or get in touch with "
                            "the practice."),
        "expired": _("This session has already started."),
        "expired_text": _("The link no longer changes anything. Get in touch with the "
                          "practice if you need to."),
        "too_many": _("Too many attempts. Please try again in a minute."),
        "moved": _("This session was moved."),
        "moved_text": _("It is now on {when}."),
        "cancelled": _("This session was cancelled."),
        "cancelled_text": _("Get in touch with the practice to book another time."),
        "gone": _("This link no longer leads to a session."),
        "gone_text": _("The practice's agenda has changed. Get in touch with the practice."),
    }
