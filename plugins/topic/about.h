/* SPDX-License-Identifier: MIT */
/* Aboutness for the topic filter: how much an article is about a topic's subject rather than
 * mentioning it, from where the subject appears and how much of the text it holds. */
#ifndef FEEDSPOOL_TOPIC_ABOUT_H
#define FEEDSPOOL_TOPIC_ABOUT_H

#include <stddef.h>

enum about_part {
	ABOUT_TITLE,   /* the subject is named in the title */
	ABOUT_LEAD,    /* in the standfirst or the lead paragraph(s) */
	ABOUT_SHARE,   /* the share of the body's paragraphs that name it */
	ABOUT_DENSITY, /* its mentions per 100 words (2 or more count in full) */
	ABOUT_OTHERS,  /* subtracted: the share of the paragraphs naming a subject that name
			  only other subjects */
	ABOUT_PARTS,
};

struct about_rules {
	double weight[ABOUT_PARTS];
	double threshold; /* the aboutness an article must reach */
	unsigned lead;	  /* paragraphs of the body that make its lead */
};

/* What matching found in one article. */
struct about_counts {
	int title, lead;
	unsigned paras;		/* paragraphs (lines) of the body */
	unsigned subject_paras; /* that name the subject */
	unsigned other_paras;	/* that name another subject and not this one */
	size_t words, mentions; /* of the body; of the subject in the body */
};

void about_rules_init(struct about_rules *r);

/* Sets "about NAME VALUE" (title, lead, share, density, others: a weight from 0 to 10;
 * threshold: from 0 to 10; lead-paragraphs: 1 to 100). 0, or -EINVAL with a message in err. */
int about_set(struct about_rules *r, const char *name, double value, char *err, size_t errlen);

/* The article's aboutness (the sum of the parts, each in part[]). */
double about_score(const struct about_rules *r, const struct about_counts *c,
		   double part[ABOUT_PARTS]);

/* Writes "about 0.72 >= 0.5 (title +0.4, share 3/7 +0.17, ...)" into buf (cap bytes, always
 * NUL-terminated). */
void about_explain(const struct about_rules *r, const struct about_counts *c,
		   const double part[ABOUT_PARTS], double score, char *buf, size_t cap);

#endif
