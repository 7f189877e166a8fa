"""The channels, each behind `ChannelSender`, chosen by configuration."""

from dispatch_svc.channels.base import (
    ChannelSender,
    Outgoing,
    PermanentProviderError,
    ProviderError,
    Receipt,
    TransientProviderError,
)
from dispatch_svc.channels.email import EmailChannel
from dispatch_svc.channels.mail import LobChannel, PdfMailChannel
from dispatch_svc.channels.sms import SmsChannel
from dispatch_svc.config import DispatchSettings
from reengage_common.events import Channel


def channels_from(settings: DispatchSettings) -> dict[Channel, ChannelSender]:
    mail: ChannelSender = (
        PdfMailChannel(settings) if settings.mail_provider == "pdf" else LobChannel(settings)
    )
    return {
        Channel.EMAIL: EmailChannel(settings),
        Channel.SMS: SmsChannel(settings),
        Channel.MAIL: mail,
    }


__all__ = [
    "ChannelSender",
    "Outgoing",
    "PermanentProviderError",
    "ProviderError",
    "Receipt",
    "TransientProviderError",
    "channels_from",
]
