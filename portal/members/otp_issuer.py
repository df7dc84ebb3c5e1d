"""The issuer name an authenticator app shows next to the code.

Settings name this function (OTP_TOTP_ISSUER), so this module is imported before the apps are loaded: the policy
is imported when the function runs."""


def issuer(device) -> str:
    from portal.society.policy import sacco_settings

    return sacco_settings().short_name
