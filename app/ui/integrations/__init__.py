"""Configurações › Integrações: how the practice reaches its clients. One module
per channel's box (WhatsApp, e-mail, SMS), the tab that holds them in tab.py."""

from app.ui.integrations.tab import IntegrationsTab

__all__ = ["IntegrationsTab"]
