"""Reading what Meta already knows of the practice's WhatsApp, from the Graph API:
the phone number (GET /{phone-number-id}) and the WhatsApp Business Account's
message templates (GET /{waba-id}/message_templates, page after page).

Every failure is a GraphRefused with one sentence saying what to change:
- 190: the access token is wrong, expired or revoked;
- 100 with subcode 33: no object with that id that this token can see (a wrong id,
  or one of another business);
- 10 and 200-299: the token lacks a permission;
- 4, 80007, 80008 and HTTP 429: too many calls just now;
- no answer, or an answer that is not the Graph API's.
Meta: https://developers.facebook.com/docs/graph-api/guides/error-handling/ and
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from app.i18n import _
from app.services.errors import PracticeError
from app.services.values import on_this_computer

TIMEOUT = 20
NUMBER_FIELDS = "display_phone_number,verified_name,quality_rating"
TEMPLATE_FIELDS = "id,name,language,category,status,previous_category,components"
PAGE = 100  # templates asked for per page
MAX_PAGES = 50  # a WhatsApp Business Account holds at most a few thousand templates
SLOW_DOWN = {4, 80007, 80008}


class GraphRefused(PracticeError):
    """Meta (or the way to it) refused a read: the sentence says what to change.
    code: Meta's error code, or "network", "insecure", "bad_answer", "ids"."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Number:
    id: str
    display_phone_number: str  # as Meta shows it, e.g. "+55 11 3000-1000"
    verified_name: str  # the business's name as Meta verified it
    quality_rating: str  # GREEN, YELLOW, RED, NA or UNKNOWN


@dataclass(frozen=True)
class Button:
    type: str  # URL, QUICK_REPLY, PHONE_NUMBER, ...
    text: str
    url: str = ""  # URL buttons: with {{1}} where a dynamic suffix goes


@dataclass(frozen=True)
class MetaTemplate:
    id: str
    name: str
    language: str  # e.g. pt_BR
    category: str  # UTILITY, MARKETING or AUTHENTICATION
    status: str  # APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
    previous_category: str  # "" unless Meta moved it to another category
    body: str  # the BODY component's text, with {{1}}, {{2}}...
    buttons: tuple[Button, ...]


def _id(value: str, wrong: str) -> str:
    """The id, or GraphRefused(wrong) when it is not digits (Meta's ids are)."""
    value = value.strip()
    if not value.isdigit():
        raise GraphRefused(wrong.format(value=value), "ids")
    return value


def _get(api_base: str, path: str, token: str, params: dict[str, str],
         not_found: str, denied: str) -> dict[str, Any]:
    """One GET of the Graph API; its JSON object, or GraphRefused. not_found and
    denied: the sentences for 100/33 and for a missing permission."""
    parts = urlsplit(api_base)
    if parts.scheme != "https" and not on_this_computer(parts.hostname or ""):
        raise GraphRefused(_("The WhatsApp API address does not start with https://, so the "
                             "token would travel unencrypted: correct it under Advanced."),
                           "insecure")
    try:
        response = requests.get(f"{api_base.rstrip('/')}/{path}", params=params,
                                headers={"Authorization": f"Bearer {token}"},
                                timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise GraphRefused(_("Meta's Graph API could not be reached ({kind}): check this "
                             "computer's internet connection, or the API address under "
                             "Advanced.").format(kind=type(exc).__name__), "network") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.status_code >= 500:
            raise GraphRefused(_("Meta had a temporary problem ({status}): try again in a few "
                                 "minutes.").format(status=response.status_code),
                               str(response.status_code))
        raise GraphRefused(_("The API address answered, but not as Meta's Graph API: check "
                             "it under Advanced."), "bad_answer")
    if response.ok and "error" not in body:
        return body
    error = obj(body.get("error"))
    code, subcode = _number(error.get("code")), _number(error.get("error_subcode"))
    if code == 190 or (response.status_code == 401 and code is None):
        raise GraphRefused(_("Meta refused the access token (wrong, expired or revoked): "
                             "copy it again from the Meta app's WhatsApp › API Setup page, "
                             "or generate a system user's token in Business Settings."), "190")
    if code == 100 and subcode == 33:
        raise GraphRefused(not_found, "100/33")
    if code in (10, 3) or (code is not None and 200 <= code <= 299):
        raise GraphRefused(denied, str(code))
    if code in SLOW_DOWN or response.status_code == 429:
        raise GraphRefused(_("Meta asks to wait: too many calls to this WhatsApp account "
                             "just now. Try again in a few minutes."), str(code or 429))
    if response.status_code >= 500:
        raise GraphRefused(_("Meta had a temporary problem ({status}): try again in a few "
                             "minutes.").format(status=response.status_code),
                           str(code or response.status_code))
    detail = str(error.get("message", ""))[:200]
    raise GraphRefused(_("Meta refused the request ({code}: {detail}).").format(
        code=code or response.status_code, detail=detail), str(code or response.status_code))


def _number(value: object) -> int | None:
    try:
        return int(value) if value is not None else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def read_number(api_base: str, token: str, phone_number_id: str) -> Number:
    """GET /{phone-number-id}?fields=display_phone_number,verified_name,quality_rating.
    Raises GraphRefused."""
    ident = _id(phone_number_id, _("The phone number's id is the digits the Meta app's "
                                   "WhatsApp › API Setup page shows under Phone number ID "
                                   "(e.g. 109876543210), not '{value}'."))
    body = _get(api_base, ident, token, {"fields": NUMBER_FIELDS},
                _("Meta knows no phone number with the id {id} that this token can see: copy "
                  "the Phone number ID from the Meta app's WhatsApp › API Setup page (it is "
                  "not the phone number itself).").format(id=ident),
                _("The access token lacks a permission for this number: in Meta's Business "
                  "Settings give the app's system user whatsapp_business_management and "
                  "whatsapp_business_messaging on this WhatsApp account, then generate the "
                  "token again."))
    return Number(str(body.get("id") or ident), _text(body.get("display_phone_number")),
                  _text(body.get("verified_name")), _text(body.get("quality_rating")))


def read_templates(api_base: str, token: str, account_id: str) -> list[MetaTemplate]:
    """Every template of the WhatsApp Business Account, following the pages' `after`
    cursors while Meta says there is a next page (paging.next; the last page has
    cursors but no next). Raises GraphRefused."""
    ident = _id(account_id, _("The WhatsApp Business Account's id is the digits the Meta "
                              "app's WhatsApp › API Setup page shows under WhatsApp Business "
                              "Account ID (e.g. 102290129340398), not '{value}'."))
    params = {"fields": TEMPLATE_FIELDS, "limit": str(PAGE)}
    found: list[MetaTemplate] = []
    for _page in range(MAX_PAGES):
        body = _get(api_base, f"{ident}/message_templates", token, params,
                    _("Meta knows no WhatsApp Business Account with the id {id} that this "
                      "token can see: copy the WhatsApp Business Account ID from the Meta "
                      "app's WhatsApp › API Setup page.").format(id=ident),
                    _("The access token lacks a permission for this WhatsApp Business "
                      "Account: in Meta's Business Settings give the app's system user "
                      "whatsapp_business_management on it, then generate the token again."))
        data = body.get("data")
        found += [t for t in map(_template, data if isinstance(data, list) else []) if t]
        paging = obj(body.get("paging"))
        cursors = obj(paging.get("cursors"))
        after = cursors.get("after")
        if not paging.get("next") or not isinstance(after, str) or not after:
            break
        params = {**params, "after": after}
    return found


def _template(item: object) -> MetaTemplate | None:
    if not isinstance(item, dict) or not item.get("name") or not item.get("language"):
        return None
    body, buttons = "", []
    components = item.get("components")
    for part in components if isinstance(components, list) else []:
        if not isinstance(part, dict):
            continue
        kind = str(part.get("type", "")).upper()
        if kind == "BODY":
            body = _text(part.get("text"))
        elif kind == "BUTTONS":
            given = part.get("buttons")
            buttons += [Button(str(b.get("type", "")).upper(), _text(b.get("text")),
                               _text(b.get("url")))
                        for b in (given if isinstance(given, list) else [])
                        if isinstance(b, dict)]
    return MetaTemplate(
        id=_text(item.get("id")), name=_text(item.get("name")),
        language=_text(item.get("language")), category=_text(item.get("category")).upper(),
        status=_text(item.get("status")).upper(),
        previous_category=_text(item.get("previous_category")).upper(), body=body,
        buttons=tuple(buttons))


def obj(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else {}."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def buttons_json(buttons: tuple[Button, ...]) -> str:
    return json.dumps([{"type": b.type, "text": b.text, "url": b.url} for b in buttons],
                      ensure_ascii=False)


# A URL button whose address ends in {{1}}: the app sends the link's token there.
DYNAMIC_URL = re.compile(r"\{\{1\}\}\s*$")
