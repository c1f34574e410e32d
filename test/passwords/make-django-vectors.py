#!/usr/bin/python3
"""Generate test/passwords/django-vectors.json: password hashes made by real Django.

Reference only: the TypeScript tests read the committed JSON and never need Python.

Run with Debian's packages (Django 3.2, argon2-cffi 21.1, bcrypt 3.2):

    apt-get install -y python3-django python3-argon2 python3-bcrypt
    /usr/bin/python3 test/passwords/make-django-vectors.py > test/passwords/django-vectors.json

Every vector is checked with Django's own `check_password` before it is written
(right password accepted, a wrong one refused).

Django 3.2 has no scrypt hasher (added in 4.0), so `ScryptPasswordHasher` below is
Django 4.x's class, same algorithm and encoding (`scrypt$<n>$<salt>$<r>$<p>$<b64>`,
dklen 64, `hashlib.scrypt`), registered in PASSWORD_HASHERS so `check_password`
uses it like any other hasher.

Check mode (to confirm that hashes made by Gatehouse are accepted by Django):

    echo '{"password": "pw", "encoded": "argon2$argon2id$..."}' | \\
        /usr/bin/python3 test/passwords/make-django-vectors.py --check

prints `true` / `false` per input line.
"""
import base64
import hashlib
import json
import sys

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        'django.contrib.auth.hashers.PBKDF2PasswordHasher',
        'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
        'django.contrib.auth.hashers.Argon2PasswordHasher',
        'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
        'django.contrib.auth.hashers.BCryptPasswordHasher',
        '__main__.ScryptPasswordHasher',
    ],
)
django.setup()

import argon2  # noqa: E402
import bcrypt  # noqa: E402
from django.contrib.auth import hashers as h  # noqa: E402
from django.utils.crypto import constant_time_compare  # noqa: E402


class ScryptPasswordHasher(h.BasePasswordHasher):
    """Django 4.x `django.contrib.auth.hashers.ScryptPasswordHasher` (4.0–5.0 defaults)."""

    algorithm = 'scrypt'
    block_size = 8
    maxmem = 0
    parallelism = 1  # Django >= 5.1: 5
    work_factor = 2 ** 14

    def encode(self, password, salt, n=None, r=None, p=None):
        assert password is not None
        assert salt and '$' not in salt
        n = n or self.work_factor
        r = r or self.block_size
        p = p or self.parallelism
        hash_ = hashlib.scrypt(
            password.encode(),
            salt=salt.encode(),
            n=n,
            r=r,
            p=p,
            maxmem=self.maxmem,
            dklen=64,
        )
        hash_ = base64.b64encode(hash_).decode('ascii').strip()
        return '%s$%d$%s$%d$%d$%s' % (self.algorithm, n, salt, r, p, hash_)

    def decode(self, encoded):
        algorithm, work_factor, salt, block_size, parallelism, hash_ = encoded.split('$', 6)
        assert algorithm == self.algorithm
        return {
            'algorithm': algorithm,
            'work_factor': int(work_factor),
            'salt': salt,
            'block_size': int(block_size),
            'parallelism': int(parallelism),
            'hash': hash_,
        }

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        encoded_2 = self.encode(
            password,
            decoded['salt'],
            decoded['work_factor'],
            decoded['block_size'],
            decoded['parallelism'],
        )
        return constant_time_compare(encoded, encoded_2)

    def must_update(self, encoded):
        decoded = self.decode(encoded)
        return (
            decoded['work_factor'] != self.work_factor
            or decoded['block_size'] != self.block_size
            or decoded['parallelism'] != self.parallelism
        )

    def harden_runtime(self, password, encoded):
        pass


class Scrypt51PasswordHasher(ScryptPasswordHasher):
    """Django >= 5.1 default: parallelism 5 (ticket #35428)."""

    parallelism = 5


class OwaspArgon2PasswordHasher(h.Argon2PasswordHasher):
    """Argon2 with Gatehouse's default policy (argon2id m=19456 t=2 p=1, 32-byte hash).

    argon2-cffi >= 21.2 uses a 32-byte default hash length; 21.1 (Debian) uses 16, so
    `params()` pins 32 here as a newer argon2-cffi would.
    """

    time_cost = 2
    memory_cost = 19456
    parallelism = 1

    def params(self):
        p = super().params()
        p.hash_len = 32
        return p


class Argon2iLegacyPasswordHasher(h.Argon2PasswordHasher):
    """Django 1.10/1.11 defaults: argon2i, t=2, m=512, p=2."""

    time_cost = 2
    memory_cost = 512
    parallelism = 2

    def params(self):
        p = super().params()
        p.type = argon2.low_level.Type.I
        return p


class FastBCryptSHA256PasswordHasher(h.BCryptSHA256PasswordHasher):
    rounds = 5


class FastBCryptPasswordHasher(h.BCryptPasswordHasher):
    rounds = 5


def argon2_raw(password, salt, *, type_, version, t, m, p, hash_len):
    """`argon2` + the argon2-cffi encoded string, as Django stores it."""
    data = argon2.low_level.hash_secret(
        password.encode(), salt.encode(), time_cost=t, memory_cost=m, parallelism=p,
        hash_len=hash_len, type=type_, version=version,
    ).decode('ascii')
    return 'argon2' + data


def bcrypt_with_prefix(hasher_algorithm, password, prefix, rounds=5):
    """Django's bcrypt(_sha256) encoding with a `$2a$`/`$2y$` salt (python-bcrypt keeps the prefix)."""
    salt = bcrypt.gensalt(rounds).replace(b'$2b$', prefix)
    hasher = FastBCryptSHA256PasswordHasher() if hasher_algorithm == 'bcrypt_sha256' else FastBCryptPasswordHasher()
    return hasher.encode(password, salt)


PASSWORDS = {
    'ascii': 'correct horse battery staple',
    'unicode': 'pässwörd-密码-🔑',
    'nul': 'nul\x00byte',
    'empty': '',
    'long80': 'x' * 72 + 'SECRET-1',  # 80 bytes; differs from long80b only after byte 72
}
LONG80_B = 'x' * 72 + 'SECRET-2'


def main():
    if '--check' in sys.argv:
        for line in sys.stdin:
            if line.strip():
                item = json.loads(line)
                print(json.dumps(h.check_password(item['password'], item['encoded'])))
        return

    vectors = []

    def add(id_, hasher, password, encoded, note='', also_valid=None, wrong=None):
        # A wrong password Django refuses: one more character, or (when the tail would
        # be truncated away by plain bcrypt) a changed first character.
        wrong = password + 'x' if wrong is None else wrong
        assert h.check_password(password, encoded), id_
        assert not h.check_password(wrong, encoded), id_
        for other in also_valid or []:
            assert h.check_password(other, encoded), id_
        vectors.append({'id': id_, 'hasher': hasher, 'password': password, 'wrong': wrong,
                        'encoded': encoded, 'note': note})

    pbkdf2 = h.PBKDF2PasswordHasher()
    for name in ('ascii', 'unicode', 'nul', 'empty'):
        pw = PASSWORDS[name]
        add('pbkdf2_sha256-%s' % name, 'pbkdf2_sha256', pw, h.make_password(pw, hasher=pbkdf2),
            'Django 3.2 default: 260000 iterations, 22-char salt')
    add('pbkdf2_sha256-salt12', 'pbkdf2_sha256', PASSWORDS['ascii'],
        h.make_password(PASSWORDS['ascii'], salt='AbCdEfGhIjKl', hasher=pbkdf2),
        'pre-3.2 style 12-char salt (71 bits < 128): Django must_update')
    add('pbkdf2_sha256-iter100000', 'pbkdf2_sha256', PASSWORDS['unicode'],
        pbkdf2.encode(PASSWORDS['unicode'], pbkdf2.salt(), 100000), 'old iteration count')

    sha1 = h.PBKDF2SHA1PasswordHasher()
    for name in ('ascii', 'unicode'):
        pw = PASSWORDS[name]
        add('pbkdf2_sha1-%s' % name, 'pbkdf2_sha1', pw, h.make_password(pw, hasher=sha1), 'Django 3.2 PBKDF2SHA1PasswordHasher')

    a2 = h.Argon2PasswordHasher()
    add('argon2-django32-default', 'argon2', PASSWORDS['ascii'], h.make_password(PASSWORDS['ascii'], hasher=a2),
        'Django 3.2 default Argon2PasswordHasher: argon2id m=102400 t=2 p=8, 16-byte hash (argon2-cffi 21.1)')
    owasp = OwaspArgon2PasswordHasher()
    for name in ('ascii', 'unicode', 'nul', 'empty'):
        pw = PASSWORDS[name]
        add('argon2-owasp-%s' % name, 'argon2', pw, h.make_password(pw, hasher=owasp),
            'argon2id m=19456 t=2 p=1, 32-byte hash, 22-char salt: equals Gatehouse default policy')
    add('argon2i-v19-django111', 'argon2', PASSWORDS['ascii'],
        h.make_password(PASSWORDS['ascii'], hasher=Argon2iLegacyPasswordHasher()),
        'Django 1.11 style: argon2i v=19 m=512 t=2 p=2')
    # Django 1.10 with argon2-cffi < 16: argon2i, version 0x10, and no `v=` field in the string.
    v16 = argon2_raw(PASSWORDS['ascii'], 'Sm9o8ZQsKcnYXLOPlCEvzq', type_=argon2.low_level.Type.I,
                     version=0x10, t=2, m=512, p=2, hash_len=16)
    add('argon2i-v16', 'argon2', PASSWORDS['ascii'], v16, 'argon2i version 0x10 (v=16 spelled out)')
    no_v = v16.replace('$v=16$', '$')
    assert no_v != v16
    add('argon2i-no-version', 'argon2', PASSWORDS['ascii'], no_v,
        'Django 1.10 era: argon2i without v= (means version 0x10)')
    add('argon2id-shortsalt', 'argon2', PASSWORDS['ascii'],
        argon2_raw(PASSWORDS['ascii'], 'somesalt', type_=argon2.low_level.Type.ID, version=0x13,
                   t=2, m=19456, p=1, hash_len=32),
        'policy parameters but an 8-byte salt (< 128 bits): Django must_update')
    add('argon2d', 'argon2', PASSWORDS['ascii'],
        argon2_raw(PASSWORDS['ascii'], 'dGhpc2lzYXNhbHQxMjM0NT', type_=argon2.low_level.Type.D, version=0x13,
                   t=1, m=64, p=1, hash_len=32),
        'argon2d (argon2-cffi verifies it, so Django does)')

    bsha = h.BCryptSHA256PasswordHasher()
    add('bcrypt_sha256-default', 'bcrypt_sha256', PASSWORDS['ascii'], h.make_password(PASSWORDS['ascii'], hasher=bsha),
        'Django 3.2 default BCryptSHA256PasswordHasher: $2b$, 12 rounds')
    fbsha = FastBCryptSHA256PasswordHasher()
    for name in ('unicode', 'nul', 'empty', 'long80'):
        pw = PASSWORDS[name]
        add('bcrypt_sha256-%s' % name, 'bcrypt_sha256', pw, h.make_password(pw, hasher=fbsha), 'rounds 5')
    assert not h.check_password(LONG80_B, vectors[-1]['encoded'])
    add('bcrypt_sha256-2a', 'bcrypt_sha256', PASSWORDS['ascii'],
        bcrypt_with_prefix('bcrypt_sha256', PASSWORDS['ascii'], b'$2a$'), '$2a$ prefix')
    add('bcrypt_sha256-2y', 'bcrypt_sha256', PASSWORDS['ascii'],
        bcrypt_with_prefix('bcrypt_sha256', PASSWORDS['ascii'], b'$2y$'), '$2y$ prefix')

    fb = FastBCryptPasswordHasher()
    for name in ('ascii', 'unicode', 'empty'):
        pw = PASSWORDS[name]
        add('bcrypt-%s' % name, 'bcrypt', pw, h.make_password(pw, hasher=fb), 'plain bcrypt, rounds 5')
    add('bcrypt-long80', 'bcrypt', PASSWORDS['long80'], h.make_password(PASSWORDS['long80'], hasher=fb),
        'plain bcrypt truncates at 72 bytes: Django also accepts a password that differs only after byte 72',
        also_valid=[LONG80_B], wrong='y' + PASSWORDS['long80'][1:])
    add('bcrypt-2a', 'bcrypt', PASSWORDS['ascii'], bcrypt_with_prefix('bcrypt', PASSWORDS['ascii'], b'$2a$'), '$2a$ prefix')
    add('bcrypt-2y', 'bcrypt', PASSWORDS['ascii'], bcrypt_with_prefix('bcrypt', PASSWORDS['ascii'], b'$2y$'), '$2y$ prefix')

    sc = ScryptPasswordHasher()
    for name in ('ascii', 'unicode', 'nul', 'empty'):
        pw = PASSWORDS[name]
        add('scrypt-%s' % name, 'scrypt', pw, h.make_password(pw, hasher=sc),
            'Django 4.0-5.0 ScryptPasswordHasher: n=2**14 r=8 p=1, dklen 64')
    sc51 = Scrypt51PasswordHasher()
    add('scrypt-p5', 'scrypt', PASSWORDS['ascii'], h.make_password(PASSWORDS['ascii'], hasher=sc51),
        'Django >= 5.1 ScryptPasswordHasher: p=5')

    unusable = h.make_password(None)
    assert not h.is_password_usable(unusable)
    vectors.append({'id': 'unusable', 'hasher': 'unusable', 'password': '', 'wrong': 'x', 'encoded': unusable,
                    'note': 'make_password(None): "!" + 40 random chars; never matches'})

    json.dump({
        'generator': 'test/passwords/make-django-vectors.py',
        'django': django.get_version(),
        'argon2_cffi': argon2.__version__,
        'bcrypt': bcrypt.__version__,
        'python': sys.version.split()[0],
        'long80_other': LONG80_B,
        'vectors': vectors,
    }, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
