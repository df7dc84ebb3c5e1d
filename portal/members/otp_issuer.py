"""The issuer name an authenticator app shows next to the code."""


def issuer(device) -> str:
    from portal.home.models import SaccoSettings

    return SaccoSettings.load().short_name
