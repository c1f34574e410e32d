#!/usr/bin/python3
"""Generate test/passwords/validator-vectors.json: what Django's password validators say.

Reference only: the TypeScript tests read the committed JSON and never need Python.
Run with Debian's Django 3.2:

    apt-get install -y python3-django
    /usr/bin/python3 test/passwords/make-validator-vectors.py > test/passwords/validator-vectors.json

Each vector is a password, the user's attributes, and the messages of Django's four
default validators (in settings order), plus quick_ratio values of difflib.
"""
import json
import random
from difflib import SequenceMatcher

import django
from django.conf import settings

settings.configure(
    USE_I18N=False,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    AUTH_PASSWORD_VALIDATORS=[
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ],
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.auth.password_validation import validate_password  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402


def messages(password, owner):
    user = User(**owner) if owner is not None else None
    try:
        validate_password(password, user)
        return []
    except ValidationError as e:
        return list(e.messages)


ALICE = {"username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}
FIXED = [
    ("1234", ALICE), ("alice1234", ALICE), ("alice12345", ALICE), ("alice12345", None), ("1234", None),
    ("password", ALICE), ("  Password  ", None), ("PASSWORD", None), ("", ALICE), ("", None),
    ("liddell1", ALICE), ("example.com", ALICE), ("ALICE@EXAMPLE.COM", ALICE), ("aliceexample", ALICE),
    ("Alice Liddell", ALICE), ("correct horse battery staple", ALICE), ("12345678901", None),
    ("١٢٣٤٥٦٧٨٩", None), ("²³¹⁰⁴⁵⁶⁷⁸", None), ("①②③④⑤⑥⑦⑧", None), ("½½½½½½½½", None), ("१२३४५६७८a", None),
    ("😀😀😀😀😀😀😀", None), ("😀😀😀😀😀😀😀😀", None), ("Straße-Fluß", {"username": "strasse", "email": "", "first_name": "Straße", "last_name": ""}),
    ("ΣΊΣΥΦΟΣ99", {"username": "σίσυφος", "email": "", "first_name": "", "last_name": ""}),
    ("İstanbul1", {"username": "istanbul", "email": "", "first_name": "", "last_name": ""}),
    ("x", {"username": "a.b", "email": "", "first_name": "", "last_name": ""}),
    ("", {"username": "alice@", "email": "", "first_name": "", "last_name": ""}),
    ("qwertyuiop", None), ("\u0085iloveyou\u0085", None), ("\ufeffiloveyou", None), ("\x1ciloveyou\x1f", None),
    ("a" * 100, {"username": "aaaaaaaaa", "email": "", "first_name": "", "last_name": ""}),
    ("a" * 100, {"username": "a" * 40, "email": "", "first_name": "", "last_name": ""}),
    ("b" * 20 + "alice", ALICE),
    ("bob-the-builder", {"username": "bob", "email": "bob@example.com", "first_name": "Bob", "last_name": "Builder"}),
    ("builder-bob-x", {"username": "x", "email": "", "first_name": "", "last_name": "the_builder-bob"}),
]

rng = random.Random(11)
ALPHABET = "abcdeABCDE01234_-.@ éÉßΣσς😀①²\u0301"
random_vectors = []
for _ in range(300):
    pw = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
    owner = {
        "username": "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))),
        "email": "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))),
        "first_name": "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6))),
        "last_name": "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6))),
    }
    random_vectors.append((pw, owner))

ratios = []
for _ in range(200):
    a = "".join(rng.choice("abcab😀é") for _ in range(rng.randint(0, 12)))
    b = "".join(rng.choice("abcxy😀") for _ in range(rng.randint(0, 12)))
    ratios.append({"a": a, "b": b, "ratio": SequenceMatcher(a=a, b=b).quick_ratio()})


def camel(owner):
    if owner is None:
        return None
    return {"username": owner["username"], "email": owner["email"], "firstName": owner["first_name"], "lastName": owner["last_name"]}


print(json.dumps({
    "django": django.get_version(),
    "vectors": [{"password": pw, "owner": camel(o), "messages": messages(pw, o)} for pw, o in FIXED + random_vectors],
    "quickRatio": ratios,
}, ensure_ascii=False, indent=1))
