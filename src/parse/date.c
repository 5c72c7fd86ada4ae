/* SPDX-License-Identifier: MIT */
/* Feed dates: reads RFC 822 and RFC 3339 / ISO 8601 dates as feeds really write them, rejects
 * impossible ones, and writes instants back as RFC 3339 UTC. */
#include "autoconfig.h"
#include "date.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/*
 * Two grammars, tried in order:
 *
 * ISO 8601 / RFC 3339 / W3CDTF: YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD, ordinal YYYY-DDD and
 * YYYYDDD, the 2-digit-year forms of ISO 8601:1988 (YY-MM-DD, YYMMDD, YY-DDD, YYDDD, -YY-MM,
 * -YYMM), and a month written "0MM" (YYYY-0MM-DD). A complete date may carry a time after "T"
 * (extended hh:mm[:ss[.frac]] or basic hh[mm[ss[.frac]]]) or after spaces (extended only), then
 * an optional zone. Forms that need today's date to mean anything (--MM-DD, ---DD, a century
 * alone) are rejected: a feed date must not depend on when it is read.
 *
 * RFC 822 and its real-world variants: [day name] day month year [time [zone]], also
 * month-first ("Dec 16 2023 ..."), asctime ("Sun Nov  6 08:49:37 [zone] 1994"), RFC 850
 * ("06-Nov-94"), YYYY/MM/DD, and the Korean Y년 M월 D일 form. Day names may be wrong,
 * abbreviated, full, or (before a comma) in any language; their value is ignored.
 *
 * Both share the time, AM/PM, zone and "(comment)" tail. Fields are range-checked against the
 * calendar before any arithmetic, so nothing ever rolls over; then days_from_civil() makes the
 * instant, without TZ. (RFC 822 dates went through curl_getdate() before: a string rebuilt
 * from the checked fields and read again with an sscanf per word, 2/3 of date_parse()'s cost.
 * tests/test_date_fast.c checks that both give the same day for every date of 1583-9999.)
 * The two shapes nearly every feed writes, "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm)" and "Ddd,
 * D[D] Mon YYYY hh:mm:ss zone", are read in one pass first (fast_iso(), fast_rfc822()); they
 * give the general grammar's fields or decline, and the general grammar reads what they decline.
 *
 * Rules chosen for ambiguous cases:
 * - No zone means UTC (as feedparser), except that Korean date words imply KST (+09:00).
 * - Two-digit years: 00-89 are 2000-2089, 90-99 are 1990-1999 (feedparser's RFC 822 rule,
 *   applied to the ISO forms too, so one string never means two years).
 * - Second 60 is accepted only where a leap second can be, 23:59:60 UTC, and is read as
 *   23:59:59: POSIX time has no leap seconds and rounding up would change the day.
 * - Hours are 00-23 (RFC 3339; no ISO "24:00"), 1-12 with AM/PM; fractions of seconds are cut.
 * - Fields are read as feedparser's handlers read them, the same in every form: one-digit hours,
 *   minutes and seconds ("10:2:5", also after "T"), one-digit W3DTF months and days
 *   ("2018-1-9"), years of 1-4 digits, and any word that starts with an English three-letter
 *   month or day name ("Juni", "Thurs"). Where one of feedparser's handlers is narrower than
 *   its siblings (no zone after a day name, Greek and Perforce two-digit fields), or reads
 *   what it did not understand (trailing words, unknown zones as UTC, rolled-over fields, the
 *   missing year or month from the clock), feedspool does not follow it: see
 *   tests/tools/date_diff.py, which checks all this against feedparser itself.
 * - Offsets are RFC 3339's range: hours 00-23, minutes 00-59 ("-9999" is garbage, not a zone).
 * - Military letters follow RFC 822 literally (A = -01:00, N = +01:00), as feedparser and curl
 *   do, although RFC 1123 notes RFC 822 got the signs backwards.
 * - Ambiguous zone abbreviations take their most common meaning in feeds: IST is India
 *   (+05:30), CST is North American Central, BST is British Summer Time, AST is Atlantic.
 * - "Etc/GMT+5" (whose sign POSIX inverts) is rejected; only Etc/ names for UTC are read.
 * - The result must lie in years 0001..9999 UTC, the range date_format() can write.
 */

#define SECS_PER_DAY 86400
/* The first and last seconds date_format() can write: 0001-01-01 and 9999-12-31T23:59:59. */
#define T_MIN (-62135596800LL)
#define T_MAX 253402300799LL

enum ampm { AMPM_NONE, AMPM_AM, AMPM_PM };

/* One date as written: local fields, then the zone that turns them into UTC. */
struct when {
	int year, mon, day;
	int hour, min, sec;
	int off; /* minutes east of UTC */
	bool has_zone;
	bool korean; /* written with Korean date words: the zone defaults to KST */
	bool named;  /* an ISO-like date with a month name: its hour may have one digit */
	enum ampm ampm;
};

/* A lowercase name, its length in bytes and its value. Tables list one name per entry, so
 * that find() passes over a name of the wrong length or first letter in one comparison. */
struct name {
	const char *s;
	size_t len;
	int v;
};

#define N(str, val) {str, sizeof(str) - 1, val}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* English, then abbreviations of other languages that feeds put in an otherwise English
 * RFC 822 date ("Seg, 24 Set 2018") and that collide with nothing. */
static const struct name months[] = {
    N("jan", 1), N("january", 1), N("ene", 1), N("gen", 1), N("janv", 1),
    N("feb", 2), N("february", 2), N("fev", 2),
    N("mar", 3), N("march", 3), N("mrz", 3), N("mrt", 3),
    N("apr", 4), N("april", 4), N("abr", 4), N("avr", 4),
    N("may", 5), N("mai", 5), N("mag", 5), N("mei", 5),
    N("jun", 6), N("june", 6), N("giu", 6), N("juin", 6),
    N("jul", 7), N("july", 7), N("lug", 7), N("juil", 7),
    N("aug", 8), N("august", 8), N("ago", 8),
    N("sep", 9), N("sept", 9), N("september", 9), N("set", 9),
    N("oct", 10), N("october", 10), N("out", 10), N("okt", 10), N("ott", 10),
    N("nov", 11), N("november", 11),
    N("dec", 12), N("december", 12), N("dez", 12), N("dic", 12),
    /* Greek abbreviations (as written, capitalized) and Hungarian names, which feedparser
     * reads; "m\u00e1ujus" is its spelling of m\u00e1jus */
    N("\u0399\u03b1\u03bd", 1), N("janu\u00e1r", 1),
    N("\u03a6\u03b5\u03b2", 2), N("febru\u00e1r", 2), N("febru\u00e1ri", 2),
    N("\u039c\u03ac\u03ce", 3), N("\u039c\u03b1\u03ce", 3), N("m\u00e1rcius", 3),
    N("\u0391\u03c0\u03c1", 4), N("\u00e1prilis", 4),
    N("\u039c\u03ac\u03b9", 5), N("\u039c\u03b1\u03ca", 5), N("\u039c\u03b1\u03b9", 5),
    N("m\u00e1jus", 5), N("m\u00e1ujus", 5),
    N("\u0399\u03bf\u03cd\u03bd", 6), N("\u0399\u03bf\u03bd", 6), N("j\u00fanius", 6),
    N("\u0399\u03bf\u03cd\u03bb", 7), N("\u0399\u03bf\u03bb", 7), N("j\u00falius", 7),
    N("\u0391\u03cd\u03b3", 8), N("\u0391\u03c5\u03b3", 8), N("augusztus", 8),
    N("\u03a3\u03b5\u03c0", 9), N("szeptember", 9),
    N("\u039f\u03ba\u03c4", 10), N("okt\u00f3ber", 10),
    N("\u039d\u03bf\u03ad", 11), N("\u039d\u03bf\u03b5", 11),
    N("\u0394\u03b5\u03ba", 12),
};

static const struct name weekdays[] = {
    N("mon", 0), N("monday", 0), N("tue", 0), N("tues", 0), N("tuesday", 0), N("wed", 0),
    N("wednesday", 0), N("thu", 0), N("thur", 0), N("thurs", 0), N("thursday", 0),
    N("fri", 0), N("friday", 0), N("sat", 0), N("saturday", 0), N("sun", 0), N("sunday", 0),
};

/* Named zones, minutes east of UTC; single letters are the military zones, computed. The
 * two-letter North American names are feedparser's, read as standard time. */
static const struct name zones[] = {
    N("ut", 0), N("utc", 0), N("gmt", 0), N("uct", 0), N("zulu", 0), N("wet", 0),
    N("west", 60), N("bst", 60), N("cet", 60), N("met", 60), N("mez", 60),
    N("cest", 120), N("mest", 120), N("mesz", 120), N("eet", 120), N("sast", 120),
    N("eest", 180), N("msk", 180),
    N("ist", 330),
    N("hkt", 480), N("sgt", 480), N("awst", 480),
    N("jst", 540), N("kst", 540),
    N("acst", 570),
    N("aest", 600),
    N("acdt", 630),
    N("aedt", 660),
    N("nzst", 720),
    N("nzdt", 780),
    N("ndt", -150),
    N("adt", -180),
    N("nst", -210),
    N("ast", -240), N("at", -240), N("edt", -240),
    N("est", -300), N("et", -300), N("cdt", -300),
    N("cst", -360), N("ct", -360), N("mdt", -360),
    N("mst", -420), N("mt", -420), N("pdt", -420),
    N("pst", -480), N("pt", -480), N("akdt", -480),
    N("akst", -540),
    N("hst", -600),
};

/* The names that may carry an offset: "GMT+2", "UTC-05:00". */
static const struct name gmt[] = {N("ut", 0), N("utc", 0), N("gmt", 0)};

/* AM/PM markers; v is the enum ampm, plus 4 for the Korean ones (오전, 오후). */
static const struct name ampms[] = {
    N("am", AMPM_AM), N("a.m.", AMPM_AM),
    N("pm", AMPM_PM), N("p.m.", AMPM_PM),
    N("\xec\x98\xa4\xec\xa0\x84", AMPM_AM + 4),
    N("\xec\x98\xa4\xed\x9b\x84", AMPM_PM + 4),
};

/* The Korean year, month and day markers: 년, 월, 일. */
#define KO_YEAR "\xeb\x85\x84"
#define KO_MONTH "\xec\x9b\x94"
#define KO_DAY "\xec\x9d\xbc"

/* Character classes by hand: <ctype.h> depends on the locale. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static const char *skip_ws(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* What may sit between the fields of an RFC 822 style date: "Thu., 01-Jan-2004,". */
static const char *skip_seps(const char *p)
{
	while (is_space(*p) || *p == ',' || *p == '.' || *p == '-')
		p++;
	return p;
}

/* Like skip_seps(), but NULL unless there is at least one: "18Apr" is not two fields. */
static const char *need_seps(const char *p)
{
	const char *q = skip_seps(p);

	return q == p ? NULL : q;
}

static size_t digit_len(const char *p)
{
	size_t n = 0;

	while (is_digit(p[n]))
		n++;
	return n;
}

static size_t alpha_len(const char *p)
{
	size_t n = 0;

	while (is_alpha(p[n]))
		n++;
	return n;
}

/* A word's length: ASCII letters and any non-ASCII bytes (Greek, Hungarian month names). */
static size_t word_len(const char *p)
{
	size_t n = 0;

	while (is_alpha(p[n]) || (unsigned char)p[n] >= 0x80)
		n++;
	return n;
}

/* The value of n (at most 9) digits. */
static int dval(const char *p, size_t n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*p++ - '0');
	return v;
}

/* ASCII case-insensitive: do the n bytes at p equal lowercase s? Stops at the first
 * difference, so never reads past the end of p. */
static bool same(const char *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != s[i])
			return false;
	return true;
}

/* The name in table t that p starts with and that ends where p's word does (all of p[0..n)
 * when n is not 0), as its index; its length in *len. -1 if none. Stops reading p at the first
 * difference, so never reads past its end. */
static int find(const struct name *t, size_t count, const char *p, size_t n, size_t *len)
{
	char first = lower(p[0]);

	for (size_t i = 0; i < count; i++) {
		const struct name *e = &t[i];

		if (e->s[0] != first || (n && e->len != n) || !same(p + 1, e->s + 1, e->len - 1))
			continue;
		if (n || (!is_alpha(p[e->len]) && (unsigned char)p[e->len] < 0x80)) {
			*len = e->len;
			return (int)i;
		}
	}
	return -1;
}

/* The English three-letter months and days, which most dates use: the month (1-12), 0 for a
 * day (no month has its name), -1 for anything else. The tables give the same answers. One
 * switch over the three lowercase letters as a number, which the compiler makes a search. */
static int english3(const char *p)
{
#define W3(a, b, c) ((uint32_t)(unsigned char)(a) << 16 | (uint32_t)(unsigned char)(b) << 8 | \
		     (uint32_t)(unsigned char)(c))
	switch (W3(lower(p[0]), lower(p[1]), lower(p[2]))) {
	case W3('j', 'a', 'n'):
		return 1;
	case W3('f', 'e', 'b'):
		return 2;
	case W3('m', 'a', 'r'):
		return 3;
	case W3('a', 'p', 'r'):
		return 4;
	case W3('m', 'a', 'y'):
		return 5;
	case W3('j', 'u', 'n'):
		return 6;
	case W3('j', 'u', 'l'):
		return 7;
	case W3('a', 'u', 'g'):
		return 8;
	case W3('s', 'e', 'p'):
		return 9;
	case W3('o', 'c', 't'):
		return 10;
	case W3('n', 'o', 'v'):
		return 11;
	case W3('d', 'e', 'c'):
		return 12;
	case W3('m', 'o', 'n'):
	case W3('t', 'u', 'e'):
	case W3('w', 'e', 'd'):
	case W3('t', 'h', 'u'):
	case W3('f', 'r', 'i'):
	case W3('s', 'a', 't'):
	case W3('s', 'u', 'n'):
		return 0;
	default:
		return -1;
	}
#undef W3
}

/* The month named by p[0..n), or -1. A word that starts with an English three-letter month
 * is that month, as feedparser reads it: "Julyy", and the German, Dutch, Spanish, Italian and
 * Scandinavian names that share the first three letters ("Januar", "Juni", "marzo"). */
static int month_of(const char *p, size_t n)
{
	size_t len;
	int i = n >= 3 ? english3(p) : -1;

	if (i >= 0)
		return i ? i : -1;
	i = n ? find(months, COUNT(months), p, n, &len) : -1;

	return i < 0 ? -1 : months[i].v;
}

/* A day name; like months, any word that starts with an English three-letter day ("Thurs",
 * "Monn"), as feedparser reads it. */
static bool is_weekday(const char *p, size_t n)
{
	size_t len;

	if (n >= 3 && english3(p) >= 0)
		return english3(p) == 0;

	return find(weekdays, COUNT(weekdays), p, n, &len) >= 0;
}

static int two_digit_year(int yy)
{
	return yy < 90 ? 2000 + yy : 1900 + yy;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil): exact for any year, and free of TZ and of time_t's range. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Turns day-of-year yday of w->year into month and day. */
static int set_ordinal(struct when *w, int yday)
{
	if (yday < 1 || yday > (is_leap(w->year) ? 366 : 365))
		return -EINVAL;
	for (w->mon = 1; yday > month_days(w->year, w->mon); w->mon++)
		yday -= month_days(w->year, w->mon);
	w->day = yday;
	return 0;
}

/* An AM/PM marker at *pp, ending at a word boundary. */
static bool take_ampm(const char **pp, struct when *w)
{
	size_t len;
	int i = find(ampms, COUNT(ampms), *pp, 0, &len);

	if (i < 0 || w->ampm != AMPM_NONE)
		return false;
	w->ampm = (enum ampm)(ampms[i].v & 3);
	w->korean |= ampms[i].v > 3;
	*pp += len;
	return true;
}

/* A time of day: extended h[h]:m[m][:s[s][.frac]], or (after ISO's "T") basic
 * hh[mm[ss[.frac]]]. One-digit fields are read as feedparser's handlers read them ("10:2:5").
 * Fractions of a second are dropped, as feedparser does. */
static int take_clock(const char **pp, struct when *w, bool after_t)
{
	const char *p = *pp;
	size_t n = digit_len(p);
	bool has_sec = false;

	if (p[n] == ':') {
		size_t k = digit_len(p + n + 1);

		if (n < 1 || n > 2 || k < 1 || k > 2)
			return -EINVAL;
		w->hour = dval(p, n);
		w->min = dval(p + n + 1, k);
		p += n + 1 + k;
		if (*p == ':') {
			k = digit_len(p + 1);
			if (k < 1 || k > 2)
				return -EINVAL;
			w->sec = dval(p + 1, k);
			p += 1 + k;
			has_sec = true;
		}
	} else if (after_t && (n == 2 || n == 4 || n == 6)) {
		w->hour = dval(p, 2);
		w->min = n >= 4 ? dval(p + 2, 2) : 0;
		w->sec = n == 6 ? dval(p + 4, 2) : 0;
		has_sec = n == 6;
		p += n;
	} else {
		return -EINVAL;
	}
	if (has_sec && (*p == '.' || *p == ',') && is_digit(p[1]))
		p += 1 + digit_len(p + 1);
	*pp = p;
	return 0;
}

/* A numeric offset: +hh, +hhmm, +hh:mm; one-digit hours (+h, +h:mm) only where lax, which is
 * after "GMT" ("GMT+2"). */
static int take_offset(const char **pp, int *off, bool lax)
{
	const char *p = *pp;
	int sign = *p == '-' ? -1 : 1;
	size_t n = digit_len(++p);
	int h, m = 0;

	if (n == 4) {
		h = dval(p, 2);
		m = dval(p + 2, 2);
		p += 4;
	} else if (n == 2 || (lax && n == 1)) {
		h = dval(p, n);
		p += n;
		if (*p == ':') {
			if (digit_len(p + 1) != 2)
				return -EINVAL;
			m = dval(p + 1, 2);
			p += 3;
		}
	} else {
		return -EINVAL;
	}
	if (h > 23 || m > 59)
		return -EINVAL;
	*off = sign * (h * 60 + m);
	*pp = p;
	return 0;
}

/* A zone: numeric offset, name, military letter, GMT+h[h][[:]mm], or Etc/UTC-like names. */
static int take_zone(const char **pp, int *off)
{
	const char *p = *pp;
	bool etc = false;
	size_t n, len;
	int v;

	if (*p == '+' || *p == '-')
		return take_offset(pp, off, false);
	n = alpha_len(p);
	if (n == 3 && same(p, "etc", 3) && p[3] == '/') {
		etc = true;
		p += 4;
		n = alpha_len(p);
	}
	if (!n)
		return -EINVAL;
	if (n == 1) {
		/* RFC 822's military zones: A-I -1..-9 h, K-M -10..-12 h, N-Y +1..+12 h */
		char c = lower(*p);

		if (c == 'j')
			return -EINVAL;
		if (c == 'z')
			v = 0;
		else if (c <= 'm')
			v = -(c - 'a' + (c < 'j')) * 60;
		else
			v = (c - 'm') * 60;
	} else {
		int i = find(zones, COUNT(zones), p, n, &len);

		if (i < 0)
			return -EINVAL;
		v = zones[i].v;
	}
	if (etc && v != 0)
		return -EINVAL;
	p += n;
	if ((*p == '+' || *p == '-') && !etc && find(gmt, COUNT(gmt), p - n, n, &len) >= 0 &&
	    take_offset(&p, &v, true) < 0)
		return -EINVAL;
	*off = v;
	*pp = p;
	return 0;
}

/* What may follow the time: [AM/PM] [zone] [(comment)], then the end of the string. */
static int take_tail(const char *p, struct when *w)
{
	p = skip_ws(p);
	if (take_ampm(&p, w))
		p = skip_ws(p);
	if (*p && *p != '(') {
		if (w->has_zone || take_zone(&p, &w->off) < 0)
			return -EINVAL;
		w->has_zone = true;
		p = skip_ws(p);
	}
	if (*p == '(') {
		/* RFC 822 comments, as in "+0200 (CEST)"; not nested */
		while (*++p != ')')
			if (!*p || *p == '(')
				return -EINVAL;
		p = skip_ws(p + 1);
	}
	return *p ? -EINVAL : 0;
}

/* Whether digits ("22013") also read as a YYMMDD or YYYYMMDD cut short (22-01-3): an ordinal
 * date written without hyphens is taken only when it cannot be that (month 13 or more, as in
 * "03335"); a number that could be two dates is not a date. p points at the YY. */
static bool starts_yymmdd(const char *p)
{
	int mm = dval(p + 2, 2);

	return mm >= 1 && mm <= 12;
}

/* An ISO 8601 date. *full tells whether it names a day, which a time may follow. */
static int iso_date(const char **pp, struct when *w, bool *full)
{
	const char *p = *pp;
	size_t n;

	*full = true;
	w->mon = w->day = 1;
	if (*p == '-') {
		/* -YY-MM and -YYMM: a month of a 2-digit year */
		p++;
		n = digit_len(p);
		if (n == 2 && p[2] == '-' && digit_len(p + 3) == 2) {
			w->mon = dval(p + 3, 2);
			p += 5;
		} else if (n == 4) {
			w->mon = dval(p + 2, 2);
			p += 4;
		} else {
			return -EINVAL;
		}
		w->year = two_digit_year(dval(*pp + 1, 2));
		*full = false;
		*pp = p;
		return 0;
	}
	n = digit_len(p);
	switch (n) {
	case 4:
		w->year = dval(p, 4);
		p += 4;
		if (*p != '-') {
			*full = false;
			break;
		}
		n = digit_len(++p);
		if (n == 0 && word_len(p) && month_of(p, word_len(p)) > 0) {
			/* YYYY-<month name>-D[D]: feedparser's Hungarian form
			 * ("2004-j\u00falius-13") */
			w->mon = month_of(p, word_len(p));
			p += word_len(p);
			n = *p == '-' ? digit_len(p + 1) : 0;
			if (n < 1 || n > 2)
				return -EINVAL;
			w->day = dval(p + 1, n);
			p += 1 + n;
			w->named = true;
			break;
		}
		if (n == 3 && p[0] == '0' && p[3] == '-') {
			p++; /* YYYY-0MM-DD */
			n = 2;
		}
		if (n == 3) {
			if (set_ordinal(w, dval(p, 3)) < 0)
				return -EINVAL;
			p += 3;
		} else if (n == 1 || n == 2) {
			/* YYYY-M[M][-D[D]]: W3DTF's fields, one digit as feedparser reads them */
			w->mon = dval(p, n);
			p += n;
			if (*p != '-') {
				*full = false;
				break;
			}
			n = digit_len(++p);
			if (n == 4 && p[4] == ':' && digit_len(p + 5) == 2)
				n = 2; /* "2002-06-1310:51": a time without its "T" */
			if (n < 1 || n > 2)
				return -EINVAL;
			w->day = dval(p, n);
			p += n;
		} else {
			return -EINVAL;
		}
		break;
	case 8: /* YYYYMMDD */
		w->year = dval(p, 4);
		w->mon = dval(p + 4, 2);
		w->day = dval(p + 6, 2);
		p += 8;
		break;
	case 7: /* YYYYDDD */
		if (starts_yymmdd(p + 2))
			return -EINVAL;
		w->year = dval(p, 4);
		if (set_ordinal(w, dval(p + 4, 3)) < 0)
			return -EINVAL;
		p += 7;
		break;
	case 6: /* YYMMDD */
		w->year = two_digit_year(dval(p, 2));
		w->mon = dval(p + 2, 2);
		w->day = dval(p + 4, 2);
		p += 6;
		break;
	case 5: /* YYDDD */
		if (starts_yymmdd(p))
			return -EINVAL;
		w->year = two_digit_year(dval(p, 2));
		if (set_ordinal(w, dval(p + 2, 3)) < 0)
			return -EINVAL;
		p += 5;
		break;
	case 2: /* YY-MM-DD, YY-DDD */
		w->year = two_digit_year(dval(p, 2));
		p += 2;
		if (*p != '-')
			return -EINVAL;
		n = digit_len(++p);
		if (n == 3) {
			if (set_ordinal(w, dval(p, 3)) < 0)
				return -EINVAL;
			p += 3;
		} else if (n == 2 && p[2] == '-' && digit_len(p + 3) == 2) {
			w->mon = dval(p, 2);
			w->day = dval(p + 3, 2);
			p += 5;
		} else {
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	*pp = p;
	return 0;
}

static int parse_iso(const char *p, struct when *w)
{
	bool full;

	if (iso_date(&p, w, &full) < 0)
		return -EINVAL;
	/* ISO 8601's "T" may be left out before an extended time: "2002-06-13 10:51" without
	 * the space, as feedparser's ISO 8601 handler reads it */
	if (*p == 'T' || *p == 't' ||
	    (full && digit_len(p) == 2 && p[2] == ':' && digit_len(p + 3) == 2)) {
		p += !is_digit(*p);
		if (!full || take_clock(&p, w, !w->named) < 0)
			return -EINVAL;
		return take_tail(p, w);
	}
	p = skip_ws(p);
	if (!*p)
		return 0;
	if (!full)
		return -EINVAL;
	/* MSSQL style "YYYY-MM-DD hh:mm:ss", and Nate's "YYYY-MM-DD 오후 h:mm:ss" */
	if (take_ampm(&p, w))
		p = skip_ws(p);
	if (take_clock(&p, w, false) < 0)
		return -EINVAL;
	return take_tail(p, w);
}

/* A year of 1 to 4 digits: one or two follow the two-digit rule, three or four are the year
 * as written (feedparser's RFC 822 handler reads "04", "4" and "0989" so). */
static int take_year(const char **pp, struct when *w)
{
	size_t n = digit_len(*pp);

	if (n < 1 || n > 4)
		return -EINVAL;
	w->year = n <= 2 ? two_digit_year(dval(*pp, n)) : dval(*pp, n);
	*pp += n;
	return 0;
}

/* The date of asctime and Unix date(1): "Nov  6 08:49:37 [zone] 1994", from the time on. */
static int asctime_rest(const char *p, struct when *w)
{
	bool had_zone;

	if (take_clock(&p, w, false) < 0)
		return -EINVAL;
	p = skip_ws(p);
	if (!is_digit(*p)) {
		if (take_zone(&p, &w->off) < 0)
			return -EINVAL;
		w->has_zone = true;
		p = skip_ws(p);
	}
	had_zone = w->has_zone;
	if (take_year(&p, w) < 0)
		return -EINVAL;
	/* the zone comes before the year: only a comment may follow it */
	return take_tail(p, w) < 0 || w->has_zone != had_zone ? -EINVAL : 0;
}

/* 1 or 2 digits followed by the UTF-8 marker m: the Korean "05월". */
static int take_marked(const char **pp, const char *m, int *v)
{
	const char *p = skip_ws(*pp);
	size_t n = digit_len(p);

	if (n < 1 || n > 2 || strncmp(p + n, m, strlen(m)) != 0)
		return -EINVAL;
	*v = dval(p, n);
	*pp = p + n + strlen(m);
	return 0;
}

static int parse_text(const char *p, struct when *w)
{
	size_t n = 0;
	int m;

	/* A day name, any language before a comma; its value is never checked. */
	while (is_alpha(p[n]) || (unsigned char)p[n] >= 0x80)
		n++;
	if (n && month_of(p, n) < 0) {
		if (p[n] != ',' && !(is_weekday(p, n) && (is_space(p[n]) || p[n] == '.')))
			return -EINVAL;
		p = skip_seps(p + n);
	}

	n = digit_len(p);
	if (n == 4 && strncmp(p + 4, KO_YEAR, strlen(KO_YEAR)) == 0) {
		w->year = dval(p, 4);
		p += 4 + strlen(KO_YEAR);
		if (take_marked(&p, KO_MONTH, &w->mon) < 0 || take_marked(&p, KO_DAY, &w->day) < 0)
			return -EINVAL;
		w->korean = true;
	} else if (n == 4 && p[4] == '/') {
		/* YYYY/MM/DD, as Perforce writes */
		w->year = dval(p, 4);
		p += 5;
		n = digit_len(p);
		if (n < 1 || n > 2 || p[n] != '/')
			return -EINVAL;
		w->mon = dval(p, n);
		p += n + 1;
		n = digit_len(p);
		if (n < 1 || n > 2)
			return -EINVAL;
		w->day = dval(p, n);
		p += n;
	} else if (n == 1 || n == 2) {
		/* day month year: RFC 822, RFC 850 */
		w->day = dval(p, n);
		if (!(p = need_seps(p + n)))
			return -EINVAL;
		n = word_len(p);
		if ((m = month_of(p, n)) < 0 || !(p = need_seps(p + n)) || take_year(&p, w) < 0)
			return -EINVAL;
		w->mon = m;
	} else if (n == 0) {
		/* month first: "Dec 16 2023 ...", "Nov  6 08:49:37 1994" */
		n = word_len(p);
		if ((m = month_of(p, n)) < 0 || !(p = need_seps(p + n)))
			return -EINVAL;
		w->mon = m;
		n = digit_len(p);
		if (n < 1 || n > 2)
			return -EINVAL;
		w->day = dval(p, n);
		p = skip_seps(p + n);
		n = digit_len(p);
		if (p[n] == ':')
			return asctime_rest(p, w);
		if (take_year(&p, w) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}

	p = skip_seps(p);
	if (!*p)
		return 0;
	if (take_ampm(&p, w))
		p = skip_ws(p);
	if (take_clock(&p, w, false) < 0)
		return -EINVAL;
	return take_tail(p, w);
}

/* Writes v (0-99) as two digits: a fixed width, so no loop and divisions by a constant. */
static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Checks the fields against the calendar and makes the instant. */
static int resolve(struct when *w, int64_t *out)
{
	bool leap_sec = false;
	int64_t t;

	if (w->ampm != AMPM_NONE) {
		if (w->hour < 1 || w->hour > 12)
			return -EINVAL;
		w->hour = w->hour % 12 + (w->ampm == AMPM_PM ? 12 : 0);
	}
	if (w->mon < 1 || w->mon > 12 || w->day < 1 || w->day > month_days(w->year, w->mon) ||
	    w->hour > 23 || w->min > 59 || w->sec > 60)
		return -EINVAL;
	if (w->sec == 60) {
		leap_sec = true;
		w->sec = 59;
	}
	if (!w->has_zone)
		w->off = w->korean ? 9 * 60 : 0;

	t = days_from_civil(w->year, w->mon, w->day) * SECS_PER_DAY + w->hour * 3600 +
	    w->min * 60 + w->sec;
	t -= (int64_t)w->off * 60;
	if (t < T_MIN || t > T_MAX)
		return -EINVAL;
	if (leap_sec && (t - T_MIN) % SECS_PER_DAY != SECS_PER_DAY - 1)
		return -EINVAL;
	*out = t;
	return 0;
}

/* Whether p starts with pat, where 'd' is any digit, 'a' any ASCII letter and 'T' either
 * case of T. Stops at the first difference, so never reads past the end of p. */
static bool shape(const char *p, const char *pat)
{
	for (; *pat; p++, pat++) {
		bool ok = *pat == 'd'   ? is_digit(*p)
			  : *pat == 'a' ? is_alpha(*p)
			  : *pat == 'T' ? *p == 'T' || *p == 't'
					: *p == *pat;

		if (!ok)
			return false;
	}
	return true;
}

/* A whole-string zone as the common shapes end: Z, +hhmm or +hh:mm (RFC 822 style names are
 * read by the caller). False, for the general path, on anything else. */
static bool fast_offset(const char *p, struct when *w)
{
	int h, m;

	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		w->has_zone = true;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	if (shape(p + 1, "dddd") && !p[5])
		m = dval(p + 3, 2);
	else if (shape(p + 1, "dd:dd") && !p[6])
		m = dval(p + 4, 2);
	else
		return false;
	h = dval(p + 1, 2);
	if (h > 23 || m > 59)
		return false;
	w->off = (*p == '-' ? -1 : 1) * (h * 60 + m);
	w->has_zone = true;
	return true;
}

/* The ISO 8601 shape most feeds write, "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm)", in one pass.
 * False for anything else, which parse_iso() then reads; for this shape both give the same
 * fields (tests/test_date_fast.c checks both sides of every boundary). */
static bool fast_iso(const char *p, struct when *w)
{
	if (!shape(p, "dddd-dd-ddTdd:dd:dd") || is_digit(p[19]))
		return false;
	w->year = dval(p, 4);
	w->mon = dval(p + 5, 2);
	w->day = dval(p + 8, 2);
	w->hour = dval(p + 11, 2);
	w->min = dval(p + 14, 2);
	w->sec = dval(p + 17, 2);
	p += 19;
	if ((*p == '.' || *p == ',') && is_digit(p[1]))
		p += 1 + digit_len(p + 1);
	return fast_offset(p, w);
}

/* The RFC 822 shape most feeds write, "Ddd, D[D] Mon YYYY hh:mm:ss zone" with an English day
 * and month and a zone of three letters or +hhmm, in one pass; false for anything else, which
 * parse_text() then reads, with the same fields for this shape. */
static bool fast_rfc822(const char *p, struct when *w)
{
	size_t n, len;
	int i;

	if (!shape(p, "aaa, d") || english3(p) != 0)
		return false;
	p += 5;
	n = is_digit(p[1]) ? 2 : 1;
	if (!shape(p + n, " aaa dddd dd:dd:dd ") || (w->mon = english3(p + n + 1)) <= 0)
		return false;
	w->day = dval(p, n);
	p += n + 5;
	w->year = dval(p, 4);
	w->hour = dval(p + 5, 2);
	w->min = dval(p + 8, 2);
	w->sec = dval(p + 11, 2);
	p += 14;
	if (shape(p, "aaa") && !p[3]) {
		if ((i = find(zones, COUNT(zones), p, 3, &len)) < 0)
			return false;
		w->off = zones[i].v;
		w->has_zone = true;
		return true;
	}
	return fast_offset(p, w);
}

int date_parse(const char *s, int64_t *out)
{
	struct when w;

	if (!s || !out)
		return -EINVAL;
	s = skip_ws(s);
	memset(&w, 0, sizeof(w));
	if (is_digit(*s) ? fast_iso(s, &w) : fast_rfc822(s, &w))
		return resolve(&w, out);
	memset(&w, 0, sizeof(w));
	if ((is_digit(*s) || *s == '-') && parse_iso(s, &w) == 0)
		return resolve(&w, out);
	memset(&w, 0, sizeof(w));
	if (parse_text(s, &w) == 0)
		return resolve(&w, out);
	return -EINVAL;
}

int date_format(int64_t t, char *out, size_t size)
{
	int y, m, d, secs;
	char *p = out;

	if (!out || size < DATE_BUFSZ || t < T_MIN || t > T_MAX) {
		if (out && size)
			out[0] = '\0';
		return -ERANGE;
	}
	/* T_MIN is a midnight, so days counted from it floor correctly for any t in range */
	civil_from_days((t - T_MIN) / SECS_PER_DAY + T_MIN / SECS_PER_DAY, &y, &m, &d);
	secs = (int)((t - T_MIN) % SECS_PER_DAY);
	p = put2(put2(p, y / 100), y % 100);
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, secs / 3600);
	*p++ = ':';
	p = put2(p, secs / 60 % 60);
	*p++ = ':';
	p = put2(p, secs % 60);
	*p++ = 'Z';
	*p = '\0';
	return 0;
}
