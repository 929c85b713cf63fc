"""The sign-in pages in Welsh or English, as Entra shows them: ``ui_locales`` first, then the browser's language.

The emulator stands apart from the portal, so it keeps its own small message table instead of the portal's
catalogue. Entra picks the page language from the authorize request's ``ui_locales`` (OpenID Connect Core 3.1.2.1:
a space-separated list of BCP 47 tags, by preference) and otherwise from the browser's ``Accept-Language``; a
sign-in keeps the language it started with on every page (email, password, MFA, "Stay signed in?").
The Welsh follows docs/glossary-cy.md (tests/test_glossary_cy.py checks this table too).
"""

from __future__ import annotations

from flask import Flask, g, request

LANGUAGES = ("en", "cy")  # the first is the fallback

# English text (as the templates and views write it) -> Welsh. ``{name}`` placeholders are filled after lookup.
WELSH = {
    # base.html
    "Sign in to your account": "Mewngofnodi i'ch cyfrif",
    "Local emulator": "Efelychydd lleol",
    "Local Entra ID emulator for development and tests. Not Microsoft.":
        "Efelychydd Entra ID lleol ar gyfer datblygu a phrofi. Nid Microsoft.",
    # signin.html: email
    "Back": "Yn ôl",
    "Sign in": "Mewngofnodi",
    "to continue to {app} ({tenant})": "i barhau i {app} ({tenant})",
    "to continue to {app}": "i barhau i {app}",
    "Email, phone, or Skype": "E-bost, ffôn neu Skype",
    "Enter your email, phone, or Skype.": "Rhowch eich e-bost, eich ffôn neu eich enw Skype.",
    "Can't access your account?": "Methu cael mynediad i'ch cyfrif?",
    "Next": "Nesaf",
    # signin.html: password
    "Enter password": "Rhowch eich cyfrinair",
    "Password": "Cyfrinair",
    "Enter the password for {email}": "Rhowch y cyfrinair ar gyfer {email}",
    "Forgotten my password": "Wedi anghofio fy nghyfrinair",
    # signin.html: MFA
    "Verify your identity": "Dilysu pwy ydych chi",
    "Enter the code displayed in the authenticator app on your mobile device.":
        "Rhowch y cod sy'n cael ei ddangos yn yr ap dilysu ar eich dyfais symudol.",
    "We texted your phone {phone}. Please enter the code to sign in.":
        "Rydym wedi anfon neges destun i'ch ffôn {phone}. Rhowch y cod i fewngofnodi.",
    "(Emulator: the code is printed in its log.)": "(Efelychydd: mae'r cod yn ymddangos yn ei log.)",
    "Code": "Cod",
    "Verify": "Dilysu",
    "Resend code": "Anfon y cod eto",
    # signin.html: "Stay signed in?"
    "Stay signed in?": "Aros wedi mewngofnodi?",
    "Do this to reduce the number of times you are asked to sign in.":
        "Gwnewch hyn i leihau nifer y troeon y gofynnir i chi fewngofnodi.",
    "Yes": "Ie",
    "No": "Na",
    # signin.py: what a step's form refuses
    "We couldn't find an account with that username. Try another, or contact your admin.":
        "Nid oeddem yn gallu dod o hyd i gyfrif gyda'r enw defnyddiwr hwnnw. Rhowch gynnig ar un arall, neu "
        "cysylltwch â'ch gweinyddwr.",
    "Your account or password is incorrect. If you don't remember your password, reset it now.":
        "Mae eich cyfrif neu eich cyfrinair yn anghywir. Os nad ydych yn cofio eich cyfrinair, ailosodwch ef nawr.",
    "Your account is temporarily locked to prevent unauthorised use. Try again later, and if you still have "
    "trouble, contact your admin.":
        "Mae eich cyfrif wedi'i gloi dros dro rhag i neb ei ddefnyddio heb ganiatâd. Rhowch gynnig arall arni yn "
        "nes ymlaen, ac os oes problem o hyd, cysylltwch â'ch gweinyddwr.",
    "You didn't enter the expected verification code. Please try again.":
        "Nid dyna'r cod dilysu a ddisgwyliwyd. Rhowch gynnig arall arni.",
    "Your account is in another organisation and can't be used to sign in here. Use an account from this "
    "organisation.":
        "Mae eich cyfrif mewn sefydliad arall, ac ni ellir ei ddefnyddio i fewngofnodi yma. Defnyddiwch gyfrif o'r "
        "sefydliad hwn.",
    "Enter a valid email address, phone number, or Skype name.":
        "Rhowch gyfeiriad e-bost, rhif ffôn neu enw Skype dilys.",
    # error pages
    "Sorry, but we're having trouble signing you in.": "Mae'n ddrwg gennym, ond mae problem wrth eich mewngofnodi.",
    "This sign-in page has expired or belongs to another browser. Go back to the app and start again.":
        "Mae'r dudalen fewngofnodi hon wedi dod i ben, neu mae'n perthyn i borwr arall. Ewch yn ôl i'r ap a "
        "dechrau eto.",
    "Page not found": "Heb ddod o hyd i'r dudalen",
    "This address is not part of the emulator.": "Nid yw'r cyfeiriad hwn yn rhan o'r efelychydd.",
    "Method not allowed": "Dull heb ei ganiatáu",
    "This address does not accept that request method.": "Nid yw'r cyfeiriad hwn yn derbyn y dull cais hwnnw.",
    "Something went wrong": "Aeth rhywbeth o'i le",
    "The emulator hit an unexpected error; see its log.": "Cafodd yr efelychydd wall annisgwyl; gweler ei log.",
    # form_post.html
    "Working...": "Wrthi'n gweithio...",
    "Script is disabled. Click Submit to continue.": "Mae sgriptiau wedi'u diffodd. Pwyswch \"Cyflwyno\" i barhau.",
    "Submit": "Cyflwyno",
    # signed_out.html
    "Sign out": "Allgofnodi",
    "You signed out of your account": "Rydych wedi allgofnodi o'ch cyfrif",
    "It's a good idea to close all browser windows.": "Mae'n syniad da cau pob ffenestr porwr.",
    "Signing out of the other apps": "Allgofnodi o'r apiau eraill",
    "Continue": "Parhau",
}


def language_from_ui_locales(ui_locales: str) -> str | None:
    """The first language of ``ui_locales`` ("cy-GB cy" -> "cy") that the pages have, or None."""
    for tag in ui_locales.split()[:10]:
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def browser_language() -> str:
    """The language for a page outside a sign-in: ``ui_locales`` if the request has it, else the browser's."""
    asked = language_from_ui_locales(request.values.get("ui_locales", ""))
    return asked or request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def use_language(language: str) -> None:
    """Render this request's pages in ``language`` (a sign-in's own language wins over the browser's)."""
    g.lang = language if language in LANGUAGES else LANGUAGES[0]


def gettext(text: str, **params: object) -> str:
    """``text`` in the page's language, with ``{name}`` placeholders filled in."""
    if g.get("lang") == "cy":
        text = WELSH.get(text, text)
    return text.format(**params) if params else text


def init_app(app: Flask) -> None:
    """Each request starts in the browser's language; templates get ``_`` and ``g.lang``."""
    app.before_request(lambda: use_language(browser_language()))
    app.jinja_env.globals["_"] = gettext
