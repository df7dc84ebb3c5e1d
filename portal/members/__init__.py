"""Members: the custom user, the Member profile, membership numbers and roles."""
