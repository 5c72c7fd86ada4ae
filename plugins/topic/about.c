/* SPDX-License-Identifier: MIT */
/* Aboutness for the topic filter (about.h): the rules' weights, the score and its explanation. */
#include "about.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const part_names[ABOUT_PARTS] = {"title", "lead", "share", "density", "others"};
static const double part_default[ABOUT_PARTS] = {0.5, 0.2, 0.5, 0.15, 0.3};
/* Mentions per 100 words at which the density part counts in full. */
#define DENSITY_FULL 2.0

void about_rules_init(struct about_rules *r)
{
	memcpy(r->weight, part_default, sizeof r->weight);
	r->threshold = 0.4;
	r->lead = 1;
}

int about_set(struct about_rules *r, const char *name, double value, char *err, size_t errlen)
{
	size_t i;

	if (!strcmp(name, "threshold") || !strcmp(name, "lead-paragraphs")) {
		int lead = name[0] == 'l';

		if (lead ? (value < 1 || value > 100 || value != (unsigned)value)
			 : (value < 0 || value > 10)) {
			snprintf(err, errlen, "about %s: %g is out of range (%s)", name, value,
				 lead ? "a whole number from 1 to 100" : "0 to 10");
			return -EINVAL;
		}
		if (lead)
			r->lead = (unsigned)value;
		else
			r->threshold = value;
		return 0;
	}
	for (i = 0; i < ABOUT_PARTS; i++)
		if (!strcmp(name, part_names[i]))
			break;
	if (i == ABOUT_PARTS) {
		snprintf(err, errlen,
			 "about: unknown '%s' (title, lead, share, density, others, threshold, "
			 "lead-paragraphs)",
			 name);
		return -EINVAL;
	}
	if (value < 0 || value > 10) {
		snprintf(err, errlen, "about %s: weight %g is out of range (0 to 10)", name, value);
		return -EINVAL;
	}
	r->weight[i] = value;
	return 0;
}

double about_score(const struct about_rules *r, const struct about_counts *c,
		   double part[ABOUT_PARTS])
{
	double density = c->words ? 100.0 * (double)c->mentions / (double)c->words : 0;
	unsigned named = c->subject_paras + c->other_paras;
	double sum = 0;
	size_t i;

	part[ABOUT_TITLE] = c->title ? r->weight[ABOUT_TITLE] : 0;
	part[ABOUT_LEAD] = c->lead ? r->weight[ABOUT_LEAD] : 0;
	part[ABOUT_SHARE] =
	    c->paras ? r->weight[ABOUT_SHARE] * c->subject_paras / (double)c->paras : 0;
	part[ABOUT_DENSITY] =
	    r->weight[ABOUT_DENSITY] * (density < DENSITY_FULL ? density / DENSITY_FULL : 1);
	part[ABOUT_OTHERS] = named ? -r->weight[ABOUT_OTHERS] * c->other_paras / (double)named : 0;
	for (i = 0; i < ABOUT_PARTS; i++)
		sum += part[i];
	return sum;
}

void about_explain(const struct about_rules *r, const struct about_counts *c,
		   const double part[ABOUT_PARTS], double score, char *buf, size_t cap)
{
	double density = c->words ? 100.0 * (double)c->mentions / (double)c->words : 0;
	size_t o;

	o = (size_t)snprintf(buf, cap,
			     "about %.2f %s %g (title %+.2f, lead %+.2f, share %u/%u %+.2f, "
			     "density %.2f/100 words %+.2f, others %u/%u %+.2f)",
			     score, score >= r->threshold ? ">=" : "<", r->threshold,
			     part[ABOUT_TITLE], part[ABOUT_LEAD], c->subject_paras, c->paras,
			     part[ABOUT_SHARE], density, part[ABOUT_DENSITY], c->other_paras,
			     c->subject_paras + c->other_paras, part[ABOUT_OTHERS]);
	(void)o;
}
