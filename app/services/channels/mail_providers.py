"""The big mail providers whose accounts need an app password in a mail program
once two-step verification is on, and where each is created:

- Google: https://support.google.com/accounts/answer/185833 (Google Account ›
  Security › 2-Step Verification › App passwords);
- Microsoft (Outlook.com, Hotmail, Live): https://support.microsoft.com/account-billing/
  5896ed9b-4263-e681-128a-a6f2979a7944 (Microsoft account › Security › Advanced
  security options › App passwords);
- Apple (iCloud): https://support.apple.com/102654 (Apple Account › Sign-In and
  Security › App-Specific Passwords; iCloud Mail always asks for one in another
  mail program)."""

from __future__ import annotations

from app.i18n import _

# The provider by the end of the address's domain or of its servers' names.
_BY_NAME = {
    "gmail.com": "google", "googlemail.com": "google", "google.com": "google",
    "outlook.com": "microsoft", "hotmail.com": "microsoft", "live.com": "microsoft",
    "msn.com": "microsoft", "office365.com": "microsoft",
    "icloud.com": "apple", "me.com": "apple", "mac.com": "apple",
}


def provider_of(*names: str) -> str | None:
    """"google", "microsoft" or "apple" when an address or a server's name is
    theirs (e.g. smtp.gmail.com, ana@hotmail.com, smtp.mail.me.com), else None."""
    for name in names:
        domain = name.rsplit("@", 1)[-1].lower().rstrip(".")
        for suffix, provider in _BY_NAME.items():
            if domain == suffix or domain.endswith("." + suffix):
                return provider
    return None


def app_password_hint(*names: str) -> str | None:
    """One sentence on the app password the provider of `names` wants, or None
    for other providers."""
    provider = provider_of(*names)
    if provider == "google":
        return _("With two-step verification on, Gmail takes only an app password here: "
                 "create one in your Google Account › Security › 2-Step Verification › App "
                 "passwords, and type it instead of your usual password.")
    if provider == "microsoft":
        return _("With two-step verification on, Outlook takes only an app password here: "
                 "create one in your Microsoft account › Security › Advanced security options "
                 "› App passwords, and type it instead of your usual password.")
    if provider == "apple":
        return _("iCloud Mail takes only an app-specific password here: create one in your "
                 "Apple Account › Sign-In and Security › App-Specific Passwords, and type it "
                 "instead of your usual password.")
    return None


def app_passwords_line() -> str:
    """The form's one line on app passwords, for any provider."""
    return _("Gmail, Outlook and iCloud: with two-step verification on, type an app password "
             "(created in your Google Account › Security, your Microsoft account › Security "
             "› Advanced security options, or your Apple Account › Sign-In and Security), not "
             "your usual password.")
