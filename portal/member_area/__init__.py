"""The member portal (/portal/): a face on top of the stack, so it may import any app below it.

One module per thing a member sees: `dashboard`, `savings` (contributions, share capital), `loans` (my loans, apply,
guarantees), `dividends`, `statements` (AGM packs, my statement), `profile` (contacts, nominees, bank details),
`documents` (KYC uploads and downloads) and `account` (security, notifications, activity). `mixins` holds what
every page shares, `forms` the member-facing forms, `urls` the routes (namespace "member_area"). It has no models;
the templates are in templates/portal/."""
