#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Differential check of "feedspool date" against python3-feedparser's _parse_date on generated
# strings: every format its date handlers read (RFC 822 and variants, asctime, W3DTF, MSSQL,
# ISO 8601, Perforce, Greek, Hungarian, Korean), valid and near-miss, from a fixed seed.
#
# Usage: date_diff.py FEEDSPOOL [--seed N] [--count N] [--all] [--show N]
# Prints agreement per format and exits 1 on any disagreement in the compared kinds. Kinds where
# feedspool differs from feedparser on purpose (see KNOWN) are generated and counted but only
# compared with --all.
import argparse
import os
import datetime
import email._parseaddr
import random
import re
import subprocess
import sys
import time

os.environ["TZ"] = "UTC"  # feedparser's ISO 8601 handler goes through mktime()
time.tzset()
import feedparser.datetimes as fpd  # noqa: E402

# Where feedparser's answer is an artifact of how it is written, not a reading of the format;
# feedspool differs on purpose (date.c's header comment says why).
KNOWN = {
    # prefix regex match / words past the 5th ignored: "2003-12-31T10:14:55 garbage"
    "garbage": "feedparser ignores what follows a date it recognized; feedspool rejects it",
    # ISO 8601 via mktime(): 2003-13-01 rolls over to 2004-01-01
    "rollover": "feedparser's ISO 8601 handler rolls impossible fields over (mktime)",
    # --MM-DD, ---DD, -OOO, -YY, CC: need today's date
    "today": "forms that take the missing year or month from the day they are read",
    # ISO 8601 YY: 2000 + YY always; feedspool uses the RFC 822 90-99 -> 1990s rule
    "yy90": "ISO 8601 two-digit years 90-99 (feedparser: 2090s; feedspool: 1990s)",
    # unknown zone words read as UTC by the RFC 822 handler
    "badzone": "an unknown zone name (feedparser: UTC; feedspool: not a date)",
    # zones feedparser does not know and reads as UTC although they have an offset
    "lenient": "forms one feedparser handler rejects that its others read (no zone after a day "
               "name, one-digit fields in Greek and Perforce dates, any day name, a glued zone)",
    "width": "numbers wider than their field (\"006:52\", \"001 Jun\"), which int() reads",
    "mixed": "ISO 8601 dates that mix basic and extended forms (\"201505-18\")",
    "ordinal": "YYYY-DDD with a leading zero (\"1996-004\"): ISO 8601's day of the year; "
               "feedparser's W3DTF handler reads a month",
    "partial": "a time on a month or a year (\"2003-12T10:00\"): no day, so no instant",
    "badoffset": "zone offsets out of range (+05:90, -9999) or of odd width (+05:0): not zones",
    "ambiguous": "digits that read as two dates (22013: an ordinal, or 2022-01-3 cut short)",
    "zonename": "zone names feedparser lacks (CEST, IST, JST...): it reads them as UTC",
}

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS_FULL = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DAYS_FULL = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FP_ZONES = ["UT", "GMT", "Z", "ADT", "AST", "AT", "EDT", "EST", "ET", "CDT", "CST", "CT", "MDT",
            "MST", "MT", "PDT", "PST", "PT", "A", "N", "M", "Y", "MET", "MEST", "ut", "gmt",
            "est", "Etc/GMT", "etc/gmt"]
OTHER_ZONES = ["CEST", "CET", "IST", "JST", "BST", "EET", "AEST", "NZDT", "HST", "WET"]
GREEK_MONTHS = {
    "\u0399\u03b1\u03bd": 1, "\u03a6\u03b5\u03b2": 2, "\u039c\u03ac\u03ce": 3,
    "\u039c\u03b1\u03ce": 3, "\u0391\u03c0\u03c1": 4, "\u039c\u03ac\u03b9": 5,
    "\u039c\u03b1\u03ca": 5, "\u039c\u03b1\u03b9": 5, "\u0399\u03bf\u03cd\u03bd": 6,
    "\u0399\u03bf\u03bd": 6, "\u0399\u03bf\u03cd\u03bb": 7, "\u0399\u03bf\u03bb": 7,
    "\u0391\u03cd\u03b3": 8, "\u0391\u03c5\u03b3": 8, "\u03a3\u03b5\u03c0": 9,
    "\u039f\u03ba\u03c4": 10, "\u039d\u03bf\u03ad": 11, "\u039d\u03bf\u03b5": 11,
    "\u0394\u03b5\u03ba": 12,
}
GREEK_DAYS = ["\u039a\u03c5\u03c1", "\u0394\u03b5\u03c5", "\u03a4\u03c1\u03b9",
              "\u03a4\u03b5\u03c4", "\u03a0\u03b5\u03bc", "\u03a0\u03b1\u03c1",
              "\u03a3\u03b1\u03b2"]
HU_MONTHS = ["janu\u00e1r", "febru\u00e1ri", "m\u00e1rcius", "\u00e1prilis", "m\u00e1ujus",
             "j\u00fanius", "j\u00falius", "augusztus", "szeptember", "okt\u00f3ber",
             "november", "december"]
KO_Y, KO_M, KO_D = "\ub144", "\uc6d4", "\uc77c"
KO_AM, KO_PM = "\uc624\uc804", "\uc624\ud6c4"


def d2(v):
    return "%02d" % v


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.out = []  # (format, kind, string)

    def add(self, fmt, s, kind="plain"):
        if "\n" not in s:
            self.out.append((fmt, kind, s))

    def ymd(self, lo=1990, hi=2030):
        r = self.r
        y = r.randint(lo, hi)
        m = r.randint(1, 12)
        return y, m, r.randint(1, 31 if r.random() < 0.15 else 28)

    def hms(self):
        r = self.r
        return r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)

    def near(self, fmt, s):
        """Near misses of a valid string: a field out of range, a character dropped or doubled,
        trailing garbage."""
        r = self.r
        i = r.randrange(len(s))
        self.add(fmt, s[:i] + s[i + 1:], "mutant")
        self.add(fmt, s[:i] + s[i] + s[i:], "mutant")
        digits = [k for k, c in enumerate(s) if c.isdigit()]
        if digits:
            k = r.choice(digits)
            self.add(fmt, s[:k] + r.choice("0123456789") + s[k + 1:], "mutant")
            k = r.choice(digits)
            self.add(fmt, s[:k] + "9" + s[k + 1:], "mutant")
        self.add(fmt, s + r.choice([" x", "x", " 12", "!", " GMT GMT", "Z"]), "garbage")

    def rfc822(self):
        r = self.r
        y, m, d = self.ymd(1950, 2060)
        h, mi, s = self.hms()
        parts = []
        if r.random() < 0.8:
            dn = r.choice(DAYS if r.random() < 0.8 else DAYS_FULL)
            dn = r.choice([dn, dn.upper(), dn.lower()])
            parts.append(dn + ("," if r.random() < 0.85 else ""))
        day = r.choice([str(d), d2(d)])
        mon = r.choice([MONTHS[m - 1], MONTHS_FULL[m - 1], MONTHS[m - 1].upper(),
                        MONTHS[m - 1].lower()])
        if r.random() < 0.15:
            parts += [mon, day]
        else:
            parts += [day, mon]
        yr = str(y) if r.random() < 0.75 else d2(y % 100)
        parts.append(yr)
        form = r.random()
        zone = r.random()
        if form < 0.1:
            pass  # no time
        else:
            if form < 0.25:
                parts.append("%s:%s" % (d2(h), d2(mi)))
            elif form < 0.35:
                parts.append("%d:%s:%s" % (h, d2(mi), d2(s)))
            else:
                parts.append("%s:%s:%s" % (d2(h), d2(mi), d2(s)))
            if zone < 0.45:
                parts.append(r.choice(FP_ZONES))
            elif zone < 0.8:
                oh, om = r.randint(0, 14), r.choice([0, 0, 30, 45, 1])
                sign = r.choice("+-")
                parts.append(r.choice(["%s%s%s" % (sign, d2(oh), d2(om)),
                                       "%s%s:%s" % (sign, d2(oh), d2(om)),
                                       "GMT%s%s:%s" % (sign, d2(oh), d2(om)),
                                       "GMT%s%s%s" % (sign, d2(oh), d2(om))]))
            elif zone < 0.9:
                pass
            else:
                parts.append(r.choice(OTHER_ZONES))
        sep = " " if r.random() < 0.9 else "  "
        s = sep.join(parts)
        kind = "plain"
        if zone >= 0.9 and form >= 0.1:
            kind = "zonename"
        self.add("rfc822", s, kind)
        if kind == "plain":
            self.near("rfc822", s)

    def asctime(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, s = self.hms()
        day = r.choice(["%2d" % d, str(d), d2(d)])
        z = r.choice(["", "", "+0000 ", "-0500 ", "+0130 "])
        s = "%s %s %s %s:%s:%s %s%d" % (r.choice(DAYS), MONTHS[m - 1], day, d2(h), d2(mi), d2(s), z, y)
        self.add("asctime", s)
        self.near("asctime", s)

    def w3dtf(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, s = self.hms()
        form = r.randint(0, 9)
        if form == 0:
            s = str(y)
        elif form == 1:
            s = "%d-%s" % (y, d2(m))
        elif form == 2:
            s = "%d-%s-%s" % (y, d2(m), d2(d))
        else:
            t = r.choice(["%s:%s" % (d2(h), d2(mi)), "%s:%s:%s" % (d2(h), d2(mi), d2(s)),
                          "%s:%s:%s.%d" % (d2(h), d2(mi), d2(s), r.randint(0, 9999))])
            z = r.choice(["Z", "z", "", "+00:00", "-08:00", "+05:30", "+10:00", "-03:30"])
            sep = r.choice(["T", "T", "t", " "])
            s = "%d-%s-%s%s%s%s" % (y, d2(m), d2(d), sep, t, (" " if sep == " " and z and
                                                                z[0] in "+-" and r.random() < 0.5
                                                                else "") + z)
        self.add("w3dtf", s)
        self.near("w3dtf", s)

    def iso8601(self):
        r = self.r
        y, m, d = self.ymd(2000, 2089)
        yy = d2(y % 100)
        o = r.randint(1, 365)
        tmpl = r.choice(["YYYY-MM-DD", "YYYYMMDD", "YYYY-0MM-DD", "YYYY-MM", "YYYY-OOO",
                         "YYYYOOO", "YY-MM-DD", "YYMMDD", "YY-OOO", "YYOOO", "YYYY", "-YY-MM",
                         "-YYMM"])
        s = (tmpl.replace("YYYY", str(y)).replace("YY", yy).replace("MM", d2(m))
             .replace("DD", d2(d)).replace("OOO", "%03d" % o))
        full = "DD" in tmpl or "OOO" in tmpl
        if full and r.random() < 0.5:
            s += "T%s:%s" % (d2(r.randint(0, 23)), d2(r.randint(0, 59)))
            if r.random() < 0.5:
                s += ":%s" % d2(r.randint(0, 59))
            s += r.choice(["", "Z", "+01:00", "-0500", "+09"])
        self.add("iso8601", s)
        self.near("iso8601", s)

    def yy90(self):
        r = self.r
        s = "%d-%s-%s" % (r.randint(90, 99), d2(r.randint(1, 12)), d2(r.randint(1, 28)))
        self.add("iso8601", s, "yy90")

    def today(self):
        r = self.r
        s = r.choice(["--%s-%s" % (d2(r.randint(1, 12)), d2(r.randint(1, 28))),
                      "--%s" % d2(r.randint(1, 12)), "---%s" % d2(r.randint(1, 28)),
                      "-%03d" % r.randint(1, 365), "-%s" % d2(r.randint(0, 99)),
                      d2(r.randint(19, 21))])
        self.add("iso8601", s, "today")

    def digits(self):
        r = self.r
        n = r.randint(1, 9)
        s = "".join(r.choice("0123456789") for _ in range(n))
        self.add("digits", s, "mutant")

    def perforce(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, s = self.hms()
        z = r.choice(["EDT", "EST", "GMT", "PST", "UTC", "CDT"])
        s = "%s, %d/%s/%s %s:%s:%s %s" % (r.choice(DAYS), y, r.choice([d2(m), str(m)]), d2(d),
                                           r.choice([d2(h), str(h)]), d2(mi), d2(s), z)
        self.add("perforce", s)
        self.near("perforce", s)

    def greek(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, s = self.hms()
        mon = r.choice([k for k, v in GREEK_MONTHS.items() if v == m])
        z = r.choice(["EST", "GMT", "+0200", "-0500", "EEST"])
        s = "%s, %s %s %d %s:%s:%s %s" % (r.choice(GREEK_DAYS), d2(d), mon, y, d2(h), d2(mi),
                                           d2(s), z)
        self.add("greek", s, "zonename" if z == "EEST" else "plain")
        if z != "EEST":
            self.near("greek", s)

    def hungarian(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, _ = self.hms()
        z = "%s%s:%s" % (r.choice("+-"), r.choice([d2(r.randint(0, 12)), str(r.randint(0, 9))]),
                         r.choice(["00", "30"]))
        s = "%d-%s-%sT%s:%s%s" % (y, HU_MONTHS[m - 1], r.choice([str(d), d2(d)]),
                                  r.choice([str(h), d2(h)]), d2(mi), z)
        self.add("hungarian", s)
        self.near("hungarian", s)

    def korean(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, s = self.hms()
        if r.random() < 0.5:
            s = "%d%s %s%s %s%s%s%s:%s:%s" % (y, KO_Y, d2(m), KO_M, d2(d), KO_D,
                                              r.choice([" ", "  "]), d2(h), d2(mi), d2(s))
            self.add("onblog", s)
            self.near("onblog", s)
        else:
            h12 = r.randint(1, 11)
            s = "%d-%s-%s %s %s:%s:%s" % (y, d2(m), d2(d), r.choice([KO_AM, KO_PM]),
                                          r.choice([str(h12), d2(h12)]), d2(mi), d2(s))
            self.add("nate", s)
            self.near("nate", s)

    def mssql(self):
        r = self.r
        y, m, d = self.ymd()
        h, mi, s = self.hms()
        s = "%d-%s-%s %s:%s:%s%s" % (y, d2(m), d2(d), d2(h), d2(mi), d2(s),
                                     r.choice(["", ".0", ".123", " -00:20", " +05:00"]))
        self.add("mssql", s)
        self.near("mssql", s)


def fmt_tuple(t):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(t[:6])


def handler_span(name, s):
    """Whether feedparser's handler name, which accepted s, read all of it: its regexes match a
    prefix (ISO 8601, Hungarian, Greek, Korean) or search (Perforce), and RFC 822 ignores words
    past the fifth."""
    if name == "iso8601":
        for m in fpd.iso8601._iso8601_matches:
            r = m(s)
            if r:
                return r.end() == len(s)
        return False
    pats = {"hungarian": fpd.hungarian._hungarian_date_format_re,
            "greek": fpd.greek._greek_date_format_re,
            "nate": fpd.korean._korean_nate_date_re,
            "onblog": fpd.korean._korean_onblog_date_re}
    if name in pats:
        return pats[name].fullmatch(s) is not None
    if name == "perforce":
        return re.fullmatch(r"(\w{,3}), (\d{,4})/(\d{,2})/(\d{2}) (\d{,2}):(\d{2}):(\d{2}) "
                            r"(\w{,3})", s) is not None
    if name == "rfc822":
        parts = s.lower().split()
        if parts and parts[0][:3] in fpd.rfc822.day_names:
            parts = parts[1:]
        return len(parts) <= 5
    if name == "asctime":
        return len(s.split()) in (5, 6)
    if name == "w3dtf" and "t" not in s.lower():
        w = s.split()
        return len(w) <= 3 and (len(w) == 1 or ":" in w[1])
    return True


def zone_kind(z):
    """How feedparser's RFC 822 handler reads the zone word z (lowercase): None when it is one
    it knows, 'zonename' for a real zone it lacks (read as UTC), 'badoffset' for an offset out
    of range or of odd width, 'badzone' for anything else (read as UTC)."""
    if z.startswith("etc/"):
        z = z[4:]
        if z not in ("gmt", "utc", "ut", "uct", "z"):
            return "badzone"
    if z.startswith("gmt") and len(z) > 3:
        z = z[3:]
        if z[0].isalpha():
            return "badzone"
        if not re.fullmatch(r"[+-]\d\d:?\d\d", z):
            return "badoffset"  # feedparser drops the colon: GMT+3:00 is +30 hours
    if z[:1] in "+-":
        return None if re.fullmatch(r"[+-]([01]\d|2[0-3]):?[0-5]\d", z) or \
            (re.fullmatch(r"[+-]\d\d?(:[0-5]\d)?", z) and int(z[1:].split(":")[0]) < 24) \
            else "badoffset"
    if z in fpd.rfc822.timezone_names:
        return None
    return "zonename" if z.upper() in OTHER_ZONES else "badzone"


def rfc822_kind(s):
    words = s.lower().split()
    if words and words[0][:3] in fpd.rfc822.day_names:
        words = words[1:]
    if len(words) < 5:
        return None
    return zone_kind(words[4])


class _OtherClock:
    """time for feedparser's ISO 8601 handler, with gmtime() on another day: a result that
    changes with it took its year, month or day from the clock."""
    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def gmtime(*a):
        return time.gmtime(*a) if a else time.struct_time((1987, 6, 15, 0, 0, 0, 0, 166, 0))


def uses_today(s):
    real = fpd.iso8601.time
    try:
        fpd.iso8601.time = _OtherClock()
        other = fpd.iso8601._parse_date_iso8601(s)
    except Exception:
        other = None
    finally:
        fpd.iso8601.time = real
    return other is None or tuple(other[:6]) != tuple(fpd.iso8601._parse_date_iso8601(s)[:6])


def iso_kind(s):
    """What feedparser's ISO 8601 handler did with s, which it read whole: 'today' when a year
    or month came from the clock, 'rollover' when a field was out of range, else None."""
    if uses_today(s):
        return "today"
    z = re.search(r"\d([+-][\d:]*)$", s)
    if z and not re.fullmatch(r"[+-]([01]\d|2[0-3])(:?[0-5]\d)?", z.group(1)):
        return "badoffset"
    if re.match(r"\d{4}-\d{4}(\D|$)|\d{6}-\d\d|\d\d-\d{4}(\D|$)|\d\d-\d{5}", s):
        return "mixed"
    if re.match(r"\d{4}(-\d\d)?[Tt]", s):
        return "partial"
    for m in fpd.iso8601._iso8601_matches:
        r = m(s)
        if r:
            g = r.groupdict()
            if not g.get("year") or g.get("century"):
                return "today"
            if g.get("ordinal") and "-" not in s[:7] and re.match(r"\d\d(0[1-9]|1[0-2])", s[len(g["year"]) - 2:]):
                return "ambiguous"
            if g.get("day") and not g.get("month"):
                return "today"
            mon = int(g.get("month") or 1)
            day = int(g.get("day") or 1)
            if g.get("ordinal"):
                o = int(g["ordinal"])
                if not 1 <= o <= 365 + (int(g["year"]) % 4 == 0):
                    return "rollover"
            try:
                datetime.datetime(int(g["year"]) if len(g["year"]) == 4 else 2000, mon, day,
                                  int(g.get("hour") or 0), int(g.get("minute") or 0),
                                  int(g.get("second") or 0))
            except ValueError:
                return "rollover"
            if len(g["year"]) == 2 and int(g["year"]) >= 90:
                return "yy90"
            if not g.get("month") and not g.get("ordinal") and not g.get("day") and \
                    len(g["year"]) == 2:
                return "today"
            return None
    return None


def perforce_kind(s):
    """Perforce dates go through email.utils, which rolls fields over and knows few zones."""
    m = re.fullmatch(r"\w*, (\d+)/(\d+)/(\d+) (\d+):(\d+):(\d+) (\w*)", s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(v) for v in m.groups()[:6])
    try:
        datetime.datetime(y, mo, d, h, mi, se)
    except ValueError:
        return "rollover"
    if m.group(7).upper() not in email._parseaddr._timezones:
        return "zonename"
    return None


def w3dtf_kind(s):
    """feedparser's W3DTF handler reads any offset minutes (+05:90) and odd widths (+05:0)."""
    if re.match(r"\d{4}(-\d\d?)?[Tt]", s):
        return "partial"
    if re.match(r"\d{4}-0\d\d(\D|$)", s) and not re.match(r"\d{4}-0\d\d-", s):
        return "ordinal"
    words = s.split()
    if "t" not in s.lower() and len(words) == 3:
        z = words[2].lower()  # MSSQL style: the third word is the zone
        if z[0] not in "+-":
            return None if z in fpd.w3dtf.timezonenames else "badzone"
        zone = z
    else:
        parts = re.split(r"[Tt ]", s.strip(), maxsplit=1)
        if len(parts) < 2:
            return None  # a date alone: its hyphens are no zone
        m = re.search(r"[+-][^+-]*$", parts[1])
        if not m:
            return None
        zone = m.group(0).strip()
    if not re.fullmatch(r"[+-]([01]\d|2[0-3]):[0-5]\d", zone):
        return "badoffset"
    return None


def lenient_kind(s):
    """Why feedspool may accept what feedparser rejects: each is a form one of feedparser's
    handlers reads and another, narrower one (Greek, Perforce, RFC 822 after a day name) does
    not; feedspool reads the same field the same way in every form. None when no such reason."""
    w = s.split()
    if w and re.fullmatch(r"[^\d\s,]+,", w[0]) and w[0][:3].lower() not in fpd.rfc822.day_names \
            and w[0][:-1] not in GREEK_DAYS:
        return "dayname"
    if re.search(r"\d:\d+[A-Za-z+-]", s):
        return "glued"
    if re.match(r"[^\d\s,]+,\S", s):
        return "glued"
    if w and w[0][:3].lower() in fpd.rfc822.day_names and len(w) == 5 and ":" in w[4]:
        return "nozone"
    if re.search(r"(^|\D)\d(:|$)|:\d(\D|$)|\s\d{1,3}\s\d|/\d/|\s\d\s", s) and \
            ("/" in s or any(g in s for g in GREEK_DAYS)):
        return "narrow"
    if "/" in s and ("  " in s or not re.match(r"\w*, ", s) or re.search(r"/\d\s", s)):
        return "narrow"
    if w and re.search(r"\d{4}[A-Za-z]+$", s):
        return "glued"
    return None


HANDLERS = ["w3dtf", "rfc822", "iso8601", "asctime", "perforce", "hungarian", "greek", "nate",
            "onblog"]


def handler(name):
    mod = {"nate": "korean", "onblog": "korean"}.get(name, name)
    return getattr(getattr(fpd, mod), "_parse_date_" + name)


def feedparser_ref(s):
    """feedparser's answer for s, as _parse_date gives it (its handlers in their order), and
    the kind of disagreement to expect when that answer is one of its artifacts (KNOWN)."""
    first = None
    for name in HANDLERS:
        try:
            t = handler(name)(s)
        except (KeyError, OverflowError, ValueError, AttributeError):
            continue
        except Exception:
            return "error", None
        if not t or len(t) != 9:
            continue
        if first is None:
            first = (fmt_tuple(t), name)
        if handler_span(name, s):
            kind = iso_kind(s) if name == "iso8601" else None
            if name in ("rfc822", "greek"):
                kind = zone_kind(s.split()[-1].lower())
            if name == "asctime":
                w = s.split()
                kind = zone_kind(w[4].lower()) if len(w) == 6 else None
            if name == "perforce":
                kind = perforce_kind(s)
            if name == "w3dtf":
                kind = w3dtf_kind(s)
            if first[1] != name:
                return first[0], "garbage"
            return fmt_tuple(t), kind
    if first:
        return first[0], "garbage"
    return "", None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("feedspool")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=300, help="rounds of every generator")
    ap.add_argument("--all", action="store_true", help="also compare the KNOWN kinds")
    ap.add_argument("--show", type=int, default=20, help="disagreements to print")
    a = ap.parse_args()
    g = Gen(random.Random(a.seed))
    gens = [g.rfc822, g.rfc822, g.asctime, g.w3dtf, g.iso8601, g.perforce, g.greek,
            g.hungarian, g.korean, g.mssql, g.digits, g.yy90, g.today]
    for _ in range(a.count):
        for f in gens:
            f()
    # a mutant may be valid: it is labelled by what feedparser and a sanity rule make of it
    cases = []
    seen = set()
    for fmt, kind, s in g.out:
        if s in seen:
            continue
        seen.add(s)
        fp, why = feedparser_ref(s)
        if fp and why is None and re.search(r"(^|\D)0\d\d|\d{3}:|:\d{3}|^\w*, \d{1,3}/", s):
            why = "width"
        if fp and why is None and re.search(r"\d\.(\s|$)", s):
            why = "garbage"  # a fraction point without digits
        if fp == "" and why is None:
            why = lenient_kind(s) and "lenient"
        cases.append((fmt, why or "plain", s, fp))
    inp = "".join(c[2] + "\n" for c in cases).encode()
    out = subprocess.run([a.feedspool, "date"], input=inp, stdout=subprocess.PIPE,
                         check=False).stdout.decode().split("\n")
    stats = {}
    bad = []
    sides = {"valid": [0, 0], "invalid": [0, 0]}  # feedparser accepts / rejects
    for i, (fmt, kind, s, fp) in enumerate(cases):
        got = out[i].strip()
        if fp == "error":
            continue
        key = (fmt, kind)
        st = stats.setdefault(key, [0, 0])
        st[0] += 1
        if kind not in KNOWN or a.all:
            side = sides["valid" if fp else "invalid"]
            side[0] += 1
            side[1] += got == fp
        if got == fp:
            st[1] += 1
        elif kind not in KNOWN or a.all:
            bad.append((fmt, kind, s, fp, got))
    total = sum(v[0] for k, v in stats.items() if k[1] not in KNOWN or a.all)
    agree = sum(v[1] for k, v in stats.items() if k[1] not in KNOWN or a.all)
    for k in sorted(stats):
        tot, ok = stats[k]
        print("  %-10s %-9s %5d/%-5d %6.1f%%%s" % (k[0], k[1], ok, tot, 100.0 * ok / tot,
                                                  "  (on purpose)" if k[1] in KNOWN else ""))
    print("compared: %d/%d agree (%.2f%%), seed %d" % (agree, total, 100.0 * agree / max(total, 1),
                                                       a.seed))
    for k, (tot, ok) in sides.items():
        print("  feedparser %s: %d/%d (%.2f%%)" % ("accepts, same instant" if k == "valid" else
                                                 "rejects, rejected too", ok, tot,
                                                 100.0 * ok / max(tot, 1)))
    for fmt, kind, s, fp, got in bad[:a.show]:
        print("DIFF %-9s %-8s %r feedparser=%r feedspool=%r" % (fmt, kind, s, fp, got))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
