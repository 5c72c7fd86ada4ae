/* SPDX-License-Identifier: MIT */
/* The paths date.c's speed work changed: its own day arithmetic (days_from_civil) against
 * libcurl's curl_getdate(), which read RFC 822 dates before, the name tables read a name at a
 * time (every word of up to four letters as a zone, month or AM/PM marker), and the fast paths
 * for the common ISO 8601 and RFC 822 shapes against the general parser. */
#include "autoconfig.h"
#include "date.h"
#include "check.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* One RFC 822 date read by both; returns whether they agree. */
static bool agree(int y, int m, int d, int sec)
{
	char s[96];
	int64_t ours = 0;
	time_t theirs;

	snprintf(s, sizeof(s), "%02d %s %04d %02d:%02d:%02d GMT", d, mon[m - 1], y, sec / 3600,
		 sec / 60 % 60, sec % 60);
	theirs = curl_getdate(s, NULL);
	if (date_parse(s, &ours) == 0 && (int64_t)theirs == ours)
		return true;
	CHECK(0, "\"%s\": date_parse %" PRId64 ", curl_getdate %" PRId64, s, ours,
	      (int64_t)theirs);
	return false;
}

/* Every day of 1583 (curl's first year) to 2600 and of every seventh year and the last
 * century after it, and the ends of February and of the year of every year up to 9999. */
static void check_days(void)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long days = 0;
	int bad = 0;

	for (int y = 1583; y <= 9999 && bad < 5; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		bool all = y <= 2600 || y % 7 == 0 || y >= 9900;

		for (int m = 1; m <= 12; m++) {
			int last = mdays[m - 1] + (m == 2 && leap);

			for (int d = 1; d <= last; d++) {
				bool edge = (m == 1 && d == 1) || (m == 2 && d >= 28) ||
					    (m == 3 && d == 1) || (m == 12 && d == 31);

				if (!all && !edge)
					continue;
				days++;
				bad += !agree(y, m, d, (int)((days * 7919) % 86400));
			}
		}
	}
	CHECK(bad == 0 && days > 700000, "%d of %ld days disagree", bad, days);
}

/* Every zone name and its offset in minutes, as RFC 822 and feedparser give them. */
static const struct {
	const char *name;
	int off;
} zone_names[] = {
    {"ut", 0},     {"utc", 0},    {"gmt", 0},    {"uct", 0},    {"zulu", 0},   {"wet", 0},
    {"west", 60},  {"bst", 60},   {"cet", 60},   {"met", 60},   {"mez", 60},   {"cest", 120},
    {"mest", 120}, {"mesz", 120}, {"eet", 120},  {"sast", 120}, {"eest", 180}, {"msk", 180},
    {"ist", 330},  {"hkt", 480},  {"sgt", 480},  {"awst", 480}, {"jst", 540},  {"kst", 540},
    {"acst", 570}, {"aest", 600}, {"acdt", 630}, {"aedt", 660}, {"nzst", 720}, {"nzdt", 780},
    {"ndt", -150}, {"adt", -180}, {"nst", -210}, {"ast", -240}, {"at", -240},  {"edt", -240},
    {"est", -300}, {"et", -300},  {"cdt", -300}, {"cst", -360}, {"ct", -360},  {"mdt", -360},
    {"mst", -420}, {"mt", -420},  {"pdt", -420}, {"pst", -480}, {"pt", -480},  {"akdt", -480},
    {"akst", -540}, {"hst", -600},
};

/* The offset the word w names as a zone, or 1 (no offset is a minute east) if none. */
static int zone_off(const char *w)
{
	size_t n = strlen(w);

	if (n == 1 && w[0] != 'j')
		return w[0] == 'z'    ? 0
		       : w[0] <= 'm' ? -(w[0] - 'a' + (w[0] < 'j')) * 60
				     : (w[0] - 'm') * 60;
	for (size_t i = 0; i < sizeof(zone_names) / sizeof(zone_names[0]); i++)
		if (!strcmp(w, zone_names[i].name))
			return zone_names[i].off;
	return 1;
}

/* Every word of one to four letters as a zone, lower and upper case: a zone name gives its
 * offset, anything else (a name with a letter more or less) is not a date. */
static void check_zone_words(void)
{
	int bad = 0;
	long words = 0;

	for (int n = 1; n <= 4; n++) {
		int total = 1;

		for (int i = 0; i < n; i++)
			total *= 26;
		for (int k = 0; k < total && bad < 5; k++, words++) {
			char w[5], s[48];
			int64_t t = 0, want = 1072951200; /* 2004-01-01T10:00:00Z */
			int off, rc, x = k;

			for (int i = n - 1; i >= 0; i--, x /= 26)
				w[i] = (char)('a' + x % 26);
			w[n] = '\0';
			if (!strcmp(w, "am") || !strcmp(w, "pm"))
				continue; /* AM/PM markers, not zones: check_other_names() */
			off = zone_off(w);
			if (k % 2)
				for (int i = 0; i < n; i++)
					w[i] = (char)(w[i] - 'a' + 'A');
			snprintf(s, sizeof(s), "01 Jan 2004 10:00:00 %s", w);
			rc = date_parse(s, &t);
			if (off == 1 ? rc == 0 : rc != 0 || t != want - off * 60) {
				bad++;
				CHECK(0, "\"%s\": rc %d, %" PRId64 "; expected offset %d", s, rc, t,
				      off);
			}
		}
	}
	CHECK(bad == 0 && words == 26 + 676 + 17576 + 456976, "%d zone words wrong", bad);
}

/* Every three-letter word, in four cases, as a day name (no comma after it) and as a month:
 * only the seven English days are day names, only the twelve English months and the other
 * languages' three-letter months are months. */
static void check_three_letters(void)
{
	static const char days[] = "montuewedthufrisatsun";
	static const char mons[] = "janfebmaraprmayjunjulaugsepoctnovdec"
				   "enegenfevmrzmrtabravrmaimagmeigiulugagosetoutoktottdezdic";
	static const int mon_of[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 1, 2, 3,
				     3, 4, 4, 5, 5, 5, 6, 7, 8, 9, 10, 10, 10, 12, 12};
	int bad = 0;

	for (int k = 0; k < 26 * 26 * 26 * 4 && bad < 5; k++) {
		char w[4] = {(char)('a' + k / 4 / 676), (char)('a' + k / 4 / 26 % 26),
			     (char)('a' + k / 4 % 26), '\0'};
		char s[48];
		const char *hit;
		int64_t t = 0;
		int rc, want_mon = 0;
		bool day = false;

		for (int i = 0; i < 21; i += 3)
			day |= !memcmp(days + i, w, 3);
		for (int i = 0; i + 3 <= (int)sizeof(mons) - 1 && !want_mon; i += 3)
			if (!memcmp(mons + i, w, 3))
				want_mon = mon_of[i / 3];
		for (int i = 0; i < 3; i++)
			if ((k % 4) & (i == 0 ? 1 : 2))
				w[i] = (char)(w[i] - 'a' + 'A');
		snprintf(s, sizeof(s), "%s 01 Jan 2004 10:00", w);
		rc = date_parse(s, &t);
		if (day ? rc != 0 || t != 1072951200 : rc == 0) {
			bad++;
			CHECK(0, "\"%s\" as a day name: rc %d", s, rc);
		}
		snprintf(s, sizeof(s), "01 %s 2004", w);
		rc = date_parse(s, &t);
		hit = want_mon ? "month" : "not a month";
		if (want_mon ? rc != 0 : rc == 0) {
			bad++;
			CHECK(0, "\"%s\": rc %d, should be a %s", s, rc, hit);
		} else if (want_mon) {
			char got[DATE_BUFSZ], exp[DATE_BUFSZ];

			date_format(t, got, sizeof(got));
			snprintf(exp, sizeof(exp), "2004-%02d-01T00:00:00Z", want_mon);
			CHECK_STR(got, exp, "\"%s\"", s);
		}
	}
	CHECK(bad == 0, "%d three-letter words wrong", bad);
}

/* Month names and AM/PM markers read a name at a time: the whole name, and no longer word
 * unless it starts with an English three-letter month. */
static void check_other_names(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"01 gen 2004", "2004-01-01T00:00:00Z"},
	    {"01 genn 2004", NULL},
	    {"01 ge 2004", NULL},
	    {"01 janv 2004", "2004-01-01T00:00:00Z"},
	    {"01 janvx 2004", "2004-01-01T00:00:00Z"}, /* "jan..." */
	    {"01 szeptember 2004", "2004-09-01T00:00:00Z"},
	    {"01 szeptemberr 2004", NULL},
	    {"01 szeptembe 2004", NULL},
	    {"01 \u0394\u03b5\u03ba 2004", "2004-12-01T00:00:00Z"},
	    {"01 \u0394\u03b5\u03ba\u03b1 2004", NULL},
	    {"01 m\u00e1ujus 2004", "2004-05-01T00:00:00Z"},
	    {"01 Jan 2004 10:00 pm", "2004-01-01T22:00:00Z"},
	    {"01 Jan 2004 10:00 p.m.", "2004-01-01T22:00:00Z"},
	    {"01 Jan 2004 10:00 P.M. GMT", "2004-01-01T22:00:00Z"},
	    {"01 Jan 2004 10:00 pmx", NULL},
	    {"01 Jan 2004 10:00 p.m", NULL},
	    {"01 Jan 2004 10:00 a", "2004-01-01T11:00:00Z"}, /* military zone A */
	    {"2004-01-01 \xec\x98\xa4\xed\x9b\x84 10:00", "2004-01-01T13:00:00Z"},
	    {"01 Jan 2004 10:00 GMT+2", "2004-01-01T08:00:00Z"},
	    {"01 Jan 2004 10:00 UT+2", "2004-01-01T08:00:00Z"},
	    {"01 Jan 2004 10:00 EST+2", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[DATE_BUFSZ] = "";
		int64_t t = 0;
		int rc = date_parse(cases[i].in, &t);

		if (rc == 0)
			date_format(t, got, sizeof(got));
		if (!cases[i].want)
			CHECK(rc != 0, "\"%s\" should not be a date, got %s", cases[i].in, got);
		else
			CHECK_STR(rc == 0 ? got : "(error)", cases[i].want, "\"%s\"", cases[i].in);
	}
}

/* Parses s as given and with a space after it: a trailing space sends any date to the general
 * parser (the fast paths want the string to end at the zone) and changes nothing else, so the
 * two must agree. Returns whether they do. */
static bool same_both_ways(const char *s)
{
	char spaced[64];
	int64_t t1 = 0, t2 = 0;
	int rc1 = date_parse(s, &t1), rc2;

	snprintf(spaced, sizeof(spaced), "%s ", s);
	rc2 = date_parse(spaced, &t2);
	if (rc1 == rc2 && (rc1 != 0 || t1 == t2))
		return true;
	CHECK(0, "\"%s\": %d %" PRId64 ", but with a space after it %d %" PRId64, s, rc1, t1,
	      rc2, t2);
	return false;
}

/* The common shapes, read by the fast paths, and every change of one byte of them (replaced,
 * left out, added, or the string cut there), which fall on either side of the fast paths'
 * boundary: each must read the same as through the general parser. */
static void check_fast_paths(void)
{
	static const struct {
		const char *in, *want;
	} shapes[] = {
	    {"2004-01-01T10:20:30Z", "2004-01-01T10:20:30Z"},
	    {"2004-02-29T23:59:60.123+00:00", "2004-02-29T23:59:59Z"},
	    {"1999-12-31t00:00:00,5-0800", "1999-12-31T08:00:00Z"},
	    {"2020-06-15T12:00:00+05:30", "2020-06-15T06:30:00Z"},
	    {"Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z"},
	    {"Sun, 9 Feb 2020 01:02:03 +0100", "2020-02-09T00:02:03Z"},
	    {"Mon, 31 Dec 2012 16:00:00 PST", "2013-01-01T00:00:00Z"},
	    {"sat, 29 feb 2003 10:00:00 z", NULL},
	};
	static const char alt[] = "0159-:.,+ TtZzaAGJMmP";
	int bad = 0;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const char *in = shapes[i].in;
		size_t len = strlen(in);

		if (shapes[i].want) {
			char got[DATE_BUFSZ] = "";
			int64_t t = 0;

			if (date_parse(in, &t) == 0)
				date_format(t, got, sizeof(got));
			CHECK_STR(got, shapes[i].want, "\"%s\"", in);
		}
		bad += !same_both_ways(in);
		for (size_t at = 0; at <= len && bad < 5; at++) {
			char m[64];

			snprintf(m, sizeof(m), "%.*s", (int)at, in);
			bad += !same_both_ways(m);
			if (at < len) {
				snprintf(m, sizeof(m), "%.*s%s", (int)at, in, in + at + 1);
				bad += !same_both_ways(m);
			}
			for (size_t c = 0; c < sizeof(alt) - 1; c++) {
				snprintf(m, sizeof(m), "%.*s%c%s", (int)at, in, alt[c], in + at);
				bad += !same_both_ways(m);
				if (at < len) {
					snprintf(m, sizeof(m), "%.*s%c%s", (int)at, in, alt[c],
						 in + at + 1);
					bad += !same_both_ways(m);
				}
			}
		}
	}
	CHECK(bad == 0, "%d fast-path mutants read differently", bad);
}

int main(void)
{
	check_days();
	check_zone_words();
	check_three_letters();
	check_fast_paths();
	check_other_names();
	return check_exit();
}
