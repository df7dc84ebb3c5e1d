"""The bottom of the stack: what the whole society shares and every other app may use.

Money (parsing, columns, form and API fields), the society's policy settings (`SaccoSettings`, read through
`policy.sacco_settings`), private file storage and serving, uploaded-file checks, tabular reports and safe list
exports, and the base exception for state conflicts. It imports no other app of the project."""
