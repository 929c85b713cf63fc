"""Everything identity: the MSAL client, sign-in flows, token validation, roles and session helpers.

The modules here avoid Flask where they can, so the rules can be read and tested without an app.
"""
