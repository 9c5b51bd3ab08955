"""replyguard: a support-mail gateway that checks replies against the mail they answer."""

__version__ = "0.1.0"
