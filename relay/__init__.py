"""The relay: a small web service where clients' confirmation links land and
WhatsApp webhooks arrive; the desktop polls it. Deployable alone."""
