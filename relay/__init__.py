"""The relay: a small web service where clients' confirmation links land and
WhatsApp webhooks arrive; the desktop polls it. Deployable alone: relay/pyproject.toml
builds the `practice-relay` distribution, which needs neither the desktop app nor Qt."""

__version__ = "0.1.0"
